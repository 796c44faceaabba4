# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for ticket handling on Helpdesk: automatic distribution with buffers and work modes (and its
triggers), pulling from manual teams, Agent vs Privileged Agent visibility, the agent deletion guard,
snooze ownership and the wake job, cumulative handling time, reaction time, and incoming email grouping and
replies to closed tickets; and what the desk's views read (the Team Queue page, the list's tools, the snooze
list, the ticket form's panel with its numbers to call)."""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from callcenter_app.api import tickets as api
from callcenter_app.telephony.presence.service import set_presence
from callcenter_app.test_utils import make_agent
from callcenter_app.tickets import service, tasks

ANN, BOB, CID, PRIV, MGR = (f"{n}@tickets.test" for n in ("ann", "bob", "cid", "priv", "mgr"))


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


def ticket(subject: str, team: str | None = None, weight: int = 0, sender: str = "client@example.com", **kw):
	doc = frappe.get_doc(
		{"doctype": "HD Ticket", "subject": subject, "raised_by": sender, "agent_group": team, **kw}
	).insert(ignore_permissions=True)
	if weight:
		frappe.db.set_value("HD Ticket", doc.name, "cc_weight", weight)
	return doc.name


def assigned(name: str) -> list[str]:
	return service.assignees(frappe.db.get_value("HD Ticket", name, ["_assign"], as_dict=True))


class TicketsTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# Users are kept like Frappe's test records: creating one clears every cached doctype (seconds).
		frappe.set_user("Administrator")
		for user in (ANN, BOB, CID):
			make_agent(user)
		make_agent(PRIV, roles=("Agent", "Privileged Agent"))
		make_agent(MGR, roles=("Agent", "Agent Manager"))  # supervises tickets; in no team
		frappe.db.commit()  # nosemgrep: test fixtures shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 1)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()


class TestDistribution(TicketsTestCase):
	def setUp(self):
		super().setUp()
		self.team = make_team(
			"CC Auto Team",
			[ANN, BOB, CID],
			cc_distribution="Automatic",
			cc_default_buffer=2,
			cc_buffers=[{"user": BOB, "buffer": 1}],
		)
		frappe.db.delete("ToDo", {"reference_type": "HD Ticket"})
		set_presence(ANN, True, "Available")
		set_presence(BOB, True, "Break")  # logged in, but this mode takes no tickets
		set_presence(CID, False)

	def test_heaviest_then_oldest_to_available_agents_within_their_buffers(self):
		light_old = ticket("light old", self.team, weight=1)
		heavy = ticket("heavy", self.team, weight=9)
		light_new = ticket("light new", self.team, weight=1)
		other_team = ticket("elsewhere", make_team("CC Other Team", [ANN]))
		done = tasks.distribute_tickets()
		self.assertEqual(done, [(heavy, ANN), (light_old, ANN)])  # ann's buffer is 2; bob is on a break
		self.assertEqual(assigned(light_new), [])
		self.assertNotIn(other_team, {t for t, _ in done})  # not an automatic team: Helpdesk's rule applies

		set_presence(BOB, True, "Available")  # an agent becomes available: bob's buffer is 1
		self.assertEqual(tasks.distribute_tickets(), [(light_new, BOB)])
		self.assertEqual(tasks.distribute_tickets(), [])  # everybody is full

		newest = ticket("newest", self.team)
		self.assertEqual(tasks.distribute_tickets(), [])
		frappe.db.set_value("HD Ticket", heavy, "status", "Closed")  # ann's load drops
		self.assertEqual(tasks.distribute_tickets(), [(newest, ANN)])

	def test_helpdesk_assignment_rule_is_off_for_distributed_teams(self):
		rule = frappe.db.get_value("HD Team", self.team, "assignment_rule")
		self.assertTrue(rule)
		self.assertEqual(frappe.db.get_value("Assignment Rule", rule, "disabled"), 1)
		make_team(self.team, [ANN, BOB])  # Helpdesk re-enables its rule when members change; we turn it off
		self.assertEqual(frappe.db.get_value("Assignment Rule", rule, "disabled"), 1)

	def test_buffer_rows_must_name_members_once(self):
		team = frappe.get_doc("HD Team", self.team)
		team.append("cc_buffers", {"user": PRIV, "buffer": 3})
		with self.assertRaisesRegex(frappe.ValidationError, "row 2: priv@tickets.test is not a member"):
			team.save(ignore_permissions=True)

	def test_a_snoozed_or_taken_ticket_is_not_distributed(self):
		snoozed = ticket("snoozed", self.team)
		frappe.db.set_value(
			"HD Ticket", snoozed, {"cc_snoozed": 1, "cc_snoozed_until": add_to_date(None, hours=1)}
		)
		self.assertEqual(tasks.distribute_tickets(), [])


