"""Campaign records → the hopper's inputs, and the validation rules of the campaign doctypes.

Pure: the Frappe glue (``dialer/service.py`` and the CC Campaign, CC Outcome controllers) passes plain
mappings (``doc.as_dict()``) and turns the :class:`FieldError` list into one message naming each field.

- :func:`check_campaign` / :func:`check_outcome` — every problem with a CC Campaign / CC Outcome, in form
  order (an empty list means it can be saved).
- :func:`windows_from_rows` — the campaign's window rows → :class:`CallWindow` list.
- :func:`outcome_rule` / :func:`merge_rules` — CC Outcome records plus a campaign's retry overrides →
  the ``{code: OutcomeRule}`` table :func:`hopper.apply_outcome` takes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError, collect
from callcenter_app.common.phones import normalize
from callcenter_app.dialer.hopper import DEFAULT_RULES, OutcomeRule
from callcenter_app.dialer.pacing import MAX_ABANDON_TARGET
from callcenter_app.dialer.windows import CallWindow, parse_weekdays

MAX_ABANDON_PERCENT = MAX_ABANDON_TARGET * 100  # 3 %: FTC TSR and Ofcom
DIALER_MODES = ("Preview", "Progressive", "Predictive")
QUEUED_MODES = frozenset({"Progressive", "Predictive"})  # answered calls go to a queue of operators
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# The outcomes the dialer records itself (the call never reached an operator): always there, never disabled.
SYSTEM_CODES = frozenset({"no_answer", "busy", "failed", "answering_machine", "abandoned"})
# The CC Outcome records a new call center starts with: one per rule of hopper.DEFAULT_RULES.
DEFAULT_OUTCOME_NAMES = {
	"success": "Success",
	"refused": "Refused",
	"wrong_number": "Wrong number",
	"do_not_call": "Do not call",
	"no_answer": "No answer",
	"busy": "Busy",
	"failed": "Failed",
	"answering_machine": "Answering machine",
	"abandoned": "Abandoned",
	"callback": "Call back",
}


@dataclass(frozen=True)
class CampaignPlan:
	"""What the dialer needs to know about one campaign, read once per tick."""

	name: str
	status: str
	direction: str
	dialer_mode: str
	call_queue: str | None
	caller_id: str | None
	default_tz: str
	windows: tuple[CallWindow, ...]
	max_attempts: int
	rules: Mapping[str, OutcomeRule]
	abandon_target: float  # a fraction, at most MAX_ABANDON_TARGET
	check_dnc: bool
	amd: bool
	wrapup_seconds: int
	operators: tuple[str, ...]  # active operators


def default_outcomes() -> list[dict]:
	"""The CC Outcome values that give back :data:`hopper.DEFAULT_RULES` (names from DEFAULT_OUTCOME_NAMES)."""
	return [
		{
			"outcome_name": DEFAULT_OUTCOME_NAMES.get(code, code.replace("_", " ").capitalize()),
			"code": code,
			"enabled": 1,
			"system": int(code in SYSTEM_CODES),
			"final": int(rule.final),
			"success": int(rule.success),
			"schedules_callback": int(rule.schedules_callback),
			"add_to_dnc": int(rule.add_to_dnc),
			"retry_after_minutes": round(rule.retry_delay_s / 60),
		}
		for code, rule in DEFAULT_RULES.items()
	]


def time_text(value: object) -> str:
	"""A Time field's value (``datetime.time``, ``timedelta`` as the database returns it, or text) → ``HH:MM:SS``."""
	if isinstance(value, dt.time):
		return value.replace(tzinfo=None).isoformat(timespec="seconds")
	if isinstance(value, dt.timedelta):
		seconds = int(value.total_seconds())
		if not 0 <= seconds < 86400:
			raise ValueError(f"{value} is not a time of day")
		return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
	text = str(value or "").strip()
	if not text:
		raise ValueError("is empty")
	parts = text.split(".", 1)[0].split(":")
	if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
		raise ValueError(f"{text!r} is not a time (use HH:MM)")
	hours, minutes, seconds = (int(p) for p in (*parts, "0")[:3])
	if hours > 23 or minutes > 59 or seconds > 59:
		raise ValueError(f"{text!r} is not a time of day")
	return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def window_from_row(row: Mapping, where: str = "windows[1]") -> CallWindow:
	"""One CC Campaign Window row (``weekdays``, ``start_time``, ``end_time``) → a :class:`CallWindow`."""
	try:
		days = parse_weekdays(str(row.get("weekdays") or ""))
	except ValueError as e:
		raise FieldError(f"{where}.weekdays", str(e)) from None
	times = []
	for key in ("start_time", "end_time"):
		try:
			times.append(time_text(row.get(key)))
		except ValueError as e:
			raise FieldError(f"{where}.{key}", str(e)) from None
	return CallWindow(days, dt.time.fromisoformat(times[0]), dt.time.fromisoformat(times[1]))


