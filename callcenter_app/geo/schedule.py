"""Whether a field agent can take one more appointment, and at what cost in travel.

The model (all datetimes naive, in the site's time zone):

- An agent works in shifts (working hours; a day may have several). Each shift starts and ends at the
  agent's home base: the agent leaves home at the shift's start and is back home by its end.
- Within a shift the agent goes home → visit → visit → … → home. Between two visits the agent needs
  ``previous end + travel + buffer ≤ next start``; from home, ``shift start + travel ≤ first start``; back home,
  ``last end + travel ≤ shift end`` (the buffer is kept between appointments only).
- A visit without a location (not geocoded, or held on the phone) happens where the agent already is: no
  travel to it, and the agent leaves it from that same place. The buffer is still kept around it.
- A visit belongs to the shift it overlaps; a new visit must lie wholly inside one shift.

``check`` answers for one new visit: None when it fits, else a ``Refusal`` naming what it collides with and
the minutes missing. It judges only the legs the new visit changes, so a day that is already infeasible
(booked by hand) does not block every other booking. A new visit with the id of a booked one replaces it
(rescheduling). ``added_travel`` is the extra travel the new visit costs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import Point
from callcenter_app.geo.travel import TravelProfile, travel_minutes

EPS_MINUTES = 1e-6  # rounding room: a leg short by less than this fits


def _naive(field: str, value) -> datetime:
	if not isinstance(value, datetime):
		raise FieldError(field, f"must be a datetime, not {value!r}")
	if value.tzinfo is not None:
		raise FieldError(field, "must be a naive datetime in the site's time zone, not an aware one")
	return value


@dataclass(frozen=True)
class Visit:
	"""An appointment: ``minutes`` long from ``start``, at ``location`` (None: no travel needed)."""

	id: str
	start: datetime
	minutes: int
	location: Point | None

	def __post_init__(self):
		if not isinstance(self.id, str) or not self.id.strip():
			raise FieldError("id", f"must be a non-empty text, not {self.id!r}")
		_naive("start", self.start)
		m = self.minutes
		if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 24 * 60:
			raise FieldError("minutes", f"must be a whole number of minutes from 1 to 1440, not {m!r}")
		if self.location is not None and not isinstance(self.location, Point):
			raise FieldError("location", f"must be a Point or None, not {self.location!r}")
		object.__setattr__(self, "_end", self.start + timedelta(minutes=m))

	@property
	def end(self) -> datetime:
		return self._end


@dataclass(frozen=True)
class Shift:
	"""Working hours: from ``start`` to ``end`` (same or next day)."""

	start: datetime
	end: datetime

	def __post_init__(self):
		_naive("start", self.start)
		_naive("end", self.end)
		if self.end <= self.start:
			raise FieldError("end", f"must be after the start {self.start:%Y-%m-%d %H:%M}, not {self.end}")


@dataclass(frozen=True)
class AgentDay:
	"""One agent's working day: home base, how they travel, shifts and the visits already booked."""

	agent: str
	home: Point
	profile: TravelProfile
	shifts: tuple[Shift, ...]
	visits: tuple[Visit, ...]

	def __post_init__(self):
		if not isinstance(self.agent, str) or not self.agent.strip():
			raise FieldError("agent", f"must be a non-empty text, not {self.agent!r}")
		if not isinstance(self.home, Point):
			raise FieldError("home", f"must be a Point, not {self.home!r}")
		if not isinstance(self.profile, TravelProfile):
			raise FieldError("profile", f"must be a TravelProfile, not {self.profile!r}")
		shifts = tuple(sorted(self.shifts, key=lambda s: s.start))
		for s in shifts:
			if not isinstance(s, Shift):
				raise FieldError("shifts", f"must hold Shifts, not {s!r}")
		for a, b in pairwise(shifts):
			if b.start < a.end:
				raise FieldError(
					"shifts", f"overlap: {a.start:%H:%M}–{a.end:%H:%M} and {b.start:%H:%M}–{b.end:%H:%M}"
				)
		visits = tuple(sorted(self.visits, key=lambda v: (v.start, v.id)))
		seen = set()
		for v in visits:
			if not isinstance(v, Visit):
				raise FieldError("visits", f"must hold Visits, not {v!r}")
			if v.id in seen:
				raise FieldError("visits", f"{v.id} is booked twice")
			seen.add(v.id)
		object.__setattr__(self, "shifts", shifts)
		object.__setattr__(self, "visits", visits)

	def with_visit(self, visit: Visit) -> AgentDay:
		"""The same day with ``visit`` booked (replacing a visit with the same id)."""
		return AgentDay(
			self.agent, self.home, self.profile, self.shifts, (*_without(self.visits, visit.id), visit)
		)


