"""Queue Performance's pure rules: slots add up to the per-call QoS, hand-computed rows, staffing, filters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.erlang import agents_needed
from callcenter_app.metrics.qos import InboundCall, QosParams, period_start, summarize
from callcenter_app.metrics.queue_performance import (
	ROW_KEYS,
	check_filters,
	queue_performance,
	report_rows,
	slots_from_calls,
	total_row,
	wait_segment,
)

A = QosParams(reference_wait_s=20, limit_wait_s=60, early_factor=0.5)
B = QosParams(reference_wait_s=10, limit_wait_s=30, early_factor=0)
PARAMS = {"a": A, "b": B}
MON = dt.datetime(2025, 3, 3, 9, 0)


def at(minutes: int) -> dt.datetime:
	return MON + dt.timedelta(minutes=minutes)


def test_hand_computed_rows_with_staffing():
	calls = [
		# queue a, 09:00–10:00: (start, queue, answered, abandoned, wait, talk)
		(at(0), "a", False, True, 35, 0),  # abandoned, score 0
		(at(10), "a", True, False, 10, 60),  # early: 0.75, within
		(at(20), "a", True, False, 20, 120),  # at the reference: 1, within
		(at(40), "a", True, False, 40, 180),  # late: 0.5
		(at(50), "a", False, False, 300, 0),  # missed (not abandoned), score 0
		# queue a, 10:05: beyond the limit: 0
		(at(65), "a", True, False, 90, 240),
	]
	result = queue_performance(
		slots_from_calls(calls, PARAMS.__getitem__),
		"hour",
		PARAMS.__getitem__,
		wrapup_for=lambda q: 10,
		target_sl=0.8,
		target_s=20,
		interval_min=30,
	)
	rows = report_rows(result, "hour")
	assert [tuple(r) for r in rows] == [ROW_KEYS, ROW_KEYS]
	nine, ten = rows
	assert (nine["period"], nine["queue"]) == ("2025-03-03 09:00", "a")
	assert [nine[k] for k in ("offered", "answered", "abandoned", "unanswered")] == [5, 3, 1, 2]
	assert nine["asa"] == round(70 / 3, 1)  # (10 + 20 + 40) / 3
	assert nine["longest_wait"] == 300
	assert nine["service_level"] == 40.0  # 2 within 20 s of 5 offered
	assert nine["qos"] == 45.0  # (0.75 + 1 + 0.5) / 5
	assert nine["aht"] == 130.0  # (60 + 120 + 180) / 3 + 10 s wrap-up
	# the busier half hour is 09:00 (3 calls, talk 90 s + 10 wrap-up) against 09:30 (2 calls, 190 s)
	first = agents_needed(3, 100, 1800, 0.8, 20)
	second = agents_needed(2, 190, 1800, 0.8, 20)
	peak, advice = (
		("2025-03-03 09:00", first) if first.agents >= second.agents else ("2025-03-03 09:30", second)
	)
	assert nine["peak_interval"] == peak
	assert nine["agents_needed"] == advice.agents
	assert nine["expected_service_level"] == round(advice.service_level * 100, 2)
	assert nine["expected_asa"] == round(advice.asa_s, 1)
	assert nine["occupancy"] == round(advice.occupancy * 100, 1)
	assert (ten["offered"], ten["qos"], ten["service_level"], ten["longest_wait"]) == (1, 0.0, 0.0, 90)
	total = total_row(result)
	assert (total["period"], total["offered"], total["answered"], total["abandoned"]) == ("Total", 6, 4, 1)
	assert total["qos"] == round(100 * 2.25 / 6, 2)
	assert total["longest_wait"] == 300 and total["agents_needed"] is None


def test_the_published_staffing_vector_through_the_report():
	# 100 calls in one half hour, each 180 s of talk, answered at once
	calls = [(at(i % 30), "b", True, False, 0, 180) for i in range(100)]
	result = queue_performance(
		slots_from_calls(calls, PARAMS.__getitem__), "day", PARAMS.__getitem__, interval_min=30
	)
	(row,) = report_rows(result, "day")
	assert (row["peak_interval"], row["agents_needed"]) == ("2025-03-03 09:00", 14)
	assert (row["expected_service_level"], row["expected_asa"], row["occupancy"]) == (88.84, 7.8, 71.4)


calls_strategy = st.lists(
	st.tuples(
		st.integers(min_value=0, max_value=3 * 24 * 60),
		st.sampled_from(["a", "b"]),
		st.sampled_from(["answered", "abandoned", "missed"]),
		st.integers(min_value=0, max_value=120),
		st.integers(min_value=0, max_value=900),
	),
	max_size=150,
)


@given(calls_strategy, st.sampled_from(["hour", "day", "week"]))
@settings(max_examples=150, deadline=None)
def test_slots_give_the_per_call_qos_of_every_row(raw, period):
	calls = [(at(m), q, s == "answered", s == "abandoned", w, t) for m, q, s, w, t in raw]
	result = queue_performance(slots_from_calls(calls, PARAMS.__getitem__), period, PARAMS.__getitem__)
	for row in result.rows:
		mine = [
			InboundCall(answered=c[2], wait_s=c[4], talk_s=c[5] if c[2] else None)
			for c in calls
			if c[1] == row.queue and period_start(c[0], period) == row.period_start
		]
		expected = summarize(mine, PARAMS[row.queue])
		assert row.summary.calls == expected.calls
		assert row.summary.answered == expected.answered
		assert row.summary.within_reference == expected.within_reference
		assert row.summary.score_sum == pytest.approx(expected.score_sum, abs=1e-9)
		assert row.summary.answered_wait_sum == expected.answered_wait_sum
		assert row.longest_wait_s == max(
			c[4] for c in calls if c[1] == row.queue and period_start(c[0], period) == row.period_start
		)
	assert result.total.calls == len(calls)


def test_wait_segments():
	assert [wait_segment(w, A) for w in (0, 20, 21, 59, 60, 500)] == [0, 0, 1, 1, 2, 2]


def test_filters():
	f = check_filters({"from_date": "2025-03-03", "to_date": "2025-03-04"})
	assert (f.base.period, f.target_sl, f.target_s, f.interval_min, f.team) == ("day", 0.8, 20.0, 30, "")
	f = check_filters(
		{
			"from_date": "2025-03-03",
			"to_date": "2025-03-04",
			"team": "Billing",
			"target_sl": "90",
			"target_seconds": 15,
			"staffing_interval": "60",
		}
	)
	assert (f.team, f.target_sl, f.target_s, f.interval_min) == ("Billing", 0.9, 15.0, 60)
	for values, name in [
		({"target_sl": 100}, "target_sl"),
		({"target_sl": "x"}, "target_sl"),
		({"target_seconds": -1}, "target_seconds"),
		({"staffing_interval": 45}, "staffing_interval"),
		({"group_by": "Year"}, "group_by"),
	]:
		with pytest.raises(FieldError) as info:
			check_filters({"from_date": "2025-03-03", "to_date": "2025-03-04", **values})
		assert info.value.field == name


def test_slot_minutes_follow_the_zones():
	from callcenter_app.metrics.queue_performance import slot_minutes

	assert slot_minutes(30, {0}) == 30
	assert slot_minutes(60, {-60, 0}) == 60  # a DST difference of an hour
	assert slot_minutes(60, {330}) == 15  # India against UTC: half hours
	assert slot_minutes(30, {330}) == 30
	assert slot_minutes(30, {345}) == 15  # Nepal
	assert slot_minutes(15, {345}) == 15
