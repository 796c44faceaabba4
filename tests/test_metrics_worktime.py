"""Work time per agent per local day: periods cut at midnight, DST days of 23 and 25 hours."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.metrics.worktime import StatusPeriod, day_start, local_days, work_time

UTC = dt.timezone.utc
D = dt.datetime


def period(start, end, mode="Calls", agent="a", **kw):
	return StatusPeriod(agent, start, end, work_mode=mode, **kw)


def hours(day, key="logged_in_s"):
	return getattr(day, key) / 3600


def test_a_period_over_midnight_is_cut_in_two():
	out = work_time(
		[period(D(2026, 3, 2, 22), D(2026, 3, 3, 2), receives_calls=True, counts_as_work=True)],
		dt.date(2026, 3, 1),
		dt.date(2026, 3, 31),
		"UTC",
		"UTC",
		now=D(2026, 4, 1),
	)
	assert list(out) == [("a", dt.date(2026, 3, 2)), ("a", dt.date(2026, 3, 3))]
	assert [hours(d) for d in out.values()] == [2, 2]
	assert [hours(d, "work_s") for d in out.values()] == [2, 2]
	assert [hours(d, "pause_s") for d in out.values()] == [0, 0]


def test_midnight_is_the_call_center_s_not_the_system_s():
	# stored in UTC; the call center is in Vilnius (UTC+2 in winter): 21:30–23:30 UTC is 23:30–01:30 local
	out = work_time(
		[period(D(2026, 1, 5, 21, 30), D(2026, 1, 5, 23, 30), mode="Break")],
		dt.date(2026, 1, 1),
		dt.date(2026, 1, 31),
		"UTC",
		"Europe/Vilnius",
		now=D(2026, 2, 1),
	)
	assert {k[1]: d.modes for k, d in out.items()} == {
		dt.date(2026, 1, 5): {"Break": 1800.0},
		dt.date(2026, 1, 6): {"Break": 5400.0},
	}
	assert all(d.pause_s == d.logged_in_s for d in out.values())  # Break takes no calls


def test_dst_days_are_23_and_25_hours_long():
	# logged in round the clock for three days around each change in Berlin (stored in UTC)
	spring = work_time(
		[period(D(2026, 3, 27, 23), D(2026, 3, 30, 22))],
		dt.date(2026, 3, 28),
		dt.date(2026, 3, 30),
		"UTC",
		"Europe/Berlin",
		now=D(2026, 4, 1),
	)
	assert [hours(d) for d in spring.values()] == [24, 23, 24]
	autumn = work_time(
		[period(D(2026, 10, 23, 22), D(2026, 10, 26, 23))],
		dt.date(2026, 10, 24),
		dt.date(2026, 10, 26),
		"UTC",
		"Europe/Berlin",
		now=D(2026, 11, 1),
	)
	assert [hours(d) for d in autumn.values()] == [24, 25, 24]


def test_a_clock_that_jumps_at_midnight_starts_the_day_at_the_jump():
	# Santiago, 6 September 2026: 00:00 becomes 01:00 (UTC-4 → UTC-3); that day has 23 hours
	zone = ZoneInfo("America/Santiago")
	start = day_start(dt.date(2026, 9, 6), zone)
	assert start == D(2026, 9, 6, 4, tzinfo=UTC)
	assert start.astimezone(zone).hour == 1
	days = dict(local_days(D(2026, 9, 5, 4, tzinfo=UTC), D(2026, 9, 8, 3, tzinfo=UTC), zone))
	assert [d.total_seconds() / 3600 for d in days.values()] == [24, 23, 24]


def test_range_edges_open_periods_and_logged_out_time():
	periods = [
		period(D(2026, 5, 31, 20), D(2026, 6, 1, 1)),  # 1 h inside June
		period(D(2026, 6, 1, 1), D(2026, 6, 1, 9), logged_in=False, mode=""),  # logged out: not counted
		period(D(2026, 6, 1, 9), None, mode="Calls", receives_calls=True),  # open: until now
		period(D(2026, 6, 1, 9), D(2026, 6, 1, 10), agent="b", mode="Tickets", counts_as_work=True),
	]
	out = work_time(
		periods, dt.date(2026, 6, 1), dt.date(2026, 6, 1), "UTC", "UTC", now=D(2026, 6, 1, 12, 30)
	)
	a, b = out[("a", dt.date(2026, 6, 1))], out[("b", dt.date(2026, 6, 1))]
	assert a.modes == {"Calls": 4.5 * 3600}  # 00:00–01:00 and 09:00–12:30
	assert a.logged_in_s == 4.5 * 3600 and a.pause_s == 3600  # the first period's mode took no calls
	assert (b.work_s, b.pause_s, b.modes) == (3600, 3600, {"Tickets": 3600})


@given(
	st.datetimes(min_value=D(2020, 1, 1), max_value=D(2030, 1, 1)),
	st.integers(min_value=0, max_value=10 * 86400),
	st.sampled_from(["Europe/Berlin", "America/New_York", "America/Santiago", "Asia/Kolkata", "UTC"]),
)
@settings(max_examples=300, deadline=None)
def test_the_days_add_up_to_the_period_and_each_lies_in_its_day(start, seconds, tz):
	zone = ZoneInfo(tz)
	a = start.replace(tzinfo=UTC)
	b = a + dt.timedelta(seconds=seconds)
	pieces = list(local_days(a, b, zone))
	assert sum((p[1] for p in pieces), dt.timedelta()) == b - a
	dates = [p[0] for p in pieces]
	assert dates == sorted(set(dates))
	for day, length in pieces:
		assert length <= day_start(day + dt.timedelta(days=1), zone) - day_start(day, zone)
