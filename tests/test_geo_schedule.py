"""geo.schedule and geo.slots: feasibility of appointments, added travel, suggestions, reassignment.

The property tests verify every schedule the engine accepts with an independent walk through the day
(``feasible`` below), written from the rules in schedule.py's docstring, not from its code."""

from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter_app.geo.points import Point
from callcenter_app.geo.schedule import (
	AgentDay,
	Refusal,
	Shift,
	Visit,
	added_travel,
	check,
	shifts_for,
	weekday_hours_from_rows,
)
from callcenter_app.geo.slots import reassign_day, suggest
from callcenter_app.geo.travel import TravelProfile, travel_minutes

D = date(2026, 12, 7)  # a Monday
KM_PER_DEG = 111.19508  # on the equator, 6371.0088 km sphere


def at(h, m=0):
	return datetime.combine(D, time(h, m))


def east(km):
	return Point(0.0, km / KM_PER_DEG)


FLAT = TravelProfile(speed_kmh=60, road_factor=1.0, buffer_minutes=10)  # 1 km = 1 minute


HOME = Point(0, 0)


def day(visits=(), shifts=((8, 12), (13, 17)), home=HOME, profile=FLAT, agent="A"):
	return AgentDay(agent, home, profile, tuple(Shift(at(a), at(b)) for a, b in shifts), tuple(visits))


# -- the rules, one example each --------------------------------------------------------------------------


def test_the_refusal_names_the_next_appointment_and_the_minutes_missing():
	d = day([Visit("APT-0007", at(14), 60, east(31.5))])
	r = check(d, Visit("NEW", at(13), 30, Point(0, 0)))  # ends 13:30; 31.5 min + 10 buffer → 14:11:30
	assert r == Refusal("cannot reach APT-0007 (14:00) in time: 12 minutes missing", "APT-0007", 12)


def test_the_way_from_the_previous_appointment_counts_with_the_buffer():
	d = day([Visit("APT-1", at(9), 60, east(0))])
	assert check(d, Visit("N", at(10, 20), 30, east(10))) is None  # 10:00 + 10 km + 10 buffer = 10:20
	r = check(d, Visit("N", at(10, 15), 30, east(10)))
	assert r.conflicting == "APT-1" and r.minutes_missing == 5
	assert r.message == "cannot get from APT-1 (ends 10:00) to this appointment in time: 5 minutes missing"


def test_overlap_is_named_as_such():
	d = day([Visit("APT-1", at(9), 60, east(0))])
	r = check(d, Visit("N", at(9, 30), 30, east(0)))
	assert r.conflicting == "APT-1" and r.message.startswith("overlaps APT-1 (09:00–10:00)")


def test_from_home_at_the_shift_start_and_back_by_its_end():
	d = day()
	assert check(d, Visit("N", at(8, 30), 30, east(30))) is None  # 8:00 + 30 km
	r = check(d, Visit("N", at(8, 20), 30, east(30)))
	assert r == Refusal(
		"cannot reach this appointment from home base after the shift starts at 08:00: 10 minutes missing",
		None,
		10,
	)
	r = check(d, Visit("N", at(11, 15), 30, east(30)))  # ends 11:45, 30 min home → 12:15
	assert r == Refusal(
		"cannot be back at home base by the end of the shift at 12:00: 15 minutes missing", None, 15
	)


def test_outside_working_hours():
	r = check(day(), Visit("N", at(11, 30), 60, east(0)))
	assert r.conflicting is None and r.minutes_missing == 30
	assert "outside A's working hours (08:00–12:00, 13:00–17:00)" in r.message
	r = check(day(shifts=()), Visit("N", at(11), 60, east(0)))
	assert r.message == "A has no working hours on 2026-12-07"


def test_a_visit_without_location_happens_where_the_agent_is():
	d = day([Visit("APT-1", at(9), 60, east(20)), Visit("PHONE", at(10, 10), 20, None)])
	# after the phone call the agent is still 20 km out: 10:30 + 10 buffer + 20 km back = 11:00
	assert check(d, Visit("N", at(11), 30, Point(0, 0))) is None
	assert check(d, Visit("N", at(10, 55), 30, Point(0, 0))).conflicting == "PHONE"


