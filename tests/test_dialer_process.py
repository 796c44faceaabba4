"""The dialer process over real TCP on loopback: the AMI peer plays Asterisk (scripted OriginateResponse,
queue and hangup events per dialed number), an in-memory store plays Frappe (next_contacts, attempts,
record_outcome). Also: the Originate builder and the cc-dialer dialplan context."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
from ami_peer import AmiPeer

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer.process.loop import Claim, DialerProcess, single_instance
from callcenter_app.dialer.runner import CampaignConfig, Dialer
from callcenter_app.telephony.actions import originate_campaign_call
from callcenter_app.telephony.ami.client import AmiConfig
from callcenter_app.telephony.ami.protocol import encode_action
from callcenter_app.telephony.ami.spool import Spool
from callcenter_app.telephony.asterisk_config.render import AgiTarget, render_extensions

QUEUE = "sales"
OPERATORS = ("PJSIP/op1", "PJSIP/op2")
CALLER_ID = "+37052000000"


def member(interface, in_call=False, event="QueueMemberStatus"):
	return {
		"Event": event,
		"Queue": QUEUE,
		"Interface": interface,
		"Location": interface,
		"StateInterface": interface,
		"Membership": "dynamic",
		"Status": "2" if in_call else "1",
		"InCall": "1" if in_call else "0",
		"Paused": "0",
		"Wrapuptime": "0",
		"LastCall": "0",
	}


class MemoryStore:
	"""Frappe's side in memory: a call list per campaign, attempts, outcomes (the same rules of idempotence
	as dialer/service.py's record_outcome: the same outcome again changes nothing)."""

	def __init__(self, configs, contacts):
		self.configs = list(configs)
		self.contacts = {
			name: {"campaign": campaign, "phone": phone, "status": "New", "attempts": 0}
			for name, (campaign, phone) in contacts.items()
		}
		self.attempts: dict[str, dict] = {}
		self.outcomes: dict[str, str] = {}  # attempt → outcome code recorded
		self.updates: dict[str, dict] = {}  # attempt → the last values written to it
		self.connected: dict[str, dict] = {}  # attempt → the record of its reaching an operator
		self.written: list[str] = []  # keys, in write order
		self.claimed: list[tuple[str, int, list[str]]] = []
		self.fail_writes = 0
		self.claim_gate: threading.Event | None = None
		self.claim_started = threading.Event()
		self.lock = threading.Lock()

	# what dialer/service.py offers (a retry is never due within a test: its delay is minutes or hours)
	def next_contacts(self, campaign, n):
		with self.lock:
			names = [
				name
				for name, c in self.contacts.items()
				if c["campaign"] == campaign and c["status"] == "New"
			][:n]
			for name in names:
				self.contacts[name]["status"] = "Dialing"
			return names

	def record_outcome(self, contact, outcome, attempt):
		if self.outcomes.get(attempt) == outcome:
			return
		assert attempt not in self.outcomes, f"attempt {attempt} got a second outcome"
		self.outcomes[attempt] = outcome
		c = self.contacts[contact]
		c["attempts"] += 1
		c["status"] = "Retry" if outcome in ("busy", "no_answer", "failed", "abandoned") else "Closed"

	def release_contacts(self, names):
		for name in names:
			if self.contacts[name]["status"] == "Dialing":
				self.contacts[name]["status"] = "Retry" if self.contacts[name]["attempts"] else "New"

	# the Store interface
	def campaigns(self):
		return list(self.configs)

	def claim(self, campaign, action_ids):
		self.claim_started.set()
		if self.claim_gate is not None:
			self.claim_gate.wait(10)
		names = self.next_contacts(campaign, len(action_ids))
		self.claimed.append((campaign, len(action_ids), names))
		claims = []
		for name, action_id in zip(names, action_ids, strict=False):
			attempt = f"att-{len(self.attempts) + 1}"
			self.attempts[attempt] = {"contact": name, "action_id": action_id}
			claims.append(Claim(name, self.contacts[name]["phone"], attempt, action_id))
		return claims

	def window(self, campaign, since):
		return []

	def write(self, records):
		if self.fail_writes > 0:
			self.fail_writes -= 1
			raise ConnectionError("database is down")
		done = []
		for r in records:
			if r["kind"] == "outcome":
				self.updates[r["attempt"]] = r
				if r["code"]:
					self.record_outcome(r["contact"], r["code"], r["attempt"])
			elif r["kind"] == "connected":
				self.connected[r["attempt"]] = r
			else:
				self.release_contacts([r["contact"]])
				self.attempts.pop(r["attempt"], None)
			self.written.append(r["key"])
			done.append(r["key"])
		return done


