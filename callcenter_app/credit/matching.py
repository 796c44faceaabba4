"""Statement lines → top-up requests.

Each incoming line gets one status:

==============  ===================================================================================  ========
status          when                                                                                  credited
==============  ===================================================================================  ========
matched         its reference is an open top-up's, same currency, exactly the amount still owed       yes, automatically
partial         … less than owed                                                                      no: listed
over            … more than owed (or the top-up was paid already, by an earlier line or import)       no: listed
wrong_currency  its reference is a top-up's, in another currency                                      no: listed
unmatched       no reference, a reference no top-up has, or several different top-ups' references     no: listed
duplicate       its line id was imported before (an earlier import, or earlier in the same file)       never
==============  ===================================================================================  ========

Only ``matched`` lines may be credited without a person; the rest wait for the Accountant's decision
(credit this amount / reject). The reference is looked for in the structured reference first (CAMT
``CdtrRefInf``), then in the remittance text, where every valid RF join of the text is checked against the
references actually issued (so "RF18 5390 0754 7034 1234" finds the issued RF18539007547034 even though the
text alone is ambiguous). Lines are judged in order: after a line pays a top-up in full, a second payment
of it is ``over``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from . import references as rf
from .ledger import statement_key
from .statements import StatementLine

MATCHED, PARTIAL, OVER, UNMATCHED, DUPLICATE, WRONG_CURRENCY = (
	"matched",
	"partial",
	"over",
	"unmatched",
	"duplicate",
	"wrong_currency",
)
STATUSES = (MATCHED, PARTIAL, OVER, UNMATCHED, DUPLICATE, WRONG_CURRENCY)


@dataclass(frozen=True, slots=True)
class TopUpRequest:
	name: str
	reference: str
	amount_minor: int
	currency: str
	paid_minor: int = 0  # already credited to it (earlier lines, a partial decision)
	open: bool = True  # False once paid, cancelled or expired


@dataclass(frozen=True, slots=True)
class Match:
	line: StatementLine
	key: str  # the ledger idempotency key of this line: bank:<account>:<line id>
	status: str
	top_up: str | None = None
	reference: str | None = None
	owed_minor: int = 0  # what the top-up still expected before this line
	difference_minor: int = 0  # line amount − owed
	reason: str = ""

	@property
	def auto_credit(self) -> bool:
		return self.status == MATCHED


def _index(top_ups: Iterable[TopUpRequest]) -> dict[str, TopUpRequest]:
	out = {}
	for t in top_ups:
		ref = rf.normalize(t.reference)
		if ref in out:
			raise ValueError(f"reference {ref} belongs to two top-ups ({out[ref].name}, {t.name})")
		out[ref] = t
	return out


def _reference_of(line: StatementLine, known: dict[str, TopUpRequest]) -> tuple[str | None, str]:
	"""(issued reference, "") or (None, why not)."""
	if line.reference:
		ref = rf.normalize(line.reference)
		if ref in known:
			return ref, ""
	hits = [r for r in rf.candidate_references(f"{line.reference} {line.text}") if r in known]
	if len(set(hits)) == 1:
		return hits[0], ""
	if len(set(hits)) > 1:
		return None, f"the text names several top-ups ({', '.join(dict.fromkeys(hits))})"
	found = rf.find_references(f"{line.reference} {line.text}")
	if found:
		return None, f"reference {found[0]} is no top-up request's"
	return None, "no RF reference in the text"


def match(
	lines: Iterable[StatementLine],
	top_ups: Iterable[TopUpRequest],
	*,
	bank_account: str,
	seen_keys: Collection[str] = (),
) -> list[Match]:
	"""One :class:`Match` per line, in order. ``seen_keys`` are the idempotency keys of lines imported
	before (:func:`ledger.statement_key`); ``top_ups`` are the requests that may be paid (closed ones may
	be included with ``open=False``: their payments are then reported as such, not as unknown)."""
	known = _index(top_ups)
	owed = {ref: t.amount_minor - t.paid_minor if t.open else 0 for ref, t in known.items()}
	seen = set(seen_keys)
	out: list[Match] = []
	for line in lines:
		key = statement_key(bank_account, line.line_id)
		if key in seen:
			out.append(Match(line, key, DUPLICATE, reason=f"line {line.line_id} was imported before"))
			continue
		seen.add(key)
		ref, why = _reference_of(line, known)
		if ref is None:
			out.append(Match(line, key, UNMATCHED, reason=why))
			continue
		t = known[ref]
		if line.currency != t.currency.upper():
			out.append(
				Match(
					line, key, WRONG_CURRENCY, t.name, ref, owed[ref], 0,
					f"paid in {line.currency}, the top-up is in {t.currency}",
				)
			)  # fmt: skip
			continue
		due = owed[ref]
		diff = line.amount_minor - due
		if due <= 0:
			status, reason = (
				OVER,
				f"{t.name} is paid already" if t.open or t.paid_minor else f"{t.name} is not open",
			)
		elif diff == 0:
			status, reason = MATCHED, ""
		elif diff < 0:
			status, reason = PARTIAL, f"{-diff} less than the {due} owed"
		else:
			status, reason = OVER, f"{diff} more than the {due} owed"
		if status == MATCHED:
			owed[ref] = 0
		out.append(Match(line, key, status, t.name, ref, due, diff, reason))
	return out


def summary(matches: Iterable[Match]) -> dict[str, int]:
	counts = dict.fromkeys(STATUSES, 0)
	for m in matches:
		counts[m.status] += 1
	return counts
