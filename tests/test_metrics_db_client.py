"""Reading rows through the database's command-line client (metrics/db_client.py): the option file, the
command line, the decoding of the client's ``--batch`` output."""

import datetime as dt
import io
import itertools
import json
import pathlib

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics import db_client
from callcenter_app.metrics.db_client import DATETIME, INT, TEXT

ROOT = pathlib.Path(__file__).resolve().parents[1]


def read_option_value(raw: str) -> str:
	"""MariaDB's option reader (mysys/my_default.c, search_default_file_with_ext) for one quoted value."""
	assert raw[0] == raw[-1] == '"'
	value, out, i = raw[1:-1], [], 0
	escapes = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "s": " ", '"': '"', "'": "'", "\\": "\\"}
	while i < len(value):
		c = value[i]
		if c == "\\" and i != len(value) - 1:
			i += 1
			out.append(escapes.get(value[i], "\\" + value[i]))
		else:
			out.append(c)
		i += 1
	return "".join(out)


@pytest.mark.parametrize(
	"password",
	[
		"plain",
		'quo"te',
		"back\\slash",
		"hash # not a comment",
		"  spaces  ",
		"tab\tnew\nline\r",
		"ąčę",
		"\\",
		"x\\",
	],
)
def test_option_values_read_back_exactly(password):
	text = db_client.option_file({"user": "u", "password": password})
	lines = text.splitlines()
	assert lines[0] == "[client]"
	assert len(lines) == 3  # no value spills onto a line of its own
	key, _, raw = lines[2].partition("=")
	assert key == "password"
	assert read_option_value(raw) == password


def test_option_file_leaves_out_empty_settings_and_refuses_unknown_ones():
	text = db_client.option_file({"user": "u", "password": "", "host": "db", "port": 3306, "database": None})
	assert text == '[client]\nuser="u"\nhost="db"\nport="3306"\n'
	with pytest.raises(FieldError, match="unknown client option 'init-command'"):
		db_client.option_file({"user": "u", "init-command": "drop table x"})
	with pytest.raises(FieldError, match="NUL"):
		db_client.option_file({"password": "a\0b"})


def test_the_command_line_holds_no_credential_and_no_query():
	argv = db_client.client_argv("/usr/bin/mariadb", "/tmp/cc-export-x/client.cnf")
	assert argv[0] == "/usr/bin/mariadb"
	assert argv[1] == "--defaults-file=/tmp/cc-export-x/client.cnf"  # must come first; only this file is read
	assert "--binary-mode" in argv and "--sandbox" in argv and "--batch" in argv and "--quick" in argv
	assert not any(
		a.startswith(("-p", "--password", "-u", "--user", "-e", "--execute", "-h")) for a in argv[1:]
	)


def test_unescape_undoes_the_client_s_escapes():
	assert db_client.unescape("plain") == "plain"
	assert db_client.unescape(r"a\tb\nc\\d\0e") == "a\tb\nc\\d\0e"
	assert db_client.unescape(r"\\n") == "\\n"  # an escaped backslash, then a letter n
	assert db_client.unescape("c\rr") == "c\rr"  # a carriage return is printed as it is


def test_decode_rows_types_the_columns_as_pymysql_does():
	output = (
		b"2025-03-03 09:00:00.000000\tNULL\t12\ta\\tb\\nc\\\\d\n"
		b"2025-03-03 09:00:00.250000\t\tNULL\t\xc4\x85\xc4\x8d \xe6\x97\xa5\n"
		b"0000-00-00 00:00:00\tx\t-3\t\n"
	)
	rows = list(db_client.decode_rows(io.BytesIO(output), [DATETIME, TEXT, INT, TEXT]))
	assert rows == [
		[dt.datetime(2025, 3, 3, 9), "NULL", 12, "a\tb\nc\\d"],  # the text "NULL" stays text
		[dt.datetime(2025, 3, 3, 9, 0, 0, 250000), "", None, "ąč 日"],
		[None, "x", -3, ""],
	]


def test_decode_rows_refuses_a_cut_or_misshapen_output():
	with pytest.raises(FieldError, match="middle of a row"):
		list(db_client.decode_rows(io.BytesIO(b"1\ta\n2\tb"), [INT, TEXT]))
	with pytest.raises(FieldError, match="a row of 3 values instead of 2"):
		list(db_client.decode_rows(io.BytesIO(b"1\ta\tb\n"), [INT, TEXT]))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1 << 20])
