"""The Queue Performance report's rules (pure): calls counted in 15-minute slots, rows per period and
queue, and Erlang C staffing advice for the busiest interval of each row.

The report reads CC Call Log already summed by the database, one :class:`Slot` per 15-minute slot, queue
and kind of call (answered by the queue, abandoned, otherwise unanswered) — a million calls become a few
thousand slots. Slots are 15 minutes because every time zone's offset is a multiple of 15 minutes, so a
slot of the system zone is a whole slot of the call center's zone.

QoS % needs each call's score (:func:`callcenter_app.metrics.qos.call_score`), which is a straight line in
the wait on each of three stretches: up to the reference wait, from there to the limit, and beyond. The
database therefore also keeps answered calls apart by :func:`wait_segment`; the scores of a slot's calls in
one stretch add up to ``calls × call_score(mean wait)`` exactly, so the QoS % here equals the per-call
QoS % of :mod:`~callcenter_app.metrics.queue_qos` (a property test checks it).

Columns (per period and queue):

- offered, answered (by the queue: status answered and queue result connected), abandoned (status
  abandoned; missed, voicemail and calls the queue gave up on are the rest of the unanswered);
- ASA: mean wait of the answered calls; longest wait: of any call, answered or not;
- service level %: answered within the queue's reference wait ÷ offered × 100;
- QoS % as in :mod:`~callcenter_app.metrics.qos`; AHT: mean talk of the answered calls plus the queue's
  wrap-up time;
- staffing: for every staffing interval (15, 30 or 60 minutes) of the row with calls, the agents Erlang C
  asks for (:func:`callcenter_app.metrics.erlang.agents_needed`) with that interval's offered calls and AHT
  (its own answered calls' talk, else the row's) for the target service level; the row shows the busiest
  interval: its start, the agents, and the expected service level, ASA and occupancy with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.erlang import Staffing, agents_needed
from callcenter_app.metrics.qos import QosParams, QosSummary, call_score, combine, period_start
from callcenter_app.metrics.queue_qos import Filters, period_label
from callcenter_app.metrics.queue_qos import check_filters as check_qos_filters

SLOT_MINUTES = 15
INTERVALS = (15, 30, 60)
ROW_KEYS = (
	"period",
	"queue",
	"offered",
	"answered",
	"abandoned",
	"unanswered",
	"asa",
	"longest_wait",
	"service_level",
	"qos",
	"aht",
	"peak_interval",
	"agents_needed",
	"expected_service_level",
	"expected_asa",
	"occupancy",
)


@dataclass(frozen=True)
class PerformanceFilters:
	base: Filters
	team: str = ""
	target_sl: float = 0.8  # share, 0..1
	target_s: float = 20.0
	interval_min: int = 30


def check_filters(values: Mapping) -> PerformanceFilters:
	"""The Queue QoS filters (dates, group_by, queue, campaign) and ``team``, ``target_sl`` (percent, more
	than 0 and less than 100; 80 when empty), ``target_seconds`` (20 when empty) and
	``staffing_interval`` (15, 30 or 60 minutes; 30 when empty). Raises :class:`FieldError`."""
	base = check_qos_filters(values)
	team = values.get("team") or ""
	if not isinstance(team, str):
		raise FieldError("team", f"must be a name, not {team!r}")
	sl = _number("target_sl", values.get("target_sl"), 80.0)
	if not 0 < sl < 100:
		raise FieldError("target_sl", f"must be more than 0 and less than 100 (percent), not {sl:g}")
	seconds = _number("target_seconds", values.get("target_seconds"), 20.0)
	if seconds < 0 or seconds > 3600:
		raise FieldError("target_seconds", f"must be from 0 to 3600 seconds, not {seconds:g}")
	interval = values.get("staffing_interval") or 30
	try:
		interval = int(interval)
	except (TypeError, ValueError):
		interval = None
	if interval not in INTERVALS:
		raise FieldError(
			"staffing_interval",
			f"must be one of {', '.join(map(str, INTERVALS))} minutes, not {values.get('staffing_interval')!r}",
		)
	return PerformanceFilters(base, team.strip(), sl / 100, seconds, interval)


def _number(field_name: str, value, default: float) -> float:
	if value is None or value == "":
		return default
	if isinstance(value, bool):
		raise FieldError(field_name, f"must be a number, not {value!r}")
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise FieldError(field_name, f"must be a number, not {value!r}") from None
	if number != number or number in (float("inf"), float("-inf")):
		raise FieldError(field_name, f"must be a finite number, not {value!r}")
	return number


def wait_segment(wait_s: float, params: QosParams) -> int:
	"""0: up to the reference wait, 1: after it and before the limit, 2: at the limit or later. The
	database sorts answered calls the same way (``CASE`` in the report's query)."""
	if wait_s <= params.reference_wait_s:
		return 0
	return 1 if wait_s < params.limit_wait_s else 2


@dataclass(frozen=True)
class Slot:
	"""Calls of one kind in one 15-minute slot of one queue; ``start`` naive in the call center's zone.

	Answered slots must hold calls of one :func:`wait_segment` only."""

	start: dt.datetime
	queue: str
	answered: bool
	abandoned: bool
	calls: int
	wait_sum: float
	wait_max: float
	talk_sum: float = 0.0
	talk_count: int = 0


@dataclass
class _Row:
	calls: int = 0
	answered: int = 0
	abandoned: int = 0
	score_sum: float = 0.0
	within: int = 0
	wait_sum: float = 0.0
	wait_max: float | None = None
	talk_sum: float = 0.0
	talk_count: int = 0
	# per staffing interval start: [offered, talk_sum, talk_count]
	intervals: dict[dt.datetime, list] = field(default_factory=dict)

	def add(self, slot: Slot, params: QosParams, interval_start: dt.datetime) -> None:
		self.calls += slot.calls
		self.wait_max = slot.wait_max if self.wait_max is None else max(self.wait_max, slot.wait_max)
		bucket = self.intervals.setdefault(interval_start, [0, 0.0, 0])
		bucket[0] += slot.calls
		if slot.abandoned:
			self.abandoned += slot.calls
		if not slot.answered or not slot.calls:
			return
		mean = slot.wait_sum / slot.calls
		self.answered += slot.calls
		self.score_sum += slot.calls * call_score(True, mean, params)
		self.within += slot.calls if mean <= params.reference_wait_s else 0
		self.wait_sum += slot.wait_sum
		self.talk_sum += slot.talk_sum
		self.talk_count += slot.talk_count
		bucket[1] += slot.talk_sum
		bucket[2] += slot.talk_count

	def summary(self) -> QosSummary:
		return QosSummary(
			self.calls,
			self.answered,
			self.score_sum,
			self.within,
			self.wait_sum,
			self.talk_sum,
			self.talk_count,
		)


@dataclass(frozen=True)
class Advice:
	"""The busiest staffing interval of a row and what Erlang C advises for it."""

	interval_start: dt.datetime
	offered: int
	aht_s: float
	staffing: Staffing


@dataclass(frozen=True)
class PerformanceRow:
	period_start: dt.datetime
	queue: str
	summary: QosSummary
	abandoned: int
	longest_wait_s: float | None
	aht_s: float | None
	advice: Advice | None


@dataclass(frozen=True)
class Performance:
	rows: list[PerformanceRow]
	total: QosSummary
	total_abandoned: int
	total_longest_wait_s: float | None


def slot_minutes(interval_min: int, offset_differences_min: Iterable[int]) -> int:
	"""The longest slot the database may sum calls in: the staffing interval when every difference between
	the call center's and the system's UTC offsets in the range (minutes) is a multiple of it — then its
	slots are whole slots of the call center's clock too — else :data:`SLOT_MINUTES`."""
	if all(d % interval_min == 0 for d in offset_differences_min):
		return interval_min
	return SLOT_MINUTES


def interval_start(moment: dt.datetime, minutes: int) -> dt.datetime:
	return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)


