# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: Work Time per agent and day from CC Agent Status Log, cut at the call center's midnight;
agents see their own days, supervisors their team's."""

import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_system_timezone

from callcenter_app.callcenter_app.report.work_time.work_time import execute
from callcenter_app.test_utils import make_agent, make_status_period, make_team, make_user, make_work_mode

ANN, BOB, SUP = (f"qt-wt-{n}@example.com" for n in ("ann", "bob", "sup"))
TEAM = "qt-wt-team"
CALLS, BREAK = "qt-wt Calls", "qt-wt Break"


def set_timezone(zone: str) -> None:
	frappe.db.set_single_value("CC Settings", "site_timezone", zone)
	frappe.clear_document_cache("CC Settings", "CC Settings")


class TestWorkTime(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		# another System Manager first: on a site whose setup is complete, Frappe makes the first new user
		# one if there is none besides Administrator
		make_user("qt-wt-admin@example.com", ("System Manager",))
		for user in (ANN, BOB):
			make_agent(user)
		make_agent(SUP, roles=("Agent", "Agent Supervisor"))
		make_team(TEAM)
		team = frappe.get_doc("HD Team", TEAM)
		team.set("users", [{"user": u} for u in (ANN, SUP)])
		team.save(ignore_permissions=True)
		make_work_mode(CALLS, receives_calls=1, counts_as_work=1)
		make_work_mode(BREAK)
		frappe.db.commit()  # nosemgrep: users and the team are shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		set_timezone("")
		# ann: 22:00 on the 3rd to 02:00 on the 4th in Calls, then a break until 02:30, then logged out
		make_status_period(ANN, "2025-03-03 22:00:00", "2025-03-04 02:00:00", CALLS)
		make_status_period(ANN, "2025-03-04 02:00:00", "2025-03-04 02:30:00", BREAK)
		make_status_period(ANN, "2025-03-04 02:30:00", "2025-03-04 09:00:00")  # logged out
		make_status_period(BOB, "2025-03-03 09:00:00", "2025-03-03 10:00:00", CALLS)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		set_timezone("")

	def rows(self, **filters):
		columns, data, _m, chart, _s = execute(
			frappe._dict({"from_date": "2025-03-03", "to_date": "2025-03-04", **filters})
		)
		mine = [r for r in data if r["agent"].startswith("qt-wt-")]
		return [c["fieldname"] for c in columns], mine, chart

	def test_periods_are_cut_at_midnight_and_every_column_is_right(self):
		names, rows, chart = self.rows()
		self.assertEqual(names[:5], ["agent", "date", "logged_in", "work_time", "pause_time"])
		self.assertIn(f"mode:{CALLS}", names)
		self.assertIn(f"mode:{BREAK}", names)
		table = [
			(
				r["agent"],
				str(r["date"]),
				r["logged_in"],
				r["work_time"],
				r["pause_time"],
				r[f"mode:{CALLS}"],
				r[f"mode:{BREAK}"],
			)
			for r in rows
		]
		self.assertEqual(
			table,
			[
				(ANN, "2025-03-03", 7200, 7200, 0, 7200, 0),
				(ANN, "2025-03-04", 9000, 7200, 1800, 7200, 1800),
				(BOB, "2025-03-03", 3600, 3600, 0, 3600, 0),
			],
		)
		self.assertEqual(chart["type"], "bar")

	def test_midnight_is_the_call_center_s(self):
		# the same periods seen from a zone 3 h west of the system's: ann's 4 h fall on the 3rd's evening
		system = ZoneInfo(get_system_timezone())
		offset = dt.datetime(2025, 3, 3, 12, tzinfo=system).utcoffset()
		zone = {
			dt.timedelta(0): "America/Sao_Paulo",  # UTC-3
			dt.timedelta(hours=5, minutes=30): "Asia/Dubai",  # UTC+4: 1.5 h west
		}.get(offset)
		if zone is None:
			self.skipTest(f"no zone chosen for a system offset of {offset}")
		set_timezone(zone)
		_names, rows, _chart = self.rows(agent=ANN)
		west = 3 * 3600 if zone == "America/Sao_Paulo" else 5400
		# 22:00–02:30 system time: the local midnight lies ``west`` later, at 24:00 + west system time
		before = 2 * 3600 + west
		self.assertEqual(
			[(str(r["date"]), r["logged_in"]) for r in rows],
			[("2025-03-03", before), ("2025-03-04", 4.5 * 3600 - before)],
		)

	def test_agents_see_their_own_days_and_supervisors_their_team(self):
		frappe.set_user(ANN)
		_names, rows, _chart = self.rows()
		self.assertEqual({r["agent"] for r in rows}, {ANN})
		with self.assertRaises(frappe.PermissionError):
			self.rows(agent=BOB)
		frappe.set_user(SUP)
		_names, rows, _chart = self.rows()
		self.assertEqual({r["agent"] for r in rows}, {ANN})  # bob is in no team of the supervisor
		frappe.set_user("Administrator")
		_names, rows, _chart = self.rows(team=TEAM)
		self.assertEqual({r["agent"] for r in rows}, {ANN})
