"""Frappe glue for field agents and appointments (the rules are ``field/__init__.py`` and the ``geo`` engine).

- Who sees what: ``appointment_query`` / ``appointment_permission`` (hooks.py) and the same pair for
  CC Field Agent. A field agent reads only their own appointments; an operator the ones they booked and
  those of campaigns they work in; supervisors and managers all of them.
- An agent's day (``agent_day``): working hours from the agent's HD Service Level Agreement (its
  ``support_and_resolution`` rows and holiday list, as the ticket clocks read them), the day's appointments
  that are not cancelled, the travel profile. Times are naive datetimes in the system time zone, like every
  Datetime Frappe stores, and like the SLA's hours are read by the ticket clocks.
- Booking (``check_and_lock``, called from CC Appointment.validate, so the desk, the API, Data Import and
  REST all pass through it): the agent's CC Field Agent row is locked with ``SELECT … FOR UPDATE`` and the
  day's appointments are read with a locking read (the newest committed rows, whatever the transaction's
  snapshot), so of two operators booking the same agent's day at once exactly one wins; the other waits
  for the first commit and is refused with the conflicting appointment and the minutes missing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.field import rules
from callcenter_app.geo.geocode import NOT_FOUND, AddressNotFound, Geocoder, GeocoderUnavailable
from callcenter_app.geo.ical import CalendarEvent, render_calendar
from callcenter_app.geo.points import Point, haversine_km, in_polygon
from callcenter_app.geo.schedule import AgentDay, Shift, Visit, check, shifts_for, weekday_hours_from_rows
from callcenter_app.geo.slots import reassign_day, suggest
from callcenter_app.geo.travel import OsrmTravel, TravelProfile, travel_minutes
from callcenter_app.utils import has_capability, has_role, throw_field_errors

APPOINTMENT = "CC Appointment"
AGENT = "CC Field Agent"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- roles -----------------------------------------------------------------------------------------------


def sees_all(user: str) -> bool:
	return has_capability(roles.SUPERVISE_FIELD, user)


def is_supervisor(user: str | None = None) -> bool:
	return sees_all(user or frappe.session.user)


def is_operator(user: str) -> bool:
	return has_role(roles.OPERATOR, user)


def agent_of(user: str) -> str | None:
	"""The CC Field Agent record of ``user`` (named by the user), if any."""
	return frappe.db.get_value(AGENT, {"user": user}, "name")


def require_supervisor(user: str | None = None) -> None:
	if not is_supervisor(user):
		frappe.throw(
			_("Only an Agent Supervisor or a Call Center Manager may do this."), frappe.PermissionError
		)


def require_booker(user: str | None = None) -> None:
	user = user or frappe.session.user
	if not (is_supervisor(user) or is_operator(user)):
		frappe.throw(_("Only operators and supervisors book appointments."), frappe.PermissionError)


def require_enabled() -> None:
	if not frappe.db.get_single_value("CC Settings", "has_field_agents"):
		frappe.throw(
			_("Field agents are switched off: turn on '{0}' in CC Settings.").format(
				_("This call center has field agents")
			),
			title=_("Field agents"),
		)


# --- permissions -----------------------------------------------------------------------------------------
# Field agents: their own appointments (agent_user), through every door (lists, forms, reports, calendar,
# REST, the iCal feed). Operators: appointments they booked, and those of campaigns they are an active
# operator of. Supervisors, managers: all. A user with several roles gets the union.

TABLE = "`tabCC Appointment`"
VISIBILITY_FIELDS = ["agent_user", "booked_by", "campaign", "owner"]


def appointment_query(user: str | None = None, doctype: str | None = None) -> str:
	from callcenter_app.dialer import service as dialer

	user = user or frappe.session.user
	if sees_all(user):
		return ""
	me = frappe.db.escape(user)
	rules_sql = [f"{TABLE}.`agent_user` = {me}"]
	if is_operator(user):
		rules_sql.append(f"{TABLE}.`booked_by` = {me}")
		rules_sql.append(dialer.operator_campaigns_condition(f"{TABLE}.`campaign`", user))
	return "(" + " or ".join(rules_sql) + ")"


def _may_see(user: str, row, operator: bool) -> bool:
	from callcenter_app.dialer import service as dialer

	if row.get("agent_user") == user:
		return True
	if not operator:
		return False
	if user in (row.get("booked_by"), row.get("owner")):
		return True
	return bool(row.get("campaign")) and dialer.is_operator(row.get("campaign"), user)


def appointment_permission(doc, ptype=None, user=None, debug=False) -> bool:
	from callcenter_app.utils import stored_and_edited

	user = user or frappe.session.user
	if sees_all(user):
		return True
	operator = is_operator(user)
	if doc.is_new():
		return operator  # operators book; field agents never create
	return all(_may_see(user, row, operator) for row in stored_and_edited(doc, VISIBILITY_FIELDS))


AGENT_TABLE = "`tabCC Field Agent`"


def field_agent_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Operators and supervisors see every field agent (they book for them); a field agent only themself."""
	user = user or frappe.session.user
	if sees_all(user) or is_operator(user):
		return ""
	return f"{AGENT_TABLE}.`user` = {frappe.db.escape(user)}"