@dataclass(frozen=True)
class Refusal:
	"""Why a visit does not fit: ``conflicting`` is the visit id it collides with, or None when the working
	hours (or the way from/to home base) are the problem; ``minutes_missing`` how many minutes are short."""

	message: str
	conflicting: str | None
	minutes_missing: int

	def __str__(self) -> str:
		return self.message


# -- the legs of a shift ------------------------------------------------------------------------------------

HOME_START = "home base (start)"
HOME_END = "home base (end)"


def _without(visits: Sequence[Visit], visit_id: str) -> tuple[Visit, ...]:
	return tuple(v for v in visits if v.id != visit_id)


def shift_of(day: AgentDay, visit: Visit) -> Shift | None:
	"""The shift that holds the whole visit, or None."""
	for s in day.shifts:
		if s.start <= visit.start and visit.end <= s.end:
			return s
	return None


def _in_shift(visits: Iterable[Visit], shift: Shift) -> list[Visit]:
	start, end = shift.start, shift.end
	return [v for v in visits if v.start < end and v._end > start]


@dataclass
class _Leg:
	key: tuple[str, str]
	frm: Visit | None  # None: home at the shift's start
	to: Visit | None  # None: home at the shift's end
	travel: float
	slack: float  # minutes to spare (negative: missing)


def _legs(day: AgentDay, shift: Shift, seq: Sequence[Visit], travel) -> list[_Leg]:
	"""Every leg of the shift home → seq… → home, with its travel and slack."""
	legs = []
	pos = day.home
	prev: Visit | None = None
	prev_end = shift.start
	buffer = day.profile.buffer_minutes
	for v in seq:
		loc = v.location if v.location is not None else pos
		t = travel(pos, loc, day.profile) if loc is not pos else 0.0
		gap = (v.start - prev_end).total_seconds() / 60.0
		slack = gap - t - (buffer if prev is not None else 0)
		legs.append(_Leg((prev.id if prev else HOME_START, v.id), prev, v, t, slack))
		pos, prev, prev_end = loc, v, v.end
	t = travel(pos, day.home, day.profile) if pos is not day.home else 0.0
	slack = (shift.end - prev_end).total_seconds() / 60.0 - t
	legs.append(_Leg((prev.id if prev else HOME_START, HOME_END), prev, None, t, slack))
	return legs


def _missing(slack: float) -> int:
	return max(1, math.ceil(-slack - EPS_MINUTES))


def _hm(t: datetime) -> str:
	return f"{t:%H:%M}"


def _overlaps(a: Visit, b: Visit) -> bool:
	return a.start < b.end and b.start < a.end


def _message(leg: _Leg, new: Visit, shift: Shift) -> tuple[str, str | None]:
	missing = _missing(leg.slack)
	tail = f"{missing} minute{'s' if missing != 1 else ''} missing"
	if leg.to is new:
		if leg.frm is None:
			return (
				f"cannot reach this appointment from home base after the shift starts at {_hm(shift.start)}: {tail}",
				None,
			)
		other = leg.frm
		if _overlaps(other, new):
			return f"overlaps {other.id} ({_hm(other.start)}–{_hm(other.end)}): {tail}", other.id
		return (
			f"cannot get from {other.id} (ends {_hm(other.end)}) to this appointment in time: {tail}",
			other.id,
		)
	if leg.frm is new:
		if leg.to is None:
			return f"cannot be back at home base by the end of the shift at {_hm(shift.end)}: {tail}", None
		other = leg.to
		if _overlaps(other, new):
			return f"overlaps {other.id} ({_hm(other.start)}–{_hm(other.end)}): {tail}", other.id
		return f"cannot reach {other.id} ({_hm(other.start)}) in time: {tail}", other.id
	# a leg further on whose starting place the new visit moved (visits without a location in between)
	if leg.to is None:
		return f"the agent could no longer be back at home base by {_hm(shift.end)}: {tail}", None
	return f"cannot reach {leg.to.id} ({_hm(leg.to.start)}) in time after this appointment: {tail}", leg.to.id


