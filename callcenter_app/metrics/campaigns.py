"""Campaign Results (pure): per campaign and local day, attempts, contacts reached, outcomes, conversion,
abandon %, callbacks due and overdue.

- attempts: CC Call Attempts started that day;
- reached: the attempt was answered (``answered_at``), not abandoned and not an answering machine; contacts
  reached count each campaign contact once per row (and once over the range in the total);
- outcomes: attempts per recorded CC Outcome;
- conversion %: contacts with an attempt whose outcome is a success ÷ contacts reached × 100;
- abandon %: abandoned ÷ (abandoned + reached) × 100 — the dialer's own definition (answering machines
  count in neither);
- callbacks: CC Callbacks due that day (any status but Cancelled), and of those the ones still Open while
  their time has passed (overdue).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

MACHINE = "answering_machine"


@dataclass(frozen=True)
class AttemptFact:
	campaign: str
	day: dt.date  # local
	contact: str
	answered: bool = False
	abandoned: bool = False
	result: str = ""
	outcome: str = ""
	success: bool = False

	@property
	def reached(self) -> bool:
		return self.answered and not self.abandoned and self.result != MACHINE


@dataclass(frozen=True)
class CallbackFact:
	campaign: str
	day: dt.date  # local day it is due
	status: str  # Open / Done / Cancelled
	overdue: bool  # Open and its time has passed


@dataclass
class _Row:
	attempts: int = 0
	reached_attempts: int = 0
	abandoned: int = 0
	reached: set = field(default_factory=set)
	converted: set = field(default_factory=set)
	outcomes: dict[str, int] = field(default_factory=dict)
	callbacks_due: int = 0
	callbacks_overdue: int = 0

	def add(self, a: AttemptFact) -> None:
		self.attempts += 1
		self.abandoned += a.abandoned
		if a.reached:
			self.reached_attempts += 1
			self.reached.add((a.campaign, a.contact))
			if a.success:
				self.converted.add((a.campaign, a.contact))
		if a.outcome:
			self.outcomes[a.outcome] = self.outcomes.get(a.outcome, 0) + 1

	def add_callback(self, c: CallbackFact) -> None:
		if c.status == "Cancelled":
			return
		self.callbacks_due += 1
		self.callbacks_overdue += bool(c.overdue and c.status == "Open")

	def values(self, outcomes: Iterable[str]) -> dict:
		reached = len(self.reached)
		shown = self.abandoned + self.reached_attempts
		row = {
			"attempts": self.attempts,
			"contacts_reached": reached,
			"conversions": len(self.converted),
			"conversion": round(100.0 * len(self.converted) / reached, 2) if reached else None,
			"abandoned": self.abandoned,
			"abandon_rate": round(100.0 * self.abandoned / shown, 2) if shown else None,
			"callbacks_due": self.callbacks_due,
			"callbacks_overdue": self.callbacks_overdue,
		}
		for o in outcomes:
			row[f"outcome:{o}"] = self.outcomes.get(o, 0)
		return row


ROW_KEYS = (
	"day",
	"campaign",
	"attempts",
	"contacts_reached",
	"conversions",
	"conversion",
	"abandoned",
	"abandon_rate",
	"callbacks_due",
	"callbacks_overdue",
)


def campaign_rows(
	attempts: Iterable[AttemptFact], callbacks: Iterable[CallbackFact], outcomes: Iterable[str] = ()
) -> list[dict]:
	"""Rows per (day, campaign), sorted, with ``outcome:<name>`` for each of ``outcomes``; a total row
	(``day`` "Total", ``is_total`` 1) when there is any row."""
	outcomes = list(outcomes)
	rows: dict[tuple[dt.date, str], _Row] = {}
	total = _Row()
	for a in attempts:
		rows.setdefault((a.day, a.campaign), _Row()).add(a)
		total.add(a)
	for c in callbacks:
		rows.setdefault((c.day, c.campaign), _Row()).add_callback(c)
		total.add_callback(c)
	out = [
		{"day": day.isoformat(), "campaign": campaign, **row.values(outcomes)}
		for (day, campaign), row in sorted(rows.items())
	]
	if out:
		out.append({"day": "Total", "campaign": "", **total.values(outcomes), "is_total": 1})
	return out
