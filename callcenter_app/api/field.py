"""Endpoints of field agents and appointments (the booking page ``cc-booking``, the day view, reassignment,
the calendar feed). Each checks who may act first: operators and supervisors book; supervisors and
managers reassign; a field agent manages their own feed. The work is in ``field/service.py``.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import cint, get_datetime, getdate
from werkzeug.wrappers import Response

from callcenter_app.common import roles
from callcenter_app.field import service as svc
from callcenter_app.utils import requires

APPOINTMENT = "CC Appointment"


def _point(latitude, longitude, address: str | None):
	"""The place of a new appointment: typed coordinates, else the geocoded address (a clear message when
	it cannot be placed)."""
	from callcenter_app.common.errors import FieldError
	from callcenter_app.field import rules
	from callcenter_app.utils import throw_field_errors

	try:
		typed = rules.coordinates("latitude", latitude, longitude)
	except FieldError as e:
		throw_field_errors(APPOINTMENT, [e])
	if typed:
		return svc.Point(*typed)
	if not (address or "").strip():
		throw_field_errors(APPOINTMENT, [FieldError("address", _("is required to find a place on the map"))])
	try:
		return svc.Point(*svc.geocode(address))
	except svc.GeocoderUnavailable as e:
		frappe.throw(
			_(
				"The geocoder could not be reached ({0}): type the coordinates of the address, or try again later."
			).format(e),
			title=_("Address not placed"),
		)
	except svc.AddressNotFound:
		frappe.throw(
			_("{0}: {1} was not found by the geocoder. Correct it or type its coordinates.").format(
				_("Address"), frappe.bold(address)
			),
			title=_("Address not placed"),
		)


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.BOOK_APPOINTMENTS)
def contact_details(contact: str) -> dict:
	"""What the booking page prefills for a contact: name, phone, and its address (the Contact's own address
	link, else the first Address linked to it). Operators and supervisors only: an operator on the phone
	with a customer may read whom and where they are booking for, even when Frappe's Contact rules (the
	"All" role reads only the contacts it created) would not show them the whole Contact."""
	svc.require_booker()
	row = frappe.db.get_value(
		"Contact", contact, ["name", "full_name", "first_name", "mobile_no", "phone", "address"], as_dict=True
	)
	if not row:
		frappe.throw(
			_("{0}: there is no contact {1}").format(_("Contact"), contact), frappe.DoesNotExistError
		)
	address = row.address or next(
		iter(
			frappe.get_all(
				"Dynamic Link",
				filters={"link_doctype": "Contact", "link_name": contact, "parenttype": "Address"},
				pluck="parent",
				ignore_permissions=True,
			)
		),
		None,
	)
	text = ""
	if address and frappe.db.exists("Address", address):
		a = frappe.db.get_value(
			"Address", address, ["address_line1", "address_line2", "city", "pincode", "country"], as_dict=True
		)
		text = ", ".join(p for p in (a.address_line1, a.address_line2, a.pincode, a.city, a.country) if p)
	return {
		"contact": row.name,
		"full_name": row.full_name or row.first_name,
		"phone": row.mobile_no or row.phone,
		"address": text,
	}


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.BOOK_APPOINTMENTS)
def suggest(
	address: str | None = None,
	duration: int = 60,
	date_from: str | None = None,
	date_to: str | None = None,
	latitude: float | None = None,
	longitude: float | None = None,
	agents: str | list | None = None,
	limit: int = 10,
) -> dict:
	"""The best bookable starts (agent, time, added travel) for a visit of ``duration`` minutes at the address
	(or the coordinates), from ``date_from`` to ``date_to``."""
	svc.require_enabled()
	svc.require_booker()
	point = _point(latitude, longitude, address)
	if isinstance(agents, str):
		agents = json.loads(agents) if agents.startswith("[") else [a for a in agents.split(",") if a]
	date_from = getdate(date_from) if date_from else getdate()
	date_to = getdate(date_to) if date_to else date_from
	return {
		"latitude": point.lat,
		"longitude": point.lon,
		"suggestions": svc.suggestions(
			point, cint(duration), date_from, date_to, agents or None, k=min(max(cint(limit), 1), 50)
		),
	}


@frappe.whitelist(methods=["POST"])
@requires(roles.BOOK_APPOINTMENTS)
def book(
	field_agent: str,
	contact: str,
	address: str,
	start: str,
	duration: int = 60,
	campaign: str | None = None,
	latitude: float | None = None,
	longitude: float | None = None,
	notes: str | None = None,
) -> dict:
	"""Book the appointment (checked against the agent's day under a lock on the agent: of two operators
	booking the same day at once, the second is refused with the appointment it collides with)."""
	svc.require_enabled()
	svc.require_booker()
	doc = frappe.get_doc(
		{
			"doctype": APPOINTMENT,
			"field_agent": field_agent,
			"contact": contact,
			"address": address,
			"start": get_datetime(start),
			"duration_minutes": cint(duration),
			"campaign": campaign or None,
			"latitude": latitude or 0,
			"longitude": longitude or 0,
			"notes": notes,
		}
	)
	doc.insert()  # permission-checked: Operator, Agent Supervisor, Call Center Manager may create
	return {
		"name": doc.name,
		"start": doc.start,
		"end": doc.end,
		"agent_name": doc.agent_name,
		"needs_location": doc.needs_location,
	}


@frappe.whitelist(methods=["GET"])
@requires(roles.FIELD_DAYS)
def day(field_agent: str, date: str) -> dict:
	"""One agent's day: working hours, appointments in order with distance and travel time between them."""
	svc.require_enabled()
	user = frappe.session.user
	if not (svc.is_supervisor(user) or svc.is_operator(user) or svc.agent_of(user) == field_agent):
		frappe.throw(_("You may see only your own day."), frappe.PermissionError)
	return svc.day_view(field_agent, getdate(date), user)


