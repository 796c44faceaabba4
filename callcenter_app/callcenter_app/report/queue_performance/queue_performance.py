# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Queue Performance: inbound calls through a queue per period and queue — offered, answered, abandoned,
ASA, service level within the queue's reference wait, QoS %, longest wait, AHT — and Erlang C staffing
advice for each row's busiest interval, with a chart and summary cards.

It supersedes Queue QoS (which stays, unchanged, for its campaign split); every number comes from
:mod:`callcenter_app.metrics.queue_performance`. The database sums the calls per 15-minute slot (one
query, :func:`read_slots`); this file converts the slots to the call center's zone and lays out the result.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_system_timezone

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.qos import QosParams
from callcenter_app.metrics.queue_performance import (
	Performance,
	PerformanceFilters,
	Slot,
	check_filters,
	queue_performance,
	report_rows,
	slot_minutes,
	total_row,
)
from callcenter_app.metrics.queue_qos import bounds, period_label, to_local
from callcenter_app.metrics.service import default_params, params_for_queues, refuse_filter
from callcenter_app.utils import call_center_timezone

CALL_LOG = "CC Call Log"
QUEUE = "CC Call Queue"
FILTER_LABELS = {
	"from_date": "From Date",
	"to_date": "To Date",
	"group_by": "Group By",
	"queue": "Queue",
	"team": "Team",
	"campaign": "Campaign",
	"target_sl": "Target Service Level %",
	"target_seconds": "Target Answer (s)",
	"staffing_interval": "Staffing Interval (min)",
}
PERIOD_LABELS = {"hour": "Hour", "day": "Day", "week": "Week (from Monday)", "month": "Month"}


def execute(filters=None):
	frappe.has_permission(CALL_LOG, "read", throw=True)
	checked = checked_filters(filters)
	system_tz, local_tz = get_system_timezone(), call_center_timezone()
	queues = queue_settings()
	params = params_for_queues(queues)
	defaults = default_params()
	wanted = queues_wanted(checked, queues)
	slots = []
	if wanted is None or wanted:
		first, after = bounds(checked.base, system_tz, local_tz)
		minutes = slot_minutes(checked.interval_min, offset_differences(checked, system_tz, local_tz))
		slots = read_slots(checked, first, after, params, defaults, wanted, system_tz, local_tz, minutes)
	result = queue_performance(
		slots,
		checked.base.period,
		lambda q: params.get(q, defaults),
		lambda q: (queues.get(q) or {}).get("wrapup_time") or 0,
		checked.target_sl,
		checked.target_s,
		checked.interval_min,
	)
	data = report_rows(result, checked.base.period)
	if data:
		data.append({**total_row(result, _("Total")), "is_total": 1})
	return (
		columns(checked),
		data,
		advice_message(result, checked),
		chart(result, checked.base.period),
		report_summary(result),
	)


def checked_filters(filters) -> PerformanceFilters:
	try:
		return check_filters(frappe._dict(filters or {}))
	except FieldError as e:
		refuse_filter(e, FILTER_LABELS)


def queue_settings() -> dict[str, dict]:
	"""Every CC Call Queue with its team and wrap-up time."""
	return {
		q.name: q for q in frappe.get_all(QUEUE, fields=["name", "hd_team", "wrapup_time"], order_by="name")
	}


def queues_wanted(checked: PerformanceFilters, queues: dict[str, dict]) -> list[str] | None:
	"""The queues the queue and team filters leave (None: all, including queues known only to Asterisk)."""
	if not checked.team:
		return [checked.base.queue] if checked.base.queue else None
	names = [n for n, q in queues.items() if q.hd_team == checked.team]
	if checked.base.queue:
		names = [n for n in names if n == checked.base.queue]
	return names