def field_agent_permission(doc, ptype=None, user=None, debug=False) -> bool:
	user = user or frappe.session.user
	if sees_all(user):
		return True
	if is_operator(user) and ptype in (None, "read", "select", "report", "print"):
		return True
	return not doc.is_new() and doc.get("user") == user and ptype in (None, "read", "select", "print")


# --- working hours and the agent's day -------------------------------------------------------------------


def holidays_of(sla: str) -> set[date]:
	holiday_list = frappe.db.get_value("HD Service Level Agreement", sla, "holiday_list")
	if not holiday_list:
		return set()
	return {
		getdate(d)
		for d in frappe.get_all("HD Holiday", filters={"parent": holiday_list}, pluck="holiday_date")
	}


def shifts_of(sla: str | None, day: date) -> tuple[Shift, ...]:
	"""The agent's working periods on ``day`` (none on a holiday), from the SLA's working-day rows."""
	if not sla or not frappe.db.exists("HD Service Level Agreement", sla):
		return ()
	doc = frappe.get_cached_doc("HD Service Level Agreement", sla)
	rows = [r.as_dict() for r in doc.get("support_and_resolution") or ()]
	return shifts_for(day, weekday_hours_from_rows(rows), holidays_of(sla))


@dataclass
class Booked:
	"""An appointment already in an agent's day, with what the day view shows of it."""

	name: str
	start: datetime
	end: datetime
	minutes: int
	lat: float | None
	lon: float | None
	address: str = ""
	contact_name: str = ""
	status: str = ""

	@property
	def visit(self) -> Visit:
		point = Point(self.lat, self.lon) if self.lat is not None else None
		return Visit(self.name, self.start, max(1, self.minutes), point)


@dataclass
class Day:
	"""One agent's day as the engine sees it (``engine``) and the records behind it."""

	agent: frappe._dict
	date: date
	engine: AgentDay
	booked: list[Booked] = field(default_factory=list)


AGENT_FIELDS = (
	"name, user, agent_name, active, working_hours, home_address, home_latitude, home_longitude, zone_type, "
	"zone_latitude, zone_longitude, zone_radius_km, zone_map, speed_kmh, road_factor, buffer_minutes"
)


def agent_row(agent: str, lock: bool = False) -> frappe._dict:
	"""The agent's record; with ``lock`` its row is locked until the transaction ends: bookings of one agent
	are made one at a time (the second waits for the first to commit, then sees its appointment)."""
	rows = frappe.db.sql(
		f"select {AGENT_FIELDS} from {AGENT_TABLE} where name = %s {'for update' if lock else ''}",
		(agent,),
		as_dict=True,
	)
	if not rows:
		frappe.throw(
			_("{0}: there is no field agent {1}").format(_("Field agent"), agent), frappe.DoesNotExistError
		)
	return rows[0]


def booked_on(
	agent: str, start: datetime, end: datetime, exclude: str | None = None, lock: bool = False
) -> list[Booked]:
	"""The agent's appointments that are not cancelled and overlap ``start``–``end``. With ``lock`` a
	locking read: it sees the newest committed rows even inside an older snapshot (REPEATABLE READ)."""
	rows = frappe.db.sql(
		f"""select name, start, `end`, duration_minutes, latitude, longitude, address, contact_name, status
		from {TABLE} where field_agent = %(agent)s and status != 'Cancelled'
		and start < %(to)s and `end` > %(from)s and name != %(exclude)s
		order by start {"for update" if lock else ""}""",
		{"agent": agent, "from": start, "to": end, "exclude": exclude or ""},
		as_dict=True,
	)
	out = []
	for r in rows:
		located = rules.coordinates("latitude", r.latitude, r.longitude)
		out.append(
			Booked(
				r.name,
				get_datetime(r.start),
				get_datetime(r.end),
				int(r.duration_minutes or 0),
				located[0] if located else None,
				located[1] if located else None,
				r.address or "",
				r.contact_name or "",
				r.status,
			)
		)
	return out


