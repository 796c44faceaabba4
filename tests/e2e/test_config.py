"""(a) The rendered configuration loads into Asterisk 22 cleanly; (b) supervisors' extensions match and a
softphone cannot dial its way into them."""

from __future__ import annotations

import re
import time

import pytest
from lab import AGENTS, wait_until


def test_rendered_config_loads_without_warnings(lab):
	# WARNING/ERROR lines the PBX logged from its start until every phone registered and the agents joined
	# their queues ("Unknown keyword in queue" was a live fault)
	assert lab.startup_log == []
	queues = lab.pbx.cli("queue show")
	assert "support has" in queues and "sales has" in queues
	endpoints = lab.pbx.cli("pjsip show endpoints")
	for name in (*AGENTS, "trunk"):
		assert f" {name} " in endpoints or f" {name}/" in endpoints
	for context in ("cc-inbound", "cc-agents", "cc-transfer", "cc-supervisor", "cc-autoanswer", "cc-dialer"):
		assert f"Context '{context}'" in lab.pbx.cli(f"dialplan show {context}")
	features = lab.pbx.cli("features show")
	assert re.search(r"Attended Transfer\s+(\S+\s+)?\*2", features, re.I), features


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_supervisor_extensions_match(lab, mode):
	out = lab.pbx.cli(f"dialplan show {mode}-ann@cc-supervisor")
	assert "ChanSpy(PJSIP/" in out, out
	assert "1 extension" in out, out


def test_softphone_cannot_dial_into_spy(idle):
	lab = idle
	ann = lab.phones["ann"]
	mark, phone_mark = lab.pbx_ami.mark(), ann.mark()
	log_before = len(lab.pbx.log_lines())
	ann.dial("1&Local/listen-bob%40cc-supervisor")
	refused = wait_until(
		lambda: [line for line in lab.pbx.log_lines()[log_before:] if "refused to dial" in line],
		10,
		"the 'refused to dial' warning",
	)
	assert "PJSIP/ann-" in refused[0]
	ann.wait_event("CALL_CLOSED", 10, phone_mark)
	time.sleep(1)
	assert lab.pbx_ami.find(lambda e: e["Event"] == "ChanSpyStart", mark) == []
	assert (
		lab.pbx_ami.find(lambda e: e["Event"] == "Newchannel" and "Local/" in e.get("Channel", ""), mark)
		== []
	)


def test_check_pbx_against_the_live_pbx(lab):
	"""check-pbx's comparison (telephony/pbx/check.py) run against the lab's PBX over AMI: all there, and
	the IVR prompt the lab's routes leave out is named as missing."""
	from callcenter_app.telephony.ami.client import AmiActionError
	from callcenter_app.telephony.pbx.check import Expected, findings, gather

	expected = Expected(
		queues=("support", "sales"),
		sounds=("custom/cc-dialer-abandoned", "custom/lab-missing-menu"),
		endpoints=tuple(AGENTS),
	)
	with lab.session() as session:
		facts = gather(session, expected, errors=(AmiActionError,))
	result = {(f.what, f.name): f for f in findings(expected, facts)}
	bad = [f.line() for f in result.values() if not f.ok]
	assert bad == [next(f.line() for f in result.values() if "lab-missing-menu" in f.name)], bad
