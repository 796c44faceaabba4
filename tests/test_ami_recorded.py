"""The call tracker against recordings of Asterisk 22.10.1 made for the faults a live PBX found (desk
transfers, a bridge restart, an AMI drop, inherited variables, voicemail through the route server, queue
overflow, billable seconds) and against hostile input (impossible timestamps). tests/data/asterisk/
SOURCE.md says how each recording was made; its truth.json comes from Asterisk's own events and queue_log
(recorder/truth.py), never from the tracker."""

from __future__ import annotations

import heapq
import json
import math

import pytest
from ami_peer import RECORDINGS, merged, recorded_frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter_app.telephony.ami import recovery
from callcenter_app.telephony.ami.call_log import call_log_values
from callcenter_app.telephony.ami.calls import CallRecord, CallTracker
from callcenter_app.telephony.ami.protocol import FrameParser, ProtocolError, parse_timestamp


def truth(name: str) -> dict:
	return json.loads((RECORDINGS / f"{name}.truth.json").read_text())["calls"]


def meta(name: str) -> dict:
	return json.loads((RECORDINGS / f"{name}.meta.json").read_text())


def records_of(frames, **kw) -> dict[str, CallRecord]:
	t = CallTracker(**kw)
	out = t.feed_all(frames) + t.finish_all()
	assert len(out) == len({r.linkedid for r in out}), "a call was recorded twice"
	return {r.linkedid: r for r in out}


def half_up(x: float) -> int:
	return math.floor(x + 0.5)


# --- desk transfers ------------------------------------------------------------------------------------
def test_a_desk_blind_transfer_by_redirect_is_recorded_with_the_agents_own_talk():
	"""The desk's blind transfer is a Redirect of the bridged caller: no transfer event, and the one
	AgentComplete (no channel fields, Reason caller) comes at the final hangup with the target's talk in
	it. The transfer is recorded, and the agent's talk is the time they shared the bridge."""
	(expected,) = truth("redirect_transfer").values()
	(record,) = records_of(recorded_frames("redirect_transfer")).values()
	assert record.transfers == tuple(expected["transfers"])
	assert record.transfers[0]["to"] == "200"
	talk = expected["agent_talk"]
	assert talk["queue_log_talk_s"] == 11  # what AgentComplete says: the target's talk too
	assert record.talk_s == half_up(talk["bridge_s"]) == 5  # 4.5 s with the agent
	assert (record.status, record.answered_by, record.legs[0]["talk_s"]) == ("answered", "Agent One", 5)


def test_an_attended_transfer_records_the_real_target():
	"""SecondTransfererConnectedLineNum is "<unknown>" after an Atxfer; the target is the Local channel
	Asterisk dialled (TransferTargetChannel Local/200@cc-agents-…;1, TransferTargetExten 200)."""
	(expected,) = truth("attended_transfer").values()
	(record,) = records_of(recorded_frames("attended_transfer")).values()
	assert record.transfers == tuple(expected["transfers"])
	assert record.transfers[0]["to"] == "200"
	assert record.talk_s == expected["agent_talk"]  # Reason=transfer: TalkTime is the agent's own


# --- a bridge restart and an AMI drop ------------------------------------------------------------------
def sessions(name: str) -> tuple[list[dict], list[dict], list[dict], float]:
	"""(events before the drop, snapshot after it, live events after it, when the snapshot was asked)."""
	before = recorded_frames(name)
	after = FrameParser().feed((RECORDINGS / f"{name}-2.ami").read_bytes())
	ids = set(meta(name)["snapshot_action_ids"])
	snapshot = [m for m in after if "Event" in m and m.get("ActionID") in ids]
	live = [m for m in after if "Event" in m and m.get("ActionID") not in ids]
	sent = [json.loads(line) for line in (RECORDINGS / f"{name}-2.sent.jsonl").read_text().splitlines()]
	asked = next(s["t"] for s in sent if s["action"]["Action"] == "CoreShowChannels")
	return before, snapshot, live, asked


