"""AMI: the frame parser, the call state machine against the ground truth of real Asterisk recordings,
order/duplicate independence, and the client + bridge over real TCP on loopback with faults."""

import asyncio
import gc
import json
import logging
import random
import time

import pytest
from ami_peer import RECORDINGS, AmiPeer, clone_call, merged, recorded_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.telephony.ami.bridge import Bridge
from callcenter_app.telephony.ami.calls import CallRecord, CallTracker
from callcenter_app.telephony.ami.client import AmiAuthError, AmiClient, AmiConfig
from callcenter_app.telephony.ami.protocol import FrameParser, ProtocolError, encode_action
from callcenter_app.telephony.ami.spool import Spool, WriteResult

NAMES = ("answered", "abandoned", "penalties")


def records_of(frames, **kw) -> dict[str, CallRecord]:
	t = CallTracker(**kw)
	out = t.feed_all(frames) + t.finish_all()
	keys = [r.linkedid for r in out]
	assert len(keys) == len(set(keys)), "a call was recorded twice"
	return {r.linkedid: r for r in out}


# --- parser --------------------------------------------------------------------------------------------
def test_parser_reads_frames_split_anywhere():
	raw = (RECORDINGS / "answered.ami").read_bytes()
	whole = FrameParser().feed(raw)
	rng = random.Random(7)
	p, pieces, i = FrameParser(), [], 0
	while i < len(raw):
		n = rng.randint(1, 300)
		pieces += p.feed(raw[i : i + n])
		i += n
	assert pieces == whole and p.banner == "11.0.0" and p.malformed == 0
	assert whole[0]["Response"] == "Success" and whole[-1]["Response"] == "Goodbye"


def test_malformed_frames_are_skipped_and_counted():
	p = FrameParser()
	data = b"Asterisk Call Manager/11.0.0\r\nEvent: A\r\nX: 1\r\n\r\nnot a header line\r\nEvent: B\r\n\r\nEvent: C\r\n\r\n"
	assert [m["Event"] for m in p.feed(data)] == ["A", "C"]
	assert p.malformed == 1


