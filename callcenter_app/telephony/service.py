"""Frappe glue for routing: read the routing doctypes into a RouteSet, and tell servers when they changed."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

import frappe

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.spool import WriteResult
from callcenter_app.telephony.routing.doctypes import RECORD_TITLES
from callcenter_app.telephony.routing.model import RouteSet
from callcenter_app.telephony.routing.records import build_routeset

log = logging.getLogger("callcenter.agi")
ami_log = logging.getLogger("callcenter.ami")
VERSION_KEY = "callcenter:routes_version"

ROUTING_DOCTYPES = (
	"CC Route",
	"CC Phone Number",
	"CC Time Condition",
	"CC IVR Menu",
	"CC Announcement",
	"CC Call Queue",
	"CC VIP List",
	"HD Service Holiday List",
)


def bump_routes_version(doc=None, method=None) -> None:
	"""doc_event: a routing record changed; servers reload on their next check (after this commit)."""
	frappe.db.after_commit.add(lambda: frappe.cache().set_value(VERSION_KEY, frappe.generate_hash(length=12)))


def routes_version() -> str:
	# expires=True: read Redis every time; get_value otherwise memoises in frappe.local for the whole
	# process, and the reload thread would never see another process's change
	return frappe.cache().get_value(VERSION_KEY, expires=True) or "0"


def call_center_timezone() -> str:
	return frappe.db.get_single_value("CC Settings", "site_timezone") or frappe.utils.get_system_timezone()


def default_region() -> str | None:
	"""The ISO code of the system's country, used to read national numbers."""
	country = frappe.db.get_single_value("System Settings", "country")
	code = frappe.db.get_value("Country", country, "code") if country else None
	return code.upper() if code else None


def _children(child_doctype: str, parent_doctype: str, fields: list[str]) -> dict[str, list[dict]]:
	rows = frappe.get_all(
		child_doctype,
		filters={"parenttype": parent_doctype},
		fields=["parent", *fields],
		order_by="parent asc, idx asc",
	)
	grouped: dict[str, list[dict]] = defaultdict(list)
	for row in rows:
		grouped[row.pop("parent")].append(row)
	return grouped


def fetch_records() -> dict:
	"""Every routing record as plain dicts (one query per doctype and child table, not one per record)."""
	node_fields = [
		"node_id",
		"node_type",
		"label",
		"time_condition",
		"holiday_list",
		"vip_list",
		"ivr_menu",
		"announcement",
		"queue",
		"number",
		"mailbox",
		"target_route",
		"timeout",
	]
	nodes = _children("CC Route Node", "CC Route", node_fields)
	branches = _children("CC Route Branch", "CC Route", ["from_node", "branch", "to_node"])
	routes = [
		{**r, "nodes": nodes.get(r["name"], []), "branches": branches.get(r["name"], [])}
		for r in frappe.get_all("CC Route", fields=["name", "route_name", "enabled", "start_node"])
	]
	blocks = _children("CC Time Block", "CC Time Condition", ["weekday", "from_time", "to_time"])
	holidays = _children("HD Holiday", "HD Service Holiday List", ["holiday_date", "description"])
	vip_numbers = _children("CC VIP Number", "CC VIP List", ["number"])
	return dict(
		routes=routes,
		numbers=frappe.get_all("CC Phone Number", fields=["name", "number", "route", "voice"]),
		time_conditions=[
			{**t, "blocks": blocks.get(t["name"], [])}
			for t in frappe.get_all("CC Time Condition", fields=["name", "timezone", "holiday_list"])
		],
		holiday_lists=[
			{"name": h, "holidays": holidays.get(h, [])}
			for h in frappe.get_all("HD Service Holiday List", pluck="name")
		],
		vip_lists=[
			{"name": v, "numbers": vip_numbers.get(v, [])}
			for v in frappe.get_all("CC VIP List", pluck="name")
		],
		ivr_menus=frappe.get_all(
			"CC IVR Menu",
			fields=["name", "prompt", "invalid_prompt", "timeout_prompt", "timeout", "retries", "max_digits"],
		),
		announcements=frappe.get_all("CC Announcement", fields=["name", "sound_name"]),
		queues=frappe.get_all("CC Call Queue", fields=["name", "max_wait"]),
	)


def load_routeset(override_route: dict | None = None) -> RouteSet:
	"""The routes as saved, or with one route replaced by an unsaved version (for validation and tests)."""
	records = fetch_records()
	if override_route is not None:
		name = override_route.get("route_name") or override_route.get("name")
		records["routes"] = [r for r in records["routes"] if r["name"] != name] + [
			{**override_route, "enabled": 1}
		]
	return build_routeset(**records, timezone=call_center_timezone(), default_region=default_region())


