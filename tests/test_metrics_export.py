"""Call-detail export writers: XLSX read back with openpyxl, CSV with the csv module, formula-looking text,
progress, constant memory."""

import csv
import datetime as dt
import io
import re
import tracemalloc

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.metrics.export import (
	BATCH,
	CALL_COLUMNS,
	column_letter,
	excel_serial,
	safe_text,
	write_csv,
	write_xlsx,
)

HEADER = ["When", "Text", "Int", "Float", "Bool", "Empty", "Day"]
ROWS = [
	(dt.datetime(2026, 3, 29, 2, 30, 15), 'a & b <c> "d"', 12, 1.5, True, None, dt.date(2026, 1, 2)),
	(dt.datetime(1999, 12, 31, 23, 59, 59), "  spaced  ", 0, -0.25, False, "", dt.date(1900, 3, 1)),
	(dt.datetime(2026, 1, 1), "ctl\x01chars\x1f gone", -7, float("nan"), False, None, None),
	(dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc), '=HYPERLINK("x")', 10**12, 1e-9, True, None, None),
	(dt.datetime(2026, 1, 1), "Žemaitė ąčę 日本", 1, 2.0, False, None, None),
]


def test_xlsx_reads_back_with_its_types(tmp_path):
	path = tmp_path / "out.xlsx"
	seen = []
	assert write_xlsx(iter(ROWS), str(path), HEADER, sheet_name="Calls", progress=seen.append) == len(ROWS)
	assert seen[-1] == len(ROWS)
	wb = openpyxl.load_workbook(path)
	ws = wb["Calls"]
	values = list(ws.iter_rows(values_only=True))
	assert values[0] == tuple(HEADER)
	assert ws["A1"].font.b
	assert values[1] == (
		dt.datetime(2026, 3, 29, 2, 30, 15),
		'a & b <c> "d"',
		12,
		1.5,
		True,
		None,
		dt.datetime(2026, 1, 2),
	)
	assert values[2][1] == "  spaced  " and values[2][5] is None and values[2][6] == dt.datetime(1900, 3, 1)
	assert values[3][1] == "ctlchars gone" and values[3][3] is None  # NaN: an empty cell
	assert values[4][0] == dt.datetime(2026, 1, 1, 12)  # an aware time keeps its wall clock
	assert values[4][1] == '=HYPERLINK("x")' and ws["B5"].data_type == "s"  # text, never a formula
	assert values[4][2] == 10**12
	assert values[5][1] == "Žemaitė ąčę 日本"
	assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
	assert ws.freeze_panes == "A2"


def test_an_empty_export_is_a_valid_workbook(tmp_path):
	path = tmp_path / "empty.xlsx"
	assert write_xlsx([], str(path), list(CALL_COLUMNS.values())) == 0
	ws = openpyxl.load_workbook(path).active
	assert [c.value for c in ws[1]] == list(CALL_COLUMNS.values())
	assert ws.max_row == 1


def test_csv_rows_and_formula_looking_text():
	out = io.StringIO(newline="")
	rows = [
		["+37060000000", "=cmd|' /C calc'!A0", "2026-01-01 00:00:00", 5, None],
		["-12 34", "@SUM(1)", "x", 0, ""],
		["+x", "\tlead", "-", 1, "=own"],
	]
	assert write_csv(iter(rows), out, ["Caller", "Name", "Start", "N", "Other"], sanitize=(0, 1)) == 3
	read = list(csv.reader(io.StringIO(out.getvalue())))
	assert read == [
		["Caller", "Name", "Start", "N", "Other"],
		["+37060000000", "'=cmd|' /C calc'!A0", "2026-01-01 00:00:00", "5", ""],
		["-12 34", "'@SUM(1)", "x", "0", ""],
		["'+x", "'\tlead", "-", "1", "=own"],  # column 4 is not one to sanitize
	]


