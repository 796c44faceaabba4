"""Simulator acceptance on short runs (the 30-day figures are in benchmarks/bench_dialer.py)."""

from __future__ import annotations

import pytest

from callcenter_app.dialer.pacing import (
	PacingState,
	Predictive,
	Preview,
	Progressive,
	VicidialAdaptive,
	VicidialConfig,
)
from callcenter_app.dialer.simulator import SimParams, comparison_table, run

PARAMS = SimParams(operators=20, answer_probability=0.30, talk_mean_s=180.0)
SHORT = SimParams(operators=10, shift_hours=1.0)


def check_conservation(result):
	for d in result.days:
		assert d.answered == d.connected + d.abandoned
		assert d.dials >= d.answered
		assert d.talk_s <= d.logged_in_s and d.talk_s + d.wrap_s <= d.logged_in_s + 1e-6


@pytest.fixture(scope="module")
def progressive_day():
	return run(Progressive(), PARAMS, days=1, seed=3)


@pytest.fixture(scope="module")
def predictive_day():
	return run(Predictive(), PARAMS, days=1, seed=3)


def test_progressive_never_abandons(progressive_day):
	t = progressive_day.total
	check_conservation(progressive_day)
	assert t.abandoned == 0 and t.answered > 1000
	assert 0.6 < t.occupancy_talk < 0.8  # operators wait for every answer: about 70%


def test_predictive_beats_progressive_under_the_target(predictive_day, progressive_day):
	t = predictive_day.total
	check_conservation(predictive_day)
	assert 0 < t.abandon_pct <= 3.0
	assert t.occupancy_talk > progressive_day.total.occupancy_talk + 0.08
	assert t.occupancy_talk > 0.8
	assert t.contacts_per_hour > progressive_day.total.contacts_per_hour


def test_adapt_tapered_baseline_runs():
	r = run(VicidialAdaptive(VicidialConfig(latest_server_time=1000)), SHORT, days=1, seed=1)
	check_conservation(r)
	assert r.strategy == "adapt_tapered" and r.total.dials > 0


def test_same_seed_same_days():
	a = run(Predictive, SHORT, days=2, seed=42)
	b = run(Predictive, SHORT, days=2, seed=42)
	c = run(Predictive, SHORT, days=2, seed=43)
	assert [vars(d) for d in a.days] == [vars(d) for d in b.days]
	assert [vars(d) for d in a.days] != [vars(d) for d in c.days]


def test_preview_dials_nothing():
	r = run(Preview(), SHORT, days=1, seed=1)
	assert r.total.dials == 0 and r.total.occupancy_talk == 0


def test_exponential_talk_times_have_the_mean():
	r = run(
		Progressive(),
		SimParams(operators=30, talk_distribution="exponential", talk_mean_s=120),
		days=1,
		seed=5,
	)
	t = r.total
	# talk clipped at the end of the shift is a sliver of the total
	assert t.talk_s / t.connected == pytest.approx(120, rel=0.08)


def test_trunk_limit_is_respected():
	seen = []

	class Watch(Predictive):
		def decide(self, state: PacingState) -> int:
			seen.append(state.in_flight)
			n = super().decide(state)
			seen.append(state.in_flight + n)
			return n

	run(Watch(), SimParams(operators=10, shift_hours=0.5, max_lines=6), days=1, seed=2)
	assert max(seen) <= 6


def test_bad_params():
	with pytest.raises(ValueError):
		SimParams(operators=0)
	with pytest.raises(ValueError):
		SimParams(talk_distribution="pareto")
	with pytest.raises(ValueError):
		SimParams(shift_start_s=20 * 3600, shift_hours=8)


def test_comparison_table(predictive_day, progressive_day):
	table = comparison_table([progressive_day, predictive_day])
	lines = table.splitlines()
	assert "abandon %" in lines[0] and "talk min/h" in lines[0]
	assert lines[2].startswith("progressive") and lines[3].startswith("predictive")