def read_slots(
	checked: PerformanceFilters,
	first: dt.datetime,
	after: dt.datetime,
	params: dict[str, QosParams],
	defaults: QosParams,
	queues: list[str] | None,
	system_tz: str,
	local_tz: str,
	minutes: int = 15,
) -> list[Slot]:
	"""The inbound calls with a queue that started in [first, after), summed per slot of ``minutes`` (system
	zone; :func:`~callcenter_app.metrics.queue_performance.slot_minutes`), queue, kind (answered by the queue / abandoned / other) and, for answered calls, wait segment
	(:func:`callcenter_app.metrics.queue_performance.wait_segment`, with each queue's own waits); each
	slot's start in the call center's zone."""
	values: dict = {"first": first, "after": after, "ref_default": defaults.reference_wait_s}
	values["slot_s"] = minutes * 60
	values["limit_default"] = defaults.limit_wait_s
	ref_cases, limit_cases = [], []
	for i, (name, p) in enumerate(sorted(params.items())):
		values[f"q{i}"], values[f"r{i}"], values[f"l{i}"] = name, p.reference_wait_s, p.limit_wait_s
		ref_cases.append(f"when %(q{i})s then %(r{i})s")
		limit_cases.append(f"when %(q{i})s then %(l{i})s")
	ref = f"(case `queue` {' '.join(ref_cases)} else %(ref_default)s end)" if ref_cases else "%(ref_default)s"
	limit = (
		f"(case `queue` {' '.join(limit_cases)} else %(limit_default)s end)"
		if limit_cases
		else "%(limit_default)s"
	)
	answered = "(`status` = 'answered' and ifnull(`queue_result`, '') in ('', 'connected'))"
	wait = "greatest(ifnull(`wait_s`, 0), 0)"
	conditions = [
		"`direction` = 'inbound'",
		"`start` >= %(first)s",
		"`start` < %(after)s",
		"ifnull(`queue`, '') != ''",
	]
	if queues is not None:
		values["queues"] = tuple(queues)
		conditions.append("`queue` in %(queues)s")
	if checked.base.campaign:
		values["campaign"] = checked.base.campaign
		conditions.append("`campaign` = %(campaign)s")
	kind = (
		f"case when {answered} then (case when {wait} <= {ref} then 1 when {wait} < {limit} then 2 else 3 end) "
		"when `status` = 'abandoned' then 4 else 0 end"
	)
	# Small integer group keys, and room for the groups in memory: a month of 15-minute slots of a few
	# queues is tens of thousands of groups, whose temporary table would otherwise go to disk (16 MB).
	frappe.db.sql("set session tmp_table_size = 268435456, max_heap_table_size = 268435456")
	try:
		rows = frappe.db.sql(
			f"""
			select
				to_seconds(`start`) div %(slot_s)s as slot,
				`queue`,
				{kind} as kind,
				count(*) as calls,
				sum({wait}) as wait_sum,
				max({wait}) as wait_max,
				sum(greatest(ifnull(`talk_s`, 0), 0)) as talk_sum
			from `tabCC Call Log`
			where {" and ".join(conditions)}
			group by slot, `queue`, kind
			""",
			values,
		)
	finally:
		frappe.db.sql("set session tmp_table_size = default, max_heap_table_size = default")
	starts: dict[int, dt.datetime] = {}  # a slot holds several queues and kinds: convert each slot once

	def local_start(slot: int) -> dt.datetime:
		start = starts.get(slot)
		if start is None:
			start = starts[slot] = to_local(slot_start(slot, minutes), system_tz, local_tz)
		return start

	return [
		Slot(
			local_start(slot),
			queue,
			kind in (1, 2, 3),
			kind == 4,
			int(calls),
			float(wait_sum or 0),
			float(wait_max or 0),
			float(talk_sum or 0) if kind in (1, 2, 3) else 0.0,
			int(calls) if kind in (1, 2, 3) else 0,
		)
		for slot, queue, kind, calls, wait_sum, wait_max, talk_sum in rows
	]


# TO_SECONDS counts from year 0 of MariaDB's calendar; 2000-01-01 is 63,113,904,000 s after it.
TO_SECONDS_2000 = 63_113_904_000
Y2000 = dt.datetime(2000, 1, 1)


def slot_start(slot: int, minutes: int = 15) -> dt.datetime:
	"""The naive start of the slot ``to_seconds(start) div (minutes × 60)``."""
	return Y2000 + dt.timedelta(seconds=int(slot) * minutes * 60 - TO_SECONDS_2000)


def offset_differences(checked: PerformanceFilters, system_tz: str, local_tz: str) -> set[int]:
	"""The call center's UTC offset minus the system's, in minutes, at each day of the range (and its
	ends): the offsets a slot boundary must respect."""
	system, local = ZoneInfo(system_tz), ZoneInfo(local_tz)
	out = set()
	day = checked.base.from_date - dt.timedelta(days=1)
	while day <= checked.base.to_date + dt.timedelta(days=1):
		for hour in (0, 12):
			moment = dt.datetime.combine(day, dt.time(hour), dt.timezone.utc)
			out.add(
				int(
					(
						moment.astimezone(local).utcoffset() - moment.astimezone(system).utcoffset()
					).total_seconds()
				)
				// 60
			)
		day += dt.timedelta(days=1)
	return out


