"""The Queue QoS report's rules, without Frappe: its filters, CC Call Log rows as calls, and its rows.

The report (``callcenter_app/callcenter_app/report/queue_qos/``) reads the inbound calls that went through
a queue and each queue's parameters, and hands them here. Every number comes from
:mod:`callcenter_app.metrics.qos`: this module only groups the calls, each queue's calls scored with that
queue's parameters.

Periods are in the call center's time zone. CC Call Log stores naive datetimes in the system time zone (as
Frappe does), so the date filters become system-zone bounds with :func:`bounds` and each call's start is
moved into the call center's zone with :func:`to_local` before it is put in its hour, day, week (from
Monday) or month.

For a queue, a call is answered when its status is ``answered`` and the queue connected it (queue result
``connected``, or none recorded); everything else is unanswered: abandoned in the queue, missed, sent to
voicemail, and calls the queue gave up on (timeout, full …) that a forward answered afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.filters import date_field, name_field
from callcenter_app.metrics.qos import InboundCall, QosParams, QosSummary, combine, period_start, qos_by

PERIODS = {"Hour": "hour", "Day": "day", "Week": "week", "Month": "month"}
MAX_DAYS = 366  # longest date range
MAX_HOUR_DAYS = 31  # longest date range grouped by hour (744 rows per queue)
ROW_KEYS = (
	"period",
	"queue",
	"campaign",
	"offered",
	"answered",
	"unanswered",
	"within_reference",
	"average_wait",
	"average_talk",
	"qos",
)


@dataclass(frozen=True)
class Filters:
	from_date: dt.date
	to_date: dt.date
	period: str  # hour, day, week or month
	queue: str = ""
	campaign: str = ""


def check_filters(values: Mapping) -> Filters:
	"""The report's filters, checked: ``from_date``, ``to_date`` (required; dates or ``YYYY-MM-DD``),
	``group_by`` (Hour, Day, Week or Month; Day when empty), ``queue`` and ``campaign`` (optional).

	Raises :class:`FieldError` naming the filter and the reason.
	"""
	start = date_field("from_date", values.get("from_date"))
	end = date_field("to_date", values.get("to_date"))
	if end < start:
		raise FieldError(
			"to_date", f"must not be before the from date ({start.isoformat()}), not {end.isoformat()}"
		)
	days = (end - start).days + 1
	if days > MAX_DAYS:
		raise FieldError("to_date", f"the range may cover at most {MAX_DAYS} days, not {days}")
	group_by = values.get("group_by") or "Day"
	period = PERIODS.get(group_by) if isinstance(group_by, str) else None
	if period is None:
		raise FieldError("group_by", f"must be one of {', '.join(PERIODS)}, not {group_by!r}")
	if period == "hour" and days > MAX_HOUR_DAYS:
		raise FieldError(
			"group_by", f"Hour covers at most {MAX_HOUR_DAYS} days; choose Day, Week or Month for {days} days"
		)
	return Filters(
		start,
		end,
		period,
		queue=name_field("queue", values.get("queue")),
		campaign=name_field("campaign", values.get("campaign")),
	)


def bounds(filters: Filters, system_tz: str, local_tz: str) -> tuple[dt.datetime, dt.datetime]:
	"""From the start of ``from_date`` to the start of the day after ``to_date`` in the call center's zone,
	as naive datetimes in the system zone (how CC Call Log stores them): start >= first, start < second."""
	local = ZoneInfo(local_tz)
	system = ZoneInfo(system_tz)
	first = dt.datetime.combine(filters.from_date, dt.time(), local).astimezone(system)
	after = dt.datetime.combine(filters.to_date + dt.timedelta(days=1), dt.time(), local).astimezone(system)
	return first.replace(tzinfo=None), after.replace(tzinfo=None)


def to_local(moment: dt.datetime, system_tz: str, local_tz: str) -> dt.datetime:
	"""A naive system-zone datetime as a naive datetime in the call center's zone."""
	if system_tz == local_tz:
		return moment
	return moment.replace(tzinfo=ZoneInfo(system_tz)).astimezone(ZoneInfo(local_tz)).replace(tzinfo=None)


