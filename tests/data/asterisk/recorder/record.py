"""Record AMI traffic from a private Asterisk 22 (Local channels only) for the tracker's regression tests.

Usage (as root, with Asterisk installed): ``python record.py OUTDIR [scenario ...]``. Each scenario starts
a fresh Asterisk from ``etc/`` (its own directories under /root/rec-ast, AMI on 127.0.0.1:15038, no SIP),
plays the calls below while a FastAGI server on 127.0.0.1:14573 plays the route server's part (the same
AGI commands as callcenter_app/telephony/agi/server.py), and writes for each AMI session:

- ``<name>.ami``: the bytes Asterisk sent, exactly; ``<name>.sent.jsonl``: the actions sent (secret masked);
- ``<scenario>.meta.json``: timeline, the Originate variables, the queue_log lines and the cdr-csv
  (Master.csv) lines Asterisk wrote, and the AGI transcript.

Then Asterisk is stopped. ``truth.py`` derives the ground truth from these files.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path("/root/rec-ast")
AMI_PORT = 15038
AGI_PORT = 14573
SECRET = "rec-secret-only-local"
sys.path.insert(0, str(HERE.parents[3]))

from callcenter_app.telephony.ami.protocol import FrameParser, encode_action

PROMPTS = (
	"pbx-transfer",
	"pbx-invalid",
	"beep",
	"vm-intro",
	"vm-theperson",
	"vm-isunavail",
	"vm-isonphone",
	"vm-goodbye",
	"vm-msgsaved",
	"vm-extension",
	"auth-thankyou",
	*(f"digits/{d}" for d in range(10)),
)
ASTERISK_CONF = """[directories]
astetcdir => {root}/etc
astmoddir => /usr/lib/asterisk/modules
astvarlibdir => {root}/lib
astdbdir => {root}/lib
astkeydir => {root}/lib
astdatadir => {root}/data
astagidir => {root}/lib/agi-bin
astspooldir => {root}/spool
astrundir => {root}/run
astlogdir => {root}/log
astsbindir => /usr/sbin

