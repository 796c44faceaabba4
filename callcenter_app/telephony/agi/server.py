"""The FastAGI route server: Asterisk hands every inbound call to it; the route evaluator decides each step.

One asyncio task per call. The session reads the ``agi_`` environment, finds the route for the DID,
and drives the evaluator's actions with AGI commands:

============================  ===============================================================
evaluator action              AGI
============================  ===============================================================
SetVar(name, value)           ``SET VARIABLE "name" "value"``
Play(file)                    ``ANSWER`` (once) then ``STREAM FILE "file" ""``
Menu(prompt, timeout, n)      ``ANSWER`` (once) then ``GET DATA "prompt" <ms> <n>``
EnterQueue(queue, timeout)    ``EXEC Queue "queue,,,,timeout"`` then ``GET VARIABLE "QUEUESTATUS"``
Dial(number, timeout)         ``EXEC Dial "<dial template>,timeout"`` then ``GET VARIABLE "DIALSTATUS"``
outcome voicemail             ``EXEC VoiceMail "box@context,u"``
outcome hangup / rejected     ``HANGUP``
============================  ===============================================================

A caller's hang-up (``HANGUP`` line, ``result=-1``, 511, or the socket closing) ends the session at any
step. Garbage or a partial environment is logged and the connection closed. Every read has a time limit,
so a peer that stops answering cannot hold a session forever; the limit for Queue and Dial is long
because those commands return only when the call ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter_app.telephony.agi.protocol import (
	MAX_ENV_LINES,
	MAX_LINE,
	AGICommandError,
	AGIHangup,
	AGIProtocolError,
	Response,
	app_args,
	check_env,
	parse_env_line,
	parse_response,
	quote,
)
from callcenter_app.telephony.routing.evaluator import (
	CallContext,
	Dial,
	EnterQueue,
	Menu,
	Outcome,
	Play,
	SetVar,
	Step,
	route_call,
)
from callcenter_app.telephony.routing.model import RouteSet
from callcenter_app.telephony.routing.serialize import loads
from callcenter_app.telephony.routing.validate import validate_routeset

log = logging.getLogger("callcenter.agi")


@dataclass
class ServerConfig:
	host: str = "127.0.0.1"
	port: int = 4573
	env_timeout: float = 5.0  # for the whole environment after connecting
	command_timeout: float = 10.0  # for a quick command's reply
	media_timeout: float = 600.0  # STREAM FILE / GET DATA
	call_timeout: float = 4 * 3600.0  # EXEC Queue / Dial return only when the call ends
	dial_template: str = "PJSIP/{number}@trunk"
	voicemail_options: str = "u"


@dataclass
class CallRecord:
	"""What one session did: the evaluator's steps and the AGI commands sent, for logs and tests."""

	uniqueid: str = ""
	channel: str = ""
	did: str = ""
	caller: str = ""
	steps: list[Step] = field(default_factory=list)
	commands: list[str] = field(default_factory=list)
	outcome: Outcome | None = None
	hung_up: bool = False
	error: str = ""
	started: float = 0.0
	first_action_at: float = 0.0  # monotonic time the first routing decision was sent (call setup)


