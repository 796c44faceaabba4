# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCRouteNode(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		announcement: DF.Link | None
		holiday_list: DF.Link | None
		ivr_menu: DF.Link | None
		label: DF.Data | None
		mailbox: DF.Data | None
		node_id: DF.Data
		node_type: DF.Literal[
			"Time Condition",
			"Holiday",
			"VIP",
			"IVR Menu",
			"Announcement",
			"Queue",
			"Forward",
			"Voicemail",
			"Hang Up",
			"Go to Route",
		]
		number: DF.Data | None
		queue: DF.Link | None
		target_route: DF.Link | None
		time_condition: DF.Link | None
		timeout: DF.Int
		vip_list: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
	# end: auto-generated types

	pass
