"""Wallboard aggregator (metrics/wallboard.py): how many events a second it folds, and how often it
publishes when a busy site sends 100 queue events a second.

	python benchmarks/bench_wallboard.py [--events 200000] [--rate 100] [--seconds 10]

1. Fold: a stream like a busy call center's (callers joining and leaving 20 queues, members connecting and
   completing, finished calls), folded one event at a time, events/s on one core; then one snapshot's
   cost with 500 callers waiting, 300 agents and 20,000 calls today.
2. Publish rate, simulated clock: ``--rate`` events/s for 10 minutes of a virtual clock through the
   Throttle, the publisher woken at every event and when the throttle says; the publishes counted.
3. Publish rate, real time: the same rate for ``--seconds`` through the real Pump (its thread, its lock),
   events fed from this thread with sleeps; publishes counted, their gaps measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import itertools

from callcenter_app.metrics.qos import QosParams
from callcenter_app.metrics.wallboard import Pump, Throttle, Wallboard

PARAMS = QosParams(20, 60, 0.5)
QUEUES = [f"queue-{i}" for i in range(20)]


def stream(n: int, start: float, rate: float, seed: int = 1):
	"""``n`` (time, event) pairs at ``rate`` a second: joins, leaves (70 % answered: busy, later free), finished calls."""
	rnd = random.Random(seed)
	waiting: list[tuple[str, str]] = []
	talking: list[str] = []
	t, uid = start, 0
	for _ in range(n):
		t += 1.0 / rate
		r = rnd.random()
		if r < 0.3 or not waiting:
			uid += 1
			queue = rnd.choice(QUEUES)
			waiting.append((queue, f"{uid}.1"))
			yield t, {"kind": "join", "queue": queue, "id": f"{uid}.1", "at": t}
		elif r < 0.6:
			queue, id_ = waiting.pop(rnd.randrange(len(waiting)))
			yield t, {"kind": "leave", "queue": queue, "id": id_, "at": t}
		elif r < 0.75:
			interface = f"PJSIP/agent{rnd.randrange(300)}"
			talking.append(interface)
			yield t, {"kind": "busy", "interface": interface, "at": t}
		elif r < 0.9 and talking:
			yield t, {"kind": "free", "interface": talking.pop(0), "at": t}
		else:
			status = "answered" if rnd.random() < 0.8 else "abandoned"
			yield (
				t,
				{
					"kind": "call",
					"linkedid": f"c{uid}",
					"direction": "inbound",
					"queue": rnd.choice(QUEUES),
					"status": status,
					"queue_result": "connected" if status == "answered" else "abandon",
					"wait_s": rnd.randrange(90),
					"start": t - 120,
				},
			)


def bench_fold(n: int) -> None:
	start = time.time()
	events = [e for _t, e in stream(n, start, 1000)]
	board = Wallboard(lambda q: PARAMS, "UTC")
	t0 = time.perf_counter()
	for e in events:
		board.fold(e)
	dt = time.perf_counter() - t0
	print(f"fold: {n:,} events in {dt:.2f} s = {n / dt:,.0f} events/s (ignored {board.ignored})")

	big = Wallboard(lambda q: PARAMS, "UTC")
	now = time.time()
	big.fold({"kind": "queues", "names": QUEUES})
	big.fold(
		{
			"kind": "agents",
			"agents": [
				{
					"user": f"a{i}",
					"name": f"Agent {i}",
					"logged_in": 1,
					"mode": "Available" if i % 4 else "Break",
					"receives_calls": i % 4,
					"interfaces": [f"PJSIP/agent{i}"],
				}
				for i in range(300)
			],
		}
	)
	for i in range(500):
		big.fold({"kind": "join", "queue": QUEUES[i % 20], "id": f"w{i}", "at": now - i})
	for i in range(100):
		big.fold({"kind": "busy", "interface": f"PJSIP/agent{i}", "at": now - i})
	for i in range(20_000):
		big.fold(
			{
				"kind": "call",
				"linkedid": f"d{i}",
				"direction": "inbound",
				"queue": QUEUES[i % 20],
				"status": "answered" if i % 7 else "abandoned",
				"queue_result": "connected" if i % 7 else "abandon",
				"wait_s": i % 90,
				"start": now - 10,
			}
		)
	reps = 200
	t0 = time.perf_counter()
	for _ in range(reps):
		snap = big.snapshot(now)
	per = (time.perf_counter() - t0) / reps
	print(
		f"snapshot: {per * 1000:.2f} ms with {snap['waiting']} waiting, {snap['agents']['logged_in']} agents,"
		f" {snap['today']['offered']:,} calls today"
	)


class Clock:
	t = 0.0

	def __call__(self) -> float:
		return self.t


def bench_simulated(rate: float, minutes: int = 10) -> None:
	clock = Clock()
	throttle = Throttle(1.0, clock)
	board = Wallboard(lambda q: PARAMS, "UTC")
	times: list[float] = []
	n = int(rate * 60 * minutes)
	for at, e in stream(n, 0.0, rate):
		due = throttle.wait_s()
		if due is not None and clock.t + due <= at:  # the trailing publish before this event
			clock.t += due
			throttle.take()
			times.append(clock.t)
		clock.t = at
		if board.fold(e):
			throttle.changed()
		if throttle.take():
			times.append(clock.t)
	seconds = clock.t
	gaps = [b - a for a, b in itertools.pairwise(times)]
	print(
		f"simulated: {n:,} events at {rate:g}/s over {seconds:.0f} s of virtual clock -> {len(times)} publishes"
		f" = {len(times) / seconds:.3f}/s; shortest gap {min(gaps):.3f} s"
	)


def bench_real_time(rate: float, seconds: float) -> None:
	published: list[float] = []
	board = Wallboard(lambda q: PARAMS, "UTC")
	pump = Pump(board, lambda snap: published.append(time.monotonic()), interval=1.0).start()
	n = int(rate * seconds)
	t0 = time.monotonic()
	for i, (_at, e) in enumerate(stream(n, time.time(), rate)):
		target = t0 + (i + 1) / rate
		delay = target - time.monotonic()
		if delay > 0:
			time.sleep(delay)
		pump.fold([e])
	fed = time.monotonic() - t0
	time.sleep(1.2)  # the trailing publish
	pump.stop()
	gaps = [b - a for a, b in itertools.pairwise(published)]
	print(
		f"real time: {n:,} events in {fed:.1f} s ({n / fed:.0f}/s) through the Pump -> {len(published)} publishes"
		f" ({len(published) / fed:.2f}/s); gaps min {min(gaps):.3f} s, median {statistics.median(gaps):.3f} s;"
		f" last publish {published[-1] - (t0 + fed):.2f} s after the last event"
	)


def main() -> None:
	p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	p.add_argument("--events", type=int, default=200_000)
	p.add_argument("--rate", type=float, default=100.0)
	p.add_argument("--seconds", type=float, default=10.0)
	args = p.parse_args()
	print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
	bench_fold(args.events)
	bench_simulated(args.rate)
	bench_real_time(args.rate, args.seconds)


if __name__ == "__main__":
	main()