def resynced(snapshot, tracker, history=(), known_before=None, recorded=None):
	channels = [m for m in snapshot if m["Event"] == "CoreShowChannel"]
	status = [m for m in snapshot if m["Event"].startswith("Queue")]
	return tracker.resync(channels, status, known_before, history=history, recorded=recorded)


def caller_of(expected: dict, number: str) -> str:
	return next(linkedid for linkedid, call in expected.items() if call["caller"] == number)


def test_a_call_answered_before_a_restart_is_still_answered_after_it():
	"""A fresh tracker (the bridge restarted) learns the call from CoreShowChannels (the caller runs Queue,
	bridged to the agent's channel) and the AgentComplete after the restart says who and how long. It used
	to be written missed, with no queue and the far end's 'wait' as DID."""
	_before, snapshot, live, asked = sessions("drop")
	expected = truth("drop")
	z = caller_of(expected, "5551201")
	tracker = CallTracker(clock=lambda: asked)
	out = resynced(snapshot, tracker, known_before=set())
	out += tracker.feed_all(live) + tracker.finish_all()
	(record,) = [r for r in out if r.linkedid == z]
	assert (record.status, record.queue, record.answered_by) == ("answered", "support", "Agent One")
	assert (record.talk_s, record.wait_s, record.did) == (expected[z]["agent_talk"], 0, "100")
	assert record.legs[0]["outcome"] == "connected" and not record.complete


def test_an_agent_complete_without_channel_fields_after_a_restart_finds_its_call():
	"""After a restart there is no AgentConnect to match a channel-less AgentComplete against: the call
	with the member's channel in it (from the snapshot) is the one."""
	_before, snapshot, live, asked = sessions("drop")
	keep = ("Event", "Timestamp", "Queue", "Interface", "MemberName", "HoldTime", "TalkTime", "Reason")
	stripped = [
		{k: v for k, v in m.items() if k in keep} if m["Event"] == "AgentComplete" else m for m in live
	]
	tracker = CallTracker(clock=lambda: asked)
	out = resynced(snapshot, tracker, known_before=set()) + tracker.feed_all(stripped) + tracker.finish_all()
	(record,) = [r for r in out if r.caller == "5551201"]
	assert (record.status, record.answered_by, record.talk_s) == ("answered", "Agent One", 14)


@pytest.mark.parametrize("with_members", [True, False])
def test_the_snapshot_alone_says_which_queue_answered_a_call_after_a_restart(with_members):
	"""When no AgentComplete comes (it was lost too), the snapshot still shows the caller running Queue
	(support) bridged to a member's channel; QueueStatus's QueueMember events name the member."""
	_before, snapshot, live, asked = sessions("drop")
	if not with_members:
		snapshot = [m for m in snapshot if m["Event"] != "QueueMember"]
	live = [m for m in live if m["Event"] != "AgentComplete"]
	tracker = CallTracker(clock=lambda: asked)
	out = resynced(snapshot, tracker, known_before=set()) + tracker.feed_all(live) + tracker.finish_all()
	(record,) = [r for r in out if r.caller == "5551201"]
	assert (record.status, record.queue, record.queue_result) == ("answered", "support", "connected")
	assert record.answered_by == ("Agent One" if with_members else "")
	assert record.wait_s is None  # not seen: unknown, not zero
	assert record.talk_s == record.legs[0]["talk_s"] == 14  # from when the member's channel was made


