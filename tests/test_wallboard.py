"""The wallboard aggregator (metrics/wallboard.py): events → snapshot, the throttle, the pump."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from zoneinfo import ZoneInfo

import pytest
from ami_peer import recorded_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.metrics.qos import QosParams
from callcenter_app.metrics.wallboard import (
	AVAILABLE,
	ON_CALL,
	Pump,
	Throttle,
	Wallboard,
	from_ami,
	from_queue_status,
)

PARAMS = QosParams(reference_wait_s=20, limit_wait_s=60, early_factor=0.5)
T0 = dt.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()


class Clock:
	def __init__(self, t: float = 0.0):
		self.t = t

	def __call__(self) -> float:
		return self.t


def board(zone: str = "Europe/Berlin") -> Wallboard:
	return Wallboard(lambda queue: PARAMS, zone)


def call(
	linkedid: str, status: str = "answered", wait: int = 20, start: float = T0, queue: str = "support", **kw
):
	return {
		"kind": "call",
		"linkedid": linkedid,
		"direction": "inbound",
		"queue": queue,
		"status": status,
		"queue_result": "connected" if status == "answered" else "abandon",
		"wait_s": wait,
		"start": start,
		**kw,
	}


# --- AMI → events ----------------------------------------------------------------------------------------


def replay(name: str) -> tuple[Wallboard, list[dict]]:
	b, seen = board(), []
	for frame in recorded_frames(name):
		event = from_ami(frame, now=0)
		if event is not None:
			seen.append(event)
			b.fold(event)
	return b, seen


def test_recorded_abandon_joins_then_leaves_the_queue():
	b, seen = replay("abandoned")
	assert [e["kind"] for e in seen] == [
		"join",
		"leave",
		"leave",
	]  # QueueCallerAbandon, then QueueCallerLeave
	assert seen[0] == {"kind": "join", "queue": "support", "id": "1795339057.1", "at": 1795339057.768961}
	snap = b.snapshot(1795339061.0)
	assert snap["waiting"] == 0 and snap["queues"] == [
		{
			"queue": "support",
			"waiting": 0,
			"longest_wait_s": 0,
			"offered": 0,
			"answered": 0,
			"abandoned": 0,
			"qos": None,
			"abandon_pct": None,
		}
	]


def test_recorded_answer_marks_the_agent_busy_until_agent_complete():
	b, seen = replay("answered")
	kinds = [e["kind"] for e in seen]
	assert kinds.index("join") < kinds.index("busy") < kinds.index("free")
	b2 = board()
	for e in seen[: kinds.index("busy") + 1]:
		b2.fold(e)
	interface = seen[kinds.index("busy")]["interface"]
	assert interface == "Local/agent1@cc-agents/n" and interface in b2.busy
	assert b.busy == {}


def test_from_ami_without_a_timestamp_uses_now_and_skips_incomplete_events():
	assert from_ami({"Event": "QueueCallerJoin", "Queue": "q", "Uniqueid": "1.1"}, now=5.0)["at"] == 5.0
	assert (
		from_ami({"Event": "QueueCallerJoin", "Queue": "q", "Uniqueid": "1.1", "Timestamp": "x"}, 7.0)["at"]
		== 7.0
	)
	assert from_ami({"Event": "QueueCallerJoin", "Queue": "", "Uniqueid": "1.1"}, 5.0) is None
	assert from_ami({"Event": "AgentConnect"}, 5.0) is None
	assert from_ami({"Event": "Newchannel"}, 5.0) is None


def test_queue_status_resets_waiting_callers_and_busy_members():
	b = board()
	b.fold({"kind": "join", "queue": "support", "id": "gone", "at": 0})
	reset = from_queue_status(
		[
			{"Event": "QueueParams", "Queue": "support"},
			{"Event": "QueueMember", "Queue": "support", "StateInterface": "PJSIP/ann", "InCall": "1"},
			{"Event": "QueueMember", "Queue": "support", "StateInterface": "PJSIP/bob", "InCall": "0"},
			{"Event": "QueueEntry", "Queue": "support", "Uniqueid": "1.5", "Wait": "30"},
			{"Event": "QueueStatusComplete"},
		],
		now=100.0,
	)
	assert b.fold(reset)
	assert b.waiting == {"support": {"1.5": 70.0}} and b.busy == {"PJSIP/ann": 100.0}
	assert b.snapshot(100.0)["longest_wait_s"] == 30
	assert not b.fold(reset)  # the same state again changes nothing


# --- the snapshot ----------------------------------------------------------------------------------------


def test_waiting_and_longest_wait_per_queue():
	b = board()
	b.fold({"kind": "queues", "names": ["sales", "support", "idle"]})
	for i, (queue, at) in enumerate([("support", 100), ("support", 130), ("sales", 150)]):
		b.fold({"kind": "join", "queue": queue, "id": str(i), "at": at})
	snap = b.snapshot(160.0)
	by_queue = {q["queue"]: (q["waiting"], q["longest_wait_s"]) for q in snap["queues"]}
	assert by_queue == {"idle": (0, 0), "sales": (1, 10), "support": (2, 60)}
	assert snap["waiting"] == 3 and snap["longest_wait_s"] == 60
	assert b.fold({"kind": "leave", "queue": "support", "id": "0", "at": 161})
	assert b.snapshot(170.0)["longest_wait_s"] == 40
	assert not b.fold({"kind": "leave", "queue": "support", "id": "0", "at": 161})  # twice: no change
	assert not b.fold({"kind": "join", "queue": "support", "id": "1", "at": 1})  # known: kept its time


def test_agents_by_state():
	b = board()
	b.fold(
		{
			"kind": "agents",
			"agents": [
				{
					"user": "ann",
					"name": "Ann",
					"logged_in": 1,
					"mode": "Available",
					"receives_calls": 1,
					"interfaces": ["PJSIP/ann"],
				},
				{
					"user": "bob",
					"name": "Bob",
					"logged_in": 1,
					"mode": "Available",
					"receives_calls": 1,
					"interfaces": ["PJSIP/bob"],
				},
				{
					"user": "cat",
					"name": "Cat",
					"logged_in": 1,
					"mode": "Break",
					"receives_calls": 0,
					"interfaces": [],
				},
				{
					"user": "dan",
					"name": "Dan",
					"logged_in": 0,
					"mode": None,
					"receives_calls": 0,
					"interfaces": [],
				},
			],
		}
	)
	b.fold({"kind": "busy", "interface": "PJSIP/ann", "at": 50})
	agents = b.snapshot(80.0)["agents"]
	assert agents["by_state"] == [
		{"state": ON_CALL, "count": 1},
		{"state": AVAILABLE, "count": 1},
		{"state": "Break", "count": 1},
	]
	assert (agents["logged_in"], agents["available"], agents["logged_out"]) == (3, 1, 1)
	assert agents["list"][0] == {"user": "ann", "name": "Ann", "state": ON_CALL, "on_call_s": 30}
	b.fold({"kind": "free", "interface": "PJSIP/ann", "at": 90})
	assert b.snapshot(95.0)["agents"]["available"] == 2


def test_today_qos_and_abandon_percent_match_the_qos_definition():
	b = board()
	b.fold(call("a", wait=20))  # at the reference: 1
	b.fold(call("b", wait=40))  # halfway to the limit: 0.5
	b.fold(call("c", status="abandoned", wait=15))  # 0
	b.fold(call("d", status="answered", wait=0, queue_result="timeout"))  # a forward answered it: 0
	b.fold(call("o", direction="outbound"))  # not counted
	b.fold(call("n", queue=""))  # no queue: not counted
	today = b.snapshot(T0 + 60)["today"]
	assert today == {"offered": 4, "answered": 2, "abandoned": 1, "qos": 37.5, "abandon_pct": 25.0}


def test_a_call_written_again_replaces_its_first_version():
	b = board()
	assert b.fold(call("a", status="abandoned"))
	assert b.fold(call("a", status="answered", wait=20))
	assert not b.fold(call("a", status="answered", wait=20))
	assert b.snapshot(T0)["today"] == {
		"offered": 1,
		"answered": 1,
		"abandoned": 0,
		"qos": 100.0,
		"abandon_pct": 0.0,
	}


def test_today_is_the_call_centers_day():
	b = board("Europe/Berlin")
	midnight = dt.datetime(2026, 12, 5, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()
	b.fold(call("late", start=midnight - 60))  # 23:59 Berlin, 22:59 UTC
	assert b.snapshot(midnight - 1)["today"]["offered"] == 1
	assert b.snapshot(midnight + 1)["today"]["offered"] == 0  # a new day starts at zero
	assert not b.fold(call("yesterday", start=midnight - 120))  # yesterday's call written late
	assert b.fold(call("first", start=midnight + 5))
	assert b.snapshot(midnight + 10)["today"]["offered"] == 1


def test_campaign_progress():
	b = board()
	b.fold(
		{
			"kind": "campaigns",
			"campaigns": [
				{"name": "Spring", "total": 200, "done": 50},
				{"name": "New", "total": 0, "done": 0},
			],
		}
	)
	assert [(c["name"], c["percent"]) for c in b.snapshot(0)["campaigns"]] == [
		("Spring", 25.0),
		("New", None),
	]


def test_bad_events_are_counted_and_change_nothing():
	b = board()
	for bad in (
		{},
		{"kind": "join"},
		{"kind": "nope"},
		{"kind": "call", "linkedid": "x", "direction": "inbound", "queue": "q"},
	):
		assert not b.fold(bad)
	assert b.ignored == 4 and b.folded == 0
	assert b.snapshot(0)["waiting"] == 0


@settings(max_examples=200, deadline=None)
@given(
	st.lists(
		st.tuples(st.sampled_from(["join", "leave"]), st.sampled_from(["q1", "q2"]), st.integers(0, 5)),
		max_size=60,
	)
)
def test_waiting_count_is_the_callers_joined_and_not_left(ops):
	b, model = board(), set()
	for kind, queue, uid in ops:
		b.fold({"kind": kind, "queue": queue, "id": str(uid), "at": 0})
		(model.add if kind == "join" else model.discard)((queue, str(uid)))
	snap = b.snapshot(10)
	assert snap["waiting"] == len(model)
	assert {q["queue"]: q["waiting"] for q in snap["queues"] if q["waiting"]} == {
		q: n for q in ("q1", "q2") if (n := sum(1 for m in model if m[0] == q))
	}


# --- the throttle ----------------------------------------------------------------------------------------


def test_throttle_publishes_at_once_after_quiet_then_coalesces():
	clock = Clock(10.0)
	t = Throttle(1.0, clock)
	assert t.wait_s() is None and not t.take()
	t.changed()
	assert t.take()  # the first change goes out at once
	clock.t = 10.2
	t.changed()
	t.changed()
	assert not t.take() and t.wait_s() == pytest.approx(0.8)
	clock.t = 11.0
	assert t.take() and not t.take()  # one trailing publish for both changes
	assert t.published == 2


def test_throttle_refuses_a_bad_interval():
	with pytest.raises(ValueError, match="interval"):
		Throttle(0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 0.2), min_size=1, max_size=300))
def test_throttle_never_exceeds_one_per_interval_and_never_drops_the_last_change(gaps):
	"""Events at any spacing, the publisher woken at each event and when the throttle says: publishes are at
	least one interval apart, and the last change is published within one interval."""
	clock = Clock(0.0)
	t = Throttle(1.0, clock)
	times = []
	for gap in gaps:
		due = t.wait_s()
		if due is not None and due <= gap:  # the trailing publish comes before the next event
			clock.t += due
			assert t.take()
			times.append(clock.t)
			gap -= due
		clock.t += gap
		t.changed()
		if t.take():
			times.append(clock.t)
	last_change = clock.t
	if t.dirty:
		clock.t += t.wait_s()
		assert t.take()
		times.append(clock.t)
	assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
	assert times[-1] - last_change <= 1.0 + 1e-9


# --- the pump ----------------------------------------------------------------------------------------------


def test_pump_step_publishes_the_snapshot_when_due():
	clock, published = Clock(0.0), []
	pump = Pump(board(), published.append, interval=1.0, clock=clock, wall_clock=lambda: 100.0)
	assert pump.fold([{"kind": "join", "queue": "q", "id": "1", "at": 90}])
	assert pump.step() and published[-1]["waiting"] == 1 and published[-1]["longest_wait_s"] == 10
	pump.fold([{"kind": "join", "queue": "q", "id": "2", "at": 95}])
	assert not pump.step()  # within the interval
	clock.t = 1.0
	assert pump.step() and published[-1]["waiting"] == 2 and len(published) == 2
	assert not pump.fold([{"kind": "join", "queue": "q", "id": "2", "at": 95}])  # no change: nothing due
	clock.t = 5.0
	assert not pump.step()


def test_pump_survives_a_failing_publish():
	errors = []

	def publish(snapshot):
		raise ConnectionError("redis down")

	pump = Pump(board(), publish, clock=Clock(0.0), on_error=errors.append)
	pump.fold([{"kind": "join", "queue": "q", "id": "1", "at": 0}])
	assert pump.step() and pump.errors == 1 and isinstance(errors[0], ConnectionError)


def test_pump_thread_publishes_the_trailing_change():
	published, done = [], threading.Event()

	def publish(snapshot):
		published.append(snapshot)
		if snapshot["waiting"] == 3:
			done.set()

	pump = Pump(board(), publish, interval=0.2).start()
	try:
		for i in range(3):
			pump.fold([{"kind": "join", "queue": "q", "id": str(i), "at": 0}])
		assert done.wait(2.0), published
		assert len(published) <= 2  # the first change at once, the other two coalesced
	finally:
		pump.stop()


def test_pump_thread_refreshes_from_its_source_and_publishes_what_changed():
	published, done, calls = [], threading.Event(), []

	def refresh():
		calls.append(1)
		n = len(calls)
		return [{"kind": "queues", "names": [f"q{i}" for i in range(min(n, 3))]}]

	def publish(snapshot):
		published.append([q["queue"] for q in snapshot["queues"]])
		if len(snapshot["queues"]) == 3:
			done.set()

	setup, teardown = threading.Event(), threading.Event()
	pump = Pump(
		board(),
		publish,
		interval=0.05,
		refresh=refresh,
		refresh_every=0.05,
		setup=setup.set,
		teardown=teardown.set,
	).start()
	try:
		assert done.wait(3.0), published
	finally:
		pump.stop()
	assert setup.is_set() and teardown.is_set()
	assert published[-1] == ["q0", "q1", "q2"]
	assert published.count(["q0", "q1", "q2"]) == 1  # later refreshes change nothing: no publish


def test_pump_refresh_that_fails_is_reported_and_retried():
	errors = []
	state = {"fail": True}

	def refresh():
		if state["fail"]:
			raise ConnectionError("db down")
		return [{"kind": "queues", "names": ["q"]}]

	pump = Pump(board(), lambda s: None, clock=Clock(0.0), refresh=refresh, on_error=errors.append)
	assert not pump.refresh_now() and len(errors) == 1
	state["fail"] = False
	assert pump.refresh_now() and pump.board.queues == ["q"]