class Pbx:
	"""Asterisk's answer to each Originate, by the number dialed: the events of a busy line, a call nobody
	answers, an answering machine, a call abandoned for want of an operator, or one an operator takes."""

	def __init__(self, fates: dict[str, str], scale: float = 0.05):
		self.fates = fates
		self.scale = scale
		self.calls: list[tuple[float, float, str]] = []  # (start, end, number), monotonic
		self.seq = 0

	def __call__(self, action: dict) -> list[tuple[float, dict]]:
		number = re.fullmatch(r"PJSIP/(.+)@trunk", action["Channel"]).group(1)
		self.seq += 1
		uid = f"1795339{self.seq:03d}.{self.seq}"
		aid = action["ActionID"]
		k = self.scale
		chan = {"Channel": f"PJSIP/trunk-{self.seq:08x}", "Uniqueid": uid, "Linkedid": uid}

		def response(reason):
			ok = reason == 4
			return {
				"Event": "OriginateResponse",
				"ActionID": aid,
				"Response": "Success" if ok else "Failure",
				"Channel": action["Channel"],
				"Context": action["Context"],
				"Exten": action["Exten"],
				"Reason": str(reason),
				"Uniqueid": uid if ok else "<null>",
			}

		answered = [(k, {"Event": "Newchannel", **chan}), (k, response(4))]
		join = (k, {"Event": "QueueCallerJoin", **chan, "Queue": QUEUE, "Position": "1", "Count": "1"})
		hangup = (k, {"Event": "Hangup", **chan, "Cause": "16"})
		fate = self.fates[number]
		if fate == "busy":
			script = [(k, response(5))]
		elif fate == "no_answer":
			script = [(4 * k, response(3))]
		elif fate == "machine":
			script = [
				*answered,
				(2 * k, {"Event": "UserEvent", **chan, "UserEvent": "CCDialer", "Result": "machine"}),
				hangup,
			]
		elif fate == "abandoned":
			script = [
				*answered,
				join,
				(2 * k, {"Event": "QueueCallerAbandon", **chan, "Queue": QUEUE, "HoldTime": "2"}),
				(0, {"Event": "UserEvent", **chan, "UserEvent": "CCDialer", "Result": "abandoned"}),
				hangup,
			]
		else:  # answered by op1, who talks, hangs up and is free again
			script = [
				*answered,
				join,
				(k, {"Event": "AgentConnect", **chan, "Queue": QUEUE, "Interface": OPERATORS[0]}),
				(0, member(OPERATORS[0], in_call=True)),
				(6 * k, {"Event": "AgentComplete", **chan, "Queue": QUEUE, "Interface": OPERATORS[0]}),
				hangup,
				(0, member(OPERATORS[0], in_call=False)),
			]
		start = time.monotonic()
		self.calls.append((start, start + sum(d for d, _ in script), number))
		return script

	def most_at_once(self) -> int:
		points = sorted([(s, 1) for s, _, _ in self.calls] + [(e, -1) for _, e, _ in self.calls])
		now = most = 0
		for _, step in points:
			now += step
			most = max(most, now)
		return most


def campaign(name="Spring", mode="Progressive", **kw) -> CampaignConfig:
	return CampaignConfig(name=name, mode=mode, queue=QUEUE, caller_id=CALLER_ID, **kw)


def run_process(peer, store, tmp_path, until, timeout=20.0, spool=None, on_start=None, **kw):
	options = {"tick_s": 0.05, "reload_s": 0.5, "retry_start": 0.05, "retry_max": 0.2, "linger_s": 2.0, **kw}

	async def main():
		port = await peer.start()
		config = AmiConfig("127.0.0.1", port, peer.username, peer.secret, timeout=5)
		process = DialerProcess(config, store, spool or Spool(str(tmp_path / "spool"), key="key"), **options)
		task = asyncio.create_task(process.run())
		if on_start is not None:
			await on_start(process)
		loop = asyncio.get_running_loop()
		deadline = loop.time() + timeout
		while not until(process) and not task.done() and loop.time() < deadline:
			await asyncio.sleep(0.05)
		process.stop()
		await asyncio.wait_for(task, 15)
		await peer.close()
		return process

	return asyncio.run(main())


