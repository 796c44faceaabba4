"""Two sites on one bench and one PBX (issue 19, docs/multi-tenant.md), live.

One PBX Asterisk loads both sites' rendered configuration (``bench --site S callcenter render-asterisk``
with CC Settings' tenant prefix ``ta`` for site A and ``tb`` for site B): its main pjsip.conf,
queues.conf and extensions.conf are the lab's own and ``#include`` each site's ``pjsip_<p>.conf``,
``queues_<p>.conf`` and ``extensions_<p>.conf``; features.conf is the one global file both renders write
(identical). Each site has its trunk endpoint ``ta-trunk`` / ``tb-trunk`` from the carrier (the carrier
sends each site's calls from its own UDP port, which is how the PBX's ``identify`` tells the trunks
apart), its own route server (``callcenter agi-serve --tenant <p>`` on the AGI port its CC Settings
name), a baresip agent registered as ``ta-ann`` / ``tb-ann`` (the same SIP username ``ann`` on both
sites), a pure ``callcenter ami-tail --tenant <p>`` and its own bench AMI bridge
(``bench --site S callcenter ami-bridge``), both bridges at once on the one AMI.

Checked: the PBX shows both sets of endpoints, contexts and queues with no load warning; each bridge's
reconcile at connect adds only its own site's member; a call to each site's DID is answered by that
site's agent through that site's queue, and each site's CC Call Log (and each ami-tail) holds exactly
its own call, named without the prefix; site A's log out / log in and member reconcile touch only
``ta-`` members.

Opt-in three times: CC_LAB=1 (conftest.py), CC_LAB_TENANTS=1, and both sites present on the bench
(CC_LAB_SITE_A / CC_LAB_SITE_B, default tenant-a.localhost / tenant-b.localhost, each with
callcenter_app installed). The sites are changed for good (CC Settings point at a lab that is gone
afterwards, a lab agent ann, a queue support, the tenant prefix): never use a production site.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from lab import (
	BENCH_DIR,
	COMMON_FILES,
	HOST,
	PERSON,
	ROOT,
	SYSTEM_DOCS,
	AmiWatcher,
	Lab,
	Phone,
	Proc,
	bench_env,
	bench_execute,
	callee,
	free_sip_port,
	local_timezone,
	make_sounds,
	manager_conf,
	wait_until,
)

from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.client import AmiConfig
from callcenter_app.telephony.ami.oneshot import AmiSession
from callcenter_app.telephony.asterisk_config.render import SipAccount

HERE = Path(__file__).resolve().parent
BENCH = BENCH_DIR
SITES = {
	"ta": os.environ.get("CC_LAB_SITE_A", "tenant-a.localhost"),
	"tb": os.environ.get("CC_LAB_SITE_B", "tenant-b.localhost"),
}
DIDS = {"ta": "+37052000011", "tb": "+37052000012"}
ROUTES = {"ta": "Support A", "tb": "Support B"}
# the same local SIP username on both sites; each site's own secret
SECRETS = {"ta": "ta-ann-lab-secret-0001", "tb": "tb-ann-lab-secret-0002"}
# a colleague on each site, also with the same username on both: the transfer target
AGENTS = {"ann": ("1001", "Ann Agent"), "bob": ("1002", "Bob Agent")}


def secret(prefix: str, username: str) -> str:
	return SECRETS[prefix].replace("-ann-", f"-{username}-")


QUEUE = "support"


def _why_skip() -> str | None:
	if os.environ.get("CC_LAB_TENANTS") != "1":
		return (
			"two tenants on one PBX is opt-in: CC_LAB=1 CC_LAB_TENANTS=1 pytest tests/e2e/test_two_tenants.py"
		)
	if not shutil.which("bench"):
		return "two tenants need `bench` on PATH (e.g. PATH=/root/bench-env/bin:$PATH)"
	for site in SITES.values():
		if not (BENCH / "sites" / site / "site_config.json").exists():
			return f"two tenants: no site {site} in {BENCH}/sites (CC_LAB_SITE_A / CC_LAB_SITE_B)"
	return None


if (reason := _why_skip()) is not None:
	pytestmark = pytest.mark.skip(reason=reason)


# --- the bench ------------------------------------------------------------------------------------------
def _env() -> dict:
	return bench_env(ROOT, HERE)


def bench(site: str, *args: str, timeout: float = 120) -> str:
	done = subprocess.run(
		["bench", "--site", site, *args],
		cwd=BENCH,
		env=_env(),
		capture_output=True,
		text=True,
		timeout=timeout,
	)
	if done.returncode != 0:
		raise RuntimeError(
			f"bench --site {site} {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
		)
	return done.stdout


def site_call(site: str, function: str, **kwargs):
	"""``bench_site.<function>(**kwargs)`` inside ``site``; its JSON result."""
	return bench_execute(site, f"__import__('bench_site').{function}", kwargs, _env())


def call_logs(site: str, since: str) -> list[dict]:
	"""The site's CC Call Logs created since ``since`` (``bench execute`` prints nothing for an empty list)."""
	return site_call(site, "call_logs_since", since=since) or []


# --- the lab --------------------------------------------------------------------------------------------
def routes(prefix: str) -> dict:
	"""The site's routes JSON for its route server: its DID → its queue support."""
	return {
		"format": "callcenter_app.routes",
		"version": 1,
		"timezone": "UTC",
		"default_region": "LT",
		"numbers": [{"number": DIDS[prefix], "route": ROUTES[prefix]}],
		"routes": [
			{
				"name": ROUTES[prefix],
				"start": "q",
				"nodes": [{"id": "q", "type": "queue", "queue": QUEUE, "timeout": 20}],
			}
		],
		"time_conditions": [],
		"holiday_lists": [],
		"vip_lists": [],
		"ivr_menus": [],
		"announcements": [],
		"queues": [{"name": QUEUE, "max_wait": 60}],
	}


