"""Rating answered outbound calls against a rate plan.

A plan has rows ``prefix → rate per minute`` (E.164 digits without ``+``; the longest prefix that starts the
destination wins), one billing increment, a connection fee and a minimum charge, all in the plan's currency.

Rules (decided here, documented in the package README):

- **Billing increment** ``"a/b"``: the first ``a`` seconds are billed as soon as the call lasts 1 s, then each
  started block of ``b`` seconds. ``"60/60"`` bills whole minutes, ``"30/6"`` half a minute then 6-second
  steps, ``"1/1"`` per second. Billed seconds: ``0`` for 0 s, ``a`` up to ``a`` s, else
  ``a + ceil((s - a) / b) * b``.
- **Amount** = connection fee + rate × billed seconds / 60, computed exactly (the rate may have more decimals
  than the currency) and rounded **once per call, up** to the next whole minor unit; then raised to the
  minimum charge if below it. The minimum charge covers the connection fee (it is the least a connected
  call costs, all included).
- **Free calls**: an unanswered call, or an answered one with 0 billable seconds, costs nothing — no
  connection fee, no minimum charge (the callee never spoke; a fee for a failed setup would be billed for
  the network's fault). Its charge has ``amount_minor == 0`` and ``billed_seconds == 0``.
- **No rate**: a destination no prefix matches, or that is no E.164 number, is *not* free: :func:`rate`
  returns :class:`NoRate` with the reason, and the caller reports it (the call stays uncharged and listed).
  Unanswered calls never need a rate, so they are free even without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from callcenter_app.common.errors import FieldError

from . import money

MAX_PREFIX_DIGITS = 15  # E.164 numbers have at most 15 digits
MAX_INCREMENT_S = 3600


@dataclass(frozen=True, slots=True)
class Increment:
	first: int
	next: int

	def billed_seconds(self, seconds: int) -> int:
		if seconds <= 0:
			return 0
		if seconds <= self.first:
			return self.first
		return self.first + -(-(seconds - self.first) // self.next) * self.next

	def __str__(self) -> str:
		return f"{self.first}/{self.next}"


def parse_increment(text: str, *, field: str = "billing_increment") -> Increment:
	"""``"30/6"`` → ``Increment(30, 6)``; both parts whole seconds from 1 to 3600."""
	parts = str(text).strip().split("/")
	if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
		raise FieldError(field, f"{text!r} is no increment: write first/next seconds, e.g. 60/60 or 30/6")
	first, nxt = (int(p) for p in parts)
	if not (1 <= first <= MAX_INCREMENT_S and 1 <= nxt <= MAX_INCREMENT_S):
		raise FieldError(field, f"{text!r}: both parts must be 1 to {MAX_INCREMENT_S} seconds")
	return Increment(first, nxt)


@dataclass(frozen=True, slots=True)
class Rate:
	prefix: str
	per_minute: Decimal  # major units of the plan's currency per minute
	description: str = ""
	# per_minute in minor units = num / den (den a power of ten), for exact integer arithmetic
	num: int = 0
	den: int = 1


@dataclass(frozen=True, slots=True)
class Call:
	"""What rating needs from a call: the dialled number, whether it was answered, its billable seconds."""

	destination: str
	answered: bool
	billable_s: int
	key: str = ""  # the call log's name, carried through for reports


class Charge(NamedTuple):  # a NamedTuple: built a million times a run, a frozen dataclass is 3x slower
	amount_minor: int
	billed_seconds: int
	prefix: str | None
	rate: Decimal | None
	currency: str


class NoRate(NamedTuple):
	"""The call cannot be rated: it is reported, never silently free."""

	destination: str
	reason: str


@dataclass(frozen=True)
class RatePlan:
	currency: str
	increment: Increment
	connection_fee_minor: int = 0
	minimum_charge_minor: int = 0
	rates: dict[str, Rate] = field(default_factory=dict)
	_lengths: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

	def __post_init__(self):
		object.__setattr__(self, "_lengths", tuple(sorted({len(p) for p in self.rates}, reverse=True)))

	def lookup(self, digits: str) -> Rate | None:
		"""The rate of the longest prefix that starts ``digits``."""
		get = self.rates.get
		for n in self._lengths:
			rate = get(digits[:n])
			if rate is not None:
				return rate
		return None


def _minor_fraction(per_minute: Decimal, exp: int) -> tuple[int, int]:
	sign, digits, e = (per_minute.scaleb(exp)).normalize().as_tuple()
	num = int("".join(map(str, digits)) or "0")
	if sign:
		num = -num
	if e >= 0:
		return num * 10**e, 1
	return num, 10**-e


def make_plan(
	currency: str,
	increment: str | Increment,
	rows: Iterable[tuple[str, str | Decimal, str] | tuple[str, str | Decimal]],
	*,
	connection_fee: str | Decimal | int = "0",
	minimum_charge: str | Decimal | int = "0",
) -> RatePlan:
	"""A validated plan. ``rows`` are ``(prefix, rate per minute[, description])``; prefixes are digits
	(a leading ``+`` is dropped), 1 to 15 of them, each once; rates are 0 or more, any precision."""
	currency = money.normalize_currency(currency)
	exp = money.exponent(currency)
	inc = increment if isinstance(increment, Increment) else parse_increment(increment)
	rates: dict[str, Rate] = {}
	for i, row in enumerate(rows, 1):
		prefix, per_minute = str(row[0]).strip().removeprefix("+"), row[1]
		description = str(row[2]) if len(row) > 2 and row[2] is not None else ""
		where = f"rates row {i}"
		if not prefix.isdigit() or not prefix.isascii() or len(prefix) > MAX_PREFIX_DIGITS:
			raise FieldError(
				"prefix", f"{where}: {row[0]!r} is no prefix (1 to 15 digits of an E.164 number)"
			)
		if prefix in rates:
			raise FieldError("prefix", f"{where}: prefix {prefix} is listed twice")
		value = money.to_decimal(per_minute, field="rate_per_minute")
		if value < 0:
			raise FieldError("rate_per_minute", f"{where}: {per_minute} is negative")
		num, den = _minor_fraction(value, exp)
		rates[prefix] = Rate(prefix, value, description, num, den)
	return RatePlan(
		currency=currency,
		increment=inc,
		connection_fee_minor=money.to_minor(connection_fee, currency, field="connection_fee"),
		minimum_charge_minor=money.to_minor(minimum_charge, currency, field="minimum_charge"),
		rates=rates,
	)


def destination_digits(number: str) -> str | None:
	"""E.164 ``+4930123`` (or its digits) → ``"4930123"``; anything else → None."""
	text = str(number or "").strip()
	digits = text[1:] if text.startswith("+") else text
	if (
		not digits.isdigit()
		or not digits.isascii()
		or not 2 <= len(digits) <= MAX_PREFIX_DIGITS
		or digits[0] == "0"
	):
		return None
	return digits


def rate(call: Call, plan: RatePlan) -> Charge | NoRate:
	"""The charge for one call (see the module doc for the rules)."""
	seconds = call.billable_s
	if type(seconds) is not int or seconds < 0:
		raise FieldError("billable_s", f"{seconds!r} is not a whole number of seconds ≥ 0")
	if not call.answered or seconds == 0:
		return Charge(0, 0, None, None, plan.currency)
	digits = destination_digits(call.destination)
	if digits is None:
		return NoRate(call.destination, "the destination is not an E.164 number")
	get = plan.rates.get
	for n in plan._lengths:
		found = get(digits[:n])
		if found is not None:
			break
	else:
		return NoRate(call.destination, f"no rate in the plan for {call.destination}")
	inc = plan.increment
	if seconds <= inc.first:
		billed = inc.first
	else:
		billed = inc.first + -(-(seconds - inc.first) // inc.next) * inc.next
	# ceil(num * billed / (den * 60)), exact in integers
	amount = plan.connection_fee_minor + -(-(found.num * billed) // (found.den * 60))
	if amount < plan.minimum_charge_minor:
		amount = plan.minimum_charge_minor
	return Charge(amount, billed, found.prefix, found.per_minute, plan.currency)
