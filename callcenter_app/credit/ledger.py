"""The ledger's invariants, pure: what an entry may be, and how entries fold into a balance.

Entries are append-only, integers of the account currency's minor unit, signed as they move the balance:

=============  ======  =====================================================================================
kind           sign    rule
=============  ======  =====================================================================================
Top-up         > 0     money received (gateway payment, bank transfer); key ``stripe:``/``paypal:``/``bank:``/``manual:``
Call Charge    < 0     one answered outbound call; key ``call:<CC Call Log name>`` — one charge per call log
Refund         < 0     money paid back to the customer; never more than the balance (spent credit is gone)
Correction     ≠ 0     points (``against``) at a Top-up, Call Charge or Refund of the **same account**, has the
                       opposite sign, and all corrections against one entry together never exceed it
                       (a correction reverses some or all of an entry; it is never corrected itself)
=============  ======  =====================================================================================

A Call Charge may take the balance below zero (a call in progress finishes; the dialer stops placing new
ones at zero). Idempotency: every entry has a key; posting the same entry again changes nothing
(``duplicate``), the same key with other content is refused — a retried webhook, a re-run rating job or a
re-imported statement can therefore never count twice. The Frappe side enforces the key with a unique
column and checks :func:`check_entry` under the account's row lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

TOP_UP = "Top-up"
CALL_CHARGE = "Call Charge"
CORRECTION = "Correction"
REFUND = "Refund"
KINDS = (TOP_UP, CALL_CHARGE, CORRECTION, REFUND)

KEY_PREFIXES: dict[str, tuple[str, ...]] = {
	TOP_UP: ("stripe:", "paypal:", "bank:", "manual:"),
	CALL_CHARGE: ("call:",),
	REFUND: ("refund:", "stripe:", "paypal:", "bank:", "manual:"),
	CORRECTION: ("correction:",),
}
MAX_KEY = 140  # fits a Data column


class LedgerError(ValueError):
	"""An entry the ledger refuses: ``field`` names the entry's field, ``reason`` says why."""

	def __init__(self, field: str, reason: str):
		self.field, self.reason = field, reason
		super().__init__(f"{field}: {reason}")


def charge_key(call_log: str) -> str:
	"""The one key a call log's charge can have."""
	return f"call:{call_log}"


def gateway_key(gateway: str, event_id: str) -> str:
	"""``stripe:evt_…`` / ``paypal:WH-…``: one credit per gateway event."""
	gateway = str(gateway).strip().lower()
	if gateway not in ("stripe", "paypal"):
		raise LedgerError("gateway", f"{gateway!r} is no payment gateway (stripe or paypal)")
	return f"{gateway}:{_part(event_id, 'event_id')}"


def statement_key(bank_account: str, line_id: str) -> str:
	"""``bank:<account>:<bank's line id>``: one credit per statement line, whichever file brought it."""
	return f"bank:{_part(bank_account, 'bank_account')}:{_part(line_id, 'line_id')}"


def _part(value: str, name: str) -> str:
	text = str(value or "").strip()
	if not text:
		raise LedgerError(name, "is empty; an idempotency key needs it")
	return text


@dataclass(frozen=True, slots=True)
class Entry:
	key: str
	account: str
	kind: str
	amount_minor: int
	against: str | None = None  # the key of the entry a correction corrects


def check_shape(entry: Entry) -> None:
	"""Kind, sign and key of one entry on its own."""
	if entry.kind not in KINDS:
		raise LedgerError("kind", f"{entry.kind!r} is no entry kind ({', '.join(KINDS)})")
	amount = entry.amount_minor
	if isinstance(amount, bool) or not isinstance(amount, int):
		raise LedgerError("amount_minor", f"{amount!r} is not a whole number of minor units")
	if amount == 0:
		raise LedgerError("amount_minor", "is 0; an entry moves money")
	if entry.kind == TOP_UP and amount < 0:
		raise LedgerError("amount_minor", "a Top-up is positive")
	if entry.kind in (CALL_CHARGE, REFUND) and amount > 0:
		raise LedgerError("amount_minor", f"a {entry.kind} is negative (it takes credit away)")
	if not entry.account:
		raise LedgerError("account", "is empty")
	key = entry.key or ""
	if not key.startswith(KEY_PREFIXES[entry.kind]) or len(key) > MAX_KEY or len(key.split(":", 1)[1]) == 0:
		raise LedgerError(
			"idempotency_key",
			f"{key!r} is no key for a {entry.kind} (starts with {' or '.join(KEY_PREFIXES[entry.kind])}, "
			f"at most {MAX_KEY} characters)",
		)
	if entry.kind == CORRECTION and not entry.against:
		raise LedgerError("against", "a Correction names the entry it corrects")
	if entry.kind != CORRECTION and entry.against:
		raise LedgerError("against", f"only a Correction points at another entry, not a {entry.kind}")


