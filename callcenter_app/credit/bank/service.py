"""Frappe glue of the bank statement import: background job, lines in bulk, the exact matches credited in
batches through ``credit.service.confirm_top_ups`` (the bulk path: once per line key and per top-up), the
Accountant's decisions (``confirm_top_up``, one line at a time)."""

from __future__ import annotations

import json
import logging

import frappe
from frappe import _
from frappe.utils import now_datetime

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.credit import bulk, matching, references, statements
from callcenter_app.credit import service as credit
from callcenter_app.credit.bank.rules import STATUS_LABELS
from callcenter_app.utils import require, requires

log = logging.getLogger("callcenter.credit")

IMPORT, LINE, TOP_UP = "CC Bank Statement Import", "CC Bank Statement Line", "CC Top Up"
OPEN_TOP_UP = ("Requested", "Pending")
CHUNK = 1000
BATCH = 1000  # exact matches credited per transaction (one progress message each)
INSERT_ROWS = 5000  # statement lines per INSERT
LOOKUP = 5000  # references or line keys per lookup query
LINE_FIELDS = (
	"name",
	"statement_import",
	"line_id",
	"line_key",
	"booking_date",
	"amount_minor",
	"currency",
	"counterparty",
	"remittance",
	"match_status",
	"rf_reference",
	"top_up",
	"reason",
	"decision",
	"duplicate_of",
	"owner",
	"modified_by",
	"creation",
	"modified",
	"docstatus",
)


def require_decider() -> None:
	"""MANAGE_CREDIT: Accountant, Call Center Manager or System Manager (not ``frappe.only_for``: it lets
	everyone through while tests run, so no test could show the refusal)."""
	require(
		roles.MANAGE_CREDIT,
		message=_(
			"Only an Accountant or a Call Center Manager imports bank statements and decides their lines"
		),
	)


def mapping_of(doc) -> statements.CsvMapping:
	columns = {
		field: (doc.get(f"col_{field}") or "").strip()
		for field in ("date", "amount", "currency", "text", "counterparty", "line_id", "credit_debit")
		if (doc.get(f"col_{field}") or "").strip()
	}
	return statements.CsvMapping(
		columns=columns,
		delimiter=doc.csv_delimiter or ",",
		decimal=doc.csv_decimal or ".",
		thousands=doc.csv_thousands or "",
		date_format=doc.csv_date_format or "%Y-%m-%d",
		default_currency=doc.csv_default_currency or "",
		skip_rows=int(doc.csv_skip_rows or 0),
	)


def _content(file_url: str) -> bytes:
	file = frappe.get_doc("File", {"file_url": file_url})
	data = file.get_content()
	return data.encode() if isinstance(data, str) else data


def parse_file(doc) -> statements.Statement:
	data = _content(doc.file)
	fmt = doc.file_format or "Auto"
	has_mapping = bool(doc.col_date or doc.col_amount or doc.col_text)
	if fmt == "CAMT.053":
		return statements.parse_camt053(data)
	if fmt == "CSV":
		return statements.parse_csv(data, mapping_of(doc))
	return statements.parse(data, mapping_of(doc) if has_mapping else None)


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CREDIT)
def enqueue_import(name: str, now: bool = False) -> dict:
	"""Start importing a statement in the background (Accountant, Call Center Manager, System Manager).
	A Failed import runs again (resuming the crediting when it failed after crediting some lines), and so
	does one left Processing by a worker that died (no job of it queued or running)."""
	from frappe.utils.background_jobs import is_job_enqueued

	require_decider()
	doc = frappe.get_doc(IMPORT, name)
	doc.check_permission("write")
	job_id = f"cc_bank_statement_import::{name}"
	if doc.status == "Done":
		frappe.throw(_("This statement is {0}: import a new file instead").format(_(doc.status)))
	if doc.status == "Queued" or (doc.status == "Processing" and is_job_enqueued(job_id)):
		frappe.throw(_("This statement is {0}: wait for its import to finish").format(_(doc.status)))
	frappe.db.set_value(IMPORT, name, {"status": "Queued", "error": None})
	frappe.enqueue(
		"callcenter_app.credit.bank.service.run_import",
		name=name,
		queue="long",
		timeout=3600,
		job_id=job_id,
		deduplicate=True,
		enqueue_after_commit=not now,
		now=bool(now) or frappe.flags.in_test,
	)
	return {"status": "Queued"}


def _fail(name: str, message: str) -> None:
	frappe.db.rollback()
	frappe.db.set_value(IMPORT, name, {"status": "Failed", "error": message})
	frappe.db.commit()


def _chunks(values: list, size: int = CHUNK):
	for i in range(0, len(values), size):
		yield values[i : i + size]