[options]
systemname =
transmit_silence = no
"""


# --- the private Asterisk -------------------------------------------------------------------------------
def start_asterisk() -> subprocess.Popen:
	if ROOT.exists():
		shutil.rmtree(ROOT)
	for sub in ("etc", "lib", "spool", "run", "log", "log/cdr-csv", "lib/agi-bin", "lib/moh"):
		(ROOT / sub).mkdir(parents=True, exist_ok=True)
	for conf in (HERE / "etc").iterdir():
		shutil.copy(conf, ROOT / "etc" / conf.name)
	# the installed data directory (XML documentation Stasis needs), plus silent prompts: no sound packages
	# are installed, and the atxfer feature gives up when it cannot play pbx-transfer
	data = ROOT / "data"
	data.mkdir()
	for item in Path("/var/lib/asterisk").iterdir():
		if item.name != "sounds":
			(data / item.name).symlink_to(item)
	for prompt in PROMPTS:
		path = data / "sounds" / "en" / f"{prompt}.wav"
		path.parent.mkdir(parents=True, exist_ok=True)
		with wave.open(str(path), "wb") as w:
			w.setnchannels(1)
			w.setsampwidth(2)
			w.setframerate(8000)
			w.writeframes(b"\0\0" * 1600)  # 0.2 s of silence
	(ROOT / "etc" / "asterisk.conf").write_text(ASTERISK_CONF.format(root=ROOT))
	proc = subprocess.Popen(
		["asterisk", "-C", str(ROOT / "etc" / "asterisk.conf"), "-f", "-n", "-q"],
		stdin=subprocess.DEVNULL,
		stdout=open(ROOT / "log" / "console.txt", "wb"),
		stderr=subprocess.STDOUT,
	)
	deadline = time.time() + 30
	while time.time() < deadline:
		try:
			import socket

			with socket.create_connection(("127.0.0.1", AMI_PORT), 1):
				return proc
		except OSError:
			time.sleep(0.3)
	proc.kill()
	raise RuntimeError("Asterisk did not open its AMI port")


def stop_asterisk(proc: subprocess.Popen) -> None:
	subprocess.run(
		["asterisk", "-C", str(ROOT / "etc" / "asterisk.conf"), "-rx", "core stop now"],
		capture_output=True,
		timeout=20,
	)
	try:
		proc.wait(15)
	except subprocess.TimeoutExpired:
		proc.kill()
		proc.wait(5)


# --- FastAGI: the route server's part --------------------------------------------------------------------
class RouteServer:
	"""Plans by the channel variable ROUTE_PLAN: ``queue:<q>``, ``overflow:<q1>><q2>``, ``voicemail:<box>``;
	``<q>/t`` adds Queue's ``t`` option (the agent may transfer: AMI Atxfer is DTMF of the atxfer feature code,
	which does nothing on a channel without transfer rights)."""

	def __init__(self):
		self.transcript: list[str] = []

	async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
		env = {}
		while True:
			line = (await reader.readline()).decode().rstrip("\n")
			if not line:
				break
			key, _, value = line.partition(": ")
			env[key] = value
		self.transcript.append(f"session {env.get('agi_uniqueid')} {env.get('agi_channel')}")

		async def cmd(text: str) -> str:
			writer.write((text + "\n").encode())
			await writer.drain()
			reply = (await reader.readline()).decode().strip()
			self.transcript.append(f"> {text}\n< {reply}")
			return reply

		def value(reply: str) -> str:
			return reply.split("(", 1)[1].rsplit(")", 1)[0] if "(" in reply else ""

		try:
			plan = value(await cmd('GET VARIABLE "ROUTE_PLAN"'))
			kind, _, arg = plan.partition(":")
			await cmd('SET VARIABLE "CC_ROUTE" "Main line"')
			await cmd('SET VARIABLE "CC_DID" "100"')
			if kind == "voicemail":
				await cmd(f'EXEC VoiceMail "{arg},u"')
			else:
				queues = arg.split(">")
				for i, target in enumerate(queues):
					queue, _, options = target.partition("/")  # support/t: the agent may transfer (Atxfer)
					await cmd(f'SET VARIABLE "CC_QUEUE" "{queue}"')
					timeout = 5 if i + 1 < len(queues) else 30
					reply = await cmd(f'EXEC Queue "{queue},{options},,,{timeout}"')
					if "result=-1" in reply:
						break
					status = value(await cmd('GET VARIABLE "QUEUESTATUS"')).lower()
					if status not in ("timeout", "joinempty", "leaveempty"):
						break
		except (ConnectionError, IndexError):
			pass
		finally:
			writer.close()


# --- an AMI session that keeps Asterisk's bytes --------------------------------------------------------
OPEN: list[Session] = []


class Session:
	def __init__(self, name: str, outdir: Path):
		self.name, self.outdir = name, outdir
		self.closed = False
		OPEN.append(self)
		self.raw = bytearray()
		self.sent: list[dict] = []
		self.events: list[dict] = []
		self.responses: dict[str, dict] = {}
		self.lists: dict[str, list[dict]] = {}
		self.parser = FrameParser()
		self.n = 0

	async def open(self) -> None:
		self.reader, self.writer = await asyncio.open_connection("127.0.0.1", AMI_PORT)
		self.task = asyncio.create_task(self._read())
		await self.action("Login", {"Username": "cc", "Secret": SECRET, "Events": "on"})

	async def _read(self) -> None:
		while True:
			data = await self.reader.read(65536)
			if not data:
				return
			self.raw += data
			for m in self.parser.feed(data):
				aid = m.get("ActionID", "")
				if "Event" in m and aid in self.lists:
					self.lists[aid].append(m)
				elif "Event" in m:
					self.events.append(m)
				elif aid:
					self.responses[aid] = m

	async def action(self, name: str, fields: dict | None = None, variables: dict | None = None) -> dict:
		self.n += 1
		aid = f"{self.name}-{self.n:03d}"
		fields = {**(fields or {}), "ActionID": aid}
		shown = {k: ("********" if k == "Secret" else v) for k, v in fields.items()}
		if variables:
			shown["Variable"] = [f"{k}={v}" for k, v in variables.items()]
		self.sent.append({"t": time.time(), "action": {"Action": name, **shown}})
		if name in ("CoreShowChannels", "QueueStatus"):
			self.lists[aid] = []
		self.writer.write(encode_action(name, fields, variables))
		await self.writer.drain()
		deadline = time.time() + 10
		while aid not in self.responses and time.time() < deadline:
			await asyncio.sleep(0.02)
		if name in ("CoreShowChannels", "QueueStatus"):
			while (
				not any(e["Event"].endswith("Complete") for e in self.lists[aid]) and time.time() < deadline
			):
				await asyncio.sleep(0.02)
		return self.responses.get(aid, {})

	async def wait_event(self, test, timeout: float = 30.0) -> dict:
		deadline = time.time() + timeout
		seen = 0
		while time.time() < deadline:
			for e in self.events[seen:]:
				if test(e):
					return e
			seen = len(self.events)
			await asyncio.sleep(0.02)
		raise TimeoutError(f"{self.name}: event not seen")

	async def close(self, logoff: bool = True) -> None:
		self.closed = True
		if logoff:
			await self.action("Logoff")
			await asyncio.sleep(0.3)
		self.writer.close()
		self.task.cancel()
		(self.outdir / f"{self.name}.ami").write_bytes(bytes(self.raw))
		with open(self.outdir / f"{self.name}.sent.jsonl", "w") as f:
			for line in self.sent:
				f.write(json.dumps(line) + "\n")


def originate(
	caller: str, name: str, variables: dict, exten: str = "100", context: str = "cc-inbound"
) -> tuple:
	return (
		"Originate",
		{
			"Channel": f"Local/{exten}@{context}",
			"Context": "cc-caller",
			"Exten": "wait",
			"Priority": "1",
			"CallerID": f'"{name}" <{caller}>',
			"Timeout": "30000",
			"Async": "true",
		},
		variables,
	)


async def all_hung_up(s: Session, settle: float = 3.0, timeout: float = 90.0) -> None:
	"""Until every channel created has hung up, then ``settle`` more seconds (late Cdr/AgentComplete)."""
	deadline = time.time() + timeout
	while time.time() < deadline:
		made = {e["Uniqueid"] for e in s.events if e.get("Event") == "Newchannel"}
		gone = {e["Uniqueid"] for e in s.events if e.get("Event") == "Hangup"}
		if made and made <= gone:
			break
		await asyncio.sleep(0.1)
	await asyncio.sleep(settle)


# --- scenarios -----------------------------------------------------------------------------------------
def connect_of(caller: str):
	return lambda e: e.get("Event") == "AgentConnect" and e.get("CallerIDNum") == caller


async def redirect_transfer(out: Path, meta: dict) -> None:
	"""The desk's blind transfer: an AMI Redirect of the bridged caller into cc-agents,200 while the agent
	talks; the target answers after 1 s and talks 5 s."""
	s = Session("redirect_transfer", out)
	await s.open()
	v = {"__AGENT_TALK": "60", "__TARGET_TALK": "5", "CALLER_WAIT": "60", "ROUTE_PLAN": "queue:support"}
	await s.action(*originate("5551101", "Test Redirect", v))
	meta["calls"].append({"caller": "5551101", "variables": v})
	connect = await s.wait_event(connect_of("5551101"))
	await asyncio.sleep(4.5)
	meta["timeline"].append({"t": time.time(), "what": "Redirect caller", "channel": connect["Channel"]})
	await s.action(
		"Redirect", {"Channel": connect["Channel"], "Context": "cc-agents", "Exten": "200", "Priority": "1"}
	)
	await all_hung_up(s)
	await s.close()


async def attended_transfer(out: Path, meta: dict) -> None:
	"""The desk's attended transfer: Atxfer on the agent's channel to 200@cc-agents; once the target has
	answered, the agent's channel hangs up, which completes the transfer."""
	s = Session("attended_transfer", out)
	await s.open()
	v = {"__AGENT_TALK": "60", "__TARGET_TALK": "4", "CALLER_WAIT": "60", "ROUTE_PLAN": "queue:support/t"}
	await s.action(*originate("5551102", "Test Atxfer", v))
	meta["calls"].append({"caller": "5551102", "variables": v})
	connect = await s.wait_event(connect_of("5551102"))
	await asyncio.sleep(3)
	agent = connect["DestChannel"]
	meta["timeline"].append({"t": time.time(), "what": "Atxfer", "channel": agent})
	await s.action("Atxfer", {"Channel": agent, "Exten": "200", "Context": "cc-agents"})
	await s.wait_event(
		lambda e: (
			e.get("Event") == "Newexten"
			and "phone200" in e.get("Channel", "")
			and e.get("Application") == "Answer"
		)
	)
	await asyncio.sleep(1.5)
	meta["timeline"].append({"t": time.time(), "what": "Hangup transferer", "channel": agent})
	await s.action("Hangup", {"Channel": agent})
	await all_hung_up(s)
	await s.close()


