"""Which /helpdesk responses get the app's bundle, and how its tags go into the page (helpdesk_ui/page.py)."""

from __future__ import annotations

import json
import pathlib
import re

from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.helpdesk_ui import page

FORM_SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "callcenter_app/public/js/helpdesk/form_script.js"


def test_helpdesk_pages():
	for path in (
		"/helpdesk",
		"/helpdesk/",
		"/helpdesk/tickets",
		"/helpdesk/tickets/12",
		"/helpdesk/my-tickets",
	):
		assert page.is_helpdesk_page(path), path
	for path in (
		"/",
		"/app/hd-ticket",
		"/helpdesks",
		"/api/method/x",
		"/assets/helpdesk/desk/index.js",
		None,
		"",
	):
		assert not page.is_helpdesk_page(path), path


def test_only_successful_html():
	assert page.is_html("text/html", 200)
	assert page.is_html("TEXT/HTML; charset=utf-8", 200)
	assert not page.is_html("application/json", 200)
	assert not page.is_html("text/html", 404)
	assert not page.is_html(None, 200)


HTML = '<!DOCTYPE html><html><head></head><body><div id="app"></div>\n<script>x</script></body></html>'


def test_tags_go_before_the_end_of_the_body_once():
	snippet = page.tags(["/assets/a.js"], ["/assets/a.css"], {"user": "a@x"})
	out = page.inject(HTML, snippet)
	assert out.index('<div id="app">') < out.index("callcenter_helpdesk_boot") < out.index("</body>")
	assert '<script defer src="/assets/a.js"></script>' in out
	assert '<link rel="stylesheet" href="/assets/a.css">' in out
	assert page.inject(out, snippet) == out
	assert page.inject("<p>no body</p>", snippet).endswith(snippet)


def test_scripts_keep_their_order():
	out = page.tags(["/a.js", "/b.js"], [], {})
	assert out.index("/a.js") < out.index("/b.js")


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=4))
def test_boot_data_cannot_close_the_script(boot):
	snippet = page.tags([], [], boot)
	body = snippet.split("<script>", 1)[1].split("</script>", 1)[0]
	assert "<" not in body and ">" not in body
	data = body.removeprefix("window.callcenter_helpdesk_boot = ").removesuffix(";")
	assert json.loads(data) == boot


def test_attribute_values_are_escaped():
	assert '"/x.js?a=1&amp;b=&quot;"' in page.tags(['/x.js?a=1&b="'], [], {})


def test_form_script_defines_setup_form_with_the_actions():
	"""Helpdesk runs ``new Function(script + "return setupForm")``: the script must define ``setupForm``
	and name each tool the bundle implements."""
	text = FORM_SCRIPT.read_text()
	assert re.search(r"^function setupForm\(", text, re.M)
	for action in ("call", "sms", "snooze", "reactivate", "clock", "transfer"):
		assert f'run("{action}")' in text, action
	bundle = FORM_SCRIPT.with_name("ticket.js").read_text()
	for action in ("call", "sms", "snooze", "reactivate", "clock", "transfer"):
		assert re.search(rf"^\t(async )?{action}\(", bundle, re.M), action


def test_header_rules_keep_helpdesks_header_on_one_line():
	"""The bundle's style holds the header rules (buttons keep their labels, a long subject gives way), scoped
	to Helpdesk's page header; the layout itself is checked in Chromium (tests/e2e/helpdesk/run.cjs)."""
	style = FORM_SCRIPT.with_name("style.js").read_text()
	header = style.split("export const HEADER_CSS = `", 1)[1].split("`;", 1)[0]
	css = style.split("export const CSS = `", 1)[1]
	assert "${HEADER_CSS}" in css
	rules = [r.strip() for r in header.split("}") if r.strip()]
	assert rules and all(r.startswith("#app-header") for r in rules), rules
	assert re.search(r"div:last-child button \{ white-space: nowrap; \}", header)
	assert re.search(r"div:first-child,[^{]*\{ min-width: 0; \}", header)