def trunk(name: str, transport: str, context: str, peer_port: int, identify: bool) -> str:
	text = f"""
[{name}]
type=endpoint
transport={transport}
context={context}
disallow=all
allow=ulaw
aors={name}
direct_media=no
rtp_symmetric=yes
media_address={HOST}
bind_rtp_to_media_address=yes

[{name}]
type=aor
contact=sip:{HOST}:{peer_port}
"""
	if identify:
		text += f"\n[{name}]\ntype=identify\nendpoint={name}\nmatch={HOST}:{peer_port}\n"
	return text


class BenchBridge:
	"""``bench --site S callcenter ami-bridge`` for one site of the shared PBX."""

	def __init__(self, lab: TwoTenantLab, prefix: str):
		log_dir = lab.pbx.root / "log"
		self.site = SITES[prefix]
		self.log = lab.run / f"bench-bridge-{prefix}.log"
		self.argv = [
			"bench",
			"--site",
			self.site,
			"callcenter",
			"ami-bridge",
			"--spool",
			str(lab.run / f"bench-spool-{prefix}"),
			"--queue-log",
			str(log_dir / "queue_log"),
			"--cdr-csv",
			str(log_dir / "cdr-csv" / "Master.csv"),
			"--cdr-timezone",
			local_timezone(),
		]
		self.proc: Proc | None = None
		self.starts = 0

	def text(self) -> str:
		return self.log.read_text(errors="replace") if self.log.exists() else ""

	def start(self) -> None:
		self.starts += 1
		self.proc = Proc(f"bench-bridge-{self.site}", self.argv, self.log, env=_env(), cwd=BENCH)
		self.proc.start()

		def resynced():
			if not self.proc.running:
				raise RuntimeError(f"the bench bridge of {self.site} exited:\n{self.text()[-3000:]}")
			return self.text().count("AMI resync:") >= self.starts

		wait_until(resynced, 40, f"the bench bridge of {self.site} connected and resynced", every=0.3)

	def stop(self) -> None:
		if self.proc is not None:
			self.proc.signal(signal.SIGTERM)
			self.proc.stop(10)

	def sigterm(self) -> int:
		self.proc.signal(signal.SIGTERM)
		wait_until(lambda: not self.proc.running, 15, f"the bench bridge of {self.site} stopping on SIGTERM")
		code = self.proc.popen.returncode
		self.proc.stop()
		return code


