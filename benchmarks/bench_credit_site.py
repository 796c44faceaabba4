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
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
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
	for name in frappe.get_all("CC Bank Statement Import", filters={"bank_account": "BENCH"}, pluck="name"):
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
	mapping = {
		"csv_delimiter": ";",
		"csv_decimal": ",",
		"csv_date_format": "%d.%m.%Y",
		"col_date": "Buchungstag",
		"col_amount": "Betrag",
		"col_currency": "Waehrung",
		"col_text": "Verwendungszweck",
		"col_counterparty": "Auftraggeber",
		"col_line_id": "Id",
	}
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


def timed(frappe, bank, doc, account) -> None:
	phases = {}
	parse_file = bank.parse_file

	def timed_parse(d):
		t = time.perf_counter()
		try:
			return parse_file(d)
		finally:
			phases["read + parse"] = time.perf_counter() - t

	bank.parse_file = timed_parse
	t0 = time.perf_counter()
	bank.run_import(doc.name)
	total = time.perf_counter() - t0
	bank.parse_file = parse_file
	result = frappe.db.get_value(
		"CC Bank Statement Import",
		doc.name,
		["status", "lines_total", "credited", "to_decide", "error"],
		as_dict=True,
	)
	first, last = frappe.db.sql(
		"select min(creation), max(creation) from `tabCC Credit Ledger Entry` where account=%s and source_name like %s",
		(account, f"{doc.name}-%"),
	)[0]
	crediting = (last - first).total_seconds() if first else 0.0
	parse = phases.get("read + parse", 0.0)
	print(
		f"import: {total:.2f} s end to end ({result.status}: {result.lines_total:,} lines, {result.credited:,} "
		f"credited, {result.to_decide:,} to decide){' — ' + result.error if result.error else ''}"
	)
	print(
		f"  read + parse {parse:.2f} s; match + store the lines ≈ {total - parse - crediting:.2f} s; crediting "
		f"{result.credited:,} top-ups ≈ {crediting:.2f} s ({1000 * crediting / max(1, result.credited):.1f} ms each)"
		"   (target ≤ 20 s for 100,000 lines)"
	)


if __name__ == "__main__":
	main()
