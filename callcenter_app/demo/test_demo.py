import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.demo.service import AGENTS, CAMPAIGN, CONTACTS, install_demo
from callcenter_app.telephony.routing.service import load_routeset
from callcenter_app.telephony.routing.simulate import simulate


class TestDemo(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_the_demo_makes_a_call_center_that_routes_and_dials_and_a_second_run_makes_nothing(self):
		lines = []
		made = install_demo(say=lines.append)
		self.assertTrue(lines, "the demo says what it did")
		if made:  # a site that already had the demo creates nothing (checked below)
			self.assertEqual(made.get("CC Call Queue"), 2)
			self.assertEqual(made.get("CC SIP Account"), len(AGENTS))

		routes = load_routeset()
		vilnius = ZoneInfo("Europe/Vilnius")  # the office hours' own time zone, whatever the site's is
		tuesday_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=vilnius)
		sales = simulate(routes, "+37052000100", "+37069999999", tuesday_10, digits=["1"])
		self.assertEqual((sales.outcome.result, sales.outcome.target), ("answered", "demo-sales"))
		vip = simulate(routes, "+37052000100", CONTACTS[0][2], tuesday_10)
		self.assertEqual(vip.outcome.target, "demo-support")
		christmas = simulate(
			routes, "+37052000100", "+37069999999", dt.datetime(2026, 12, 24, 10, 0, tzinfo=vilnius)
		)
		self.assertEqual(christmas.outcome.result, "voicemail")

		for username, _first, levels in AGENTS:
			account = frappe.get_doc("CC SIP Account", username)
			self.assertTrue(account.extension, f"{username} has an extension")
			self.assertTrue(account.get_password("secret"))
			for queue, level in levels.items():
				self.assertEqual(
					frappe.db.get_value(
						"CC Call Queue Member", {"parent": queue, "agent": account.user}, "level"
					),
					level,
				)
		listed = frappe.get_all("CC Campaign Contact", {"campaign": CAMPAIGN}, pluck="phone")
		self.assertEqual(sorted(listed), sorted(phone for *_names, phone in CONTACTS))

		self.assertEqual(install_demo(say=lines.append), {}, "a second run creates nothing")