class TwoTenantLab(Lab):
	"""The lab's PBX and carrier with two sites' rendered configuration instead of one."""

	def __init__(self):
		super().__init__()
		self.agi_ports = {p: free_sip_port() for p in SITES}
		self.carrier_ports = {p: free_sip_port() for p in SITES}  # each site's trunk: its own source port
		self.agis: dict[str, Proc] = {}
		self.tails: dict[str, Proc] = {}
		self.bridges: dict[str, BenchBridge] = {}
		self.setup: dict[str, dict] = {}
		self.render_out: dict[str, str] = {}
		self.members_at_connect: dict[str, list[tuple[str, str]]] = {}
		self.queue_show_at_connect: dict[str, str] = {}

	@property
	def monitor(self) -> Path:
		"""The PBX's monitor folder (astspooldir/monitor), where app_queue's MixMonitor records."""
		return self.pbx.root / "spool" / "monitor"

	def calls_of(self, prefix: str) -> Path:
		return self.run / f"calls-{prefix or 'all'}.jsonl"

	def tenant_records(self, prefix: str) -> list[dict]:
		path = self.calls_of(prefix)
		if not path.exists():
			return []
		return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

	def _start(self) -> None:
		t0 = time.monotonic()
		self.data.mkdir(parents=True, exist_ok=True)
		if os.path.isdir(SYSTEM_DOCS):  # Asterisk's XML docs: stasis refuses to start without them
			(self.data / "documentation").symlink_to(SYSTEM_DOCS)
		self.sounds = make_sounds(self.data)
		(self.run / "ami-secret").write_text(self.secret)
		os.chmod(self.run / "ami-secret", 0o600)
		rendered = {p: self._site(p) for p in SITES}
		self._write_pbx_tenants(rendered)
		self._write_carrier_tenants()
		for prefix in SITES:
			(self.run / f"routes-{prefix}.json").write_text(json.dumps(routes(prefix)))
			self.agis[prefix] = self.agi_serve(
				f"agi-serve-{prefix}",
				self.run / f"routes-{prefix}.json",
				self.agi_ports[prefix],
				["--workers", "1", "--tenant", prefix],
			)
			self.agis[prefix].start()
		self.carrier.start()
		self.pbx.start()
		self.pbx_ami = AmiWatcher(self.ports.pbx_ami, "cc", self.secret, "pbx")
		self.pbx_ami.start()
		self.carrier_ami = AmiWatcher(self.ports.carrier_ami, "cc", self.secret, "carrier")
		self.carrier_ami.start()
		self._start_tail("")  # the control: the whole PBX's calls, no tenant scope
		for prefix in SITES:
			self._start_tail(prefix)
			for username in AGENTS:
				account = SipAccount(f"{prefix}-{username}", secret(prefix, username), f"{username} {prefix}")
				phone = Phone(
					account,
					self.run / "phones" / account.username,
					self.ports.pbx_sip,
					self.sounds["lab/agent-call"],
				)
				self.phones[account.username] = phone
				phone.start()
		wait_until(self._all_registered, 20, "ta-ann, ta-bob, tb-ann and tb-bob registered", every=0.3)
		for prefix, proc in self.agis.items():
			log = self.run / f"agi-serve-{prefix}.log"
			wait_until(
				lambda log=log, proc=proc: (
					"listening on" in log.read_text(errors="replace") or not proc.running
				),
				10,
				f"agi-serve {prefix} listening",
			)
			if not proc.running:
				raise RuntimeError(f"lab: agi-serve {prefix} exited; see {log}")
		time.sleep(0.5)
		self.startup_log = self.pbx.log_lines()
		# the bridges, one after the other: each one's reconcile at connect adds its site's logged-in agent
		for prefix in SITES:
			self.bridges[prefix] = BenchBridge(self, prefix)
			self.bridges[prefix].start()
			wait_until(
				lambda prefix=prefix: (f"{prefix}-{QUEUE}", f"PJSIP/{prefix}-ann") in self.members(),
				15,
				f"{prefix}-ann added to {prefix}-{QUEUE} by its bridge",
			)
			time.sleep(1)
			self.members_at_connect[prefix] = sorted(self.members())
			self.queue_show_at_connect[prefix] = self.pbx.cli("queue show")
		self.started_in = time.monotonic() - t0

	def _site(self, prefix: str) -> dict[str, str]:
		"""Set the site up for the lab (tenant prefix, AGI port, AMI, agent ann, queue support), render it
		with its own render-asterisk and return the files it wrote."""
		site = SITES[prefix]
		self.setup[prefix] = site_call(
			site,
			"setup",
			ami_port=self.ports.pbx_ami,
			ami_secret=self.secret,
			accounts=[
				{
					"username": username,
					"secret": secret(prefix, username),
					"extension": extension,
					"display_name": name,
				}
				for username, (extension, name) in AGENTS.items()
			],
			queues=[{"name": QUEUE, "strategy": "linear", "members": ["ann"], "record": True}],
			tenant_prefix=prefix,
			# each site reads recordings from its own folder: app_queue writes <monitor>/<prefix>/<uid>.wav
			recordings_folder=str(self.monitor / prefix),
			agi_port=self.agi_ports[prefix],
			ami_username=f"cc_{prefix}",  # one manager.conf user per site, as docs/multi-tenant.md advises
		)
		out = self.run / f"render-{prefix}"
		self.render_out[prefix] = bench(
			site,
			"callcenter",
			"render-asterisk",
			"--out",
			str(out),
			"--agi-host",
			HOST,
			"--sounds-dir",
			str(self.data / "sounds"),
		)
		return {f.name: f.read_text() for f in sorted(out.iterdir()) if f.is_file()}

	def _write_pbx_tenants(self, rendered: dict[str, dict[str, str]]) -> None:
		files = {k: v.format(rtp_start=20000, rtp_end=24999, data=self.data) for k, v in COMMON_FILES.items()}
		pjsip = [
			"[global]\ntype=global\nuser_agent=cc-lab-pbx\nendpoint_identifier_order=ip,username\n",
			f"[lab-udp]\ntype=transport\nprotocol=udp\nbind={HOST}:{self.ports.pbx_sip}\n",
		]
		queues = [
			"[general]\npersistentmembers=no\nautofill=yes\nmonitor-type=MixMonitor\nshared_lastcall=yes\n"
		]
		extensions = ["[general]\nstatic=yes\nwriteprotect=yes\n"]
		for prefix, site_files in rendered.items():
			pjsip.append(
				trunk(f"{prefix}-trunk", "lab-udp", f"{prefix}-cc-inbound", self.carrier_ports[prefix], True)
			)
			for name, text in site_files.items():
				if name in (
					f"pjsip_{prefix}.conf",
					f"queues_{prefix}.conf",
					f"extensions_{prefix}.conf",
					"features.conf",
				):
					files[name] = text
			pjsip.append(f"#include pjsip_{prefix}.conf\n")
			queues.append(f"#include queues_{prefix}.conf\n")
			extensions.append(f"#include extensions_{prefix}.conf\n")
		files["pjsip.conf"] = "\n".join(pjsip)
		files["queues.conf"] = "\n".join(queues)
		files["extensions.conf"] = "\n".join(extensions)
		manager = manager_conf(self.ports.pbx_ami, self.secret)  # user cc: the lab's own watchers
		user = manager.split("[cc]\n", 1)[1]  # the same secret and classes
		for prefix in rendered:  # each site's bridge and desk: a user of its own
			manager += f"\n[cc_{prefix}]\n{user}"
		files["manager.conf"] = manager
		self.rendered = {f"{p}/{n}": t for p, fs in rendered.items() for n, t in fs.items()}
		self.pbx.write(files)

	def _write_carrier_tenants(self) -> None:
		files = {k: v.format(rtp_start=25000, rtp_end=29999, data=self.data) for k, v in COMMON_FILES.items()}
		pjsip = ["[global]\ntype=global\nuser_agent=cc-lab-carrier\nendpoint_identifier_order=ip,username\n"]
		for prefix, port in self.carrier_ports.items():
			pjsip.append(f"[udp-{prefix}]\ntype=transport\nprotocol=udp\nbind={HOST}:{port}\n")
			pjsip.append(trunk(f"pbx-{prefix}", f"udp-{prefix}", "from-pbx", self.ports.pbx_sip, False))
		# calls from the PBX (either site's trunk) come from its one SIP port: one identify is enough
		pjsip.append(f"[pbx-identify]\ntype=identify\nendpoint=pbx-ta\nmatch={HOST}:{self.ports.pbx_sip}\n")
		files["pjsip.conf"] = "\n".join(pjsip)
		from lab import CARRIER_DIALPLAN

		files["extensions.conf"] = CARRIER_DIALPLAN
		files["manager.conf"] = manager_conf(self.ports.carrier_ami, self.secret)
		self.carrier.write(files)

	def _start_tail(self, prefix: str) -> None:
		log_dir = self.pbx.root / "log"
		for path in (log_dir / "queue_log", log_dir / "cdr-csv" / "Master.csv"):
			path.touch()
		name = prefix or "all"
		history = [
			"--queue-log",
			str(log_dir / "queue_log"),
			"--cdr-csv",
			str(log_dir / "cdr-csv" / "Master.csv"),
		]
		tenant = ["--tenant", prefix] if prefix else []
		self.tails[name] = self.ami_tail(
			f"ami-tail-{name}", self.run / f"ami-spool-{name}", self.calls_of(prefix), history + tenant
		)
		self.tails[name].start()

	def _all_registered(self) -> bool:
		text = self.pbx.cli("pjsip show contacts", check=False)
		return all(re.search(rf"Contact:\s+{name}/sip:", text) for name in self.phones)

	def members(self) -> set[tuple[str, str]]:
		"""(queue, interface) of every member on the PBX, as Asterisk names them (no tenant scope)."""
		with self.session() as s:
			status = s.action_list("QueueStatus")
		return {
			(e["Queue"], e.get("StateInterface") or e.get("Location"))
			for e in status
			if e.get("Event") == "QueueMember"
		}

	def members_if(self, check) -> set[tuple[str, str]] | None:
		"""The members when ``check(members)`` holds, else None (for wait_until)."""
		members = self.members()
		return members if check(members) else None

	def paused(self) -> dict[tuple[str, str], str]:
		with self.session() as s:
			status = s.action_list("QueueStatus")
		return {
			(e["Queue"], e.get("StateInterface") or e.get("Location")): e.get("Paused", "")
			for e in status
			if e.get("Event") == "QueueMember"
		}

	def tenant_session(self, prefix: str) -> AmiSession:
		return AmiSession(AmiConfig(HOST, self.ports.pbx_ami, "cc", self.secret, tenant=prefix))

	def call_in_tenant(self, prefix: str, caller: str, hold: int) -> str:
		with self.session(carrier=True) as s:
			s.action(
				"Originate",
				{
					"Channel": f"PJSIP/{DIDS[prefix]}@pbx-{prefix}",
					"Context": "lab-caller",
					"Exten": "s",
					"Priority": 1,
					"CallerID": f"<{caller}>",
					"Timeout": 30000,
					"Async": "true",
				},
				{"HOLD": str(hold), "DTMF": ""},
			)
		return caller

	def reset(self) -> None:
		for ast in (self.carrier, self.pbx):
			ast.cli("channel request hangup all", check=False)
		self.wait_idle()

	def stop(self) -> None:
		for bridge in self.bridges.values():
			with contextlib.suppress(Exception):
				bridge.stop()
		for proc in (*self.tails.values(), *self.agis.values()):
			with contextlib.suppress(Exception):
				proc.stop()
		super().stop()