def columns(checked: PerformanceFilters) -> list[dict]:
	target = _("{0}% in {1} s").format(f"{checked.target_sl * 100:g}", f"{checked.target_s:g}")
	return [
		{
			"fieldname": "period",
			"label": _(PERIOD_LABELS[checked.base.period]),
			"fieldtype": "Data",
			"width": 125,
		},
		{"fieldname": "queue", "label": _("Queue"), "fieldtype": "Link", "options": QUEUE, "width": 120},
		{"fieldname": "offered", "label": _("Offered"), "fieldtype": "Int", "width": 80},
		{"fieldname": "answered", "label": _("Answered"), "fieldtype": "Int", "width": 90},
		{"fieldname": "abandoned", "label": _("Abandoned"), "fieldtype": "Int", "width": 95},
		{
			"fieldname": "unanswered",
			"label": _("Unanswered"),
			"fieldtype": "Int",
			"width": 100,
			"description": _("Abandoned, missed, sent to voicemail or left the queue"),
		},
		{
			"fieldname": "asa",
			"label": _("ASA (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 80,
			"description": _("Average speed of answer: mean wait of the answered calls"),
		},
		{"fieldname": "longest_wait", "label": _("Longest Wait (s)"), "fieldtype": "Int", "width": 120},
		{
			"fieldname": "service_level",
			"label": _("Service Level %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 120,
			"description": _("Answered within the queue's reference wait time, of the offered calls"),
		},
		{"fieldname": "qos", "label": _("QoS %"), "fieldtype": "Percent", "precision": 2, "width": 80},
		{
			"fieldname": "aht",
			"label": _("AHT (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 80,
			"description": _("Mean talk of the answered calls plus the queue's wrap-up time"),
		},
		{
			"fieldname": "peak_interval",
			"label": _("Busiest Interval"),
			"fieldtype": "Data",
			"width": 140,
		},
		{
			"fieldname": "agents_needed",
			"label": _("Agents Needed ({0})").format(target),
			"fieldtype": "Int",
			"width": 160,
			"description": _("Erlang C: agents for the busiest interval to reach the target service level"),
		},
		{
			"fieldname": "expected_service_level",
			"label": _("Expected SL %"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 110,
		},
		{
			"fieldname": "expected_asa",
			"label": _("Expected ASA (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 120,
		},
		{
			"fieldname": "occupancy",
			"label": _("Occupancy %"),
			"fieldtype": "Percent",
			"precision": 1,
			"width": 100,
		},
	]


def chart(result: Performance, period: str) -> dict | None:
	if not result.rows:
		return None
	periods: dict = {}
	for row in result.rows:
		p = periods.setdefault(row.period_start, [0, 0, 0, 0])
		p[0] += row.summary.calls
		p[1] += row.summary.answered
		p[2] += row.abandoned
		p[3] += row.advice.staffing.agents if row.advice else 0
	labels = [period_label(start, period) for start in periods]
	values = list(periods.values())
	return {
		"data": {
			"labels": labels,
			"datasets": [
				{"name": _("Offered"), "chartType": "bar", "values": [v[0] for v in values]},
				{"name": _("Answered"), "chartType": "bar", "values": [v[1] for v in values]},
				{"name": _("Abandoned"), "chartType": "bar", "values": [v[2] for v in values]},
				{
					"name": _("Agents needed (sum of queue peaks)"),
					"chartType": "line",
					"values": [v[3] for v in values],
				},
			],
		},
		"type": "axis-mixed",
		"axisOptions": {"xIsSeries": 1},
		"barOptions": {"spaceRatio": 0.4},
		"colors": ["#2490ef", "#29cd42", "#ff5858", "#ffa00a"],
	}


def report_summary(result: Performance) -> list[dict]:
	total = result.total
	if not total.calls:
		return []
	sl = 100.0 * total.within_reference / total.calls
	return [
		{"value": total.calls, "label": _("Offered"), "datatype": "Int"},
		{"value": total.answered, "label": _("Answered"), "datatype": "Int", "indicator": "Green"},
		{"value": result.total_abandoned, "label": _("Abandoned"), "datatype": "Int", "indicator": "Red"},
		{
			"value": round(total.average_wait_s or 0, 1),
			"label": _("ASA (s)"),
			"datatype": "Float",
			"indicator": "Blue",
		},
		{"value": round(sl, 2), "label": _("Service Level %"), "datatype": "Percent", "indicator": "Blue"},
		{
			"value": round(total.qos_percent, 2),
			"label": _("QoS %"),
			"datatype": "Percent",
			"indicator": "Blue",
		},
	]


def advice_message(result: Performance, checked: PerformanceFilters) -> str | None:
	"""The staffing advice in words: each queue's busiest interval of the whole range."""
	best: dict[str, object] = {}
	for row in result.rows:
		if row.advice and (
			row.queue not in best or row.advice.staffing.agents > best[row.queue].staffing.agents
		):
			best[row.queue] = row.advice
	if not best:
		return None
	items = "".join(
		"<li>{}</li>".format(
			_("{0}: {1} agents at {2} ({3} calls, AHT {4} s) — expected {5}% in {6} s, ASA {7} s").format(
				frappe.utils.escape_html(queue),
				a.staffing.agents,
				a.interval_start.strftime("%Y-%m-%d %H:%M"),
				a.offered,
				f"{a.aht_s:.0f}",
				f"{a.staffing.service_level * 100:.1f}",
				f"{checked.target_s:g}",
				f"{a.staffing.asa_s:.1f}",
			)
		)
		for queue, a in sorted(best.items())
	)
	return "<p>{}</p><ul>{}</ul>".format(
		_(
			"Staffing advice (Erlang C, {0}-minute intervals, target {1}% in {2} s): the busiest interval"
		).format(checked.interval_min, f"{checked.target_sl * 100:g}", f"{checked.target_s:g}"),
		items,
	)
