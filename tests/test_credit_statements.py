"""credit/statements.py: CSV with a column mapping and CAMT.053 (001.02 … 001.08) → incoming lines."""

import datetime as dt
import pathlib

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.credit.statements import (
	CsvMapping,
	StatementError,
	parse,
	parse_camt053,
	parse_csv,
)

DATA = pathlib.Path(__file__).parent / "data" / "credit"

GERMAN = CsvMapping(
	columns={
		"date": "Buchungstag",
		"amount": "Betrag",
		"currency": "Waehrung",
		"text": "Verwendungszweck",
		"counterparty": "Auftraggeber",
		"credit_debit": "S/H",
	},
	delimiter=";",
	decimal=",",
	thousands=".",
	date_format="%d.%m.%Y",
	skip_rows=1,
	debit_values=("S",),
)
GERMAN_CSV = (
	"Umsaetze Konto DE89370400440532013000;;;;;\n"
	"Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;S/H\n"
	'04.12.2026;1.234,50;EUR;"Guthaben RF18 5390 0754 7034";Muster GmbH;H\n'
	"04.12.2026;12,00;EUR;Kontofuehrung;Bank;S\n"
	"04.12.2026;-3,00;EUR;Storno;Bank;H\n"
	"05.12.2026;100,00;EUR;ohne Referenz;Beispiel AG;H\n"
	"05.12.2026;100,00;EUR;ohne Referenz;Beispiel AG;H\n"
	"\n"
)


def test_csv_german_bank():
	stmt = parse_csv(GERMAN_CSV.encode("utf-8"), GERMAN)
	assert stmt.problems == [] and stmt.skipped == 2 and stmt.format == "CSV"
	first, second, third = stmt.lines
	assert (first.date, first.amount_minor, first.currency) == (dt.date(2026, 12, 4), 123450, "EUR")
	assert first.text == "Guthaben RF18 5390 0754 7034" and first.counterparty == "Muster GmbH"
	assert first.where == "line 3"
	# no id column: ids from the content; two identical lines get different ids, the same ids every time
	assert second.line_id != third.line_id and second.line_id.startswith("h:")
	again = parse_csv(GERMAN_CSV, GERMAN)
	assert [line.line_id for line in again.lines] == [line.line_id for line in stmt.lines]


def test_csv_with_id_column_default_currency_and_two_text_columns():
	mapping = CsvMapping(
		columns={"date": "Date", "amount": "Amount", "text": "Ref1 + Ref2", "line_id": "Id"},
		default_currency="jpy",
		date_format="%m/%d/%Y",
	)
	data = "Date,Amount,Ref1,Ref2,Id\n12/04/2026,5000,RF18 5390,0754 7034,B-1\n12/04/2026,1.5,x,y,B-2\n"
	stmt = parse_csv(data, mapping)
	assert [(line.line_id, line.amount_minor, line.currency, line.text) for line in stmt.lines] == [
		("B-1", 5000, "JPY", "RF18 5390 0754 7034")
	]
	assert [(p.where, p.field) for p in stmt.problems] == [("line 3", "amount")]
	assert "more decimals than JPY" in stmt.problems[0].reason


def test_csv_line_problems_are_listed_and_the_rest_returned():
	data = (
		"Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;S/H\n"
		"31.02.2026;1,00;EUR;a;b;H\n"
		"04.12.2026;1,001;EUR;a;b;H\n"
		"04.12.2026;1.00;EUR;a;b;H\n"
		"04.12.2026;2,00;XXX;a;b;H\n"
		"04.12.2026;3,00;EUR;good;b;H\n"
	)
	stmt = parse_csv(data, CsvMapping(**{**GERMAN.__dict__, "skip_rows": 0, "thousands": ""}))
	assert [line.amount_minor for line in stmt.lines] == [300]
	assert [(p.where, p.field) for p in stmt.problems] == [
		("line 2", "date"),
		("line 3", "amount"),
		("line 4", "amount"),
		("line 5", "currency"),
	]


@pytest.mark.parametrize(
	("data", "where", "reason"),
	[
		("", "line 1", "empty"),
		("Date,Amount\n", "line 1", "no column 'Text'"),
		("Date,Amount,Text\n2026-12-04,1.00\n", "line 2", "has 2 columns, the header has 3"),
		('Date,Amount,Text\n2026-12-04,1.00,"open\n', "line 2", "not CSV"),
		("Date,Amount,Text\n04.12.2026,1.00,x\n2026-13-01,1.00,y\n", "line 2", "no line could be read"),
		(b"Date,Amount,Text\n2026-12-04,1.00,\xff\n", "file", "cannot be read as utf-8"),
	],
)
def test_csv_malformed_file(data, where, reason):
	mapping = CsvMapping(columns={"date": "Date", "amount": "Amount", "text": "Text"}, default_currency="EUR")
	with pytest.raises(StatementError) as e:
		parse_csv(data, mapping)
	assert e.value.where == where and reason in e.value.reason


