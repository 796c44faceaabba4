# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from callcenter_app.common import roles
from callcenter_app.utils import has_capability


class CCAgentStatusLog(Document):
	"""One period an agent spent in one state; written by telephony/presence/service.py only."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		agent: DF.Link
		changed_by: DF.Link | None
		counts_as_work: DF.Check
		duration_s: DF.Int
		ended: DF.Datetime | None
		logged_in: DF.Check
		queues: DF.SmallText | None
		receives_calls: DF.Check
		receives_tickets: DF.Check
		source: DF.Literal["Desk", "Supervisor", "Bridge", "System"]
		started: DF.Datetime
		work_mode: DF.Link | None
	# end: auto-generated types


def permission_query_conditions(user: str | None = None) -> str:
	"""Agents see their own periods; supervisors and managers see everyone's."""
	user = user or frappe.session.user
	if has_capability(roles.SUPERVISE_CALLS, user):
		return ""
	return f"`tabCC Agent Status Log`.`agent` = {frappe.db.escape(user)}"


def has_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	user = user or frappe.session.user
	return has_capability(roles.SUPERVISE_CALLS, user) or doc.agent == user
