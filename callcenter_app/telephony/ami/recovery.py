"""What Asterisk kept while the bridge was not listening: queue_log and cdr_csv lines → tracker events.

After a reconnect Asterisk replays nothing, so a call that ended during a drop (or began and ended while
the bridge was down) is known only to Asterisk's own logs. This module reads them, pure (text in, values
out), and turns them into AMI-like events (``Source: queue_log`` / ``Source: cdr``) that
``CallTracker.resync(..., history=...)`` merges into the calls it knows, or makes records of.

- queue_log (``/var/log/asterisk/queue_log``): ``epoch|callid|queue|agent|event|data1|data2|...``; callid is
  the caller channel's Uniqueid. Events used (data fields as apps/app_queue.c writes them):
  ENTERQUEUE url|callerid|position, CONNECT holdtime|agent uniqueid|ringtime, COMPLETECALLER and
  COMPLETEAGENT holdtime|talktime|position, ABANDON / EXITWITHTIMEOUT / EXITEMPTY position|orig|waittime,
  EXITWITHKEY key|position|orig|waittime, RINGNOANSWER ring ms, BLINDTRANSFER exten|context|hold|talk|pos,
  ATTENDEDTRANSFER BRIDGE|id|hold|talk|pos (or APP|app|…, LINK|chan|chan|…), AGENTDUMP. Others (member
  pauses, RINGCANCELED…) are not about a call's outcome and are skipped.
- cdr_csv (``cdr-csv/Master.csv``) with ``loguniqueid``, ``loguserfield`` and ``newcdrcolumns`` on in
  cdr.conf's ``[csv]``, so each row has its Uniqueid and Linkedid (``MASTER_CSV_COLUMNS``); dates are the
  PBX's local time (``usegmtime=yes``: UTC), hence ``timezone``.

Both are optional: with the queue_log alone a recovered call is keyed by its caller's Uniqueid (the
Linkedid whenever the caller's channel came first, as for any inbound SIP call); with the CDR it gets its
Linkedid, times and answer. Bad lines are logged and skipped, never fatal (a log file may be cut mid-line).

Wiring (the bridge's ``on_connect``): read the lines logged since the tracker's clock (``tracker.now``,
minus a few seconds: queue_log has whole seconds) up to now, ``history_events(read_queue_log(lines),
read_cdr_csv(rows, tz))``, and pass them to ``resync(history=..., recorded=...)`` with ``recorded`` telling
whether a Linkedid is already a CC Call Log (after a restart the tracker itself remembers nothing).
``recover(...)`` does the same for a fresh tracker, for a one-off backfill.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.calls import CallRecord, CallTracker
from callcenter_app.telephony.ami.protocol import EARLIEST_TIMESTAMP

log = logging.getLogger("callcenter.ami.recovery")

ENDINGS = frozenset(
	{
		"COMPLETECALLER",
		"COMPLETEAGENT",
		"ABANDON",
		"EXITWITHTIMEOUT",
		"EXITEMPTY",
		"EXITWITHKEY",
		"WITHDRAW",
		"BLINDTRANSFER",
		"ATTENDEDTRANSFER",
	}
)
MASTER_CSV_COLUMNS = (
	"accountcode",
	"src",
	"dst",
	"dcontext",
	"clid",
	"channel",
	"dstchannel",
	"lastapp",
	"lastdata",
	"start",
	"answer",
	"end",
	"duration",
	"billsec",
	"disposition",
	"amaflags",
	"uniqueid",
	"userfield",
	"peeraccount",
	"linkedid",
	"sequence",
)
_MAX_ID = 140
_APPS = {"voicemail": "VoiceMail", "queue": "Queue", "dial": "Dial", "chanspy": "ChanSpy"}


@dataclass(frozen=True)
class QueueLogEntry:
	time: float
	callid: str
	queue: str
	agent: str
	event: str
	data: tuple[str, ...] = ()


@dataclass(frozen=True)
class CdrRow:
	uniqueid: str
	linkedid: str
	channel: str
	dstchannel: str
	src: str
	clid: str
	dst: str
	dcontext: str
	lastapp: str
	lastdata: str
	start: float
	answer: float | None
	end: float
	disposition: str


def _check_id(field: str, value: str) -> str:
	if not value or len(value) > _MAX_ID or any(c.isspace() or not c.isprintable() for c in value):
		raise FieldError(field, f"{value[:40]!r} is not an Asterisk unique id")
	return value


def _epoch(field: str, value: float) -> float:
	if not math.isfinite(value) or value < EARLIEST_TIMESTAMP or value > 4_102_444_800:  # 2100
		raise FieldError(field, f"{value!r} is not a plausible time")
	return value


def parse_queue_log_line(line: str) -> QueueLogEntry:
	"""One queue_log line; a FieldError names the part that is wrong."""
	parts = line.rstrip("\r\n").split("|")
	if len(parts) < 5:
		raise FieldError(
			"queue_log", f"{line[:60]!r} has {len(parts)} fields, not time|callid|queue|agent|event"
		)
	when, callid, queue, agent, event = parts[:5]
	try:
		moment = float(when)
	except ValueError:
		raise FieldError("time", f"{when[:20]!r} is not epoch seconds") from None
	if not event or not event.replace("_", "").isalnum():
		raise FieldError("event", f"{event[:20]!r} is not a queue_log event name")
	return QueueLogEntry(_epoch("time", moment), callid, queue, agent, event.upper(), tuple(parts[5:]))


def read_queue_log(
	lines: Iterable[str], since: float | None = None, until: float | None = None
) -> list[QueueLogEntry]:
	"""The parseable lines between ``since`` and ``until`` (inclusive); bad lines are logged and skipped."""
	out = []
	for n, line in enumerate(lines, 1):
		if not line.strip():
			continue
		try:
			entry = parse_queue_log_line(line)
		except FieldError as e:
			log.warning("queue_log line %d skipped: %s", n, e)
			continue
		if (since is None or entry.time >= since) and (until is None or entry.time <= until):
			out.append(entry)
	return out


def _cdr_time(field: str, text: str, zone: ZoneInfo) -> float | None:
	if not text:
		return None
	try:
		naive = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
	except ValueError:
		raise FieldError(field, f"{text[:30]!r} is not a date like 2026-11-22 09:17:19") from None
	return _epoch(field, naive.replace(tzinfo=zone).timestamp())


def parse_cdr_row(
	row: list[str], timezone: str = "UTC", columns: tuple[str, ...] = MASTER_CSV_COLUMNS
) -> CdrRow:
	if len(row) < len(columns):
		raise FieldError(
			"cdr", f"{len(row)} columns, expected {len(columns)} (cdr.conf [csv] newcdrcolumns=yes?)"
		)
	values = dict(zip(columns, row, strict=False))
	zone = ZoneInfo(timezone)
	uniqueid = _check_id("uniqueid", values.get("uniqueid", ""))
	linkedid = values.get("linkedid") or uniqueid
	_check_id("linkedid", linkedid)
	start = _cdr_time("start", values.get("start", ""), zone)
	if start is None:
		raise FieldError("start", "is empty")
	end = _cdr_time("end", values.get("end", ""), zone) or start
	return CdrRow(
		uniqueid=uniqueid,
		linkedid=linkedid,
		channel=values.get("channel", ""),
		dstchannel=values.get("dstchannel", ""),
		src=values.get("src", ""),
		clid=values.get("clid", ""),
		dst=values.get("dst", ""),
		dcontext=values.get("dcontext", ""),
		lastapp=values.get("lastapp", ""),
		lastdata=values.get("lastdata", ""),
		start=start,
		answer=_cdr_time("answer", values.get("answer", ""), zone),
		end=max(end, start),
		disposition=values.get("disposition", ""),
	)


def read_cdr_csv(
	lines: Iterable[str], timezone: str = "UTC", columns: tuple[str, ...] = MASTER_CSV_COLUMNS
) -> list[CdrRow]:
	"""Master.csv rows (cdr_csv's quoting: "text", doubled quotes inside); bad rows logged and skipped."""
	out = []
	for n, row in enumerate(csv.reader(lines), 1):
		if not row:
			continue
		try:
			out.append(parse_cdr_row(row, timezone, columns))
		except FieldError as e:
			log.warning("CDR row %d skipped: %s", n, e)
	return out


def _field(data: tuple[str, ...], i: int) -> str:
	return data[i] if -len(data) <= i < len(data) else ""


def _name_of(clid: str) -> str:
	"""``"Test Answered" <5551001>`` → ``Test Answered``."""
	if "<" in clid:
		return clid.split("<", 1)[0].strip().strip('"')
	return ""


def _queue_log_events(entry: QueueLogEntry) -> list[dict]:
	base = {
		"Timestamp": f"{entry.time:.6f}",
		"Uniqueid": entry.callid,
		"Queue": entry.queue,
		"Source": "queue_log",
	}
	member = {"MemberName": entry.agent, "Interface": ""} if entry.agent and entry.agent != "NONE" else {}
	d = entry.data
	kind = entry.event
	if kind == "ENTERQUEUE":
		return [{**base, "Event": "QueueCallerJoin", "CallerIDNum": _field(d, 1), "Position": _field(d, 2)}]
	if kind == "CONNECT":
		connect = {"HoldTime": _field(d, 0), "DestUniqueid": _field(d, 1), "RingTime": _field(d, 2)}
		return [{**base, **member, "Event": "AgentConnect", **connect}]
	if kind in ("COMPLETECALLER", "COMPLETEAGENT"):
		reason = "caller" if kind == "COMPLETECALLER" else "agent"
		times = {"HoldTime": _field(d, 0), "TalkTime": _field(d, 1), "Reason": reason}
		return [{**base, **member, "Event": "AgentComplete", **times}]
	if kind == "RINGNOANSWER":
		return [{**base, **member, "Event": "AgentRingNoAnswer", "RingTime": _field(d, 0)}]
	if kind == "AGENTDUMP":
		return [{**base, **member, "Event": "AgentDump"}]
	if kind in ("ABANDON", "EXITWITHTIMEOUT"):
		out = [
			{**base, "Event": "QueueCallerAbandon", "HoldTime": _field(d, 2), "Position": _field(d, 0)},
			{**base, "Event": "QueueCallerLeave", "HoldTime": _field(d, 2)},
		]
		if kind == "EXITWITHTIMEOUT":
			out.append(_status(base, "TIMEOUT"))
		return out
	if kind in ("EXITEMPTY", "EXITWITHKEY", "WITHDRAW"):
		wait = _field(d, 3) if kind == "EXITWITHKEY" else _field(d, 2)
		status = {"EXITEMPTY": "LEAVEEMPTY", "EXITWITHKEY": "CONTINUE", "WITHDRAW": "WITHDRAW"}[kind]
		return [{**base, "Event": "QueueCallerLeave", "HoldTime": wait}, _status(base, status)]
	if kind == "BLINDTRANSFER":
		times = {"HoldTime": _field(d, 2), "TalkTime": _field(d, 3), "Reason": "transfer"}
		transfer = {
			"Event": "BlindTransfer",
			"Result": "Success",
			"TransfererChannel": entry.agent,
			"Extension": _field(d, 0),
			"Context": _field(d, 1),
		}
		return [{**base, **member, "Event": "AgentComplete", **times}, {**base, **transfer}]
	if kind == "ATTENDEDTRANSFER":
		times = {"HoldTime": _field(d, -3), "TalkTime": _field(d, -2), "Reason": "transfer"}
		transfer = {"Event": "AttendedTransfer", "Result": "Success", "OrigTransfererChannel": entry.agent}
		if _field(d, 0) == "LINK":
			transfer["TransferTargetChannel"] = _field(d, 2)
		elif _field(d, 0) == "APP":
			transfer["DestApp"] = _field(d, 1)
		return [{**base, **member, "Event": "AgentComplete", **times}, {**base, **transfer}]
	return []


def _status(base: dict, value: str) -> dict:
	return {**base, "Event": "VarSet", "Variable": "QUEUESTATUS", "Value": value}


def _cdr_events(rows: list[CdrRow]) -> list[dict]:
	"""One channel per Uniqueid (a channel's CDR is split at every Dial: its rows are joined again)."""
	out: list[dict] = []
	by_uid: dict[str, list[CdrRow]] = {}
	for row in rows:
		by_uid.setdefault(row.uniqueid, []).append(row)
	for uid, parts in by_uid.items():
		parts.sort(key=lambda r: r.start)
		first = parts[0]
		base = {"Uniqueid": uid, "Linkedid": first.linkedid, "Channel": first.channel, "Source": "cdr"}
		out.append(
			{
				**base,
				"Event": "Newchannel",
				"Timestamp": f"{first.start:.6f}",
				"CallerIDNum": first.src,
				"CallerIDName": _name_of(first.clid),
				"Context": first.dcontext,
				"Exten": first.dst,
			}
		)
		answers = [r.answer for r in parts if r.answer is not None]
		if answers:
			out.append({**base, "Event": "Newstate", "Timestamp": f"{min(answers):.6f}", "ChannelState": "6"})
		for r in parts:
			app = _APPS.get(r.lastapp.lower())
			if app:
				out.append(
					{
						**base,
						"Event": "Newexten",
						"Timestamp": f"{r.start:.6f}",
						"Application": app,
						"AppData": r.lastdata,
					}
				)
			if r.disposition == "ANSWERED" and r.dstchannel and r.answer is not None and app != "Queue":
				bridge = f"cdr-{uid}-{r.answer:.0f}"
				for kind, when in (("BridgeEnter", r.answer), ("BridgeLeave", r.end)):
					for who in (uid, f"{uid}>{r.dstchannel}"[:_MAX_ID]):
						stamp = f"{when:.6f}"
						out.append(
							{
								**base,
								"Event": kind,
								"Timestamp": stamp,
								"Uniqueid": who,
								"BridgeUniqueid": bridge,
							}
						)
		out.append({**base, "Event": "Hangup", "Timestamp": f"{max(r.end for r in parts):.6f}"})
	return out


def history_events(queue_log: Iterable[QueueLogEntry] = (), cdrs: Iterable[CdrRow] = ()) -> list[dict]:
	"""Events for ``CallTracker.resync(history=...)``: the CDR's channels, and each queue call of the
	queue_log (with its caller channel made from the queue_log itself when no CDR row has it)."""
	rows = list(cdrs)
	linked = {r.uniqueid: r.linkedid for r in rows}
	out = _cdr_events(rows)
	by_call: dict[str, list[QueueLogEntry]] = {}
	for entry in queue_log:
		if entry.callid and entry.callid not in ("NONE", "MANAGER", "CLI", "REALTIME"):
			by_call.setdefault(entry.callid, []).append(entry)
	for callid, entries in by_call.items():
		try:
			_check_id("callid", callid)
		except FieldError as e:
			log.warning("queue_log call skipped: %s", e)
			continue
		entries.sort(key=lambda x: x.time)
		extra = {"Linkedid": linked[callid]} if callid in linked else {}
		if callid not in linked:
			first = entries[0]
			join = next((x for x in entries if x.event == "ENTERQUEUE"), None)
			out.append(
				{
					"Event": "Newchannel",
					"Timestamp": f"{first.time:.6f}",
					"Uniqueid": callid,
					"CallerIDNum": _field(join.data, 1) if join else "",
					"Source": "queue_log",
				}
			)
			ending = [x for x in entries if x.event in ENDINGS]
			if ending:
				out.append(
					{
						"Event": "Hangup",
						"Timestamp": f"{ending[-1].time:.6f}",
						"Uniqueid": callid,
						"Source": "queue_log",
					}
				)
		for entry in entries:
			out += [{**e, **extra} for e in _queue_log_events(entry)]
	return out


def recover(
	queue_log: Iterable[QueueLogEntry] = (),
	cdrs: Iterable[CdrRow] = (),
	recorded: Callable[[str], bool] | None = None,
) -> list[CallRecord]:
	"""Records (``complete`` False) of the calls in these lines that ``recorded`` does not know."""
	tracker = CallTracker()
	return tracker.resync([], [], set(), history_events(queue_log, cdrs), recorded)


# --- reading Asterisk's files on the PBX's machine -------------------------------------------------------


def lines_since(
	path: str, since: float, time_of: Callable[[str], float | None], block: int = 1 << 16
) -> list[str]:
	"""The lines at the end of ``path`` whose time (``time_of``; None for a line it cannot read) is at or
	after ``since``, read backwards in blocks so a long log costs only its tail. Lines are in file order;
	a log that is missing or unreadable gives nothing (logged)."""
	try:
		f = open(path, "rb")
	except OSError as e:
		log.warning("recovery: cannot read %s: %s", path, e.strerror or e)
		return []
	with f:
		f.seek(0, os.SEEK_END)
		position, tail, older = f.tell(), b"", False
		lines: list[str] = []
		while position > 0 and not older:
			step = min(block, position)
			position -= step
			f.seek(position)
			chunk = f.read(step) + tail
			parts = chunk.split(b"\n")
			tail = parts.pop(0) if position > 0 else b""  # maybe cut: joined with the next block
			for raw in reversed(parts):
				line = raw.decode("utf-8", "replace").rstrip("\r")
				if not line:
					continue
				moment = time_of(line)
				if moment is not None and moment < since:
					older = True
					break
				lines.append(line)
		return lines[::-1]


def _queue_log_time(line: str) -> float | None:
	try:
		return float(line.split("|", 1)[0])
	except ValueError:
		return None


class HistorySource:
	"""What Asterisk logged between two times, from its queue_log and cdr_csv's Master.csv (either may be
	None), for ``CallTracker.resync(history=…)``. The files must be readable where the bridge runs."""

	def __init__(self, queue_log: str | None = None, cdr_csv: str | None = None, timezone: str = "UTC"):
		self.queue_log, self.cdr_csv, self.timezone = queue_log, cdr_csv, timezone

	def _cdr_time(self, line: str) -> float | None:
		try:
			row = parse_cdr_row(next(csv.reader([line])), self.timezone)
		except (FieldError, StopIteration, ValueError):
			return None
		return row.end

	def events(self, since: float, until: float | None = None) -> list[dict]:
		entries = (
			read_queue_log(lines_since(self.queue_log, since, _queue_log_time), since, until)
			if self.queue_log
			else []
		)
		rows = (
			[
				r
				for r in read_cdr_csv(lines_since(self.cdr_csv, since, self._cdr_time), self.timezone)
				if r.end >= since and (until is None or r.start <= until)
			]
			if self.cdr_csv
			else []
		)
		return history_events(entries, rows)

	def __bool__(self) -> bool:
		return bool(self.queue_log or self.cdr_csv)
