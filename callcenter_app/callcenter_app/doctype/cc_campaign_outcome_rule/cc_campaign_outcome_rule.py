# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCCampaignOutcomeRule(Document):
	"""A campaign's own retry delay for one outcome."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		outcome: DF.Link
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		retry_after_minutes: DF.Int
	# end: auto-generated types
