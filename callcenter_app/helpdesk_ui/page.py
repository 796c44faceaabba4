"""Which responses get the /helpdesk bundle, and how its tags go into the page (pure; the Frappe side is
``service.py``)."""

from __future__ import annotations

import html
import json

MARKER = "<!-- callcenter_app helpdesk -->"
PREFIX = "/helpdesk"


def is_helpdesk_page(path: str | None) -> bool:
	"""/helpdesk and everything under it (the agent UI is one page that routes in the browser)."""
	path = (path or "").rstrip("/") or "/"
	return path == PREFIX or path.startswith(PREFIX + "/")


def is_html(mimetype: str | None, status: int) -> bool:
	return status == 200 and (mimetype or "").split(";")[0].strip().lower() == "text/html"


def tags(scripts: list[str], styles: list[str], boot: dict) -> str:
	"""The tags for the page: a boot object (read by the bundle), the stylesheets, the scripts, in that
	order. ``boot`` is JSON with ``<``, ``>`` and ``&`` escaped, so no value can close the script tag."""
	data = json.dumps(boot, sort_keys=True)
	for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
		data = data.replace(char, escaped)
	parts = [MARKER, f"<script>window.callcenter_helpdesk_boot = {data};</script>"]
	parts += [f'<link rel="stylesheet" href="{html.escape(href, quote=True)}">' for href in styles]
	parts += [f'<script defer src="{html.escape(src, quote=True)}"></script>' for src in scripts]
	return "\n".join(parts) + "\n"


def inject(page: str, snippet: str) -> str:
	"""``snippet`` before the last ``</body>`` (or at the end of a page without one); a page that has it
	already is returned unchanged."""
	if MARKER in page:
		return page
	at = page.lower().rfind("</body>")
	if at < 0:
		return page + snippet
	return page[:at] + snippet + page[at:]
