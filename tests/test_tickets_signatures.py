"""Signatures (tickets/signatures): which one applies, what kind of message it is, the marked block added
once, the logo judged by its bytes, and the block copied into an already built email."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import Parser
from email.policy import SMTP

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.signatures.rules import (
	USES,
	Signature,
	add_to_email,
	append,
	check_signature,
	choose,
	has_signature,
	html_to_text,
	render,
	signature_block,
	sniff_image,
	use_case,
)

T0 = datetime(2026, 1, 1, 9, 0)


def png_bytes() -> bytes:
	def chunk(kind: bytes, data: bytes) -> bytes:
		return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

	header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
	pixels = zlib.compress(b"\x00\xff\x00\x00")
	return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


# --- choose ---------------------------------------------------------------------------------------------


def test_the_agents_own_signature_wins_over_the_default():
	own = Signature("Ann", agent="ann@x.lt")
	default = Signature("Company", is_default=True)
	assert choose([default, own], "ann@x.lt", "reply") == own
	assert choose([default, own], "bob@x.lt", "reply") == default


def test_the_use_case_must_be_ticked():
	own_new_only = Signature("Ann new", agent="ann@x.lt", uses=frozenset({"new"}))
	default = Signature("Company", is_default=True, uses=frozenset({"reply", "forward"}))
	assert choose([own_new_only, default], "ann@x.lt", "new") == own_new_only
	assert choose([own_new_only, default], "ann@x.lt", "reply") == default
	assert choose([own_new_only], "ann@x.lt", "forward") is None


def test_inactive_shared_non_default_and_others_signatures_never_apply():
	signatures = [
		Signature("Off", agent="ann@x.lt", active=False),
		Signature("Shared", agent=""),
		Signature("Bob", agent="bob@x.lt"),
		Signature("Default off", is_default=True, active=False),
		Signature("Bad default", agent="bob@x.lt", is_default=True),
	]
	assert choose(signatures, "ann@x.lt", "reply") is None


def test_ties_go_to_the_most_recently_modified_then_the_lowest_name():
	a = Signature("A", agent="ann@x.lt", modified=T0)
	b = Signature("B", agent="ann@x.lt", modified=T0 + timedelta(minutes=1))
	c = Signature("C", agent="ann@x.lt", modified=T0 + timedelta(minutes=1))
	assert choose([a, c, b], "ann@x.lt", "new") == b


@given(st.permutations(range(5)), st.sampled_from(USES))
def test_the_choice_does_not_depend_on_the_order_given(order, use):
	signatures = [
		Signature("S0", agent="ann@x.lt", modified=T0, uses=frozenset({"new", "reply"})),
		Signature("S1", agent="ann@x.lt", modified=T0, uses=frozenset({"reply"})),
		Signature("S2", is_default=True, modified=T0 + timedelta(hours=1)),
		Signature("S3", is_default=True, modified=T0 + timedelta(hours=1)),
		Signature("S4", agent="ann@x.lt", modified=None, uses=frozenset({"forward"})),
	]
	shuffled = [signatures[i] for i in order]
	assert choose(shuffled, "ann@x.lt", use) == choose(signatures, "ann@x.lt", use)
	assert choose(signatures, "zoe@x.lt", use).name == "S2"


def test_an_unknown_use_is_named():
	with pytest.raises(FieldError) as e:
		choose([], "ann@x.lt", "fax")
	assert e.value.field == "use"


# --- use case -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"recipients, customer, earlier, expected",
	[
		("jonas@example.com", "Jonas <Jonas@Example.com>", True, "reply"),
		("jonas@example.com, boss@example.com", "jonas@example.com", True, "reply"),
		("billing@partner.lt", "jonas@example.com", True, "forward"),
		("jonas@example.com", "jonas@example.com", False, "new"),
		("", "jonas@example.com", True, "reply"),  # Helpdesk without the email workflow: no recipients
		("x@y.lt", "", False, "new"),  # no known customer address: never a forward
	],
)
def test_use_case(recipients, customer, earlier, expected):
	assert use_case(recipients, customer, earlier) == expected


# --- checks and the logo --------------------------------------------------------------------------------


def test_check_signature_names_each_problem():
	assert not check_signature("Ann", "ann@x.lt", False, ["reply"], "<p>Ann</p>", "")
	fields = [e.field for e in check_signature(" ", "ann@x.lt", True, [], "<p> </p>", "")]
	assert fields == ["signature_name", "use_reply", "is_default", "html"]
	assert not check_signature("Logo only", "", True, ["new"], "", "/files/logo.png")


def test_sniff_image_accepts_real_png_and_jpeg():
	assert sniff_image(png_bytes()) == "png"
	assert sniff_image(JPEG) == "jpeg"


@pytest.mark.parametrize(
	"data, words",
	[
		(b"", "empty"),
		(b"GIF89a" + b"\x00" * 20, "GIF"),
		(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
		(b"<svg onload=alert(1)>", "SVG"),
		(b"%PDF-1.7", "PDF"),
		(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
		(b"\x89PNG\r\n\x1a\n", "cut short"),
		(b"\xff\xd8\xff", "cut short"),
		(b"MZ\x90\x00 a program renamed logo.png", "not an image"),
		(b"\xff\xd8\xff\xe0" + b"\x00" * (1024 * 1024), "at most"),
	],
)
def test_sniff_image_refuses_everything_else_naming_the_field(data, words):
	with pytest.raises(FieldError) as e:
		sniff_image(data)
	assert e.value.field == "logo"
	assert words in e.value.reason


# --- the block ------------------------------------------------------------------------------------------


def test_render_marks_the_block_and_escapes_name_and_url():
	block = render('Ann "the best"', "<p>Ann</p>", 'https://x.lt/files/a.png?"onerror=1')
	assert has_signature(block)
	assert 'data-cc-signature="Ann &quot;the best&quot;"' in block
	assert '"onerror' not in block
	assert signature_block(f"<p>Hi</p><br>{block}") == block


def test_append_adds_the_block_once():
	block = render("Ann", "<p>Ann</p>")
	once = append("<p>Hi</p>", block)
	assert once == f"<p>Hi</p><br>{block}"
	assert append(once, render("Other", "<p>Other</p>")) == once


def test_html_to_text():
	assert (
		html_to_text("<p>Ann <b>K.</b></p><p>Call &amp; text</p><br>+370 600")
		== "Ann K.\nCall & text\n+370 600"
	)


def built_email(html: str, text: str) -> str:
	"""An email built the way Frappe's QueueBuilder builds one (multipart/mixed > alternative)."""
	root = MIMEMultipart("mixed")
	alternative = MIMEMultipart("alternative")
	alternative.attach(MIMEText(text, "plain", "utf-8"))
	alternative.attach(MIMEText(html, "html", "utf-8"))
	root.attach(alternative)
	root["Subject"] = "Re: Printer (#12)"
	root["To"] = "<!--recipient-->"
	return root.as_string()