async def overflow(out: Path, meta: dict) -> None:
	"""The route server sends the caller to queue noans (nobody answers, 5 s), then to support."""
	s = Session("overflow", out)
	await s.open()
	v = {
		"__AGENT_TALK": "3",
		"__AGENT1_RING": "2",
		"CALLER_WAIT": "60",
		"ROUTE_PLAN": "overflow:noans>support",
	}
	await s.action(*originate("5551103", "Test Overflow", v))
	meta["calls"].append({"caller": "5551103", "variables": v})
	await all_hung_up(s)
	await s.close()


async def ring_no_answer(out: Path, meta: dict) -> None:
	"""Agent One rings past the member timeout (4 s): ring-no-answer; Agent Two answers after 1 s."""
	s = Session("ring_no_answer", out)
	await s.open()
	v = {
		"__AGENT_TALK": "3",
		"__AGENT1_RING": "8",
		"__AGENT2_RING": "1",
		"CALLER_WAIT": "60",
		"ROUTE_PLAN": "queue:support",
	}
	await s.action(*originate("5551104", "Test Rna", v))
	meta["calls"].append({"caller": "5551104", "variables": v})
	await all_hung_up(s)
	await s.close()


async def voicemail_agi(out: Path, meta: dict) -> None:
	"""The route server's outcome voicemail: EXEC VoiceMail "100@default,u"; the caller hangs up after 5 s."""
	s = Session("voicemail_agi", out)
	await s.open()
	v = {"CALLER_WAIT": "5", "ROUTE_PLAN": "voicemail:100@default"}
	await s.action(*originate("5551105", "Test Voicemail", v))
	meta["calls"].append({"caller": "5551105", "variables": v})
	await all_hung_up(s)
	await s.close()