@pytest.mark.parametrize(
	("text", "safe"),
	[
		("=1+1", "'=1+1"),
		("+370 600 00000", "+370 600 00000"),
		("-", "-"),
		("-x", "'-x"),
		("", ""),
		("ok", "ok"),
	],
)
def test_safe_text(text, safe):
	assert safe_text(text) == safe


def test_progress_every_batch_and_helpers():
	seen = []
	write_csv(([i] for i in range(2 * BATCH + 5)), io.StringIO(), ["i"], progress=seen.append)
	assert seen == [BATCH, 2 * BATCH, 2 * BATCH + 5]
	assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
	assert excel_serial(dt.datetime(1900, 1, 1)) == 2.0
	assert excel_serial(dt.datetime(2026, 1, 1, 12)) == 46023.5


def test_memory_stays_flat_however_many_rows(tmp_path):
	def rows(n):
		base = dt.datetime(2026, 1, 1)
		for i in range(n):
			yield (base + dt.timedelta(seconds=i), f"call-{i}", "inbound", i, 12.5, None)

	peaks = []
	for n in (5_000, 40_000):
		tracemalloc.start()
		write_xlsx(rows(n), str(tmp_path / f"{n}.xlsx"), ["a", "b", "c", "d", "e", "f"])
		with open(tmp_path / f"{n}.csv", "w", newline="") as out:
			write_csv(rows(n), out, ["a", "b", "c", "d", "e", "f"])
		peaks.append(tracemalloc.get_traced_memory()[1])
		tracemalloc.stop()
	assert peaks[1] < 1.5 * peaks[0] + 2_000_000  # eight times the rows, not eight times the memory


def test_ready_lines_are_written_with_csv_line_ends():
	from callcenter_app.metrics.export import csv_line_sql, write_lines

	out = io.StringIO(newline="")
	seen = []
	assert write_lines(iter([('"a",1',), ('"b",2',)]), out, ["Name", "N"], progress=seen.append) == 2
	assert out.getvalue() == 'Name,N\r\n"a",1\r\n"b",2\r\n'
	assert list(csv.reader(io.StringIO(out.getvalue()))) == [["Name", "N"], ["a", "1"], ["b", "2"]]
	assert seen == [2]
	sql = csv_line_sql([("`name`", "text"), ("`n`", "number"), ("`at`", "datetime")], sanitize=["`name`"])
	assert sql.startswith("concat_ws(',', ") and sql.count("regexp") == 1
	assert "regexp '^([=@\t\r]|[-+](?![0-9 ().-]*$))'" in sql and "left(`at`, 19)" in sql
	assert "\\" not in sql  # no backslash escape: the same statement whatever the server's sql_mode
	ended = csv_line_sql([("`n`", "number")], line_end="\r")
	assert ended == "concat(concat_ws(',', ifnull(`n`, '')), '\r')"


@pytest.mark.parametrize(
	"text",
	[
		"",
		"=",
		"=1",
		"@x",
		"\tz",
		"\rz",
		"+",
		"-",
		"+370 600 (00) 11-2",
		"-2+3",
		"+1x",
		"-a",
		"a=b",
		" =x",
		"+1\n",
	],
)
def test_the_database_s_guard_is_safe_text_s_rule(text):
	"""GUARD_REGEXP (run by MariaDB's PCRE, the same syntax as Python's here) marks exactly what safe_text guards;
	the bench test runs the database on awkward values too."""
	from callcenter_app.metrics.export import GUARD_REGEXP, safe_text

	assert bool(re.search(GUARD_REGEXP, text)) == (safe_text(text) != text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="=@\t\r+-0123456789 ().ax\n", max_size=8))
def test_the_guard_rule_agrees_on_any_mix_of_the_characters_it_looks_at(text):
	from callcenter_app.metrics.export import GUARD_REGEXP, safe_text

	assert bool(re.search(GUARD_REGEXP, text)) == (safe_text(text) != text)