def test_command_output_lines_are_all_kept():
	p = FrameParser()
	msgs = p.feed(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nOutput: one\r\nOutput: two\r\n\r\n")
	assert msgs[0]["Output"] == "one\ntwo"


def test_actions_cannot_smuggle_lines():
	assert encode_action("Ping", {"ActionID": "1"}) == b"Action: Ping\r\nActionID: 1\r\n\r\n"
	with pytest.raises(ProtocolError, match="Channel"):
		encode_action("Originate", {"Channel": "PJSIP/ann\r\nAction: Command"})
	with pytest.raises(ProtocolError):
		encode_action("Originate", {}, variables={"X": "1\nAction: Logoff"})


# --- state machine vs ground truth ----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_records_match_asterisk_ground_truth(name):
	truth = json.loads((RECORDINGS / f"{name}.truth.json").read_text())
	records = records_of(recorded_frames(name))
	assert set(records) == set(truth["calls"])
	for linkedid, t in truth["calls"].items():
		r = records[linkedid]
		assert r.caller == t["caller"]["callerid_num"]
		assert r.queue == t["queue"]
		assert r.status == ("abandoned" if t["abandoned"] else "answered" if t["answered_by"] else "missed")
		assert r.answered_by == (t["answered_by"] or "")
		view = t["queue_view"]
		assert (r.wait_s, r.ring_s, r.talk_s) == (view["wait_s"], view["ring_s"], view["talk_s"])
		assert r.queue_result == t["queue_outcome"]
		assert r.complete


def all_frames():
	return merged([recorded_frames(n) for n in NAMES])


def first_ts(frames):
	return min(float(m["Timestamp"]) for m in frames if "Timestamp" in m)


def test_interleaved_calls_give_the_same_records():
	alone = {}
	for name in NAMES:
		alone.update(records_of(recorded_frames(name)))
	# the three recordings shifted to overlap in time (all starting when the first one did), merged
	base = first_ts(recorded_frames(NAMES[0]))
	shifted = merged(
		[clone_call(recorded_frames(n), i, base - first_ts(recorded_frames(n))) for i, n in enumerate(NAMES)]
	)
	together = records_of(shifted)
	assert len(together) == len(alone) == 4

	def strip(r):
		drop = ("linkedid", "caller", "start", "end", "answered_at")
		data = {k: v for k, v in r.as_dict().items() if k not in drop}
		data["legs"] = [
			{k: v for k, v in leg.items() if k not in ("entered", "left")} for leg in data["legs"]
		]
		return data

	assert sorted(map(json.dumps, map(strip, together.values()))) == sorted(
		map(json.dumps, map(strip, alone.values()))
	)


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_duplicates_and_local_reordering_change_nothing(data):
	frames = all_frames()
	expected = records_of(frames)
	rng = random.Random(data.draw(st.integers(0, 10**6)))
	window = data.draw(st.integers(2, 8))
	messy = []
	for i in range(0, len(frames), window):
		chunk = frames[i : i + window]
		rng.shuffle(chunk)
		messy += chunk
	for _ in range(data.draw(st.integers(0, 60))):  # duplicates, some right after, some later
		k = rng.randrange(len(messy))
		messy.insert(min(len(messy), k + rng.randint(1, 40)), messy[k])
	assert records_of(messy) == expected


def test_late_events_after_a_call_finished_are_ignored():
	frames = recorded_frames("answered")
	t = CallTracker(grace=0)
	first = t.feed_all(frames) + t.finish_all()
	assert len(first) == 1
	assert t.feed_all(frames[-20:]) + t.finish_all() == []  # replayed tail: no second record


def test_timeout_is_told_from_abandon_and_voicemail_and_transfer_are_seen():
	base = [m for m in recorded_frames("abandoned")]
	caller = next(m for m in base if m.get("Event") == "QueueCallerJoin")
	ts = float(caller["Timestamp"]) + 2
	common = {k: caller[k] for k in ("Channel", "Uniqueid", "Linkedid")}
	# extra events go in at their time (merged), as Asterisk would have sent them
	timeout = merged(
		[
			base,
			[
				{
					"Event": "VarSet",
					"Timestamp": f"{ts:.6f}",
					**common,
					"Variable": "QUEUESTATUS",
					"Value": "TIMEOUT",
				}
			],
		]
	)
	(r,) = records_of(timeout).values()
	assert (r.status, r.queue_result) == ("missed", "timeout")
	vm = merged(
		[
			timeout,
			[
				{
					"Event": "Newexten",
					"Timestamp": f"{ts + 0.1:.6f}",
					**common,
					"Application": "VoiceMail",
					"AppData": "100@default,u",
				}
			],
		]
	)
	(r,) = records_of(vm).values()
	assert (r.status, r.voicemail) == ("voicemail", "100@default")
	answered = recorded_frames("answered")
	c = next(m for m in answered if m.get("Event") == "AgentConnect")
	blind = {
		"Event": "BlindTransfer",
		"Timestamp": f"{float(c['Timestamp']) + 1:.6f}",
		"Result": "Success",
		"TransfererChannel": c["DestChannel"],
		"TransfereeLinkedid": c["Linkedid"],
		"Extension": "200",
		"Context": "cc-agents",
	}
	(r,) = records_of(merged([answered, [blind, dict(blind)]])).values()
	assert r.transfers == ({"kind": "blind", "by": c["DestChannel"], "to": "200", "result": "Success"},)


def test_agent_complete_without_channel_fields_is_attached():
	frames = recorded_frames("answered")
	stripped = []
	for m in frames:
		if m.get("Event") == "AgentComplete":
			m = {
				k: v
				for k, v in m.items()
				if k
				in (
					"Event",
					"Timestamp",
					"Queue",
					"Interface",
					"MemberName",
					"HoldTime",
					"TalkTime",
					"Reason",
				)
			}
		stripped.append(m)
	(r,) = records_of(stripped).values()
	assert r.talk_s == 3 and r.status == "answered"


# --- spool ---------------------------------------------------------------------------------------------
def test_spool_survives_restart_and_torn_lines(tmp_path):
	s = Spool(str(tmp_path))
	s.append([{"linkedid": "a", "x": 1}, {"linkedid": "b", "x": 2}])
	s.ack(["a"])
	s.close()
	with open(tmp_path / "records.jsonl", "a") as f:
		f.write('{"linkedid": "c", "x"')  # crash mid-write
	s2 = Spool(str(tmp_path))
	assert [r["linkedid"] for r in s2.pending()] == ["b"]
	s2.ack(["b"])
	assert len(s2) == 0 and (tmp_path / "records.jsonl").stat().st_size == 0


# --- over TCP ------------------------------------------------------------------------------------------
def config(port, **kw):
	return AmiConfig(
		"127.0.0.1", port, "cc", "s3cret-pass", timeout=5, backoff_start=0.05, backoff_max=0.2, **kw
	)


def test_bad_credentials_give_a_clear_error_and_no_retry():
	async def main():
		peer = AmiPeer([])
		port = await peer.start()
		client = AmiClient(AmiConfig("127.0.0.1", port, "cc", "wrong-secret", timeout=5), lambda e: None)
		with pytest.raises(AmiAuthError) as e:
			await asyncio.wait_for(client.run(), 5)
		await peer.close()
		return str(e.value), peer.logins_refused

	message, refused = asyncio.run(main())
	assert "AMI login refused for user 'cc'" in message and "Authentication failed" in message
	assert "wrong-secret" not in message and refused == 1


def run_bridge(peer, tmp_path, write, until, timeout=20.0, **kw):
	options = {"retry_start": 0.05, "retry_max": 0.2, "drain_timeout": 0.5, **kw}

	async def main():
		port = await peer.start()
		bridge = Bridge(config(port), Spool(str(tmp_path / "spool"), fsync=False), write, **options)
		task = asyncio.create_task(bridge.run())
		loop = asyncio.get_running_loop()
		deadline = loop.time() + timeout
		while not until(bridge) and loop.time() < deadline:
			await asyncio.sleep(0.05)
		bridge.stop()
		await asyncio.wait_for(task, 10)
		await peer.close()
		return bridge

	return asyncio.run(main())


def test_recordings_replayed_over_tcp_give_the_ground_truth(tmp_path):
	written = {}
	peer = AmiPeer(all_frames())
	bridge = run_bridge(
		peer,
		tmp_path,
		lambda batch: written.update({r["linkedid"]: r for r in batch}),
		lambda b: len(written) >= 4,
	)
	assert set(written) == set(records_of(all_frames()))
	assert bridge.client.connections == 1
	assert {r["answered_by"] for r in written.values()} == {"Agent One", "Sales One", "Sales Two", ""}


def test_many_calls_with_drops_garbage_and_a_database_outage_each_appear_once(tmp_path):
	template = recorded_frames("answered")
	n = 60
	calls = [clone_call(template, i, 0.35 * i) for i in range(n)]
	expected = {next(m["Linkedid"] for m in call if "Linkedid" in m) for call in calls}
	frames = merged(calls)
	peer = AmiPeer(frames, drop_every=1500, gap=25, garbage=0.002, seed=3)
	store, writes, outage = {}, [], {"left": 4}

	def write(batch):
		if outage["left"] > 0:  # the first batches meet a database that is down
			outage["left"] -= 1
			raise ConnectionError("database is down")
		for r in batch:
			writes.append(r["linkedid"])
			store[r["linkedid"]] = r

	bridge = run_bridge(
		peer, tmp_path, write, lambda b: peer.cursor >= len(frames) and set(store) >= expected, timeout=60
	)
	assert peer.connections > 3 and peer.lost > 0 and peer.garbage_sent > 0
	assert bridge.write_failures >= 4
	assert set(store) == expected  # count in = count out
	assert len(writes) == len(set(writes)) == n  # and each exactly once
	assert bridge.client.malformed == peer.garbage_sent
	complete = [r for r in store.values() if r["complete"]]
	assert complete and all(r["status"] == "answered" for r in complete)


def test_bridge_restart_replays_the_spool(tmp_path):
	frames = recorded_frames("penalties")
	peer = AmiPeer(frames)

	def down(batch):
		raise ConnectionError("database is down")

	bridge = run_bridge(peer, tmp_path, down, lambda b: len(b.spool) >= 2, timeout=20)
	assert len(bridge.spool) == 2
	bridge.spool.close()
	written = []
	spool = Spool(str(tmp_path / "spool"))
	assert len(spool) == 2

	async def replay():
		b = Bridge(config(1), spool, lambda batch: written.extend(r["linkedid"] for r in batch))
		return await b.drain(5)

	assert asyncio.run(replay())
	assert sorted(written) == sorted(records_of(frames))


def test_events_with_a_response_field_are_events():
	seen = []
	client = AmiClient(AmiConfig(), seen.append)
	client._dispatch(
		{"Event": "OriginateResponse", "Response": "Success", "ActionID": "c2c-1", "Uniqueid": "1.1"}
	)
	client._dispatch({"Response": "Success", "ActionID": "nobody-waits"})
	assert [m["Event"] for m in seen] == ["OriginateResponse"]


def test_ami_tail_cli_writes_json_lines(tmp_path):
	import subprocess
	import sys
	import time

	async def serve():
		peer = AmiPeer(recorded_frames("penalties"))
		port = await peer.start()
		return peer, port

	loop = asyncio.new_event_loop()
	peer, port = loop.run_until_complete(serve())  # keep a reference: a collected peer drops the line
	import threading

	threading.Thread(target=loop.run_forever, daemon=True).start()
	out = tmp_path / "calls.jsonl"
	env = {**__import__("os").environ, "CC_AMI_SECRET": "s3cret-pass"}
	proc = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"callcenter_app.cli",
			"ami-tail",
			"--port",
			str(port),
			"--username",
			"cc",
			"--spool",
			str(tmp_path / "spool"),
			"--out",
			str(out),
		],
		env=env,
	)
	try:
		deadline = time.time() + 20
		while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
			time.sleep(0.1)
	finally:
		proc.terminate()
		proc.wait(10)
	lines = [json.loads(line) for line in out.read_text().splitlines()]
	assert sorted(r["answered_by"] for r in lines) == ["Sales One", "Sales Two"]
	assert peer.connections == 1 and all(r["complete"] for r in lines)


