"""AMI benchmarks: parse + call state machine on one core, memory with 1,000 concurrent calls, and events/s
received over loopback TCP by the app's asyncio client versus pyst2's Manager.

Run: python benchmarks/bench_ami.py [--calls 2000] [--wire-events 200000]
The calls are copies of a call recorded from a real Asterisk 22 (tests/data/asterisk/answered.ami,
~190 events each, half of them VarSet), with their own ids and overlapping times.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from ami_peer import clone_call, encode, merged, recorded_frames

from callcenter_app.telephony.ami.calls import CallTracker
from callcenter_app.telephony.ami.client import AmiClient, AmiConfig
from callcenter_app.telephony.ami.protocol import FrameParser


def build(calls: int, spacing: float) -> list[dict]:
	template = [m for m in recorded_frames("answered") if "Timestamp" in m]
	return merged([clone_call(template, i, spacing * i) for i in range(calls)])


def bench_core(calls: int) -> None:
	frames = build(calls, 0.05)
	wire = b"Asterisk Call Manager/11.0.0\r\n" + b"".join(encode(m) for m in frames)
	chunks = [wire[i : i + 65536] for i in range(0, len(wire), 65536)]
	best_total = best_parse = float("inf")
	for _ in range(3):
		gc.collect()
		t0 = time.perf_counter()
		parser = FrameParser()
		msgs = []
		for c in chunks:
			msgs += parser.feed(c)
		t1 = time.perf_counter()
		tracker = CallTracker()
		records = 0
		for m in msgs:
			records += len(tracker.feed(m))
		records += len(tracker.finish_all())
		t2 = time.perf_counter()
		best_parse = min(best_parse, t1 - t0)
		best_total = min(best_total, t2 - t0)
	n = len(frames)
	assert records == calls, (records, calls)
	print(f"parse + state machine: {n:,} events, {calls:,} calls, {len(wire) / 1e6:.1f} MB on the wire")
	print(f"  parse only            {n / best_parse:>10,.0f} events/s")
	print(f"  parse + state machine {n / best_total:>10,.0f} events/s  ({calls / best_total:,.0f} calls/s)")


def bench_memory(concurrent: int) -> None:
	frames = build(concurrent, 0.0)  # every call at once
	live = [m for m in frames if m.get("Event") not in ("Hangup", "Cdr")]  # nobody has hung up yet
	gc.collect()
	tracemalloc.start()
	tracker = CallTracker()
	for m in live:
		tracker.feed(m)
	current, peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	assert len(tracker.calls) == concurrent
	print(
		f"memory: {concurrent:,} concurrent calls in progress hold {current / 1e6:.1f} MB "
		f"({current / concurrent / 1024:.1f} KiB per call; peak {peak / 1e6:.1f} MB)"
	)


async def serve(frames_bytes: bytes, count_holder: dict) -> asyncio.AbstractServer:
	async def handle(reader, writer):
		writer.write(b"Asterisk Call Manager/11.0.0\r\n")
		parser = FrameParser()
		while True:
			data = await reader.read(65536)
			if not data:
				return
			for action in parser.feed(data):
				aid = action.get("ActionID", "")
				if action.get("Action") == "Login":
					writer.write(
						encode({"Response": "Success", "ActionID": aid, "Message": "Authentication accepted"})
					)
					await writer.drain()
					count_holder["t0"] = time.perf_counter()
					writer.write(frames_bytes)
					await writer.drain()
				elif action.get("Action") in ("CoreShowChannels", "QueueStatus"):
					writer.write(encode({"Response": "Success", "ActionID": aid, "EventList": "start"}))
					writer.write(encode({"Event": action["Action"] + "Complete", "ActionID": aid}))
				else:
					writer.write(encode({"Response": "Success", "ActionID": aid}))
				await writer.drain()

	return await asyncio.start_server(handle, "127.0.0.1", 0)


def server_thread(frames_bytes: bytes, holder: dict) -> tuple[int, asyncio.AbstractEventLoop]:
	loop = asyncio.new_event_loop()
	ready = threading.Event()

	def run():
		asyncio.set_event_loop(loop)
		server = loop.run_until_complete(serve(frames_bytes, holder))
		holder["port"] = server.sockets[0].getsockname()[1]
		ready.set()
		loop.run_forever()

	threading.Thread(target=run, daemon=True).start()
	ready.wait()
	return holder["port"], loop


def bench_wire(events: int) -> None:
	template = [m for m in recorded_frames("answered") if "Timestamp" in m]
	per_call = len(template)
	frames = merged([clone_call(template, i, 0.05 * i) for i in range(events // per_call + 1)])[:events]
	data = b"".join(encode(m) for m in frames)

	# the app's asyncio client
	holder: dict = {}
	port, _loop = server_thread(data, holder)
	got = {"n": 0}
	done = threading.Event()

	def on_event(_m):
		got["n"] += 1
		if got["n"] >= events:
			done.set()

	async def ours():
		client = AmiClient(AmiConfig("127.0.0.1", port, "u", "p", ping_every=3600), on_event)
		task = asyncio.create_task(client.run())
		while not done.is_set():
			await asyncio.sleep(0.01)
		client.stop()
		task.cancel()

	asyncio.run(ours())
	ours_rate = events / (time.perf_counter() - holder["t0"])
	print(f"over loopback TCP ({events:,} events, {len(data) / 1e6:.1f} MB):")
	print(f"  callcenter_app AmiClient {ours_rate:>10,.0f} events/s")

	# pyst2's Manager
	try:
		from asterisk.manager import Manager
	except ImportError:
		print("  pyst2 not installed")
		return
	holder2: dict = {}
	port2, _loop2 = server_thread(data, holder2)
	got2 = {"n": 0}
	done2 = threading.Event()

	def on_event2(_event, _manager):
		got2["n"] += 1
		if got2["n"] >= events:
			done2.set()

	m = Manager()
	m.register_event("*", on_event2)
	m.connect("127.0.0.1", port2)
	m.login("u", "p")
	done2.wait(120)
	elapsed = time.perf_counter() - holder2["t0"]
	print(
		f"  pyst2 0.5.1 Manager      {got2['n'] / elapsed:>10,.0f} events/s ({got2['n']:,} in {elapsed:.1f} s)"
	)
	sys.stdout.flush()
	os._exit(0)  # pyst2's threads do not stop cleanly (see tests/data/asterisk/SOURCE.md)


if __name__ == "__main__":
	ap = argparse.ArgumentParser()
	ap.add_argument("--calls", type=int, default=2000)
	ap.add_argument("--concurrent", type=int, default=1000)
	ap.add_argument("--wire-events", type=int, default=100_000)
	args = ap.parse_args()
	bench_core(args.calls)
	bench_memory(args.concurrent)
	bench_wire(args.wire_events)
