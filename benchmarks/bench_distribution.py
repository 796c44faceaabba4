"""Ticket distribution and cumulative-time throughput (pure code, one core).

    python benchmarks/bench_distribution.py [--tickets 10000] [--agents 200] [--teams 20] [--runs 7]

Distribution: queued tickets (source weights 0–10, created over the last 8 hours, 5% with a preferred
agent) across agents who each sit in 1–3 teams with buffers of 20–80 and 0–10 tickets already held; 90% are
available. Timed is ``distribute()`` alone (inputs are built beforehand); the median of ``--runs`` runs.
A second scenario seats every agent in every team, the worst case for the lazy heap refresh (each
assignment makes the agent's entry stale in all 20 heaps).

Cumulative time: 100,000 status histories of 2–12 entries over up to three days, counted statuses
Open/Replied, without and with a business-hours calendar (Europe/Vilnius, weekdays 09:00–18:00).
"""

from __future__ import annotations

import argparse
import pathlib
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from callcenter_app.tickets.clocks import BusinessCalendar, cumulative_seconds
from callcenter_app.tickets.distribution import Agent, Seat, Ticket, distribute

UTC = timezone.utc
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
STATUSES = ("Open", "Replied", "Waiting for customer", "Paused", "Resolved")
COUNTED = frozenset({"Open", "Replied"})


def scenario(n_tickets: int, n_agents: int, n_teams: int, every_team: bool, seed: int = 7):
	rng = random.Random(seed)
	teams = [f"team-{i:02d}" for i in range(n_teams)]
	agents = []
	for i in range(n_agents):
		if every_team:
			mine = teams
		else:
			extra = rng.sample([t for t in teams if t != teams[i % n_teams]], k=rng.choice((0, 0, 1, 2)))
			mine = [teams[i % n_teams], *extra]
		seats = tuple(Seat(t, rng.randint(20, 80), rng.randint(0, 10)) for t in mine)
		last = NOW - timedelta(seconds=rng.randint(0, 7200)) if rng.random() < 0.8 else None
		agents.append(Agent(f"agent-{i:03d}@example.com", seats, rng.random() < 0.9, last))
	tickets = []
	for i in range(n_tickets):
		preferred = rng.choice(agents).id if rng.random() < 0.05 else None
		tickets.append(
			Ticket(
				f"HD-{i:06d}",
				rng.choice(teams),
				rng.choice((0, 0, 1, 2, 5, 10)),
				NOW - timedelta(seconds=rng.randint(0, 8 * 3600)),
				preferred,
			)
		)
	modes = {t: "automatic" for t in teams}
	return tickets, agents, modes


def bench_distribution(label: str, args, every_team: bool) -> float:
	tickets, agents, modes = scenario(args.tickets, args.agents, args.teams, every_team)
	times = []
	for _ in range(args.runs):
		started = time.perf_counter()
		assignments = distribute(tickets, agents, modes)
		times.append(time.perf_counter() - started)
	median = statistics.median(times)
	capacity = sum(max(0, s.buffer - s.held) for a in agents if a.available for s in a.seats)
	print(
		f"distribute ({label}): {len(tickets):,} queued tickets, {len(agents)} agents, {args.teams} teams, "
		f"free buffer room {capacity:,}"
	)
	print(
		f"  {len(assignments):,} assigned; median {median * 1000:.1f} ms of {args.runs} runs "
		f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); "
		f"{median / max(1, len(assignments)) * 1e6:.2f} µs per assignment"
	)
	return median


def histories(n: int, seed: int = 11):
	rng = random.Random(seed)
	out = []
	for _ in range(n):
		start = NOW - timedelta(seconds=rng.randint(3600, 3 * 86400))
		span = (NOW - start).total_seconds()
		rows = [("Open", start)]
		for _ in range(rng.randint(1, 11)):
			rows.append((rng.choice(STATUSES), start + timedelta(seconds=rng.uniform(0, span))))
		rng.shuffle(rows)  # the function sorts
		out.append(rows)
	return out


def bench_cumulative(n: int, runs: int) -> None:
	data = histories(n)
	entries = sum(len(h) for h in data)
	calendar = BusinessCalendar(
		{d: [("09:00", "18:00")] for d in range(5)}, holidays=["2026-03-11"], timezone="Europe/Vilnius"
	)
	for label, cal in (("wall-clock", None), ("business hours", calendar)):
		times = []
		for _ in range(runs):
			started = time.perf_counter()
			total = 0
			for history in data:
				total += cumulative_seconds(history, COUNTED, NOW, cal)
			times.append(time.perf_counter() - started)
		median = statistics.median(times)
		print(
			f"cumulative_seconds ({label}): {n:,} histories ({entries:,} entries) in {median * 1000:.0f} ms "
			f"(median of {runs}); {median / n * 1e6:.2f} µs per history; {n / median:,.0f} histories/s"
		)


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--tickets", type=int, default=10_000)
	parser.add_argument("--agents", type=int, default=200)
	parser.add_argument("--teams", type=int, default=20)
	parser.add_argument("--runs", type=int, default=7)
	parser.add_argument("--histories", type=int, default=100_000)
	args = parser.parse_args()

	print(f"Python {sys.version.split()[0]}")
	median = bench_distribution("agents in 1-3 teams", args, every_team=False)
	bench_distribution("every agent in every team", args, every_team=True)
	print(f"target: distribute {args.tickets:,} tickets in <= 1 s: {'met' if median <= 1.0 else 'NOT met'}")
	bench_cumulative(args.histories, runs=3)


if __name__ == "__main__":
	main()
