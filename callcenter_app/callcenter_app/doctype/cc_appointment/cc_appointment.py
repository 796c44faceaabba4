# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from callcenter_app.field import service


class CCAppointment(Document):
	"""A visit of a field agent to a contact. Every save passes the same feasibility check as the booking
	screen, under a lock on the agent's row (field/service.py: validate_appointment), so neither two
	operators at once nor Data Import or REST can put an agent in two places."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		address: DF.SmallText
		agent_name: DF.Data | None
		agent_user: DF.Link | None
		booked_by: DF.Link | None
		campaign: DF.Link | None
		contact: DF.Link
		contact_name: DF.Data | None
		duration_minutes: DF.Int
		end: DF.Datetime | None
		field_agent: DF.Link
		latitude: DF.Float
		location: DF.Geolocation | None
		longitude: DF.Float
		needs_location: DF.Check
		notes: DF.SmallText | None
		outcome: DF.Link | None
		phone: DF.Data | None
		signed_document: DF.Attach | None
		start: DF.Datetime
		status: DF.Literal["Booked", "Confirmed", "Done", "Cancelled", "No-show"]
	# end: auto-generated types

	def validate(self):
		service.validate_appointment(self)
