# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the default outcomes are seeded once and give back the hopper's rules; bad outcomes are refused
naming the field."""

import frappe
from frappe.model.document import Document
from frappe.tests.utils import FrappeTestCase

from callcenter_app.dialer.campaigns import SYSTEM_CODES, merge_rules
from callcenter_app.dialer.hopper import DEFAULT_RULES
from callcenter_app.dialer.service import outcome_records
from callcenter_app.install import ensure_outcomes


def outcome(name: str, code: str, **values) -> Document:
	return frappe.get_doc(
		{"doctype": "CC Outcome", "outcome_name": name, "code": code, "enabled": 1, **values}
	)


class TestCCOutcome(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_seeded_outcomes_are_the_hoppers_default_rules(self):
		defaults = [r for r in outcome_records() if r.code in DEFAULT_RULES]
		self.assertEqual(merge_rules(defaults), dict(DEFAULT_RULES))
		system = set(frappe.get_all("CC Outcome", filters={"system": 1}, pluck="code"))
		self.assertEqual(system, SYSTEM_CODES)

	def test_seeding_is_idempotent_and_restores_a_missing_code(self):
		ensure_outcomes()
		count = frappe.db.count("CC Outcome")
		ensure_outcomes()
		self.assertEqual(frappe.db.count("CC Outcome"), count)
		frappe.db.delete("CC Outcome", {"code": "busy"})
		frappe.db.set_value("CC Outcome", "Refused", "retry_after_minutes", 7)  # an admin's change stays
		ensure_outcomes()
		self.assertEqual(frappe.db.count("CC Outcome"), count)
		self.assertEqual(frappe.db.get_value("CC Outcome", {"code": "busy"}, "retry_after_minutes"), 15)
		self.assertEqual(frappe.db.get_value("CC Outcome", "Refused", "retry_after_minutes"), 7)

	def test_a_successful_outcome_must_be_final(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Final: a successful outcome must be final"):
			outcome("CC Test Sale", "cc_test_sale", success=1).insert()

	def test_a_callback_outcome_cannot_be_final(self):
		with self.assertRaisesRegex(
			frappe.ValidationError,
			"Schedules a callback: an outcome that schedules a callback cannot be final",
		):
			outcome("CC Test Later", "cc_test_later", schedules_callback=1, final=1).insert()

	def test_codes_are_machine_names(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Code: use 1-40 lower-case letters"):
			outcome("CC Test Odd", "Not Interested!").insert()
		with self.assertRaisesRegex(frappe.ValidationError, "Retry after \\(minutes\\)"):
			outcome("CC Test Neg", "cc_test_neg", retry_after_minutes=-5).insert()

	def test_dialer_outcomes_stay_enabled_and_known_ones_cannot_be_deleted(self):
		busy = frappe.get_doc("CC Outcome", {"code": "busy"})
		busy.enabled = 0
		with self.assertRaisesRegex(frappe.ValidationError, "Enabled: the dialer records busy itself"):
			busy.save()
		with self.assertRaisesRegex(frappe.ValidationError, "disable it instead"):
			frappe.delete_doc("CC Outcome", "Refused")
		refused = frappe.get_doc("CC Outcome", "Refused")
		refused.enabled = 0
		refused.save()  # an operator outcome may be disabled
		custom = outcome("CC Test Upsell", "cc_test_upsell", final=1, success=1).insert()
		frappe.delete_doc("CC Outcome", custom.name)
		self.assertFalse(frappe.db.exists("CC Outcome", custom.name))
