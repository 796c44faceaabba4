"""Desk actions on live calls as AMI actions: click-to-call, blind and attended transfer, listen / whisper
/ barge, and queue membership (login, logout, pause, level changes). Pure: this module decides *which*
actions to send; ``api/telephony.py`` checks permissions and sends them through ``telephony/ami/service.py``.

Every value that reaches an action is checked here first (extensions, numbers, queue names), so nothing a
user types can become another AMI header or a dialplan pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.asterisk_config.render import AGENT_CONTEXT, DIALER_CONTEXT, TRANSFER_CONTEXT

INTERNAL_CONTEXT = "cc-internal"
SUPERVISOR_CONTEXT = "cc-supervisor"
SPY_MODES = ("listen", "whisper", "barge")
ENDPOINT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")  # CC SIP Account username
DIALLED = re.compile(r"^\+?[0-9]{2,20}$")
QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
ORIGINATE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Action:
	name: str
	fields: dict = field(default_factory=dict)
	variables: dict = field(default_factory=dict)


def endpoint(value: str, what: str = "sip_account") -> str:
	if not ENDPOINT.match(value or ""):
		raise FieldError(what, f"{value!r} is not a SIP account name")
	return value


def dial_target(value: str, what: str = "number") -> str:
	"""A number to dial from an agent's phone: an E.164 number or digits (normalised by the caller), or
	a colleague's SIP account."""
	value = (value or "").strip()
	if DIALLED.match(value) or ENDPOINT.match(value):
		return value
	raise FieldError(what, f"{value!r} is neither a phone number nor a SIP account")


# --- click-to-call ------------------------------------------------------------------------------------


def click_to_call(agent: str, number: str, caller_id: str | None = None, ticket: str | None = None) -> Action:
	"""Ring the agent's own phone first; when they answer, Asterisk dials ``number`` from cc-agents (the
	same rules as dialling it from the softphone). ``ticket`` travels as the inherited channel variable
	CC_TICKET, so the call record joins the ticket it was started from."""
	number = dial_target(number)
	# CC_NUMBER: the record's caller (the customer) even when the agent never picks up and the dialplan that
	# also sets it never runs
	variables = {"__CC_DIRECTION": "outbound", "CC_NUMBER": number}
	if ticket:
		if not re.match(r"^[A-Za-z0-9_.-]{1,140}$", str(ticket)):
			raise FieldError("ticket", f"{ticket!r} is not a ticket name")
		variables["__CC_TICKET"] = ticket
	fields = {
		"Channel": f"PJSIP/{endpoint(agent)}",
		"Context": AGENT_CONTEXT,
		"Exten": number,
		"Priority": 1,
		"Timeout": ORIGINATE_TIMEOUT_MS,
		"Async": "true",
	}
	if caller_id:
		fields["CallerID"] = f"<{dial_target(caller_id, 'caller_id')}>"
	return Action("Originate", fields, variables)


# --- campaign calls (the dialer) ------------------------------------------------------------------------

RECORD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,139}$")  # a Frappe hash or series name
# Originate splits a Variable header on ',' (and strips quotes and backslashes), so a campaign name that
# travels as CC_CAMPAIGN (the CC Call Log's campaign link) must hold none of them (the console's rule too).
CAMPAIGN_NAME = re.compile(r"^[^\x00-\x1f\x7f,;|=\"'\\]{1,140}$")
TRUNK_CHANNEL = "PJSIP/{number}@trunk"


def originate_campaign_call(
	number: str,
	queue: str,
	campaign: str,
	contact: str,
	attempt: str,
	caller_id: str | None = None,
	amd: bool = False,
	timeout_s: int = 25,
) -> Action:
	"""Dial a campaign contact through the provider trunk; when answered, Asterisk runs ``s@cc-dialer``
	(optional answering-machine detection, then ``queue`` for at most 2 s, else the abandon message).

	Async: the response only says the call was queued; the OriginateResponse event (matched by ActionID)
	says how it ended: answered (Reason 4), busy (5), no answer (3 or 0), congestion (8), failed (1).
	CC_CAMPAIGN, CC_CONTACT and CC_ATTEMPT name the records, so the call log and the reports of the
	dialplan (UserEvent CCDialer) lead back to them."""
	if not CAMPAIGN_NAME.match(campaign or ""):
		raise FieldError(
			"campaign",
			f"{campaign!r} cannot be dialed: its name must not contain , ; | = quotes or backslashes",
		)
	for what, value in (("contact", contact), ("attempt", attempt)):
		if not RECORD_NAME.match(value or ""):
			raise FieldError(what, f"{value!r} is not a record name")
	if not QUEUE.match(queue or ""):
		raise FieldError("call_queue", f"{queue!r} is not a queue name")
	number = (number or "").strip()
	if not DIALLED.match(number):
		raise FieldError("phone", f"{number!r} is not a phone number")
	if not isinstance(timeout_s, int) or not 5 <= timeout_s <= 120:
		raise FieldError("ring_timeout", f"must be from 5 to 120 seconds, not {timeout_s!r}")
	fields = {
		"Channel": TRUNK_CHANNEL.format(number=number),
		"Context": DIALER_CONTEXT,
		"Exten": "s",
		"Priority": 1,
		"Timeout": timeout_s * 1000,
		"Async": "true",
	}
	if caller_id:
		caller = (caller_id or "").strip()
		if not DIALLED.match(caller):
			raise FieldError("caller_id", f"{caller_id!r} is not a phone number")
		fields["CallerID"] = f"<{caller}>"
	variables = {
		"CC_NUMBER": number,  # the number dialled: the call record's "did" for an outbound call
		"CC_CAMPAIGN": campaign,
		"CC_CONTACT": contact,
		"CC_ATTEMPT": attempt,
		"CC_QUEUE": queue,
		"CC_AMD": "1" if amd else "0",
	}
	return Action("Originate", fields, variables)