def _top_ups_for(lines: list[statements.StatementLine]) -> list[matching.TopUpRequest]:
	"""The top-ups whose reference any line may carry (open ones, and closed ones so their payments show)."""
	refs: set[str] = set()
	for line in lines:
		if line.reference:
			refs.add(references.normalize(line.reference))
		refs.update(references.candidate_references(f"{line.reference} {line.text}"))
	out = []
	for chunk in _chunks(sorted(refs), LOOKUP):
		for name, ref, amount, currency, status in frappe.db.sql(
			f"select name, rf_reference, amount_minor, currency, status from `tab{TOP_UP}`"
			f" where rf_reference in ({', '.join(map(credit.literal, chunk))})"
		):
			out.append(matching.TopUpRequest(name, ref, int(amount or 0), currency, 0, status in OPEN_TOP_UP))
	return out


def _seen(keys: list[str]) -> dict[str, str]:
	"""line key → the stored line that has it (plain SQL with the keys escaped once: the query builder
	spent more time on 100 lists of 1,000 keys than the database)."""
	seen: dict[str, str] = {}
	for chunk in _chunks(keys, LOOKUP):
		for name, key in frappe.db.sql(
			f"select name, line_key from `tab{LINE}` where line_key in ({', '.join(map(credit.literal, chunk))})"
		):
			seen[key] = name
	return seen


def run_import(name: str) -> dict:
	"""The background job: parse, match, store the lines, credit the exact matches. A malformed file fails
	the import with the reason and stores and credits nothing (the file stays attached). A run that failed
	after crediting some lines (a crash, a lost worker) is resumed by running the import again: its stored
	lines stay, the exact matches not yet credited are credited, none twice."""
	if frappe.db.sql(
		f"select 1 from `tab{LINE}` where statement_import=%s"
		" and (ledger_entry is not null or decision is not null) limit 1",
		(name,),
	):  # credited or decided lines stay: resume
		frappe.db.set_value(IMPORT, name, {"status": "Processing", "error": None})
		frappe.db.commit()
		return _credit_resumably(name)
	frappe.db.delete(
		LINE, {"statement_import": name}
	)  # what a failed run stored, nothing credited or decided
	frappe.db.set_value(IMPORT, name, {"status": "Processing", "error": None})
	frappe.db.commit()
	doc = frappe.get_doc(IMPORT, name)
	try:
		stmt = parse_file(doc)
	except (statements.StatementError, FieldError) as e:
		_fail(name, _("The file was not imported, nothing was credited: {0}").format(str(e)))
		return {"status": "Failed"}
	except frappe.DoesNotExistError:
		_fail(name, _("Statement File: the attached file is missing"))
		return {"status": "Failed"}
	bank_account = (stmt.account or doc.bank_account or "").strip()
	if not bank_account:
		_fail(name, _("Bank Account: set it (a CSV statement does not say which account it is of)"))
		return {"status": "Failed"}
	try:
		store_lines(doc, stmt, bank_account)
	except Exception as e:
		log.exception("statement import %s failed", name)
		_fail(
			name, _("The import failed and was rolled back, nothing was credited: {0}").format(str(e)[:500])
		)
		return {"status": "Failed"}
	return _credit_resumably(name)


def _credit_resumably(name: str) -> dict:
	"""Credit the stored lines; a failure leaves what was credited credited and the import re-runnable."""
	try:
		return _credit_and_finish(name)
	except Exception as e:
		log.exception("statement import %s failed", name)
		_fail(
			name,
			_("The import failed; the lines credited so far stay credited, run it again: {0}").format(
				str(e)[:500]
			),
		)
		return {"status": "Failed"}


def store_lines(doc, stmt: statements.Statement, bank_account: str) -> int:
	"""Match the statement's lines and store them all (one transaction, committed); the import keeps what
	the file said (format, account, skipped, problems). Returns the number of exact matches."""
	name = doc.name
	frappe.publish_progress(
		5, title=_("Importing statement"), description=_("matching"), doctype=IMPORT, docname=name
	)
	top_ups = _top_ups_for(stmt.lines)
	keys = [f"bank:{bank_account}:{line.line_id}" for line in stmt.lines]
	seen = _seen(keys)
	found = matching.match(stmt.lines, top_ups, bank_account=bank_account, seen_keys=seen.keys())
	now = now_datetime()
	user = frappe.session.user
	rows, first_in_file, matched = [], {}, 0
	for i, m in enumerate(found, 1):
		line_name = f"{name}-{i:06d}"
		duplicate_of = None
		key = m.key
		if m.status == matching.DUPLICATE:
			duplicate_of = seen.get(m.key) or first_in_file.get(m.key)
			key = None
		else:
			first_in_file[m.key] = line_name
		if m.status == matching.MATCHED:
			matched += 1
		line = m.line
		rows.append(
			(
				line_name,
				name,
				line.line_id[:140],
				key,
				line.date,
				line.amount_minor,
				line.currency,
				line.counterparty[:140],
				line.text,
				STATUS_LABELS[m.status],
				m.reference,
				m.top_up,
				m.reason,
				None,
				duplicate_of,
				user,
				user,
				now,
				now,
				0,
			)
		)
	frappe.publish_progress(
		8, title=_("Importing statement"), description=_("storing the lines"), doctype=IMPORT, docname=name
	)
	insert_lines(rows)
	frappe.db.set_value(
		IMPORT,
		name,
		{
			"statement_format": stmt.format,
			"bank_account": bank_account,
			"lines_total": len(found),
			"skipped": stmt.skipped,
			"problems": json.dumps([_problem(p) for p in stmt.problems], indent=1) if stmt.problems else None,
		},
	)
	frappe.db.commit()
	return matched


