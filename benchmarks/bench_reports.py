"""Benchmarks of the reports and exports (issue 17): the export writers alone, and on a real bench the Queue
Performance report over 1,000,000 CC Call Logs and the call-detail export job end to end.

Writers (no bench needed; each case in its own process so its peak RSS is its own)::

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_reports.py writers

Site (from the bench's ``sites`` folder, with the bench's Python; rows are bulk-inserted with SQL once,
named like Asterisk's linkedids ``<epoch of start>.<n>`` and owned by ``bench-rep``, and ``--cleanup`` deletes
them; ``--readers client,pymysql`` times the export job reading through the database's client and through
PyMySQL, ``export-case --parts N`` fixes the number of CSV clients)::

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/tree ../env/bin/python \
        /path/to/tree/benchmarks/bench_reports.py site --site reports.localhost --rows 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from itertools import cycle, islice

PREFIX = "bench-rep-"  # the names of the rows of earlier versions of this benchmark
OWNER = "bench-rep"  # marks the benchmark's rows, named like Asterisk's linkedids: "<epoch start>.<counter>"
START = dt.date(2026, 10, 1)
DAYS = 30


def maxrss_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
	return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def server_cpu() -> float:
	"""CPU seconds used so far by the MariaDB server (all its clients: other work on the machine counts too)."""
	try:
		pid = subprocess.run(["pidof", "mariadbd", "mysqld"], capture_output=True, text=True).stdout.split()[
			0
		]
		with open(f"/proc/{pid}/stat") as f:
			fields = f.read().rsplit(")", 1)[1].split()
		return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
	except (IndexError, OSError, ValueError):
		return float("nan")


def cpu_now() -> tuple[float, float, float]:
	"""(this process, its finished children — the database client —, the database server) CPU seconds."""
	children = resource.getrusage(resource.RUSAGE_CHILDREN)
	return time.process_time(), children.ru_utime + children.ru_stime, server_cpu()


def fake_rows(n: int, text_dates: bool):
	"""Call-detail rows shaped like the export query's (19 columns): a pool of 4,096 distinct rows, cycled,
	so the time measured is the writer's and not the making of test data."""
	pool = list(_pool(4096, text_dates))
	return islice(cycle(pool), n)


def _pool(n: int, text_dates: bool):
	base = dt.datetime(2026, 10, 1)
	for i in range(n):
		start = base + dt.timedelta(seconds=i * 2)
		answered = start + dt.timedelta(seconds=12)
		end = start + dt.timedelta(seconds=200)
		if text_dates:
			start, answered, end = (d.strftime("%Y-%m-%d %H:%M:%S") for d in (start, answered, end))
		yield (
			start,
			f"17{i:08d}.{i % 97}",
			"inbound",
			"answered",
			f"+3706{i % 10_000_000:07d}",
			"Bench Caller",
			"+37052000000",
			f"sales-{i % 5}",
			"",
			f"agent{i % 50}@example.com",
			answered,
			end,
			12,
			5,
			180,
			188,
			"connected",
			"16",
			None,
		)


def writer_case(case: str, rows: int) -> dict:
	from callcenter_app.metrics.export import CALL_COLUMNS, write_csv, write_xlsx

	header = list(CALL_COLUMNS.values())
	with tempfile.TemporaryDirectory() as tmp:
		path = os.path.join(tmp, f"out.{case.split('-')[0]}")
		traced = case.endswith("-traced")
		if traced:
			tracemalloc.start()
		wall, cpu = time.perf_counter(), time.process_time()
		if case.startswith("xlsx"):
			write_xlsx(fake_rows(rows, text_dates=False), path, header)
		else:
			with open(path, "w", newline="", encoding="utf-8") as out:
				write_csv(fake_rows(rows, text_dates=True), out, header, sanitize=(4, 5, 6))
		wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
		peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
		return {
			"case": case,
			"rows": rows,
			"wall_s": round(wall, 2),
			"cpu_s": round(cpu, 2),
			"maxrss_mb": round(maxrss_mb(), 1),
			"traced_peak_mb": None if peak is None else round(peak, 1),
			"bytes": os.path.getsize(path),
		}


