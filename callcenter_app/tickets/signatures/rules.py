"""Signatures on agents' outgoing messages. Pure: no Frappe.

- :func:`choose` — which signature applies for an agent and a use case (``new``, ``reply``, ``forward``):
  the agent's own active signature for that use, else an active default-for-all signature for that use,
  else none. Several candidates: the most recently modified wins, then the lowest name (the same answer
  whatever order the signatures come in).
- :func:`use_case` — what an outgoing message on a ticket is: a forward (the customer is not among the
  recipients), a new message (nothing was written on the ticket before), else a reply.
- :func:`render`, :func:`has_signature`, :func:`signature_block` — the signature as one marked ``<div>``, so
  it is added once and can be found again; :func:`add_to_email` puts that block into an already built MIME
  email (HTML part inside the message body, plain-text part after a ``-- `` line).
- :func:`sniff_image` — a logo must really be a JPEG or PNG, judged by its bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.parser import Parser
from email.policy import SMTP

from callcenter_app.common.errors import FieldError

USES = ("new", "reply", "forward")
MAX_LOGO_BYTES = 1024 * 1024
MARKER = "data-cc-signature"
# Frappe's Email Queue replaces these in the raw message when it sends (email_queue.message_placeholder)
PLACEHOLDERS = ("<!--email_open_check-->", "<!--unsubscribe_url-->", "<!--cc_message-->", "<!--recipient-->")
_BLOCK = re.compile(
	r'<div class="cc-signature" data-cc-signature="[^"]*">.*?<!--/cc-signature--></div>', re.DOTALL
)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


@dataclass(frozen=True)
class Signature:
	name: str
	agent: str = ""  # the user it belongs to; "" = shared
	active: bool = True
	is_default: bool = False  # the default for every agent without their own signature for that use
	uses: frozenset[str] = frozenset(USES)
	modified: datetime | None = None


def _order(signature: Signature) -> tuple:
	stamp = signature.modified.timestamp() if signature.modified else float("-inf")
	return (-stamp, signature.name)


def choose(signatures: Iterable[Signature], agent: str, use: str) -> Signature | None:
	"""The signature for ``agent`` writing a message of kind ``use`` (see the module docstring)."""
	if use not in USES:
		raise FieldError("use", f"must be one of {', '.join(USES)}, not {use!r}")
	candidates = [s for s in signatures if s.active and use in s.uses]
	own = [s for s in candidates if agent and s.agent == agent]
	if own:
		return min(own, key=_order)
	defaults = [s for s in candidates if s.is_default and not s.agent]
	return min(defaults, key=_order) if defaults else None


def addresses(text: str | None) -> set[str]:
	"""Every email address in a recipients/sender string, in lower case."""
	return {a.lower() for a in _EMAIL.findall(text or "")}


def use_case(recipients: str | None, customer: str | None, earlier_messages: bool) -> str:
	"""``forward`` when the customer's address is known and not among ``recipients``; ``new`` when nothing
	was written on the ticket before; otherwise ``reply``."""
	customer_addresses = addresses(customer)
	if customer_addresses and recipients and not customer_addresses & addresses(recipients):
		return "forward"
	return "reply" if earlier_messages else "new"


def check_signature(
	name: str, agent: str, is_default: bool, uses: Iterable[str], html_text: str, logo: str
) -> list[FieldError]:
	errors = []
	if not (name or "").strip():
		errors.append(FieldError("signature_name", "is empty"))
	if not set(uses) & set(USES):
		errors.append(FieldError("use_reply", "tick at least one use: new message, reply or forward"))
	if is_default and agent:
		errors.append(
			FieldError("is_default", "a default for all agents cannot belong to one agent; clear Agent")
		)
	if not _visible_text(html_text) and not (logo or "").strip():
		errors.append(FieldError("html", "write the signature or attach a logo"))
	return errors


def _visible_text(fragment: str | None) -> str:
	return html.unescape(re.sub(r"<[^>]+>", "", fragment or "")).strip()


def sniff_image(data: bytes, field: str = "logo") -> str:
	"""``"png"`` or ``"jpeg"`` for a real PNG or JPEG file; FieldError naming the field otherwise."""
	if not data:
		raise FieldError(field, "the file is empty")
	if len(data) > MAX_LOGO_BYTES:
		raise FieldError(field, f"the file is {len(data) / 1024:.0f} KB; at most {MAX_LOGO_BYTES // 1024} KB")
	if data[:8] == b"\x89PNG\r\n\x1a\n":
		if len(data) < 33 or data[12:16] != b"IHDR":
			raise FieldError(field, "is a PNG file that is cut short or damaged (no IHDR header)")
		return "png"
	if data[:3] == b"\xff\xd8\xff":
		if len(data) < 4 or data[3] < 0xC0:
			raise FieldError(field, "is a JPEG file that is cut short or damaged")
		return "jpeg"
	kind = _other_kind(data)
	raise FieldError(
		field, f"is {kind}; only JPEG or PNG images are accepted (judged by the content, not the name)"
	)


def _other_kind(data: bytes) -> str:
	head = data[:64].lstrip()
	if data[:6] in (b"GIF87a", b"GIF89a"):
		return "a GIF image"
	if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
		return "a WebP image"
	if head[:5].lower() in (b"<?xml", b"<svg ") or b"<svg" in data[:256].lower():
		return "an SVG (XML) file"
	if data[:4] == b"%PDF":
		return "a PDF document"
	if data[:2] == b"BM":
		return "a BMP image"
	return "not an image this product accepts"


def render(name: str, html_text: str, logo_url: str | None = None) -> str:
	"""The signature as one block: the agent's HTML, then the logo (when any)."""
	logo = (
		f'<p><img src="{html.escape(logo_url, quote=True)}" alt="" style="max-height: 80px; max-width: 240px;"></p>'
		if logo_url
		else ""
	)
	return (
		f'<div class="cc-signature" {MARKER}="{html.escape(name, quote=True)}">'
		f"{html_text or ''}{logo}<!--/cc-signature--></div>"
	)


