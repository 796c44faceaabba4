"""Dialer benchmarks: pacing acceptance over 30-day simulations, decision time per tick, simulation wall time.

Run: python benchmarks/bench_dialer.py [--seeds 20] [--days 30] [--operators 20,50] [--jobs N] [--sensitivity]

(a) Acceptance: for each operator count, predictive, VICIdial ADAPT_TAPERED and progressive run the same
    seeds (one 30-day campaign each: 8 h shifts, 30% of dials answered, log-normal talk of mean 180 s, 10 s
    wrap-up; an answer with no operator free within 2 s is abandoned). Targets for predictive: abandon <= 3%
    (abandoned / answered over the 30 days) in at least 95% of the seeds, and talk occupancy >= 87%
    (>= 52 talk minutes per operator-hour).
(b) Pacing decision time per tick, replayed on the states of a simulated day (µs, p50 / p99 / max).
(c) Wall time of one 30-day, 50-operator simulation.
(d) --sensitivity: predictive with 20 operators when the simulated world changes (wrap-up, talk spread).
(e) --vicidial-grid: ADAPT_TAPERED with a few of VICIdial's own settings changed, to check the baseline is
    not just badly configured.
(f) --bounds: the predictive policy with a fixed risk threshold, swept, at three levels of knowledge (what a
    dialer knows; plus every operator's exact free time; plus which dialed calls will be answered): the
    abandon/occupancy frontier of each and the occupancy where it crosses 3% (see dialer_bounds.py).
(g) --sizes: predictive at several operator counts (where talk occupancy reaches 87%).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callcenter_app.dialer.pacing import (
	PacingState,
	Predictive,
	Progressive,
	VicidialAdaptive,
	VicidialConfig,
)
from callcenter_app.dialer.simulator import SimParams, SimResult, comparison_table, run

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dialer_bounds  # benchmark-only helpers, next to this file

BASE = SimParams(operators=20, answer_probability=0.30, talk_mean_s=180.0, talk_cv=1.0, wrap_mean_s=10.0)
SHIFT_END_HHMM = 1700  # shifts run 09:00–17:00; ADAPT_TAPERED tapers to its target by the end of the shift
STRATEGIES = ("predictive", "adapt_tapered", "progressive")


def make(name: str):
	if name == "predictive":
		return Predictive()
	if name == "adapt_tapered":
		return VicidialAdaptive(VicidialConfig(method="ADAPT_TAPERED", latest_server_time=SHIFT_END_HHMM))
	if name == "progressive":
		return Progressive()
	raise ValueError(name)


def one_run(job: tuple[str, SimParams, int, int]) -> SimResult:
	name, params, days, seed = job
	return run(make(name), params, days=days, seed=seed)


def parallel(fn, jobs_list: list, jobs: int) -> list[SimResult]:
	"""``fn`` over ``jobs_list`` in ``jobs`` worker processes, results in order."""
	with ProcessPoolExecutor(max_workers=jobs) as pool:
		return list(pool.map(fn, jobs_list, chunksize=1))


def by_seeds(results: list[SimResult], seeds: int) -> list[list[SimResult]]:
	"""Consecutive groups of ``seeds`` results (one group per variant, in the order they were listed)."""
	return [results[i : i + seeds] for i in range(0, len(results), seeds)]


def pooled(results: list[SimResult]) -> SimResult:
	first = results[0]
	days = [d for r in results for d in r.days]
	return SimResult(first.strategy, first.params, seed=-1, days=days, wall_s=sum(r.wall_s for r in results))


def acceptance(operators: list[int], seeds: int, days: int, jobs: int) -> None:
	print(
		f"(a) acceptance: {seeds} seeds x {days} days per strategy and operator count; 8 h shifts; "
		f"{BASE.answer_probability:.0%} answered (ring {BASE.ring_to_answer_mean_s:.0f} s mean), talk log-normal "
		f"mean {BASE.talk_mean_s:.0f} s cv {BASE.talk_cv}, wrap-up {BASE.wrap_mean_s:.0f} s; abandoned = no "
		f"operator within {BASE.grace_s:.0f} s; abandon % = abandoned / answered over the {days} days"
	)
	jobs_list = [
		(s, replace(BASE, operators=n), days, seed)
		for n in operators
		for s in STRATEGIES
		for seed in range(seeds)
	]
	t0 = time.perf_counter()
	results = parallel(one_run, jobs_list, jobs)
	elapsed = time.perf_counter() - t0
	by_key: dict[tuple[int, str], list[SimResult]] = {}
	for (s, p, _, _), r in zip(jobs_list, results, strict=True):
		by_key.setdefault((p.operators, s), []).append(r)
	header = (
		f"{'operators':>9}  {'strategy':<14}{'seeds':>6}{'abandon<=3%':>13}{'abandon % mean':>16}{'max':>7}"
		f"{'worst day %':>13}{'occ talk mean':>15}{'min':>7}{'>=87%':>8}{'talk min/h':>12}"
	)
	print(header)
	print("-" * len(header))
	for n in operators:
		for s in STRATEGIES:
			rs = by_key[n, s]
			ab = [r.total.abandon_pct for r in rs]
			occ = [100 * r.total.occupancy_talk for r in rs]
			ok_ab = sum(a <= 3.0 for a in ab)
			ok_occ = sum(o >= 87.0 for o in occ)
			print(
				f"{n:>9}  {s:<14}{len(rs):>6}{f'{ok_ab}/{len(rs)}':>13}{statistics.fmean(ab):>16.2f}{max(ab):>7.2f}"
				f"{max(r.worst_day_abandon_pct for r in rs):>13.2f}{statistics.fmean(occ):>15.1f}{min(occ):>7.1f}"
				f"{f'{ok_occ}/{len(rs)}':>8}{statistics.fmean(r.total.talk_min_per_hour for r in rs):>12.1f}"
			)
	print()
	print("pooled over the seeds (each row: all days of all seeds):")
	print(comparison_table([pooled(by_key[n, s]) for n in operators for s in STRATEGIES]))
	print(
		f"[{len(results)} runs, {sum(len(r.days) for r in results):,} simulated days, {elapsed:.0f} s wall, {jobs} workers]"
	)


def recorded_states(name: str, operators: int, hours: float) -> list[PacingState]:
	states: list[PacingState] = []
	inner = make(name)

	class Recorder:
		def __init__(self) -> None:
			self.name = inner.name

		def decide(self, state: PacingState) -> int:
			states.append(state)
			return inner.decide(state)

	run(Recorder(), replace(BASE, operators=operators, shift_hours=hours), days=1, seed=99)
	return states


def decision_times() -> None:
	print(
		"(b) pacing decision time per tick (replayed on the states of one simulated 8 h day, one core, "
		"GC paused while timing; max includes the first tick, which builds the tables)"
	)
	print(f"{'strategy':<14}{'operators':>10}{'ticks':>8}{'p50 µs':>9}{'p99 µs':>9}{'max µs':>9}")
	for name, operators in (
		("predictive", 20),
		("predictive", 50),
		("adapt_tapered", 50),
		("progressive", 50),
	):
		states = recorded_states(name, operators, 8.0)
		strategy = make(name)
		clock = time.perf_counter_ns
		times = []
		gc.collect()
		gc.disable()  # as timeit does: a collection of the stored states is the harness's cost, not the strategy's
		try:
			for s in states:
				t0 = clock()
				strategy.decide(s)
				times.append(clock() - t0)
		finally:
			gc.enable()
		times.sort()
		q = lambda f: times[min(len(times) - 1, int(f * len(times)))] / 1000  # noqa: E731
		print(
			f"{name:<14}{operators:>10}{len(times):>8}{q(0.5):>9.1f}{q(0.99):>9.1f}{times[-1] / 1000:>9.1f}"
		)
	print("target: < 1 ms per campaign per tick")


def wall_time(days: int) -> None:
	print(f"(c) wall time of one {days}-day, 50-operator simulation (one process)")
	for name in ("predictive", "progressive"):
		r = run(make(name), replace(BASE, operators=50), days=days, seed=7)
		t = r.total
		print(
			f"{name:<12} {r.wall_s:7.1f} s wall ({r.ticks:,} ticks, {t.dials:,} dials, {t.connected:,} calls "
			f"connected; {r.decide_s:.1f} s of it in decide)"
		)


def sensitivity(seeds: int, days: int, jobs: int) -> None:
	print(f"(d) sensitivity: predictive, 20 operators, {seeds} seeds x {days} days, one change at a time")
	variants = {
		"base (wrap 10 s, talk cv 1.0)": BASE,
		"wrap-up 5 s": replace(BASE, wrap_mean_s=5.0),
		"wrap-up 20 s": replace(BASE, wrap_mean_s=20.0),
		"talk cv 0.5": replace(BASE, talk_cv=0.5),
		"talk exponential": replace(BASE, talk_distribution="exponential"),
		"grace 5 s (VICIdial default)": replace(BASE, grace_s=5.0),
	}
	jobs_list = [("predictive", p, days, seed) for p in variants.values() for seed in range(seeds)]
	results = parallel(one_run, jobs_list, jobs)
	print(
		f"{'variant':<32}{'abandon % mean':>16}{'max':>7}{'occ talk mean':>15}{'occ busy':>10}{'talk min/h':>12}"
	)
	for label, rs in zip(variants, by_seeds(results, seeds), strict=True):
		ab = [r.total.abandon_pct for r in rs]
		print(
			f"{label:<32}{statistics.fmean(ab):>16.2f}{max(ab):>7.2f}"
			f"{statistics.fmean(100 * r.total.occupancy_talk for r in rs):>15.1f}"
			f"{statistics.fmean(100 * r.total.occupancy_busy for r in rs):>10.1f}"
			f"{statistics.fmean(r.total.talk_min_per_hour for r in rs):>12.1f}"
		)


VICIDIAL_GRID: list[dict] = [
	{},
	{"maximum_level": 2.0},
	{"maximum_level": 1.5},
	{"maximum_level": 1.3},
	{"intensity": -20, "maximum_level": 2.0},
	{"dl_diff_target": -1, "maximum_level": 2.0},
	{"latest_server_time": 2100},  # VICIdial's default: no tapering before 11:00 in a 09:00–17:00 shift
]


def one_vicidial(job: tuple[dict, SimParams, int, int]) -> SimResult:
	settings, params, days, seed = job
	cfg = VicidialConfig(**{"latest_server_time": SHIFT_END_HHMM, **settings})
	return run(VicidialAdaptive(cfg), params, days=days, seed=seed)


def vicidial_grid(operators: list[int], seeds: int, days: int, jobs: int) -> None:
	print(
		f"(e) ADAPT_TAPERED settings grid: {seeds} seeds x {days} days (latest_server_time {SHIFT_END_HHMM} unless set)"
	)
	jobs_list = [
		(g, replace(BASE, operators=n), days, seed)
		for n in operators
		for g in VICIDIAL_GRID
		for seed in range(seeds)
	]
	results = parallel(one_vicidial, jobs_list, jobs)
	print(f"{'operators':>9}  {'settings':<44}{'abandon % mean':>16}{'max':>7}{'occ talk mean':>15}")
	for i in range(0, len(results), seeds):
		g, p = jobs_list[i][0], jobs_list[i][1]
		rs = results[i : i + seeds]
		ab = [r.total.abandon_pct for r in rs]
		label = ", ".join(f"{k}={v}" for k, v in g.items()) or "defaults"
		print(
			f"{p.operators:>9}  {label:<44}{statistics.fmean(ab):>16.2f}{max(ab):>7.2f}"
			f"{statistics.fmean(100 * r.total.occupancy_talk for r in rs):>15.1f}"
		)


BOUND_TAUS = (0.005, 0.01, 0.02, 0.03, 0.05)


def one_bound(job: tuple[str, float, SimParams, int, int]) -> SimResult:
	level, tau, params, days, seed = job
	return dialer_bounds.run_level(level, tau, params, days, seed)


def bounds(seeds: int, days: int, jobs: int) -> None:
	print(
		f"(f) what more knowledge would buy: 20 operators, {seeds} seeds x {days} days per point, fixed risk "
		f"threshold tau (no controller, no back-off)"
	)
	jobs_list = [
		(level, tau, BASE, days, seed)
		for level in dialer_bounds.LEVELS
		for tau in BOUND_TAUS
		for seed in range(seeds)
	]
	results = parallel(one_bound, jobs_list, jobs)
	print(f"{'knowledge':<28}{'tau':>6}{'abandon %':>11}{'occ talk':>10}{'occ busy':>10}{'talk min/h':>12}")
	crossings = []
	for i in range(0, len(results), seeds):
		level, tau = jobs_list[i][0], jobs_list[i][1]
		total = pooled(results[i : i + seeds]).total
		print(
			f"{level:<28}{tau:>6.3f}{total.abandon_pct:>11.2f}{100 * total.occupancy_talk:>9.1f}%"
			f"{100 * total.occupancy_busy:>9.1f}%{total.talk_min_per_hour:>12.1f}"
		)
		crossings.append((level, total.abandon_pct, 100 * total.occupancy_talk))
	print("talk occupancy where each frontier crosses 3% abandon (linear interpolation):")
	for level in dialer_bounds.LEVELS:
		occ = dialer_bounds.at_target([(a, o) for lv, a, o in crossings if lv == level])
		print(f"  {level:<28}{'not bracketed' if occ is None else f'{occ:.1f}%'}")


def sizes(operators: list[int], seeds: int, days: int, jobs: int) -> None:
	print(f"(g) predictive by operator count: {seeds} seeds x {days} days each")
	jobs_list = [
		("predictive", replace(BASE, operators=n), days, seed) for n in operators for seed in range(seeds)
	]
	results = parallel(one_run, jobs_list, jobs)
	print(
		f"{'operators':>9}{'abandon % mean':>16}{'max':>7}{'occ talk mean':>15}{'min':>7}{'talk min/h':>12}"
	)
	for n, rs in zip(operators, by_seeds(results, seeds), strict=True):
		ab = [r.total.abandon_pct for r in rs]
		occ = [100 * r.total.occupancy_talk for r in rs]
		print(
			f"{n:>9}{statistics.fmean(ab):>16.2f}{max(ab):>7.2f}{statistics.fmean(occ):>15.1f}{min(occ):>7.1f}"
			f"{statistics.fmean(r.total.talk_min_per_hour for r in rs):>12.1f}"
		)


def main() -> None:
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	ap.add_argument("--seeds", type=int, default=20)
	ap.add_argument("--days", type=int, default=30)
	ap.add_argument("--operators", default="20,50")
	ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
	ap.add_argument("--sensitivity", action="store_true", help="also run (d)")
	ap.add_argument("--vicidial-grid", action="store_true", help="also run (e)")
	ap.add_argument("--bounds", action="store_true", help="also run (f)")
	ap.add_argument("--sizes", default="", help="also run (g) for these operator counts, e.g. 20,25,30,40")
	for section, seeds, days in (("sensitivity", 5, 10), ("grid", 5, 10), ("bounds", 4, 5), ("sizes", 3, 10)):
		ap.add_argument(f"--{section}-seeds", type=int, default=seeds)
		ap.add_argument(f"--{section}-days", type=int, default=days)
	ap.add_argument("--skip-acceptance", action="store_true")
	ap.add_argument("--skip-timing", action="store_true", help="skip (b) and (c)")
	args = ap.parse_args()
	print(f"python {platform.python_version()}, {os.cpu_count()} cores, {args.jobs} workers")
	if not args.skip_acceptance:
		acceptance([int(x) for x in args.operators.split(",")], args.seeds, args.days, args.jobs)
		print()
	if not args.skip_timing:
		decision_times()
		print()
		wall_time(args.days)
	if args.sensitivity:
		print()
		sensitivity(args.sensitivity_seeds, args.sensitivity_days, args.jobs)
	if args.vicidial_grid:
		print()
		vicidial_grid([int(x) for x in args.operators.split(",")], args.grid_seeds, args.grid_days, args.jobs)
	if args.bounds:
		print()
		bounds(args.bounds_seeds, args.bounds_days, args.jobs)
	if args.sizes:
		print()
		sizes([int(x) for x in args.sizes.split(",")], args.sizes_seeds, args.sizes_days, args.jobs)


if __name__ == "__main__":
	main()
