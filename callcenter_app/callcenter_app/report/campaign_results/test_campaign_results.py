# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: Campaign Results over hand-made call attempts and callbacks; operators see their campaigns."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.callcenter_app.report.campaign_results.campaign_results import execute
from callcenter_app.test_utils import make_campaign, make_campaign_contact, make_operator

CAMPAIGN, OTHER = "qt-cr-campaign", "qt-cr-other"
OPERATOR = "qt-cr-operator@example.com"
SALE, NO = "qt-cr Sale", "qt-cr No interest"
D1, D2 = "2025-03-03", "2025-03-04"


def outcome(name: str, success: int) -> str:
	if not frappe.db.exists("CC Outcome", name):
		frappe.get_doc(
			{
				"doctype": "CC Outcome",
				"outcome_name": name,
				"code": name.split()[-1].lower(),
				"enabled": 1,
				"final": success,
				"success": success,
			}
		).insert(ignore_permissions=True)
	return name


def attempt(contact: str, started: str, campaign: str = CAMPAIGN, **values) -> None:
	frappe.get_doc(
		{
			"doctype": "CC Call Attempt",
			"campaign": campaign,
			"campaign_contact": contact,
			"phone": "+37060000000",
			"started_at": started,
			**values,
		}
	).insert(ignore_permissions=True)


def callback(contact: str, due: str, status: str, campaign: str = CAMPAIGN) -> None:
	doc = frappe.get_doc(
		{
			"doctype": "CC Callback",
			"campaign": campaign,
			"campaign_contact": contact,
			"full_name": "Client",
			"phone": "+37060000000",
			"due_at": due,
			"visibility": "Public",
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value("CC Callback", doc.name, "status", status)


class TestCampaignResults(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		make_operator(OPERATOR)
		make_campaign(CAMPAIGN, operators=(OPERATOR,))
		make_campaign(OTHER)
		outcome(SALE, 1)
		outcome(NO, 0)
		c = [make_campaign_contact(CAMPAIGN, f"+3706000000{i}") for i in range(5)]
		attempt(c[0], f"{D1} 09:00:00", answered_at=f"{D1} 09:00:10", outcome=SALE)
		attempt(c[1], f"{D1} 09:10:00", answered_at=f"{D1} 09:10:10", outcome=NO)
		attempt(c[1], f"{D1} 15:00:00", answered_at=f"{D1} 15:00:10", outcome=SALE)  # same contact again
		attempt(c[2], f"{D1} 09:20:00", answered_at=f"{D1} 09:20:05", abandoned=1, result="abandoned")
		attempt(c[3], f"{D1} 09:30:00", answered_at=f"{D1} 09:30:05", result="answering_machine")
		attempt(c[4], f"{D1} 09:40:00", result="no_answer")
		attempt(c[2], f"{D2} 10:00:00", answered_at=f"{D2} 10:00:10", outcome=NO)
		other = make_campaign_contact(OTHER, "+37060000009")
		attempt(other, f"{D1} 10:00:00", campaign=OTHER, answered_at=f"{D1} 10:00:10", outcome=SALE)
		callback(c[0], f"{D1} 12:00:00", "Open")  # due in the past, still open: overdue
		callback(c[0], f"{D1} 13:00:00", "Done")
		callback(c[0], f"{D1} 14:00:00", "Cancelled")  # not counted
		callback(c[0], f"{D2} 12:00:00", "Open")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def rows(self, **filters):
		columns, data, _m, chart, _s = execute(frappe._dict({"from_date": D1, "to_date": D2, **filters}))
		return [c["fieldname"] for c in columns], data, chart

	def test_every_column_per_day(self):
		names, data, chart = self.rows(campaign=CAMPAIGN)
		self.assertEqual(
			names,
			[
				"day",
				"campaign",
				"attempts",
				"contacts_reached",
				"conversions",
				"conversion",
				"abandoned",
				"abandon_rate",
				"callbacks_due",
				"callbacks_overdue",
				f"outcome:{NO}",
				f"outcome:{SALE}",
			],
		)
		self.assertEqual(
			[[r[n] for n in names] for r in data],
			[
				[D1, CAMPAIGN, 6, 2, 2, 100.0, 1, 25.0, 2, 1, 1, 2],
				[D2, CAMPAIGN, 1, 1, 0, 0.0, 0, 0.0, 1, 1, 1, 0],
				["Total", "", 7, 3, 2, 66.67, 1, 20.0, 3, 2, 2, 2],
			],
		)
		self.assertEqual(chart["data"]["labels"], [D1, D2])

	def test_an_operator_sees_only_their_campaigns(self):
		_names, data, _chart = self.rows()
		self.assertEqual(
			{r["campaign"] for r in data} - {""},
			{CAMPAIGN, OTHER} | ({r["campaign"] for r in data} - {"", CAMPAIGN, OTHER}),
		)
		frappe.set_user(OPERATOR)
		_names, data, _chart = self.rows()
		self.assertEqual({r["campaign"] for r in data if not r.get("is_total")}, {CAMPAIGN})
		_names, data, _chart = self.rows(campaign=OTHER)
		self.assertEqual(data, [])