def peer_with_operators(fates=None, pbx=None):
	peer = AmiPeer([])
	peer.members = [member(op, event="QueueMember") for op in OPERATORS]
	peer.on_originate = pbx or Pbx(fates or {})
	return peer


# --- the process against the peer ------------------------------------------------------------------------

FATES = {
	"+37060000001": "busy",
	"+37060000002": "no_answer",
	"+37060000003": "answered",
	"+37060000004": "abandoned",
	"+37060000005": "machine",
}


def test_a_progressive_campaign_dials_against_the_peer_and_records_the_scripted_outcomes(tmp_path):
	contacts = {f"c{i}": ("Spring", number) for i, number in enumerate(FATES, start=1)}
	contacts["p1"] = ("Preview Only", "+37060000009")
	store = MemoryStore([campaign(amd=True), campaign("Preview Only", mode="Preview")], contacts)
	pbx = Pbx(FATES)
	peer = peer_with_operators(pbx=pbx)
	process = run_process(peer, store, tmp_path, lambda p: len(store.updates) == 5 and not len(p.spool))

	by_contact = {store.attempts[a]["contact"]: store.updates[a] for a in store.updates}
	codes = {FATES[store.contacts[c]["phone"]]: u["code"] for c, u in by_contact.items()}
	assert codes == {
		"busy": "busy",
		"no_answer": "no_answer",
		"answered": None,  # the operator records the outcome of a call they took
		"abandoned": "abandoned",
		"machine": "answering_machine",
	}
	answered = by_contact["c3"]
	assert answered["interface"] == "PJSIP/op1" and answered["answered_at"] < answered["connected_at"]
	assert answered["linkedid"] and answered["ended_at"] >= answered["connected_at"]
	assert by_contact["c4"]["abandoned"] and by_contact["c5"]["amd_status"] == "MACHINE"
	assert {c: store.contacts[c]["status"] for c in ("c1", "c2", "c3", "c4", "c5", "p1")} == {
		"c1": "Retry",
		"c2": "Retry",
		"c3": "Dialing",  # until its operator records the outcome
		"c4": "Retry",
		"c5": "Closed",
		"p1": "New",  # a preview campaign is never dialed by the process
	}
	assert all(name == "Spring" for name, _, _ in store.claimed)
	# progressive: never more calls at once than operators
	assert len(pbx.calls) == 5 and pbx.most_at_once() <= len(OPERATORS)
	originates = [a for a in peer.received if a.get("Action") == "Originate"]
	assert len(originates) == process.originated == 5
	first = originates[0]
	assert (first["Channel"], first["Context"], first["Exten"], first["Priority"]) == (
		"PJSIP/+37060000001@trunk",
		"cc-dialer",
		"s",
		"1",
	)
	assert (first["CallerID"], first["Async"], first["Timeout"]) == (f"<{CALLER_ID}>", "true", "25000")
	assert {a["ActionID"] for a in originates} == {a["action_id"] for a in store.attempts.values()}
	runner = process.dialer.runners["Spring"]
	assert (runner.window_answered, runner.window_abandoned) == (2, 1)
	# the answered call reached its operator before it ended, and was written as such first
	(connected,) = store.connected.values()
	assert connected["attempt"] == next(a for a, u in store.updates.items() if u["code"] is None)
	assert (connected["interface"], connected["linkedid"]) == ("PJSIP/op1", answered["linkedid"])
	assert connected["connected_at"] == answered["connected_at"]
	keys = store.written
	assert keys.index(f"connected:{connected['attempt']}") < keys.index(f"outcome:{connected['attempt']}")
	assert len(keys) == len(set(keys)) == 6


