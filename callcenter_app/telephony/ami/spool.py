"""A durable spool of finished call records: on disk (fsync) before the bridge counts them as taken.

Files in the spool directory (created 0700; every file 0600, and an existing file's mode is tightened to
0600 on open, since the records hold callers' numbers):

- ``records.jsonl``: one line per record. ``acked.txt``: one key per record the sink has written. A
  restart reads both and hands back every record not yet acked, so an outage of Frappe, of the database
  or of the bridge itself loses nothing. Writing twice is harmless: the sinks upsert by key. When
  everything is acked the two files are truncated, so the spool stays small. Records are named by their
  ``linkedid`` unless another ``key`` field is given (the dialer spools outcomes by its own).
- ``dead-letters.jsonl``: records the sink refused for good (``WriteResult.poison``), one JSON object per
  line ``{"key", "error", "parked_at", "record"}``, kept for a person to look at; never truncated.
- ``spool.lock``: an exclusive ``flock`` held while the spool is open (the holder's pid inside), so a
  second process on the same spool is refused (:class:`SpoolInUse`) instead of truncating the first
  one's records.

A crash mid-write leaves a last line with no newline. It was never reported saved (``append`` returns
after the newline is fsync'd), so on open it is cut off (or, when it is a whole record that only lacks
its newline, completed): the next record always starts on a line of its own. A line that an older
version glued onto a torn one is read back from the glued record on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import itertools
import json
import logging
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

log = logging.getLogger("callcenter.ami.spool")

RECORDS = "records.jsonl"
ACKED = "acked.txt"
DEAD_LETTERS = "dead-letters.jsonl"
LOCK = "spool.lock"
PRIVATE = 0o600  # the records hold callers' numbers
_CHUNK = 1 << 16


class SpoolInUse(RuntimeError):
	"""Another process (or another open Spool) holds the spool directory's lock."""


def lock_directory(directory: str, name: str = LOCK) -> int:
	"""Take an exclusive ``flock`` on ``directory/name`` (created 0600, the holder's pid written in it), the
	same mechanism as the dialer's ``single_instance``; the lock is held until the returned fd is closed.
	Raises :class:`SpoolInUse`, naming the holder's pid, when it is held (flock locks belong to an open file,
	so a second open in the same process is refused too)."""
	path = os.path.join(directory, name)
	fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
	try:
		fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
	except BlockingIOError:
		try:
			pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
		finally:
			os.close(fd)
		holder = f" (pid {pid})" if pid.isdigit() else ""
		raise SpoolInUse(f"{directory} is in use by another process{holder}: it holds {path}") from None
	except BaseException:
		os.close(fd)
		raise
	with contextlib.suppress(OSError):
		_make_private(fd, path)
		os.ftruncate(fd, 0)
		os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
	return fd


def _make_private(fd: int, path: str) -> None:
	mode = stat.S_IMODE(os.fstat(fd).st_mode)
	if mode & 0o077:
		os.fchmod(fd, PRIVATE)
		log.warning("spool: %s was mode %04o (others could read callers' numbers); now 0600", path, mode)


def _open_private(path: str) -> int:
	"""``path`` opened for appending (and reading), created 0600; an existing file's mode is made 0600."""
	fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
	try:
		_make_private(fd, path)
	except BaseException:
		os.close(fd)
		raise
	return fd


def _write_all(fd: int, data: bytes) -> None:
	view = memoryview(data)
	while view:
		view = view[os.write(fd, view) :]


def _last_line_start(fd: int, size: int) -> int:
	"""The offset just after the last newline of the first ``size`` bytes (0 when there is none)."""
	end = size
	while end > 0:
		start = max(0, end - _CHUNK)
		at = os.pread(fd, end - start, start).rfind(b"\n")
		if at >= 0:
			return start + at + 1
		end = start
	return 0


@dataclass
class WriteResult:
	"""What a sink did with a batch. ``done``: the keys written (acknowledged). ``poison``: key → why, for
	records that can never be written (bad data, a bug): they go to the dead letters and are acknowledged, so
	they stop blocking the rest. Every other key of the batch stays in the spool and is tried again with
	backoff (a transient failure: the database down, a lock timeout)."""

	done: list[str] = field(default_factory=list)
	poison: dict[str, str] = field(default_factory=dict)


