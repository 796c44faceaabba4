"""Route endpoints: the "Test this route" simulator and the routes export (docs/routes-json.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.service import load_routeset
from callcenter_app.telephony.routing.simulate import simulate
from callcenter_app.utils import call_center_timezone, requires

TEST_DID = "route-test"


def _list(value: str | None) -> list[str]:
	return [] if not value else [part.strip() for part in str(value).split(",")]


@frappe.whitelist()
@requires(roles.DESK_USER)
def test_route(
	route: str,
	caller: str | None = None,
	at: str | None = None,
	digits: str | None = None,
	queue_results: str | None = None,
	dial_results: str | None = None,
	did: str | None = None,
) -> dict:
	"""Simulate a call entering ``route`` (or dialling ``did``) and return its path with reasons.

	``digits``, ``queue_results`` and ``dial_results`` are comma-separated, in the order the caller meets
	IVR prompts, queues and forwards; ``at`` is an ISO date-time, with an offset or else in the system time
	zone as Frappe's Datetime fields send it (default now). Time conditions are read in their own zones.
	"""
	frappe.has_permission("CC Route", "read", doc=route, throw=True)
	if not frappe.db.exists("CC Route", route):
		frappe.throw(_("Route {0} does not exist").format(route), frappe.DoesNotExistError)
	timezone = call_center_timezone()
	try:
		when = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.timezone.utc)
	except ValueError:
		frappe.throw(_("Date and time: {0} is not a date-time").format(at))
	if when.tzinfo is None:
		# a naive value is what a Datetime field sends: the system time zone, as every Frappe datetime
		when = when.replace(tzinfo=ZoneInfo(frappe.utils.get_system_timezone()))

	record = frappe.get_doc("CC Route", route).as_dict()
	routes = load_routeset(override_route=record)
	number = did or TEST_DID
	routes = dataclasses.replace(
		routes, numbers={**routes.numbers, number: route} if not did else routes.numbers
	)
	sim = simulate(
		routes,
		number,
		caller or "",
		when,
		digits=_list(digits),
		queue_results=_list(queue_results),
		dial_results=_list(dial_results),
	)
	result = sim.as_dict()
	result["text"] = sim.describe()
	result["at"] = when.astimezone(ZoneInfo(timezone)).isoformat()
	return result


@frappe.whitelist()
@requires(roles.DESK_USER)
def export_routes() -> str:
	"""Every route, number and the records they use, in the documented JSON format (docs/routes-json.md)."""
	frappe.has_permission("CC Route", "export", throw=True)
	return serialize.dumps(load_routeset())


@frappe.whitelist(methods=["POST"])
@requires(roles.DESK_USER)
def import_routes(text: str) -> dict:
	"""Create or update the routes and their records from an export; all or nothing (service.import_routes)."""
	for doctype in (
		"CC Route",
		"CC Phone Number",
		"CC Time Condition",
		"CC IVR Menu",
		"CC Call Queue",
		"CC VIP List",
	):
		frappe.has_permission(doctype, "create", throw=True)
		frappe.has_permission(doctype, "write", throw=True)
	from callcenter_app.telephony.routing.service import import_routes as run_import

	return run_import(text)
