# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the desk notifications (common/notify): each kind reaches the right users once, never
the actor, never a user who switched the kind off; assignments stay Frappe's own notification."""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from callcenter_app.common.notify import service
from callcenter_app.test_utils import make_agent, make_campaign, make_campaign_contact, make_operator
from callcenter_app.tickets import tasks

ANN, BOB, CID, LEA = (f"{n}@notify.test" for n in ("ann", "bob", "cid", "lea"))
OP1, OP2 = "op1@notify.test", "op2@notify.test"


def make_team(name: str, members: list[str], **policy) -> str:
	if frappe.db.exists("HD Team", name):
		team = frappe.get_doc("HD Team", name)
	else:
		team = frappe.get_doc({"doctype": "HD Team", "team_name": name}).insert(ignore_permissions=True)
		team.reload()
	team.set("users", [{"user": m} for m in members])
	team.update(policy)
	team.save(ignore_permissions=True)
	return name


def outgoing_account() -> str:
	name = "CC Notify Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "notify.cc@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.example.com",
				"no_smtp_authentication": 1,
				"enable_incoming": 0,
				"awaiting_password": 0,
			}
		).insert(ignore_permissions=True)
	# on for this test (another module may have switched it, or every account, off)
	frappe.db.set_value("Email Account", name, {"enable_outgoing": 1, "default_outgoing": 1})
	frappe.local.outgoing_email_account = {}
	return name


def outgoing_off(name: str) -> None:
	"""Left on, every later Notification Log on the site is mailed at once (in tests) and commits."""
	frappe.db.set_value("Email Account", name, {"enable_outgoing": 0, "default_outgoing": 0})
	frappe.db.commit()
	frappe.local.outgoing_email_account = {}


def switch_off(user: str, kind: str) -> None:
	if not frappe.db.exists("Notification Settings", user):
		frappe.get_doc({"doctype": "Notification Settings", "name": user}).insert(ignore_permissions=True)
	frappe.db.set_value("Notification Settings", user, f"cc_notify_{kind}", 0)


def told(document_name: str, subject_part: str = "") -> list[str]:
	"""Users with a notification about ``document_name`` (sorted, one entry per log: duplicates show)."""
	rows = frappe.get_all(
		"Notification Log",
		filters={"document_name": document_name, "subject": ["like", f"%{subject_part}%"]},
		pluck="for_user",
	)
	return sorted(rows)


class NotifyTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		for user in (ANN, BOB, CID, LEA):
			make_agent(user)
		for user in (OP1, OP2):
			make_operator(user)
		frappe.db.commit()  # nosemgrep: test fixtures shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Notification Log", {"for_user": ["like", "%@notify.test"]})
		frappe.db.delete("Notification Settings", {"name": ["like", "%@notify.test"]})
		# Manual: Helpdesk's round-robin stays off, so nobody is assigned behind the test's back
		self.team = make_team("CC Notify Team", [ANN, BOB, CID], cc_team_lead=LEA, cc_distribution="Manual")
		frappe.flags.cc_new_tickets = set()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def ticket(self, subject: str = "printer on fire", **kw) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": subject,
				"raised_by": "client@example.com",
				"agent_group": self.team,
				**kw,
			}
		).insert(ignore_permissions=True)
		frappe.db.after_commit.run()  # the new-ticket notice waits for the commit
		return doc.name

	def assign(self, ticket: str, user: str) -> None:
		from frappe.desk.form.assign_to import add

		add({"assign_to": [user], "doctype": "HD Ticket", "name": ticket}, ignore_permissions=True)

	def received(self, ticket: str, sender: str = "client@example.com"):
		frappe.flags.cc_new_tickets = set()  # a later message, not the one a ticket was made for
		return frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"reference_doctype": "HD Ticket",
				"reference_name": ticket,
				"sender": sender,
				"subject": "more",
				"content": "one more thing",
			}
		).insert(ignore_permissions=True)


