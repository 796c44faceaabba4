"""How much occupancy more information would buy: the predictive policy with knowledge no dialer has.

Used by ``bench_dialer.py --bounds`` (section f). Three information levels, the same risk-threshold policy
(:class:`~callcenter_app.dialer.pacing.Predictive` with a fixed risk ``tau``: no controller, no back-off),
the same simulated world:

- ``learned``: what the dialer really knows: elapsed talk, wrap-up and ring times and learned distributions;
- ``operators known``: plus the exact instant every busy operator will be free (talk end + wrap-up drawn in
  advance), so the supply side has no uncertainty at all;
- ``operators + answers known``: plus, for every call already dialed, whether it will be answered (not
  when), so the only uncertainty left is the ring time and the new calls' outcomes.

Sweeping ``tau`` traces each level's abandon/occupancy frontier; where it crosses 3% abandon is the most
occupancy that level of knowledge can give this policy. Benchmark-only code: it reaches into the simulator's
internals on purpose and is not part of the app.
"""

from __future__ import annotations

from itertools import pairwise

from callcenter_app.dialer import simulator as sim
from callcenter_app.dialer.pacing import Predictive, PredictiveConfig

LEVELS = ("learned", "operators known", "operators + answers known")


def fixed_risk_config(tau: float) -> PredictiveConfig:
	"""The predictive policy with a constant risk threshold: the controller and the back-off switched off."""
	return PredictiveConfig(
		tau0=tau,
		tau_min=min(tau, 0.002),
		gain=1e-12,
		setpoint=0.98,
		backoff_start=0.99,
		backoff_at=1.0,
		min_answered=10**12,
	)


class _KnowingSim(sim._Sim):
	"""The simulator, drawing each wrap-up when the call connects and remembering every call's outcome."""

	def __init__(self, *args, **kwargs) -> None:
		super().__init__(*args, **kwargs)
		self.free_at: dict[int, float] = {}  # operator → the instant they will be free again
		self.will_answer: dict[int, bool] = {}  # call id → answered or not (known as the call is dialed)

	def push(self, t: float, kind: int, ref: int) -> None:
		if kind == sim._RESOLVE:
			self.will_answer[ref if ref >= 0 else -ref - 1] = ref >= 0
		super().push(t, kind, ref)

	def connect(self, t: float, op: int) -> None:
		self.day.connected += 1
		self.talking[op] = t
		talk = self.talk_time()
		self.free_at[op] = t + talk + self.rng.lognormvariate(self.wrap_mu, self.wrap_sigma)
		self.push(t + talk, sim._TALK_END, op)

	def talk_end(self, t: float, op: int) -> None:
		start = self.talking.pop(op)
		self.est.talk_ended(t - start)
		self.day.talk_s += max(0.0, min(t, self.shift_end) - start)
		self.wrapping[op] = t
		self.push(self.free_at[op], sim._WRAP_END, op)

	def resolve(self, t: float, ref: int) -> None:
		self.will_answer.pop(ref if ref >= 0 else -ref - 1, None)
		super().resolve(t, ref)


class _Knowing(Predictive):
	"""Predictive whose outlook uses what the simulation knows instead of distributions."""

	def __init__(self, config: PredictiveConfig, answers_known: bool) -> None:
		super().__init__(config)
		self.answers_known = answers_known
		self.sim: _KnowingSim | None = None

	def _outlook(self, state):
		s, t, g = self.sim, state.now, self.config.grace_s
		busy = [s.free_at[op] - t for op in (*s.talking, *s.wrapping)]
		if self.answers_known:
			answer = self._models[2]
			ringing = [t - d for cid, d in s.dialing.items() if s.will_answer.get(cid)]
			demand = None
		else:
			demand = self._sum_rows(state.dialing_elapsed, self._call_cache, self._call_row)
		base = state.waiting_calls - state.free_agents
		out = []
		for k, a in enumerate(self._a):
			h = self._horizons[k]
			if self.answers_known:
				qs = [answer.p_end_within(e, h) for e in ringing]
				m, v = base + sum(qs), sum(q * (1.0 - q) for q in qs)
			elif demand:
				m, v = base + demand[2 * k], demand[2 * k + 1]
			else:
				m, v = base, 0.0
			m -= sum(1 for r in busy if r <= h + g)
			out.append((m, v, a, a * (1.0 - a)))
		return out


def run_level(level: str, tau: float, params: sim.SimParams, days: int, seed: int) -> sim.SimResult:
	"""One simulation of the fixed-``tau`` policy at one information level."""
	if level == "learned":
		return sim.run(Predictive(fixed_risk_config(tau)), params, days=days, seed=seed)
	strategy = _Knowing(fixed_risk_config(tau), answers_known=level != "operators known")
	world = _KnowingSim(strategy, params, seed, None)
	strategy.sim = world
	result = sim.SimResult(strategy.name, params, seed, [world.run_day(d) for d in range(days)])
	return result


def at_target(points: list[tuple[float, float]], target_pct: float = 3.0) -> float | None:
	"""Occupancy where a frontier of (abandon %, occupancy %) points crosses ``target_pct`` abandon, by
	linear interpolation between the two points around it (None when the sweep does not bracket it)."""
	pts = sorted(points)
	for (a0, o0), (a1, o1) in pairwise(pts):
		if a0 <= target_pct <= a1 and a1 > a0:
			return o0 + (o1 - o0) * (target_pct - a0) / (a1 - a0)
	return None