@pytest.fixture(scope="module")
def tenants(report):
	lab = TwoTenantLab()
	try:
		lab.start()  # stops what it started when it fails half-way
		yield lab
	finally:
		lab.stop()
		report["two_tenants_run_dir"] = str(lab.run)
		if os.environ.get("CC_LAB_KEEP") != "1":
			shutil.rmtree(lab.run, ignore_errors=True)


# --- the scenarios --------------------------------------------------------------------------------------
def test_both_sites_load_on_one_pbx(tenants, report):
	"""Both renders load side by side: every name twice, once per prefix, no load warning."""
	lab = tenants
	assert lab.rendered["ta/features.conf"] == lab.rendered["tb/features.conf"]  # the one global file
	for prefix in SITES:
		assert lab.setup[prefix]["settings"]["tenant_prefix"] == prefix
		assert lab.setup[prefix]["settings"]["ami_username"] == f"cc_{prefix}"
		assert f"AmiConfig(cc_{prefix}@" in lab.bridges[prefix].text()
		assert f"pjsip.conf needs the line: #include pjsip_{prefix}.conf" in lab.render_out[prefix], (
			lab.render_out[prefix]
		)
	endpoints = lab.pbx.cli("pjsip show endpoints")
	dialplan = lab.pbx.cli("dialplan show")
	queues = lab.pbx.cli("queue show")
	contacts = lab.pbx.cli("pjsip show contacts")
	for prefix in SITES:
		assert re.search(rf"Endpoint:\s+{prefix}-ann\b", endpoints), endpoints
		assert re.search(rf"Endpoint:\s+{prefix}-trunk\b", endpoints), endpoints
		assert re.search(rf"Contact:\s+{prefix}-ann/sip:", contacts), contacts
		for context in ("cc-inbound", "cc-agents", "cc-transfer", "cc-supervisor", "cc-internal"):
			assert f"'{prefix}-{context}'" in dialplan, (prefix, context)
		assert re.search(rf"^{prefix}-{QUEUE} has", queues, re.M), queues
	assert not re.search(r"^(ann|support) ", queues, re.M)  # nothing unprefixed
	assert "Endpoint:  ann " not in endpoints
	report["two_tenants_load"] = {
		"startup_warnings": lab.startup_log,
		"endpoints": sorted(
			n for n in set(re.findall(r"Endpoint:\s+(\S+?)(?:/\S*)?\s", endpoints)) if not n.startswith("<")
		),
		"contexts": sorted(set(re.findall(r"\[ Context '([^']+)'", dialplan))),
		"queues": re.findall(r"^(\S+) has", queues, re.M),
	}
	assert lab.startup_log == [], "\n".join(lab.startup_log)


def _of(members, prefix: str) -> set[tuple[str, str]]:
	return {m for m in members if m[0].startswith(f"{prefix}-")}


