"""Snooze: a ticket put off until a time. Pure.

Anyone who may work on an open ticket can snooze it, with a reason and a time in the future. Until that
time only its owner (the agent it is assigned to) or the agent who snoozed it can reactivate it early or
change the snooze; everybody else gets a FieldError saying who can. When the time comes the scheduler wakes
it (:func:`expired`, then :func:`wake`) and notifies the owner (or, with no owner, the one who snoozed it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from callcenter_app.common.errors import FieldError

UTC = timezone.utc


@dataclass(frozen=True)
class TicketState:
	id: str
	owner: str | None = None  # the agent the ticket is assigned to
	closed: bool = False  # resolved or closed
	snoozed_until: datetime | None = None  # UTC
	snoozed_by: str | None = None
	snooze_reason: str = ""
	snoozed_at: datetime | None = None

	@property
	def snoozed(self) -> bool:
		return self.snoozed_until is not None


MAX_SNOOZE = timedelta(days=366)


class Wake(NamedTuple):
	state: TicketState
	notify: str | None  # the user to tell that the ticket is back


def _aware(field: str, value) -> datetime:
	if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
		raise FieldError(field, f"must be a time-zone-aware date-time, not {value!r}")
	return value


def _may_change(state: TicketState, user: str) -> bool:
	return user in {state.owner, state.snoozed_by} - {None, ""}


def _who(state: TicketState) -> str:
	names = []
	if state.owner:
		names.append(f"its owner {state.owner}")
	if state.snoozed_by and state.snoozed_by != state.owner:
		names.append(f"{state.snoozed_by}, who snoozed it")
	return " or ".join(names) or "nobody"


def snooze(state: TicketState, until_utc: datetime, reason: str, by_user: str, now: datetime) -> TicketState:
	"""The ticket snoozed until ``until_utc``. Re-snoozing a ticket that is still snoozed is changing the
	snooze: only the owner or the one who snoozed it may."""
	now = _aware("now", now)
	until = _aware("snoozed_until", until_utc)
	if not (by_user or "").strip():
		raise FieldError("by_user", "is required: who snoozes the ticket")
	if state.closed:
		raise FieldError("status", f"ticket {state.id} is closed; reopen it before snoozing it")
	if until <= now:
		raise FieldError(
			"snoozed_until", f"must be in the future; {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC has passed"
		)
	if until > now + MAX_SNOOZE:
		raise FieldError(
			"snoozed_until",
			f"must be within {MAX_SNOOZE.days} days; a ticket put off longer is closed, not snoozed",
		)
	text = (reason or "").strip()
	if not text:
		raise FieldError("snooze_reason", "is required: say why the ticket is put off")
	if state.snoozed and now < state.snoozed_until and not _may_change(state, by_user):
		raise FieldError(
			"by_user", f"ticket {state.id} is already snoozed; only {_who(state)} can change the snooze"
		)
	return replace(
		state,
		snoozed_until=until.astimezone(UTC),
		snoozed_by=by_user,
		snooze_reason=text,
		snoozed_at=now.astimezone(UTC),
	)


def reactivate(state: TicketState, by_user: str, now: datetime) -> TicketState:
	"""The ticket active again. Before its time only the owner or the one who snoozed it may do this;
	once the time has passed anyone may."""
	now = _aware("now", now)
	if not state.snoozed:
		raise FieldError("snoozed_until", f"ticket {state.id} is not snoozed")
	if now < state.snoozed_until and not _may_change(state, by_user):
		raise FieldError(
			"by_user",
			f"only {_who(state)} can reactivate ticket {state.id} before "
			f"{state.snoozed_until.astimezone(UTC):%Y-%m-%d %H:%M} UTC; it comes back by itself then",
		)
	return _cleared(state)


def wake(state: TicketState, now: datetime) -> Wake:
	"""The scheduler's reactivation of a ticket whose time has come, and whom to notify."""
	now = _aware("now", now)
	if not state.snoozed:
		raise FieldError("snoozed_until", f"ticket {state.id} is not snoozed")
	if now < state.snoozed_until:
		raise FieldError("snoozed_until", f"ticket {state.id} is snoozed until later; it cannot wake yet")
	return Wake(_cleared(state), state.owner or state.snoozed_by)


def expired(snoozed_tickets: Iterable[TicketState], now: datetime) -> list[str]:
	"""The ids of the snoozed tickets whose time has come (``snoozed_until <= now``), earliest first.
	Tickets that are not snoozed are ignored."""
	now = _aware("now", now)
	due = [t for t in snoozed_tickets if t.snoozed_until is not None and t.snoozed_until <= now]
	due.sort(key=lambda t: t.snoozed_until)
	return [t.id for t in due]


def _cleared(state: TicketState) -> TicketState:
	return replace(state, snoozed_until=None, snoozed_by=None, snooze_reason="", snoozed_at=None)
