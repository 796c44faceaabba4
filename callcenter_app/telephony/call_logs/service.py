"""Frappe glue for the AMI bridge's call records: upsert CC Call Logs (each record in its own savepoint;
an outage raises for the batch to be retried, anything else makes that record poison), then calls →
tickets; and which calls are written already (for recovery)."""

from __future__ import annotations

import logging
import os

import frappe

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.spool import WriteResult
from callcenter_app.telephony.presence.service import agents_by_interface

ami_log = logging.getLogger("callcenter.ami")


# MariaDB errors that are an outage, not a record's fault: too many connections, lock wait timeout,
# deadlock, connection killed, statement timeout, cannot connect (socket, TCP), server gone away, connection
# lost (during a query, at the handshake)
TRANSIENT_MARIADB_ERRORS = frozenset({1040, 1205, 1213, 1927, 1969, 2002, 2003, 2006, 2013, 2055})


def is_transient(error: BaseException) -> bool:
	"""An outage worth trying again later: the database or Redis unreachable, a lock or statement timeout,
	a deadlock, maintenance (read-only) mode, anywhere in the chain of causes. Anything else a record
	raises is poison: its data or a bug, which no retry cures."""
	seen: set[int] = set()
	e: BaseException | None = error
	while e is not None and id(e) not in seen:
		seen.add(id(e))
		if _transient(e):
			return True
		e = e.__cause__ or e.__context__
	return False


def _transient(e: BaseException) -> bool:
	if isinstance(
		e,
		(
			frappe.QueryDeadlockError,
			frappe.QueryTimeoutError,
			frappe.InReadOnlyMode,
			ConnectionError,
			TimeoutError,
		),
	):
		return True
	package = type(e).__module__.split(".")[0]
	if package == "pymysql":
		import pymysql

		return isinstance(e, pymysql.err.InterfaceError) or bool(
			e.args and e.args[0] in TRANSIENT_MARIADB_ERRORS
		)
	if package == "psycopg2":
		import psycopg2

		# connection failures, deadlocks (TransactionRollbackError) and timeouts (QueryCanceledError)
		return isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError))
	if package == "redis":
		return type(e).__name__ in ("ConnectionError", "TimeoutError", "BusyLoadingError")
	return False


def upsert_call_logs(records: list[dict]) -> dict[str, int]:
	"""Insert or update one CC Call Log per record, named by Linkedid. Idempotent: writing the same record
	again changes nothing (not even ``modified``). A bad record is logged and skipped, the others written.
	The caller commits."""
	return upsert_call_log_batch(records)[0]


def upsert_call_log_batch(records: list[dict]) -> tuple[dict[str, int], list[str], dict[str, str]]:
	""":func:`upsert_call_logs`, each record in its own savepoint: (counts, the Linkedids written, Linkedid
	→ error for the records refused for good). A record that raises anything but an outage
	(:func:`is_transient`) is rolled back alone and refused; an outage raises, for the whole batch to be
	tried again. The caller commits."""
	timezone = frappe.utils.get_system_timezone()  # Frappe stores every Datetime in the system time zone
	agents = agents_by_interface()
	counts = {"inserted": 0, "updated": 0, "unchanged": 0, "refused": 0}
	done: list[str] = []
	poison: dict[str, str] = {}
	savepoint = "cc_call_log"
	for record in records:
		key = str(record.get("linkedid") or "")
		frappe.db.savepoint(savepoint)
		try:
			counts[_upsert_call_log(record, timezone, agents)] += 1
		except Exception as e:
			if is_transient(e):
				raise
			frappe.db.rollback(save_point=savepoint)
			counts["refused"] += 1
			poison[key] = (
				str(e) if isinstance(e, (FieldError, frappe.ValidationError)) else f"{type(e).__name__}: {e}"
			)
			ami_log.error("call record refused: %s (linkedid %r)", poison[key], key)
			continue
		done.append(key)
	return counts, done, poison


