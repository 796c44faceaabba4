# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: SIP accounts get free extensions (and refuse taken or bad ones), the patch numbers old ones,
and a queue that records renders a monitor format."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.asterisk_config.render import render_all
from callcenter_app.telephony.asterisk_config.service import asterisk_inputs


class TestExtensions(FrappeTestCase):
	"""Attended transfers dial key presses: every SIP account has an extension, unique, digits only."""

	def tearDown(self):
		frappe.db.rollback()

	def account(self, username: str, **values):
		return frappe.get_doc(
			{"doctype": "CC SIP Account", "username": username, "secret": "a-long-sip-secret-1", **values}
		).insert()

	def test_an_empty_extension_gets_the_next_free_number(self):
		first = self.account("t-ext-a")
		second = self.account("t-ext-b")
		self.assertTrue(first.extension.isdigit() and int(first.extension) >= 1001)
		self.assertEqual(int(second.extension), int(first.extension) + 1)

	def test_a_taken_or_bad_extension_is_refused_by_name(self):
		taken = self.account("t-ext-c").extension
		with self.assertRaisesRegex(frappe.ValidationError, f"Extension: {taken} is another SIP account"):
			self.account("t-ext-d", extension=taken)
		with self.assertRaisesRegex(frappe.ValidationError, "Extension: use 2 to 6 digits"):
			self.account("t-ext-e", extension="12a")

	def test_the_patch_numbers_existing_accounts(self):
		from callcenter_app.patches.v1_0 import sip_account_extensions

		name = self.account("t-ext-f").name
		frappe.db.set_value("CC SIP Account", name, "extension", None)
		sip_account_extensions.execute()
		self.assertTrue(frappe.db.get_value("CC SIP Account", name, "extension").isdigit())

	def test_queues_that_record_render_a_monitor_format(self):
		frappe.get_doc(
			{"doctype": "CC Call Queue", "queue_name": "t-rec-q", "max_wait": 60, "record_calls": 1}
		).insert()
		accounts, queues, agi = asterisk_inputs(agi_host="10.1.2.3")
		self.assertTrue(next(q for q in queues if q.name == "t-rec-q").record)
		text = render_all(accounts, queues, agi).files["queues.conf"].split("[t-rec-q]", 1)[1]
		self.assertIn("monitor-format=wav", text.split("\n[")[0])
