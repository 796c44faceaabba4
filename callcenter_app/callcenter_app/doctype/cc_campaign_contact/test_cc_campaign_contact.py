# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: call-list numbers are normalised and unique per campaign, and a real Data Import of a CSV or
XLSX call list keeps the good rows and reports each bad one with its row number and reason."""

import io
import json

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.test_utils import (
	delete_campaign,
	make_campaign,
	make_campaign_contact,
	make_operator,
)

IMPORT_CAMPAIGN = "CC Test Import"
# header is row 1; Frappe's import log counts rows the same way
CALL_LIST = [
	["Campaign", "Phone", "full_name", "Priority"],
	[IMPORT_CAMPAIGN, "+370 600 12345", "Ona Good", "5"],  # row 2: kept, normalised
	[IMPORT_CAMPAIGN, "12ab", "Bad Number", "0"],  # row 3: not a phone number
	["", "+37060012346", "No Campaign", "0"],  # row 4: campaign missing
	[IMPORT_CAMPAIGN, "00370 600 12345", "Ona Again", "0"],  # row 5: row 2's number written another way
	[IMPORT_CAMPAIGN, "+1 212 555 0143", "Jon Good", "1"],  # row 6: kept
	[IMPORT_CAMPAIGN, "1234", "Extension", "0"],  # row 7: an internal extension, not a customer
]


def messages(log) -> str:
	"""The messages of one import log row (Frappe stores the message log: dicts, or JSON strings of them)."""
	items = (m if isinstance(m, dict) else json.loads(m) for m in json.loads(log.messages or "[]"))
	return " ".join(str(m.get("message", "")) for m in items)


class TestCCCampaignContact(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.campaign = make_campaign("CC Test List")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_numbers_are_stored_in_e164(self):
		name = make_campaign_contact(self.campaign, "00370 (600) 12-345", full_name="Ona")
		self.assertEqual(frappe.db.get_value("CC Campaign Contact", name, "phone"), "+37060012345")
		self.assertEqual(frappe.db.get_value("CC Campaign Contact", name, "status"), "New")

	def test_a_bad_number_is_refused_naming_the_field_and_the_value(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Phone: '12ab' is not a phone number"):
			make_campaign_contact(self.campaign, "12ab")
		with self.assertRaisesRegex(frappe.ValidationError, "Phone: '\\+3706001' is too short"):
			make_campaign_contact(self.campaign, "+3706001")
		with self.assertRaisesRegex(frappe.ValidationError, "Phone: '1234' is an internal extension"):
			make_campaign_contact(self.campaign, "1234")
		with self.assertRaisesRegex(frappe.ValidationError, "Time zone: 'Moon/Base' is not a known IANA"):
			make_campaign_contact(self.campaign, "+37060012345", timezone="Moon/Base")

	def test_a_number_is_once_per_campaign(self):
		first = make_campaign_contact(self.campaign, "+37060012345")
		with self.assertRaisesRegex(
			frappe.ValidationError,
			f"Phone: \\+37060012345 is already in the call list of campaign {self.campaign} \\({first}\\)",
		):
			make_campaign_contact(self.campaign, "+370 600 12345")
		other = make_campaign("CC Test List 2")
		self.assertTrue(make_campaign_contact(other, "+37060012345"))  # another campaign's list

	def test_the_database_backs_up_the_uniqueness(self):
		make_campaign_contact(self.campaign, "+37060012345")
		second = make_campaign_contact(self.campaign, "+37060012399")
		with self.assertRaises(Exception) as raised:
			frappe.db.sql(
				"update `tabCC Campaign Contact` set phone = '+37060012345' where name = %s", second
			)
		self.assertTrue(frappe.db.is_unique_key_violation(raised.exception))

	def test_operators_read_only_their_campaigns_lists(self):
		ann = make_operator("cc-op-ann@example.com")
		mine = make_campaign("CC Test Ann", operators=(ann,))
		visible = make_campaign_contact(mine, "+37060012345")
		hidden = make_campaign_contact(self.campaign, "+37060012346")
		frappe.set_user(ann)
		self.assertEqual(frappe.get_list("CC Campaign Contact", pluck="name"), [visible])
		self.assertTrue(frappe.has_permission("CC Campaign Contact", "read", doc=visible))
		self.assertFalse(frappe.has_permission("CC Campaign Contact", "read", doc=hidden))
		self.assertFalse(frappe.has_permission("CC Campaign Contact", "write", doc=visible))


class TestCallListImport(FrappeTestCase):
	"""Frappe's Data Import commits after every row, so these tests commit their records and delete them."""

	def setUp(self):
		frappe.set_user("Administrator")
		make_campaign(IMPORT_CAMPAIGN)
		frappe.db.commit()
		self.imports = []

	def tearDown(self):
		frappe.db.rollback()
		for name in self.imports:
			file_url = frappe.db.get_value("Data Import", name, "import_file")
			frappe.db.delete("Data Import Log", {"data_import": name})
			frappe.db.delete("Data Import", {"name": name})
			frappe.db.delete("File", {"file_url": file_url})
		delete_campaign(IMPORT_CAMPAIGN)
		frappe.db.commit()

	def run_import(self, file_name: str, content: bytes) -> frappe._dict:
		file = frappe.get_doc(
			{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
		).insert(ignore_permissions=True)
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "CC Campaign Contact",
				"import_type": "Insert New Records",
				"import_file": file.file_url,
			}
		).insert()
		frappe.db.commit()
		self.imports.append(data_import.name)
		data_import.start_import()  # runs now under tests, as Frappe's own data import tests do
		data_import.reload()
		logs = frappe.get_all(
			"Data Import Log",
			filters={"data_import": data_import.name},
			fields=["row_indexes", "success", "messages", "docname"],
			order_by="log_index",
		)
		return frappe._dict(status=data_import.status, doc=data_import, logs=logs)

	def assert_good_rows_kept_and_bad_rows_reported(self, result):
		self.assertEqual(result.status, "Partial Success")
		imported = frappe.get_all(
			"CC Campaign Contact",
			filters={"campaign": IMPORT_CAMPAIGN},
			fields=["phone", "full_name", "priority", "status"],
			order_by="phone",
		)
		self.assertEqual(
			[(c.phone, c.full_name, c.priority, c.status) for c in imported],
			[("+12125550143", "Jon Good", 1, "New"), ("+37060012345", "Ona Good", 5, "New")],
		)
		report = {json.loads(log.row_indexes)[0]: messages(log) for log in result.logs if not log.success}
		self.assertEqual(sorted(report), [3, 4, 5, 7])
		self.assertIn("Phone: '12ab' is not a phone number", report[3])
		self.assertRegex(report[4], "Value missing for .*Campaign")
		self.assertIn(
			f"Phone: +37060012345 is already in the call list of campaign {IMPORT_CAMPAIGN}", report[5]
		)
		self.assertIn("Phone: '1234' is an internal extension", report[7])
		self.assertEqual(sorted(json.loads(log.row_indexes)[0] for log in result.logs if log.success), [2, 6])

	def test_csv_call_list_with_bad_rows(self):
		csv = "\n".join(",".join(row) for row in CALL_LIST) + "\n"
		self.assert_good_rows_kept_and_bad_rows_reported(
			self.run_import("cc_test_call_list.csv", csv.encode())
		)

	def test_xlsx_call_list_with_bad_rows(self):
		from openpyxl import Workbook

		book = Workbook()
		for row in CALL_LIST:
			book.active.append(row)
		buffer = io.BytesIO()
		book.save(buffer)
		self.assert_good_rows_kept_and_bad_rows_reported(
			self.run_import("cc_test_call_list.xlsx", buffer.getvalue())
		)

	def test_an_unknown_campaign_stops_the_import_before_any_row(self):
		csv = "Campaign,Phone\nNo Such Campaign,+37060012345\nCC Test Import,+37060012346\n"
		result = self.run_import("cc_test_unknown_campaign.csv", csv.encode())
		self.assertEqual(result.logs, [])
		self.assertFalse(frappe.db.exists("CC Campaign Contact", {"campaign": IMPORT_CAMPAIGN}))
		warnings = json.loads(result.doc.template_warnings)
		self.assertIn("No Such Campaign", " ".join(w["message"] for w in warnings))
