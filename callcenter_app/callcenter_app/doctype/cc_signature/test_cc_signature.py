# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: an agent's reply through Helpdesk's own ``reply_via_agent`` carries the agent's signature
once, on the ticket and in the queued email; the default applies to agents without their own; received
messages and SMS get none; the logo must be a public JPEG or PNG by its bytes; agents manage only their own
signatures."""

import struct
import zlib
from email.parser import Parser
from email.policy import SMTP

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.test_utils import make_agent, make_signature

CUSTOMER = "jonas.customer@example.com"


def png_bytes() -> bytes:
	def chunk(kind: bytes, data: bytes) -> bytes:
		return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

	header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
	return (
		b"\x89PNG\r\n\x1a\n"
		+ chunk(b"IHDR", header)
		+ chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
		+ chunk(b"IEND", b"")
	)


def make_file(name: str, content: bytes, private: int = 0) -> str:
	file = frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": private})
	file.insert(ignore_permissions=True)
	return file.file_url


def outgoing_account() -> str:
	name = "CC Signature Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "support.cc@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.example.com",
				"no_smtp_authentication": 1,
				"enable_incoming": 0,
				"awaiting_password": 0,
			}
		).insert(ignore_permissions=True)
	return name


class TestSignatures(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.agent = make_agent("cc-sig-agent@example.com")
		self.other_agent = make_agent("cc-sig-other@example.com")
		outgoing_account()
		self.ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Printer on fire",
				"raised_by": CUSTOMER,
				"description": "<p>Help please</p>",
			}
		).insert(ignore_permissions=True)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def reply_as(self, user: str, message: str = "<p>Your printer is fixed.</p>"):
		frappe.set_user(user)
		try:
			frappe.get_doc("HD Ticket", self.ticket.name).reply_via_agent(message)
		finally:
			frappe.set_user("Administrator")
		name = frappe.get_all(
			"Communication",
			filters={
				"reference_doctype": "HD Ticket",
				"reference_name": self.ticket.name,
				"sent_or_received": "Sent",
			},
			order_by="creation desc",
			limit=1,
			pluck="name",
		)[0]
		return frappe.get_doc("Communication", name)

	def queued_html(self, communication: str) -> str:
		message = frappe.db.get_value("Email Queue", {"communication": communication}, "message")
		self.assertTrue(message, "Helpdesk queued no email for the reply")
		return Parser(policy=SMTP).parsestr(message).get_body(("html",)).get_content()

	def test_an_agents_reply_carries_their_signature_once_on_the_ticket_and_in_the_email(self):
		logo = make_file("cc-signature-logo.png", png_bytes())
		make_signature("Ann", agent=self.agent, html="<p>Ann K. – Support</p>", logo=logo)
		make_signature("Company", is_default=1, html="<p>The Company</p>")
		communication = self.reply_as(self.agent)
		self.assertEqual(communication.content.count("data-cc-signature"), 1)
		self.assertIn('data-cc-signature="Ann"', communication.content)
		self.assertIn("Ann K. – Support", communication.content)
		self.assertIn(f"{frappe.utils.get_url()}{logo}", communication.content)
		self.assertNotIn("The Company", communication.content)
		self.assertLess(
			communication.content.index("printer is fixed"), communication.content.index("Ann K.")
		)
		html = self.queued_html(communication.name)
		self.assertEqual(html.count("data-cc-signature"), 1)
		self.assertLess(html.index("printer is fixed"), html.index("Ann K. – Support"))

	def test_the_default_signs_for_agents_without_their_own(self):
		make_signature("Ann", agent=self.agent)
		make_signature("Company", is_default=1, html="<p>The Company</p>")
		communication = self.reply_as(self.other_agent)
		self.assertIn('data-cc-signature="Company"', communication.content)

	def test_a_signature_not_for_replies_is_not_used_for_a_reply(self):
		make_signature("Ann new only", agent=self.agent, use_reply=0, use_forward=0)
		communication = self.reply_as(self.agent)
		self.assertNotIn("data-cc-signature", communication.content)

	def test_a_communication_that_already_has_a_signature_gets_no_second_one(self):
		make_signature("Ann", agent=self.agent)
		first = self.reply_as(self.agent)
		again = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Sent",
				"sender": self.agent,
				"recipients": CUSTOMER,
				"content": first.content,
				"reference_doctype": "HD Ticket",
				"reference_name": self.ticket.name,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(again.content.count("data-cc-signature"), 1)

	def test_received_messages_and_sms_are_never_signed(self):
		make_signature("Company", is_default=1)
		received = frappe.get_all(
			"Communication",
			filters={"reference_name": self.ticket.name, "sent_or_received": "Received"},
			pluck="content",
		)
		self.assertTrue(received)
		self.assertFalse(any("data-cc-signature" in c for c in received))
		sms = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "SMS",
				"sent_or_received": "Sent",
				"content": "See you at 10",
				"reference_doctype": "HD Ticket",
				"reference_name": self.ticket.name,
			}
		).insert(ignore_permissions=True)
		self.assertNotIn("data-cc-signature", sms.content)

	def test_a_forward_uses_the_forward_signature(self):
		make_signature("Ann replies", agent=self.agent, use_forward=0)
		make_signature("Ann forwards", agent=self.agent, use_new=0, use_reply=0)
		frappe.set_user(self.agent)
		try:
			frappe.get_doc("HD Ticket", self.ticket.name).reply_via_agent(
				"<p>FYI</p>", to="partner@example.com"
			)
		finally:
			frappe.set_user("Administrator")
		content = frappe.db.get_value(
			"Communication",
			{"reference_name": self.ticket.name, "recipients": "partner@example.com"},
			"content",
		)
		self.assertIn('data-cc-signature="Ann forwards"', content)

	def test_the_logo_must_be_a_public_jpeg_or_png_by_its_bytes(self):
		cases = [
			(make_file("cc-fake-logo.png", b"GIF89a" + b"\x00" * 32), "GIF"),
			(make_file("cc-private-logo.png", png_bytes(), private=1), "private"),
		]
		for logo, words in cases:
			with self.subTest(logo=logo):
				with self.assertRaises(frappe.ValidationError) as e:
					make_signature("Bad logo", agent=self.agent, logo=logo)
				self.assertIn("Logo", str(e.exception))
				self.assertIn(words, str(e.exception))
		self.assertTrue(
			make_signature("Good logo", agent=self.agent, logo=make_file("cc-good.png", png_bytes()))
		)

	def test_agents_manage_only_their_own_signatures(self):
		frappe.set_user(self.agent)
		try:
			self.assertTrue(make_signature("Mine", agent=self.agent))
			with self.assertRaises(frappe.ValidationError) as e:
				make_signature("Theirs", agent=self.other_agent)
			self.assertIn("Agent", str(e.exception))
			with self.assertRaises(frappe.ValidationError) as e:
				make_signature("For all", is_default=1)
			self.assertIn("Default for all agents", str(e.exception))
		finally:
			frappe.set_user("Administrator")