def queue_performance(
	slots: Iterable[Slot],
	period: str,
	params_for: Callable[[str], QosParams],
	wrapup_for: Callable[[str], float] = lambda queue: 0.0,
	target_sl: float = 0.8,
	target_s: float = 20.0,
	interval_min: int = 30,
) -> Performance:
	"""Rows per (period start, queue), sorted; each with its staffing advice."""
	if interval_min not in INTERVALS:
		raise FieldError("staffing_interval", f"must be one of {INTERVALS}, not {interval_min!r}")
	rows: dict[tuple[dt.datetime, str], _Row] = {}
	for slot in slots:
		key = (period_start(slot.start, period), slot.queue)
		row = rows.get(key)
		if row is None:
			row = rows[key] = _Row()
		row.add(slot, params_for(slot.queue), interval_start(slot.start, interval_min))
	out = []
	for (start, queue), row in sorted(rows.items()):
		summary = row.summary()
		wrapup = float(wrapup_for(queue) or 0)
		talk = summary.average_talk_s
		aht = None if talk is None else talk + wrapup
		out.append(
			PerformanceRow(
				start,
				queue,
				summary,
				row.abandoned,
				row.wait_max,
				aht,
				_advice(row, aht, wrapup, interval_min, target_sl, target_s),
			)
		)
	total = combine(r.summary for r in out)
	waits = [r.longest_wait_s for r in out if r.longest_wait_s is not None]
	return Performance(out, total, sum(r.abandoned for r in out), max(waits) if waits else None)


