# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the bank statement import (credit/bank/service.py): CSV and CAMT.053 end to end through
the background job, exact matches credited once through the ledger service, a malformed file credits
nothing and keeps the file, re-importing a statement credits nothing twice, the Accountant's decisions, and
who may import and decide. The job commits, so the tests clean up by name."""

import pathlib

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.credit import references
from callcenter_app.credit import service as credit
from callcenter_app.credit.bank import service as bank
from callcenter_app.test_utils import BANK_CSV_MAPPING, make_credit_account, make_user, purge_credit

CUSTOMER = "CC Test Bank Customer"
REF_A = "RF18539007547034"  # the references in tests/data/credit/camt053_v02.xml
REF_B = "RF712348231"
REF_C = references.make_reference("CCBANK3")
IBAN = "DE89370400440532013000"
DATA = pathlib.Path(frappe.get_app_path("callcenter_app")).parent / "tests" / "data" / "credit"

CSV_MAPPING = {**BANK_CSV_MAPPING, "csv_thousands": "."}
CSV = (
	"Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;Id\n"
	f"04.12.2026;100,00;EUR;Guthaben {references.format_reference(REF_A).lower()};Muster GmbH;B-1\n"
	f"04.12.2026;40,00;EUR;{REF_B};Beispiel AG;B-2\n"
	'04.12.2026;1.000,00;EUR;Rechnung 7 "quoted" 100%;O\'Brien \\ Söhne;B-3\n'
	"04.12.2026;-12,00;EUR;Gebuehren;Bank;B-4\n"
	"04.12.2026;7,5x;EUR;kaputt;Bank;B-5\n"
)


class BankCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.accountant = make_user("cc-bank-accountant@example.com", ("Accountant",))
		cls.agent = make_user("cc-bank-agent@example.com", ("Agent",))
		frappe.db.commit()

	def setUp(self):
		frappe.set_user("Administrator")
		self.cleanup()
		self.account = make_credit_account(CUSTOMER)
		self.top_ups = {
			ref: frappe.get_doc(
				{
					"doctype": "CC Top Up",
					"account": self.account,
					"method": "Bank Transfer",
					"amount_minor": amount,
					"currency": "EUR",
					"rf_reference": ref,
				}
			)
			.insert(ignore_permissions=True)
			.name
			for ref, amount in ((REF_A, 10000), (REF_B, 5000), (REF_C, 2000))
		}
		frappe.db.commit()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		self.cleanup()

	def cleanup(self):
		imports = frappe.get_all(
			"CC Bank Statement Import", filters={"bank_account": ("like", "%TEST%")}, pluck="name"
		)
		imports += frappe.get_all("CC Bank Statement Import", filters={"bank_account": IBAN}, pluck="name")
		for name in imports:
			frappe.db.delete("CC Bank Statement Line", {"statement_import": name})
			frappe.db.delete("CC Bank Statement Import", {"name": name})
		frappe.db.delete("File", {"file_name": ("like", "cc-test-statement%")})
		account = frappe.db.get_value("CC Credit Account", {"customer": CUSTOMER}, "name")
		if account:
			purge_credit([account])
		frappe.db.commit()

	def statement(self, content: bytes | str, file_name: str, **values) -> str:
		file = frappe.get_doc(
			{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
		).insert(ignore_permissions=True)
		doc = frappe.get_doc({"doctype": "CC Bank Statement Import", "file": file.file_url, **values})
		doc.insert()
		frappe.db.commit()
		return doc.name

	def import_statement(self, name: str) -> frappe._dict:
		bank.enqueue_import(name, now=True)
		return frappe._dict(frappe.db.get_value("CC Bank Statement Import", name, "*", as_dict=True))

	def lines(self, name: str) -> dict:
		return {
			r.line_id: r
			for r in frappe.get_all(
				"CC Bank Statement Line",
				filters={"statement_import": name},
				fields=[
					"name",
					"line_id",
					"line_key",
					"match_status",
					"decision",
					"top_up",
					"ledger_entry",
					"amount_minor",
					"duplicate_of",
					"reason",
				],
			)
		}

	def balance(self) -> int:
		return int(frappe.db.get_value("CC Credit Account", self.account, "balance_minor"))


class TestImport(BankCase):
	def test_csv_end_to_end(self):
		name = self.statement(CSV, "cc-test-statement.csv", bank_account="DE00TEST1", **CSV_MAPPING)
		result = self.import_statement(name)
		self.assertEqual(
			(
				result.status,
				result.statement_format,
				result.lines_total,
				result.credited,
				result.to_decide,
				result.skipped,
			),
			("Done", "CSV", 3, 1, 2, 1),
		)
		self.assertIn("line 6", result.problems)  # the bad amount is listed, not lost
		lines = self.lines(name)
		self.assertEqual(
			{k: (v.match_status, v.decision, v.top_up) for k, v in lines.items()},
			{
				"B-1": ("Matched", "Credited", self.top_ups[REF_A]),
				"B-2": ("Partial", None, self.top_ups[REF_B]),
				"B-3": ("Unmatched", None, None),
			},
		)
		self.assertEqual(lines["B-1"].line_key, "bank:DE00TEST1:B-1")
		stored = frappe.db.get_value(
			"CC Bank Statement Line", lines["B-3"].name, ["counterparty", "remittance"]
		)
		self.assertEqual(stored, ("O'Brien \\ Söhne", 'Rechnung 7 "quoted" 100%'))  # stored as read
		top_up = frappe.db.get_value(
			"CC Top Up", self.top_ups[REF_A], ["status", "ledger_entry"], as_dict=True
		)
		self.assertEqual((top_up.status, top_up.ledger_entry), ("Confirmed", lines["B-1"].ledger_entry))
		entry = frappe.get_doc("CC Credit Ledger Entry", top_up.ledger_entry)
		self.assertEqual(
			(entry.kind, entry.amount_minor, entry.idempotency_key, entry.source_doctype, entry.source_name),
			("Top-up", 10000, "bank:DE00TEST1:B-1", "CC Bank Statement Line", lines["B-1"].name),
		)
		self.assertEqual(frappe.db.get_value("CC Top Up", self.top_ups[REF_B], "status"), "Requested")
		self.assertEqual(credit.ledger_sum(self.account), (10000, 10000))

	def test_camt_end_to_end_and_the_same_statement_again_credits_nothing(self):
		data = (DATA / "camt053_v02.xml").read_bytes()
		first = self.import_statement(self.statement(data, "cc-test-statement-1.xml"))
		self.assertEqual(
			(
				first.status,
				first.statement_format,
				first.bank_account,
				first.credited,
				first.to_decide,
				first.skipped,
			),
			("Done", "camt.053.001.02", IBAN, 2, 1, 2),
		)
		self.assertEqual(self.balance(), 15000)
		# the same statement imported again (another file, same lines): duplicates, nothing credited
		second_name = self.statement(data, "cc-test-statement-2.xml")
		second = self.import_statement(second_name)
		self.assertEqual(
			(second.status, second.credited, second.duplicates, second.to_decide), ("Done", 0, 3, 0)
		)
		self.assertEqual(self.balance(), 15000)
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"account": self.account}), 2)
		dup = self.lines(second_name)["TX-0001"]
		self.assertEqual((dup.match_status, dup.line_key), ("Duplicate", None))
		self.assertEqual(
			frappe.db.get_value("CC Bank Statement Line", dup.duplicate_of, "line_key"),
			f"bank:{IBAN}:TX-0001",
		)
		with self.assertRaisesRegex(frappe.ValidationError, "duplicate of a line imported before"):
			bank.decide_line(dup.name, "credit", self.top_ups[REF_C])
		# and the import cannot be run again over its own lines
		with self.assertRaisesRegex(frappe.ValidationError, "import a new file instead"):
			bank.enqueue_import(second_name, now=True)

	def test_a_malformed_file_credits_nothing_and_keeps_the_file(self):
		broken = (DATA / "camt053_v02.xml").read_text().replace("</Ntry>", "</Entry>", 1)
		name = self.statement(broken, "cc-test-statement-broken.xml")
		result = self.import_statement(name)
		self.assertEqual(result.status, "Failed")
		self.assertRegex(result.error, r"nothing was credited: line \d+, column \d+: is not well-formed XML")
		self.assertEqual(frappe.db.count("CC Bank Statement Line", {"statement_import": name}), 0)
		self.assertEqual(self.balance(), 0)
		self.assertTrue(frappe.db.exists("File", {"file_url": result.file}))
		# a CSV whose mapping names a column the file does not have
		name = self.statement(
			CSV,
			"cc-test-statement-bad.csv",
			bank_account="DE00TEST2",
			**{**CSV_MAPPING, "col_amount": "Amount"},
		)
		result = self.import_statement(name)
		self.assertEqual(result.status, "Failed")
		self.assertIn("line 1: no column 'Amount' for amount", result.error)
		self.assertEqual(self.balance(), 0)
		# the mapping fixed, the same import runs again
		frappe.db.set_value("CC Bank Statement Import", name, "col_amount", "Betrag")
		frappe.db.commit()
		result = self.import_statement(name)
		self.assertEqual((result.status, result.lines_total, result.credited), ("Done", 3, 1))
		self.assertEqual(self.balance(), 10000)


class TestDecisions(BankCase):
	def test_credit_this_amount_and_reject(self):
		name = self.statement(CSV, "cc-test-statement.csv", bank_account="DE00TEST3", **CSV_MAPPING)
		self.import_statement(name)
		lines = self.lines(name)
		frappe.set_user(self.accountant)
		done = bank.decide_line(lines["B-2"].name, "credit")  # the partial payment, as received
		self.assertEqual(done["decision"], "Credited")
		self.assertEqual(self.balance(), 10000 + 4000)
		self.assertEqual(frappe.db.get_value("CC Top Up", self.top_ups[REF_B], "status"), "Confirmed")
		with self.assertRaisesRegex(frappe.ValidationError, "is decided already"):
			bank.decide_line(lines["B-2"].name, "credit")
		with self.assertRaisesRegex(frappe.ValidationError, "Top Up: choose the top-up request"):
			bank.decide_line(lines["B-3"].name, "credit")
		with self.assertRaisesRegex(frappe.ValidationError, "Top Up: .* is Confirmed"):
			bank.decide_line(lines["B-3"].name, "credit", self.top_ups[REF_A])
		bank.decide_line(lines["B-3"].name, "reject")
		row = frappe.db.get_value(
			"CC Bank Statement Line", lines["B-3"].name, ["decision", "decided_by"], as_dict=True
		)
		self.assertEqual((row.decision, row.decided_by), ("Rejected", self.accountant))
		self.assertEqual(credit.ledger_sum(self.account), (14000, 14000))

	def test_only_accountants_managers_and_system_managers_import_and_decide(self):
		name = self.statement(CSV, "cc-test-statement.csv", bank_account="DE00TEST4", **CSV_MAPPING)
		frappe.set_user(self.agent)
		with self.assertRaises(frappe.PermissionError):
			bank.enqueue_import(name, now=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc({"doctype": "CC Bank Statement Import", "file": "/private/files/x.csv"}).insert()
		frappe.set_user(self.accountant)
		self.import_statement(name)
		line = self.lines(name)["B-3"].name
		frappe.set_user(self.agent)
		with self.assertRaises(frappe.PermissionError):
			bank.decide_line(line, "reject")
		self.assertFalse(frappe.has_permission("CC Bank Statement Line", "read", user=self.agent))