def test_a_visit_placed_before_an_unlocated_one_moves_where_the_agent_leaves_it_from():
	# PHONE at 10:00 happens wherever the agent is; APT-2 at 11:00 is 40 km away from a new visit at 0 km
	d = day([Visit("PHONE", at(10), 20, None), Visit("APT-2", at(10, 40), 60, east(15))], home=east(15))
	assert check(d, Visit("N", at(8, 30), 30, east(15))) is None
	r = check(d, Visit("N", at(8, 30), 30, east(40)))  # from 40 km the way to APT-2 takes 25 > 10:20→10:40
	assert r is not None and r.conflicting == "APT-2"
	assert r.message == "cannot reach APT-2 (10:40) in time after this appointment: 15 minutes missing"


def test_an_already_infeasible_day_does_not_block_other_bookings():
	# booked by hand: APT-2 cannot be reached from APT-1; a visit in the afternoon is still fine
	d = day([Visit("APT-1", at(9), 60, east(0)), Visit("APT-2", at(10, 5), 30, east(50))])
	assert check(d, Visit("N", at(14), 30, east(5))) is None


def test_the_same_id_reschedules():
	d = day([Visit("APT-1", at(9), 60, east(0))])
	assert check(d, Visit("APT-1", at(9, 30), 60, east(0))) is None


def test_added_travel_is_the_detour():
	d = day([Visit("APT-1", at(9), 60, east(10))])
	# home(0) → APT-1(10) → home: 20. With N at 20 km after APT-1: 0→10→20→0 = 40; +20
	assert added_travel(d, Visit("N", at(10, 30), 30, east(20))) == pytest.approx(20)
	assert added_travel(d, Visit("N", at(10, 30), 30, None)) == 0
	assert added_travel(d, Visit("N", at(8, 10), 30, east(5))) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize(
	"kwargs, field",
	[
		(dict(id="", start=at(9), minutes=30, location=None), "id"),
		(dict(id="X", start="09:00", minutes=30, location=None), "start"),
		(dict(id="X", start=at(9), minutes=0, location=None), "minutes"),
		(dict(id="X", start=at(9), minutes=30.5, location=None), "minutes"),
		(dict(id="X", start=at(9), minutes=30, location=(0, 0)), "location"),
	],
)
def test_visit_refuses_bad_input(kwargs, field):
	with pytest.raises(ValueError) as e:
		Visit(**kwargs)
	assert e.value.field == field


def test_bad_shifts_and_profiles():
	with pytest.raises(ValueError, match="end: must be after the start"):
		Shift(at(10), at(9))
	with pytest.raises(ValueError, match="shifts: overlap"):
		day(shifts=((8, 12), (11, 14)))
	with pytest.raises(ValueError, match="visits: X is booked twice"):
		day([Visit("X", at(9), 10, None), Visit("X", at(10), 10, None)])
	with pytest.raises(ValueError, match="speed_kmh"):
		TravelProfile(speed_kmh=0)
	with pytest.raises(ValueError, match="road_factor"):
		TravelProfile(road_factor=0.5)
	with pytest.raises(ValueError, match="buffer_minutes"):
		TravelProfile(buffer_minutes=-1)


def test_shifts_for_weekdays_and_holidays():
	hours = weekday_hours_from_rows(
		[
			{"workday": "Monday", "start_time": timedelta(hours=9), "end_time": timedelta(hours=12)},
			{"workday": "Monday", "start_time": "13:00", "end_time": "17:30:00"},
			{"workday": "Sunday", "start_time": time(22), "end_time": time(6)},
		]
	)
	assert shifts_for(D, hours, set()) == (Shift(at(9), at(12)), Shift(at(13), at(17, 30)))
	assert shifts_for(D, hours, {D}) == ()
	assert shifts_for(D + timedelta(days=1), hours, set()) == ()
	sunday = D - timedelta(days=1)
	assert shifts_for(sunday, hours, set()) == (Shift(datetime.combine(sunday, time(22)), at(6)),)
	with pytest.raises(ValueError, match="workday"):
		weekday_hours_from_rows([{"workday": "Funday", "start_time": "09:00", "end_time": "10:00"}])
	with pytest.raises(ValueError, match="overlap"):
		shifts_for(D, {0: [(time(9), time(12)), (time(11), time(13))]}, set())