def home_of(row) -> Point:
	home = rules.coordinates("home_latitude", row.home_latitude, row.home_longitude)
	if not home:
		frappe.throw(
			_("Field agent {0} has no home base on the map: set it on their CC Field Agent record.").format(
				row.agent_name or row.name
			),
			title=_("Field agent"),
		)
	return Point(*home)


def profile_of(row) -> TravelProfile:
	try:
		return TravelProfile(
			speed_kmh=float(row.speed_kmh or 40),
			road_factor=float(row.road_factor or 1.3),
			buffer_minutes=int(row.buffer_minutes or 0),
		)
	except FieldError as e:
		throw_field_errors(AGENT, [e])


def agent_day(agent: str | frappe._dict, day: date, exclude: str | None = None, lock: bool = False) -> Day:
	"""The agent's day: its shifts, and the appointments from midnight to midnight (or to the end of a
	shift that runs past midnight)."""
	row = agent if isinstance(agent, dict) else agent_row(agent, lock=lock)
	shifts = shifts_of(row.working_hours, day)
	start = datetime.combine(day, time())
	end = max([start + timedelta(days=1), *(s.end for s in shifts)])
	booked = booked_on(row.name, start, end, exclude=exclude, lock=lock)
	engine = AgentDay(
		agent=row.name,
		home=home_of(row),
		profile=profile_of(row),
		shifts=shifts,
		visits=tuple(b.visit for b in booked),
	)
	return Day(row, day, engine, booked)


def travel_fn():
	"""Road times from OSRM when CC Settings names a server (the estimate when it does not answer), else the
	great-circle estimate times the agent's road factor at their speed."""
	url = (frappe.db.get_single_value("CC Settings", "osrm_url") or "").strip()
	if not url:
		return travel_minutes
	cache = getattr(frappe.local, "cc_osrm", None)
	if cache is None or cache.base_url != url.rstrip("/"):
		cache = frappe.local.cc_osrm = OsrmTravel(url, timeout=3.0)
	return cache


# --- the field agent's record ----------------------------------------------------------------------------


def validate_field_agent(doc) -> None:
	errors = rules.check_agent(doc.as_dict())
	if doc.user and not has_role(roles.FIELD_AGENT, doc.user):
		errors.append(FieldError("user", _("{0} does not have the Field Agent role").format(doc.user)))
	throw_field_errors(AGENT, errors)
	before = doc.get_doc_before_save()
	place = locate(
		doc,
		address_field="home_address",
		lat_field="home_latitude",
		lon_field="home_longitude",
		map_field="home_map",
		before=before,
		label=doc.agent_name or doc.user,
	)
	if not place.located and doc.home_address:
		frappe.msgprint(place.message, title=_("Home base not on the map"), indicator="orange")


# --- locating an address ---------------------------------------------------------------------------------


@dataclass
class Located:
	located: bool
	message: str = ""


def locate(doc, address_field, lat_field, lon_field, map_field, before=None, label=None) -> Located:
	"""Fill a record's coordinates and map marker: a marker dropped on the map wins, then typed coordinates,
	then the geocoded address. An address the geocoder cannot place (down, or found nowhere) leaves the
	coordinates empty and says why; the record is still saved."""
	changed = lambda f: before is None or (before.get(f) or None) != (doc.get(f) or None)  # noqa: E731
	try:
		typed = rules.coordinates(lat_field, doc.get(lat_field), doc.get(lon_field))
	except FieldError as e:
		throw_field_errors(doc.doctype, [e])
	marker = rules.first_point(doc.get(map_field))
	point = None
	if marker and (not typed or (changed(map_field) and not (changed(lat_field) or changed(lon_field)))):
		point = marker
	elif typed and (changed(lat_field) or changed(lon_field) or not changed(address_field)):
		point = typed
	message = ""
	address = (doc.get(address_field) or "").strip()
	if point is None and address:
		try:
			point = geocode(address)
		except GeocoderUnavailable as e:
			message = _(
				"The geocoder could not be reached ({0}), so {1} could not be placed on the map. It is saved and "
				"flagged 'Needs location': type the coordinates or drop a marker on the map."
			).format(str(e) or _("no answer"), frappe.bold(address))
		except AddressNotFound:
			message = _(
				"The address {0} was not found by the geocoder. It is saved and flagged 'Needs location': correct "
				"the address, type the coordinates or drop a marker on the map."
			).format(frappe.bold(address))
	if point:
		doc.set(lat_field, round(point[0], 6))
		doc.set(lon_field, round(point[1], 6))
		if marker != point:
			doc.set(map_field, rules.point_geojson(point[0], point[1], label))
	else:
		doc.set(lat_field, 0)
		doc.set(lon_field, 0)
	return Located(bool(point), message)


