"""The dialer's bookkeeping (pure): AMI events in; how many calls to place, and what each call ended with, out.

:class:`Dialer` holds one :class:`CampaignRunner` per running campaign (its pacing strategy, its
:class:`~.pacing.StatsEstimator` and its abandon window), the state of the queue members it reads operator
availability from, and the calls it placed. The process (:mod:`callcenter_app.dialer.process.loop`) feeds it
every AMI event with the time it arrived and asks it once a second per campaign; nothing here does I/O.

Operators: the members of the campaign's Asterisk queue (the AMI bridge makes the logged-in agents members).
From QueueMemberStatus / QueueMemberPause / QueueMemberAdded / QueueMemberRemoved events and the QueueMember
entries of QueueStatus, a member is

- *unavailable* when paused, or its device is unavailable or invalid (not counted at all);
- *talking* while in a call, ringing or on hold (since the event that showed it);
- *in wrap-up* for the queue's wrap-up time after a call (the member's own ``Wrapuptime`` when Asterisk
  reports one, else the queue's setting): Asterisk offers it no call meanwhile;
- *free* otherwise.

Calls (one per CC Call Attempt), matched by the ActionID of their Originate, then by the Uniqueid the
OriginateResponse names:

- OriginateResponse Reason 4 → answered; 5 → ``busy``; 3 or 0 → ``no_answer`` (0 within
  :data:`FAST_FAILURE_S` of the dial: ``failed``, the call never left); 8 (congestion), 1 and any other →
  ``failed``.
- An answered call waits for an operator: AgentConnect → connected (the operator records the outcome, so
  the dialer records none; it fills in the attempt's times). UserEvent ``CCDialer`` ``Result: machine`` →
  ``answering_machine``; ``Result: abandoned`` or QueueCallerAbandon → ``abandoned``. An answered call that
  ends (Hangup) without reaching an operator and without a machine verdict counts as abandoned too (the
  safe side of the regulation: the customer was live and got nobody).

Abandon rate (per campaign) = abandoned / answered over the regulatory window, :data:`WINDOW_S` = 24 h
rolling (Ofcom's period); answered = reached an operator or abandoned; machines are not live calls and
count in neither. The window is seeded from the recorded attempts when a campaign starts, so a restart
does not forget it.

Pacing sees the whole queue: the free, wrap-up and talking operators of the campaign's queue, every call in
flight of every campaign that feeds that queue, and every caller waiting in it (inbound callers included),
so two campaigns on one queue never both count the same free operator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from callcenter_app.dialer.pacing import (
	MAX_ABANDON_TARGET,
	AbandonWindow,
	CallStats,
	PacingState,
	PacingStrategy,
	StatsEstimator,
	make_strategy,
)

WINDOW_S = 86400.0  # the regulatory window: 24 hours rolling, per campaign (Ofcom)
FAST_FAILURE_S = 1.0  # Reason 0 this soon after dialing: the channel could not even be created
ORIGINATE_MARGIN_S = 60.0  # no OriginateResponse by ring timeout + this: the call is given up as failed
UNCONNECTED_MAX_S = 600.0  # an answered call never connected and never hung up: closed after this
DIALING, ANSWERED, CONNECTED, MACHINE, ABANDONED = "dialing", "answered", "connected", "machine", "abandoned"

ANSWER = 4
REASONS = {0: "no_answer", 1: "failed", 3: "no_answer", 5: "busy", 8: "failed"}
# AST_DEVICE_* values of a queue member's Status
DEVICE_INVALID, DEVICE_UNAVAILABLE = 4, 5
IN_USE_STATES = frozenset({2, 3, 6, 7, 8})  # in use, busy, ringing, ring in use, on hold
MODES = {"preview": "preview", "progressive": "progressive", "predictive": "predictive"}


@dataclass(frozen=True)
class CampaignConfig:
	"""What the runner needs to know about one campaign (from its CC Campaign and CC Call Queue)."""

	name: str
	mode: str  # Preview, Progressive or Predictive
	queue: str | None
	caller_id: str | None = None
	amd: bool = False
	target: float = MAX_ABANDON_TARGET  # abandon target, a fraction of answered calls
	ring_timeout_s: int = 25
	queue_wrapup_s: float = 0.0  # the queue's wrap-up time (CC Call Queue), when Asterisk reports none

	def __post_init__(self) -> None:
		if self.mode.lower() not in MODES:
			raise ValueError(f"dialer mode must be Preview, Progressive or Predictive, not {self.mode!r}")
		if self.mode.lower() != "preview" and not self.queue:
			raise ValueError(f"campaign {self.name}: a {self.mode} campaign needs a call queue")
		if not 0 < self.target <= MAX_ABANDON_TARGET:
			raise ValueError(f"campaign {self.name}: abandon target must be in (0, {MAX_ABANDON_TARGET}]")


@dataclass
class Call:
	"""One placed call (one CC Call Attempt)."""

	campaign: str
	queue: str | None
	attempt: str
	contact: str
	action_id: str
	dialed_at: float
	state: str = DIALING
	uniqueid: str | None = None
	answered_at: float | None = None
	connected_at: float | None = None
	interface: str | None = None
	amd_status: str = ""
	counted: bool = False  # in the abandon window already
	learned: bool = False  # its dial result is in the statistics already


@dataclass(frozen=True)
class Outcome:
	"""What one call ended with. ``code`` None: it reached an operator, who records the outcome."""

	attempt: str
	contact: str
	campaign: str
	code: str | None
	dialed_at: float
	ended_at: float
	answered_at: float | None = None
	connected_at: float | None = None
	abandoned: bool = False
	amd_status: str = ""
	interface: str | None = None
	linkedid: str | None = None
	reason: int | None = None
	note: str = ""

	def as_dict(self) -> dict:
		return asdict(self)


@dataclass(frozen=True)
class Connected:
	"""An answered call reached an operator (AgentConnect): the operator's console shows the contact now; the
	call's :class:`Outcome` follows when it hangs up."""

	attempt: str
	contact: str
	campaign: str
	interface: str | None
	linkedid: str | None
	answered_at: float | None
	connected_at: float

	def as_dict(self) -> dict:
		return asdict(self)


