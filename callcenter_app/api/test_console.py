# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the operator console's endpoints (api/console.py): who may do what, the preview flow
next → dial → outcome on real records with the AMI peer of the pure suite on a loopback port (never a
patched database), callbacks and their visibility, do-not-call and calling windows, transfers, pauses,
inbound calls and the realtime notices."""

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from callcenter_app.api import console as api
from callcenter_app.dialer import service as dialer
from callcenter_app.telephony.presence import service as presence
from callcenter_app.test_utils import (
	make_agent,
	make_call_queue,
	make_campaign,
	make_campaign_contact,
	make_contact,
	make_operator,
	make_user,
	peer_thread,
)

CAMPAIGN = "CC Test Console"
OTHER = "CC Test Console Other"
VILNIUS = "+37060012345"
KAUNAS = "+37060054321"
KLAIPEDA = "+37060099999"


def contact_row(name: str) -> frappe._dict:
	return frappe.db.get_value(
		"CC Campaign Contact",
		name,
		["status", "attempts", "dialing_operator", "last_outcome"],
		as_dict=True,
	)


def operator_active(campaign: str, user: str) -> int:
	return frappe.db.get_value(
		"CC Campaign Operator", {"parenttype": "CC Campaign", "parent": campaign, "user": user}, "active"
	)


class ConsoleCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.ann = make_agent("cc-con-ann@example.com", "cc-con-ann", roles=("Agent", "Operator"))
		cls.bob = make_agent("cc-con-bob@example.com", "cc-con-bob", roles=("Agent", "Operator"))
		cls.eve = make_operator("cc-con-eve@example.com")  # an operator of the other campaign only
		cls.nobody = make_user("cc-con-nobody@example.com")  # no console role at all
		cls.agent = make_agent("cc-con-agent@example.com", "cc-con-agent")  # a helpdesk agent, no campaign
		cls.boss = make_user("cc-con-boss@example.com", ("Call Center Manager",))
		frappe.db.commit()  # users take seconds each to create: made once and kept, like test records

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		self.campaign = make_campaign(CAMPAIGN, operators=(self.ann, self.bob))
		self.other = make_campaign(OTHER, operators=(self.eve,))
		for user in (self.ann, self.bob, self.eve):
			frappe.defaults.clear_user_default("cc_console_campaign", user)
			frappe.defaults.clear_user_default("cc_console_resume_mode", user)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def claim(self, user: str, phone: str = VILNIUS) -> str:
		"""``user`` takes ``phone``'s contact with Next (the only one due in the campaign)."""
		name = make_campaign_contact(self.campaign, phone)
		frappe.set_user(user)
		view = api.next_preview(self.campaign)
		self.assertEqual(view["contact"]["name"], name)
		return name


