"""The wallboard's live numbers, without Frappe: events folded into one state, its snapshot, and a throttle
that coalesces changes so a busy site publishes at most once per interval.

Events are plain dicts with a ``kind``:

- ``join`` / ``leave`` (``queue``, ``id``: the caller's Uniqueid, ``at``: epoch seconds): a caller entered
  or left a queue (AMI QueueCallerJoin, QueueCallerLeave; an abandon is followed by a leave).
- ``busy`` / ``free`` (``interface``, ``at``): a queue member took a caller (AgentConnect) or finished
  (AgentComplete, AgentDump).
- ``reset`` (``waiting``: ``[{queue, id, since}]``, ``busy``: interfaces, ``at``): Asterisk's QueueStatus
  after a (re)connect replaces what the stream said (events missed while disconnected).
- ``call`` (a call record's ``linkedid``, ``direction``, ``queue``, ``status``, ``queue_result``,
  ``wait_s``, ``start``: epoch): a finished call, for today's QoS and abandon %. Inbound calls with a
  queue count, as in the Queue QoS report (:func:`~callcenter_app.metrics.queue_qos.call_from_log`); a
  call written again replaces its earlier version; calls of another day than today are ignored.
- ``agents`` (``agents``: ``[{user, name, logged_in, mode, receives_calls, interfaces}]``), ``queues``
  (``names``), ``campaigns`` (``campaigns``: ``[{name, total, done}]``): the database's view, replaced
  as a whole.

:func:`from_ami` and :func:`from_queue_status` turn AMI events into these. "Today" is the calendar day in
the call center's time zone (``zone``). An agent's state is *On call* while one of their interfaces is
busy, else *Available* when logged in with a mode that receives calls, else the mode's name; agents
logged out are counted apart.

:class:`Throttle` (an injected clock) says when to publish: at once after a quiet interval, and changes
made within ``interval`` of the last publish wait for one trailing publish, so every change is published
within ``interval`` and never more often. :class:`Pump` runs it in a thread: ``fold(events)`` from any
thread; its own thread publishes (``publish(snapshot)``) and, every ``refresh_every`` seconds, folds what
``refresh()`` reads (the database's agents, queues and campaigns), between ``setup()`` and ``teardown()``
(a site connection of its own).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from callcenter_app.metrics.qos import QosParams, call_score
from callcenter_app.metrics.queue_qos import call_from_log

ON_CALL = "On call"
AVAILABLE = "Available"
LOGGED_OUT = "Logged out"
MAX_AGENTS_LISTED = 200  # agents listed by name in a snapshot (counts cover everyone)


def _at(event: dict, now: float) -> float:
	try:
		at = float(event.get("Timestamp") or "nan")
	except (TypeError, ValueError):
		return now
	return at if math.isfinite(at) and at > 946684800 else now  # after 2000-01-01, as protocol.py reads it


def from_ami(event: dict, now: float) -> dict | None:
	"""The wallboard event an AMI event makes, or None. ``now`` stands in for a missing Timestamp."""
	name = event.get("Event", "")
	if name in ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"):
		queue, uid = event.get("Queue") or "", event.get("Uniqueid") or ""
		if not queue or not uid:
			return None
		return {
			"kind": "join" if name == "QueueCallerJoin" else "leave",
			"queue": queue,
			"id": uid,
			"at": _at(event, now),
		}
	if name in ("AgentConnect", "AgentComplete", "AgentDump"):
		interface = event.get("Interface") or event.get("MemberName") or ""
		if not interface:
			return None
		return {
			"kind": "busy" if name == "AgentConnect" else "free",
			"interface": interface,
			"at": _at(event, now),
		}
	return None


def from_queue_status(status: Iterable[dict], now: float) -> dict:
	"""A ``reset`` from a QueueStatus list: QueueEntry (waiting callers, their ``Wait``), QueueMember
	(``InCall: 1``: busy)."""
	waiting, busy = [], []
	for e in status:
		kind = e.get("Event")
		if kind == "QueueEntry" and e.get("Queue") and e.get("Uniqueid"):
			try:
				wait = max(0.0, float(e.get("Wait") or 0))
			except ValueError:
				wait = 0.0
			waiting.append({"queue": e["Queue"], "id": e["Uniqueid"], "since": now - wait})
		elif kind == "QueueMember" and str(e.get("InCall") or "0") == "1":
			interface = e.get("StateInterface") or e.get("Location") or e.get("Interface") or ""
			if interface:
				busy.append(interface)
	return {"kind": "reset", "waiting": waiting, "busy": sorted(set(busy)), "at": now}


class Wallboard:
	"""The folded state. ``params_for(queue)`` gives a queue's QoS parameters; ``zone`` is the call
	center's time zone (what "today" means)."""

	def __init__(self, params_for: Callable[[str], QosParams], zone: str = "UTC"):
		self.params_for = params_for
		self.zone = ZoneInfo(zone)
		self.waiting: dict[str, dict[str, float]] = {}  # queue → caller's Uniqueid → since
		self.busy: dict[str, float] = {}  # interface → since
		self.agents: list[dict] = []
		self.queues: list[str] = []
		self.campaigns: list[dict] = []
		self.day: dt.date | None = None
		self._calls: dict[
			str, tuple[str, float, bool, bool]
		] = {}  # linkedid → queue, score, answered, abandoned
		self._sums: dict[str, list] = {}  # queue → [offered, answered, abandoned, score sum]
		self.folded = 0
		self.ignored = 0

	def today(self, now: float) -> dt.date:
		return dt.datetime.fromtimestamp(now, self.zone).date()

	def fold(self, event: dict) -> bool:
		"""Apply one event; True when it changed what a snapshot shows. An event that is not one of the
		kinds, or lacks what its kind needs, is counted in ``ignored`` and changes nothing."""
		try:
			changed = self._fold(event)
		except (KeyError, TypeError, ValueError):
			self.ignored += 1
			return False
		self.folded += 1
		return changed

	def fold_all(self, events: Iterable[dict]) -> bool:
		changed = False
		for event in events:
			changed = self.fold(event) or changed
		return changed

	def _fold(self, e: dict) -> bool:
		kind = e["kind"]
		if kind == "join":
			queue = self.waiting.setdefault(str(e["queue"]), {})
			if e["id"] in queue:
				return False
			queue[str(e["id"])] = float(e["at"])
			return True
		if kind == "leave":
			queue = self.waiting.get(str(e["queue"]))
			return bool(queue) and queue.pop(str(e["id"]), None) is not None
		if kind == "busy":
			if e["interface"] in self.busy:
				return False
			self.busy[str(e["interface"])] = float(e["at"])
			return True
		if kind == "free":
			return self.busy.pop(str(e["interface"]), None) is not None
		if kind == "reset":
			waiting: dict[str, dict[str, float]] = {}
			for w in e["waiting"]:
				waiting.setdefault(str(w["queue"]), {})[str(w["id"])] = float(w["since"])
			at = float(e["at"])
			busy = {str(i): self.busy.get(str(i), at) for i in e["busy"]}
			changed = waiting != self.waiting or busy != self.busy
			self.waiting, self.busy = waiting, busy
			return changed
		if kind == "call":
			return self._fold_call(e)
		if kind == "agents":
			agents = [dict(a) for a in e["agents"]]
			changed, self.agents = agents != self.agents, agents
			return changed
		if kind == "queues":
			names = sorted({str(n) for n in e["names"] if n})
			changed, self.queues = names != self.queues, names
			return changed
		if kind == "campaigns":
			campaigns = [dict(c) for c in e["campaigns"]]
			changed, self.campaigns = campaigns != self.campaigns, campaigns
			return changed
		raise ValueError(f"unknown kind {kind!r}")

	def _fold_call(self, e: dict) -> bool:
		if e.get("direction") != "inbound" or not e.get("queue") or not e.get("linkedid"):
			return False
		day = self.today(float(e["start"]))
		if self.day is None or day > self.day:
			self._new_day(day)
		elif day < self.day:
			return False
		call = call_from_log(e, dt.datetime.fromtimestamp(float(e["start"]), self.zone))
		queue = call.queue
		entry = (
			queue,
			call_score(call.answered, call.wait_s, self.params_for(queue)),
			call.answered,
			e.get("status") == "abandoned",
		)
		old = self._calls.get(e["linkedid"])
		if old == entry:
			return False
		if old is not None:
			self._add(old, -1)
		self._calls[e["linkedid"]] = entry
		self._add(entry, 1)
		return True

	def _add(self, entry: tuple[str, float, bool, bool], sign: int) -> None:
		queue, score, answered, abandoned = entry
		sums = self._sums.setdefault(queue, [0, 0, 0, 0.0])
		sums[0] += sign
		sums[1] += sign * answered
		sums[2] += sign * abandoned
		sums[3] += sign * score
		if sums[0] == 0:
			del self._sums[queue]

	def _new_day(self, day: dt.date) -> None:
		self.day = day
		self._calls.clear()
		self._sums.clear()

	def snapshot(self, now: float) -> dict:
		"""What the wallboard shows at ``now`` (epoch seconds): every number, ready to draw."""
		if self.day is not None and self.today(now) > self.day:
			self._new_day(self.today(now))
		sums = self._sums
		queues = []
		for name in sorted(set(self.queues) | set(self.waiting) | set(sums)):
			waiting = self.waiting.get(name) or {}
			queues.append(
				{
					"queue": name,
					"waiting": len(waiting),
					"longest_wait_s": _longest(waiting.values(), now),
					**_today(sums.get(name)),
				}
			)
		total = [sum(s[i] for s in sums.values()) for i in range(4)] if sums else None
		return {
			"at": round(now, 3),
			"day": self.today(now).isoformat(),
			"waiting": sum(q["waiting"] for q in queues),
			"longest_wait_s": max((q["longest_wait_s"] for q in queues), default=0),
			"queues": queues,
			"today": _today(total),
			"agents": self._agents(now),
			"campaigns": [_campaign(c) for c in self.campaigns],
		}

	def _agents(self, now: float) -> dict:
		counts: dict[str, int] = {}
		listed = []
		logged_out = 0
		for a in self.agents:
			if not a.get("logged_in"):
				logged_out += 1
				continue
			busy = [self.busy[i] for i in a.get("interfaces") or () if i in self.busy]
			if busy:
				state = ON_CALL
			elif a.get("receives_calls"):
				state = AVAILABLE
			else:
				state = a.get("mode") or "?"
			counts[state] = counts.get(state, 0) + 1
			if len(listed) < MAX_AGENTS_LISTED:
				listed.append(
					{
						"user": a.get("user"),
						"name": a.get("name") or a.get("user"),
						"state": state,
						"on_call_s": _longest(busy, now) if busy else None,
					}
				)
		order = {ON_CALL: 0, AVAILABLE: 1}
		listed.sort(key=lambda x: (order.get(x["state"], 2), x["state"], str(x["name"])))
		return {
			"by_state": [
				{"state": s, "count": counts[s]} for s in sorted(counts, key=lambda s: (order.get(s, 2), s))
			],
			"logged_in": sum(counts.values()),
			"available": counts.get(AVAILABLE, 0),
			"logged_out": logged_out,
			"list": listed,
		}