def test_each_bridge_adds_only_its_own_member(tenants, report):
	"""Bridge A connects first: its reconcile adds ta-ann to ta-support (and whatever else site A's logged-in
	agents are members of, always ``ta-`` on ``ta-`` queues) and leaves every tb- queue empty; bridge B then
	adds tb-ann, and site A's members are exactly as before."""
	lab = tenants
	report["two_tenants_members_at_connect"] = lab.members_at_connect
	after_a = set(map(tuple, lab.members_at_connect["ta"]))
	after_b = set(map(tuple, lab.members_at_connect["tb"]))
	assert ("ta-support", "PJSIP/ta-ann") in after_a, lab.queue_show_at_connect["ta"]
	assert after_a == _of(after_a, "ta"), lab.queue_show_at_connect["ta"]  # nothing of B's yet
	assert all(i.startswith("PJSIP/ta-") for _q, i in after_a), after_a
	assert ("tb-support", "PJSIP/tb-ann") in after_b, lab.queue_show_at_connect["tb"]
	assert _of(after_b, "ta") == after_a, lab.queue_show_at_connect["tb"]  # B did not touch A's
	assert all(i.startswith("PJSIP/tb-") for _q, i in _of(after_b, "tb")), after_b
	assert after_b == _of(after_b, "ta") | _of(after_b, "tb")


def _call_both_sites(lab, series: str, hold: int) -> tuple[dict, dict, dict]:
	"""From an idle lab, a call to each site's DID at once (callers ``+370<series><run><1|2>``: this run's
	only, the sites keep earlier runs' logs): (each site's time before, the callers, each call's AgentConnect)."""
	lab.reset()
	since = {p: site_call(SITES[p], "now") for p in SITES}
	mark = lab.pbx_ami.mark()
	run = f"{os.getpid() % 100000:05d}"
	callers = {"ta": f"+370{series}{run}1", "tb": f"+370{series}{run}2"}
	for prefix in SITES:
		lab.call_in_tenant(prefix, callers[prefix], hold=hold)
	connects = {
		p: lab.pbx_ami.wait(
			lambda e, p=p: e["Event"] == "AgentConnect" and e.get("CallerIDNum") == callers[p],
			25,
			f"the call to {DIDS[p]} connected to an agent",
			mark,
		)
		for p in SITES
	}
	return since, callers, connects


def test_each_did_reaches_its_own_site(tenants, report):
	"""Both sites called at once: each DID's call is answered by that site's ann through that site's queue;
	each site's CC Call Log and each ami-tail hold exactly their own call, named without the prefix."""
	lab = tenants
	since, callers, connects = _call_both_sites(lab, "61", hold=6)
	lab.wait_idle(30)
	rows = {}
	for prefix in SITES:
		site = SITES[prefix]
		row = site_call(site, "call_log", caller=callers[prefix], complete=True)
		assert row is not None, (
			f"no CC Call Log for {callers[prefix]} on {site}:\n{lab.bridges[prefix].text()[-2000:]}"
		)
		rows[prefix] = row
	time.sleep(2)  # anything the other bridge might (wrongly) write has had its time too
	logs = {p: call_logs(SITES[p], since[p]) for p in SITES}
	tails = {}
	for prefix in SITES:
		tails[prefix] = wait_until(
			lambda prefix=prefix: [r for r in lab.tenant_records(prefix)], 15, f"ami-tail {prefix}'s record"
		)

	# the control: the unscoped ami-tail saw both calls on the one AMI stream, so the scope is what split them
	def both_in_unscoped():
		records = lab.tenant_records("")
		return records if set(callers.values()) <= {r.get("caller") for r in records} else None

	everything = wait_until(both_in_unscoped, 15, "the unscoped ami-tail's records of both calls")
	report["two_tenants_unscoped_tail"] = sorted(
		(r.get("caller"), r.get("queue"), r.get("agent_interface"))
		for r in everything
		if r.get("caller") in callers.values()
	)
	report["two_tenants_calls"] = {
		p: {
			"agent_connect": {
				k: connects[p].get(k) for k in ("Queue", "Interface", "MemberName", "Channel", "DestChannel")
			},
			"call_log": rows[p],
			"call_logs_in_window": [r["caller"] for r in logs[p]],
			"ami_tail": [
				{
					k: r.get(k)
					for k in ("caller", "queue", "answered_by", "agent_interface", "route", "did", "status")
				}
				for r in tails[p]
			],
		}
		for p in SITES
	}
	for prefix in SITES:
		c = connects[prefix]
		assert c["Queue"] == f"{prefix}-{QUEUE}", c
		assert c["Interface"] == f"PJSIP/{prefix}-ann", c
		row = rows[prefix]
		assert row["direction"] == "inbound"
		assert row["status"] == "answered", row
		assert row["queue"] == QUEUE, row
		# the member name the site's reconcile gave (its user's full name), the interface without the prefix
		assert row["answered_by"] == "Ann Agent", row
		assert row["agent_interface"] == "PJSIP/ann", row
		assert row["agent"] == "ann@cc-lab.example", row
		assert row["route"] == ROUTES[prefix], row
		assert row["did"] == DIDS[prefix], row
		assert [r["caller"] for r in logs[prefix]] == [callers[prefix]], logs[prefix]
		assert [r["caller"] for r in tails[prefix]] == [callers[prefix]], tails[prefix]
		tail = tails[prefix][0]
		assert (tail["queue"], tail["answered_by"], tail["agent_interface"], tail["route"], tail["did"]) == (
			QUEUE,
			"Ann Agent",
			"PJSIP/ann",
			ROUTES[prefix],
			DIDS[prefix],
		), tail
		recording = row.pop("recording")
		for value in (*row.values(), *tail.values()):  # no PBX name of either site leaks into a record
			assert not (isinstance(value, str) and re.search(r"\bt[ab]-", value)), (value, row, tail)
		# the recording: in the site's own folder, named by the caller's channel, and found by the site's
		# own recording door there (CC Settings' recordings folder is <monitor>/<prefix>)
		uid = connects[prefix]["Uniqueid"]
		assert recording == str(lab.monitor / prefix / f"{uid}.wav"), (recording, connects[prefix])
		found = site_call(SITES[prefix], "recording_of", call_log=row["name"])
		assert found == {"path": os.path.realpath(recording)}, found
		assert os.path.getsize(recording) > 1000, recording
	report["two_tenants_recordings"] = sorted(
		str(p.relative_to(lab.monitor)) for p in lab.monitor.rglob("*.wav")
	)
	assert not list(lab.monitor.glob("*.wav")), "a recording outside the sites' folders"


