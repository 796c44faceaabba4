"""Geodialing from the desk: choose Contacts by area (field agents' zones, X km around their appointments of
a day, a centre and radius, a polygon) and add them to a campaign's call list (geo/service.py)."""

from __future__ import annotations

import frappe

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.geo import service
from callcenter_app.utils import requires


def _plan(campaign, agents, radius_km, date, latitude, longitude, polygon, source_campaign):
	service.check_may_choose()
	try:
		return service.choose(
			campaign,
			source_campaign=source_campaign,
			agents=agents,
			radius_km=radius_km,
			date=date,
			latitude=latitude,
			longitude=longitude,
			polygon=polygon,
		)
	except FieldError as e:
		service.refuse(e)


@frappe.whitelist()
@requires(roles.MANAGE_CAMPAIGNS)
def preview_area_contacts(
	campaign: str,
	agents=None,
	radius_km=None,
	date=None,
	latitude=None,
	longitude=None,
	polygon=None,
	source_campaign=None,
) -> dict:
	"""How many contacts adding by area would put on ``campaign``'s call list, and why the others not."""
	return _plan(campaign, agents, radius_km, date, latitude, longitude, polygon, source_campaign).summary()


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CAMPAIGNS)
def add_area_contacts(
	campaign: str,
	agents=None,
	radius_km=None,
	date=None,
	latitude=None,
	longitude=None,
	polygon=None,
	source_campaign=None,
) -> dict:
	"""Add the contacts in the area to ``campaign``'s call list (no duplicates, do-not-call respected)."""
	plan = _plan(campaign, agents, radius_km, date, latitude, longitude, polygon, source_campaign)
	try:
		added = service.add_rows(plan)
	except FieldError as e:
		service.refuse(e)
	return plan.summary() | {"added": len(added)}


@frappe.whitelist()
@requires(roles.MANAGE_CAMPAIGNS)
def field_agents() -> list[dict]:
	"""The active field agents for the dialog (empty where field agents are not set up)."""
	service.check_may_choose()
	if not service.has_field_agents():
		return []
	return frappe.get_all(
		service.AGENT,
		filters={"active": 1},
		fields=["name", "agent_name", "zone_type"],
		order_by="agent_name",
		ignore_permissions=True,
	)


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CAMPAIGNS)
def geocode_addresses() -> dict:
	"""Place the contacts' addresses that have no position yet, in the background (progress shown)."""
	service.check_may_choose()
	service.enqueue_geocode_addresses()
	return {"queued": len(service.unplaced_addresses(limit=None))}
