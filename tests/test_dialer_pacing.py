from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.dialer.pacing import (
	MAX_ABANDON_TARGET,
	CallStats,
	DurationModel,
	PacingState,
	Predictive,
	PredictiveConfig,
	Preview,
	Progressive,
	StatsEstimator,
	VicidialAdaptive,
	VicidialConfig,
	make_strategy,
	progressive_count,
)

elapsed = st.lists(st.floats(0, 900, allow_nan=False), max_size=30)


@st.composite
def states(draw, **overrides):
	answered = draw(st.integers(0, 5000))
	kw = {
		"free_agents": draw(st.integers(0, 30)),
		"wrapup_elapsed": draw(elapsed),
		"talking_elapsed": draw(elapsed),
		"dialing_elapsed": draw(st.lists(st.floats(0, 60, allow_nan=False), max_size=60)),
		"waiting_calls": draw(st.integers(0, 3)),
		"window_answered": answered,
		"window_abandoned": draw(st.integers(0, max(answered, 0))),
		"target": draw(st.floats(0.005, MAX_ABANDON_TARGET)),
		"max_lines": draw(st.one_of(st.none(), st.integers(0, 100))),
	}
	kw.update(overrides)
	return PacingState(**kw)


def test_target_can_never_exceed_three_percent():
	with pytest.raises(ValueError, match="target"):
		PacingState(free_agents=1, target=0.031)
	with pytest.raises(ValueError, match="target"):
		PacingState(free_agents=1, target=0)
	with pytest.raises(ValueError, match="dropped_percentage"):
		VicidialConfig(dropped_percentage=4)


@given(states())
def test_preview_never_dials(state):
	assert Preview().decide(state) == 0


@given(states())
def test_progressive_never_dials_more_than_free_operators(state):
	n = Progressive().decide(state)
	assert 0 <= n <= state.free_agents
	assert n + state.in_flight + state.waiting_calls <= max(
		state.free_agents, state.in_flight + state.waiting_calls
	)
	if state.max_lines is not None:
		assert n <= max(0, state.max_lines - state.in_flight)


def test_progressive_counts_calls_in_flight():
	assert Progressive().decide(PacingState(free_agents=5, dialing_elapsed=[1, 2])) == 3
	assert Progressive().decide(PacingState(free_agents=2, dialing_elapsed=[1, 2, 3])) == 0
	assert Progressive().decide(PacingState(free_agents=2, waiting_calls=1)) == 1


@settings(max_examples=200, deadline=None)
@given(states(), st.floats(0.0, 1.0))
def test_predictive_backs_off_to_progressive_near_the_target(state, _):
	cfg = PredictiveConfig()
	strategy = Predictive(cfg)
	n = strategy.decide(state)
	assert n >= 0
	if state.max_lines is not None:
		assert n <= max(0, state.max_lines - state.in_flight)
	rate = state.window_abandoned / max(state.window_answered, cfg.min_answered)
	if rate >= cfg.backoff_at * state.target:
		assert n <= progressive_count(state), "over the back-off rate it must not dial more than progressive"
		assert strategy.backing_off
	if state.logged_in:
		assert n <= cfg.max_lines_per_agent * state.logged_in or n == progressive_count(state)


def trained_stats() -> CallStats:
	"""Statistics learned from a campaign: 30% answered after 4–20 s, 180 s talks, 8–12 s wrap-ups."""
	rng = random.Random(11)
	est = StatsEstimator()
	for _ in range(4000):
		answered = rng.random() < 0.3
		est.dialed(answered, rng.uniform(4, 20) if answered else 25.0)
		est.talk_ended(rng.lognormvariate(4.85, 0.83))
		est.wrap_ended(rng.uniform(8, 12))
	return est.stats()


STATS = trained_stats()


def busy_state(**kw) -> PacingState:
	"""20 operators: 2 free, 3 in wrap-up (free within 4 s), 15 talking; 4 calls ringing."""
	defaults = {
		"free_agents": 2,
		"wrapup_elapsed": [8.0, 9.0, 9.5],
		"stats": STATS,
		"talking_elapsed": [float(x) for x in range(10, 310, 20)],
		"dialing_elapsed": [1.0, 3.0, 7.0, 12.0],
		"window_answered": 2000,
		"window_abandoned": 20,
	}
	defaults.update(kw)
	return PacingState(**defaults)


