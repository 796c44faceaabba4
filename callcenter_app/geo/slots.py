"""Slot suggestions for a new appointment, and moving a sick agent's day to colleagues."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import Point
from callcenter_app.geo.schedule import (
	EPS_MINUTES,
	AgentDay,
	Gap,
	Visit,
	added_travel,
	check,
	find_gap,
	gap_rows,
)
from callcenter_app.geo.travel import travel_minutes


@dataclass(frozen=True)
class Suggestion:
	"""Book ``agent`` at ``start``: costs ``added_travel_minutes``; goes between visit ``after`` and visit
	``before`` (None: home base)."""

	agent: str
	start: datetime
	added_travel_minutes: float
	after: str | None
	before: str | None


def _grid_up(t: datetime, step: int) -> datetime:
	"""``t`` rounded up to the next multiple of ``step`` minutes since its midnight."""
	midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
	minutes = (t - midnight).total_seconds() / 60.0
	return midnight + timedelta(minutes=math.ceil(minutes / step - 1e-9) * step)


def _positive(field: str, value, high: int) -> int:
	if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
		raise FieldError(field, f"must be a whole number from 1 to {high}, not {value!r}")
	return value


def suggest(
	days: Iterable[AgentDay],
	location: Point | None,
	minutes: int,
	k: int = 5,
	step_minutes: int = 15,
	not_before: datetime | None = None,
	travel=travel_minutes,
	max_per_agent: int | None = None,
) -> list[Suggestion]:
	"""The ``k`` bookable starts that add the least travel (ties: the earlier start, then the agent's name).

	Starts are on a ``step_minutes`` grid from midnight, not before ``not_before``. Every suggestion passes
	``check`` (each is checked before it is returned). ``max_per_agent`` caps the suggestions per agent (the
	best ones of each agent compete); by default one gap may fill the list with consecutive starts.

	Each shift is split into gaps between its stops; in a gap the added travel is the same for every start,
	and the starts that fit form one range, so each gap costs three travel calls, not one check per start.
	"""
	minutes = _positive("minutes", minutes, 24 * 60)
	k = _positive("k", k, 10_000)
	step = _positive("step_minutes", step_minutes, 24 * 60)
	if location is not None and not isinstance(location, Point):
		raise FieldError("location", f"must be a Point or None, not {location!r}")
	if not_before is not None and (not isinstance(not_before, datetime) or not_before.tzinfo is not None):
		raise FieldError("not_before", f"must be a naive datetime, not {not_before!r}")
	if max_per_agent is not None:
		max_per_agent = _positive("max_per_agent", max_per_agent, 10_000)
	length = timedelta(minutes=minutes)
	step_delta = timedelta(minutes=step)
	heap: list[tuple] = []
	days = list(days)
	eps = timedelta(minutes=EPS_MINUTES)
	minute = timedelta(minutes=1)
	for d_index, day in enumerate(days):
		profile = day.profile
		buffer = profile.buffer_minutes
		for shift in day.shifts:
			for row in gap_rows(day, shift):
				after, before, free, until, pos, next_pos, next_located = row
				# the time alone rules most gaps of a full day out: no travel needed to see it
				room = (until - free) / minute - minutes
				if after is not None:
					room -= buffer
				if before is not None:
					room -= buffer
				if room < -EPS_MINUTES:
					continue
				if location is None:
					t_in = t_out = added = 0.0
				else:
					t_in = travel(pos, location, profile)
					if t_in > room + EPS_MINUTES:
						continue
					t_out = travel(location, next_pos, profile) if next_pos is not None else 0.0
					if t_in + t_out > room + EPS_MINUTES:
						continue
					t_on = t_out if next_pos is not None else travel(location, next_located, profile)
					added = t_in + t_on - travel(pos, next_located, profile)
				earliest = free + timedelta(minutes=t_in + (buffer if after is not None else 0))
				first = _grid_up(earliest - eps, step)
				if not_before is not None and first < not_before:
					first = _grid_up(not_before, step)
				latest = until - length - timedelta(minutes=t_out + (buffer if before is not None else 0))
				if first > latest + eps:
					continue
				heapq.heappush(heap, (added, first, day.agent, d_index, len(heap), latest, Gap(shift, *row)))
	out: list[Suggestion] = []
	per_agent: dict[str, int] = {}
	while heap and len(out) < k:
		added, start, agent, d_index, tie, latest, gap = heapq.heappop(heap)
		nxt = start + step_delta
		if nxt <= latest + timedelta(minutes=EPS_MINUTES):
			heapq.heappush(heap, (added, nxt, agent, d_index, tie, latest, gap))
		if max_per_agent is not None and per_agent.get(agent, 0) >= max_per_agent:
			continue
		day = days[d_index]
		if check(day, Visit("(new)", start, minutes, location), travel) is not None:
			continue  # a later leg the visit changes (visits without a location after it) does not fit
		per_agent[agent] = per_agent.get(agent, 0) + 1
		out.append(
			Suggestion(
				agent,
				start,
				added,
				gap.after.id if gap.after else None,
				gap.before.id if gap.before else None,
			)
		)
	return out


def reassign_day(
	day: AgentDay, others: Iterable[AgentDay], travel=travel_minutes
) -> tuple[list[tuple[str, Suggestion]], list[str]]:
	"""An agent is off: give each of their visits, at its own time, to the colleague whose day it fits with
	the least added travel (ties: the agent's name), in time order, booking each before the next is placed.

	Returns (moves: [(visit id, Suggestion)], unplaced: [visit id]). ``others`` are not changed; the
	receiving days with the moves booked are ``AgentDay.with_visit`` of each move."""
	receivers = {d.agent: d for d in others if d.agent != day.agent}
	moves: list[tuple[str, Suggestion]] = []
	unplaced: list[str] = []
	for visit in sorted(day.visits, key=lambda v: (v.start, v.id)):
		best = None
		for name in sorted(receivers):
			other = receivers[name]
			if any(v.id == visit.id for v in other.visits):
				continue
			if check(other, visit, travel) is not None:
				continue
			cost = added_travel(other, visit, travel)
			if best is None or cost < best[0]:
				best = (cost, name)
		if best is None:
			unplaced.append(visit.id)
			continue
		cost, name = best
		gap = find_gap(receivers[name], visit)
		receivers[name] = receivers[name].with_visit(visit)
		moves.append(
			(
				visit.id,
				Suggestion(
					name,
					visit.start,
					cost,
					gap.after.id if gap.after else None,
					gap.before.id if gap.before else None,
				),
			)
		)
	return moves, unplaced
