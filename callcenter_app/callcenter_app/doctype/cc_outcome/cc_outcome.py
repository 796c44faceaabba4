# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer.campaigns import DEFAULT_OUTCOME_NAMES, SYSTEM_CODES, check_outcome
from callcenter_app.utils import throw_field_errors


class CCOutcome(Document):
	"""A disposition: what an attempt ended with, and what that does to the contact (see dialer/hopper.py)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		add_to_dnc: DF.Check
		code: DF.Data
		description: DF.SmallText | None
		dnc_scope: DF.Literal["Campaign", "Global"]
		enabled: DF.Check
		final: DF.Check
		outcome_name: DF.Data
		retry_after_minutes: DF.Int
		schedules_callback: DF.Check
		success: DF.Check
		system: DF.Check
	# end: auto-generated types

	def validate(self):
		self.code = (self.code or "").strip()
		errors = check_outcome(self.as_dict())
		if self.code in SYSTEM_CODES and not self.enabled:
			errors.append(
				FieldError("enabled", _("the dialer records {0} itself; it stays enabled").format(self.code))
			)
		throw_field_errors(self.doctype, errors)

	def on_trash(self):
		if self.code in DEFAULT_OUTCOME_NAMES:
			frappe.throw(
				_(
					"{0} is one of the outcomes the dialer knows ({1}); disable it instead of deleting it"
				).format(self.name, self.code),
				title=_("Cannot delete"),
			)
