"""The FastAGI route server: Asterisk hands every inbound call to it; the route evaluator decides each step.

One asyncio task per call. The session reads the ``agi_`` environment, finds the route for the DID,
and drives the evaluator's actions with AGI commands:

============================  ===============================================================
evaluator action              AGI
============================  ===============================================================
SetVar(name, value)           ``SET VARIABLE "name" "value"``
Play(file)                    ``ANSWER`` (once) then ``STREAM FILE "file" ""``
Menu(prompt, timeout, n)      ``ANSWER`` (once) then ``GET DATA "prompt" <ms> <n>``
EnterQueue(queue, timeout)    ``SET VARIABLE "QUEUESTATUS" ""``, ``EXEC Queue "queue,t,,,timeout"`` (t: the agent may transfer), then
                              ``GET VARIABLE "QUEUESTATUS"`` (and ``"ABANDONED"`` when it is empty)
Dial(number, timeout)         ``EXEC Dial "<dial template>,timeout"`` then ``GET VARIABLE "DIALSTATUS"``
outcome voicemail             ``EXEC VoiceMail "box@context,u"``
outcome hangup / rejected     ``HANGUP``
============================  ===============================================================

How Asterisk 22 reports what happened (``res_agi.c``, ``app_queue.c``, ``app_dial.c``):

- A hang-up: ``200 result=-1`` for the command that was running, then a ``HANGUP`` line; from then on the
  channel is *dead* and only some commands run (``GET VARIABLE`` does, ``CHANNEL STATUS`` gets 511).
- ``STREAM FILE`` / ``GET DATA`` of a missing sound also give ``result=-1``, with the channel still up. So
  after a -1 the server asks ``CHANNEL STATUS``: 6 (up) is a failed playback — logged as an error naming
  the sound and the route, a menu taking it as no input — anything else (or 511) is a hang-up.
- Queue returns ``-1`` when the caller's channel is gone: after a caller abandons *and* after an answered
  call ends. QUEUESTATUS is set only when the caller leaves unanswered or cannot join (``UNKNOWN``: the
  queue does not exist in Asterisk); an answer leaves it as it was, hence it is cleared before each Queue.
  ``ABANDONED`` is ``TRUE`` exactly when the caller was in the queue and no agent answered. So: a status
  → not answered (overflow); no status and not abandoned → answered; no status and abandoned → hang-up.
- Dial resets DIALSTATUS itself; only ``ANSWER`` is an answer, also when Dial returns -1 because the
  answered call has ended.
- These reads after a -1 need the connection to stay open on the dead channel, as res_agi does by default;
  with ``AGIEXITONHANGUP=yes`` it closes at once and such a call is logged as a hang-up (our dialplan
  leaves it unset).

Every value put into a command or an application argument (queue names, numbers, sound names, mailboxes)
must pass its allow-list (``protocol.checked``); one that does not is never sent: the call goes on as if
that step failed (no input, overflow, forward failed) and the problem is logged. A caller's hang-up ends
the session at any step. Garbage or a partial environment is logged and the connection closed. Every read
has a time limit, so a peer that stops answering cannot hold a session forever; the limit for Queue and
Dial is long because those commands return only when the call ends.

Several worker processes can serve one port (:func:`run`, ``--workers``): each has its own event loop,
its own route source (reloading on change) and its own listening socket with SO_REUSEPORT; the kernel
spreads new connections over them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.agi.protocol import (
	MAX_ENV_LINES,
	MAX_LINE,
	AGICommandError,
	AGIHangup,
	AGIProtocolError,
	Response,
	UnsafeArgument,
	app_args,
	check_env,
	checked,
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
from callcenter_app.telephony.routing.validate import require_valid
from callcenter_app.telephony.tenant import Tenant

log = logging.getLogger("callcenter.agi")


QUEUE_OPTIONS = "t"  # the agent may transfer the caller


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
	# the site's prefix on a shared PBX (telephony/tenant.py): Queue, Dial and VoiceMail name the site's
	# objects, and a call from a context that is not the site's is refused (hung up, never routed)
	tenant: str = ""

	@property
	def scope(self) -> Tenant:
		return Tenant(self.tenant)


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
	problems: list[str] = field(default_factory=list)  # what failed while the call went on (logged as errors)
	started: float = 0.0
	first_action_at: float = 0.0  # monotonic time the first routing decision was sent (call setup)


_VARIABLE_KINDS = {"CC_QUEUE": "queue", "CC_FORWARD": "number"}


class AgiSession:
	"""One FastAGI connection."""

	def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, config: ServerConfig):
		self.reader, self.writer, self.config = reader, writer, config
		self.hung_up = False
		self.answered = False
		self.record = CallRecord(started=time.monotonic())
		self.ctx: CallContext | None = None

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

	async def command(self, text: str, timeout: float | None = None, dead_ok: bool = False) -> Response:
		"""Send one command and read its reply. After a hang-up only ``dead_ok`` commands are sent (those
		Asterisk runs on a dead channel, such as GET VARIABLE); any other raises AGIHangup unsent."""
		if self.hung_up and not dead_ok:
			raise AGIHangup("caller hung up")
		self.record.commands.append(text)
		if not self.record.first_action_at and not text.startswith("SET VARIABLE"):
			self.record.first_action_at = time.monotonic()
		self.writer.write(text.encode() + b"\n")
		await self.writer.drain()
		while True:
			line = await self.read_line(timeout or self.config.command_timeout)
			if line.strip() == "HANGUP":  # AGISIGHUP: the channel hung up (sent after the -1 result)
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

	async def variable(self, name: str) -> str:
		"""A channel variable's value ('' when unset); readable after a hang-up too."""
		response = await self.command(f"GET VARIABLE {quote(name)}", dead_ok=True)
		return response.data if response.result == "1" else ""

	async def answer(self) -> None:
		if not self.answered:
			response = await self.command("ANSWER")
			if response.result == "-1":
				raise AGIHangup("answer failed")
			self.answered = True

	async def channel_up(self) -> bool:
		"""After a -1 result: a missing sound file also gives -1, but leaves the channel up (state 6)."""
		if self.hung_up:
			return False
		try:
			response = await self.command("CHANNEL STATUS")
		except AGIHangup:
			return False
		return response.result == "6"

	def problem(self, text: str) -> None:
		"""Something the route needs failed but the call goes on: said loudly, with the route and call."""
		route = self.ctx.route if self.ctx and self.ctx.route else "-"
		message = f"route {route}: {text}"
		self.record.problems.append(message)
		log.error("call %s on %s: %s", self.record.uniqueid, self.record.channel, message)

	async def perform(self, action) -> object:
		if isinstance(action, SetVar):
			try:  # the dialplan or the AMI bridge may use these later: held to the same allow-lists
				value = checked(_VARIABLE_KINDS.get(action.name, "tag"), action.value)
			except UnsafeArgument as e:  # a tag is not worth the call: route it untagged
				self.problem(f"channel variable {action.name} not set: {e}")
				return None
			await self.command(f"SET VARIABLE {quote(action.name)} {quote(value)}")
			return None
		if isinstance(action, Play):
			await self.answer()
			try:
				sound = checked("sound", action.file)
			except UnsafeArgument as e:
				self.problem(f"sound not played: {e}")
				return None
			on_pbx = self.config.scope.sound(sound)
			response = await self.command(f'STREAM FILE {quote(on_pbx)} ""', self.config.media_timeout)
			if response.result == "-1":
				if not await self.channel_up():
					raise AGIHangup("hung up during a prompt")
				self.problem(f"sound {sound} could not be played (is the sound file missing?)")
			return None
		if isinstance(action, Menu):
			await self.answer()
			try:
				prompt = checked("sound", action.prompt)
			except UnsafeArgument as e:
				self.problem(f"IVR prompt not played: {e}; taken as no input")
				return ""
			response = await self.command(
				f"GET DATA {quote(self.config.scope.sound(prompt))} {int(action.timeout * 1000)} "
				f"{int(action.max_digits)}",
				self.config.media_timeout,
			)
			if response.result == "-1":
				if not await self.channel_up():
					raise AGIHangup("hung up during a menu")
				self.problem(
					f"IVR prompt {prompt} could not be played (is the sound file missing?); taken as no input"
				)
				return ""
			return response.result
		if isinstance(action, EnterQueue):
			return await self.queue(action)
		if isinstance(action, Dial):
			return await self.dial(action)
		raise TypeError(f"unknown action {action!r}")

	async def queue(self, action: EnterQueue) -> str:
		"""'answered' only when an agent answered; else the QUEUESTATUS (see the module doc)."""
		try:
			queue = checked("queue", action.queue)
		except UnsafeArgument as e:
			self.problem(f"queue not joined: {e}")
			return "unknown"
		await self.command('SET VARIABLE "QUEUESTATUS" ""')
		# option t: the agent who answers may transfer the caller (the desk's attended transfer plays the
		# atxfer code on the agent's channel; without t Asterisk ignores it)
		on_pbx = self.config.scope.name(queue)
		response = await self.command(
			f"EXEC Queue {app_args(on_pbx, QUEUE_OPTIONS, '', '', int(action.timeout))}",
			self.config.call_timeout,
		)
		if response.result not in ("0", "-1"):  # -2: there is no Queue application (app_queue not loaded)
			self.problem(f"Queue({queue}) did not run (result {response.result}): is app_queue loaded?")
			return "unknown"
		status = (await self.variable("QUEUESTATUS")).strip().lower()
		if status:
			if response.result == "-1":
				raise AGIHangup(f"caller hung up in queue {queue}")
			if status == "unknown":
				self.problem(f"queue {queue} does not exist in Asterisk (QUEUESTATUS UNKNOWN); overflow")
			return status
		if (await self.variable("ABANDONED")).strip().upper() == "TRUE":
			raise AGIHangup(f"caller hung up in queue {queue}")
		return "answered"

	async def dial(self, action: Dial) -> str:
		"""'answered' only when DIALSTATUS is ANSWER; else the DIALSTATUS, lower-cased."""
		try:
			number = checked("number", action.number)
		except UnsafeArgument as e:
			self.problem(f"forward not dialled: {e}")
			return "invalidargs"
		target = self.config.scope.channel(self.config.dial_template.format(number=number))
		response = await self.command(
			f"EXEC Dial {app_args(target, int(action.timeout))}", self.config.call_timeout
		)
		if response.result not in ("0", "-1"):
			self.problem(f"Dial({target}) did not run (result {response.result})")
			return "invalidargs"
		status = (await self.variable("DIALSTATUS")).strip().lower()
		if status == "answer":
			return "answered"
		if response.result == "-1":
			raise AGIHangup("caller hung up during the forward")
		return status

	async def finish(self, outcome: Outcome) -> None:
		if outcome.result == "voicemail":
			try:
				mailbox = checked("mailbox", outcome.target)
			except UnsafeArgument as e:
				self.problem(f"voicemail not reached: {e}; hang up")
				await self.command("HANGUP")
				return
			# a mailbox lives in a voicemail.conf context: the site's own on a shared PBX (box@<prefix>-ctx)
			box, _, context = mailbox.partition("@")
			mailbox = (
				f"{box}@{self.config.scope.name(context or 'default')}" if self.config.tenant else mailbox
			)
			await self.command(
				f"EXEC VoiceMail {app_args(mailbox, self.config.voicemail_options)}",
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


def listen(host: str, port: int, reuse_port: bool = False, backlog: int = 1024) -> socket.socket:
	"""A listening TCP socket on ``host``:``port`` (0 = any free port), or FieldError naming 'host' or 'port'
	and the reason: a port out of range, a name that does not resolve, an address not on this machine, a
	port in use. ``reuse_port`` lets the route server's own workers share the port (SO_REUSEPORT)."""
	if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
		raise FieldError("port", f"must be a TCP port from 0 to 65535 (0 = any free port), not {port}")
	try:
		infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
	except (socket.gaierror, UnicodeError) as e:
		reason = getattr(e, "strerror", None) or str(e)
		raise FieldError("host", f"{host!r} is not an address or a name this machine can resolve ({reason})")
	family, kind, proto, _, address = infos[0]
	sock = socket.socket(family, kind, proto)
	try:
		sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait for TIME_WAIT
		if reuse_port:
			sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
		sock.bind(address)
		sock.listen(backlog)
	except OSError as e:
		sock.close()
		where = f"{host}:{port}"
		if e.errno == errno.EADDRINUSE:
			raise FieldError("port", f"{port} is already in use on {host} (is another route server running?)")
		if e.errno == errno.EADDRNOTAVAIL:
			raise FieldError("host", f"{host} is not an address of this machine")
		if e.errno == errno.EACCES:
			raise FieldError("port", f"not allowed to listen on {where} (ports below 1024 need privileges)")
		raise FieldError("host", f"cannot listen on {where}: {e.strerror}")
	sock.setblocking(False)
	return sock


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

	async def start(self, sock: socket.socket | None = None) -> tuple[str, int]:
		"""Listen on ``sock`` (from :func:`listen`), or on the configured address and port."""
		if sock is None:
			sock = listen(self.config.host, self.config.port)
		self.server = await asyncio.start_server(self.handle, sock=sock, limit=MAX_LINE)
		host, port = self.server.sockets[0].getsockname()[:2]
		log.info("FastAGI route server (pid %d) listening on %s:%s", os.getpid(), host, port)
		return host, port

	async def serve_forever(self, sock: socket.socket | None = None) -> None:
		if self.server is None:
			await self.start(sock)
		async with self.server:
			await self.server.serve_forever()

	async def close(self) -> None:
		if self.server is not None:
			self.server.close()
			# Python 3.12.0/3.12.1's wait_closed() waits for every session to end: bounded
			with contextlib.suppress(asyncio.TimeoutError):
				await asyncio.wait_for(self.server.wait_closed(), 5)

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
		if self.config.tenant and self.config.scope.local(env.get("agi_context", "")) is None:
			# another site's dialplan pointed at this route server (a wrong AGI port in its render): its
			# call must not run this site's routes, queues or forwards
			record.error = (
				f"call from context {env.get('agi_context', '')!r} refused: this route server serves "
				f"tenant {self.config.tenant!r} only ({self.config.tenant}-… contexts)"
			)
			log.error("call %s on %s: %s", record.uniqueid, record.channel, record.error)
			with contextlib.suppress(AGIHangup, AGIProtocolError, AGICommandError):
				await session.command("HANGUP")
			return
		ctx = CallContext(did=record.did, caller=record.caller, when=self.now(), trace=record.steps)
		session.ctx = ctx
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
			"call %s from %s to %s: %s → %s",
			record.uniqueid,
			record.caller or "unknown",
			record.did,
			" | ".join(f"{s.node}:{s.branch or 'end'}" for s in record.steps),
			ending(record),
		)


