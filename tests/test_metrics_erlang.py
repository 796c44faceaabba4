"""Erlang C staffing advice: the published vector, a factorial reference in exact arithmetic, stability."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.erlang import (
	agents_needed,
	asa,
	erlang_b,
	erlang_c,
	service_level,
	traffic,
)


def test_the_published_vector():
	# 100 calls in 30 minutes, AHT 180 s, 80 % within 20 s
	advice = agents_needed(100, 180, 1800, 0.8, 20)
	assert advice.agents == 14
	assert advice.traffic == 10.0
	assert round(advice.service_level, 4) == 0.8884
	assert round(advice.asa_s, 2) == 7.84
	assert round(advice.occupancy, 4) == 0.7143
	assert round(advice.wait_probability, 4) == 0.1741
	# 13 agents fall short of the target
	assert service_level(13, 10.0, 180, 20) < 0.8 <= service_level(14, 10.0, 180, 20)


def reference_erlang_c(n: int, a: Fraction) -> Fraction:
	"""The textbook formula with factorials and powers, in exact rational arithmetic."""
	top = a**n / math.factorial(n) * Fraction(n, n - a)
	bottom = sum(a**k / math.factorial(k) for k in range(n)) + top
	return top / bottom


@given(
	st.integers(min_value=1, max_value=40),
	st.fractions(min_value=Fraction(1, 10), max_value=Fraction(39)).map(lambda f: f.limit_denominator(50)),
)
@settings(max_examples=200, deadline=None)
def test_erlang_c_equals_the_factorial_formula(n, a):
	if n <= a:
		assert erlang_c(n, float(a)) == 1.0
		return
	assert erlang_c(n, float(a)) == pytest.approx(float(reference_erlang_c(n, a)), rel=1e-9)


@given(st.floats(min_value=0.01, max_value=5000), st.floats(min_value=10, max_value=900))
@settings(max_examples=100, deadline=None)
def test_advice_is_the_smallest_number_of_agents_that_reaches_the_target(a, aht):
	calls = a * 3600 / aht
	advice = agents_needed(calls, aht, 3600, 0.8, 20)
	assert advice.agents > advice.traffic
	assert advice.service_level >= 0.8
	assert math.isfinite(advice.asa_s) and advice.asa_s >= 0
	assert 0 < advice.occupancy < 1
	fewer = advice.agents - 1
	assert fewer <= advice.traffic or service_level(fewer, advice.traffic, aht, 20) < 0.8


def test_huge_traffic_stays_finite():
	# 10,000 Erlangs: a factorial or a power would overflow a float long before
	b = erlang_b(10_050, 10_000.0)
	assert 0 < b < 1
	advice = agents_needed(200_000, 180, 3600, 0.9, 15)
	assert advice.agents > 10_000 and advice.service_level >= 0.9


def test_no_calls_need_no_agents_and_more_agents_answer_sooner():
	assert agents_needed(0, 180, 1800, 0.8, 20).agents == 0
	assert asa(11, 10.0, 180) > asa(14, 10.0, 180) > asa(20, 10.0, 180)
	assert asa(10, 10.0, 180) == math.inf
	assert service_level(10, 10.0, 180, 20) == 0.0
	assert traffic(100, 180, 1800) == 10.0
	assert erlang_b(0, 3.0) == 1.0


@pytest.mark.parametrize(
	("args", "field"),
	[
		((100, 180, 0, 0.8, 20), "interval_s"),
		((100, 180, 1800, 1, 20), "target_sl"),
		((100, 180, 1800, 0, 20), "target_sl"),
		((100, 180, 1800, 0.8, -1), "target_s"),
		((-5, 180, 1800, 0.8, 20), "calls"),
		((100, float("nan"), 1800, 0.8, 20), "aht_s"),
		((True, 180, 1800, 0.8, 20), "calls"),
	],
)
def test_bad_inputs_are_refused_by_name(args, field):
	with pytest.raises(FieldError) as info:
		agents_needed(*args)
	assert info.value.field == field