class TestManualPull(TicketsTestCase):
	def setUp(self):
		super().setUp()
		self.team = make_team("CC Manual Team", [ANN, BOB], cc_distribution="Manual", cc_default_buffer=1)
		frappe.db.delete("ToDo", {"reference_type": "HD Ticket"})

	def test_agents_pull_in_queue_order_up_to_their_buffer(self):
		old, heavy = ticket("old", self.team), ticket("heavy", self.team, weight=5)
		self.assertEqual(tasks.distribute_tickets(), [])  # manual teams are never pushed
		frappe.set_user(ANN)
		self.assertEqual([t["name"] for t in api.team_queue(self.team)], [heavy, old])
		api.pull(heavy)
		self.assertEqual(assigned(heavy), [ANN])
		with self.assertRaisesRegex(frappe.ValidationError, "already holds 1 of the 1 tickets"):
			api.pull(old)
		frappe.set_user(BOB)
		with self.assertRaisesRegex(frappe.ValidationError, "already taken"):
			api.pull(heavy)
		api.pull(str(old))  # as a request sends it: Helpdesk's ticket names are numbers
		self.assertEqual(assigned(old), [BOB])

	def todos(self) -> int:
		return frappe.db.count("ToDo", {"reference_type": "HD Ticket", "status": "Open"})

	def test_pull_next_takes_the_head_of_the_queue_and_says_why_not(self):
		old, heavy = ticket("old", self.team), ticket("heavy", self.team, weight=5)
		frappe.set_user(ANN)
		self.assertEqual(api.pull_next(self.team), {"ticket": heavy, "agent": ANN, "team": self.team})
		before = self.todos()
		with self.assertRaisesRegex(frappe.ValidationError, "already holds 1 of the 1 tickets"):
			api.pull_next(self.team)
		frappe.set_user(CID)  # an agent, but not of this team
		with self.assertRaisesRegex(
			frappe.ValidationError, "cid@tickets.test is not an active agent of team"
		):
			api.pull_next(self.team)
		with self.assertRaisesRegex(frappe.ValidationError, "team: is required"):
			api.pull_next("")
		with self.assertRaisesRegex(frappe.ValidationError, "team: HD Team CC Nowhere does not exist"):
			api.pull_next("CC Nowhere")
		self.assertEqual(self.todos(), before)  # refused: nothing written
		frappe.set_user(BOB)
		self.assertEqual(api.pull_next(self.team)["ticket"], old)
		frappe.db.set_value("HD Team", self.team, "cc_default_buffer", 5)
		with self.assertRaisesRegex(
			frappe.ValidationError, "team: no ticket is waiting in team CC Manual Team"
		):
			api.pull_next(self.team)

	def test_a_ticket_a_colleague_pulled_a_moment_ago(self):
		"""The race: both saw the same queue; the second to pull is told who has it, or gets the next one."""
		first, second = ticket("first", self.team), ticket("second", self.team)
		seen = tasks.queued_tickets([self.team])  # what ann's page showed
		frappe.set_user(BOB)
		api.pull(first)
		frappe.set_user(ANN)
		with self.assertRaisesRegex(
			frappe.ValidationError, f"ticket: ticket {first} was already taken by bob@tickets.test"
		):
			api.pull(first)
		with patch.object(tasks, "queued_tickets", return_value=seen):  # ann's stale view of the queue
			self.assertEqual(api.pull_next(self.team)["ticket"], second)
		self.assertEqual((assigned(first), assigned(second)), ([BOB], [ANN]))

	def test_team_queues_for_members_and_for_managers(self):
		old, heavy = ticket("old", self.team), ticket("heavy", self.team, weight=5)
		frappe.db.set_value("HD Ticket", old, "cc_reaction_due", add_to_date(now_datetime(), hours=-1))
		auto = make_team("CC Auto Elsewhere", [ANN], cc_distribution="Automatic")
		ticket("pushed, not pulled", auto)
		frappe.set_user(ANN)
		(queue,) = [q for q in api.team_queues() if q["team"] == self.team]
		self.assertNotIn(auto, [q["team"] for q in api.team_queues()])  # automatic teams are not pulled
		self.assertEqual([t["name"] for t in queue["tickets"]], [heavy, old])
		self.assertEqual(
			(queue["member"], queue["held"], queue["buffer"], queue["may_pull"]), (True, 0, 1, True)
		)
		self.assertLess(queue["tickets"][1]["reaction_due_in"], -3500)  # an hour late
		self.assertGreaterEqual(queue["tickets"][1]["age_seconds"], 0)
		self.assertEqual(api.ticket_tools()["pull_teams"], [self.team])
		api.pull(heavy)
		(queue,) = [q for q in api.team_queues() if q["team"] == self.team]
		self.assertEqual(([t["name"] for t in queue["tickets"]], queue["may_pull"]), ([old], False))
		self.assertIn("already holds 1 of the 1 tickets", queue["problem"])

		frappe.set_user(CID)  # in no manual team
		self.assertNotIn(self.team, [q["team"] for q in api.team_queues()])
		self.assertEqual((api.ticket_tools()["pull_teams"], api.ticket_tools()["team_queue"]), ([], False))

		frappe.set_user(MGR)  # sees every manual team's queue, cannot pull from one they are not in
		(queue,) = [q for q in api.team_queues() if q["team"] == self.team]
		self.assertEqual((queue["member"], queue["may_pull"]), (False, False))
		self.assertEqual([t["name"] for t in queue["tickets"]], [old])
		tools = api.ticket_tools()
		self.assertEqual(
			(tools["pull_teams"], tools["team_queue"], tools["may_distribute"]), ([], True, True)
		)
		with self.assertRaisesRegex(frappe.ValidationError, "is not an active agent of team"):
			api.pull(old)
		self.assertEqual(assigned(old), [])


