# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize
from callcenter_app.utils import default_region, throw_field_errors


class CCPhoneNumber(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		description: DF.SmallText | None
		number: DF.Data
		route: DF.Link | None
		sms: DF.Check
		voice: DF.Check
	# end: auto-generated types

	def autoname(self):
		self.normalize_number()
		self.name = self.number

	def validate(self):
		self.normalize_number()
		if not self.voice and not self.sms:
			throw_field_errors(
				self.doctype, [FieldError("voice", _("a number must carry voice, SMS or both"))]
			)

	def normalize_number(self):
		try:
			self.number = normalize(self.number, default_region(), field="number")
		except FieldError as e:
			throw_field_errors(self.doctype, [e])