def _advice(
	row: _Row, row_aht: float | None, wrapup: float, minutes: int, target_sl: float, target_s: float
) -> Advice | None:
	best: Advice | None = None
	for start, (offered, talk_sum, talk_count) in sorted(row.intervals.items()):
		aht = talk_sum / talk_count + wrapup if talk_count else row_aht
		if not offered or not aht:
			continue
		staffing = agents_needed(offered, aht, minutes * 60, target_sl, target_s)
		if best is None or staffing.agents > best.staffing.agents:
			best = Advice(start, offered, aht, staffing)
	return best


def _round(value: float | None, digits: int) -> float | None:
	return None if value is None else round(value, digits)


def row_values(
	summary: QosSummary,
	abandoned: int,
	longest_wait: float | None,
	aht: float | None = None,
	advice: Advice | None = None,
	period: str = "",
	queue: str = "",
	interval_label: str = "",
) -> dict:
	"""One report row (keys :data:`ROW_KEYS`)."""
	sl = 100.0 * summary.within_reference / summary.calls if summary.calls else None
	staffing = advice.staffing if advice else None
	return {
		"period": period,
		"queue": queue,
		"offered": summary.calls,
		"answered": summary.answered,
		"abandoned": abandoned,
		"unanswered": summary.unanswered,
		"asa": _round(summary.average_wait_s, 1),
		"longest_wait": longest_wait,
		"service_level": _round(sl, 2),
		"qos": _round(summary.qos_percent, 2),
		"aht": _round(aht, 1),
		"peak_interval": interval_label,
		"agents_needed": staffing.agents if staffing else None,
		"expected_service_level": _round(staffing.service_level * 100, 2) if staffing else None,
		"expected_asa": _round(staffing.asa_s, 1) if staffing else None,
		"occupancy": _round(staffing.occupancy * 100, 1) if staffing else None,
	}


def report_rows(result: Performance, period: str) -> list[dict]:
	"""The rows, by period then queue (the total row is the caller's to add, with :func:`total_row`)."""
	return [
		row_values(
			r.summary,
			r.abandoned,
			r.longest_wait_s,
			r.aht_s,
			r.advice,
			period_label(r.period_start, period),
			r.queue,
			r.advice.interval_start.strftime("%Y-%m-%d %H:%M") if r.advice else "",
		)
		for r in result.rows
	]


def total_row(result: Performance, label: str = "Total") -> dict:
	return {**row_values(result.total, result.total_abandoned, result.total_longest_wait_s, period=label)}


def slots_from_calls(
	calls: Iterable[tuple[dt.datetime, str, bool, bool, float, float]], params_for: Callable[[str], QosParams]
) -> list[Slot]:
	"""Per-call tuples (local start, queue, answered, abandoned, wait, talk) summed into slots the way the
	report's query sums them (for tests and for small inputs)."""
	acc: dict[tuple, list] = {}
	for start, queue, answered, abandoned, wait, talk in calls:
		seg = wait_segment(wait, params_for(queue)) if answered else 0
		key = (interval_start(start, SLOT_MINUTES), queue, answered, abandoned, seg)
		a = acc.setdefault(key, [0, 0.0, None, 0.0, 0])
		a[0] += 1
		a[1] += wait
		a[2] = wait if a[2] is None else max(a[2], wait)
		if answered:
			a[3] += talk
			a[4] += 1
	return [Slot(k[0], k[1], k[2], k[3], *v) for k, v in sorted(acc.items(), key=lambda kv: kv[0])]