class Spool:
	def __init__(self, directory: str, fsync: bool = True, key: str = "linkedid", lock: bool = True):
		os.makedirs(directory, mode=0o700, exist_ok=True)
		self.directory = directory
		self.fsync = fsync
		self.key = key  # the field that names a record (the dialer spools by its own key)
		self.records_path = os.path.join(directory, RECORDS)
		self.acked_path = os.path.join(directory, ACKED)
		self.dead_letters_path = os.path.join(directory, DEAD_LETTERS)
		self._io = threading.RLock()  # file writes (held through the fsync)
		self._lock = threading.Lock()  # the in-memory index only: pending() never waits for a disk
		self._pending: OrderedDict[str, dict] = OrderedDict()
		self._fds: list[int] = []
		self._dead: int | None = None
		self._closed = False
		try:
			if lock:
				self._fds.append(lock_directory(directory))
			self._records = self._open(self.records_path)
			self._acked = self._open(self.acked_path)
			if os.path.exists(self.dead_letters_path):
				self._dead = self._open(self.dead_letters_path)
			self._repair_tails()
			self._load()
		except BaseException:
			self._close_fds()
			raise

	def _open(self, path: str) -> int:
		fd = _open_private(path)
		self._fds.append(fd)
		return fd

	# --- opening ------------------------------------------------------------------------------------------
	def _repair_tails(self) -> None:
		"""Start both files on a fresh line: a last line without its newline was being written at a crash."""
		size = os.fstat(self._records).st_size
		if size and os.pread(self._records, 1, size - 1) != b"\n":
			start = _last_line_start(self._records, size)
			tail = os.pread(self._records, size - start, start).decode("utf-8", "replace")
			if self._parse(tail) is not None:
				_write_all(self._records, b"\n")  # a whole record whose newline was not written: keep it
				log.warning(
					"spool: the last record of %s lacked its newline (a crash); kept", self.records_path
				)
			else:
				os.ftruncate(self._records, start)
				log.warning(
					"spool: the last line of %s was cut short by a crash (%d bytes, never reported saved); "
					"removed",
					self.records_path,
					size - start,
				)
			self._sync(self._records)
		size = os.fstat(self._acked).st_size
		if size and os.pread(self._acked, 1, size - 1) != b"\n":
			os.ftruncate(self._acked, _last_line_start(self._acked, size))  # its record is written again
			self._sync(self._acked)

	def _parse(self, line: str) -> dict | None:
		try:
			record = json.loads(line)
		except ValueError:
			return None
		if isinstance(record, dict) and isinstance(record.get(self.key), str):
			return record
		return None

	def _salvage(self, line: str) -> dict | None:
		"""A record that an older version appended to a torn line without a newline between them."""
		at = line.find("{", 1)
		while at > 0:
			record = self._parse(line[at:])
			if record is not None:
				return record
			at = line.find("{", at + 1)
		return None

	def _load(self) -> None:
		with open(self.acked_path, encoding="utf-8") as f:
			acked = {line.rstrip("\r\n") for line in f}
		with open(self.records_path, encoding="utf-8", errors="replace") as f:
			for n, line in enumerate(f, 1):
				if not line.strip():
					continue
				record = self._parse(line)
				if record is None:
					record = self._salvage(line)
					if record is None:
						log.warning("spool: line %d of %s is not a record; skipped", n, self.records_path)
						continue
					log.warning(
						"spool: line %d of %s had a torn record before it; the record after it is kept",
						n,
						self.records_path,
					)
				key = record[self.key]
				if key not in acked:
					self._pending[key] = record
		if self._pending:
			log.info("spool: %d record(s) from before the restart still to write", len(self._pending))

	# --- writing ------------------------------------------------------------------------------------------
	def key_of(self, record: dict) -> str:
		"""The record's key; a ValueError for a record the spool could not name (nothing is written)."""
		key = record.get(self.key) if isinstance(record, dict) else None
		if not isinstance(key, str) or "\n" in key or "\r" in key:
			raise ValueError(f"{self.key}: {key!r} cannot name a spooled record (a string on one line)")
		return key

	def _sync(self, fd: int) -> None:
		if self.fsync:
			os.fsync(fd)

	def _append(self, fd: int, data: bytes) -> None:
		"""Write and fsync ``data`` at the end of ``fd``; on failure cut it off again (no half line stays
		for the next write to be glued onto)."""
		start = os.fstat(fd).st_size
		try:
			_write_all(fd, data)
			self._sync(fd)
		except BaseException:
			with contextlib.suppress(OSError):
				os.ftruncate(fd, start)
			raise

	def _check_open(self) -> None:
		if self._closed:  # its descriptors may belong to other files by now
			raise ValueError(f"the spool {self.directory} is closed")

	def append(self, records: list[dict]) -> None:
		"""Durable when this returns; only then does :meth:`pending` hand the records out. Blocks on the
		disk: the asyncio side calls it through :class:`SpoolWriter`, in a thread of its own. A failed write
		is cut off again, so it never leaves half a line behind."""
		if not records:
			return
		keys = [self.key_of(r) for r in records]
		data = "".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records)
		with self._io:
			self._check_open()
			self._append(self._records, data.encode("utf-8"))
			with self._lock:
				for key, record in zip(keys, records, strict=True):
					self._pending[key] = record

	def pending(self, limit: int = 500) -> list[dict]:
		with self._lock:
			return list(itertools.islice(self._pending.values(), limit))

	def ack(self, keys: Iterable[str]) -> list[str]:
		"""Mark records written (durably); the keys that were pending."""
		with self._io:
			self._check_open()
			with self._lock:
				known = list(dict.fromkeys(k for k in keys if k in self._pending))
			if not known:
				return []
			self._append(self._acked, "".join(k + "\n" for k in known).encode("utf-8"))
			with self._lock:
				for key in known:
					self._pending.pop(key, None)
				empty = not self._pending
			if empty:
				self._truncate()
			return known

	def park(self, poison: dict[str, str]) -> list[str]:
		"""Move pending records the sink refused for good (key → why) to the dead letters (fsync'd), then
		ack them. The keys that were pending."""
		with self._io:
			self._check_open()
			with self._lock:
				parked = [(k, self._pending[k]) for k in poison if k in self._pending]
			if not parked:
				return []
			at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
			lines = "".join(
				json.dumps({"key": k, "error": str(poison[k]), "parked_at": at, "record": r}, sort_keys=True)
				+ "\n"
				for k, r in parked
			)
			if self._dead is None:
				self._dead = self._open(self.dead_letters_path)
			self._append(self._dead, lines.encode("utf-8"))
			return self.ack([k for k, _ in parked])

	def _truncate(self) -> None:
		for fd in (self._records, self._acked):
			os.ftruncate(fd, 0)
			self._sync(fd)

	def __len__(self) -> int:
		return len(self._pending)

	def _close_fds(self) -> None:
		for fd in self._fds:
			with contextlib.suppress(OSError):
				os.close(fd)
		self._fds = []

	def close(self) -> None:
		"""Close the files and release the lock (another process may open the spool then)."""
		with self._io:
			self._closed = True
			self._close_fds()

	def __enter__(self) -> Spool:
		return self

	def __exit__(self, *exc) -> None:
		self.close()