class TestWhoMayAct(ConsoleCase):
	def calls(self, contact: str) -> dict:
		c = self.campaign
		return {
			"join": lambda: api.join(c),
			"leave": lambda: api.leave(c),
			"switch": lambda: api.switch(c),
			"current": lambda: api.current(c),
			"take_call": lambda: api.take_call(c, number=VILNIUS),
			"next_preview": lambda: api.next_preview(c),
			"dial": lambda: api.dial(c, contact),
			"set_outcome": lambda: api.set_outcome(c, contact, "Success"),
			"skip": lambda: api.skip(c, contact),
			"transfer": lambda: api.transfer(c, self.ann),
		}

	def test_every_method_refuses_a_non_operator_and_an_operator_of_another_campaign(self):
		contact = make_campaign_contact(self.campaign, VILNIUS)
		for user in (self.nobody, self.eve):
			frappe.set_user(user)
			for method, call in self.calls(contact).items():
				with self.subTest(user=user, method=method), self.assertRaises(frappe.PermissionError):
					call()
		frappe.set_user(self.nobody)
		for call in (api.my_campaigns, api.resume, lambda: api.pause("Break")):
			with self.assertRaises(frappe.PermissionError):
				call()
		frappe.set_user(self.eve)
		self.assertEqual([c["name"] for c in api.my_campaigns()["campaigns"]], [OTHER])

	def test_an_inactive_operator_may_join_but_not_act_and_a_helpdesk_agent_may_not_pause(self):
		contact = make_campaign_contact(self.campaign, VILNIUS)
		frappe.db.set_value("CC Campaign Operator", {"parent": self.campaign, "user": self.bob}, "active", 0)
		frappe.set_user(self.bob)
		for method, call in self.calls(contact).items():
			if method in ("join", "leave"):
				continue
			with self.subTest(method=method), self.assertRaises(frappe.PermissionError):
				call()
		self.assertEqual(api.my_campaigns()["campaigns"][0]["joined"], False)
		frappe.set_user(self.agent)
		with self.assertRaises(frappe.PermissionError):
			api.pause("Break")

	def test_managers_see_every_campaign_but_act_only_where_they_are_operators(self):
		contact = make_campaign_contact(self.campaign, VILNIUS)
		frappe.set_user(self.boss)
		names = [c["name"] for c in api.my_campaigns()["campaigns"]]
		self.assertIn(self.campaign, names)
		self.assertIn(self.other, names)
		self.assertEqual(api.current(self.campaign)["contact"], None)
		self.assertEqual(api.current(self.campaign, contact)["contact"]["phone"], VILNIUS)
		with self.assertRaises(frappe.PermissionError):
			api.next_preview(self.campaign)


class TestJoinAndLeave(ConsoleCase):
	def test_join_logs_into_the_phone_and_the_campaign_queue_and_leave_gives_contacts_back(self):
		queue = make_call_queue("cc-con-inbound", [])
		inbound = make_campaign(
			"CC Test Console Inbound", operators=(self.bob,), direction="Inbound", call_queue=queue
		)
		frappe.db.set_value("CC Campaign Operator", {"parent": inbound, "user": self.bob}, "active", 0)
		self.assertNotIn(queue, presence.queues_of(self.bob))
		frappe.set_user(self.bob)
		state = api.join(inbound)
		self.assertEqual(operator_active(inbound, self.bob), 1)
		self.assertEqual(state["campaign"], inbound)
		self.assertTrue(state["presence"]["logged_in"])
		self.assertIn(queue, state["presence"]["queues"])
		members, _ordered = presence.desired_members([queue])
		self.assertEqual([m.interface for m in members], ["PJSIP/cc-con-bob"])
		self.assertTrue(frappe.db.get_value("HD Agent", self.bob, "cc_logged_in"))

		contact = self.claim(self.bob)
		frappe.set_user(self.bob)
		state = api.leave(self.campaign)
		self.assertEqual(operator_active(self.campaign, self.bob), 0)
		self.assertEqual((contact_row(contact).status, contact_row(contact).dialing_operator), ("New", None))
		api.leave(inbound)
		self.assertEqual(presence.desired_members([queue])[0], [])
		self.assertIsNone(api.my_campaigns()["campaign"])
		self.assertTrue(frappe.db.get_value("HD Agent", self.bob, "cc_logged_in"))  # still on the phone

	def test_a_queued_campaign_needs_a_helpdesk_agent_with_a_softphone(self):
		queue = make_call_queue("cc-con-q2", [])
		campaign = make_campaign(
			"CC Test Console Predictive", operators=(self.eve,), dialer_mode="Predictive", call_queue=queue
		)
		frappe.set_user(self.eve)
		with self.assertRaisesRegex(frappe.ValidationError, "is not an active helpdesk agent"):
			api.join(campaign)

	def test_leaving_with_a_call_waiting_for_its_outcome_is_refused(self):
		contact = self.claim(self.ann)
		with peer_thread():
			api.dial(self.campaign, contact)
		with self.assertRaisesRegex(frappe.ValidationError, "set the outcome of your call"):
			api.leave(self.campaign)