# --- finding an agent's live call ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveCall:
	agent_channel: str
	peer_channel: str | None  # the other side of the agent's bridge, if bridged
	linkedid: str


def agent_call(channels: list[dict], agent: str) -> LiveCall:
	"""The agent's current call from ``CoreShowChannels``: their channel (``PJSIP/<agent>-…``) and the
	channel bridged with it. Raises FieldError when the agent is not on a call."""
	prefix = f"PJSIP/{endpoint(agent)}-"
	mine = [c for c in channels if c.get("Channel", "").startswith(prefix)]
	bridged = [c for c in mine if c.get("BridgeId")]
	if not mine:
		raise FieldError("agent", f"{agent} is not on a call")
	own = (bridged or mine)[0]
	bridge = own.get("BridgeId")
	peers = [
		c
		for c in channels
		if bridge and c.get("BridgeId") == bridge and c.get("Channel") != own.get("Channel")
	]
	return LiveCall(
		agent_channel=own["Channel"],
		peer_channel=peers[0]["Channel"] if peers else None,
		linkedid=own.get("Linkedid") or own.get("Uniqueid") or "",
	)


def blind_transfer(call: LiveCall, target: str) -> Action:
	"""Send the agent's caller to ``target`` (a colleague's SIP account or an outside number) and free the
	agent at once: Asterisk's BlindTransfer on the agent's channel into cc-transfer. Unlike a Redirect of
	the caller it is a real transfer: Asterisk reports BlindTransfer and ends the agent's queue call with
	AgentComplete Reason=transfer, so the record has the transfer and the agent's own talk time."""
	if not call.peer_channel:
		raise FieldError("agent", "the call is not connected to anyone yet: nothing to transfer")
	return Action(
		"BlindTransfer",
		{"Channel": call.agent_channel, "Context": TRANSFER_CONTEXT, "Exten": dial_target(target, "target")},
	)


def attended_transfer(call: LiveCall, target: str) -> Action:
	"""The agent talks to ``target`` first, the caller on hold; hanging up completes the transfer
	(Asterisk's Atxfer on the agent's channel)."""
	if not call.peer_channel:
		raise FieldError("agent", "the call is not connected to anyone yet: nothing to transfer")
	return Action(
		"Atxfer",
		{"Channel": call.agent_channel, "Exten": dial_target(target, "target"), "Context": TRANSFER_CONTEXT},
	)


# --- listen / whisper / barge -------------------------------------------------------------------------


def spy(supervisor: str, agent: str, mode: str) -> Action:
	"""Ring the supervisor's phone; on answer ChanSpy joins the agent's call (cc-supervisor context):
	listen = hear both sides, whisper = speak to the agent only, barge = speak to both."""
	if mode not in SPY_MODES:
		raise FieldError("mode", f"{mode!r} is not one of {', '.join(SPY_MODES)}")
	if endpoint(supervisor, "supervisor") == endpoint(agent, "agent"):
		raise FieldError("agent", "a supervisor cannot listen to their own phone")
	return Action(
		"Originate",
		{
			"Channel": f"PJSIP/{supervisor}",
			"Context": SUPERVISOR_CONTEXT,
			"Exten": f"{mode}-{agent}",
			"Priority": 1,
			"Timeout": ORIGINATE_TIMEOUT_MS,
			"Async": "true",
			"CallerID": f'"{mode.title()} {agent}" <{mode}>',
		},
	)


# --- queue membership (agent presence) ----------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
	"""One agent in one Asterisk queue: the level is the member's penalty (DESIGN §4 queue levels), the
	position orders members within a level."""

	queue: str
	interface: str  # PJSIP/<sip account>
	level: int = 0
	paused: bool = False
	name: str = ""
	position: int = 0