def test_a_short_drop_keeps_answered_and_abandoned_calls_with_the_queue_log():
	"""Calls that were answered (X) or abandoned (Y) while the AMI connection was down are known after it
	only from Asterisk's queue_log; they were written as missed calls with no agent."""
	before, snapshot, live, asked = sessions("drop")
	expected = truth("drop")
	lines = recovery.read_queue_log(meta("drop")["queue_log_lines"])
	tracker = CallTracker(clock=lambda: asked)
	out = tracker.feed_all(before)
	out += resynced(snapshot, tracker, recovery.history_events(lines), known_before=set(tracker.calls))
	out += tracker.feed_all(live) + tracker.finish_all()
	records = {r.linkedid: r for r in out}
	assert set(records) == set(expected)
	for linkedid, call in expected.items():
		r = records[linkedid]
		assert (r.status, r.queue, r.answered_by, r.wait_s) == (
			call["status"],
			call["queue"],
			call["answered_by"],
			call["wait_s"],
		), call["caller"]
		if call["status"] == "answered":
			assert r.talk_s == call["agent_talk"]
		assert [(leg["queue"], leg["outcome"]) for leg in r.legs] == [
			(leg["queue"], leg["outcome"]) for leg in call["legs"]
		]
	x, y = caller_of(expected, "5551202"), caller_of(expected, "5551203")
	assert not records[x].complete and not records[y].complete
	assert records[y].status == "abandoned" and records[y].wait_s == 4
	# the queue_log names members only; the interface (which links the CC Call Log to the HD Agent) is
	# the one the tracker saw for that member
	assert records[x].agent_interface == "Local/agent2@cc-agents/n"


def test_without_the_queue_log_a_drop_still_records_every_call_once():
	before, snapshot, live, asked = sessions("drop")
	tracker = CallTracker(clock=lambda: asked)
	out = tracker.feed_all(before)
	out += resynced(snapshot, tracker, known_before=set(tracker.calls))
	out += tracker.feed_all(live) + tracker.finish_all()
	assert sorted(r.caller for r in out) == ["5551201", "5551202", "5551203"]
	assert {r.caller: r.status for r in out}["5551201"] == "answered"


def test_calls_that_began_and_ended_while_the_bridge_was_down_are_recovered():
	"""A fresh tracker after a restart: the queue_log and cdr-csv lines give the calls it never saw (with
	their Linkedid from the CDR); the call still live is merged with its snapshot instead, and a call
	``recorded`` already knows is left out."""
	_before, snapshot, live, asked = sessions("drop")
	expected = truth("drop")
	info = meta("drop")
	lines = recovery.read_queue_log(info["queue_log_lines"])
	rows = recovery.read_cdr_csv(info["cdr_csv_lines"], "UTC")
	history = recovery.history_events(lines, rows)
	tracker = CallTracker(clock=lambda: asked)
	out = resynced(snapshot, tracker, history, known_before=set())
	records = {r.linkedid: r for r in out}
	x, y, z = (caller_of(expected, n) for n in ("5551202", "5551203", "5551201"))
	assert set(records) == {x, y}  # z is live: it ends later, from live events
	assert (records[x].status, records[x].answered_by, records[x].wait_s, records[x].talk_s) == (
		"answered",
		"Agent Two",
		3,
		3,
	)
	assert (records[y].status, records[y].wait_s, records[y].caller) == ("abandoned", 4, "5551203")
	assert records[x].caller == "5551202" and records[x].did == "100"
	assert records[x].billable_s == 6  # the CDR: answer 14:23:44 → end 14:23:50
	rest = tracker.feed_all(live) + tracker.finish_all()
	assert [r.linkedid for r in rest] == [z] and rest[0].talk_s == 14
	# a one-off backfill: the same lines, minus what the call log already has
	again = recovery.recover(lines, rows, recorded=lambda linkedid: linkedid in (x, z))
	assert [r.linkedid for r in again] == [y]


def test_queue_log_lines_without_a_cdr_are_keyed_by_the_callers_uniqueid():
	lines = recovery.read_queue_log(meta("drop")["queue_log_lines"])
	got = {r.linkedid: r for r in recovery.recover(lines)}
	callers = {r.caller: r for r in got.values()}
	assert set(callers) == {"5551201", "5551202", "5551203"}
	assert callers["5551202"].linkedid == "1796394224.5"  # the caller's channel, ;2 of the Local pair
	assert (callers["5551201"].talk_s, callers["5551203"].status) == (14, "abandoned")


