"""Call state machine: AMI events in, one CallRecord per Asterisk Linkedid out.

Order-independent by construction: each event only adds *facts* to its call (channels, queue events,
variables, bridges, transfers, Cdrs, each with Asterisk's own Timestamp), and the record is derived from
the facts when the call is over, never from the order they came in. Exact duplicate events are dropped (a
frame seen twice adds nothing). A call is over when every channel it had has hung up and the event clock
(the newest Timestamp seen) has moved ``grace`` seconds past its last hangup, which lets the Cdrs and
late AgentComplete events that follow a hangup still join it. A Linkedid that was finished is remembered
(bounded), so a late or replayed event never makes a second record.

Facts worth knowing, from ../shared/asterisk/README.md: Cdr has no Linkedid (mapped from its UniqueID);
AgentComplete may come with no channel fields (matched by Queue + Interface + HoldTime);
QueueCallerAbandon also marks a caller timing out of a queue (told apart by the QUEUESTATUS=TIMEOUT
VarSet); AgentRingNoAnswer.RingTime is in milliseconds, every other time in seconds.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

# variables the dialplan and the route server set that the record uses (VarSet is half of all events)
TRACKED_VARS = frozenset(
	{
		"CC_ROUTE",
		"CC_DID",
		"CC_QUEUE",
		"CC_DIRECTION",
		"CC_FORWARD",
		"CC_CAMPAIGN",
		"CC_TICKET",
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
APPS = frozenset({"VoiceMail", "Queue", "Dial", "AGI", "MixMonitor"})
STATUSES = ("answered", "missed", "abandoned", "voicemail", "failed")


@dataclass(frozen=True)
class CallRecord:
	linkedid: str
	direction: str  # inbound | outbound
	status: str  # one of STATUSES
	caller: str
	caller_name: str
	did: str
	route: str
	queue: str
	answered_by: str  # queue member name, or the forward number
	agent_interface: str
	agents_rung: tuple[str, ...]
	start: float
	answered_at: float | None
	end: float
	wait_s: int | None
	ring_s: int | None
	talk_s: int | None
	duration_s: int
	queue_result: str  # connected, abandoned, timeout, full, … ('' without a queue)
	dial_status: str
	transfers: tuple[dict, ...]
	recording: str
	voicemail: str
	hangup_cause: str
	billable_s: int | None
	campaign: str = ""
	ticket: str = ""
	complete: bool = True  # False: finished by a resynchronisation, some events were missed

	def as_dict(self) -> dict:
		data = asdict(self)
		data["agents_rung"] = list(self.agents_rung)
		data["transfers"] = list(self.transfers)
		return data


def _ts(event: dict, clock: Callable[[], float]) -> float:
	try:
		return float(event["Timestamp"])
	except (KeyError, ValueError):
		return clock()


def _int(value) -> int | None:
	try:
		return int(float(value))
	except (TypeError, ValueError):
		return None


@dataclass
class _Channel:
	uniqueid: str
	name: str = ""
	created: float | None = None
	context: str = ""
	exten: str = ""
	caller: str = ""
	caller_name: str = ""
	hung_up: float | None = None
	cause: str = ""


@dataclass
class _Call:
	linkedid: str
	channels: dict[str, _Channel] = field(default_factory=dict)
	seen: set = field(default_factory=set)
	vars: dict[str, dict[str, tuple[float, str]]] = field(
		default_factory=dict
	)  # uniqueid → var → (ts, value)
	queue: list[tuple[float, str, dict]] = field(default_factory=list)  # (ts, event name, event)
	dials: list[tuple[float, str, dict]] = field(default_factory=list)
	bridges: list[tuple[float, str, str, str]] = field(
		default_factory=list
	)  # (ts, enter/leave, uniqueid, bridge)
	transfers: list[tuple[float, dict]] = field(default_factory=list)
	apps: list[tuple[float, str, str, str]] = field(default_factory=list)  # (ts, uniqueid, app, data)
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
		self.remember = remember
		# (due time, linkedid) of calls whose channels have all hung up, waiting out the grace
		self.ending: list[tuple[float, str]] = []
		self.now = 0.0  # the event clock: newest Timestamp seen
		self._wall_at_now = clock()
		self.events = 0
		self.ignored = 0

	# --- input ------------------------------------------------------------------------------------------
	def feed(self, event: dict[str, str]) -> list[CallRecord]:
		self.events += 1
		name = event.get("Event")
		if not name:
			return []
		ts = _ts(event, self.clock)
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
		done = []
		while self.ending and self.ending[0][0] <= now:
			_due, linkedid = heapq.heappop(self.ending)
			call = self.calls.get(linkedid)
			if call is None or not call.over():
				continue  # finished already, or a channel came back (out-of-order events)
			due = call.last_hangup() + self.grace
			if due > now:
				heapq.heappush(self.ending, (due, linkedid))  # a later hangup moved it
				continue
			done.append(call)
		return [self._finish(c) for c in done]

	def flush(self, now: float | None = None) -> list[CallRecord]:
		"""On an idle line the event clock stops: move it on by the wall-clock time since the last event
		(not to the wall clock itself, so a PBX whose clock differs from ours, or a replay, still gets
		its grace)."""
		if now is None:
			now = self.now + max(0.0, self.clock() - self._wall_at_now)
		return self.collect(now)

	def finish_all(self) -> list[CallRecord]:
		"""Every call whose channels all hung up, whatever the grace (end of a replay, shutdown)."""
		return [self._finish(c) for c in list(self.calls.values()) if c.over()]

	def resync(
		self,
		live_channels: Iterable[dict],
		queue_entries: Iterable[dict] = (),
		known_before: set[str] | None = None,
	) -> list[CallRecord]:
		"""After a reconnect: CoreShowChannel events (and QueueEntry events) describe what is live now.

		Channels we knew that are not live any more hung up while we were away: they are marked hung up now
		and their calls marked incomplete (a call with no live channel left is finished at once). Live
		channels we did not know are added, so their calls finish normally later. A channel whose Hangup we
		have already seen stays hung up even if the snapshot lists it (the Hangup came after the snapshot:
		a channel never comes back). ``known_before``: the calls known when the snapshot was asked for; a
		call whose first events came in after that is not in the snapshot and is left alone.
		"""
		now = self.clock()
		live_uids: set[str] = set()
		for ch in live_channels:
			linkedid = ch.get("Linkedid") or ch.get("Uniqueid") or ""
			uid = ch.get("Uniqueid") or ""
			if not linkedid or not uid or linkedid in self.finished:
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
		for entry in queue_entries:
			uid = entry.get("Uniqueid") or ""
			linkedid = self.linked.get(uid) or entry.get("Linkedid") or ""
			call = self.calls.get(linkedid)
			if call is not None and not any(n == "QueueCallerJoin" for _t, n, _e in call.queue):
				wait = _int(entry.get("Wait")) or 0
				call.queue.append(
					(now - wait, "QueueCallerJoin", {"Queue": entry.get("Queue", ""), "Uniqueid": uid})
				)
		for linkedid, call in list(self.calls.items()):
			if known_before is not None and linkedid not in known_before:
				continue
			for ch in call.channels.values():
				if ch.hung_up is None and ch.uniqueid not in live_uids:
					ch.hung_up = now
					call.resynced = True
		return [self._finish(c) for c in list(self.calls.values()) if c.over()]

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
		if not linkedid or linkedid in self.finished:
			self.ignored += 1
			return None
		key = hash(tuple(event.items()))
		call = self._call(linkedid)
		if key in call.seen:
			return None
		call.seen.add(key)
		uid = event.get("Uniqueid")
		if uid:
			self.linked.setdefault(uid, linkedid)
		return call

	def _channel(self, call: _Call, event: dict) -> _Channel | None:
		uid = event.get("Uniqueid")
		if not uid:
			return None
		ch = call.channels.get(uid)
		if ch is None:
			ch = call.channels[uid] = _Channel(uid)
		if not ch.name and event.get("Channel"):
			ch.name = event["Channel"]
		return ch

	def _finish(self, call: _Call) -> CallRecord:
		record = derive(call)
		del self.calls[call.linkedid]
		for uid in call.channels:
			self.linked.pop(uid, None)
		self.finished[call.linkedid] = None
		while len(self.finished) > self.remember:
			self.finished.popitem(last=False)
		return record


def _num(value: str | None) -> str:
	return "" if not value or value in ("<unknown>", "unknown") else value


def _duration(text: str | None) -> float:
	try:
		h, m, s = (int(x) for x in (text or "0:0:0").split(":"))
		return h * 3600 + m * 60 + s
	except ValueError:
		return 0.0


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
	if e.get("Variable") not in TRACKED_VARS:
		return
	call = t._call_for(e)
	if call is None:
		return
	t._channel(call, e)
	slot = call.vars.setdefault(e.get("Uniqueid", ""), {})
	prev = slot.get(e["Variable"])
	if prev is None or ts >= prev[0]:
		slot[e["Variable"]] = (ts, e.get("Value", ""))


def _queue_event(t: CallTracker, e: dict, ts: float) -> None:
	if e.get("Event") == "AgentComplete" and not e.get("Linkedid") and not e.get("Uniqueid"):
		# seen after Redirect transfers and under load: no channel fields; find the call by its connect
		for call in t.calls.values():
			for _ts2, name, ev in call.queue:
				if (
					name == "AgentConnect"
					and ev.get("Queue") == e.get("Queue")
					and ev.get("Interface") == e.get("Interface")
					and ev.get("HoldTime") == e.get("HoldTime")
					and not any(
						n == "AgentComplete" and x.get("Interface") == ev.get("Interface")
						for _t, n, x in call.queue
					)
				):
					call.queue.append((ts, "AgentComplete", e))
					return
		t.ignored += 1
		return
	call = t._call_for(e)
	if call is not None:
		t._channel(call, e)
		call.queue.append((ts, e["Event"], e))


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
	if e.get("Application") not in APPS:
		return
	call = t._call_for(e)
	if call is not None:
		call.apps.append((ts, e.get("Uniqueid", ""), e["Application"], e.get("AppData", "")))


def _transfer(t: CallTracker, e: dict, ts: float) -> None:
	linkedid = (
		e.get("TransfereeLinkedid")
		or e.get("OrigTransfererLinkedid")
		or e.get("TransfererLinkedid")
		or e.get("Linkedid")
	)
	if not linkedid or linkedid in t.finished:
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
			"to": e.get("SecondTransfererConnectedLineNum")
			or e.get("TransferTargetChannel")
			or e.get("SecondTransfererExten", ""),
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
	"NewCallerid": _callerid,
	"Hangup": _hangup,
	"VarSet": _varset,
	"DialBegin": _dial,
	"DialEnd": _dial,
	"BridgeEnter": _bridge,
	"BridgeLeave": _bridge,
	"Newexten": _newexten,
	"BlindTransfer": _transfer,
	"AttendedTransfer": _transfer,
	"MixMonitorStart": _mixmonitor,
	"Cdr": _cdr,
	**{name: _queue_event for name in QUEUE_EVENTS},
}


# --- facts → record ------------------------------------------------------------------------------------
def _var(call: _Call, name: str) -> str:
	"""The newest value of a tracked variable on any channel of the call."""
	best: tuple[float, str] | None = None
	for slot in call.vars.values():
		v = slot.get(name)
		if v is not None and v[1] and (best is None or v[0] >= best[0]):
			best = v
	return best[1] if best else ""


def derive(call: _Call) -> CallRecord:
	chans = sorted(call.channels.values(), key=lambda c: (c.created or 0, c.uniqueid))
	queue = sorted(call.queue, key=lambda x: x[0])
	by_name: dict[str, list[dict]] = {}
	for _ts, name, ev in queue:
		by_name.setdefault(name, []).append(ev)
	joins = [(ts, ev) for ts, name, ev in queue if name == "QueueCallerJoin"]

	# the caller: the channel that joined a queue, else the one that ran the routes, else the first one
	caller_uid = joins[0][1].get("Uniqueid") if joins else ""
	if not caller_uid:
		caller_uid = next((uid for uid, slot in call.vars.items() if "CC_DID" in slot), "")
	if not caller_uid:
		caller_uid = call.linkedid if call.linkedid in call.channels else (chans[0].uniqueid if chans else "")
	caller_ch = call.channels.get(caller_uid) or (chans[0] if chans else _Channel(caller_uid))
	caller = caller_ch.caller or (joins[0][1].get("CallerIDNum", "") if joins else "")
	caller = _num(caller)

	start = min((c.created for c in chans if c.created is not None), default=0.0)
	end = max((c.hung_up for c in chans if c.hung_up is not None), default=start)
	direction = "outbound" if _var(call, "CC_DIRECTION") == "outbound" else "inbound"
	queue_name = (joins[0][1].get("Queue") if joins else "") or _var(call, "CC_QUEUE")

	connects = by_name.get("AgentConnect", [])
	connect_ts = [ts for ts, name, _ev in queue if name == "AgentConnect"]
	completes = by_name.get("AgentComplete", [])
	abandons = by_name.get("QueueCallerAbandon", [])
	queuestatus = _var(call, "QUEUESTATUS").lower()
	rung = []
	for ev in by_name.get("AgentCalled", []):
		who = ev.get("MemberName") or ev.get("Interface", "")
		if who and who not in rung:
			rung.append(who)

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
	forward = _var(call, "CC_FORWARD")

	# bridges: the caller talking to someone
	enters = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "enter")
	leaves = sorted((ts, uid, b) for ts, kind, uid, b in call.bridges if kind == "leave")
	caller_enter = next((ts for ts, uid, _b in enters if uid == caller_uid), None)
	caller_leave = max((ts for ts, uid, _b in leaves if uid == caller_uid), default=None)

	answered_by, interface, queue_result = "", "", ""
	wait_s = ring_s = talk_s = None
	answered_at = None
	if connects:
		first = connects[0]
		answered_by = first.get("MemberName") or first.get("Interface", "")
		interface = first.get("Interface", "")
		wait_s, ring_s = _int(first.get("HoldTime")), _int(first.get("RingTime"))
		answered_at = connect_ts[0]
		queue_result = "connected"
		if completes:
			talk_s = sum(_int(c.get("TalkTime")) or 0 for c in completes)
	elif joins:
		if queuestatus and queuestatus != "continue":
			queue_result = queuestatus  # timeout, full, joinempty, leaveempty, …
		elif abandons:
			queue_result = "abandoned"
		else:
			queue_result = "left"
		if abandons:
			wait_s = _int(abandons[0].get("HoldTime"))
		if wait_s is None:
			leave_ts = [ts for ts, name, _ev in queue if name in ("QueueCallerLeave", "QueueCallerAbandon")]
			if leave_ts:
				wait_s = round(leave_ts[0] - joins[0][0])

	if connects:
		status = "answered"
	elif forward and dial_status == "answer":
		status, answered_by, answered_at = "answered", forward, dial_answered_at
	elif voicemail:
		status = "voicemail"
	elif joins and queue_result == "abandoned":
		status = "abandoned"
	elif direction == "outbound":
		status = "answered" if dial_status == "answer" or _talked(enters, caller_uid) else "failed"
		answered_at = dial_answered_at if status == "answered" else None
	elif joins or forward:
		status = "missed"
	elif _talked(enters, caller_uid):
		status = "answered"
		answered_at = caller_enter
	else:
		status = "missed"

	if talk_s is None and status == "answered" and answered_at is not None:
		stop = caller_leave if caller_leave and caller_leave >= answered_at else end
		talk_s = max(0, round(stop - answered_at))

	billable = None
	for cdr in call.cdrs:
		if cdr.get("UniqueID") == caller_uid or cdr.get("Channel") == caller_ch.name:
			if cdr.get("Disposition") == "ANSWERED" and cdr.get("DestinationChannel"):
				billable = (billable or 0) + (_int(cdr.get("BillableSeconds")) or 0)

	recording = _var(call, "MIXMONITOR_FILENAME")
	return CallRecord(
		linkedid=call.linkedid,
		direction=direction,
		status=status,
		caller=caller,
		caller_name=caller_ch.caller_name,
		did=_var(call, "CC_DID") or caller_ch.exten,
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
		transfers=tuple(info for _ts, info in sorted(call.transfers, key=lambda x: x[0])),
		recording=recording or ("yes" if call.recordings else ""),
		voicemail=voicemail,
		hangup_cause=caller_ch.cause,
		billable_s=billable,
		campaign=_var(call, "CC_CAMPAIGN"),
		ticket=_var(call, "CC_TICKET"),
		complete=not call.resynced,
	)


def _talked(enters: list[tuple[float, str, str]], caller_uid: str) -> bool:
	"""The caller was in a bridge that someone else also entered."""
	bridges = {b for _ts, uid, b in enters if uid == caller_uid}
	return any(b in bridges and uid != caller_uid for _ts, uid, b in enters)