def test_ami_tail_refuses_to_run_without_a_secret(tmp_path, capsys):
	from callcenter_app.cli import main

	assert (
		main(["ami-tail", "--username", "cc", "--secret-env", "CC_NO_SUCH_VAR", "--spool", str(tmp_path)])
		== 2
	)
	assert "never on the command line" in capsys.readouterr().err


def test_call_log_values_map_and_refuse():
	from callcenter_app.common.errors import FieldError
	from callcenter_app.telephony.ami.call_log import call_log_values

	(record,) = records_of(recorded_frames("answered")).values()
	values = call_log_values(record.as_dict(), "Europe/Vilnius")
	assert values["start"] == "2026-11-22 11:17:19.677149"  # 09:17:19 UTC
	assert (values["status"], values["talk_s"], values["agents_rung"], values["complete"]) == (
		"answered",
		3,
		"Agent One",
		1,
	)
	for bad, field in (
		({"linkedid": ""}, "linkedid"),
		({"status": "exploded"}, "status"),
		({"direction": "sideways"}, "direction"),
	):
		with pytest.raises(FieldError) as e:
			call_log_values({**record.as_dict(), **bad}, "UTC")
		assert e.value.field == field


def test_idle_flush_keeps_the_grace_whatever_the_pbx_clock():
	wall = [1_000_000.0]  # our clock, far from the recording's
	t = CallTracker(grace=2.0, clock=lambda: wall[0])
	frames = recorded_frames("answered")
	assert t.feed_all(frames) == []  # the stream ends well within the grace after the last hangup
	assert t.flush() == []  # no wall time has passed since the last event
	wall[0] += 2.5
	(r,) = t.flush()
	assert r.status == "answered"