def call_from_log(row: Mapping, started_at: dt.datetime) -> InboundCall:
	"""One CC Call Log row (status, queue_result, wait_s, talk_s, queue, campaign) as QoS sees it."""
	answered = row.get("status") == "answered" and (row.get("queue_result") or "connected") == "connected"
	return InboundCall(
		answered=answered,
		wait_s=max(0, int(row.get("wait_s") or 0)),
		queue=row.get("queue") or "",
		campaign=row.get("campaign") or "",
		started_at=started_at,
		talk_s=max(0, int(row.get("talk_s") or 0)) if answered else None,
	)


@dataclass(frozen=True)
class QueueQos:
	"""The report: one summary per (period start, queue, campaign), per period, and over everything."""

	groups: dict[tuple[dt.datetime, str, str], QosSummary]
	by_period: dict[dt.datetime, QosSummary]
	total: QosSummary


def queue_qos(calls: Iterable[InboundCall], period: str, params_for: Callable[[str], QosParams]) -> QueueQos:
	"""Group ``calls`` by period, queue and campaign; each queue's calls are scored with
	``params_for(queue)``. Every call needs ``started_at`` (in the zone its periods are counted in)."""
	if period not in PERIODS.values():
		raise ValueError(f"period must be one of {', '.join(PERIODS.values())}, got {period!r}")
	by_queue: dict[str, list[InboundCall]] = {}
	for call in calls:
		if call.started_at is None:
			raise ValueError("started_at is required to group calls by period")
		by_queue.setdefault(call.queue, []).append(call)
	groups: dict[tuple[dt.datetime, str, str], QosSummary] = {}
	for queue, queue_calls in by_queue.items():
		groups.update(
			qos_by(
				queue_calls,
				params_for(queue),
				key=lambda c: (period_start(c.started_at, period), c.queue, c.campaign),
			)
		)
	groups = dict(sorted(groups.items()))
	periods: dict[dt.datetime, list[QosSummary]] = {}
	for (start, _queue, _campaign), summary in groups.items():
		periods.setdefault(start, []).append(summary)
	return QueueQos(
		groups=groups,
		by_period={start: combine(summaries) for start, summaries in periods.items()},
		total=combine(groups.values()),
	)


def period_label(start: dt.datetime, period: str) -> str:
	"""How a period is shown: ``2026-05-04 14:00`` (hour), ``2026-05-04`` (day; week: its Monday),
	``2026-05`` (month). These sort as the periods do."""
	if period == "hour":
		return start.strftime("%Y-%m-%d %H:00")
	if period == "month":
		return start.strftime("%Y-%m")
	return start.strftime("%Y-%m-%d")


def summary_row(summary: QosSummary, period: str = "", queue: str = "", campaign: str = "") -> dict:
	"""One report row (keys :data:`ROW_KEYS`): counts, averages in seconds (1 decimal), QoS % (2 decimals)."""
	wait, talk, qos = summary.average_wait_s, summary.average_talk_s, summary.qos_percent
	return {
		"period": period,
		"queue": queue,
		"campaign": campaign,
		"offered": summary.calls,
		"answered": summary.answered,
		"unanswered": summary.unanswered,
		"within_reference": summary.within_reference,
		"average_wait": None if wait is None else round(wait, 1),
		"average_talk": None if talk is None else round(talk, 1),
		"qos": None if qos is None else round(qos, 2),
	}


def report_rows(result: QueueQos, period: str) -> list[dict]:
	"""The report's rows, by period, then queue, then campaign (the total row is the caller's to add)."""
	return [
		summary_row(summary, period_label(start, period), queue, campaign)
		for (start, queue, campaign), summary in result.groups.items()
	]
