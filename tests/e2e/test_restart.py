"""(i) The bridge (``callcenter ami-tail``) stopped with SIGTERM and started again while calls go on: a call
connected before the stop and ending after the restart, a call ending 0.5 s before the stop (fault 4), a
call that begins and ends while the bridge is down and one that begins while it is down and ends after
(fault 3). Nothing may be lost. The scenario runs once; each test checks one part of it."""

from __future__ import annotations

import signal
import time

import pytest
from lab import DID_SUPPORT, wait_until

BEFORE_AND_AFTER = "connected before the stop, ended after the restart"
JUST_BEFORE = "ended 0.5 s before SIGTERM"
INSIDE_GAP = "began and ended while the bridge was down"
INTO_GAP = "began while the bridge was down, ended after the restart"


def _hangup_of(lab, caller: str, mark: int, timeout: float = 20) -> dict:
	return lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "Hangup"
			and e.get("Channel", "").startswith("PJSIP/trunk-")
			and e.get("CallerIDNum") == caller
		),
		timeout,
		f"the hangup of {caller}",
		mark,
	)


@pytest.fixture(scope="module")
def restart(lab, report):
	lab.reset()
	mark = lab.pbx_ami.mark()
	a = lab.call_in(DID_SUPPORT, hold=40)
	lab.live_call("ann", 20)
	b = lab.call_in(DID_SUPPORT, hold=5)
	lab.live_call("bob", 20)
	_hangup_of(lab, b, mark)
	time.sleep(0.5)
	lab.tail.signal(signal.SIGTERM)
	wait_until(lambda: not lab.tail.running, 15, "ami-tail stopping on SIGTERM")
	stopped_with = lab.tail.popen.returncode
	lab.tail.stop()

	c = lab.call_in(DID_SUPPORT, hold=4)  # bob again, while the bridge is down
	_hangup_of(lab, c, mark)
	d = lab.call_in(DID_SUPPORT, hold=40)
	lab.live_call("bob", 20)
	time.sleep(1)
	lab.start_tail()
	time.sleep(3)
	lab.hangup_carrier()
	lab.wait_idle()

	callers = {BEFORE_AND_AFTER: a, JUST_BEFORE: b, INSIDE_GAP: c, INTO_GAP: d}
	records = {}
	deadline = time.monotonic() + 20
	while time.monotonic() < deadline and len(records) < len(callers):
		by_caller = {r["caller"]: r for r in lab.records()}
		records = {what: by_caller[n] for what, n in callers.items() if n in by_caller}
		time.sleep(0.5)
	report["bridge_restart"] = {
		"exit_status_on_sigterm": stopped_with,
		**{
			what: {k: r[k] for k in ("status", "answered_by", "queue", "talk_s", "complete")}
			if (r := records.get(what))
			else "no record"
			for what in callers
		},
	}
	return records


def _check(records: dict, what: str, agent: str) -> None:
	record = records.get(what)
	assert record is not None, f"{what}: no record"
	assert (record["status"], record["answered_by"], record["queue"]) == ("answered", agent, "support"), (
		record
	)


def test_calls_connected_across_the_restart_keep_their_answer(restart):
	"""Fault 3: the resync snapshot and the AgentComplete after the restart say who answered."""
	_check(restart, BEFORE_AND_AFTER, "ann")
	_check(restart, INTO_GAP, "bob")
	assert restart[BEFORE_AND_AFTER]["talk_s"] >= 8


def test_a_call_ending_just_before_sigterm_is_written(restart):
	"""Fault 4: on SIGTERM the bridge writes what has finished before it exits."""
	_check(restart, JUST_BEFORE, "bob")
	assert restart[JUST_BEFORE]["complete"] is True


def test_a_call_inside_the_gap_is_recovered(restart):
	"""Fault 3: a call the bridge never saw is recovered from what Asterisk kept (queue_log, CDR)."""
	_check(restart, INSIDE_GAP, "bob")