class FrappeRouteSource:
	"""The FastAGI server's routes, kept current by a thread with its own site connection.

	The server's event loop only reads the RouteSet reference; the thread looks at the routes version
	once a second and, when a routing record changed, reads the doctypes again and swaps the reference.
	"""

	def __init__(self, site: str, check_every: float = 1.0):
		self.site, self.check_every = site, check_every
		self._routes: RouteSet | None = None
		self._settings: dict = {}
		self._version: str | None = None
		self._error = ""
		self._stop = threading.Event()
		self._ready = threading.Event()
		self._thread = threading.Thread(target=self._run, name="cc-route-reload", daemon=True)
		self._thread.start()
		self._ready.wait(120)
		if self._routes is None:
			raise RuntimeError(f"routes could not be loaded for {site}: {self._error or 'timed out'}")

	def __call__(self) -> RouteSet:
		return self._routes

	def settings(self) -> dict:
		return dict(self._settings)

	def stop(self) -> None:
		self._stop.set()
		self._thread.join(5)

	def _run(self) -> None:
		frappe.init(site=self.site)
		frappe.connect()
		try:
			while True:
				try:
					frappe.db.rollback()  # end the previous snapshot so committed changes are seen
					version = routes_version()
					if version != self._version:
						self._routes = load_routeset()
						self._settings = {
							"agi_bind_address": frappe.db.get_single_value("CC Settings", "agi_bind_address")
							or "127.0.0.1",
							"agi_port": frappe.db.get_single_value("CC Settings", "agi_port") or 4573,
						}
						self._version = version
						log.info(
							"routes loaded (version %s): %d routes, %d numbers",
							version,
							len(self._routes.routes),
							len(self._routes.numbers),
						)
				except Exception as e:
					self._error = str(e)
					log.exception("routes could not be reloaded; keeping the previous ones")
				self._ready.set()
				if self._stop.wait(self.check_every):
					return
		finally:
			frappe.destroy()


def asterisk_inputs(agi_host: str | None = None):
	"""SIP accounts (with their secrets decrypted), call queues and the AGI address for render-asterisk."""
	from frappe.utils.password import get_decrypted_password

	from callcenter_app.telephony.asterisk_config.render import AgiTarget, CallQueue, QueueMember, SipAccount

	accounts = [
		SipAccount(
			username=a.username,
			secret=get_decrypted_password("CC SIP Account", a.name, "secret", raise_exception=False) or "",
			display_name=a.display_name or "",
			enabled=bool(a.enabled),
			webrtc=bool(a.webrtc),
			max_contacts=int(a.max_contacts or 1),
			codecs=tuple(c.strip() for c in (a.codecs or "ulaw,alaw").split(",") if c.strip()),
			extension=a.extension or "",
		)
		for a in frappe.get_all(
			"CC SIP Account",
			fields=[
				"name",
				"username",
				"display_name",
				"enabled",
				"webrtc",
				"max_contacts",
				"codecs",
				"extension",
			],
			order_by="name",
		)
	]
	members = _children(
		"CC Call Queue Member", "CC Call Queue", ["interface", "sip_account", "level", "position", "agent"]
	)
	full_names = {
		u.name: u.full_name
		for u in frappe.get_all(
			"User",
			filters={
				"name": ["in", [m["agent"] for ms in members.values() for m in ms if m["agent"]] or [""]]
			},
			fields=["name", "full_name"],
		)
	}
	queues = [
		CallQueue(
			name=q.name,
			strategy=q.strategy or "linear",
			ring_timeout=int(q.ring_timeout or 15),
			retry=int(q.retry or 0),
			wrapup_time=int(q.wrapup_time or 0),
			max_wait=int(q.max_wait or 300),
			record=bool(q.record_calls),
			members=tuple(
				QueueMember(
					interface=m["interface"] or f"PJSIP/{m['sip_account']}",
					level=int(m["level"] or 0),
					position=int(m["position"] or 0),
					name=(full_names.get(m["agent"]) or "").replace(",", " "),
				)
				for m in members.get(q.name, [])
			),
		)
		for q in frappe.get_all(
			"CC Call Queue",
			fields=["name", "strategy", "ring_timeout", "retry", "wrapup_time", "max_wait", "record_calls"],
			order_by="name",
		)
	]
	agi = AgiTarget(
		host=agi_host or frappe.db.get_single_value("CC Settings", "agi_bind_address") or "127.0.0.1",
		port=int(frappe.db.get_single_value("CC Settings", "agi_port") or 4573),
	)
	return accounts, queues, agi