def windows_from_rows(rows: Iterable[Mapping]) -> tuple[list[CallWindow], list[FieldError]]:
	"""The campaign's windows, and a FieldError for each row that is not one (``windows[row].field``)."""
	windows: list[CallWindow] = []
	errors: list[FieldError] = []
	for i, row in enumerate(rows, start=1):
		try:
			windows.append(window_from_row(row, f"windows[{row.get('idx') or i}]"))
		except FieldError as e:
			errors.append(e)
	return windows, errors


def outcome_rule(values: Mapping, retry_after_minutes: int | None = None) -> OutcomeRule:
	"""A CC Outcome record (optionally with a campaign's own retry delay) → its :class:`OutcomeRule`."""
	minutes = values.get("retry_after_minutes") if retry_after_minutes is None else retry_after_minutes
	return OutcomeRule(
		final=bool(values.get("final")),
		success=bool(values.get("success")),
		retry_delay_s=max(0, int(minutes or 0)) * 60.0,
		schedules_callback=bool(values.get("schedules_callback")),
		add_to_dnc=bool(values.get("add_to_dnc")),
	)


def merge_rules(
	outcomes: Iterable[Mapping], overrides: Mapping[str, int | None] | None = None
) -> dict[str, OutcomeRule]:
	"""``{code: OutcomeRule}`` for the enabled outcomes; ``overrides`` maps a code to the campaign's delay."""
	overrides = overrides or {}
	rules: dict[str, OutcomeRule] = {}
	for values in outcomes:
		if not values.get("enabled", 1):
			continue
		code = values["code"]
		rules[code] = outcome_rule(values, overrides.get(code))
	return rules


def check_outcome(values: Mapping) -> list[FieldError]:
	"""Every problem with a CC Outcome; the same rules as :class:`OutcomeRule`, each naming its field."""
	v = dict(values)
	return collect(
		lambda: _code(v.get("code")),
		lambda: (
			v.get("success") and not v.get("final") and _raise("final", "a successful outcome must be final")
		),
		lambda: (
			v.get("schedules_callback")
			and v.get("final")
			and _raise("schedules_callback", "an outcome that schedules a callback cannot be final")
		),
		lambda: _whole("retry_after_minutes", v.get("retry_after_minutes") or 0, 0),
	)


def check_campaign(
	values: Mapping,
	*,
	final_outcomes: Collection[str] = (),
	default_region: str | None = None,
) -> list[FieldError]:
	"""Every problem with a CC Campaign (``values`` = ``doc.as_dict()``, child tables as lists of dicts).

	``final_outcomes`` names the CC Outcomes that are final (a retry delay for them means nothing).
	"""
	v = dict(values)
	outbound = (v.get("direction") or "Outbound") == "Outbound"
	mode = v.get("dialer_mode") or ""
	windows, window_errors = windows_from_rows(v.get("windows") or [])
	errors = collect(
		lambda: (
			outbound
			and mode not in DIALER_MODES
			and _raise(
				"dialer_mode",
				f"must be one of {', '.join(DIALER_MODES)} for an outbound campaign, not {mode!r}",
			)
		),
		lambda: _queue(v, outbound, mode),
		lambda: (v.get("caller_id") or "").strip() and _caller_id(v["caller_id"], default_region),
		lambda: validators.timezone("default_timezone", v.get("default_timezone")),
	)
	errors += window_errors
	errors += collect(
		lambda: (
			outbound
			and v.get("status") == "Active"
			and not windows
			and not window_errors
			and _raise("windows", "an active outbound campaign needs at least one calling window")
		),
		lambda: _whole("max_attempts", v.get("max_attempts"), 1),
		lambda: _abandon_target(v.get("abandon_target")),
		lambda: _whole("wrapup_seconds", v.get("wrapup_seconds"), 0),
	)
	errors += _outcome_rows(v.get("outcome_rules") or [], final_outcomes)
	errors += _operator_rows(v.get("operators") or [])
	return errors


