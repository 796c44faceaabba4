# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: Agent Performance over a small day of calls, status periods and tickets, every column
against numbers computed by hand; agents see their own row, supervisors their team, managers everyone."""

import frappe
from frappe.desk.query_report import run as run_report
from frappe.tests.utils import FrappeTestCase

from callcenter_app.callcenter_app.report.agent_performance.agent_performance import execute
from callcenter_app.test_utils import (
	make_agent,
	make_call_log,
	make_report_ticket,
	make_status_period,
	make_team,
	make_user,
	make_work_mode,
)

ANN, BOB, EVE, SUP, MGR = (f"qt-ap-{n}@example.com" for n in ("ann", "bob", "eve", "sup", "mgr"))
TEAM = "qt-ap-team"
CALLS, LUNCH = "qt-ap Calls", "qt-ap Lunch"
DAY = "2025-03-03"


class TestAgentPerformance(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		# another System Manager first: on a site whose setup is complete, Frappe makes the first new user
		# one if there is none besides Administrator
		make_user("qt-ap-admin@example.com", ("System Manager",))
		for user in (ANN, BOB, EVE):
			make_agent(user)
		make_agent(SUP, roles=("Agent", "Agent Supervisor"))
		make_user(MGR, ("Call Center Manager",))
		make_team(TEAM)
		team = frappe.get_doc("HD Team", TEAM)
		team.set("users", [{"user": u} for u in (ANN, BOB, SUP)])
		team.save(ignore_permissions=True)
		make_work_mode(CALLS, receives_calls=1, counts_as_work=1)
		make_work_mode(LUNCH)
		frappe.db.commit()  # nosemgrep: users and the team are shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		n = iter(range(100))

		def call(agent, start, **values):
			make_call_log(f"qt-ap-{next(n)}", f"{DAY} {start}", agent=agent, **values)

		call(ANN, "09:00:00", status="answered", talk_s=100)
		call(ANN, "10:00:00", status="answered", talk_s=200)
		call(ANN, "11:00:00", status="missed")  # not taken
		call(ANN, "12:00:00", direction="outbound", status="answered", talk_s=60)
		call(ANN, "12:30:00", direction="outbound", status="failed")  # made, no talk
		call(ANN, "13:00:00", direction="outbound", status="answered", talk_s=40, campaign="qt-ap-campaign")
		call(BOB, "09:30:00", status="answered", talk_s=300)
		call(EVE, "09:45:00", status="answered", talk_s=50)
		make_call_log("qt-ap-next-day", "2025-03-04 00:00:00", agent=ANN, status="answered", talk_s=999)
		make_status_period(ANN, f"{DAY} 08:00:00", f"{DAY} 12:00:00", CALLS)
		make_status_period(ANN, f"{DAY} 12:00:00", f"{DAY} 12:30:00", LUNCH)
		make_status_period(ANN, f"{DAY} 12:30:00", f"{DAY} 17:00:00", CALLS)
		make_status_period(ANN, f"{DAY} 17:00:00", None)  # logged out since
		make_status_period(BOB, f"{DAY} 09:00:00", f"{DAY} 10:00:00", LUNCH)
		make_report_ticket(
			"qt-ap 1", f"{DAY} 09:00:00", TEAM, [ANN], cc_reacted_at=f"{DAY} 09:10:00", status="Resolved"
		)
		make_report_ticket(
			"qt-ap 2",
			f"{DAY} 10:00:00",
			TEAM,
			[ANN, BOB],
			cc_reacted_at=f"{DAY} 10:40:00",
			cc_reaction_breached=1,
		)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def rows(self, **filters):
		columns, data, message, chart, _summary = execute(
			frappe._dict({"from_date": DAY, "to_date": DAY, **filters})
		)
		return columns, {r["agent"]: r for r in data if r["agent"].startswith("qt-ap-")}, message, chart

	def test_every_column_matches_the_numbers_computed_by_hand(self):
		columns, rows, message, chart = self.rows()
		names = [c["fieldname"] for c in columns]
		self.assertEqual(
			names[:7],
			["agent", "calls_taken", "calls_made", "talk_time", "average_talk", "logged_in", "pause_time"],
		)
		self.assertIn(f"pause:{LUNCH}", names)
		self.assertNotIn(f"pause:{CALLS}", names)  # it takes calls
		self.assertEqual(
			names[-4:], ["tickets_handled", "tickets_resolved", "median_reaction", "reaction_breaches"]
		)
		self.assertNotIn("hold", " ".join(names))
		self.assertIn("Hold and wrap-up time are not shown", message)
		ann = {k: rows[ANN][k] for k in [n for n in names if not n.startswith("pause:")] + [f"pause:{LUNCH}"]}
		self.assertEqual(
			ann,
			{
				"agent": ANN,
				"calls_taken": 2,
				"calls_made": 3,
				"talk_time": 400,  # 100 + 200 + 60 + 40
				"average_talk": 100.0,  # of 4 answered calls
				"logged_in": 9 * 3600,  # 08:00–17:00
				"pause_time": 1800,
				f"pause:{LUNCH}": 1800,
				"tickets_handled": 2,
				"tickets_resolved": 1,
				"median_reaction": 1500,  # (10 min + 40 min) / 2
				"reaction_breaches": 1,
			},
		)
		bob = rows[BOB]
		self.assertEqual(
			[
				bob[k]
				for k in (
					"calls_taken",
					"calls_made",
					"talk_time",
					"logged_in",
					"pause_time",
					f"pause:{LUNCH}",
				)
			],
			[1, 0, 300, 3600, 3600, 3600],
		)
		self.assertEqual(
			[bob[k] for k in ("tickets_handled", "tickets_resolved", "median_reaction", "reaction_breaches")],
			[1, 0, 2400, 1],
		)
		self.assertIn(EVE, rows)  # a manager (Administrator) sees everyone
		self.assertEqual(chart["type"], "bar")

	def test_campaign_filter_narrows_the_calls(self):
		_c, rows, _m, _chart = self.rows(campaign="qt-ap-campaign", agent=ANN)
		self.assertEqual(
			(rows[ANN]["calls_taken"], rows[ANN]["calls_made"], rows[ANN]["talk_time"]), (0, 1, 40)
		)

	def test_an_agent_sees_only_their_own_row(self):
		frappe.set_user(ANN)
		_c, rows, _m, _chart = self.rows()
		self.assertEqual(list(rows), [ANN])
		with self.assertRaises(frappe.PermissionError) as ctx:
			self.rows(agent=BOB)
		self.assertIn(f"Agent: {BOB} is not one of the agents you may see", str(ctx.exception))
		out = run_report("Agent Performance", {"from_date": DAY, "to_date": DAY})
		self.assertEqual([r["agent"] for r in out["result"]], [ANN])

	def test_a_supervisor_sees_their_team_and_a_manager_everyone(self):
		frappe.set_user(SUP)
		_c, rows, _m, _chart = self.rows()
		self.assertEqual(sorted(rows), sorted([ANN, BOB, SUP]))
		with self.assertRaises(frappe.PermissionError):
			self.rows(agent=EVE)
		frappe.set_user(MGR)
		_c, rows, _m, _chart = self.rows()
		self.assertTrue({ANN, BOB, EVE} <= set(rows))
		_c, rows, _m, _chart = self.rows(team=TEAM)
		self.assertEqual(sorted(rows), sorted([ANN, BOB, SUP]))

	def test_a_user_without_a_role_is_refused(self):
		nobody = make_user("qt-ap-nobody@example.com")
		frappe.set_user(nobody)
		with self.assertRaises(frappe.PermissionError):
			run_report("Agent Performance", {"from_date": DAY, "to_date": DAY})