def test_site_a_presence_touches_only_its_members(tenants, report):
	"""Site A logs ann out and in (the desk's set_presence) and reconciles its members: ta-ann leaves every
	ta- queue and comes back; site B's members (tb-ann in tb-support) stay as they were, unpaused."""
	lab = tenants
	before = lab.members()
	assert ("ta-support", "PJSIP/ta-ann") in before and ("tb-support", "PJSIP/tb-ann") in before, before
	site_b = _of(before, "tb")
	out = site_call(SITES["ta"], "presence", username="ann", logged_in=False)
	assert out["logged_in"] is False, out
	after_out = wait_until(
		lambda: lab.members_if(lambda m: not any(i == "PJSIP/ta-ann" for _q, i in m)),
		15,
		"ta-ann removed from site A's queues",
	)
	queue_show_out = lab.pbx.cli("queue show")
	sync_out = site_call(SITES["ta"], "sync_members")  # site A's reconcile with ann logged out
	after_sync = lab.members()
	back = site_call(SITES["ta"], "presence", username="ann", logged_in=True)
	assert back["logged_in"] is True, back
	after_in = wait_until(
		lambda: lab.members_if(lambda m: ("ta-support", "PJSIP/ta-ann") in m), 15, "ta-ann back in ta-support"
	)
	time.sleep(1)
	after_in = lab.members()
	sync_in = site_call(SITES["tb"], "sync_members")  # site B's reconcile with both present
	after_b_sync = lab.members()
	report["two_tenants_presence"] = {
		"before": sorted(before),
		"after site A logs ann out": sorted(after_out),
		"site A sync_members": sync_out,
		"after site A's sync": sorted(after_sync),
		"after site A logs ann in": sorted(after_in),
		"site B sync_members": sync_in,
		"after site B's sync": sorted(after_b_sync),
	}
	assert _of(after_out, "tb") == site_b, queue_show_out
	assert after_out == _of(before, "ta") - {m for m in before if m[1] == "PJSIP/ta-ann"} | site_b
	assert after_sync == after_out
	assert sync_out["actions"] == 0, sync_out  # nothing of site B's is site A's to change
	assert after_in == before
	assert sync_in["actions"] == 0, sync_in
	assert after_b_sync == before
	assert lab.paused()[("tb-support", "PJSIP/tb-ann")] == "0"


def test_site_a_click_to_call_rings_only_its_ann(tenants, report):
	"""Site A's desk click-to-call for ann (a one-shot AMI session with site A's prefix, as the desk sends
	it): ta-ann's phone rings (never tb-ann's), the number goes out through ta-trunk, and the call is an
	outbound CC Call Log on site A only."""
	lab = tenants
	lab.reset()
	since = {p: site_call(SITES[p], "now") for p in SITES}
	mark = lab.pbx_ami.mark()
	number = "+37060000011"  # the carrier's person: answers, hangs up 6 s later
	with lab.tenant_session("ta") as s:
		s.action(*_fields(actions.click_to_call("ann", number)))
	agent_leg = lab.pbx_ami.wait(
		lambda e: e["Event"] == "Newchannel" and e.get("Channel", "").startswith("PJSIP/ta-ann-"),
		15,
		"ta-ann's phone rung",
		mark,
	)
	linkedid = agent_leg["Linkedid"]
	answered = lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "DialEnd" and e.get("DialStatus") == "ANSWER" and e.get("Linkedid") == linkedid
		),
		20,
		"the number answered",
		mark,
	)
	lab.wait_idle(30)
	row = wait_until(
		lambda: next(iter(call_logs(SITES["ta"], since["ta"])), None),
		25,
		"site A's CC Call Log of the click-to-call",
		every=1,
	)
	time.sleep(2)
	logs = {p: call_logs(SITES[p], since[p]) for p in SITES}
	channels = [e.get("Channel") for e in lab.pbx_ami.find(lambda e: e["Event"] == "Newchannel", mark)]
	report["two_tenants_click_to_call"] = {
		"channels": channels,
		"dial_end": {k: answered.get(k) for k in ("Channel", "DestChannel", "DialStatus")},
		"site A": logs["ta"],
		"site B": logs["tb"],
	}
	assert answered["DestChannel"].startswith("PJSIP/ta-trunk-"), answered
	assert not any(c.startswith("PJSIP/tb-") for c in channels), channels
	assert [r["name"] for r in logs["ta"]] == [linkedid], logs["ta"]
	assert logs["tb"] == [], logs["tb"]
	row = logs["ta"][0]
	assert row["direction"] == "outbound", row
	assert row["status"] == "answered", row
	# the customer's number is the record's caller (the number dialled), the agent's phone its interface,
	# named as site A knows it; no caller ID was presented, so no call center number
	assert (row["caller"], row["did"]) == (number, ""), row
	assert (row["agent_interface"], row["agent"]) == ("PJSIP/ann", "ann@cc-lab.example"), row


def _fields(action: actions.Action) -> tuple:
	return action.name, action.fields, action.variables