class TestTicketNotices(NotifyTestCase):
	def test_new_ticket_reaches_the_team_once_not_the_agent_who_made_it_nor_who_switched_it_off(self):
		switch_off(CID, "new_ticket")
		frappe.set_user(ANN)
		name = self.ticket()
		frappe.set_user("Administrator")
		self.assertEqual(told(name, "New ticket"), [BOB])

	def test_a_ticket_merged_away_before_the_commit_tells_nobody(self):
		doc = frappe.get_doc(
			{"doctype": "HD Ticket", "subject": "dup", "raised_by": "c@example.com", "agent_group": self.team}
		).insert(ignore_permissions=True)
		frappe.db.set_value("HD Ticket", doc.name, "cc_merged_into", doc.name)
		frappe.db.after_commit.run()
		self.assertEqual(told(doc.name, "New ticket"), [])

	def test_customer_reply_reaches_the_assignee_else_the_team(self):
		name = self.ticket()
		self.received(name)
		self.assertEqual(told(name, "replied"), [ANN, BOB, CID])  # nobody holds it yet: the team
		frappe.db.delete("Notification Log", {"document_name": name})
		self.assign(name, BOB)
		self.received(name)
		self.assertEqual(told(name, "replied"), [BOB])
		switch_off(BOB, "customer_reply")
		self.received(name)
		self.assertEqual(told(name, "replied"), [BOB])  # still the one from before

	def test_reply_to_a_closed_ticket_reaches_whoever_held_it_and_is_no_customer_reply(self):
		name = self.ticket()
		self.assign(name, ANN)
		frappe.db.set_value("HD Ticket", name, "status", "Closed")
		frappe.db.set_value("ToDo", {"reference_name": name}, "status", "Closed")
		frappe.db.set_value("HD Ticket", name, "_assign", "[]")
		frappe.db.delete("Notification Log", {"document_name": name})
		self.received(name)
		self.assertEqual(told(name, "closed ticket"), [ANN])
		self.assertEqual(told(name, "replied"), [])

	def test_mention_found_by_helpdesk_reaches_the_desk_bar_once_not_the_author(self):
		self.addCleanup(outgoing_off, outgoing_account())  # Helpdesk mails its own mention notice
		name = self.ticket()
		frappe.set_user(ANN)
		comment = frappe.get_doc(
			{
				"doctype": "HD Ticket Comment",
				"reference_ticket": name,
				"commented_by": ANN,
				"content": f'<p>see <span class="mention" data-type="mention" data-id="{BOB}" data-label="Bob">@Bob</span>'
				f' and me <span class="mention" data-type="mention" data-id="{ANN}" data-label="Ann">@Ann</span></p>',
			}
		).insert(ignore_permissions=True)
		frappe.set_user("Administrator")
		self.assertTrue(
			frappe.db.exists("HD Notification", {"reference_comment": comment.name, "user_to": BOB})
		)
		logs = frappe.get_all(
			"Notification Log", filters={"document_name": name, "type": "Mention"}, pluck="for_user"
		)
		self.assertEqual(logs, [BOB])

	def test_reaction_overdue_reaches_assignees_and_team_lead_once_not_who_switched_it_off(self):
		name = self.ticket()
		self.assign(name, ANN)
		self.assign(name, CID)
		switch_off(CID, "overdue")
		frappe.db.set_value("HD Ticket", name, {"cc_reaction_due": add_to_date(now_datetime(), hours=-1)})
		tasks.flag_reaction_breaches()
		tasks.flag_reaction_breaches()
		self.assertEqual(told(name, "Reaction time"), [ANN, LEA])

	def test_resolution_overdue_reaches_assignee_and_team_lead_once_and_not_who_switched_it_off(self):
		name = self.ticket()
		self.assign(name, ANN)
		switch_off(LEA, "overdue")
		frappe.db.set_value("HD Ticket", name, "resolution_by", add_to_date(now_datetime(), hours=-1))
		self.assertIn(name, service.flag_resolution_breaches())
		self.assertNotIn(name, service.flag_resolution_breaches())
		self.assertEqual(told(name, "Resolution time"), [ANN])

	def test_snooze_expired_reaches_its_owner_once(self):
		name = self.ticket()
		self.assign(name, CID)
		frappe.db.set_value(
			"HD Ticket",
			name,
			{
				"cc_snoozed": 1,
				"cc_snoozed_until": add_to_date(now_datetime(), minutes=-1),
				"cc_snoozed_by": CID,
				"cc_snooze_reason": "waiting for parts",
			},
		)
		tasks.wake_snoozed_tickets()
		tasks.wake_snoozed_tickets()
		self.assertEqual(told(name, "back from snooze"), [CID])

	def test_assignment_stays_frappes_own_notification_and_is_not_sent_twice(self):
		name = self.ticket()
		frappe.db.delete("Notification Log", {"document_name": name})
		frappe.set_user(ANN)
		self.assign(name, BOB)
		self.assign(name, ANN)  # to oneself: nobody is told
		frappe.set_user("Administrator")
		logs = frappe.get_all(
			"Notification Log", filters={"document_name": name}, fields=["for_user", "type"]
		)
		self.assertEqual([(r.for_user, r.type) for r in logs], [(BOB, "Assignment")])


