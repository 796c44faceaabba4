"""QoS % of inbound calls: how close to the queue's Reference Wait Time calls were answered.

Per call:

- unanswered (abandoned in the queue, or no operator ever took it): 0;
- answered exactly at the Reference Wait Time (``reference_wait_s``): 1;
- answered later: falls linearly from 1 at the reference to 0 at the Limit Wait Time (``limit_wait_s``),
  and stays 0 beyond it;
- answered earlier: reduced too, but by a smaller factor: ``1 - early_factor * (reference - wait) / reference``.
  With the default ``early_factor`` 0.5 a call answered at once scores 0.5, a call answered at half the
  reference 0.75. The reasoning: a queue that answers far faster than its reference is over-staffed (money
  spent for nothing the customer asked for), which QoS should show, but that is a smaller fault than making
  customers wait; so the early slope is gentler and never reaches 0 unless ``early_factor`` is 1. With
  ``early_factor`` 0 early answers score 1 (the usual "service level" reading).

Scores are clamped to [0, 1]. QoS % = mean score × 100, computed per group (queue, campaign, period …) by
:func:`qos_by`, or over all calls by :func:`qos_percent`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class QosParams:
	reference_wait_s: float
	limit_wait_s: float
	early_factor: float = 0.5

	def __post_init__(self) -> None:
		for name in ("reference_wait_s", "limit_wait_s", "early_factor"):
			value = getattr(self, name)
			if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
				raise ValueError(f"{name} must be a finite number, got {value!r}")
		if self.reference_wait_s < 0:
			raise ValueError(f"reference_wait_s must be >= 0, got {self.reference_wait_s}")
		if self.limit_wait_s <= self.reference_wait_s:
			raise ValueError(
				f"limit_wait_s ({self.limit_wait_s}) must be greater than reference_wait_s ({self.reference_wait_s})"
			)
		if not 0.0 <= self.early_factor <= 1.0:
			raise ValueError(f"early_factor must be between 0 and 1, got {self.early_factor}")


@dataclass(frozen=True)
class InboundCall:
	"""One inbound call as QoS sees it: answered or not, and the wait before the answer (seconds)."""

	answered: bool
	wait_s: float | None = None  # required when answered
	queue: str = ""
	campaign: str = ""
	started_at: dt.datetime | None = None


def call_score(answered: bool, wait_s: float | None, params: QosParams) -> float:
	"""The QoS score of one call, in [0, 1]."""
	if not answered:
		return 0.0
	if wait_s is None:
		raise ValueError("wait_s is required for an answered call")
	if not math.isfinite(wait_s) or wait_s < 0:
		raise ValueError(f"wait_s must be a finite number >= 0, got {wait_s}")
	ref, limit = params.reference_wait_s, params.limit_wait_s
	if wait_s >= limit:
		return 0.0
	if wait_s >= ref:
		score = 1.0 - (wait_s - ref) / (limit - ref)
	else:  # ref > 0 here, since wait_s >= 0
		score = 1.0 - params.early_factor * (ref - wait_s) / ref
	return min(1.0, max(0.0, score))


@dataclass(frozen=True)
class QosSummary:
	calls: int
	answered: int
	score_sum: float

	@property
	def qos_percent(self) -> float | None:
		"""Mean score × 100; None for no calls."""
		return 100.0 * self.score_sum / self.calls if self.calls else None


def summarize(calls: Iterable[InboundCall], params: QosParams) -> QosSummary:
	n = answered = 0
	total = 0.0
	for c in calls:
		n += 1
		answered += bool(c.answered)
		total += call_score(c.answered, c.wait_s, params)
	return QosSummary(n, answered, total)


def qos_percent(calls: Iterable[InboundCall], params: QosParams) -> float | None:
	"""QoS % over all ``calls``; None when there are none."""
	return summarize(calls, params).qos_percent


def qos_by(
	calls: Iterable[InboundCall], params: QosParams, key: Callable[[InboundCall], K]
) -> dict[K, QosSummary]:
	"""QoS per group: ``key(call)`` names the group, e.g. ``lambda c: (c.queue, period_start(c.started_at, "day"))``.

	Groups come out sorted by key when the keys are comparable, in first-seen order otherwise.
	"""
	acc: dict[K, list] = {}
	for c in calls:
		k = key(c)
		slot = acc.setdefault(k, [0, 0, 0.0])
		slot[0] += 1
		slot[1] += bool(c.answered)
		slot[2] += call_score(c.answered, c.wait_s, params)
	try:
		keys = sorted(acc)
	except TypeError:
		keys = list(acc)
	return {k: QosSummary(*acc[k]) for k in keys}


PERIODS = ("hour", "day", "week", "month")


def period_start(moment: dt.datetime, period: str) -> dt.datetime:
	"""The start of the hour/day/week (Monday)/month that ``moment`` falls in (same tzinfo)."""
	if period == "hour":
		return moment.replace(minute=0, second=0, microsecond=0)
	if period == "day":
		return moment.replace(hour=0, minute=0, second=0, microsecond=0)
	if period == "week":
		day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
		return day - dt.timedelta(days=day.weekday())
	if period == "month":
		return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
	raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")


def by_queue_and_period(
	calls: Iterable[InboundCall], params: QosParams, period: str = "day"
) -> dict[tuple[str, dt.datetime], QosSummary]:
	"""QoS per (queue, period start). Calls without ``started_at`` are an error here."""
	if period not in PERIODS:
		raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")

	def key(c: InboundCall) -> tuple[str, dt.datetime]:
		if c.started_at is None:
			raise ValueError("started_at is required to group calls by period")
		return c.queue, period_start(c.started_at, period)

	return qos_by(calls, params, key)
