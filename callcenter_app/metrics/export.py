"""Call-detail export writers (pure): CSV and XLSX streamed row by row, in constant memory.

Rows are sequences of plain values (str, int, float, bool, None, date, datetime) in the order of
:data:`CALL_COLUMNS`; the writers never hold more than one batch of rows.

**XLSX.** openpyxl's write-only mode was measured first: 10,000 rows of 20 cells took 6.2 s on the bench
machine even with lxml (about 60 s for 100,000 rows; ``benchmarks/RESULTS.md``), far from the 6 s the export
must take. :class:`XlsxWriter` writes the few parts of an Office Open XML workbook itself: the worksheet is
streamed into the zip (deflated) as it is written, text as inline strings (no shared-string table to keep in
memory), numbers as numbers, dates and date-times as Excel serial numbers with a date format. The tests read
its files back with openpyxl.

**CSV from the database.** A large export spends its time in PyMySQL (pure Python) decoding every column
of every row, not in writing: :func:`csv_line_sql` makes MariaDB build each row's whole CSV line, and
:func:`write_lines` writes them (1,000,000 rows: 19 s instead of 207 s end to end, ``benchmarks/RESULTS.md``).
:func:`write_csv` writes rows of values (same format; text quoted only where needed).

**Formula injection.** Caller names come from the outside (caller ID). In CSV a text starting with ``=``,
``@``, a tab or a carriage return, or with ``+``/``-`` and not shaped like a phone number, gets a leading
``'`` so a spreadsheet shows it as text instead of running it. XLSX inline strings are never formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import islice
from typing import IO
from xml.sax.saxutils import escape

CALL_COLUMNS: dict[str, str] = {  # field → column heading
	"start": "Start",
	"linkedid": "Call ID",
	"direction": "Direction",
	"status": "Status",
	"caller": "Caller",
	"caller_name": "Caller Name",
	"did": "Call Center Number",
	"queue": "Queue",
	"campaign": "Campaign",
	"agent": "Agent",
	"answered_at": "Answered At",
	"end": "End",
	"wait_s": "Wait (s)",
	"ring_s": "Ring (s)",
	"talk_s": "Talk (s)",
	"billable_s": "Billable (s)",
	"queue_result": "Queue Result",
	"hangup_cause": "Hangup Cause",
	"ticket": "Ticket",
}
BATCH = 2000  # rows per write and between progress calls
_PHONE = re.compile(r"^[+-][0-9 ().-]*$")  # the same class as GUARD_REGEXP's
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_DAY = dt.timedelta(days=1)

Progress = Callable[[int], None]


def safe_text(value: str) -> str:
	"""``value`` with a leading ``'`` when a spreadsheet would read it as a formula (see module doc)."""
	if value and value[0] in "=@\t\r":
		return "'" + value
	if value and value[0] in "+-" and not _PHONE.match(value):
		return "'" + value
	return value


RISKY_START = frozenset("=@\t\r+-")


def safe_row(row: Sequence, columns: Sequence[int]) -> list:
	"""``row`` as a list with the text in ``columns`` made safe (:func:`safe_text`)."""
	out = list(row)
	for i in columns:
		value = out[i]
		if value.__class__ is str and value and value[0] in RISKY_START:
			out[i] = safe_text(value)
	return out


def write_csv(
	rows: Iterable[Sequence],
	out: IO[str],
	header: Sequence[str],
	progress: Progress | None = None,
	sanitize: Sequence[int] = (),
) -> int:
	"""Write ``header`` and ``rows`` to the text stream ``out`` (open it with ``newline=""``); returns the
	number of rows. The text in the ``sanitize`` columns (those that come from outside, such as caller
	names) goes through :func:`safe_text`. None is written empty, anything else as ``str()`` gives it (give
	date-times as text for speed: the report's query formats them). ``progress(rows_so_far)`` is called
	every :data:`BATCH` rows."""
	writer = csv.writer(out)
	writer.writerow(header)
	count = 0
	it = iter(rows)
	while True:
		batch = list(islice(it, BATCH))
		if not batch:
			break
		if sanitize:
			batch = [safe_row(r, sanitize) for r in batch]
		writer.writerows(batch)
		count += len(batch)
		if progress:
			progress(count)
	if progress and not count:
		progress(0)
	return count


