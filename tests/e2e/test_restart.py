"""(i) The bridge (``callcenter ami-tail``) stopped with SIGTERM and started again while calls go on: calls
connected before and ending after, a call ending 0.5 s before the stop (fault 4), calls that begin and end
while it is down, a call that begins while it is down and ends after (fault 3). Nothing may be lost."""

from __future__ import annotations

import signal
import time

from lab import DID_SUPPORT, DID_VOICEMAIL, wait_until


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


def test_bridge_restart_loses_nothing(idle, report):
	lab = idle
	mark = lab.pbx_ami.mark()
	a = lab.call_in(DID_SUPPORT, hold=40)  # connected before the stop, ends after the restart
	lab.live_call("ann", 20)
	b = lab.call_in(DID_SUPPORT, hold=5)  # ends 0.5 s before the stop
	lab.live_call("bob", 20)
	_hangup_of(lab, b, mark)
	time.sleep(0.5)
	lab.tail.signal(signal.SIGTERM)
	wait_until(lambda: not lab.tail.running, 15, "ami-tail stopping on SIGTERM")
	stopped_with = lab.tail.popen.returncode
	lab.tail.stop()

	c = lab.call_in(DID_VOICEMAIL, hold=3)  # begins and ends while the bridge is down
	_hangup_of(lab, c, mark)
	d = lab.call_in(DID_SUPPORT, hold=40)  # begins while it is down, ends after the restart
	lab.live_call("bob", 20)
	time.sleep(1)
	lab.start_tail()
	time.sleep(3)
	lab.hangup_carrier()
	lab.wait_idle()

	expected = {
		a: ("answered", "ann", "connected before, ended after the restart"),
		b: ("answered", "bob", "ended 0.5 s before SIGTERM"),
		c: ("voicemail", "", "began and ended while the bridge was down"),
		d: ("answered", "bob", "began while down, ended after the restart"),
	}
	found = {}
	deadline = time.monotonic() + 20
	while time.monotonic() < deadline and len(found) < len(expected):
		found = {r["caller"]: r for r in lab.records() if r["caller"] in expected}
		time.sleep(0.5)
	outcome = {}
	problems = []
	for caller, (status, agent, what) in expected.items():
		record = found.get(caller)
		if record is None:
			outcome[what] = "no record"
			problems.append(f"{what}: no record")
			continue
		outcome[what] = {k: record[k] for k in ("status", "answered_by", "queue", "talk_s", "complete")}
		if record["status"] != status or record["answered_by"] != agent:
			problems.append(
				f"{what}: {record['status']}/{record['answered_by']!r}, wanted {status}/{agent!r}"
			)
	report["bridge_restart"] = {"exit_status_on_sigterm": stopped_with, **outcome}
	assert not problems, problems
