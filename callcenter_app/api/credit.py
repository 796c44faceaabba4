"""Prepaid credit endpoints: the gateways' webhooks (open to Guest, verified by signature before anything
is read), the PayPal return, and the portal customer's top-up and saved-card actions (their own account
only). The logic is in ``credit/gateways/service.py``."""

from __future__ import annotations

import frappe
from frappe import _
from werkzeug.wrappers import Response

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.credit import money
from callcenter_app.credit import service as credit
from callcenter_app.credit.gateways import service
from callcenter_app.utils import requires


def _json(status: int, body: dict) -> Response:
	return Response(frappe.as_json(body), status=status, content_type="application/json; charset=utf-8")


@frappe.whitelist(allow_guest=True, methods=["POST"])
@requires(roles.WEBHOOK)
def stripe_webhook() -> Response:
	"""Stripe's events (checkout.session.completed and friends), checked with Stripe's SDK."""
	raw = frappe.request.get_data(cache=True) or b""
	status, body = service.receive_stripe(raw, frappe.request.headers.get("Stripe-Signature"))
	return _json(status, body)


@frappe.whitelist(allow_guest=True, methods=["POST"])
@requires(roles.WEBHOOK)
def paypal_webhook() -> Response:
	"""PayPal's events (PAYMENT.CAPTURE.COMPLETED, CHECKOUT.ORDER.APPROVED, …), checked by PayPal."""
	raw = frappe.request.get_data(cache=True) or b""
	status, body = service.receive_paypal(raw, frappe.request.headers)
	return _json(status, body)


def own_account(account: str | None = None) -> str:
	"""The logged-in customer's account (``account`` must be one of theirs when given)."""
	if frappe.session.user == "Guest":
		raise frappe.PermissionError(_("Log in to manage your credit"))
	mine = credit.accounts_of_user()
	if account:
		if account not in mine:
			raise frappe.PermissionError(_("Account: not one of your accounts"))
		return account
	if not mine:
		raise frappe.PermissionError(_("Account: you have no credit account; ask us to open one"))
	return mine[0]


@frappe.whitelist(methods=["POST"])
@requires(roles.OWN_CREDIT)
def top_up(method: str, amount: str, account: str | None = None, save_card: int | str = 0) -> dict:
	"""Start a top-up of ``amount`` (a decimal in the account's currency, e.g. "25.00")."""
	account = own_account(account)
	currency = frappe.db.get_value(credit.ACCOUNT, account, "currency")
	try:
		amount_minor = money.to_minor(str(amount).strip(), currency, field="amount")
	except FieldError as e:
		frappe.throw(_("{0}: {1}").format(_("Amount"), e.reason), service.TopUpRefused)
	return service.start_top_up(
		account,
		method,
		amount_minor,
		save_card=str(save_card) in ("1", "true", "on"),
		user=frappe.session.user,
	)


@frappe.whitelist(methods=["GET"])
@requires(roles.OWN_CREDIT)
def paypal_return(top_up: str, token: str | None = None, **_ignored) -> None:
	"""PayPal sends the payer back here (``token`` is the order id): capture, credit, back to /credit."""
	row = frappe.db.get_value("CC Top Up", top_up, ["account"], as_dict=True)
	if not row or row.account not in credit.accounts_of_user():
		raise frappe.PermissionError(_("Top-up: not one of yours"))
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = service.paypal_return(top_up, token)


@frappe.whitelist(methods=["GET"])
@requires(roles.OWN_CREDIT)
def saved_cards(account: str | None = None) -> list[dict]:
	"""The cards Stripe keeps for this customer (brand, last 4 digits, expiry; nothing is stored here)."""
	return service.saved_cards(own_account(account))


@frappe.whitelist(methods=["POST"])
@requires(roles.OWN_CREDIT)
def remove_card(payment_method: str, account: str | None = None) -> dict:
	"""Detach a saved card at Stripe: it can no longer be charged."""
	service.remove_card(own_account(account), payment_method)
	return {"ok": True}


@frappe.whitelist(methods=["GET"])
@requires(roles.MANAGE_CREDIT)
def export_top_ups(from_date: str, to_date: str, format: str = "erpnext") -> None:
	"""Confirmed top-ups of a period as a CSV download: ``erpnext`` (a Journal Entry data-import file for
	ERPNext's Data Import) or ``plain``. Accountants, Call Center Managers and System Managers only."""
	from frappe.utils import getdate

	from callcenter_app.credit import reconciliation

	if not credit.is_overseer():
		raise frappe.PermissionError(_("Only Accountants and Call Center Managers export top-ups"))
	start, end = getdate(from_date), getdate(to_date)
	rows = service.confirmed_top_ups(start, end)
	if format == "erpnext":
		text = reconciliation.to_csv(
			reconciliation.JOURNAL_ENTRY_COLUMNS,
			reconciliation.journal_entry_rows(rows, service.journal_settings()),
		)
		name = f"top-ups-journal-entries-{start}-{end}.csv"
	elif format == "plain":
		text = reconciliation.to_csv(reconciliation.PLAIN_COLUMNS, reconciliation.plain_rows(rows))
		name = f"top-ups-{start}-{end}.csv"
	else:
		frappe.throw(_("Format: must be erpnext or plain, not {0!r}").format(format))
	frappe.response["type"] = "download"
	frappe.response["filename"] = name
	frappe.response["filecontent"] = text.encode("utf-8")
	frappe.response["content_type"] = "text/csv; charset=utf-8"


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CREDIT)
def reprocess_event(event: str) -> dict:
	"""Process a payment event that needs review again (Accountants, Call Center Managers)."""
	if not credit.is_overseer():
		raise frappe.PermissionError(_("Only Accountants and Call Center Managers process payment events"))
	return service.reprocess(event)
