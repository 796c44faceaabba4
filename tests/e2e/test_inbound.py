"""(c) An inbound call from the carrier through cc-inbound and the route server to a registered agent;
(d) the route server's faults on a live PBX: a missing IVR prompt, a queue Asterisk does not have,
voicemail. Each checked against ami-tail's call record and the route server's log."""

from __future__ import annotations

from lab import DID_MENU_MISSING_PROMPT, DID_SUPPORT, DID_UNKNOWN_QUEUE, DID_VOICEMAIL


def test_inbound_call_is_answered_by_a_registered_agent(idle):
	lab = idle
	with lab.session() as s:
		contacts = s.action_list("PJSIPShowContacts")
	registered = {
		c.get("Endpoint") for c in contacts if c.get("Status") in ("Reachable", "Unknown", "Created")
	}
	assert {"ann", "bob", "dora"} <= registered, contacts
	caller = lab.call_in(DID_SUPPORT, hold=5)
	record = lab.wait_record(lambda r: r["caller"] == caller, 30)
	assert record["direction"] == "inbound"
	assert record["status"] == "answered"
	assert record["queue"] == "support"
	assert record["route"] == "Support"
	assert record["did"] == DID_SUPPORT
	assert record["answered_by"] == "ann"
	assert record["agent_interface"] == "PJSIP/ann"
	assert 0 <= record["wait_s"] <= 3
	assert 3 <= record["talk_s"] <= 7
	assert lab.route_path(caller).endswith("q_support:end → answered (queue support)")


def test_missing_ivr_prompt_does_not_hang_up_on_the_caller(idle):
	"""Fault 7: GET DATA on a missing prompt gives result=-1 on a live channel; that is no input."""
	lab = idle
	caller = lab.call_in(DID_MENU_MISSING_PROMPT, hold=8)
	record = lab.wait_record(lambda r: r["caller"] == caller, 30)
	assert record["route"] == "Menu without its prompt"
	assert record["status"] == "answered", record
	assert record["queue"] == "support"
	assert record["answered_by"] == "ann"
	assert lab.route_path(caller).endswith("menu:timeout | q_support:end → answered (queue support)")
	assert "custom/lab-missing-menu could not be played" in lab.agi_log()


def test_queue_missing_in_asterisk_overflows(idle):
	"""Fault 8: Queue(vip) → "Unable to join queue", QUEUESTATUS=UNKNOWN: not an answer, take the overflow."""
	lab = idle
	caller = lab.call_in(DID_UNKNOWN_QUEUE, hold=6)
	record = lab.wait_record(lambda r: r["caller"] == caller, 30)
	assert record["status"] == "answered", record
	assert record["queue"] == "support"
	assert record["answered_by"] == "ann"
	assert lab.route_path(caller).endswith("q_vip:overflow | q_support:end → answered (queue support)")


def test_voicemail_through_the_route_server_is_recorded_as_voicemail(idle):
	"""Fault 6: VoiceMail run by the route server (AGI EXEC) shows as AGIExecStart, not Newexten."""
	lab = idle
	caller = lab.call_in(DID_VOICEMAIL, hold=12)
	record = lab.wait_record(lambda r: r["caller"] == caller, 30)
	assert record["route"] == "Voicemail"
	assert record["status"] == "voicemail", record
	assert record["voicemail"].startswith("100@default")
	inbox = lab.pbx.root / "spool" / "voicemail" / "default" / "100" / "INBOX"
	assert any(p.suffix == ".wav" for p in inbox.iterdir()), "no message was left"
	assert lab.route_path(caller).endswith("vm:end → voicemail (mailbox 100@default)")
