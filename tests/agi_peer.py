"""Asterisk's side of a FastAGI connection, for tests and benchmarks: a real TCP client on loopback.

The environment is the one a real Asterisk 22 sent (tests/data/asterisk/fastagi_session.txt), with the DID
and caller passed as AGI arguments the way our extensions.conf does.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

REAL_ENV = [
	("agi_network", "yes"),
	("agi_network_script", "route"),
	("agi_request", "agi://127.0.0.1:4573/route"),
	("agi_channel", "Local/100@cc-inbound-00000742;2"),
	("agi_language", "en"),
	("agi_type", "Local"),
	("agi_uniqueid", "1795337959.3717"),
	("agi_version", "22.10.1"),
	("agi_callerid", "55510001"),
	("agi_calleridname", "Test Test 1"),
	("agi_callingpres", "0"),
	("agi_callingani2", "0"),
	("agi_callington", "0"),
	("agi_callingtns", "0"),
	("agi_dnid", "unknown"),
	("agi_rdnis", "unknown"),
	("agi_context", "cc-inbound"),
	("agi_extension", "100"),
	("agi_priority", "5"),
	("agi_enhanced", "0.0"),
	("agi_accountcode", ""),
	("agi_threadid", "140655153235648"),
]


def env_lines(did: str, caller: str, uniqueid: str = "1795337959.3717") -> bytes:
	own = {"agi_uniqueid": uniqueid, "agi_callerid": caller or "unknown"}
	env = [(k, own.get(k, v)) for k, v in REAL_ENV]
	env += [("agi_arg_1", did), ("agi_arg_2", caller)]
	return "".join(f"{k}: {v}\n" for k, v in env).encode() + b"\n"


DEAD_OK = ("EXEC", "GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "VERBOSE", "NOOP", "DATABASE")
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
# app_queue: statuses set when joining fails (ABANDONED stays unset) and when a caller in the queue leaves
# unanswered (record_abandoned sets ABANDONED=TRUE).
QUEUE_JOIN_FAILS = frozenset({"full", "joinempty", "joinunavail", "unknown"})
QUEUE_LEAVES = frozenset({"timeout", "leaveempty", "leaveunavail", "withdraw", "continue"})


@dataclass
class Scenario:
	"""How 'Asterisk' answers: digits at each GET DATA, queue and dial results, when the caller hangs up.

	It keeps the channel's state and variables as Asterisk 22 does (res_agi.c, app_queue.c, app_dial.c):
	an answered Queue or Dial returns ``-1`` when the call ends (the channel is gone), QUEUESTATUS is set only
	when the caller leaves unanswered or cannot join (UNKNOWN for a queue Asterisk does not have), ABANDONED
	is TRUE when a caller in the queue was not answered, DIALSTATUS is ANSWER for an answered forward. A
	hang-up gives ``200 result=-1`` then a ``HANGUP`` line; afterwards only dead-channel commands run.
	"""

	digits: Iterable[str] = ()
	queue_results: Iterable[
		str
	] = ()  # 'answered' or a QUEUESTATUS (lower case); 'abandoned': caller hangs up
	dial_results: Iterable[str] = ()  # 'answered' or a DIALSTATUS (lower case); 'cancel': caller hangs up
	hang_up_on: Callable[[str], bool] | None = None  # hang up during this command
	stall_on: Callable[[str], bool] | None = None  # stop answering (but keep the socket open)
	asterisk_queues: Collection[str] | None = None  # the queues Asterisk has (None: every one asked for)
	missing_sounds: Collection[str] = ()  # sound files Asterisk does not have
	commands: list[str] = field(default_factory=list)
	closed_by_server: bool = False
	variables: dict[str, str] = field(default_factory=dict)
	state: int = 4  # AST_STATE_RING until ANSWER, then 6 (up)
	dead: bool = False

	def __post_init__(self):
		self._digits = iter(list(self.digits))
		self._queue = iter(list(self.queue_results))
		self._dial = iter(list(self.dial_results))

	def hang_up(self, command: str = "") -> list[str]:
		"""The caller hangs up while ``command`` runs: its -1 result, then the HANGUP line."""
		if command.startswith("EXEC Queue"):
			self.variables["ABANDONED"] = "TRUE"
		elif command.startswith("EXEC Dial"):
			self.variables["DIALSTATUS"] = "CANCEL"
		self.dead, self.state = True, 0
		return ["200 result=-1", "HANGUP"]

	def reply(self, command: str) -> list[str]:
		args = shlex.split(command)
		verb = " ".join(args[:2]) if args[0] in ("GET", "SET", "STREAM", "CHANNEL") else args[0]
		if self.dead and not verb.startswith(DEAD_OK):
			return [DEAD]
		if verb == "ANSWER":
			self.state = 6
			return ["200 result=0"]
		if verb == "CHANNEL STATUS":
			return [f"200 result={self.state}"]
		if verb == "SET VARIABLE":
			self.variables[args[2]] = args[3]
			return ["200 result=1"]
		if verb == "GET VARIABLE":
			value = self.variables.get(args[2])
			return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]
		if verb == "STREAM FILE":
			return (
				["200 result=-1 endpos=0"]
				if args[2] in self.missing_sounds
				else ["200 result=0 endpos=12000"]
			)
		if verb == "GET DATA":
			if args[2] in self.missing_sounds:
				return ["200 result=-1"]
			digits = next(self._digits, "")
			return [f"200 result={digits}" if digits else "200 result= (timeout)"]
		if verb == "EXEC" and args[1] == "Queue":
			return self.queue(args[2].split(",")[0], command)
		if verb == "EXEC" and args[1] == "Dial":
			return self.dial(command)
		if verb == "HANGUP":
			return ["200 result=1"]
		return ["200 result=0"]

	def queue(self, name: str, command: str) -> list[str]:
		self.variables.pop("ABANDONED", None)  # Queue() clears it when it starts
		if self.asterisk_queues is not None and name not in self.asterisk_queues:
			self.variables["QUEUESTATUS"] = "UNKNOWN"  # "Unable to join queue"
			return ["200 result=0"]
		result = next(self._queue, "answered")
		if result == "answered":  # bridged to an agent; Queue returns when the call ends
			self.dead, self.state = True, 0
			return ["200 result=-1", "HANGUP"]
		if result == "abandoned":
			return self.hang_up(command)
		self.variables["QUEUESTATUS"] = result.upper()
		if result in QUEUE_LEAVES:
			self.variables["ABANDONED"] = "TRUE"
		return ["200 result=0"]

	def dial(self, command: str) -> list[str]:
		result = next(self._dial, "answered")
		if result == "answered":  # Dial returns when the answered call ends
			self.variables["DIALSTATUS"] = "ANSWER"
			self.dead, self.state = True, 0
			return ["200 result=-1", "HANGUP"]
		if result == "cancel":
			return self.hang_up(command)
		self.variables["DIALSTATUS"] = result.upper()
		return ["200 result=0"]


async def play_call(
	host: str,
	port: int,
	did: str,
	caller: str,
	scenario: Scenario,
	uniqueid: str = "1795337959.3717",
	timeout=5.0,
) -> Scenario:
	reader, writer = await asyncio.open_connection(host, port)
	try:
		writer.write(env_lines(did, caller, uniqueid))
		await writer.drain()
		while True:
			line = await asyncio.wait_for(reader.readline(), timeout)
			if not line:
				scenario.closed_by_server = True
				return scenario
			command = line.decode().rstrip("\n")
			scenario.commands.append(command)
			if scenario.hang_up_on and not scenario.dead and scenario.hang_up_on(command):
				writer.write("".join(f"{line}\n" for line in scenario.hang_up(command)).encode())
				await writer.drain()
				continue
			if scenario.stall_on and scenario.stall_on(command):
				rest = await asyncio.wait_for(reader.read(), timeout)  # wait for the server to give up
				scenario.closed_by_server = rest == b""
				return scenario
			for reply in scenario.reply(command):
				writer.write(reply.encode() + b"\n")
			await writer.drain()
	finally:
		writer.close()
