"""Frappe glue for routing: read the routing doctypes into a RouteSet, keep the FastAGI servers' routes
current (a version key bumped after every change), and import a routes export."""

from __future__ import annotations

import logging
import threading

import frappe

from callcenter_app.telephony.routing.doctypes import RECORD_TITLES
from callcenter_app.telephony.routing.model import RouteSet
from callcenter_app.telephony.routing.records import build_routeset
from callcenter_app.utils import call_center_timezone, child_rows, default_region

log = logging.getLogger("callcenter.agi")
VERSION_KEY = "callcenter:routes_version"


def bump_routes_version(doc=None, method=None) -> None:
	"""doc_event: a routing record changed; servers reload on their next check (after this commit)."""
	frappe.db.after_commit.add(lambda: frappe.cache().set_value(VERSION_KEY, frappe.generate_hash(length=12)))


def routes_version() -> str:
	# expires=True: read Redis every time; get_value otherwise memoises in frappe.local for the whole
	# process, and the reload thread would never see another process's change
	return frappe.cache().get_value(VERSION_KEY, expires=True) or "0"


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
	nodes = child_rows("CC Route Node", "CC Route", node_fields)
	branches = child_rows("CC Route Branch", "CC Route", ["from_node", "branch", "to_node"])
	routes = [
		{**r, "nodes": nodes.get(r["name"], []), "branches": branches.get(r["name"], [])}
		for r in frappe.get_all("CC Route", fields=["name", "route_name", "enabled", "start_node"])
	]
	blocks = child_rows("CC Time Block", "CC Time Condition", ["weekday", "from_time", "to_time"])
	holidays = child_rows("HD Holiday", "HD Service Holiday List", ["holiday_date", "description"])
	vip_numbers = child_rows("CC VIP Number", "CC VIP List", ["number"])
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
