"""The hopper: which contacts to dial next, and what an outcome does to a contact.

Pure functions over plain records (the Frappe glue loads CC Campaign Contact, CC Callback and CC DNC Number
rows into these dataclasses and writes the results back).

Picking (:func:`pick`) never offers a contact that

- is on the do-not-call list (global or the campaign's),
- is outside its calling window in any of its time zones (see :mod:`.windows`),
- has no attempts left (``attempts >= max_attempts``),
- is waiting for its retry delay (``next_attempt_at`` in the future),
- is final (completed or closed) or already being dialed,
- has a callback that is not yet due, or a private callback that belongs to another operator.

Order: due callbacks first (the operator's own private ones, then public ones, each oldest due first), then
higher ``priority``, then the earliest ``next_attempt_at`` (or ``created_at`` for fresh contacts), then id.

Private callbacks are offered only when the hopper is filled for their owner (``operator=``); a pool fill for
predictive dialing (``operator=None``) skips them, since the answered call could reach any operator.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from callcenter_app.dialer.windows import CallWindow, is_callable_at, zones_for_number

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class Status(str, Enum):
	NEW = "New"
	RETRY = "Retry"
	CALLBACK = "Callback"
	DIALING = "Dialing"  # picked and not finished: never picked twice
	COMPLETED = "Completed"  # final, successful
	CLOSED = "Closed"  # final, not successful (final outcome, attempts used up, do not call)

	@property
	def final(self) -> bool:
		return self in (Status.COMPLETED, Status.CLOSED)


DIALABLE = frozenset({Status.NEW, Status.RETRY, Status.CALLBACK})


@dataclass(frozen=True)
class Contact:
	id: str
	number: str  # E.164
	status: Status = Status.NEW
	attempts: int = 0
	max_attempts: int = 3
	next_attempt_at: dt.datetime | None = None
	priority: int = 0  # higher is dialed first
	timezones: tuple[str, ...] = ()  # empty: derived from the number (or the campaign's default zone)
	created_at: dt.datetime | None = None

	def __post_init__(self) -> None:
		if self.max_attempts < 1:
			raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
		if self.attempts < 0:
			raise ValueError(f"attempts must be >= 0, got {self.attempts}")
		object.__setattr__(self, "status", Status(self.status))
		object.__setattr__(self, "timezones", tuple(self.timezones))


@dataclass(frozen=True)
class Callback:
	"""A callback request. Public: any operator of the campaign; private: only ``owner``."""

	contact_id: str
	due_at: dt.datetime
	owner: str | None = None
	private: bool = False

	def __post_init__(self) -> None:
		if self.private and not self.owner:
			raise ValueError("a private callback needs an owner (the operator who set it)")

	def offered_to(self, operator: str | None) -> bool:
		return not self.private or (operator is not None and operator == self.owner)


@dataclass(frozen=True)
class Pick:
	contact: Contact
	callback: Callback | None = None  # set when the contact is dialed because its callback is due


def contact_zones(contact: Contact, default_tz: str) -> tuple[str, ...]:
	return contact.timezones or zones_for_number(contact.number, default_tz)


def pick(
	contacts: Iterable[Contact],
	now: dt.datetime,
	n: int,
	windows: Sequence[CallWindow],
	*,
	dnc: Collection[str] = frozenset(),
	campaign_dnc: Collection[str] = frozenset(),
	callbacks: Iterable[Callback] = (),
	operator: str | None = None,
	default_tz: str = "UTC",
) -> list[Pick]:
	"""The next ``n`` contacts to dial at ``now`` (aware), best first. See the module docstring for the rules."""
	if now.tzinfo is None:
		raise ValueError("now must be timezone-aware")
	if n <= 0:
		return []
	pending: dict[str, Callback] = {}
	for cb in callbacks:
		old = pending.get(cb.contact_id)
		# one callback per contact: the earliest; at equal times a private one wins (it is the stricter)
		if old is None or (cb.due_at, not cb.private) < (old.due_at, not old.private):
			pending[cb.contact_id] = cb

	ranked: list[tuple[tuple, Pick]] = []
	for seq, c in enumerate(contacts):
		if c.status not in DIALABLE or c.attempts >= c.max_attempts:
			continue
		if c.number in dnc or c.number in campaign_dnc:
			continue
		cb = pending.get(c.id)
		if cb is not None:
			if cb.due_at > now or not cb.offered_to(operator):
				continue
			key = (0, 0 if cb.private else 1, cb.due_at, -c.priority, c.id, seq)
		else:
			if c.next_attempt_at is not None and c.next_attempt_at > now:
				continue
			since = c.next_attempt_at or c.created_at or EPOCH
			key = (1, 1, EPOCH, -c.priority, since, c.id, seq)
		ranked.append((key, Pick(c, cb)))

	out: list[Pick] = []
	# Window checks cost the most (time zone conversions): make them only on the best candidates, in order.
	for p in _in_order(ranked):
		if is_callable_at(contact_zones(p.contact, default_tz), windows, now, default_tz):
			out.append(p)
			if len(out) == n:
				break
	return out


def _in_order(ranked: list[tuple[tuple, Pick]]) -> Iterable[Pick]:
	"""The picks by key, lazily: O(n) to heapify, O(log n) per pick taken."""
	heap = [(key, i) for i, (key, _) in enumerate(ranked)]
	heapq.heapify(heap)
	while heap:
		_, i = heapq.heappop(heap)
		yield ranked[i][1]


@dataclass(frozen=True)
class OutcomeRule:
	"""What an outcome does. Non-final outcomes retry after ``retry_delay_s`` (or at the callback time)."""

	final: bool = False
	success: bool = False
	retry_delay_s: float = 3600.0
	schedules_callback: bool = False
	add_to_dnc: bool = False

	def __post_init__(self) -> None:
		if self.success and not self.final:
			raise ValueError("a successful outcome must be final")
		if self.retry_delay_s < 0:
			raise ValueError(f"retry_delay_s must be >= 0, got {self.retry_delay_s}")
		if self.schedules_callback and self.final:
			raise ValueError("an outcome that schedules a callback cannot be final")


DEFAULT_RULES: Mapping[str, OutcomeRule] = {
	"success": OutcomeRule(final=True, success=True),
	"refused": OutcomeRule(final=True),
	"wrong_number": OutcomeRule(final=True),
	"do_not_call": OutcomeRule(final=True, add_to_dnc=True),
	"no_answer": OutcomeRule(retry_delay_s=2 * 3600),
	"busy": OutcomeRule(retry_delay_s=15 * 60),
	"failed": OutcomeRule(retry_delay_s=10 * 60),  # congestion, network error
	"answering_machine": OutcomeRule(retry_delay_s=4 * 3600),
	# Ofcom: a number whose call was abandoned is called again within 72 h only with a live operator
	"abandoned": OutcomeRule(retry_delay_s=72 * 3600),
	"callback": OutcomeRule(schedules_callback=True, retry_delay_s=24 * 3600),
}


@dataclass(frozen=True)
class OutcomeResult:
	contact: Contact
	callback: Callback | None = None  # a new callback to store
	add_to_dnc: bool = False
	exhausted: bool = False  # closed because the attempts ran out


def apply_outcome(
	contact: Contact,
	outcome: str,
	now: dt.datetime,
	rules: Mapping[str, OutcomeRule] = DEFAULT_RULES,
	*,
	callback_at: dt.datetime | None = None,
	callback_owner: str | None = None,
	private_callback: bool = False,
) -> OutcomeResult:
	"""The contact after one attempt ended with ``outcome``.

	Every outcome counts as an attempt; attempts never go above ``max_attempts``. A final outcome closes the
	contact (Completed when successful). Otherwise, with attempts left, the contact is retried after the
	rule's delay, or at ``callback_at`` for a callback (default: ``now`` + the rule's delay); with none
	left it is closed, and a requested callback is not created (it would be an attempt over the maximum).
	"""
	if now.tzinfo is None:
		raise ValueError("now must be timezone-aware")
	try:
		rule = rules[outcome]
	except KeyError:
		raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(sorted(rules))}") from None
	if contact.status.final:
		raise ValueError(f"contact {contact.id} is already {contact.status.value}")
	attempts = min(contact.attempts + 1, contact.max_attempts)
	if rule.final:
		status = Status.COMPLETED if rule.success else Status.CLOSED
		return OutcomeResult(
			replace(contact, attempts=attempts, status=status, next_attempt_at=None),
			add_to_dnc=rule.add_to_dnc,
		)
	if attempts >= contact.max_attempts:
		return OutcomeResult(
			replace(contact, attempts=attempts, status=Status.CLOSED, next_attempt_at=None),
			add_to_dnc=rule.add_to_dnc,
			exhausted=True,
		)
	if rule.schedules_callback:
		due = callback_at or now + dt.timedelta(seconds=rule.retry_delay_s)
		if due.tzinfo is None:
			raise ValueError("callback_at must be timezone-aware")
		cb = Callback(contact.id, due, owner=callback_owner, private=private_callback)
		updated = replace(contact, attempts=attempts, status=Status.CALLBACK, next_attempt_at=due)
		return OutcomeResult(updated, callback=cb, add_to_dnc=rule.add_to_dnc)
	due = now + dt.timedelta(seconds=rule.retry_delay_s)
	return OutcomeResult(
		replace(contact, attempts=attempts, status=Status.RETRY, next_attempt_at=due),
		add_to_dnc=rule.add_to_dnc,
	)


@dataclass
class Hopper:
	"""A small in-memory hopper over :func:`pick` for a runner that keeps contacts in memory (tests, CLI)."""

	windows: Sequence[CallWindow]
	default_tz: str = "UTC"
	contacts: dict[str, Contact] = field(default_factory=dict)
	callbacks: dict[str, Callback] = field(default_factory=dict)
	dnc: set[str] = field(default_factory=set)
	campaign_dnc: set[str] = field(default_factory=set)
	rules: Mapping[str, OutcomeRule] = field(default_factory=lambda: dict(DEFAULT_RULES))

	def add(self, *contacts: Contact) -> None:
		for c in contacts:
			self.contacts[c.id] = c

	def next(self, now: dt.datetime, n: int = 1, operator: str | None = None) -> list[Pick]:
		picks = pick(
			self.contacts.values(),
			now,
			n,
			self.windows,
			dnc=self.dnc,
			campaign_dnc=self.campaign_dnc,
			callbacks=self.callbacks.values(),
			operator=operator,
			default_tz=self.default_tz,
		)
		for p in picks:
			self.contacts[p.contact.id] = replace(p.contact, status=Status.DIALING)
			if p.callback is not None:
				self.callbacks.pop(p.contact.id, None)
		return picks

	def finish(self, contact_id: str, outcome: str, now: dt.datetime, **kwargs) -> OutcomeResult:
		contact = self.contacts[contact_id]
		result = apply_outcome(contact, outcome, now, self.rules, **kwargs)
		self.contacts[contact_id] = result.contact
		if result.callback is not None:
			self.callbacks[contact_id] = result.callback
		if result.add_to_dnc:
			self.campaign_dnc.add(contact.number)
		return result