class TestPreviewFlow(ConsoleCase):
	def test_next_dial_and_a_line_result_retry(self):
		first = self.claim(self.ann)
		self.assertEqual(
			(contact_row(first).status, contact_row(first).dialing_operator), ("Dialing", self.ann)
		)
		self.assertEqual(api.next_preview(self.campaign)["contact"]["name"], first)  # no hoarding
		second = make_campaign_contact(self.campaign, KAUNAS)
		frappe.set_user(self.bob)
		self.assertEqual(api.next_preview(self.campaign)["contact"]["name"], second)
		with self.assertRaisesRegex(frappe.ValidationError, "is not your current contact"):
			api.dial(self.campaign, first)

		frappe.set_user(self.ann)
		with peer_thread() as peer:
			result = api.dial(self.campaign, first)
			(originate,) = [a for a in peer.received if a["Action"] == "Originate"]
		self.assertEqual((originate["Channel"], originate["Exten"]), ("PJSIP/cc-con-ann", VILNIUS))
		self.assertEqual(originate["Variable"], f"__CC_CAMPAIGN={CAMPAIGN}")
		attempt = frappe.get_doc("CC Call Attempt", result["attempt"])
		self.assertEqual((attempt.campaign_contact, attempt.operator), (first, self.ann))
		self.assertTrue(result["console"]["dialed"])
		self.assertIn("no_answer", [o["code"] for o in result["console"]["outcomes"]])
		with self.assertRaisesRegex(frappe.ValidationError, "set the outcome instead of skipping"):
			api.skip(self.campaign, first)
		with self.assertRaisesRegex(frappe.ValidationError, "Abandoned is recorded by the dialer itself"):
			api.set_outcome(self.campaign, first, "Abandoned")

		done = api.set_outcome(self.campaign, first, "No answer", note="rang out")
		row = contact_row(first)
		self.assertEqual((row.status, row.attempts, row.last_outcome), ("Retry", 1, "No answer"))
		self.assertEqual(done["attempt"], attempt.name)
		self.assertEqual(
			frappe.db.get_value("CC Call Attempt", attempt.name, ["outcome", "note"]),
			("No answer", "rang out"),
		)
		self.assertIsNone(done["console"]["contact"])  # nothing current any more
		self.assertEqual([h["outcome"] for h in api.current(self.campaign, first)["history"]], ["No answer"])

	def test_a_line_result_without_dialing_and_an_unknown_outcome_are_refused(self):
		contact = self.claim(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "only for a preview call they dialed"):
			api.set_outcome(self.campaign, contact, "Busy")
		with self.assertRaisesRegex(frappe.ValidationError, "Nonsense is not a CC Outcome"):
			api.set_outcome(self.campaign, contact, "Nonsense")
		self.assertEqual(contact_row(contact).attempts, 0)
		api.set_outcome(self.campaign, contact, "Refused")  # an operator's outcome, no call needed
		self.assertEqual(contact_row(contact).status, "Closed")

	def test_skip_puts_the_contact_back(self):
		contact = self.claim(self.ann)
		view = api.skip(self.campaign, contact)
		self.assertIsNone(view["contact"])
		self.assertEqual((contact_row(contact).status, contact_row(contact).dialing_operator), ("New", None))
		with self.assertRaisesRegex(frappe.ValidationError, "is not claimed by you"):
			api.skip(self.campaign, contact)

	def test_current_shows_calls_open_tickets_and_the_callbacks_of_the_contact(self):
		from callcenter_app.test_utils import make_call_log

		number = "+37060077123"  # a number no other record on the site has
		person = make_contact("Rūta Console", "8 600 77123")
		tickets = [
			frappe.get_doc(
				{"doctype": "HD Ticket", "subject": s, "raised_by": "ruta@example.com", "contact": person}
			).insert()
			for s in ("Router", "Invoice")
		]
		# with agents limited to their own and their teams' tickets, ann reads the one assigned to her, not
		# the one of a team she is not in
		frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 1)
		if not frappe.db.exists("HD Team", "CC Console Billing"):
			frappe.get_doc({"doctype": "HD Team", "team_name": "CC Console Billing"}).insert()
		frappe.db.set_value("HD Ticket", tickets[0].name, "_assign", frappe.as_json([self.ann]))
		frappe.db.set_value("HD Ticket", tickets[1].name, "agent_group", "CC Console Billing")
		make_call_log("cc-con-call.1", str(add_to_date(now_datetime(), hours=-2)), caller="860077123")
		make_call_log("cc-con-call.2", str(add_to_date(now_datetime(), hours=-1)), caller="+37069999999")
		contact = self.claim(self.ann, number)
		view = api.current(self.campaign)
		self.assertEqual(view["contact"]["name"], contact)
		self.assertEqual(view["contact"]["contact"], person)  # found by the normalised number
		self.assertEqual([c["name"] for c in view["calls"]], ["cc-con-call.1"])
		self.assertEqual([t["name"] for t in view["tickets"]], [tickets[0].name])
		frappe.set_user(self.boss)  # a Call Center Manager without a helpdesk role reads no ticket
		self.assertEqual(api.current(self.campaign, contact)["tickets"], [])
		frappe.set_user("Administrator")
		self.assertEqual(
			sorted(t["name"] for t in api.current(self.campaign, contact)["tickets"]),
			sorted(t.name for t in tickets),
		)
		frappe.set_user(self.ann)
		self.assertEqual([o["user"] for o in view["operators"]], [self.bob])
		self.assertNotIn("abandoned", [o["code"] for o in view["outcomes"]])


