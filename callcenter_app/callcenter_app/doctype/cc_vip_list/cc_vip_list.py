# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize
from callcenter_app.utils import default_region, throw_field_errors


class CCVIPList(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_vip_number.cc_vip_number import CCVIPNumber

		list_name: DF.Data
		numbers: DF.Table[CCVIPNumber]
	# end: auto-generated types

	def validate(self):
		errors, seen, region = [], {}, default_region()
		for row in self.numbers:
			try:
				row.number = normalize(row.number, region, field="numbers")
			except FieldError as e:
				errors.append(FieldError("numbers", _("row {0}: {1}").format(row.idx, e.reason)))
				continue
			if row.number in seen:
				errors.append(
					FieldError(
						"numbers",
						_("row {0}: {1} is already in row {2}").format(row.idx, row.number, seen[row.number]),
					)
				)
			seen.setdefault(row.number, row.idx)
		throw_field_errors(self.doctype, errors)
