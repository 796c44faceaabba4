# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: do-not-call numbers are normalised, once per list (global or a campaign's), and importable."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.dialer import service
from callcenter_app.test_utils import delete_campaign, make_campaign


def dnc(number: str, campaign: str | None = None, **values) -> str:
	doc = frappe.get_doc({"doctype": "CC DNC Number", "number": number, "campaign": campaign, **values})
	doc.insert()
	return doc.name


class TestCCDNCNumber(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.campaign = make_campaign("CC Test DNC")

	def tearDown(self):
		frappe.db.rollback()

	def test_numbers_are_normalised_and_named_by_their_list(self):
		self.assertEqual(dnc("+370 600 12345"), "+37060012345")
		self.assertEqual(dnc("00370 600 12345", self.campaign), f"+37060012345@{self.campaign}")
		self.assertEqual(frappe.db.get_value("CC DNC Number", "+37060012345", "added_by"), "Administrator")
		self.assertEqual(
			service.dnc_numbers(self.campaign), (frozenset({"+37060012345"}), frozenset({"+37060012345"}))
		)

	def test_a_number_is_once_on_each_list(self):
		dnc("+37060012345")
		with self.assertRaisesRegex(
			frappe.ValidationError, "Number: \\+37060012345 is already on the global list"
		):
			dnc("+370 600 12345")
		dnc("+37060012345", self.campaign)
		with self.assertRaisesRegex(
			frappe.ValidationError,
			f"Number: \\+37060012345 is already on the list of campaign {self.campaign}",
		):
			dnc("+37060012345", self.campaign)

	def test_bad_numbers_are_refused_naming_the_field(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Number: 'call me' is not a phone number"):
			dnc("call me")
		with self.assertRaisesRegex(frappe.ValidationError, "Number: '555' is an internal extension"):
			dnc("555")

	def test_operators_cannot_read_the_list(self):
		from callcenter_app.test_utils import make_operator

		dnc("+37060012345")
		self.assertFalse(
			frappe.has_permission("CC DNC Number", "read", user=make_operator("cc-op-ann@example.com"))
		)


class TestDNCImport(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		make_campaign("CC Test DNC Import")
		frappe.db.commit()
		self.data_import = None

	def tearDown(self):
		frappe.db.rollback()
		if self.data_import:
			frappe.db.delete("Data Import Log", {"data_import": self.data_import})
			frappe.db.delete("Data Import", {"name": self.data_import})
		frappe.db.delete("File", {"file_name": "cc_test_dnc.csv"})
		frappe.db.delete("CC DNC Number", {"reason": "cc-test-import"})
		delete_campaign("CC Test DNC Import")
		frappe.db.commit()

	def test_import_keeps_good_numbers_and_reports_bad_ones(self):
		csv = (
			"Number,Campaign,Reason\n"
			"+370 600 12345,,cc-test-import\n"  # row 2: global
			"+37060012345,CC Test DNC Import,cc-test-import\n"  # row 3: the campaign's list
			"0037060012345,,cc-test-import\n"  # row 4: row 2 again
			"not a number,,cc-test-import\n"  # row 5
		)
		file = frappe.get_doc(
			{"doctype": "File", "file_name": "cc_test_dnc.csv", "content": csv.encode(), "is_private": 1}
		).insert(ignore_permissions=True)
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "CC DNC Number",
				"import_type": "Insert New Records",
				"import_file": file.file_url,
			}
		).insert()
		frappe.db.commit()
		self.data_import = data_import.name
		data_import.start_import()
		logs = frappe.get_all(
			"Data Import Log",
			filters={"data_import": data_import.name},
			fields=["row_indexes", "success", "messages"],
			order_by="log_index",
		)
		failed = {json.loads(log.row_indexes)[0]: log.messages for log in logs if not log.success}
		self.assertEqual(sorted(failed), [4, 5])
		self.assertIn("already on the global list", failed[4])
		self.assertIn("'not a number' is not a phone number", failed[5])
		self.assertEqual(
			sorted(frappe.get_all("CC DNC Number", filters={"reason": "cc-test-import"}, pluck="name")),
			["+37060012345", "+37060012345@CC Test DNC Import"],
		)
