# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_datetime

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service
from callcenter_app.utils import throw_field_errors


class CCCallAttempt(Document):
	"""One dial of one contact; written by the dialer and the console (dialer/service.py), read by everyone."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		abandoned: DF.Check
		action_id: DF.Data | None
		amd_status: DF.Data | None
		answered_at: DF.Datetime | None
		call_log: DF.Link | None
		campaign: DF.Link
		campaign_contact: DF.Link
		ended_at: DF.Datetime | None
		linkedid: DF.Data | None
		note: DF.SmallText | None
		operator: DF.Link | None
		outcome: DF.Link | None
		phone: DF.Data | None
		result: DF.Data | None
		started_at: DF.Datetime | None
	# end: auto-generated types

	def validate(self):
		if self.outcome:
			self.result = frappe.db.get_value("CC Outcome", self.outcome, "code")
		errors = []
		started = get_datetime(self.started_at) if self.started_at else None
		for field in ("answered_at", "ended_at"):
			value = self.get(field)
			if started and value and get_datetime(value) < started:
				errors.append(
					FieldError(
						field,
						_("{0} is before the start of the attempt ({1})").format(value, self.started_at),
					)
				)
		throw_field_errors(self.doctype, errors)


# Operators see the attempts of their campaigns; managers see all.
permission_query_conditions, has_permission = service.campaign_permissions("CC Call Attempt")
