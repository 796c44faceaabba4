"""The Queue QoS report's pure rules: filters, time zones, CC Call Log rows as calls, grouping and rows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.qos import InboundCall, QosParams, summarize
from callcenter_app.metrics.queue_qos import (
	ROW_KEYS,
	Filters,
	bounds,
	call_from_log,
	check_filters,
	period_label,
	queue_qos,
	report_rows,
	summary_row,
	to_local,
)

A = QosParams(reference_wait_s=20, limit_wait_s=60, early_factor=0.5)
B = QosParams(reference_wait_s=10, limit_wait_s=30, early_factor=0)
PARAMS = {"a": A, "b": B}
MON = dt.datetime(2025, 3, 3, 9, 0)


def test_filters_are_checked():
	f = check_filters(
		{"from_date": "2025-03-03", "to_date": dt.date(2025, 3, 9), "group_by": "Week", "queue": " a "}
	)
	assert f == Filters(dt.date(2025, 3, 3), dt.date(2025, 3, 9), "week", queue="a")
	assert check_filters({"from_date": "2025-03-03", "to_date": "2025-03-03"}).period == "day"  # the default


@pytest.mark.parametrize(
	"values, field, reason",
	[
		({"to_date": "2025-03-03"}, "from_date", "is required"),
		({"from_date": "2025-03-03", "to_date": ""}, "to_date", "is required"),
		({"from_date": "03/03/2025", "to_date": "2025-03-03"}, "from_date", "a date like 2026-05-31"),
		(
			{"from_date": "2025-03-04", "to_date": "2025-03-03"},
			"to_date",
			"not be before the from date (2025-03-04)",
		),
		({"from_date": "2024-01-01", "to_date": "2025-01-01"}, "to_date", "at most 366 days, not 367"),
		(
			{"from_date": "2025-03-03", "to_date": "2025-03-03", "group_by": "Year"},
			"group_by",
			"Hour, Day, Week",
		),
		({"from_date": "2025-03-03", "to_date": "2025-03-03", "group_by": "day"}, "group_by", "not 'day'"),
		(
			{"from_date": "2025-03-01", "to_date": "2025-04-01", "group_by": "Hour"},
			"group_by",
			"at most 31 days",
		),
		({"from_date": "2025-03-03", "to_date": "2025-03-03", "queue": 5}, "queue", "must be a name"),
	],
)
def test_bad_filters_name_the_filter(values, field, reason):
	with pytest.raises(FieldError) as e:
		check_filters(values)
	assert e.value.field == field
	assert reason in e.value.reason


def test_bounds_are_the_local_days_in_the_system_zone():
	f = Filters(dt.date(2025, 3, 8), dt.date(2025, 3, 9), "day")
	assert bounds(f, "UTC", "UTC") == (dt.datetime(2025, 3, 8), dt.datetime(2025, 3, 10))
	# New York: UTC-5 until 2 am on 9 March 2025, UTC-4 after (a 23-hour day)
	assert bounds(f, "UTC", "America/New_York") == (dt.datetime(2025, 3, 8, 5), dt.datetime(2025, 3, 10, 4))
	assert bounds(f, "Asia/Kolkata", "Europe/Vilnius") == (
		dt.datetime(2025, 3, 8, 3, 30),
		dt.datetime(2025, 3, 10, 3, 30),
	)


def test_to_local():
	moment = dt.datetime(2025, 3, 4, 3, 0)
	assert to_local(moment, "UTC", "UTC") is moment
	assert to_local(moment, "UTC", "America/New_York") == dt.datetime(2025, 3, 3, 22, 0)
	assert to_local(moment, "Asia/Kolkata", "UTC") == dt.datetime(2025, 3, 3, 21, 30)


@pytest.mark.parametrize(
	"row, answered, wait, talk",
	[
		({"status": "answered", "queue_result": "connected", "wait_s": 12, "talk_s": 30}, True, 12, 30),
		({"status": "answered", "queue_result": "", "wait_s": None, "talk_s": None}, True, 0, 0),
		({"status": "answered", "queue_result": "timeout", "wait_s": 0, "talk_s": 50}, False, 0, None),
		({"status": "abandoned", "queue_result": "abandoned", "wait_s": 35}, False, 35, None),
		({"status": "missed", "queue_result": "timeout", "wait_s": 300}, False, 300, None),
		({"status": "voicemail", "queue_result": "timeout"}, False, 0, None),
	],
)
def test_call_from_log(row, answered, wait, talk):
	call = call_from_log({**row, "queue": "a", "campaign": None}, MON)
	assert (call.answered, call.wait_s, call.talk_s) == (answered, wait, talk)
	assert (call.queue, call.campaign, call.started_at) == ("a", "", MON)


def calls_of_two_queues() -> list[InboundCall]:
	return [
		InboundCall(True, 10, "a", "", MON, talk_s=60),  # 0.75
		InboundCall(True, 20, "a", "", MON.replace(hour=10), talk_s=120),  # 1
		InboundCall(False, 35, "a", "", MON.replace(hour=11)),  # 0
		InboundCall(True, 30, "a", "camp", MON + dt.timedelta(days=1), talk_s=100),  # 0.75
		InboundCall(True, 0, "b", "", MON, talk_s=30),  # B: early with factor 0: 1
		InboundCall(True, 20, "b", "", MON, talk_s=90),  # B: 1 - 10 / 20 = 0.5
	]


def test_queue_qos_groups_and_scores_each_queue_with_its_parameters():
	result = queue_qos(calls_of_two_queues(), "day", PARAMS.__getitem__)
	day1, day2 = MON.replace(hour=0), MON.replace(hour=0) + dt.timedelta(days=1)
	assert list(result.groups) == [(day1, "a", ""), (day1, "b", ""), (day2, "a", "camp")]
	assert result.groups[day1, "a", ""].qos_percent == pytest.approx(100 * 1.75 / 3)
	assert result.groups[day1, "b", ""].qos_percent == pytest.approx(75.0)
	assert result.by_period[day1].qos_percent == pytest.approx(100 * 3.25 / 5)
	assert result.total.qos_percent == pytest.approx(100 * 4.0 / 6)
	rows = report_rows(result, "day")
	assert [tuple(r[k] for k in ("period", "queue", "campaign", "offered")) for r in rows] == [
		("2025-03-03", "a", "", 3),
		("2025-03-03", "b", "", 2),
		("2025-03-04", "a", "camp", 1),
	]
	assert rows[0] == {
		"period": "2025-03-03",
		"queue": "a",
		"campaign": "",
		"offered": 3,
		"answered": 2,
		"unanswered": 1,
		"within_reference": 2,
		"average_wait": 15.0,
		"average_talk": 90.0,
		"qos": 58.33,
	}


def test_queue_qos_hour_week_month():
	calls = calls_of_two_queues()
	hours = queue_qos(calls, "hour", PARAMS.__getitem__)
	assert [period_label(k, "hour") for k in hours.by_period] == [
		"2025-03-03 09:00",
		"2025-03-03 10:00",
		"2025-03-03 11:00",
		"2025-03-04 09:00",
	]
	weeks = queue_qos(calls, "week", PARAMS.__getitem__)
	assert [period_label(k, "week") for k in weeks.by_period] == ["2025-03-03"]
	assert [period_label(k, "month") for k in queue_qos(calls, "month", PARAMS.__getitem__).by_period] == [
		"2025-03"
	]
	with pytest.raises(ValueError, match="period"):
		queue_qos(calls, "year", PARAMS.__getitem__)
	with pytest.raises(ValueError, match="started_at"):
		queue_qos([InboundCall(False, queue="a")], "day", PARAMS.__getitem__)


def test_empty_rows():
	result = queue_qos([], "day", PARAMS.__getitem__)
	assert (result.groups, result.by_period, result.total.calls) == ({}, {}, 0)
	row = summary_row(result.total, period="Total")
	assert list(row) == list(ROW_KEYS)
	assert (row["offered"], row["average_wait"], row["average_talk"], row["qos"]) == (0, None, None, None)


call_st = st.builds(
	InboundCall,
	answered=st.booleans(),
	wait_s=st.integers(0, 400),
	queue=st.sampled_from(["a", "b"]),
	campaign=st.sampled_from(["", "x"]),
	started_at=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31)),
	talk_s=st.integers(0, 900),
)


@given(st.lists(call_st, max_size=60), st.sampled_from(["hour", "day", "week", "month"]))
def test_the_total_is_every_call_scored_with_its_queue(calls, period):
	result = queue_qos(calls, period, PARAMS.__getitem__)
	assert result.total.calls == len(calls) == sum(s.calls for s in result.groups.values())
	assert sum(s.calls for s in result.by_period.values()) == len(calls)
	by_queue = [summarize([c for c in calls if c.queue == q], PARAMS[q]) for q in PARAMS]
	assert result.total.score_sum == pytest.approx(sum(s.score_sum for s in by_queue))
	assert result.total.answered == sum(c.answered for c in calls)
	for (start, _queue, _campaign), summary in result.groups.items():
		assert start == start.replace(minute=0, second=0, microsecond=0)
		assert 0 <= summary.qos_percent <= 100
