"""Call state machine: AMI events in, one CallRecord per Asterisk Linkedid out.

Order-independent by construction: each event only adds *facts* to its call (channels, queue events,
variables, dialplan positions, bridges, transfers, each with Asterisk's own Timestamp), and the record is
derived from the facts when the call is over, never from the order they came in. Exact duplicate events
are dropped (a frame seen twice adds nothing). A call is over when every channel it had has hung up and
the event clock (the newest Timestamp seen) has moved ``grace`` seconds past its last hangup, which lets
the Cdrs and late AgentComplete events that follow a hangup still join it. A Linkedid that was finished is
remembered (bounded), so a late or replayed event never makes a second record.

An event whose Timestamp is not a plausible time (not a number, inf/nan, before 2000 or more than a day
ahead: ``protocol.parse_timestamp``) is logged, counted in ``rejected`` and skipped: it never moves the
event clock. Durations inside events (HoldTime, TalkTime, Duration…) longer than ``MAX_SPAN_S`` or
negative are treated as unknown.

The record, field by field where it is not obvious:

- ``legs``: one dict per queue the caller waited in, in order: ``queue``, ``entered``/``left`` (epoch
  seconds), ``wait_s``, ``outcome`` (one of ``LEG_OUTCOMES``), ``agent``, ``agent_interface``, ``ring_s``,
  ``talk_s``. A call that overflowed from one queue to the next has two legs.
- ``queue``: the queue that answered, else the last one the caller was in. ``wait_s``: the total time the
  caller waited in queues before an answer (every leg up to the answering one; all legs if none
  answered). ``ring_s``, ``answered_by``, ``agent_interface``: of the answering leg. ``queue_result``:
  the answering leg's outcome (``connected``), else the last leg's.
- ``talk_s``: how long the answering agent talked to the caller: AgentComplete's TalkTime, except after
  a desk blind transfer (an AMI Redirect of the caller: no transfer event, and the AgentComplete that
  comes at the final hangup covers the transfer target's talk too), where it is the time the caller and
  the agent shared their bridge (BridgeEnter → BridgeLeave).
- ``billable_s``: Asterisk CDR's billsec for the caller's channel: whole seconds from the moment that
  channel was answered (went Up) to its hangup; 0 when it was never answered, None when the answer was
  not seen (a resynchronised call: then the sum of the caller's Cdr BillableSeconds, if any came).
- ``transfers``: BlindTransfer / AttendedTransfer events, and desk blind transfers seen as a Redirect: the
  caller leaves the agent's bridge and runs the dialplan at another extension before the queue call is
  complete (``{"kind": "blind", "by": agent channel, "to": extension, "result": "Success"}``).
- ``direction``: ``outbound`` when CC_DIRECTION says so, or when the call carries CC_CAMPAIGN without a
  CC_DIRECTION (a dialer call that was never answered never reaches the dialplan that sets it);
  ``internal`` when an agent's phone (a PJSIP channel not the trunk's) called and the call met no route,
  DID or number out (a colleague by name or extension: the lab found these logged as answered inbound
  calls, which tickets for answered calls would turn into tickets); else ``inbound``.
- ``caller`` is the customer's number, ``did`` the call center's: inbound, the caller's number and CC_DID (the
  route server's), else the caller's extension. Outbound, the first CC_NUMBER (the agents' dialplan sets it
  before it dials a number; the dialer's Originate sends it: not a number a later transfer dialled) and the
  caller ID the call presented when it is a number, else nothing. (Without CC_NUMBER an outbound record had
  the agent's account or the presented caller ID as ``caller``: billing rated that, and the contact history
  never found the call.) An agent's own outbound call has their phone as ``agent_interface``, so the
  record names its agent.
- ``status`` ``voicemail``: the VoiceMail application ran (dialplan Newexten, or ``EXEC VoiceMail`` from the
  route server, seen as AGIExecStart) and VMSTATUS is not FAILED.

Channel variables are matched with or without Asterisk's inheritance prefixes: ``__CC_DIRECTION``,
``_CC_DIRECTION`` and ``CC_DIRECTION`` are the same variable.

Facts worth knowing, from tests/data/asterisk/SOURCE.md: Cdr has no Linkedid (mapped from its UniqueID);
AgentComplete may come with no channel fields (matched by Queue + Interface + HoldTime, else by the agent
channel bridged to the call); QueueCallerAbandon also marks a caller timing out of a queue (told apart by
the QUEUESTATUS=TIMEOUT VarSet); AgentRingNoAnswer.RingTime is in milliseconds, every other time in
seconds.

``resync`` applies the snapshot taken after a (re)connect (CoreShowChannels, QueueStatus) and, optionally,
what Asterisk logged meanwhile (queue_log / CDR lines turned into events by ``recovery.py``).
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from callcenter_app.telephony.ami.protocol import ProtocolError, parse_timestamp

log = logging.getLogger("callcenter.ami")

# variables the dialplan and the route server set that the record uses (VarSet is half of all events);
# matched without the _ / __ inheritance prefix
TRACKED_VARS = frozenset(
	{
		"CC_ROUTE",
		"CC_DID",
		"CC_QUEUE",
		"CC_DIRECTION",
		"CC_FORWARD",
		"CC_CAMPAIGN",
		"CC_TICKET",
		"CC_NUMBER",
		"QUEUESTATUS",
		"DIALSTATUS",
		"VMSTATUS",
		"MIXMONITOR_FILENAME",
	}
)
QUEUE_EVENTS = frozenset(
	{
		"QueueCallerJoin",
		"QueueCallerLeave",
		"QueueCallerAbandon",
		"AgentCalled",
		"AgentConnect",
		"AgentRingNoAnswer",
		"AgentComplete",
		"AgentDump",
	}
)
APPS = frozenset({"VoiceMail", "Queue", "Dial", "AGI", "MixMonitor", "ChanSpy"})
# a call whose channel ran ChanSpy is a supervisor listening, whispering or barging in (the desk's spy
# Originate into cc-supervisor, a call of its own): no customer call, so no record (the spied call has its own)
SUPERVISION_APP = "ChanSpy"
_APP_NAMES = {app.lower(): app for app in APPS}
STATUSES = ("answered", "missed", "abandoned", "voicemail", "failed")
LEG_OUTCOMES = (
	"connected",
	"abandoned",
	"timeout",
	"full",
	"joinempty",
	"leaveempty",
	"joinunavail",
	"leaveunavail",
	"left",
)
MAX_SPAN_S = 31 * 86_400  # no call lasts a month: a longer duration in an event is broken or forged
_ID = re.compile(r"^[\x21-\x7e]{1,140}$")  # a Linkedid/Uniqueid we accept: printable, no spaces, ≤ 140
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]{8}(;\d)?$")  # PJSIP/ann-0000000a, Local/x@ctx-0000000a;1
MEMBERS_KEPT = 10_000


@dataclass(frozen=True)
class CallRecord:
	linkedid: str
	direction: str  # inbound | outbound | internal (an agent's phone calling a colleague's)
	status: str  # one of STATUSES
	caller: str
	caller_name: str
	did: str
	route: str
	queue: str  # the queue that answered, else the last one
	answered_by: str  # queue member name, or the forward number
	agent_interface: str
	agents_rung: tuple[str, ...]
	start: float
	answered_at: float | None
	end: float
	wait_s: int | None  # total wait in queues before an answer
	ring_s: int | None
	talk_s: int | None  # the answering agent's talk
	duration_s: int
	queue_result: str  # connected, abandoned, timeout, full, … ('' without a queue)
	dial_status: str
	transfers: tuple[dict, ...]
	recording: str
	voicemail: str
	hangup_cause: str
	billable_s: int | None  # CDR billsec of the caller's channel: answer → hangup
	campaign: str = ""
	ticket: str = ""
	complete: bool = True  # False: finished by a resynchronisation, some events were missed
	legs: tuple[dict, ...] = ()  # one per queue the caller waited in (see the module docstring)

	def as_dict(self) -> dict:
		data = asdict(self)
		data["agents_rung"] = list(self.agents_rung)
		data["transfers"] = list(self.transfers)
		data["legs"] = list(self.legs)
		return data


def _seconds(value) -> int | None:
	"""A duration from an event (whole seconds), or None when missing, not finite, negative or absurd."""
	try:
		x = float(value)
	except (TypeError, ValueError):
		return None
	if not math.isfinite(x) or x < 0 or x > MAX_SPAN_S:
		return None
	return int(x)


def _round(x: float) -> int:
	return math.floor(x + 0.5)


def _var_name(name: str | None) -> str | None:
	"""The tracked variable ``name`` stands for (``__CC_TICKET`` → ``CC_TICKET``), or None."""
	if not name:
		return None
	bare = name[2:] if name.startswith("__") else name[1:] if name.startswith("_") else name
	return bare if bare in TRACKED_VARS else None


def _channel_base(channel: str) -> str:
	return _CHANNEL_SUFFIX.sub("", channel or "").lower()


def _interface_base(interface: str) -> str:
	base = (interface or "").lower()
	return base[:-2] if base.endswith("/n") else base


def _is_member_channel(interface: str, channel: str) -> bool:
	"""``Local/agent1@cc-agents/n`` dials ``Local/agent1@cc-agents-00000001;1``; ``PJSIP/ann`` dials
	``PJSIP/ann-0000000a``."""
	return bool(interface and channel) and _interface_base(interface) == _channel_base(channel)


@dataclass
class _Channel:
	uniqueid: str
	name: str = ""
	created: float | None = None
	context: str = ""
	exten: str = ""
	caller: str = ""
	caller_name: str = ""
	answered: float | None = None  # went Up
	hung_up: float | None = None
	cause: str = ""


@dataclass
class _Call:
	linkedid: str
	channels: dict[str, _Channel] = field(default_factory=dict)
	seen: set = field(default_factory=set)
	# uniqueid → variable → every (ts, value) it was set to
	vars: dict[str, dict[str, list[tuple[float, str]]]] = field(default_factory=dict)
	queue: list[tuple[float, str, dict]] = field(default_factory=list)  # (ts, event name, event)
	dials: list[tuple[float, str, dict]] = field(default_factory=list)
	bridges: list[tuple[float, str, str, str]] = field(
		default_factory=list
	)  # (ts, enter/leave, uniqueid, bridge)
	transfers: list[tuple[float, dict]] = field(default_factory=list)
	apps: list[tuple[float, str, str, str]] = field(default_factory=list)  # (ts, uniqueid, app, data)
	exts: list[tuple[float, str, str, str]] = field(default_factory=list)  # (ts, uniqueid, context, exten)
	cdrs: list[dict] = field(default_factory=list)
	recordings: list[tuple[float, str]] = field(default_factory=list)
	resynced: bool = False

	def over(self) -> bool:
		return bool(self.channels) and all(c.hung_up is not None for c in self.channels.values())

	def last_hangup(self) -> float:
		return max(c.hung_up for c in self.channels.values() if c.hung_up is not None)


class CallTracker:
	"""``feed(event)`` returns the calls that finished; ``flush(now)`` those whose grace ran out on an idle line."""

	def __init__(self, grace: float = 2.0, clock: Callable[[], float] = time.time, remember: int = 50_000):
		self.grace = grace
		self.clock = clock
		self.calls: dict[str, _Call] = {}
		self.linked: dict[str, str] = {}  # uniqueid → linkedid (Cdr and some events lack Linkedid)
		self.finished: OrderedDict[str, None] = OrderedDict()
		self.finished_uids: OrderedDict[str, str] = OrderedDict()  # uniqueid → linkedid of finished calls
		self.remember = remember
		# (due time, linkedid) of calls whose channels have all hung up, waiting out the grace
		self.ending: list[tuple[float, str]] = []
		self.now = 0.0  # the event clock: newest Timestamp seen
		self._stamped = False  # a Timestamp has been seen: the event clock is the PBX's
		self._wall_at_now = clock()
		# queue members seen (events, QueueStatus): interface (lower case, no /n) → (interface, member name)
		self.members: dict[str, tuple[str, str]] = {}
		self.events = 0
		self.ignored = 0
		self.supervision = 0  # spy sessions finished without a record
		self.rejected = 0  # events skipped for an impossible Timestamp

	# --- input ------------------------------------------------------------------------------------------
	def feed(self, event: dict[str, str]) -> list[CallRecord]:
		self.events += 1
		name = event.get("Event")
		if not name:
			return []
		if "Timestamp" in event:
			try:
				ts = parse_timestamp(event["Timestamp"])
			except ProtocolError as e:
				self.rejected += 1
				log.warning("AMI: %s event skipped: %s", str(name)[:40], e)
				return []
			if not self._stamped:  # the PBX's clock from now on (FullyBooted at login comes unstamped first)
				self._stamped = True
				self.now, self._wall_at_now = ts, self.clock()
		elif self._stamped:
			# an event Asterisk did not stamp (FullyBooted at login) in a stamped stream: it happened now
			# on the PBX's clock, not ours (our clock would move the event clock past every call's grace)
			ts = self.now
		else:
			ts = self.clock()  # a stream without timestamps (timestampevents=no): our clock is the clock
		if ts > self.now:
			self.now = ts
			self._wall_at_now = self.clock()
		handler = _HANDLERS.get(name)
		if handler is not None:
			handler(self, event, ts)
		return self.collect()

	def feed_all(self, events: Iterable[dict]) -> list[CallRecord]:
		out = []
		for e in events:
			out += self.feed(e)
		return out

	def collect(self, now: float | None = None) -> list[CallRecord]:
		now = self.now if now is None else now
		done, taken = [], set()
		while self.ending and self.ending[0][0] <= now:
			_due, linkedid = heapq.heappop(self.ending)
			call = self.calls.get(linkedid)
			if call is None or linkedid in taken or not call.over():
				continue  # finished already, or a channel came back (out-of-order events)
			due = call.last_hangup() + self.grace
			if due > now:
				heapq.heappush(self.ending, (due, linkedid))  # a later hangup moved it
				continue
			taken.add(linkedid)  # a call can be in the heap twice: finish it once
			done.append(call)
		return [r for r in map(self._finish, done) if r is not None]

	def flush(self, now: float | None = None) -> list[CallRecord]:
		"""On an idle line the event clock stops: move it on by the wall-clock time since the last event
		(not to the wall clock itself, so a PBX whose clock differs from ours, or a replay, still gets
		its grace)."""
		if now is None:
			now = self.now + max(0.0, self.clock() - self._wall_at_now)
		return self.collect(now)

	def finish_all(self) -> list[CallRecord]:
		"""Every call whose channels all hung up, whatever the grace (end of a replay, shutdown)."""
		done = [c for c in list(self.calls.values()) if c.over()]
		return [r for r in map(self._finish, done) if r is not None]

	def resync(
		self,
		live_channels: Iterable[dict],
		queue_entries: Iterable[dict] = (),
		known_before: set[str] | None = None,
		history: Iterable[dict] = (),
		recorded: Callable[[str], bool] | None = None,
	) -> list[CallRecord]:
		"""After a reconnect: CoreShowChannel events (and QueueStatus events) describe what is live now.

		Channels we knew that are not live any more hung up while we were away: they are marked hung up now
		and their calls marked incomplete (a call with no live channel left is finished at once). Live
		channels we did not know are added with what the snapshot says of them (the application they run,
		the bridge they are in), so their calls finish normally later: a call that was answered before a
		restart is recognised by its AgentComplete. A channel whose Hangup we have already seen stays hung
		up even if the snapshot lists it (the Hangup came after the snapshot: a channel never comes back).
		``known_before``: the calls known when the snapshot was asked for; a call whose first events came in
		after that is not in the snapshot and is left alone.

		``queue_entries``: the QueueStatus list; QueueEntry events (waiting callers) and QueueMember events
		(member names by interface) are used, others ignored.

		``history``: what Asterisk logged while we were away, as events (``recovery.history_events`` of its
		queue_log and CDR lines, up to the time of the snapshot). Facts a known call lacks are added to it
		(an answer or an abandon during a short drop); a call that began and ended unseen becomes a record
		of its own, unless ``recorded(id)`` says its Linkedid (or its caller's Uniqueid) is already written.
		A call that got facts from the history, or was made of it, has ``complete`` False.
		"""
		now = self.clock()
		live_uids: set[str] = set()
		for ch in live_channels:
			if ch.get("Event", "CoreShowChannel") != "CoreShowChannel":
				continue
			linkedid = ch.get("Linkedid") or ch.get("Uniqueid") or ""
			uid = ch.get("Uniqueid") or ""
			if not _ID.match(linkedid) or not _ID.match(uid) or linkedid in self.finished:
				continue
			live_uids.add(uid)
			call = self._call(linkedid)
			self.linked[uid] = linkedid
			known = call.channels.get(uid)
			if known is not None and known.hung_up is not None:
				continue
			if known is None:
				call.resynced = True
				known = call.channels[uid] = _Channel(uid)
			known.name = known.name or ch.get("Channel", "")
			known.context = known.context or ch.get("Context", "")
			known.exten = known.exten or ch.get("Exten", "")
			known.caller = known.caller or _num(ch.get("CallerIDNum"))
			known.caller_name = known.caller_name or _num(ch.get("CallerIDName"))
			if known.created is None:
				known.created = now - _duration(ch.get("Duration"))
			app = _APP_NAMES.get((ch.get("Application") or "").lower())
			if app and not any(u == uid and a == app for _t, u, a, _d in call.apps):
				call.apps.append((known.created, uid, app, ch.get("ApplicationData", "")))
			bridge = ch.get("BridgeId") or ""
			if bridge and not any(k == "enter" and u == uid and b == bridge for _t, k, u, b in call.bridges):
				call.bridges.append((now, "enter", uid, bridge))
		for entry in queue_entries:
			kind = entry.get("Event", "QueueEntry")
			if kind == "QueueMember":
				name = entry.get("Name") or entry.get("MemberName") or ""
				for key in ("Location", "StateInterface", "Interface"):
					self._learn_member(entry.get(key, ""), name)
				continue
			if kind != "QueueEntry":
				continue
			uid = entry.get("Uniqueid") or ""
			linkedid = self.linked.get(uid) or entry.get("Linkedid") or ""
			call = self.calls.get(linkedid)
			queue = entry.get("Queue", "")
			if call is not None and not any(
				n == "QueueCallerJoin" and e.get("Queue") == queue for _t, n, e in call.queue
			):
				wait = _seconds(entry.get("Wait")) or 0
				call.queue.append((now - wait, "QueueCallerJoin", {"Queue": queue, "Uniqueid": uid}))
		ended_at = self._apply_history(history, live_uids, recorded)
		for linkedid, call in list(self.calls.items()):
			if known_before is not None and linkedid not in known_before:
				continue
			for ch in call.channels.values():
				if ch.hung_up is None and ch.uniqueid not in live_uids:
					ch.hung_up = min(now, ended_at.get(linkedid, now))
					call.resynced = True
		return self.finish_all()

	def _apply_history(
		self, history: Iterable[dict], live_uids: set[str], recorded: Callable[[str], bool] | None
	) -> dict[str, float]:
		"""Merge queue_log/CDR events into the calls they belong to; make calls of the rest. Returns the
		time each known call's history says it ended (for channels that vanished during the gap)."""
		ended_at: dict[str, float] = {}
		orphans: dict[str, list[tuple[float, dict]]] = {}
		for e in history:
			try:
				ts = parse_timestamp(e.get("Timestamp", ""))
			except ProtocolError as err:
				self.rejected += 1
				log.warning("history event skipped: %s", err)
				continue
			uid = e.get("Uniqueid") or ""
			linkedid = self.linked.get(uid) or e.get("Linkedid") or ""
			if linkedid in self.calls:
				call = self.calls[linkedid]
				self._merge(call, e, ts, live_uids)
				if e.get("Event") == "Hangup":
					ended_at[linkedid] = max(ended_at.get(linkedid, ts), ts)
				continue
			if linkedid in self.finished or uid in self.finished_uids:
				continue
			key = linkedid or uid
			if _ID.match(key):
				orphans.setdefault(key, []).append((ts, e))
		for key, events in orphans.items():
			ids = {key} | {e.get("Uniqueid", "") for _ts, e in events} - {""}
			if not any(e.get("Event") == "Hangup" for _ts, e in events):
				continue  # not over (or begun after the snapshot): its live events will tell
			if recorded is not None and any(recorded(i) for i in ids):
				continue
			for ts, e in sorted(events, key=lambda x: x[0]):
				handler = _HANDLERS.get(e.get("Event", ""))
				if handler is not None:
					handler(self, {**e, "Linkedid": key}, ts)
			call = self.calls.get(key)
			if call is not None:
				call.resynced = True
		return ended_at

	def _merge(self, call: _Call, e: dict, ts: float, live_uids: set[str]) -> None:
		"""One history fact into a call we know: added only where the live events left a hole."""
		name = e.get("Event", "")
		uid = e.get("Uniqueid", "")
		if name in QUEUE_EVENTS:
			member = e.get("MemberName", "")
			for _t, n, ev in call.queue:
				if (
					n == name
					and ev.get("Queue") == e.get("Queue")
					and (not member or ev.get("MemberName") == member)
				):
					return
			call.queue.append((ts, name, e))
			call.resynced = True
		elif name == "VarSet":
			var = _var_name(e.get("Variable"))
			if var:
				slot = call.vars.setdefault(uid, {}).setdefault(var, [])
				if not slot:
					slot.append((ts, e.get("Value", "")))
		elif name in ("BlindTransfer", "AttendedTransfer"):
			if not call.transfers:
				_transfer(self, {**e, "Linkedid": call.linkedid}, ts)
		elif name == "Hangup":
			ch = call.channels.get(uid)
			if ch is not None and ch.hung_up is None and uid not in live_uids:
				ch.hung_up = ts
				ch.cause = ch.cause or e.get("Cause-txt", "")
		elif name == "Newstate":
			ch = call.channels.get(uid)
			if ch is not None and ch.answered is None:
				ch.answered = ts
		elif name == "Newexten":
			app = e.get("Application", "")
			if app in APPS and not any(a == app for _t, _u, a, _d in call.apps):
				call.apps.append((ts, uid, app, e.get("AppData", "")))

	# --- bookkeeping ------------------------------------------------------------------------------------
	def _call(self, linkedid: str) -> _Call:
		call = self.calls.get(linkedid)
		if call is None:
			call = self.calls[linkedid] = _Call(linkedid)
		return call

	def _call_for(self, event: dict) -> _Call | None:
		linkedid = event.get("Linkedid") or self.linked.get(
			event.get("Uniqueid") or event.get("UniqueID") or ""
		)
		if not linkedid or linkedid in self.finished or not _ID.match(linkedid):
			self.ignored += 1
			return None
		key = hash(tuple(event.items()))
		call = self._call(linkedid)
		if key in call.seen:
			return None
		call.seen.add(key)
		uid = event.get("Uniqueid")
		if uid and _ID.match(uid):
			self.linked.setdefault(uid, linkedid)
		return call

	def _channel(self, call: _Call, event: dict) -> _Channel | None:
		uid = event.get("Uniqueid")
		if not uid or not _ID.match(uid):
			return None
		ch = call.channels.get(uid)
		if ch is None:
			ch = call.channels[uid] = _Channel(uid)
		if not ch.name and event.get("Channel"):
			ch.name = event["Channel"]
		return ch

	def _learn_member(self, interface: str, name: str) -> None:
		key = _interface_base(interface)
		if key and name and (len(self.members) < MEMBERS_KEPT or key in self.members):
			self.members[key] = (interface, name)

	def _finish(self, call: _Call) -> CallRecord | None:
		"""The call's record (None for a supervisor's spy session: :data:`SUPERVISION_APP`), and the call
		forgotten."""
		supervision = any(app == SUPERVISION_APP for _t, _u, app, _d in call.apps)
		record = None if supervision else derive(call, self.members)
		if supervision:
			self.supervision += 1
		del self.calls[call.linkedid]
		for uid in call.channels:
			self.linked.pop(uid, None)
			self.finished_uids[uid] = call.linkedid
		self.finished[call.linkedid] = None
		while len(self.finished) > self.remember:
			self.finished.popitem(last=False)
		while len(self.finished_uids) > 4 * self.remember:
			self.finished_uids.popitem(last=False)
		return record


_PHONE_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_PJSIP_PHONE = re.compile(r"^PJSIP/(.+)-[0-9a-f]{8}$")  # PJSIP/<endpoint>-<8 hex digits>
TRUNK_ENDPOINT = "trunk"  # the provider trunk's endpoint (render-asterisk; a site's prefix is gone by here)


def _agent_phone(channel: str | None) -> str:
	"""The endpoint of a PJSIP channel that is not the provider trunk's (an agent's phone), else ""."""
	m = _PJSIP_PHONE.match(channel or "")
	return m.group(1) if m and m.group(1) != TRUNK_ENDPOINT else ""


def _num(value: str | None) -> str:
	return "" if not value or value in ("<unknown>", "unknown") else value


def _duration(text: str | None) -> float:
	try:
		h, m, s = (int(x) for x in (text or "0:0:0").split(":"))
	except ValueError:
		return 0.0
	total = h * 3600 + m * 60 + s
	return float(total) if 0 <= total <= MAX_SPAN_S else 0.0


def _unquote(text: str) -> str:
	text = text.strip()
	return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


# --- handlers: each adds facts -------------------------------------------------------------------------
def _newchannel(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	if call is None:
		return
	ch = t._channel(call, e)
	if ch is None:
		return
	ch.created = ts if ch.created is None else min(ch.created, ts)
	ch.context = ch.context or e.get("Context", "")
	ch.exten = ch.exten or e.get("Exten", "")
	ch.caller = ch.caller or _num(e.get("CallerIDNum"))
	ch.caller_name = ch.caller_name or _num(e.get("CallerIDName"))
	if e.get("ChannelState") == "6":
		ch.answered = ts if ch.answered is None else min(ch.answered, ts)


def _newstate(t: CallTracker, e: dict, ts: float) -> None:
	if e.get("ChannelState") != "6":
		return
	call = t._call_for(e)
	ch = call and t._channel(call, e)
	if ch is not None:
		ch.answered = ts if ch.answered is None else min(ch.answered, ts)


def _callerid(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	ch = call and t._channel(call, e)
	if ch is not None:
		ch.caller = _num(e.get("CallerIDNum")) or ch.caller
		ch.caller_name = _num(e.get("CallerIDName")) or ch.caller_name


def _hangup(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	ch = call and t._channel(call, e)
	if ch is not None:
		ch.hung_up = ts
		ch.cause = e.get("Cause-txt") or e.get("Cause") or ""
		if ch.created is None:
			ch.created = ts
		if call.over():
			heapq.heappush(t.ending, (call.last_hangup() + t.grace, call.linkedid))


def _varset(t: CallTracker, e: dict, ts: float) -> None:
	var = _var_name(e.get("Variable"))
	if var is None:
		return
	call = t._call_for(e)
	if call is None:
		return
	t._channel(call, e)
	call.vars.setdefault(e.get("Uniqueid", ""), {}).setdefault(var, []).append((ts, e.get("Value", "")))


def _queue_event(t: CallTracker, e: dict, ts: float) -> None:
	if e.get("Interface") and e.get("MemberName"):
		t._learn_member(e["Interface"], e["MemberName"])
	if e.get("Event") == "AgentComplete" and not e.get("Linkedid") and not e.get("Uniqueid"):
		# seen after Redirect transfers and under load: no channel fields
		call = _complete_owner(t, e)
		if call is None:
			t.ignored += 1
			return
		key = hash(tuple(e.items()))
		if key not in call.seen:
			call.seen.add(key)
			call.queue.append((ts, "AgentComplete", e))
		return
	call = t._call_for(e)
	if call is not None:
		t._channel(call, e)
		call.queue.append((ts, e["Event"], e))


def _complete_owner(t: CallTracker, e: dict) -> _Call | None:
	"""The call a channel-less AgentComplete belongs to: the one with the AgentConnect of the same queue,
	interface and hold time; else (the connect was missed: a restart or a drop) the one call that has a
	channel of that member and no AgentComplete for it yet."""

	def completed(call: _Call) -> bool:
		return any(
			n == "AgentComplete" and x.get("Interface") == e.get("Interface") for _t, n, x in call.queue
		)

	for call in t.calls.values():
		for _ts2, name, ev in call.queue:
			if (
				name == "AgentConnect"
				and ev.get("Queue") == e.get("Queue")
				and ev.get("Interface") == e.get("Interface")
				and ev.get("HoldTime") == e.get("HoldTime")
				and not completed(call)
			):
				return call
	candidates = [
		call
		for call in t.calls.values()
		if not any(n == "AgentConnect" for _t, n, _x in call.queue)
		and any(_is_member_channel(e.get("Interface", ""), ch.name) for ch in call.channels.values())
		and not completed(call)
	]
	return candidates[0] if len(candidates) == 1 else None


def _dial(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	if call is not None:
		call.dials.append((ts, e["Event"], e))


def _bridge(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	if call is not None:
		kind = "enter" if e["Event"] == "BridgeEnter" else "leave"
		call.bridges.append((ts, kind, e.get("Uniqueid", ""), e.get("BridgeUniqueid", "")))


def _newexten(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	if call is None:
		return
	uid = e.get("Uniqueid", "")
	call.exts.append((ts, uid, e.get("Context", ""), e.get("Exten", "")))
	if e.get("Application") in APPS:
		call.apps.append((ts, uid, e["Application"], e.get("AppData", "")))


def _agi_exec(t: CallTracker, e: dict, ts: float) -> None:
	"""``EXEC <App> <args>`` sent by the route server runs the application without a Newexten."""
	parts = (e.get("Command") or "").split(None, 2)
	if len(parts) < 2 or parts[0].upper() != "EXEC":
		return
	app = _APP_NAMES.get(_unquote(parts[1]).lower())
	if app is None:
		return
	call = t._call_for(e)
	if call is not None:
		call.apps.append((ts, e.get("Uniqueid", ""), app, _unquote(parts[2]) if len(parts) > 2 else ""))


def _attended_target(e: dict) -> str:
	"""Who an attended transfer went to. Asterisk dials the target of an Atxfer as
	``Local/<exten>@<context>``: the extension in that channel's name is what the agent dialled."""
	target = e.get("TransferTargetChannel") or ""
	if target.lower().startswith("local/"):
		return target[6:].split("@", 1)[0]
	if target and "/" in target:
		return _channel_base(target).split("/", 1)[1] if _CHANNEL_SUFFIX.search(target) else target
	return _num(e.get("SecondTransfererConnectedLineNum")) or e.get("DestApp", "") or target


def _named_target(call: _Call, info: dict) -> dict:
	"""An attended transfer's target as the colleague it reached: Atxfer dials an extension (key presses),
	and whether AttendedTransfer names ``Local/1002@cc-transfer`` or bob's own channel depends on whether
	the Local channel was optimised away first. The Local channel's Dial says who 1002 is."""
	to = info.get("to") or ""
	if info.get("kind") != "attended" or not to.isdigit():
		return info
	prefix = f"local/{to}@"
	for _ts, uid, app, data in call.apps:
		channel = call.channels.get(uid)
		if app == "Dial" and channel and channel.name.lower().startswith(prefix):
			dialled = data.split(",", 1)[0]
			if dialled.upper().startswith("PJSIP/") and "@" not in dialled and "&" not in dialled:
				return {**info, "to": dialled[6:], "extension": to}
	return info


def _transfer(t: CallTracker, e: dict, ts: float) -> None:
	linkedid = (
		e.get("TransfereeLinkedid")
		or e.get("OrigTransfererLinkedid")
		or e.get("TransfererLinkedid")
		or e.get("Linkedid")
		or t.linked.get(e.get("Uniqueid") or "")
	)
	if not linkedid or linkedid in t.finished or not _ID.match(linkedid):
		t.ignored += 1
		return
	call = t._call(linkedid)
	key = hash(tuple(e.items()))
	if key in call.seen:
		return
	call.seen.add(key)
	if e["Event"] == "BlindTransfer":
		info = {
			"kind": "blind",
			"by": e.get("TransfererChannel", ""),
			"to": e.get("Extension", ""),
			"result": e.get("Result", ""),
		}
	else:
		info = {
			"kind": "attended",
			"by": e.get("OrigTransfererChannel", ""),
			"to": _attended_target(e),
			"result": e.get("Result", ""),
		}
	call.transfers.append((ts, info))


def _mixmonitor(t: CallTracker, e: dict, ts: float) -> None:
	call = t._call_for(e)
	if call is not None:
		call.recordings.append((ts, e.get("Uniqueid", "")))


def _cdr(t: CallTracker, e: dict, ts: float) -> None:
	uid = e.get("UniqueID") or e.get("Uniqueid") or ""
	linkedid = t.linked.get(uid)
	if not linkedid or linkedid in t.finished:
		t.ignored += 1
		return
	call = t._call(linkedid)
	key = hash(tuple(e.items()))
	if key not in call.seen:
		call.seen.add(key)
		call.cdrs.append(e)


_HANDLERS: dict[str, Callable[[CallTracker, dict, float], None]] = {
	"Newchannel": _newchannel,
	"Newstate": _newstate,
	"NewCallerid": _callerid,
	"Hangup": _hangup,
	"VarSet": _varset,
	"DialBegin": _dial,
	"DialEnd": _dial,
	"BridgeEnter": _bridge,
	"BridgeLeave": _bridge,
	"Newexten": _newexten,
	"AGIExecStart": _agi_exec,
	"BlindTransfer": _transfer,
	"AttendedTransfer": _transfer,
	"MixMonitorStart": _mixmonitor,
	"Cdr": _cdr,
	**{name: _queue_event for name in QUEUE_EVENTS},
}


# --- facts → record ------------------------------------------------------------------------------------
def _first_var(call: _Call, name: str) -> str:
	"""The oldest non-empty value of a tracked variable on any channel of the call: for CC_NUMBER, the
	number the call was placed to, not one a later transfer dialled."""
	values = [v for slot in call.vars.values() for v in slot.get(name, ()) if v[1]]
	return min(values)[1] if values else ""


def _var(call: _Call, name: str, uid: str | None = None) -> str:
	"""The newest non-empty value of a tracked variable on any channel of the call (or on ``uid``)."""
	best: tuple[float, str] | None = None
	for owner, slot in call.vars.items():
		if uid is not None and owner != uid:
			continue
		for v in slot.get(name, ()):
			if v[1] and (best is None or v[0] >= best[0]):
				best = v
	return best[1] if best else ""


@dataclass
class _Leg:
	queue: str
	entered: float
	left: float | None = None
	connect: tuple[float, dict] | None = None
	complete: tuple[float, dict] | None = None
	abandon: tuple[float, dict] | None = None


def _caller_uid(call: _Call, queue: list[tuple[float, str, dict]], chans: list[_Channel]) -> str:
	"""The caller: the channel that joined a queue (or runs Queue, for a call seen only in a snapshot),
	else the one that ran the routes, else the Linkedid's channel, else the first one."""
	for _ts, name, ev in queue:
		if name == "QueueCallerJoin" and ev.get("Uniqueid") in call.channels:
			return ev["Uniqueid"]
	for _ts, uid, app, _data in sorted(call.apps):
		if app == "Queue" and uid in call.channels:
			return uid
	for _ts, name, ev in queue:
		if ev.get("Uniqueid") in call.channels and name != "AgentDump":
			return ev["Uniqueid"]
	uid = next((uid for uid, slot in call.vars.items() if "CC_DID" in slot and uid in call.channels), "")
	if uid:
		return uid
	return call.linkedid if call.linkedid in call.channels else (chans[0].uniqueid if chans else "")


def _same_member(a: dict, b: dict) -> bool:
	"""Two queue events name the same member (queue_log has member names only, no interface)."""
	if a.get("Interface") and b.get("Interface"):
		return a["Interface"] == b["Interface"]
	return bool(a.get("MemberName")) and a.get("MemberName") == b.get("MemberName")


def _queue_legs(call: _Call, queue: list[tuple[float, str, dict]]) -> list[_Leg]:
	legs = [_Leg(ev.get("Queue", ""), ts) for ts, name, ev in queue if name == "QueueCallerJoin"]

	def leg_for(name: str, ts: float, entered: float) -> _Leg:
		# the latest join of that queue at or before ts (queue_log's whole seconds: one second of slack)
		best = None
		for leg in legs:
			if leg.queue == name and leg.entered <= ts + 1.0:
				best = leg
		if best is None:
			best = _Leg(name, entered)  # its join was missed (resync, drop): it began at ts - wait
			legs.append(best)
		return best

	for ts, name, ev in queue:
		q = ev.get("Queue", "")
		if name in ("QueueCallerLeave", "QueueCallerAbandon"):
			leg = leg_for(q, ts, ts - (_seconds(ev.get("HoldTime")) or 0))
			if leg.left is None or leg.entered <= ts < leg.left:
				leg.left = ts
			if name == "QueueCallerAbandon" and leg.abandon is None:
				leg.abandon = (ts, ev)
		elif name == "AgentConnect":
			leg = leg_for(q, ts, ts - (_seconds(ev.get("HoldTime")) or 0))
			if leg.connect is None:
				leg.connect = (ts, ev)
	for ts, name, ev in queue:
		if name != "AgentComplete":
			continue
		owner = next(
			(
				leg
				for leg in legs
				if leg.connect
				and leg.complete is None
				and leg.queue == ev.get("Queue", "")
				and _same_member(leg.connect[1], ev)
			),
			None,
		)
		if owner is None:
			# no AgentConnect seen (it came while we were away): the complete says who answered and when
			talk = _seconds(ev.get("TalkTime")) or 0
			answered = ts - talk
			owner = leg_for(ev.get("Queue", ""), answered, answered - (_seconds(ev.get("HoldTime")) or 0))
			if owner.connect is not None:
				continue
			owner.connect = (answered, ev)
		owner.complete = (ts, ev)
	legs.sort(key=lambda leg: leg.entered)
	return legs


def _snapshot_legs(call: _Call, caller_uid: str, members: dict[str, tuple[str, str]]) -> list[_Leg]:
	"""A queue call with no queue events (seen only in a resync snapshot, whose AgentComplete never came):
	the caller runs Queue (its first argument is the queue) and shares a bridge with a queue member's
	channel. Times that were not seen stay unknown; the answer is placed when the member's channel was
	created (the snapshot's Duration)."""
	runs = sorted((ts, data) for ts, uid, app, data in call.apps if uid == caller_uid and app == "Queue")
	if not runs:
		return []
	entered, data = runs[0]
	leg = _Leg(data.split(",")[0], entered)
	bridges = {b for _t, kind, uid, b in call.bridges if kind == "enter" and uid == caller_uid}
	peers = [
		call.channels[uid]
		for _ts, kind, uid, bridge in sorted(call.bridges)
		if kind == "enter" and bridge in bridges and uid != caller_uid and uid in call.channels
	]
	# the member's channel, else whoever the caller is bridged to (a member we do not know by name)
	peer = next((ch for ch in peers if _channel_base(ch.name) in members), peers[0] if peers else None)
	if peer is not None:
		interface, name = members.get(_channel_base(peer.name), ("", ""))
		answered = max(entered, peer.created or entered)
		connect = {
			"Queue": leg.queue,
			"Interface": interface,
			"MemberName": name,
			"DestUniqueid": peer.uniqueid,
		}
		leg.connect = (answered, {**connect, "Source": "snapshot"})
		leg.left = answered
	return [leg]


def _leg_outcome(call: _Call, leg: _Leg, until: float | None, caller_uid: str) -> str:
	if leg.connect is not None:
		return "connected"
	# QUEUESTATUS set while this leg was the latest one (Queue sets it when it returns), on the caller's
	# channel if it has any
	owners = [caller_uid] if "QUEUESTATUS" in call.vars.get(caller_uid, {}) else list(call.vars)
	statuses = [
		(ts, value)
		for owner in owners
		for ts, value in call.vars.get(owner, {}).get("QUEUESTATUS", ())
		if value and leg.entered <= ts and (until is None or ts < until)
	]
	status = max(statuses)[1].lower() if statuses else ""
	if status and status != "continue":
		return status if status in LEG_OUTCOMES else "left"
	if leg.abandon is not None:
		return "abandoned"
	return "left"


def _caller_ext_before(call: _Call, caller_uid: str, ts: float, ch: _Channel) -> tuple[str, str]:
	before = [(t, c, x) for t, u, c, x in call.exts if u == caller_uid and t < ts]
	if before:
		_t, context, exten = max(before)
		return context, exten
	return ch.context, ch.exten


def _agent_talk(
	call: _Call, leg: _Leg, caller_uid: str, caller_ch: _Channel, end: float
) -> tuple[int | None, dict | None, float]:
	"""(talk_s, inferred transfer, time of the transfer) of a connected leg."""
	connect_ts, cev = leg.connect
	names = {ch.name: uid for uid, ch in call.channels.items()}
	agent_uid = cev.get("DestUniqueid") or names.get(cev.get("DestChannel", ""), "")
	complete_ts = leg.complete[0] if leg.complete else None
	reported = _seconds(leg.complete[1].get("TalkTime")) if leg.complete else None
	enters = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "enter")
	leaves = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "leave")
	shared = None
	for ts, uid, bridge in enters:
		if uid != caller_uid or ts < connect_ts - 1.0:
			continue
		other = [
			(t2, u2)
			for t2, u2, b2 in enters
			if b2 == bridge and u2 != caller_uid and (u2 == agent_uid or not agent_uid)
		]
		if other:
			shared = (ts, bridge, min(other))
			break
	if shared is None:
		return reported, None, 0.0
	caller_in, bridge, (agent_in, agent_uid) = shared
	caller_out = next((t for t, u, b in leaves if u == caller_uid and b == bridge and t >= caller_in), None)
	agent_out = next((t for t, u, b in leaves if u == agent_uid and b == bridge and t >= agent_in), None)
	outs = [t for t in (caller_out, agent_out) if t is not None]
	stop = min(outs) if outs else (caller_ch.hung_up or end)
	bridged = max(0, _round(stop - max(caller_in, agent_in)))
	if caller_out is not None:
		# a Redirect of the caller: its dialplan position moves elsewhere while it is in the agent's bridge
		# (Asterisk sends that Newexten just before the BridgeLeave), and the queue call is not complete
		# yet (its AgentComplete comes at the final hangup)
		home = _caller_ext_before(call, caller_uid, connect_ts, caller_ch)
		jump = next(
			(
				(t, context, exten)
				for t, u, context, exten in sorted(call.exts)
				if u == caller_uid and t > caller_in and exten != "h" and (context, exten) != home
			),
			None,
		)
		if (
			jump is not None
			and (caller_ch.hung_up is None or jump[0] <= caller_ch.hung_up)
			and (complete_ts is None or complete_ts > jump[0])
		):
			info = {
				"kind": "blind",
				"by": cev.get("DestChannel") or call.channels.get(agent_uid, _Channel("")).name,
				"to": jump[2],
				"result": "Success",
			}
			return bridged, info, jump[0]
	return (reported if reported is not None else bridged), None, 0.0


def derive(call: _Call, members: dict[str, tuple[str, str]] | None = None) -> CallRecord:
	chans = sorted(call.channels.values(), key=lambda c: (c.created or 0, c.uniqueid))
	queue = sorted(call.queue, key=lambda x: x[0])
	caller_uid = _caller_uid(call, queue, chans)
	caller_ch = call.channels.get(caller_uid) or (chans[0] if chans else _Channel(caller_uid))
	joins = [ev for _ts, name, ev in queue if name == "QueueCallerJoin"]
	caller = _num(caller_ch.caller or (joins[0].get("CallerIDNum", "") if joins else ""))

	start = min((c.created for c in chans if c.created is not None), default=0.0)
	end = max((c.hung_up for c in chans if c.hung_up is not None), default=start)
	declared = _var(call, "CC_DIRECTION")
	outbound = declared == "outbound" or (not declared and bool(_var(call, "CC_CAMPAIGN")))
	phone = _agent_phone(caller_ch.name)
	# a colleague's phone dialled from an agent's: no trunk, no route, no number out
	internal = (
		not outbound and not declared and phone and not (_var(call, "CC_DID") or _var(call, "CC_ROUTE"))
	)
	direction = "outbound" if outbound else "internal" if internal else "inbound"
	did = _var(call, "CC_DID") or caller_ch.exten
	dialled = _first_var(call, "CC_NUMBER") if outbound else ""
	if dialled:  # the customer is the number dialled; the line it was placed from, the caller ID shown
		caller, did = dialled, caller if _PHONE_NUMBER.match(caller) else ""

	rung = []
	for _ts, name, ev in queue:
		if name == "AgentCalled":
			who = ev.get("MemberName") or ev.get("Interface", "")
			if who and who not in rung:
				rung.append(who)

	legs = _queue_legs(call, queue) or _snapshot_legs(call, caller_uid, members or {})
	leg_views: list[dict] = []
	transfers = [(ts, _named_target(call, info)) for ts, info in call.transfers]
	for i, leg in enumerate(legs):
		until = legs[i + 1].entered if i + 1 < len(legs) else None
		outcome = _leg_outcome(call, leg, until, caller_uid)
		agent = interface = ""
		wait = ring = talk = None
		if leg.connect is not None:
			connect_ts, cev = leg.connect
			interface, agent = cev.get("Interface", ""), cev.get("MemberName", "")
			known = (members or {}).get(_interface_base(interface))
			if not interface and agent:  # from the queue_log: a member name only
				known = next((m for m in (members or {}).values() if m[1] == agent), None)
			interface = interface or (known[0] if known else "")
			agent = agent or (known[1] if known else "") or interface
			wait = _seconds(cev.get("HoldTime"))
			if wait is None and cev.get("Source") != "snapshot":
				wait = max(0, _round(connect_ts - leg.entered))
			ring = _seconds(cev.get("RingTime"))
			talk, inferred, at = _agent_talk(call, leg, caller_uid, caller_ch, end)
			if cev.get("Source") == "snapshot":  # seen from the snapshot on: from the member's channel's age
				leaves = [t for t, kind, uid, _b in call.bridges if kind == "leave" and uid == caller_uid]
				talk = max(0, _round(min(leaves, default=end) - connect_ts))
			if inferred is not None and not any(x.get("to") == inferred["to"] for _t, x in call.transfers):
				transfers.append((at, inferred))
			left = leg.left if leg.left is not None else connect_ts
		else:
			if leg.abandon is not None:
				wait = _seconds(leg.abandon[1].get("HoldTime"))
			left = leg.left
			if wait is None and left is not None:
				wait = max(0, _round(left - leg.entered))
		leg_views.append(
			{
				"queue": leg.queue,
				"entered": round(leg.entered, 6),
				"left": round(left, 6) if left is not None else None,
				"wait_s": wait,
				"outcome": outcome,
				"agent": agent,
				"agent_interface": interface,
				"ring_s": ring,
				"talk_s": talk,
			}
		)
	answering = next((i for i, view in enumerate(leg_views) if view["outcome"] == "connected"), None)
	counted = leg_views[: answering + 1] if answering is not None else leg_views
	waits = [view["wait_s"] for view in counted if view["wait_s"] is not None]
	wait_s = sum(waits) if waits else None

	dial_status = ""
	dial_answered_at = None
	for ts, name, ev in sorted(call.dials, key=lambda x: x[0]):
		if name == "DialEnd" and ev.get("DialStatus"):
			dial_status = ev["DialStatus"].lower()
			if dial_status == "answer" and dial_answered_at is None:
				dial_answered_at = ts
	dial_status = _var(call, "DIALSTATUS").lower() or dial_status

	voicemail = ""
	for _ts, _uid, app, data in sorted(call.apps):
		if app == "VoiceMail":
			voicemail = data.split(",")[0]
	reached_voicemail = bool(voicemail) and _var(call, "VMSTATUS").upper() != "FAILED"
	forward = _var(call, "CC_FORWARD")

	# bridges: the caller talking to someone
	enters = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "enter")
	leaves = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "leave")
	caller_enter = next((ts for ts, uid, _b in enters if uid == caller_uid), None)
	caller_leave = max((ts for ts, uid, _b in leaves if uid == caller_uid), default=None)

	answered_by, interface, queue_result = "", "", ""
	ring_s = talk_s = None
	answered_at = None
	if answering is not None:
		view, leg = leg_views[answering], legs[answering]
		answered_by, interface = view["agent"], view["agent_interface"]
		ring_s, talk_s = view["ring_s"], view["talk_s"]
		answered_at = leg.connect[0]
	if not interface and phone and (internal or outbound):
		# an agent's own call (click-to-call, the softphone, a colleague's extension), answered or not: their
		# phone is the call's first channel; the dialer's is the trunk's, its operator from the queue leg
		interface = f"PJSIP/{phone}"
	if leg_views:
		queue_result = leg_views[answering if answering is not None else -1]["outcome"]
	queue_name = (
		leg_views[answering if answering is not None else -1]["queue"] if leg_views else ""
	) or _var(call, "CC_QUEUE")

	if answering is not None:
		status = "answered"
	elif forward and dial_status == "answer":
		status, answered_by, answered_at = "answered", forward, dial_answered_at
	elif reached_voicemail:
		status = "voicemail"
	elif leg_views and queue_result == "abandoned":
		status = "abandoned"
	elif direction == "outbound":
		status = "answered" if dial_status == "answer" or _talked(enters, caller_uid) else "failed"
		answered_at = dial_answered_at if status == "answered" else None
	elif leg_views or forward:
		status = "missed"
	elif _talked(enters, caller_uid):
		status = "answered"
		answered_at = caller_enter
	else:
		status = "missed"

	if talk_s is None and status == "answered" and answered_at is not None:
		stop = caller_leave if caller_leave and caller_leave >= answered_at else end
		talk_s = max(0, _round(stop - answered_at))

	billable = None
	if caller_ch.answered is not None and caller_ch.hung_up is not None:
		billable = max(0, int(caller_ch.hung_up - caller_ch.answered))
	elif caller_ch.hung_up is not None and not call.resynced:
		billable = 0  # never answered
	else:
		cdr_secs = [
			_seconds(cdr.get("BillableSeconds"))
			for cdr in call.cdrs
			if cdr.get("UniqueID") == caller_uid or (caller_ch.name and cdr.get("Channel") == caller_ch.name)
		]
		if any(s is not None for s in cdr_secs):
			billable = sum(s or 0 for s in cdr_secs)

	recording = _var(call, "MIXMONITOR_FILENAME")
	return CallRecord(
		linkedid=call.linkedid,
		direction=direction,
		status=status,
		caller=caller,
		caller_name=caller_ch.caller_name,
		did=did,
		route=_var(call, "CC_ROUTE"),
		queue=queue_name,
		answered_by=answered_by,
		agent_interface=interface,
		agents_rung=tuple(rung),
		start=round(start, 6),
		answered_at=round(answered_at, 6) if answered_at is not None else None,
		end=round(end, 6),
		wait_s=wait_s,
		ring_s=ring_s,
		talk_s=talk_s,
		duration_s=max(0, round(end - start)),
		queue_result=queue_result,
		dial_status=dial_status,
		transfers=tuple(info for _ts, info in sorted(transfers, key=lambda x: x[0])),
		recording=recording or ("yes" if call.recordings else ""),
		voicemail=voicemail,
		hangup_cause=caller_ch.cause,
		billable_s=billable,
		campaign=_var(call, "CC_CAMPAIGN"),
		ticket=_var(call, "CC_TICKET"),
		complete=not call.resynced,
		legs=tuple(leg_views),
	)


def _talked(enters: list[tuple[float, str, str]], caller_uid: str) -> bool:
	"""The caller was in a bridge that someone else also entered."""
	bridges = {b for _ts, uid, b in enters if uid == caller_uid}
	return any(b in bridges and uid != caller_uid for _ts, uid, b in enters)