class TestDistributeNow(TicketsTestCase):
	def test_distribute_now_says_what_it_assigned_and_what_still_waits(self):
		team = make_team("CC Auto Now", [ANN], cc_distribution="Automatic", cc_default_buffer=1)
		frappe.db.delete("ToDo", {"reference_type": "HD Ticket"})
		set_presence(ANN, True, "Available")
		first, second = ticket("first", team), ticket("second", team)
		frappe.set_user(ANN)
		self.assertFalse(api.ticket_tools()["may_distribute"])
		frappe.set_user(MGR)
		result = api.distribute_now()
		self.assertEqual(result["assigned"], [{"ticket": first, "agent": ANN, "subject": "first"}])
		self.assertIn(team, result["teams"])
		self.assertGreaterEqual(result["waiting"], 1)  # ann's buffer is 1: the second waits
		self.assertEqual(assigned(second), [])


class TestVisibility(TicketsTestCase):
	def test_agents_see_their_own_and_their_teams_tickets_privileged_agents_all(self):
		mine = make_team("CC Vis Mine", [ANN])
		theirs = make_team("CC Vis Theirs", [BOB])
		in_my_team, in_theirs = ticket("mine", mine), ticket("theirs", theirs)
		assigned_to_me = ticket("theirs but mine", theirs)
		frappe.desk.form.assign_to.add(
			{"assign_to": [ANN], "doctype": "HD Ticket", "name": assigned_to_me}, ignore_permissions=True
		)
		unsorted = ticket("no team yet")
		wanted = {in_my_team, in_theirs, assigned_to_me, unsorted}
		frappe.set_user(ANN)
		visible = set(frappe.get_list("HD Ticket", filters={"name": ["in", list(wanted)]}, pluck="name"))
		self.assertEqual(visible, {in_my_team, assigned_to_me, unsorted})
		self.assertFalse(frappe.has_permission("HD Ticket", "read", doc=in_theirs))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("HD Ticket", in_theirs).check_permission("read")
		frappe.set_user(PRIV)
		visible = set(frappe.get_list("HD Ticket", filters={"name": ["in", list(wanted)]}, pluck="name"))
		self.assertEqual(visible, wanted)
		self.assertTrue(frappe.has_permission("HD Ticket", "read", doc=in_theirs))

	def test_an_agent_with_open_tickets_cannot_be_deleted(self):
		held = ticket("held", make_team("CC Vis Mine", [CID]))
		frappe.desk.form.assign_to.add(
			{"assign_to": [CID], "doctype": "HD Ticket", "name": held}, ignore_permissions=True
		)
		with self.assertRaisesRegex(frappe.LinkExistsError, "Reassign or close them first"):
			frappe.delete_doc("HD Agent", CID, ignore_permissions=True)
		frappe.db.set_value("HD Ticket", held, "status", "Closed")
		frappe.delete_doc("HD Agent", CID, ignore_permissions=True, force=True)
		self.assertFalse(frappe.db.exists("HD Agent", CID))


