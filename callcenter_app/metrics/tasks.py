"""Frappe glue for large exports: the call-detail export as a background job.

:func:`start_call_export` (through ``api/exports.py``) checks the filters and the user's right to read
CC Call Log, and enqueues :func:`export_calls` on the long queue. The job runs as that user, so CC Call
Log's own ``permission_query_conditions`` decide the rows (managers, supervisors and accountants all;
agents and operators their calls, their campaigns' and their queues' — the list view's rule). It counts the
rows (for the progress), streams them into the pure writers (``metrics/export.py``) in the private files folder,
publishing progress, records a private File owned by the user (written straight to the table: Frappe's File
insert would read the whole file back into memory to hash it, and refuse it above the upload size limit)
and tells the user where it is (a realtime event and a Notification Log).

**Reading the rows.** PyMySQL, pure Python, decoding every value of every row is what a large export spent
its time on. The rows are therefore read by the database's own C client (``mariadb`` or ``mysql``, which
Frappe's backups need too; :class:`Client`, ``metrics/db_client.py``) running the very statement PyMySQL
would (:func:`export_query`, values escaped by the driver). For CSV the database makes each line
(``export.csv_line_sql``), and the range is read in parts by several clients at once, each printing its
lines raw straight into a file (:func:`write_csv_with_client`): this process only hashes the bytes and
joins the parts, no Python per row. For XLSX the client's tab-separated lines are typed and fed to the
writer. Credentials go in a 0600 option file in a
private temporary folder, never on the command line or in the environment, removed when the client exits.
Without a client binary, or when it fails before the first row, the job reads with PyMySQL (and says so
in its log).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager

import frappe
from frappe import _

from callcenter_app.callcenter_app.doctype.cc_call_log.cc_call_log import permission_query_conditions
from callcenter_app.common.errors import FieldError
from callcenter_app.metrics import db_client
from callcenter_app.metrics.export import (
	CALL_COLUMNS,
	CALL_KINDS,
	DATETIME,
	NUMBER,
	TEXT,
	csv_line_sql,
	write_lines,
	write_xlsx,
)
from callcenter_app.metrics.filters import RangeFilters, check_range
from callcenter_app.metrics.service import range_bounds

FORMATS = ("xlsx", "csv")
READY_EVENT = "callcenter:export-ready"
GUARDED = ("caller", "caller_name", "did")  # text that comes from outside: formula-injection guard in CSV


def check_export(values: dict) -> tuple[RangeFilters, str]:
	try:
		filters = check_range(frappe._dict(values))
		file_format = (values.get("file_format") or "xlsx").lower()
		if file_format not in FORMATS:
			raise FieldError("file_format", f"must be xlsx or csv, not {values.get('file_format')!r}")
	except FieldError as e:
		frappe.throw(
			_("{0}: {1}").format(e.field, e.reason), frappe.ValidationError, title=_("Invalid export")
		)
	return filters, file_format


def start_call_export(**values) -> dict:
	frappe.has_permission("CC Call Log", "read", throw=True)
	filters, file_format = check_export(values)
	job = frappe.enqueue(
		"callcenter_app.metrics.tasks.export_calls",
		queue="long",
		timeout=3600,
		user=frappe.session.user,
		from_date=filters.from_date.isoformat(),
		to_date=filters.to_date.isoformat(),
		queue_name=filters.queue,
		campaign=filters.campaign,
		file_format=file_format,
	)
	return {
		"job": getattr(job, "id", None),
		"message": _(
			"Exporting the calls of {0} to {1} in the background; you will be told when the file is ready."
		).format(filters.from_date.isoformat(), filters.to_date.isoformat()),
	}


def export_query(
	user: str, filters: RangeFilters, as_lines: bool, line_end: str = ""
) -> tuple[str, str, dict]:
	"""The rows' query, the count's query and their values; ``user``'s permission conditions applied.
	``as_lines``: one value per row, its CSV line (ending in ``line_end``)."""
	first, after, _system, _local = range_bounds(filters.from_date, filters.to_date)
	values = {"first": first, "after": after}
	conditions = ["`tabCC Call Log`.`start` >= %(first)s", "`tabCC Call Log`.`start` < %(after)s"]
	if filters.queue:
		values["queue"] = filters.queue
		conditions.append("`tabCC Call Log`.`queue` = %(queue)s")
	if filters.campaign:
		values["campaign"] = filters.campaign
		conditions.append("`tabCC Call Log`.`campaign` = %(campaign)s")
	allowed = permission_query_conditions(user)
	if allowed:
		conditions.append(allowed)
	columns = [f"`tabCC Call Log`.`{f}`" for f in CALL_COLUMNS]
	if as_lines:  # the database makes each CSV line (metrics/export.csv_line_sql)
		kinds = [(c, CALL_KINDS.get(f, TEXT)) for c, f in zip(columns, CALL_COLUMNS, strict=True)]
		guarded = [c for c, f in zip(columns, CALL_COLUMNS, strict=True) if f in GUARDED]
		fields = [csv_line_sql(kinds, guarded, line_end).replace("%", "%%")]
	else:
		# text as '' rather than NULL: the same empty cell in the sheet, and what the database client
		# (which prints NULL and the text "NULL" alike) can tell apart (metrics/db_client.py)
		fields = [
			c if CALL_KINDS.get(f, TEXT) != TEXT else f"coalesce({c}, '')"
			for c, f in zip(columns, CALL_COLUMNS, strict=True)
		]
	where = " and ".join(conditions)
	rows = (
		f"select {', '.join(fields)} from `tabCC Call Log`{by_start_index()} where {where} "
		"order by `tabCC Call Log`.`start`"
	)
	count = f"select count(*) from `tabCC Call Log` where {where}"
	return rows, count, values


ORDER_INDEX = "cc_queue_report"  # install.CALL_LOG_INDEXES: its first column is start


def by_start_index() -> str:
	"""Read the range in start order through the index on start: left to itself, MariaDB reads a long range
	by scanning the whole table and sorting it (1,000,000 calls: 14–18 s on the bench machine, against 5 s
	through the index when the table's order follows start, as Asterisk's time-based linkedids make it, and 9 s
	when it does not; ``benchmarks/RESULTS.md``). Only when the index is there (it is made after migrate)."""
	if frappe.db.has_index("tabCC Call Log", ORDER_INDEX):
		return f" force index (`{ORDER_INDEX}`)"
	return ""


def export_calls(
	user: str,
	from_date: str,
	to_date: str,
	queue_name: str = "",
	campaign: str = "",
	file_format: str = "xlsx",
) -> dict:
	"""The background job: write the file, record it, tell the user. Returns the File's name and URL."""
	frappe.set_user(user)
	filters, file_format = check_export(
		{
			"from_date": from_date,
			"to_date": to_date,
			"queue": queue_name,
			"campaign": campaign,
			"file_format": file_format,
		}
	)
	as_lines = file_format == "csv"
	query, count_query, values = export_query(user, filters, as_lines)
	# the client prints CSV raw: each line ends in CR, the client's LF completes it (metrics/db_client.py)
	client_query = export_query(user, filters, as_lines, "\r")[0] if as_lines else query
	progress = ExportProgress(lambda: frappe.db.sql(count_query, values)[0][0])
	file_name = (
		f"call-details-{filters.from_date}-{filters.to_date}-{frappe.generate_hash(length=8)}.{file_format}"
	)
	path = frappe.get_site_path("private", "files", file_name)
	header = [_(label) for label in CALL_COLUMNS.values()]
	try:
		written, reader, digest = write_export(
			(query, client_query),
			values,
			file_format,
			path,
			header,
			progress,
			filters.to_date > filters.from_date,
		)
	except BaseException:
		if os.path.exists(path):
			os.remove(path)
		raise
	file_doc = record_file(path, file_name, user, digest)
	link = file_doc.file_url
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": user,
			"type": "Alert",
			"document_type": "File",
			"document_name": file_doc.name,
			"subject": _("Your call export is ready: {0} calls ({1})").format(written, file_name),
		}
	).insert(ignore_permissions=True)
	# the job's transaction is committed when the job returns; the user is told after that
	frappe.publish_realtime(
		READY_EVENT, {"file_url": link, "rows": written, "file": file_doc.name}, user=user, after_commit=True
	)
	return {"file": file_doc.name, "file_url": link, "rows": written, "reader": reader}