# --- queue members ----------------------------------------------------------------------------------------


@dataclass
class Member:
	queue: str
	interface: str
	status: int = 1
	paused: bool = False
	in_call: bool = False
	wrapuptime: float = 0.0  # Asterisk's member Wrapuptime (0: the queue's)
	busy_since: float | None = None  # our clock
	wrap_since: float | None = None  # our clock: when its last call ended

	@property
	def busy(self) -> bool:
		return self.in_call or self.status in IN_USE_STATES

	@property
	def unavailable(self) -> bool:
		return self.paused or self.status in (DEVICE_INVALID, DEVICE_UNAVAILABLE)


def _int(value, default: int = 0) -> int:
	try:
		return int(float(value))
	except (TypeError, ValueError):
		return default


def _float(value, default: float = 0.0) -> float:
	try:
		number = float(value)
	except (TypeError, ValueError):
		return default
	return number if math.isfinite(number) else default


def _flag(value) -> bool:
	return str(value or "").strip().lower() in ("1", "true", "yes")


class Members:
	"""Queue members' state, kept from member events; availability per queue at a given time."""

	def __init__(self) -> None:
		self.members: dict[tuple[str, str], Member] = {}
		self.queue_wrapup: dict[str, float] = {}
		self.clock_offset: float | None = None  # Asterisk's clock − ours, from event Timestamps

	def observe_clock(self, event: Mapping, now: float) -> None:
		stamp = _float(event.get("Timestamp"), 0.0)
		if stamp > 0:
			self.clock_offset = stamp - now

	def feed(self, event: Mapping, now: float) -> None:
		"""A QueueMemberStatus, QueueMemberPause, QueueMemberAdded or QueueStatus' QueueMember entry."""
		queue = event.get("Queue") or ""
		interface = event.get("Interface") or event.get("Location") or ""
		if not queue or not interface:
			return
		key = (queue, interface)
		old = self.members.get(key)
		m = Member(
			queue=queue,
			interface=interface,
			status=_int(event.get("Status"), old.status if old else 1),
			paused=_flag(event.get("Paused")) if "Paused" in event else bool(old and old.paused),
			in_call=_flag(event.get("InCall")) if "InCall" in event else bool(old and old.in_call),
			wrapuptime=_float(event.get("Wrapuptime"), old.wrapuptime if old else 0.0),
		)
		if old is not None:
			m.busy_since, m.wrap_since = old.busy_since, old.wrap_since
		if m.busy:
			if old is None or not old.busy or m.busy_since is None:
				m.busy_since = now
		else:
			if old is not None and old.busy:
				m.wrap_since = now
			elif old is None:
				m.wrap_since = self._last_call_end(event, now)
			m.busy_since = None
		self.members[key] = m

	def _last_call_end(self, event: Mapping, now: float) -> float | None:
		"""When the member's last call ended, on our clock, from Asterisk's LastCall (epoch seconds)."""
		last = _float(event.get("LastCall"), 0.0)
		if last <= 0:
			return None
		asterisk_now = now + (self.clock_offset or 0.0)
		return now - max(0.0, asterisk_now - last)

	def remove(self, event: Mapping) -> None:
		interface = event.get("Interface") or event.get("Location") or ""
		self.members.pop((event.get("Queue") or "", interface), None)

	def reset(self, entries: Iterable[Mapping], now: float) -> None:
		"""Replace the state with QueueStatus' QueueMember entries (after a (re)connect); members that
		were known keep when they started talking or wrapping up."""
		old = self.members
		self.members = {}
		for e in entries:
			key = (e.get("Queue") or "", e.get("Interface") or e.get("Location") or "")
			if key in old:
				self.members[key] = old[key]
			self.feed(e, now)

	def wrapup_of(self, m: Member) -> float:
		return m.wrapuptime if m.wrapuptime > 0 else self.queue_wrapup.get(m.queue, 0.0)

	def availability(self, queue: str, now: float) -> tuple[int, list[float], list[float]]:
		"""(free operators, wrap-up elapsed times, talk elapsed times) of ``queue``'s members."""
		free = 0
		wrapping: list[float] = []
		talking: list[float] = []
		for (q, _), m in self.members.items():
			if q != queue or m.unavailable:
				continue
			if m.busy:
				talking.append(max(0.0, now - (m.busy_since if m.busy_since is not None else now)))
				continue
			if m.wrap_since is not None:
				elapsed = now - m.wrap_since
				if elapsed < self.wrapup_of(m):
					wrapping.append(max(0.0, elapsed))
					continue
			free += 1
		return free, wrapping, talking


