"""Time the caller's-Contact lookup (telephony/call_tickets/service.contact_for_number) over a large
Contact Phone table on a real bench, and the LIKE/REPLACE scan it replaced (issue 14).

Bulk-inserts ``--rows`` Contact Phone rows (two per Contact, numbers written three ways, ``cc_e164`` set as
the doc event would) with plain SQL, committed; a second run reuses them. Then times ``--lookups`` random
lookups through the app's function (half hits, half misses), a few numbers that cannot be normalised (the
exact-text fallback) and a few runs of the old query. Use a site made for it: ``--cleanup`` deletes the rows.

Run from the bench's sites folder with the bench's Python and this tree first on the path:

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/callcenter_app ../env/bin/python \
        /path/to/callcenter_app/benchmarks/bench_phone_lookup.py --site cc3.localhost --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

PREFIX = "bench-phone-"


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--rows", type=int, default=1_000_000, help="Contact Phone rows (two per Contact)")
	parser.add_argument("--lookups", type=int, default=2000)
	parser.add_argument("--old-runs", type=int, default=5, help="runs of the old LIKE/REPLACE query")
	parser.add_argument("--batch", type=int, default=5000)
	parser.add_argument("--seed", type=int, default=14)
	parser.add_argument("--cleanup", action="store_true", help="delete the benchmark's rows and stop")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if args.cleanup:
			cleanup(frappe)
		else:
			run(frappe, args)
	finally:
		frappe.db.rollback()
		frappe.destroy()


def national(i: int) -> str:
	"""The i-th Lithuanian mobile number's 8 national digits (6xxxxxxx); misses use i*7+3, never stored."""
	return str(60_000_000 + i * 7)


def written(i: int, digits: str) -> str:
	"""The same number as people type it: international, national with the trunk 8, or with brackets."""
	return (f"+370 {digits[:3]} {digits[3:]}", f"8{digits}", f"8 ({digits[:3]}) {digits[3:5]}-{digits[5:]}")[
		i % 3
	]


