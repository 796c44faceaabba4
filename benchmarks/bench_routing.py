"""Route evaluator decisions per second, and FastAGI call setups on loopback with concurrent calls.

    python benchmarks/bench_routing.py [--calls 5000] [--concurrency 50] [--rate 500] [--workers N]
        [--load-processes N] [--compare-calls 2500] [--repeat 3]

Call setup = from the client's connect() until it receives the routing decision (EXEC Queue), with the
AGI environment of a real Asterisk 22 and the SET VARIABLE tags answered on the way. The server runs in
worker processes of its own (``--workers``, default one per CPU, as ``agi-serve``), the client (playing
Asterisk) in this one.

The last section offers the same open-loop load to 1 worker and to N workers, each without and then with a
competing CPU load (one bounded busy-loop process per CPU, as a busy machine), and prints the setup p99 of
the four cases, so the figures with and without competition come from the same run. Each case runs
``--repeat`` times, interleaved with the others, and the median is printed with every run's p99: on a
shared machine one run can be hit by someone else's work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from agi_peer import env_lines

from callcenter_app.telephony.agi.server import RouteServer, ServerConfig, install_fast_loop
from callcenter_app.telephony.agi.workers import WorkerPool, default_workers
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.simulate import simulate

EXAMPLE = ROOT / "tests" / "data" / "routes_example.json"
WHEN = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.timezone.utc)
LOAD_LIMIT_S = 300.0  # a competing busy loop never runs longer than this, whatever happens to the bench


def bench_evaluator(seconds: float = 2.0) -> tuple[float, float]:
	routes = serialize.loads(EXAMPLE.read_text())
	scenarios = [
		("+37052000000", "+37069999999", ["1"]),
		("+37052000000", "+37061111111", []),
		("+37052000000", "+37069999999", ["", "7", "2"]),
		("+37052000002", "+37069999999", []),
	]
	calls = steps = 0
	started = time.perf_counter()
	while time.perf_counter() - started < seconds:
		for did, caller, digits in scenarios:
			sim = simulate(routes, did, caller, WHEN, digits=digits)
			calls += 1
			steps += len(sim.steps)
	elapsed = time.perf_counter() - started
	return calls / elapsed, steps / elapsed


def start_server(workers: int) -> tuple[WorkerPool, int]:
	"""The route server as ``agi-serve`` runs it: ``workers`` processes sharing one port."""
	routes = serialize.loads(EXAMPLE.read_text())
	pool = WorkerPool(
		ServerConfig(host="127.0.0.1", port=0),
		lambda config: RouteServer(lambda: routes, config, now=lambda: WHEN),
		workers,
	)
	_, port = pool.start()
	return pool, port


def burn(until: float) -> None:
	"""A competing CPU load: spin until ``until`` (time.monotonic) or until terminated."""
	while time.monotonic() < until:
		for _ in range(10000):
			pass


class CompetingLoad:
	"""``processes`` busy loops for the duration of a ``with`` block (and never beyond LOAD_LIMIT_S)."""

	def __init__(self, processes: int):
		self.processes = processes
		self._procs: list = []

	def __enter__(self) -> CompetingLoad:
		ctx = multiprocessing.get_context("fork")
		until = time.monotonic() + LOAD_LIMIT_S
		self._procs = [ctx.Process(target=burn, args=(until,), daemon=True) for _ in range(self.processes)]
		for p in self._procs:
			p.start()
		time.sleep(0.5)  # let the scheduler see them
		return self

	def __exit__(self, *exc) -> None:
		for p in self._procs:
			p.terminate()
		for p in self._procs:
			p.join()


async def one_call(port: int, uid: str, hold: float = 0.0) -> float:
	started = time.perf_counter()
	reader, writer = await asyncio.open_connection("127.0.0.1", port)
	writer.write(
		env_lines("+37052000000", "+37061111111", uid)
	)  # a VIP caller: VIP check, then the VIP queue
	setup = None
	while True:
		line = await reader.readline()
		if not line:
			break
		command = line.decode()
		if command.startswith("EXEC Queue") and setup is None:
			setup = time.perf_counter() - started
			if hold:
				await asyncio.sleep(hold)  # the caller waits in the queue, the session stays open
			writer.write(b"200 result=0\n")
		elif command.startswith("GET VARIABLE"):
			writer.write(b"200 result=0\n")  # QUEUESTATUS and ABANDONED unset: answered
		else:
			writer.write(b"200 result=1\n")
	writer.close()
	if setup is None:
		raise RuntimeError("the server never sent the routing decision")
	return setup


async def load(port: int, calls: int, concurrency: int) -> tuple[list[float], float]:
	latencies: list[float] = []
	counter = iter(range(calls))

	async def worker():
		for i in counter:
			latencies.append(await one_call(port, f"1795337959.{i}"))

	started = time.perf_counter()
	await asyncio.gather(*(worker() for _ in range(concurrency)))
	return latencies, time.perf_counter() - started


async def open_loop(port: int, calls: int, rate: float, hold: float) -> tuple[list[float], float, int]:
	"""Calls arrive at ``rate`` per second and each stays ``hold`` seconds in the queue."""
	latencies: list[float] = []
	in_progress = peak = 0

	async def call(i):
		nonlocal in_progress, peak
		in_progress += 1
		peak = max(peak, in_progress)
		try:
			latencies.append(await one_call(port, f"1795337960.{i}", hold))
		finally:
			in_progress -= 1

	started = time.perf_counter()
	tasks = []
	for i in range(calls):
		delay = started + i / rate - time.perf_counter()
		if delay > 0:
			await asyncio.sleep(delay)
		tasks.append(asyncio.create_task(call(i)))
	await asyncio.gather(*tasks)
	return latencies, time.perf_counter() - started, peak


def percentiles(latencies: list[float]) -> str:
	latencies = sorted(latencies)
	p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
	return f"p50 {p(0.50):.2f} ms, p99 {p(0.99):.2f} ms, max {latencies[-1] * 1000:.2f} ms"


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--calls", type=int, default=5000)
	parser.add_argument("--concurrency", type=int, default=50)
	parser.add_argument("--rate", type=float, default=500, help="offered call setups per second (open loop)")
	parser.add_argument("--workers", type=int, default=default_workers(), help="default: one per CPU")
	parser.add_argument(
		"--load-processes", type=int, default=default_workers(), help="busy loops of the competing load"
	)
	parser.add_argument("--compare-calls", type=int, default=2500, help="calls per run of the comparison")
	parser.add_argument("--repeat", type=int, default=3, help="runs of each comparison case")
	args = parser.parse_args()

	loop_name = install_fast_loop()
	print(f"event loop: {loop_name}; {default_workers()} CPUs")
	calls_per_s, steps_per_s = bench_evaluator()
	print(f"evaluator: {calls_per_s:,.0f} calls routed/s, {steps_per_s:,.0f} decisions (steps)/s on one core")
	hold = args.concurrency / args.rate  # so that about `concurrency` calls are in the queue at once

	pool, port = start_server(args.workers)
	try:
		asyncio.run(load(port, 200, args.concurrency))  # warm-up
		latencies, elapsed = asyncio.run(load(port, args.calls, args.concurrency))
	finally:
		pool.stop()
	print(
		f"FastAGI saturation ({args.workers} workers, closed loop, {args.concurrency} clients back to back, "
		f"{args.calls} calls): {args.calls / elapsed:,.0f} call setups/s; latency {percentiles(latencies)} "
		"(mostly queueing)"
	)

	print(
		f"FastAGI at {args.rate:,.0f} calls/s offered, each held {hold * 1000:.0f} ms in the queue, "
		f"{args.compare_calls} calls per run, {args.repeat} runs of each case interleaved (median of the runs; "
		f"load average before: {os.getloadavg()[0]:.1f}); competing load = {args.load_processes} busy-loop "
		"processes:"
	)
	cases = [(w, c) for w in sorted({1, args.workers}) for c in (0, args.load_processes)]
	runs: dict[tuple[int, int], list[tuple[float, float, float, int]]] = {case: [] for case in cases}
	for _ in range(args.repeat):
		for workers, competing in cases:
			pool, port = start_server(workers)
			try:
				asyncio.run(load(port, 200, args.concurrency))  # warm-up
				with CompetingLoad(competing):
					lat, took, peak = asyncio.run(open_loop(port, args.compare_calls, args.rate, hold))
			finally:
				pool.stop()
			lat.sort()
			runs[workers, competing].append(
				(args.compare_calls / took, lat[len(lat) // 2] * 1000, lat[int(0.99 * len(lat))] * 1000, peak)
			)
	for (workers, competing), results in runs.items():
		rate, p50, p99, peak = (statistics.median(r[i] for r in results) for i in range(4))
		what = f"{competing} busy loops" if competing else "no competing load"
		each = ", ".join(f"{r[2]:.1f}" for r in results)
		print(
			f"  {workers} worker{'s' if workers > 1 else ' '}, {what:<17}: {rate:,.0f} setups/s, peak {peak:.0f} "
			f"in progress, setup p50 {p50:.2f} ms, p99 {p99:.2f} ms (runs: {each})"
		)
	print("targets: p99 <= 5 ms per call setup, >= 500 calls/s")


if __name__ == "__main__":
	main()