def test_raw_lines_pass_on_whole_lines_only_and_read_the_count_off_the_end(size):
	"""Chunks end anywhere (inside a CRLF too); a value's own CRLF, LF, tab, backslash and NUL stay as they are;
	the count line is never passed on, even when a value ends in digits and a line feed."""
	lines = [b'"a\\b",1', b'"two\r\nlines\nand lf",2', b'"tab\there",', b'"nul\0",x', b'"9\n"', b"12\n3"]
	output = b"".join(line + b"\r\n" for line in lines) + b"6\n"
	reader = db_client.RawLines()
	passed = b"".join(reader.feed(output[i : i + size]) for i in range(0, len(output), size))
	assert passed == b"".join(line + b"\r\n" for line in lines)
	assert reader.finish() == 6
	assert reader.passed == len(passed)
	assert reader.sample_lines == 7  # progress only: the value's own CRLF counts too
	assert reader.rows_in(reader.passed) == 7 and reader.rows_in(2 * reader.passed) == 14
	end, rows = db_client.lines_end(output[-db_client.TAIL :], max(0, len(output) - db_client.TAIL))
	assert (end, rows) == (len(passed), 6)


def test_only_the_sample_s_lines_are_counted(monkeypatch):
	monkeypatch.setattr(db_client, "SAMPLE", 10)
	reader = db_client.RawLines()
	reader.feed(b"1234\r\n")  # 6 bytes, 1 line
	reader.feed(b"1234\r\n1234\r\n")  # the sample is full after this chunk
	reader.feed(b"12\r\n" * 50)
	assert (reader.sampled, reader.sample_lines, reader.passed) == (18, 3, 218)
	assert reader.rows_in(218) == 36  # 218 bytes at 6 a line


def test_raw_lines_with_no_row_and_a_cut_output():
	empty = db_client.RawLines()
	assert empty.feed(b"0\n") == b""
	assert empty.finish() == 0 and empty.rows_in(100) == 0
	assert db_client.lines_end(b"0\n", 0) == (0, 0)
	with pytest.raises(FieldError, match="did not end with the row count"):
		db_client.lines_end(b"no line end in the last bytes\n", 1000)
	with pytest.raises(FieldError, match="did not end with the row count"):
		db_client.lines_end(b'"a",1\r\n"b",', 0)
	for cut in (b'"a",1\r\n"b",', b'"a",1\r\n', b"", b'"a",1\r\n12', b'"a",1\r\nx\n'):
		reader = db_client.RawLines()
		reader.feed(cut)
		with pytest.raises(FieldError, match="did not end with the row count"):
			reader.finish()


def test_raw_output_is_asked_for_only_when_wanted():
	assert "--raw" not in db_client.client_argv("/usr/bin/mariadb", "/tmp/x.cnf")
	argv = db_client.client_argv("/usr/bin/mariadb", "/tmp/x.cnf", raw=True)
	assert argv[1] == "--defaults-file=/tmp/x.cnf" and "--raw" in argv and "--sandbox" in argv


def test_the_typed_export_columns_are_the_doctype_s_int_and_datetime_fields():
	"""The client path converts by CALL_KINDS (number → int): that must match CC Call Log's field types."""
	from callcenter_app.metrics.export import CALL_COLUMNS, CALL_KINDS, NUMBER
	from callcenter_app.metrics.export import DATETIME as DT

	doctype = json.loads(
		(ROOT / "callcenter_app/callcenter_app/doctype/cc_call_log/cc_call_log.json").read_text()
	)
	types = {f["fieldname"]: f["fieldtype"] for f in doctype["fields"]}
	for field in CALL_COLUMNS:
		kind = CALL_KINDS.get(field)
		expected = {NUMBER: "Int", DT: "Datetime"}.get(kind)
		if expected:
			assert types[field] == expected, field
		else:
			assert types[field] in ("Data", "Link", "Select", "Small Text"), field


@pytest.mark.parametrize("parts", [1, 2, 3, 4, 7])
def test_split_range_makes_consecutive_parts_covering_the_range(parts):
	first, after = dt.datetime(2026, 9, 30, 21), dt.datetime(2026, 10, 30, 22)  # an odd span
	values = {"first": first, "after": after, "queue": "q1"}
	split = db_client.split_range(values, parts)
	assert len(split) == parts
	assert split[0]["first"] == first and split[-1]["after"] == after
	for a, b in itertools.pairwise(split):
		assert a["after"] == b["first"] and a["first"] < a["after"]
	assert all(p["queue"] == "q1" for p in split)
	assert values == {"first": first, "after": after, "queue": "q1"}  # the caller's values untouched


def test_split_range_of_an_empty_range_or_no_parts():
	at = dt.datetime(2026, 10, 1)
	assert db_client.split_range({"first": at, "after": at}, 3) == []
	assert db_client.split_range({"first": at, "after": at + dt.timedelta(days=1)}, 0) == [
		{"first": at, "after": at + dt.timedelta(days=1)}
	]
