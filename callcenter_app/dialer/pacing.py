"""Pacing: how many calls a campaign dials on this tick (about once a second).

Every strategy has the same interface, ``decide(state: PacingState) -> int``; a strategy object lives as long
as its campaign runs (the predictive ones keep a little state between ticks).

- :class:`Preview`: 0 — the operator sees the contact and dials it.
- :class:`Progressive`: one call per free operator, minus the calls already in flight.
- :class:`Predictive`: dials ahead of operators who are about to be free. See its docstring.
- :class:`VicidialAdaptive` (``ADAPT_TAPERED`` by default): VICIdial's adaptive dial level, the baseline.

An answered call that finds no free operator within ``grace_s`` (2 s) hears a recorded message and counts
as *abandoned*; the abandon rate is abandoned / answered calls (abandoned ones included) over the regulatory
window, and its target is at most 3% (:data:`MAX_ABANDON_TARGET`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol

MAX_ABANDON_TARGET = 0.03  # FTC TSR and Ofcom: 3% of live answered calls
DEFAULT_GRACE_S = 2.0


# --- duration distributions -------------------------------------------------------------------------------


class DurationModel:
	"""A duration distribution learned from observations: exponentially decayed counts in fixed-width bins.

	Before any observation it is its prior, an exponential with ``prior_mean`` worth ``prior_weight``
	observations. Counts decay with a half-life of ``half_life`` observations, so the model follows a
	campaign whose calls change. The survival function is rebuilt after 25 new observations, then 50, 100 …
	up to every ``refresh_every`` (and ``version`` then increases), so readers can cache what they compute
	from one version.
	Durations past ``max_s`` share one bin, with an exponential tail of their mean.
	"""

	__slots__ = (
		"_mean",
		"_next_refresh",
		"_pending",
		"_surv",
		"_table",
		"bin_s",
		"counts",
		"half_life",
		"n",
		"overflow_sum",
		"refresh_every",
		"version",
	)

	def __init__(
		self,
		prior_mean: float,
		bin_s: float = 1.0,
		max_s: float = 600.0,
		prior_weight: float = 10.0,
		half_life: float = 2000.0,
		refresh_every: int = 100,
	) -> None:
		if prior_mean <= 0 or bin_s <= 0 or max_s <= bin_s:
			raise ValueError("prior_mean and bin_s must be > 0 and max_s > bin_s")
		self.bin_s = bin_s
		self.n = n = math.ceil(max_s / bin_s)
		edges = [math.exp(-i * bin_s / prior_mean) for i in range(n + 1)]
		self.counts = [prior_weight * (edges[i] - edges[i + 1]) for i in range(n)] + [prior_weight * edges[n]]
		self.overflow_sum = self.counts[n] * (n * bin_s + prior_mean)
		self.refresh_every = refresh_every
		self.half_life = half_life
		self._next_refresh = min(25, refresh_every)  # learn fast at first, then refresh less often
		self._pending = 0
		self.version = 0
		self._surv: list[float] = []
		self._table: tuple[int, list[float]] | None = None
		self._mean = prior_mean
		self._rebuild()

	def add(self, duration: float) -> None:
		d = max(0.0, duration)
		i = int(d / self.bin_s)
		if i >= self.n:
			i = self.n
			self.overflow_sum += d
		self.counts[i] += 1.0
		self._pending += 1
		if self._pending >= self._next_refresh:
			k = 0.5 ** (self._pending / self.half_life)
			self._pending = 0
			self._next_refresh = min(2 * self._next_refresh, self.refresh_every)
			self.counts = [c * k for c in self.counts]
			self.overflow_sum *= k
			self._rebuild()
			self.version += 1

	def _rebuild(self) -> None:
		total = sum(self.counts)
		surv = [0.0] * (self.n + 1)
		acc = 0.0
		for i in range(self.n, -1, -1):
			acc += self.counts[i]
			surv[i] = acc / total
		self._surv = surv  # surv[k] = P(T >= k * bin_s)
		b = self.bin_s
		body = sum(c * (i + 0.5) * b for i, c in enumerate(self.counts[: self.n]))
		self._mean = (body + self.overflow_sum) / total

	@property
	def mean(self) -> float:
		return self._mean

	def survival(self, t: float) -> float:
		"""P(duration > t), linear within a bin, exponential past the last one."""
		if t <= 0:
			return 1.0
		x = t / self.bin_s
		k = int(x)
		s = self._surv
		if k >= self.n:
			tail_n = self.counts[self.n]
			if tail_n <= 0:
				return 0.0
			tail_mean = max(self.overflow_sum / tail_n - self.n * self.bin_s, self.bin_s)
			return s[self.n] * math.exp(-(t - self.n * self.bin_s) / tail_mean)
		return s[k] + (s[k + 1] - s[k]) * (x - k)

	def survival_table(self, upto: int) -> list[float]:
		"""``table[t]`` = P(duration > t) for whole seconds t = 0 … upto (cached per version)."""
		cached = self._table
		if cached is not None and cached[0] == self.version and len(cached[1]) > upto:
			return cached[1]
		b, s, n = self.bin_s, self._surv, self.n
		if b == int(b):  # whole-second bins: interpolate bin by bin
			w = int(b)
			fracs = [j / w for j in range(w)]
			bins = min(n, upto // w + 1)
			table = [lo + (hi - lo) * f for lo, hi in pairwise(s[: bins + 1]) for f in fracs]
			if bins == n:
				table.append(s[n])
			del table[upto + 1 :]
		else:
			table = []
		table += [self.survival(float(t)) for t in range(len(table), upto + 1)]
		self._table = (self.version, table)
		return table

	def cdf(self, t: float) -> float:
		return 1.0 - self.survival(t)

	def p_end_within(self, elapsed: float, horizon: float) -> float:
		"""P(ends within ``horizon`` | has lasted ``elapsed``)."""
		if horizon <= 0:
			return 0.0
		s0 = self.survival(elapsed)
		if s0 <= 1e-12:
			return 1.0
		return max(0.0, min(1.0, (s0 - self.survival(elapsed + horizon)) / s0))

	def quantile(self, q: float) -> float:
		"""The duration below which a fraction ``q`` of durations falls."""
		target = 1.0 - q
		s = self._surv
		for k in range(self.n):
			if s[k + 1] <= target:
				span = s[k] - s[k + 1]
				frac = (s[k] - target) / span if span > 0 else 0.0
				return (k + frac) * self.bin_s
		return self.n * self.bin_s


@dataclass(frozen=True, eq=False)
class CallStats:
	"""What the campaign knows about its calls: means, and (optionally) learned distributions.

	Without the distributions the predictive strategy assumes exponential ones with these means. A new
	object means new numbers: strategies cache what they derive from one object (compared by identity).
	"""

	answer_probability: float = 0.3
	mean_talk_s: float = 180.0
	mean_wrap_s: float = 10.0
	mean_ring_to_answer_s: float = 12.0  # dial → answer, for answered calls
	mean_no_answer_s: float = 25.0  # dial → failure (no answer, busy, congestion)
	talk: DurationModel | None = None
	wrap: DurationModel | None = None
	answer_delay: DurationModel | None = None
	fail_delay: DurationModel | None = None

	def __post_init__(self) -> None:
		if not 0.0 < self.answer_probability <= 1.0:
			raise ValueError(f"answer_probability must be in (0, 1], got {self.answer_probability}")
		for name in ("mean_talk_s", "mean_wrap_s", "mean_ring_to_answer_s", "mean_no_answer_s"):
			if not getattr(self, name) > 0:
				raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")


class StatsEstimator:
	"""Learns :class:`CallStats` from what happens: dial results, talk and wrap-up durations.

	``stats()`` returns the same object until new numbers are published: each distribution after 25, 50, 100 …
	new observations (then every ``refresh_every``), the answer rate every 100 dials; so strategies can cache
	what they derive from one object. Old observations fade with a half-life of ``half_life`` observations.
	"""

	def __init__(
		self, prior: CallStats | None = None, refresh_every: int = 400, half_life: float = 4000.0
	) -> None:
		prior = prior or CallStats()
		kw = {"refresh_every": refresh_every, "half_life": half_life}
		self.talk = DurationModel(prior.mean_talk_s, bin_s=5.0, max_s=3600.0, **kw)
		self.wrap = DurationModel(prior.mean_wrap_s, bin_s=1.0, max_s=600.0, **kw)
		self.answer_delay = DurationModel(prior.mean_ring_to_answer_s, bin_s=1.0, max_s=240.0, **kw)
		self.fail_delay = DurationModel(prior.mean_no_answer_s, bin_s=1.0, max_s=240.0, **kw)
		self._p = prior.answer_probability
		self._p_published = prior.answer_probability
		self._n = 20.0  # the prior's weight, in dials
		self._n_max = half_life / math.log(2)
		self._dials = 0
		self._key: tuple = ()
		self._stats = prior

	def dialed(self, answered: bool, seconds: float) -> None:
		"""A dial ended: answered after ``seconds`` of ringing, or failed after ``seconds``."""
		self._n = min(self._n + 1.0, self._n_max)
		self._p += ((1.0 if answered else 0.0) - self._p) / self._n
		(self.answer_delay if answered else self.fail_delay).add(seconds)
		self._dials += 1
		if self._dials % 100 == 0:
			self._p_published = min(max(self._p, 0.005), 1.0)

	def talk_ended(self, seconds: float) -> None:
		self.talk.add(seconds)

	def wrap_ended(self, seconds: float) -> None:
		self.wrap.add(seconds)

	def stats(self) -> CallStats:
		key = (
			self._p_published,
			self.talk.version,
			self.wrap.version,
			self.answer_delay.version,
			self.fail_delay.version,
		)
		if key != self._key:
			self._key = key
			self._stats = CallStats(
				answer_probability=self._p_published,
				mean_talk_s=self.talk.mean,
				mean_wrap_s=self.wrap.mean,
				mean_ring_to_answer_s=self.answer_delay.mean,
				mean_no_answer_s=self.fail_delay.mean,
				talk=self.talk,
				wrap=self.wrap,
				answer_delay=self.answer_delay,
				fail_delay=self.fail_delay,
			)
		return self._stats


# --- state and interface ------------------------------------------------------------------------------------


@dataclass(slots=True)
class PacingState:
	"""One campaign at one tick.

	Elapsed times are in seconds: of each operator's wrap-up, of each operator's current talk, and of each
	call being dialed or ringing. ``waiting_calls`` are answered calls waiting (within the grace time) for an
	operator. Abandon counters: ``window_*`` over the regulatory window (the rate the law looks at);
	``*_total`` since the campaign started (monotonic; strategies take differences between ticks; when left
	None the window counters stand in); ``today_*`` since local midnight (VICIdial's drop statistics).
	"""

	free_agents: int
	wrapup_elapsed: Sequence[float] = ()
	talking_elapsed: Sequence[float] = ()
	dialing_elapsed: Sequence[float] = ()
	waiting_calls: int = 0
	stats: CallStats = field(default_factory=CallStats)
	window_answered: int = 0
	window_abandoned: int = 0
	target: float = MAX_ABANDON_TARGET
	answered_total: int | None = None
	abandoned_total: int | None = None
	now: float = 0.0
	time_of_day_s: float | None = None  # local seconds since midnight (ADAPT_TAPERED's clock)
	today_dialed: int = 0
	today_answered: int = 0
	today_abandoned: int = 0
	max_lines: int | None = None  # trunk limit on calls being dialed or ringing

	def __post_init__(self) -> None:
		if not 0.0 < self.target <= MAX_ABANDON_TARGET:
			raise ValueError(
				f"target must be in (0, {MAX_ABANDON_TARGET}] (abandon rate as a fraction), got {self.target}"
			)
		if self.free_agents < 0 or self.waiting_calls < 0:
			raise ValueError("free_agents and waiting_calls must be >= 0")
		if self.window_abandoned < 0 or self.window_answered < 0:
			raise ValueError("window counters must be >= 0")

	@property
	def in_flight(self) -> int:
		return len(self.dialing_elapsed)

	@property
	def logged_in(self) -> int:
		return self.free_agents + len(self.wrapup_elapsed) + len(self.talking_elapsed)


class AbandonWindow:
	"""Answered calls over the regulatory window (rolling ``window_s`` seconds) and since the start.

	``count(t, abandoned)`` once per live answered call (abandoned or put through), in time order;
	``expire(now)`` drops what left the window. ``counters()`` are the :class:`PacingState` fields.
	"""

	__slots__ = ("_calls", "abandoned", "abandoned_total", "answered", "answered_total", "window_s")

	def __init__(self, window_s: float) -> None:
		self.window_s = window_s
		self._calls: deque[tuple[float, int]] = deque()  # (time, 1 abandoned / 0 reached an operator)
		self.answered = self.abandoned = 0  # in the window
		self.answered_total = self.abandoned_total = 0  # since the start (monotonic)

	def count(self, t: float, abandoned: bool) -> None:
		self._calls.append((t, 1 if abandoned else 0))
		self.answered += 1
		self.answered_total += 1
		if abandoned:
			self.abandoned += 1
			self.abandoned_total += 1

	def expire(self, now: float) -> None:
		cutoff = now - self.window_s
		calls = self._calls
		while calls and calls[0][0] <= cutoff:
			_, abandoned = calls.popleft()
			self.answered -= 1
			self.abandoned -= abandoned

	def rate(self, now: float) -> float:
		"""Abandoned / answered over the window (0 with no answered call)."""
		self.expire(now)
		return self.abandoned / self.answered if self.answered else 0.0

	def counters(self) -> dict[str, int]:
		return {
			"window_answered": self.answered,
			"window_abandoned": self.abandoned,
			"answered_total": self.answered_total,
			"abandoned_total": self.abandoned_total,
		}


class PacingStrategy(Protocol):
	name: str

	def decide(self, state: PacingState) -> int: ...


def _cap_lines(n: int, state: PacingState) -> int:
	if state.max_lines is not None:
		n = min(n, state.max_lines - state.in_flight)
	return max(0, n)


def progressive_count(state: PacingState) -> int:
	"""One call per free operator, minus the calls in flight and the answered calls already waiting."""
	return _cap_lines(state.free_agents - state.in_flight - state.waiting_calls, state)


class Preview:
	"""The operator previews the contact and dials: no automatic calls."""

	name = "preview"

	def decide(self, state: PacingState) -> int:
		return 0


class Progressive:
	name = "progressive"

	def decide(self, state: PacingState) -> int:
		return progressive_count(state)


# --- predictive ------------------------------------------------------------------------------------------------

_SQRT2 = math.sqrt(2.0)


def _phi(z: float) -> float:
	return 0.5 * math.erfc(-z / _SQRT2)


def _bernoulli(p: float) -> tuple[float, float]:
	"""Mean and variance of a Bernoulli(p) variable."""
	return p, p * (1.0 - p)


@dataclass(frozen=True)
class PredictiveConfig:
	"""Knobs of :class:`Predictive` (defaults are the tuned ones; see benchmarks/RESULTS.md).

	setpoint: the abandon rate aimed at, as a fraction of the target.
	backoff_start / backoff_at: as the window's abandon rate rises from ``backoff_start`` × target to
	    ``backoff_at`` × target, the risk allowed per call shrinks to zero; from ``backoff_at`` on the strategy
	    dials as progressive does (never more than the free operators).
	min_answered: below this many answered calls in the window the rate is judged as if there were this many
	    (an early abandon does not stop the campaign; three do).
	tau0: the starting risk allowed for the last call dialed (P(no operator | answered)).
	gain: integral gain: each abandon divides that risk by e^gain, each answered call multiplies it by
	    e^(gain × setpoint × target), so the long-run rate settles on the setpoint.
	quantiles: answer-time quantiles at which a new call may be answered (its risk is averaged over them).
	tail_quantiles: later instants where supply and demand are compared too (a call answered early can take
	    the operator a later answer needed).
	max_lines_per_agent: cap on calls dialing/ringing per logged-in operator.
	refresh_s: take up newly learned distributions at most this often once the campaign has run a while
	    (every 30 s at first); the tables derived from them are cached in between.
	"""

	setpoint: float = 0.8
	backoff_start: float = 0.85
	backoff_at: float = 0.95
	min_answered: int = 100
	tau0: float = 0.05
	gain: float = 0.2
	tau_min: float = 0.002
	tau_max: float = 0.4
	grace_s: float = DEFAULT_GRACE_S
	quantiles: tuple[float, ...] = (0.2, 0.5, 0.8)
	tail_quantiles: tuple[float, ...] = (0.95,)
	max_lines_per_agent: float = 6.0
	refresh_s: float = 1800.0

	def __post_init__(self) -> None:
		if not 0 < self.setpoint < self.backoff_start <= self.backoff_at <= 1.0:
			raise ValueError("need 0 < setpoint < backoff_start <= backoff_at <= 1")
		if not 0 < self.tau_min <= self.tau0 <= self.tau_max < 0.5:
			raise ValueError("need 0 < tau_min <= tau0 <= tau_max < 0.5")
		levels = (*self.quantiles, *self.tail_quantiles)
		if not self.quantiles or not all(0 < q < 1 for q in levels) or list(levels) != sorted(levels):
			raise ValueError("quantiles and tail_quantiles must be increasing, in (0, 1)")


class Predictive:
	"""Dials for the operators who will be free when the new calls are answered, and no more.

	Each tick it looks at a few instants ``h`` ahead (quantiles of the time a new call takes to be answered)
	and estimates, with a normal approximation:

	- supply S(h): free operators, plus each operator in wrap-up or talking weighted by the probability that
	  they are free by ``h`` + the grace time (learned talk and wrap-up distributions, conditioned on the
	  time already spent);
	- demand D(h): answered calls waiting, plus each call in flight weighted by the probability that it is
	  answered by ``h`` (conditioned on how long it has rung), plus the new calls.

	The N-th new call is placed only if, should it be answered, the probability that it adds an abandon —
	it finds no operator, or it takes the operator a later answer needed (losses up to T are
	max(0, max_{s<=T} D(s) − S(s))) — averaged over its answer time, stays below ``tau``. ``tau`` is an integral controller on abandons
	against answered calls (see :class:`PredictiveConfig`), so the long-run abandon rate settles on the
	setpoint whatever the model's bias. Safety: as the window's measured rate approaches the target the
	allowed risk shrinks to zero, and at ``backoff_at`` × target the strategy dials like progressive (each
	new call has a free operator of its own). It never dials fewer than progressive would otherwise.
	"""

	name = "predictive"

	def __init__(self, config: PredictiveConfig | None = None) -> None:
		self.config = config or PredictiveConfig()
		self.log_tau = math.log(self.config.tau0)
		self._last_totals: tuple[int, int] | None = None
		self._stats: CallStats | None = None
		self._models: tuple[DurationModel, DurationModel, DurationModel, DurationModel] | None = None
		self._horizons: list[float] = []
		self._a: list[float] = []
		self._priors: dict[tuple, DurationModel] = {}
		self._prepared_at = -math.inf
		self._first_prepared = 0.0
		self._keys: dict[str, tuple] = {}
		self._agent_cache: dict[int, tuple[float, ...]] = {}
		self._wrap_cache: dict[int, tuple[float, ...]] = {}
		self._call_cache: dict[int, tuple[float, ...]] = {}
		self.last_risk = 0.0  # diagnostics: the risk of the last call placed on the last tick
		self.backing_off = False

	@property
	def tau(self) -> float:
		return math.exp(self.log_tau)

	# model caches: each rebuilt only when the models it depends on change
	def _model(self, given: DurationModel | None, mean: float, bin_s: float, max_s: float) -> DurationModel:
		if given is not None:
			return given
		key = (mean, bin_s, max_s)
		model = self._priors.get(key)
		if model is None:
			if len(self._priors) > 64:
				self._priors.clear()
			model = self._priors[key] = DurationModel(mean, bin_s=bin_s, max_s=max_s)
		return model

	def _prepare(self, stats: CallStats, now: float | None = None) -> None:
		if stats is self._stats:
			return
		if self._stats is not None and now is not None:
			# keep the derived tables a while: the distributions move slowly. Early on (the first
			# observations replace the priors) refresh every 30 s, stretching to refresh_s.
			age = now - self._first_prepared
			if now - self._prepared_at < min(self.config.refresh_s, max(30.0, age / 4)):
				return
		if self._stats is None and now is not None:
			self._first_prepared = now
		self._stats = stats
		self._prepared_at = now if now is not None else -math.inf
		cfg = self.config
		talk = self._model(stats.talk, stats.mean_talk_s, 5.0, 3600.0)
		wrap = self._model(stats.wrap, stats.mean_wrap_s, 1.0, 600.0)
		answer = self._model(stats.answer_delay, stats.mean_ring_to_answer_s, 1.0, 240.0)
		fail = self._model(stats.fail_delay, stats.mean_no_answer_s, 1.0, 240.0)
		self._models = (talk, wrap, answer, fail)
		p = stats.answer_probability
		# whole seconds: the caches survive small changes of the answer-time distribution
		levels = (*cfg.quantiles, *cfg.tail_quantiles)
		horizons = tuple(max(1, round(answer.quantile(q))) for q in levels)
		self._horizons = list(horizons)
		self._a = [p * q for q in levels]
		self._n_answer = len(cfg.quantiles)
		g = round(cfg.grace_s)
		wrap_points = tuple(round(wrap.quantile(q)) for q in (1 / 6, 0.5, 5 / 6))
		key = (id(talk), talk.version, id(wrap), wrap.version, horizons, g)
		if key != self._keys.get("talk"):
			self._keys["talk"] = key
			self._agent_cache.clear()
			# whole-second table up to 20 minutes of talk (longer talks take the exact, slower path)
			self._talk_table = talk.survival_table(1200 + max(horizons) + g)
			self._talk_offsets = [tuple(max(0, h + g - w) for w in wrap_points) for h in horizons]
			self._talk_reach = max(max(o) for o in self._talk_offsets)
		key = (id(wrap), wrap.version, horizons, g)
		if key != self._keys.get("wrap"):
			self._keys["wrap"] = key
			self._wrap_cache.clear()
			self._wrap_table = wrap.survival_table(180 + max(horizons) + g)
			self._wrap_offsets = [h + g for h in horizons]
		key = (p, id(answer), answer.version, id(fail), fail.version, horizons)
		if key != self._keys.get("call"):
			self._keys["call"] = key
			self._call_cache.clear()
			self._answer_table = answer.survival_table(180 + max(horizons))
			self._fail_table = fail.survival_table(180 + max(horizons))

	@staticmethod
	def _cond_end(table: list[float], model: DurationModel, e: int, x: int) -> float:
		"""P(ends within x | lasted e), from the whole-second survival table (the model past its end)."""
		n = len(table)
		s0 = table[e] if e < n else model.survival(e)
		if s0 <= 1e-12:
			return 1.0
		s1 = table[e + x] if e + x < n else model.survival(e + x)
		return (s0 - s1) / s0

	def _talking_row(self, e: int) -> tuple[float, ...]:
		"""Per horizon: mean and variance of "free by h + grace" for an operator talking for ``e`` seconds.

		Free = the rest of the talk plus a wrap-up (three-point quadrature of the wrap-up distribution).
		"""
		table, talk = self._talk_table, self._models[0]
		row: list[float] = []
		if e + self._talk_reach < len(table):  # the usual case: table lookups only
			s0 = table[e]
			if s0 <= 1e-12:
				return (1.0, 0.0) * len(self._talk_offsets)
			k = 1.0 / (s0 * 3.0)
			for x1, x2, x3 in self._talk_offsets:
				p = (3.0 * s0 - table[e + x1] - table[e + x2] - table[e + x3]) * k
				row += (p, p * (1.0 - p))
			return tuple(row)
		for offsets in self._talk_offsets:
			p = sum(self._cond_end(table, talk, e, x) for x in offsets) / len(offsets)
			row += _bernoulli(p)
		return tuple(row)

	def _wrap_row(self, e: int) -> tuple[float, ...]:
		table, wrap = self._wrap_table, self._models[1]
		row: list[float] = []
		for x in self._wrap_offsets:
			row += _bernoulli(self._cond_end(table, wrap, e, x))
		return tuple(row)

	def _call_row(self, e: int) -> tuple[float, ...]:
		"""Per horizon: mean and variance of "answered within h" for a call ringing for ``e`` seconds."""
		_, _, answer, fail = self._models
		at, ft = self._answer_table, self._fail_table
		n = len(at)
		p = self._stats.answer_probability
		sa = at[e] if e < n else answer.survival(e)
		alive = p * sa + (1.0 - p) * (ft[e] if e < n else fail.survival(e))
		row: list[float] = []
		for h in self._horizons:
			if alive <= 1e-12:
				q = 0.0
			else:
				sa_h = at[e + h] if e + h < n else answer.survival(e + h)
				q = min(max(p * (sa - sa_h) / alive, 0.0), 1.0)
			row += _bernoulli(q)
		return tuple(row)

	@staticmethod
	def _sum_rows(elapsed: Sequence[float], cache: dict[int, tuple[float, ...]], make) -> list[float] | None:
		"""Column sums of the cached rows of the given elapsed times (None when there are none)."""
		if not elapsed:
			return None
		get = cache.__getitem__
		try:
			rows = list(map(get, map(int, elapsed)))
		except KeyError:
			for e in map(int, elapsed):
				if e not in cache:
					cache[e] = make(e)
			rows = list(map(get, map(int, elapsed)))
		return list(map(sum, zip(*rows, strict=True)))

	def _update_controller(self, state: PacingState) -> None:
		cfg = self.config
		answered = state.window_answered if state.answered_total is None else state.answered_total
		abandoned = state.window_abandoned if state.abandoned_total is None else state.abandoned_total
		if self._last_totals is not None:
			d_ans = max(0, answered - self._last_totals[0])
			d_ab = max(0, abandoned - self._last_totals[1])
			if d_ans or d_ab:
				setpoint = cfg.setpoint * state.target
				self.log_tau += cfg.gain * (setpoint * d_ans - d_ab)
				self.log_tau = min(max(self.log_tau, math.log(cfg.tau_min)), math.log(cfg.tau_max))
		self._last_totals = (answered, abandoned)

	def _outlook(self, state: PacingState) -> list[tuple[float, float, float, float]]:
		"""Per horizon: mean and variance of demand − supply before new calls, and of one new call's answer
		by then (a = P(answered by h))."""
		supplies = [
			self._sum_rows(state.talking_elapsed, self._agent_cache, self._talking_row),
			self._sum_rows(state.wrapup_elapsed, self._wrap_cache, self._wrap_row),
		]
		demand = self._sum_rows(state.dialing_elapsed, self._call_cache, self._call_row)
		base = state.waiting_calls - state.free_agents
		out = []
		for k, a in enumerate(self._a):
			i = 2 * k
			m, v = (base + demand[i], demand[i + 1]) if demand else (base, 0.0)
			for col in supplies:
				if col:
					m -= col[i]
					v += col[i + 1]
			out.append((m, v, a, a * (1.0 - a)))
		return out

	def _risk_in(self, outlook: list[tuple[float, float, float, float]], n: int) -> float:
		"""Risk of the n-th new call, averaged over its answer time h_j (the first len(quantiles) horizons).

		Losses up to T are max(0, max_{s<=T} D(s) - S(s)), so a call answered at h adds one iff
		D - S >= 0 at some s >= h: it can find no operator, or take the one a later answer needed.
		P(D - S >= 0) is taken from a normal approximation with a continuity correction.
		"""
		others = n - 1
		total = 0.0
		worst = 0.0
		k = len(outlook)
		for m, v, a, va in reversed(outlook):
			k -= 1
			p = _phi((m + others * a + 0.5) / math.sqrt(max(v + others * va, 0.04)))
			if p > worst:
				worst = p
			if k < self._n_answer:
				total += worst
		return total / self._n_answer

	def risk(self, state: PacingState, n: int) -> float:
		"""P(the n-th new call finds no operator | it is answered), for the state as it is now."""
		self._prepare(state.stats)
		return self._risk_in(self._outlook(state), n)

	def decide(self, state: PacingState) -> int:
		cfg = self.config
		self._update_controller(state)
		floor = progressive_count(state)
		# safety: the measured rate over the regulatory window
		rate = state.window_abandoned / max(state.window_answered, cfg.min_answered)
		start, stop = cfg.backoff_start * state.target, cfg.backoff_at * state.target
		self.backing_off = rate >= stop
		logged_in = state.logged_in
		if self.backing_off or logged_in == 0:
			return floor
		tau = self.tau
		if rate > start:
			tau *= (stop - rate) / (stop - start)
		self._prepare(state.stats, state.now)
		max_lines = int(cfg.max_lines_per_agent * logged_in)
		if state.max_lines is not None:
			max_lines = min(max_lines, state.max_lines)
		room = max_lines - state.in_flight
		if room <= 0:
			return floor
		outlook = self._outlook(state)
		n, self.last_risk = self._most_calls(outlook, tau, room)
		return _cap_lines(max(n, floor), state)

	def _most_calls(
		self, outlook: list[tuple[float, float, float, float]], tau: float, room: int
	) -> tuple[int, float]:
		"""The largest n <= room whose n-th call's risk is <= tau, and that risk (0 calls: 0.0).

		The risk grows with n while it is below 0.5 (tau_max < 0.5), so gallop then bisect: O(log n).
		"""
		risk = self._risk_in
		r1 = risk(outlook, 1) if room >= 1 else 1.0
		if r1 > tau:
			return 0, 0.0
		good, good_r, bad = 1, r1, None
		while bad is None:
			probe = min(good * 2, room)
			if probe == good:
				return good, good_r
			r = risk(outlook, probe)
			if r <= tau:
				good, good_r = probe, r
			else:
				bad = probe
		while bad - good > 1:
			mid = (good + bad) // 2
			r = risk(outlook, mid)
			if r <= tau:
				good, good_r = mid, r
			else:
				bad = mid
		return good, good_r


# --- VICIdial adaptive (baseline) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VicidialConfig:
	"""The campaign settings AST_VDadapt.pl reads, with VICIdial's defaults.

	method: ADAPT_TAPERED, ADAPT_HARD_LIMIT or ADAPT_AVERAGE.
	dropped_percentage: adaptive_dropped_percentage, the drop target in % of answered calls (at most 3).
	maximum_level: adaptive_maximum_level, the cap on the dial level.
	latest_server_time: adaptive_latest_server_time (HHMM): ADAPT_TAPERED tapers to the target by then.
	intensity: adaptive_intensity (-40 … 40): raises (+) or damps (-) each adjustment.
	dl_diff_target: adaptive_dl_diff_target: -1 aims at one operator waiting, +1 at one customer waiting.
	available_only_tally: count only waiting (READY) operators in the dial goal, not those in calls.
	initial_level: auto_dial_level when the campaign starts.
	"""

	method: str = "ADAPT_TAPERED"
	dropped_percentage: float = 3.0
	maximum_level: float = 3.0
	latest_server_time: int = 2100
	intensity: float = 0.0
	dl_diff_target: int = 0
	available_only_tally: bool = False
	initial_level: float = 1.0
	recalc_every_s: int = 15  # AST_VDadapt.pl recalculates the dial level every 15 s
	drops_every_s: int = 60  # and the drop statistics once a minute
	samples: int = 15  # the differential is averaged over the last 15 one-second samples

	def __post_init__(self) -> None:
		if self.method not in ("ADAPT_TAPERED", "ADAPT_HARD_LIMIT", "ADAPT_AVERAGE"):
			raise ValueError(
				f"method must be ADAPT_TAPERED, ADAPT_HARD_LIMIT or ADAPT_AVERAGE, got {self.method!r}"
			)
		if not 0 < self.dropped_percentage <= MAX_ABANDON_TARGET * 100:
			raise ValueError(f"dropped_percentage must be in (0, 3], got {self.dropped_percentage}")
		if self.maximum_level < 1:
			raise ValueError("maximum_level must be >= 1")


class VicidialAdaptive:
	"""VICIdial's adaptive predictive dialing, as AST_VDadapt.pl and AST_VDauto_dial.pl do it.

	Every second (AST_VDauto_dial.pl): goal = round(dial_level × operators), where operators are those waiting
	plus those in calls (only waiting ones with ``available_only_tally``), plus ``dl_diff_target``; calls to
	place = goal − calls that exist (dialing, ringing, answered and waiting, and connected to an operator).
	Operators in wrap-up (VICIdial: PAUSED in the disposition screen) do not count.

	Every second (AST_VDadapt.pl, count_agents_lines): sample waiting operators, waiting calls and all
	logged-in operators. Every 15 s (calculate_dial_level): differential = mean(waiting operators − waiting
	calls) over the last 15 samples, plus ``dl_diff_target``; ``mul`` = differential / mean operators, scaled
	by the intensity ((1 + i/100) when raising, |i/100 − 1| when lowering); dial_level ×= 1 + mul, capped at
	``maximum_level``. Then the drop rules: if more than 20 calls in the last minute and over 50% of them
	dropped, halve; if more than 50 calls today and today's drops exceed ``dropped_percentage`` of today's
	answered calls: HARD_LIMIT → 1.0, AVERAGE → halve, TAPERED → multiply by (latest_server_time − now in
	HHMM) / 1000 when under 10 "hours" are left (no change earlier, 1.0 after the latest time). The level never
	goes below 1.0. Drop statistics are refreshed once a minute.
	"""

	def __init__(self, config: VicidialConfig | None = None) -> None:
		self.config = config or VicidialConfig()
		self.name = self.config.method.lower()
		self.dial_level = self.config.initial_level
		self._ready: deque[int] = deque(maxlen=self.config.samples)
		self._waiting: deque[int] = deque(maxlen=self.config.samples)
		self._total: deque[int] = deque(maxlen=self.config.samples)
		self._since_recalc = 0
		self._since_drops = self.config.drops_every_s  # baseline drop stats on the first tick
		self._today = (0, 0, 0)  # dialed, answered, abandoned, as of the last drop refresh
		self._minute = (0, 0)  # calls and drops in the minute before the last refresh

	def _refresh_drops(self, state: PacingState) -> None:
		now = (state.today_dialed, state.today_answered, state.today_abandoned)
		prev = self._today
		if now[0] < prev[0]:  # a new day: the counters were reset at midnight
			prev = (0, 0, 0)
		self._minute = (now[0] - prev[0], now[2] - prev[2])
		self._today = now

	def _hourmin(self, state: PacingState) -> int:
		t = int(state.time_of_day_s or 0) % 86400
		return (t // 3600) * 100 + (t % 3600) // 60

	def _recalculate(self, state: PacingState) -> None:
		cfg = self.config
		k = len(self._ready)
		if not k:
			return
		agents_avg = sum(self._total) / k
		differential = sum(self._ready) / k - sum(self._waiting) / k
		target = differential + cfg.dl_diff_target
		mul = target / agents_avg if target != 0 and agents_avg != 0 else 0.0
		pct = mul * 100
		imul = cfg.intensity / 100
		intensity_diff = pct * abs(imul - 1) if pct < 0 else pct * (imul + 1)
		level = self.dial_level * (intensity_diff / 100 + 1)
		level = min(level, cfg.maximum_level)
		level = max(level, 1.0)
		calls_one, drops_one = self._minute
		if calls_one > 20 and drops_one / calls_one > 0.5:
			level /= 2
		dialed, answered, dropped = self._today
		if dialed > 50 and answered > 0 and dropped * 100 / answered > cfg.dropped_percentage:
			if cfg.method == "ADAPT_HARD_LIMIT":
				level = 1.0
			elif cfg.method == "ADAPT_AVERAGE":
				level /= 2
			else:
				hours_left = cfg.latest_server_time - self._hourmin(state)
				if hours_left < 0:
					level = 1.0
				else:
					level *= 1.0 if hours_left > 1000 else hours_left / 1000
		self.dial_level = max(round(level, 3), 1.0)

	def decide(self, state: PacingState) -> int:
		cfg = self.config
		talking = len(state.talking_elapsed)
		self._ready.append(state.free_agents)
		self._waiting.append(state.waiting_calls)
		self._total.append(state.logged_in)
		self._since_drops += 1
		if self._since_drops >= cfg.drops_every_s:
			self._since_drops = 0
			self._refresh_drops(state)
		self._since_recalc += 1
		if self._since_recalc >= cfg.recalc_every_s:
			self._since_recalc = 0
			self._recalculate(state)
		agents = state.free_agents if cfg.available_only_tally else state.free_agents + talking
		agents = max(0, agents + cfg.dl_diff_target)
		goal = round(self.dial_level * agents)
		exist = state.in_flight + state.waiting_calls + talking
		return _cap_lines(goal - exist, state)


def make_strategy(name: str, **kwargs) -> PacingStrategy:
	"""``preview``, ``progressive``, ``predictive`` (kwargs → PredictiveConfig) or ``adapt_tapered`` /
	``adapt_hard_limit`` / ``adapt_average`` (kwargs → VicidialConfig)."""
	key = name.lower().replace("-", "_")
	if key == "preview":
		return Preview()
	if key == "progressive":
		return Progressive()
	if key == "predictive":
		return Predictive(PredictiveConfig(**kwargs))
	if key in ("adapt_tapered", "adapt_hard_limit", "adapt_average"):
		return VicidialAdaptive(VicidialConfig(method=key.upper(), **kwargs))
	raise ValueError(f"unknown pacing strategy {name!r}")