def test_resync_leaves_calls_that_began_during_it_alone():
	frames = recorded_frames("answered")
	t = CallTracker()
	before = set(t.calls)  # nothing known when CoreShowChannels was asked for
	t.feed_all(frames[:40])  # live events arrive while the answer is on its way
	assert t.resync([], [], known_before=before) == []
	(r,) = t.feed_all(frames[40:]) + t.finish_all()
	assert r.complete and r.status == "answered"


def _snapshot(frames):
	"""CoreShowChannel entries for every channel the frames create (as a snapshot taken mid-call lists)."""
	return [
		{
			"Uniqueid": m["Uniqueid"],
			"Linkedid": m.get("Linkedid", m["Uniqueid"]),
			"Channel": m.get("Channel", ""),
		}
		for m in frames
		if m.get("Event") == "Newchannel"
	]


def test_resync_keeps_hangups_that_came_after_its_snapshot():
	"""The snapshot lists every channel; their Hangups arrive before the resync is applied. The channels
	stay hung up (a channel never comes back) and the call ends, complete (it used to hang forever)."""
	frames = recorded_frames("answered")
	snapshot = _snapshot(frames)
	clock = [float(frames[-1]["Timestamp"])]  # the recording's own time: its grace has not run out
	t = CallTracker(clock=lambda: clock[0])
	assert t.feed_all(frames[:40]) == []
	before = set(t.calls)  # the snapshot is asked for now
	got = t.feed_all(frames[40:])  # everything else, hangups included, before the resync runs
	assert got == []
	(r,) = t.resync(snapshot, [], known_before=before)  # every channel has hung up: the call ends now
	assert r.complete and r.status == "answered"
	assert not t.calls