class AgiSession:
	"""One FastAGI connection."""

	def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, config: ServerConfig):
		self.reader, self.writer, self.config = reader, writer, config
		self.hung_up = False
		self.answered = False
		self.record = CallRecord(started=time.monotonic())

	async def read_line(self, timeout: float) -> str:
		try:
			async with _time_limit(timeout):
				raw = await self.reader.readline()
		except asyncio.TimeoutError:
			raise AGIProtocolError(f"no reply within {timeout:g} s") from None
		except (ValueError, asyncio.LimitOverrunError):
			raise AGIProtocolError(f"a line longer than {MAX_LINE} bytes") from None
		if not raw:
			raise AGIHangup("connection closed")
		if not raw.endswith(b"\n"):
			raise AGIHangup("connection closed in the middle of a line")
		try:
			return raw.decode("utf-8").rstrip("\r\n")
		except UnicodeDecodeError:
			raise AGIProtocolError("a line that is not UTF-8") from None

	async def read_env(self) -> dict[str, str]:
		"""The environment up to its blank line, read at once (Asterisk ends its lines with LF)."""
		try:
			async with _time_limit(self.config.env_timeout):
				raw = await self.reader.readuntil(b"\n\n")
		except asyncio.TimeoutError:
			raise AGIProtocolError(f"no reply within {self.config.env_timeout:g} s") from None
		except asyncio.IncompleteReadError as e:
			partial = e.partial.split(b"\n")[0][:80]
			if partial and not partial.startswith(b"agi_"):
				raise AGIProtocolError(f"not an AGI environment line: {partial!r}") from None
			raise AGIHangup("connection closed in the middle of a line") from None
		except asyncio.LimitOverrunError:
			raise AGIProtocolError(f"an environment longer than {MAX_LINE} bytes") from None
		try:
			text = raw.decode("utf-8")
		except UnicodeDecodeError:
			raise AGIProtocolError("a line that is not UTF-8") from None
		lines = text[:-2].split("\n")
		if len(lines) > MAX_ENV_LINES:
			raise AGIProtocolError(f"more than {MAX_ENV_LINES} environment lines")
		env = dict(parse_env_line(line.rstrip("\r")) for line in lines)
		check_env(env)
		return env

	async def command(self, text: str, timeout: float | None = None) -> Response:
		if self.hung_up:
			raise AGIHangup("caller hung up")
		self.record.commands.append(text)
		if not self.record.first_action_at and not text.startswith("SET VARIABLE"):
			self.record.first_action_at = time.monotonic()
		self.writer.write(text.encode() + b"\n")
		await self.writer.drain()
		while True:
			line = await self.read_line(timeout or self.config.command_timeout)
			if line.strip() == "HANGUP":  # AGISIGHUP: the channel hung up; the reply follows
				self.hung_up = True
				continue
			response = parse_response(line)
			if response.code == 520:
				while line[:4] != "520 ":
					line = await self.read_line(self.config.command_timeout)
				raise AGICommandError(f"usage error for {text.split()[0]}")
			if response.code == 511:
				self.hung_up = True
				raise AGIHangup("dead channel")
			if response.code != 200:
				raise AGICommandError(f"{text.split()[0]}: {response.line}")
			return response

	async def answer(self) -> None:
		if not self.answered:
			response = await self.command("ANSWER")
			if response.result == "-1":
				raise AGIHangup("answer failed")
			self.answered = True

	async def still_there(self) -> bool:
		"""After a -1 result: a missing sound file also gives -1, a dead channel does not answer 'up'."""
		if self.hung_up:
			return False
		try:
			response = await self.command("CHANNEL STATUS")
		except AGIHangup:
			return False
		return response.result not in ("-1", "")

	async def perform(self, action) -> object:
		if isinstance(action, SetVar):
			await self.command(f"SET VARIABLE {quote(action.name)} {quote(action.value)}")
			return None
		if isinstance(action, Play):
			await self.answer()
			response = await self.command(f'STREAM FILE {quote(action.file)} ""', self.config.media_timeout)
			if response.result == "-1" and not await self.still_there():
				raise AGIHangup("hung up during a prompt")
			if response.result == "-1":
				log.warning("sound %s could not be played on %s", action.file, self.record.channel)
			return None
		if isinstance(action, Menu):
			await self.answer()
			response = await self.command(
				f"GET DATA {quote(action.prompt)} {int(action.timeout * 1000)} {int(action.max_digits)}",
				self.config.media_timeout,
			)
			if response.result == "-1":
				raise AGIHangup("hung up during a menu")
			return response.result
		if isinstance(action, EnterQueue):
			response = await self.command(
				f"EXEC Queue {app_args(action.queue, '', '', '', int(action.timeout))}",
				self.config.call_timeout,
			)
			if response.result == "-1":
				raise AGIHangup("caller left the queue")
			status = await self.command(f"GET VARIABLE {quote('QUEUESTATUS')}")
			return status.data.lower() if status.result == "1" else "answered"
		if isinstance(action, Dial):
			target = self.config.dial_template.format(number=action.number)
			response = await self.command(
				f"EXEC Dial {app_args(target, int(action.timeout))}", self.config.call_timeout
			)
			if response.result == "-1":
				raise AGIHangup("caller hung up during the forward")
			status = await self.command(f"GET VARIABLE {quote('DIALSTATUS')}")
			return status.data.lower() if status.result == "1" else "failed"
		raise TypeError(f"unknown action {action!r}")

	async def finish(self, outcome: Outcome) -> None:
		if outcome.result == "voicemail":
			await self.command(
				f"EXEC VoiceMail {app_args(outcome.target, self.config.voicemail_options)}",
				self.config.call_timeout,
			)
		elif outcome.result in ("hangup", "rejected"):
			await self.command("HANGUP")


if hasattr(asyncio, "timeout"):  # Python 3.11+: a deadline on the current task, no extra task per read
	_time_limit = asyncio.timeout
else:  # pragma: no cover - Python 3.10

	@contextlib.asynccontextmanager
	async def _time_limit(seconds):
		task = asyncio.current_task()
		handle = asyncio.get_running_loop().call_later(seconds, task.cancel)
		try:
			yield
		except asyncio.CancelledError:
			raise asyncio.TimeoutError from None
		finally:
			handle.cancel()


