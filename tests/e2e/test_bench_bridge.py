"""Bench mode: the lab's PBX against a real Frappe site. The site's CC Settings point at the lab PBX's AMI,
the site gets the lab's agents (User, HD Agent, CC SIP Account) and queues, and the site's own bridge
(``bench --site S callcenter ami-bridge``, this tree's code) runs beside the lab's ami-tail. The scenarios
are checked on the site's records: CC Call Log rows and the PBX Agents report.

Opt-in twice: CC_LAB=1 (the lab, conftest.py) and CC_LAB_SITE=<site> (a site on a bench it may change:
its CC Settings, three SIP accounts, users and agents, the queues support and sales). CC_LAB_BENCH is the
bench directory (default /root/frappe-bench); ``bench`` must be on PATH. See tests/e2e/README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from lab import (
	AGENTS,
	BENCH_DIR,
	DID_SUPPORT,
	HOST,
	MEMBERS,
	ROOT,
	Proc,
	bench_env,
	bench_execute,
	local_timezone,
	wait_until,
)

from callcenter_app.telephony import actions

HERE = Path(__file__).resolve().parent
SITE = os.environ.get("CC_LAB_SITE", "")
BENCH = BENCH_DIR


def _why_skip() -> str | None:
	if not SITE:
		return "bench mode is opt-in: CC_LAB=1 CC_LAB_SITE=<site> pytest tests/e2e -k bench (see tests/e2e/README.md)"
	if not shutil.which("bench"):
		return "bench mode needs `bench` on PATH (e.g. PATH=/root/bench-env/bin:$PATH)"
	if not (BENCH / "sites" / SITE / "site_config.json").exists():
		return f"bench mode: no site {SITE} in {BENCH}/sites (CC_LAB_BENCH names the bench directory)"
	return None


if (reason := _why_skip()) is not None:
	pytestmark = pytest.mark.skip(reason=reason)


def site(function: str, **kwargs):
	"""``bench_site.<function>(**kwargs)`` inside SITE; its JSON result (None if none)."""
	return bench_execute(SITE, f"__import__('bench_site').{function}", kwargs, bench_env(ROOT, HERE))


class BenchBridge:
	"""``bench --site SITE callcenter ami-bridge`` (bench execs Python, so its pid is the bridge's)."""

	def __init__(self, lab):
		log_dir = lab.pbx.root / "log"
		self.log = lab.run / "bench-bridge.log"
		self.argv = [
			"bench",
			"--site",
			SITE,
			"callcenter",
			"ami-bridge",
			"--spool",
			str(lab.run / "bench-spool"),
			"--queue-log",
			str(log_dir / "queue_log"),
			"--cdr-csv",
			str(log_dir / "cdr-csv" / "Master.csv"),
			"--cdr-timezone",  # the lab's Asterisk writes its local time; the site may have another zone
			local_timezone(),
		]
		self.proc: Proc | None = None
		self.starts = 0

	def text(self) -> str:
		return self.log.read_text(errors="replace") if self.log.exists() else ""

	def start(self) -> None:
		self.starts += 1
		self.proc = Proc("bench-bridge", self.argv, self.log, env=bench_env(ROOT), cwd=BENCH)
		self.proc.start()

		def resynced():
			if not self.proc.running:
				raise RuntimeError(f"the bench bridge exited:\n{self.text()[-3000:]}")
			return self.text().count("AMI resync:") >= self.starts

		wait_until(resynced, 30, "the bench bridge connected and resynced", every=0.3)

	def sigterm(self) -> int:
		self.proc.signal(signal.SIGTERM)
		wait_until(lambda: not self.proc.running, 15, "the bench bridge stopping on SIGTERM")
		code = self.proc.popen.returncode
		self.proc.stop()
		return code

	def stop(self) -> None:
		if self.proc is not None:
			self.proc.stop(10)


@pytest.fixture(scope="module")
def bench(lab):
	"""The site set up for the lab and its bridge running (stopped at the end of the module)."""
	queues = {}
	for queue, agent, _penalty in MEMBERS:
		queues.setdefault(queue, []).append(agent)
	done = site(
		"setup",
		ami_port=lab.ports.pbx_ami,
		ami_secret=lab.secret,
		accounts=[
			{
				"username": a.username,
				"secret": a.secret,
				"extension": a.extension,
				"display_name": a.display_name,
			}
			for a in AGENTS.values()
		],
		queues=[{"name": q, "strategy": "linear", "members": m} for q, m in queues.items()],
	)
	assert done["settings"] == {
		"pbx_enabled": 1,
		"ami_host": HOST,
		"ami_port": lab.ports.pbx_ami,
		"ami_username": "cc",
	}
	site("clear_registrations")  # the report's registrations must come from this bridge
	bridge = BenchBridge(lab)
	try:
		bridge.start()
		yield bridge
	finally:
		bridge.stop()


def _lab_user(name: str) -> str:
	return f"{name}@cc-lab.example"


def test_inbound_call_is_a_call_log_on_the_site(bench, idle):
	"""(a) carrier → DID → route server → queue support → ann: one CC Call Log, answered by ann."""
	lab = idle
	caller = lab.call_in(DID_SUPPORT, hold=5)
	row = site("call_log", caller=caller, complete=True)
	assert row is not None, f"no CC Call Log for {caller} on {SITE}:\n{bench.text()[-2000:]}"
	assert row["direction"] == "inbound"
	assert row["status"] == "answered", row
	assert row["queue"] == "support"
	assert row["route"] == "Support"
	assert row["did"] == DID_SUPPORT
	assert row["answered_by"] == "ann"
	assert row["agent"] == _lab_user("ann")
	assert row["agent_interface"] == "PJSIP/ann"
	assert 0 <= row["wait_s"] <= 3, row
	assert 3 <= row["talk_s"] <= 7, row


def test_blind_transfer_is_on_the_call_log(bench, idle):
	"""(b) ann blind-transfers the caller to bob: the CC Call Log's transfers name bob."""
	lab = idle
	caller = lab.call_in(DID_SUPPORT, hold=40)
	call = lab.live_call("ann", 20)
	time.sleep(3)
	lab.desk(actions.blind_transfer(call, "bob"))
	lab.live_call("bob", 15)
	time.sleep(2)
	lab.hangup_carrier()
	row = site("call_log", caller=caller, complete=True)
	assert row is not None, f"no CC Call Log for {caller}"
	assert row["status"] == "answered"
	assert row["answered_by"] == "ann"
	transfers = json.loads(row["transfers"] or "[]")
	assert [(t["kind"], t["to"]) for t in transfers] == [("blind", "bob")], transfers
	assert 2 <= row["talk_s"] <= 5, row


def test_pbx_agents_report_shows_registrations(bench, idle):
	"""(c) the PBX Agents report: ann, bob and dora Registered (the bridge's PJSIPShowContacts at connect,
	published to the site's Redis), with their user, login and queues."""
	rows = {r["sip_account"]: r for r in site("pbx_agents", accounts=list(AGENTS))}
	for name in AGENTS:
		assert name in rows, rows
		assert rows[name]["registration"] == "Registered", rows[name]
		assert rows[name]["agent"] == _lab_user(name)
		assert rows[name]["logged_in"] == 1
		assert "baresip" in (rows[name]["user_agent"] or "").lower(), rows[name]
	assert rows["ann"]["queues"] == "support (0)"
	assert rows["dora"]["queues"] == "sales (0)"


def test_bridge_restart_keeps_the_answer_and_recovers_the_gap(bench, idle, report):
	"""(d) the bench bridge SIGTERM'd while ann is connected, a call made and ended while it is down (bob
	answers it), then started again: ann's call is answered, the gap's call is recovered (complete 0).
	The call across the restart is complete 0 too: the new process never saw its start (no route; its start
	comes from CoreShowChannels' whole seconds)."""
	lab = idle
	connected = lab.call_in(DID_SUPPORT, hold=40)
	lab.live_call("ann", 20)
	time.sleep(1)
	exit_status = bench.sigterm()
	mark = lab.pbx_ami.mark()
	gap = lab.call_in(DID_SUPPORT, hold=4)
	lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "Hangup"
			and e.get("Channel", "").startswith("PJSIP/trunk-")
			and e.get("CallerIDNum") == gap
		),
		20,
		"the hangup of the call in the gap",
		mark,
	)
	time.sleep(7)  # more than the 5 s margin a restarted bridge once looked back instead of --recover-minutes
	bench.start()
	time.sleep(3)
	lab.hangup_carrier()
	lab.wait_idle()
	across = site("call_log", caller=connected, settle=2)
	recovered = site("call_log", caller=gap, settle=2)
	report["bench_bridge_restart"] = {
		"site": SITE,
		"exit_status_on_sigterm": exit_status,
		"connected across the restart": across,
		"inside the gap": recovered,
	}
	assert across is not None, "no CC Call Log for the call connected across the restart"
	assert (across["status"], across["answered_by"], across["queue"]) == ("answered", "ann", "support"), (
		across
	)
	assert across["talk_s"] >= 5, across
	assert recovered is not None, f"the call inside the gap was not recovered:\n{bench.text()[-2000:]}"
	assert (recovered["status"], recovered["answered_by"], recovered["queue"]) == (
		"answered",
		"bob",
		"support",
	), recovered
	assert recovered["complete"] == 0, recovered
	assert recovered["did"] == DID_SUPPORT, recovered  # the CDR's row (read in the PBX's time zone) has it
	assert 3 <= recovered["talk_s"] <= 6, recovered