TEXT, NUMBER, DATETIME = "text", "number", "datetime"
CALL_KINDS = {f: NUMBER for f in ("wait_s", "ring_s", "talk_s", "billable_s")} | {
	f: DATETIME for f in ("start", "answered_at", "end")
}


# the formula guard as one regular expression (safe_text's rule: = @ tab CR first, or a sign not followed by
# a phone number to the end); the tab and CR as themselves, so the statement needs no backslash escape
GUARD_REGEXP = "^([=@\t\r]|[-+](?![0-9 ().-]*$))"


def csv_line_sql(columns: Sequence[tuple[str, str]], sanitize: Iterable[str] = (), line_end: str = "") -> str:
	"""A MariaDB expression that makes the whole CSV line of a row, so the database does the formatting and
	the client reads one value per row instead of decoding every column (PyMySQL is pure Python: that
	decoding, not the writing, is what a large export spends its time on).

	``columns``: (SQL column expression, kind) with kind ``text``, ``number`` or ``datetime``. The line is what
	:func:`write_csv` writes for the same values, except that every non-empty text is quoted (both are valid
	CSV and read back the same): None is empty, date-times ``YYYY-MM-DD HH:MM:SS``, and text in the
	``sanitize`` columns gets :func:`safe_text`'s leading ``'`` by the same rule (a bench test compares the
	two on awkward values). ``line_end`` is appended to every line (``"\\r"`` for the database client's raw
	output, whose own ``\\n`` completes CSV's line end).

	The cheapest of equal forms, measured on a million rows (``benchmarks/RESULTS.md``): ``left(t, 19)`` for a
	date-time's text (``date_format``: 0.3 s more), ``if(length(t), …, '')`` for "quoted unless NULL or empty"
	(``length`` counts no characters: 0.35 s less than ``char_length(ifnull(t, '')) = 0``), one regular
	expression for the guard (0.25 s less than a first-character test and a second one)."""
	guarded = set(sanitize)
	parts = []
	for column, kind in columns:
		if kind == NUMBER:
			parts.append(f"ifnull({column}, '')")
		elif kind == DATETIME:
			parts.append(f"ifnull(left({column}, 19), '')")
		else:
			text = column
			if column in guarded:
				text = f"if({column} regexp '{GUARD_REGEXP}', concat('''', {column}), {column})"
			parts.append(f"if(length({column}), concat('\"', replace({text}, '\"', '\"\"'), '\"'), '')")
	line = f"concat_ws(',', {', '.join(parts)})"
	if line_end:
		line = f"concat({line}, '{line_end}')"
	return line


def write_lines(
	lines: Iterable[Sequence], out: IO[str], header: Sequence[str], progress: Progress | None = None
) -> int:
	"""Write ``header`` as a CSV line, then each row's first value as a ready line (see :func:`csv_line_sql`),
	with CSV's ``\\r\\n`` line ends; returns the number of lines."""
	csv.writer(out).writerow(header)
	count = 0
	it = iter(lines)
	while True:
		batch = list(islice(it, BATCH))
		if not batch:
			break
		out.write("\r\n".join([row[0] for row in batch]))
		out.write("\r\n")
		count += len(batch)
		if progress:
			progress(count)
	if progress and not count:
		progress(0)
	return count


def column_letter(index: int) -> str:
	"""0 → A, 25 → Z, 26 → AA."""
	letters = ""
	index += 1
	while index:
		index, rest = divmod(index - 1, 26)
		letters = chr(65 + rest) + letters
	return letters


def excel_serial(value: dt.date) -> float:
	"""Days since 1899-12-30 (Excel's serial date; time as the fraction). Aware datetimes keep their wall
	time."""
	if isinstance(value, dt.datetime):
		if value.tzinfo is not None:
			value = value.replace(tzinfo=None)
		return (value - _EPOCH) / _DAY
	return float((value - _EPOCH.date()).days)


