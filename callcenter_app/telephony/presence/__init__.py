"""Agent presence: work modes → queue memberships, SIP registrations, and the live notices the bridge
passes on (incoming-call popups, registration changes). Pure.

An agent is *logged in* or not, and while logged in is in one **work mode** (Available, Break, Phone,
custom ones). A mode says whether it receives calls and whether it receives tickets. Logged-in agents are
members of their queues (penalty = level); in a mode that does not receive calls they stay members but
paused, with the mode as the pause reason, so Asterisk's queue reports show why.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter_app.telephony.actions import Membership


@dataclass(frozen=True)
class WorkMode:
	name: str
	receives_calls: bool = True
	receives_tickets: bool = True


@dataclass(frozen=True)
class AgentState:
	user: str
	logged_in: bool
	work_mode: str | None = None


@dataclass(frozen=True)
class QueueSeat:
	"""A CC Call Queue Member row: who may take calls in which queue, at which level and position."""

	queue: str
	user: str
	sip_account: str
	level: int = 0
	position: int = 0
	name: str = ""


def desired_memberships(
	agents: list[AgentState], seats: list[QueueSeat], modes: dict[str, WorkMode]
) -> list[Membership]:
	"""The Asterisk queue members the logged-in agents should be. An agent without a SIP account has no
	seat; a mode that is missing (deleted meanwhile) is treated as not receiving calls."""
	state = {a.user: a for a in agents}
	out = []
	for seat in seats:
		agent = state.get(seat.user)
		if agent is None or not agent.logged_in or not seat.sip_account:
			continue
		mode = modes.get(agent.work_mode or "")
		out.append(
			Membership(
				queue=seat.queue,
				interface=f"PJSIP/{seat.sip_account}",
				level=int(seat.level or 0),
				paused=not (mode and mode.receives_calls),
				name=seat.name or seat.user,
				position=int(seat.position or 0),
			)
		)
	return out


def receives(agent: AgentState, modes: dict[str, WorkMode], what: str) -> bool:
	"""Whether a logged-in agent's mode takes ``what`` ("calls" or "tickets")."""
	mode = modes.get(agent.work_mode or "")
	return bool(agent.logged_in and mode and getattr(mode, f"receives_{what}"))


# --- SIP registrations ---------------------------------------------------------------------------------

REACHABLE = {"Reachable", "Created", "Updated", "NonQualified"}


@dataclass(frozen=True)
class Registration:
	endpoint: str
	status: str  # "registered" | "unreachable" | "unregistered"
	contacts: int = 0
	rtt_ms: float | None = None
	user_agent: str = ""


class Registrations:
	"""Per endpoint, its live contacts from ContactStatus events (and PJSIPShowContacts at connect).
	``feed`` returns the endpoint's new Registration when it changed, else None."""

	def __init__(self):
		self._contacts: dict[str, dict[str, dict]] = {}
		self._last: dict[str, Registration] = {}

	def feed(self, event: dict) -> Registration | None:
		name = event.get("Event")
		if name == "ContactStatus":
			aor = event.get("AOR") or event.get("EndpointName") or ""
			uri, status = event.get("URI", ""), event.get("ContactStatus", "")
			rtt = event.get("RoundtripUsec")
		elif name == "ContactList":
			aor = event.get("Aor") or event.get("Endpoint") or ""
			uri, status = event.get("Uri", ""), event.get("Status", "")
			rtt = event.get("RoundtripUsec")
		else:
			return None
		if not aor:
			return None
		contacts = self._contacts.setdefault(aor, {})
		if status == "Removed":
			contacts.pop(uri, None)
		else:
			contacts[uri] = {"status": status, "rtt": rtt, "ua": event.get("UserAgent", "")}
		return self._changed(aor)

	def reset(self, contact_list: list[dict]) -> list[Registration]:
		"""A fresh PJSIPShowContacts after (re)connect replaces what was known; returns every endpoint
		whose state changed, including those that vanished."""
		before = set(self._contacts)
		self._contacts = {}
		for event in contact_list:
			aor = event.get("Aor") or event.get("Endpoint") or ""
			uri = event.get("Uri", "")
			if aor:
				self._contacts.setdefault(aor, {})[uri] = {
					"status": event.get("Status", ""),
					"rtt": event.get("RoundtripUsec"),
					"ua": event.get("UserAgent", ""),
				}
		return [r for aor in sorted(before | set(self._contacts)) if (r := self._changed(aor))]

	def get(self, endpoint: str) -> Registration:
		return self._last.get(endpoint) or Registration(endpoint, "unregistered")

	def _changed(self, aor: str) -> Registration | None:
		contacts = self._contacts.get(aor, {})
		live = [c for c in contacts.values() if c["status"] in REACHABLE]
		if live:
			rtts = [
				float(c["rtt"]) / 1000 for c in live if str(c.get("rtt") or "").isdigit() and int(c["rtt"])
			]
			reg = Registration(aor, "registered", len(live), min(rtts) if rtts else None, live[0]["ua"])
		elif contacts:
			reg = Registration(aor, "unreachable", 0)
		else:
			reg = Registration(aor, "unregistered", 0)
		if self._last.get(aor) == reg:
			return None
		self._last[aor] = reg
		return reg


# --- live notices for the agent's screen ---------------------------------------------------------------


def interface_of(event: dict) -> str:
	"""``PJSIP/ann`` from AgentCalled/AgentConnect (Interface, or the member channel ``PJSIP/ann-0001``)."""
	interface = event.get("Interface") or event.get("MemberName") or ""
	if interface.startswith("PJSIP/"):
		return interface
	channel = event.get("DestChannel") or ""
	return channel.rsplit("-", 1)[0] if channel.startswith("PJSIP/") else ""


def ring_notice(event: dict) -> dict | None:
	"""AgentCalled → "ringing" (open the popup); AgentConnect → "answered"; AgentRingNoAnswer →
	"missed" (close it). Only for the agent being rung: the service publishes to that user alone."""
	kind = {"AgentCalled": "ringing", "AgentConnect": "answered", "AgentRingNoAnswer": "missed"}.get(
		event.get("Event", "")
	)
	interface = interface_of(event)
	if kind is None or not interface:
		return None
	return {
		"kind": kind,
		"interface": interface,
		"linkedid": event.get("Linkedid") or event.get("Uniqueid") or "",
		"caller": event.get("CallerIDNum") or "",
		"caller_name": "" if event.get("CallerIDName") in (None, "<unknown>") else event["CallerIDName"],
		"queue": event.get("Queue") or "",
	}