class ExportProgress:
	"""``frappe.publish_progress`` at most once a percent of the rows ``count()`` gives; silent until
	:meth:`count` has run (the CSV path runs it while its clients already read)."""

	def __init__(self, count: Callable[[], int]):
		self._count = count
		self.total: int | None = None
		self.shown = -1

	def count(self) -> None:
		if self.total is None:
			self.total = self._count()

	def __call__(self, done: int) -> None:
		if self.total is None:
			return
		done = min(done, self.total)  # counted by another statement: calls may have come meanwhile
		percent = int(100 * done / self.total) if self.total else 100
		if percent > self.shown:
			self.shown = percent
			frappe.publish_progress(
				percent, title=_("Call export"), description=_("{0} of {1} calls").format(done, self.total)
			)


# --- reading the rows ---------------------------------------------------------------------------------


class ClientFailed(Exception):
	"""The database client exited with an error; ``rows`` rows had been read by then."""

	def __init__(self, message: str, rows: int):
		super().__init__(message)
		self.rows = rows


def export_log(message: str) -> None:
	"""A line in the job's log (the worker's output) and in the app's log file."""
	print(f"call export: {message}", file=sys.stderr, flush=True)
	frappe.logger("callcenter_app.export").info(message)


def write_export(
	queries: tuple[str, str],
	values: dict,
	file_format: str,
	path: str,
	header: list[str],
	progress: ExportProgress,
	multi_day: bool = False,
) -> tuple[int, str, str | None]:
	"""Write the rows to ``path``; returns (rows, reader, MD5 of the file when the writer made it on the way):
	through the database's own client when there is one (metrics/db_client.py), else — or when it fails
	before the first row — PyMySQL. ``queries``: PyMySQL's statement and the client's."""
	query, client_query = queries
	binary = client_binary()
	if binary is None:
		export_log("no mariadb or mysql client found on the PATH: reading the rows with PyMySQL (slower)")
	else:
		args = (binary, client_query, values, file_format, path, header, progress, multi_day)
		try:
			try:
				return write_with_client(*args)
			except ClientFailed as e:
				if e.rows or "sandbox" not in str(e):
					raise
				# a client older than --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8; Oracle's mysql):
				# --binary-mode alone still turns its commands off in the statement it reads
				export_log(f"the database client refused --sandbox ({e}): running it without")
				return write_with_client(*args, sandbox=False)
		except ClientFailed as e:
			if e.rows:
				raise
			export_log(
				f"the database client failed before the first row ({e}): reading the rows with PyMySQL"
			)
	progress.count()
	return write_with_pymysql(query, values, file_format, path, header, progress), "pymysql", None