def test_bad_queue_log_and_cdr_lines_are_skipped_with_a_reason(caplog):
	good = meta("drop")["queue_log_lines"]
	lines = recovery.read_queue_log(
		[
			"garbage",
			"notatime|1.2|support|NONE|ENTERQUEUE||1|1",
			"1796394224|1.2|support|NONE|ENTER QUEUE",
			"1e400|1.2|q|NONE|ABANDON|1|1|1",
			*good,
		]
	)
	assert len(lines) == len(good)
	assert "time: 'notatime' is not epoch seconds" in caplog.text
	assert "event: 'ENTER QUEUE'" in caplog.text
	rows = recovery.read_cdr_csv(['"a","b"', *meta("drop")["cdr_csv_lines"]])
	assert len(rows) == len(meta("drop")["cdr_csv_lines"])
	assert "newcdrcolumns" in caplog.text
	with pytest.raises(Exception, match="start"):
		recovery.parse_cdr_row(["x"] * 9 + ["yesterday", "", ""] + ["0"] * 4 + ["1.1", "", "", "1.1", "0"])


# --- variables, voicemail, overflow, billable ----------------------------------------------------------
def test_inherited_variables_give_direction_ticket_and_campaign():
	"""__CC_DIRECTION / __CC_TICKET / __CC_CAMPAIGN arrive with their prefix; a dialer call that was never
	answered carries CC_CAMPAIGN only (the dialplan that sets CC_DIRECTION never ran) and is outbound."""
	expected = truth("inherited_vars")
	records = records_of(recorded_frames("inherited_vars"))
	assert set(records) == set(expected)
	for linkedid, call in expected.items():
		r = records[linkedid]
		assert (r.direction, r.status) == (call["direction"], call["status"]), call["vars"]
		assert r.ticket == call["vars"].get("CC_TICKET", "")
		assert r.campaign == call["vars"].get("CC_CAMPAIGN", "")
	assert sorted((r.direction, r.status, r.ticket, r.campaign) for r in records.values()) == [
		("outbound", "answered", "", "Winter Survey"),
		("outbound", "answered", "1042", ""),
		("outbound", "failed", "", "Spring Promo"),
	]


@pytest.mark.parametrize("prefix", ["_", "__", ""])
def test_every_tracked_variable_is_read_with_or_without_a_prefix(prefix):
	frames = []
	for m in recorded_frames("answered"):
		if m.get("Event") == "QueueCallerJoin":
			frames.append(
				{
					**m,
					"Event": "VarSet",
					"Variable": f"{prefix}CC_TICKET",
					"Value": "77",
					"Timestamp": m["Timestamp"],
				}
			)
		frames.append(m)
	(r,) = records_of(frames).values()
	assert r.ticket == "77"


def test_voicemail_reached_through_the_route_server_is_voicemail():
	"""The route server runs VoiceMail with AGI EXEC: an AGIExecStart, no Newexten."""
	(expected,) = truth("voicemail_agi").values()
	(record,) = records_of(recorded_frames("voicemail_agi")).values()
	assert expected["vars"]["VMSTATUS"] == "SUCCESS"
	assert (
		(record.status, record.voicemail)
		== ("voicemail", expected["voicemail"])
		== ("voicemail", "100@default")
	)


def test_a_failed_voicemail_is_not_voicemail():
	frames = [
		{**m, "Value": "FAILED"} if m.get("Variable") == "VMSTATUS" else m
		for m in recorded_frames("voicemail_agi")
	]
	(record,) = records_of(frames).values()
	assert (record.status, record.voicemail) == ("missed", "100@default")


def test_an_overflow_call_keeps_each_queue_leg_and_the_whole_wait():
	"""noans (timeout after 5 s) → support (answered after 2 s): queue is the one that answered, wait the
	7 s the caller waited in both, and each leg is kept."""
	(expected,) = truth("overflow").values()
	(record,) = records_of(recorded_frames("overflow")).values()
	assert (
		(record.queue, record.answered_by, record.wait_s)
		== ("support", "Agent One", expected["wait_s"])
		== (
			"support",
			"Agent One",
			7,
		)
	)
	legs = [(leg["queue"], leg["outcome"], leg["wait_s"], leg["agent"], leg["talk_s"]) for leg in record.legs]
	assert legs == [
		(leg["queue"], leg["outcome"], leg["wait_s"], leg["agent"], leg["talk_s"]) for leg in expected["legs"]
	]
	assert legs == [("noans", "timeout", 5, "", None), ("support", "connected", 2, "Agent One", 4)]
	assert record.legs[0]["left"] <= record.legs[1]["entered"]
	values = call_log_values(record.as_dict(), "UTC")
	stored = json.loads(values["queue_legs"])
	assert [(leg["queue"], leg["outcome"], leg["wait_s"]) for leg in stored] == [
		("noans", "timeout", 5),
		("support", "connected", 2),
	]
	assert stored[0]["entered"].startswith("2026-12-04 14:22:5")  # local datetimes, like the other times
	assert (values["queue"], values["wait_s"]) == ("support", 7)


