"""Bank statements → incoming lines: CSV with a column mapping, and ISO 20022 CAMT.053 XML.

What counts as an error (decided here, documented in the package README):

- **The file is malformed** — not decodable, not CSV with the mapped columns, not well-formed XML, not a
  CAMT.053 document of a known version (``camt.053.001.02`` … ``.08``), a DTD or entity in the XML
  (refused by defusedxml), an entry without amount or currency, no line at all that can be read:
  :class:`StatementError` is raised naming the line or element and the reason, and **nothing** is returned.
- **One line is bad on its own** — an amount with more decimals than its currency, an unreadable date, an
  unknown currency: the line is left out of ``lines`` and listed in ``problems`` (line/element, field,
  reason), so a person sees it; the good lines are returned. If *no* line is good the file is malformed.
- **Not incoming money** — debits (CSV: a negative amount or a debit indicator; CAMT: ``CdtDbtInd`` DBIT),
  reversals and entries not booked (CAMT ``Sts`` other than BOOK) are skipped and counted, never returned.

Line ids: CAMT's ``AcctSvcrRef`` of the transaction (else of the entry, with ``/n`` for the n-th transaction of
a batch entry); CSV's mapped id column, else a stable id made from the line's content (date, amount,
currency, text, counterparty and the how-many-th identical line it is), so re-importing the same file, or an
overlapping export, gives the same ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from callcenter_app.common.errors import FieldError

from . import money


class StatementError(ValueError):
	"""The file cannot be read as a statement: ``where`` (a line, an element) and ``reason``."""

	def __init__(self, where: str, reason: str):
		self.where, self.reason = where, reason
		super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class StatementLine:
	line_id: str
	date: dt.date
	amount_minor: int  # > 0: incoming
	currency: str
	text: str  # remittance information (unstructured, and the structured reference if any)
	counterparty: str = ""
	reference: str = ""  # a structured creditor reference given as such (CAMT Strd/CdtrRefInf/Ref)
	where: str = ""  # "line 12" / "Ntry 3": for messages


@dataclass(frozen=True, slots=True)
class LineProblem:
	where: str
	field: str
	reason: str


@dataclass
class Statement:
	lines: list[StatementLine] = field(default_factory=list)
	problems: list[LineProblem] = field(default_factory=list)
	skipped: int = 0  # debits, reversals, pending entries
	account: str = ""  # the statement's own account (CAMT Acct/Id/IBAN), if it says
	statement_id: str = ""
	format: str = ""


# --- CSV -------------------------------------------------------------------------------------------------

CSV_FIELDS = ("date", "amount", "currency", "text", "counterparty", "line_id", "credit_debit")
REQUIRED_CSV = ("date", "amount", "text")


@dataclass(frozen=True)
class CsvMapping:
	"""How to read one bank's CSV export. ``columns`` maps our fields to the file's header names:
	``date``, ``amount``, ``text`` (remittance) are required; ``currency`` (else ``default_currency``),
	``counterparty``, ``line_id`` and ``credit_debit`` (a column saying credit or debit, e.g. C/D, Haben/Soll)
	are optional. Several header names joined by ``+`` are read as one text (e.g. two remittance columns)."""

	columns: Mapping[str, str]
	delimiter: str = ","
	decimal: str = "."
	thousands: str = ""
	date_format: str = "%Y-%m-%d"
	default_currency: str = ""
	encoding: str = "utf-8-sig"
	skip_rows: int = 0  # lines before the header (a bank's preamble)
	debit_values: tuple[str, ...] = ("D", "DBIT", "DEBIT", "S", "SOLL")

	def check(self) -> None:
		for name in self.columns:
			if name not in CSV_FIELDS:
				raise FieldError("columns", f"{name!r} is no statement field ({', '.join(CSV_FIELDS)})")
		for name in REQUIRED_CSV:
			if not str(self.columns.get(name) or "").strip():
				raise FieldError("columns", f"the {name} column is not mapped")
		if not self.columns.get("currency") and not self.default_currency:
			raise FieldError("default_currency", "is needed when no currency column is mapped")
		if self.default_currency:
			money.normalize_currency(self.default_currency, field="default_currency")
		if len(self.delimiter) != 1 or self.delimiter in '\r\n"':
			raise FieldError("delimiter", f"{self.delimiter!r} is not one character usable as a delimiter")
		if self.decimal not in (".", ","):
			raise FieldError("decimal", f"{self.decimal!r}: the decimal mark is '.' or ','")
		if self.thousands == self.decimal:
			raise FieldError("thousands", "the thousands separator cannot be the decimal mark")
		try:
			dt.datetime.strptime(dt.date(2026, 12, 4).strftime(self.date_format), self.date_format)
		except ValueError:
			raise FieldError("date_format", f"{self.date_format!r} is no date format (e.g. %d.%m.%Y)")
		if not (isinstance(self.skip_rows, int) and 0 <= self.skip_rows <= 100):
			raise FieldError("skip_rows", f"{self.skip_rows!r} is not 0 to 100")


def _decode(data: bytes | str, encoding: str, where: str = "file") -> str:
	if isinstance(data, str):
		return data
	try:
		return data.decode(encoding)
	except (UnicodeDecodeError, LookupError) as e:
		raise StatementError(where, f"cannot be read as {encoding} text ({e})")


def _amount_text(raw: str, mapping: CsvMapping) -> str:
	text = raw.strip().replace("\u00a0", "").replace(" ", "")
	if mapping.thousands:
		text = text.replace(mapping.thousands, "")
	if mapping.decimal == ",":
		if "." in text:
			raise ValueError(f"{raw!r} has a '.' but the decimal mark is ','")
		text = text.replace(",", ".")
	elif "," in text:
		raise ValueError(f"{raw!r} has a ',' but the decimal mark is '.'")
	if text.endswith("-"):  # "12,50-": some banks put the sign last
		text = "-" + text[:-1]
	return text


def line_hash(*parts: str, occurrence: int) -> str:
	digest = hashlib.sha256("\x1f".join((*parts, str(occurrence))).encode()).hexdigest()
	return f"h:{digest[:24]}"


def parse_csv(data: bytes | str, mapping: CsvMapping) -> Statement:
	"""The incoming lines of a CSV statement (see the module doc for errors and skipped lines)."""
	mapping.check()
	text = _decode(data, mapping.encoding)
	rows = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)
	try:
		for _ in range(mapping.skip_rows):
			next(rows, None)
		header = next(rows, None)
	except csv.Error as e:
		raise StatementError(f"line {rows.line_num}", f"is not CSV ({e})")
	if not header:
		raise StatementError("line 1", "the file is empty: no header line")
	header = [h.strip() for h in header]
	index: dict[str, list[int]] = {}
	for name, spec in mapping.columns.items():
		if not spec:
			continue
		cols = []
		for part in str(spec).split("+"):
			part = part.strip()
			if part not in header:
				raise StatementError(
					f"line {mapping.skip_rows + 1}",
					f"no column {part!r} for {name} in the header ({', '.join(header)})",
				)
			cols.append(header.index(part))
		index[name] = cols
	width = len(header)
	stmt = Statement(format="CSV")
	seen: dict[tuple, int] = {}
	dates: dict[str, dt.date] = {}  # a statement has few distinct dates; strptime is slow
	default_currency = mapping.default_currency.strip().upper()
	debit_values = {v.upper() for v in mapping.debit_values}
	try:
		for row in rows:
			where = f"line {rows.line_num}"
			if not any(c.strip() for c in row):
				continue
			if len(row) != width:
				raise StatementError(where, f"has {len(row)} columns, the header has {width}")

			def get(name: str, row=row) -> str:
				cols = index.get(name)
				if not cols:
					return ""
				if len(cols) == 1:
					return row[cols[0]].strip()
				return " ".join(row[i].strip() for i in cols if row[i].strip())

			try:
				raw_date = get("date")
				date = dates.get(raw_date)
				if date is None:
					try:
						date = dates[raw_date] = dt.datetime.strptime(raw_date, mapping.date_format).date()
					except ValueError:
						raise FieldError("date", f"{raw_date!r} does not match {mapping.date_format}")
				currency = money.normalize_currency(get("currency") or default_currency)
				try:
					amount_text = _amount_text(get("amount"), mapping)
				except ValueError as e:
					raise FieldError("amount", str(e))
				amount = money.to_minor(amount_text, currency, allow_negative=True)
			except FieldError as e:
				stmt.problems.append(LineProblem(where, e.field, e.reason))
				continue
			if amount <= 0 or get("credit_debit").upper() in debit_values:
				stmt.skipped += 1
				continue
			remittance, counterparty = get("text"), get("counterparty")
			line_id = get("line_id")
			if not line_id:
				key = (raw_date, amount_text, currency, remittance, counterparty)
				seen[key] = seen.get(key, 0) + 1
				line_id = line_hash(
					date.isoformat(), str(amount), currency, remittance, counterparty, occurrence=seen[key]
				)
			stmt.lines.append(
				StatementLine(line_id, date, amount, currency, remittance, counterparty, "", where)
			)
	except csv.Error as e:
		raise StatementError(f"line {rows.line_num}", f"is not CSV ({e})")
	_all_bad(stmt)
	return stmt


def _all_bad(stmt: Statement) -> None:
	if stmt.problems and not stmt.lines:
		first = stmt.problems[0]
		raise StatementError(
			first.where,
			f"no line could be read ({len(stmt.problems)} bad; first: {first.field}: {first.reason}); "
			"check the format settings",
		)


# --- CAMT.053 --------------------------------------------------------------------------------------------

CAMT_VERSIONS = tuple(f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v:02d}" for v in range(2, 9))
_TAG = re.compile(r"\{([^}]*)\}(.*)")


def _find(el, tags: tuple[str, ...]):
	for tag in tags:
		el = el.find(tag)
		if el is None:
			return None
	return el


def _findtext(el, tags: tuple[str, ...]) -> str | None:
	found = _find(el, tags)
	return None if found is None else (found.text or "")


def _findall(el, tags: tuple[str, ...]) -> list:
	level = [el]
	for tag in tags:
		level = [child for parent in level for child in parent.findall(tag)]
	return level


def parse_camt053(data: bytes | str) -> Statement:
	"""The incoming (CRDT, booked) lines of a CAMT.053 bank-to-customer statement."""
	from xml.etree import ElementTree

	from defusedxml import DefusedXmlException
	from defusedxml.ElementTree import DefusedXMLParser, ParseError

	# defusedxml's parser refuses DTDs, entity declarations and external references at the expat level; the
	# tree itself is built by the C TreeBuilder (the pure-Python one defusedxml would use is twice as slow)
	try:
		parser = DefusedXMLParser(target=ElementTree.TreeBuilder(), forbid_dtd=True)
		parser.feed(data.encode() if isinstance(data, str) else data)
		root = parser.close()
	except DefusedXmlException as e:
		raise StatementError("file", f"XML with a DTD or entities is refused ({type(e).__name__})")
	except LookupError as e:  # the XML declaration names an encoding Python does not know
		raise StatementError("XML declaration", f"names an unknown encoding ({e})") from None
	except ParseError as e:
		line, col = getattr(e, "position", (0, 0))
		raise StatementError(
			f"line {line}, column {col}", f"is not well-formed XML ({e.msg if hasattr(e, 'msg') else e})"
		)
	m = _TAG.fullmatch(root.tag)
	if not m or m.group(2) != "Document":
		raise StatementError("root element", f"{root.tag!r} is no ISO 20022 Document")
	ns = m.group(1)
	if ns not in CAMT_VERSIONS:
		raise StatementError("Document", f"namespace {ns!r} is not CAMT.053 001.02 to 001.08")
	q = "{" + ns + "}"

	paths: dict[tuple[str, ...], tuple[str, ...]] = {}

	def path(*names: str) -> tuple[str, ...]:
		# qualified tags, walked one step at a time: a one-tag find runs in C, a path goes through ElementPath
		got = paths.get(names)
		if got is None:
			got = paths[names] = tuple(q + n for n in names)
		return got

	report = root.find(q + "BkToCstmrStmt")
	if report is None:
		raise StatementError("Document", "has no BkToCstmrStmt")
	stmts = report.findall(q + "Stmt")
	if not stmts:
		raise StatementError("BkToCstmrStmt", "has no Stmt")
	out = Statement(format=ns.rsplit(":", 1)[1])
	n = 0
	for s_i, stmt in enumerate(stmts, 1):
		acct = (
			_findtext(stmt, path("Acct", "Id", "IBAN"))
			or _findtext(stmt, path("Acct", "Id", "Othr", "Id"))
			or ""
		)
		if s_i == 1:
			out.account, out.statement_id = acct.strip(), (stmt.findtext(q + "Id") or "").strip()
		for e_i, ntry in enumerate(stmt.findall(q + "Ntry"), 1):
			n += 1
			where = f"Stmt {s_i} Ntry {e_i}"
			indicator = (ntry.findtext(q + "CdtDbtInd") or "").strip()
			if indicator not in ("CRDT", "DBIT"):
				raise StatementError(f"{where}/CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT")
			status = (_findtext(ntry, path("Sts", "Cd")) or ntry.findtext(q + "Sts") or "BOOK").strip()
			reversal = (ntry.findtext(q + "RvslInd") or "").strip().lower() == "true"
			if indicator != "CRDT" or status != "BOOK" or reversal:
				out.skipped += 1
				continue
			amt = ntry.find(q + "Amt")
			if amt is None or not (amt.text or "").strip() or not amt.get("Ccy"):
				raise StatementError(f"{where}/Amt", "is missing, empty or has no Ccy")
			date_text = (
				_findtext(ntry, path("BookgDt", "Dt"))
				or _findtext(ntry, path("BookgDt", "DtTm"))
				or _findtext(ntry, path("ValDt", "Dt"))
				or _findtext(ntry, path("ValDt", "DtTm"))
				or ""
			).strip()
			entry_ref = (ntry.findtext(q + "AcctSvcrRef") or "").strip()
			txs = _findall(ntry, path("NtryDtls", "TxDtls"))
			if len(txs) <= 1:
				parts = [(txs[0] if txs else None, amt, entry_ref, where)]
			else:  # a batch entry: one line per transaction, with its own amount
				parts = []
				for t_i, tx in enumerate(txs, 1):
					tx_amt = _find(tx, path("AmtDtls", "TxAmt", "Amt"))
					if tx_amt is None:
						tx_amt = tx.find(q + "Amt")
					if tx_amt is None:
						raise StatementError(
							f"{where}/TxDtls {t_i}", "a batch entry's transaction has no amount"
						)
					parts.append(
						(tx, tx_amt, f"{entry_ref}/{t_i}" if entry_ref else "", f"{where}/TxDtls {t_i}")
					)
			for tx, amount_el, fallback_id, w in parts:
				try:
					try:
						date = dt.date.fromisoformat(date_text[:10])
					except ValueError:
						raise FieldError("BookgDt", f"{date_text!r} is no date")
					currency = money.normalize_currency(amount_el.get("Ccy") or amt.get("Ccy"), field="Ccy")
					amount = money.to_minor(amount_el.text.strip(), currency, field="Amt")
					if amount == 0:
						raise FieldError("Amt", "is 0")
				except FieldError as e:
					out.problems.append(LineProblem(w, e.field, e.reason))
					continue
				texts, structured, counterparty, line_id = [], "", "", ""
				if tx is not None:
					line_id = (_findtext(tx, path("Refs", "AcctSvcrRef")) or "").strip()
					texts = [(u.text or "").strip() for u in _findall(tx, path("RmtInf", "Ustrd"))]
					structured = " ".join(
						(r.text or "").strip()
						for r in _findall(tx, path("RmtInf", "Strd", "CdtrRefInf", "Ref"))
					)
					counterparty = (
						_findtext(tx, path("RltdPties", "Dbtr", "Nm"))
						or _findtext(tx, path("RltdPties", "Dbtr", "Pty", "Nm"))
						or ""
					).strip()
				if not line_id and len(parts) > 1:
					line_id = fallback_id
				line_id = line_id or entry_ref
				if not line_id:
					line_id = line_hash(
						out.account, date.isoformat(), str(amount), currency, *texts, structured, occurrence=n
					)
				text = " ".join(t for t in (*texts, structured) if t)
				out.lines.append(
					StatementLine(line_id, date, amount, currency, text, counterparty, structured, w)
				)
	_all_bad(out)
	return out


def parse(data: bytes | str, mapping: CsvMapping | None = None) -> Statement:
	"""CAMT.053 when the content is XML, else CSV with ``mapping``."""
	head = (data[:200].decode("utf-8", "replace") if isinstance(data, bytes) else data[:200]).lstrip(
		"\ufeff \t\r\n"
	)
	if head.startswith("<"):
		return parse_camt053(data)
	if mapping is None:
		raise StatementError("file", "is not XML, and no CSV column mapping is set")
	return parse_csv(data, mapping)


def total_minor(lines: list[StatementLine]) -> dict[str, int]:
	out: dict[str, int] = {}
	for line in lines:
		out[line.currency] = out.get(line.currency, 0) + line.amount_minor
	return out
