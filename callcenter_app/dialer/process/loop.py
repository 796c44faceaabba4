"""The dialer process without Frappe: one AMI connection, a tick per campaign, a durable spool of results.

``bench --site SITE callcenter dialer`` runs :class:`DialerProcess` with the Frappe store of
``dialer/process/service.py``; tests pass an in-memory :class:`Store`. Like the AMI bridge, the event loop
never touches the database: every :class:`Store` call runs in one worker thread (one at a time, in order,
so an attempt is always created before its outcome is written).

About once a second (``tick_s``), for every running campaign: the :class:`~callcenter_app.dialer.runner.Dialer` says how many
calls to place; the store claims that many contacts (``next_contacts``, marked Dialing) and creates a
CC Call Attempt for each, with the ActionID the Originate will carry; each call is registered, then
originated (``telephony.actions.originate_campaign_call``). A campaign is not ticked again while its claim
is in progress. The list of campaigns is reloaded every ``reload_s`` (10 s); a new campaign's abandon
window is first seeded from its recorded attempts of the last 24 hours, and it is not dialed until that
worked.

Every AMI event goes to the Dialer; the outcomes it gives back, and the contacts claimed but never dialed,
are appended to a :class:`~callcenter_app.telephony.ami.spool.Spool` (fsync'd) before anything else, then
written by the store in batches. A failing write leaves them in the spool and is retried with exponential
backoff (``retry_start`` … ``retry_max``); a restart replays what was never acknowledged; the store's writes
are idempotent. Nothing is lost by a database outage, a crash, or a restart.

After every (re)connect: CoreShowChannels and QueueStatus (Asterisk replays nothing) give the queue members,
the waiting callers and the answered calls that ended meanwhile. No call is placed until that is done.

Shutdown (``stop()``, on SIGINT/SIGTERM): no new claims; a claim in progress is released; the calls that
are ringing or answered are followed for up to ``linger_s`` (the ring timeout and a margin) and recorded;
calls still unresolved then are recorded as failed (their result was never heard); the spool is drained.
Calls that reached an operator need nothing more: the operator records their outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer.runner import CampaignConfig, Connected, Dialer, Outcome
from callcenter_app.telephony.actions import originate_campaign_call
from callcenter_app.telephony.ami.client import AmiActionError, AmiClient, AmiConfig, AmiError
from callcenter_app.telephony.ami.spool import Spool, SpoolWriter

log = logging.getLogger("callcenter.dialer")

SPOOL_KEY = "key"
LINGER_MARGIN_S = 10.0


@dataclass(frozen=True)
class Claim:
	"""A contact claimed for one call: its number and the CC Call Attempt made for the call."""

	contact: str
	phone: str
	attempt: str
	action_id: str


class Store(Protocol):
	"""The records side. Every method runs in the worker thread and may raise (the process retries)."""

	def campaigns(self) -> list[CampaignConfig]:
		"""The campaigns to dial now (active, outbound, progressive or predictive)."""

	def claim(self, campaign: str, action_ids: list[str]) -> list[Claim]:
		"""Up to ``len(action_ids)`` contacts to dial, each marked Dialing, with an attempt per contact
		carrying its ActionID (committed before this returns)."""

	def window(self, campaign: str, since: float) -> list[tuple[float, bool]]:
		"""(answered at, abandoned) of the campaign's live answered calls since ``since`` (epoch seconds)."""

	def write(self, records: list[dict]) -> list[str]:
		"""Write spooled records (``kind`` "connected", "outcome" or "release"); return the keys that are done (written,
		or refused for good and logged). Keys not returned are tried again later."""


def outcome_record(outcome: Outcome | Connected) -> dict:
	"""The spool record of a call's outcome, or of its reaching an operator (kind "connected")."""
	kind = "connected" if isinstance(outcome, Connected) else "outcome"
	return {SPOOL_KEY: f"{kind}:{outcome.attempt}", "kind": kind, **outcome.as_dict()}


def release_record(campaign: str, claim: Claim) -> dict:
	return {
		SPOOL_KEY: f"release:{claim.attempt}",
		"kind": "release",
		"campaign": campaign,
		"contact": claim.contact,
		"attempt": claim.attempt,
	}


def campaign_problem(config: CampaignConfig) -> str | None:
	"""Why a campaign cannot be dialed (its name, queue or caller ID would not make an Originate), or None."""
	try:
		originate_campaign_call(
			"+10000000000",
			config.queue or "",
			config.name,
			"contact",
			"attempt",
			caller_id=config.caller_id,
			amd=config.amd,
			timeout_s=config.ring_timeout_s,
		)
	except FieldError as e:
		return str(e)
	return None


class AlreadyRunning(RuntimeError):
	pass


