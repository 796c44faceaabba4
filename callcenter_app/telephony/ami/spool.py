"""A durable spool of finished call records: on disk (fsync) before the bridge counts them as taken.

``records.jsonl`` gets one line per record; ``acked.txt`` one Linkedid per record the sink has written
to Frappe. A restart reads both and hands back every record not yet acked, so an outage of Frappe, of
the database or of the bridge itself loses nothing. Writing twice is harmless: the sink upserts by
Linkedid. When everything is acked the two files are truncated, so the spool stays small. Records are
named by their ``linkedid`` unless another ``key`` field is given (the dialer spools outcomes by its own).
A torn last line (a crash mid-write) is skipped on reading and logged.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections import OrderedDict

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
