"""The AMI bridge without Frappe: client → call state machine → durable spool → a writer, in batches.

``write(batch)`` is the only door out: ``callcenter ami-tail`` writes JSON lines, the bench command
``callcenter ami-bridge`` upserts CC Call Logs (telephony/call_logs/service.py). It runs in a worker thread so a
slow or failing database never stalls reading events; a batch that fails stays in the spool and is tried
again with backoff, so an outage delays records but loses none.

Two optional doors more, both fed from the same event stream:
- ``notify(notices)`` gets live notices in batches (an agent's phone ringing, answered or missed; a SIP
  registration change; ``wallboard`` notices: callers joining and leaving queues, members busy and free,
  and Asterisk's QueueStatus at each (re)connect, see metrics/wallboard.py); they are ephemeral, so a
  failing ``notify`` is logged and the batch dropped.
- ``desired_members()`` returns the queue members the logged-in agents should be; after every (re)connect
  the bridge compares it with Asterisk's (QueueStatus) and sends QueueAdd/Remove/Pause/Penalty, so
  Asterisk restarts and missed desk actions heal themselves.

``write`` may return a :class:`~callcenter_app.telephony.ami.spool.WriteResult`: records it calls poison
go to the spool's dead letters and the rest of the batch is acknowledged (see spool.py).

Shutdown (``stop()``; ``serve()`` calls it on SIGINT and SIGTERM): the client stops reading, every call
whose channels have all hung up is recorded at once (its grace cut short), everything is made durable in
the spool, and the writer gets ``drain_timeout`` seconds to write it; what is left is written at the next
start. Calls still in progress are logged (how many, their Linkedids; never a number) and not recorded:
the next start's resync picks up those still live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterable

from callcenter_app.metrics.wallboard import from_ami as wallboard_event
from callcenter_app.metrics.wallboard import from_queue_status
from callcenter_app.telephony.actions import Membership, members_from_status, reconcile
from callcenter_app.telephony.ami.calls import CallRecord, CallTracker
from callcenter_app.telephony.ami.client import AmiClient, AmiConfig, AmiError
from callcenter_app.telephony.ami.spool import Spool, SpoolWriter, WriteResult
from callcenter_app.telephony.presence.notices import Registrations, ring_notice

log = logging.getLogger("callcenter.ami.bridge")


class Bridge:
	def __init__(
		self,
		config: AmiConfig,
		spool: Spool,
		write: Callable[[list[dict]], WriteResult | Iterable[str] | None],
		tracker: CallTracker | None = None,
		batch: int = 200,
		retry_start: float = 0.5,
		retry_max: float = 30.0,
		drain_timeout: float = 5.0,
		notify: Callable[[list[dict]], None] | None = None,
		desired_members: Callable[[], tuple[list[Membership], frozenset[str]]] | None = None,
		history: Callable[[float], list[dict]] | None = None,
		recorded: Callable[[list[str]], set[str]] | None = None,
		recover_since: float = 0.0,
	):
		self.spool = spool
		self.write = write
		self.tracker = tracker or CallTracker()
		self.drain_timeout = drain_timeout
		self.client = AmiClient(config, self.on_event, self.on_connect)
		self.notify, self.desired_members = notify, desired_members
		# What Asterisk logged while we were away (recovery.HistorySource.events(since)), and which of its
		# calls are written already (ids → the known ones): a restart or a drop loses no call.
		self.history, self.recorded, self.recover_since = history, recorded, recover_since
		self.recovered = 0
		self._history_read = False  # the PBX's logs were read once: later reads start at the last event
		self.registrations = Registrations()
		self.notices: list[dict] = []
		self.notified = 0
		self.member_actions = 0
		self.writer = SpoolWriter(spool, self._write_all, "call record", batch, retry_start, retry_max)
		self._notice_wake = asyncio.Event()
		self._stop = asyncio.Event()
		self._background: set[asyncio.Task] = set()
		self.stopped_by = ""  # the signal's name, when one stopped the bridge
		self.flushed_at_stop = 0  # calls recorded at shutdown, their grace cut short

	def on_event(self, event: dict) -> None:
		self._spool(self.tracker.feed(event))
		if self.notify is not None:
			notice = ring_notice(event)
			if notice is None and (reg := self.registrations.feed(event)) is not None:
				notice = registration_notice(reg)
			if notice is not None:
				self.notices.append(notice)
				self._notice_wake.set()
			if (board := wallboard_event(event, time.time())) is not None:  # queue state for the wallboard
				self.notices.append({"kind": "wallboard", "event": board})
				self._notice_wake.set()

	async def on_connect(self, client: AmiClient) -> None:
		if self.notify is not None:
			try:
				contacts = await client.action_list("PJSIPShowContacts")
			except AmiError as e:
				log.warning("AMI: PJSIPShowContacts failed (%s); registrations follow events only", e)
			else:
				self.notices += [registration_notice(r) for r in self.registrations.reset(contacts)]
				self._notice_wake.set()
		known_before = set(self.tracker.calls)  # live events keep coming while we ask
		channels = await client.action_list("CoreShowChannels")
		status = await client.action_list("QueueStatus")
		entries = [e for e in status if e.get("Event") == "QueueEntry"]
		if self.notify is not None:  # the wallboard's queues start again from Asterisk's own view
			self.notices.append({"kind": "wallboard", "event": from_queue_status(status, time.time())})
			self._notice_wake.set()
		history, recorded = await self._history()
		records = self.tracker.resync(
			channels, status, known_before=known_before, history=history, recorded=recorded
		)
		self.recovered += sum(1 for r in records if r.linkedid not in known_before)
		log.info(
			"AMI resync: %d live channel(s), %d queued caller(s), %d call(s) ended while disconnected "
			"(%d history event(s) from the PBX's logs)",
			len(channels),
			len(entries),
			len(records),
			len(history),
		)
		self._spool(records)
		if self.desired_members is not None:
			# not awaited: live events are held until on_connect returns, and reading the logged-in
			# agents waits on the database
			task = asyncio.create_task(self._reconcile_members(client, members_from_status(status)))
			self._background.add(task)
			task.add_done_callback(self._background.discard)

	async def _history(self) -> tuple[list[dict], Callable[[str], bool] | None]:
		"""The PBX's log since the last event we saw (or ``recover_since`` at the first start), and the set
		of its calls already written; read off the loop. Nothing (logged) when either cannot be read: a
		recovered record must never overwrite a call written in full."""
		if self.history is None:
			return [], None
		# the first read looks back to recover_since whatever the tracker has seen: Asterisk's FullyBooted
		# after the login sets the tracker's clock before on_connect, and the PBX's logs of the 5 s before
		# it are not what a start after a stop needs
		since = self.tracker.now - 5 if self._history_read and self.tracker.now else self.recover_since
		loop = asyncio.get_running_loop()
		try:
			# the PBX's logs are one set for every site on it: only this site's calls (telephony/tenant.py)
			events = self.client.tenant.own_list(await loop.run_in_executor(None, self.history, since))
			self._history_read = True
		except Exception as e:
			log.warning("AMI resync: the PBX's logs could not be read (%s); no calls recovered from them", e)
			return [], None
		if not events or self.recorded is None:
			return events, None
		ids = sorted({e[k] for e in events for k in ("Linkedid", "Uniqueid") if e.get(k)})
		try:
			known = await loop.run_in_executor(None, self.recorded, ids)
		except Exception as e:
			log.warning("AMI resync: written calls could not be read (%s); no calls recovered", e)
			return [], None
		return events, set(known).__contains__

	async def _reconcile_members(self, client: AmiClient, actual: list[Membership]) -> None:
		try:
			desired, ordered = await asyncio.get_running_loop().run_in_executor(None, self.desired_members)
		except Exception as e:
			log.warning("queue members not reconciled: reading the logged-in agents failed (%s)", e)
			return
		actions = reconcile(desired, actual, ordered, reason="callcenter reconcile")
		for a in actions:
			try:
				await client.action(a.name, a.fields)
				self.member_actions += 1
			except AmiError as e:
				log.warning(
					"queue reconcile: %s %s %s failed: %s",
					a.name,
					a.fields.get("Queue"),
					a.fields.get("Interface"),
					e,
				)
		if actions:
			log.info("queue members reconciled with %d action(s)", len(actions))

	def _spool(self, records: list[CallRecord]) -> None:
		self.writer.append([r.as_dict() for r in records])

	async def run(self) -> None:
		tasks = [
			asyncio.create_task(self.client.run(), name="ami-client"),
			asyncio.create_task(self.writer.run(), name="ami-sink"),
			asyncio.create_task(self._tick(), name="ami-tick"),
		]
		if self.notify is not None:
			tasks.append(asyncio.create_task(self._notify_loop(), name="ami-notify"))
		try:
			done, _ = await asyncio.wait(
				{*tasks, asyncio.create_task(self._stop.wait())}, return_when=asyncio.FIRST_COMPLETED
			)
			for task in done:
				if task in tasks:
					task.result()
		finally:
			self.client.stop()
			for task in tasks:
				task.cancel()
				with contextlib.suppress(BaseException):
					await task
			await self._shutdown()

	async def _shutdown(self) -> None:
		"""No more events come: record every finished call, make it durable, write what can be written."""
		finished = self.tracker.finish_all()
		self.flushed_at_stop = len(finished)
		self._spool(finished)
		open_calls = sorted(self.tracker.calls)
		if open_calls:
			shown = ", ".join(open_calls[:20]) + (
				f" and {len(open_calls) - 20} more" if len(open_calls) > 20 else ""
			)
			log.warning(
				"AMI bridge stopping with %d call(s) in progress, not recorded (linkedids %s)",
				len(open_calls),
				shown,
			)
		if not await self.drain(timeout=self.drain_timeout):
			log.warning(
				"AMI bridge stopped with %d call record(s) not yet written; they wait in %s for the next start",
				len(self.spool) + self.writer.unsynced,
				self.spool.directory,
			)
		log.info(
			"AMI bridge stopped%s: %d call record(s) written, %d recorded at shutdown, %d set aside, %d left "
			"in the spool",
			f" ({self.stopped_by})" if self.stopped_by else "",
			self.written,
			self.flushed_at_stop,
			self.writer.parked,
			len(self.spool) + self.writer.unsynced,
		)

	def stop(self) -> None:
		self._stop.set()

	async def serve(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
		"""``run()`` until one of ``signals`` arrives, then stop cleanly (what the commands run)."""
		loop = asyncio.get_running_loop()
		for sig in signals:
			loop.add_signal_handler(sig, self._signalled, sig)
		try:
			await self.run()
		finally:
			for sig in signals:
				loop.remove_signal_handler(sig)

	def _signalled(self, sig: int) -> None:
		name = signal.Signals(sig).name
		if self._stop.is_set():
			log.warning("%s: the AMI bridge is already stopping (at most %.0f s)", name, self.drain_timeout)
			return
		log.info("%s: the AMI bridge stops", name)
		self.stopped_by = name
		self.stop()

	async def drain(self, timeout: float = 10.0) -> bool:
		"""Write what is pending now (shutdown, tests); True when the spool is empty."""
		return await self.writer.drain(timeout)

	def _write_all(self, batch: list[dict]) -> WriteResult | Iterable[str] | None:
		return self.write(batch)  # all (None), the keys written, or a WriteResult; raises for an outage

	@property
	def written(self) -> int:
		return self.writer.written

	@property
	def write_failures(self) -> int:
		return self.writer.write_failures

	@property
	def parked(self) -> int:
		return self.writer.parked

	async def _notify_loop(self) -> None:
		while True:
			await self._notice_wake.wait()
			self._notice_wake.clear()
			batch, self.notices = self.notices, []
			if not batch:
				continue
			try:
				await asyncio.get_running_loop().run_in_executor(None, self.notify, batch)
				self.notified += len(batch)
			except Exception as e:
				log.warning("%d live notice(s) dropped: %s", len(batch), e)

	async def _tick(self) -> None:
		while True:
			await asyncio.sleep(1.0)
			self._spool(self.tracker.flush())


def registration_notice(reg) -> dict:
	return {
		"kind": "registration",
		"endpoint": reg.endpoint,
		"status": reg.status,
		"contacts": reg.contacts,
		"rtt_ms": reg.rtt_ms,
		"user_agent": reg.user_agent,
	}
