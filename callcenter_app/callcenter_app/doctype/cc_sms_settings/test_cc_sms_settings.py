# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: CC SMS Settings needs its provider's secret (kept as a Password), a clean public URL, and
numbers it can read; numbers are stored in E.164."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.test_utils import SMS_TOKEN, make_sms_settings


class TestSmsSettings(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def tearDown(self):
		frappe.db.rollback()

	def test_the_token_is_a_password_and_numbers_are_normalised(self):
		make_sms_settings(receive_numbers="+370 5 200 0000\n+370 (5) 200 0001, +37052000000")
		settings = frappe.get_single("CC SMS Settings")
		self.assertEqual(settings.receive_numbers, "+37052000000\n+37052000001")
		self.assertNotEqual(settings.webhook_token, SMS_TOKEN)
		self.assertEqual(settings.get_password("webhook_token"), SMS_TOKEN)
		self.assertFalse(frappe.db.sql("select 1 from `tabSingles` where value=%s", SMS_TOKEN))

	def test_saving_again_keeps_the_stored_token(self):
		make_sms_settings()
		settings = frappe.get_single("CC SMS Settings")
		settings.public_base_url = "https://support.example.com/"
		settings.save()
		self.assertEqual(settings.public_base_url, "https://support.example.com")
		self.assertEqual(settings.get_password("webhook_token"), SMS_TOKEN)

	def test_each_problem_is_refused_naming_its_field(self):
		cases = [
			({"provider": "Generic", "webhook_token": ""}, "Webhook token"),
			({"provider": "Generic", "webhook_token": "short"}, "at least 16"),
			({"provider": "Twilio", "twilio_auth_token": ""}, "Twilio Auth Token"),
			({"public_base_url": "https://user:pw@support.example.com"}, "Public URL"),
			({"receive_numbers": "+37052000000\nnot a number"}, "line 2"),
		]
		for values, words in cases:
			with self.subTest(values=values):
				frappe.db.delete("__Auth", {"doctype": "CC SMS Settings"})
				with self.assertRaises(frappe.ValidationError) as e:
					make_sms_settings(**values)
				self.assertIn(words, str(e.exception))