FRAPPE_HTML = (
	'<html><body><table class="email-body"><tr><td><p><p>Hello Jonas</p></p></td></tr></table>'
	'<table class="email-footer"><tr><td data-email-footer="true">Sent via Helpdesk</td></tr></table>'
	"<!--email_open_check--></body></html>"
)


def test_add_to_email_puts_the_block_after_the_body_and_in_the_text_part():
	block = render("Ann", "<p>Ann K. – Support</p>")
	message = add_to_email(built_email(FRAPPE_HTML, "Hello Jonas"), block)
	mail = Parser(policy=SMTP).parsestr(message)
	html = mail.get_body(("html",)).get_content()
	text = mail.get_body(("plain",)).get_content()
	assert html.index("Hello Jonas") < html.index("Ann K. – Support") < html.index("Sent via Helpdesk")
	assert "<!--email_open_check-->" in html and "To: <!--recipient-->" in message
	assert text.replace("\r\n", "\n").startswith("Hello Jonas\n\n-- \nAnn K. – Support")
	assert add_to_email(message, block) == message


def test_add_to_email_without_frappes_layout_goes_before_body_end_or_at_the_end():
	block = render("Ann", "<p>Ann</p>")
	for html in ("<html><body><p>Hi</p></body></html>", "<p>Hi</p>"):
		mail = Parser(policy=SMTP).parsestr(add_to_email(built_email(html, "Hi"), block))
		content = mail.get_body(("html",)).get_content()
		assert content.index("Hi") < content.index("data-cc-signature")


def test_placeholders_frappe_fills_at_sending_survive_long_lines():
	"""Frappe replaces ``<!--email_open_check-->`` in the raw text when it sends: re-encoding a long line
	must not split it across a soft line break."""
	html = "<html><body><p>" + "a" * 60 + "<!--email_open_check--></p></body></html>"
	raw = (
		'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n'
		"MIME-Version: 1.0\r\n\r\n" + html + "\r\n"
	)
	signed = add_to_email(raw, render("Ann", "<p>Ann</p>"))
	assert "<!--email_open_check-->" in signed
	content = Parser(policy=SMTP).parsestr(signed).get_content()
	assert content.index("<!--email_open_check-->") < content.index("data-cc-signature")
