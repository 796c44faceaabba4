# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCRatePlanRow(Document):
	"""One destination prefix of a CC Rate Plan and its rate per minute."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		description: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		prefix: DF.Data
		rate_per_minute: DF.Data
	# end: auto-generated types