def test_a_database_outage_delays_outcomes_and_loses_none(tmp_path):
	fates = {"+37060000001": "busy", "+37060000002": "abandoned", "+37060000003": "no_answer"}
	store = MemoryStore([campaign()], {f"c{i}": ("Spring", n) for i, n in enumerate(fates, start=1)})
	store.fail_writes = 4
	process = run_process(
		peer_with_operators(fates), store, tmp_path, lambda p: len(store.outcomes) == 3 and not len(p.spool)
	)
	assert process.write_failures >= 4
	assert sorted(store.outcomes.values()) == ["abandoned", "busy", "no_answer"]
	assert len(store.written) == len(set(store.written)) == 3


def test_outcomes_spooled_during_an_outage_are_written_after_a_restart(tmp_path):
	fates = {"+37060000001": "busy", "+37060000002": "no_answer"}
	contacts = {f"c{i}": ("Spring", n) for i, n in enumerate(fates, start=1)}
	down = MemoryStore([campaign()], contacts)
	down.fail_writes = 10**6
	first = run_process(
		peer_with_operators(fates), down, tmp_path, lambda p: len(p.spool) == 2, drain_timeout=0.3
	)
	assert len(first.spool) == 2 and not down.outcomes
	first.spool.close()

	up = MemoryStore([], {})
	up.contacts, up.attempts = down.contacts, down.attempts
	spool = Spool(str(tmp_path / "spool"), key="key")
	assert len(spool) == 2
	run_process(peer_with_operators(), up, tmp_path, lambda p: not len(p.spool), spool=spool)
	assert sorted(up.outcomes.values()) == ["busy", "no_answer"]


def test_stopping_releases_contacts_claimed_but_not_dialed(tmp_path):
	store = MemoryStore([campaign()], {"c1": ("Spring", "+37060000001"), "c2": ("Spring", "+37060000002")})
	store.claim_gate = threading.Event()

	async def stop_while_claiming(process):
		loop = asyncio.get_running_loop()
		await loop.run_in_executor(None, store.claim_started.wait, 10)
		process.stop()
		await asyncio.sleep(0.1)
		store.claim_gate.set()

	peer = peer_with_operators({})
	process = run_process(peer, store, tmp_path, lambda p: False, timeout=10, on_start=stop_while_claiming)
	assert [n for _, _, n in store.claimed] == [["c1", "c2"]]
	assert not [a for a in peer.received if a.get("Action") == "Originate"]
	assert {c["status"] for c in store.contacts.values()} == {"New"}
	assert not store.attempts and not len(process.spool)


def test_an_originate_asterisk_refuses_is_a_failed_attempt(tmp_path):
	store = MemoryStore([campaign()], {"c1": ("Spring", "+37060000001")})
	peer = peer_with_operators({"+37060000001": "busy"})
	peer.refuse["Originate"] = "Originate failed: no such endpoint"
	process = run_process(peer, store, tmp_path, lambda p: bool(store.outcomes) and not len(p.spool))
	(update,) = store.updates.values()
	assert update["code"] == "failed" and "no such endpoint" in update["note"]
	assert process.originate_errors == 1


def test_calls_still_ringing_at_shutdown_are_followed_then_recorded(tmp_path):
	store = MemoryStore([campaign()], {"c1": ("Spring", "+37060000001")})
	pbx = Pbx({"+37060000001": "no_answer"}, scale=0.2)  # answers "no answer" 0.8 s after dialing

	async def stop_after_the_dial(process):
		while not process.originated:
			await asyncio.sleep(0.02)
		process.stop()

	run_process(peer_with_operators(pbx=pbx), store, tmp_path, lambda p: False, on_start=stop_after_the_dial)
	assert store.outcomes == {"att-1": "no_answer"}


def test_a_campaign_that_cannot_make_an_originate_is_not_dialed(tmp_path):
	bad = CampaignConfig(name="Sale, 50% off", mode="Progressive", queue=QUEUE)
	store = MemoryStore([bad], {"c1": ("Sale, 50% off", "+37060000001")})
	process = run_process(peer_with_operators({}), store, tmp_path, lambda p: p.reloads >= 2)
	assert not store.claimed and "campaign" in process._refused["Sale, 50% off"]


def test_one_dialer_per_spool_directory(tmp_path):
	with single_instance(str(tmp_path)):
		with pytest.raises(RuntimeError, match="another dialer"):
			with single_instance(str(tmp_path)):
				pass
	with single_instance(str(tmp_path)):  # released
		pass