class TestSnooze(TicketsTestCase):
	def setUp(self):
		super().setUp()
		self.team = make_team("CC Snooze Team", [ANN, BOB])
		self.ticket = ticket("snooze me", self.team)
		frappe.desk.form.assign_to.add(
			{"assign_to": [ANN], "doctype": "HD Ticket", "name": self.ticket}, ignore_permissions=True
		)

	def test_only_the_owner_reactivates_early_and_expired_ones_wake_with_a_notice(self):
		frappe.set_user(BOB)
		until = add_to_date(now_datetime(), hours=2)
		state = api.snooze(self.ticket, str(until), "customer travels until Monday")
		self.assertEqual((state.cc_snoozed, state.cc_snoozed_by), (1, BOB))
		frappe.set_user(CID)  # not in the team: no write access at all
		self.assertRaises(frappe.PermissionError, api.reactivate, self.ticket)
		frappe.set_user(PRIV)
		with self.assertRaisesRegex(
			frappe.ValidationError, "only its owner ann@tickets.test or bob@tickets.test, who snoozed it"
		):
			api.reactivate(self.ticket)
		frappe.set_user(ANN)
		self.assertEqual(api.reactivate(self.ticket).cc_snoozed, 0)

		with self.assertRaisesRegex(frappe.ValidationError, "Snooze reason: is required"):
			api.snooze(self.ticket, str(until), "  ")
		with self.assertRaisesRegex(frappe.ValidationError, "must be in the future"):
			api.snooze(self.ticket, str(add_to_date(now_datetime(), hours=-1)), "late")

		api.snooze(self.ticket, str(until), "back soon")
		other = ticket("later", self.team)
		frappe.set_user("Administrator")
		frappe.db.set_value(
			"HD Ticket", other, {"cc_snoozed": 1, "cc_snoozed_until": add_to_date(now_datetime(), hours=5)}
		)
		frappe.db.set_value(
			"HD Ticket", self.ticket, "cc_snoozed_until", add_to_date(now_datetime(), minutes=-1)
		)
		self.assertEqual(tasks.wake_snoozed_tickets(), [self.ticket])
		self.assertEqual(frappe.db.get_value("HD Ticket", self.ticket, "cc_snoozed"), 0)
		self.assertEqual(frappe.db.get_value("HD Ticket", other, "cc_snoozed"), 1)
		self.assertTrue(frappe.db.exists("Notification Log", {"for_user": ANN, "document_name": self.ticket}))

	def test_bad_snooze_input_names_the_field_and_writes_nothing(self):
		frappe.set_user(ANN)
		stored = ("cc_snoozed", "cc_snoozed_until", "cc_snoozed_by", "cc_snooze_reason")
		before = frappe.db.get_value("HD Ticket", self.ticket, stored)
		for until, reason, message in (
			("", "why", "Snoozed until: is required"),
			("next tuesday-ish", "why", "Snoozed until: 'next tuesday-ish' is not a date and time"),
			(str(add_to_date(now_datetime(), minutes=-5)), "why", "Snoozed until: must be in the future"),
			(str(add_to_date(now_datetime(), days=400)), "why", "Snoozed until: must be within 366 days"),
			(str(add_to_date(now_datetime(), hours=1)), "", "Snooze reason: is required"),
		):
			with self.assertRaisesRegex(frappe.ValidationError, message):
				api.snooze(self.ticket, until, reason)
		with self.assertRaisesRegex(frappe.ValidationError, "Snooze reason: is required"):
			api.snooze(self.ticket, str(add_to_date(now_datetime(), hours=1)))  # the argument left out
		self.assertEqual(frappe.db.get_value("HD Ticket", self.ticket, stored), before)

	def test_the_snooze_list_and_the_form_panel_say_who_may_reactivate(self):
		frappe.set_user(BOB)
		until = add_to_date(now_datetime(), hours=3)
		api.snooze(self.ticket, str(until), "waiting for the parts")
		listed = {t["name"]: t for t in api.snoozed_tickets()}
		row = listed[self.ticket]
		self.assertEqual(
			(row["cc_snoozed_by"], row["cc_snooze_reason"], row["owner"], row["may_reactivate"]),
			(BOB, "waiting for the parts", ANN, True),
		)
		self.assertEqual(row["cc_snoozed_until"], until)
		panel = api.ticket_panel(self.ticket)
		self.assertEqual((panel["snoozed"], panel["may_reactivate"], panel["may_snooze"]), (True, True, True))
		frappe.set_user(PRIV)  # sees every ticket, but neither owns nor snoozed this one
		self.assertFalse({t["name"]: t for t in api.snoozed_tickets()}[self.ticket]["may_reactivate"])
		self.assertFalse(api.ticket_panel(self.ticket)["may_reactivate"])
		frappe.set_user(CID)  # not in the team: the snooze list shows only tickets they may read
		self.assertNotIn(self.ticket, {t["name"] for t in api.snoozed_tickets()})
		self.assertRaises(frappe.PermissionError, api.ticket_panel, self.ticket)
		frappe.set_user(ANN)
		self.assertEqual(api.ticket_tools()["snoozed"] >= 1, True)
		api.reactivate(self.ticket)
		self.assertNotIn(self.ticket, {t["name"] for t in api.snoozed_tickets()})
		self.assertEqual(api.ticket_panel(self.ticket)["snoozed"], False)