@pytest.mark.parametrize(
	"name", ["ring_no_answer", "overflow", "redirect_transfer", "attended_transfer", "voicemail_agi"]
)
def test_billable_seconds_are_the_callers_channel_from_answer_to_hangup(name):
	"""One definition, as CDR billsec: the caller's channel from its answer to its hangup, whatever the
	queue legs, ring-no-answers and transfers in between (it used to be the Cdr of the last leg only)."""
	(expected,) = truth(name).values()
	(record,) = records_of(recorded_frames(name)).values()
	assert record.billable_s == expected["billable_s"]


def test_ring_no_answer_then_answer():
	(expected,) = truth("ring_no_answer").values()
	(record,) = records_of(recorded_frames("ring_no_answer")).values()
	assert (record.answered_by, record.wait_s, record.talk_s) == ("Agent Two", 6, expected["agent_talk"])
	assert record.agents_rung == ("Agent One", "Agent Two")
	assert record.billable_s == expected["billable_s"] == 10


# --- hostile input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["inf", "-inf", "nan", "1e300", "-5", "0", "abc", "", "9999999999"])
def test_impossible_timestamps_are_refused_and_skipped(bad, caplog):
	with pytest.raises(ProtocolError, match="Timestamp"):
		parse_timestamp(bad)
	frames = recorded_frames("answered")
	poisoned = []
	for i, m in enumerate(frames):
		poisoned.append(m)
		if i % 7 == 3:
			poisoned.append({**m, "Timestamp": bad, "Event": "Hangup" if i % 2 else m.get("Event", "")})
	t = CallTracker()
	out = t.feed_all(poisoned) + t.finish_all()
	assert t.rejected == len(poisoned) - len(frames)
	assert t.now == max(float(m["Timestamp"]) for m in frames if "Timestamp" in m)
	assert out == list(records_of(frames).values())
	assert "Timestamp" in caplog.text


def test_unstamped_events_do_not_move_the_event_clock():
	"""FullyBooted comes without a Timestamp; it used to set the event clock to our wall clock, so with a
	PBX clock behind ours every call ended at its last hangup, before the late AgentComplete of a
	redirected call could join it."""
	frames = recorded_frames("answered")
	assert "Timestamp" not in frames[0]
	ahead = max(float(m["Timestamp"]) for m in frames if "Timestamp" in m) + 3600
	t = CallTracker(clock=lambda: ahead)
	assert t.feed_all([*frames, frames[0]]) == []  # the grace has not run out on the PBX's clock
	assert t.now == max(float(m["Timestamp"]) for m in frames if "Timestamp" in m)
	(record,) = t.finish_all()
	assert record.status == "answered"