async def inherited_vars(out: Path, meta: dict) -> None:
	"""Calls the desk and the dialer make, with the app's inherited variables: a click-to-call from a ticket
	(__CC_DIRECTION, __CC_TICKET), a console call (__CC_CAMPAIGN), and an unanswered dialer call
	(CC_CAMPAIGN as the dialer sends it; the Originate times out)."""
	s = Session("inherited_vars", out)
	await s.open()
	ctc = {"__CC_DIRECTION": "outbound", "__CC_TICKET": "1042", "__REMOTE_TALK": "3"}
	fields = {
		"Channel": "Local/agentphone@cc-phones",
		"Context": "cc-agents",
		"Exten": "5559001",
		"Priority": "1",
		"Timeout": "30000",
		"Async": "true",
		"CallerID": "<5550100>",
	}
	await s.action("Originate", fields, ctc)
	meta["calls"].append({"kind": "click-to-call", "fields": fields, "variables": ctc})
	await asyncio.sleep(1)
	console = {"__CC_DIRECTION": "outbound", "__CC_CAMPAIGN": "Winter Survey", "__REMOTE_TALK": "2"}
	fields2 = {**fields, "Exten": "5559003"}
	await s.action("Originate", fields2, console)
	meta["calls"].append({"kind": "console", "fields": fields2, "variables": console})
	await asyncio.sleep(1)
	dialer = {
		"CC_CAMPAIGN": "Spring Promo",
		"CC_CONTACT": "CT-0001",
		"CC_ATTEMPT": "AT-0001",
		"CC_QUEUE": "support",
	}
	fields3 = {
		"Channel": "Local/5559002@cc-contacts",
		"Context": "cc-dialer",
		"Exten": "s",
		"Priority": "1",
		"Timeout": "4000",
		"Async": "true",
		"CallerID": "<5550199>",
	}
	await s.action("Originate", fields3, dialer)
	meta["calls"].append({"kind": "dialer, unanswered", "fields": fields3, "variables": dialer})
	await all_hung_up(s, settle=3.0)
	await s.close()