def write_with_client(
	binary: str, query, values, file_format, path, header, progress, multi_day: bool, sandbox: bool = True
) -> tuple[int, str, str | None]:
	if file_format == "csv":
		parts = db_client.split_range(values, client_parts(multi_day))
		rows, digest = write_csv_with_client(binary, query, parts, path, header, progress, sandbox)
		return rows, "client", digest
	progress.count()
	return write_xlsx_with_client(binary, query, values, path, header, progress, sandbox), "client", None


def client_binary() -> str | None:
	for name in db_client.CLIENT_NAMES:
		found = shutil.which(name)
		if found:
			return found
	return None


def write_with_pymysql(query: str, values: dict, file_format: str, path: str, header, progress) -> int:
	with frappe.db.unbuffered_cursor():
		rows = frappe.db.sql(query, values, as_iterator=True, as_list=True)
		if file_format == "csv":
			with open(path, "w", newline="", encoding="utf-8") as out:
				return write_lines(rows, out, header, progress=progress)
		return write_xlsx(rows, path, header, progress=progress, widths=[18] * len(header))


CLIENT_KINDS = {TEXT: db_client.TEXT, NUMBER: db_client.INT, DATETIME: db_client.DATETIME}


def client_parts(multi_day: bool) -> int:
	"""How many clients read a CSV export at once: two per core, at most 4, when it spans more than a day.
	MariaDB reads a statement on one thread, and making a million lines costs it about 3.3 s of CPU; on the
	2-core bench machine a million rows took 4.4 s in one part, 3.8–4.0 s in two, 3.5 s in three, 3.0–3.3 s in
	four and 3.3 s in six (``benchmarks/RESULTS.md``): more statements than cores keep the cores busy while
	each waits on its client. Not by the row count: that takes a statement of its own, which runs while the
	clients read (:class:`ExportProgress`)."""
	if not multi_day:
		return 1
	return max(1, min(4, 2 * (os.cpu_count() or 1)))


def write_xlsx_with_client(
	binary: str, query: str, values: dict, path: str, header, progress, sandbox: bool = True
) -> int:
	kinds = [CLIENT_KINDS[CALL_KINDS.get(f, TEXT)] for f in CALL_COLUMNS]
	with client_options() as (folder, option_path):
		client = Client(binary, option_path, frappe.db.mogrify(query, values), folder, 0, sandbox=sandbox)
		try:
			rows = write_xlsx(
				db_client.decode_rows(client.proc.stdout, kinds),
				path,
				header,
				progress=progress,
				widths=[18] * len(header),
			)
		except BaseException:
			client.stop()
			raise
		client.finish(rows)
	return rows


