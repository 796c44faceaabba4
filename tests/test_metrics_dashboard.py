"""The workspace's charts (metrics/dashboard.py)."""

import datetime as dt

import pytest

from callcenter_app.metrics.dashboard import answered_abandoned_per_day, calls_per_hour

DAY = dt.date(2026, 12, 4)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
	return dt.datetime.combine(day, dt.time(hour, minute))


def test_calls_per_hour_counts_each_direction_in_its_hour_of_the_day():
	rows = [
		{"start": at(9, 5), "direction": "inbound"},
		{"start": at(9, 59), "direction": "inbound"},
		{"start": at(10), "direction": "outbound"},
		{"start": at(10, 5), "direction": "internal"},  # between colleagues: neither
		{"start": at(23, 59), "direction": "inbound"},
		{"start": at(9, day=DAY - dt.timedelta(days=1)), "direction": "inbound"},  # yesterday
		{"start": None, "direction": "inbound"},
	]
	data = calls_per_hour(rows, DAY)
	assert data["labels"][0] == "00:00" and data["labels"][23] == "23:00" and len(data["labels"]) == 24
	inbound, outbound = (d["values"] for d in data["datasets"])
	assert inbound[9] == 2 and inbound[23] == 1 and sum(inbound) == 3
	assert outbound[10] == 1 and sum(outbound) == 1


def test_answered_and_abandoned_per_day_follow_the_qos_report():
	first = DAY - dt.timedelta(days=2)
	rows = [
		{
			"start": at(9),
			"direction": "inbound",
			"queue": "q",
			"status": "answered",
			"queue_result": "connected",
		},
		{"start": at(9), "direction": "inbound", "queue": "q", "status": "answered", "queue_result": ""},
		{
			"start": at(9),
			"direction": "inbound",
			"queue": "q",
			"status": "abandoned",
			"queue_result": "abandon",
		},
		# a forward answered what the queue gave up on: neither answered by the queue nor abandoned
		{
			"start": at(9),
			"direction": "inbound",
			"queue": "q",
			"status": "answered",
			"queue_result": "timeout",
		},
		{"start": at(9), "direction": "inbound", "queue": "", "status": "answered"},  # no queue
		{"start": at(9), "direction": "outbound", "queue": "q", "status": "answered"},
		{"start": at(8, day=first), "direction": "inbound", "queue": "q", "status": "abandoned"},
		{
			"start": at(8, day=first - dt.timedelta(days=1)),
			"direction": "inbound",
			"queue": "q",
			"status": "abandoned",
		},
	]
	data = answered_abandoned_per_day(rows, first, DAY)
	assert data["labels"] == ["2026-12-02", "2026-12-03", "2026-12-04"]
	answered, abandoned = (d["values"] for d in data["datasets"])
	assert answered == [0, 0, 2] and abandoned == [1, 0, 1]


def test_answered_abandoned_refuses_a_reversed_range():
	with pytest.raises(ValueError, match="before first"):
		answered_abandoned_per_day([], DAY, DAY - dt.timedelta(days=1))