def ending(record: CallRecord) -> str:
	"""How a call ended, in words for the log: an answered call whose channel then hung up is answered."""
	if record.hung_up:
		return "caller hung up"
	if record.error:
		return f"error: {record.error}"
	if record.outcome is None:
		return "no outcome"
	return (
		f"{record.outcome.result} ({record.outcome.detail})"
		if record.outcome.detail
		else record.outcome.result
	)


class FileRouteSource:
	"""Routes from an exported JSON file, read again when the file changes (checked at most once a second).

	The file must be valid as a whole (docs/routes-json.md: reading is strict): the first load raises
	FieldError naming every problem; a later change that is not valid is logged and the previous routes kept.
	"""

	def __init__(self, path: str, check_every: float = 1.0):
		self.path, self.check_every = path, check_every
		self._mtime, self._checked, self._refused = None, 0.0, None
		self._routes = self._load()

	def _load(self) -> RouteSet:
		try:
			mtime = os.stat(self.path).st_mtime_ns
			with open(self.path, encoding="utf-8") as f:
				text = f.read()
		except OSError as e:
			raise FieldError("routes", f"cannot read {self.path}: {e.strerror}") from None
		except UnicodeDecodeError:
			raise FieldError("routes", f"{self.path} is not UTF-8 text") from None
		routes = require_valid(loads(text), f"routes file {self.path}")
		self._mtime = mtime
		return routes

	def __call__(self) -> RouteSet:
		now = time.monotonic()
		if now - self._checked >= self.check_every:
			self._checked = now
			try:
				mtime = os.stat(self.path).st_mtime_ns
			except OSError as e:
				mtime = f"missing: {e.strerror}"
			if mtime not in (self._mtime, self._refused):  # each refused version is logged once
				try:
					self._routes = self._load()
					log.info("reloaded routes from %s", self.path)
				except Exception as e:
					self._refused = mtime
					log.error("keeping the previous routes: %s", e)
		return self._routes