def _longest(since: Iterable[float], now: float) -> int:
	first = min(since, default=None)
	return 0 if first is None else max(0, int(now - first))


def _today(sums) -> dict:
	if not sums or not sums[0]:
		return {"offered": 0, "answered": 0, "abandoned": 0, "qos": None, "abandon_pct": None}
	offered, answered, abandoned, score = sums
	return {
		"offered": offered,
		"answered": answered,
		"abandoned": abandoned,
		"qos": round(100.0 * score / offered, 1),
		"abandon_pct": round(100.0 * abandoned / offered, 1),
	}


def _campaign(c: dict) -> dict:
	total, done = int(c.get("total") or 0), int(c.get("done") or 0)
	return {**c, "total": total, "done": done, "percent": round(100.0 * done / total, 1) if total else None}


class Throttle:
	"""At most one publish per ``interval`` seconds of ``clock``; changes in between are coalesced into one
	publish when the interval is over (the trailing edge), so none is left unpublished."""

	def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
		if not interval > 0:
			raise ValueError(f"interval must be > 0 seconds, got {interval!r}")
		self.interval, self.clock = interval, clock
		self.dirty = False
		self.last: float | None = None
		self.published = 0

	def changed(self) -> None:
		self.dirty = True

	def wait_s(self) -> float | None:
		"""Seconds until a publish is due (0: now); None when nothing changed."""
		if not self.dirty:
			return None
		if self.last is None:
			return 0.0
		return max(0.0, self.last + self.interval - self.clock())

	def take(self) -> bool:
		"""True (and the change counted as published) when a publish is due now."""
		if self.wait_s() != 0.0:
			return False
		self.dirty = False
		self.last = self.clock()
		self.published += 1
		return True


