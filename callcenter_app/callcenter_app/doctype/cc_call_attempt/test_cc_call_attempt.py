# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: attempts are written by the dialer service, checked for time order, and read-only for operators."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from callcenter_app.dialer import service
from callcenter_app.test_utils import make_campaign, make_campaign_contact, make_operator


class TestCCCallAttempt(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_operator("cc-op-ann@example.com")
		self.bob = make_operator("cc-op-bob@example.com")
		self.campaign = make_campaign("CC Test Attempts", operators=(self.ann,))
		self.contact = make_campaign_contact(self.campaign, "+37060012345")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_an_attempt_copies_its_contact_and_checks_time_order(self):
		name = service.create_attempt(self.contact, self.ann, action_id="cc-1")
		attempt = frappe.get_doc("CC Call Attempt", name)
		self.assertEqual(
			(attempt.campaign, attempt.phone, attempt.operator), (self.campaign, "+37060012345", self.ann)
		)
		attempt.ended_at = add_to_date(attempt.started_at, seconds=-5)
		with self.assertRaisesRegex(frappe.ValidationError, "Ended: .* is before the start of the attempt"):
			attempt.save()
		service.update_attempt(name, answered_at=add_to_date(now_datetime(), seconds=3), abandoned=1)
		self.assertEqual(frappe.db.get_value("CC Call Attempt", name, "abandoned"), 1)
		with self.assertRaises(TypeError):
			service.update_attempt(name, outcome="Busy")  # outcomes go through record_outcome

	def test_operators_read_their_campaigns_attempts_and_write_none(self):
		name = service.create_attempt(self.contact, self.ann)
		frappe.set_user(self.ann)
		self.assertEqual(frappe.get_list("CC Call Attempt", pluck="name"), [name])
		self.assertFalse(frappe.has_permission("CC Call Attempt", "write", doc=name))
		self.assertFalse(frappe.has_permission("CC Call Attempt", "create"))
		frappe.set_user(self.bob)
		self.assertEqual(frappe.get_list("CC Call Attempt", pluck="name"), [])
		with self.assertRaises(frappe.PermissionError):
			service.create_attempt(self.contact, self.bob)  # not an operator of this campaign
