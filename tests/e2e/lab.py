"""The PBX lab: a real Asterisk 22 (the PBX, loading what render-asterisk writes), a second Asterisk (the
carrier, over a PJSIP trunk), baresip softphones as agents, and the app's own processes without Frappe
(``callcenter agi-serve`` and ``callcenter ami-tail``), all on loopback in a temporary run directory.

Nothing outside the run directory is touched: each Asterisk gets its own ``asterisk.conf`` naming its etc,
run, spool, log, db, lib and data directories, its own SIP, AMI and RTP ports (free ports chosen at start),
and is controlled with ``asterisk -C <dir>/asterisk.conf -rx``. Every process the lab starts is stopped by
``Lab.stop()`` (SIGTERM, then SIGKILL), also when a start fails half-way.

By hand::

	python tests/e2e/lab.py            # start, print ports and directories, wait for Ctrl-C
	python tests/e2e/lab.py --keep     # the same, and keep the run directory afterwards

The tests use it through ``tests/e2e/conftest.py`` (CC_LAB=1). See tests/e2e/README.md.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
	sys.path.insert(0, str(ROOT))

from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.client import AmiConfig
from callcenter_app.telephony.ami.oneshot import AmiSession
from callcenter_app.telephony.ami.protocol import FrameParser, encode_action
from callcenter_app.telephony.asterisk_config.render import (
	AgiTarget,
	CallQueue,
	QueueMember,
	SipAccount,
	render_all,
)
from callcenter_app.telephony.pbx.check import MANAGER_READ, MANAGER_WRITE

HOST = "127.0.0.1"
_CALLERS = itertools.count(1)  # caller numbers, unique in the process (Lab.next_caller)
MODULES_DIR = "/usr/lib/asterisk/modules"
SYSTEM_DOCS = "/var/lib/asterisk/documentation"  # XML docs, linked so Asterisk does not complain

# The site the lab renders: three agents, two queues (members are dynamic: the lab adds them with
# actions.queue_add, as the desk and the bridge do).
AGENTS = {
	"ann": SipAccount("ann", "ann-lab-secret-0001", "Ann Agent", extension="1001"),
	"bob": SipAccount("bob", "bob-lab-secret-0002", "Bob Agent", extension="1002"),
	"dora": SipAccount("dora", "dora-lab-secret-0003", "Dora Operator", extension="1003"),
}
# A phone whose name is another's plus '-' and more (SIP usernames may hold '-'): listening to "ann" must
# never reach its calls, though ChanSpy's channel prefix PJSIP/ann- matches PJSIP/ann-2-… too. In no queue
# and not on the site: it only makes calls.
NAMESAKE = SipAccount("ann-2", "ann-2-lab-secret-0005", "Ann Namesake", extension="1005")
PHONES = {**AGENTS, NAMESAKE.username: NAMESAKE}
QUEUES = (
	CallQueue(
		"support",
		strategy="linear",
		ring_timeout=15,
		members=(QueueMember("PJSIP/ann", 1, 0, "ann"), QueueMember("PJSIP/bob", 1, 1, "bob")),
		record=True,
	),
	CallQueue(
		"sales", strategy="linear", ring_timeout=15, members=(QueueMember("PJSIP/dora", 1, 0, "dora"),)
	),
)
# Who is logged in where when the lab starts (queue, agent, penalty): support rings ann, then bob; the
# campaign queue "sales" has one operator, dora.
MEMBERS = (("support", "ann", 0), ("support", "bob", 0), ("sales", "dora", 0))

# The DIDs of the lab's routes (tests/e2e/routes.json).
DID_SUPPORT = "+37052000001"
DID_MENU_MISSING_PROMPT = "+37052000002"
DID_UNKNOWN_QUEUE = "+37052000003"
DID_VOICEMAIL = "+37052000004"
# Numbers the carrier answers (the PBX dials them through the trunk): the kind by the 11th digit, the
# last digit sets how long the callee stays: (last + 1) * 3 seconds.
PERSON, MACHINE, SILENT, MUTE = "1", "2", "3", "4"


def callee(kind: str, hold_digit: int = 3) -> str:
	"""A number the carrier answers as ``kind``: person ("Hello?" then silence), answering machine (a 4 s
	greeting and a beep, then silence), silent person (silence frames only), mute line (no audio at all)."""
	return f"+370600000{kind}{hold_digit}"


# The PBX's amd.conf: Asterisk's own defaults (app_amd.c, the same as amd.conf.sample), written out. The app
# renders no amd.conf, so this is what a site gets; the lab measures what it does (docs/pbx-lab-results.md).
AMD_CONF = """[general]
; cc-dialer runs AMD() with no arguments, so these apply to every campaign call with AMD on.
total_analysis_time = 5000
silence_threshold = 256
initial_silence = 2500
after_greeting_silence = 800
greeting = 1500
min_word_length = 100
between_words_silence = 50
maximum_number_of_words = 2
maximum_word_length = 5000
"""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
	"""A port nobody listens on now (TCP or UDP) on the loopback address."""
	with socket.socket(socket.AF_INET, kind) as s:
		s.bind((HOST, 0))
		return s.getsockname()[1]


def free_sip_port() -> int:
	"""A port free for both UDP (SIP) and TCP."""
	for _ in range(50):
		port = free_port(socket.SOCK_DGRAM)
		with contextlib.suppress(OSError), socket.socket() as s:
			s.bind((HOST, port))
			return port
	raise RuntimeError("no free port")


def wait_until(check: Callable[[], object], timeout: float, what: str, every: float = 0.1):
	"""``check()``'s first truthy value within ``timeout`` seconds, else TimeoutError naming ``what``."""
	deadline = time.monotonic() + timeout
	while True:
		value = check()
		if value:
			return value
		if time.monotonic() >= deadline:
			raise TimeoutError(f"lab: {what} not within {timeout:g} s")
		time.sleep(every)