@pytest.mark.parametrize(
	("kwargs", "field"),
	[
		({"columns": {"date": "D", "amount": "A"}}, "columns"),
		({"columns": {"date": "D", "amount": "A", "text": "T", "iban": "I"}}, "columns"),
		({"default_currency": ""}, "default_currency"),
		({"default_currency": "EURO"}, "default_currency"),
		({"delimiter": ";;"}, "delimiter"),
		({"decimal": "'"}, "decimal"),
		({"decimal": ",", "thousands": ","}, "thousands"),
		({"date_format": "%Q"}, "date_format"),
	],
)
def test_bad_mapping(kwargs, field):
	args = {"columns": {"date": "D", "amount": "A", "text": "T"}, "default_currency": "EUR"} | kwargs
	with pytest.raises(FieldError) as e:
		parse_csv("D,A,T\n", CsvMapping(**args))
	assert e.value.field == field


def test_camt_v02_credit_entries_batch_and_structured_reference():
	stmt = parse_camt053((DATA / "camt053_v02.xml").read_bytes())
	assert stmt.format == "camt.053.001.02" and stmt.account == "DE89370400440532013000"
	assert stmt.statement_id == "2026-12-04-001" and stmt.skipped == 2  # one DBIT, one PDNG
	assert stmt.problems == []
	assert [(line.line_id, line.amount_minor, line.currency, line.counterparty) for line in stmt.lines] == [
		("TX-0001", 10000, "EUR", "Muster GmbH"),
		("TX-0003A", 5000, "EUR", "Beispiel AG"),
		("E-0003/2", 3000, "EUR", ""),  # second transaction of a batch entry, no own reference
	]
	assert stmt.lines[0].text == "Top up rf18 5390 0754 7034"
	assert stmt.lines[1].reference == "RF712348231"


def test_camt_v08_status_code_datetime_party_and_line_problem():
	stmt = parse((DATA / "camt053_v08.xml").read_bytes())
	assert stmt.format == "camt.053.001.08" and stmt.account == "CH9300762011623852957"
	(line,) = stmt.lines
	assert (line.line_id, line.amount_minor, line.currency, line.date) == (
		"ZKB-77",
		123450,
		"CHF",
		dt.date(2026, 12, 4),
	)
	assert line.counterparty == "Kunde AG" and line.text == "Guthaben RF18 5390 0754 7034"
	assert stmt.skipped == 1  # the reversal
	assert [(p.where, p.field) for p in stmt.problems] == [("Stmt 1 Ntry 2", "Amt")]


@pytest.mark.parametrize("version", range(2, 9))
def test_camt_every_version(version):
	text = (DATA / "camt053_v02.xml").read_text().replace("camt.053.001.02", f"camt.053.001.{version:02d}")
	assert len(parse_camt053(text).lines) == 3


def _camt(body: str, ns: str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02") -> str:
	return f'<?xml version="1.0"?>\n<Document xmlns="{ns}"><BkToCstmrStmt><Stmt>{body}</Stmt></BkToCstmrStmt></Document>'


@pytest.mark.parametrize(
	("data", "where", "reason"),
	[
		("<Document><BkToCstmrStmt>", "line 1, column 25", "not well-formed"),
		(
			_camt(
				"<Ntry><Amt Ccy='EUR'>1.00</Amt>",
			),
			"line 2",
			"not well-formed",
		),
		(_camt("", ns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"), "Document", "not CAMT.053"),
		(_camt("", ns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.09"), "Document", "not CAMT.053"),
		("<Foo/>", "root element", "no ISO 20022 Document"),
		(
			_camt("<Ntry><Amt Ccy='EUR'>1.00</Amt><CdtDbtInd>X</CdtDbtInd></Ntry>"),
			"Stmt 1 Ntry 1/CdtDbtInd",
			"neither",
		),
		(_camt("<Ntry><Amt>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"), "Stmt 1 Ntry 1/Amt", "no Ccy"),
		(
			_camt(
				"<Ntry><Amt Ccy='EUR'>1.001</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-04</Dt></BookgDt></Ntry>"
			),
			"Stmt 1 Ntry 1",
			"no line could be read",
		),
		(
			'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>',
			"file",
			"DTD or entities is refused",
		),
		(
			'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
			"file",
			"DTD or entities is refused",
		),
	],
)
def test_camt_malformed(data, where, reason):
	with pytest.raises(StatementError) as e:
		parse(data)
	assert e.value.where.startswith(where) and reason in e.value.reason, str(e.value)


def test_parse_needs_a_mapping_for_csv():
	with pytest.raises(StatementError, match="no CSV column mapping"):
		parse("a,b\n")
