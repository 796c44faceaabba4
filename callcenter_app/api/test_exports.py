# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the call-detail export job writes a private File the user owns, with the rows CC Call Log's
permission rules give that user; the endpoint refuses users who may not read calls and bad filters. The rows
are read by the database's command-line client (a separate connection: the fixtures are committed, and
deleted after each test); its files equal those of the PyMySQL path byte for byte (CSV) and cell for cell
(XLSX), its credentials never reach its command line or environment and are gone afterwards."""

import csv
import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from unittest import mock

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
		self.delete_calls()
		make_call_log("qt-ex-1", f"{DAY} 09:00:00", agent=ANN, talk_s=60, caller_name="=HYPERLINK(1)")
		make_call_log("qt-ex-2", f"{DAY} 10:00:00", agent=BOB, talk_s=70, queue="qt-ex-q")
		make_call_log("qt-ex-3", f"{DAY} 11:00:00", agent=ANN, direction="outbound", talk_s=80)
		make_call_log("qt-ex-4", "2025-03-05 11:00:00", agent=ANN)  # outside the range
		frappe.db.commit()  # nosemgrep: the client reads through its own connection
		self.files = []

	def tearDown(self):
		frappe.set_user("Administrator")
		for path in self.files:
			if os.path.exists(path):
				os.remove(path)
		frappe.db.rollback()
		self.delete_calls()
		frappe.db.commit()  # nosemgrep: the committed fixtures go

	@staticmethod
	def delete_calls():
		frappe.db.sql("delete from `tabCC Call Log` where `linkedid` like 'qt-ex-%%'")

	def export(self, user, file_format, reader="client", **filters):
		if reader == "client":
			out = tasks.export_calls(user, DAY, DAY, file_format=file_format, **filters)
		else:
			with mock.patch.object(tasks, "client_binary", return_value=None):
				out = tasks.export_calls(user, DAY, DAY, file_format=file_format, **filters)
		self.assertEqual(out["reader"], reader)
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
		frappe.db.commit()  # nosemgrep: the client reads through its own connection
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

	def make_awkward_calls(self):
		"""Calls whose text has every character the client escapes or CSV quotes, NULL date-times and text,
		formula-looking text; each starts at its own time (the export orders by start only)."""
		awkward = [
			'say "hi", then go',
			"two\nlines\r\nand crlf",
			"tab\there",
			"back\\slash \\n \\t \\\\",
			"ąčęėįšųūž 日本語 🎧",
			"=1+1",
			"+1 (555) 010-0100",
			"-2+3",
			"@SUM(A1)",
			"NULL",
			"",
			"  spaces  ",
			"trailing backslash \\",
		]
		for i, text in enumerate(awkward):
			at = f"{DAY} {i * 7 % 24:02d}:00:{i:02d}"  # spread over the day: in every part of a split export
			make_call_log(
				f"qt-ex-aw-{i:02d}",
				at,
				caller=text,
				caller_name=text,
				did=text,
				hangup_cause=text,
				queue_result=text or None,
				campaign=None if i % 2 else text,
				agent=ANN if i % 3 else None,
				answered_at=None if i % 2 else f"{at}.250000",
				wait_s=i,
				talk_s=i * 10,
			)
		frappe.db.commit()  # nosemgrep: the client reads through its own connection
		return awkward

	def test_the_client_s_csv_equals_pymysql_s_byte_for_byte(self):
		self.make_awkward_calls()
		for user, parts in ((SUP, 1), (ANN, 1), (SUP, 3), (ANN, 2)):  # all rows, an agent's own; in parts
			with self.subTest(user=user, parts=parts):
				with mock.patch.object(tasks, "client_parts", return_value=parts):
					out_c, path_c = self.export(user, "csv", reader="client")
				out_p, path_p = self.export(user, "csv", reader="pymysql")
				with open(path_c, "rb") as c, open(path_p, "rb") as p:
					client, pymysql = c.read(), p.read()
				self.assertEqual(client, pymysql)
				self.assertFalse([f for f in os.listdir(os.path.dirname(path_c)) if ".part" in f])
				# the hash made on the way is the file's (Frappe deletes the file with its File by it)
				self.assertEqual(
					frappe.db.get_value("File", out_c["file"], ["content_hash", "file_size"]),
					(hashlib.md5(client).hexdigest(), len(client)),
				)
				hours = [
					r.split(",", 2)[0][11:13] for r in client.decode().split("\r\n")[1:] if "qt-ex-aw-" in r
				]
				self.assertEqual(hours, sorted(hours))  # in start order across the parts
				self.assertEqual(out_c["rows"], out_p["rows"])
				with open(path_c, newline="", encoding="utf-8") as f:
					rows = list(csv.reader(f))
				self.assertEqual(out_c["rows"], len(rows) - 1)
				mine = [r for r in rows[1:] if r[1].startswith("qt-ex-aw-")]
				self.assertEqual(len(mine), 13 if user == SUP else 8)
				by_id = {r[1]: r for r in mine}
				self.assertEqual(by_id["qt-ex-aw-05"][5], "'=1+1")  # guarded as before
				self.assertEqual(by_id["qt-ex-aw-01"][5], "two\nlines\r\nand crlf")
				if user == ANN:
					self.assertTrue(all(r[9] == ANN for r in mine))

	def test_a_csv_of_several_days_in_parts_with_progress_and_one_without_rows(self):
		published = []
		with mock.patch.object(
			frappe, "publish_progress", side_effect=lambda p, **k: published.append((p, k))
		):
			out = tasks.export_calls(SUP, DAY, "2025-03-06", file_format="csv")
		path = frappe.get_site_path("private", "files", out["file_url"].rsplit("/", 1)[1])
		self.files.append(path)
		with open(path, newline="", encoding="utf-8") as f:
			ids = [r[1] for r in list(csv.reader(f))[1:]]
		self.assertEqual(
			[i for i in ids if i.startswith("qt-ex-")], ["qt-ex-1", "qt-ex-2", "qt-ex-3", "qt-ex-4"]
		)
		self.assertEqual(out["rows"], len(ids))
		self.assertEqual(published[-1][0], 100)
		self.assertIn(f"{out['rows']} of {out['rows']} calls", published[-1][1]["description"])
		self.assertEqual([p for p, _k in published], sorted(p for p, _k in published))  # never backwards
		# nothing in the range: every part prints only its count line
		with mock.patch.object(tasks, "client_parts", return_value=3):
			out = tasks.export_calls(SUP, "2024-01-01", "2024-01-09", file_format="csv")
		path = frappe.get_site_path("private", "files", out["file_url"].rsplit("/", 1)[1])
		self.files.append(path)
		with open(path, "rb") as f:
			self.assertEqual(f.read(), tasks.csv_header(list(CALL_COLUMNS.values())))
		self.assertEqual((out["rows"], out["reader"]), (0, "client"))

	def test_the_client_s_xlsx_equals_pymysql_s_cell_for_cell(self):
		awkward = self.make_awkward_calls()
		out_c, path_c = self.export(SUP, "xlsx", reader="client")
		out_p, path_p = self.export(SUP, "xlsx", reader="pymysql")
		self.assertEqual(out_c["rows"], out_p["rows"])
		with zipfile.ZipFile(path_c) as c, zipfile.ZipFile(path_p) as p:
			self.assertEqual(c.read("xl/worksheets/sheet1.xml"), p.read("xl/worksheets/sheet1.xml"))
		client = list(openpyxl.load_workbook(path_c, read_only=True).active.iter_rows(values_only=True))
		pymysql = list(openpyxl.load_workbook(path_p, read_only=True).active.iter_rows(values_only=True))
		self.assertEqual(client, pymysql)
		by_id = {r[1]: r for r in client[1:] if str(r[1]).startswith("qt-ex-aw-")}
		self.assertEqual(len(by_id), len(awkward))
		self.assertEqual(by_id["qt-ex-aw-05"][5], "=1+1")  # an inline string, never a formula
		self.assertEqual(by_id["qt-ex-aw-09"][5], "NULL")  # the text, not an empty cell
		self.assertEqual(by_id["qt-ex-aw-03"][5], "back\\slash \\n \\t \\\\")
		self.assertIsNone(by_id["qt-ex-aw-01"][10])  # no answer time: an empty cell
		self.assertEqual(str(by_id["qt-ex-aw-02"][10]), f"{DAY} 14:00:02.250000")
		self.assertEqual(by_id["qt-ex-aw-04"][12:15], (4, 0, 40))  # wait, ring, talk as numbers

	def test_the_credentials_never_reach_the_command_line_and_are_gone_afterwards(self):
		launched = []
		real_popen = subprocess.Popen

		def spy(argv, **kwargs):
			option = next(a.split("=", 1)[1] for a in argv if a.startswith("--defaults-file="))
			with open(option, encoding="utf-8") as f:
				text = f.read()
			launched.append(
				{
					"argv": list(argv),
					"env": dict(kwargs.get("env") or {}),
					"option": option,
					"mode": os.stat(option).st_mode & 0o777,
					"folder_mode": os.stat(os.path.dirname(option)).st_mode & 0o777,
					"text": text,
				}
			)
			return real_popen(argv, **kwargs)

		with (
			mock.patch.object(tasks.subprocess, "Popen", side_effect=spy),
			mock.patch.object(tasks, "client_parts", return_value=2),
		):
			self.export(SUP, "csv")
			self.export(SUP, "xlsx")
		self.assertEqual(len(launched), 3)  # two parts of the CSV, one XLSX
		password = frappe.conf.db_password
		self.assertTrue(password)
		for run in launched:
			self.assertIn(f'password="{password}"', run["text"])  # it did connect with it …
			self.assertIn(f'database="{frappe.conf.db_name}"', run["text"])
			self.assertEqual((run["mode"], run["folder_mode"]), (0o600, 0o700))
			for arg in run["argv"]:  # … but not through the command line
				self.assertNotIn(password, arg)
			self.assertFalse(any(a.startswith(("-p", "--password", "-e", "--execute")) for a in run["argv"]))
			self.assertNotIn(password, " ".join(f"{k}={v}" for k, v in run["env"].items()))
			self.assertFalse([k for k in run["env"] if k.upper().startswith(("MYSQL", "MARIADB"))])
			self.assertFalse(os.path.exists(run["option"]))
			self.assertFalse(os.path.exists(os.path.dirname(run["option"])))

	def test_without_a_working_client_the_export_reads_with_pymysql(self):
		with mock.patch.object(tasks, "client_binary", return_value="/bin/false"):
			out = tasks.export_calls(ANN, DAY, DAY, file_format="csv")
		self.assertEqual(out["reader"], "pymysql")
		path = frappe.get_site_path("private", "files", out["file_url"].rsplit("/", 1)[1])
		self.files.append(path)
		with open(path, newline="", encoding="utf-8") as f:
			self.assertEqual([r[1] for r in list(csv.reader(f))[1:]], ["qt-ex-1", "qt-ex-3"])
		self.export(ANN, "csv", reader="pymysql")  # and without any binary

	def test_a_client_without_sandbox_runs_without_it(self):
		real = tasks.client_binary()
		self.assertTrue(real)
		with tempfile.TemporaryDirectory() as folder:
			old = os.path.join(folder, "old-mariadb")
			with open(old, "w") as f:  # an older client: refuses --sandbox, otherwise the real one
				f.write(
					"#!/bin/sh\n"
					'for a in "$@"; do [ "$a" = "--sandbox" ] && { echo "unknown option \'--sandbox\'" >&2; '
					"exit 7; }; done\n"
					f'exec {shutil.which(real)} "$@"\n'
				)
			os.chmod(old, 0o700)
			with mock.patch.object(tasks, "client_binary", return_value=old):
				out_c, path_c = self.export(ANN, "csv", reader="client")
		_out, path_p = self.export(ANN, "csv", reader="pymysql")
		with open(path_c, "rb") as c, open(path_p, "rb") as p:
			self.assertEqual(c.read(), p.read())
		self.assertEqual(out_c["rows"], 2)
