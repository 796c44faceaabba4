"""Frappe glue for large exports: the call-detail export as a background job.

:func:`start_call_export` (through ``api/exports.py``) checks the filters and the user's right to read
CC Call Log, and enqueues :func:`export_calls` on the long queue. The job runs as that user, so CC Call
Log's own ``permission_query_conditions`` decide the rows (managers, supervisors and accountants all;
agents and operators their calls, their campaigns' and their queues' — the list view's rule). It counts the
rows, streams them from an unbuffered cursor into the pure writers (``metrics/export.py``: for CSV the
database makes each line, so the client decodes one value per row — PyMySQL decoding every column in pure
Python is what a large export spends its time on; XLSX is written part by part) in the private files folder, publishing progress, then records a private File owned
by the user (written straight to the table: Frappe's File insert would read the whole file back into
memory to hash it, and refuse it above the upload size limit) and tells the user where it is (a realtime
event and a Notification Log).
"""

from __future__ import annotations

import hashlib
import os

import frappe
from frappe import _

from callcenter_app.callcenter_app.doctype.cc_call_log.cc_call_log import permission_query_conditions
from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.export import (
	CALL_COLUMNS,
	CALL_KINDS,
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


def export_query(user: str, filters: RangeFilters, as_lines: bool) -> tuple[str, str, dict]:
	"""The rows' query, the count's query and their values; ``user``'s permission conditions applied.
	``as_lines``: one value per row, its CSV line."""
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
		fields = [csv_line_sql(kinds, guarded).replace("%", "%%")]
	else:
		fields = columns
	where = " and ".join(conditions)
	rows = f"select {', '.join(fields)} from `tabCC Call Log` where {where} order by `tabCC Call Log`.`start`"
	count = f"select count(*) from `tabCC Call Log` where {where}"
	return rows, count, values


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
	query, count_query, values = export_query(user, filters, as_lines=file_format == "csv")
	total = frappe.db.sql(count_query, values)[0][0]
	title = _("Call export")
	shown = {"percent": -1}

	def progress(done: int) -> None:
		percent = int(100 * done / total) if total else 100
		if percent > shown["percent"]:
			shown["percent"] = percent
			frappe.publish_progress(
				percent, title=title, description=_("{0} of {1} calls").format(done, total)
			)

	file_name = (
		f"call-details-{filters.from_date}-{filters.to_date}-{frappe.generate_hash(length=8)}.{file_format}"
	)
	path = frappe.get_site_path("private", "files", file_name)
	header = [_(label) for label in CALL_COLUMNS.values()]
	try:
		with frappe.db.unbuffered_cursor():
			rows = frappe.db.sql(query, values, as_iterator=True, as_list=True)
			if file_format == "csv":
				with open(path, "w", newline="", encoding="utf-8") as out:
					written = write_lines(rows, out, header, progress=progress)
			else:
				written = write_xlsx(rows, path, header, progress=progress, widths=[18] * len(header))
	except BaseException:
		if os.path.exists(path):
			os.remove(path)
		raise
	file_doc = record_file(path, file_name, user)
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
	return {"file": file_doc.name, "file_url": link, "rows": written}


def record_file(path: str, file_name: str, user: str):
	"""A private File row for a file already written in the private files folder (hashed in chunks)."""
	digest = hashlib.md5(usedforsecurity=False)
	with open(path, "rb") as f:
		for chunk in iter(lambda: f.read(1 << 20), b""):
			digest.update(chunk)
	doc = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"file_url": f"/private/files/{file_name}",
			"is_private": 1,
			"folder": "Home",
			"file_size": os.path.getsize(path),
			"content_hash": digest.hexdigest(),
			"owner": user,
		}
	)
	doc.set_new_name()
	doc.db_insert()
	return doc