def write_csv_with_client(
	binary: str, query: str, parts: list[dict], path: str, header, progress, sandbox: bool = True
) -> tuple[int, str]:
	"""Each part's client (all running at once) prints its raw lines straight into a file: the first into
	``path`` after the header, the others into files beside it. Meanwhile this process counts the rows for the
	progress and follows the first file as it grows, hashing it; then it appends the others in order, each
	without its count line (``db_client.RawLines``), by the kernel's copy. Returns the rows and the file's MD5
	(for the File record)."""
	spill = [f"{path}.part{i}" for i in range(1, len(parts))]
	head = csv_header(header)
	digest = hashlib.md5(head, usedforsecurity=False)
	clients: list[Client] = []
	rows = 0
	try:
		with open(path, "wb") as out:
			out.write(head)
		with client_options() as (folder, option_path):
			for i, values in enumerate(parts):
				# the very statement PyMySQL would send, then its row count
				sql = f"{frappe.db.mogrify(query, values)};\n{db_client.ROW_COUNT_SQL}"
				into = spill[i - 1] if i else path
				clients.append(Client(binary, option_path, sql, folder, i, into, sandbox=sandbox, raw=True))
			first = db_client.RawLines()
			progress.count()  # while the clients read

			def report():
				written = sum(os.path.getsize(p) for p in spill if os.path.exists(p))
				progress(first.rows_in(first.passed + written))

			with open(path, "rb") as source:
				source.seek(len(head))
				follow(clients[0], source, first, digest.update, report)
			clients[0].finish(first.rows_in(first.passed))
			rows = first.finish()
			end = len(head) + first.passed
			os.truncate(path, end)  # the count line off
			out = os.open(path, os.O_WRONLY)
			try:
				for client, part in zip(clients[1:], spill, strict=True):
					client.finish(rows)
					added, size = append_part(part, out, end, digest)
					rows, end = rows + added, end + size
					os.remove(part)
					progress(rows)
			finally:
				os.close(out)
	except BaseException as e:
		for client in clients:
			client.stop()
		if isinstance(e, ClientFailed):
			e.rows = max(e.rows, rows)
		raise
	finally:
		for part in spill:
			if os.path.exists(part):
				os.remove(part)
	progress(rows)
	return rows, digest.hexdigest()


FOLLOW_PAUSE = 0.05  # seconds between looks at a growing file


def follow(client: Client, source, lines: db_client.RawLines, take, report) -> None:
	"""Read ``source`` (the file ``client`` writes) as it grows until the client has exited and all it wrote
	is read; each chunk goes through ``lines`` to ``take``; ``report()`` between pauses."""
	while True:
		running = client.proc.poll() is None  # asked before reading: nothing written after it is missed
		chunk = source.read(db_client.CHUNK)
		if chunk:
			take(lines.feed(chunk))
			continue
		if not running:
			return
		report()
		time.sleep(FOLLOW_PAUSE)


def append_part(part: str, out: int, at: int, digest) -> tuple[int, int]:
	"""Write a finished part's lines (without its count line) at ``at`` in the file ``out`` and add them to
	``digest``; returns (rows, bytes)."""
	with open(part, "rb") as source:
		size = os.fstat(source.fileno()).st_size
		offset = max(0, size - db_client.TAIL)
		source.seek(offset)
		end, rows = db_client.lines_end(source.read(), offset)
		source.seek(0)
		buffer = bytearray(db_client.CHUNK)
		left = end
		while left:
			n = source.readinto(memoryview(buffer)[: min(left, len(buffer))])
			if not n:
				raise FieldError("client output", "a part file shrank while it was copied")
			digest.update(memoryview(buffer)[:n])
			left -= n
		copy_range(source.fileno(), out, end, at)
	return rows, end


def copy_range(source_fd: int, out_fd: int, length: int, at: int) -> None:
	"""The first ``length`` bytes of ``source_fd`` to ``at`` in ``out_fd``: in the kernel where it can
	(``copy_file_range``; the page cache, no copy through this process), else through a buffer."""
	offset = 0
	if hasattr(os, "copy_file_range"):
		try:
			while offset < length:
				n = os.copy_file_range(source_fd, out_fd, length - offset, offset, at + offset)
				if not n:
					break
				offset += n
		except OSError:
			pass  # another file system, an old kernel: the rest through a buffer
	while offset < length:
		chunk = os.pread(source_fd, min(db_client.CHUNK, length - offset), offset)
		if not chunk:
			raise FieldError("client output", "a part file shrank while it was copied")
		os.pwrite(out_fd, chunk, at + offset)
		offset += len(chunk)


