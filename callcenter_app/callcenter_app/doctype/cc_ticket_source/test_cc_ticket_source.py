# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: a new HD Ticket gets its team, source and weight from its source's keyword filters; bad
rules are refused naming the row and column."""

import frappe
from frappe.tests.utils import FrappeTestCase


def make_team(name: str) -> str:
	if not frappe.db.exists("HD Team", name):
		frappe.get_doc({"doctype": "HD Team", "team_name": name}).insert(ignore_permissions=True)
	return name


def make_email_account(name: str) -> str:
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": f"{frappe.scrub(name)}@example.com",
				"enable_incoming": 0,
				"enable_outgoing": 0,
				"awaiting_password": 0,
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
	return name


class TestTicketSources(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.billing, self.general, self.vip = (make_team(t) for t in ("CC Billing", "CC General", "CC VIP"))
		self.mailbox = make_email_account("CC Support Inbox")

	def tearDown(self):
		frappe.db.rollback()

	def source(self, **kw):
		return frappe.get_doc(
			{
				"doctype": "CC Ticket Source",
				"source_name": "CC Support mail",
				"source_type": "Email",
				"email_account": self.mailbox,
				"weight": 5,
				"default_team": self.general,
				"rules": [
					{
						"field": "sender_domain",
						"operator": "equals",
						"value": "bigclient.lt",
						"team": self.vip,
					},
					{"field": "subject", "operator": "contains", "value": "invoice", "team": self.billing},
					{"field": "body", "operator": "regex", "value": r"\bsąskait", "team": self.billing},
				],
				**kw,
			}
		).insert()

	def ticket(self, subject, sender="jonas@example.com", body="", **kw):
		return frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": subject,
				"raised_by": sender,
				"description": body,
				"email_account": self.mailbox,
				**kw,
			}
		).insert(ignore_permissions=True)

	def test_first_matching_rule_sets_the_team_else_the_default(self):
		self.source()
		cases = [
			(self.ticket("Invoice 42 is wrong"), self.billing),
			(self.ticket("Hello", body="<p>Kur mano sąskaita?</p>"), self.billing),
			(self.ticket("Invoice", sender="Boss <boss@BigClient.lt>"), self.vip),  # rule 1 before rule 2
			(self.ticket("Hello"), self.general),
		]
		for ticket, team in cases:
			self.assertEqual(ticket.agent_group, team, ticket.subject)
			self.assertEqual(
				(ticket.cc_source, ticket.cc_weight, ticket.cc_channel), ("CC Support mail", 5, "Email")
			)

	def test_a_team_chosen_by_hand_is_kept_and_other_tickets_are_untouched(self):
		self.source()
		self.assertEqual(self.ticket("Invoice", agent_group=self.vip).agent_group, self.vip)
		plain = frappe.get_doc(
			{"doctype": "HD Ticket", "subject": "no mailbox", "raised_by": "a@b.lt"}
		).insert()
		self.assertFalse(plain.cc_source)

	def test_bad_rules_are_refused_naming_row_and_column(self):
		with self.assertRaises(frappe.ValidationError) as e:
			self.source(
				rules=[{"field": "subject", "operator": "regex", "value": r"(re: )\1", "team": self.vip}]
			)
		self.assertIn("row 1", str(e.exception))
		self.assertIn("backreferences are not supported", str(e.exception))
		self.assertFalse(frappe.db.exists("CC Ticket Source", "CC Support mail"))

	def test_one_source_per_mailbox(self):
		self.source()
		with self.assertRaisesRegex(frappe.ValidationError, "already watched by source CC Support mail"):
			self.source(source_name="CC Second")

	def test_a_missed_call_ticket_follows_its_queues_phone_source(self):
		from callcenter_app.telephony.call_logs.service import upsert_call_logs
		from callcenter_app.telephony.call_tickets.service import link_calls_to_tickets
		from callcenter_app.test_utils import make_agent, make_call_queue

		make_agent("cc-src-ann@example.com", "cc-src-ann")
		queue = make_call_queue("cc-src-q", [("cc-src-ann@example.com", 0, 0)])
		frappe.get_doc(
			{
				"doctype": "CC Ticket Source",
				"source_name": "CC Hotline",
				"source_type": "Phone",
				"call_queue": queue,
				"weight": 9,
				"default_team": self.vip,
			}
		).insert()
		settings = frappe.get_single("CC Settings")
		settings.ticket_for_missed_calls = 1
		settings.save()
		record = {
			"linkedid": "cc-src.1",
			"status": "abandoned",
			"direction": "inbound",
			"caller": "+37060011111",
			"queue": queue,
			"start": 1795339039.0,
			"end": 1795339100.0,
		}
		upsert_call_logs([record])
		link_calls_to_tickets(["cc-src.1"])
		ticket = frappe.get_doc("HD Ticket", frappe.db.get_value("CC Call Log", "cc-src.1", "ticket"))
		self.assertEqual((ticket.agent_group, ticket.cc_weight, ticket.cc_channel), (self.vip, 9, "Phone"))
