"""Asterisk's side of a FastAGI connection, for tests and benchmarks: a real TCP client on loopback.

The environment is the one a real Asterisk 22 sent (shared/asterisk/fastagi_session.txt), with the DID
and caller passed as AGI arguments the way our extensions.conf does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
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


@dataclass
class Scenario:
	"""How 'Asterisk' answers: digits at each GET DATA, queue and dial statuses, when the caller hangs up."""

	digits: Iterable[str] = ()
	queue_results: Iterable[str] = ()
	dial_results: Iterable[str] = ()
	hang_up_on: Callable[[str], bool] | None = None  # hang up when this command arrives
	stall_on: Callable[[str], bool] | None = None  # stop answering (but keep the socket open)
	commands: list[str] = field(default_factory=list)
	closed_by_server: bool = False

	def __post_init__(self):
		self._digits = iter(list(self.digits))
		self._queue = iter(list(self.queue_results))
		self._dial = iter(list(self.dial_results))
		self._last_queue = self._last_dial = "answered"

	def reply(self, command: str) -> list[str]:
		verb = command.split('"')[0].strip()
		if verb == "GET DATA":
			digits = next(self._digits, "")
			return [f"200 result={digits}" if digits else "200 result= (timeout)"]
		if verb == "EXEC Queue":
			self._last_queue = next(self._queue, "answered")
			return ["200 result=0"]
		if verb == "EXEC Dial":
			self._last_dial = next(self._dial, "answered")
			return ["200 result=0"]
		if verb == "GET VARIABLE":
			name = command.split('"')[1]
			if name == "DIALSTATUS":
				# as Asterisk: Dial always sets DIALSTATUS, ANSWER when the forward was answered
				value = "answer" if self._last_dial == "answered" else self._last_dial
				return [f"200 result=1 ({value.upper()})"]
			# QUEUESTATUS is only set when the caller leaves the queue unanswered
			value = self._last_queue if name == "QUEUESTATUS" else "answered"
			return ["200 result=0"] if value == "answered" else [f"200 result=1 ({value.upper()})"]
		if verb == "STREAM FILE":
			return ["200 result=0 endpos=12000"]
		if verb == "CHANNEL STATUS":
			return ["200 result=6"]
		if verb == "SET VARIABLE":
			return ["200 result=1"]
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
			if scenario.hang_up_on and scenario.hang_up_on(command):
				writer.write(b"HANGUP\n200 result=-1\n")
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
