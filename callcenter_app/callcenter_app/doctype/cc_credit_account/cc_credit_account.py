# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CCCreditAccount(Document):
	"""Prepaid credit of one HD Customer (or, without a customer, the site's own). The balance is the sum
	of the account's ledger entries and moves only through ``credit.service.post_entry``."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		balance_minor: DF.Int
		currency: DF.Link
		customer: DF.Link | None
		low_balance_notified: DF.Check
		low_balance_threshold_minor: DF.Int
		rate_plan: DF.Link | None
		status: DF.Literal["Active", "Suspended", "Closed"]
		stripe_customer: DF.Data | None
		title: DF.Data
	# end: auto-generated types

	def validate(self):
		if self.is_new():
			self.balance_minor = 0
		else:
			# the stored balance, locked: a form saved with a stale balance never overwrites a posting
			# made since (post_entry waits for this save's transaction)
			self.balance_minor = frappe.db.sql(
				"select balance_minor from `tabCC Credit Account` where name=%s for update", (self.name,)
			)[0][0]
		if not self.customer:
			self.customer = None
			other = frappe.db.get_value(
				"CC Credit Account", {"customer": ("is", "not set"), "name": ("!=", self.name or "")}, "name"
			)
			if other:
				frappe.throw(
					_("Customer: the site's own account is {0}; every other account needs a customer").format(
						other
					)
				)
		if not self.title:
			self.title = (
				frappe.db.get_value("HD Customer", self.customer, "customer_name") or self.customer
				if self.customer
				else _("Site account")
			)
		if (self.low_balance_threshold_minor or 0) < 0:
			frappe.throw(_("Low balance threshold (minor units): cannot be negative"))
		if self.rate_plan:
			plan_currency = frappe.db.get_value("CC Rate Plan", self.rate_plan, "currency")
			if plan_currency and plan_currency != self.currency:
				frappe.throw(
					_("Rate Plan: {0} prices in {1}, the account is in {2}").format(
						self.rate_plan, plan_currency, self.currency
					)
				)

	def on_trash(self):
		if frappe.db.exists("CC Credit Ledger Entry", {"account": self.name}):
			frappe.throw(
				_("Account {0} has ledger entries: close it instead of deleting it").format(self.name)
			)
