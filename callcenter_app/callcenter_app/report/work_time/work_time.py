# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Work Time (work-time registration): per agent and day, the time logged in, counted as work, in pause,
and in each work mode, from CC Agent Status Log; periods are cut at midnight in the call center's time zone
(:func:`callcenter_app.metrics.worktime.work_time`). Agents see their own days, supervisors their teams'
members, managers everyone.
"""

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.filters import RangeFilters, check_range
from callcenter_app.metrics.service import agents_for_report, range_bounds, read_status_periods, refuse_filter
from callcenter_app.metrics.worktime import work_time

FILTER_LABELS = {"from_date": "From Date", "to_date": "To Date", "team": "Team", "agent": "Agent"}
MAX_DAYS = 93


def execute(filters=None):
	frappe.has_permission("CC Agent Status Log", "read", throw=True)
	checked = checked_filters(filters)
	agents = agents_for_report(checked)
	first, after, system_tz, local_tz = range_bounds(checked.from_date, checked.to_date)
	periods = read_status_periods(agents, first, after)
	days = work_time(
		periods, checked.from_date, checked.to_date, system_tz, local_tz, frappe.utils.now_datetime()
	)
	modes = work_modes(days)
	data = []
	for (agent, day), d in days.items():
		row = {
			"agent": agent,
			"date": day,
			"logged_in": round(d.logged_in_s),
			"work_time": round(d.work_s),
			"pause_time": round(d.pause_s),
		}
		for m in modes:
			row[f"mode:{m}"] = round(d.modes.get(m, 0.0))
		data.append(row)
	return columns(modes), data, None, chart(data), None


def checked_filters(filters) -> RangeFilters:
	try:
		return check_range(frappe._dict(filters or {}), max_days=MAX_DAYS)
	except FieldError as e:
		refuse_filter(e, FILTER_LABELS)


def work_modes(days) -> list[str]:
	"""Enabled CC Work Modes in name order, then other modes the periods name."""
	enabled = frappe.get_all("CC Work Mode", filters={"enabled": 1}, pluck="name", order_by="name")
	seen = {m for d in days.values() for m in d.modes if m}
	return enabled + sorted(seen - set(enabled))


def columns(modes: list[str]) -> list[dict]:
	def duration(fieldname, label, description=None):
		col = {"fieldname": fieldname, "label": label, "fieldtype": "Duration", "width": 115}
		if description:
			col["description"] = description
		return col

	return [
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Link", "options": "User", "width": 200},
		{"fieldname": "date", "label": _("Date"), "fieldtype": "Date", "width": 105},
		duration("logged_in", _("Logged In")),
		duration("work_time", _("Work Time"), _("Time in work modes that count as work")),
		duration("pause_time", _("Pause Time"), _("Time in work modes that take no calls")),
		*[duration(f"mode:{m}", _(m)) for m in modes],
	]


def chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	totals: dict[str, list[float]] = {}
	for r in data:
		t = totals.setdefault(r["agent"], [0, 0])
		t[0] += r["work_time"]
		t[1] += r["pause_time"]
	return {
		"data": {
			"labels": list(totals),
			"datasets": [
				{"name": _("Work (h)"), "values": [round(t[0] / 3600, 2) for t in totals.values()]},
				{"name": _("Pause (h)"), "values": [round(t[1] / 3600, 2) for t in totals.values()]},
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"colors": ["#29cd42", "#ffa00a"],
	}
