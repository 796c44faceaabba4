"""Reading a large query's rows through MariaDB's own command-line client (pure: its argv, its option file,
the decoding of its output).

PyMySQL is pure Python: a large export spends most of its time there, decoding every value of every row
(``benchmarks/RESULTS.md``). The ``mariadb`` (or ``mysql``) client that Frappe's backups already need reads
the same rows in C; ``metrics/tasks.py`` runs it as a subprocess and streams its standard output.

**Credentials** go in an option file (:func:`option_file`, mode 0600 in a private temporary folder, deleted
when the client has finished), named by ``--defaults-file`` — never on the command line or in the
environment, where ``ps`` would show them. ``--defaults-file`` (not ``--defaults-extra-file``) makes the
client read that file only: no global or personal ``my.cnf`` can change its output format.

**The query** is written to the client's standard input, with its values already escaped by the database
driver. ``--binary-mode`` turns off the client's own commands (``\\!``, ``source`` …) in that input and keeps
its bytes as they are; ``--sandbox`` refuses file access on top.

**The output** (``--batch --skip-column-names``) is one line per row, the values separated by tabs; the
client escapes a tab, a line feed, a backslash and a NUL inside a value as ``\\t``, ``\\n``, ``\\\\`` and
``\\0`` (:func:`unescape`), and writes NULL as ``NULL`` — the same as the text "NULL", so a query read this
way selects text columns as ``coalesce(column, '')`` (the XLSX path, :func:`decode_rows`).

**CSV** is read with ``--raw`` instead: the database makes each row's whole CSV line ending in ``\\r``, the
client prints it as it is and adds ``\\n``, straight into the export's file, so no Python touches a row; the
statement is followed by :data:`ROW_COUNT_SQL`, whose line :class:`RawLines` reads off the end (the exact number
of rows, and the proof the output is whole).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from callcenter_app.common.errors import FieldError

CLIENT_NAMES = ("mariadb", "mysql")
CLIENT_FLAGS = (
	"--batch",
	"--quick",
	"--skip-column-names",
	"--binary-mode",
	"--default-character-set=utf8mb4",
)
# option file keys the export may set (a whitelist: nothing else can slip into the file)
OPTION_KEYS = (
	"user",
	"password",
	"host",
	"port",
	"protocol",
	"socket",
	"database",
	"ssl-ca",
	"ssl-cert",
	"ssl-key",
)
CHUNK = 1 << 20
SAMPLE = 1 << 20  # bytes of a CSV part whose lines are counted, for the progress
TAIL = 64  # bytes read off a part's end: its count line is shorter

_OPTION_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b"}
_UNESCAPE = re.compile(r"\\[tn0\\]")
_ESCAPED = {"\\t": "\t", "\\n": "\n", "\\0": "\0", "\\\\": "\\"}
ROW_COUNT_SQL = "select found_rows()"  # right after a select: the number of rows it returned
_COUNT_LINE = re.compile(rb"[0-9]+\n")

TEXT, INT, DATETIME = "text", "int", "datetime"


def option_value(value: object) -> str:
	"""``value`` as an option file value: in double quotes, with the escapes MariaDB's option reader knows
	(``mysys/my_default.c``), so any password reads back exactly."""
	text = str(value)
	if "\0" in text:
		raise FieldError("database settings", "a value with a NUL character cannot be given to the client")
	return '"' + "".join(_OPTION_ESCAPES.get(c, c) for c in text) + '"'


def option_file(settings: dict) -> str:
	"""The ``[client]`` option file for ``settings`` (keys of :data:`OPTION_KEYS`; None or "" left out)."""
	unknown = sorted(set(settings) - set(OPTION_KEYS))
	if unknown:
		raise FieldError("database settings", f"unknown client option {unknown[0]!r}")
	lines = ["[client]"]
	for key in OPTION_KEYS:
		value = settings.get(key)
		if value is None or value == "":
			continue
		lines.append(f"{key}={option_value(value)}")
	return "\n".join(lines) + "\n"


def client_argv(binary: str, option_path: str, sandbox: bool = True, raw: bool = False) -> list[str]:
	"""The client's command line: the option file first (the client requires it there), the output flags;
	no credential, no query (the query goes to its standard input). ``raw``: values printed without the
	client's escapes (:class:`RawLines`)."""
	return [
		binary,
		f"--defaults-file={option_path}",
		*CLIENT_FLAGS,
		*(["--raw"] if raw else []),
		*(["--sandbox"] if sandbox else []),
	]


