"""The dialer runner's cost per campaign per tick: feeding the tick's AMI events, building the pacing state,
deciding, and registering the calls placed — everything the process does on the event loop for a campaign.

Run: python benchmarks/bench_dialer_runner.py [--operators 20,50,200] [--seconds 3600] [--seed 1]

A synthetic campaign is driven through :class:`callcenter_app.dialer.runner.Dialer` with the events Asterisk
would send (OriginateResponse, QueueCallerJoin, AgentConnect, QueueMemberStatus, UserEvent, Hangup): 30% of
dials answered after a log-normal ring (mean 12 s), the rest busy after 5 s or no answer at 25 s; talk
log-normal with mean 180 s; the queue's wrap-up 10 s; an answer with no free operator is abandoned after
2 s. Each simulated second is one tick. Per tick we time the events of that second plus ``decide`` plus
``dialed`` for each call it places, on the wall clock (perf_counter) and in CPU time of the thread
(thread_time, which a busy machine's other processes do not inflate), and report percentiles in µs.
"""

from __future__ import annotations

import argparse
import heapq
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callcenter_app.dialer.runner import CampaignConfig, Dialer

QUEUE = "sales"
T0 = 1_800_000_000.0


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
	sigma2 = math.log(1 + cv * cv)
	return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def member(interface: str, busy: bool) -> dict:
	return {
		"Event": "QueueMemberStatus",
		"Queue": QUEUE,
		"Interface": interface,
		"Status": "2" if busy else "1",
		"InCall": "1" if busy else "0",
		"Paused": "0",
		"Wrapuptime": "0",
	}


def run(mode: str, operators: int, seconds: int, seed: int) -> dict:
	rng = random.Random(seed)
	d = Dialer()
	d.configure([CampaignConfig("bench", mode, QUEUE, queue_wrapup_s=10)])
	ops = [f"PJSIP/op{i}" for i in range(operators)]
	free_at = dict.fromkeys(ops, T0)  # when each operator can take a call (talk + wrap-up over)
	heap: list[tuple[float, int, dict]] = []
	seq = 0

	def push(t: float, event: dict) -> None:
		nonlocal seq
		seq += 1
		heapq.heappush(heap, (t, seq, event))

	for op in ops:
		d.feed(member(op, False), T0)
	timings: list[float] = []
	cpu: list[float] = []
	placed = 0
	clock = time.perf_counter
	cpu_clock = time.thread_time
	for k in range(seconds):
		now = T0 + k
		t0, c0 = clock(), cpu_clock()
		while heap and heap[0][0] <= now:
			t, _, event = heapq.heappop(heap)
			d.feed(event, t)
		n = d.decide("bench", now)
		ids = []
		for _ in range(n):
			placed += 1
			aid = f"a{placed}"
			d.dialed("bench", f"att{placed}", f"c{placed}", aid, now)
			ids.append(aid)
		timings.append(clock() - t0)
		cpu.append(cpu_clock() - c0)
		# what Asterisk does with the new calls (not timed: it is the PBX, not the dialer)
		for aid in ids:
			uid = f"u{aid}"
			chan = {"Channel": f"PJSIP/trunk-{aid}", "Uniqueid": uid, "Linkedid": uid}
			if rng.random() < 0.3:
				t = now + 3 + lognormal(rng, 9, 0.6)
				push(t, {"Event": "OriginateResponse", "ActionID": aid, "Reason": "4", "Uniqueid": uid})
				push(t + 0.01, {"Event": "QueueCallerJoin", **chan, "Queue": QUEUE})
				free = [op for op in ops if free_at[op] <= t + 2]
				if free:
					op = min(free, key=lambda o: free_at[o])
					start = max(t, free_at[op])
					talk = lognormal(rng, 180, 1.0)
					free_at[op] = start + talk + 10
					push(start, {"Event": "AgentConnect", **chan, "Queue": QUEUE, "Interface": op})
					push(start + 0.001, member(op, True))
					push(start + talk, {"Event": "Hangup", **chan})
					push(start + talk + 0.001, member(op, False))
				else:
					push(t + 2, {"Event": "QueueCallerAbandon", **chan, "Queue": QUEUE})
					push(
						t + 2, {"Event": "UserEvent", **chan, "UserEvent": "CCDialer", "Result": "abandoned"}
					)
					push(t + 8, {"Event": "Hangup", **chan})
			else:
				reason, after = ("5", 5.0) if rng.random() < 0.2 else ("3", 25.0)
				push(now + after, {"Event": "OriginateResponse", "ActionID": aid, "Reason": reason})
	runner = d.runners["bench"]
	us = sorted(t * 1e6 for t in timings)
	cpu_us = sorted(t * 1e6 for t in cpu)
	return {
		"mode": mode,
		"operators": operators,
		"ticks": len(us),
		"placed": placed,
		"answered": runner.total.answered,
		"abandon_pct": 100 * runner.total.abandoned / max(1, runner.total.answered),
		"p50": statistics.median(us),
		"p99": us[int(0.99 * (len(us) - 1))],
		"max": us[-1],
		"mean": statistics.fmean(us),
		"cpu_p50": statistics.median(cpu_us),
		"cpu_p99": cpu_us[int(0.99 * (len(cpu_us) - 1))],
		"cpu_mean": statistics.fmean(cpu_us),
	}


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--operators", default="20,50,200")
	parser.add_argument("--seconds", type=int, default=3600)
	parser.add_argument("--seed", type=int, default=1)
	args = parser.parse_args()
	print(f"Python {platform.python_version()} on {platform.machine()}, {args.seconds} ticks per run")
	header = f"{'mode':<12}{'ops':>5}{'placed':>8}{'answered':>10}{'abandon %':>11}"
	header += (
		f"{'p50 µs':>9}{'p99 µs':>9}{'max µs':>9}{'mean µs':>9}{'cpu p50':>9}{'cpu p99':>9}{'cpu mean':>9}"
	)
	print(header)
	print("-" * len(header))
	for operators in (int(x) for x in args.operators.split(",")):
		for mode in ("Progressive", "Predictive"):
			r = run(mode, operators, args.seconds, args.seed)
			print(
				f"{r['mode']:<12}{r['operators']:>5}{r['placed']:>8}{r['answered']:>10}{r['abandon_pct']:>11.2f}"
				f"{r['p50']:>9.0f}{r['p99']:>9.0f}{r['max']:>9.0f}{r['mean']:>9.0f}"
				f"{r['cpu_p50']:>9.0f}{r['cpu_p99']:>9.0f}{r['cpu_mean']:>9.0f}"
			)


if __name__ == "__main__":
	main()