@contextlib.contextmanager
def single_instance(directory: str):
	"""Hold an exclusive lock on ``directory``/dialer.lock: one dialer per site (and per spool)."""
	os.makedirs(directory, exist_ok=True)
	path = os.path.join(directory, "dialer.lock")
	with open(path, "w") as f:
		try:
			fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
		except BlockingIOError:
			raise AlreadyRunning(f"another dialer holds {path}") from None
		try:
			yield
		finally:
			fcntl.flock(f, fcntl.LOCK_UN)


class DialerProcess:
	def __init__(
		self,
		config: AmiConfig,
		store: Store,
		spool: Spool,
		dialer: Dialer | None = None,
		tick_s: float = 1.0,
		reload_s: float = 10.0,
		report_s: float = 60.0,
		retry_start: float = 0.5,
		retry_max: float = 30.0,
		batch: int = 100,
		linger_s: float | None = None,
		drain_timeout: float = 10.0,
		clock: Callable[[], float] = time.time,
	):
		if spool.key != SPOOL_KEY:
			raise ValueError(f"the dialer's spool must be keyed by {SPOOL_KEY!r}")
		self.store = store
		self.spool = spool
		self.dialer = dialer or Dialer()
		self.tick_s, self.reload_s, self.report_s = tick_s, reload_s, report_s
		self.linger_s, self.drain_timeout = linger_s, drain_timeout
		self.clock = clock
		self.client = AmiClient(config, self.on_event, self.on_connect)
		self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cc-dialer-db")
		self.originated = 0
		self.originate_errors = 0
		self.reloads = 0
		self._synced = -1  # client.connections when the last resync finished
		self._dispatching: dict[str, asyncio.Task] = {}
		self._refused: dict[str, str] = {}  # campaign → why it cannot be dialed (logged once)
		self._stop = asyncio.Event()
		self._stopping = False
		self.writer = SpoolWriter(
			spool, store.write, "dialer record", batch, retry_start, retry_max, self._db
		)

	# --- AMI ----------------------------------------------------------------------------------------------
	def on_event(self, event: dict) -> None:
		self._spool_outcomes(self.dialer.feed(event, self.clock()))

	async def on_connect(self, client: AmiClient) -> None:
		channels = await client.action_list("CoreShowChannels")
		status = await client.action_list("QueueStatus")
		ended = self.dialer.resync(channels, status, self.clock())
		self._spool_outcomes(ended)
		members = sum(1 for e in status if e.get("Event") == "QueueMember")
		log.info(
			"dialer resync: %d queue member(s), %d call(s) ended while disconnected", members, len(ended)
		)
		self._synced = client.connections

	def ready(self) -> bool:
		"""Connected, and the queue members are known since the last (re)connect."""
		return self.client.connected and self._synced == self.client.connections

	# --- running ------------------------------------------------------------------------------------------
	async def run(self) -> None:
		tasks = [
			asyncio.create_task(self.client.run(), name="dialer-ami"),
			asyncio.create_task(self._ticker(), name="dialer-tick"),
			asyncio.create_task(self.writer.run(), name="dialer-sink"),
		]
		stop = asyncio.create_task(self._stop.wait())
		try:
			done, _ = await asyncio.wait({*tasks, stop}, return_when=asyncio.FIRST_COMPLETED)
			for task in done:
				if task in tasks:
					task.result()
		finally:
			stop.cancel()
			await self._shutdown(tasks)

	def stop(self) -> None:
		self._stopping = True
		self._stop.set()

	async def _shutdown(self, tasks: list[asyncio.Task]) -> None:
		self._stopping = True
		ticker = tasks[1]
		ticker.cancel()
		with contextlib.suppress(BaseException):
			await ticker
		if self._dispatching:
			await asyncio.gather(*self._dispatching.values(), return_exceptions=True)
		await self._linger()
		self._spool_outcomes(self.dialer.close_all(self.clock(), "the dialer stopped before the call ended"))
		self.client.stop()
		for task in tasks:
			task.cancel()
			with contextlib.suppress(BaseException):
				await task
		if not await self.drain(self.drain_timeout):
			log.warning(
				"dialer stopped with %d record(s) still in the spool (written on restart)", len(self.spool)
			)
		self.executor.shutdown(wait=True)

	async def _linger(self) -> None:
		"""Follow the calls still ringing or waiting for an operator, up to ``linger_s``."""
		if not self.client.connected:
			return
		limit = self.linger_s
		if limit is None:
			timeouts = [r.config.ring_timeout_s for r in self.dialer.runners.values()] or [0]
			limit = max(timeouts) + LINGER_MARGIN_S
		loop = asyncio.get_running_loop()
		deadline = loop.time() + limit
		while self.dialer.in_flight() and loop.time() < deadline and self.client.connected:
			await asyncio.sleep(0.05)

	async def _db(self, func, *args):
		return await asyncio.get_running_loop().run_in_executor(self.executor, func, *args)

	async def _ticker(self) -> None:
		next_reload = next_report = 0.0
		while not self._stopping:
			now = self.clock()
			if now >= next_reload:
				await self._reload(now)
				next_reload = now + self.reload_s
			self._spool_outcomes(self.dialer.sweep(now))
			if self.ready():
				self.tick(now)
			if now >= next_report:
				if next_report:
					for line in self.dialer.report(now):
						log.info("%s", line)
				next_report = now + self.report_s
			await asyncio.sleep(self.tick_s)

	def tick(self, now: float) -> None:
		"""Ask every running campaign once and start the claims (one at a time per campaign)."""
		for name in self.dialer.running():
			if name in self._dispatching or name in self._refused:
				continue
			n = self.dialer.decide(name, now)
			if n > 0:
				self._dispatching[name] = asyncio.create_task(self._dispatch(name, n), name=f"dial-{name}")

	async def _reload(self, now: float) -> None:
		try:
			configs = await self._db(self.store.campaigns)
		except Exception as e:
			log.warning("campaigns not reloaded (%s); dialing the ones known", e)
			return
		self.reloads += 1
		usable = []
		for config in configs:
			problem = campaign_problem(config)
			if problem:
				if self._refused.get(config.name) != problem:
					log.error("campaign %s is not dialed: %s", config.name, problem)
				self._refused[config.name] = problem
				continue
			self._refused.pop(config.name, None)
			if config.name not in self.dialer.runners:
				try:
					window = await self._db(self.store.window, config.name, now - self.dialer.window_s)
				except Exception as e:
					log.warning(
						"campaign %s waits: its abandon window could not be read (%s)", config.name, e
					)
					continue
				self.dialer.configure([*self._configs(), config])
				self.dialer.seed(config.name, window, now)
				log.info(
					"campaign %s (%s, queue %s) runs; %d answered call(s) in its window",
					config.name,
					config.mode,
					config.queue,
					len(window),
				)
			usable.append(config)
		names = {c.name for c in usable}
		for name in self.dialer.running():
			if name not in names:
				log.info("campaign %s stops dialing", name)
		self.dialer.configure(usable)

	def _configs(self) -> list[CampaignConfig]:
		return [r.config for r in self.dialer.runners.values() if r.active]

	async def _dispatch(self, campaign: str, n: int) -> None:
		try:
			ids = [f"ccd-{uuid.uuid4().hex[:16]}" for _ in range(n)]
			try:
				claims = await self._db(self.store.claim, campaign, ids)
			except Exception as e:
				log.warning("campaign %s: contacts not claimed (%s)", campaign, e)
				return
			for i, claim in enumerate(claims):
				runner = self.dialer.runners.get(campaign)
				if self._stopping or runner is None or not runner.active or not self.client.connected:
					self._release(campaign, claims[i:])
					return
				await self._originate(campaign, runner.config, claim)
		finally:
			self._dispatching.pop(campaign, None)

	async def _originate(self, campaign: str, config: CampaignConfig, claim: Claim) -> None:
		now = self.clock()
		try:
			action = originate_campaign_call(
				claim.phone,
				config.queue or "",
				campaign,
				claim.contact,
				claim.attempt,
				caller_id=config.caller_id,
				amd=config.amd,
				timeout_s=config.ring_timeout_s,
			)
		except FieldError as e:
			self.dialer.dialed(campaign, claim.attempt, claim.contact, claim.action_id, now)
			self._spool_outcomes([self.dialer.originate_failed(claim.action_id, now, f"not dialed: {e}")])
			return
		self.dialer.dialed(campaign, claim.attempt, claim.contact, claim.action_id, now)
		try:
			await self.client.action(action.name, action.fields, action.variables, action_id=claim.action_id)
			self.originated += 1
		except AmiActionError as e:
			self.originate_errors += 1
			outcome = self.dialer.originate_failed(claim.action_id, self.clock(), f"Originate refused: {e}")
			self._spool_outcomes([outcome] if outcome else [])
		except (AmiError, asyncio.TimeoutError, OSError) as e:
			# written, or lost with the connection: the OriginateResponse decides, or the sweep does
			self.originate_errors += 1
			log.warning("campaign %s: Originate for attempt %s unconfirmed (%s)", campaign, claim.attempt, e)

	def _release(self, campaign: str, claims: list[Claim]) -> None:
		if claims:
			self.writer.append([release_record(campaign, c) for c in claims])
			log.info("campaign %s: %d claimed contact(s) released undialed", campaign, len(claims))

	# --- results ------------------------------------------------------------------------------------------
	def _spool_outcomes(self, outcomes: list[Outcome | Connected | None]) -> None:
		self.writer.append([outcome_record(o) for o in outcomes if o is not None])

	async def drain(self, timeout: float = 10.0) -> bool:
		"""Write what is pending now (shutdown, tests); True when the spool is empty."""
		return await self.writer.drain(timeout)

	@property
	def written(self) -> int:
		return self.writer.written

	@property
	def write_failures(self) -> int:
		return self.writer.write_failures
