from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.qos import (
	InboundCall,
	QosParams,
	QosSummary,
	by_queue_and_period,
	call_score,
	combine,
	period_start,
	qos_by,
	qos_percent,
	queue_params,
	summarize,
)

# Reference 20 s, limit 60 s, early factor 0.5 — every score below is computed by hand.
PARAMS = QosParams(reference_wait_s=20, limit_wait_s=60, early_factor=0.5)


@pytest.mark.parametrize(
	"answered, wait, expected, why",
	[
		(False, None, 0.0, "unanswered"),
		(False, 5.0, 0.0, "unanswered, whatever the wait"),
		(True, 0.0, 0.5, "early: 1 - 0.5 * 20/20"),
		(True, 10.0, 0.75, "early: 1 - 0.5 * 10/20"),
		(True, 15.0, 0.875, "early: 1 - 0.5 * 5/20"),
		(True, 20.0, 1.0, "exactly at the reference"),
		(True, 30.0, 0.75, "late: 1 - 10/40"),
		(True, 50.0, 0.25, "late: 1 - 30/40"),
		(True, 60.0, 0.0, "at the limit"),
		(True, 90.0, 0.0, "beyond the limit"),
	],
)
def test_call_score_table(answered, wait, expected, why):
	assert call_score(answered, wait, PARAMS) == pytest.approx(expected), why


def test_qos_percent_is_the_mean_score_times_100():
	calls = [InboundCall(False)] + [InboundCall(True, w) for w in (0, 10, 20, 30, 50, 60, 90)]
	# (0 + 0.5 + 0.75 + 1 + 0.75 + 0.25 + 0 + 0) / 8 = 3.25 / 8
	assert qos_percent(calls, PARAMS) == pytest.approx(40.625)
	assert qos_percent([], PARAMS) is None


def test_early_factor_zero_and_one():
	assert call_score(True, 0, QosParams(20, 60, early_factor=0)) == 1.0
	assert call_score(True, 0, QosParams(20, 60, early_factor=1)) == 0.0
	assert call_score(True, 5, QosParams(20, 60, early_factor=1)) == pytest.approx(0.25)


def test_reference_zero_means_every_answer_is_on_time_or_late():
	p = QosParams(reference_wait_s=0, limit_wait_s=30)
	assert call_score(True, 0, p) == 1.0
	assert call_score(True, 15, p) == pytest.approx(0.5)


@pytest.mark.parametrize(
	"kwargs, name",
	[
		({"reference_wait_s": 30, "limit_wait_s": 20}, "limit_wait_s"),
		({"reference_wait_s": 30, "limit_wait_s": 30}, "limit_wait_s"),
		({"reference_wait_s": -1, "limit_wait_s": 20}, "reference_wait_s"),
		({"reference_wait_s": 10, "limit_wait_s": 20, "early_factor": 1.5}, "early_factor"),
		({"reference_wait_s": 10, "limit_wait_s": 20, "early_factor": -0.1}, "early_factor"),
		({"reference_wait_s": math.nan, "limit_wait_s": 20}, "reference_wait_s"),
		({"reference_wait_s": 10, "limit_wait_s": math.inf}, "limit_wait_s"),
		({"reference_wait_s": "10", "limit_wait_s": 20}, "reference_wait_s"),
	],
)
def test_invalid_params_name_the_parameter(kwargs, name):
	with pytest.raises(ValueError, match=name):
		QosParams(**kwargs)


def test_invalid_waits():
	with pytest.raises(ValueError, match="wait_s"):
		call_score(True, None, PARAMS)
	with pytest.raises(ValueError, match="wait_s"):
		call_score(True, -1, PARAMS)


def test_group_by_queue_and_day():
	day1 = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.timezone.utc)
	day2 = day1 + dt.timedelta(days=1)
	calls = [
		InboundCall(True, 20, queue="sales", started_at=day1),
		InboundCall(False, queue="sales", started_at=day1 + dt.timedelta(hours=3)),
		InboundCall(True, 30, queue="sales", started_at=day2),
		InboundCall(True, 10, queue="support", started_at=day1),
	]
	out = by_queue_and_period(calls, PARAMS, "day")
	assert list(out) == [
		("sales", period_start(day1, "day")),
		("sales", period_start(day2, "day")),
		("support", period_start(day1, "day")),
	]
	assert out["sales", period_start(day1, "day")].qos_percent == pytest.approx(50.0)  # (1 + 0) / 2
	assert out["sales", period_start(day2, "day")].qos_percent == pytest.approx(75.0)
	assert out["support", period_start(day1, "day")].qos_percent == pytest.approx(75.0)
	assert out["sales", period_start(day1, "day")].answered == 1
	by_campaign = qos_by(calls, PARAMS, key=lambda c: c.queue)
	assert by_campaign["sales"].calls == 3