@lru_cache(maxsize=4096)  # statuses, queues, agents … repeat on every row; unique ids pass through
def _text_cell(value: str) -> str:
	if not value:
		return "<c/>"
	if _ILLEGAL_XML.search(value):
		value = _ILLEGAL_XML.sub("", value)
	text = escape(value)
	space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
	return f'<c t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _float_cell(value: float) -> str:
	return f"<c><v>{value!r}</v></c>" if math.isfinite(value) else "<c/>"


def _datetime_cell(value: dt.datetime) -> str:
	return f'<c s="1"><v>{excel_serial(value)!r}</v></c>'


def _date_cell(value: dt.date) -> str:
	return f'<c s="2"><v>{excel_serial(value):.0f}</v></c>'


_CELLS: dict[type, Callable[[object], str]] = {
	str: _text_cell,
	int: lambda v: f"<c><v>{v}</v></c>",
	bool: lambda v: f'<c t="b"><v>{int(v)}</v></c>',
	float: _float_cell,
	dt.datetime: _datetime_cell,
	dt.date: _date_cell,
	type(None): lambda v: "<c/>",
}


def _cell(value) -> str:
	"""One cell of a row (no reference: cells follow each other; an empty value is an empty cell)."""
	write = _CELLS.get(value.__class__)
	if write is not None:
		return write(value)
	for kind, writer in _CELLS.items():  # subclasses (Decimal is no float: written as text)
		if isinstance(value, kind) and kind is not str:
			return writer(value)
	return _text_cell(str(value))


_CONTENT_TYPES = (
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
	'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
	'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
	'<Default Extension="xml" ContentType="application/xml"/>'
	'<Override PartName="/xl/workbook.xml" '
	'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
	'<Override PartName="/xl/worksheets/sheet1.xml" '
	'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
	'<Override PartName="/xl/styles.xml" '
	'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
	"</Types>"
)
_ROOT_RELS = (
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
	'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
	'<Relationship Id="rId1" '
	'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
	'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
	'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
	'<Relationship Id="rId1" '
	'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
	'Target="worksheets/sheet1.xml"/>'
	'<Relationship Id="rId2" '
	'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
	'Target="styles.xml"/></Relationships>'
)
_STYLES = (
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
	'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
	'<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
	'<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
	'<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
	'<fills count="2"><fill><patternFill patternType="none"/></fill>'
	'<fill><patternFill patternType="gray125"/></fill></fills>'
	'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
	'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
	'<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
	'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
	'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
	'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
	'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
	"</styleSheet>"
)


def _workbook(sheet_name: str) -> str:
	return (
		'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
		'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
		'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
		f'<sheets><sheet name="{escape(sheet_name[:31], {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
		"</sheets></workbook>"
	)


def write_xlsx(
	rows: Iterable[Sequence],
	path: str,
	header: Sequence[str],
	sheet_name: str = "Calls",
	progress: Progress | None = None,
	widths: Sequence[float] | None = None,
) -> int:
	"""Write an .xlsx workbook of one sheet: a bold ``header`` row (frozen) and ``rows``; returns the number
	of rows. The sheet is compressed while it is written; memory stays constant."""
	count = 0
	with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
		with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
			write = raw.write
			cols = ""
			if widths:
				cols = (
					"<cols>"
					+ "".join(
						f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
						for i, w in enumerate(widths, start=1)
					)
					+ "</cols>"
				)
			write(
				(
					'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
					'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
					'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
					'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
					f"{cols}<sheetData>"
					'<row r="1">'
					+ "".join(f'<c t="inlineStr" s="3"><is><t>{escape(h)}</t></is></c>' for h in header)
					+ "</row>"
				).encode()
			)
			parts: list[str] = []
			cells = _CELLS
			for row in rows:
				count += 1
				parts.append(
					f'<row r="{count + 1}">{"".join([cells.get(v.__class__, _cell)(v) for v in row])}</row>'
				)
				if len(parts) >= BATCH:
					write("".join(parts).encode())
					parts.clear()
					if progress:
						progress(count)
			write(("".join(parts) + "</sheetData></worksheet>").encode())
		zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
		zf.writestr("_rels/.rels", _ROOT_RELS)
		zf.writestr("xl/workbook.xml", _workbook(sheet_name))
		zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
		zf.writestr("xl/styles.xml", _STYLES)
	if progress:
		progress(count)
	return count