def credit_lines(name: str, *, one_by_one: bool = False) -> int:
	"""Credit the import's exact matches not credited yet, ``BATCH`` lines per transaction (committed
	each, with progress): lines locked (name order), then ``credit.confirm_top_ups`` (top-ups, then
	accounts, in name order). A line decided meanwhile is left alone; one whose top-up was credited
	otherwise, or that the ledger refuses, becomes Over with the reason: listed, never credited silently.
	Returns the number of lines credited by this call."""
	todo = frappe.db.sql(
		f"select name from `tab{LINE}` where statement_import=%s and match_status='Matched'"
		" and decision is null and ledger_entry is null order by name",
		(name,),
		pluck=True,
	)
	# a new transaction: each batch's consistent reads start after its locks (REPEATABLE READ)
	frappe.db.commit()
	credited = 0
	for n, batch in enumerate(bulk.chunks(todo, BATCH), 1):
		rows = frappe.db.sql(
			f"select name, line_key, amount_minor, top_up, decision, ledger_entry, match_status from `tab{LINE}`"
			f" where name in ({', '.join(map(credit.literal, batch))}) order by name for update",
			as_dict=True,
		)
		credits = [
			bulk.Credit(r.top_up, int(r.amount_minor), r.line_key, LINE, r.name)
			for r in rows
			if r.match_status == "Matched"
			and not r.decision
			and not r.ledger_entry
			and r.top_up
			and r.line_key
		]
		outcomes = credit.confirm_top_ups(credits, one_by_one=one_by_one)
		credited += _mark_lines(outcomes)
		frappe.db.commit()
		frappe.publish_progress(
			10 + 90 * min(1.0, n * BATCH / max(1, len(todo))),
			title=_("Importing statement"),
			description=_("{0} of {1} credited").format(min(n * BATCH, len(todo)), len(todo)),
			doctype=IMPORT,
			docname=name,
		)
	return credited


def _mark_lines(outcomes: dict[str, bulk.Outcome]) -> int:
	"""The lines after crediting: Credited with their entry, or Over with the reason (one UPDATE each)."""
	done = [(line, o.entry) for line, o in outcomes.items() if o.status in (bulk.POSTED, bulk.ALREADY)]
	if done:
		frappe.db.sql(
			f"update `tab{LINE}` set decision='Credited', ledger_entry=case name "
			+ " ".join(f"when {credit.literal(line)} then {credit.literal(e)}" for line, e in done)
			+ f" end where name in ({', '.join(credit.literal(line) for line, _e in done)})"
		)
	for line, o in outcomes.items():
		if o.status == bulk.OTHER:
			reason = o.reason
		elif o.status == bulk.REFUSED:
			reason = _("not credited: {0}").format(o.reason[:300])
		else:
			continue
		frappe.db.set_value(LINE, line, {"match_status": "Over", "reason": reason}, update_modified=False)
	return len(done)


def _credit_and_finish(name: str) -> dict:
	credit_lines(name)
	counts = dict(
		frappe.db.sql(
			f"select coalesce(decision, match_status), count(*) from `tab{LINE}` where statement_import=%s"
			" group by coalesce(decision, match_status)",
			(name,),
		)
	)
	total = sum(counts.values())
	credited, duplicates = int(counts.get("Credited", 0)), int(counts.get("Duplicate", 0))
	summary = {
		"status": "Done",
		"lines_total": total,
		"credited": credited,
		"duplicates": duplicates,
		"to_decide": total - duplicates - credited - int(counts.get("Rejected", 0)),
		"error": None,
	}
	frappe.db.set_value(IMPORT, name, summary)
	frappe.db.commit()
	frappe.publish_progress(100, title=_("Importing statement"), doctype=IMPORT, docname=name)
	doc = frappe.db.get_value(
		IMPORT, name, ["statement_format", "bank_account", "skipped", "problems"], as_dict=True
	)
	return {**doc, **summary}