def test_the_process_refuses_a_spool_keyed_by_linkedid(tmp_path):
	with pytest.raises(ValueError, match="keyed by"):
		DialerProcess(AmiConfig(), MemoryStore([], {}), Spool(str(tmp_path)), dialer=Dialer())


# --- the Originate and the dialplan ---------------------------------------------------------------------


def test_originate_campaign_call_carries_the_records_and_refuses_injection():
	action = originate_campaign_call(
		"+37060000001", "sales", "Spring 2026", "c1x9", "a7k2", caller_id=CALLER_ID, amd=True, timeout_s=30
	)
	assert action.fields == {
		"Channel": "PJSIP/+37060000001@trunk",
		"Context": "cc-dialer",
		"Exten": "s",
		"Priority": 1,
		"Timeout": 30000,
		"Async": "true",
		"CallerID": f"<{CALLER_ID}>",
	}
	assert action.variables == {
		"CC_NUMBER": "+37060000001",  # the record's did: the number dialled
		"CC_CAMPAIGN": "Spring 2026",
		"CC_CONTACT": "c1x9",
		"CC_ATTEMPT": "a7k2",
		"CC_QUEUE": "sales",
		"CC_AMD": "1",
	}
	wire = encode_action(action.name, action.fields, action.variables).decode()
	assert "Variable: CC_ATTEMPT=a7k2\r\n" in wire and "Variable: CC_AMD=1\r\n" in wire
	bad = {
		"phone": ("+3706000\r\nAction: Hangup", "sales", "Spring", "c", "a"),
		"call_queue": ("+37060000001", "sales,evil", "Spring", "c", "a"),
		"campaign": ("+37060000001", "sales", "Spring, 2026", "c", "a"),
		"attempt": ("+37060000001", "sales", "Spring", "c", "a${EVIL}"),
		"contact": ("+37060000001", "sales", "Spring", "", "a"),
	}
	for field, args in bad.items():
		with pytest.raises(FieldError) as e:
			originate_campaign_call(*args)
		assert e.value.field == field
	with pytest.raises(FieldError) as e:
		originate_campaign_call("+37060000001", "sales", "S", "c", "a", caller_id="anonymous")
	assert e.value.field == "caller_id"
	with pytest.raises(FieldError) as e:
		originate_campaign_call("+37060000001", "sales", "S", "c", "a", timeout_s=600)
	assert e.value.field == "ring_timeout"


def test_the_dialer_context_detects_machines_then_gives_operators_two_seconds():
	text = render_extensions(AgiTarget("10.0.0.5", 4573))
	block = text[text.index("[cc-dialer]") : text.index("[cc-internal]")].split("\n;")[0]
	lines = [re.fullmatch(r"(?:exten => s,1| same => n(?:\(\w+\))?),(.+)", x) for x in block.splitlines()]
	steps = [m.group(1) for m in lines if m]
	assert steps == [
		"NoOp(callcenter_app campaign call ${CC_CAMPAIGN} attempt ${CC_ATTEMPT})",
		"Set(__CC_DIRECTION=outbound)",
		"Set(CC_QUEUE=${FILTER(--.A-Za-z0-9_,${CC_QUEUE})})",
		'GotoIf($["${CC_AMD}" != "1"]?operator)',
		"AMD(2500,1500,800,3500,100,50,2,256,5000)",
		'GotoIf($["${AMDSTATUS}" != "MACHINE"]?operator)',
		'GotoIf($["${AMDCAUSE:0:14}" = "INITIALSILENCE"]?operator)',
		"UserEvent(CCDialer,Result: machine,Attempt: ${CC_ATTEMPT},AMDCause: ${AMDCAUSE})",
		"Hangup()",
		"Queue(${CC_QUEUE},tb(cc-autoanswer^s^1),,,2)",
		'GotoIf($["${QUEUESTATUS}" = ""]?done)',
		"UserEvent(CCDialer,Result: abandoned,Attempt: ${CC_ATTEMPT},QueueStatus: ${QUEUESTATUS})",
		"Playback(custom/cc-dialer-abandoned)",
		"Hangup()",
	]
	assert "same => n(operator),Queue(" in block
