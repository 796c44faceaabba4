# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCBankStatementLine(Document):
	"""One incoming line of an imported bank statement and what matching made of it; written in bulk by the
	import job, decided (credit this amount / reject) through ``credit.statement_service.decide_line``."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount_minor: DF.Int
		booking_date: DF.Date | None
		counterparty: DF.Data | None
		currency: DF.Link | None
		decided_at: DF.Datetime | None
		decided_by: DF.Link | None
		decision: DF.Literal["", "Credited", "Rejected"]
		duplicate_of: DF.Link | None
		ledger_entry: DF.Link | None
		line_id: DF.Data | None
		line_key: DF.Data | None
		match_status: DF.Literal["Matched", "Partial", "Over", "Unmatched", "Duplicate", "Wrong Currency"]
		reason: DF.SmallText | None
		remittance: DF.SmallText | None
		rf_reference: DF.Data | None
		statement_import: DF.Link
		top_up: DF.Link | None
	# end: auto-generated types
