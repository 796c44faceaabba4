# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Agent Performance: per agent over a date range — calls taken and made, talk, logged-in and pause time
(pause per work mode that takes no calls), tickets handled and resolved, median reaction time and reaction
breaches. Hold and wrap-up are not recorded per call today, so they are not shown (the report says so).

Agents see only their own row, supervisors their teams' members (HD Team membership), managers everyone
(:func:`callcenter_app.metrics.service.agent_scope`). Every number comes from
:mod:`callcenter_app.metrics.agents`.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.agents import CallTally, agent_rows
from callcenter_app.metrics.filters import RangeFilters, check_range
from callcenter_app.metrics.service import (
	agents_for_report,
	range_bounds,
	read_status_periods,
	read_tickets,
	refuse_filter,
)
from callcenter_app.metrics.worktime import work_time

FILTER_LABELS = {
	"from_date": "From Date",
	"to_date": "To Date",
	"team": "Team",
	"agent": "Agent",
	"campaign": "Campaign",
}
NOT_RECORDED = (
	"Hold and wrap-up time are not shown: no call records them today (the PBX bridge keeps no hold events, "
	"and a queue's wrap-up is a setting, not a measurement). After-call work shows as pause time when "
	"agents use a work mode for it."
)


def execute(filters=None):
	frappe.has_permission("CC Agent Status Log", "read", throw=True)
	checked = checked_filters(filters)
	agents = agents_for_report(checked)
	first, after, system_tz, local_tz = range_bounds(checked.from_date, checked.to_date)
	calls = read_calls(checked, agents, first, after)
	periods = read_status_periods(agents, first, after)
	now = frappe.utils.now_datetime()
	days = work_time(periods, checked.from_date, checked.to_date, system_tz, local_tz, now)
	tickets = [t for t in read_tickets(first, after) if agents is None or set(t.agents) & agents]
	shown = agents
	if shown is None:  # everyone: the agents with anything to show, and every active HD Agent
		shown = set(frappe.get_all("HD Agent", filters={"is_active": 1}, pluck="user"))
		shown |= {c.agent for c in calls} | {p.agent for p in periods}
		shown |= {a for t in tickets for a in t.agents}
	modes = pause_modes(days)
	data = agent_rows(shown, calls, days, tickets, now, pause_modes=modes)
	return columns(modes), data, _(NOT_RECORDED), chart(data), None


def checked_filters(filters) -> RangeFilters:
	try:
		return check_range(frappe._dict(filters or {}))
	except FieldError as e:
		refuse_filter(e, FILTER_LABELS)


def read_calls(checked: RangeFilters, agents, first, after) -> list[CallTally]:
	"""The calls with an agent that started in [first, after), summed per agent, direction and answered."""
	if agents is not None and not agents:
		return []
	log = frappe.qb.DocType("CC Call Log")
	answered = log.status == "answered"
	query = (
		frappe.qb.from_(log)
		.select(
			log.agent,
			log.direction,
			answered.as_("answered"),
			Count("*").as_("calls"),
			Sum(log.talk_s).as_("talk"),
		)
		.where(log.start >= first)
		.where(log.start < after)
		.where(log.agent.isnotnull())
		.groupby(log.agent, log.direction, answered)
	)
	if agents is not None:
		query = query.where(log.agent.isin(sorted(agents)))
	if checked.campaign:
		query = query.where(log.campaign == checked.campaign)
	return [
		CallTally(r.agent, r.direction, bool(r.answered), int(r.calls), float(r.talk or 0))
		for r in query.run(as_dict=True)
	]


def pause_modes(days) -> list[str]:
	"""The work modes that take no calls: enabled CC Work Modes, then any other mode seen in the range."""
	enabled = frappe.get_all(
		"CC Work Mode", filters={"receives_calls": 0, "enabled": 1}, pluck="name", order_by="name"
	)
	seen = {m for d in days.values() for m in d.pause_modes}
	return enabled + sorted(seen - set(enabled))


def columns(modes: list[str]) -> list[dict]:
	def duration(fieldname, label, width=110, description=None):
		col = {"fieldname": fieldname, "label": label, "fieldtype": "Duration", "width": width}
		if description:
			col["description"] = description
		return col

	return [
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Link", "options": "User", "width": 200},
		{
			"fieldname": "calls_taken",
			"label": _("Calls Taken"),
			"fieldtype": "Int",
			"width": 100,
			"description": _("Inbound calls the agent answered"),
		},
		{
			"fieldname": "calls_made",
			"label": _("Calls Made"),
			"fieldtype": "Int",
			"width": 95,
			"description": _("Outbound calls, answered or not"),
		},
		duration("talk_time", _("Talk Time")),
		{
			"fieldname": "average_talk",
			"label": _("Average Talk (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 125,
		},
		duration("logged_in", _("Logged In")),
		duration(
			"pause_time", _("Pause Time"), description=_("Logged in, in a work mode that takes no calls")
		),
		*[duration(f"pause:{m}", _("Pause: {0}").format(m)) for m in modes],
		{
			"fieldname": "tickets_handled",
			"label": _("Tickets Handled"),
			"fieldtype": "Int",
			"width": 120,
			"description": _("Tickets created in the range and assigned to the agent"),
		},
		{"fieldname": "tickets_resolved", "label": _("Resolved"), "fieldtype": "Int", "width": 90},
		duration(
			"median_reaction",
			_("Median Reaction"),
			130,
			_("From the ticket's creation to its first counted reaction (elapsed time)"),
		),
		{"fieldname": "reaction_breaches", "label": _("Reaction Breaches"), "fieldtype": "Int", "width": 135},
	]


def chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	return {
		"data": {
			"labels": [r["agent"] for r in data],
			"datasets": [
				{"name": _("Calls Taken"), "values": [r["calls_taken"] for r in data]},
				{"name": _("Calls Made"), "values": [r["calls_made"] for r in data]},
				{"name": _("Tickets Handled"), "values": [r["tickets_handled"] for r in data]},
			],
		},
		"type": "bar",
		"colors": ["#2490ef", "#29cd42", "#ffa00a"],
	}