class TestCallbacks(ConsoleCase):
	def test_public_and_private_callbacks_and_who_sees_them(self):
		due = str(add_to_date(now_datetime(), hours=3))
		public = self.claim(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "Call back at: is required"):
			api.set_outcome(self.campaign, public, "Call back")
		with self.assertRaisesRegex(frappe.ValidationError, "Call back at: must be in the future"):
			api.set_outcome(
				self.campaign, public, "Call back", callback_at=str(add_to_date(now_datetime(), hours=-1))
			)
		with self.assertRaisesRegex(frappe.ValidationError, "does not schedule a callback"):
			api.set_outcome(self.campaign, public, "Success", callback_at=due)
		with patch("frappe.publish_realtime") as published:
			result = api.set_outcome(self.campaign, public, "Call back", callback_at=due, note="after lunch")
		console = [c for c in published.call_args_list if c.args[0] == "callcenter:console"]
		told = {(c.kwargs["user"], c.args[1]["what"]) for c in console}
		self.assertEqual(told, {(self.ann, "contact"), (self.bob, "callbacks")})
		for c in console:
			self.assertTrue(c.kwargs["after_commit"])
			self.assertNotIn(VILNIUS, str(c.args[1]))
		self.assertEqual(
			frappe.db.get_value("CC Callback", result["callback"], ["visibility", "owner_user"]),
			("Public", self.ann),
		)
		self.assertEqual(contact_row(public).status, "Callback")

		frappe.set_user("Administrator")
		private = self.claim(self.ann, KAUNAS)
		with patch("frappe.publish_realtime") as published:
			result = api.set_outcome(self.campaign, private, "Call back", callback_at=due, private=1)
		told = {c.kwargs["user"] for c in published.call_args_list if c.args[0] == "callcenter:console"}
		self.assertEqual(told, {self.ann})
		self.assertEqual(frappe.db.get_value("CC Callback", result["callback"], "visibility"), "Private")

		seen = {u: [] for u in (self.ann, self.bob)}
		for user in seen:
			frappe.set_user(user)
			seen[user] = sorted(cb["campaign_contact"] for cb in api.current(self.campaign)["my_callbacks"])
		self.assertEqual(seen[self.ann], sorted([public, private]))
		self.assertEqual(seen[self.bob], [public])

	def test_an_inbound_campaign_schedules_no_callbacks(self):
		queue = make_call_queue("cc-con-in", [])
		inbound = make_campaign(
			"CC Test Console In", operators=(self.ann,), direction="Inbound", call_queue=queue
		)
		frappe.set_user(self.ann)
		view = api.take_call(inbound, number="8 600 12345", linkedid="cc-con-in.1")
		contact, attempt = view["contact"]["name"], view["attempt"]
		self.assertEqual(view["contact"]["phone"], VILNIUS)
		self.assertEqual(api.take_call(inbound, number=VILNIUS, linkedid="cc-con-in.1")["attempt"], attempt)
		with self.assertRaisesRegex(frappe.ValidationError, "this campaign is inbound"):
			api.set_outcome(
				inbound, contact, "Call back", callback_at=str(add_to_date(now_datetime(), hours=2))
			)
		api.set_outcome(inbound, contact, "Success", note="sold")
		self.assertEqual(frappe.db.get_value("CC Call Attempt", attempt, "outcome"), "Success")
		self.assertEqual(contact_row(contact).status, "Completed")


