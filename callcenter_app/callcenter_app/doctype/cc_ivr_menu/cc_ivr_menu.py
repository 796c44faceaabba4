# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.utils import throw_field_errors

LIMITS = {"timeout": (1, 60), "retries": (0, 9), "max_digits": (1, 10)}


class CCIVRMenu(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		invalid_prompt: DF.Link | None
		max_digits: DF.Int
		menu_name: DF.Data
		prompt: DF.Link
		retries: DF.Int
		timeout: DF.Int
		timeout_prompt: DF.Link | None
	# end: auto-generated types

	def validate(self):
		errors = [
			FieldError(field, f"must be from {low} to {high}, not {self.get(field)}")
			for field, (low, high) in LIMITS.items()
			if not low <= int(self.get(field) or 0) <= high
		]
		throw_field_errors(self.doctype, errors)
