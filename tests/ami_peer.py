"""A loopback AMI server that plays Asterisk's side from recorded frames (tests/data/asterisk/*.ami).

It sends the banner, answers Login (checking the secret), Ping, CoreShowChannels and QueueStatus (from the
channels and queue callers its own stream has made live so far), and streams the event frames. Faults:
``drop_every`` closes the connection after that many frames, and the frames Asterisk would have sent
while nobody was connected are lost (``gap`` of them), as a real Asterisk replays nothing; ``garbage``
puts malformed frames into the stream.

Calls the client originates: with ``on_originate`` set, an Originate is answered "successfully queued"
and the events the function returns for it (``[(delay_s, event), …]``, each delay after the previous
event) are then sent, as Asterisk sends OriginateResponse, channel, queue and hangup events for a call.
``push(events)`` (on the peer's loop) sends events to every logged-in client at once.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from collections.abc import Callable
from pathlib import Path

from callcenter_app.telephony.ami.protocol import FrameParser

# recorded from Asterisk 22.10.1; tests/data/asterisk/SOURCE.md says how
RECORDINGS = Path(__file__).resolve().parent / "data" / "asterisk"


def recorded_frames(name: str) -> list[dict]:
	"""The events of a recording, without the login response and the final Goodbye."""
	parser = FrameParser()
	messages = parser.feed((RECORDINGS / f"{name}.ami").read_bytes())
	return [m for m in messages if "Event" in m]


def encode(message: dict) -> bytes:
	return "".join(f"{k}: {v}\r\n" for k, v in message.items()).encode() + b"\r\n"


def clone_call(frames: list[dict], index: int, offset: float) -> list[dict]:
	"""The same call again with its own ids, caller and times (for many concurrent calls)."""
	out = []
	for m in frames:
		c = {}
		for k, v in m.items():
			if k in ("Timestamp",):
				v = f"{float(v) + offset:.6f}"
			elif re.fullmatch(r"\d{10}\.\d+", v or ""):
				head, tail = v.split(".")
				v = f"{int(head) + 100_000 * (index + 1)}.{tail}"
			elif k in ("CallerIDNum", "ConnectedLineNum", "Source") and v and v[0] == "5":
				v = f"6{index:06d}"
			c[k] = v
		out.append(c)
	return out


def merged(calls: list[list[dict]]) -> list[dict]:
	return sorted((m for call in calls for m in call), key=lambda m: float(m.get("Timestamp", 0)))


class AmiPeer:
	def __init__(
		self,
		frames: list[dict],
		username: str = "cc",
		secret: str = "s3cret-pass",
		drop_every: int | None = None,
		gap: int = 0,
		garbage: float = 0.0,
		seed: int = 1,
		pace: int = 200,
	):
		self.frames = frames
		self.username, self.secret = username, secret
		self.drop_every, self.gap, self.garbage = drop_every, gap, garbage
		self.rng = random.Random(seed)
		self.pace = pace  # frames between yields to the loop
		self.cursor = 0
		self.live: dict[str, dict] = {}  # uniqueid → CoreShowChannel fields
		self.queued: dict[str, dict] = {}  # uniqueid → QueueEntry fields
		self.members: list[dict] = []  # QueueMember fields QueueStatus lists (queue login tests)
		self.contacts: list[dict] = []  # ContactList fields PJSIPShowContacts lists
		self.refuse: dict[str, str] = {}  # action name → error message to answer with
		self.received: list[dict] = []  # every action after login, as sent
		self.connections = 0
		self.logins_refused = 0
		self.lost = 0
		self.garbage_sent = 0
		self.server: asyncio.AbstractServer | None = None
		self.done = asyncio.Event()
		self.on_originate: Callable[[dict], list[tuple[float, dict]]] | None = None
		self.writers: set[asyncio.StreamWriter] = set()  # logged-in clients
		self._scripts: set[asyncio.Task] = set()
		self._open: set[asyncio.StreamWriter] = set()  # every connection, logged in or not

	async def start(self) -> int:
		self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
		return self.server.sockets[0].getsockname()[1]

	async def close(self) -> None:
		for task in list(self._scripts):
			task.cancel()
		if self.server:
			self.server.close()
			# Python 3.12.0/3.12.1's wait_closed() waits for every connection to end (it hung the suite
			# on 3.12.1): close them first, and never wait for ever.
			for writer in list(self._open):
				writer.close()
			await asyncio.wait_for(self.server.wait_closed(), 10)

	def _track(self, m: dict) -> None:
		name, uid = m.get("Event"), m.get("Uniqueid")
		if name == "Newchannel" and uid:
			self.live[uid] = {
				"Channel": m.get("Channel", ""),
				"Uniqueid": uid,
				"Linkedid": m.get("Linkedid", uid),
				"CallerIDNum": m.get("CallerIDNum", ""),
				"Context": m.get("Context", ""),
				"Exten": m.get("Exten", ""),
				"Duration": "00:00:01",
			}
		elif name == "Hangup" and uid:
			self.live.pop(uid, None)
			self.queued.pop(uid, None)
		elif name == "QueueCallerJoin" and uid:
			self.queued[uid] = {"Queue": m.get("Queue", ""), "Uniqueid": uid, "Wait": "1"}
		elif name in ("QueueCallerLeave", "QueueCallerAbandon") and uid:
			self.queued.pop(uid, None)

	async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
		self.connections += 1
		self._open.add(writer)
		writer.write(b"Asterisk Call Manager/11.0.0\r\n")
		parser = FrameParser()
		logged_in = False
		streaming: asyncio.Task | None = None
		try:
			while True:
				data = await reader.read(65536)
				if not data:
					return
				for action in parser.feed(data):
					name, aid = action.get("Action", ""), action.get("ActionID", "")
					if name == "Login":
						if action.get("Username") == self.username and action.get("Secret") == self.secret:
							logged_in = True
							self.writers.add(writer)
							writer.write(
								encode(
									{
										"Response": "Success",
										"ActionID": aid,
										"Message": "Authentication accepted",
									}
								)
							)
							await writer.drain()
						else:
							self.logins_refused += 1
							writer.write(
								encode(
									{"Response": "Error", "ActionID": aid, "Message": "Authentication failed"}
								)
							)
							await writer.drain()
							writer.close()
							return
					elif not logged_in:
						writer.write(
							encode({"Response": "Error", "ActionID": aid, "Message": "Permission denied"})
						)
					else:
						self.received.append(action)
					if name == "Login" or not logged_in:
						pass
					elif name in self.refuse:
						writer.write(
							encode({"Response": "Error", "ActionID": aid, "Message": self.refuse[name]})
						)
					elif name == "Ping":
						writer.write(encode({"Response": "Success", "ActionID": aid, "Ping": "Pong"}))
					elif name == "CoreShowChannels":
						writer.write(encode({"Response": "Success", "ActionID": aid, "EventList": "start"}))
						for ch in self.live.values():
							writer.write(encode({"Event": "CoreShowChannel", "ActionID": aid, **ch}))
						writer.write(
							encode(
								{
									"Event": "CoreShowChannelsComplete",
									"ActionID": aid,
									"ListItems": str(len(self.live)),
								}
							)
						)
					elif name == "Originate" and self.on_originate is not None:
						writer.write(
							encode(
								{
									"Response": "Success",
									"ActionID": aid,
									"Message": "Originate successfully queued",
								}
							)
						)
						task = asyncio.create_task(self._play(writer, self.on_originate(action)))
						self._scripts.add(task)
						task.add_done_callback(self._scripts.discard)
					elif name == "PJSIPShowContacts":
						writer.write(encode({"Response": "Success", "ActionID": aid, "EventList": "start"}))
						for c in self.contacts:
							writer.write(encode({"Event": "ContactList", "ActionID": aid, **c}))
						writer.write(encode({"Event": "ContactListComplete", "ActionID": aid}))
					elif name == "QueueStatus":
						writer.write(encode({"Response": "Success", "ActionID": aid, "EventList": "start"}))
						for member in self.members:
							writer.write(encode({"Event": "QueueMember", "ActionID": aid, **member}))
						for entry in self.queued.values():
							writer.write(encode({"Event": "QueueEntry", "ActionID": aid, **entry}))
						writer.write(encode({"Event": "QueueStatusComplete", "ActionID": aid}))
						# the client has resynchronised: live events start now
						if streaming is None:
							streaming = asyncio.create_task(self.stream(writer))
					else:
						writer.write(
							encode({"Response": "Success", "ActionID": aid, "Message": f"{name} accepted"})
						)
				await writer.drain()
		except (ConnectionError, asyncio.CancelledError):
			return
		finally:
			self.writers.discard(writer)
			self._open.discard(writer)
			writer.close()  # a half-closed transport would keep Server.wait_closed() waiting (3.12.1)
			if streaming is not None:
				streaming.cancel()

	async def _play(self, writer: asyncio.StreamWriter, script: list[tuple[float, dict]]) -> None:
		for delay, event in script:
			await asyncio.sleep(delay)
			self._track(event)
			if writer.is_closing():
				continue  # the call goes on in Asterisk; nobody hears of it
			writer.write(encode(event))
			await writer.drain()

	def push(self, events: list[dict]) -> None:
		"""Send ``events`` to every logged-in client now (call it on the peer's loop)."""
		for event in events:
			self._track(event)
			for writer in list(self.writers):
				if not writer.is_closing():
					writer.write(encode(event))

	async def stream(self, writer: asyncio.StreamWriter) -> None:
		sent = 0
		while self.cursor < len(self.frames):
			m = self.frames[self.cursor]
			self.cursor += 1
			self._track(m)
			if self.garbage and self.rng.random() < self.garbage:
				writer.write(b"this is not AMI\r\nEvent Newchannel\r\n\r\n")
				self.garbage_sent += 1
			writer.write(encode(m))
			sent += 1
			if sent % self.pace == 0:
				await writer.drain()
				await asyncio.sleep(0)
			if self.drop_every and sent >= self.drop_every:
				await writer.drain()
				writer.close()
				# what Asterisk sends while nobody listens is lost
				for _ in range(self.gap):
					if self.cursor < len(self.frames):
						self._track(self.frames[self.cursor])
						self.cursor += 1
						self.lost += 1
				return
		await writer.drain()
		self.done.set()


class PeerThread:
	"""An AmiPeer on a loopback port in its own thread and loop, for blocking clients (the desk's one-shot
	AMI session); ``with PeerThread(peer) as port``."""

	def __init__(self, peer: AmiPeer):
		self.peer = peer
		self.loop = asyncio.new_event_loop()
		self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

	def __enter__(self) -> int:
		self.thread.start()
		return asyncio.run_coroutine_threadsafe(self.peer.start(), self.loop).result(5)

	def __exit__(self, *exc) -> None:
		asyncio.run_coroutine_threadsafe(self.peer.close(), self.loop).result(5)
		self.loop.call_soon_threadsafe(self.loop.stop)
		self.thread.join(5)
