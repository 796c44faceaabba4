# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.utils import default_region, throw_field_errors


class CCDNCNumber(Document):
	"""A number not to call: on the global list (no campaign) or on one campaign's list.

	Named by what it is (``+37060012345`` or ``+37060012345@Campaign``), so a number is on each list once."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		added_by: DF.Link | None
		campaign: DF.Link | None
		number: DF.Data
		reason: DF.Data | None
	# end: auto-generated types

	def autoname(self):
		self.normalise()
		self.name = service.dnc_name(self.number, self.campaign)
		if frappe.db.exists(self.doctype, self.name):
			where = (
				_("the list of campaign {0}").format(self.campaign) if self.campaign else _("the global list")
			)
			throw_field_errors(
				self.doctype, [FieldError("number", _("{0} is already on {1}").format(self.number, where))]
			)

	def validate(self):
		self.normalise()
		if not self.added_by:
			self.added_by = frappe.session.user

	def normalise(self):
		try:
			self.number = call_list_number(self.number, default_region(), field="number")
		except FieldError as e:
			throw_field_errors(self.doctype, [e])


def on_doctype_update():
	frappe.db.add_index("CC DNC Number", ["number", "campaign"])