class TestDoNotCallAndWindows(ConsoleCase):
	def test_dial_refuses_a_number_on_a_do_not_call_list(self):
		contact = self.claim(self.ann)
		frappe.set_user("Administrator")
		dialer.add_dnc(VILNIUS, self.campaign, reason="asked")
		frappe.set_user(self.ann)
		with peer_thread() as peer:
			with self.assertRaisesRegex(frappe.ValidationError, "is on the campaign's do-not-call list"):
				api.dial(self.campaign, contact)
			self.assertEqual([a["Action"] for a in peer.received], [])
		self.assertEqual(frappe.db.count("CC Call Attempt", {"campaign_contact": contact}), 0)

	def test_dial_refuses_a_closed_window_and_do_not_call_outcome_lists_the_number(self):
		contact = self.claim(self.ann)
		frappe.set_user("Administrator")
		doc = frappe.get_doc("CC Campaign", self.campaign)
		now = now_datetime()
		closed = add_to_date(now, hours=2)
		doc.windows = []
		doc.append(
			"windows",
			{
				"weekdays": "Mon-Sun",
				"start_time": closed.strftime("%H:00:00"),
				"end_time": add_to_date(closed, hours=1).strftime("%H:00:00"),
			},
		)
		doc.default_timezone = frappe.utils.get_system_timezone()
		doc.save()
		frappe.db.set_value("CC Campaign Contact", contact, "timezone", doc.default_timezone)
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "the calling window is closed .*it opens at"):
			api.dial(self.campaign, contact)
		api.set_outcome(self.campaign, contact, "Do not call")
		self.assertTrue(frappe.db.exists("CC DNC Number", f"{VILNIUS}@{self.campaign}"))
		self.assertEqual(contact_row(contact).status, "Closed")