def test_site_b_recovers_only_its_own_call_from_the_shared_logs(tenants, report):
	"""Site B's bridge is stopped while each site gets a call; site A's bridge records its call live. When
	B's bridge starts again it recovers its call from the PBX's one queue_log and Master.csv (through the
	tenant scope) and nothing of site A's."""
	lab = tenants
	lab.reset()
	since = {p: site_call(SITES[p], "now") for p in SITES}
	exit_status = lab.bridges["tb"].sigterm()
	run = f"{os.getpid() % 100000:05d}"
	callers = {"ta": f"+37062{run}1", "tb": f"+37062{run}2"}
	mark = lab.pbx_ami.mark()
	for prefix in SITES:
		lab.call_in_tenant(prefix, callers[prefix], hold=4)
	for prefix in SITES:
		lab.pbx_ami.wait(
			lambda e, prefix=prefix: e["Event"] == "AgentConnect" and e.get("CallerIDNum") == callers[prefix],
			25,
			f"the gap call to {DIDS[prefix]} connected",
			mark,
		)
	lab.wait_idle(30)
	time.sleep(7)  # well past the end of both calls: what B gets now comes from the logs only
	lab.bridges["tb"].start()
	recovered = wait_until(
		lambda: next(iter(call_logs(SITES["tb"], since["tb"])), None), 30, "site B's recovered call", every=1
	)
	time.sleep(3)
	logs = {p: call_logs(SITES[p], since[p]) for p in SITES}
	report["two_tenants_recovery"] = {
		"site B bridge exit status on SIGTERM": exit_status,
		"site A": logs["ta"],
		"site B": logs["tb"],
	}
	assert exit_status == 0
	assert [r["caller"] for r in logs["ta"]] == [callers["ta"]], logs["ta"]
	assert logs["ta"][0]["complete"] == 1, logs["ta"]  # site A's bridge saw it live
	assert [r["caller"] for r in logs["tb"]] == [callers["tb"]], logs["tb"]  # nothing of site A's
	recovered = logs["tb"][0]
	assert recovered["complete"] == 0, recovered  # from the logs, not from live events
	assert (recovered["status"], recovered["queue"]) == ("answered", QUEUE), recovered
	# the logs name no recording: the site finds the file its queue wrote, in its own folder
	recording = recovered.pop("recording")
	assert recording == os.path.realpath(lab.monitor / "tb" / f"{recovered['name']}.wav"), recording
	for value in recovered.values():
		assert not (isinstance(value, str) and re.search(r"\bt[ab]-", value)), recovered


def test_site_a_blind_transfer_reaches_its_own_bob(tenants, report):
	"""Site A's ann, on a call from site A's DID, blind-transfers it to ``bob`` the way the desk does (site
	A's one-shot session: CoreShowChannels seen as site A sees it, BlindTransfer into its cc-transfer):
	ta-bob answers, tb-bob never rings, the transfer is on site A's CC Call Log and site B has nothing."""
	lab = tenants
	since, caller, call, bob_leg, mark = _site_a_call_to_bob(
		lab, "63", lambda c: actions.blind_transfer(c, "bob")
	)
	time.sleep(2)
	logs, channels = _after_site_a_s_call(lab, since, mark)
	report["two_tenants_blind_transfer"] = {
		"site A saw": {"agent_channel": call.agent_channel, "peer_channel": call.peer_channel},
		"channels": channels,
		"site A": logs["ta"],
		"site B": logs["tb"],
	}
	assert call.agent_channel.startswith("PJSIP/ann-"), call  # site A's names: no prefix
	assert bob_leg["Channel"].startswith("PJSIP/ta-bob-"), bob_leg
	assert not any(c.startswith("PJSIP/tb-") for c in channels), channels
	assert logs["tb"] == [], logs["tb"]
	assert [r["caller"] for r in logs["ta"]] == [caller], logs["ta"]
	row = logs["ta"][0]
	transfers = json.loads(row["transfers"] or "[]")
	assert [(t["kind"], t["to"]) for t in transfers] == [("blind", "bob")], transfers
	assert (row["status"], row["queue"], row["agent_interface"]) == ("answered", QUEUE, "PJSIP/ann"), row


def test_each_site_s_supervisor_listens_to_its_own_ann(tenants, report):
	"""Both sites' ann on a call at once; each site's desk asks its bob to listen to ``ann`` (the spy Originate
	through the site's one-shot session): ta-bob joins ta-ann's call and tb-bob joins tb-ann's, never the other
	site's, though both agents are called "ann" (ChanSpy's PJSIP/<p>-ann- prefix and the spy group <p>-ann)."""
	lab = tenants
	since, callers, connects = _call_both_sites(lab, "64", hold=40)
	agents = {p: connects[p]["DestChannel"] for p in SITES}
	spies = {}
	for prefix in SITES:
		spy_mark = lab.pbx_ami.mark()
		with lab.tenant_session(prefix) as s:
			s.action(*_fields(actions.spy("bob", "ann", "listen")))
		spies[prefix] = lab.pbx_ami.wait(
			lambda e: e["Event"] == "ChanSpyStart", 15, f"site {prefix}'s bob listening", spy_mark
		)
	report["two_tenants_spy"] = {
		p: {k: spies[p].get(k) for k in ("SpyerChannel", "SpyeeChannel")} | {"ann": agents[p]} for p in SITES
	}
	lab.reset()
	for prefix in SITES:
		assert agents[prefix].startswith(f"PJSIP/{prefix}-ann-"), agents
		assert spies[prefix]["SpyerChannel"].startswith(f"PJSIP/{prefix}-bob-"), spies[prefix]
		assert spies[prefix]["SpyeeChannel"] == agents[prefix], (spies[prefix], agents)
	# each site logs its customer's call and nothing of the listening (it was an inbound "missed" call
	# from "listen"), and the next test starts with these logs written
	for prefix in SITES:
		assert site_call(SITES[prefix], "call_log", caller=callers[prefix], complete=True), prefix
	time.sleep(3)
	logs = {p: [r["caller"] for r in call_logs(SITES[p], since[p])] for p in SITES}
	report["two_tenants_spy"]["call_logs"] = logs
	assert logs == {p: [callers[p]] for p in SITES}, logs


def _anns_call(lab, prefix: str):
	"""ann's connected call as the site sees it (its one-shot session: names without the prefix)."""

	def connected():
		with contextlib.suppress(Exception), lab.tenant_session(prefix) as s:
			call = actions.agent_call(s.action_list("CoreShowChannels"), "ann")
			return call if call.peer_channel else None
		return None

	return wait_until(connected, 20, f"ann's call as site {prefix} sees it", every=0.3)