def campaign_caller_id(value: str | None, default_region: str | None = None) -> str | None:
	"""The caller ID in E.164 (None when empty); raises FieldError when it is not a phone number."""
	text = (value or "").strip()
	return _caller_id(text, default_region) if text else None


def call_list_number(value: str, default_region: str | None = None, field: str = "phone") -> str:
	"""A customer's number for a call list or the DNC list, in E.164; raises FieldError naming ``field``.

	Internal extensions (which :func:`normalize` accepts for the PBX) are refused: a call list dials out.
	"""
	number = normalize(value, default_region, field=field)
	if not number.startswith("+"):
		raise FieldError(field, f"{value!r} is an internal extension, not a customer's number")
	return number


def _raise(field: str, reason: str):
	raise FieldError(field, reason)


def _code(value) -> str:
	text = (value or "").strip()
	if not CODE.match(text):
		raise FieldError(
			"code",
			f"use 1-40 lower-case letters, digits or '_', starting with a letter (like no_answer), not {value!r}",
		)
	return text


def _whole(field: str, value, minimum: int) -> int:
	try:
		number = int(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a whole number, not {value!r}") from None
	if isinstance(value, float) and value != number:
		raise FieldError(field, f"must be a whole number, not {value!r}")
	if number < minimum:
		raise FieldError(field, f"must be at least {minimum}, not {number}")
	return number


def _abandon_target(value) -> float:
	try:
		percent = float(value)
	except (TypeError, ValueError):
		raise FieldError(
			"abandon_target",
			f"must be a percentage above 0 and at most {MAX_ABANDON_PERCENT:g}, not {value!r}",
		) from None
	if not 0 < percent <= MAX_ABANDON_PERCENT:
		raise FieldError(
			"abandon_target",
			f"must be above 0 and at most {MAX_ABANDON_PERCENT:g} % of answered calls (the legal limit), "
			f"not {percent:g} %",
		)
	return percent


def _queue(v: dict, outbound: bool, mode: str) -> None:
	if v.get("call_queue"):
		return
	if not outbound:
		raise FieldError("call_queue", "is required for an inbound campaign (its calls wait in this queue)")
	if mode in QUEUED_MODES:
		raise FieldError(
			"call_queue", f"is required in {mode} mode (answered calls wait in this queue for an operator)"
		)


def _caller_id(text: str, default_region: str | None) -> str:
	number = normalize(text, default_region, field="caller_id")
	if not number.startswith("+"):
		raise FieldError("caller_id", f"{text!r} is an internal extension; use the number customers see")
	return number


def _outcome_rows(rows: list[Mapping], final_outcomes: Collection[str]) -> list[FieldError]:
	errors: list[FieldError] = []
	seen: set[str] = set()
	for i, row in enumerate(rows, start=1):
		where = f"outcome_rules[{row.get('idx') or i}]"
		outcome = row.get("outcome") or ""
		if not outcome:
			errors.append(FieldError(f"{where}.outcome", "is required"))
			continue
		if outcome in seen:
			errors.append(FieldError(f"{where}.outcome", f"{outcome} is listed twice"))
		seen.add(outcome)
		if outcome in final_outcomes:
			errors.append(FieldError(f"{where}.outcome", f"{outcome} is final: it is never retried"))
		try:
			_whole("retry_after_minutes", row.get("retry_after_minutes"), 0)
		except FieldError as e:
			errors.append(FieldError(f"{where}.retry_after_minutes", e.reason))
	return errors


def _operator_rows(rows: list[Mapping]) -> list[FieldError]:
	errors: list[FieldError] = []
	seen: set[str] = set()
	for i, row in enumerate(rows, start=1):
		where = f"operators[{row.get('idx') or i}].user"
		user = row.get("user") or ""
		if not user:
			errors.append(FieldError(where, "is required"))
		elif user in seen:
			errors.append(FieldError(where, f"{user} is listed twice"))
		seen.add(user)
	return errors
