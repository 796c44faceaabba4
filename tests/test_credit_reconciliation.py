"""Reconciliation rows and the accounting exports of confirmed top-ups (pure)."""

from __future__ import annotations

import csv
import io

import pytest

from callcenter_app.credit.reconciliation import (
	JOURNAL_ENTRY_COLUMNS,
	OK,
	PLAIN_COLUMNS,
	JournalSettings,
	journal_entry_rows,
	plain_rows,
	reconcile,
	to_csv,
)


def top_up(name, method="Stripe", status="Confirmed", amount=2500, entry="CLE-1", **kw):
	return {"name": name, "account": "CRA-1", "method": method, "status": status, "currency": "EUR",
		"amount_minor": amount, "ledger_entry": entry, **kw}  # fmt: skip


def event(name, top_up, amount=2500, status="Processed", kind="checkout.session.completed"):
	return {
		"name": name,
		"top_up": top_up,
		"status": status,
		"event_type": kind,
		"amount_minor": amount,
		"currency": "EUR",
	}


def entry(name, amount=2500, account="CRA-1"):
	return {"name": name, "account": account, "amount_minor": amount, "currency": "EUR"}


def by_top_up(rows):
	return {r.top_up: r for r in rows}


def test_a_clean_card_top_up_is_ok():
	rows = reconcile([top_up("T1")], [event("E1", "T1")], [], [entry("CLE-1")])
	assert [(r.top_up, r.gateway_minor, r.ledger_minor, r.difference_minor, r.note) for r in rows] == [
		("T1", 2500, 2500, 0, OK)
	]


def test_differences_are_named():
	top_ups = [
		top_up("T1"),  # paid 2400, credited 2500
		top_up("T2", status="Pending", entry=None),  # paid, never credited
		top_up("T3", entry="CLE-3"),  # credited, nothing from the gateway
		top_up("T4", method="Bank Transfer", entry="CLE-4", amount=10000),  # statement 9000
		top_up("T5", status="Confirmed", entry=None),  # confirmed without an entry
	]
	events = [event("E1", "T1", 2400), event("E2", "T2"), event("E9", "T2", 2500, status="Needs review")]
	lines = [
		{"name": "L4", "top_up": "T4", "amount_minor": 9000, "currency": "EUR", "match_status": "Partial"}
	]
	entries = [entry("CLE-1"), entry("CLE-3"), entry("CLE-4", 10000)]
	rows = by_top_up(reconcile(top_ups, events, lines, entries))
	assert rows["T1"].difference_minor == 100
	assert "ledger and payment differ" in rows["T1"].note and "paid amount differs" in rows["T1"].note
	assert "money received, not credited" in rows["T2"].note and "needs review" in rows["T2"].note
	assert rows["T3"].note == "credited without a gateway or statement record"
	assert (rows["T4"].statement_minor, rows["T4"].difference_minor) == (9000, 1000)
	assert rows["T5"].note == "confirmed but no ledger entry"


def test_records_that_belong_to_no_top_up_get_their_own_rows():
	events = [event("E7", None, 700), event("E8", None, 1, kind="checkout.session.expired")]
	lines = [
		{"name": "L1", "top_up": None, "amount_minor": 5000, "currency": "EUR", "match_status": "Unmatched"},
		{"name": "L2", "top_up": None, "amount_minor": 5000, "currency": "EUR", "match_status": "Duplicate"},
		{
			"name": "L3",
			"top_up": None,
			"amount_minor": 5000,
			"currency": "EUR",
			"match_status": "Unmatched",
			"decision": "Rejected",
		},
	]
	rows = reconcile([], events, lines, [entry("CLE-9", 300)])
	notes = [r.note for r in rows]
	assert notes == [
		"gateway event E7 matches no top-up",
		"statement line L1 matches no top-up",
		"ledger top-up CLE-9 has no top-up request",
	]
	assert [r.difference_minor for r in rows] == [-700, -5000, 300]


def test_gateway_amounts_that_disagree():
	events = [event("E1", "T1"), event("E2", "T1", 2000, kind="checkout.session.async_payment_succeeded")]
	row = reconcile([top_up("T1")], events, [], [entry("CLE-1")])[0]
	assert "the gateway reported different amounts" in row.note


