# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service
from callcenter_app.utils import stored_and_edited, throw_field_errors


class CCCallback(Document):
	"""A time to call a contact again. Public: any operator of the campaign; private: only ``owner_user``.

	Due callbacks are dialed before anything else (dialer/hopper.py: pick)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		campaign: DF.Link
		campaign_contact: DF.Link
		due_at: DF.Datetime
		full_name: DF.Data | None
		note: DF.SmallText | None
		notified: DF.Check
		owner_user: DF.Link | None
		phone: DF.Data | None
		status: DF.Literal["Open", "Done", "Cancelled"]
		visibility: DF.Literal["Public", "Private"]
	# end: auto-generated types

	def validate(self):
		errors = []
		campaign = frappe.db.get_value("CC Campaign Contact", self.campaign_contact, "campaign")
		if campaign and self.campaign != campaign:
			errors.append(
				FieldError(
					"campaign",
					_("contact {0} is in campaign {1}, not {2}").format(
						self.campaign_contact, campaign, self.campaign
					),
				)
			)
		if self.visibility == "Private":
			if not self.owner_user:
				errors.append(FieldError("owner_user", _("is required for a private callback")))
			elif not (
				service.is_operator(self.campaign, self.owner_user) or service.is_manager(self.owner_user)
			):
				errors.append(
					FieldError(
						"owner_user",
						_("{0} is not an active operator of campaign {1}").format(
							self.owner_user, self.campaign
						),
					)
				)
		throw_field_errors(self.doctype, errors)
		if self.has_value_changed("due_at"):  # a new time is told about again when it comes
			self.notified = 0


def permission_query_conditions(user: str | None = None) -> str:
	"""Operators see the public callbacks of their campaigns and their own private ones; managers see all."""
	user = user or frappe.session.user
	if service.is_manager(user):
		return ""
	mine = f"(`tabCC Callback`.`visibility` = 'Private' and `tabCC Callback`.`owner_user` = {frappe.db.escape(user)})"
	public = service.operator_campaigns_condition("`tabCC Callback`.`campaign`", user)
	return f"({mine} or (`tabCC Callback`.`visibility` = 'Public' and {public}))"


def has_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	"""Judged on the stored row as well as the edited one: otherwise a user could send
	``visibility``/``campaign`` in a ``set_value`` and pass the check on values they chose."""
	user = user or frappe.session.user
	if service.is_manager(user):
		return True
	return all(_may(row, user) for row in stored_and_edited(doc, ["visibility", "owner_user", "campaign"]))


def _may(row, user: str) -> bool:
	if row.get("visibility") == "Private":
		return row.get("owner_user") == user
	return service.is_operator(row.get("campaign"), user)
