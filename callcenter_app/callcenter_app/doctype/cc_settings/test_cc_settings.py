# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import remove_encrypted_password


class TestCCSettings(FrappeTestCase):
	VALID = {
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

	def settings_with(self, **overrides):
		# a fresh document each time: a refused save leaves the in-memory `modified` ahead of the row
		doc = frappe.get_single("CC Settings")
		doc.update({**self.VALID, **overrides})
		return doc

	def tearDown(self):
		frappe.db.rollback()

	def assertRefused(self, label: str, reason_part: str, **overrides):
		with self.assertRaises(frappe.ValidationError) as ctx:
			self.settings_with(**overrides).save()
		self.assertIn(label, str(ctx.exception))
		self.assertIn(reason_part, str(ctx.exception))

	def test_valid_settings_save(self):
		# the secret typed again: whatever AMI address an earlier test left stored, moving it needs the secret
		self.settings_with(ami_secret="typed-again").save()
		self.assertEqual(frappe.db.get_single_value("CC Settings", "agi_port"), 4573)

	def test_port_out_of_range_names_the_field(self):
		self.assertRefused("AMI Port", "from 1 to 65535", ami_port=70000)
		self.assertRefused("AGI Port", "from 1 to 65535", agi_port=0)

	def test_limit_must_exceed_reference(self):
		self.assertRefused(
			"QoS Limit Wait Time",
			"greater than the reference wait time (30 s)",
			qos_reference_wait=30,
			qos_limit_wait=30,
		)

	def test_bad_timezone_and_folder(self):
		self.assertRefused(
			"Call Center Time Zone", "not a known IANA time zone", site_timezone="Mars/Olympus"
		)
		self.assertRefused("Recordings Folder", "absolute path", recordings_folder="recordings")

	def test_pbx_needs_credentials(self):
		self.assertRefused("AMI Username", "required", pbx_enabled=1, ami_username="")
		remove_encrypted_password("CC Settings", "CC Settings", "ami_secret")
		self.assertRefused("AMI Secret", "required", pbx_enabled=1, ami_username="callcenter", ami_secret="")

	def test_secret_is_stored_as_password(self):
		self.settings_with(pbx_enabled=1, ami_username="callcenter", ami_secret="s3cret-value").save()
		self.assertNotEqual(frappe.db.get_single_value("CC Settings", "ami_secret"), "s3cret-value")
		self.assertEqual(frappe.get_single("CC Settings").get_password("ami_secret"), "s3cret-value")

	def test_secret_with_line_break_is_refused(self):
		self.assertRefused(
			"AMI Secret",
			"line breaks",
			pbx_enabled=1,
			ami_username="callcenter",
			ami_secret="abc\r\nAction: Originate",
		)
