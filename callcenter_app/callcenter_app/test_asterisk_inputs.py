"""Bench test of asterisk_config/service.py: render-asterisk's inputs come from the records, with the SIP
secret decrypted only there."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.asterisk_config.render import render_all
from callcenter_app.telephony.asterisk_config.service import asterisk_inputs


class TestAsteriskInputs(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_records_render_to_asterisk_config(self):
		for username, secret in (("t-ast-ann", "ann-secret-123456"), ("t-ast-bob", "bob-secret-123456")):
			frappe.get_doc(
				{
					"doctype": "CC SIP Account",
					"username": username,
					"secret": secret,
					"display_name": username,
				}
			).insert()
		frappe.get_doc(
			{
				"doctype": "CC Call Queue",
				"queue_name": "t-ast-q",
				"max_wait": 120,
				"members": [
					{"sip_account": "t-ast-bob", "level": 2, "position": 1},
					{"sip_account": "t-ast-ann", "level": 1, "position": 5},
				],
			}
		).insert()
		accounts, queues, agi = asterisk_inputs(agi_host="10.1.2.3")
		ann = next(a for a in accounts if a.username == "t-ast-ann")
		self.assertEqual(ann.secret, "ann-secret-123456")
		self.assertEqual(agi.host, "10.1.2.3")
		files = render_all(accounts, queues, agi).files
		self.assertIn("password=ann-secret-123456", files["pjsip.conf"])
		self.assertNotIn("ann-secret", files["queues.conf"] + files["extensions.conf"])
		queue = files["queues.conf"].split("[t-ast-q]", 1)[1]
		self.assertLess(
			queue.index("; member PJSIP/t-ast-ann level 1"), queue.index("; member PJSIP/t-ast-bob level 2")
		)
		self.assertIn("AGI(agi://10.1.2.3:", files["extensions.conf"])
