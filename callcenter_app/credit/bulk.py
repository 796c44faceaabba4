"""Many top-up credits at once (the exact matches of a bank statement import), pure: which credits become
ledger entries, in which order, with which running balances, and what happens to the others.

The Frappe side (``credit.service.confirm_top_ups``) locks the rows in :func:`lock_order`, reads what
is stored (:class:`TopUpState`, :class:`AccountState`, :class:`KnownEntry`), asks :func:`plan` what to do,
and writes the plan with one multi-row INSERT of the entries, one UPDATE of the balances and one of the
top-ups. The rules are ``confirm_top_up`` → ``post_entry``'s, credit by credit, in the given order:

=========  =========================================================================================
outcome    when
=========  =========================================================================================
posted     a new Top-up entry: the top-up is open, in its account's currency, the account not closed,
           the key new and of a Top-up (``ledger.check_entry``)
already    the top-up's entry (or the key's, the same posting) came from this very source (a re-run):
           nothing is posted, the source points at that entry
other      the top-up was credited by another source (a webhook, a decision, an earlier line), or the
           key holds the same posting from elsewhere (``post_entry``'s replay: the top-up then points at
           it): nothing is posted, the money is listed for a decision
refused    anything else (no such top-up or account, another currency, a closed account, a key used
           by another posting): nothing is posted, the reason names the field
=========  =========================================================================================

Idempotency is the per-entry path's: one entry per key (``bank:<account>:<line id>``), one credit per
top-up, whatever the order and however often the same credits are planned again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import ledger

POSTED, ALREADY, OTHER, REFUSED = "posted", "already", "other", "refused"
CONFIRMED = "Confirmed"
CLOSED = "Closed"


@dataclass(frozen=True, slots=True)
class Credit:
	"""One wanted credit: ``amount_minor`` (what arrived) to ``top_up``, from ``source``, under ``key``."""

	top_up: str
	amount_minor: int
	key: str
	source_doctype: str
	source_name: str


@dataclass(frozen=True, slots=True)
class TopUpState:
	name: str
	account: str
	currency: str
	status: str
	amount_minor: int  # requested
	ledger_entry: str | None = None


@dataclass(frozen=True, slots=True)
class AccountState:
	name: str
	currency: str
	status: str
	balance_minor: int


@dataclass(frozen=True, slots=True)
class KnownEntry:
	"""A stored entry the credits may collide with: by key, or as a top-up's ledger entry."""

	name: str
	key: str
	account: str
	kind: str
	amount_minor: int
	source_doctype: str | None = None
	source_name: str | None = None


@dataclass(frozen=True, slots=True)
class Posting:
	credit: Credit
	account: str
	currency: str
	balance_after_minor: int
	requested_minor: int  # the top-up's requested amount (the remark names it when it differs)


@dataclass(frozen=True, slots=True)
class Outcome:
	status: str
	entry: str | None = None  # the entry that credited the top-up (already / other)
	reason: str = ""


@dataclass
class Plan:
	postings: list[Posting] = field(default_factory=list)
	outcomes: dict[str, Outcome] = field(default_factory=dict)  # source name → outcome (posted too)
	balances: dict[str, int] = field(default_factory=dict)  # account → balance after the postings
	confirm: list[tuple[str, int]] = field(default_factory=list)  # (top-up, index of its posting)
	relink: list[tuple[str, str]] = field(default_factory=list)  # (top-up, entry) of ``already`` outcomes

	def last_per_account(self) -> dict[str, int]:
		"""account → the index of its last posting: the one whose balance the low-balance rule judges."""
		return {p.account: i for i, p in enumerate(self.postings)}


def lock_order(names: Iterable[str | None]) -> list[str]:
	"""Each name once, sorted: every bulk path locks rows of one table in this order, so two of them (or
	one and a single confirmation, which locks one top-up then one account) never wait on each other in a
	circle."""
	return sorted({n for n in names if n})


