"""Work-time registration (pure): an agent's status periods cut into local days, time per work mode.

CC Agent Status Log holds one row per period an agent spent in one state (logged in a work mode, or logged
out), with naive start and end in the system time zone (an open period has no end yet). Here each logged-in
period is cut at every midnight of the call center's time zone — a period from 22:00 to 02:00 is two hours
on each day — and its seconds are added to the agent's day under its work mode.

Midnight is found as an instant, so DST changes are exact: a local day is 23 or 25 hours long on the change
days, and a zone whose clock jumps at midnight (America/Santiago) starts its day at the jump. Time before
``first`` or from ``after`` on is left out, and an open period counts until ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


@dataclass(frozen=True)
class StatusPeriod:
	"""One CC Agent Status Log row; ``started``/``ended`` naive in the system zone, ``ended`` None while open."""

	agent: str
	started: dt.datetime
	ended: dt.datetime | None
	logged_in: bool = True
	work_mode: str = ""
	receives_calls: bool = False
	counts_as_work: bool = False


@dataclass
class AgentDay:
	"""An agent's time on one local day, in seconds: per work mode, logged in, counted as work, and not
	taking calls (logged in, in a mode that does not receive calls: pause)."""

	modes: dict[str, float] = field(default_factory=dict)
	logged_in_s: float = 0.0
	work_s: float = 0.0
	pause_s: float = 0.0
	pause_modes: dict[str, float] = field(default_factory=dict)  # the pause seconds per work mode


def local_days(
	start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> Iterator[tuple[dt.date, dt.timedelta]]:
	"""Cut the span [start, end) (aware instants) at each local midnight of ``zone``: (local date, length)."""
	cur = start.astimezone(UTC)
	end = end.astimezone(UTC)
	while cur < end:
		day = cur.astimezone(zone).date()
		midnight = day_start(day + dt.timedelta(days=1), zone)
		stop = min(end, midnight)
		yield day, stop - cur
		cur = stop


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
	"""The first instant (UTC) of local date ``day``. A midnight the clock skips (spring forward at 00:00)
	is read with the offset before the jump, which is the instant of the jump: the day starts at 01:00."""
	return dt.datetime.combine(day, dt.time(), zone).astimezone(UTC)


def work_time(
	periods: Iterable[StatusPeriod],
	first: dt.date,
	last: dt.date,
	system_tz: str,
	local_tz: str,
	now: dt.datetime,
) -> dict[tuple[str, dt.date], AgentDay]:
	"""Per (agent, local date) from ``first`` to ``last`` (inclusive), the logged-in time of ``periods``.

	``now`` is a naive system-zone datetime (the end of open periods). Sorted by agent, then date.
	"""
	system, local = ZoneInfo(system_tz), ZoneInfo(local_tz)
	lo = day_start(first, local)
	hi = day_start(last + dt.timedelta(days=1), local)
	now_at = now.replace(tzinfo=system)
	out: dict[tuple[str, dt.date], AgentDay] = {}
	for p in periods:
		if not p.logged_in:
			continue
		start = max(p.started.replace(tzinfo=system).astimezone(UTC), lo)
		end = min((p.ended.replace(tzinfo=system) if p.ended else now_at).astimezone(UTC), hi)
		for day, length in local_days(start, end, local):
			seconds = length.total_seconds()
			slot = out.get((p.agent, day))
			if slot is None:
				slot = out[p.agent, day] = AgentDay()
			mode = p.work_mode or ""
			slot.modes[mode] = slot.modes.get(mode, 0.0) + seconds
			slot.logged_in_s += seconds
			if p.counts_as_work:
				slot.work_s += seconds
			if not p.receives_calls:
				slot.pause_s += seconds
				slot.pause_modes[mode] = slot.pause_modes.get(mode, 0.0) + seconds
	return dict(sorted(out.items()))
