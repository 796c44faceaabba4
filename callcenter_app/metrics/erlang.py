"""Staffing advice with Erlang C (pure): how many agents an interval's calls need for a target service level.

For ``calls`` offered in an interval of ``interval_s`` seconds with an average handling time ``aht_s``:

- traffic ``A = calls × aht_s / interval_s`` (Erlangs);
- Erlang B by the recursion ``B(0) = 1``, ``B(n) = A·B(n-1) / (n + A·B(n-1))`` — no factorials, no powers,
  so it stays finite and exact to rounding for any traffic (thousands of Erlangs);
- Erlang C, the probability that a call waits: ``C = N·B / (N - A·(1 - B))`` for ``N > A`` (1 otherwise:
  with ``N <= A`` agents the queue grows without bound);
- service level, the share answered within ``target_s``: ``1 - C·exp(-(N - A)·target_s / aht_s)``;
- average speed of answer: ``C·aht_s / (N - A)``; occupancy ``A / N``.

:func:`agents_needed` is the smallest ``N`` whose service level reaches the target (at least ``A``
rounded up, plus one). The published check (e.g. callcentrehelper.com's Erlang C example): 100 calls in
30 minutes, AHT 180 s, 80 % in 20 s → 14 agents, service level 88.84 %, ASA 7.84 s, occupancy 71.4 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError

MAX_AGENTS = 100_000  # far beyond any call center; a guard against a loop that cannot end


@dataclass(frozen=True)
class Staffing:
	"""The advice for one interval. ``agents`` 0 when no call is offered (then the rest is None)."""

	agents: int
	traffic: float  # Erlangs
	service_level: float | None  # 0..1, expected with ``agents``
	asa_s: float | None  # expected average speed of answer
	occupancy: float | None  # 0..1
	wait_probability: float | None  # Erlang C


def _number(field: str, value, *, positive: bool = False) -> float:
	if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
		raise FieldError(field, f"must be a finite number, not {value!r}")
	if value < 0 or (positive and value == 0):
		raise FieldError(field, f"must be {'more than' if positive else 'at least'} 0, not {value:g}")
	return float(value)


def traffic(calls: float, aht_s: float, interval_s: float) -> float:
	"""Offered traffic in Erlangs."""
	calls = _number("calls", calls)
	aht_s = _number("aht_s", aht_s)
	interval_s = _number("interval_s", interval_s, positive=True)
	return calls * aht_s / interval_s


def erlang_b(agents: int, traffic_erlangs: float) -> float:
	"""Blocking probability of ``agents`` servers under ``traffic_erlangs``, by the stable recursion."""
	if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
		raise FieldError("agents", f"must be a whole number 0 or more, not {agents!r}")
	a = _number("traffic", traffic_erlangs)
	b = 1.0
	for n in range(1, agents + 1):
		b = a * b / (n + a * b)
	return b


def erlang_c_from_b(agents: int, a: float, b: float) -> float:
	"""Erlang C (probability of waiting) from Erlang B of the same ``agents`` and traffic ``a``."""
	if agents <= a:
		return 1.0
	return agents * b / (agents - a * (1.0 - b))


def erlang_c(agents: int, traffic_erlangs: float) -> float:
	"""The probability that a call has to wait (1 when ``agents <= traffic``)."""
	a = _number("traffic", traffic_erlangs)
	return erlang_c_from_b(agents, a, erlang_b(agents, a))


def service_level(agents: int, traffic_erlangs: float, aht_s: float, target_s: float) -> float:
	"""Expected share of calls answered within ``target_s`` (0 when ``agents <= traffic``)."""
	a = _number("traffic", traffic_erlangs)
	aht_s = _number("aht_s", aht_s, positive=True)
	target_s = _number("target_s", target_s)
	return _service_level(agents, a, erlang_c(agents, a), aht_s, target_s)


def _service_level(agents: int, a: float, c: float, aht_s: float, target_s: float) -> float:
	if agents <= a:
		return 0.0
	return max(0.0, 1.0 - c * math.exp(-(agents - a) * target_s / aht_s))


def asa(agents: int, traffic_erlangs: float, aht_s: float) -> float:
	"""Expected average speed of answer in seconds (infinite when ``agents <= traffic``)."""
	a = _number("traffic", traffic_erlangs)
	aht_s = _number("aht_s", aht_s, positive=True)
	if agents <= a:
		return math.inf
	return erlang_c(agents, a) * aht_s / (agents - a)


def agents_needed(
	calls: float, aht_s: float, interval_s: float, target_sl: float, target_s: float
) -> Staffing:
	"""The fewest agents whose expected service level within ``target_s`` reaches ``target_sl`` (0 to 1,
	exclusive of 1: no number of agents answers every call within a finite time for sure).

	Raises :class:`FieldError` naming the input and the reason.
	"""
	a = traffic(calls, aht_s, interval_s)
	target_sl = _number("target_sl", target_sl)
	if not 0 < target_sl < 1:
		raise FieldError("target_sl", f"must be more than 0 and less than 1 (a share), not {target_sl:g}")
	target_s = _number("target_s", target_s)
	if a == 0:
		return Staffing(0, 0.0, None, None, None, None)
	n = math.floor(a) + 1
	b = erlang_b(n, a)
	while n <= MAX_AGENTS:
		c = erlang_c_from_b(n, a, b)
		sl = _service_level(n, a, c, aht_s, target_s)
		if sl >= target_sl:
			return Staffing(n, a, sl, c * aht_s / (n - a), a / n, c)
		n += 1
		b = a * b / (n + a * b)
	raise FieldError("calls", f"would need more than {MAX_AGENTS} agents ({a:.0f} Erlangs)")