class SpoolWriter:
	"""Drains a :class:`Spool` into ``write(batch)`` in batches, off the event loop, retrying with backoff.

	``append`` hands records to a thread of the writer's own that writes and fsyncs them in the order they
	came; the writer sees a record only once it is durable, so nothing is written to the sink (and acked)
	before its fsync finished. The acks' fsyncs run in that thread too: the loop never waits for a disk.

	``write(batch)`` returns None for "all of them", the keys it wrote (the others stay spooled), or a
	:class:`WriteResult` (written keys, and poison records that go to the dead letters); an exception leaves
	the whole batch spooled and is retried with backoff. The sink decides what is poison (a bad record)
	and what is transient (an outage). ``run_blocking(func, batch)`` runs it off the loop (default: the
	loop's executor). Shared by the AMI bridge (call records) and the dialer (outcomes).
	"""

	def __init__(
		self,
		spool: Spool,
		write: Callable[[list[dict]], Iterable[str] | WriteResult | None],
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
		self.parked = 0
		self.write_failures = 0
		self._wake = asyncio.Event()
		self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cc-spool-fsync")
		self._unsynced: list[dict] = []  # appended, not yet durable (in order)
		self._flusher: asyncio.Task | None = None
		self._writing: asyncio.Task | None = None  # the batch being written and acked

	@staticmethod
	async def _in_executor(func, *args):
		return await asyncio.get_running_loop().run_in_executor(None, func, *args)

	async def _on_disk(self, func, *args):
		return await asyncio.get_running_loop().run_in_executor(self._disk, func, *args)

	@property
	def unsynced(self) -> int:
		"""Records appended but not yet durable in the spool."""
		return len(self._unsynced)

	def append(self, records: list[dict]) -> None:
		"""Spool ``records``: written and fsync'd in the writer's disk thread, in order, then written on.
		A record without a usable key raises ValueError here and nothing of the call is spooled."""
		if not records:
			return
		for record in records:
			self.spool.key_of(record)
		try:
			loop = asyncio.get_running_loop()
		except RuntimeError:  # no loop (a script, a test): durable now
			self.spool.append(records)
			return
		self._unsynced.extend(records)
		if self._flusher is None or self._flusher.done():
			self._flusher = loop.create_task(self._flush_unsynced(), name="spool-fsync")

	async def _flush_unsynced(self) -> None:
		delay = self.retry_start
		while self._unsynced:
			batch, self._unsynced = self._unsynced, []
			try:
				await self._on_disk(self.spool.append, batch)
			except Exception as e:  # a full or failing disk: keep them (in order) and try again
				self._unsynced[:0] = batch
				log.error(
					"spooling %d %s(s) to %s failed (%s); kept in memory, trying again in %.1f s",
					len(batch),
					self.what,
					self.spool.directory,
					e,
					delay,
				)
				await asyncio.sleep(delay)
				delay = min(delay * 2, self.retry_max)
				continue
			delay = self.retry_start
			self._wake.set()

	async def flush(self) -> None:
		"""Return once every record appended so far is durable in the spool."""
		while self._flusher is not None and not self._flusher.done():
			await asyncio.shield(self._flusher)

	async def write_once(self) -> bool:
		"""One batch; True when it was settled whole (written or parked) or there was nothing to write.

		The batch is written and acked in a task of its own that a cancelled caller does not cut short: the
		sink runs in a thread that cancelling cannot stop, so a batch whose ack were dropped would be written
		a second time by the next call (the shutdown's drain, after the writer loop is cancelled mid-write:
		seen as two calls written twice in a loaded CI run). A call while a batch is in flight waits for it."""
		if self._writing is None or self._writing.done():
			self._writing = asyncio.ensure_future(self._write_batch())
		return await asyncio.shield(self._writing)

	async def _write_batch(self) -> bool:
		batch = self.spool.pending(self.batch)
		if not batch:
			return True
		try:
			result = await self.run_blocking(self.write, batch)
		except Exception as e:
			self.write_failures += 1
			log.warning("writing %d %s(s) failed (%s); they stay in the spool", len(batch), self.what, e)
			return False
		keys = [r[self.spool.key] for r in batch]
		if result is None:
			done, poison = keys, {}
		elif isinstance(result, WriteResult):
			done, poison = list(result.done), dict(result.poison)
		else:
			done, poison = list(result), {}
		in_batch = set(keys)
		done = [k for k in dict.fromkeys(done) if k in in_batch]
		written = set(done)
		poison = {k: why for k, why in poison.items() if k in in_batch and k not in written}
		try:
			if poison:
				for key in await self._on_disk(self.spool.park, poison):
					self.parked += 1
					log.error(
						"%s %s set aside in %s: %s", self.what, key, self.spool.dead_letters_path, poison[key]
					)
			if done:
				await self._on_disk(self.spool.ack, done)
		except OSError as e:
			self.write_failures += 1
			log.error(
				"the spool %s could not be updated (%s); the batch is written again", self.spool.directory, e
			)
			return False
		self.written += len(done)
		if len(done) + len(poison) < len(in_batch):
			self.write_failures += 1
			return False
		return True

	async def drain(self, timeout: float = 10.0) -> bool:
		"""Make what was appended durable and write what is pending, for at most ``timeout`` seconds
		(shutdown, tests); True when the spool is empty. A write cut short stays in the spool."""
		loop = asyncio.get_running_loop()
		deadline = loop.time() + timeout
		with contextlib.suppress(asyncio.TimeoutError):
			await asyncio.wait_for(self.flush(), timeout)
		while len(self.spool) and loop.time() < deadline:
			try:
				settled = await asyncio.wait_for(self.write_once(), max(0.0, deadline - loop.time()))
			except asyncio.TimeoutError:
				break
			if not settled:
				await asyncio.sleep(0.05)
		return not len(self.spool) and not self._unsynced

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