def csv_header(header: list[str]) -> bytes:
	buffer = io.StringIO()
	csv.writer(buffer).writerow(header)
	return buffer.getvalue().encode()


def client_settings() -> dict:
	"""The connection PyMySQL uses (frappe.db's host, port, user, password, database, TLS files)."""
	db = frappe.db
	conf = frappe.conf
	settings = {
		"user": db.user,
		"password": db.password,
		"host": db.host or "localhost",
		"port": db.port,
		"protocol": "tcp",  # as PyMySQL: "localhost" over TCP, not the socket
		"database": db.cur_db_name,
	}
	if conf.db_ssl_ca and conf.db_ssl_cert and conf.db_ssl_key:
		settings |= {"ssl-ca": conf.db_ssl_ca, "ssl-cert": conf.db_ssl_cert, "ssl-key": conf.db_ssl_key}
	return settings


def client_env() -> dict:
	"""The job's environment without the client's own variables (MYSQL_PWD, MYSQL_HOST …): only the option
	file decides where and as whom the client connects."""
	return {k: v for k, v in os.environ.items() if not k.upper().startswith(("MYSQL", "MARIADB"))}


@contextmanager
def client_options():
	"""(folder, option file): the credentials in a 0600 file in a private temporary folder (0700), both
	removed when the block ends — by then every client started in it has exited."""
	with tempfile.TemporaryDirectory(prefix="cc-export-") as folder:
		option_path = os.path.join(folder, "client.cnf")
		fd = os.open(option_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
		with os.fdopen(fd, "w", encoding="utf-8") as f:
			f.write(db_client.option_file(client_settings()))
		yield folder, option_path


class Client:
	"""One run of the database client on ``sql`` (written to its standard input); its rows on
	``proc.stdout``, or straight into the file ``into``; its messages in a file of ``folder``."""

	def __init__(
		self,
		binary: str,
		option_path: str,
		sql: str,
		folder: str,
		number: int,
		into: str | None = None,
		sandbox: bool = True,
		raw: bool = False,
	):
		self.errors = open(os.path.join(folder, f"stderr-{number}"), "w+b")  # closed in finish/stop
		out = open(into, "ab") if into else subprocess.PIPE  # the child keeps its own copy
		try:
			self.proc = subprocess.Popen(
				db_client.client_argv(binary, option_path, sandbox=sandbox, raw=raw),
				stdin=subprocess.PIPE,
				stdout=out,
				stderr=self.errors,
				env=client_env(),
			)
		except OSError as e:
			self.errors.close()
			raise ClientFailed(f"{binary} could not be started: {e}", 0) from e
		finally:
			if into:
				out.close()
		try:
			self.proc.stdin.write(sql.encode() + b";\n")
		except BrokenPipeError:
			pass  # the client stopped at once: its exit status and message say why
		finally:
			try:
				self.proc.stdin.close()
			except BrokenPipeError:
				pass

	def finish(self, rows: int) -> None:
		"""Wait for the client; raise ClientFailed (``rows`` read so far) if it failed."""
		if self.proc.stdout:
			self.proc.stdout.close()
		code = self.proc.wait()
		self.errors.seek(0)
		message = self.errors.read().decode(errors="replace").strip()
		self.errors.close()
		if code:
			raise ClientFailed((message or f"exit status {code}")[:500], rows)

	def stop(self) -> None:
		if self.proc.poll() is None:
			self.proc.kill()
		if self.proc.stdout:
			self.proc.stdout.close()
		self.proc.wait()
		self.errors.close()


def record_file(path: str, file_name: str, user: str, content_hash: str | None = None):
	"""A private File row for a file already written in the private files folder, with its MD5 (Frappe's
	content hash; without it, deleting the File would leave the file on disk): ``content_hash`` when the
	writer made it on the way, else read in chunks."""
	if not content_hash:
		digest = hashlib.md5(usedforsecurity=False)
		with open(path, "rb") as f:
			for chunk in iter(lambda: f.read(1 << 20), b""):
				digest.update(chunk)
		content_hash = digest.hexdigest()
	doc = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"file_url": f"/private/files/{file_name}",
			"is_private": 1,
			"folder": "Home",
			"file_size": os.path.getsize(path),
			"content_hash": content_hash,
			"owner": user,
		}
	)
	doc.set_new_name()
	doc.db_insert()
	return doc
