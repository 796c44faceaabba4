"""Reconciliation of top-ups, pure: what the gateways reported, what the bank statements show and what the
ledger credited, side by side per top-up, with the differences named; and the exports of confirmed
top-ups for accounting (an ERPNext Journal Entry data-import CSV, and a plain CSV).

Inputs are plain dicts as the Frappe side reads them (the CC Credit Reconciliation report and the export
endpoint in ``credit/gateways/service.py``). Amounts are integers of minor units throughout; the CSVs
write them as decimals with the currency's own exponent (``money.from_minor``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from callcenter_app.credit import money

# Gateway event types that report money received (their amount is what the gateway says was paid).
PAID_EVENT_TYPES = frozenset(
	{
		"checkout.session.completed",
		"checkout.session.async_payment_succeeded",
		"PAYMENT.CAPTURE.COMPLETED",
		"capture",
	}
)

OK = "OK"


@dataclass
class Row:
	top_up: str | None
	account: str | None
	method: str | None
	status: str | None
	currency: str | None
	requested_minor: int | None
	gateway_minor: int | None
	statement_minor: int | None
	ledger_minor: int | None
	difference_minor: int
	note: str

	def as_dict(self) -> dict:
		return asdict(self)


def _one_amount(amounts: list[int]) -> tuple[int | None, bool]:
	"""The amount several reports agree on, and whether they disagreed."""
	distinct = sorted(set(amounts))
	if not distinct:
		return None, False
	return distinct[-1], len(distinct) > 1


def reconcile(top_ups: list[dict], events: list[dict], lines: list[dict], entries: list[dict]) -> list[Row]:
	"""One row per top-up, then gateway events, statement lines and ledger top-ups that belong to none.

	``top_ups``: name, account, method, status, currency, amount_minor, ledger_entry.
	``events``: name, top_up, status, event_type, amount_minor, currency (verified events only).
	``lines``: name, top_up, amount_minor, currency, match_status, decision.
	``entries``: name, account, amount_minor, currency (the ledger's Top-up entries).
	"""
	by_top_up_events: dict[str, list[dict]] = {}
	loose_events = []
	for e in events:
		if e.get("event_type") not in PAID_EVENT_TYPES:
			continue
		if e.get("top_up"):
			by_top_up_events.setdefault(e["top_up"], []).append(e)
		else:
			loose_events.append(e)
	by_top_up_lines: dict[str, list[dict]] = {}
	loose_lines = []
	for line in lines:
		if line.get("top_up"):
			by_top_up_lines.setdefault(line["top_up"], []).append(line)
		elif line.get("decision") != "Rejected" and line.get("match_status") != "Duplicate":
			loose_lines.append(line)
	entry_by_name = {e["name"]: e for e in entries}
	used_entries = set()

	rows = []
	for t in top_ups:
		notes = []
		evs = by_top_up_events.get(t["name"], [])
		gateway, disagree = _one_amount([int(e["amount_minor"] or 0) for e in evs])
		if disagree:
			notes.append("the gateway reported different amounts")
		if any(e.get("status") == "Needs review" for e in evs):
			notes.append("a gateway event needs review")
		lns = [ln for ln in by_top_up_lines.get(t["name"], []) if ln.get("match_status") != "Duplicate"]
		statement = sum(int(ln["amount_minor"] or 0) for ln in lns) if lns else None
		entry = entry_by_name.get(t.get("ledger_entry") or "")
		if entry:
			used_entries.add(entry["name"])
		ledger = int(entry["amount_minor"]) if entry else None
		received = gateway if t.get("method") in ("Stripe", "PayPal") else statement
		if t.get("status") == "Confirmed" and ledger is None:
			notes.append("confirmed but no ledger entry")
		if ledger is not None and received is None:
			notes.append("credited without a gateway or statement record")
		if received is not None and ledger is None and t.get("status") != "Confirmed":
			notes.append("money received, not credited")
		difference = (ledger or 0) - (received or 0) if (ledger is not None or received is not None) else 0
		if ledger is not None and received is not None and difference:
			notes.append("ledger and payment differ")
		requested = int(t["amount_minor"] or 0)
		if received is not None and received != requested:
			notes.append("paid amount differs from the request")
		rows.append(
			Row(
				t["name"],
				t.get("account"),
				t.get("method"),
				t.get("status"),
				t.get("currency"),
				requested,
				gateway,
				statement,
				ledger,
				difference,
				"; ".join(notes) or OK,
			)
		)
	for e in loose_events:
		rows.append(
			Row(None, None, None, e.get("status"), e.get("currency"), None, int(e["amount_minor"] or 0), None, None,
				-int(e["amount_minor"] or 0), f"gateway event {e['name']} matches no top-up")
		)  # fmt: skip
	for line in loose_lines:
		rows.append(
			Row(None, None, "Bank Transfer", line.get("match_status"), line.get("currency"), None, None,
				int(line["amount_minor"] or 0), None, -int(line["amount_minor"] or 0),
				f"statement line {line['name']} matches no top-up")
		)  # fmt: skip
	for e in entries:
		if e["name"] not in used_entries:
			rows.append(
				Row(None, e.get("account"), None, None, e.get("currency"), None, None, None, int(e["amount_minor"]),
					int(e["amount_minor"]), f"ledger top-up {e['name']} has no top-up request")
			)  # fmt: skip
	return rows


# Exports ----------------------------------------------------------------------------------------------

# ERPNext v15 Journal Entry (journal_entry.json) and its child Journal Entry Account
# (journal_entry_account.json, table field "accounts"); Frappe's Data Import maps parent columns by
# fieldname and child columns as "<table fieldname>.<fieldname>"; a row with empty parent columns
# continues the previous document's table.
JOURNAL_ENTRY_COLUMNS = (
	"naming_series",
	"voucher_type",
	"posting_date",
	"company",
	"cheque_no",
	"cheque_date",
	"user_remark",
	"multi_currency",
	"accounts.account",
	"accounts.party_type",
	"accounts.party",
	"accounts.debit_in_account_currency",
	"accounts.credit_in_account_currency",
	"accounts.is_advance",
	"accounts.user_remark",
)

PLAIN_COLUMNS = (
	"top_up",
	"confirmed_at",
	"account",
	"customer",
	"method",
	"currency",
	"amount",
	"amount_minor",
	"rf_reference",
	"gateway_order_id",
	"gateway_payment_id",
	"ledger_entry",
)


@dataclass(frozen=True)
class JournalSettings:
	company: str
	credit_account: str  # liability: customer prepayments (advances)
	debit_accounts: dict  # method → the bank or gateway clearing account the money arrived on
	naming_series: str = "ACC-JV-.YYYY.-"
	party_type: str = "Customer"


def _amount(minor: int, currency: str) -> str:
	return str(money.from_minor(int(minor), currency))


def journal_entry_rows(top_ups: list[dict], settings: JournalSettings) -> list[dict]:
	"""Two rows per confirmed top-up (debit the account the money arrived on, credit the customer's
	advance), as ERPNext's Journal Entry import reads them. ``top_ups``: name, confirmed_at (date or
	datetime), customer, method, currency, amount_minor (the amount credited), rf_reference,
	gateway_payment_id."""
	rows = []
	for t in top_ups:
		debit = settings.debit_accounts.get(t["method"])
		if not debit:
			raise ValueError(f"debit account: none set for {t['method']} top-ups")
		amount = _amount(t["amount_minor"], t["currency"])
		day = str(t["confirmed_at"])[:10]
		remark = f"Prepaid credit top-up {t['name']} ({t['method']})"
		reference = t.get("gateway_payment_id") or t.get("rf_reference") or t["name"]
		rows.append(
			{
				"naming_series": settings.naming_series,
				"voucher_type": "Bank Entry",
				"posting_date": day,
				"company": settings.company,
				"cheque_no": f"{t['name']} {reference}" if reference != t["name"] else t["name"],
				"cheque_date": day,
				"user_remark": remark,
				"multi_currency": 0,
				"accounts.account": debit,
				"accounts.debit_in_account_currency": amount,
				"accounts.credit_in_account_currency": 0,
				"accounts.user_remark": remark,
			}
		)
		rows.append(
			{
				"accounts.account": settings.credit_account,
				"accounts.party_type": settings.party_type if t.get("customer") else "",
				"accounts.party": t.get("customer") or "",
				"accounts.debit_in_account_currency": 0,
				"accounts.credit_in_account_currency": amount,
				"accounts.is_advance": "Yes" if t.get("customer") else "No",
				"accounts.user_remark": remark,
			}
		)
	return rows


def plain_rows(top_ups: list[dict]) -> list[dict]:
	return [
		{
			**{c: t.get(c) for c in PLAIN_COLUMNS},
			"top_up": t["name"],
			"amount": _amount(t["amount_minor"], t["currency"]),
		}
		for t in top_ups
	]


def to_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
	out = io.StringIO()
	writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="raise", lineterminator="\r\n")
	writer.writeheader()
	for row in rows:
		writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
	return out.getvalue()
