"""A discrete-event simulator of an outbound campaign, to compare pacing strategies on the same random days.

Model (all times in seconds, one seeded ``random.Random`` per run):

- ``operators`` operators are logged in for the whole shift (``shift_hours`` a day, ``days`` days). Once a
  second the strategy is asked how many calls to dial (it gets a :class:`~.pacing.PacingState` built from the
  simulation and the statistics a :class:`~.pacing.StatsEstimator` learned from what happened so far).
- A dialed number answers with ``answer_probability`` after a ring time (log-normal, ``ring_to_answer_mean``
  from the dial, at least ``min_ring_s``); otherwise it fails: busy/congestion after ``busy_s`` (a share
  ``busy_share`` of the failures) or no answer at ``no_answer_timeout_s``.
- An answered call goes to a free operator at once; if none is free it waits up to ``grace_s`` (2 s) for one,
  then hears the recorded message and counts as *abandoned*. Abandon % = abandoned / answered (answered
  includes abandoned calls).
- Talk time is log-normal (or exponential) with mean ``talk_mean_s``; then the operator spends a wrap-up time
  (log-normal, mean ``wrap_mean_s``) before taking the next call.
- The dialer stops at the end of the shift; calls already placed still connect; talk after the end is not
  counted (it is overtime, outside the logged-in time).

``run(strategy, params, days, seed)`` returns a :class:`SimResult` with per-day and overall figures;
``comparison_table`` formats several results side by side.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from callcenter_app.dialer.pacing import (
	MAX_ABANDON_TARGET,
	AbandonWindow,
	CallStats,
	PacingState,
	PacingStrategy,
	StatsEstimator,
)

DAY_S = 86400.0
# What the strategies assume before the campaign's first calls: deliberately not the simulated truth, so
# the runs include learning the statistics.
NAIVE_PRIOR = CallStats(
	answer_probability=0.2,
	mean_talk_s=120.0,
	mean_wrap_s=15.0,
	mean_ring_to_answer_s=15.0,
	mean_no_answer_s=20.0,
)

# event kinds (ints: cheap to compare in the heap)
_RESOLVE, _TALK_END, _WRAP_END, _GRACE_END = 0, 1, 2, 3


@dataclass(frozen=True)
class SimParams:
	operators: int = 20
	answer_probability: float = 0.30
	ring_to_answer_mean_s: float = 12.0  # dial → answer (call setup + rings), answered calls
	ring_to_answer_cv: float = 0.5
	min_ring_s: float = 3.0
	no_answer_timeout_s: float = 25.0
	busy_share: float = 0.2  # of the failed calls: busy / congestion, ended quickly
	busy_s: float = 5.0
	talk_mean_s: float = 180.0
	talk_cv: float = 1.0
	talk_distribution: str = "lognormal"  # or "exponential"
	wrap_mean_s: float = 10.0
	wrap_cv: float = 0.5
	grace_s: float = 2.0
	shift_hours: float = 8.0
	shift_start_s: float = 9 * 3600.0  # local time of day the shift starts
	window_s: float = DAY_S  # regulatory window of the abandon counters the strategy sees (24 h, Ofcom)
	target: float = MAX_ABANDON_TARGET
	max_lines: int | None = None  # trunk limit on calls dialing/ringing

	def __post_init__(self) -> None:
		if self.operators < 1:
			raise ValueError("operators must be >= 1")
		if not 0 < self.answer_probability <= 1:
			raise ValueError("answer_probability must be in (0, 1]")
		if self.talk_distribution not in ("lognormal", "exponential"):
			raise ValueError("talk_distribution must be 'lognormal' or 'exponential'")
		if self.shift_start_s + self.shift_hours * 3600 > DAY_S:
			raise ValueError("the shift must end before midnight")


@dataclass
class DayResult:
	day: int
	logged_in_s: float = 0.0  # operator-seconds
	dials: int = 0
	answered: int = 0  # live answers, abandoned ones included
	abandoned: int = 0
	connected: int = 0  # answered calls that reached an operator (contacts)
	talk_s: float = 0.0  # operator talk seconds within the shift
	wrap_s: float = 0.0

	def add(self, other: DayResult) -> None:
		for name in ("logged_in_s", "dials", "answered", "abandoned", "connected", "talk_s", "wrap_s"):
			setattr(self, name, getattr(self, name) + getattr(other, name))

	@property
	def abandon_pct(self) -> float:
		return 100.0 * self.abandoned / self.answered if self.answered else 0.0

	@property
	def occupancy_talk(self) -> float:
		"""Talk time / logged-in time (0..1)."""
		return self.talk_s / self.logged_in_s if self.logged_in_s else 0.0

	@property
	def occupancy_busy(self) -> float:
		"""(Talk + wrap-up) / logged-in time (0..1)."""
		return (self.talk_s + self.wrap_s) / self.logged_in_s if self.logged_in_s else 0.0

	@property
	def talk_min_per_hour(self) -> float:
		"""Talk minutes per operator per logged-in hour."""
		return 60.0 * self.occupancy_talk

	@property
	def contacts_per_hour(self) -> float:
		"""Connected calls per operator-hour."""
		return self.connected / (self.logged_in_s / 3600) if self.logged_in_s else 0.0

	@property
	def dials_per_hour(self) -> float:
		return self.dials / (self.logged_in_s / 3600) if self.logged_in_s else 0.0

	def as_dict(self) -> dict:
		"""The counts and the figures derived from them, as plain data (percentages 0..100)."""
		return {
			"dials": self.dials,
			"answered": self.answered,
			"abandoned": self.abandoned,
			"connected": self.connected,
			"logged_in_s": round(self.logged_in_s, 3),
			"talk_s": round(self.talk_s, 3),
			"wrap_s": round(self.wrap_s, 3),
			"abandon_pct": round(self.abandon_pct, 4),
			"occupancy_talk_pct": round(100 * self.occupancy_talk, 4),
			"occupancy_busy_pct": round(100 * self.occupancy_busy, 4),
			"talk_min_per_hour": round(self.talk_min_per_hour, 4),
			"contacts_per_hour": round(self.contacts_per_hour, 4),
			"dials_per_hour": round(self.dials_per_hour, 4),
		}


@dataclass
class SimResult:
	strategy: str
	params: SimParams
	seed: int
	days: list[DayResult]
	wall_s: float = 0.0
	decide_s: float = 0.0  # wall time spent in strategy.decide
	ticks: int = 0

	@property
	def total(self) -> DayResult:
		t = DayResult(day=-1)
		for d in self.days:
			t.add(d)
		return t

	@property
	def worst_day_abandon_pct(self) -> float:
		return max((d.abandon_pct for d in self.days), default=0.0)

	def days_over(self, pct: float) -> int:
		return sum(1 for d in self.days if d.abandon_pct > pct)

	def as_dict(self) -> dict:
		"""Plain data for JSON: the strategy, the parameters, the overall figures and one entry per day."""
		return {
			"strategy": self.strategy,
			"seed": self.seed,
			"params": asdict(self.params),
			"total": self.total.as_dict(),
			"worst_day_abandon_pct": round(self.worst_day_abandon_pct, 4),
			"days": [{"day": d.day + 1, **d.as_dict()} for d in self.days],
			"wall_s": round(self.wall_s, 3),
		}


def _lognormal_params(mean: float, cv: float) -> tuple[float, float]:
	sigma2 = math.log(1.0 + cv * cv)
	return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


class _Sim:
	def __init__(
		self, strategy: PacingStrategy, params: SimParams, seed: int, estimator: StatsEstimator | None
	):
		self.s = strategy
		self.p = params
		self.rng = random.Random(seed)
		self.est = estimator or StatsEstimator(NAIVE_PRIOR)
		# ring time = min_ring_s + a log-normal part carrying the rest of the mean and all of the spread
		ring_rest = max(params.ring_to_answer_mean_s - params.min_ring_s, 0.1)
		ring_sd = params.ring_to_answer_cv * params.ring_to_answer_mean_s
		self.ring_mu, self.ring_sigma = _lognormal_params(ring_rest, ring_sd / ring_rest)
		self.talk_mu, self.talk_sigma = _lognormal_params(params.talk_mean_s, params.talk_cv)
		self.wrap_mu, self.wrap_sigma = _lognormal_params(params.wrap_mean_s, params.wrap_cv)
		self.heap: list[tuple[float, int, int, int]] = []
		self.seq = 0
		self.free: list[int] = list(range(params.operators))
		self.talking: dict[int, float] = {}  # operator → talk start
		self.wrapping: dict[int, float] = {}  # operator → wrap start
		self.dialing: dict[int, float] = {}  # call id → dial time
		self.waiting: deque[tuple[int, float]] = deque()  # (call id, answered at)
		self.waiting_ids: set[int] = set()
		self.next_call = 0
		self.abandons = AbandonWindow(params.window_s)
		self.day: DayResult = DayResult(0)
		self.shift_end = 0.0
		self.today = [0, 0, 0]  # dialed, answered, abandoned (local day)
		self.decide_s = 0.0
		self.ticks = 0

	def push(self, t: float, kind: int, ref: int) -> None:
		self.seq += 1
		heapq.heappush(self.heap, (t, self.seq, kind, ref))

	# --- draws
	def talk_time(self) -> float:
		if self.p.talk_distribution == "exponential":
			return self.rng.expovariate(1.0 / self.p.talk_mean_s)
		return self.rng.lognormvariate(self.talk_mu, self.talk_sigma)

	# --- counters
	def _count(self, t: float, abandoned: bool) -> None:
		self.abandons.count(t, abandoned)
		self.day.answered += 1
		self.today[1] += 1
		if abandoned:
			self.day.abandoned += 1
			self.today[2] += 1

	# --- events
	def dial(self, t: float) -> None:
		p = self.p
		cid = self.next_call
		self.next_call += 1
		self.dialing[cid] = t
		self.day.dials += 1
		self.today[0] += 1
		rng = self.rng
		if rng.random() < p.answer_probability:
			ring = p.min_ring_s + rng.lognormvariate(self.ring_mu, self.ring_sigma)
			self.push(t + ring, _RESOLVE, cid)  # answered (ref >= 0)
		else:
			dur = p.busy_s if rng.random() < p.busy_share else p.no_answer_timeout_s
			self.push(t + dur, _RESOLVE, -cid - 1)  # failed (ref < 0)

	def resolve(self, t: float, ref: int) -> None:
		if ref < 0:
			cid = -ref - 1
			started = self.dialing.pop(cid)
			self.est.dialed(False, t - started)
			return
		started = self.dialing.pop(ref)
		self.est.dialed(True, t - started)
		if self.free:
			self._count(t, False)
			self.connect(t, self.free.pop())
		else:
			self.waiting.append((ref, t))
			self.waiting_ids.add(ref)
			self.push(t + self.p.grace_s, _GRACE_END, ref)

	def connect(self, t: float, op: int) -> None:
		self.day.connected += 1
		self.talking[op] = t
		self.push(t + self.talk_time(), _TALK_END, op)

	def talk_end(self, t: float, op: int) -> None:
		start = self.talking.pop(op)
		self.est.talk_ended(t - start)
		self.day.talk_s += max(0.0, min(t, self.shift_end) - start)
		self.wrapping[op] = t
		self.push(t + self.rng.lognormvariate(self.wrap_mu, self.wrap_sigma), _WRAP_END, op)

	def wrap_end(self, t: float, op: int) -> None:
		start = self.wrapping.pop(op)
		self.est.wrap_ended(t - start)
		self.day.wrap_s += max(0.0, min(t, self.shift_end) - start)
		while self.waiting:
			cid, _answered_at = self.waiting.popleft()
			if cid in self.waiting_ids:
				self.waiting_ids.discard(cid)
				self._count(t, False)
				self.connect(t, op)
				return
		self.free.append(op)

	def grace_end(self, t: float, cid: int) -> None:
		if cid in self.waiting_ids:  # still waiting: the recorded message, abandoned
			self.waiting_ids.discard(cid)
			self._count(t, True)

	def process_until(self, t_end: float) -> None:
		heap = self.heap
		while heap and heap[0][0] <= t_end:
			t, _, kind, ref = heapq.heappop(heap)
			if kind == _RESOLVE:
				self.resolve(t, ref)
			elif kind == _TALK_END:
				self.talk_end(t, ref)
			elif kind == _WRAP_END:
				self.wrap_end(t, ref)
			else:
				self.grace_end(t, ref)

	def state(self, t: float) -> PacingState:
		self.abandons.expire(t)
		return PacingState(
			free_agents=len(self.free),
			wrapup_elapsed=[t - s for s in self.wrapping.values()],
			talking_elapsed=[t - s for s in self.talking.values()],
			dialing_elapsed=[t - s for s in self.dialing.values()],
			waiting_calls=len(self.waiting_ids),
			stats=self.est.stats(),
			target=self.p.target,
			**self.abandons.counters(),
			now=t,
			time_of_day_s=t % DAY_S,
			today_dialed=self.today[0],
			today_answered=self.today[1],
			today_abandoned=self.today[2],
			max_lines=self.p.max_lines,
		)

	def run_day(self, d: int) -> DayResult:
		p = self.p
		start = d * DAY_S + p.shift_start_s
		length = p.shift_hours * 3600.0
		self.shift_end = start + length
		self.day = DayResult(day=d, logged_in_s=p.operators * length)
		self.today = [0, 0, 0]
		self.free = list(range(p.operators))
		ticks = int(length)
		decide = self.s.decide
		clock = time.perf_counter
		for k in range(ticks):
			t = start + k
			self.process_until(t)
			state = self.state(t)
			t0 = clock()
			n = decide(state)
			self.decide_s += clock() - t0
			for _ in range(n):
				self.dial(t)
		self.ticks += ticks
		# after the shift: no new dials; let everything in progress finish
		self.process_until(math.inf)
		return self.day


def run(
	strategy: PacingStrategy | Callable[[], PacingStrategy],
	params: SimParams | None = None,
	days: int = 1,
	seed: int = 0,
	estimator: StatsEstimator | None = None,
	on_day: Callable[[DayResult], None] | None = None,
) -> SimResult:
	"""Simulate ``days`` shifts of one campaign dialed by ``strategy`` (an object, or a factory for one).

	``on_day`` is called with each day's result as soon as that day is simulated (progress reports).
	"""
	params = params or SimParams()
	is_object = hasattr(strategy, "decide") and not isinstance(strategy, type)
	strat = strategy if is_object else strategy()
	sim = _Sim(strat, params, seed, estimator)
	t0 = time.perf_counter()
	results = []
	for d in range(days):
		results.append(sim.run_day(d))
		if on_day is not None:
			on_day(results[-1])
	return SimResult(
		strategy=getattr(strat, "name", type(strat).__name__),
		params=params,
		seed=seed,
		days=results,
		wall_s=time.perf_counter() - t0,
		decide_s=sim.decide_s,
		ticks=sim.ticks,
	)


def comparison_table(results: Sequence[SimResult]) -> str:
	"""One row per result: overall abandon %, worst day, occupancy, talk min/h, contacts and dials per hour."""
	header = (
		f"{'strategy':<16}{'ops':>5}{'days':>5}{'seed':>6}{'abandon %':>11}{'worst day %':>13}"
		f"{'occ talk':>10}{'occ busy':>10}{'talk min/h':>12}{'contacts/h':>12}{'dials/h':>9}"
	)
	lines = [header, "-" * len(header)]
	for r in results:
		t = r.total
		lines.append(
			f"{r.strategy:<16}{r.params.operators:>5}{len(r.days):>5}{r.seed:>6}{t.abandon_pct:>11.2f}"
			f"{r.worst_day_abandon_pct:>13.2f}{100 * t.occupancy_talk:>9.1f}%{100 * t.occupancy_busy:>9.1f}%"
			f"{t.talk_min_per_hour:>12.1f}{t.contacts_per_hour:>12.2f}{t.dials_per_hour:>9.1f}"
		)
	return "\n".join(lines)


def print_comparison(results: Sequence[SimResult]) -> None:
	print(comparison_table(results))
