# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from callcenter_app.field import service


class CCFieldAgent(Document):
	"""A field agent: where their day starts (home base), where they work (zone), when (the working days of
	an HD Service Level Agreement) and how they travel. Rules: field/__init__.py; glue: field/service.py."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		active: DF.Check
		agent_name: DF.Data | None
		buffer_minutes: DF.Int
		home_address: DF.SmallText | None
		home_latitude: DF.Float
		home_longitude: DF.Float
		home_map: DF.Geolocation | None
		ical_token_created: DF.Datetime | None
		ical_token_hash: DF.Data | None
		road_factor: DF.Float
		speed_kmh: DF.Float
		user: DF.Link
		working_hours: DF.Link
		zone_latitude: DF.Float
		zone_longitude: DF.Float
		zone_map: DF.Geolocation | None
		zone_radius_km: DF.Float
		zone_type: DF.Literal["None", "Circle", "Polygon"]
	# end: auto-generated types

	def validate(self):
		service.validate_field_agent(self)