HOSTILE = st.one_of(
	st.sampled_from(["inf", "nan", "1e300", "-1", "", "99999999999999999999", "1e-300", "NaN", "0x10"]),
	st.text(max_size=12),
	st.integers(-(10**20), 10**20).map(str),
	st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
FIELDS = [
	"Timestamp",
	"HoldTime",
	"TalkTime",
	"RingTime",
	"Duration",
	"Wait",
	"Linkedid",
	"Uniqueid",
	"Queue",
]


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_call_log_conversion_never_raises_on_what_the_tracker_produces(data):
	names = ["answered", "abandoned", "overflow", "redirect_transfer", "drop"]
	frames = merged(
		[recorded_frames(n) for n in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))]
	)
	for _ in range(data.draw(st.integers(0, 40))):
		i = data.draw(st.integers(0, len(frames) - 1))
		frames[i] = {**frames[i], data.draw(st.sampled_from(FIELDS)): data.draw(HOSTILE)}
	t = CallTracker()
	out = t.feed_all(frames)
	snapshot = [
		{"Event": "CoreShowChannel", "Uniqueid": "9.9", "Linkedid": "9.9", "Duration": data.draw(HOSTILE)}
	]
	entries = [{"Event": "QueueEntry", "Uniqueid": "9.9", "Queue": "q", "Wait": data.draw(HOSTILE)}]
	out += t.resync(snapshot, entries, set(t.calls)) + t.finish_all()
	for record in out:
		values = call_log_values(record.as_dict(), data.draw(st.sampled_from(["UTC", "Europe/Vilnius"])))
		for key in ("wait_s", "ring_s", "talk_s", "duration_s", "billable_s"):
			assert values[key] is None or 0 <= values[key] < 2**31
		json.loads(values["queue_legs"] or "[]")


def test_call_log_conversion_survives_values_no_datetime_can_hold():
	(record,) = records_of(recorded_frames("answered")).values()
	values = call_log_values(
		{
			**record.as_dict(),
			"start": 1e300,
			"end": float("inf"),
			"answered_at": float("nan"),
			"talk_s": 1e300,
		},
		"UTC",
	)
	assert (values["start"], values["end"], values["answered_at"], values["talk_s"]) == (
		None,
		None,
		None,
		None,
	)


def test_a_call_due_twice_in_the_same_collect_is_finished_once():
	# found by the fuzz above: hostile Timestamps put one call in the ending heap twice with both entries
	# due, and the second _finish raised KeyError, which stopped the tracker
	t = CallTracker()
	records = t.feed_all(recorded_frames("abandoned"))
	pending = [linkedid for linkedid, call in t.calls.items() if call.over()]
	assert pending, "the recording's last call waits for its grace period"
	for linkedid in pending:
		heapq.heappush(t.ending, (0.0, linkedid))
	records += t.collect(now=t.now + 3600)
	assert sorted(r.linkedid for r in records) == sorted({r.linkedid for r in records})
	assert set(pending) <= {r.linkedid for r in records}