# --- appointments ----------------------------------------------------------------------------------------

SCHEDULE_FIELDS = ("field_agent", "start", "duration_minutes", "latitude", "longitude", "status")


def validate_appointment(doc) -> None:
	user = frappe.session.user
	before = doc.get_doc_before_save()
	if before and not (sees_all(user) or is_operator(user)):
		guard_agent_edit(doc, before)
	if doc.is_new() and not doc.booked_by:
		doc.booked_by = user
	errors = []
	if int(doc.duration_minutes or 0) < 1:
		errors.append(FieldError("duration_minutes", _("must be at least 1 minute")))
	elif int(doc.duration_minutes) > 24 * 60:
		errors.append(FieldError("duration_minutes", _("must be at most 1440 minutes (one day)")))
	throw_field_errors(APPOINTMENT, errors)
	agent = agent_row(doc.field_agent)
	doc.agent_user = agent.user
	doc.agent_name = agent.agent_name
	if doc.contact:
		contact = frappe.db.get_value(
			"Contact", doc.contact, ["full_name", "first_name", "mobile_no", "phone"], as_dict=True
		)
		if contact:
			doc.contact_name = contact.full_name or contact.first_name
			doc.phone = contact.mobile_no or contact.phone
	doc.start = get_datetime(doc.start)
	doc.end = rules.end_of(doc.start, doc.duration_minutes)
	place = locate(doc, "address", "latitude", "longitude", "location", before=before, label=doc.contact_name)
	doc.needs_location = 0 if place.located else 1
	if place.message:
		frappe.msgprint(place.message, title=_("Appointment not on the map"), indicator="orange")
	if doc.status != rules.CANCELLED and (
		before is None or any(str(before.get(f) or "") != str(doc.get(f) or "") for f in SCHEDULE_FIELDS)
	):
		refusal = check_locked(doc, agent)
		if refusal:
			frappe.throw(refusal, title=_("Cannot book {0}").format(agent.agent_name or agent.name))


def guard_agent_edit(doc, before) -> None:
	"""A field agent records the visit's status, outcome, notes and signed document; nothing else."""
	fields = [df.fieldname for df in doc.meta.fields if df.fieldtype not in ("Section Break", "Column Break")]
	bad = rules.agent_changes(before.as_dict(), doc.as_dict(), fields)
	if bad:
		labels = ", ".join(_(doc.meta.get_label(f)) for f in bad)
		frappe.throw(
			_(
				"A field agent may change only the status, outcome, notes and signed document, not: {0}"
			).format(labels),
			frappe.PermissionError,
		)
	if doc.status != before.status and doc.status not in rules.AGENT_STATUSES:
		frappe.throw(
			_("{0}: a field agent may set {1}, not {2}").format(
				_("Status"), ", ".join(_(s) for s in sorted(rules.AGENT_STATUSES)), _(doc.status)
			),
			frappe.PermissionError,
		)


def visit_of(doc) -> Visit:
	located = rules.coordinates("latitude", doc.latitude, doc.longitude)
	try:
		return Visit(
			doc.name or "new",
			get_datetime(doc.start),
			int(doc.duration_minutes),
			Point(*located) if located else None,
		)
	except FieldError as e:
		throw_field_errors(
			APPOINTMENT, [FieldError({"minutes": "duration_minutes"}.get(e.field, e.field), e.reason)]
		)