class TestTransferAndPause(ConsoleCase):
	def test_transfer_only_to_another_active_operator_and_the_contact_follows(self):
		contact = self.claim(self.ann)
		with peer_thread() as peer:
			peer.live = {
				"1": {"Channel": "PJSIP/trunk-00000001", "Uniqueid": "1", "Linkedid": "1", "BridgeId": "b"},
				"2": {
					"Channel": "PJSIP/cc-con-ann-00000002",
					"Uniqueid": "2",
					"Linkedid": "1",
					"BridgeId": "b",
				},
			}
			frappe.set_user("Administrator")
			make_agent("cc-con-eve@example.com", "cc-con-eve", roles=("Agent", "Operator"))
			frappe.set_user(self.ann)
			for target, reason in (
				(self.eve, "is not an active operator of this campaign"),
				(self.ann, "is you"),
				(self.nobody, "is not an active operator of this campaign"),
			):
				with self.assertRaisesRegex(frappe.ValidationError, reason):
					api.transfer(self.campaign, target)
			with self.assertRaisesRegex(frappe.ValidationError, "'warm' is not one of blind, attended"):
				api.transfer(self.campaign, self.bob, mode="warm")
			bobs = make_campaign_contact(
				self.campaign, KAUNAS, status="Dialing", dialing_operator=self.bob
			)  # bob's contact: not ann's to hand over
			with self.assertRaisesRegex(frappe.ValidationError, "is not your current contact"):
				api.transfer(self.campaign, self.bob, contact=bobs)
			self.assertEqual([a["Action"] for a in peer.received], [])
			result = api.transfer(self.campaign, self.bob, contact=contact)
			(transfer,) = [a for a in peer.received if a["Action"] == "BlindTransfer"]
		self.assertEqual(
			(transfer["Channel"], transfer["Context"], transfer["Exten"]),
			("PJSIP/cc-con-ann-00000002", "cc-transfer", "cc-con-bob"),
		)
		self.assertEqual(result["contact"], contact)
		self.assertEqual(contact_row(contact).dialing_operator, self.bob)
		frappe.set_user(self.bob)
		self.assertEqual(api.current(self.campaign)["contact"]["name"], contact)

	def test_pause_and_resume_change_the_work_mode(self):
		frappe.set_user(self.ann)
		api.join(self.campaign)
		self.assertEqual(frappe.db.get_value("HD Agent", self.ann, "cc_work_mode"), "Available")
		with self.assertRaisesRegex(frappe.ValidationError, "Available takes calls"):
			api.pause("Available")
		state = api.pause("Break")
		self.assertEqual((state["work_mode"], state["paused"]), ("Break", True))
		self.assertEqual(frappe.db.get_value("HD Agent", self.ann, "cc_work_mode"), "Break")
		frappe.set_user("Administrator")
		presence.set_presence(self.ann, True, "Phone only")
		frappe.set_user(self.ann)
		api.pause("Back office")
		state = api.resume()
		self.assertEqual((state["work_mode"], state["paused"]), ("Phone only", False))
		self.assertEqual(
			frappe.get_all(
				"CC Agent Status Log",
				filters={"agent": self.ann},
				order_by="started asc, creation asc",
				pluck="work_mode",
			)[-4:],
			["Break", "Phone only", "Back office", "Phone only"],
		)


class TestDialerCalls(ConsoleCase):
	def test_a_call_the_dialer_put_through_becomes_the_operators_current_contact(self):
		queue = make_call_queue("cc-con-pred", [])
		campaign = make_campaign(
			"CC Test Console Pred", operators=(self.ann, self.bob), dialer_mode="Predictive", call_queue=queue
		)
		contact = make_campaign_contact(campaign, KLAIPEDA)
		attempt = dialer.create_attempt(contact)  # the dialer's pool call, no operator yet
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "its calls come to you"):
			api.next_preview(campaign)
		view = api.take_call(campaign, attempt=attempt)
		self.assertEqual(
			(view["contact"]["name"], view["attempt"], view["dialed"]), (contact, attempt, False)
		)
		self.assertEqual(api.current(campaign)["attempt"], attempt)
		self.assertNotIn("no_answer", [o["code"] for o in view["outcomes"]])
		frappe.set_user(self.bob)
		with self.assertRaisesRegex(frappe.ValidationError, "the call went to"):
			api.take_call(campaign, attempt=attempt)
		with self.assertRaisesRegex(frappe.ValidationError, "is not your current contact"):
			api.set_outcome(campaign, contact, "Success")
		frappe.set_user(self.ann)
		api.set_outcome(campaign, contact, "Success")
		self.assertEqual(frappe.db.get_value("CC Call Attempt", attempt, "outcome"), "Success")
