# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.filters import check_source
from callcenter_app.utils import throw_field_errors

WATCHED = {"Email": "email_account", "SMS": "sms_number", "Phone": "call_queue"}


class CCTicketSource(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_ticket_filter_rule.cc_ticket_filter_rule import (
			CCTicketFilterRule,
		)

		call_queue: DF.Link | None
		default_team: DF.Link
		email_account: DF.Link | None
		enabled: DF.Check
		rules: DF.Table[CCTicketFilterRule]
		sms_number: DF.Data | None
		source_name: DF.Data
		source_type: DF.Literal["Email", "SMS", "Phone", "Web Form"]
		weight: DF.Int
	# end: auto-generated types

	def validate(self):
		from callcenter_app.tickets.service import source_of

		errors = [_rename(e) for e in check_source(source_of(self))]
		errors += self.check_watched()
		throw_field_errors(self.doctype, errors)

	def check_watched(self) -> list[FieldError]:
		"""One enabled source per mailbox, SMS number or call queue: otherwise the rules would be ambiguous."""
		field = WATCHED.get(self.source_type)
		if not field or not self.enabled:
			return []
		if field == "sms_number":
			from callcenter_app.common.phones import normalize

			try:
				self.sms_number = normalize(self.sms_number, field="sms_number")
			except FieldError as e:
				return [e]
		other = frappe.db.get_value(
			"CC Ticket Source",
			{field: self.get(field), "enabled": 1, "name": ["!=", self.name or ""]},
			"name",
		)
		if other:
			return [
				FieldError(field, _("{0} is already watched by source {1}").format(self.get(field), other))
			]
		return []


def _rename(error: FieldError) -> FieldError:
	"""The pure core's names → this doctype's fields (rule rows keep their "row N:" prefix)."""
	field = {"name": "source_name", "type": "source_type"}.get(error.field, error.field)
	if field in ("field", "operator", "value", "team"):
		return FieldError("rules", f"{field} {error.reason}")
	return FieldError(field, error.reason)
