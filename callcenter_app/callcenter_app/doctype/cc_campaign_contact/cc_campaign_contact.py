# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError, collect
from callcenter_app.dialer import service
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.utils import default_region, throw_field_errors


class CCCampaignContact(Document):
	"""One number on a campaign's call list. Imported through Data Import; dialed through dialer/service.py."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attempts: DF.Int
		campaign: DF.Link
		contact: DF.Link | None
		dialing_operator: DF.Link | None
		dialing_since: DF.Datetime | None
		due_notified_at: DF.Datetime | None
		full_name: DF.Data | None
		last_attempt_at: DF.Datetime | None
		last_outcome: DF.Link | None
		next_attempt_at: DF.Datetime | None
		notes: DF.SmallText | None
		phone: DF.Data
		priority: DF.Int
		status: DF.Literal["New", "Retry", "Callback", "Dialing", "Completed", "Closed"]
		timezone: DF.Autocomplete | None
	# end: auto-generated types

	def validate(self):
		errors = collect(self.normalise_phone, self.check_timezone)
		if not errors:
			errors += collect(self.check_unique)
		throw_field_errors(self.doctype, errors)
		if self.contact and not self.full_name:
			self.full_name = frappe.db.get_value("Contact", self.contact, "full_name")

	def normalise_phone(self):
		self.phone = call_list_number(self.phone, default_region(), field="phone")

	def check_timezone(self):
		if (self.timezone or "").strip():
			self.timezone = validators.timezone("timezone", self.timezone)

	def check_unique(self):
		"""One row per number in a campaign's list (a unique index on (campaign, phone) backs this up)."""
		other = frappe.db.get_value(
			self.doctype, {"campaign": self.campaign, "phone": self.phone, "name": ["!=", self.name]}, "name"
		)
		if other:
			raise FieldError(
				"phone",
				_("{0} is already in the call list of campaign {1} ({2})").format(
					self.phone, self.campaign, other
				),
			)


def on_doctype_update():
	frappe.db.add_unique(
		"CC Campaign Contact", ["campaign", "phone"], constraint_name="unique_campaign_phone"
	)
	frappe.db.add_index("CC Campaign Contact", ["campaign", "status", "next_attempt_at"])


# Operators see the call lists of their campaigns; managers see all.
permission_query_conditions, has_permission = service.campaign_permissions("CC Campaign Contact")
