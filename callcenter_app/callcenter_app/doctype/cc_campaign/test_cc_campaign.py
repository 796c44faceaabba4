# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: a campaign's settings are checked field by field, and read back into the hopper's inputs."""

import datetime as dt

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.dialer import service
from callcenter_app.dialer.windows import CallWindow
from callcenter_app.test_utils import make_call_queue, make_campaign, make_operator, make_user


class TestCCCampaign(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_operator("cc-op-ann@example.com")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def assertRefused(self, pattern: str, **values):
		with self.assertRaisesRegex(frappe.ValidationError, pattern):
			make_campaign("CC Test Bad", **values)
		self.assertFalse(frappe.db.exists("CC Campaign", "CC Test Bad"))

	def test_abandon_target_is_above_zero_and_at_most_three_percent(self):
		self.assertRefused("Abandon target: must be above 0 and at most 3 % .* not 5 %", abandon_target=5)
		self.assertRefused("Abandon target: must be above 0", abandon_target=0)
		name = make_campaign("CC Test Ok", abandon_target=2.5)
		self.assertEqual(service.campaign_plan(name).abandon_target, 0.025)

	def test_queued_modes_and_inbound_need_a_queue(self):
		self.assertRefused("Queue: is required in Predictive mode", dialer_mode="Predictive")
		self.assertRefused("Queue: is required for an inbound campaign", direction="Inbound")
		queue = make_call_queue("cc-test-dialer", [])
		self.assertTrue(make_campaign("CC Test Predictive", dialer_mode="Predictive", call_queue=queue))

	def test_bad_windows_name_their_row_and_column(self):
		windows = [
			{"weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "17:00:00"},
			{"weekdays": "Mox", "start_time": "09:00:00", "end_time": "17:00:00"},
		]
		self.assertRefused("Calling windows: row 2, Days: unknown weekday 'Mox'", windows=windows)
		self.assertRefused(
			"Calling windows: an active outbound campaign needs at least one calling window", windows=[]
		)

	def test_caller_id_and_time_zone(self):
		self.assertRefused("Caller ID: '12ab' is not a phone number", caller_id="12ab")
		self.assertRefused(
			"Default time zone: 'Mars/Base' is not a known IANA time zone", default_timezone="Mars/Base"
		)
		name = make_campaign("CC Test Caller", caller_id="00370 5 200 0000", default_timezone="")
		doc = frappe.get_doc("CC Campaign", name)
		self.assertEqual(doc.caller_id, "+37052000000")
		self.assertTrue(doc.default_timezone)  # the call center's zone when left empty

	def test_retry_delays_override_the_outcome_and_refuse_final_ones(self):
		self.assertRefused(
			"Retry delays: row 1, Outcome: Success is final",
			outcome_rules=[{"outcome": "Success", "retry_after_minutes": 5}],
		)
		self.assertRefused("Maximum attempts: must be at least 1, not 0", max_attempts=0)
		name = make_campaign(
			"CC Test Rules",
			windows=[{"weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "17:30:00"}],
			outcome_rules=[{"outcome": "Busy", "retry_after_minutes": 3}],
			operators=(self.ann,),
		)
		plan = service.campaign_plan(name)
		self.assertEqual(plan.rules["busy"].retry_delay_s, 180)
		self.assertEqual(plan.rules["no_answer"].retry_delay_s, 7200)
		self.assertEqual(plan.windows, (CallWindow(frozenset(range(5)), dt.time(9), dt.time(17, 30)),))
		self.assertEqual(plan.operators, (self.ann,))
		self.assertEqual((plan.max_attempts, plan.abandon_target, plan.check_dnc), (3, 0.03, True))

	def test_operators_see_only_their_campaigns(self):
		mine = make_campaign("CC Test Mine", operators=(self.ann,))
		other = make_campaign("CC Test Other")
		frappe.set_user(self.ann)
		visible = set(frappe.get_list("CC Campaign", pluck="name"))
		self.assertIn(mine, visible)
		self.assertNotIn(other, visible)
		self.assertFalse(frappe.has_permission("CC Campaign", "read", doc=other))
		self.assertFalse(frappe.has_permission("CC Campaign", "write", doc=mine))
		frappe.set_user(make_user("cc-pm@example.com", ("Project Manager",)))
		self.assertTrue({mine, other} <= set(frappe.get_list("CC Campaign", pluck="name")))