@frappe.whitelist(methods=["POST"])
@requires(roles.SUPERVISE_FIELD)
def reassign(appointment: str, to_agent: str) -> dict:
	"""Give an appointment to another field agent at the same time (supervisors and managers)."""
	svc.require_supervisor()
	return svc.reassign(appointment, to_agent)


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.SUPERVISE_FIELD)
def reassign_day(field_agent: str, date: str, apply: int = 0, to_agents: str | list | None = None) -> dict:
	"""An agent is off on ``date``: where each of their appointments would go (``apply``=0), or move them all
	(``apply``=1; all or nothing, each re-checked on its receiver under a lock)."""
	svc.require_supervisor()
	if isinstance(to_agents, str):
		to_agents = (
			json.loads(to_agents) if to_agents.startswith("[") else [a for a in to_agents.split(",") if a]
		)
	plan = svc.reassign_day_plan(field_agent, getdate(date), to_agents or None)
	if cint(apply):
		if frappe.request and frappe.request.method != "POST":
			frappe.throw(_("Moving appointments needs a POST request."), frappe.PermissionError)
		plan["moved"] = svc.apply_day_moves(plan["moves"])
	return plan


# --- the calendar feed ------------------------------------------------------------------------------------


@frappe.whitelist(methods=["GET"])
@requires(roles.OWN_CALENDAR)
def my_feed() -> dict:
	"""Whether the user's calendar feed is on (its URL is shown only when it is made)."""
	return svc.feed_state(frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.OWN_CALENDAR)
def regenerate_feed() -> dict:
	"""A new secret feed URL for the user; the previous one stops working."""
	return svc.regenerate_token(frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.OWN_CALENDAR)
def revoke_feed() -> dict:
	"""Switch the user's feed off: its URL stops working."""
	return svc.revoke_token(frappe.session.user)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@requires(roles.WEBHOOK)
@rate_limit(limit=60, seconds=60 * 60)
def ical(token: str | None = None):
	"""The field agent's appointments as an iCalendar feed, for the calendar app on their phone. The secret
	token in the URL is the only credential (calendar apps send no session); a revoked or unknown token is
	refused with 403 and changes nothing."""
	agent = svc.agent_for_token(token)
	if not agent:
		return Response(
			_("This calendar link is not valid: it was revoked or replaced. Make a new one in the desk."),
			status=403,
			content_type="text/plain; charset=utf-8",
		)
	body = svc.render_feed(agent)
	response = Response(body, status=200, content_type="text/calendar; charset=utf-8")
	response.headers["Cache-Control"] = "private, no-store"
	response.headers["Content-Disposition"] = 'inline; filename="appointments.ics"'
	return response