def check_entry(
	entry: Entry,
	*,
	balance: int,
	target: Entry | None = None,
	corrected_so_far: int = 0,
) -> None:
	"""Every rule for posting ``entry`` given the account's ``balance`` before it, the entry it corrects
	(``target``, looked up by ``entry.against``) and the sum of the corrections already posted against it."""
	check_shape(entry)
	if entry.kind == REFUND and balance + entry.amount_minor < 0:
		raise LedgerError(
			"amount_minor", f"refund of {-entry.amount_minor} is more than the balance {balance}"
		)
	if entry.kind != CORRECTION:
		return
	if target is None:
		raise LedgerError("against", f"{entry.against!r} is no entry of this ledger")
	if target.account != entry.account:
		raise LedgerError("against", f"{entry.against!r} belongs to another account ({target.account})")
	if target.kind == CORRECTION:
		raise LedgerError("against", "a Correction cannot be corrected; correct the original entry")
	if (target.amount_minor > 0) == (entry.amount_minor > 0):
		raise LedgerError("amount_minor", f"a correction of a {target.kind} has the opposite sign")
	if abs(corrected_so_far + entry.amount_minor) > abs(target.amount_minor):
		left = abs(target.amount_minor) - abs(corrected_so_far)
		raise LedgerError(
			"amount_minor",
			f"corrects {abs(entry.amount_minor)} but only {left} of {entry.against!r} is left to correct",
		)


@dataclass
class Ledger:
	"""An in-memory ledger applying the rules: the model the property tests check the Frappe side against."""

	entries: dict[str, Entry] = field(default_factory=dict)
	balances: dict[str, int] = field(default_factory=dict)
	corrected: dict[str, int] = field(default_factory=dict)

	def post(self, entry: Entry) -> str:
		"""``"posted"``, or ``"duplicate"`` when this very entry was posted before; raises otherwise."""
		known = self.entries.get(entry.key)
		if known is not None:
			if known == entry:
				return "duplicate"
			raise LedgerError("idempotency_key", f"{entry.key!r} was used for another entry")
		target = self.entries.get(entry.against) if entry.against else None
		check_entry(
			entry,
			balance=self.balances.get(entry.account, 0),
			target=target,
			corrected_so_far=self.corrected.get(entry.against, 0) if entry.against else 0,
		)
		self.entries[entry.key] = entry
		self.balances[entry.account] = self.balances.get(entry.account, 0) + entry.amount_minor
		if entry.against:
			self.corrected[entry.against] = self.corrected.get(entry.against, 0) + entry.amount_minor
		return "posted"

	def balance(self, account: str) -> int:
		return self.balances.get(account, 0)


def fold(entries: Iterable[Entry]) -> dict[str, int]:
	"""Balances per account: the sum of each account's entries, each key counted once."""
	seen: set[str] = set()
	totals: dict[str, int] = {}
	for entry in entries:
		if entry.key in seen:
			continue
		seen.add(entry.key)
		totals[entry.account] = totals.get(entry.account, 0) + entry.amount_minor
	return totals


def balance(entries: Iterable[Entry], account: str) -> int:
	return fold(e for e in entries if e.account == account).get(account, 0)


def below_threshold(balance_minor: int, threshold_minor: int, notified: bool) -> tuple[bool, bool]:
	"""The low-balance notice: ``(send_now, notified_after)``. One notice when the balance falls to or
	below the threshold; armed again only once a top-up lifts it above."""
	if balance_minor > threshold_minor:
		return False, False
	return (not notified), True


def can_dial(balance_minor: int) -> bool:
	"""New calls are placed only while the account has credit left (> 0)."""
	return balance_minor > 0
