# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError


class CCBankStatementImport(Document):
	"""A bank statement file to reconcile: parsed and matched in a background job
	(credit/statement_import service: ``enqueue_import``); its lines are CC Bank Statement Line records."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		bank_account: DF.Data | None
		col_amount: DF.Data | None
		col_counterparty: DF.Data | None
		col_credit_debit: DF.Data | None
		col_currency: DF.Data | None
		col_date: DF.Data | None
		col_line_id: DF.Data | None
		col_text: DF.Data | None
		credited: DF.Int
		csv_date_format: DF.Data | None
		csv_decimal: DF.Literal[".", ","]
		csv_default_currency: DF.Link | None
		csv_delimiter: DF.Data | None
		csv_skip_rows: DF.Int
		csv_thousands: DF.Data | None
		duplicates: DF.Int
		error: DF.SmallText | None
		file: DF.Attach
		file_format: DF.Literal["Auto", "CSV", "CAMT.053"]
		lines_total: DF.Int
		problems: DF.Code | None
		skipped: DF.Int
		statement_format: DF.Data | None
		status: DF.Literal["Draft", "Queued", "Processing", "Done", "Failed"]
		to_decide: DF.Int
	# end: auto-generated types

	def validate(self):
		from callcenter_app.credit.bank import service as statement_service

		if self.status in ("Processing", "Done") and self.has_value_changed("file"):
			frappe.throw(
				_("Statement File: an imported statement's file cannot be replaced; import a new one")
			)
		if self.file_format != "CAMT.053" and any(
			self.get(f) for f in ("col_date", "col_amount", "col_text")
		):
			try:
				statement_service.mapping_of(self).check()
			except FieldError as e:
				frappe.throw(_("CSV Format: {0}: {1}").format(e.field, e.reason))

	def on_trash(self):
		if frappe.db.exists(
			"CC Bank Statement Line", {"statement_import": self.name, "ledger_entry": ("is", "set")}
		):
			frappe.throw(_("This statement credited top-ups: it stays, with its lines, for the audit trail"))
		frappe.db.delete("CC Bank Statement Line", {"statement_import": self.name})