def test_resync_hangs_up_the_known_channels_the_snapshot_lacks():
	frames = recorded_frames("answered")
	t = CallTracker()
	t.feed_all(frames[:40])
	live = _snapshot(frames[:40])[:1]  # only the first channel is still up
	assert t.resync(live, [], known_before=set(t.calls)) == []
	(call,) = t.calls.values()
	assert [c.uniqueid for c in call.channels.values() if c.hung_up is None] == [live[0]["Uniqueid"]]
	assert call.resynced


def test_client_holds_events_that_arrive_during_on_connect(tmp_path):
	"""The peer streams live events as soon as QueueStatus is answered, while on_connect still runs; they
	reach on_event after on_connect returns, in order, none lost."""
	frames = recorded_frames("penalties")
	order = []

	async def main():
		peer = AmiPeer(frames)
		port = await peer.start()

		async def on_connect(client):
			await client.action_list("CoreShowChannels")
			await client.action_list("QueueStatus")
			await asyncio.sleep(0.3)  # the stream has started meanwhile
			order.append("resynced")

		client = AmiClient(config(port), lambda e: order.append(e["Event"]), on_connect)
		task = asyncio.create_task(client.run())
		while len(order) < len(frames) + 1:
			await asyncio.sleep(0.02)
		client.stop()
		await asyncio.wait_for(task, 5)
		await peer.close()
		return client

	client = asyncio.run(asyncio.wait_for(main(), 20))
	assert order[0] == "resynced"
	assert order[1:] == [m["Event"] for m in frames]
	assert client.events == len(frames)