def writers(args) -> None:
	for case, rows in (
		("xlsx", 100_000),
		("xlsx-traced", 100_000),
		("csv", 1_000_000),
		("csv-traced", 1_000_000),
	):
		out = subprocess.run(
			[sys.executable, __file__, "writer-case", case, str(rows)],
			capture_output=True,
			text=True,
			check=True,
		)
		print(out.stdout.strip())


# --- on a bench ---------------------------------------------------------------------------------------


def insert_rows(frappe, rows: int, batch: int = 100_000) -> None:
	have = frappe.db.sql(f"select count(*) from `tabCC Call Log` where owner = '{OWNER}'")[0][0]
	if have >= rows:
		print(f"reusing {have:,} rows")
		return
	t = time.perf_counter()
	span = DAYS * 86400
	for first in range(have + 1, rows + 1, batch):
		last = min(rows, first + batch - 1)
		frappe.db.sql(
			f"""
			insert into `tabCC Call Log` (name, creation, modified, owner, modified_by, docstatus, idx,
				linkedid, status, direction, caller, caller_name, did, queue, campaign, agent, start,
				answered_at, `end`, wait_s, ring_s, talk_s, duration_s, billable_s, queue_result, complete,
				ticket_checked)
			select concat(unix_timestamp(st), '.', seq), now(), now(), '{OWNER}', 'Administrator', 0, 0,
				concat(unix_timestamp(st), '.', seq),
				case when seq % 10 < 7 then 'answered' when seq % 10 < 9 then 'abandoned' else 'missed' end,
				if(seq % 20 = 0, 'outbound', 'inbound'),
				concat('+3706', lpad(seq % 10000000, 7, '0')), 'Bench Caller', '+37052000000',
				concat('bench-q-', seq % 5), if(seq % 7 = 0, 'bench-campaign', ''),
				concat('bench-agent-', seq % 50, '@example.com'),
				st,
				if(seq % 10 < 7, st + interval w second, null),
				st + interval (w + 200) second,
				w, 5, if(seq % 10 < 7, 30 + (seq * 31) % 600, 0), w + 200, if(seq % 10 < 7, 200, 0),
				case when seq % 10 < 7 then 'connected' when seq % 10 < 9 then 'abandoned' else 'timeout' end,
				1, 1
			from (
				select seq, timestamp('{START.isoformat()}') + interval floor((seq - 1) * {span} / {rows}) second as st,
					(seq * 7919) % 301 as w
				from seq_{first}_to_{last}
			) s
			"""
		)
		frappe.db.commit()
	print(f"inserted {rows - have:,} rows in {time.perf_counter() - t:.0f} s")


def time_report(frappe, runs: int, **filters) -> list[float]:
	from callcenter_app.callcenter_app.report.queue_performance.queue_performance import execute

	values = {
		"from_date": START.isoformat(),
		"to_date": (START + dt.timedelta(days=DAYS - 1)).isoformat(),
		"group_by": "Day",
		**filters,
	}
	times, cpus, servers = [], [], []
	for _ in range(runs):
		t, (cpu, _children, server) = time.perf_counter(), cpu_now()
		_columns, data, _message, _chart, _summary = execute(frappe._dict(values))
		times.append(time.perf_counter() - t)
		after = cpu_now()
		cpus.append(after[0] - cpu)
		servers.append(after[2] - server)
	total = data[-1] if data else {}
	print(
		f"queue report {json.dumps(filters) if filters else '(all queues)'}: rows {len(data)}, offered "
		f"{total.get('offered', 0):,}; runs {', '.join(f'{x:.2f}' for x in times)} s; median "
		f"{statistics.median(times):.2f} s | CPU python {statistics.median(cpus):.2f} s, server "
		f"{statistics.median(servers):.2f} s (medians); {load()}"
	)
	return times


def explain(frappe) -> None:
	plan = frappe.db.sql(
		"""explain select count(*) from `tabCC Call Log` where `direction` = 'inbound'
		and `start` >= %s and `start` < %s and ifnull(`queue`, '') != ''""",
		(START, START + dt.timedelta(days=DAYS)),
		as_dict=True,
	)
	print("plan (range over the whole month):", "; ".join(f"key={p.key} rows={p.rows}" for p in plan))
	plan = frappe.db.sql(
		"""explain select count(*) from `tabCC Call Log` where `direction` = 'inbound'
		and `start` >= %s and `start` < %s and ifnull(`queue`, '') != ''""",
		(START, START + dt.timedelta(days=1)),
		as_dict=True,
	)
	print("plan (one day):", "; ".join(f"key={p.key} rows={p.rows}" for p in plan))