# --- sounds ---------------------------------------------------------------------------------------------
SPEECH = {
	"lab/hello": "Hello?",
	"lab/machine": "Hi, this is John Smith. I can not take your call now, please leave a message.",
	"lab/agent": "Good morning, this is the call center, how can I help you?",
	"lab/caller": "Hello, I am calling about my order.",
	"custom/cc-dialer-abandoned": "All our operators are busy. We will call you back.",
	"vm-intro": "Please leave your message after the tone.",
	"vm-theperson": "The person at extension",
	"vm-isunavail": "is unavailable.",
	"vm-goodbye": "Goodbye.",
	"pbx-transfer": "Transfer.",
	"pbx-invalid": "Invalid extension.",
	**{f"digits/{d}": w for d, w in enumerate("zero one two three four five six seven eight nine".split())},
}


def make_sounds(data_dir: Path) -> dict[str, Path]:
	"""Prompts made with espeak-ng and sox as 8 kHz mono 16-bit WAV under ``<data>/sounds``; silence and a
	beep made with sox. Returns name → path."""
	sounds = data_dir / "sounds"
	out = {}
	for name, text in SPEECH.items():
		path = sounds / f"{name}.wav"
		path.parent.mkdir(parents=True, exist_ok=True)
		raw = path.with_suffix(".raw.wav")
		subprocess.run(["espeak-ng", "-s", "160", "-w", str(raw), text], check=True, capture_output=True)
		subprocess.run(
			["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path)], check=True, capture_output=True
		)
		raw.unlink()
		out[name] = path
	# sox: an 8 kHz mono 16-bit file made from nothing (-n), then the effect
	made = {
		"lab/silence30": "trim 0 30",
		"beep": "synth 0.4 sine 1000 vol 0.5",
		"moh/quiet": "synth 10 sine 440 vol 0.05",
	}
	for name, effect in made.items():
		path = sounds / f"{name}.wav"
		path.parent.mkdir(parents=True, exist_ok=True)
		subprocess.run(
			["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *effect.split()],
			check=True,
			capture_output=True,
		)
		out[name] = path
	# baresip ends a call when its aufile source runs out: the agents' source is their sentence, then
	# two minutes of silence
	long = sounds / "lab" / "agent-call.wav"
	subprocess.run(
		["sox", str(out["lab/agent"]), str(long), "pad", "0", "120"], check=True, capture_output=True
	)
	out["lab/agent-call"] = long
	return out


# --- AMI: an event watcher (a thread) -------------------------------------------------------------------
class AmiWatcher:
	"""Logs in with events on and keeps every event (with the local receive time in ``_rx``)."""

	def __init__(self, port: int, username: str, secret: str, name: str):
		self.port, self.username, self.secret, self.name = port, username, secret, name
		self.events: list[dict] = []
		self.cond = threading.Condition()
		self.sock: socket.socket | None = None
		self.thread: threading.Thread | None = None
		self.closed = False

	def start(self) -> None:
		self.sock = socket.create_connection((HOST, self.port), 5)
		self.sock.sendall(
			encode_action(
				"Login",
				{"ActionID": "watch", "Username": self.username, "Secret": self.secret, "Events": "on"},
			)
		)
		self.sock.settimeout(None)
		self.thread = threading.Thread(target=self._read, name=f"ami-{self.name}", daemon=True)
		self.thread.start()
		self.wait(
			lambda e: e.get("ActionID") == "watch" and "Response" in e, 10, "AMI login", with_responses=True
		)

	def _read(self) -> None:
		parser = FrameParser()
		while not self.closed:
			try:
				data = self.sock.recv(1 << 16)
			except OSError:
				break
			if not data:
				break
			now = time.time()
			messages = parser.feed(data)
			with self.cond:
				for m in messages:
					m["_rx"] = now
					self.events.append(m)
				self.cond.notify_all()

	def mark(self) -> int:
		with self.cond:
			return len(self.events)

	def find(self, pred: Callable[[dict], bool], since: int = 0) -> list[dict]:
		with self.cond:
			return [e for e in self.events[since:] if "Event" in e and pred(e)]

	def wait(
		self,
		pred: Callable[[dict], bool],
		timeout: float,
		what: str,
		since: int = 0,
		with_responses: bool = False,
	) -> dict:
		deadline = time.monotonic() + timeout
		checked = since
		with self.cond:
			while True:
				for e in self.events[checked:]:
					if (with_responses or "Event" in e) and pred(e):
						return e
				checked = len(self.events)
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError(f"lab: {self.name} AMI: {what} not within {timeout:g} s")
				self.cond.wait(remaining)

	def close(self) -> None:
		self.closed = True
		if self.sock is not None:
			with contextlib.suppress(OSError):
				self.sock.shutdown(socket.SHUT_RDWR)
			self.sock.close()


def event_time(e: dict) -> float:
	"""Asterisk's own Timestamp (timestampevents=yes), else when the lab received the event."""
	try:
		return float(e["Timestamp"])
	except (KeyError, ValueError):
		return float(e["_rx"])


# --- processes ------------------------------------------------------------------------------------------
class Proc:
	def __init__(
		self, name: str, argv: list[str], log: Path, env: dict | None = None, cwd: Path | None = None
	):
		self.name, self.argv, self.log = name, argv, log
		self.env, self.cwd = env, cwd
		self.popen: subprocess.Popen | None = None

	def start(self) -> None:
		self._log = open(self.log, "ab")
		self.popen = subprocess.Popen(
			self.argv,
			stdin=subprocess.DEVNULL,
			stdout=self._log,
			stderr=subprocess.STDOUT,
			env=self.env,
			cwd=self.cwd,
			start_new_session=True,  # its own process group: Ctrl-C in a terminal goes to the lab only
		)

	@property
	def running(self) -> bool:
		return self.popen is not None and self.popen.poll() is None

	def signal(self, sig: int) -> None:
		if self.running:
			with contextlib.suppress(ProcessLookupError):
				os.kill(self.popen.pid, sig)

	def stop(self, timeout: float = 5.0) -> None:
		if self.popen is None:
			return
		if self.popen.poll() is None:
			self.signal(signal.SIGTERM)
			try:
				self.popen.wait(timeout)
			except subprocess.TimeoutExpired:
				self.signal(signal.SIGKILL)
				with contextlib.suppress(subprocess.TimeoutExpired):
					self.popen.wait(timeout)
		self._log.close()


class Asterisk:
	"""One Asterisk in ``root`` with the config files ``files`` (name → text)."""

	def __init__(self, name: str, root: Path, data: Path):
		self.name, self.root, self.data = name, root, data
		self.etc = root / "etc"
		self.conf = self.etc / "asterisk.conf"
		self.proc: Proc | None = None

	def write(self, files: dict[str, str]) -> None:
		for sub in ("etc", "run", "spool", "log/cdr-csv", "db", "lib/keys", "lib/agi-bin"):
			(self.root / sub).mkdir(parents=True, exist_ok=True)
		r = self.root
		files = {
			"asterisk.conf": f"""[directories]
astetcdir => {r}/etc
astmoddir => {MODULES_DIR}
astvarlibdir => {r}/lib
astdbdir => {r}/db
astkeydir => {r}/lib
astdatadir => {self.data}
astagidir => {r}/lib/agi-bin
astspooldir => {r}/spool
astlogdir => {r}/log
astrundir => {r}/run
astsbindir => /usr/sbin
[options]
verbose = 3
nocolor = yes
hideconnect = yes
documentation_language = en_US
""",
			**files,
		}
		for name, text in files.items():
			(self.etc / name).write_text(text, encoding="utf-8")

	def start(self) -> None:
		self.proc = Proc(self.name, ["asterisk", "-C", str(self.conf), "-f"], self.root / "console.log")
		self.proc.start()
		wait_until(self._booted, 60, f"{self.name} Asterisk fully booted", every=0.3)

	def _booted(self) -> bool:
		if not self.proc.running:
			raise RuntimeError(f"lab: {self.name} Asterisk exited; see {self.root}/console.log")
		if not (self.root / "run" / "asterisk.ctl").exists():
			return False
		return "fully booted" in self.cli("core waitfullybooted", check=False)

	def cli(self, command: str, check: bool = True, timeout: float = 15) -> str:
		done = subprocess.run(
			["asterisk", "-C", str(self.conf), "-rx", command],
			capture_output=True,
			text=True,
			timeout=timeout,
		)
		if check and done.returncode != 0:
			raise RuntimeError(f"lab: {self.name} `{command}` failed: {done.stderr or done.stdout}")
		return done.stdout

	@property
	def messages(self) -> Path:
		return self.root / "log" / "messages"

	def log_lines(self, levels: tuple[str, ...] = ("WARNING", "ERROR")) -> list[str]:
		if not self.messages.exists():
			return []
		pattern = re.compile(r"\] (" + "|".join(levels) + r")\[")
		return [
			line for line in self.messages.read_text(errors="replace").splitlines() if pattern.search(line)
		]

	def stop(self) -> None:
		if self.proc is None or not self.proc.running:
			if self.proc:
				self.proc.stop()
			return
		with contextlib.suppress(Exception):
			self.cli("core stop now", check=False, timeout=5)
		with contextlib.suppress(subprocess.TimeoutExpired):
			self.proc.popen.wait(5)
		self.proc.stop()


class Phone:
	"""A baresip softphone registered to the PBX as one SIP account, driven through ctrl_tcp (netstring
	JSON). Audio: the source is an espeak prompt (aufile), what it hears goes to ``heard.wav``."""

	def __init__(self, account: SipAccount, root: Path, pbx_port: int, source: Path, answer: str = "auto"):
		self.account, self.root, self.pbx_port = account, root, pbx_port
		self.name = account.username
		self.source, self.answer = source, answer
		self.sip_port = free_sip_port()
		self.ctrl_port = free_port()
		self.proc: Proc | None = None
		self.sock: socket.socket | None = None
		self.events: list[dict] = []
		self.responses: dict[str, dict] = {}
		self.cond = threading.Condition()
		self._token = 0

	def write(self) -> None:
		self.root.mkdir(parents=True, exist_ok=True)
		rtp = 30000 + (self.sip_port % 200) * 100
		(self.root / "config").write_text(
			f"""poll_method\t\tepoll
sip_listen\t\t{HOST}:{self.sip_port}
net_interface\t\t{HOST}
audio_player\t\taufile,{self.root}/heard.wav
audio_source\t\taufile,{self.source}
audio_alert\t\taufile,{self.root}/alert.wav
ausrc_srate\t\t8000
auplay_srate\t\t8000
rtp_ports\t\t{rtp}-{rtp + 99}
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\taufile.so
module_app\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t{HOST}:{self.ctrl_port}
""",
			encoding="utf-8",
		)
		a = self.account
		(self.root / "accounts").write_text(
			f"<sip:{a.username}@{HOST}:{self.pbx_port};transport=udp>;auth_pass={a.secret};"
			f"answermode={self.answer};regint=300;audio_codecs=PCMU\n",
			encoding="utf-8",
		)
		(self.root / "contacts").write_text("", encoding="utf-8")

	def start(self) -> None:
		self.write()
		self.proc = Proc(f"baresip-{self.name}", ["baresip", "-f", str(self.root)], self.root / "baresip.log")
		self.proc.start()
		self.sock = wait_until(self._connect, 15, f"baresip {self.name} ctrl_tcp", every=0.2)
		threading.Thread(target=self._read, name=f"ctrl-{self.name}", daemon=True).start()

	def _connect(self):
		if not self.proc.running:
			raise RuntimeError(f"lab: baresip {self.name} exited; see {self.root}/baresip.log")
		try:
			return socket.create_connection((HOST, self.ctrl_port), 1)
		except OSError:
			return None

	def _read(self) -> None:
		buf = b""
		self.sock.settimeout(None)
		while True:
			try:
				data = self.sock.recv(65536)
			except OSError:
				return
			if not data:
				return
			buf += data
			while True:
				head, colon, rest = buf.partition(b":")
				if not colon or not head.isdigit():
					break
				size = int(head)
				if len(rest) < size + 1:
					break
				body, buf = rest[:size], rest[size + 1 :]
				try:
					message = json.loads(body)
				except ValueError:
					continue
				message["_rx"] = time.time()
				with self.cond:
					if message.get("response"):
						self.responses[str(message.get("token"))] = message
					else:
						self.events.append(message)
					self.cond.notify_all()

	def command(self, command: str, params: str = "", timeout: float = 5) -> dict:
		self._token += 1
		token = f"{self.name}-{self._token}"
		body = json.dumps({"command": command, "params": params, "token": token}).encode()
		self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
		deadline = time.monotonic() + timeout
		with self.cond:
			while token not in self.responses:
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError(f"lab: baresip {self.name} did not answer {command!r}")
				self.cond.wait(remaining)
			return self.responses.pop(token)

	def mark(self) -> int:
		with self.cond:
			return len(self.events)

	def wait_event(self, kind: str, timeout: float, since: int = 0) -> dict:
		deadline = time.monotonic() + timeout
		with self.cond:
			while True:
				for e in self.events[since:]:
					if e.get("type") == kind:
						return e
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError(f"lab: baresip {self.name}: no {kind} within {timeout:g} s")
				self.cond.wait(remaining)

	def dial(self, user: str) -> dict:
		"""Call ``user`` at the PBX (the Request-URI's user part, as typed on the phone)."""
		return self.command("dial", f"sip:{user}@{HOST}:{self.pbx_port}")

	def hangup(self) -> dict:
		return self.command("hangup")

	def stop(self) -> None:
		if self.sock is not None:
			with contextlib.suppress(Exception):
				self.command("quit", timeout=1)
			self.sock.close()
		if self.proc is not None:
			self.proc.stop(3)


# --- configuration text ---------------------------------------------------------------------------------
def modules_conf() -> str:
	"""autoload, minus what the lab does not need or what would only complain about missing config."""
	noload = """
chan_iax2 chan_unistim chan_mgcp chan_skinny chan_motif chan_audiosocket chan_rtp chan_websocket
pbx_dundi pbx_ael pbx_lua pbx_realtime pbx_loopback pbx_spool
res_phoneprov res_pjsip_phoneprov_provider res_hep res_hep_rtcp res_hep_pjsip res_prometheus
res_stun_monitor res_calendar res_calendar_caldav res_calendar_ews res_calendar_exchange
res_calendar_icalendar res_config_pgsql res_config_sqlite3 res_config_ldap res_config_odbc res_config_curl
res_config_mysql res_odbc res_odbc_transaction res_curl res_statsd res_snmp res_xmpp res_fax res_fax_spandsp
res_clialiases res_smdi res_adsi app_adsiprog app_getcpeid res_pjsip_config_wizard res_pjsip_notify
res_geolocation res_pjsip_geolocation res_aeap res_speech_aeap res_websocket_client
res_parking res_ari res_ari_applications res_ari_asterisk res_ari_bridges res_ari_channels
res_ari_device_states res_ari_endpoints res_ari_events res_ari_mailboxes res_ari_model res_ari_playbacks
res_ari_recordings res_ari_sounds res_stasis_test app_stasis res_stasis_broadcast app_stasis_broadcast res_mwi_external res_mwi_external_ami
res_http_websocket res_pjsip_transport_websocket res_phoneprov
app_festival app_followme app_minivm app_confbridge app_page app_alarmreceiver app_agent_pool app_meetme
app_voicemail_imap app_voicemail_odbc app_jack app_ices app_sms app_test app_dahdiras
cdr_custom cdr_sqlite3_custom cdr_pgsql cdr_odbc cdr_tds cdr_radius cdr_adaptive_odbc cdr_beanstalkd
cel_custom cel_manager cel_sqlite3_custom cel_pgsql cel_odbc cel_tds cel_radius cel_beanstalkd
""".split()
	return "[modules]\nautoload=yes\n" + "".join(f"noload => {m}.so\n" for m in noload)


COMMON_FILES = {
	"logger.conf": "[general]\ndateformat=%F %T.%3q\nqueue_log=yes\nqueue_log_to_file=yes\n"
	"queue_log_name=queue_log\n[logfiles]\nmessages => notice,warning,error\nfull => notice,warning,error,verbose(3)\n",
	# What Asterisk keeps while the bridge is away (queue_log and cdr-csv/Master.csv with each row's
	# Uniqueid and Linkedid): what a restarted bridge can recover calls from.
	"cdr.conf": "[general]\nenable=yes\nunanswered=yes\ncongestion=yes\n\n[csv]\nusegmtime=yes\n"
	"loguniqueid=yes\nloguserfield=yes\naccountlogs=no\nnewcdrcolumns=yes\n",
	"cdr_manager.conf": "[general]\nenabled=yes\n",
	"cel.conf": "[general]\nenable=no\n",
	"ccss.conf": "[general]\n",
	"acl.conf": "",
	"udptl.conf": "[general]\n",
	"pjproject.conf": "",
	"indications.conf": "[general]\ncountry=us\n\n[us]\ndescription = United States / North America\n"
	"ringcadence = 2000,4000\ndial = 350+440\nbusy = 480+620/500,0/500\nring = 440+480/2000,0/4000\n"
	"congestion = 480+620/250,0/250\ncallwaiting = 440/300,0/10000\ndialrecall = !350+440/100,!0/100,"
	"!350+440/100,!0/100,!350+440/100,!0/100,350+440\nrecord = 1400/500,0/15000\ninfo = !950/330,!1400/330,"
	"!1800/330,0\nstutter = !350+440/100,!0/100,350+440\n",
	"features.conf": "[general]\n",
	"voicemail.conf": "[general]\nformat=wav\nmaxsecs=60\nminsecs=1\nmaxsilence=0\n\n[default]\n"
	"100 => 1234,Lab Mailbox\n",
	"musiconhold.conf": "[default]\nmode=files\ndirectory={data}/sounds/moh\n",
	"rtp.conf": "[general]\nrtpstart={rtp_start}\nrtpend={rtp_end}\n",
	"queues.conf": "[general]\n",
	"amd.conf": AMD_CONF,
	"stasis.conf": "[threadpool]\ninitial_size = 5\nidle_timeout_sec = 20\nmax_size = 50\n",
	"modules.conf": modules_conf(),
}


def manager_conf(port: int, secret: str) -> str:
	return f"""[general]
enabled = yes
port = {port}
bindaddr = {HOST}
timestampevents = yes

[cc]
secret = {secret}
deny = 0.0.0.0/0.0.0.0
permit = {HOST}/255.255.255.255
read = {MANAGER_READ}
write = {MANAGER_WRITE}
writetimeout = 5000
"""


def pjsip_lab_part(port: int, peer_port: int, endpoint: str, context: str, agent: str) -> str:
	"""The transport and the trunk (PBX: endpoint 'trunk' → the carrier; carrier: 'pbx' → the PBX)."""
	return f"""; The lab's part: a UDP transport on loopback and the trunk to the other Asterisk.
[global]
type=global
user_agent={agent}
endpoint_identifier_order=ip,username

[lab-udp]
type=transport
protocol=udp
bind={HOST}:{port}

[{endpoint}]
type=endpoint
transport=lab-udp
context={context}
disallow=all
allow=ulaw
aors={endpoint}
direct_media=no
rtp_symmetric=yes
media_address={HOST}
bind_rtp_to_media_address=yes

[{endpoint}]
type=aor
contact=sip:{HOST}:{peer_port}

[{endpoint}]
type=identify
endpoint={endpoint}
match={HOST}:{peer_port}
"""


CARRIER_DIALPLAN = r"""[general]
static=yes
writeprotect=yes

; The carrier places calls to the PBX's DIDs when the lab sends Originate (Channel PJSIP/<did>@pbx,
; Context lab-caller): once the PBX answers, the caller optionally presses DTMF, says a sentence, then
; stays on the line (silence) until HOLD seconds after the answer, or until the lab hangs it up.
[lab-caller]
exten => s,1,NoOp(lab caller)
 same => n,Set(TIMEOUT(absolute)=${IF($[${LEN(${HOLD})} > 0]?${HOLD}:60)})
 same => n,GotoIf($[${LEN(${DTMF})} = 0]?talk)
 same => n,Wait(1)
 same => n,SendDTMF(${DTMF})
 same => n(talk),Playback(lab/caller)
 same => n,Playback(lab/silence30)
 same => n,Playback(lab/silence30)
 same => n,Hangup()

; Calls from the PBX (agents' outbound calls, click-to-call, the dialer): the number says who answers.
; +3706000000<kind><h>: kind 1 person, 2 answering machine, 3 silent person (silence frames), 4 mute line
; (no RTP at all); the callee hangs up (h + 1) * 3 seconds after answering.
[from-pbx]
exten => _+3706000001X,1,Answer()
 same => n,Set(TIMEOUT(absolute)=$[(${EXTEN:-1} + 1) * 3])
 same => n,Wait(0.3)
 same => n,Playback(lab/hello)
 same => n,Playback(lab/silence30)
 same => n,Hangup()
exten => _+3706000002X,1,Answer()
 same => n,Set(TIMEOUT(absolute)=$[(${EXTEN:-1} + 1) * 3])
 same => n,Wait(0.3)
 same => n,Playback(lab/machine)
 same => n,Playback(beep)
 same => n,Playback(lab/silence30)
 same => n,Hangup()
exten => _+3706000003X,1,Answer()
 same => n,Set(TIMEOUT(absolute)=$[(${EXTEN:-1} + 1) * 3])
 same => n,Playback(lab/silence30)
 same => n,Hangup()
exten => _+3706000004X,1,Answer()
 same => n,Wait($[(${EXTEN:-1} + 1) * 3])
 same => n,Hangup()
exten => _X.,1,Answer()
 same => n,Playback(lab/hello)
 same => n,Wait(5)
 same => n,Hangup()
exten => _+X.,1,Goto(${EXTEN:1},1)
"""


# --- the app side ---------------------------------------------------------------------------------------
def app_env() -> dict:
	env = dict(os.environ)
	env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
	env["PYTHONUNBUFFERED"] = "1"
	return env


# --- the bench (bench mode, two tenants, the WebRTC lab's site) -----------------------------------------
BENCH_DIR = Path(os.environ.get("CC_LAB_BENCH", "/root/frappe-bench"))


def bench_env(*paths: Path) -> dict:
	"""The environment of a ``bench`` command: ``paths`` alone on PYTHONPATH (this tree before the bench's own
	app), output unbuffered."""
	env = dict(os.environ)
	env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
	env["PYTHONUNBUFFERED"] = "1"
	return env


def bench_execute(site: str, target: str, kwargs: dict, env: dict, timeout: float = 60):
	"""``bench --site SITE execute <target> --kwargs …``; the JSON on its last line (None if it printed none).

	``bench execute`` resolves a dotted path only inside an installed app; anything else it evaluates as
	Python, so ``__import__('bench_site').<function>`` reaches a module on PYTHONPATH."""
	done = subprocess.run(
		["bench", "--site", site, "execute", target, "--kwargs", repr(kwargs)],
		cwd=BENCH_DIR,
		env=env,
		capture_output=True,
		text=True,
		timeout=timeout,
	)
	if done.returncode != 0:
		raise RuntimeError(
			f"bench execute {target} on {site} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
		)
	lines = [line for line in done.stdout.splitlines() if line.strip()]
	return json.loads(lines[-1]) if lines else None


def local_timezone() -> str:
	"""This machine's time zone (the lab's Asterisk writes Master.csv in it)."""
	if os.environ.get("TZ"):
		return os.environ["TZ"].lstrip(":")
	with contextlib.suppress(OSError):
		return Path("/etc/timezone").read_text().strip() or "UTC"
	with contextlib.suppress(OSError):
		return str(Path("/etc/localtime").resolve()).split("/zoneinfo/", 1)[1]
	return "UTC"


@dataclass
class Ports:
	pbx_sip: int = field(default_factory=free_sip_port)
	carrier_sip: int = field(default_factory=free_sip_port)
	pbx_ami: int = field(default_factory=free_port)
	carrier_ami: int = field(default_factory=free_port)
	agi: int = field(default_factory=free_port)


class Lab:
	def __init__(self, run_dir: Path | None = None, python: str = sys.executable):
		self.run = Path(run_dir or tempfile.mkdtemp(prefix="cc-lab-"))
		self.python = python
		self.ports = Ports()
		self.secret = "lab-" + os.urandom(8).hex()
		self.data = self.run / "data"
		self.pbx = Asterisk("pbx", self.run / "pbx", self.data)
		self.carrier = Asterisk("carrier", self.run / "carrier", self.data)
		self.phones: dict[str, Phone] = {}
		self.agi: Proc | None = None
		self.tail: Proc | None = None
		self.pbx_ami: AmiWatcher | None = None
		self.carrier_ami: AmiWatcher | None = None
		self.calls_file = self.run / "calls.jsonl"
		self.spool = self.run / "ami-spool"
		self.routes_file = self.run / "routes.json"
		self.startup_log: list[str] = []  # the PBX's WARNING/ERROR lines once everything was up
		self.rendered: dict[str, str] = {}

	# --- start / stop -----------------------------------------------------------------------------------
	def start(self) -> Lab:
		atexit.register(self.stop)  # an interpreter that exits without teardown still stops the processes
		try:
			self._start()
		except BaseException:
			self.stop()
			raise
		return self

	def _start(self) -> None:
		t0 = time.monotonic()
		self.data.mkdir(parents=True, exist_ok=True)
		for name in ("documentation",):
			if os.path.isdir(f"{SYSTEM_DOCS}"):
				(self.data / name).symlink_to(SYSTEM_DOCS)
		self.sounds = make_sounds(self.data)
		shutil.copy(ROOT / "tests" / "e2e" / "routes.json", self.routes_file)
		self._write_pbx()
		self._write_carrier()
		(self.run / "ami-secret").write_text(self.secret)
		os.chmod(self.run / "ami-secret", 0o600)

		self.agi = self.agi_serve("agi-serve", self.routes_file, self.ports.agi)
		self.agi.start()
		self.carrier.start()
		self.pbx.start()
		self.pbx_ami = AmiWatcher(self.ports.pbx_ami, "cc", self.secret, "pbx")
		self.pbx_ami.start()
		self.carrier_ami = AmiWatcher(self.ports.carrier_ami, "cc", self.secret, "carrier")
		self.carrier_ami.start()
		self.start_tail()
		for account in PHONES.values():
			phone = Phone(
				account,
				self.run / "phones" / account.username,
				self.ports.pbx_sip,
				self.sounds["lab/agent-call"],
			)
			self.phones[account.username] = phone
			phone.start()
		wait_until(self._all_registered, 20, "all agents registered", every=0.3)
		wait_until(
			lambda: "listening on" in self.agi_log() or not self.agi.running, 10, "agi-serve listening"
		)
		if not self.agi.running:
			raise RuntimeError(f"lab: agi-serve exited; see {self.run}/agi-serve.log")
		for queue, agent, penalty in MEMBERS:
			self.desk(actions.queue_add(actions.Membership(queue, f"PJSIP/{agent}", penalty, name=agent)))
		time.sleep(0.5)
		self.startup_log = self.pbx.log_lines()
		self.started_in = time.monotonic() - t0

	def _write_pbx(self) -> None:
		rendered = render_all(list(PHONES.values()), list(QUEUES), AgiTarget(HOST, self.ports.agi))
		self.rendered = dict(rendered.files)
		files = {k: v.format(rtp_start=20000, rtp_end=24999, data=self.data) for k, v in COMMON_FILES.items()}
		files.update(
			rendered.files
		)  # queues.conf, extensions.conf, features.conf as render-asterisk writes them
		files["cc-pjsip.conf"] = rendered.files["pjsip.conf"]
		files["pjsip.conf"] = (
			pjsip_lab_part(self.ports.pbx_sip, self.ports.carrier_sip, "trunk", "cc-inbound", "cc-lab-pbx")
			+ "\n; The SIP accounts, exactly as render-asterisk writes them:\n#include cc-pjsip.conf\n"
		)
		files["manager.conf"] = manager_conf(self.ports.pbx_ami, self.secret)
		self.pbx.write(files)

	def _write_carrier(self) -> None:
		files = {k: v.format(rtp_start=25000, rtp_end=29999, data=self.data) for k, v in COMMON_FILES.items()}
		files["pjsip.conf"] = pjsip_lab_part(
			self.ports.carrier_sip, self.ports.pbx_sip, "pbx", "from-pbx", "cc-lab-carrier"
		)
		files["extensions.conf"] = CARRIER_DIALPLAN
		files["manager.conf"] = manager_conf(self.ports.carrier_ami, self.secret)
		self.carrier.write(files)

	def start_tail(self) -> None:
		env = app_env()
		extra = []
		# the bridge's recovery from Asterisk's own logs, when this tree's ami-tail has it
		usage = subprocess.run(
			[self.python, "-m", "callcenter_app.cli", "ami-tail", "--help"],
			capture_output=True,
			text=True,
			env=env,
		).stdout
		log_dir = self.pbx.root / "log"
		for option, path in (
			("--queue-log", log_dir / "queue_log"),
			("--cdr-csv", log_dir / "cdr-csv" / "Master.csv"),
		):
			if option in usage:
				path.touch()  # Asterisk appends; ami-tail refuses a file it cannot read
				extra += [option, str(path)]
		self.tail = self.ami_tail("ami-tail", self.spool, self.calls_file, extra, env)
		self.tail.start()

	def cli(self, name: str, args: list[str], env: dict | None = None) -> Proc:
		"""``python -m callcenter_app.cli -v <args>`` as a lab process, logging to ``<run>/<name>.log``."""
		command = [self.python, "-m", "callcenter_app.cli", "-v", *args]
		return Proc(name, command, self.run / f"{name}.log", env=env or app_env())

	def agi_serve(self, name: str, routes: Path, port: int, extra: list[str] = ()) -> Proc:
		"""The pure route server on ``port`` with the routes JSON ``routes``."""
		return self.cli(
			name, ["agi-serve", "--routes", str(routes), "--host", HOST, "--port", str(port), *extra]
		)

	def ami_tail(
		self, name: str, spool: Path, out: Path, extra: list[str] = (), env: dict | None = None
	) -> Proc:
		"""The pure AMI bridge on the PBX's AMI, writing JSON records to ``out``."""
		connect = ["--host", HOST, "--port", str(self.ports.pbx_ami), "--username", "cc"]
		files = ["--secret-file", str(self.run / "ami-secret"), "--spool", str(spool), "--out", str(out)]
		return self.cli(name, ["ami-tail", *connect, *files, *extra], env)

	def _all_registered(self) -> bool:
		text = self.pbx.cli("pjsip show contacts", check=False)
		return all(re.search(rf"Contact:\s+{name}/sip:", text) for name in PHONES)

	def stop(self) -> None:
		for watcher in (self.pbx_ami, self.carrier_ami):
			if watcher is not None:
				watcher.close()
		for phone in self.phones.values():
			with contextlib.suppress(Exception):
				phone.stop()
		for proc in (self.tail, self.agi):
			if proc is not None:
				with contextlib.suppress(Exception):
					proc.stop()
		for ast in (self.pbx, self.carrier):
			with contextlib.suppress(Exception):
				ast.stop()

	# --- actions ----------------------------------------------------------------------------------------
	def session(self, carrier: bool = False) -> AmiSession:
		port = self.ports.carrier_ami if carrier else self.ports.pbx_ami
		return AmiSession(AmiConfig(HOST, port, "cc", self.secret))

	def desk(self, action: actions.Action) -> dict:
		"""Send a desk action (telephony/actions.py) the way the desk does: a one-shot AMI session."""
		with self.session() as s:
			return s.action(action.name, action.fields, action.variables)

	def channels(self) -> list[dict]:
		with self.session() as s:
			return s.action_list("CoreShowChannels")

	def live_call(self, agent: str, timeout: float = 10) -> actions.LiveCall:
		"""The agent's connected call, as the desk finds it (CoreShowChannels → actions.agent_call)."""

		def find():
			with contextlib.suppress(Exception):
				call = actions.agent_call(self.channels(), agent)
				if call.peer_channel:
					return call
			return None

		return wait_until(find, timeout, f"{agent} connected to someone")

	def next_caller(self) -> str:
		"""A caller number of this process's own: the one-site, bench-bridge and WebRTC labs of one pytest run
		share the bench site, and a number two labs both used found the other lab's call log there."""
		return f"+3706111{os.getpid() % 1000:03d}{next(_CALLERS):02d}"

	def call_in(self, did: str, caller: str | None = None, hold: int = 60, dtmf: str = "") -> str:
		"""The carrier calls ``did`` from ``caller``; returns the caller number (find the record by it)."""
		caller = caller or self.next_caller()
		with self.session(carrier=True) as s:
			s.action(
				"Originate",
				{
					"Channel": f"PJSIP/{did}@pbx",
					"Context": "lab-caller",
					"Exten": "s",
					"Priority": 1,
					"CallerID": f"<{caller}>",
					"Timeout": 30000,
					"Async": "true",
				},
				{"HOLD": str(hold), "DTMF": dtmf},
			)
		return caller

	def hangup_carrier(self) -> None:
		"""Hang up every call the carrier has (the caller hangs up)."""
		with self.session(carrier=True) as s:
			for ch in s.action_list("CoreShowChannels"):
				with contextlib.suppress(Exception):
					s.action("Hangup", {"Channel": ch["Channel"]})

	def reset(self) -> None:
		"""Between scenarios: no call left anywhere, every queue member back and unpaused."""
		for ast in (self.carrier, self.pbx):
			ast.cli("channel request hangup all", check=False)
		for queue, agent, _penalty in MEMBERS:
			with contextlib.suppress(Exception):
				self.desk(actions.queue_pause(actions.Membership(queue, f"PJSIP/{agent}"), False))
		self.wait_idle()

	def wait_idle(self, timeout: float = 20) -> None:
		"""No channel left on either Asterisk."""
		wait_until(
			lambda: (
				"0 active channels" in self.pbx.cli("core show channels count", check=False)
				and "0 active channels" in self.carrier.cli("core show channels count", check=False)
			),
			timeout,
			"both Asterisks idle",
			every=0.3,
		)

	# --- results ----------------------------------------------------------------------------------------
	def records(self) -> list[dict]:
		if not self.calls_file.exists():
			return []
		out = []
		for line in self.calls_file.read_text().splitlines():
			with contextlib.suppress(ValueError):
				out.append(json.loads(line))
		return out

	def wait_record(
		self, pred: Callable[[dict], bool], timeout: float = 20, what: str = "call record"
	) -> dict:
		return wait_until(
			lambda: next((r for r in self.records() if pred(r)), None), timeout, what, every=0.3
		)

	def agi_log(self) -> str:
		return (self.run / "agi-serve.log").read_text(errors="replace")

	def route_path(self, caller: str, timeout: float = 10) -> str:
		"""The route server's summary of the call from ``caller``: ``node:branch | … → outcome``."""

		def line():
			for text in self.agi_log().splitlines():
				if f" from {caller} to " in text:
					return text.split(": ", 1)[1] if ": " in text else text
			return None

		return wait_until(line, timeout, f"the route server's line for {caller}")

	def describe(self) -> str:
		p = self.ports
		return "\n".join(
			[
				f"run directory   {self.run}",
				f"PBX             SIP udp {HOST}:{p.pbx_sip}  AMI {HOST}:{p.pbx_ami} (user cc, secret in "
				f"{self.run}/ami-secret)  asterisk -C {self.pbx.conf} -rx '…'",
				f"carrier         SIP udp {HOST}:{p.carrier_sip}  AMI {HOST}:{p.carrier_ami}  "
				f"asterisk -C {self.carrier.conf} -rx '…'",
				f"agi-serve       {HOST}:{p.agi}  log {self.run}/agi-serve.log",
				f"ami-tail        records {self.calls_file}  log {self.run}/ami-tail.log",
				*(
					f"phone {n:<9} SIP {HOST}:{ph.sip_port}  ctrl_tcp {HOST}:{ph.ctrl_port}  {ph.root}"
					for n, ph in self.phones.items()
				),
				f"PBX log         {self.pbx.messages}",
			]
		)


def main(argv: list[str] | None = None) -> int:
	import argparse

	parser = argparse.ArgumentParser(description="Start the PBX lab and keep it up until Ctrl-C.")
	parser.add_argument("--keep", action="store_true", help="keep the run directory afterwards")
	args = parser.parse_args(argv)

	def interrupted(signum, frame):
		raise KeyboardInterrupt

	signal.signal(signal.SIGTERM, interrupted)
	lab = Lab().start()
	print(lab.describe(), flush=True)
	print(f"started in {lab.started_in:.1f} s; Ctrl-C stops everything", flush=True)
	try:
		signal.pause()
	except KeyboardInterrupt:
		pass
	finally:
		lab.stop()
		if not args.keep:
			shutil.rmtree(lab.run, ignore_errors=True)
	return 0


if __name__ == "__main__":
	sys.exit(main())
