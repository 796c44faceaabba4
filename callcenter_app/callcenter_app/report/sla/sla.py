# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""SLA: tickets created in a date range per team, and per assigned agent under it — reaction breaches
(``cc_reaction_breached``), resolution breaches (Helpdesk's resolution due time passed), median reaction
time and cumulative handling time (``cc_handling_seconds``). Agents see their own tickets, supervisors
their teams' members', managers all (:mod:`callcenter_app.metrics.agents` computes every number).
"""

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.agents import sla_rows
from callcenter_app.metrics.filters import RangeFilters, check_range
from callcenter_app.metrics.service import agents_for_report, range_bounds, read_tickets, refuse_filter

FILTER_LABELS = {"from_date": "From Date", "to_date": "To Date", "team": "Team", "agent": "Agent"}


def execute(filters=None):
	frappe.has_permission("HD Ticket", "read", throw=True)
	checked = checked_filters(filters)
	# the team filter narrows tickets, not agents: a ticket of the team held by someone from elsewhere counts
	agents = agents_for_report(RangeFilters(checked.from_date, checked.to_date, agent=checked.agent))
	first, after, _system, _local = range_bounds(checked.from_date, checked.to_date)
	tickets = read_tickets(first, after, team=checked.team)
	data = sla_rows(tickets, frappe.utils.now_datetime(), agents=agents)
	return columns(), data, None, chart(data), summary(data)


def checked_filters(filters) -> RangeFilters:
	try:
		return check_range(frappe._dict(filters or {}))
	except FieldError as e:
		refuse_filter(e, FILTER_LABELS)


def columns() -> list[dict]:
	return [
		{"fieldname": "team", "label": _("Team"), "fieldtype": "Link", "options": "HD Team", "width": 140},
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Link", "options": "User", "width": 190},
		{"fieldname": "tickets", "label": _("Tickets"), "fieldtype": "Int", "width": 80},
		{"fieldname": "resolved", "label": _("Resolved"), "fieldtype": "Int", "width": 85},
		{"fieldname": "reaction_breaches", "label": _("Reaction Breaches"), "fieldtype": "Int", "width": 135},
		{
			"fieldname": "reaction_breach_rate",
			"label": _("Reaction Breach %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 135,
		},
		{
			"fieldname": "resolution_breaches",
			"label": _("Resolution Breaches"),
			"fieldtype": "Int",
			"width": 145,
			"description": _("Resolved after the SLA's resolution time, or still open past it"),
		},
		{
			"fieldname": "resolution_breach_rate",
			"label": _("Resolution Breach %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 145,
		},
		{
			"fieldname": "median_reaction",
			"label": _("Median Reaction"),
			"fieldtype": "Duration",
			"width": 130,
		},
		{
			"fieldname": "handling_time",
			"label": _("Handling Time"),
			"fieldtype": "Duration",
			"width": 120,
			"description": _("Cumulative time in the statuses CC Settings counts"),
		},
		{
			"fieldname": "average_handling",
			"label": _("Average Handling"),
			"fieldtype": "Duration",
			"width": 130,
		},
	]


def chart(data: list[dict]) -> dict | None:
	teams = [r for r in data if r["agent"] == "" and not r.get("is_total")]
	if not teams:
		return None
	return {
		"data": {
			"labels": [r["team"] or _("No team") for r in teams],
			"datasets": [
				{"name": _("Tickets"), "values": [r["tickets"] for r in teams]},
				{"name": _("Reaction Breaches"), "values": [r["reaction_breaches"] for r in teams]},
				{"name": _("Resolution Breaches"), "values": [r["resolution_breaches"] for r in teams]},
			],
		},
		"type": "bar",
		"colors": ["#2490ef", "#ffa00a", "#ff5858"],
	}


def summary(data: list[dict]) -> list[dict]:
	total = next((r for r in data if r.get("is_total")), None)
	if not total:
		return []
	return [
		{"value": total["tickets"], "label": _("Tickets"), "datatype": "Int"},
		{
			"value": total["reaction_breaches"],
			"label": _("Reaction Breaches"),
			"datatype": "Int",
			"indicator": "Orange",
		},
		{
			"value": total["resolution_breaches"],
			"label": _("Resolution Breaches"),
			"datatype": "Int",
			"indicator": "Red",
		},
	]
