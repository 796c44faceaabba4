"""A durable spool of finished call records: on disk (fsync) before the bridge counts them as taken.

``records.jsonl`` gets one line per record; ``acked.txt`` one Linkedid per record the sink has written
to Frappe. A restart reads both and hands back every record not yet acked, so an outage of Frappe, of
the database or of the bridge itself loses nothing. Writing twice is harmless: the sink upserts by
Linkedid. When everything is acked the two files are truncated, so the spool stays small. Records are
named by their ``linkedid`` unless another ``key`` field is given (the dialer spools outcomes by its own).
A torn last line (a crash mid-write) is skipped on reading and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger("callcenter.ami.spool")


class Spool:
	def __init__(self, directory: str, fsync: bool = True, key: str = "linkedid"):
		os.makedirs(directory, exist_ok=True)
		self.directory = directory
		self.fsync = fsync
		self.key = key  # the field that names a record (the dialer spools by its own key)
		self.records_path = os.path.join(directory, "records.jsonl")
		self.acked_path = os.path.join(directory, "acked.txt")
		self._lock = threading.Lock()
		self._pending: OrderedDict[str, dict] = OrderedDict()
		self._load()
		self._records = open(self.records_path, "a", encoding="utf-8")
		self._acked = open(self.acked_path, "a", encoding="utf-8")

	def _load(self) -> None:
		acked = set()
		if os.path.exists(self.acked_path):
			with open(self.acked_path, encoding="utf-8") as f:
				acked = {line.strip() for line in f if line.strip()}
		if os.path.exists(self.records_path):
			with open(self.records_path, encoding="utf-8") as f:
				for n, line in enumerate(f, 1):
					try:
						record = json.loads(line)
						key = record[self.key]
					except (ValueError, KeyError, TypeError):
						log.warning(
							"spool: line %d of %s is torn or not a record; skipped", n, self.records_path
						)
						continue
					if key not in acked:
						self._pending[key] = record
		if self._pending:
			log.info("spool: %d record(s) from before the restart still to write", len(self._pending))

	def _sync(self, f) -> None:
		f.flush()
		if self.fsync:
			os.fsync(f.fileno())

	def append(self, records: list[dict]) -> None:
		"""Durable when this returns."""
		if not records:
			return
		with self._lock:
			for r in records:
				self._records.write(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n")
				self._pending[r[self.key]] = r
			self._sync(self._records)

	def pending(self, limit: int = 500) -> list[dict]:
		with self._lock:
			return list(itertools.islice(self._pending.values(), limit))

	def ack(self, keys: list[str]) -> None:
		with self._lock:
			for key in keys:
				if self._pending.pop(key, None) is not None:
					self._acked.write(key + "\n")
			self._sync(self._acked)
			if not self._pending:
				self._truncate()

	def _truncate(self) -> None:
		for f in (self._records, self._acked):
			f.truncate(0)
			f.seek(0)
			self._sync(f)

	def __len__(self) -> int:
		return len(self._pending)

	def close(self) -> None:
		with self._lock:
			self._records.close()
			self._acked.close()


class SpoolWriter:
	"""Drains a :class:`Spool` into ``write(batch)`` in batches, off the event loop, retrying with backoff.

	``write`` returns the keys it wrote (a failure of some records leaves them spooled) or None for "all of
	them"; an exception leaves the whole batch spooled. ``run_blocking(func, batch)`` runs it off the loop
	(default: the loop's executor). Shared by the AMI bridge (call records) and the dialer (outcomes).
	"""

	def __init__(
		self,
		spool: Spool,
		write: Callable[[list[dict]], Iterable[str] | None],
		what: str = "record",
		batch: int = 200,
		retry_start: float = 0.5,
		retry_max: float = 30.0,
		run_blocking: Callable[..., Awaitable] | None = None,
	):
		self.spool, self.write, self.what, self.batch = spool, write, what, batch
		self.retry_start, self.retry_max = retry_start, retry_max
		self.run_blocking = run_blocking or self._in_executor
		self.written = 0
		self.write_failures = 0
		self._wake = asyncio.Event()

	@staticmethod
	async def _in_executor(func, *args):
		return await asyncio.get_running_loop().run_in_executor(None, func, *args)

	def append(self, records: list[dict]) -> None:
		"""Spool ``records`` (durably) and wake the writer."""
		if records:
			self.spool.append(records)
			self._wake.set()

	async def write_once(self) -> bool:
		"""One batch; True when it was written whole (or there was nothing to write)."""
		batch = self.spool.pending(self.batch)
		if not batch:
			return True
		try:
			done = await self.run_blocking(self.write, batch)
		except Exception as e:
			self.write_failures += 1
			log.warning("writing %d %s(s) failed (%s); they stay in the spool", len(batch), self.what, e)
			return False
		keys = [r[self.spool.key] for r in batch] if done is None else list(done)
		self.spool.ack(keys)
		self.written += len(keys)
		if len(keys) < len(batch):
			self.write_failures += 1
			return False
		return True

	async def drain(self, timeout: float = 10.0) -> bool:
		"""Write what is pending now (shutdown, tests); True when the spool is empty."""
		loop = asyncio.get_running_loop()
		deadline = loop.time() + timeout
		while len(self.spool) and loop.time() < deadline:
			if not await self.write_once():
				await asyncio.sleep(0.05)
		return not len(self.spool)

	async def run(self) -> None:
		"""Write whenever records are spooled; back off exponentially while writes fail."""
		delay = self.retry_start
		while True:
			if not len(self.spool):
				self._wake.clear()
				with contextlib.suppress(asyncio.TimeoutError):
					await asyncio.wait_for(self._wake.wait(), 1.0)
				continue
			if await self.write_once():
				delay = self.retry_start
			else:
				await asyncio.sleep(delay)
				delay = min(delay * 2, self.retry_max)