def _check(m: Membership) -> Membership:
	if not QUEUE.match(m.queue or ""):
		raise FieldError("queue", f"{m.queue!r} is not a queue name")
	if not m.interface.startswith("PJSIP/"):
		raise FieldError("interface", f"{m.interface!r} must be PJSIP/<sip account>")
	endpoint(m.interface[6:], "interface")
	if not 0 <= int(m.level) <= 99:
		raise FieldError("level", f"{m.level} must be from 0 to 99")
	return m


def queue_add(m: Membership, reason: str = "") -> Action:
	m = _check(m)
	fields = {
		"Queue": m.queue,
		"Interface": m.interface,
		"Penalty": int(m.level),
		"Paused": "true" if m.paused else "false",
		"MemberName": re.sub(r"[^\w .@-]", "", m.name or m.interface)[:80],
		"StateInterface": m.interface,
	}
	if reason and m.paused:
		fields["Reason"] = _reason(reason)
	return Action("QueueAdd", fields)


def queue_remove(m: Membership) -> Action:
	m = _check(m)
	return Action("QueueRemove", {"Queue": m.queue, "Interface": m.interface})


def queue_pause(m: Membership, paused: bool, reason: str = "") -> Action:
	m = _check(m)
	fields = {"Queue": m.queue, "Interface": m.interface, "Paused": "true" if paused else "false"}
	if reason:
		fields["Reason"] = _reason(reason)
	return Action("QueuePause", fields)


def queue_penalty(m: Membership) -> Action:
	m = _check(m)
	return Action("QueuePenalty", {"Queue": m.queue, "Interface": m.interface, "Penalty": int(m.level)})


def _reason(text: str) -> str:
	return re.sub(r"[^\w .:-]", "", text)[:60]


def reconcile(
	desired: list[Membership],
	actual: list[Membership],
	ordered: frozenset[str] = frozenset(),
	reason: str = "",
) -> list[Action]:
	"""The actions that turn Asterisk's dynamic queue members (``actual``, in Asterisk's order, from
	QueueStatus) into ``desired`` (logged-in agents with their levels, positions and pause state).

	Levels are penalties, so order across levels never matters. Within a level Asterisk's ``linear``
	strategy rings dynamic members in the order they were added; for the queues in ``ordered`` the
	members of a level that are out of position are removed and added again in position order (their
	calls in progress are not touched). Idempotent: reconciling the result again gives no action.
	Order of the actions: removals, then additions, then level and pause changes."""
	want = {(m.queue, m.interface): _check(m) for m in desired}
	have = {(m.queue, m.interface): m for m in actual}
	readd: set[tuple[str, str]] = set()
	for queue in ordered:
		for level in {m.level for m in want.values() if m.queue == queue}:
			target = [
				(m.queue, m.interface)
				for m in sorted(want.values(), key=lambda m: (m.position, m.interface))
				if m.queue == queue and m.level == level
			]
			present = [(m.queue, m.interface) for m in actual if (m.queue, m.interface) in target]
			# keep the longest common prefix; everything after it is (re)added in position order
			keep = 0
			while keep < len(present) and present[keep] == target[keep]:
				keep += 1
			readd.update(present[keep:])
	gone = sorted(have.keys() - want.keys())
	actions = [queue_remove(have[key]) for key in gone]
	actions += [queue_remove(have[key]) for key in sorted(readd)]
	added = [want[key] for key in want.keys() - have.keys() | readd]
	actions += [
		queue_add(m, reason) for m in sorted(added, key=lambda m: (m.queue, m.level, m.position, m.interface))
	]
	for key in sorted(want.keys() & have.keys() - readd):
		w, h = want[key], have[key]
		if int(w.level) != int(h.level):
			actions.append(queue_penalty(w))
		if w.paused != h.paused:
			actions.append(queue_pause(w, w.paused, reason))
	return actions


def members_from_status(events: list[dict]) -> list[Membership]:
	"""QueueStatus ``QueueMember`` events → memberships (dynamic members only: static ones from
	queues.conf cannot be removed over AMI, so they are left alone)."""
	out = []
	for e in events:
		if e.get("Event") != "QueueMember":
			continue
		if e.get("Membership", "dynamic") not in ("dynamic", "realtime"):
			continue
		interface = e.get("StateInterface") or e.get("Location") or e.get("Interface") or ""
		if not interface.startswith("PJSIP/"):
			continue
		out.append(
			Membership(
				queue=e.get("Queue", ""),
				interface=interface,
				level=int(e.get("Penalty") or 0),
				paused=e.get("Paused") in ("1", "true", "yes"),
				name=e.get("Name", ""),
			)
		)
	return out