# --- one campaign -------------------------------------------------------------------------------------------


@dataclass
class Tally:
	placed: int = 0
	answered: int = 0  # live answers: connected + abandoned
	connected: int = 0
	abandoned: int = 0
	machine: int = 0
	failed: int = 0  # busy, no answer, failed


class CampaignRunner:
	"""One campaign's pacing strategy, learned statistics and abandon window."""

	def __init__(
		self,
		config: CampaignConfig,
		prior: CallStats | None = None,
		window_s: float = WINDOW_S,
		strategy: PacingStrategy | None = None,
	) -> None:
		self.config = config
		self.window_s = window_s
		self.strategy = strategy or make_strategy(MODES[config.mode.lower()])
		self.estimator = StatsEstimator(prior)
		self.abandons = AbandonWindow(window_s)
		self.active = True
		self.total = Tally()
		self.period = Tally()  # since the last progress report

	def reconfigure(self, config: CampaignConfig) -> None:
		"""New settings; the strategy is rebuilt only when the mode changed (statistics are kept)."""
		if config.mode.lower() != self.config.mode.lower():
			self.strategy = make_strategy(MODES[config.mode.lower()])
		self.config = config
		self.active = True

	@property
	def window_answered(self) -> int:
		return self.abandons.answered

	@property
	def window_abandoned(self) -> int:
		return self.abandons.abandoned

	def seed(self, entries: Iterable[tuple[float, bool]], now: float) -> None:
		"""Answered calls already recorded in the window (time, abandoned), oldest first or not."""
		for t, abandoned in sorted(entries):
			if now - t < self.window_s:
				self.abandons.count(t, abandoned)

	def count(self, t: float, abandoned: bool) -> None:
		self.abandons.count(t, abandoned)
		for tally in (self.total, self.period):
			tally.answered += 1
			if abandoned:
				tally.abandoned += 1
			else:
				tally.connected += 1

	def abandon_rate(self, now: float) -> float:
		"""Abandoned / answered over the window (0 with no answered call)."""
		return self.abandons.rate(now)


# --- the dialer -----------------------------------------------------------------------------------------------


