"""Desk actions on live calls, sent as telephony/actions.py builds them through a one-shot AMI session (what
the desk does): (e) click-to-call, (f) blind and attended transfer, (g) listen, whisper and barge."""

from __future__ import annotations

import time

import pytest
from lab import AGENTS, DID_SUPPORT, PERSON, callee

from callcenter_app.telephony import actions


def _first_channel(lab, prefix: str, since: int) -> dict:
	return lab.pbx_ami.wait(
		lambda e: e["Event"] == "Newchannel" and e.get("Channel", "").startswith(prefix),
		15,
		f"a channel {prefix}…",
		since,
	)


def test_click_to_call_is_outbound_and_joins_the_ticket(idle):
	"""Fault 5: Asterisk reports the inherited __CC_DIRECTION / __CC_TICKET with their prefix."""
	lab = idle
	mark = lab.pbx_ami.mark()
	number = callee(PERSON, 1)  # the person hangs up 6 s after answering
	lab.desk(actions.click_to_call("ann", number, ticket="HD-LAB-1"))
	linkedid = _first_channel(lab, "PJSIP/ann-", mark)["Linkedid"]
	lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "DialEnd" and e.get("DialStatus") == "ANSWER" and e.get("Linkedid") == linkedid
		),
		20,
		"the number answered",
		mark,
	)
	record = lab.wait_record(lambda r: r["linkedid"] == linkedid, 25)
	assert record["status"] == "answered"
	assert record["dial_status"] == "answer"
	assert record["direction"] == "outbound", record
	assert record["ticket"] == "HD-LAB-1", record


def _connected_inbound(lab, hold: int = 40) -> tuple[str, actions.LiveCall]:
	caller = lab.call_in(DID_SUPPORT, hold=hold)
	return caller, lab.live_call("ann", 20)


def test_blind_transfer_records_the_target_and_the_first_agents_talk(idle):
	"""Faults 2 and 12: the record has the transfer with its real target and ann's own talk time."""
	lab = idle
	caller, call = _connected_inbound(lab)
	time.sleep(3)  # ann talks for about 3 s
	lab.desk(actions.blind_transfer(call, "bob"))
	lab.live_call("bob", 15)
	time.sleep(2)
	lab.hangup_carrier()
	record = lab.wait_record(lambda r: r["caller"] == caller, 25)
	assert record["status"] == "answered"
	assert record["answered_by"] == "ann"
	assert [(t["kind"], t["to"]) for t in record["transfers"]] == [("blind", "bob")], record["transfers"]
	assert 2 <= record["talk_s"] <= 5, record  # ann's part only, not the call's 5 s and more


def test_attended_transfer_records_the_target(idle):
	"""Fault 12: Atxfer needs the atxfer code and a Queue run with 't'. Asterisk's Atxfer action queues the
	target to the agent's channel as DTMF digits, so the desk dials a colleague by extension (the lab found
	that a SIP account name such as "bob" can never be reached that way)."""
	lab = idle
	caller, call = _connected_inbound(lab)
	time.sleep(2)
	mark = lab.pbx_ami.mark()
	lab.desk(actions.attended_transfer(call, AGENTS["bob"].extension))
	_first_channel(lab, "PJSIP/bob-", mark)
	lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/bob-"),
		15,
		"bob talking to ann",
		mark,
	)
	time.sleep(2)
	lab.phones["ann"].hangup()  # ann hangs up: the caller goes to bob
	lab.pbx_ami.wait(lambda e: e["Event"] == "AttendedTransfer", 10, "AttendedTransfer", mark)
	time.sleep(2)
	lab.hangup_carrier()
	record = lab.wait_record(lambda r: r["caller"] == caller, 25)
	assert record["status"] == "answered"
	assert record["answered_by"] == "ann"
	assert [(t["kind"], t["to"]) for t in record["transfers"]] == [("attended", "bob")], record["transfers"]


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_supervisor_joins_a_connected_call(idle, mode):
	lab = idle
	caller, call = _connected_inbound(lab)
	mark = lab.pbx_ami.mark()
	lab.desk(actions.spy("dora", "ann", mode))
	start = lab.pbx_ami.wait(lambda e: e["Event"] == "ChanSpyStart", 15, f"ChanSpyStart ({mode})", mark)
	assert start["SpyerChannel"].startswith("PJSIP/dora-")
	assert start["SpyeeChannel"] == call.agent_channel
	lab.phones["dora"].hangup()
	lab.pbx_ami.wait(lambda e: e["Event"] == "ChanSpyStop", 10, "ChanSpyStop", mark)
	# the listening is no call of its own: only the customer's call is recorded (it was an inbound
	# "missed" call from "listen" too)
	lab.hangup_carrier()
	lab.wait_record(lambda r: r["caller"] == caller, 25)
	time.sleep(2)
	assert [r for r in lab.records() if r["caller"] == mode] == []


def test_listening_to_ann_never_reaches_her_namesake_s_call(idle):
	"""ChanSpy(PJSIP/ann-) alone matches the channels of "ann-2" too (a SIP username may hold '-'): with ann
	idle and ann-2 talking to bob, listening to ann must join nothing. Each endpoint's spy group (its own
	name) and ChanSpy's g() keep the supervisor to ann's own calls."""
	lab = idle
	mark = lab.pbx_ami.mark()
	lab.phones["ann-2"].dial("bob")
	lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/bob-"),
		15,
		"ann-2 talking to bob",
		mark,
	)
	lab.desk(actions.spy("dora", "ann", "listen"))
	lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "Newexten"
			and e.get("Channel", "").startswith("PJSIP/dora-")
			and e.get("Application") == "ChanSpy"
		),
		15,
		"dora's phone in ChanSpy",
		mark,
	)
	time.sleep(4)  # ChanSpy scans the channels about once a second
	assert lab.pbx_ami.find(lambda e: e["Event"] == "ChanSpyStart", mark) == []
	lab.phones["dora"].hangup()
	lab.phones["ann-2"].hangup()
	time.sleep(1)


def test_attended_transfer_to_an_outside_number(idle):
	"""Atxfer sends its target to the channel as DTMF, so only digits can be a target: an outside number
	written as digits (no '+') reaches cc-transfer's _X. and the carrier."""
	lab = idle
	caller, call = _connected_inbound(lab)
	time.sleep(2)
	mark = lab.pbx_ami.mark()
	target = callee(PERSON, 9)[1:]  # digits only; the person stays 30 s
	lab.desk(actions.attended_transfer(call, target))
	lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "DialEnd"
			and e.get("DialStatus") == "ANSWER"
			and e.get("DestExten", target) == target
		),
		15,
		"the outside number answering",
		mark,
	)
	time.sleep(1)
	lab.phones["ann"].hangup()
	lab.pbx_ami.wait(lambda e: e["Event"] == "AttendedTransfer", 10, "AttendedTransfer", mark)
	time.sleep(1)
	lab.hangup_carrier()
	record = lab.wait_record(lambda r: r["caller"] == caller, 25)
	assert record["answered_by"] == "ann"
	assert [(t["kind"], t["to"]) for t in record["transfers"]] == [("attended", target)], record["transfers"]