def check_locked(doc, agent: frappe._dict | None = None) -> str | None:
	"""Lock the agent's row, read their day and check the appointment: None when it fits, else why not."""
	agent = agent_row(doc.field_agent, lock=True)
	if not agent.active:
		return _("Field agent {0} is not active.").format(agent.agent_name or agent.name)
	start = get_datetime(doc.start)
	day = agent_day(agent, start.date(), exclude=None if doc.is_new() else doc.name, lock=True)
	refusal = check(day.engine, visit_of(doc), travel=travel_fn())
	if refusal is None:
		return None
	return _("{0}, {1:%Y-%m-%d %H:%M}: {2}").format(agent.agent_name or agent.name, start, refusal.message)


# --- suggestions -----------------------------------------------------------------------------------------


def in_zone(row, point: Point | None) -> bool:
	"""Whether the agent's zone covers ``point`` (no zone, or no point: yes)."""
	if point is None or (row.zone_type or "None") == "None":
		return True
	if row.zone_type == "Circle":
		centre = rules.coordinates(
			"zone_latitude", row.zone_latitude, row.zone_longitude
		) or rules.coordinates("home_latitude", row.home_latitude, row.home_longitude)
		return centre is None or haversine_km(Point(*centre), point) <= float(row.zone_radius_km or 0)
	ring = rules.first_polygon(row.zone_map)
	return ring is None or in_polygon(point, [Point(lat, lon) for lat, lon in ring])


def active_agents(point: Point | None = None, agents: list[str] | None = None) -> list[frappe._dict]:
	filters = {"active": 1}
	if agents:
		filters["name"] = ["in", agents]
	rows = frappe.get_all(AGENT, filters=filters, pluck="name", order_by="name")
	out = []
	for name in rows:
		row = agent_row(name)
		if rules.coordinates("home_latitude", row.home_latitude, row.home_longitude) and in_zone(row, point):
			out.append(row)
	return out