# Exports ---------------------------------------------------------------------------------------------

# Field names read from ERPNext v15's journal_entry.json and journal_entry_account.json (frappe/erpnext,
# modified 2023-08-09 and 2023-11-23); the data importer takes child columns as "accounts.<fieldname>".
ERPNEXT_V15_JOURNAL_ENTRY = {"naming_series", "voucher_type", "posting_date", "company", "cheque_no", "cheque_date",
	"user_remark", "multi_currency", "accounts"}  # fmt: skip
ERPNEXT_V15_JOURNAL_ENTRY_ACCOUNT = {"account", "party_type", "party", "debit_in_account_currency",
	"credit_in_account_currency", "is_advance", "user_remark"}  # fmt: skip

SETTINGS = JournalSettings(
	company="Callcenter Example GmbH",
	credit_account="Customer Prepayments - CE",
	debit_accounts={
		"Stripe": "Stripe Clearing - CE",
		"PayPal": "PayPal Clearing - CE",
		"Bank Transfer": "Bank - CE",
	},
)
CONFIRMED = [
	{"name": "TOP-000001", "confirmed_at": "2026-12-01 10:00:00", "customer": "Acme", "method": "Stripe", "currency": "EUR",
		"amount_minor": 2500, "gateway_payment_id": "pi_1", "account": "CRA-1", "ledger_entry": "CLE-1"},
	{"name": "TOP-000002", "confirmed_at": "2026-12-02 11:00:00", "customer": "Kyoto KK", "method": "Bank Transfer",
		"currency": "JPY", "amount_minor": 5000, "rf_reference": "RF18539007547034", "account": "CRA-2", "ledger_entry": "CLE-2"},
]  # fmt: skip


def test_journal_entry_columns_are_erpnext_fields():
	for column in JOURNAL_ENTRY_COLUMNS:
		if column.startswith("accounts."):
			assert column.split(".", 1)[1] in ERPNEXT_V15_JOURNAL_ENTRY_ACCOUNT, column
		else:
			assert column in ERPNEXT_V15_JOURNAL_ENTRY, column


def test_journal_entry_import_rows_balance_per_top_up():
	rows = journal_entry_rows(CONFIRMED, SETTINGS)
	assert len(rows) == 4
	first, second = rows[0], rows[1]
	assert (first["voucher_type"], first["posting_date"], first["cheque_no"]) == (
		"Bank Entry",
		"2026-12-01",
		"TOP-000001 pi_1",
	)
	assert (first["accounts.account"], first["accounts.debit_in_account_currency"]) == (
		"Stripe Clearing - CE",
		"25.00",
	)
	assert "company" not in second, "a continuation row leaves the parent columns empty"
	assert (
		second["accounts.party_type"],
		second["accounts.party"],
		second["accounts.credit_in_account_currency"],
	) == (
		"Customer",
		"Acme",
		"25.00",
	)
	assert rows[2]["accounts.debit_in_account_currency"] == "5000", "JPY has no minor unit"
	text = to_csv(JOURNAL_ENTRY_COLUMNS, rows)
	parsed = list(csv.DictReader(io.StringIO(text)))
	assert list(parsed[0]) == list(JOURNAL_ENTRY_COLUMNS)
	assert parsed[1]["company"] == "" and parsed[1]["accounts.is_advance"] == "Yes"


def test_journal_entry_needs_a_debit_account_per_method():
	with pytest.raises(ValueError, match="debit account: none set for PayPal"):
		journal_entry_rows([{**CONFIRMED[0], "method": "PayPal"}], JournalSettings("C", "X", {}))


def test_plain_export():
	rows = plain_rows(CONFIRMED)
	assert [(r["top_up"], r["amount"]) for r in rows] == [("TOP-000001", "25.00"), ("TOP-000002", "5000")]
	text = to_csv(PLAIN_COLUMNS, rows)
	assert text.splitlines()[0] == ",".join(PLAIN_COLUMNS)
	assert "RF18539007547034" in text
