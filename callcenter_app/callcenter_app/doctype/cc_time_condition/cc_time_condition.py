# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe import _
from frappe.model.document import Document

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.routing.model import hhmm
from callcenter_app.telephony.routing.records import minutes
from callcenter_app.utils import throw_field_errors


class CCTimeCondition(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_time_block.cc_time_block import CCTimeBlock

		blocks: DF.Table[CCTimeBlock]
		condition_name: DF.Data
		holiday_list: DF.Link | None
		timezone: DF.Autocomplete | None
	# end: auto-generated types

	def validate(self):
		errors = []
		if self.timezone:
			try:
				validators.timezone("timezone", self.timezone)
			except FieldError as e:
				errors.append(e)
		for row in self.blocks:
			start, end = minutes(row.from_time), minutes(row.to_time)
			if end <= start:
				errors.append(
					FieldError(
						"blocks",
						_(
							"row {0} ({1}): 'To' {2} must be later than 'From' {3}; split a night into two rows"
						).format(row.idx, row.weekday, hhmm(end), hhmm(start)),
					)
				)
		throw_field_errors(self.doctype, errors)