def has_signature(content: str | None) -> bool:
	return MARKER in (content or "")


def signature_block(content: str | None) -> str | None:
	"""The signature block inside a message's HTML, or None."""
	match = _BLOCK.search(content or "")
	return match.group(0) if match else None


def append(content: str | None, block: str) -> str:
	"""``content`` with the signature block after it (a blank line between), unless it already has one."""
	if has_signature(content):
		return content or ""
	return f"{content or ''}<br>{block}"


def html_to_text(fragment: str) -> str:
	"""A rough plain-text version of a small HTML fragment (line breaks kept, tags dropped)."""
	text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</h\d>", "\n", fragment or "")
	text = re.sub(r"<[^>]+>", "", text)
	text = html.unescape(text)
	lines = [line.strip() for line in text.splitlines()]
	return "\n".join(line for line in lines if line)


def add_to_email(message: str, block: str) -> str:
	"""An already built MIME email (as Frappe's Email Queue stores it) with ``block`` added: into the HTML
	part right after the message body (Frappe's ``email-body`` table; else before ``</body>``; else at the
	end) and, as text after a ``-- `` line, to the plain-text part. Unchanged when it already has it."""
	if MARKER in message:
		return message
	mail = Parser(policy=SMTP).parsestr(message)
	changed = False
	for part in mail.walk():
		if part.is_multipart() or part.get_content_maintype() != "text":
			continue
		if part.get_content_disposition() == "attachment":
			continue
		subtype = part.get_content_subtype()
		if subtype == "html":
			content = _into_html(part.get_content(), block)
		elif subtype == "plain":
			content = f"{part.get_content().rstrip()}\n\n-- \n{html_to_text(block)}\n"
		else:
			continue
		# Quoted-printable, as Frappe encodes its parts, so that the placeholders stay readable in the raw
		# text; each starts a line, so that no soft line break can split one.
		for placeholder in PLACEHOLDERS:
			content = content.replace(placeholder, "\n" + placeholder)
		part.set_content(content, subtype=subtype, charset="utf-8", cte="quoted-printable")
		changed = True
	return mail.as_string(policy=SMTP) if changed else message


def _into_html(document: str, block: str) -> str:
	body_table = document.find('class="email-body"')
	if body_table != -1:
		end = document.find("</table>", body_table)
		if end != -1:
			row = f'<tr><td valign="top">{block}</td></tr>'
			return document[:end] + row + document[end:]
	close = document.lower().rfind("</body>")
	if close != -1:
		return document[:close] + block + document[close:]
	return document + block