# -- properties -------------------------------------------------------------------------------------------


def feasible(d: AgentDay, travel=travel_minutes) -> bool:
	"""An independent walk through the day: inside shifts, no overlaps, every leg in time."""
	eps = 1e-6
	visits = sorted(d.visits, key=lambda v: v.start)
	for a, b in pairwise(visits):
		if b.start < a.end:
			return False
	for v in visits:
		if not any(s.start <= v.start and v.end <= s.end for s in d.shifts):
			return False
	for s in d.shifts:
		here, free_at, after_visit = d.home, s.start, False
		for v in (v for v in visits if s.start <= v.start < s.end):
			dest = v.location or here
			need = travel(here, dest, d.profile) + (d.profile.buffer_minutes if after_visit else 0)
			if (v.start - free_at).total_seconds() / 60 + eps < need:
				return False
			here, free_at, after_visit = dest, v.end, True
		if (s.end - free_at).total_seconds() / 60 + eps < travel(here, d.home, d.profile):
			return False
	return True


coord = st.floats(-0.4, 0.4, allow_nan=False)
located = st.builds(Point, coord, coord)
candidate = st.tuples(
	st.integers(6 * 12, 19 * 12),  # start in 5-minute steps
	st.sampled_from([15, 30, 45, 60, 90]),
	st.one_of(located, located, located, located, st.none()),
)
profiles = st.builds(
	TravelProfile,
	speed_kmh=st.sampled_from([20.0, 40.0, 60.0]),
	road_factor=st.sampled_from([1.0, 1.3]),
	buffer_minutes=st.sampled_from([0, 10, 15]),
)


def build_day(agent, home, profile, candidates):
	d = AgentDay(agent, home, profile, (Shift(at(8), at(12)), Shift(at(13), at(18))), ())
	decisions = []
	for i, (five, minutes, loc) in enumerate(candidates):
		v = Visit(f"{agent}-{i}", datetime.combine(D, time()) + timedelta(minutes=5 * five), minutes, loc)
		refusal = check(d, v)
		decisions.append((d, v, refusal))
		if refusal is None:
			d = d.with_visit(v)
	return d, decisions


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(located, profiles, st.lists(candidate, max_size=25))
def test_no_schedule_the_engine_accepts_is_infeasible_and_it_refuses_only_what_would_be(home, profile, cands):
	d, decisions = build_day("A", home, profile, cands)
	assert feasible(d)
	for before, v, refusal in decisions:
		# exact: a refusal means the day with the visit would be infeasible; acceptance that it is feasible
		assert feasible(before.with_visit(v)) == (refusal is None), refusal
		if refusal is not None:
			assert refusal.minutes_missing >= 1 and refusal.message


