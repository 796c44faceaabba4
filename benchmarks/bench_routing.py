"""Route evaluator decisions per second, and FastAGI call setups on loopback with concurrent calls.

    python benchmarks/bench_routing.py [--calls 5000] [--concurrency 50]

Call setup = from the client's connect() until it receives the routing decision (EXEC Queue), with the
AGI environment of a real Asterisk 22 and the SET VARIABLE tags answered on the way. The server runs in
its own process, the client (playing Asterisk) in this one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from agi_peer import env_lines

from callcenter_app.telephony.agi.server import RouteServer, ServerConfig, install_fast_loop
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.simulate import simulate

EXAMPLE = ROOT / "tests" / "data" / "routes_example.json"
WHEN = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.timezone.utc)


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


def serve(port_queue):
	install_fast_loop()
	routes = serialize.loads(EXAMPLE.read_text())

	async def main():
		server = RouteServer(lambda: routes, ServerConfig(host="127.0.0.1", port=0), now=lambda: WHEN)
		_, port = await server.start()
		port_queue.put(port)
		await server.serve_forever()

	asyncio.run(main())


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
			writer.write(b"200 result=0\n")
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
	args = parser.parse_args()

	loop_name = install_fast_loop()
	print(f"event loop: {loop_name}")
	calls_per_s, steps_per_s = bench_evaluator()
	print(f"evaluator: {calls_per_s:,.0f} calls routed/s, {steps_per_s:,.0f} decisions (steps)/s on one core")

	ports = multiprocessing.Queue()
	server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
	server.start()
	port = ports.get(timeout=10)
	try:
		asyncio.run(load(port, 200, args.concurrency))  # warm-up
		latencies, elapsed = asyncio.run(load(port, args.calls, args.concurrency))
		hold = args.concurrency / args.rate  # so that about `concurrency` calls are in the queue at once
		open_latencies, open_elapsed, peak = asyncio.run(open_loop(port, args.calls, args.rate, hold))
	finally:
		server.terminate()
	print(
		f"FastAGI saturation (closed loop, {args.concurrency} clients back to back, {args.calls} calls): "
		f"{args.calls / elapsed:,.0f} call setups/s; latency {percentiles(latencies)} (mostly queueing)"
	)
	print(
		f"FastAGI at {args.rate:,.0f} calls/s offered, each held {hold * 1000:.0f} ms in the queue "
		f"(peak {peak} calls in progress): {args.calls / open_elapsed:,.0f} call setups/s; "
		f"setup latency {percentiles(open_latencies)}"
	)
	print("targets: p99 <= 5 ms per call setup, >= 500 calls/s")


if __name__ == "__main__":
	main()