def _outside_hours(day: AgentDay, new: Visit) -> Refusal:
	if not day.shifts:
		return Refusal(f"{day.agent} has no working hours on {new.start:%Y-%m-%d}", None, new.minutes)

	def outside(s: Shift) -> float:
		before = max(0.0, (s.start - new.start).total_seconds() / 60.0)
		after = max(0.0, (new.end - s.end).total_seconds() / 60.0)
		return before + after

	best = min(day.shifts, key=outside)
	missing = max(1, math.ceil(min(new.minutes, outside(best)) - EPS_MINUTES))
	hours = ", ".join(f"{_hm(s.start)}–{_hm(s.end)}" for s in day.shifts)
	return Refusal(
		f"{_hm(new.start)}–{_hm(new.end)} is outside {day.agent}'s working hours ({hours}): "
		f"{missing} minute{'s' if missing != 1 else ''} outside",
		None,
		missing,
	)


def check(day: AgentDay, new: Visit, travel=travel_minutes) -> Refusal | None:
	"""None if ``new`` fits into the agent's day, else the first leg it breaks (the way to it, then the way on,
	then a later leg it changes) as a Refusal, e.g. "cannot reach APT-0007 (14:00) in time: 12 minutes missing".
	"""
	shift = shift_of(day, new)
	if shift is None:
		return _outside_hours(day, new)
	old_seq = _in_shift(_without(day.visits, new.id), shift)
	new_seq = sorted([*old_seq, new], key=lambda v: (v.start, v.id))
	old_failing = {
		leg.key: leg.slack for leg in _legs(day, shift, old_seq, travel) if leg.slack < -EPS_MINUTES
	}
	broken = [
		leg
		for leg in _legs(day, shift, new_seq, travel)
		if leg.slack < -EPS_MINUTES
		and (leg.key not in old_failing or leg.slack < old_failing[leg.key] - EPS_MINUTES)
	]
	if not broken:
		return None
	broken.sort(key=lambda leg: (leg.to is not new, leg.frm is not new))
	leg = broken[0]
	message, conflicting = _message(leg, new, shift)
	return Refusal(message, conflicting, _missing(leg.slack))


# -- the cost of one more visit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
	"""Room for a visit between two stops of a shift (home at either end: ``after``/``before`` None)."""

	shift: Shift
	after: Visit | None
	before: Visit | None
	earliest_from: datetime  # the previous stop's end (or the shift's start)
	latest_until: datetime  # the next stop's start (or the shift's end)
	pos: Point  # where the agent is before the gap
	next_pos: Point | None  # where the next stop is (None: it has no location, the agent stays)
	next_located: Point  # the next stop with a location after the gap (home base at the end)


def gap_rows(day: AgentDay, shift: Shift, visits: Sequence[Visit] | None = None) -> list[tuple]:
	"""``gaps`` as plain tuples (after, before, earliest_from, latest_until, pos, next_pos, next_located), in
	time order: what ``suggest`` walks through for every agent, so no object per gap."""
	seq = _in_shift(day.visits if visits is None else visits, shift)
	home = day.home
	n = len(seq)
	next_located: list[Point] = [home] * (n + 1)
	for i in range(n - 1, -1, -1):
		loc = seq[i].location
		next_located[i] = loc if loc is not None else next_located[i + 1]
	out = []
	after = None
	pos = home
	free = shift.start
	for i in range(n + 1):
		before = seq[i] if i < n else None
		out.append(
			(
				after,
				before,
				free,
				before.start if before is not None else shift.end,
				pos,
				before.location if before is not None else home,
				next_located[i],
			)
		)
		if before is not None:
			if before.location is not None:
				pos = before.location
			after, free = before, before._end
	return out


def gaps(day: AgentDay, shift: Shift, visits: Sequence[Visit] | None = None) -> list[Gap]:
	"""The gaps of one shift, in time order."""
	return [Gap(shift, *row) for row in gap_rows(day, shift, visits)]


