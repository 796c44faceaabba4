# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from callcenter_app.common import roles
from callcenter_app.dialer import service as dialer
from callcenter_app.utils import has_capability


class CCCallLog(Document):
	"""One call as the AMI bridge saw it (telephony/ami/calls.py); written only by the bridge's upsert."""


# Who reads which calls: managers, supervisors and accountants all of them; everyone else (agents,
# operators) the calls they took, the calls of campaigns they work on, and the inbound calls of queues they
# are members of (SEE_ALL_CALLS). A campaign's calls follow the campaign even when another campaign shares
# the queue.
TABLE = "`tabCC Call Log`"


def sees_all(user: str) -> bool:
	return has_capability(roles.SEE_ALL_CALLS, user)


def queues_of(user: str) -> list[str]:
	return frappe.get_all(
		"CC Call Queue Member",
		filters={"parenttype": "CC Call Queue", "agent": user},
		pluck="parent",
		distinct=True,
	)


def permission_query_conditions(user: str | None = None) -> str:
	user = user or frappe.session.user
	if sees_all(user):
		return ""
	rules = [
		f"{TABLE}.`agent` = {frappe.db.escape(user)}",
		dialer.operator_campaigns_condition(f"{TABLE}.`campaign`", user),
	]
	queues = queues_of(user)
	if queues:
		rules.append(
			f"(ifnull({TABLE}.`campaign`, '') = '' and {TABLE}.`queue` in "
			f"({', '.join(frappe.db.escape(q) for q in queues)}))"
		)
	return "(" + " or ".join(rules) + ")"


def has_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	user = user or frappe.session.user
	if sees_all(user):
		return True
	if doc.get("agent") == user:
		return True
	if doc.get("campaign"):
		return dialer.is_operator(doc.campaign, user)
	return bool(doc.get("queue")) and doc.queue in queues_of(user)