def test_bridge_reconciles_queue_members_and_passes_on_live_notices(tmp_path):
	"""After connecting, Asterisk's dynamic members become the logged-in agents; the agent rung gets a
	ringing notice, and SIP registrations (snapshot, then ContactStatus events) reach ``notify``."""
	from callcenter_app.telephony.actions import Membership

	ringing = {
		"Event": "AgentCalled",
		"Interface": "PJSIP/ann",
		"CallerIDNum": "+37060000001",
		"Queue": "support",
		"Linkedid": "9.1",
		"Uniqueid": "9.1",
	}
	went_away = {
		"Event": "ContactStatus",
		"AOR": "bob",
		"URI": "sip:bob@10.0.0.8",
		"ContactStatus": "Removed",
	}
	peer = AmiPeer([ringing, went_away])
	peer.members = [
		{"Queue": "support", "StateInterface": "PJSIP/zed", "Penalty": "0", "Paused": "0"},
		{"Queue": "support", "StateInterface": "PJSIP/ann", "Penalty": "3", "Paused": "0"},
	]
	peer.contacts = [
		{"Aor": "bob", "Uri": "sip:bob@10.0.0.8", "Status": "Reachable", "RoundtripUsec": "8000"}
	]
	notices = []
	desired = [Membership("support", "PJSIP/ann", 1), Membership("support", "PJSIP/bob", 2, paused=True)]
	bridge = run_bridge(
		peer,
		tmp_path,
		lambda batch: None,
		lambda b: len([n for n in notices if n["kind"] != "wallboard"]) >= 3,
		notify=notices.extend,
		desired_members=lambda: (desired, frozenset()),
	)
	notices = [n for n in notices if n["kind"] != "wallboard"]  # test_bridge_feeds_the_wallboard
	sent = [(a["Action"], a.get("Interface"), a.get("Penalty"), a.get("Paused")) for a in peer.received]
	assert [s for s in sent if s[0].startswith("Queue") and s[0] != "QueueStatus"] == [
		("QueueRemove", "PJSIP/zed", None, None),
		("QueueAdd", "PJSIP/bob", "2", "true"),
		("QueuePenalty", "PJSIP/ann", "1", None),
	]
	assert bridge.member_actions == 3
	assert [(n["kind"], n.get("endpoint") or n.get("interface"), n.get("status")) for n in notices] == [
		("registration", "bob", "registered"),
		("ringing", "PJSIP/ann", None),
		("registration", "bob", "unregistered"),
	]
	assert notices[1]["caller"] == "+37060000001" and notices[0]["rtt_ms"] == 8.0


def test_bridge_feeds_the_wallboard_from_queue_status_and_queue_events(tmp_path):
	"""``notify`` gets Asterisk's QueueStatus as a wallboard reset at connect (a member in a call is busy),
	then the recorded calls' queue joins and leaves and the answering member's busy and free, in order."""
	frames = merged([recorded_frames("abandoned"), recorded_frames("answered")])
	notices = []
	peer = AmiPeer(frames)
	peer.members = [
		{"Queue": "support", "StateInterface": "PJSIP/zed", "Penalty": "0", "Paused": "0", "InCall": "1"}
	]
	run_bridge(
		peer,
		tmp_path,
		lambda batch: None,
		lambda b: len([n for n in notices if n["kind"] == "wallboard"]) >= 8,  # the reset and 7 events
		notify=notices.extend,
	)
	board = [n["event"] for n in notices if n["kind"] == "wallboard"]
	assert board[0]["kind"] == "reset" and board[0]["busy"] == ["PJSIP/zed"]
	assert [(e["kind"], e.get("id") or e.get("interface")) for e in board[1:]] == [
		("join", "1795339039.1"),  # answered.ami: the caller leaves the queue, then the member connects
		("leave", "1795339039.1"),
		("busy", "Local/agent1@cc-agents/n"),
		("free", "Local/agent1@cc-agents/n"),
		("join", "1795339057.1"),  # abandoned.ami: QueueCallerAbandon, then QueueCallerLeave
		("leave", "1795339057.1"),
		("leave", "1795339057.1"),
	]


