# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Queue QoS: inbound calls that went through a queue, per period, queue and campaign — offered, answered,
unanswered, answered within the reference wait, average wait and talk, and QoS % — with a total row, a
chart of QoS % over time and summary cards.

Every number comes from :mod:`callcenter_app.metrics.qos` through :mod:`callcenter_app.metrics.queue_qos`;
this file reads the calls (one query) and the queues' parameters, and lays the result out.
"""

import frappe
from frappe import _
from frappe.utils import get_system_timezone

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.queue_qos import (
	Filters,
	QueueQos,
	bounds,
	call_from_log,
	check_filters,
	period_label,
	queue_qos,
	report_rows,
	summary_row,
	to_local,
)
from callcenter_app.metrics.service import params_for_queues
from callcenter_app.utils import call_center_timezone

CALL_LOG = "CC Call Log"
CAMPAIGN = "CC Campaign"
FILTER_LABELS = {
	"from_date": "From Date",
	"to_date": "To Date",
	"group_by": "Group By",
	"queue": "Queue",
	"campaign": "Campaign",
}
PERIOD_LABELS = {"hour": "Hour", "day": "Day", "week": "Week (from Monday)", "month": "Month"}


def execute(filters=None):
	frappe.has_permission(CALL_LOG, "read", throw=True)
	checked = checked_filters(filters)
	system_tz, local_tz = get_system_timezone(), call_center_timezone()
	calls = [
		call_from_log(row, to_local(row.start, system_tz, local_tz))
		for row in read_calls(checked, *bounds(checked, system_tz, local_tz))
	]
	params = params_for_queues({c.queue for c in calls})
	result = queue_qos(calls, checked.period, params.__getitem__)
	data = report_rows(result, checked.period)
	if data:
		data.append({**summary_row(result.total, period=_("Total")), "is_total": 1})
	return columns(checked.period), data, None, chart(result, checked.period), report_summary(result)


def checked_filters(filters) -> Filters:
	"""The filters checked by the pure rules; a bad one is refused naming its label and the reason."""
	try:
		return check_filters(frappe._dict(filters or {}))
	except FieldError as e:
		error = e
	frappe.throw(
		_("{0}: {1}").format(_(FILTER_LABELS.get(error.field, error.field)), error.reason),
		frappe.ValidationError,
		title=_("Invalid filters"),
	)


def read_calls(filters: Filters, first, after) -> list[dict]:
	"""The inbound calls with a queue that started in [first, after) (naive, system time zone)."""
	log = frappe.qb.DocType(CALL_LOG)
	query = (
		frappe.qb.from_(log)
		.select(log.start, log.queue, log.campaign, log.status, log.queue_result, log.wait_s, log.talk_s)
		.where(log.direction == "inbound")
		.where(log.start >= first)
		.where(log.start < after)
		.where(log.queue.isnotnull())
		.where(log.queue != "")
	)
	if filters.queue:
		query = query.where(log.queue == filters.queue)
	if filters.campaign:
		query = query.where(log.campaign == filters.campaign)
	return query.run(as_dict=True)


def columns(period: str) -> list[dict]:
	campaign = (
		{"fieldtype": "Link", "options": CAMPAIGN}
		if frappe.db.exists("DocType", CAMPAIGN)
		else {"fieldtype": "Data"}
	)
	return [
		{"fieldname": "period", "label": _(PERIOD_LABELS[period]), "fieldtype": "Data", "width": 125},
		{
			"fieldname": "queue",
			"label": _("Queue"),
			"fieldtype": "Link",
			"options": "CC Call Queue",
			"align": "left",
			"width": 120,
		},
		{"fieldname": "campaign", "label": _("Campaign"), "align": "left", "width": 110, **campaign},
		{"fieldname": "offered", "label": _("Offered"), "fieldtype": "Int", "width": 85},
		{"fieldname": "answered", "label": _("Answered"), "fieldtype": "Int", "width": 100},
		{
			"fieldname": "unanswered",
			"label": _("Unanswered"),
			"fieldtype": "Int",
			"width": 115,
			"description": _("Abandoned, missed, sent to voicemail or left the queue"),
		},
		{
			"fieldname": "within_reference",
			"label": _("Within Reference"),
			"fieldtype": "Int",
			"width": 150,
			"description": _("Answered calls that waited no longer than the queue's reference wait time"),
		},
		{
			"fieldname": "average_wait",
			"label": _("Average Wait (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 145,
			"description": _("Mean wait of the answered calls"),
		},
		{
			"fieldname": "average_talk",
			"label": _("Average Talk (s)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 140,
		},
		{"fieldname": "qos", "label": _("QoS %"), "fieldtype": "Percent", "precision": 2, "width": 85},
	]


def chart(result: QueueQos, period: str) -> dict | None:
	if not result.by_period:
		return None
	return {
		"data": {
			"labels": [period_label(start, period) for start in result.by_period],
			"datasets": [
				{
					"name": _("QoS %"),
					"values": [round(s.qos_percent, 2) for s in result.by_period.values()],
				}
			],
		},
		"type": "line",
		"fieldtype": "Percent",
		"lineOptions": {"dotSize": 4, "regionFill": 1},
		"axisOptions": {"xIsSeries": 1},
		"colors": ["#2490ef"],
	}


def report_summary(result: QueueQos) -> list[dict]:
	total = result.total
	if not total.calls:
		return []
	return [
		{"value": total.calls, "label": _("Offered"), "datatype": "Int"},
		{"value": total.answered, "label": _("Answered"), "datatype": "Int", "indicator": "Green"},
		{"value": total.unanswered, "label": _("Unanswered"), "datatype": "Int", "indicator": "Red"},
		{
			"value": round(total.qos_percent, 2),
			"label": _("QoS %"),
			"datatype": "Percent",
			"indicator": "Blue",
		},
	]
