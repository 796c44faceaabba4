# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Who sees which credit account, tried through every door a portal customer has: the /credit page,
REST (/api/resource read and list, create), frappe.client.get / get_list, the desk's report view and
link search, and the receipt PDF (frappe's download_pdf). A customer sees their own account, its
entries and top-ups, and nothing of another customer's; Accountants and Call Center Managers see all."""

import frappe
import frappe.api.v1
import frappe.client
import frappe.desk.reportview
import frappe.desk.search
from frappe.tests.utils import FrappeTestCase
from frappe.utils.print_format import download_pdf
from frappe.website.serve import get_response
from frappe.www.printview import validate_print_permission
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from callcenter_app.credit import service as credit
from callcenter_app.test_utils import make_credit_account, make_portal_customer, make_user

MINE, THEIRS = "CC Test Doors Mine", "CC Test Doors Theirs"
ME, SOMEONE = "cc-doors-me@example.com", "cc-doors-them@example.com"
DOCTYPES = ("CC Credit Account", "CC Credit Ledger Entry", "CC Top Up")


def request(path: str, query: str = "") -> None:
	frappe.local.request = Request(
		EnvironBuilder(path=path, query_string=query, base_url="http://pay.localhost").get_environ()
	)
	frappe.local.form_dict = frappe._dict(dict(frappe.local.request.args))


class TestCreditDoors(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.records = {}
		for customer, user, amount in ((MINE, ME, 1500), (THEIRS, SOMEONE, 98765)):
			account = make_credit_account(customer)
			make_portal_customer(user, customer)
			top_up = frappe.get_doc(
				{
					"doctype": "CC Top Up",
					"account": account,
					"method": "Bank Transfer",
					"status": "Pending",
					"amount_minor": amount,
					"currency": "EUR",
				}
			).insert(ignore_permissions=True)
			entry = credit.confirm_top_up(top_up.name, amount, top_up, f"manual:doors:{top_up.name}")
			cls.records[customer] = {
				"CC Credit Account": account,
				"CC Top Up": top_up.name,
				"CC Credit Ledger Entry": entry.name,
			}

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		super().tearDownClass()

	def setUp(self):
		frappe.set_user(ME)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.form_dict = frappe._dict()

	def mine(self, doctype: str) -> str:
		return self.records[MINE][doctype]

	def theirs(self, doctype: str) -> str:
		return self.records[THEIRS][doctype]

	def test_the_portal_page_shows_my_account_only(self):
		request("/credit", f"account={self.theirs('CC Credit Account')}")
		html = get_response("/credit").get_data(as_text=True)
		self.assertIn("15.00 EUR", html)
		self.assertIn(self.mine("CC Credit Account"), html)
		self.assertNotIn(
			self.theirs("CC Credit Account"), html.replace(f"account={self.theirs('CC Credit Account')}", "")
		)
		self.assertNotIn("987.65", html)
		self.assertIn("Receipt (PDF)", html)

	def test_rest_read_of_another_customers_records_is_refused(self):
		for doctype in DOCTYPES:
			with self.subTest(doctype=doctype):
				self.assertEqual(frappe.api.v1.read_doc(doctype, self.mine(doctype)).name, self.mine(doctype))
				with self.assertRaises(frappe.PermissionError):
					frappe.api.v1.read_doc(doctype, self.theirs(doctype))

	def test_rest_and_client_lists_hold_my_records_only(self):
		for doctype in DOCTYPES:
			with self.subTest(doctype=doctype):
				frappe.local.form_dict = frappe._dict({"fields": '["name"]', "limit": "500"})
				listed = {r.name for r in frappe.api.v1.document_list(doctype)}
				self.assertIn(self.mine(doctype), listed)
				self.assertNotIn(self.theirs(doctype), listed)
				listed = {
					r.name for r in frappe.client.get_list(doctype, fields=["name"], limit_page_length=0)
				}
				self.assertEqual(listed & {self.theirs(doctype)}, set())
				self.assertIn(self.mine(doctype), listed)
				self.assertEqual(frappe.client.get(doctype, self.mine(doctype))["name"], self.mine(doctype))
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get(doctype, self.theirs(doctype))
				# a filter naming their record finds nothing either
				theirs = frappe.client.get_list(
					doctype, filters={"name": self.theirs(doctype)}, fields=["name"]
				)
				self.assertEqual(theirs, [])

	def test_report_view_and_link_search(self):
		for doctype in DOCTYPES:
			with self.subTest(doctype=doctype):
				frappe.local.form_dict = frappe._dict(
					{"doctype": doctype, "fields": f'["`tab{doctype}`.`name`"]', "page_length": 500}
				)
				result = frappe.desk.reportview.get()
				names = {row[0] for row in result["values"]} if result else set()
				self.assertIn(self.mine(doctype), names)
				self.assertNotIn(self.theirs(doctype), names)
				frappe.local.form_dict = frappe._dict(
					{"doctype": doctype, "filters": f'[["{doctype}", "name", "=", "{self.theirs(doctype)}"]]'}
				)
				self.assertEqual(frappe.desk.reportview.get_count(), 0)
				frappe.local.form_dict.filters = f'[["{doctype}", "name", "=", "{self.mine(doctype)}"]]'
				count = frappe.desk.reportview.get_count()
				self.assertEqual(count, 1)
		found = frappe.desk.search.search_link("CC Credit Account", "", page_length=100)
		values = {r["value"] for r in found}
		self.assertIn(self.mine("CC Credit Account"), values)
		self.assertNotIn(self.theirs("CC Credit Account"), values)

	def test_receipt_pdf_only_for_my_top_up(self):
		with self.assertRaises(frappe.PermissionError):
			download_pdf("CC Top Up", self.theirs("CC Top Up"), format="CC Top Up Receipt")
		mine = frappe.get_doc("CC Top Up", self.mine("CC Top Up"))
		validate_print_permission(mine)  # download_pdf's own check passes for my top-up
		html = frappe.get_print("CC Top Up", mine.name, "CC Top Up Receipt", doc=mine)
		self.assertIn("15.00 EUR", html)
		self.assertIn(mine.ledger_entry, html)
		self.assertNotIn("Not a receipt", html)

	def test_nobody_writes_through_rest(self):
		frappe.local.form_dict = frappe._dict({"data": '{"status": "Closed"}'})
		for doctype in DOCTYPES:
			with self.subTest(doctype=doctype), self.assertRaises(frappe.PermissionError):
				frappe.api.v1.update_doc(doctype, self.mine(doctype))
		frappe.local.form_dict = frappe._dict(
			{
				"data": f'{{"account": "{self.mine("CC Credit Account")}", "kind": "Top-up", "amount_minor": 100000}}'
			}
		)
		with self.assertRaises(frappe.PermissionError):
			frappe.api.v1.create_doc("CC Credit Ledger Entry")
		with self.assertRaises(frappe.PermissionError):
			frappe.api.v1.delete_doc("CC Credit Ledger Entry", self.mine("CC Credit Ledger Entry"))

	def test_a_stranger_sees_nothing_and_overseers_see_all(self):
		frappe.set_user(make_user("cc-doors-agent@example.com", ("Agent",)))
		for doctype in DOCTYPES:
			self.assertEqual(
				frappe.get_list(
					doctype, filters={"name": ["in", [self.mine(doctype), self.theirs(doctype)]]}
				),
				[],
			)
			self.assertFalse(frappe.has_permission(doctype, "read", self.mine(doctype)))
		for role in ("Accountant", "Call Center Manager"):
			frappe.set_user(make_user(f"cc-doors-{role.lower().replace(' ', '-')}@example.com", (role,)))
			for doctype in DOCTYPES:
				names = {
					r.name
					for r in frappe.get_list(
						doctype, filters={"name": ["in", [self.mine(doctype), self.theirs(doctype)]]}
					)
				}
				self.assertEqual(names, {self.mine(doctype), self.theirs(doctype)}, f"{role} {doctype}")
