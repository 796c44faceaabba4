# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.utils import throw_field_errors


class CCWorkMode(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		counts_as_work: DF.Check
		description: DF.SmallText | None
		enabled: DF.Check
		is_default: DF.Check
		mode_name: DF.Data
		receives_calls: DF.Check
		receives_tickets: DF.Check
	# end: auto-generated types

	def validate(self):
		if self.is_default and not self.enabled:
			throw_field_errors(self.doctype, [FieldError("enabled", _("the mode on login must be enabled"))])
		if not self.enabled and not self.is_new() and self.agents_in_mode():
			throw_field_errors(
				self.doctype,
				[
					FieldError(
						"enabled",
						_("{0} agent(s) are in this mode now ({1}); move them to another mode first").format(
							len(self.agents_in_mode()), ", ".join(self.agents_in_mode()[:5])
						),
					)
				],
			)

	def on_update(self):
		if self.is_default:  # one default: the newest choice wins
			for other in frappe.get_all(
				"CC Work Mode", filters={"is_default": 1, "name": ["!=", self.name]}, pluck="name"
			):
				frappe.db.set_value("CC Work Mode", other, "is_default", 0)

	def on_trash(self):
		if self.agents_in_mode():
			frappe.throw(
				_("Cannot delete work mode {0}: {1} agent(s) are in it now ({2}). Move them first.").format(
					self.name, len(self.agents_in_mode()), ", ".join(self.agents_in_mode()[:5])
				),
				frappe.LinkExistsError,
			)

	def agents_in_mode(self) -> list[str]:
		return frappe.get_all(
			"HD Agent", filters={"cc_work_mode": self.name, "cc_logged_in": 1}, pluck="name"
		)
