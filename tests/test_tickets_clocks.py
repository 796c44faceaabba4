"""SLA clocks: business hours across DST and holidays, reaction time, cumulative time (tickets/clocks.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.clocks import (
	BusinessCalendar,
	ReactionState,
	add_business_seconds,
	business_seconds_between,
	check_reaction_actions,
	cumulative_seconds,
	is_reaction,
	reaction_due,
	reaction_state,
)

UTC = timezone.utc
VILNIUS = ZoneInfo("Europe/Vilnius")
NEW_YORK = ZoneInfo("America/New_York")
H = 3600
WEEKDAYS_9_17 = {d: [("09:00", "17:00")] for d in range(5)}
OFFICE = BusinessCalendar(
	WEEKDAYS_9_17, holidays=[date(2026, 12, 24), "2026-12-25"], timezone="Europe/Vilnius"
)
ALWAYS_VILNIUS = BusinessCalendar([[("00:00", "24:00")]] * 7, timezone="Europe/Vilnius")


def local(tz, *args) -> datetime:
	return datetime(*args, tzinfo=tz)


# --- the calendar -----------------------------------------------------------------------------------------


def test_calendar_normalises_and_merges_touching_intervals():
	cal = BusinessCalendar(
		{0: [(time(13), time(17)), ("09:00", "13:00")], 6: [("10:00", "24:00")]}, timezone="UTC"
	)
	assert cal.hours[0] == ((9 * H, 17 * H),)
	assert cal.hours[6] == ((10 * H, 24 * H),)
	assert cal.hours[1:6] == ((),) * 5


@pytest.mark.parametrize(
	("hours", "tz", "field", "words"),
	[
		({0: [("17:00", "09:00")]}, "UTC", "hours", "must be after start"),
		({0: [("22:00", "02:00")]}, "UTC", "hours", "overnight"),
		({0: [("09:00", "09:00")]}, "UTC", "hours", "must be after start"),
		({0: [("09:00", "12:00"), ("11:00", "13:00")]}, "UTC", "hours", "overlaps"),
		({7: [("09:00", "17:00")]}, "UTC", "hours", "weekday"),
		({0: [("9", "17:00")]}, "UTC", "hours", "not a time of day"),
		({0: [("24:30", "25:00")]}, "UTC", "hours", "not a time of day"),
		({}, "UTC", "hours", "no working hours"),
		({0: [("09:00", "17:00")]}, "Mars/Olympus", "timezone", "IANA"),
	],
)
def test_calendar_validation(hours, tz, field, words):
	with pytest.raises(FieldError) as e:
		BusinessCalendar(hours, timezone=tz)
	assert e.value.field == field
	assert words in e.value.reason


def test_holidays_must_be_dates():
	with pytest.raises(FieldError, match="holidays"):
		BusinessCalendar(WEEKDAYS_9_17, holidays=["24/12/2026"], timezone="UTC")
	with pytest.raises(FieldError, match="holidays"):
		BusinessCalendar(WEEKDAYS_9_17, holidays=[datetime(2026, 12, 24)], timezone="UTC")


def test_add_within_a_day_and_over_a_weekend():
	friday_16 = local(VILNIUS, 2026, 3, 6, 16, 0)
	assert add_business_seconds(OFFICE, friday_16, 30 * 60) == local(VILNIUS, 2026, 3, 6, 16, 30)
	due = add_business_seconds(OFFICE, friday_16, 2 * H)
	assert due == local(VILNIUS, 2026, 3, 9, 10, 0)
	assert due.tzinfo is UTC
	assert business_seconds_between(OFFICE, friday_16, due) == 2 * H


def test_outside_hours_the_clock_starts_at_the_next_opening_and_closing_time_is_kept():
	saturday = local(VILNIUS, 2026, 3, 7, 12, 0)
	assert add_business_seconds(OFFICE, saturday, 60) == local(VILNIUS, 2026, 3, 9, 9, 1)
	assert add_business_seconds(OFFICE, saturday, 0) == saturday
	monday_9 = local(VILNIUS, 2026, 3, 9, 9, 0)
	assert add_business_seconds(OFFICE, monday_9, 8 * H) == local(VILNIUS, 2026, 3, 9, 17, 0)


def test_holidays_are_skipped():
	wednesday_16 = local(VILNIUS, 2026, 12, 23, 16, 0)
	# Thu 24 and Fri 25 are holidays, then the weekend
	assert add_business_seconds(OFFICE, wednesday_16, 2 * H) == local(VILNIUS, 2026, 12, 28, 10, 0)
	assert business_seconds_between(OFFICE, wednesday_16, local(VILNIUS, 2026, 12, 28, 10, 0)) == 2 * H


def test_office_hours_stay_eight_hours_across_dst_changes():
	# Europe/Vilnius: spring forward on Sunday 2026-03-29, fall back on Sunday 2026-10-25
	for friday, monday in ((date(2026, 3, 27), date(2026, 3, 30)), (date(2026, 10, 23), date(2026, 10, 26))):
		start = local(VILNIUS, friday.year, friday.month, friday.day, 13, 0)
		due = add_business_seconds(OFFICE, start, 8 * H)
		assert due == local(VILNIUS, monday.year, monday.month, monday.day, 13, 0)
		assert due - start != timedelta(days=3)  # the offset changed in between
		assert business_seconds_between(OFFICE, start, due) == 8 * H


def test_round_the_clock_days_are_23_and_25_hours_on_dst_changes():
	for d, hours in ((date(2026, 3, 29), 23), (date(2026, 3, 28), 24), (date(2026, 10, 25), 25)):
		start = local(VILNIUS, d.year, d.month, d.day)
		end = local(VILNIUS, *(d + timedelta(days=1)).timetuple()[:3])
		assert business_seconds_between(ALWAYS_VILNIUS, start, end) == hours * H


def test_working_hours_through_the_skipped_and_the_repeated_hour():
	# America/New_York 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00
	night = BusinessCalendar([[("01:00", "04:00")]] * 7, timezone="America/New_York")
	spring = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
	autumn = datetime(2026, 11, 1, 0, 0, tzinfo=NEW_YORK)
	assert business_seconds_between(night, spring, spring + timedelta(hours=12)) == 2 * H
	assert business_seconds_between(night, autumn, autumn + timedelta(hours=12)) == 4 * H
	# a start inside the skipped hour is the moment the clock jumps
	gap = BusinessCalendar([[("02:30", "05:00")]] * 7, timezone="America/New_York")
	assert business_seconds_between(gap, spring, spring + timedelta(hours=12)) == 2 * H
	assert gap.day(date(2026, 3, 8))[0][0] == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


def test_a_day_that_starts_in_the_skipped_hour():
	# Brazil started DST at midnight: 2018-11-04 00:00 did not exist in São Paulo
	sp = BusinessCalendar([[("00:00", "24:00")]] * 7, timezone="America/Sao_Paulo")
	((start, end),) = sp.day(date(2018, 11, 4))
	assert (start, end - start) == (datetime(2018, 11, 4, 3, 0, tzinfo=UTC), timedelta(hours=23))
	assert sp.day(date(2018, 11, 3))[0][1] == start  # the day before ends where it starts


def test_inputs_must_be_aware_and_non_negative():
	with pytest.raises(FieldError, match="start"):
		add_business_seconds(OFFICE, datetime(2026, 3, 2, 9), 60)
	with pytest.raises(FieldError, match="seconds"):
		add_business_seconds(OFFICE, local(VILNIUS, 2026, 3, 2, 9), -1)
	assert business_seconds_between(OFFICE, local(VILNIUS, 2026, 3, 3, 9), local(VILNIUS, 2026, 3, 2, 9)) == 0


def test_a_calendar_that_runs_out_of_working_time_says_so():
	year = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(600)]
	mondays_only = BusinessCalendar({0: [("09:00", "10:00")]}, holidays=year, timezone="UTC")
	with pytest.raises(FieldError, match="too little working time"):
		add_business_seconds(mondays_only, datetime(2026, 1, 1, tzinfo=UTC), 10 * H)


ZONES = ["Europe/Vilnius", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "UTC"]
CLOCKS = st.integers(0, 96).map(lambda q: q * 900)  # quarter hours, 00:00 … 24:00


@st.composite
def calendars(draw):
	hours = {}
	for weekday in range(7):
		cuts = sorted(set(draw(st.lists(CLOCKS, max_size=4))))
		hours[weekday] = list(zip(cuts[::2], cuts[1::2], strict=False))
	if not any(hours.values()):
		hours[draw(st.integers(0, 6))] = [(9 * H, 17 * H)]
	holidays = draw(st.lists(st.dates(date(2018, 1, 1), date(2018, 12, 31)), max_size=20))
	return BusinessCalendar(hours, holidays=holidays, timezone=draw(st.sampled_from(ZONES)))


INSTANTS = st.integers(0, 365 * 86400).map(lambda s: datetime(2018, 1, 1, tzinfo=UTC) + timedelta(seconds=s))


@given(calendars(), INSTANTS, st.integers(0, 40 * H))
@settings(max_examples=300, deadline=None)
def test_add_and_between_are_inverse(cal, start, seconds):
	due = add_business_seconds(cal, start, seconds)
	assert due >= start
	assert business_seconds_between(cal, start, due) == seconds
	if seconds:  # no business time is wasted: one second earlier is one business second short
		assert business_seconds_between(cal, start, due - timedelta(seconds=1)) == seconds - 1


@given(calendars(), INSTANTS, INSTANTS, INSTANTS)
@settings(max_examples=300, deadline=None)
def test_between_is_additive_and_at_most_wall_time(cal, a, b, c):
	a, b, c = sorted((a, b, c))
	ab, bc = business_seconds_between(cal, a, b), business_seconds_between(cal, b, c)
	assert ab + bc == business_seconds_between(cal, a, c)
	assert ab <= (b - a).total_seconds()


# --- reaction time ---------------------------------------------------------------------------------------


def test_reaction_actions():
	counted = ["reply", "Call", "Status Change"]
	assert check_reaction_actions(counted) == {"reply", "call", "status_change"}
	assert is_reaction("status-change", counted)
	assert is_reaction("REPLY", counted)
	assert not is_reaction("note", counted)
	assert not is_reaction("view", counted)
	with pytest.raises(FieldError) as e:
		is_reaction("reply", ["reply", "wave"])
	assert e.value.field == "reaction_actions"


def test_reaction_due_round_the_clock_and_in_business_hours():
	created = local(VILNIUS, 2026, 3, 6, 16, 30)  # Friday
	assert reaction_due(created, 3600) == created + timedelta(hours=1)
	assert reaction_due(created, 3600, OFFICE) == local(VILNIUS, 2026, 3, 9, 9, 30)
	with pytest.raises(FieldError, match="allowed_seconds"):
		reaction_due(created, -5)


def test_reaction_state():
	due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
	minute = timedelta(minutes=1)
	assert reaction_state(due, None, due - minute) == ReactionState(False, 60)
	assert reaction_state(due, None, due) == (False, 0)
	assert reaction_state(due, None, due + minute) == (True, -60)
	assert reaction_state(due, due - 2 * minute, due + 10 * minute) == (False, 120)  # stopped at the reaction
	assert reaction_state(due, due, due + minute) == (False, 0)
	assert reaction_state(due, due + 3 * minute, due + 10 * minute) == (True, -180)


def test_reaction_state_in_business_seconds():
	due = local(VILNIUS, 2026, 3, 9, 9, 30)  # Monday
	friday_16 = local(VILNIUS, 2026, 3, 6, 16, 0)
	assert reaction_state(due, None, friday_16, OFFICE) == (False, 90 * 60)
	assert reaction_state(due, None, local(VILNIUS, 2026, 3, 9, 10, 0), OFFICE) == (True, -30 * 60)


# --- cumulative time --------------------------------------------------------------------------------------

COUNTED = {"Open", "Replied"}


def at(minutes: int) -> datetime:
	return datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def test_cumulative_counts_only_counted_statuses():
	history = [
		("Open", at(0)),
		("Waiting", at(10)),
		("Open", at(40)),
		("Replied", at(45)),
		("Closed", at(50)),
	]
	assert cumulative_seconds(history, COUNTED, at(100)) == 20 * 60
	assert cumulative_seconds(list(reversed(history)), COUNTED, at(100)) == 20 * 60
	assert cumulative_seconds(history, COUNTED, at(42)) == 12 * 60
	assert cumulative_seconds(history, COUNTED, at(-5)) == 0
	assert cumulative_seconds([], COUNTED, at(10)) == 0


def test_equal_times_keep_input_order_so_the_last_holds():
	assert cumulative_seconds([("Open", at(0)), ("Waiting", at(0))], COUNTED, at(10)) == 0
	assert cumulative_seconds([("Waiting", at(0)), ("Open", at(0))], COUNTED, at(10)) == 600


def test_cumulative_in_business_seconds():
	cal = BusinessCalendar(WEEKDAYS_9_17, timezone="UTC")
	friday_16 = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
	history = [("Open", friday_16)]
	assert cumulative_seconds(history, COUNTED, datetime(2026, 3, 9, 10, 0, tzinfo=UTC), cal) == 2 * H


def test_cumulative_checks_its_rows():
	with pytest.raises(FieldError, match="row 2"):
		cumulative_seconds([("Open", at(0)), ("Open", datetime(2026, 3, 2))], COUNTED, at(5))
	with pytest.raises(FieldError, match="row 1"):
		cumulative_seconds([("Open",)], COUNTED, at(5))
	with pytest.raises(FieldError, match="now"):
		cumulative_seconds([], COUNTED, datetime(2026, 3, 2))


STATUSES = ["Open", "Replied", "Waiting", "Paused", "Closed"]
HISTORIES = st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 300)), max_size=12)
COUNTED_SETS = st.sets(st.sampled_from(STATUSES))


def secs(n: int) -> datetime:
	return datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(seconds=n)


def status_at(rows: list[tuple[str, int]], t: int) -> str | None:
	"""The status in force during second [t, t+1): the last row (in input order) of the latest time ≤ t."""
	current, when = None, None
	for status, since in rows:
		if since <= t and (when is None or since >= when):
			current, when = status, since
	return current


@given(HISTORIES, COUNTED_SETS, st.integers(0, 350))
@settings(max_examples=500)
def test_cumulative_equals_the_sum_over_counted_seconds(rows, counted, now):
	expected = sum(1 for t in range(now) if status_at(rows, t) in counted)
	assert cumulative_seconds([(s, secs(n)) for s, n in rows], counted, secs(now)) == expected


@given(HISTORIES, COUNTED_SETS, st.integers(0, 350), st.integers(0, 300), st.integers(1, 100))
@settings(max_examples=500)
def test_time_in_a_non_counted_status_never_changes_it(rows, counted, now, pause_at, pause):
	"""Insert a pause in a non-counted status at ``pause_at``: everything later moves by ``pause``."""
	pause_status = "Not counted"
	before = cumulative_seconds([(s, secs(n)) for s, n in rows], counted, secs(now))
	resumed = status_at(rows, pause_at)
	moved = [(s, n if n < pause_at else n + pause) for s, n in rows if n != pause_at]
	later = [(s, n + pause) for s, n in rows if n == pause_at]
	new = [*moved, (pause_status, pause_at), *later]
	if resumed is not None and not later:
		new.append((resumed, pause_at + pause))
	new_now = now if now <= pause_at else now + pause
	assert cumulative_seconds([(s, secs(n)) for s, n in new], counted, secs(new_now)) == before
	# and a non-counted status added at the end, with the clock running on (rows after now are future)
	tail = [*(r for r in rows if r[1] <= now), (pause_status, now)]
	assert cumulative_seconds([(s, secs(n)) for s, n in tail], counted, secs(now + pause)) == before


@given(HISTORIES, COUNTED_SETS, st.integers(0, 350), st.integers(0, 100))
@settings(max_examples=300)
def test_cumulative_is_monotone_in_now(rows, counted, now, more):
	history = [(s, secs(n)) for s, n in rows]
	assert cumulative_seconds(history, counted, secs(now)) <= cumulative_seconds(
		history, counted, secs(now + more)
	)


@given(
	calendars(), st.lists(st.tuples(st.sampled_from(STATUSES), INSTANTS), max_size=6), COUNTED_SETS, INSTANTS
)
@settings(max_examples=200, deadline=None)
def test_cumulative_with_a_calendar_is_the_business_time_of_the_counted_intervals(cal, history, counted, now):
	rows = sorted(history, key=lambda r: r[1])
	bounds = [r[1] for r in rows[1:]] + ([now] if rows else [])
	expected = sum(
		(
			cal_delta(cal, min(since, now), min(until, now))
			for (status, since), until in zip(rows, bounds, strict=True)
			if status in counted
		),
		timedelta(0),
	)
	assert cumulative_seconds(history, counted, now, cal) == expected // timedelta(seconds=1)
	assert cumulative_seconds(history, counted, now, cal) <= cumulative_seconds(history, counted, now)


def cal_delta(cal, a, b) -> timedelta:
	return timedelta(seconds=business_seconds_between(cal, a, b))