def site_export_case(site: str, file_format: str, days: int, reader: str, parts: int = 0) -> None:
	import frappe

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from callcenter_app.metrics import tasks

	frappe.publish_progress = lambda *a, **k: None  # no socket.io listener here
	if reader == "pymysql":
		tasks.client_binary = lambda: None  # the job's fallback: the rows through PyMySQL, as before
	if parts:
		tasks.client_parts = lambda multi_day: parts  # CSV read by this many clients at once
	try:
		before = maxrss_mb()
		t, cpu = time.perf_counter(), cpu_now()
		out = tasks.export_calls(
			"Administrator",
			START.isoformat(),
			(START + dt.timedelta(days=days - 1)).isoformat(),
			file_format=file_format,
		)
		wall = time.perf_counter() - t
		used = [b - a for a, b in zip(cpu, cpu_now(), strict=True)]
		path = frappe.get_site_path("private", "files", out["file_url"].rsplit("/", 1)[1])
		size = os.path.getsize(path)
		os.remove(path)
		print(
			f"export {file_format} via {out.get('reader', 'pymysql, the code before')}"
			f"{f' in {parts} parts' if parts else ''}: {out['rows']:,} rows in {wall:.2f} s, "
			f"{size / 2**20:.1f} MiB; CPU python {used[0]:.2f} s, client {used[1]:.2f} s, server "
			f"{used[2]:.2f} s; process max RSS {maxrss_mb():.0f} MB (before the export {before:.0f} MB); {load()}"
		)
	finally:
		frappe.db.rollback()  # the File row and the Notification Log
		frappe.destroy()


def site(args) -> None:
	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if args.cleanup:
			frappe.db.sql(f"delete from `tabCC Call Log` where owner = '{OWNER}' or name like '{PREFIX}%%'")
			frappe.db.commit()
			print("deleted the benchmark's rows")
			return
		insert_rows(frappe, args.rows)
		if not args.skip_report:
			print("indexes:", sorted({r[2] for r in frappe.db.sql("show index from `tabCC Call Log`")}))
			explain(frappe)
			time_report(frappe, args.runs)
			time_report(frappe, args.runs, group_by="Hour", from_date=START.isoformat(), to_date="2026-10-07")
			time_report(frappe, args.runs, queue="bench-q-1")
	finally:
		frappe.db.rollback()
		frappe.destroy()
	if args.cleanup:
		return
	for reader in args.readers.split(","):
		for file_format, days in (("xlsx", args.xlsx_days), ("csv", DAYS)):
			subprocess.run(
				[
					sys.executable,
					__file__,
					"export-case",
					"--site",
					args.site,
					"--reader",
					reader,
					file_format,
					str(days),
				],
				check=True,
			)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	sub = parser.add_subparsers(dest="command", required=True)
	sub.add_parser("writers")
	case = sub.add_parser("writer-case")
	case.add_argument("case")
	case.add_argument("rows", type=int)
	on_site = sub.add_parser("site")
	on_site.add_argument("--site", required=True)
	on_site.add_argument("--rows", type=int, default=1_000_000)
	on_site.add_argument("--runs", type=int, default=3)
	on_site.add_argument("--xlsx-days", type=int, default=3, help="days exported to xlsx (100,000 rows: 3)")
	on_site.add_argument("--cleanup", action="store_true")
	on_site.add_argument(
		"--readers",
		default="client,pymysql",
		help="export readers to time: client (the job's), pymysql (before)",
	)
	on_site.add_argument("--skip-report", action="store_true")
	export = sub.add_parser("export-case")
	export.add_argument("--site", required=True)
	export.add_argument("--reader", choices=("client", "pymysql"), default="client")
	export.add_argument(
		"--parts", type=int, default=0, help="CSV: clients at once (default: the job's choice)"
	)
	export.add_argument("file_format")
	export.add_argument("days", type=int)
	args = parser.parse_args()
	if args.command == "writers":
		writers(args)
	elif args.command == "writer-case":
		print(json.dumps(writer_case(args.case, args.rows)))
	elif args.command == "site":
		site(args)
	else:
		site_export_case(args.site, args.file_format, args.days, args.reader, args.parts)


if __name__ == "__main__":
	main()