def _after_site_a_s_call(lab, since: dict, mark: int) -> tuple[dict, list]:
	"""The carrier hangs up; once site A has logged the call (and the other bridge has had its time too):
	each site's CC Call Logs since ``since``, and every channel the PBX made since ``mark``."""
	lab.hangup_carrier()
	lab.wait_idle(30)
	wait_until(lambda: call_logs(SITES["ta"], since["ta"]) or None, 25, "site A's CC Call Log", every=1)
	time.sleep(2)
	logs = {p: call_logs(SITES[p], since[p]) for p in SITES}
	return logs, [e.get("Channel") for e in lab.pbx_ami.find(lambda e: e["Event"] == "Newchannel", mark)]


def _site_a_call_to_bob(lab, series: str, transfer) -> tuple[dict, str, actions.LiveCall, dict, int]:
	"""From an idle lab, a call from site A's DID answered by its ann, who hands it to bob with
	``transfer(call)`` (the action the desk sends through site A's one-shot session), until a bob talks:
	(each site's time before, the caller, ann's call as site A saw it, the bob leg's Newchannel, the mark)."""
	lab.reset()
	since = {p: site_call(SITES[p], "now") for p in SITES}
	caller = f"+370{series}{os.getpid() % 100000:05d}1"
	mark = lab.pbx_ami.mark()
	lab.call_in_tenant("ta", caller, hold=40)
	call = _anns_call(lab, "ta")
	time.sleep(2)
	with lab.tenant_session("ta") as s:
		s.action(*_fields(transfer(call)))
	bob_leg = lab.pbx_ami.wait(
		lambda e: e["Event"] == "Newchannel" and "bob-" in e.get("Channel", ""),
		15,
		"a bob's phone rung",
		mark,
	)
	lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel") == bob_leg["Channel"],
		15,
		"bob talking to ann",
		mark,
	)
	return since, caller, call, bob_leg, mark


def test_site_a_attended_transfer_reaches_its_own_bob(tenants, report):
	"""Site A's ann consults bob by his extension (Atxfer dials it as key presses into site A's cc-transfer,
	where 1002 is site A's bob), then hangs up: the caller is with ta-bob; tb-bob never rings; the transfer is
	on site A's CC Call Log only."""
	lab = tenants
	since, caller, _call, bob_leg, mark = _site_a_call_to_bob(
		lab, "65", lambda c: actions.attended_transfer(c, AGENTS["bob"][0])
	)
	time.sleep(2)
	lab.phones["ta-ann"].hangup()  # ann hangs up: the caller goes to bob
	done = lab.pbx_ami.wait(lambda e: e["Event"] == "AttendedTransfer", 10, "AttendedTransfer", mark)
	time.sleep(2)
	logs, channels = _after_site_a_s_call(lab, since, mark)
	report["two_tenants_attended_transfer"] = {
		"result": done.get("Result"),
		"channels": channels,
		"site A": logs["ta"],
		"site B": logs["tb"],
	}
	assert done.get("Result") == "Success", done
	assert bob_leg["Channel"].startswith("PJSIP/ta-bob-"), bob_leg
	assert not any(c.startswith("PJSIP/tb-") for c in channels), channels
	assert logs["tb"] == [], logs["tb"]
	assert [r["caller"] for r in logs["ta"]] == [caller], logs["ta"]
	transfers = json.loads(logs["ta"][0]["transfers"] or "[]")
	assert [(t["kind"], t["to"]) for t in transfers] == [("attended", "bob")], transfers


def test_site_a_campaign_call_reaches_its_own_operator(tenants, report):
	"""Site A's dialer places a campaign call (originate_campaign_call through site A's session, as the dialer
	process does): out through ta-trunk, answered, into ta-cc-dialer and site A's queue ``support``, where
	ta-ann takes it; site A's CC Call Log is an outbound call of the campaign; site B sees nothing."""
	lab = tenants
	lab.reset()
	since = {p: site_call(SITES[p], "now") for p in SITES}
	number = callee(PERSON, 3)  # the carrier's person stays 12 s
	run = f"{os.getpid() % 100000:05d}"
	attempt = f"LAB-{run}"
	mark = lab.pbx_ami.mark()
	with lab.tenant_session("ta") as s:
		s.action(
			*_fields(
				actions.originate_campaign_call(
					number, QUEUE, "Lab campaign", f"C-{run}", attempt, caller_id="+37052000011"
				)
			)
		)
	connect = lab.pbx_ami.wait(
		lambda e: e["Event"] == "AgentConnect" and e.get("Queue", "").endswith(QUEUE),
		30,
		"the campaign call connected to an operator",
		mark,
	)
	logs, channels = _after_site_a_s_call(lab, since, mark)
	report["two_tenants_campaign_call"] = {
		"agent_connect": {k: connect.get(k) for k in ("Queue", "Interface", "Channel", "DestChannel")},
		"channels": channels,
		"site A": logs["ta"],
		"site B": logs["tb"],
	}
	assert (connect["Queue"], connect["Interface"]) == (f"ta-{QUEUE}", "PJSIP/ta-ann"), connect
	assert connect["Channel"].startswith("PJSIP/ta-trunk-"), connect
	assert not any(c.startswith("PJSIP/tb-") for c in channels), channels
	assert logs["tb"] == [], logs["tb"]
	assert len(logs["ta"]) == 1, logs["ta"]
	row = logs["ta"][0]
	assert (row["direction"], row["status"], row["queue"]) == ("outbound", "answered", QUEUE), row
	assert row["agent_interface"] == "PJSIP/ann", row
	assert row["campaign"] == "Lab campaign", row
	assert (row["caller"], row["did"]) == (number, "+37052000011"), row  # the customer; the ID shown