def insert_rows(frappe, rows: int, batch: int) -> None:
	present = frappe.db.sql(f"select count(*) from `tabContact Phone` where name like '{PREFIX}%'")[0][0]
	if present >= rows:
		print(f"{present:,} benchmark Contact Phone rows already there", file=sys.stderr)
		return
	if present:
		cleanup(frappe)
	t0 = time.perf_counter()
	now = frappe.utils.now()
	contacts = rows // 2
	for start in range(0, contacts, batch):
		end = min(start + batch, contacts)
		contact_values, phone_values = [], []
		for c in range(start, end):
			name = f"{PREFIX}c{c}"
			contact_values += [name, now, now, "Administrator", "Administrator", f"Bench {c}", f"Bench {c}"]
			for k in (0, 1):
				i = 2 * c + k
				digits = national(i)
				phone_values += [
					f"{PREFIX}{i}",
					now,
					now,
					"Administrator",
					"Administrator",
					name,
					k + 1,
					written(i, digits),
					f"+370{digits}",
					1 - k,
				]
		frappe.db.sql(
			"insert into `tabContact` (name, creation, modified, modified_by, owner, first_name, full_name) "
			"values " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * (end - start)),
			contact_values,
		)
		frappe.db.sql(
			"insert into `tabContact Phone` (name, creation, modified, modified_by, owner, parent, parenttype, "
			"parentfield, idx, phone, cc_e164, is_primary_phone) values "
			+ ", ".join(
				["(%s, %s, %s, %s, %s, %s, 'Contact', 'phone_nos', %s, %s, %s, %s)"] * (2 * (end - start))
			),
			phone_values,
		)
		frappe.db.commit()
		if end % 50_000 == 0 or end == contacts:
			print(f"  {2 * end:,} Contact Phone rows in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
	frappe.db.sql("analyze table `tabContact`, `tabContact Phone`")
	print(
		f"inserted {rows:,} rows ({contacts:,} Contacts) in {time.perf_counter() - t0:.0f} s", file=sys.stderr
	)


def cleanup(frappe) -> None:
	frappe.db.sql(f"delete from `tabContact Phone` where name like '{PREFIX}%'")
	frappe.db.sql(f"delete from `tabContact` where name like '{PREFIX}%'")
	frappe.db.commit()
	print("benchmark rows deleted", file=sys.stderr)


def old_lookup(frappe, number: str, region: str | None) -> str | None:
	"""contact_for_number before issue 14 (commit 96326ab), kept here for the comparison."""
	from callcenter_app.common.phones import try_normalize

	target = try_normalize(number, region)
	digits = "".join(c for c in (target or number) if c.isdigit())
	if len(digits) < 5:
		return None
	rows = frappe.db.sql(
		"""select cp.parent, cp.phone from `tabContact Phone` cp join `tabContact` c on c.name = cp.parent
		where cp.parenttype = 'Contact' and replace(replace(replace(replace(cp.phone, ' ', ''), '-', ''),
		'(', ''), ')', '') like %s order by c.modified desc""",
		(f"%{digits[-7:]}",),
		as_dict=True,
	)
	for row in rows:
		if try_normalize(row.phone, region) == target or (target is None and row.phone == number):
			return row.parent
	return None


def summary(label: str, times_ms: list[float]) -> str:
	times = sorted(times_ms)
	p99 = times[min(len(times) - 1, round(0.99 * len(times)) - 1)]
	return (
		f"{label}: n={len(times)} p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
		f"max {times[-1]:.2f} ms"
	)


def run(frappe, args) -> None:
	from callcenter_app.telephony.call_tickets.service import contact_for_number
	from callcenter_app.utils import default_region

	frappe.db.set_single_value("System Settings", "country", "Lithuania")
	frappe.db.commit()
	insert_rows(frappe, args.rows, args.batch)
	total = frappe.db.sql("select count(*) from `tabContact Phone`")[0][0]
	print(f"tabContact Phone: {total:,} rows; region {default_region()}")

	rng = random.Random(args.seed)
	stored = args.rows // 2 * 2
	cases = []
	for n in range(args.lookups):
		i = rng.randrange(stored)
		hit = n % 2 == 0
		cases.append(
			(
				f"+370{national(i) if hit else str(int(national(i)) + 3)}",
				f"{PREFIX}c{i // 2}" if hit else None,
			)
		)
	for number, _ in cases[:50]:  # warm the connection, caches and buffer pool
		contact_for_number(number)
	times, wrong = {True: [], False: []}, 0
	for number, expected in cases:
		t = time.perf_counter()
		found = contact_for_number(number)
		times[expected is not None].append((time.perf_counter() - t) * 1000)
		wrong += found != expected
	print(summary("new lookup, all  ", times[True] + times[False]))
	print(summary("new lookup, hits ", times[True]))
	print(summary("new lookup, misses", times[False]))
	print(f"wrong answers: {wrong}")

	odd = []
	for number in ["+999 1234567", "+999 7654321", "+000 5555555"] * 3:  # cannot be normalised: exact text
		t = time.perf_counter()
		contact_for_number(number)
		odd.append((time.perf_counter() - t) * 1000)
	print(summary("new lookup, numbers that cannot be normalised (exact text)", odd))

	plan = frappe.db.sql(
		"""explain select cp.parent from `tabContact Phone` cp join `tabContact` c on c.name = cp.parent
		where cp.cc_e164 = %s and cp.parenttype = 'Contact' order by c.modified desc limit 1""",
		(cases[0][0],),
		as_dict=True,
	)
	print("plan: " + "; ".join(f"{r.table} {r.type} key={r.key} rows={r.rows}" for r in plan))

	region = default_region()
	old, old_wrong = [], 0
	for number, expected in cases[: args.old_runs]:
		t = time.perf_counter()
		old_wrong += old_lookup(frappe, number, region) != expected
		old.append((time.perf_counter() - t) * 1000)
	print(summary("old LIKE/REPLACE lookup", old) + f"; wrong answers: {old_wrong}")


if __name__ == "__main__":
	main()
