"""The operator console's rules: which contact is the operator's current one, which outcomes an operator
may record, whom a call may be transferred to, which work modes pause and which one resumes. Pure.

The Frappe side (``dialer/console/*service.py``, ``api/console.py``) reads the records, calls these and turns
the :class:`FieldError` list into one message naming each field.

- :func:`current_contact` — the contact the operator is on: the newest of the contacts they claimed (preview)
  and the calls that reached them and still wait for an outcome.
- :func:`outcome_errors` — what is wrong with recording an outcome from the console (disabled, recorded by
  the dialer, callback time missing or past, callback in an inbound campaign).
- :func:`transfer_errors`, :func:`pause_errors`, :func:`resume_mode` — transfer and pause rules.
- :func:`campaign_variable` — a campaign name checked for use as a channel variable on an Originate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.actions import CAMPAIGN_NAME

# The line results the dialer records itself (CC Outcome "system"); an operator may record them only for a
# preview call they dialed themselves, which no dialer watches. "abandoned" is never the operator's to say:
# it means the answered call found no operator.
LINE_RESULTS = frozenset({"no_answer", "busy", "failed", "answering_machine"})
TRANSFER_MODES = ("blind", "attended")
EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Claimed:
	"""A contact marked Dialing for the operator (a preview pick), since ``since``."""

	contact: str
	since: dt.datetime | None = None


@dataclass(frozen=True)
class OpenAttempt:
	"""A CC Call Attempt of the operator without an outcome yet (a call that reached them)."""

	name: str
	contact: str
	started_at: dt.datetime | None = None


@dataclass(frozen=True)
class Current:
	contact: str
	attempt: str | None = None


@dataclass(frozen=True)
class OutcomeChoice:
	"""A CC Outcome as the console needs it."""

	name: str
	code: str
	enabled: bool = True
	system: bool = False
	schedules_callback: bool = False


def _when(value: dt.datetime | None) -> dt.datetime:
	return value.replace(tzinfo=None) if value is not None else EPOCH


def current_contact(claimed: Iterable[Claimed], attempts: Iterable[OpenAttempt]) -> Current | None:
	"""The operator's current contact: the newest claim or open attempt (times in one zone; an unknown time
	is the oldest), with the newest open attempt for that contact. Ties go to the open attempt (the call is
	live), then to the larger name, so the answer never depends on the order of the inputs."""
	attempts = list(attempts)
	events = [(_when(c.since), 0, c.contact, c.contact) for c in claimed]
	events += [(_when(a.started_at), 1, a.name, a.contact) for a in attempts]
	if not events:
		return None
	*_, contact = max(events)
	mine = [a for a in attempts if a.contact == contact]
	newest = max(mine, key=lambda a: (_when(a.started_at), a.name)) if mine else None
	return Current(contact, newest.name if newest else None)


def outcome_errors(
	outcome: OutcomeChoice,
	*,
	direction: str,
	dialer_mode: str,
	dialed_by_operator: bool,
	callback_at: dt.datetime | None,
	private: bool,
	now: dt.datetime,
) -> list[FieldError]:
	"""Every reason the operator may not record ``outcome`` this way (empty: they may).

	``callback_at`` and ``now`` are aware. ``dialed_by_operator``: the attempt is the operator's own preview
	dial (click-to-call), so the line results are theirs to record."""
	errors = []
	if not outcome.enabled:
		errors.append(FieldError("outcome", f"{outcome.name} is disabled"))
	if outcome.system:
		own_line_result = (
			outcome.code in LINE_RESULTS
			and direction == "Outbound"
			and dialer_mode == "Preview"
			and dialed_by_operator
		)
		if not own_line_result:
			errors.append(
				FieldError(
					"outcome",
					f"{outcome.name} is recorded by the dialer itself"
					+ (
						"; an operator records it only for a preview call they dialed"
						if outcome.code in LINE_RESULTS
						else ""
					),
				)
			)
	if outcome.schedules_callback:
		if direction != "Outbound":
			errors.append(
				FieldError(
					"callback_at",
					"this campaign is inbound: nobody would dial the callback; schedule it in an outbound campaign",
				)
			)
		elif callback_at is None:
			errors.append(FieldError("callback_at", f"is required: {outcome.name} schedules a callback"))
		elif callback_at <= now:
			errors.append(FieldError("callback_at", "must be in the future"))
	else:
		if callback_at is not None:
			errors.append(FieldError("callback_at", f"outcome {outcome.name} does not schedule a callback"))
		if private:
			errors.append(
				FieldError("private", f"outcome {outcome.name} schedules no callback to keep private")
			)
	return errors


def transfer_errors(user: str, to_user: str, operators: Collection[str], mode: str) -> list[FieldError]:
	"""A console transfer goes to another active operator of the same campaign, blind or attended."""
	errors = []
	if mode not in TRANSFER_MODES:
		errors.append(FieldError("mode", f"{mode!r} is not one of {', '.join(TRANSFER_MODES)}"))
	if not to_user:
		errors.append(FieldError("to_user", "is required"))
	elif to_user == user:
		errors.append(FieldError("to_user", "is you: choose another operator"))
	elif to_user not in operators:
		errors.append(FieldError("to_user", f"{to_user} is not an active operator of this campaign"))
	return errors


def pause_errors(work_mode: str, receives_calls: Mapping[str, bool]) -> list[FieldError]:
	"""A pause is a switch to an enabled work mode that takes no calls. ``receives_calls``: the enabled
	modes."""
	if not work_mode:
		return [FieldError("work_mode", "is required")]
	if work_mode not in receives_calls:
		return [FieldError("work_mode", f"{work_mode} is not an enabled CC Work Mode")]
	if receives_calls[work_mode]:
		return [FieldError("work_mode", f"{work_mode} takes calls: choose a mode that pauses them")]
	return []


def resume_mode(previous: str | None, receives_calls: Mapping[str, bool], default: str | None) -> str:
	"""The mode to resume in: the one before the pause if it still takes calls, else the login default if it
	does, else the first enabled mode that does (by name). Raises FieldError when none takes calls."""
	for candidate in (previous, default):
		if candidate and receives_calls.get(candidate):
			return candidate
	taking = sorted(name for name, calls in receives_calls.items() if calls)
	if not taking:
		raise FieldError("work_mode", "no enabled CC Work Mode takes calls")
	return taking[0]


def pause_modes(receives_calls: Mapping[str, bool]) -> list[str]:
	"""The enabled modes that pause calls, by name."""
	return sorted(name for name, calls in receives_calls.items() if not calls)


def campaign_variable(name: str) -> str:
	"""``name`` as the value of the CC_CAMPAIGN channel variable (refused if AMI or the dialplan would split
	it)."""
	if not CAMPAIGN_NAME.match(name or ""):  # the dialer's rule for the same variable
		raise FieldError("campaign", f"{name!r} cannot travel on a call (no commas, quotes, |, ; or =)")
	return name
