# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from callcenter_app.common import roles
from callcenter_app.utils import has_capability, stored_and_edited


class CCSMSMessage(Document):
	"""One SMS in or out; written only by tickets/sms/service.py (the webhook and the Send SMS action)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		body: DF.Text | None
		communication: DF.Link | None
		contact: DF.Link | None
		dedupe_key: DF.Data | None
		direction: DF.Literal["Inbound", "Outbound"]
		provider: DF.Literal["Generic", "Twilio"]
		provider_message_id: DF.Data | None
		received_at: DF.Datetime | None
		recipient: DF.Data | None
		sender: DF.Data | None
		sent_at: DF.Datetime | None
		sent_by: DF.Link | None
		status: DF.Literal["Received", "Queued", "Sent", "Delivered", "Failed"]
		status_detail: DF.SmallText | None
		status_updated_at: DF.Datetime | None
		ticket: DF.Link | None
	# end: auto-generated types


def overseer(user: str) -> bool:
	"""Sees every message, with or without a ticket."""
	return has_capability(roles.SUPERVISE_TICKETS, user)


def has_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	"""A message follows its ticket: whoever may read the ticket may read its messages."""
	user = user or frappe.session.user
	if overseer(user):
		return True
	tickets = {row.get("ticket") for row in stored_and_edited(doc, ["ticket"])}
	if not all(tickets):
		return False
	return all(frappe.has_permission("HD Ticket", "read", t, user=user) for t in tickets)


def permission_query_conditions(user: str | None = None) -> str:
	"""Lists: only messages on tickets the user's ticket list would show."""
	user = user or frappe.session.user
	if overseer(user):
		return ""
	from frappe.model.db_query import DatabaseQuery

	tickets = DatabaseQuery("HD Ticket", user=user).build_match_conditions()
	visible = "select `tabHD Ticket`.name from `tabHD Ticket`" + (f" where {tickets}" if tickets else "")
	return f"(`tabCC SMS Message`.`ticket` is not null and `tabCC SMS Message`.`ticket` in ({visible}))"
