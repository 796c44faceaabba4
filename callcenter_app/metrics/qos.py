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
:func:`qos_by`, or over all calls by :func:`qos_percent`. A :class:`QosSummary` also carries the counts and
sums a queue report shows (answered within the reference, average wait to answer, average talk), and
summaries computed with different parameters (one queue each) add up with :func:`combine`.

:func:`queue_params` turns a queue's three QoS fields into :class:`QosParams`, a wait time left at 0 taking
the call center's default.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from callcenter_app.common.errors import FieldError

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
	talk_s: float | None = None  # answered calls: talk time, for the average (QoS does not use it)


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
	"""QoS of a group of calls, with the counts and sums behind a queue report's columns.

	``within_reference``: answered calls that waited no longer than the reference wait time.
	``answered_wait_sum``: total wait of the answered calls (for the average speed of answer).
	``talk_sum`` / ``talk_count``: total talk time of the answered calls whose talk time is known.
	"""

	calls: int
	answered: int
	score_sum: float
	within_reference: int = 0
	answered_wait_sum: float = 0.0
	talk_sum: float = 0.0
	talk_count: int = 0

	@property
	def qos_percent(self) -> float | None:
		"""Mean score × 100; None for no calls."""
		return 100.0 * self.score_sum / self.calls if self.calls else None

	@property
	def unanswered(self) -> int:
		return self.calls - self.answered

	@property
	def average_wait_s(self) -> float | None:
		"""Mean wait of the answered calls (average speed of answer); None when none was answered."""
		return self.answered_wait_sum / self.answered if self.answered else None

	@property
	def average_talk_s(self) -> float | None:
		"""Mean talk time of the answered calls whose talk time is known; None when there are none."""
		return self.talk_sum / self.talk_count if self.talk_count else None


class _Tally:
	"""Running sums for one group of calls scored with one set of parameters."""

	__slots__ = ("answered", "calls", "params", "score_sum", "talk_count", "talk_sum", "wait_sum", "within")

	def __init__(self, params: QosParams) -> None:
		self.params = params
		self.calls = self.answered = self.within = self.talk_count = 0
		self.score_sum = self.wait_sum = self.talk_sum = 0.0

	def add(self, call: InboundCall) -> None:
		self.calls += 1
		self.score_sum += call_score(call.answered, call.wait_s, self.params)  # checks the wait first
		if call.answered:
			self.answered += 1
			self.wait_sum += call.wait_s
			self.within += call.wait_s <= self.params.reference_wait_s
			if call.talk_s is not None:
				self.talk_sum += call.talk_s
				self.talk_count += 1

	def summary(self) -> QosSummary:
		return QosSummary(
			self.calls,
			self.answered,
			self.score_sum,
			self.within,
			self.wait_sum,
			self.talk_sum,
			self.talk_count,
		)


def summarize(calls: Iterable[InboundCall], params: QosParams) -> QosSummary:
	tally = _Tally(params)
	for c in calls:
		tally.add(c)
	return tally.summary()


def combine(summaries: Iterable[QosSummary]) -> QosSummary:
	"""One summary for the calls of several: counts and sums add up, so the QoS % of the result is the mean
	score over all their calls (each call scored with its own group's parameters)."""
	fields = [0, 0, 0.0, 0, 0.0, 0.0, 0]
	for s in summaries:
		for i, value in enumerate(
			(
				s.calls,
				s.answered,
				s.score_sum,
				s.within_reference,
				s.answered_wait_sum,
				s.talk_sum,
				s.talk_count,
			)
		):
			fields[i] += value
	return QosSummary(*fields)


def qos_percent(calls: Iterable[InboundCall], params: QosParams) -> float | None:
	"""QoS % over all ``calls``; None when there are none."""
	return summarize(calls, params).qos_percent


def qos_by(
	calls: Iterable[InboundCall], params: QosParams, key: Callable[[InboundCall], K]
) -> dict[K, QosSummary]:
	"""QoS per group: ``key(call)`` names the group, e.g. ``lambda c: (c.queue, period_start(c.started_at, "day"))``.

	Groups come out sorted by key when the keys are comparable, in first-seen order otherwise.
	"""
	acc: dict[K, _Tally] = {}
	for c in calls:
		k = key(c)
		tally = acc.get(k)
		if tally is None:
			tally = acc[k] = _Tally(params)
		tally.add(c)
	try:
		keys = sorted(acc)
	except TypeError:
		keys = list(acc)
	return {k: acc[k].summary() for k in keys}


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


def queue_params(reference_wait, limit_wait, early_factor, defaults: QosParams) -> QosParams:
	"""A queue's QoS parameters from its fields ``qos_reference_wait``, ``qos_limit_wait`` (whole seconds;
	0 or empty takes the wait time from ``defaults``) and ``qos_early_factor`` (0 to 1; empty takes the
	default, 0 is a value: early answers are not reduced).

	Raises :class:`FieldError` naming the field and the reason.
	"""
	own_ref = _seconds("qos_reference_wait", reference_wait)
	own_limit = _seconds("qos_limit_wait", limit_wait)
	ref = own_ref or defaults.reference_wait_s
	limit = own_limit or defaults.limit_wait_s
	if limit <= ref:
		ref_text = f"{ref:g} s" + ("" if own_ref else ", the default from CC Settings")
		limit_text = f"{limit:g} s" + ("" if own_limit else ", the default from CC Settings")
		raise FieldError(
			"qos_limit_wait", f"must be greater than the reference wait time ({ref_text}), not {limit_text}"
		)
	if early_factor is None or early_factor == "":
		factor = defaults.early_factor
	else:
		try:
			factor = float(early_factor)
		except (TypeError, ValueError):
			raise FieldError(
				"qos_early_factor", f"must be a number from 0 to 1, not {early_factor!r}"
			) from None
		if not 0.0 <= factor <= 1.0:  # NaN fails this too
			raise FieldError("qos_early_factor", f"must be from 0 to 1, not {factor:g}")
	return QosParams(reference_wait_s=ref, limit_wait_s=limit, early_factor=factor)


def _seconds(field: str, value) -> float:
	if value is None or value == "":
		return 0
	if isinstance(value, bool):
		raise FieldError(field, f"must be a number of seconds, not {value!r}")
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a number of seconds, not {value!r}") from None
	if not math.isfinite(number) or number < 0:
		raise FieldError(field, f"must be a number of seconds, 0 or more, not {value!r}")
	return number
