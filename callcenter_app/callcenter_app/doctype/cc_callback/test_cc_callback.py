# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: public callbacks are for every operator of the campaign, private ones only for their operator."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from callcenter_app.test_utils import make_campaign, make_campaign_contact, make_operator, make_user


def callback(contact: str, visibility: str = "Public", owner_user: str | None = None, **values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CC Callback",
			"campaign_contact": contact,
			"due_at": add_to_date(now_datetime(), hours=1),
			"visibility": visibility,
			"owner_user": owner_user,
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


class TestCCCallback(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_operator("cc-op-ann@example.com")
		self.bob = make_operator("cc-op-bob@example.com")
		self.cid = make_operator("cc-op-cid@example.com")  # works on another campaign only
		self.campaign = make_campaign("CC Test Callbacks", operators=(self.ann, self.bob))
		make_campaign("CC Test Elsewhere", operators=(self.cid,))
		self.contact = make_campaign_contact(self.campaign, "+37060012345", full_name="Ona")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_campaign_phone_and_name_come_from_the_contact(self):
		name = callback(self.contact, campaign=None)
		self.assertEqual(
			frappe.db.get_value("CC Callback", name, ["campaign", "phone", "full_name"]),
			(self.campaign, "+37060012345", "Ona"),
		)

	def test_a_private_callback_needs_an_operator_of_the_campaign(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Operator"):
			callback(self.contact, "Private")
		with self.assertRaisesRegex(
			frappe.ValidationError,
			f"Operator: {self.cid} is not an active operator of campaign {self.campaign}",
		):
			callback(self.contact, "Private", self.cid)
		with self.assertRaisesRegex(frappe.MandatoryError, "due_at"):
			callback(self.contact, due_at=None)

	def test_operator_a_cannot_read_operator_bs_private_callback(self):
		bobs = callback(self.contact, "Private", self.bob)
		anns = callback(self.contact, "Private", self.ann)
		public = callback(self.contact, "Public", self.bob)

		frappe.set_user(self.ann)
		self.assertEqual(set(frappe.get_list("CC Callback", pluck="name")), {anns, public})
		self.assertFalse(frappe.has_permission("CC Callback", "read", doc=bobs))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("CC Callback", bobs).check_permission("read")
		self.assertTrue(frappe.has_permission("CC Callback", "write", doc=public))

		frappe.set_user(self.bob)
		self.assertEqual(set(frappe.get_list("CC Callback", pluck="name")), {bobs, public})

		frappe.set_user(self.cid)  # an operator of another campaign sees none of them
		self.assertEqual(frappe.get_list("CC Callback", pluck="name"), [])
		self.assertFalse(frappe.has_permission("CC Callback", "read", doc=public))

		frappe.set_user(make_user("cc-sup@example.com", ("Agent Supervisor",)))
		self.assertEqual(set(frappe.get_list("CC Callback", pluck="name")), {bobs, anns, public})