def install_fast_loop() -> str:
	"""Use uvloop for the long-running servers when it is installed (benchmarks/RESULTS.md has the gain)."""
	try:
		import uvloop
	except ImportError:
		return "asyncio"
	asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
	return "uvloop"


def call_from_env(env: dict[str, str]) -> tuple[str, str]:
	"""The DID and the caller: the AGI arguments our dialplan passes, else the channel's own fields."""
	did = env.get("agi_arg_1") or env.get("agi_extension") or env.get("agi_dnid") or ""
	caller = env.get("agi_arg_2") or env.get("agi_callerid") or ""
	if caller.lower() in ("unknown", "anonymous", "restricted"):
		caller = ""
	return did, caller


class RouteServer:
	"""``routes`` gives the current RouteSet (it may reload); ``now`` the current time (for tests)."""

	def __init__(
		self,
		routes: Callable[[], RouteSet],
		config: ServerConfig | None = None,
		now: Callable[[], dt.datetime] | None = None,
		on_call_end: Callable[[CallRecord], None] | None = None,
	):
		self.routes = routes
		self.config = config or ServerConfig()
		self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
		self.on_call_end = on_call_end
		self.server: asyncio.AbstractServer | None = None
		self.active = 0
		self.served = 0

	async def start(self) -> tuple[str, int]:
		self.server = await asyncio.start_server(
			self.handle, self.config.host, self.config.port, limit=MAX_LINE, reuse_address=True, backlog=1024
		)
		host, port = self.server.sockets[0].getsockname()[:2]
		log.info("FastAGI route server listening on %s:%s", host, port)
		return host, port

	async def serve_forever(self) -> None:
		if self.server is None:
			await self.start()
		async with self.server:
			await self.server.serve_forever()

	async def close(self) -> None:
		if self.server is not None:
			self.server.close()
			await self.server.wait_closed()

	async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
		session = AgiSession(reader, writer, self.config)
		self.active += 1
		try:
			await self.run_session(session)
		finally:
			self.active -= 1
			self.served += 1
			with contextlib.suppress(Exception):
				writer.close()
				await writer.wait_closed()
			if self.on_call_end is not None:
				try:
					self.on_call_end(session.record)
				except Exception:
					log.exception("on_call_end failed")

	async def run_session(self, session: AgiSession) -> None:
		record = session.record
		peer = session.writer.get_extra_info("peername")
		try:
			env = await session.read_env()
		except (AGIProtocolError, AGIHangup) as e:
			record.error = f"malformed AGI environment from {peer}: {e}"
			log.warning(record.error)
			return
		record.uniqueid, record.channel = env["agi_uniqueid"], env["agi_channel"]
		record.did, record.caller = call_from_env(env)
		ctx = CallContext(did=record.did, caller=record.caller, when=self.now(), trace=record.steps)
		try:
			routes = self.routes()
		except Exception as e:  # a broken route source must not leave the caller in silence
			log.exception("no routes for %s", record.channel)
			routes, record.error = RouteSet(), f"routes unavailable: {e}"
		gen = route_call(routes, ctx)
		result = None
		try:
			while True:
				try:
					action = gen.send(result)
				except StopIteration as stop:
					record.outcome = stop.value
					break
				result = await session.perform(action)
			await session.finish(record.outcome)
		except AGIHangup:
			record.hung_up = True
			gen.close()
		except (AGIProtocolError, AGICommandError, ValueError) as e:
			record.error = str(e)
			gen.close()
			log.warning("call %s on %s ended: %s", record.uniqueid, record.channel, e)
		log.info(
			"call %s from %s to %s: %s",
			record.uniqueid,
			record.caller or "unknown",
			record.did,
			" | ".join(f"{s.node}:{s.branch or 'end'}" for s in record.steps)
			+ (" | caller hung up" if record.hung_up else ""),
		)


class FileRouteSource:
	"""Routes from an exported JSON file, read again when the file changes (checked at most once a second)."""

	def __init__(self, path: str, check_every: float = 1.0):
		self.path, self.check_every = path, check_every
		self._mtime, self._checked = None, 0.0
		self._routes = self._load()

	def _load(self) -> RouteSet:
		self._mtime = os.stat(self.path).st_mtime_ns
		with open(self.path, encoding="utf-8") as f:
			routes = loads(f.read())
		for problem in validate_routeset(routes):
			log.warning("routes file %s: %s", self.path, problem)
		return routes

	def __call__(self) -> RouteSet:
		now = time.monotonic()
		if now - self._checked >= self.check_every:
			self._checked = now
			try:
				if os.stat(self.path).st_mtime_ns != self._mtime:
					self._routes = self._load()
					log.info("reloaded routes from %s", self.path)
			except Exception:
				log.exception("keeping the previous routes: %s could not be reloaded", self.path)
		return self._routes