async def drop(out: Path, meta: dict) -> None:
	"""An AMI drop of 5 s. Call Z is answered before it and ends after it; call X is answered and ends
	inside it; call Y is abandoned inside it. Session 1 is before the drop, session 2 after (it starts with
	the CoreShowChannels and QueueStatus answers the bridge asks for)."""
	s1 = Session("drop", out)
	await s1.open()
	z = {"__AGENT_TALK": "14", "CALLER_WAIT": "60", "ROUTE_PLAN": "queue:support"}
	await s1.action(*originate("5551201", "Test Before", z))
	await s1.wait_event(connect_of("5551201"))
	x = {"__AGENT_TALK": "2", "__AGENT2_RING": "3", "CALLER_WAIT": "60", "ROUTE_PLAN": "queue:support"}
	await s1.action(*originate("5551202", "Test Inside", x))
	await asyncio.sleep(1.0)
	y = {"__AGENT_TALK": "2", "CALLER_WAIT": "4", "ROUTE_PLAN": "queue:support"}
	await s1.action(*originate("5551203", "Test Gone", y))
	meta["calls"] += [
		{"caller": "5551201", "variables": z},
		{"caller": "5551202", "variables": x},
		{"caller": "5551203", "variables": y},
	]
	await s1.wait_event(lambda e: e.get("Event") == "QueueCallerJoin" and e.get("CallerIDNum") == "5551203")
	await asyncio.sleep(0.5)
	meta["timeline"].append({"t": time.time(), "what": "connection dropped (no Logoff)"})
	await s1.close(logoff=False)
	await asyncio.sleep(6.5)
	s2 = Session("drop-2", out)
	await s2.open()
	meta["timeline"].append({"t": time.time(), "what": "reconnected"})
	channels = await s2.action("CoreShowChannels")
	status = await s2.action("QueueStatus")
	meta["snapshot_action_ids"] = [channels.get("ActionID"), status.get("ActionID")]
	await all_hung_up_after(s2)
	await s2.close()


async def all_hung_up_after(s: Session, settle: float = 3.0, timeout: float = 60.0) -> None:
	"""Until every channel the snapshot listed (and every one made since) has hung up."""
	deadline = time.time() + timeout
	while time.time() < deadline:
		listed = {
			e["Uniqueid"] for lst in s.lists.values() for e in lst if e.get("Event") == "CoreShowChannel"
		}
		made = listed | {e["Uniqueid"] for e in s.events if e.get("Event") == "Newchannel"}
		gone = {e["Uniqueid"] for e in s.events if e.get("Event") == "Hangup"}
		if made <= gone:
			break
		await asyncio.sleep(0.1)
	await asyncio.sleep(settle)


SCENARIOS = {
	f.__name__: f
	for f in (
		redirect_transfer,
		attended_transfer,
		overflow,
		ring_no_answer,
		voicemail_agi,
		inherited_vars,
		drop,
	)
}


async def run(name: str, out: Path) -> None:
	proc = start_asterisk()
	route = RouteServer()
	server = await asyncio.start_server(route.handle, "127.0.0.1", AGI_PORT)
	meta = {
		"scenario": name,
		"description": SCENARIOS[name].__doc__,
		"asterisk": subprocess.run(["asterisk", "-V"], capture_output=True, text=True).stdout.strip(),
		"timeline": [{"t": time.time(), "what": "asterisk started"}],
		"calls": [],
	}
	try:
		await asyncio.sleep(1.0)
		await SCENARIOS[name](out, meta)
	finally:
		for session in OPEN:
			if not session.closed:
				await session.close(logoff=False)
		OPEN.clear()
		server.close()
		stop_asterisk(proc)
	log = ROOT / "log"
	meta["queue_log_lines"] = _lines(log / "queue_log")
	meta["cdr_csv_lines"] = _lines(log / "cdr-csv" / "Master.csv")
	meta["agi_transcript"] = route.transcript
	(out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1) + "\n")


def _lines(path: Path) -> list[str]:
	return path.read_text().splitlines() if path.exists() else []


def main() -> None:
	out = Path(sys.argv[1])
	out.mkdir(parents=True, exist_ok=True)
	names = sys.argv[2:] or list(SCENARIOS)
	for name in names:
		print("recording", name, flush=True)
		asyncio.run(run(name, out))
	os.sync()


if __name__ == "__main__":
	main()