def test_predictive_dials_ahead_of_free_operators():
	state = busy_state(free_agents=0, dialing_elapsed=[])
	assert Progressive().decide(state) == 0
	assert Predictive().decide(state) > 0  # some operators will be free when the calls are answered


def test_predictive_risk_grows_with_calls():
	p = Predictive()
	state = busy_state()
	risks = [p.risk(state, n) for n in range(1, 30)]
	assert all(0 <= r <= 1 for r in risks)
	assert risks == sorted(risks)
	assert risks[0] < 0.05 < risks[-1]


def test_predictive_is_more_careful_after_abandons():
	calm, tense = Predictive(), Predictive()
	state = busy_state()
	calm.decide(state)
	tense.decide(state)
	# tense sees 40 abandons out of 300 answers since the last tick
	tense.decide(busy_state(answered_total=300, abandoned_total=40))
	calm.decide(busy_state(answered_total=300, abandoned_total=0))
	assert tense.tau < calm.tau
	assert tense.decide(busy_state()) <= calm.decide(busy_state())


def test_predictive_tapers_then_stops_near_the_target():
	cfg = PredictiveConfig()
	p = Predictive(cfg)
	state = busy_state(free_agents=0, dialing_elapsed=[])
	n_ok = p.decide(state)
	taper = busy_state(free_agents=0, dialing_elapsed=[], window_answered=10000, window_abandoned=280)  # 2.8%
	n_taper = Predictive(cfg).decide(taper)
	stop = busy_state(free_agents=0, dialing_elapsed=[], window_answered=10000, window_abandoned=290)  # 2.9%
	strategy = Predictive(cfg)
	assert strategy.decide(stop) == 0 == progressive_count(stop)
	assert strategy.backing_off
	assert n_ok > n_taper >= 0


def test_predictive_decision_takes_well_under_a_millisecond():
	rng = random.Random(7)
	strategy = Predictive()
	stats = StatsEstimator()
	for _ in range(3000):
		stats.dialed(rng.random() < 0.3, rng.uniform(3, 25))
		stats.talk_ended(rng.lognormvariate(4.9, 0.8))
		stats.wrap_ended(rng.uniform(5, 15))
	snapshot = stats.stats()
	states = [
		PacingState(
			free_agents=rng.randint(0, 4),
			wrapup_elapsed=[rng.uniform(0, 15) for _ in range(rng.randint(0, 6))],
			talking_elapsed=[rng.uniform(0, 600) for _ in range(44)],
			dialing_elapsed=[rng.uniform(0, 25) for _ in range(rng.randint(0, 30))],
			stats=snapshot,
			window_answered=5000,
			window_abandoned=100,
			now=float(i),
		)
		for i in range(2000)
	]
	for s in states[:200]:  # warm the caches
		strategy.decide(s)
	t0 = time.perf_counter()
	for s in states:
		strategy.decide(s)
	per_tick = (time.perf_counter() - t0) / len(states)
	assert per_tick < 1e-3, f"{per_tick * 1e6:.0f} µs per decision"


# --- VICIdial adaptive ---------------------------------------------------------------------------------------


def idle_state(**kw) -> PacingState:
	defaults = {"free_agents": 4, "talking_elapsed": [30.0] * 16, "time_of_day_s": 10 * 3600}
	defaults.update(kw)
	return PacingState(**defaults)


def test_vicidial_goal_formula():
	v = VicidialAdaptive(VicidialConfig(initial_level=2.0))
	# goal = round(2.0 * (4 ready + 16 in call)) = 40; existing = 16 in call + 5 ringing
	assert v.decide(idle_state(dialing_elapsed=[1.0] * 5)) == 40 - 16 - 5
	only_ready = VicidialAdaptive(VicidialConfig(initial_level=2.0, available_only_tally=True))
	assert only_ready.decide(idle_state()) == 0  # round(2 * 4) - 16 in call < 0


