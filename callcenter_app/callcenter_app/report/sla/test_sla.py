# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the SLA report per team and agent over hand-made tickets; scope by role."""

import frappe
from frappe.desk.query_report import run as run_report
from frappe.tests.utils import FrappeTestCase

from callcenter_app.callcenter_app.report.sla.sla import execute
from callcenter_app.test_utils import make_agent, make_report_ticket, make_team, make_user

ANN, BOB, SUP = (f"qt-sla-{n}@example.com" for n in ("ann", "bob", "sup"))
BILLING, SUPPORT = "qt-sla-billing", "qt-sla-support"
DAY = "2025-03-03"


class TestSla(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		# another System Manager first: on a site whose setup is complete, Frappe makes the first new user
		# one if there is none besides Administrator
		make_user("qt-sla-admin@example.com", ("System Manager",))
		for user in (ANN, BOB):
			make_agent(user)
		make_agent(SUP, roles=("Agent", "Agent Supervisor"))
		make_team(BILLING)
		make_team(SUPPORT)
		team = frappe.get_doc("HD Team", BILLING)
		team.set("users", [{"user": u} for u in (ANN, SUP)])
		team.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: users and teams are shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		# ann: reacted after 10 min, resolved in time, 1 h handled
		make_report_ticket(
			"qt-sla 1",
			f"{DAY} 09:00:00",
			BILLING,
			[ANN],
			status="Resolved",
			cc_reacted_at=f"{DAY} 09:10:00",
			resolution_by=f"{DAY} 17:00:00",
			resolution_date=f"{DAY} 16:00:00",
			cc_handling_seconds=3600,
		)
		# ann and bob: reacted after 40 min (breached), resolved an hour late, 30 min handled
		make_report_ticket(
			"qt-sla 2",
			f"{DAY} 10:00:00",
			BILLING,
			[ANN, BOB],
			status="Closed",
			cc_reacted_at=f"{DAY} 10:40:00",
			cc_reaction_breached=1,
			resolution_by=f"{DAY} 12:00:00",
			resolution_date=f"{DAY} 13:00:00",
			cc_handling_seconds=1800,
		)
		# bob: no reaction (breached), open long past its resolution time
		make_report_ticket(
			"qt-sla 3",
			f"{DAY} 11:00:00",
			SUPPORT,
			[BOB],
			status="Open",
			cc_reaction_breached=1,
			resolution_by="2025-03-04 11:00:00",
			cc_handling_seconds=600,
		)
		make_report_ticket("qt-sla 4", "2025-03-05 11:00:00", SUPPORT, [BOB])  # outside the range

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def rows(self, **filters):
		columns, data, _m, chart, summary = execute(
			frappe._dict({"from_date": DAY, "to_date": DAY, **filters})
		)
		return [c["fieldname"] for c in columns], data, chart, summary

	def test_every_column_per_team_and_agent(self):
		names, data, chart, summary = self.rows(team=BILLING)
		self.assertEqual(
			names,
			[
				"team",
				"agent",
				"tickets",
				"resolved",
				"reaction_breaches",
				"reaction_breach_rate",
				"resolution_breaches",
				"resolution_breach_rate",
				"median_reaction",
				"handling_time",
				"average_handling",
			],
		)
		self.assertEqual(
			[[r[n] for n in names] for r in data],
			[
				[BILLING, "", 2, 2, 1, 50.0, 1, 50.0, 1500, 5400, 2700],
				[BILLING, ANN, 2, 2, 1, 50.0, 1, 50.0, 1500, 5400, 2700],
				[BILLING, BOB, 1, 1, 1, 100.0, 1, 100.0, 2400, 1800, 1800],
				["Total", "", 2, 2, 1, 50.0, 1, 50.0, 1500, 5400, 2700],
			],
		)
		self.assertEqual(chart["data"]["labels"], [BILLING])
		self.assertEqual([s["value"] for s in summary], [2, 1, 1])

	def test_both_teams_and_the_agent_filter(self):
		_names, data, _chart, _summary = self.rows(agent=BOB)
		mine = [(r["team"], r["agent"], r["tickets"], r["resolution_breaches"]) for r in data]
		self.assertEqual(
			[m for m in mine if m[0] in (BILLING, SUPPORT, "Total")],
			[
				(BILLING, "", 1, 1),
				(BILLING, BOB, 1, 1),
				(SUPPORT, "", 1, 1),
				(SUPPORT, BOB, 1, 1),
				("Total", "", 2, 2),
			],
		)

	def test_scope(self):
		frappe.set_user(ANN)
		_names, data, _chart, _summary = self.rows()
		self.assertEqual({r["agent"] for r in data}, {"", ANN})
		self.assertEqual(data[-1]["tickets"], 2)  # only the tickets ann holds
		with self.assertRaises(frappe.PermissionError):
			self.rows(agent=BOB)
		frappe.set_user(SUP)  # the Billing team: ann (and the supervisor)
		_names, data, _chart, _summary = self.rows()
		self.assertEqual({r["agent"] for r in data}, {"", ANN})
		nobody = make_user("qt-sla-nobody@example.com")
		frappe.set_user(nobody)
		_names, data, _chart, _summary = self.rows()  # Helpdesk lets any desk user read HD Ticket: no rows
		self.assertEqual(data, [])
		with self.assertRaises(frappe.PermissionError):  # and the report is for the call center's roles
			run_report("SLA", {"from_date": DAY, "to_date": DAY})
