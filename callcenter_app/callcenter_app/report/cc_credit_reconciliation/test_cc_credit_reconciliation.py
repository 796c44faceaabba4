# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""CC Credit Reconciliation through Frappe's report runner and its xlsx/csv export, and the top-up exports
(ERPNext Journal Entry import CSV, plain CSV), as an Accountant; a portal customer gets neither."""

import csv
import io

import frappe
import frappe.desk.query_report as query_report
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate, now_datetime

from callcenter_app.api import credit as api
from callcenter_app.credit import service as credit
from callcenter_app.test_utils import make_credit_account, make_portal_customer, make_user

REPORT = "CC Credit Reconciliation"
CUSTOMER = "CC Test Recon Customer"


def make_top_up(account: str, method: str, amount: int, status: str = "Pending") -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "CC Top Up",
				"account": account,
				"method": method,
				"status": status,
				"amount_minor": amount,
				"currency": "EUR",
				"requested_at": now_datetime(),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_event(top_up: str | None, amount: int, status: str = "Processed") -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CC Payment Event",
			"gateway": "Stripe",
			"event_id": frappe.generate_hash(length=12),
			"event_type": "checkout.session.completed",
			"status": status,
			"signature_ok": 1,
			"received_at": now_datetime(),
			"top_up": top_up,
			"amount_minor": amount,
			"currency": "EUR",
			"raw_body": "{}",
		}
	)
	return doc.insert(ignore_permissions=True).name


class TestReconciliation(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		settings = frappe.get_single("CC Payment Settings")
		settings.update(
			{
				"erpnext_company": "Callcenter Example GmbH",
				"erpnext_credit_account": "Customer Prepayments - CE",
				"erpnext_stripe_account": "Stripe Clearing - CE",
				"erpnext_paypal_account": "PayPal Clearing - CE",
				"erpnext_bank_account": "Bank - CE",
			}
		)
		settings.save(ignore_permissions=True)
		self.account = make_credit_account(CUSTOMER)
		# a clean card top-up
		self.clean = make_top_up(self.account, "Stripe", 2500)
		event = make_event(self.clean, 2500)
		credit.confirm_top_up(self.clean, 2500, ("CC Payment Event", event), f"stripe:recon-{self.clean}")
		# a card payment that arrived with another amount and waits for review
		self.short = make_top_up(self.account, "Stripe", 4000)
		make_event(self.short, 3900, status="Needs review")
		# a bank transfer credited with less than the statement shows
		self.bank = make_top_up(self.account, "Bank Transfer", 10000)
		credit.confirm_top_up(self.bank, 9000, ("CC Top Up", self.bank), f"manual:recon-{self.bank}")
		if frappe.db.exists("DocType", "CC Bank Statement Line"):
			line = frappe.get_doc(
				{
					"doctype": "CC Bank Statement Line",
					"name": f"BSL-TEST-{self.bank}",
					"line_id": "L1",
					"line_key": f"bank:test:{self.bank}",
					"booking_date": getdate(),
					"amount_minor": 10000,
					"currency": "EUR",
					"match_status": "Matched",
					"top_up": self.bank,
				}
			)
			line.db_insert()
		self.accountant = make_user("cc-recon-accountant@example.com", ("Accountant",))

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def run_report(self, **filters):
		filters = {"from_date": str(getdate()), "to_date": str(getdate()), "account": self.account, **filters}
		return query_report.run(REPORT, filters)

	def test_rows_side_by_side_with_differences(self):
		frappe.set_user(self.accountant)
		result = self.run_report()
		rows = {r["top_up"]: r for r in result["result"] if isinstance(r, dict)}
		self.assertEqual(rows[self.clean]["note"], "OK")
		self.assertEqual((rows[self.clean]["gateway"], rows[self.clean]["ledger"]), (25.0, 25.0))
		self.assertIn("a gateway event needs review", rows[self.short]["note"])
		self.assertIn("money received, not credited", rows[self.short]["note"])
		if frappe.db.exists("DocType", "CC Bank Statement Line"):
			self.assertEqual((rows[self.bank]["statement"], rows[self.bank]["ledger"]), (100.0, 90.0))
			self.assertEqual(rows[self.bank]["difference"], -10.0)
			self.assertIn("ledger and payment differ", rows[self.bank]["note"])
		only = self.run_report(only_differences=1)["result"]
		self.assertNotIn(self.clean, {r["top_up"] for r in only if isinstance(r, dict)})

	def test_frappe_export_as_csv_and_xlsx(self):
		frappe.set_user(self.accountant)
		for kind in ("CSV", "Excel"):
			frappe.local.form_dict = frappe._dict(
				{
					"report_name": REPORT,
					"file_format_type": kind,
					"filters": frappe.as_json(
						{"from_date": str(getdate()), "to_date": str(getdate()), "account": self.account}
					),
					"visible_idx": "[0, 1, 2]",
				}
			)
			frappe.local.response = frappe._dict()
			query_report.export_query()
			content = frappe.local.response.filecontent
			self.assertTrue(content, kind)
			if kind == "CSV":
				self.assertIn(self.clean, content.decode() if isinstance(content, bytes) else content)
			else:
				self.assertTrue(content.startswith(b"PK"))  # an xlsx is a zip

	def test_top_up_exports(self):
		frappe.set_user(self.accountant)
		frappe.local.response = frappe._dict()
		api.export_top_ups(str(getdate()), str(getdate()), "erpnext")
		rows = list(csv.DictReader(io.StringIO(frappe.local.response.filecontent.decode())))
		mine = [
			r
			for i, r in enumerate(rows)
			if r["cheque_no"].startswith(self.clean)
			or (i and rows[i - 1]["cheque_no"].startswith(self.clean))
		]
		self.assertEqual(len(mine), 2)
		self.assertEqual(
			(mine[0]["accounts.account"], mine[0]["accounts.debit_in_account_currency"]),
			("Stripe Clearing - CE", "25.00"),
		)
		self.assertEqual(
			(mine[1]["accounts.party"], mine[1]["accounts.credit_in_account_currency"]), (CUSTOMER, "25.00")
		)
		frappe.local.response = frappe._dict()
		api.export_top_ups(str(getdate()), str(getdate()), "plain")
		plain = {
			r["top_up"]: r for r in csv.DictReader(io.StringIO(frappe.local.response.filecontent.decode()))
		}
		self.assertEqual(plain[self.bank]["amount"], "90.00")
		self.assertNotIn(self.short, plain)

	def test_customers_get_neither_report_nor_export(self):
		frappe.set_user(make_portal_customer("cc-recon-portal@example.com", CUSTOMER))
		with self.assertRaises(frappe.PermissionError):
			api.export_top_ups(str(getdate()), str(getdate()), "plain")
		with self.assertRaises(frappe.PermissionError):
			self.run_report()
