# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class LedgerIsAppendOnly(frappe.PermissionError):
	"""Ledger entries are never edited, cancelled or deleted: a correction is a new entry."""


class CCCreditLedgerEntry(Document):
	"""One movement of a credit account, append-only: written only by ``credit.service.post_entry`` (which
	locks the account and moves its balance in the same transaction), never edited, cancelled or deleted.
	A mistake is undone by a Correction entry whose ``against_entry`` points at it."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account: DF.Link
		against_entry: DF.Link | None
		amount_minor: DF.Int
		balance_after_minor: DF.Int
		currency: DF.Link
		idempotency_key: DF.Data
		kind: DF.Literal["Top-up", "Call Charge", "Correction", "Refund"]
		posting_time: DF.Datetime
		remark: DF.SmallText | None
		source_doctype: DF.Link | None
		source_name: DF.DynamicLink | None
	# end: auto-generated types

	def validate(self):
		if not self.is_new():
			frappe.throw(
				_("Ledger entry {0} cannot be changed: post a Correction against it").format(self.name),
				LedgerIsAppendOnly,
			)
		if not self.flags.posted_by_ledger_service:
			frappe.throw(
				_("Ledger entries are posted by the credit ledger (top-ups, call charges, corrections) only"),
				LedgerIsAppendOnly,
			)

	def on_cancel(self):
		frappe.throw(
			_("Ledger entries cannot be cancelled: post a Correction against it"), LedgerIsAppendOnly
		)

	def on_trash(self):
		frappe.throw(
			_("Ledger entry {0} cannot be deleted: post a Correction against it").format(self.name),
			LedgerIsAppendOnly,
		)

	def before_rename(self, old, new, merge=False):
		frappe.throw(_("Ledger entries cannot be renamed"), LedgerIsAppendOnly)
