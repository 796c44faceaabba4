"""Agent presence (work modes → queue members, SIP registrations, ring notices) and the calls → tickets
rules. Pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.telephony.call_tickets.rules import TicketRules, duration, ticket_action, timeline_text
from callcenter_app.telephony.presence.modes import (
	AgentState,
	QueueSeat,
	WorkMode,
	desired_memberships,
	receives,
)
from callcenter_app.telephony.presence.notices import Registrations, ring_notice

MODES = {
	"Available": WorkMode("Available", True, True),
	"Phone": WorkMode("Phone", True, False),
	"Break": WorkMode("Break", False, False),
}


def test_logged_in_agents_are_members_paused_when_their_mode_takes_no_calls():
	agents = [
		AgentState("ann@x", True, "Available"),
		AgentState("bob@x", True, "Break"),
		AgentState("cy@x", False, "Available"),
		AgentState("dee@x", True, "Deleted mode"),
	]
	seats = [
		QueueSeat("support", "ann@x", "ann", level=1, position=2),
		QueueSeat("support", "bob@x", "bob", level=2),
		QueueSeat("support", "cy@x", "cy"),
		QueueSeat("support", "dee@x", "dee"),
		QueueSeat("sales", "ann@x", "", level=1),  # no SIP account: no seat
	]
	got = {(m.interface, m.level, m.paused, m.position) for m in desired_memberships(agents, seats, MODES)}
	assert got == {("PJSIP/ann", 1, False, 2), ("PJSIP/bob", 2, True, 0), ("PJSIP/dee", 0, True, 0)}


def test_receives_needs_login_and_a_mode_that_takes_it():
	assert receives(AgentState("a", True, "Phone"), MODES, "calls")
	assert not receives(AgentState("a", True, "Phone"), MODES, "tickets")
	assert not receives(AgentState("a", False, "Available"), MODES, "tickets")
	assert not receives(AgentState("a", True, None), MODES, "calls")


def contact(aor, uri, status, rtt="0"):
	return {"Event": "ContactStatus", "AOR": aor, "URI": uri, "ContactStatus": status, "RoundtripUsec": rtt}


def test_registrations_follow_contact_events_and_report_changes_only():
	r = Registrations()
	first = r.feed(contact("ann", "sip:ann@10.0.0.7:5060", "Created"))
	assert (first.status, first.contacts) == ("registered", 1)
	assert r.feed(contact("ann", "sip:ann@10.0.0.7:5060", "Reachable", "12000")).rtt_ms == 12.0
	assert r.feed(contact("ann", "sip:ann@10.0.0.7:5060", "Reachable", "12000")) is None  # no change
	assert r.feed(contact("ann", "sip:ann@10.0.0.7:5060", "Unreachable")).status == "unreachable"
	assert r.feed(contact("ann", "sip:ann@10.0.0.7:5060", "Removed")).status == "unregistered"
	assert r.get("nobody").status == "unregistered"


def test_registrations_reset_reports_vanished_endpoints():
	r = Registrations()
	r.feed(contact("ann", "sip:a", "Reachable"))
	r.feed(contact("bob", "sip:b", "Reachable"))
	changed = r.reset([{"Aor": "bob", "Uri": "sip:b", "Status": "Reachable", "RoundtripUsec": "0"}])
	assert [(x.endpoint, x.status) for x in changed] == [("ann", "unregistered")]


@given(
	st.lists(
		st.tuples(
			st.sampled_from(["u1", "u2"]), st.sampled_from(["Reachable", "Unreachable", "Removed", "Created"])
		)
	)
)
def test_registration_is_registered_iff_a_live_contact_remains(steps):
	r = Registrations()
	live = {}
	for uri, status in steps:
		r.feed(contact("ann", uri, status))
		if status == "Removed":
			live.pop(uri, None)
		else:
			live[uri] = status
	reachable = [s for s in live.values() if s != "Unreachable"]
	expected = "registered" if reachable else ("unreachable" if live else "unregistered")
	assert r.get("ann").status == expected


def test_ring_notices_name_the_agent_and_the_caller():
	called = {
		"Event": "AgentCalled",
		"Interface": "PJSIP/ann",
		"CallerIDNum": "+37060000001",
		"CallerIDName": "<unknown>",
		"Queue": "support",
		"Linkedid": "17.1",
	}
	assert ring_notice(called) == {
		"kind": "ringing",
		"interface": "PJSIP/ann",
		"linkedid": "17.1",
		"caller": "+37060000001",
		"caller_name": "",
		"queue": "support",
	}
	assert ring_notice({**called, "Event": "AgentConnect"})["kind"] == "answered"
	assert ring_notice({"Event": "AgentCalled", "Interface": "", "DestChannel": "PJSIP/bob-0001"})[
		"interface"
	] == ("PJSIP/bob")
	assert ring_notice({"Event": "Newchannel"}) is None


# --- calls → tickets -----------------------------------------------------------------------------------

CALL = {
	"linkedid": "1.1",
	"complete": 1,
	"direction": "inbound",
	"status": "answered",
	"caller": "+37060000001",
	"caller_name": "Jonas",
	"queue": "support",
	"agent": "ann@x",
	"wait_s": 12,
	"talk_s": 192,
}


@pytest.mark.parametrize(
	"change, rules, open_ticket, kind, callback",
	[
		({}, TicketRules(), None, "create", False),
		({}, TicketRules(), "T-1", "join", False),
		({}, TicketRules(for_answered=False), None, "none", False),
		({"status": "missed"}, TicketRules(), None, "create", True),
		({"status": "abandoned"}, TicketRules(), "T-1", "join", True),
		({"status": "voicemail"}, TicketRules(for_missed=False), None, "none", False),
		({"status": "failed"}, TicketRules(), None, "none", False),
		({"caller": "anonymous"}, TicketRules(), None, "none", False),
		({"complete": 0}, TicketRules(), None, "none", False),
		({"ticket": "T-9"}, TicketRules(), "T-1", "none", False),
		({"direction": "outbound"}, TicketRules(), None, "none", False),
		({"direction": "outbound"}, TicketRules(), "T-1", "join", False),
		({"direction": "outbound", "status": "missed"}, TicketRules(), "T-1", "none", False),
		({"direction": "internal"}, TicketRules(), None, "none", False),  # a colleague's call
		({"direction": "internal", "status": "missed"}, TicketRules(), "T-1", "none", False),
	],
)
def test_ticket_rules(change, rules, open_ticket, kind, callback):
	action = ticket_action({**CALL, **change}, rules, open_ticket)
	assert (action.kind, action.callback) == (kind, callback), action.reason
	assert action.reason


def test_ticket_subjects_and_timeline():
	assert ticket_action(CALL, TicketRules()).subject == "Call from Jonas (+37060000001)"
	missed = {**CALL, "status": "abandoned", "caller_name": ""}
	assert ticket_action(missed, TicketRules()).subject == "Call back +37060000001"
	assert timeline_text(CALL) == (
		"Inbound call from Jonas (+37060000001) answered by ann@x after 12 s in queue support; talked 3 min 12 s."
	)
	assert timeline_text(missed, callback=True) == (
		"Missed call: +37060000001 hung up while waiting in queue support (12 s). Call back."
	)
	assert (duration(59), duration(61), duration(3725)) == ("59 s", "1 min 01 s", "1 h 02 min")


def test_registrations_reset_reports_new_endpoints_too():
	r = Registrations()
	changed = r.reset([{"Aor": "ann", "Uri": "sip:a", "Status": "Reachable", "RoundtripUsec": "5000"}])
	assert [(x.endpoint, x.status, x.rtt_ms) for x in changed] == [("ann", "registered", 5.0)]
	assert r.reset([{"Aor": "ann", "Uri": "sip:a", "Status": "Reachable", "RoundtripUsec": "5000"}]) == []