def brute_force(days, location, minutes, k, step, not_before):
	found = []
	for d in days:
		for s in d.shifts:
			t = s.start
			first = datetime.combine(s.start.date(), time())
			while first < s.start or (not_before and first < not_before):
				first += timedelta(minutes=step)
			t = first
			while t + timedelta(minutes=minutes) <= s.end:
				v = Visit("(new)", t, minutes, location)
				if check(d, v) is None:
					found.append((added_travel(d, v), t, d.agent))
				t += timedelta(minutes=step)
	found.sort()
	return found[:k]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
	st.lists(st.tuples(located, profiles, st.lists(candidate, max_size=12)), min_size=1, max_size=4),
	st.one_of(located, st.none()),
	st.sampled_from([15, 30, 60, 120]),
	st.integers(1, 12),
	st.sampled_from([10, 15, 30]),
	st.one_of(st.none(), st.integers(7 * 60, 15 * 60)),
)
def test_suggestions_are_feasible_sorted_and_the_best_k(agents, location, minutes, k, step, not_before):
	days = [build_day(f"agent{i}", home, prof, cands)[0] for i, (home, prof, cands) in enumerate(agents)]
	nb = None if not_before is None else datetime.combine(D, time()) + timedelta(minutes=not_before)
	got = suggest(days, location, minutes, k=k, step_minutes=step, not_before=nb)
	by_agent = {d.agent: d for d in days}
	for s in got:
		v = Visit("(new)", s.start, minutes, location)
		assert check(by_agent[s.agent], v) is None
		assert feasible(by_agent[s.agent].with_visit(v))
		assert s.added_travel_minutes == pytest.approx(added_travel(by_agent[s.agent], v), abs=1e-9)
		assert nb is None or s.start >= nb
	keys = [(s.added_travel_minutes, s.start, s.agent) for s in got]
	assert keys == sorted(keys)
	expected = brute_force(days, location, minutes, k, step, nb)
	assert [(t, a) for _, t, a in expected] == [(s.start, s.agent) for s in got]


def test_suggest_picks_the_gap_that_adds_least_travel():
	near = day([Visit("APT-1", at(9), 60, east(10))], agent="near")
	far = day([Visit("APT-2", at(9), 60, east(-60))], agent="far")
	got = suggest([far, near], east(12), 30, k=2, max_per_agent=1)
	assert [s.agent for s in got] == ["near", "far"]
	# before APT-1: 8:00 + 12 km → 8:15 on the grid; 0→12→10 instead of 0→10 adds 4 minutes
	assert got[0].start == at(8, 15) and got[0].after is None and got[0].before == "APT-1"
	assert got[0].added_travel_minutes == pytest.approx(4)
	assert got[1].added_travel_minutes == pytest.approx(24)


def test_suggest_refuses_bad_arguments():
	with pytest.raises(ValueError, match="minutes"):
		suggest([day()], east(1), 0)
	with pytest.raises(ValueError, match="step_minutes"):
		suggest([day()], east(1), 30, step_minutes=0)
	with pytest.raises(ValueError, match="not_before"):
		suggest([day()], east(1), 30, not_before="tomorrow")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(located, profiles, st.lists(candidate, max_size=12)), min_size=2, max_size=4))
def test_reassigning_a_day_keeps_every_receiving_day_feasible(agents):
	days = [build_day(f"agent{i}", home, prof, cands)[0] for i, (home, prof, cands) in enumerate(agents)]
	sick, others = days[0], days[1:]
	moves, unplaced = reassign_day(sick, others)
	assert sorted([m for m, _ in moves] + unplaced) == sorted(v.id for v in sick.visits)
	receiving = {d.agent: d for d in others}
	visits = {v.id: v for v in sick.visits}
	for visit_id, s in moves:
		assert s.start == visits[visit_id].start
		receiving[s.agent] = receiving[s.agent].with_visit(visits[visit_id])
	assert all(feasible(d) for d in receiving.values())
	for visit_id in unplaced:  # nobody could take it, given the moves before it in time order
		v = visits[visit_id]
		earlier = {d.agent: d for d in others}
		for m, s in moves:
			if visits[m].start < v.start or (visits[m].start == v.start and m < visit_id):
				earlier[s.agent] = earlier[s.agent].with_visit(visits[m])
		assert all(check(d, v) is not None for d in earlier.values())


def test_reassign_prefers_the_least_detour():
	sick = day([Visit("APT-1", at(9), 60, east(10)), Visit("APT-2", at(14), 60, east(200))], agent="sick")
	a = day(home=east(12), agent="a")
	b = day(home=east(40), agent="b")
	moves, unplaced = reassign_day(sick, [a, b])
	assert [(m, s.agent) for m, s in moves] == [("APT-1", "a")]
	assert unplaced == ["APT-2"]  # 200 km out: nobody gets there and back within 13:00–17:00 around 14:00