def test_history_source_reads_the_tail_of_asterisks_logs_since_a_time(tmp_path):
	info = meta("drop")
	queue_log = tmp_path / "queue_log"
	queue_log.write_text("".join(f"{line}\n" for line in info["queue_log_lines"]))
	master = tmp_path / "Master.csv"
	master.write_text("".join(f"{line}\n" for line in info["cdr_csv_lines"]))
	everything = recovery.history_events(
		recovery.read_queue_log(info["queue_log_lines"]), recovery.read_cdr_csv(info["cdr_csv_lines"], "UTC")
	)
	source = recovery.HistorySource(str(queue_log), str(master), "UTC")
	assert source.events(0.0) == everything
	# read backwards in blocks smaller than a line: the same lines, in file order
	times = [float(line.split("|", 1)[0]) for line in info["queue_log_lines"]]
	middle = sorted(times)[len(times) // 2]
	tail = recovery.lines_since(str(queue_log), middle, recovery._queue_log_time, block=7)
	assert tail == [line for line in info["queue_log_lines"] if float(line.split("|", 1)[0]) >= middle]
	assert recovery.HistorySource(str(tmp_path / "missing"), None).events(0.0) == []


def test_the_bridge_asks_for_the_history_since_its_last_event_and_skips_written_calls(tmp_path):
	import asyncio

	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiConfig
	from callcenter_app.telephony.ami.spool import Spool

	asked = []

	def history(since):
		asked.append(since)
		return [{"Event": "QueueCallerJoin", "Linkedid": "1.1", "Uniqueid": "1.2"}]

	spool = Spool(str(tmp_path / "spool"))
	try:
		bridge = Bridge(
			AmiConfig("127.0.0.1", 1, "u", "s"),
			spool,
			lambda batch: None,
			history=history,
			recorded=lambda ids: {i for i in ids if i == "1.1"},
			recover_since=1_796_000_000.0,
		)
		events, recorded = asyncio.run(bridge._history())
		assert asked == [1_796_000_000.0] and len(events) == 1
		assert recorded("1.1") and not recorded("1.2")
		bridge.tracker.now = 1_796_000_100.0
		asyncio.run(bridge._history())
		assert asked[-1] == 1_796_000_095.0  # since the last event, with a margin

		def broken(ids):
			raise ConnectionError("database is down")

		bridge.recorded = broken
		assert asyncio.run(bridge._history()) == ([], None)  # never recover over calls written in full
	finally:
		spool.close()


def test_the_bridge_looks_back_recover_since_at_its_first_start_whatever_came_before(tmp_path):
	# found by the PBX lab's bench mode: Asterisk sends FullyBooted (unstamped) right after the login,
	# before on_connect; the tracker takes it as "now", and a restarted bridge read the PBX's logs of the
	# last 5 s only instead of --recover-minutes: a call made while it was down was recovered from its
	# last queue_log line alone (no caller, no start) or not at all
	import asyncio

	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiConfig
	from callcenter_app.telephony.ami.spool import Spool

	asked = []

	def history(since):
		asked.append(since)
		return []

	spool = Spool(str(tmp_path / "spool"))
	try:
		bridge = Bridge(
			AmiConfig("127.0.0.1", 1, "u", "s"),
			spool,
			lambda batch: None,
			history=history,
			recorded=lambda ids: set(),
			recover_since=1_796_000_000.0,
		)
		bridge.on_event({"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"})
		bridge.on_event({"Event": "Newexten", "Timestamp": "1796003600.000000", "Uniqueid": "9.9"})
		assert bridge.tracker.now > 1_796_000_000.0
		asyncio.run(bridge._history())
		assert asked == [1_796_000_000.0]  # the first start: --recover-minutes back
		bridge.tracker.now = 1_796_003_700.0
		asyncio.run(bridge._history())
		assert asked[-1] == 1_796_003_695.0  # a reconnect: since the last event, with a margin
	finally:
		spool.close()


def test_an_attended_transfer_to_an_extension_names_the_colleague_it_reached():
	"""The live lab saw both: AttendedTransfer naming ``Local/1002@cc-transfer-…;1`` (the Local channel not
	optimised away yet) or bob's own channel. The Local channel's Dial says who 1002 is, so the record says
	bob either way (and keeps the extension dialled)."""
	from callcenter_app.telephony.ami.calls import _Call, _Channel, _named_target

	call = _Call("1.1")
	call.channels["1.7"] = _Channel("1.7", name="Local/1002@cc-transfer-00000003;2")
	call.channels["1.8"] = _Channel("1.8", name="PJSIP/ann-00000004")
	call.apps += [(5.0, "1.8", "Dial", "PJSIP/ann,30,t"), (6.0, "1.7", "Dial", "PJSIP/bob,30,t")]
	info = {"kind": "attended", "by": "PJSIP/ann-00000004", "to": "1002", "result": "Success"}
	assert _named_target(call, info) == {**info, "to": "bob", "extension": "1002"}
	assert _named_target(call, {**info, "to": "37060000001"})["to"] == "37060000001"  # an outside number
	assert _named_target(call, {**info, "kind": "blind"})["to"] == "1002"


def test_a_supervisor_listening_is_no_call_of_its_own():
	"""A live lab capture (tests/data/asterisk/supervisor_listens.events.json: the PBX's AMI events of a queue
	call answered by ann, dora listening through the desk's spy Originate into cc-supervisor): the spy session
	is a call of its own (its Linkedid), which became an inbound "missed" CC Call Log from "listen" — in the
	missed-call lists and the call-to-ticket rules. Now only the customer's call is recorded, as before."""
	data = json.loads((RECORDINGS / "supervisor_listens.events.json").read_text())
	events = data["events"]
	assert {e.get("Linkedid") for e in events if e.get("Linkedid")} == {"1796422676.0", "1796422676.2"}
	assert any(e["Event"] == "ChanSpyStart" for e in events)
	tracker = CallTracker()
	out = tracker.feed_all(events) + tracker.finish_all()
	assert [(r.linkedid, r.caller, r.status, r.direction) for r in out] == [
		("1796422676.0", data["caller"], "answered", "inbound")
	]
	assert out[0].agent_interface == "PJSIP/ann" and tracker.supervision == 1
	# the same session recovered from Asterisk's CDRs after a bridge outage: not a call either
	spy = (
		'"","listen","listen-ann","cc-supervisor","""Listen ann"" <listen>","PJSIP/dora-00000002","",'
		'"ChanSpy","PJSIP/ann-,qEg(ann)","2026-12-04 22:17:58","2026-12-04 22:17:58","2026-12-04 22:18:01",'
		'3,3,"ANSWERED","DOCUMENTATION","1796422678.2","","","1796422678.2",3'
	)
	rows = recovery.read_cdr_csv([spy], "UTC")
	assert len(rows) == 1
	assert recovery.recover([], rows) == []
	dialled = recovery.read_cdr_csv(
		[spy.replace('"ChanSpy","PJSIP/ann-,qEg(ann)"', '"Dial","PJSIP/bob,30"')], "UTC"
	)
	assert len(recovery.recover([], dialled)) == 1  # the control: the same row as a call is recorded


def test_an_outbound_call_s_caller_is_the_number_it_dialled():
	"""``caller`` is the customer's number in both directions: an outbound call's is CC_NUMBER (the agents'
	dialplan sets it before dialling out; the dialer's Originate sends it), its first value, not one a later
	transfer dialled; ``did`` the caller ID it presented. An inbound call keeps its caller and DID whatever
	CC_NUMBER a transfer to an outside number set. (The live lab found outbound records whose caller was
	the agent's account or the presented caller ID: billing rated that, the contact history missed them.)"""

	def with_numbers(name: str, numbers: list[str]) -> dict[str, CallRecord]:
		"""The recording with CC_NUMBER set to each of ``numbers`` in turn on its first call, 1 s apart."""
		frames = recorded_frames(name)
		first = next(m for m in frames if m.get("Event") == "Newexten" and m.get("Linkedid"))
		extra = [
			{
				**first,
				"Event": "VarSet",
				"Variable": "CC_NUMBER",
				"Value": n,
				"Timestamp": f"{float(first['Timestamp']) + i:.6f}",
			}
			for i, n in enumerate(numbers)
		]
		return records_of(sorted([*frames, *extra], key=lambda m: float(m.get("Timestamp", 0))))

	outbound = with_numbers("inherited_vars", ["+37060000001", "+37060000002"])  # then a transfer dialled
	first = min(outbound.values(), key=lambda r: r.start)
	before = min(records_of(recorded_frames("inherited_vars")).values(), key=lambda r: r.start)
	assert first.direction == "outbound" and first.caller == "+37060000001", first
	assert first.did == before.caller == "5550100"  # the caller ID the call presented
	(inbound,) = with_numbers("answered", ["+37069999999"]).values()
	(plain,) = records_of(recorded_frames("answered")).values()
	assert inbound.direction == "inbound" and (inbound.caller, inbound.did) == (plain.caller, plain.did)
	assert "+37069999999" not in (inbound.caller, inbound.did)


def test_a_call_between_colleagues_is_internal():
	"""A live lab capture (tests/data/asterisk/internal_calls.events.json): ann-2 calls bob by name, then ann
	calls bob's extension 1002; each answered. They were logged as answered *inbound* calls (and tickets
	for answered calls would have opened "Call from ann2"); now internal, with the calling agent's phone."""
	events = json.loads((RECORDINGS / "internal_calls.events.json").read_text())["events"]
	tracker = CallTracker()
	out = tracker.feed_all(events) + tracker.finish_all()
	assert sorted((r.direction, r.status, r.did, r.agent_interface) for r in out) == [
		("internal", "answered", "1002", "PJSIP/ann"),
		("internal", "answered", "bob", "PJSIP/ann-2"),
	]
	for r in out:
		call_log_values(r.as_dict(), "UTC")  # the call log takes it
