# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Campaign Results: per campaign and day (call center's time zone) — attempts, contacts reached, outcomes,
conversion, abandon %, callbacks due and overdue (:mod:`callcenter_app.metrics.campaigns` has the
definitions). Operators see the campaigns they work on (CC Campaign's own permission rules), managers all.
"""

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.campaigns import AttemptFact, CallbackFact, campaign_rows
from callcenter_app.metrics.filters import RangeFilters, check_range
from callcenter_app.metrics.queue_qos import to_local
from callcenter_app.metrics.service import range_bounds, refuse_filter

FILTER_LABELS = {"from_date": "From Date", "to_date": "To Date", "campaign": "Campaign"}


def execute(filters=None):
	frappe.has_permission("CC Call Attempt", "read", throw=True)
	checked = checked_filters(filters)
	campaigns = visible_campaigns(checked)
	first, after, system_tz, local_tz = range_bounds(checked.from_date, checked.to_date)
	outcomes = frappe.get_all("CC Outcome", fields=["name", "success"], order_by="name")
	success = {o.name for o in outcomes if o.success}
	attempts = []
	callbacks = []
	if campaigns:
		for a in frappe.get_all(
			"CC Call Attempt",
			filters={"campaign": ["in", campaigns], "started_at": ["between", [first, after]]},
			fields=[
				"campaign",
				"campaign_contact",
				"started_at",
				"answered_at",
				"abandoned",
				"result",
				"outcome",
			],
		):
			if a.started_at >= after:
				continue
			attempts.append(
				AttemptFact(
					a.campaign,
					to_local(a.started_at, system_tz, local_tz).date(),
					a.campaign_contact or "",
					answered=a.answered_at is not None,
					abandoned=bool(a.abandoned),
					result=a.result or "",
					outcome=a.outcome or "",
					success=a.outcome in success,
				)
			)
		now = frappe.utils.now_datetime()
		for c in frappe.get_all(
			"CC Callback",
			filters={"campaign": ["in", campaigns], "due_at": ["between", [first, after]]},
			fields=["campaign", "due_at", "status"],
		):
			if c.due_at >= after:
				continue
			callbacks.append(
				CallbackFact(
					c.campaign,
					to_local(c.due_at, system_tz, local_tz).date(),
					c.status or "",
					overdue=c.status == "Open" and c.due_at < now,
				)
			)
	used = {a.outcome for a in attempts if a.outcome}
	shown = [o.name for o in outcomes if o.name in used]
	data = campaign_rows(attempts, callbacks, outcomes=shown)
	return columns(shown), data, None, chart(data), None


def checked_filters(filters) -> RangeFilters:
	try:
		return check_range(frappe._dict(filters or {}))
	except FieldError as e:
		refuse_filter(e, FILTER_LABELS)


def visible_campaigns(checked: RangeFilters) -> list[str]:
	"""The campaigns the user may read (CC Campaign's permission query), narrowed by the filter."""
	filters = {"name": checked.campaign} if checked.campaign else {}
	return frappe.get_list("CC Campaign", filters=filters, pluck="name")


def columns(outcomes: list[str]) -> list[dict]:
	return [
		{"fieldname": "day", "label": _("Day"), "fieldtype": "Data", "width": 105},
		{
			"fieldname": "campaign",
			"label": _("Campaign"),
			"fieldtype": "Link",
			"options": "CC Campaign",
			"width": 150,
		},
		{"fieldname": "attempts", "label": _("Attempts"), "fieldtype": "Int", "width": 85},
		{
			"fieldname": "contacts_reached",
			"label": _("Contacts Reached"),
			"fieldtype": "Int",
			"width": 130,
			"description": _("Answered, not abandoned and not an answering machine; each contact once"),
		},
		{"fieldname": "conversions", "label": _("Conversions"), "fieldtype": "Int", "width": 100},
		{
			"fieldname": "conversion",
			"label": _("Conversion %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 110,
			"description": _("Contacts with a successful outcome, of the contacts reached"),
		},
		{"fieldname": "abandoned", "label": _("Abandoned"), "fieldtype": "Int", "width": 95},
		{
			"fieldname": "abandon_rate",
			"label": _("Abandon %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 95,
			"description": _("Abandoned of abandoned plus reached (the dialer's definition)"),
		},
		{"fieldname": "callbacks_due", "label": _("Callbacks Due"), "fieldtype": "Int", "width": 115},
		{"fieldname": "callbacks_overdue", "label": _("Callbacks Overdue"), "fieldtype": "Int", "width": 135},
		*[{"fieldname": f"outcome:{o}", "label": _(o), "fieldtype": "Int", "width": 110} for o in outcomes],
	]


def chart(data: list[dict]) -> dict | None:
	days: dict[str, list[int]] = {}
	for r in data:
		if r.get("is_total"):
			continue
		d = days.setdefault(r["day"], [0, 0, 0])
		d[0] += r["attempts"]
		d[1] += r["contacts_reached"]
		d[2] += r["conversions"]
	if not days:
		return None
	return {
		"data": {
			"labels": list(days),
			"datasets": [
				{"name": _("Attempts"), "values": [d[0] for d in days.values()]},
				{"name": _("Contacts Reached"), "values": [d[1] for d in days.values()]},
				{"name": _("Conversions"), "values": [d[2] for d in days.values()]},
			],
		},
		"type": "bar",
		"colors": ["#2490ef", "#29cd42", "#ffa00a"],
	}