class TestTicketPanel(TicketsTestCase):
	def test_numbers_to_call_come_from_the_tickets_contact(self):
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		team = make_team("CC Panel Team", [ANN])
		ruta = f"ruta-{frappe.generate_hash(length=6)}@example.com"
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Rūta",
				"last_name": "Panel",
				"email_ids": [{"email_id": ruta, "is_primary": 1}],
				"phone_nos": [
					{"phone": "8 5 2000000", "is_primary_phone": 1},
					{"phone": "+370 600 00011", "is_primary_mobile_no": 1},
					{"phone": "+37060000011"},  # the mobile again, written another way
				],
			}
		).insert(ignore_permissions=True)
		with_contact = ticket("with contact", team, contact=contact.name)
		by_mail = ticket("by mail", team, sender=f"nobody-{frappe.generate_hash(length=6)}@example.com")
		frappe.set_user(ANN)
		panel = api.ticket_panel(with_contact)
		self.assertTrue(panel["may_call"])
		self.assertEqual(
			[(n["number"], n["label"]) for n in panel["numbers"]],
			[("+370 600 00011", "Mobile · Rūta Panel"), ("8 5 2000000", "Phone · Rūta Panel")],
		)
		self.assertEqual(api.ticket_panel(by_mail)["numbers"], [])
		by_her_mail = ticket("by her mail", team, sender=ruta)  # no contact given: found by the address
		self.assertEqual(api.ticket_panel(by_her_mail)["numbers"], panel["numbers"])
		self.assertIn("handling_seconds", panel)