def insert_lines(rows: list[tuple]) -> None:
	"""The lines into their table, in the caller's transaction: ``LOAD DATA LOCAL INFILE`` when the site
	config turns Frappe's ``local_infile`` on for its connection, else multi-row INSERTs of ``INSERT_ROWS``
	lines, values escaped once (``credit.literal``: ints and dates need none, text through pymysql's
	``escape_string``). ``frappe.db.bulk_insert`` builds its statement through pypika term by term, and even
	pymysql's per-parameter ``mogrify`` spent 6 of 9 s on 20,000 lines."""
	if rows and frappe.conf.get("local_infile"):
		_load_lines(rows)
		return
	columns = ", ".join(f"`{f}`" for f in LINE_FIELDS)
	for chunk in bulk.chunks(rows, INSERT_ROWS):
		frappe.db.sql(f"insert into `tab{LINE}` ({columns}) values {credit.values_sql(chunk)}")


def _tsv(value) -> str:
	if value is None:
		return "\\N"
	return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _load_lines(rows: list[tuple]) -> None:
	"""``LOAD DATA LOCAL INFILE`` from a temporary file: about a third of the server's work of the same
	INSERTs (RESULTS.md). With LOCAL, MariaDB turns a duplicate key or a value that does not fit into a
	warning and skips or cuts the row, so the rows loaded and the warnings are checked: any difference fails
	the import (rolled back) instead of losing a line."""
	import os
	import tempfile

	columns = ", ".join(f"`{f}`" for f in LINE_FIELDS)
	with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as fh:
		for row in rows:
			fh.write("\t".join(map(_tsv, row)) + "\n")
	try:
		frappe.db.sql(
			f"load data local infile {credit.literal(fh.name)} into table `tab{LINE}` character set utf8mb4"
			f" fields terminated by '\\t' escaped by '\\\\' lines terminated by '\\n' ({columns})"
		)
		loaded, warnings = frappe.db.sql("select row_count(), @@warning_count")[0]
	finally:
		os.unlink(fh.name)
	if int(loaded) != len(rows) or int(warnings):
		detail = "; ".join(f"{w[2]}" for w in frappe.db.sql("show warnings limit 3")) if warnings else ""
		raise frappe.ValidationError(
			_("Statement lines: {0} of {1} stored by LOAD DATA ({2} warnings{3})").format(
				loaded, len(rows), warnings, ": " + detail if detail else ""
			)
		)


def _problem(p: statements.LineProblem) -> dict:
	return {"where": p.where, "field": p.field, "reason": p.reason}


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CREDIT)
def decide_line(line: str, decision: str, top_up: str | None = None) -> dict:
	"""The Accountant's decision on a line matching did not credit: ``credit`` (credit this line's amount to
	its top-up, or to ``top_up`` when it has none) or ``reject``. Once per line; duplicates are never credited."""
	require_decider()
	row = frappe.db.sql(
		f"select name, line_key, amount_minor, currency, match_status, top_up, decision from `tab{LINE}`"
		" where name=%s for update",
		(line,),
		as_dict=True,
	)
	if not row:
		frappe.throw(_("No bank statement line {0}").format(line), frappe.DoesNotExistError)
	row = row[0]
	if row.decision:
		frappe.throw(_("Line {0} is decided already: {1}").format(line, _(row.decision)))
	values = {"decided_by": frappe.session.user, "decided_at": now_datetime()}
	if decision == "reject":
		frappe.db.set_value(LINE, line, {**values, "decision": "Rejected"})
		return {"decision": "Rejected"}
	if decision != "credit":
		frappe.throw(_("Decision: {0!r} is neither credit nor reject").format(decision))
	if row.match_status == "Duplicate" or not row.line_key:
		frappe.throw(
			_("Line {0} is a duplicate of a line imported before: it is never credited twice").format(line)
		)
	target = row.top_up or top_up
	if not target:
		frappe.throw(_("Top Up: choose the top-up request this money pays"))
	tu = frappe.db.get_value(TOP_UP, target, ["currency", "status"], as_dict=True)
	if not tu:
		frappe.throw(_("Top Up: no CC Top Up {0}").format(target))
	if tu.currency != row.currency:
		frappe.throw(
			_("Currency: the line is in {0}, top-up {1} in {2}").format(row.currency, target, tu.currency)
		)
	if tu.status not in OPEN_TOP_UP:
		frappe.throw(
			_("Top Up: {0} is {1}; record this money as a new top-up or a correction").format(
				target, _(tu.status)
			)
		)
	entry = credit.confirm_top_up(target, int(row.amount_minor), (LINE, line), row.line_key)
	frappe.db.set_value(
		LINE, line, {**values, "decision": "Credited", "ledger_entry": entry.name, "top_up": target}
	)
	return {"decision": "Credited", "ledger_entry": entry.name}