def gap_travel(day: AgentDay, gap: Gap, location: Point | None, travel) -> tuple[float, float, float]:
	"""(travel to the visit, travel on from it, added travel) for a visit at ``location`` in ``gap``."""
	if location is None:
		return 0.0, 0.0, 0.0
	p = day.profile
	t_in = travel(gap.pos, location, p)
	t_out = travel(location, gap.next_pos, p) if gap.next_pos is not None else 0.0
	t_on = t_out if gap.next_pos is not None else travel(location, gap.next_located, p)
	return t_in, t_out, t_in + t_on - travel(gap.pos, gap.next_located, p)


def find_gap(day: AgentDay, new: Visit) -> Gap:
	"""The gap the new visit goes into (of its shift; of the whole day, home at both ends, if it is in none)."""
	visits = _without(day.visits, new.id)
	shift = shift_of(day, new)
	if shift is None:
		whole = Shift(min([new.start, *(v.start for v in visits)]), max([new.end, *(v.end for v in visits)]))
		shift = whole
	for g in gaps(day, shift, visits):
		if g.before is None or (new.start, new.id) < (g.before.start, g.before.id):
			return g
	raise AssertionError("unreachable: the last gap has no next visit")


def added_travel(day: AgentDay, new: Visit, travel=travel_minutes) -> float:
	"""Extra travel minutes the agent's day gets from ``new`` (0 for a visit without a location)."""
	return gap_travel(day, find_gap(day, new), new.location, travel)[2]


# -- working hours ------------------------------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def shifts_for(
	day: date, weekday_hours: Mapping[int, list[tuple[time, time]]], holidays: set[date]
) -> tuple[Shift, ...]:
	"""The shifts of ``day``: its weekday's hours (0 = Monday, as ``date.weekday()``), none on a holiday.
	An end at or before its start (e.g. 22:00–06:00) runs into the next day; 00:00 as an end is midnight."""
	if isinstance(day, datetime) or not isinstance(day, date):
		raise FieldError("date", f"must be a date, not {day!r}")
	if day in (holidays or set()):
		return ()
	shifts = []
	for start, end in weekday_hours.get(day.weekday(), []) or []:
		if not isinstance(start, time) or not isinstance(end, time):
			raise FieldError(
				"weekday_hours", f"{WEEKDAYS[day.weekday()]} has a time that is not a time: {start!r}–{end!r}"
			)
		s = datetime.combine(day, start)
		e = datetime.combine(day, end)
		if e <= s:
			e += timedelta(days=1)
		shifts.append(Shift(s, e))
	shifts.sort(key=lambda s: s.start)
	for a, b in pairwise(shifts):
		if b.start < a.end:
			raise FieldError(
				"weekday_hours",
				f"{WEEKDAYS[day.weekday()]}'s hours overlap: {_hm(a.start)}–{_hm(a.end)} and {_hm(b.start)}–{_hm(b.end)}",
			)
	return tuple(shifts)


def weekday_hours_from_rows(rows: Iterable[Mapping]) -> dict[int, list[tuple[time, time]]]:
	"""An HD Service Level Agreement's working-day rows ({workday: "Monday", start_time, end_time}, times as
	``time``, ``timedelta`` (what Frappe reads from a Time column) or "HH:MM[:SS]") → ``weekday_hours``."""

	def as_time(field: str, value) -> time:
		if isinstance(value, time):
			return value
		if isinstance(value, timedelta):
			seconds = int(value.total_seconds()) % 86400
			return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
		if isinstance(value, str):
			try:
				return time.fromisoformat(value.strip())
			except ValueError:
				pass
		raise FieldError(field, f"must be a time like 09:00, not {value!r}")

	out: dict[int, list[tuple[time, time]]] = {}
	for row in rows:
		name = str(row.get("workday") or "").strip().capitalize()
		if name not in WEEKDAYS:
			raise FieldError("workday", f"must be a weekday name like Monday, not {row.get('workday')!r}")
		out.setdefault(WEEKDAYS.index(name), []).append(
			(as_time("start_time", row.get("start_time")), as_time("end_time", row.get("end_time")))
		)
	return out