def test_period_start():
	t = dt.datetime(2024, 5, 8, 14, 45, 12, tzinfo=dt.timezone.utc)  # a Wednesday
	assert period_start(t, "hour") == t.replace(minute=0, second=0)
	assert period_start(t, "week") == dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc)
	assert period_start(t, "month") == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
	with pytest.raises(ValueError, match="period"):
		period_start(t, "year")


params_st = st.builds(
	lambda ref, extra, f: QosParams(ref, ref + extra, f),
	st.floats(0, 600),
	st.floats(0.5, 600),
	st.floats(0, 1),
)


@given(params_st, st.floats(0, 2000), st.floats(0, 2000))
def test_scores_are_bounded_and_peak_at_the_reference(params, w1, w2):
	s1 = call_score(True, w1, params)
	assert 0.0 <= s1 <= 1.0 and 0.0 <= call_score(True, w2, params) <= 1.0
	assert call_score(True, params.reference_wait_s, params) == 1.0
	lo, hi = sorted((w1, w2))
	ref = params.reference_wait_s
	if lo >= ref:  # later is never better
		assert call_score(True, hi, params) <= call_score(True, lo, params) + 1e-12
	if hi <= ref:  # earlier is never better
		assert call_score(True, lo, params) <= call_score(True, hi, params) + 1e-12
	# the early penalty is at most early_factor
	if w1 < ref:
		assert s1 >= 1.0 - params.early_factor - 1e-12


def test_summary_counts_and_averages():
	calls = [
		InboundCall(False, 40.0),
		InboundCall(True, 10.0, talk_s=60),
		InboundCall(True, 20.0, talk_s=120),
		InboundCall(True, 50.0),  # talk time unknown: not in the talk average
	]
	s = summarize(calls, PARAMS)
	assert (s.calls, s.answered, s.unanswered, s.within_reference) == (4, 3, 1, 2)
	assert s.average_wait_s == pytest.approx(80 / 3)  # answered calls only
	assert s.average_talk_s == pytest.approx(90.0)
	assert s.qos_percent == pytest.approx(100 * (0 + 0.75 + 1 + 0.25) / 4)
	empty = summarize([], PARAMS)
	assert (empty.qos_percent, empty.average_wait_s, empty.average_talk_s) == (None, None, None)


def test_combine_weights_every_call_with_its_own_queue():
	strict = QosParams(reference_wait_s=10, limit_wait_s=30, early_factor=0)
	a = summarize([InboundCall(True, 20.0), InboundCall(False)], PARAMS)  # 1 + 0
	b = summarize([InboundCall(True, 20.0)], strict)  # 1 - 10 / 20 = 0.5
	total = combine([a, b])
	assert (total.calls, total.answered, total.within_reference) == (3, 2, 1)
	assert total.qos_percent == pytest.approx(50.0)  # (1 + 0 + 0.5) / 3, not the mean of 50 % and 50 %
	assert total.average_wait_s == pytest.approx(20.0)
	assert combine([]) == QosSummary(0, 0, 0.0)


DEFAULTS = QosParams(reference_wait_s=20, limit_wait_s=60, early_factor=0.25)


@pytest.mark.parametrize(
	"fields, expected",
	[
		((15, 45, 0.5), QosParams(15, 45, 0.5)),
		((0, 0, 0), QosParams(20, 60, 0.0)),  # waits at 0 take the defaults; a factor of 0 is a value
		((None, None, None), DEFAULTS),
		(("30", "", "1"), QosParams(30, 60, 1.0)),
		((0, 90, 0.5), QosParams(20, 90, 0.5)),
	],
)
def test_queue_params(fields, expected):
	assert queue_params(*fields, DEFAULTS) == expected


@pytest.mark.parametrize(
	"fields, field, reason",
	[
		((30, 20, 0.5), "qos_limit_wait", "greater than the reference wait time (30 s), not 20 s"),
		((60, 0, 0.5), "qos_limit_wait", "(60 s), not 60 s, the default from CC Settings"),
		((0, 15, 0.5), "qos_limit_wait", "(20 s, the default from CC Settings), not 15 s"),
		((-5, 30, 0.5), "qos_reference_wait", "0 or more, not -5"),
		(("soon", 30, 0.5), "qos_reference_wait", "a number of seconds, not 'soon'"),
		((10, math.inf, 0.5), "qos_limit_wait", "0 or more"),
		((10, 30, 1.5), "qos_early_factor", "from 0 to 1, not 1.5"),
		((10, 30, math.nan), "qos_early_factor", "from 0 to 1"),
		((10, 30, "half"), "qos_early_factor", "a number from 0 to 1, not 'half'"),
	],
)
def test_queue_params_refused_by_field(fields, field, reason):
	with pytest.raises(FieldError) as e:
		queue_params(*fields, DEFAULTS)
	assert e.value.field == field
	assert reason in e.value.reason
