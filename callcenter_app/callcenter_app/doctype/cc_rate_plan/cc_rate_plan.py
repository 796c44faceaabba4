# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError


class CCRatePlan(Document):
	"""Prices of answered outbound calls: rate per minute by longest destination prefix, billing increment,
	connection fee and minimum charge (rules: credit/rating.py). Validated by building the pure plan."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_rate_plan_row.cc_rate_plan_row import CCRatePlanRow

		billing_increment: DF.Data
		connection_fee: DF.Data | None
		currency: DF.Link
		description: DF.SmallText | None
		minimum_charge: DF.Data | None
		plan_name: DF.Data
		rates: DF.Table[CCRatePlanRow]
	# end: auto-generated types

	def validate(self):
		from callcenter_app.credit.charging import service

		for row in self.rates:
			row.prefix = (row.prefix or "").strip().removeprefix("+")
			row.rate_per_minute = (row.rate_per_minute or "").strip()
		self.billing_increment = (self.billing_increment or "").replace(" ", "")
		try:
			service.plan_of(self)
		except FieldError as e:
			label = next(
				(
					m.get_field(e.field).label
					for m in (self.meta, frappe.get_meta("CC Rate Plan Row"))
					if m.get_field(e.field)
				),
				e.field,
			)
			frappe.throw(_("{0}: {1}").format(_(label), e.reason), title=_("Invalid rate plan"))
