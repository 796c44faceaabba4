"""credit/matching.py: statement lines → top-up requests; only exact matches are credited automatically."""

import datetime as dt
import pathlib

import pytest

from callcenter_app.credit.matching import (
	DUPLICATE,
	MATCHED,
	OVER,
	PARTIAL,
	UNMATCHED,
	WRONG_CURRENCY,
	TopUpRequest,
	match,
	summary,
)
from callcenter_app.credit.references import find_references, format_reference, is_valid, make_reference
from callcenter_app.credit.statements import StatementLine, parse_camt053

REF_A = make_reference("539007547034")  # RF18539007547034
REF_B = make_reference("2348231")  # RF712348231
REF_C = make_reference("CC3")
TOP_UPS = [
	TopUpRequest("TU-A", REF_A, 10000, "EUR"),
	TopUpRequest("TU-B", REF_B, 5000, "EUR"),
	TopUpRequest("TU-C", REF_C, 2000, "CHF"),
]
DAY = dt.date(2026, 12, 4)


def line(line_id, amount, text, currency="EUR", reference=""):
	return StatementLine(line_id, DAY, amount, currency, text, "", reference)


def statuses(matches):
	return [(m.line.line_id, m.status, m.top_up, m.difference_minor) for m in matches]


def test_each_status():
	lines = [
		line("1", 10000, f"top up {format_reference(REF_A).lower()}"),
		line("2", 4000, f"{REF_B}"),
		line("3", 2500, f"payment {REF_C}", currency="CHF"),
		line("4", 100, "no reference"),
		line("5", 100, make_reference("NOTOURS")),
		line("1", 10000, f"{REF_A}"),  # the same line id again
		line("6", 2000, f"{REF_C}"),  # right reference, wrong currency
	]
	got = match(lines, TOP_UPS, bank_account="DE89")
	assert statuses(got) == [
		("1", MATCHED, "TU-A", 0),
		("2", PARTIAL, "TU-B", -1000),
		("3", OVER, "TU-C", 500),
		("4", UNMATCHED, None, 0),
		("5", UNMATCHED, None, 0),
		("1", DUPLICATE, None, 0),
		("6", WRONG_CURRENCY, "TU-C", 0),
	]
	assert [m.auto_credit for m in got] == [True] + [False] * 6
	assert "no top-up request's" in got[4].reason and "no RF reference" in got[3].reason
	assert got[0].key == "bank:DE89:1"
	assert summary(got) == {MATCHED: 1, PARTIAL: 1, OVER: 1, UNMATCHED: 2, DUPLICATE: 1, WRONG_CURRENCY: 1}


def test_lines_imported_before_are_duplicates():
	lines = [line("1", 10000, REF_A), line("2", 5000, REF_B)]
	got = match(lines, TOP_UPS, bank_account="DE89", seen_keys={"bank:DE89:1"})
	assert statuses(got) == [("1", DUPLICATE, None, 0), ("2", MATCHED, "TU-B", 0)]
	# the same line id on another bank account is another line
	assert match(lines[:1], TOP_UPS, bank_account="CH93", seen_keys={"bank:DE89:1"})[0].status == MATCHED


def test_second_payment_of_a_paid_top_up_is_over():
	got = match([line("1", 10000, REF_A), line("2", 10000, REF_A)], TOP_UPS, bank_account="X")
	assert statuses(got) == [("1", MATCHED, "TU-A", 0), ("2", OVER, "TU-A", 10000)]
	assert "paid already" in got[1].reason


def test_remaining_after_a_partial_decision_and_closed_top_ups():
	top_ups = [
		TopUpRequest("TU-A", REF_A, 10000, "EUR", paid_minor=4000),
		TopUpRequest("TU-B", REF_B, 5000, "EUR", open=False),
	]
	got = match([line("1", 6000, REF_A), line("2", 5000, REF_B)], top_ups, bank_account="X")
	assert statuses(got) == [("1", MATCHED, "TU-A", 0), ("2", OVER, "TU-B", 5000)]
	assert "not open" in got[1].reason


def test_issued_reference_beats_an_ambiguous_text():
	# "RF18 5390 0754 7034 1046": RF185390075470341046 is valid too, so the text alone is ambiguous;
	# only RF18539007547034 was issued
	text = f"{format_reference(REF_A)} 1046"
	assert find_references(text) == [] and is_valid(REF_A + "1046")
	got = match([line("1", 10000, text)], TOP_UPS, bank_account="X")
	assert got[0].status == MATCHED


def test_structured_reference_first_and_several_references():
	got = match([line("1", 5000, f"see {REF_A}", reference=REF_B)], TOP_UPS, bank_account="X")
	assert statuses(got) == [("1", MATCHED, "TU-B", 0)]
	got = match([line("1", 5000, f"{REF_A} and {REF_B}")], TOP_UPS, bank_account="X")
	assert got[0].status == UNMATCHED and "several top-ups" in got[0].reason


def test_two_top_ups_with_one_reference_is_an_error():
	with pytest.raises(ValueError, match="two top-ups"):
		match([], [TOP_UPS[0], TopUpRequest("TU-X", format_reference(REF_A), 1, "EUR")], bank_account="X")


def test_camt_file_end_to_end():
	stmt = parse_camt053((pathlib.Path(__file__).parent / "data" / "credit" / "camt053_v02.xml").read_bytes())
	got = match(stmt.lines, TOP_UPS, bank_account=stmt.account)
	assert statuses(got) == [
		("TX-0001", MATCHED, "TU-A", 0),
		("TX-0003A", MATCHED, "TU-B", 0),
		("E-0003/2", UNMATCHED, None, 0),
	]
	again = match(stmt.lines, TOP_UPS, bank_account=stmt.account, seen_keys={m.key for m in got})
	assert {m.status for m in again} == {DUPLICATE}
