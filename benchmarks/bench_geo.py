"""Benchmarks of the pure geo engine (issue 15): slot suggestions over a city's field agents, and the
spatial index's k-nearest over a million points (build time, memory, query latency).

    /work/venv/bin/python benchmarks/bench_geo.py [--agents 200] [--per-agent 8] [--points 1000000]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter_app.geo.points import Point
from callcenter_app.geo.schedule import AgentDay, Shift, Visit, check
from callcenter_app.geo.slots import suggest
from callcenter_app.geo.spatial import SpatialIndex
from callcenter_app.geo.travel import TravelProfile


def rss_mb() -> float:
	with open("/proc/self/statm") as f:
		return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def peak_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def index_bytes(index) -> int:
	arrays = [index._lats, index._lons, *index._xyz, index._axis, index._split]
	return sum(a.itemsize * len(a) for a in arrays) + sys.getsizeof(index._ids)


def pct(values, p):
	values = sorted(values)
	return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(name, seconds, cpu=None):
	"""Wall-clock figures, and the same for the CPU time the query's thread got (on a shared, loaded machine
	the wall clock's tail is mostly time spent waiting for a core)."""
	ms = [s * 1000 for s in seconds]
	text = f"{name}: n={len(ms)} p50 {statistics.median(ms):.2f} ms, p99 {pct(ms, 99):.2f} ms, max {max(ms):.2f} ms"
	if cpu:
		c = [s * 1000 for s in cpu]
		text += f" | CPU p50 {statistics.median(c):.2f} ms, p99 {pct(c, 99):.2f} ms"
	print(text, flush=True)


class Timer:
	def __init__(self):
		self.wall, self.cpu = [], []

	def __enter__(self):
		self._w, self._c = time.perf_counter(), time.thread_time()
		return self

	def __exit__(self, *exc):
		self.cpu.append(time.thread_time() - self._c)
		self.wall.append(time.perf_counter() - self._w)


def city_point(rng, centre=(52.52, 13.40), spread=0.25):
	return Point(
		centre[0] + rng.uniform(-spread, spread), centre[1] + rng.uniform(-spread * 1.6, spread * 1.6)
	)


def build_days(rng, agents, per_agent, day):
	"""Each agent: a home somewhere in the city, appointments of 30-45 minutes within ~3 km of it, booked one
	after the other through check() (each at the first 15-minute start that fits after the last)."""
	profile = TravelProfile(speed_kmh=35, road_factor=1.3, buffer_minutes=10)
	shifts = (
		Shift(day.replace(hour=8), day.replace(hour=12)),
		Shift(day.replace(hour=13), day.replace(hour=18)),
	)
	days = []
	for a in range(agents):
		home = city_point(rng)
		d = AgentDay(f"agent-{a:03d}", home, profile, shifts, ())
		t = day.replace(hour=8) + timedelta(minutes=15 * rng.randrange(0, 2))
		for i in range(per_agent):
			minutes = rng.choice([30, 30, 45])
			loc = city_point(rng, centre=(home.lat, home.lon), spread=0.025)
			start = t
			while start + timedelta(minutes=minutes) <= shifts[-1].end:
				v = Visit(f"APT-{a:03d}-{i}", start, minutes, loc)
				if check(d, v) is None:
					d = d.with_visit(v)
					t = v.end
					break
				start += timedelta(minutes=15)
		days.append(d)
	return days


def bench_suggest(args):
	rng = random.Random(args.seed)
	day = datetime(2026, 12, 7)
	t = time.perf_counter()
	days = build_days(rng, args.agents, args.per_agent, day)
	booked = sum(len(d.visits) for d in days)
	print(
		f"suggest: {args.agents} agents, {booked} appointments booked ({booked / args.agents:.1f} each) "
		f"in {time.perf_counter() - t:.1f} s"
	)
	timer = Timer()
	counts = []
	for _ in range(args.queries):
		loc = city_point(rng, spread=0.1)
		with timer:
			got = suggest(days, loc, args.minutes, k=5, step_minutes=15)
		counts.append(len(got))
	line(f"suggest(k=5, {args.minutes} min, step 15) over {args.agents} agents", timer.wall, timer.cpu)
	print(f"suggestions returned: min {min(counts)}, max {max(counts)}")
	timer = Timer()
	for _ in range(args.queries):
		loc = city_point(rng, spread=0.1)
		with timer:
			suggest(days, loc, args.minutes, k=10, step_minutes=15, max_per_agent=1)
	line(f"suggest(k=10, max_per_agent=1) over {args.agents} agents", timer.wall, timer.cpu)


def bench_index(args):
	rng = random.Random(args.seed)
	n = args.points
	ids = [f"CONTACT-{i:07d}" for i in range(n)]
	# Europe-wide, denser around a few cities: a realistic skew, not a uniform square
	cities = [(52.52, 13.40), (48.86, 2.35), (54.69, 25.28), (41.90, 12.50), (51.51, -0.13)]
	lats, lons = [], []
	for i in range(n):
		if i % 3 == 0:
			lats.append(rng.uniform(36, 60))
			lons.append(rng.uniform(-10, 30))
		else:
			c = cities[i % len(cities)]
			lats.append(c[0] + rng.gauss(0, 0.3))
			lons.append(c[1] + rng.gauss(0, 0.5))
	gc.collect()
	before = rss_mb()
	t = time.perf_counter()
	index = SpatialIndex.from_arrays(ids, lats, lons)
	build = time.perf_counter() - t
	grown = rss_mb() - before
	del lats, lons
	gc.collect()
	gc.freeze()  # a long-lived index: keep its objects out of the collector's full passes
	ids_mb = sum(sys.getsizeof(s) for s in ids[:10000]) / 10000 * n / 1e6 + 8 * n / 1e6
	print(
		f"index: {n:,} points built in {build:.1f} s; the process grew by {grown:.0f} MB while building "
		f"(the index's arrays: {index_bytes(index) / 1e6:.0f} MB; its ids' strings, {ids_mb:.0f} MB, are the "
		f"caller's); peak RSS {peak_mb():.0f} MB",
		flush=True,
	)
	queries = [Point(rng.uniform(36, 60), rng.uniform(-10, 30)) for _ in range(args.queries * 10)]
	queries += [
		Point(c[0] + rng.gauss(0, 0.3), c[1] + rng.gauss(0, 0.5)) for c in cities for _ in range(args.queries)
	]
	for k in (1, 10, 50):
		timer = Timer()
		for q in queries:
			with timer:
				index.nearest(q, k)
		line(f"nearest(k={k})", timer.wall, timer.cpu)
	for radius in (1, 5, 20):
		timer, sizes = Timer(), []
		for q in queries[: args.queries * 2]:
			with timer:
				sizes.append(len(index.within(q, radius)))
		line(
			f"within({radius} km) [median {statistics.median(sizes):.0f} hits, max {max(sizes)}]",
			timer.wall,
			timer.cpu,
		)


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--agents", type=int, default=200)
	parser.add_argument("--per-agent", type=int, default=8)
	parser.add_argument("--minutes", type=int, default=30, help="length of the appointment to place")
	parser.add_argument("--points", type=int, default=1_000_000)
	parser.add_argument("--queries", type=int, default=200)
	parser.add_argument("--seed", type=int, default=15)
	parser.add_argument("--only", choices=["suggest", "index"])
	args = parser.parse_args()
	print(f"Python {sys.version.split()[0]}")
	if args.only != "index":
		bench_suggest(args)
	if args.only != "suggest":
		bench_index(args)


if __name__ == "__main__":
	main()
