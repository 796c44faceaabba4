"""The restore drill's pure parts: find the latest backup set, count the rows a dump holds, compare.

A backup set is what ``bench --site SITE backup --with-files`` writes into ``sites/SITE/private/backups``:
``<stamp>-<site>-database.sql.gz`` and, with files, ``…-files.tar`` (public) and ``…-private-files.tar``
beside it, all with the same prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError

DATABASE_SUFFIX = "-database.sql.gz"
PUBLIC_SUFFIX = "-files.tar"
PRIVATE_SUFFIX = "-private-files.tar"
# Tables the drill compares: every CC doctype's, and the Helpdesk/Frappe records a call center lives on.
COMPARED_EXACT = ("tabHD Ticket", "tabContact", "tabFile")
COMPARED_PREFIX = "tabCC "
INSERT = re.compile(r"^INSERT INTO `([^`]+)` VALUES\s*")


@dataclass(frozen=True)
class BackupSet:
	prefix: str
	database: str
	public: str | None
	private: str | None


def latest_backup(filenames: Iterable[str]) -> BackupSet:
	"""The newest set (by its timestamp prefix, which sorts as text). Refused when there is none, or when
	the newest has no files archives (the drill checks a backup taken with files)."""
	names = set(filenames)
	databases = sorted(n for n in names if n.endswith(DATABASE_SUFFIX))
	if not databases:
		raise FieldError(
			"backup", "there is no database backup: run `bench --site SITE backup --with-files` first"
		)
	prefix = databases[-1][: -len(DATABASE_SUFFIX)]
	public = prefix + PUBLIC_SUFFIX
	private = prefix + PRIVATE_SUFFIX
	if public not in names or private not in names:
		raise FieldError(
			"backup",
			f"the latest backup {prefix} has no files archives: take one with `backup --with-files`",
		)
	return BackupSet(prefix, databases[-1], public, private)


def compared(table: str) -> bool:
	return table.startswith(COMPARED_PREFIX) or table in COMPARED_EXACT


class _Values:
	"""Counts the rows of one ``INSERT … VALUES`` statement fed line by line (mysqldump writes them on one
	line, Frappe's backup one row a line): top-level parenthesised groups, quotes and escapes minded."""

	def __init__(self):
		self.rows = self.depth = 0
		self.quote: str | None = None
		self.escaped = False
		self.done = False

	def feed(self, text: str) -> None:
		for ch in text:
			if self.quote:
				if self.escaped:
					self.escaped = False
				elif ch == "\\":
					self.escaped = True
				elif ch == self.quote:
					self.quote = None
			elif ch in "'\"":
				self.quote = ch
			elif ch == "(":
				if self.depth == 0:
					self.rows += 1
				self.depth += 1
			elif ch == ")":
				self.depth -= 1
			elif ch == ";" and self.depth == 0:
				self.done = True
				return


def dump_rows(lines: Iterable[str], wanted=compared) -> dict[str, int]:
	"""Rows per table in a mysqldump for the tables ``wanted`` accepts; a table the dump creates without
	rows counts 0."""
	counts: dict[str, int] = {}
	create = re.compile(r"^CREATE TABLE `([^`]+)`")
	table, values = None, None
	for line in lines:
		if values is not None:
			values.feed(line)
		elif m := create.match(line):
			if wanted(m.group(1)):
				counts.setdefault(m.group(1), 0)
			continue
		elif m := INSERT.match(line):
			table, values = m.group(1), _Values()
			values.feed(line[m.end() :])
		if values is not None and values.done:
			if wanted(table):
				counts[table] = counts.get(table, 0) + values.rows
			table, values = None, None
	return counts


@dataclass(frozen=True)
class Row:
	what: str
	backup: int | None
	restored: int | None
	live: int | None = None

	@property
	def ok(self) -> bool:
		return self.backup == self.restored


def compare(
	backup: dict[str, int], restored: dict[str, int], live: dict[str, int] | None = None
) -> list[Row]:
	"""One row per table (or file set) in either side, sorted; ``live`` (the site now) is for reading
	only: records made since the backup are no failure."""
	live = live or {}
	return [
		Row(name, backup.get(name), restored.get(name), live.get(name))
		for name in sorted(set(backup) | set(restored))
	]


def report(rows: list[Row]) -> Iterator[str]:
	width = max([len(r.what) for r in rows] + [5])
	yield f"{'table':<{width}}  {'backup':>8}  {'restored':>8}  {'live now':>8}"

	def num(n):
		return "-" if n is None else str(n)

	for r in rows:
		mark = "" if r.ok else "  <-- differs"
		yield f"{r.what:<{width}}  {num(r.backup):>8}  {num(r.restored):>8}  {num(r.live):>8}{mark}"
	bad = [r for r in rows if not r.ok]
	yield (
		f"restore drill: {len(rows)} compared, all equal"
		if not bad
		else f"restore drill FAILED: {len(bad)} of {len(rows)} differ"
	)
