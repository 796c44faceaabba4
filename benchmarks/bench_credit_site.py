"""A bank statement import on a real bench: ``--lines`` incoming lines (CSV or CAMT.053) through the
import job (parse, match against the open top-ups, store the lines in bulk, credit the exact matches through
``credit.service.confirm_top_up``), timed end to end and per phase.

Run from the bench's sites folder with the bench's Python and the worktree first on the path:

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/worktree ../env/bin/python \
        /path/to/worktree/benchmarks/bench_credit_site.py --site SITE --lines 100000 --matched 1000 --format csv

``--matched`` lines pay an open top-up exactly (each one is a ledger entry); the others carry a reference of
no top-up, a partial amount or none (listed for the Accountant). The job commits as it goes (as in
production), so everything it made is deleted at the end (a bench account, its top-ups and entries, the
import and its lines).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--lines", type=int, default=100_000)
	parser.add_argument("--matched", type=int, default=1_000)
	parser.add_argument("--format", choices=("csv", "camt"), default="csv")
	parser.add_argument("--seed", type=int, default=16)
	parser.add_argument(
		"--local-infile",
		action="store_true",
		help="turn Frappe's local_infile on for this process: the lines go in by LOAD DATA LOCAL INFILE",
	)
	parser.add_argument(
		"--per-entry", action="store_true", help="credit through confirm_top_up one by one (the old path)"
	)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	if args.local_infile:
		frappe.conf.local_infile = 1
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.conf.max_file_size = 200 * 1024 * 1024  # this process only: a 100,000-line CAMT file is 33 MB
	try:
		run(frappe, args)
	finally:
		cleanup(frappe)
		frappe.destroy()


CUSTOMER = "CC Bench Bank Customer"


def cleanup(frappe) -> None:
	frappe.db.rollback()
	account = frappe.db.get_value("CC Credit Account", {"customer": CUSTOMER}, "name")
	# by file: a CAMT statement names its own account (the import takes it), a CSV one is "BENCH"
	for name in frappe.get_all(
		"CC Bank Statement Import", filters={"file": ("like", "%/cc-bench-statement%")}, pluck="name"
	):
		frappe.db.delete("CC Bank Statement Line", {"statement_import": name})
		frappe.db.delete("CC Bank Statement Import", {"name": name})
	frappe.db.delete("File", {"file_name": ("like", "cc-bench-statement%")})
	if account:
		for doctype in ("CC Credit Ledger Entry", "CC Top Up"):
			frappe.db.delete(doctype, {"account": account})
		frappe.db.delete("CC Credit Account", {"name": account})
	frappe.db.commit()


def run(frappe, args) -> None:
	from bench_credit import to_camt, to_csv
	from frappe.utils import now_datetime

	from callcenter_app.credit import references
	from callcenter_app.credit.bank import service as bank
	from callcenter_app.test_utils import make_credit_account

	rng = random.Random(args.seed)
	cleanup(frappe)
	account = make_credit_account(CUSTOMER)
	# warm-up: a 20-line import with one credit, so the timed run does not pay for importing (and, with
	# PYTHONDONTWRITEBYTECODE as on this bench, compiling) the modules a long-running worker has loaded
	statement(
		frappe, account, rng, 20, 1, args.format, "warm-up", bank, references, to_csv, to_camt, now_datetime
	)
	doc, data = statement(
		frappe,
		account,
		rng,
		args.lines,
		args.matched,
		args.format,
		"",
		bank,
		references,
		to_csv,
		to_camt,
		now_datetime,
	)
	print(
		f"{args.lines:,} lines ({len(data) / 1e6:.1f} MB {args.format.upper()}), {args.matched:,} exact matches; "
		f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
	)
	if args.per_entry:
		from callcenter_app.credit import service as credit

		bulk_path = credit.confirm_top_ups
		credit.confirm_top_ups = lambda credits, **k: bulk_path(credits, one_by_one=True)
	print(
		f"crediting path: {'per entry (confirm_top_up each)' if args.per_entry else 'bulk (confirm_top_ups)'}"
	)
	timed(frappe, bank, doc, account)


def statement(
	frappe, account, rng, lines, matched, fmt, tag, bank, references, to_csv, to_camt, now_datetime
):
	"""An import of ``lines`` lines, ``matched`` of them paying a new open top-up exactly; warm-up runs it."""
	now, rows, top_ups = now_datetime(), [], []
	for i in range(lines):
		amount = rng.randint(1000, 500000)
		if i < matched:
			ref = references.sequence_reference(i, f"BENCH{tag[:1]}")
			top_ups.append(
				(
					f"TOP-BENCH{tag[:1]}-{i:07d}",
					account,
					"Bank Transfer",
					"Requested",
					amount,
					"EUR",
					ref,
					"Administrator",
					"Administrator",
					now,
					now,
					0,
				)
			)
			text = f"Guthaben {references.format_reference(ref).lower()}"
		elif i % 3 == 0:
			text = references.make_reference(f"X{i}")  # a reference of no top-up
		else:
			text = f"Rechnung {i} ohne Referenz"
		rows.append((f"L{tag[:1]}{i:07d}", amount, text, f"Kunde {i}"))
	rng.shuffle(rows)
	frappe.db.bulk_insert(
		"CC Top Up",
		(
			"name",
			"account",
			"method",
			"status",
			"amount_minor",
			"currency",
			"rf_reference",
			"owner",
			"modified_by",
			"creation",
			"modified",
			"docstatus",
		),
		top_ups,
	)
	data = to_csv(rows) if fmt == "csv" else to_camt(rows)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"cc-bench-statement{tag}.{fmt}",
			"content": data,
			"is_private": 1,
		}
	).insert(ignore_permissions=True)
	from callcenter_app.test_utils import BANK_CSV_MAPPING as mapping

	doc = frappe.get_doc(
		{
			"doctype": "CC Bank Statement Import",
			"file": file.file_url,
			"bank_account": "BENCH",
			**(mapping if fmt == "csv" else {}),
		}
	).insert()
	frappe.db.commit()
	if tag:
		bank.run_import(doc.name)
	return doc, data


def _mariadb_cpu() -> float | None:
	"""CPU seconds the MariaDB server has used (all its clients: on a shared VM, other sites' too)."""
	import subprocess

	try:
		pid = subprocess.run(["pidof", "mariadbd"], capture_output=True, text=True).stdout.split()[0]
		fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
		return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
	except (IndexError, OSError, ValueError):
		return None


def timed(frappe, bank, doc, account) -> None:
	"""The import through ``bank.run_import``, with each phase timed by wrapping the function that does it
	(wall and this process's CPU), the wall time spent inside ``frappe.db.sql`` (waiting for MariaDB, plus
	the little Python around the call) and MariaDB's own CPU."""
	labels = (
		"read + parse",
		"match + store the lines",
		"  of which reading top-ups and seen keys",
		"  of which matching (pure)",
		"  of which INSERTs",
		"credit the exact matches",
		"commits (all phases)",
	)
	phases: dict[str, list[float]] = {label: [0.0, 0.0] for label in labels}

	def wrap(owner, attr, label):
		real = getattr(owner, attr)

		def timed_call(*a, **k):
			t, c = time.perf_counter(), time.process_time()
			try:
				return real(*a, **k)
			finally:
				got = phases[label]
				got[0] += time.perf_counter() - t
				got[1] += time.process_time() - c

		setattr(owner, attr, timed_call)
		return real

	db_wall = [0.0, 0]
	real_sql = frappe.db.sql

	def sql(*a, **k):
		t = time.perf_counter()
		try:
			return real_sql(*a, **k)
		finally:
			db_wall[0] += time.perf_counter() - t
			db_wall[1] += 1

	originals = [
		(bank, "parse_file", wrap(bank, "parse_file", "read + parse")),
		(bank, "store_lines", wrap(bank, "store_lines", "match + store the lines")),
		(bank, "insert_lines", wrap(bank, "insert_lines", "  of which INSERTs")),
		(bank, "_top_ups_for", wrap(bank, "_top_ups_for", "  of which reading top-ups and seen keys")),
		(bank, "_seen", wrap(bank, "_seen", "  of which reading top-ups and seen keys")),
		(bank.matching, "match", wrap(bank.matching, "match", "  of which matching (pure)")),
		(frappe.db, "commit", wrap(frappe.db, "commit", "commits (all phases)")),
		(bank, "credit_lines", wrap(bank, "credit_lines", "credit the exact matches")),
	]
	frappe.db.sql = sql
	maria0 = _mariadb_cpu()
	t0, c0 = time.perf_counter(), time.process_time()
	try:
		bank.run_import(doc.name)
	finally:
		total, cpu = time.perf_counter() - t0, time.process_time() - c0
		maria1 = _mariadb_cpu()
		frappe.db.sql = real_sql
		for owner, attr, real in originals:
			setattr(owner, attr, real)
	result = frappe.db.get_value(
		"CC Bank Statement Import",
		doc.name,
		["status", "lines_total", "credited", "to_decide", "error"],
		as_dict=True,
	)
	print(
		f"import: {total:.2f} s end to end, CPU of this process {cpu:.2f} s ({result.status}: "
		f"{result.lines_total:,} lines, {result.credited:,} credited, {result.to_decide:,} to decide)"
		f"{' — ' + result.error if result.error else ''}   (target ≤ 20 s for 100,000 lines)"
	)
	for label, (wall, pcpu) in phases.items():
		print(f"  {label}: {wall:.2f} s (CPU {pcpu:.2f} s)")
	credited = phases.get("credit the exact matches", [0.0])[0]
	print(f"  crediting: {1000 * credited / max(1, result.credited):.2f} ms per exact match")
	maria = f"{maria1 - maria0:.2f} s" if maria0 is not None and maria1 is not None else "n/a"
	print(
		f"  inside frappe.db.sql: {db_wall[0]:.2f} s wall in {db_wall[1]:,} calls ({100 * db_wall[0] / total:.0f} %);"
		f" MariaDB server CPU meanwhile {maria} (all its clients); load average now {os.getloadavg()[0]:.1f}"
	)


if __name__ == "__main__":
	main()
