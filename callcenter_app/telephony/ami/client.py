"""An asyncio AMI client: login, keep-alive, reconnect with backoff, actions with responses, event lists.

Pure (no Frappe). Events go to ``on_event`` in the order Asterisk sent them; after every (re)connect and
login, ``on_connect(client)`` runs, which the bridge uses to resynchronise (CoreShowChannels, QueueStatus)
because Asterisk replays nothing after a reconnect. Events that arrive while ``on_connect`` runs are held
and delivered, in order, once it returns: a snapshot read during the resync is applied before what happened
after it (otherwise a hangup that came in the same read as the end of the snapshot would be applied first,
then undone by the older snapshot). A refused login raises ``AmiAuthError`` at once
(retrying bad credentials only locks the account); its message names the user and the address, and the
caller adds where the credentials come from (CC Settings, a command's options). Network failures reconnect
with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from callcenter_app.telephony.ami.protocol import FrameParser, encode_action, next_action_id
from callcenter_app.telephony.tenant import EventScope, Tenant

log = logging.getLogger("callcenter.ami")
READ_SIZE = 1 << 16


class AmiError(RuntimeError):
	pass


class AmiAuthError(AmiError):
	pass


class AmiActionError(AmiError):
	pass


@dataclass
class AmiConfig:
	host: str = "127.0.0.1"
	port: int = 5038
	username: str = ""
	secret: str = ""
	ping_every: float = 20.0
	timeout: float = 10.0  # for connect, login and each action's response
	backoff_start: float = 0.5
	backoff_max: float = 30.0
	# the site's tenant prefix on a shared PBX (telephony/tenant.py): actions name the site's objects
	# with it, and only the site's events and list entries come back, with the prefix stripped
	tenant: str = ""

	def __repr__(self) -> str:  # never the secret, in logs or tracebacks
		return f"AmiConfig({self.username}@{self.host}:{self.port})"


class AmiClient:
	def __init__(
		self,
		config: AmiConfig,
		on_event: Callable[[dict], None],
		on_connect: Callable[[AmiClient], Awaitable[None]] | None = None,
	):
		self.config = config
		self.on_event = on_event
		self.on_connect = on_connect
		self.connections = 0
		self.events = 0
		self.malformed = 0
		self._writer: asyncio.StreamWriter | None = None
		self._waiting: dict[str, asyncio.Future] = {}
		self._lists: dict[str, list[dict]] = {}
		self._held: list[dict] | None = None  # events that came in while on_connect ran
		self._stop = False
		self.tenant = Tenant(config.tenant)
		self.scope = EventScope(self.tenant)

	# --- public -----------------------------------------------------------------------------------------
	async def run(self) -> None:
		"""Connect and keep connected until ``stop()``; AmiAuthError ends it."""
		delay = self.config.backoff_start
		while not self._stop:
			try:
				await self._session()
				delay = self.config.backoff_start
			except AmiAuthError:
				raise
			except (OSError, asyncio.TimeoutError, AmiError, ConnectionError) as e:
				if self._stop:
					break
				log.warning("AMI %s: %s; reconnecting in %.1f s", self.config, e or type(e).__name__, delay)
			if self._stop:
				break
			await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
			delay = min(delay * 2, self.config.backoff_max)

	def stop(self) -> None:
		self._stop = True
		if self._writer is not None:
			self._writer.close()

	@property
	def connected(self) -> bool:
		"""Logged in or logging in: actions can be sent."""
		return self._writer is not None

	async def action(
		self,
		name: str,
		fields: dict | None = None,
		variables: dict | None = None,
		action_id: str | None = None,
	) -> dict:
		"""Send an action and wait for its response; an Error response raises AmiActionError.

		``action_id``: the caller's own ActionID (unique), when events it starts must be matched to it
		before the response is back (Originate's OriginateResponse can arrive in the same read)."""
		if self._writer is None:
			raise AmiError("not connected")
		action_id = action_id or next_action_id()
		fields, variables = self.tenant.outgoing(name, fields, variables)
		future = asyncio.get_running_loop().create_future()
		self._waiting[action_id] = future
		try:
			self._writer.write(encode_action(name, {"ActionID": action_id, **fields}, variables))
			await self._writer.drain()
			response = await asyncio.wait_for(future, self.config.timeout)
		finally:
			self._waiting.pop(action_id, None)
		if response.get("Response") == "Error":
			raise AmiActionError(f"{name}: {response.get('Message', 'error')}")
		return response

	async def action_list(self, name: str, fields: dict | None = None) -> list[dict]:
		"""An action answered by a list of events (CoreShowChannels, QueueStatus): all of them."""
		if self._writer is None:
			raise AmiError("not connected")
		action_id = next_action_id()
		future = asyncio.get_running_loop().create_future()
		self._waiting[action_id] = future
		self._lists[action_id] = []
		fields, _ = self.tenant.outgoing(name, fields)
		try:
			self._writer.write(encode_action(name, {"ActionID": action_id, **fields}))
			await self._writer.drain()
			end = await asyncio.wait_for(future, self.config.timeout)
			if end.get("Response") == "Error":
				raise AmiActionError(f"{name}: {end.get('Message', 'error')}")
			return self.tenant.own_list(self._lists[action_id])
		finally:
			self._waiting.pop(action_id, None)
			self._lists.pop(action_id, None)

	# --- internals --------------------------------------------------------------------------------------
	async def _session(self) -> None:
		reader, writer = await asyncio.wait_for(
			asyncio.open_connection(self.config.host, self.config.port), self.config.timeout
		)
		self._writer = writer
		parser = FrameParser()
		reading = asyncio.create_task(self._read(reader, parser))
		pinging = None
		try:
			await self._login(reading)
			self.connections += 1
			log.info("AMI connected to %s (Asterisk Call Manager %s)", self.config, parser.banner)
			if self.on_connect is not None:
				self._held = []
				try:
					await self.on_connect(self)
				finally:
					held, self._held = self._held, None
					for message in held:  # delivered even if on_connect failed: they happened
						self._deliver(message)
			pinging = asyncio.create_task(self._keepalive())
			done, _ = await asyncio.wait({reading, pinging}, return_when=asyncio.FIRST_COMPLETED)
			for task in done:
				task.result()
		finally:
			for task in (reading, pinging):
				if task is None:
					continue
				if not task.done():
					task.cancel()
					with contextlib.suppress(BaseException):
						await task
				elif not task.cancelled():
					# retrieved, or asyncio reports "Task exception was never retrieved" (a refused login:
					# Asterisk hangs up as it answers, and the reader ends with the login)
					task.exception()
			self._fail_waiting(AmiError("connection lost"))
			self._writer = None
			writer.close()
			with contextlib.suppress(Exception):
				await writer.wait_closed()

	async def _login(self, reading: asyncio.Task) -> None:
		login = asyncio.ensure_future(
			self.action(
				"Login", {"Username": self.config.username, "Secret": self.config.secret, "Events": "on"}
			)
		)
		done, _ = await asyncio.wait({login, reading}, return_when=asyncio.FIRST_COMPLETED)
		if login not in done:
			login.cancel()
			reading.result()  # raises why the connection ended
			raise AmiError("connection closed during login")
		try:
			login.result()
		except AmiActionError as e:
			raise AmiAuthError(
				f"AMI login refused for user {self.config.username!r} at {self.config.host}:{self.config.port}: "
				f"{str(e).split(': ', 1)[-1]}."
			) from None

	async def _keepalive(self) -> None:
		while True:
			await asyncio.sleep(self.config.ping_every)
			await self.action("Ping")

	async def _read(self, reader: asyncio.StreamReader, parser: FrameParser) -> None:
		while True:
			data = await reader.read(READ_SIZE)
			if not data:
				raise ConnectionError("Asterisk closed the connection")
			before = parser.malformed
			for message in parser.feed(data):
				self._dispatch(message)
			self.malformed += parser.malformed - before

	def _dispatch(self, message: dict) -> None:
		action_id = message.get("ActionID")
		if "Event" not in message:  # a response (OriginateResponse is an event with a Response field)
			future = self._waiting.get(action_id or "")
			if future is not None and not future.done():
				if action_id in self._lists and message.get("Response") == "Success":
					return  # the list follows as events
				future.set_result(message)
			return
		if action_id and action_id in self._lists:
			name = message.get("Event", "")
			if name.endswith("Complete"):
				future = self._waiting.get(action_id)
				if future is not None and not future.done():
					future.set_result(message)
			else:
				self._lists[action_id].append(message)
			return
		if self._held is not None:
			self._held.append(message)
			return
		self._deliver(message)

	def _deliver(self, message: dict) -> None:
		self.events += 1
		for event in self.scope.feed(message):  # another site's events stop here (telephony/tenant.py)
			try:
				self.on_event(event)
			except Exception:
				log.exception("AMI event handler failed on %s", event.get("Event"))

	def _fail_waiting(self, error: Exception) -> None:
		for future in self._waiting.values():
			if not future.done():
				future.set_exception(error)
