"""Calls → tickets: which calls make or join a ticket, and what the ticket's timeline says. Pure.

The rules (CC Settings, Tickets tab):
- only finished calls (``complete``) with a known caller are considered, and each call at most once
  (a call that already has a ticket is left alone);
- an inbound **answered** call (when "ticket for answered calls" is on) joins the caller's open ticket or
  opens a new one;
- an inbound **missed** call (missed, abandoned in the queue, or voicemail; when "ticket for missed
  calls" is on) joins the caller's open ticket with a "call back" note, or opens a "call back" ticket;
- an outbound call joins the contact's open ticket (a click-to-call from a ticket names it) but never
  opens one: the agent chose to call;
- failed calls and withheld numbers make no ticket (there is nobody to call back).
"""

from __future__ import annotations

from dataclasses import dataclass

MISSED = ("missed", "abandoned", "voicemail")
WITHHELD = {"", "anonymous", "unknown", "restricted", "private", "unavailable"}


@dataclass(frozen=True)
class TicketRules:
	for_answered: bool = True
	for_missed: bool = True


@dataclass(frozen=True)
class TicketAction:
	kind: str  # "none" | "create" | "join"
	callback: bool = False
	subject: str = ""
	reason: str = ""


def ticket_action(call: dict, rules: TicketRules, open_ticket: str | None = None) -> TicketAction:
	"""What to do with one CC Call Log (its field values) given the caller's open ticket, if any."""
	if call.get("ticket"):
		return TicketAction("none", reason="already linked to a ticket")
	if not call.get("complete"):
		return TicketAction("none", reason="the call is not finished")
	status, direction = call.get("status"), call.get("direction")
	caller = str(call.get("caller") or "").strip()
	if status == "failed":
		return TicketAction("none", reason="failed calls make no ticket")
	if caller.lower() in WITHHELD:
		return TicketAction("none", reason="the number is withheld")
	if direction == "internal":
		return TicketAction("none", reason="calls between colleagues make no ticket")
	if direction == "outbound":
		if status == "answered" and open_ticket:
			return TicketAction("join", reason="outbound call to a contact with an open ticket")
		return TicketAction("none", reason="outbound calls never open tickets")
	if status == "answered":
		if not rules.for_answered:
			return TicketAction("none", reason="tickets for answered calls are off")
		if open_ticket:
			return TicketAction("join", reason="the caller has an open ticket")
		return TicketAction("create", subject=f"Call from {caller_label(call)}", reason="answered call")
	if status in MISSED:
		if not rules.for_missed:
			return TicketAction("none", reason="tickets for missed calls are off")
		if open_ticket:
			return TicketAction("join", callback=True, reason="missed call from a caller with an open ticket")
		return TicketAction("create", callback=True, subject=f"Call back {caller_label(call)}", reason=status)
	return TicketAction("none", reason=f"status {status!r} makes no ticket")


def caller_label(call: dict) -> str:
	number = str(call.get("caller") or "").strip()
	name = str(call.get("caller_name") or "").strip()
	return f"{name} ({number})" if name and name != number else number


def duration(seconds: int | None) -> str:
	s = int(seconds or 0)
	if s < 60:
		return f"{s} s"
	if s < 3600:
		return f"{s // 60} min {s % 60:02d} s"
	return f"{s // 3600} h {s % 3600 // 60:02d} min"


def timeline_text(call: dict, callback: bool = False) -> str:
	"""One paragraph for the ticket's timeline (plain text; the service escapes it into HTML)."""
	status, who = call.get("status"), caller_label(call)
	queue = f" in queue {call['queue']}" if call.get("queue") else ""
	if call.get("direction") == "outbound":
		agent = call.get("agent") or call.get("answered_by") or "an agent"
		text = f"Outbound call by {agent} to {call.get('caller') or 'unknown'}"
		if status == "answered":
			text += f", talked {duration(call.get('talk_s'))}."
		else:
			text += f", {status}."
	elif status == "answered":
		agent = call.get("agent") or call.get("answered_by") or "an agent"
		wait = f" after {duration(call.get('wait_s'))}{queue}" if call.get("wait_s") else queue
		text = f"Inbound call from {who} answered by {agent}{wait}; talked {duration(call.get('talk_s'))}."
	else:
		reason = {
			"abandoned": f"hung up while waiting{queue} ({duration(call.get('wait_s'))})",
			"voicemail": "left a voicemail",
			"missed": f"was not answered{queue}",
		}.get(status, str(status))
		text = f"Missed call: {who} {reason}."
	if callback:
		text += " Call back."
	if call.get("recording"):
		text += " A recording is on the call log."
	return text