class TestClocks(TicketsTestCase):
	def test_handling_time_counts_only_counted_statuses(self):
		team = make_team("CC Clock Team", [ANN])
		start = dt.datetime(2026, 11, 23, 10, 0, 0)
		with self.freeze_time(start):
			name = ticket("clock", team)
		for minutes, status in ((10, "Replied"), (40, "Open"), (45, "Resolved"), (100, "Open")):
			with self.freeze_time(start + dt.timedelta(minutes=minutes)):
				doc = frappe.get_doc("HD Ticket", name)
				doc.status = status
				doc.save(ignore_permissions=True)
		# Open 0–10 counts, Replied 10–40 waits for the customer, Open 40–45 counts, Resolved 45–100 does not
		self.assertEqual(frappe.db.get_value("HD Ticket", name, "cc_handling_seconds"), 15 * 60)
		with self.freeze_time(start + dt.timedelta(minutes=130)):  # open again for 30 minutes
			self.assertEqual(api.handling_time(name)["handling_seconds"], 45 * 60)

	def test_reaction_due_in_business_hours_first_counted_action_and_breach_notice(self):
		sla = make_sla("CC Weekday SLA")
		team = make_team(
			"CC Reaction Team",
			[ANN],
			cc_reaction_minutes=60,
			cc_calendar_sla=sla,
			cc_team_lead=PRIV,
			cc_react_note=1,
		)
		friday_evening = dt.datetime(2026, 11, 27, 16, 30)  # 30 business minutes left on Friday
		with self.freeze_time(friday_evening):
			late = ticket("late", team)
			quick = ticket("quick", team)
		monday_half_past_nine = dt.datetime(2026, 11, 30, 9, 30)
		self.assertEqual(frappe.db.get_value("HD Ticket", late, "cc_reaction_due"), monday_half_past_nine)
		frappe.set_user(ANN)
		with self.freeze_time(dt.datetime(2026, 11, 30, 9, 0)):
			frappe.get_doc(
				{
					"doctype": "HD Ticket Comment",
					"reference_ticket": quick,
					"content": "on it",
					"commented_by": ANN,
				}
			).insert(ignore_permissions=True)
		frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_value("HD Ticket", quick, "cc_reacted_at"), dt.datetime(2026, 11, 30, 9, 0)
		)
		with self.freeze_time(dt.datetime(2026, 11, 30, 10, 0)):
			self.assertEqual(set(tasks.flag_reaction_breaches()) & {late, quick}, {late})
		self.assertEqual(frappe.db.get_value("HD Ticket", late, "cc_reaction_breached"), 1)
		self.assertEqual(frappe.db.get_value("HD Ticket", quick, "cc_reaction_breached"), 0)
		self.assertTrue(frappe.db.exists("Notification Log", {"for_user": PRIV, "document_name": late}))