def import_routes(text: str) -> dict[str, dict[str, int]]:
	"""Create or update every record of a routes export (docs/routes-json.md), all or nothing.

	Records are matched by name and updated in place (a queue keeps its members: the export has none);
	records not in the file are left alone. Routes that do not exist yet are first created as a bare
	"hang up" so routes that go to each other can link both ways, then filled in. Any error rolls back
	every change of the import and names the record.
	"""
	from callcenter_app.common.errors import FieldError
	from callcenter_app.telephony.routing import serialize
	from callcenter_app.telephony.routing.records import records_from_routeset
	from callcenter_app.telephony.routing.validate import validate_routeset
	from callcenter_app.utils import throw_errors

	try:
		routes = serialize.loads(text)
	except FieldError as e:
		throw_errors([e], frappe._("Routes file not imported"))
	errors = validate_routeset(routes)
	announcements = frappe.get_all("CC Announcement", fields=["name", "sound_name"])
	records, missing = records_from_routeset(
		routes,
		{a.sound_name: a.name for a in announcements if a.sound_name},
		[a.name for a in announcements],
	)
	throw_errors(errors + missing, frappe._("Routes file not imported"))

	counts: dict[str, dict[str, int]] = {"created": {}, "updated": {}}
	new_routes = set()
	savepoint = "cc_import_routes"
	frappe.db.savepoint(savepoint)
	try:
		for name in [r["route_name"] for r in records["CC Route"]]:
			if not frappe.db.exists("CC Route", name):
				frappe.get_doc(
					{
						"doctype": "CC Route",
						"route_name": name,
						"start_node": "end",
						"nodes": [{"node_id": "end", "node_type": "Hang Up"}],
					}
				).insert()
				new_routes.add(name)
				counts["created"]["CC Route"] = counts["created"].get("CC Route", 0) + 1
		for doctype, title in RECORD_TITLES.items():
			for record in records[doctype]:
				name = record[title]
				if frappe.db.exists(doctype, name):
					doc = frappe.get_doc(doctype, name)
					for table in ("nodes", "branches", "blocks", "holidays", "numbers"):
						if table in record:
							doc.set(table, [])
					doc.update(record)
					doc.save()
					if not (doctype == "CC Route" and name in new_routes):
						counts["updated"][doctype] = counts["updated"].get(doctype, 0) + 1
				else:
					frappe.get_doc({"doctype": doctype, **record}).insert()
					counts["created"][doctype] = counts["created"].get(doctype, 0) + 1
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		raise
	return counts


# --- AMI bridge: call records → CC Call Log ---------------------------------------------------------------


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
	agents = _agents_by_interface()
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


def _differs(old, new) -> bool:
	if old in (None, "") and new in (None, ""):
		return False
	return str(old) != str(new)


def _agents_by_interface() -> dict[str, str]:
	return {
		f"PJSIP/{a.name}": a.user
		for a in frappe.get_all("CC SIP Account", filters={"user": ["is", "set"]}, fields=["name", "user"])
	}


def ami_config():
	"""The AMI connection from CC Settings (the secret decrypted here, never logged)."""
	from callcenter_app.telephony.ami.client import AmiConfig

	settings = frappe.get_single("CC Settings")
	if not settings.pbx_enabled:
		frappe.throw(frappe._("CC Settings: enable the PBX bridge first"))
	return AmiConfig(
		host=settings.ami_host or "127.0.0.1",
		port=int(settings.ami_port or 5038),
		username=settings.ami_username or "",
		secret=settings.get_password("ami_secret", raise_exception=False) or "",
	)


def on_site(site: str, sites_path: str | None = None):
	"""Wrap ``func`` so each call runs on a fresh connection to ``site`` in the calling thread (frappe.local
	is per thread): what the AMI bridge hands its worker threads."""

	def wrap(func):
		def run(*args):
			frappe.init(site=site, sites_path=sites_path or ".")
			try:
				frappe.connect()
				return func(*args)
			finally:
				frappe.destroy()

		return run

	return wrap


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


SIP_STATUS_KEY = "callcenter:sip_registrations"


def publish_notices(notices: list[dict]) -> None:
	"""The bridge's ``notify``: ring notices go to the agent rung alone, with the caller's contact and open
	tickets (phone numbers are never broadcast); registration changes go to a cache hash the PBX Agents
	report reads; wallboard notices go to the wallboard's aggregator (metrics/service.py)."""
	from callcenter_app.metrics.service import feed_wallboard

	feed_wallboard([n["event"] for n in notices if n["kind"] == "wallboard"])
	notices = [n for n in notices if n["kind"] != "wallboard"]
	agents = _agents_by_interface() if notices else {}
	for notice in notices:
		if notice["kind"] == "registration":
			frappe.cache().hset(SIP_STATUS_KEY, notice["endpoint"], {**notice, "at": frappe.utils.now()})
			continue
		user = agents.get(notice["interface"])
		if not user:
			continue
		payload = {**notice, **caller_context(notice.get("caller") or "", user)}
		frappe.publish_realtime("callcenter:call", payload, user=user)


def caller_context(number: str, user: str) -> dict:
	"""The caller's contact and their open tickets the agent may read (for the incoming-call popup)."""
	from callcenter_app.telephony.call_tickets.service import contact_for_number, readable_open_tickets

	contact = contact_for_number(number) if number else None
	if not contact:
		return {"contact": None, "contact_name": None, "tickets": []}
	readable = readable_open_tickets(contact, limit=5, user=user)
	return {
		"contact": contact,
		"contact_name": frappe.db.get_value("Contact", contact, "full_name") or contact,
		"tickets": [{"name": t.name, "subject": t.subject, "status": t.status} for t in readable],
	}


def sip_registrations() -> dict[str, dict]:
	"""SIP account → its last registration notice (Redis hands the hash keys back as bytes)."""
	raw = frappe.cache().hgetall(SIP_STATUS_KEY) or {}
	return {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
