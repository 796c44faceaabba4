"""SLA clocks: business hours, reaction time and cumulative (escalation) time. Pure.

**Business hours** are wall-clock intervals per weekday in the calendar's time zone, minus holidays.
A business second is a real (elapsed) second inside an interval, so a 00:00–24:00 day is 23 or 25 hours
long on a DST change and 09:00–17:00 stays 8 hours. Local times that do not exist (the hour skipped in
spring) are read as the moment the clock jumps; times that happen twice (autumn) as their first occurrence.
Intervals must end after they start on the same day (``"24:00"`` is the end of the day); overnight shifts
are two intervals on two days.

**Reaction time**: the time within which an agent must perform one of the actions counted for the team
(reply, call, note, forward, status change).

**Cumulative time**: the time a ticket spent in the statuses that count (e.g. not "waiting for customer"),
in real or business seconds.

Every instant in and out is a time-zone-aware datetime; results are in UTC; seconds out are whole seconds
(fractions dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter_app.common.errors import FieldError

UTC = timezone.utc
DAY_SECONDS = 86400
SECOND = timedelta(seconds=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_DAYS = 3660  # add_business_seconds gives up after about ten years without enough working time
REACTIONS = ("reply", "call", "note", "forward", "status_change")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

Interval = tuple[int, int]  # seconds since local midnight, end may be 86400


@dataclass(frozen=True)
class BusinessCalendar:
	"""Working hours per weekday (0 = Monday), holidays and a time zone.

	``hours`` is a mapping weekday → [(start, end), ...] (missing weekdays are closed) or a sequence of
	seven such lists; start and end are ``datetime.time`` or ``"HH:MM[:SS]"`` (``"24:00"`` for midnight at
	the end of the day). Holidays are dates (or ``"YYYY-MM-DD"``). It is stored normalised: ``hours`` as
	seven tuples of (start, end) seconds, merged and sorted.
	"""

	hours: tuple[tuple[Interval, ...], ...]
	holidays: frozenset[date] = frozenset()
	timezone: str = "UTC"
	_zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
	_days: dict = field(init=False, repr=False, compare=False, hash=False, default_factory=dict)

	def __post_init__(self):
		object.__setattr__(self, "hours", _normal_hours(self.hours))
		object.__setattr__(self, "holidays", frozenset(_date("holidays", d) for d in self.holidays))
		try:
			zone = ZoneInfo(str(self.timezone or ""))
		except (ZoneInfoNotFoundError, ValueError):
			raise FieldError(
				"timezone", f"{self.timezone!r} is not a known IANA time zone (for example Europe/Vilnius)"
			) from None
		object.__setattr__(self, "_zone", zone)

	def day(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
		"""The working intervals of local date ``d`` as UTC instants (empty on a holiday)."""
		cached = self._days.get(d)
		if cached is None:
			if len(self._days) > 20000:
				self._days.clear()
			cached = ()
			if d not in self.holidays:
				spans = ((self._instant(d, a), self._instant(d, b)) for a, b in self.hours[d.weekday()])
				cached = tuple((a, b) for a, b in spans if b > a)
			self._days[d] = cached
		return cached

	def _instant(self, d: date, seconds: int) -> datetime:
		"""Local wall time ``d`` + ``seconds`` as a UTC instant (see the module docstring for DST)."""
		naive = datetime(d.year, d.month, d.day) + timedelta(seconds=seconds)
		first = naive.replace(tzinfo=self._zone).astimezone(UTC)
		if first.astimezone(self._zone).replace(tzinfo=None) == naive:
			return first
		# the skipped hour: find the jump between the two readings of the wall time (whole seconds)
		other = naive.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
		lo, hi = sorted((other, first))
		before = lo.astimezone(self._zone).utcoffset()
		low, high = 0, int((hi - lo).total_seconds())
		while low < high:
			mid = (low + high) // 2
			if (lo + timedelta(seconds=mid)).astimezone(self._zone).utcoffset() == before:
				low = mid + 1
			else:
				high = mid
		return lo + timedelta(seconds=low)

	def local_date(self, instant: datetime) -> date:
		return instant.astimezone(self._zone).date()

	def add_business_seconds(self, start_utc: datetime, seconds: float) -> datetime:
		return add_business_seconds(self, start_utc, seconds)

	def business_seconds_between(self, a_utc: datetime, b_utc: datetime) -> int:
		return business_seconds_between(self, a_utc, b_utc)


def _normal_hours(hours) -> tuple[tuple[Interval, ...], ...]:
	if isinstance(hours, Mapping):
		days: list = [[] for _ in range(7)]
		for weekday, spans in hours.items():
			if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
				raise FieldError("hours", f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
			days[weekday] = list(spans or ())
	elif isinstance(hours, Sequence) and not isinstance(hours, str) and len(hours) == 7:
		days = [list(spans or ()) for spans in hours]
	else:
		raise FieldError("hours", "must map weekdays 0–6 to lists of (start, end), or list seven such lists")
	out: list[tuple[Interval, ...]] = []
	for weekday, spans in enumerate(days):
		parsed: list[Interval] = []
		for n, span in enumerate(spans, start=1):
			try:
				start, end = span
			except (TypeError, ValueError):
				raise FieldError("hours", f"{WEEKDAYS[weekday]} interval {n}: must be (start, end)") from None
			a = _clock(f"{WEEKDAYS[weekday]} interval {n} start", start)
			b = _clock(f"{WEEKDAYS[weekday]} interval {n} end", end)
			if b <= a:
				raise FieldError(
					"hours",
					f"{WEEKDAYS[weekday]} interval {n}: end {_hhmm(b)} must be after start {_hhmm(a)} "
					"(overnight hours are two intervals: until 24:00, and from 00:00 the next day)",
				)
			parsed.append((a, b))
		parsed.sort()
		merged: list[Interval] = []
		for a, b in parsed:
			if merged and a < merged[-1][1]:
				p = merged[-1]
				raise FieldError(
					"hours",
					f"{WEEKDAYS[weekday]}: {_hhmm(a)}–{_hhmm(b)} overlaps {_hhmm(p[0])}–{_hhmm(p[1])}",
				)
			if merged and a == merged[-1][1]:
				merged[-1] = (merged[-1][0], b)
			else:
				merged.append((a, b))
		out.append(tuple(merged))
	if not any(out):
		raise FieldError("hours", "no working hours on any weekday; deadlines could never fall due")
	return tuple(out)


def _clock(label: str, value) -> int:
	"""Seconds since midnight of a ``time`` or ``"HH:MM[:SS]"``; ``"24:00"`` is 86400."""
	if isinstance(value, time):
		if value.tzinfo is not None:
			raise FieldError("hours", f"{label}: give local times without a time zone")
		return value.hour * 3600 + value.minute * 60 + value.second
	if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= DAY_SECONDS:
		return value  # the normalised form: seconds since midnight
	m = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
	if m:
		h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
		if (h < 24 and mi < 60 and s < 60) or (h, mi, s) == (24, 0, 0):
			return h * 3600 + mi * 60 + s
	raise FieldError("hours", f"{label}: {value!r} is not a time of day (HH:MM, 00:00 to 24:00)")


def _hhmm(seconds: int) -> str:
	h, rest = divmod(seconds, 3600)
	m, s = divmod(rest, 60)
	return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _date(label: str, value) -> date:
	if isinstance(value, datetime):
		raise FieldError(label, f"give dates, not date-times ({value!r})")
	if isinstance(value, date):
		return value
	try:
		return date.fromisoformat(str(value).strip())
	except ValueError:
		raise FieldError(label, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _aware(label: str, value) -> datetime:
	if not isinstance(value, datetime):
		raise FieldError(label, f"must be a date-time, not {value!r}")
	if value.tzinfo is None or value.utcoffset() is None:
		raise FieldError(label, f"{value.isoformat()} has no time zone; give an aware date-time")
	return value


def _seconds(label: str, value) -> float:
	if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
		raise FieldError(label, f"must be a number of seconds, not {value!r}")
	if value < 0:
		raise FieldError(label, f"must not be negative, not {value}")
	return value


# --- business time -----------------------------------------------------------------------------------------


def add_business_seconds(calendar: BusinessCalendar, start_utc: datetime, seconds: float) -> datetime:
	"""The instant (UTC) when ``seconds`` of business time have passed since ``start_utc``.

	Zero seconds is ``start_utc`` itself; a positive amount that ends exactly at closing time gives the
	closing time, not the next opening.
	"""
	cur = _aware("start", start_utc).astimezone(UTC)
	remaining = timedelta(seconds=_seconds("seconds", seconds))
	if not remaining:
		return cur
	d = calendar.local_date(cur) - timedelta(days=1)
	for _ in range(MAX_DAYS):
		for a, b in calendar.day(d):
			if b <= cur:
				continue
			s = a if a > cur else cur
			if remaining <= b - s:
				return s + remaining
			remaining -= b - s
		d += timedelta(days=1)
	raise FieldError(
		"seconds", f"the calendar has too little working time in {MAX_DAYS} days for {seconds} s"
	)


def business_time_between(calendar: BusinessCalendar, a_utc: datetime, b_utc: datetime) -> timedelta:
	"""Business time from ``a_utc`` to ``b_utc`` (zero when ``b_utc`` is not after ``a_utc``)."""
	a = _aware("start", a_utc).astimezone(UTC)
	b = _aware("end", b_utc).astimezone(UTC)
	return _between(calendar, a, b)


def _between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
	total = timedelta(0)
	if b <= a:
		return total
	d = calendar.local_date(a) - timedelta(days=1)
	last = calendar.local_date(b)
	while d <= last:
		for x, y in calendar.day(d):
			lo = x if x > a else a
			hi = y if y < b else b
			if hi > lo:
				total += hi - lo
		d += timedelta(days=1)
	return total


def business_seconds_between(calendar: BusinessCalendar, a_utc: datetime, b_utc: datetime) -> int:
	"""Whole business seconds from ``a_utc`` to ``b_utc`` (0 when ``b_utc`` is not after ``a_utc``)."""
	return business_time_between(calendar, a_utc, b_utc) // SECOND


# --- reaction time --------------------------------------------------------------------------------------------


class ReactionState(NamedTuple):
	breached: bool
	remaining_s: int  # until due: at the first reaction once there is one, else at ``now``; negative = late


def check_reaction_actions(actions: Iterable[str]) -> frozenset[str]:
	"""The actions that count as a reaction, normalised (``"Status Change"`` → ``"status_change"``)."""
	out = set()
	for action in actions:
		normal = _action(action)
		if normal not in REACTIONS:
			raise FieldError("reaction_actions", f"unknown action {action!r}; use {', '.join(REACTIONS)}")
		out.add(normal)
	return frozenset(out)


def _action(action) -> str:
	return re.sub(r"[\s-]+", "_", str(action or "").strip().lower())


def is_reaction(action: str, counted_actions: Iterable[str]) -> bool:
	"""Whether ``action`` (any ticket action; unknown ones are not reactions) counts as the reaction."""
	return _action(action) in check_reaction_actions(counted_actions)


def reaction_due(
	created_at: datetime, allowed_seconds: float, calendar: BusinessCalendar | None = None
) -> datetime:
	"""When the first reaction is due: ``allowed_seconds`` after creation, in business time if a calendar
	is given, else round the clock. UTC."""
	created = _aware("created_at", created_at).astimezone(UTC)
	allowed = _seconds("allowed_seconds", allowed_seconds)
	if calendar is None:
		return created + timedelta(seconds=allowed)
	return add_business_seconds(calendar, created, allowed)


def reaction_state(
	due: datetime,
	first_reaction_at: datetime | None,
	now: datetime,
	calendar: BusinessCalendar | None = None,
) -> ReactionState:
	"""Breached when the first reaction came after ``due``, or there is none and ``now`` is after it.

	``remaining_s`` is measured at the first reaction once there is one (it stops), else at ``now``;
	in business seconds when a calendar is given. Reacting exactly at ``due`` is in time.
	"""
	due = _aware("due", due)
	at = (
		_aware("first_reaction_at", first_reaction_at)
		if first_reaction_at is not None
		else _aware("now", now)
	)
	if calendar is None:
		delta = due - at
	elif at <= due:
		delta = business_time_between(calendar, at, due)
	else:
		delta = -business_time_between(calendar, due, at)
	remaining = delta // SECOND if delta >= timedelta(0) else -(-delta // SECOND)
	return ReactionState(at > due, remaining)


# --- cumulative time ------------------------------------------------------------------------------------------


def cumulative_time(
	history: Iterable[tuple[str, datetime]],
	counted: Iterable[str],
	now: datetime,
	calendar: BusinessCalendar | None = None,
) -> timedelta:
	"""Time spent in ``counted`` statuses up to ``now`` (see :func:`cumulative_seconds`)."""
	now = _aware("now", now)
	rows = list(history)
	for n, row in enumerate(rows, start=1):
		if not isinstance(row, (tuple, list)) or len(row) != 2:
			raise FieldError("history", f"row {n}: must be (status, since), not {row!r}")
		if not isinstance(row[1], datetime) or row[1].tzinfo is None or row[1].utcoffset() is None:
			raise FieldError("history", f"row {n}: {row[1]!r} is not a time-zone-aware date-time")
	rows.sort(key=_since)  # stable: equal times keep their input order, the last of them holds
	counted = counted if isinstance(counted, (set, frozenset)) else frozenset(counted)
	total = timedelta(0)
	last = len(rows) - 1
	for i, (status, since) in enumerate(rows):
		if status not in counted or since >= now:
			continue
		until = rows[i + 1][1] if i < last else now
		if until > now:
			until = now
		if until > since:
			total += until - since if calendar is None else _between(calendar, since, until)
	return total


def cumulative_seconds(
	history: Iterable[tuple[str, datetime]],
	counted: Iterable[str],
	now: datetime,
	calendar: BusinessCalendar | None = None,
) -> int:
	"""Whole seconds a ticket spent in ``counted`` statuses up to ``now``.

	``history`` is [(status, since)], in any order: it is sorted by time, and of entries with equal times
	the one given last holds. Time before the first entry and after ``now`` does not count. With a
	calendar, only business seconds count.
	"""
	return cumulative_time(history, counted, now, calendar) // SECOND


def _since(row: tuple[str, datetime]) -> datetime:
	return row[1]