def _upsert_call_log(record: dict, timezone: str, agents: dict[str, str]) -> str:
	"""One record: "inserted", "updated" or "unchanged"; raises for a bad record or an outage."""
	from callcenter_app.telephony.ami.call_log import INT_FIELDS, call_log_values

	values = call_log_values(record, timezone)
	values["agent"] = agents.get(values["agent_interface"])
	if not values.get("recording"):
		values["recording"] = queue_recording(values) or values.get("recording")
	for key in INT_FIELDS:  # Frappe's Int columns are NOT NULL: an unknown time is stored as 0
		values[key] = values[key] or 0
	name = values["linkedid"]
	existing = frappe.db.get_value("CC Call Log", name, list(values), as_dict=True)
	if existing is None:
		try:
			frappe.get_doc({"doctype": "CC Call Log", **values}).insert(ignore_permissions=True)
			return "inserted"
		except frappe.DuplicateEntryError:  # another writer got there first: update it instead
			existing = frappe.db.get_value("CC Call Log", name, list(values), as_dict=True) or {}
	changed = {k: v for k, v in values.items() if _differs(existing.get(k), v)}
	if changed:
		frappe.db.set_value("CC Call Log", name, changed)
		return "updated"
	return "unchanged"


def queue_recording(values: dict) -> str | None:
	"""The file a recording queue wrote for an answered call whose record does not name it: a call recovered
	from the PBX's logs after a bridge outage (queue_log and the CDRs carry no ``MIXMONITOR_FILENAME``).
	app_queue names it after the caller's channel, the call's first, whose uniqueid is the Linkedid:
	``<uniqueid>.wav`` in the recordings folder (on a shared PBX the site's own ``<prefix>/`` folder, which is
	then the site's recordings folder). Only when that file is there; None otherwise."""
	if values.get("status") != "answered" or not values.get("queue"):
		return None
	if not frappe.db.get_value("CC Call Queue", values["queue"], "record_calls"):
		return None
	from callcenter_app.ops.personal_data.service import recording_file

	path = recording_file(f"{values['linkedid']}.wav")
	return path if path and os.path.isfile(path) else None


def _differs(old, new) -> bool:
	if old in (None, "") and new in (None, ""):
		return False
	return str(old) != str(new)


def write_call_logs(batch: list[dict]) -> WriteResult:
	"""The bridge's ``write``: the batch's call logs committed at once; then calls → tickets, each call in
	its own savepoint, so a failing ticket never loses a call log. A record refused for good (bad data, a
	bug) is poison: the bridge's spool sets it aside in its dead letters and the others are written. An
	outage raises, and the bridge keeps the whole batch in its spool and tries again with backoff."""
	from callcenter_app.telephony.call_tickets.service import link_calls_to_tickets

	counts, done, poison = upsert_call_log_batch(batch)
	frappe.db.commit()
	written = set(done)
	tickets = link_calls_to_tickets(
		[r["linkedid"] for r in batch if r.get("linkedid") in written and r.get("complete", True)]
	)
	frappe.db.commit()
	ami_log.info("call logs: %s; tickets: %s", counts, tickets)
	_feed_wallboard_calls([r for r in batch if r.get("linkedid") in written])
	return WriteResult(done=done, poison=poison)


def _feed_wallboard_calls(records: list[dict]) -> None:
	"""Written calls count in the wallboard's today (metrics/service.py); never fails the write."""
	from callcenter_app.metrics.service import call_events, feed_wallboard

	try:
		feed_wallboard(call_events(records))
	except Exception as e:
		ami_log.warning("wallboard: %d call(s) not counted: %s", len(records), e)


def written_call_logs(ids: list[str]) -> set[str]:
	"""Which of these Linkedids (or callers' Uniqueids) are CC Call Logs already: the bridge recovers from
	Asterisk's logs only the calls nobody wrote."""
	if not ids:
		return set()
	return set(frappe.get_all("CC Call Log", filters={"name": ["in", ids]}, pluck="name"))