def unescape(field: str) -> str:
	"""A value as the client printed it in ``--batch`` mode, back to its text."""
	if "\\" not in field:
		return field
	return _UNESCAPE.sub(lambda m: _ESCAPED[m.group()], field)


def _datetime(text: str) -> dt.datetime | None:
	# as Frappe's converter (frappe.utils.get_datetime): MariaDB's zero dates read as None
	if text.startswith(("0000-00-00", "0001-01-01")):
		return None
	return dt.datetime.fromisoformat(text)


_CONVERT: dict[str, Callable[[str], object]] = {INT: int, DATETIME: _datetime}


def decode_rows(lines: Iterable[bytes], kinds: Sequence[str]) -> Iterator[list]:
	"""Rows of Python values from the client's output lines (each ending in ``\\n``), typed by ``kinds``
	(:data:`TEXT`, :data:`INT`, :data:`DATETIME` per column) as PyMySQL with Frappe's converters gives them:
	text as str, numbers as int, date-times as datetime, NULL (of a typed column) as None."""
	typed = [(i, _CONVERT[k]) for i, k in enumerate(kinds) if k != TEXT]
	width = len(kinds)
	for line in lines:
		if line[-1:] != b"\n":
			raise FieldError("client output", "ended in the middle of a row")
		text = line[:-1].decode()
		fields = text.split("\t")
		if len(fields) != width:
			raise FieldError("client output", f"a row of {len(fields)} values instead of {width}")
		if "\\" in text:
			fields = [unescape(f) for f in fields]
		for i, convert in typed:
			value = fields[i]
			fields[i] = None if value == "NULL" else convert(value)
		yield fields


class RawLines:
	"""Follows a CSV part's ``--raw`` output: ready lines ending in ``\\r\\n`` (the statement ends each line with
	``\\r``, the client adds ``\\n``; a value's own line breaks, tabs and backslashes are printed as they are),
	then one last line, ``<rows>\\n``, the answer to :data:`ROW_COUNT_SQL` run right after the rows.

	:meth:`feed` takes the bytes as they come (chunks end anywhere) and returns what may be passed on: up to
	the last ``\\r\\n`` seen. That is always before the count line, which has none, so what is passed on is
	exactly the lines; :meth:`finish` reads the count from what is left. For the progress it counts the lines
	of the first :data:`SAMPLE` bytes only and estimates from their width (:meth:`rows_in`)."""

	def __init__(self):
		self.pending = b""
		self.passed = 0  # bytes passed on
		self.sampled = 0  # bytes of the sample, and its lines (a value's own CRLF counts too)
		self.sample_lines = 0

	def feed(self, data: bytes) -> bytes:
		if self.pending:
			data = self.pending + data
		end = data.rfind(b"\r\n") + 2
		if end < 2:
			self.pending = data
			return b""
		self.pending, data = data[end:], data[:end]
		if self.sampled < SAMPLE:
			self.sampled += end
			self.sample_lines += data.count(b"\r\n")
		self.passed += end
		return data

	def rows_in(self, size: int) -> int:
		"""About how many lines ``size`` bytes of such output hold (0 before the first line)."""
		if not self.sample_lines:
			return 0
		return int(size * self.sample_lines / self.sampled)

	def finish(self) -> int:
		"""The part's number of rows (its count line); FieldError when the output does not end with it."""
		return count_line(self.pending)


def count_line(line: bytes) -> int:
	if not _COUNT_LINE.fullmatch(line):
		raise FieldError("client output", "did not end with the row count (cut short?)")
	return int(line)


def lines_end(tail: bytes, offset: int) -> tuple[int, int]:
	"""(where the lines end, rows) of a whole part's raw output (see :class:`RawLines`) from its last bytes
	``tail``, which start at ``offset`` in the output: the count line follows the last ``\\r\\n``."""
	last = tail.rfind(b"\r\n")
	if last < 0 and offset:
		raise FieldError("client output", "did not end with the row count (cut short?)")
	end = last + 2 if last >= 0 else 0
	return offset + end, count_line(tail[end:])


def split_range(values: dict, parts: int) -> list[dict]:
	"""A query's values for ``parts`` consecutive sub-ranges of ``[values["first"], values["after"])`` (the same
	statement with narrower bounds, read by one client each): each part sorted by start, and the parts in
	order, are the whole range sorted by start, whatever the ties (a start value falls in one part only)."""
	first, after = values["first"], values["after"]
	parts = max(1, parts)
	step = (after - first) / parts
	bounds = [first + step * i for i in range(parts)] + [after]
	return [{**values, "first": lo, "after": hi} for lo, hi in itertools.pairwise(bounds) if lo < hi]