class Pump:
	"""A thread that publishes ``snapshot()`` through ``publish`` when the throttle allows. ``fold``
	(any thread) applies events under the pump's lock and wakes it when something changed."""

	def __init__(
		self,
		board: Wallboard,
		publish: Callable[[dict], None],
		interval: float = 1.0,
		clock: Callable[[], float] = time.monotonic,
		wall_clock: Callable[[], float] = time.time,
		on_error: Callable[[Exception], None] | None = None,
		refresh: Callable[[], list[dict]] | None = None,
		refresh_every: float = 2.0,
		setup: Callable[[], None] | None = None,
		teardown: Callable[[], None] | None = None,
	):
		self.board, self.publish = board, publish
		self.throttle = Throttle(interval, clock)
		self.clock, self.wall_clock, self.on_error = clock, wall_clock, on_error
		# the database's side (agents, queues, campaigns), read by the thread every refresh_every seconds
		self.refresh, self.refresh_every = refresh, refresh_every
		self.setup, self.teardown = setup, teardown
		self._next_refresh = 0.0
		self.lock = threading.Lock()
		self._wake = threading.Event()
		self._stop = threading.Event()
		self._thread: threading.Thread | None = None
		self.errors = 0

	def fold(self, events: Iterable[dict]) -> bool:
		with self.lock:
			changed = self.board.fold_all(events)
			if changed:
				self.throttle.changed()
		if changed:
			self._wake.set()
		return changed

	def snapshot(self) -> dict:
		with self.lock:
			return self.board.snapshot(self.wall_clock())

	def start(self) -> Pump:
		if self._thread is None or not self._thread.is_alive():
			self._thread = threading.Thread(target=self._run, name="cc-wallboard", daemon=True)
			self._thread.start()
		return self

	def stop(self, timeout: float = 5.0) -> None:
		self._stop.set()
		self._wake.set()
		if self._thread is not None:
			self._thread.join(timeout)

	def step(self) -> bool:
		"""Publish if due (what the thread does each time it wakes); True when it published."""
		with self.lock:
			if not self.throttle.take():
				return False
			snapshot = self.board.snapshot(self.wall_clock())
		try:
			self.publish(snapshot)
		except Exception as e:  # a publish that fails is the next change's to retry; the pump lives on
			self._fail(e)
		return True

	def refresh_now(self) -> bool:
		"""Fold what ``refresh()`` reads (the thread does it every ``refresh_every`` seconds)."""
		self._next_refresh = self.clock() + self.refresh_every
		try:
			events = self.refresh() if self.refresh is not None else []
		except Exception as e:
			self._fail(e)
			return False
		return self.fold(events)

	def _fail(self, e: Exception) -> None:
		self.errors += 1
		if self.on_error is not None:
			self.on_error(e)

	def _run(self) -> None:
		if self.setup is not None:
			try:
				self.setup()
			except Exception as e:
				self._fail(e)
				return
		try:
			while not self._stop.is_set():
				if self.refresh is not None and self.clock() >= self._next_refresh:
					self.refresh_now()
				with self.lock:
					wait = self.throttle.wait_s()
				if wait is None or wait > 0:
					if self.refresh is not None:
						until_refresh = max(0.0, self._next_refresh - self.clock())
						wait = until_refresh if wait is None else min(wait, until_refresh)
					self._wake.wait(wait)
					self._wake.clear()
					continue
				self.step()
		finally:
			if self.teardown is not None:
				self.teardown()