class Dialer:
	"""Every running campaign, the queue members and the calls in flight. All times are the process's clock
	(seconds, e.g. ``time.time()``) when the event arrived or the tick ran."""

	def __init__(
		self,
		window_s: float = WINDOW_S,
		prior: CallStats | None = None,
		fast_failure_s: float = FAST_FAILURE_S,
		originate_margin_s: float = ORIGINATE_MARGIN_S,
	) -> None:
		self.window_s = window_s
		self.prior = prior
		self.fast_failure_s = fast_failure_s
		self.originate_margin_s = originate_margin_s
		self.runners: dict[str, CampaignRunner] = {}
		self.members = Members()
		self.calls: dict[str, Call] = {}  # attempt → call
		self._by_action: dict[str, Call] = {}
		self._by_uid: dict[str, Call] = {}
		self.queue_callers: dict[str, set[str]] = {}  # queue → Uniqueids of callers waiting in it

	# --- campaigns
	def configure(self, configs: Iterable[CampaignConfig]) -> list[str]:
		"""The campaigns that run now; returns the names that are new (their windows want seeding).

		A campaign no longer listed stops dialing at once; its runner stays until its calls have ended."""
		wanted = {c.name: c for c in configs}
		new = []
		for name, config in wanted.items():
			runner = self.runners.get(name)
			if runner is None:
				self.runners[name] = CampaignRunner(config, self.prior, self.window_s)
				new.append(name)
			else:
				runner.reconfigure(config)
			if config.queue:
				self.members.queue_wrapup[config.queue] = float(config.queue_wrapup_s)
		for name, runner in list(self.runners.items()):
			if name not in wanted:
				runner.active = False
		self._drop_idle()
		return new

	def _drop_idle(self) -> None:
		busy = {c.campaign for c in self.calls.values()}
		for name in [n for n, r in self.runners.items() if not r.active and n not in busy]:
			del self.runners[name]

	def seed(self, campaign: str, entries: Iterable[tuple[float, bool]], now: float) -> None:
		self.runners[campaign].seed(entries, now)

	# --- pacing
	def state(self, campaign: str, now: float) -> PacingState:
		"""What the campaign's strategy sees now (the whole queue: every campaign's calls into it)."""
		runner = self.runners[campaign]
		queue = runner.config.queue
		free, wrapping, talking = self.members.availability(queue, now) if queue else (0, [], [])
		dialing = []
		waiting = set(self.queue_callers.get(queue, ())) if queue else set()
		for call in self.calls.values():
			if call.queue != queue or queue is None:
				continue
			if call.state == DIALING:
				dialing.append(max(0.0, now - call.dialed_at))
			elif call.state == ANSWERED:
				waiting.add(call.uniqueid or call.attempt)
		runner.abandons.expire(now)
		return PacingState(
			free_agents=free,
			wrapup_elapsed=wrapping,
			talking_elapsed=talking,
			dialing_elapsed=dialing,
			waiting_calls=len(waiting),
			stats=runner.estimator.stats(),
			target=runner.config.target,
			**runner.abandons.counters(),
			now=now,
		)

	def decide(self, campaign: str, now: float) -> int:
		"""How many calls ``campaign`` places now (0 for preview campaigns and stopped ones)."""
		runner = self.runners.get(campaign)
		if runner is None or not runner.active or runner.config.mode.lower() == "preview":
			return 0
		return max(0, int(runner.strategy.decide(self.state(campaign, now))))

	def running(self) -> list[str]:
		return [name for name, r in self.runners.items() if r.active]

	# --- calls
	def dialed(self, campaign: str, attempt: str, contact: str, action_id: str, now: float) -> Call:
		"""A call is about to be originated (register it before sending: its events may come at once)."""
		runner = self.runners[campaign]
		call = Call(campaign, runner.config.queue, attempt, contact, action_id, now)
		self.calls[attempt] = call
		self._by_action[action_id] = call
		runner.total.placed += 1
		runner.period.placed += 1
		return call

	def originate_failed(self, action_id: str, now: float, note: str) -> Outcome | None:
		"""Asterisk refused the Originate action itself: the call never started."""
		call = self._by_action.get(action_id)
		if call is None or call.state != DIALING:
			return None
		return self._end(call, now, "failed", note=note)

	def forget(self, action_id: str) -> Call | None:
		"""A call that was registered but never sent (the connection was down): no outcome, no trace."""
		call = self._by_action.pop(action_id, None)
		if call is not None:
			self.calls.pop(call.attempt, None)
			runner = self.runners.get(call.campaign)
			if runner is not None:
				runner.total.placed -= 1
				runner.period.placed -= 1
		return call

	def in_flight(self, campaign: str | None = None) -> int:
		"""Calls ringing or answered and not yet with an operator (of ``campaign``, or of all)."""
		return sum(
			1
			for c in self.calls.values()
			if (campaign is None or c.campaign == campaign) and c.state != CONNECTED
		)

	def feed(self, event: Mapping, now: float) -> list[Outcome | Connected]:
		"""One AMI event; the outcomes of the calls it ended, or the call it put through to an operator."""
		name = event.get("Event")
		self.members.observe_clock(event, now)
		if name == "OriginateResponse":
			return self._originate_response(event, now)
		if name in ("QueueMemberStatus", "QueueMemberPause", "QueueMemberAdded", "QueueMember"):
			self.members.feed(event, now)
		elif name == "QueueMemberRemoved":
			self.members.remove(event)
		elif name == "QueueCallerJoin":
			uid = event.get("Uniqueid")
			if uid:
				self.queue_callers.setdefault(event.get("Queue") or "", set()).add(uid)
		elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
			self.queue_callers.get(event.get("Queue") or "", set()).discard(event.get("Uniqueid"))
			if name == "QueueCallerAbandon":
				call = self._call_of(event)
				if call is not None:
					self._abandon(call, now)
		elif name == "AgentConnect":
			call = self._call_of(event)
			if call is not None and call.state == ANSWERED:
				call.state = CONNECTED
				call.connected_at = now
				call.interface = event.get("Interface") or event.get("MemberName")
				self._count(call, now, abandoned=False)
				return [
					Connected(
						call.attempt,
						call.contact,
						call.campaign,
						call.interface,
						call.uniqueid,
						call.answered_at,
						now,
					)
				]
		elif name == "UserEvent" and event.get("UserEvent") == "CCDialer":
			call = self._call_of(event) or self.calls.get(event.get("Attempt") or "")
			if call is not None:
				result = (event.get("Result") or "").strip().lower()
				if result == "machine" and call.state == ANSWERED:
					call.state = MACHINE
					call.amd_status = "MACHINE"
					self._learn(call, False, now)
				elif result == "abandoned":
					self._abandon(call, now)
		elif name == "Hangup":
			uid = event.get("Uniqueid")
			for callers in self.queue_callers.values():
				callers.discard(uid)
			call = self._by_uid.get(uid or "")
			if call is not None:
				return [self._finish(call, now)]
		return []

	def _call_of(self, event: Mapping) -> Call | None:
		for key in ("Uniqueid", "Linkedid"):
			call = self._by_uid.get(event.get(key) or "")
			if call is not None:
				return call
		return None

	def _originate_response(self, event: Mapping, now: float) -> list[Outcome]:
		call = self._by_action.get(event.get("ActionID") or "")
		if call is None or call.state != DIALING:
			return []
		reason = _int(event.get("Reason"), -1)
		elapsed = max(0.0, now - call.dialed_at)
		uid = event.get("Uniqueid") or ""
		if reason == ANSWER and event.get("Response", "Success") == "Success" and uid not in ("", "<null>"):
			call.state = ANSWERED
			call.answered_at = now
			call.uniqueid = uid
			self._by_uid[uid] = call
			return []  # learned once it is known whether it needs an operator (a machine does not)
		code = REASONS.get(reason, "failed")
		if reason == 0 and elapsed < self.fast_failure_s:
			code = "failed"
		self._learn(call, False, now)
		note = f"Asterisk OriginateResponse reason {reason}" if reason >= 0 else "OriginateResponse failed"
		return [self._end(call, now, code, reason=reason, note=note)]

	def _learn(self, call: Call, live: bool, now: float) -> None:
		"""The dial's result for the statistics: answered live (it needs an operator), or not (no answer,
		busy, failed, a machine), after the time it rang."""
		runner = self.runners.get(call.campaign)
		if call.learned or runner is None:
			return
		call.learned = True
		rang = (call.answered_at if call.answered_at is not None else now) - call.dialed_at
		runner.estimator.dialed(live, max(0.0, rang))

	def _count(self, call: Call, now: float, abandoned: bool) -> None:
		self._learn(call, True, now)
		if call.counted:
			return
		call.counted = True
		runner = self.runners.get(call.campaign)
		if runner is not None:
			runner.count(now, abandoned)

	def _abandon(self, call: Call, now: float) -> None:
		if call.state == ANSWERED:
			call.state = ABANDONED
			self._count(call, now, abandoned=True)

	def _finish(self, call: Call, now: float, note: str = "") -> Outcome:
		"""The answered call's channel hung up: its outcome (None when an operator took it)."""
		runner = self.runners.get(call.campaign)
		if call.state == CONNECTED:
			if runner is not None and call.connected_at is not None:
				runner.estimator.talk_ended(now - call.connected_at)
				member = self._member(call)
				if member is not None and self.members.wrapup_of(member) > 0:
					runner.estimator.wrap_ended(self.members.wrapup_of(member))
			return self._end(call, now, None, note=note)
		if call.state == MACHINE:
			self._learn(call, False, now)
			return self._end(call, now, "answering_machine", note=note)
		self._abandon(call, now)  # answered, live, never reached an operator
		return self._end(call, now, "abandoned", note=note)

	def _member(self, call: Call) -> Member | None:
		if not call.queue or not call.interface:
			return None
		return self.members.members.get((call.queue, call.interface))

	def _end(
		self, call: Call, now: float, code: str | None, reason: int | None = None, note: str = ""
	) -> Outcome:
		self.calls.pop(call.attempt, None)
		self._by_action.pop(call.action_id, None)
		if call.uniqueid:
			self._by_uid.pop(call.uniqueid, None)
		runner = self.runners.get(call.campaign)
		if runner is not None:
			for tally in (runner.total, runner.period):
				if code == "answering_machine":
					tally.machine += 1
				elif code in ("busy", "no_answer", "failed"):
					tally.failed += 1
		outcome = Outcome(
			attempt=call.attempt,
			contact=call.contact,
			campaign=call.campaign,
			code=code,
			dialed_at=call.dialed_at,
			ended_at=now,
			answered_at=call.answered_at,
			connected_at=call.connected_at,
			abandoned=code == "abandoned",
			amd_status=call.amd_status,
			interface=call.interface,
			linkedid=call.uniqueid,
			reason=reason,
			note=note,
		)
		if runner is not None and not runner.active:
			self._drop_idle()
		return outcome

	# --- housekeeping
	def sweep(self, now: float) -> list[Outcome]:
		"""Calls whose ending was never heard of: no OriginateResponse long after the ring timeout (the AMI
		connection dropped meanwhile, and Asterisk replays nothing) → failed; answered, never connected and
		never hung up for :data:`UNCONNECTED_MAX_S` → closed as :meth:`_finish` would."""
		out = []
		for call in list(self.calls.values()):
			runner = self.runners.get(call.campaign)
			timeout = runner.config.ring_timeout_s if runner else 60
			if call.state == DIALING and now - call.dialed_at > timeout + self.originate_margin_s:
				out.append(self._end(call, now, "failed", note="no OriginateResponse from Asterisk"))
			elif call.state in (ANSWERED, MACHINE, ABANDONED) and now - (call.answered_at or now) > (
				UNCONNECTED_MAX_S
			):
				out.append(self._finish(call, now, note="no hangup heard from Asterisk"))
		return out

	def close_all(self, now: float, note: str) -> list[Outcome]:
		"""The process stops: calls whose result was never heard are failed, answered ones that never reached
		an operator are closed as :meth:`_finish` would; calls with an operator are left to the operator."""
		out = []
		for call in list(self.calls.values()):
			if call.state == DIALING:
				out.append(self._end(call, now, "failed", note=note))
			elif call.state != CONNECTED:
				out.append(self._finish(call, now, note=note))
		return out

	def resync(
		self, channels: Iterable[Mapping], queue_status: Iterable[Mapping], now: float
	) -> list[Outcome]:
		"""After a (re)connect: CoreShowChannels and QueueStatus. Answered calls whose channel is gone ended
		while nobody listened; members and queue callers are replaced by Asterisk's lists."""
		live = {c.get("Uniqueid") for c in channels}
		entries = list(queue_status)
		self.members.reset((e for e in entries if e.get("Event") == "QueueMember"), now)
		callers: dict[str, set[str]] = {}
		for e in entries:
			if e.get("Event") == "QueueEntry" and e.get("Uniqueid"):
				callers.setdefault(e.get("Queue") or "", set()).add(e["Uniqueid"])
		self.queue_callers = callers
		out = []
		for call in list(self.calls.values()):
			if call.state != DIALING and call.uniqueid not in live:
				out.append(self._finish(call, now, note="ended while the AMI connection was down"))
		return out

	def report(self, now: float) -> list[str]:
		"""One progress line per campaign (since the last report), and the window's abandon rate."""
		lines = []
		for name, r in sorted(self.runners.items()):
			p = r.period
			lines.append(
				f"{name}: placed {p.placed}, answered {p.answered} (operator {p.connected}, abandoned "
				f"{p.abandoned}), machines {p.machine}, not answered {p.failed}; abandon "
				f"{100 * r.abandon_rate(now):.2f}% of {r.window_answered} answered in the last "
				f"{self.window_s / 3600:g} h (target {100 * r.config.target:g}%); in flight "
				f"{self.in_flight(name)}"
			)
			r.period = Tally()
		return lines