def make_sla(name: str) -> str:
	if frappe.db.exists("HD Service Level Agreement", name):
		return name
	holidays = frappe.get_doc(
		{
			"doctype": "HD Service Holiday List",
			"holiday_list_name": f"{name} holidays",
			"from_date": "2026-01-01",
			"to_date": "2026-12-31",
			"holidays": [{"holiday_date": "2026-12-24", "description": "Eve"}],
		}
	).insert(ignore_permissions=True)
	days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
	frappe.get_doc(
		{
			"doctype": "HD Service Level Agreement",
			"sla_fulfilled_on": [{"status": "Resolved"}, {"status": "Closed"}],
			"service_level": name,
			"description": name,
			"holiday_list": holidays.name,
			"enabled": 0,
			"default_sla": 0,
			"support_and_resolution": [
				{"workday": d, "start_time": "09:00:00", "end_time": "17:00:00"} for d in days
			],
			"priorities": [
				{
					"priority": p,
					"response_time": 3600,
					"resolution_time": 7200,
					"default_priority": p == "Low",
				}
				for p in frappe.get_all("HD Ticket Priority", pluck="name")
			],
		}
	).insert(ignore_permissions=True)
	return name


class TestIncomingEmail(TicketsTestCase):
	def received(self, ticket_name: str, sender: str):
		return frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"reference_doctype": "HD Ticket",
				"reference_name": ticket_name,
				"sender": sender,
				"subject": "more",
				"content": "one more thing",
			}
		).insert(ignore_permissions=True)

	def test_grouping_window_joins_the_senders_open_ticket(self):
		team = make_team("CC Group Team", [ANN], cc_grouping_window=30)
		# a sender of this run only: another run's open ticket from the same address would be joined
		eve = f"eve-{frappe.generate_hash(length=8)}@example.com"
		first = ticket("first", team, sender=eve)
		frappe.flags.cc_new_tickets = set()
		second = ticket("second", team, sender=eve)  # the mail receiver's new ticket
		message = self.received(second, eve)
		self.assertEqual(message.reference_name, first)
		self.assertEqual(
			frappe.db.get_value("HD Ticket", second, ["cc_merged_into", "status"]), (str(first), "Closed")
		)

		frappe.db.set_value(
			"HD Ticket", first, "modified", add_to_date(now_datetime(), minutes=-31), update_modified=False
		)
		third = ticket("third", team, sender=eve)
		self.assertEqual(self.received(third, eve).reference_name, third)  # outside the window

	def test_reply_to_closed_ticket_by_team_policy(self):
		reopen = make_team("CC Reopen Team", [ANN], cc_closed_reply="Reopen")
		linked = make_team("CC Linked Team", [ANN], cc_closed_reply="New linked ticket")
		a, b = ticket("a", reopen, sender="max@example.com"), ticket("b", linked, sender="max@example.com")
		for name in (a, b):
			frappe.db.set_value("HD Ticket", name, "status", "Closed")
		frappe.flags.cc_new_tickets = set()
		self.assertEqual(self.received(a, "max@example.com").reference_name, a)
		self.assertEqual(frappe.db.get_value("HD Ticket", a, "status"), "Open")  # Helpdesk reopens it
		reply = self.received(b, "max@example.com")
		self.assertNotEqual(reply.reference_name, b)
		new = frappe.get_doc("HD Ticket", reply.reference_name)
		self.assertEqual((new.cc_previous_ticket, new.agent_group, new.status), (str(b), linked, "Open"))
		self.assertEqual(frappe.db.get_value("HD Ticket", b, "status"), "Closed")

	def test_a_customer_message_wakes_a_snoozed_ticket(self):
		team = make_team("CC Wake Team", [ANN])
		name = ticket("sleeping", team, sender="zoe@example.com")
		frappe.desk.form.assign_to.add(
			{"assign_to": [ANN], "doctype": "HD Ticket", "name": name}, ignore_permissions=True
		)
		frappe.set_user(ANN)
		api.snooze(name, str(add_to_date(now_datetime(), days=3)), "waiting for the invoice")
		frappe.set_user("Administrator")
		frappe.flags.cc_new_tickets = set()
		self.received(name, "zoe@example.com")
		self.assertEqual(frappe.db.get_value("HD Ticket", name, "cc_snoozed"), 0)
		self.assertTrue(frappe.db.exists("Notification Log", {"for_user": ANN, "document_name": name}))