def dates_between(date_from: date, date_to: date) -> list[date]:
	if date_to < date_from:
		throw_field_errors(APPOINTMENT, [FieldError("start", _("the date range ends before it starts"))])
	if (date_to - date_from).days > 31:
		throw_field_errors(APPOINTMENT, [FieldError("start", _("ask for at most 31 days at a time"))])
	return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def suggestions(
	point: Point | None,
	minutes: int,
	date_from: date,
	date_to: date,
	agents: list[str] | None = None,
	k: int = 10,
	now: datetime | None = None,
) -> list[dict]:
	"""The ``k`` bookable starts (agent, time) that add the least travel, over the agents whose zone covers
	the place, from ``date_from`` to ``date_to`` (never in the past)."""
	from frappe.utils import now_datetime

	rows = active_agents(point, agents)
	days = []
	names = {}
	for row in rows:
		names[row.name] = row.agent_name or row.name
		for d in dates_between(date_from, date_to):
			day = agent_day(row, d)
			days.append(day.engine)
	found = suggest(
		days,
		point,
		int(minutes),
		k=k,
		not_before=now or now_datetime().replace(second=0, microsecond=0),
		travel=travel_fn(),
		max_per_agent=max(2, k // 2),
	)
	return [
		{
			"field_agent": s.agent,
			"agent_name": names.get(s.agent, s.agent),
			"start": s.start,
			"end": s.start + timedelta(minutes=int(minutes)),
			"added_travel_minutes": round(s.added_travel_minutes, 1),
			"after": s.after,
			"before": s.before,
		}
		for s in found
	]


# --- reassignment (supervisors) --------------------------------------------------------------------------


MOVABLE = frozenset({"Booked", "Confirmed"})  # what a reassignment moves; a visit done stays where it was


def reassign(appointment: str, to_agent: str) -> dict:
	"""Give one appointment to another agent, at its own time; refused when it does not fit their day."""
	doc = frappe.get_doc(APPOINTMENT, appointment)
	doc.check_permission("write")
	if doc.field_agent == to_agent:
		frappe.throw(_("{0} is already {1}'s appointment.").format(appointment, doc.agent_name or to_agent))
	if doc.status not in MOVABLE:
		frappe.throw(
			_("{0} is {1}: only booked or confirmed appointments are reassigned.").format(
				appointment, _(doc.status)
			)
		)
	previous = doc.field_agent
	doc.field_agent = to_agent
	doc.add_comment("Info", _("Reassigned from {0} to {1}").format(previous, to_agent))
	doc.save()
	return {"name": doc.name, "field_agent": doc.field_agent, "agent_name": doc.agent_name}


def reassign_day_plan(agent: str, day: date, to_agents: list[str] | None = None) -> dict:
	"""Where each of ``agent``'s appointments on ``day`` that is still to do (Booked or Confirmed) would go
	(the colleague it fits with the least added travel), and which fit nowhere. Nothing changes."""
	source = agent_day(agent, day)
	to_do = {b.name: b for b in source.booked if b.status in MOVABLE}
	moving = dataclasses.replace(
		source.engine, visits=tuple(v for v in source.engine.visits if v.id in to_do)
	)
	others = [agent_day(row, day).engine for row in active_agents(agents=to_agents) if row.name != agent]
	moves, unplaced = reassign_day(moving, others, travel=travel_fn())
	booked = to_do
	names = {r: frappe.db.get_value(AGENT, r, "agent_name") for r in {s.agent for _, s in moves}}
	return {
		"moves": [
			{
				"appointment": visit,
				"start": booked[visit].start,
				"contact_name": booked[visit].contact_name,
				"to_agent": s.agent,
				"agent_name": names.get(s.agent) or s.agent,
				"added_travel_minutes": round(s.added_travel_minutes, 1),
			}
			for visit, s in moves
			if visit in booked
		],
		"unplaced": [
			{"appointment": v, "start": booked[v].start, "contact_name": booked[v].contact_name}
			for v in unplaced
		],
	}


def apply_day_moves(moves: list[dict]) -> list[str]:
	"""Move each appointment to its agent; all or nothing (the first refusal undoes the others)."""
	done = []
	frappe.db.savepoint("cc_reassign_day")
	try:
		for move in sorted(moves, key=lambda m: m["to_agent"]):  # lock the receivers in one order
			reassign(move["appointment"], move["to_agent"])
			done.append(move["appointment"])
	except Exception:
		frappe.db.rollback(save_point="cc_reassign_day")
		raise
	return done


# --- the day view ----------------------------------------------------------------------------------------


def day_view(agent: str, day: date, user: str | None = None) -> dict:
	"""An agent's day for the booking screen: home base, working hours, the appointments in order with the
	distance and travel time from the previous stop (home base first). Appointments the user may not read
	show their time and place only."""
	user = user or frappe.session.user
	row = agent_row(agent)
	d = agent_day(row, day)
	travel = travel_fn()
	home = d.engine.home
	stops = []
	pos = home
	for b in d.booked:
		here = Point(b.lat, b.lon) if b.lat is not None else None
		target = here or pos
		readable = frappe.has_permission(APPOINTMENT, "read", doc=b.name, user=user)
		stops.append(
			{
				"name": b.name if readable else None,
				"start": b.start,
				"end": b.end,
				"status": b.status,
				"contact_name": b.contact_name if readable else _("Booked"),
				"address": b.address if readable else "",
				"lat": b.lat,
				"lon": b.lon,
				"distance_km": round(haversine_km(pos, target) * d.engine.profile.road_factor, 1),
				"travel_minutes": round(travel(pos, target, d.engine.profile), 1) if target is not pos else 0,
			}
		)
		pos = target
	back = {
		"distance_km": round(haversine_km(pos, home) * d.engine.profile.road_factor, 1),
		"travel_minutes": round(travel(pos, home, d.engine.profile), 1) if pos is not home else 0,
	}
	return {
		"agent": row.name,
		"agent_name": row.agent_name,
		"date": day,
		"home": {"lat": home.lat, "lon": home.lon, "address": row.home_address or ""},
		"shifts": [{"start": s.start, "end": s.end} for s in d.engine.shifts],
		"profile": {
			"speed_kmh": d.engine.profile.speed_kmh,
			"road_factor": d.engine.profile.road_factor,
			"buffer_minutes": d.engine.profile.buffer_minutes,
		},
		"appointments": stops,
		"back_home": back,
	}


# --- the calendar feed -----------------------------------------------------------------------------------
# Each field agent may have one secret feed URL. Only the token's SHA-256 is stored (CC Field Agent
# ical_token_hash, indexed), so the URL is shown once, when it is made; regenerating replaces it, revoking
# clears it: the old URL stops working at once.

FEED_METHOD = "/api/method/callcenter_app.api.field.ical"
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180


def require_field_agent(user: str) -> str:
	agent = agent_of(user)
	if not agent:
		frappe.throw(_("{0} is not a field agent.").format(user), frappe.PermissionError)
	return agent


def feed_url(token: str) -> str:
	from frappe.utils import get_url

	return get_url(f"{FEED_METHOD}?token={token}")


def feed_state(user: str) -> dict:
	agent = require_field_agent(user)
	created = frappe.db.get_value(AGENT, agent, "ical_token_created")
	return {
		"agent": agent,
		"active": bool(frappe.db.get_value(AGENT, agent, "ical_token_hash")),
		"created": created,
	}


def regenerate_token(user: str) -> dict:
	from frappe.utils import now_datetime

	agent = require_field_agent(user)
	token = rules.new_token()
	frappe.db.set_value(
		AGENT, agent, {"ical_token_hash": rules.token_hash(token), "ical_token_created": now_datetime()}
	)
	return {**feed_state(user), "url": feed_url(token)}


def revoke_token(user: str) -> dict:
	agent = require_field_agent(user)
	frappe.db.set_value(AGENT, agent, {"ical_token_hash": None, "ical_token_created": None})
	return feed_state(user)


def agent_for_token(token: str | None) -> str | None:
	if not token or len(token) > 200:
		return None
	return frappe.db.get_value(AGENT, {"ical_token_hash": rules.token_hash(token), "active": 1}, "name")


def feed_events(agent: str, today: date | None = None) -> list[dict]:
	"""The agent's own appointments around today, with only what the agent sees on them anyway: when,
	where, whom (name and phone), the status and the notes."""
	today = today or getdate()
	rows = frappe.get_all(
		APPOINTMENT,
		filters={
			"field_agent": agent,
			"status": ["!=", rules.CANCELLED],
			"start": [
				"between",
				[today - timedelta(days=FEED_PAST_DAYS), today + timedelta(days=FEED_FUTURE_DAYS)],
			],
		},
		fields=[
			"name",
			"start",
			"end",
			"address",
			"latitude",
			"longitude",
			"contact_name",
			"phone",
			"status",
			"notes",
			"modified",
		],
		order_by="start",
		ignore_permissions=True,  # the token is the agent's own; the filter is their agent record
	)
	return rows


# --- the Field Agents workspace --------------------------------------------------------------------------

WORKSPACE = "Field Agents"
WORKSPACE_ROLES = tuple(sorted(roles.FIELD_DAYS.roles))
WORKSPACE_SHORTCUTS = (
	{"type": "Page", "link_to": "cc-booking", "label": "Book an appointment", "color": "Blue"},
	{
		"type": "DocType",
		"link_to": APPOINTMENT,
		"doc_view": "Calendar",
		"label": "Appointments calendar",
		"color": "Green",
	},
	{"type": "DocType", "link_to": APPOINTMENT, "doc_view": "List", "label": "Appointments", "color": "Grey"},
	{"type": "DocType", "link_to": AGENT, "doc_view": "List", "label": "Field agents", "color": "Orange"},
	{"type": "Page", "link_to": "cc-my-calendar", "label": "My calendar feed", "color": "Purple"},
)


def sync_field_menu(doc=None, method=None) -> None:
	"""Create the Field Agents workspace and show it (to its roles) only while has_field_agents is on."""
	enabled = bool(frappe.db.get_single_value("CC Settings", "has_field_agents"))
	if not frappe.db.exists("Workspace", WORKSPACE):
		content = [
			{"id": f"cc{i}", "type": "shortcut", "data": {"shortcut_name": s["label"], "col": 4}}
			for i, s in enumerate(WORKSPACE_SHORTCUTS)
		]
		frappe.get_doc(
			{
				"doctype": "Workspace",
				"name": WORKSPACE,
				"label": WORKSPACE,
				"title": WORKSPACE,
				"icon": "map",
				"public": 1,
				"is_hidden": 0 if enabled else 1,
				"content": json.dumps(content),
				"roles": [{"role": r} for r in WORKSPACE_ROLES],
				"shortcuts": [dict(s) for s in WORKSPACE_SHORTCUTS],
			}
		).insert(ignore_permissions=True)
		return
	if frappe.db.get_value("Workspace", WORKSPACE, "is_hidden") != (0 if enabled else 1):
		frappe.db.set_value("Workspace", WORKSPACE, "is_hidden", 0 if enabled else 1)


# --- geocoding -------------------------------------------------------------------------------------------
# geo/geocode.py's Geocoder with CC Geocode Cache as its cache: an address is asked for once, and the answer
# (also "found nowhere") survives restarts. One Geocoder per process and settings, so its rate limit holds
# across the requests a worker serves.


class DbGeocodeCache(MutableMapping):
	"""CC Geocode Cache rows as the Geocoder's cache (keyed by the normalised address)."""

	@staticmethod
	def _name(key: str) -> str:
		return hashlib.sha1(key.encode()).hexdigest()

	def __getitem__(self, key: str):
		row = frappe.db.get_value(
			GEOCODE_CACHE, self._name(key), ["found", "latitude", "longitude", "display_name"], as_dict=True
		)
		if not row:
			raise KeyError(key)
		if not row.found:
			return NOT_FOUND
		return {"lat": row.latitude, "lon": row.longitude, "display_name": row.display_name or ""}

	def __setitem__(self, key: str, value) -> None:
		found = value != NOT_FOUND
		values = {
			"query": key,
			"found": int(found),
			"latitude": value.point.lat if found else 0,
			"longitude": value.point.lon if found else 0,
			"display_name": value.display_name if found else "",
			"provider": frappe.db.get_single_value("CC Settings", "geocoder_url"),
		}
		name = self._name(key)
		if frappe.db.exists(GEOCODE_CACHE, name):
			frappe.db.set_value(GEOCODE_CACHE, name, values)
			return
		doc = frappe.get_doc({"doctype": GEOCODE_CACHE, "key": name, **values})
		try:
			doc.db_insert()
		except frappe.DuplicateEntryError:
			pass  # another worker cached the same address a moment ago

	def __delitem__(self, key: str) -> None:
		frappe.db.delete(GEOCODE_CACHE, {"name": self._name(key)})

	def __iter__(self):
		return iter(frappe.get_all(GEOCODE_CACHE, pluck="query"))

	def __len__(self) -> int:
		return frappe.db.count(GEOCODE_CACHE)


GEOCODE_CACHE = "CC Geocode Cache"
_geocoders: dict[tuple, Geocoder] = {}


def geocoder() -> Geocoder:
	s = frappe.get_cached_doc("CC Settings")
	config = (
		(s.geocoder_url or "https://nominatim.openstreetmap.org").strip(),
		(s.geocoder_user_agent or "callcenter_app").strip(),
		float(s.geocoder_min_interval if s.geocoder_min_interval is not None else 1),
	)
	if config not in _geocoders:
		_geocoders.clear()
		_geocoders[config] = Geocoder(
			config[0], config[1], min_interval_s=config[2], timeout=5.0, cache=DbGeocodeCache()
		)
	return _geocoders[config]


def geocode(address: str) -> tuple[float, float]:
	"""(latitude, longitude) of an address, through the cache (CC Geocode Cache) and the configured
	Nominatim-compatible geocoder. Raises GeocoderUnavailable or AddressNotFound."""
	result = geocoder().geocode(address)
	return result.point.lat, result.point.lon


# --- the feed's text -------------------------------------------------------------------------------------

ICAL_STATUS = {"Booked": "TENTATIVE", "Confirmed": "CONFIRMED", "Done": "CONFIRMED", "No-show": "CONFIRMED"}


def render_feed(agent: str, today: date | None = None) -> bytes:
	from frappe.utils import get_system_timezone, get_url

	name = frappe.db.get_value(AGENT, agent, "agent_name") or agent
	events = []
	for r in feed_events(agent, today):
		details = [f"{_('Status')}: {_(r.status)}"]
		if r.phone:
			details.append(f"{_('Phone')}: {r.phone}")
		if r.notes:
			details.append(r.notes)
		events.append(
			CalendarEvent(
				uid=f"{r.name}@{frappe.local.site}",
				start=get_datetime(r.start),
				end=get_datetime(r.end),
				summary=f"{r.contact_name or _('Appointment')} ({r.name})",
				location=(r.address or "").replace("\n", ", ") or None,
				description="\n".join(details),
				url=get_url(f"/app/cc-appointment/{r.name}"),
				status=ICAL_STATUS.get(r.status),
			)
		)
	return render_calendar(events, _("Appointments of {0}").format(name), get_system_timezone())
