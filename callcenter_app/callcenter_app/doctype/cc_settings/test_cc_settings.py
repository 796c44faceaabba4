# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase


class TestCCSettings(FrappeTestCase):
	def setUp(self):
		self.settings = frappe.get_single("CC Settings")
		self.settings.update(
			{
				"pbx_enabled": 0,
				"ami_host": "127.0.0.1",
				"ami_port": 5038,
				"agi_bind_address": "127.0.0.1",
				"agi_port": 4573,
				"recordings_folder": "/var/spool/asterisk/monitor",
				"site_timezone": "Europe/Vilnius",
				"qos_reference_wait": 20,
				"qos_limit_wait": 60,
				"qos_early_factor": 0.25,
			}
		)

	def tearDown(self):
		frappe.db.rollback()

	def assertRefused(self, label: str, reason_part: str):
		with self.assertRaises(frappe.ValidationError) as ctx:
			self.settings.save()
		self.assertIn(label, str(ctx.exception))
		self.assertIn(reason_part, str(ctx.exception))

	def test_valid_settings_save(self):
		self.settings.save()
		self.assertEqual(frappe.db.get_single_value("CC Settings", "agi_port"), 4573)

	def test_port_out_of_range_names_the_field(self):
		self.settings.ami_port = 70000
		self.assertRefused("AMI Port", "from 1 to 65535")
		self.settings.ami_port = 5038
		self.settings.agi_port = 0
		self.assertRefused("AGI Port", "from 1 to 65535")

	def test_limit_must_exceed_reference(self):
		self.settings.qos_reference_wait = 30
		self.settings.qos_limit_wait = 30
		self.assertRefused("QoS Limit Wait Time", "greater than the reference wait time (30 s)")

	def test_bad_timezone_and_folder(self):
		self.settings.site_timezone = "Mars/Olympus"
		self.assertRefused("Call Center Time Zone", "not a known IANA time zone")
		self.settings.site_timezone = "Europe/Vilnius"
		self.settings.recordings_folder = "recordings"
		self.assertRefused("Recordings Folder", "absolute path")

	def test_pbx_needs_credentials(self):
		self.settings.pbx_enabled = 1
		self.settings.ami_username = ""
		self.assertRefused("AMI Username", "required")
		self.settings.ami_username = "callcenter"
		self.settings.ami_secret = ""
		self.assertRefused("AMI Secret", "required")

	def test_secret_is_stored_as_password(self):
		self.settings.pbx_enabled = 1
		self.settings.ami_username = "callcenter"
		self.settings.ami_secret = "s3cret-value"
		self.settings.save()
		self.assertNotEqual(frappe.db.get_single_value("CC Settings", "ami_secret"), "s3cret-value")
		self.assertEqual(frappe.get_single("CC Settings").get_password("ami_secret"), "s3cret-value")

	def test_secret_with_line_break_is_refused(self):
		self.settings.pbx_enabled = 1
		self.settings.ami_username = "callcenter"
		self.settings.ami_secret = "abc\r\nAction: Originate"
		self.assertRefused("AMI Secret", "line breaks")
