"""The Call Center workspace's charts, without Frappe: calls per hour of one day, answered and abandoned
calls per day. Rows are CC Call Log values (``start`` already in the call center's zone, naive);
"answered" is the Queue QoS report's (:func:`~callcenter_app.metrics.queue_qos.call_from_log`), "abandoned"
the caller hung up waiting (status ``abandoned``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from callcenter_app.metrics.queue_qos import call_from_log


def calls_per_hour(rows: Iterable[Mapping], day: dt.date) -> dict:
	"""Inbound and outbound calls started in each hour of ``day`` (0–23), as a Frappe chart's data (calls
	between colleagues are neither)."""
	inbound, outbound = [0] * 24, [0] * 24
	series = {"inbound": inbound, "outbound": outbound}
	for row in rows:
		start = row.get("start")
		if not isinstance(start, dt.datetime) or start.date() != day or row.get("direction") not in series:
			continue
		series[row["direction"]][start.hour] += 1
	return {
		"labels": [f"{h:02d}:00" for h in range(24)],
		"datasets": [{"name": "Inbound", "values": inbound}, {"name": "Outbound", "values": outbound}],
	}


def answered_abandoned_per_day(rows: Iterable[Mapping], first: dt.date, last: dt.date) -> dict:
	"""Inbound queue calls answered and abandoned on each day from ``first`` to ``last``."""
	if last < first:
		raise ValueError(f"last ({last}) is before first ({first})")
	days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
	index = {d: i for i, d in enumerate(days)}
	answered, abandoned = [0] * len(days), [0] * len(days)
	for row in rows:
		start = row.get("start")
		if row.get("direction") != "inbound" or not row.get("queue") or not isinstance(start, dt.datetime):
			continue
		i = index.get(start.date())
		if i is None:
			continue
		if call_from_log(row, start).answered:
			answered[i] += 1
		elif row.get("status") == "abandoned":
			abandoned[i] += 1
	return {
		"labels": [d.isoformat() for d in days],
		"datasets": [{"name": "Answered", "values": answered}, {"name": "Abandoned", "values": abandoned}],
	}
