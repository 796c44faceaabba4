"""Storing 100,000 bank statement lines alone, on a real bench: multi-row INSERTs of several sizes (the
import's ``bank.insert_lines``) against ``LOAD DATA LOCAL INFILE``; wall time, this process's CPU and the
MariaDB server's CPU (all its clients). Each run inserts, commits, and deletes its rows.

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/worktree ../env/bin/python \\
        /path/to/worktree/benchmarks/bench_credit_insert.py --site SITE 2000 5000 10000 0

A size of 0 is ``LOAD DATA LOCAL INFILE``; this process turns Frappe's ``local_infile`` setting on for its own
connection (the import does not use it: see RESULTS.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_credit_site import _mariadb_cpu


def rows(tag: str, n: int) -> list[tuple]:
	now, day = dt.datetime.now().replace(microsecond=0), dt.date(2026, 12, 4)
	return [
		(
			f"BSI-{tag}-{i:06d}",
			f"BSI-{tag}",
			f"L{i:07d}",
			f"bank:MICRO{tag}:L{i:07d}",
			day,
			1000 + i,
			"EUR",
			f"Kunde {i}",
			f"Rechnung {i} ohne Referenz" if i % 3 else f"RF{i % 97:02d} X{i}",
			"Unmatched",
			None,
			None,
			"no RF reference in the text",
			None,
			None,
			"Administrator",
			"Administrator",
			now,
			now,
			0,
		)
		for i in range(n)
	]


def tsv(value) -> str:
	if value is None:
		return "\\N"
	return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--lines", type=int, default=100_000)
	parser.add_argument("sizes", type=int, nargs="+")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.conf.local_infile = 1  # this process only
	frappe.connect()
	frappe.db.sql("select 1")  # the connection is made now, with local_infile
	from callcenter_app.credit.bank import service as bank

	for size in args.sizes:
		tag = f"M{size}"
		data = rows(tag, args.lines)
		m0, t0, c0 = _mariadb_cpu(), time.perf_counter(), time.process_time()
		frappe.conf.local_infile = 0 if size else 1  # insert_lines chooses by this setting
		if size:
			bank.INSERT_ROWS = size
			bank.insert_lines(data)
		else:  # the same as bank.insert_lines with the setting on, spelled out
			with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
				for row in data:
					fh.write("\t".join(map(tsv, row)) + "\n")
			columns = ", ".join(f"`{c}`" for c in bank.LINE_FIELDS)
			frappe.db.sql(
				f"load data local infile '{fh.name}' into table `tabCC Bank Statement Line` character set utf8mb4"
				f" fields terminated by '\\t' escaped by '\\\\' lines terminated by '\\n' ({columns})"
			)
			os.unlink(fh.name)
		frappe.db.commit()
		wall, cpu, m1 = time.perf_counter() - t0, time.process_time() - c0, _mariadb_cpu()
		stored = frappe.db.count("CC Bank Statement Line", {"statement_import": f"BSI-{tag}"})
		print(
			f"{f'INSERT x{size}' if size else 'LOAD DATA LOCAL'}: {stored:,} rows in {wall:.2f} s wall, "
			f"Python CPU {cpu:.2f} s, MariaDB CPU {m1 - m0:.2f} s; load average {os.getloadavg()[0]:.1f}",
			flush=True,
		)
		frappe.db.sql("delete from `tabCC Bank Statement Line` where statement_import=%s", (f"BSI-{tag}",))
		frappe.db.commit()
	frappe.destroy()


if __name__ == "__main__":
	main()