# --- stopping, poison records, a refused login ------------------------------------------------------------
def ends_at_its_hangup(name: str) -> list[dict]:
	"""A recording without its first frame (FullyBooted has no Timestamp, so the tracker would read the
	wall clock and end every call at its hangup): the last call has hung up, its grace is still running."""
	return recorded_frames(name)[1:]


OPEN_CALL = {
	"Event": "Newchannel",
	"Channel": "PJSIP/trunk-00000099",
	"Uniqueid": "1795339999.7",
	"Linkedid": "1795339999.7",
	"CallerIDNum": "+37060000999",
	"Context": "from-trunk",
	"Exten": "100",
	"Timestamp": "1795339043.700000",
}


def test_stopping_the_bridge_records_the_call_that_just_ended_and_logs_the_open_ones(tmp_path, caplog):
	frames = [*ends_at_its_hangup("answered"), OPEN_CALL]
	(expected,) = records_of(frames).values()
	peer = AmiPeer(frames)
	written = {}
	done_at = []

	def until(bridge):  # stop 0.5 s after the call's hangup reached the bridge (its grace is 2 s)
		if peer.done.is_set() and bridge.client.events >= len(frames):
			done_at.append(time.monotonic())
		return bool(done_at) and time.monotonic() - done_at[0] >= 0.5

	with caplog.at_level(logging.INFO, logger="callcenter.ami.bridge"):
		bridge = run_bridge(
			peer, tmp_path, lambda batch: written.update({r["linkedid"]: r for r in batch}), until
		)
	assert written == {expected.linkedid: expected.as_dict()}
	assert bridge.flushed_at_stop == 1 and len(bridge.spool) == 0
	assert "1 call(s) in progress, not recorded (linkedids 1795339999.7)" in caplog.text
	assert "37060000999" not in caplog.text and "5551001" not in caplog.text  # no numbers in logs
	assert "AMI bridge stopped: 1 call record(s) written, 1 recorded at shutdown" in caplog.text


def test_a_record_the_writer_refuses_for_good_is_set_aside_and_the_rest_written(tmp_path):
	frames = merged([recorded_frames("answered"), recorded_frames("abandoned"), recorded_frames("penalties")])
	expected = records_of(frames)
	bad = sorted(expected)[1]
	written = {}

	def write(batch):
		done, poison = [], {}
		for r in batch:
			if r["linkedid"] == bad:
				poison[bad] = "ValueError: this record breaks the sink"
			else:
				written[r["linkedid"]] = r
				done.append(r["linkedid"])
		return WriteResult(done, poison)

	bridge = run_bridge(peer := AmiPeer(frames), tmp_path, write, lambda b: len(written) + b.parked >= 4)
	assert peer.done.is_set() and set(written) == set(expected) - {bad}
	assert bridge.parked == 1 and len(bridge.spool) == 0
	(letter,) = (tmp_path / "spool" / "dead-letters.jsonl").read_text().splitlines()
	assert json.loads(letter)["record"] == expected[bad].as_dict()


def test_a_refused_login_leaves_no_task_exception_unretrieved():
	"""Asterisk closes the connection as it refuses a login: the reader task ends with it, and its
	ConnectionError must be retrieved (else asyncio prints "Task exception was never retrieved")."""
	unretrieved = []

	async def main():
		loop = asyncio.get_running_loop()
		loop.set_exception_handler(lambda loop, context: unretrieved.append(context["message"]))
		peer = AmiPeer([])
		port = await peer.start()
		for _ in range(8):
			client = AmiClient(AmiConfig("127.0.0.1", port, "cc", "wrong-secret", timeout=5), lambda e: None)
			with pytest.raises(AmiAuthError) as e:
				await asyncio.wait_for(client.run(), 5)
			assert "CC Settings" not in str(e.value)  # where the credentials come from is the caller's to say
			del client
			await asyncio.sleep(0.01)
			gc.collect()
		await peer.close()
		return peer.logins_refused

	assert asyncio.run(main()) == 8
	assert unretrieved == []