def test_vicidial_raises_the_level_while_operators_wait_and_caps_it():
	v = VicidialAdaptive(VicidialConfig(maximum_level=2.5))
	levels = []
	for _ in range(15 * 40):
		v.decide(idle_state())
		levels.append(v.dial_level)
	assert levels[14] == pytest.approx(1.0 * (1 + 4 / 20), abs=1e-3)  # differential 4 of 20 operators
	assert max(levels) == 2.5


def test_vicidial_tapered_drop_rule():
	cfg = VicidialConfig(latest_server_time=1700, initial_level=2.0)
	over = {"today_dialed": 1000, "today_answered": 300, "today_abandoned": 30}  # 10% drops
	# 15:00 → 200 "HHMM hours" left → the level is multiplied by 0.2 (then floored at 1.0)
	v = VicidialAdaptive(cfg)
	for _ in range(15):
		v.decide(idle_state(free_agents=0, time_of_day_s=15 * 3600, **over))
	assert v.dial_level == 1.0
	# 06:00 → more than 1000 left: no tapering yet, over the target or not
	v = VicidialAdaptive(cfg)
	for _ in range(15):
		v.decide(idle_state(free_agents=0, time_of_day_s=6 * 3600, **over))
	assert v.dial_level == 2.0
	# 16:00 → 100 left: x 0.1; 17:30 → past the latest time: 1.0
	v = VicidialAdaptive(VicidialConfig(latest_server_time=1700, initial_level=3.0))
	for _ in range(15):
		v.decide(idle_state(free_agents=0, time_of_day_s=17.5 * 3600, **over))
	assert v.dial_level == 1.0
	hard = VicidialAdaptive(VicidialConfig(method="ADAPT_HARD_LIMIT", initial_level=3.0))
	for _ in range(15):
		hard.decide(idle_state(free_agents=0, **over))
	assert hard.dial_level == 1.0
	average = VicidialAdaptive(VicidialConfig(method="ADAPT_AVERAGE", initial_level=3.0))
	for _ in range(15):
		average.decide(idle_state(free_agents=0, **over))
	assert average.dial_level == 1.5


def test_make_strategy():
	assert make_strategy("preview").name == "preview"
	assert make_strategy("Progressive").name == "progressive"
	assert make_strategy("predictive", setpoint=0.7).config.setpoint == 0.7
	assert make_strategy("adapt-tapered").name == "adapt_tapered"
	with pytest.raises(ValueError):
		make_strategy("random")
	with pytest.raises(ValueError):
		PredictiveConfig(setpoint=0.95, backoff_start=0.9)


# --- learning ------------------------------------------------------------------------------------------------


def test_duration_model_learns_a_distribution():
	rng = random.Random(3)
	m = DurationModel(prior_mean=50.0, bin_s=1.0, max_s=300.0, refresh_every=200)
	for _ in range(5000):
		m.add(rng.uniform(10, 20))
	assert m.mean == pytest.approx(15.0, abs=0.6)
	assert m.quantile(0.5) == pytest.approx(15.0, abs=0.6)
	assert m.survival(9) > 0.97 and m.survival(21) < 0.03
	assert m.p_end_within(12, 10) > 0.95  # lasted 12 s: ends by 22 s
	assert m.survival(0) == 1.0 and m.survival(10_000) < 1e-6
	table = m.survival_table(40)
	assert table == sorted(table, reverse=True)


def test_estimator_learns_the_calls():
	rng = random.Random(5)
	est = StatsEstimator(CallStats(answer_probability=0.5, mean_talk_s=60))
	first = est.stats()
	for _ in range(8000):
		answered = rng.random() < 0.25
		est.dialed(answered, rng.uniform(6, 14) if answered else 25.0)
		est.talk_ended(rng.expovariate(1 / 200))
		est.wrap_ended(8.0)
	s = est.stats()
	assert s is not first and s is est.stats()  # cached until new numbers arrive
	assert s.answer_probability == pytest.approx(0.25, abs=0.03)
	assert s.mean_talk_s == pytest.approx(200, rel=0.1)
	assert s.mean_ring_to_answer_s == pytest.approx(10, abs=1)
	assert s.mean_wrap_s == pytest.approx(8.5, abs=1)
