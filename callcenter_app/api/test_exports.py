# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the call-detail export job writes a private File the user owns, with the rows CC Call Log's
permission rules give that user; the endpoint refuses users who may not read calls and bad filters."""

import csv
import os

import frappe
import openpyxl
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api.exports import start_call_export
from callcenter_app.metrics import tasks
from callcenter_app.metrics.export import CALL_COLUMNS, safe_text
from callcenter_app.test_utils import make_agent, make_call_log, make_user

ANN, BOB, SUP = (f"qt-ex-{n}@example.com" for n in ("ann", "bob", "sup"))
DAY = "2025-03-03"


class TestCallExport(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		# another System Manager first: on a site whose setup is complete, Frappe makes the first new user
		# one if there is none besides Administrator
		make_user("qt-ex-admin@example.com", ("System Manager",))
		make_agent(ANN)
		make_agent(BOB)
		make_user(SUP, ("Agent Supervisor",))
		frappe.db.commit()  # nosemgrep: users shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		make_call_log("qt-ex-1", f"{DAY} 09:00:00", agent=ANN, talk_s=60, caller_name="=HYPERLINK(1)")
		make_call_log("qt-ex-2", f"{DAY} 10:00:00", agent=BOB, talk_s=70, queue="qt-ex-q")
		make_call_log("qt-ex-3", f"{DAY} 11:00:00", agent=ANN, direction="outbound", talk_s=80)
		make_call_log("qt-ex-4", "2025-03-05 11:00:00", agent=ANN)  # outside the range
		self.files = []

	def tearDown(self):
		frappe.set_user("Administrator")
		for path in self.files:
			if os.path.exists(path):
				os.remove(path)
		frappe.db.rollback()

	def export(self, user, file_format, **filters):
		out = tasks.export_calls(user, DAY, DAY, file_format=file_format, **filters)
		path = frappe.get_site_path("private", "files", out["file_url"].rsplit("/", 1)[1])
		self.files.append(path)
		return out, path

	def test_a_supervisor_exports_every_call_of_the_range_to_xlsx(self):
		out, path = self.export(SUP, "xlsx")
		ws = openpyxl.load_workbook(path, read_only=True).active
		rows = list(ws.iter_rows(values_only=True))
		self.assertEqual(rows[0], tuple(CALL_COLUMNS.values()))
		mine = [r for r in rows[1:] if str(r[1]).startswith("qt-ex-")]
		self.assertEqual([r[1] for r in mine], ["qt-ex-1", "qt-ex-2", "qt-ex-3"])  # by start
		self.assertEqual([r[14] for r in mine], [60, 70, 80])  # talk
		self.assertEqual(str(mine[0][0]), f"{DAY} 09:00:00")
		self.assertEqual(mine[0][5], "=HYPERLINK(1)")  # an inline string, not a formula
		self.assertEqual(out["rows"], len(rows) - 1)
		file_doc = frappe.get_doc("File", out["file"])
		self.assertEqual((file_doc.is_private, file_doc.owner), (1, SUP))
		self.assertEqual(file_doc.file_size, os.path.getsize(path))
		self.assertTrue(frappe.db.exists("Notification Log", {"for_user": SUP, "document_name": out["file"]}))
		frappe.set_user(SUP)
		self.assertTrue(frappe.has_permission("File", "read", doc=file_doc))
		frappe.set_user(BOB)
		self.assertFalse(frappe.has_permission("File", "read", doc=file_doc))

	def test_an_agent_exports_only_their_calls_to_csv(self):
		out, path = self.export(ANN, "csv")
		with open(path, newline="", encoding="utf-8") as f:
			rows = list(csv.reader(f))
		self.assertEqual([r[1] for r in rows[1:]], ["qt-ex-1", "qt-ex-3"])
		self.assertEqual(rows[1][0], f"{DAY} 09:00:00")
		self.assertEqual(rows[1][5], "'=HYPERLINK(1)")  # made safe for spreadsheets
		self.assertEqual(out["rows"], 2)

	def test_the_database_s_csv_lines_equal_the_pure_rule(self):
		awkward = [
			"=x",
			"+370 600 (00)",
			"-x",
			"-",
			"@y",
			"\tz",
			"a,b",
			'say "hi"',
			"two\nlines",
			"",
			"ąčę 日本",
		]
		for i, name in enumerate(awkward):
			make_call_log(
				f"qt-ex-odd-{i:02d}", f"{DAY} 12:00:{i:02d}", caller_name=name, caller=name, talk_s=i
			)
		_out, path = self.export(SUP, "csv")
		with open(path, newline="", encoding="utf-8") as f:
			rows = {r[1]: r for r in csv.reader(f)}
		for i, name in enumerate(awkward):
			row = rows[f"qt-ex-odd-{i:02d}"]
			with self.subTest(name=name):
				self.assertEqual((row[4], row[5]), (safe_text(name), safe_text(name)))
				self.assertEqual(row[14], str(i))
				self.assertEqual(row[0], f"{DAY} 12:00:{i:02d}")
				self.assertEqual(row[8], "")  # no campaign: empty

	def test_filters_narrow_the_export(self):
		_out, path = self.export(SUP, "csv", queue_name="qt-ex-q")
		with open(path, newline="", encoding="utf-8") as f:
			self.assertEqual([r[1] for r in list(csv.reader(f))[1:]], ["qt-ex-2"])

	def test_the_endpoint_checks_permission_and_filters(self):
		frappe.set_user(ANN)
		started = start_call_export(DAY, DAY, file_format="csv")
		self.assertIn("background", started["message"])
		with self.assertRaises(frappe.ValidationError) as ctx:
			start_call_export(DAY, "2025-03-01")
		self.assertIn("to_date: must not be before the from date", str(ctx.exception))
		with self.assertRaises(frappe.ValidationError) as ctx:
			start_call_export(DAY, DAY, file_format="pdf")
		self.assertIn("file_format: must be xlsx or csv", str(ctx.exception))
		nobody = make_user("qt-ex-nobody@example.com")
		frappe.set_user(nobody)
		with self.assertRaises(frappe.PermissionError):
			start_call_export(DAY, DAY)