def plan(
	credits: Sequence[Credit],
	top_ups: dict[str, TopUpState],
	accounts: dict[str, AccountState],
	known: Iterable[KnownEntry] = (),
) -> Plan:
	"""What to do with ``credits``, in order, given the locked top-ups and accounts and the stored entries
	whose keys the credits carry or that confirmed their top-ups."""
	by_key: dict[str, KnownEntry] = {}
	by_name: dict[str, KnownEntry] = {}
	for e in known:
		by_key[e.key] = e
		by_name[e.name] = e
	out = Plan()
	running = {name: a.balance_minor for name, a in accounts.items()}
	credited: dict[str, str] = {}  # top-up → source credited in this plan
	keys: dict[str, str] = {}  # key → source in this plan

	for c in credits:
		if c.source_name in out.outcomes:
			raise ValueError(f"source {c.source_name} is in the credits twice")
		out.outcomes[c.source_name] = _one(
			c, top_ups, accounts, by_key, by_name, running, credited, keys, out
		)
	out.balances = {a: running[a] for a in lock_order(p.account for p in out.postings)}
	return out


def _one(c, top_ups, accounts, by_key, by_name, running, credited, keys, out) -> Outcome:
	"""One credit, the checks in ``confirm_top_up`` → ``post_entry``'s order."""
	tu = top_ups.get(c.top_up)
	if tu is None:
		return Outcome(REFUSED, reason=f"top_up: no CC Top Up {c.top_up!r}")
	if tu.status == CONFIRMED and tu.ledger_entry:
		entry = by_name.get(tu.ledger_entry)
		if entry is not None and _from(entry, c):
			return Outcome(ALREADY, tu.ledger_entry)
		return Outcome(OTHER, tu.ledger_entry, f"{c.top_up} was confirmed meanwhile by {tu.ledger_entry}")
	if c.top_up in credited:
		return Outcome(OTHER, None, f"{c.top_up} is credited by {credited[c.top_up]} in this import")
	account = accounts.get(tu.account)
	if account is None:
		return Outcome(REFUSED, reason=f"account: no CC Credit Account {tu.account!r}")
	if tu.currency != account.currency:
		return Outcome(
			REFUSED,
			reason=f"currency: top-up {c.top_up} is in {tu.currency}, its account in {account.currency}",
		)
	existing = by_key.get(c.key)
	if existing is not None:
		same = (existing.account, existing.kind, existing.amount_minor) == (
			tu.account,
			ledger.TOP_UP,
			c.amount_minor,
		)
		if not same:
			return Outcome(
				REFUSED,
				existing.name,
				f"idempotency_key: {c.key} was used by entry {existing.name} ({existing.kind} "
				f"{existing.amount_minor} on {existing.account}); a different posting needs its own key",
			)
		# post_entry's replay: the entry stands for this credit and the top-up points at it (a re-run
		# after a crash between the entry and the top-up's mark, or the key posted by hand)
		credited[c.top_up] = c.source_name
		out.relink.append((c.top_up, existing.name))
		if _from(existing, c):
			return Outcome(ALREADY, existing.name)
		return Outcome(OTHER, existing.name, f"{c.top_up} was confirmed meanwhile by {existing.name}")
	if c.key in keys:
		return Outcome(
			REFUSED, reason=f"idempotency_key: {c.key} is used by {keys[c.key]} in this import too"
		)
	if account.status == CLOSED:
		return Outcome(
			REFUSED, reason=f"account: {account.name} is closed: only corrections and refunds can be posted"
		)
	try:
		ledger.check_entry(
			ledger.Entry(c.key, account.name, ledger.TOP_UP, c.amount_minor), balance=running[account.name]
		)
	except ledger.LedgerError as e:
		return Outcome(REFUSED, reason=f"{e.field}: {e.reason}")
	running[account.name] += c.amount_minor
	credited[c.top_up] = c.source_name
	keys[c.key] = c.source_name
	out.confirm.append((c.top_up, len(out.postings)))
	out.postings.append(
		Posting(c, account.name, account.currency, running[account.name], int(tu.amount_minor or 0))
	)
	return Outcome(POSTED)


def _from(entry: KnownEntry, c: Credit) -> bool:
	return entry.source_doctype == c.source_doctype and entry.source_name == c.source_name


def series_names(prefix: str, suffix: str, current: int, count: int, digits: int) -> list[str]:
	"""The next ``count`` names of a naming series whose counter stands at ``current``: what ``count``
	``make_autoname`` calls would give (``prefix`` + the number zero-padded to ``digits`` + ``suffix``)."""
	if count < 0 or current < 0:
		raise ValueError("count and current are never negative")
	return [f"{prefix}{n:0{digits}d}{suffix}" for n in range(current + 1, current + count + 1)]


def chunks(values: Sequence, size: int):
	"""``values`` in slices of at most ``size``."""
	if size < 1:
		raise ValueError("size is at least 1")
	for i in range(0, len(values), size):
		yield values[i : i + size]
