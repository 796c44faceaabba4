"""Time choosing Contacts by area (geo/service.py, issue 15) over a large Contact/Address table on a real
bench: the indexed bounding-box prefilter in SQL, the exact test in Python, and the whole preview the desk
dialog shows (phones, call list and do-not-call lookups).

Bulk-inserts ``--contacts`` Contacts, each with one Address at a position in Lithuania (denser around the
cities) and a mobile number, with plain SQL, committed; a second run reuses them. ``--cleanup`` deletes them.

Run from the bench's sites folder with the bench's Python and this tree first on the path:

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/callcenter_app ../env/bin/python \\
        /path/to/callcenter_app/benchmarks/bench_geo_area.py --site geo.localhost --contacts 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

PREFIX = "bench-geo-"
CITIES = [(54.6872, 25.2797), (54.8985, 23.9036), (55.7033, 21.1443), (55.9349, 23.3137), (55.7348, 24.3575)]


def pct(values, p):
	values = sorted(values)
	return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(name, seconds, extra=""):
	ms = [s * 1000 for s in seconds]
	print(
		f"{name}: n={len(ms)} p50 {statistics.median(ms):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
		f"max {max(ms):.1f} ms{extra}",
		flush=True,
	)


def position(rng):
	if rng.random() < 0.4:
		return rng.uniform(53.9, 56.4), rng.uniform(21.0, 26.8)
	lat, lon = rng.choice(CITIES)
	return lat + rng.gauss(0, 0.08), lon + rng.gauss(0, 0.13)


def insert(frappe, n, batch, rng):
	have = frappe.db.count("Contact", {"name": ["like", PREFIX + "%"]})
	if have >= n:
		print(f"reusing {have:,} contacts")
		return
	now = frappe.utils.now()
	t = time.perf_counter()
	for start in range(have, n, batch):
		ids = range(start, min(n, start + batch))
		contacts, addresses, links = [], [], []
		for i in ids:
			name = f"{PREFIX}{i:07d}"
			lat, lon = position(rng)
			mobile = f"+3706{rng.randrange(10**7):07d}"
			contacts.append(
				(name, f"Geo {i}", f"Geo {i}", mobile, now, now, "Administrator", "Administrator")
			)
			addresses.append(
				(f"{name}-a", f"Geo {i}", f"Gatvė {i % 200}", "Vilnius", "Lithuania", lat, lon, now, now)
			)
			links.append((f"{name}-l", f"{name}-a", "Address", "links", "Contact", name, 1, now, now))
		frappe.db.sql(
			"""insert into `tabContact` (name, first_name, full_name, mobile_no, creation, modified, owner,
			modified_by) values """
			+ ",".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(contacts)),
			[v for row in contacts for v in row],
		)
		frappe.db.sql(
			"""insert into `tabAddress` (name, address_title, address_line1, city, country, cc_latitude,
			cc_longitude, creation, modified) values """
			+ ",".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(addresses)),
			[v for row in addresses for v in row],
		)
		frappe.db.sql(
			"""insert into `tabDynamic Link` (name, parent, parenttype, parentfield, link_doctype, link_name, idx,
			creation, modified) values """
			+ ",".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(links)),
			[v for row in links for v in row],
		)
		frappe.db.commit()
	print(f"inserted {n - have:,} contacts with addresses in {time.perf_counter() - t:.0f} s", flush=True)


def insert_phones(frappe, batch):
	"""Contact Phone rows with cc_e164, as the app's Contact hook keeps them (for runs that inserted none)."""
	missing = frappe.db.sql(
		"""select c.name, c.mobile_no from `tabContact` c left join `tabContact Phone` p on p.parent = c.name
		where c.name like %s and p.name is null""",
		PREFIX + "%",
	)
	now = frappe.utils.now()
	for start in range(0, len(missing), batch):
		rows = [
			(f"{name}-p", name, "Contact", "phone_nos", mobile, mobile, 1, 1, now, now)
			for name, mobile in missing[start : start + batch]
		]
		frappe.db.sql(
			"""insert into `tabContact Phone` (name, parent, parenttype, parentfield, phone, cc_e164,
			is_primary_mobile_no, idx, creation, modified) values """
			+ ",".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows)),
			[v for row in rows for v in row],
		)
		frappe.db.commit()
	if missing:
		print(f"inserted {len(missing):,} Contact Phone rows", flush=True)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--contacts", type=int, default=100_000)
	parser.add_argument("--queries", type=int, default=100)
	parser.add_argument("--batch", type=int, default=2000)
	parser.add_argument("--seed", type=int, default=15)
	parser.add_argument("--cleanup", action="store_true")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from callcenter_app.geo import service
	from callcenter_app.geo.areas import Circle
	from callcenter_app.geo.points import Point

	if args.cleanup:
		for table, column in (
			("Dynamic Link", "name"),
			("Contact Phone", "name"),
			("Address", "name"),
			("Contact", "name"),
		):
			frappe.db.sql(f"delete from `tab{table}` where {column} like %s", PREFIX + "%")
		frappe.db.commit()
		print("deleted")
		return
	rng = random.Random(args.seed)
	insert(frappe, args.contacts, args.batch, rng)
	insert_phones(frappe, args.batch)
	total = frappe.db.sql(
		"select count(*) from `tabAddress` where not (cc_latitude = 0 and cc_longitude = 0)"
	)[0][0]
	print(f"geocoded addresses: {total:,}")
	if not frappe.db.exists("CC Campaign", "CC Geo Bench"):
		frappe.get_doc(
			{
				"doctype": "CC Campaign",
				"campaign_name": "CC Geo Bench",
				"status": "Draft",
				"direction": "Outbound",
				"dialer_mode": "Preview",
				"default_timezone": "Europe/Vilnius",
				"check_dnc": 1,
				"windows": [{"weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "20:00:00"}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

	def centres(k):
		return [Point(*position(rng)) for _ in range(k)]

	for radius in (2, 5, 10, 20):
		find, full, sizes = [], [], []
		for c in centres(args.queries):
			areas = [Circle(c, radius)]
			t = time.perf_counter()
			found = service.find_contacts(areas)
			find.append(time.perf_counter() - t)
			t = time.perf_counter()
			plan = service.plan_additions("CC Geo Bench", found)
			full.append(time.perf_counter() - t + find[-1])
			sizes.append(len(found))
			assert plan.matched == len(found)
		extra = f" [contacts found: median {statistics.median(sizes):.0f}, max {max(sizes)}]"
		line(f"circle {radius:>2} km, query (box in SQL + exact)", find, extra)
		line(f"circle {radius:>2} km, whole preview", full)
	# an agent's day: 8 appointments 10 km apart at most, 5 km around each
	find, full, sizes = [], [], []
	for c in centres(args.queries):
		areas = [
			Circle(Point(c.lat + rng.uniform(-0.05, 0.05), c.lon + rng.uniform(-0.08, 0.08)), 5)
			for _ in range(8)
		]
		t = time.perf_counter()
		found = service.find_contacts(areas)
		find.append(time.perf_counter() - t)
		t = time.perf_counter()
		service.plan_additions("CC Geo Bench", found)
		full.append(time.perf_counter() - t + find[-1])
		sizes.append(len(found))
	extra = f" [contacts found: median {statistics.median(sizes):.0f}, max {max(sizes)}]"
	line("8 appointments x 5 km, query", find, extra)
	line("8 appointments x 5 km, whole preview", full)
	c = Point(*CITIES[0])
	boxes = service.sql_boxes([Circle(c, 10)])
	plan = frappe.db.sql(
		"""explain select name, cc_latitude, cc_longitude from `tabAddress` force index (cc_geo_index)
		where cc_latitude between %s and %s and cc_longitude between %s and %s and disabled = 0""",
		list(boxes[0]),
		as_dict=True,
	)
	print("plan: " + "; ".join(f"{r.table} {r.type} key={r.key} rows={r.rows} {r.Extra}" for r in plan))


if __name__ == "__main__":
	main()