class TestCampaignNotices(NotifyTestCase):
	def setUp(self):
		super().setUp()
		self.campaign = make_campaign("CC Notify Campaign", operators=(OP1, OP2))

	def callback(self, visibility: str, owner: str | None = None, minutes: int = -1) -> str:
		self.phones = getattr(self, "phones", 110) + 1
		contact = make_campaign_contact(self.campaign, f"+37060000{self.phones}", full_name="Rita")
		doc = frappe.get_doc(
			{
				"doctype": "CC Callback",
				"campaign": self.campaign,
				"campaign_contact": contact,
				"due_at": add_to_date(now_datetime(), minutes=minutes),
				"visibility": visibility,
				"owner_user": owner,
				"status": "Open",
			}
		)
		doc.flags.ignore_validate = True  # due in the past: the scheduler's case
		doc.insert(ignore_permissions=True)
		return doc.name

	def test_callback_due_reaches_a_private_owner_or_the_campaign_operators_once(self):
		private = self.callback("Private", OP1)
		public = self.callback("Public")
		later = self.callback("Public", minutes=30)
		switch_off(OP2, "callback_due")
		done = service.notify_due_callbacks()
		self.assertEqual(sorted(done), sorted([private, public]))
		self.assertEqual(service.notify_due_callbacks(), [])
		self.assertEqual(told(private), [OP1])
		self.assertEqual(told(public), [OP1])  # OP2 switched it off
		self.assertEqual(told(later), [])

	def test_next_contact_due_reaches_the_operator_who_called_last_once_per_retry_time(self):
		contact = make_campaign_contact(
			self.campaign, "+37060000222", full_name="Sam", status="Retry",
			next_attempt_at=add_to_date(now_datetime(), minutes=-1),
		)  # fmt: skip
		for operator, minutes in ((OP1, -30), (OP2, -10)):
			frappe.get_doc(
				{
					"doctype": "CC Call Attempt",
					"campaign": self.campaign,
					"campaign_contact": contact,
					"phone": "+37060000222",
					"operator": operator,
					"started_at": add_to_date(now_datetime(), minutes=minutes),
				}
			).insert(ignore_permissions=True)
		self.assertEqual(service.notify_due_contacts(), [contact])
		self.assertEqual(service.notify_due_contacts(), [])
		self.assertEqual(told(contact), [OP2])
		frappe.db.set_value(
			"CC Campaign Contact", contact, "next_attempt_at", add_to_date(now_datetime(), seconds=-5)
		)
		self.assertEqual(service.notify_due_contacts(), [contact])  # a new retry time: told again
		self.assertEqual(told(contact), [OP2, OP2])
