# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CCTopUp(Document):
	"""A customer's request to add credit, by card (Stripe), PayPal or bank transfer. Created and moved
	on by the credit gateways' service only; Confirmed once its ledger entry is posted
	(``credit.service.confirm_top_up``)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account: DF.Link
		amount_minor: DF.Int
		confirmed_at: DF.Datetime | None
		currency: DF.Link
		failure_reason: DF.SmallText | None
		gateway_order_id: DF.Data | None
		gateway_payment_id: DF.Data | None
		journal_entry: DF.Data | None
		ledger_entry: DF.Link | None
		method: DF.Literal["Stripe", "PayPal", "Bank Transfer"]
		requested_at: DF.Datetime | None
		requested_by: DF.Link | None
		rf_reference: DF.Data | None
		save_card: DF.Check
		status: DF.Literal["Requested", "Pending", "Confirmed", "Failed", "Cancelled"]
	# end: auto-generated types

	def validate(self):
		if self.is_new():
			if not isinstance(self.amount_minor, int) or self.amount_minor <= 0:
				frappe.throw(_("Amount (minor units): must be a positive whole number"))
			currency = frappe.db.get_value("CC Credit Account", self.account, "currency")
			if self.currency != currency:
				frappe.throw(
					_("Currency: the account {0} is kept in {1}, not {2}").format(
						self.account, currency, self.currency
					)
				)
		elif (
			self.status == "Confirmed"
			and frappe.db.get_value(self.doctype, self.name, "status") != "Confirmed"
		):
			frappe.throw(_("Status: a top-up is confirmed only by posting its ledger entry"))

	def on_trash(self):
		if self.ledger_entry or self.status == "Confirmed":
			frappe.throw(_("Top-up {0} is confirmed and credited: it cannot be deleted").format(self.name))
