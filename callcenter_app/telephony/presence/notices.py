"""What the AMI bridge passes on to the desk, live: SIP registrations (from ContactStatus / PJSIPShowContacts)
and the ring notices of the incoming-call popup (AgentCalled / AgentConnect / AgentRingNoAnswer). Pure.

The Frappe side (``telephony/notices/service.py``) publishes them: ring notices to the agent rung alone,
registrations to a cache hash the PBX Agents report reads.
"""

from __future__ import annotations

from dataclasses import dataclass

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
