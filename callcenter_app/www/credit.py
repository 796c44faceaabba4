"""/credit: a portal customer's prepaid credit — balance, movements, top-ups with receipts, and the
top-up form (card at Stripe, PayPal, bank transfer with an RF reference). Only the accounts of the HD
Customers whose contact the user is; lists go through Frappe's permission checks as well."""

import frappe
from frappe import _

from callcenter_app.credit import money, references
from callcenter_app.credit import service as credit
from callcenter_app.credit.gateways import service as gateways

no_cache = 1

RECEIPT_FORMAT = "CC Top Up Receipt"


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.throw(_("You need to be logged in to access this page"), frappe.PermissionError)
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("Prepaid credit")
	mine = credit.accounts_of_user()
	context.accounts = mine
	if not mine:
		context.account = None
		return context
	wanted = frappe.form_dict.get("account")
	name = wanted if wanted in mine else mine[0]
	account = frappe.get_doc(credit.ACCOUNT, name)
	account.check_permission("read")
	currency = account.currency
	context.account = account
	context.currency = currency
	context.balance = money.format_minor(account.balance_minor, currency)
	context.low = account.balance_minor <= (account.low_balance_threshold_minor or 0)
	context.entries = [
		{
			**e,
			"amount": money.format_minor(e.amount_minor, currency),
			"balance": money.format_minor(e.balance_after_minor, currency),
		}
		for e in frappe.get_list(
			credit.ENTRY,
			filters={"account": name},
			fields=["name", "posting_time", "kind", "amount_minor", "balance_after_minor", "remark"],
			order_by="posting_time desc, name desc",
			limit_page_length=50,
		)
	]
	context.top_ups = [
		{
			**t,
			"amount": money.format_minor(t.amount_minor, t.currency),
			"reference": references.format_reference(t.rf_reference) if t.rf_reference else "",
			"receipt": receipt_url(t.name) if t.status == "Confirmed" else None,
		}
		for t in frappe.get_list(
			credit.TOP_UP,
			filters={"account": name},
			fields=["name", "requested_at", "method", "status", "amount_minor", "currency", "rf_reference"],
			order_by="creation desc",
			limit_page_length=20,
		)
	]
	s = gateways.settings()
	context.methods = [
		m
		for m, on in (
			("Stripe", s.stripe_enabled),
			("PayPal", s.paypal_enabled),
			("Bank Transfer", s.bank_enabled),
		)
		if on
	]
	context.limits = (
		money.format_minor(s.min_top_up_minor, currency),
		money.format_minor(s.max_top_up_minor, currency),
	)
	context.has_saved_cards = bool(account.stripe_customer)
	context.notice = None
	top_up = frappe.form_dict.get("top_up")
	if top_up and frappe.db.get_value(credit.TOP_UP, top_up, "account") == name:
		doc = frappe.get_doc(credit.TOP_UP, top_up)
		if doc.method == "Bank Transfer" and doc.status == "Pending":
			context.bank = gateways.bank_details(doc)
		elif frappe.form_dict.get("paid"):
			context.notice = _("Thank you: your payment is being confirmed; the balance follows in a moment.")
	return context


def receipt_url(top_up: str) -> str:
	from urllib.parse import urlencode

	query = urlencode(
		{"doctype": credit.TOP_UP, "name": top_up, "format": RECEIPT_FORMAT, "no_letterhead": 1}
	)
	return f"/api/method/frappe.utils.print_format.download_pdf?{query}"
