"""Frappe glue of geodialing: choose Contacts by where their addresses are, and add them to a campaign.

- Address carries its position in ``cc_latitude``/``cc_longitude`` (custom fields, index ``cc_geo_index``).
  An address at exactly (0, 0) counts as not geocoded (Frappe stores an empty Float as 0).
- Areas: plain circles/polygons, or field agents' zones (CC Field Agent: Circle = zone centre + radius,
  Polygon = zone map), or X km around an agent's appointments of a day (CC Appointment with a position, not
  Cancelled).
- The database prefilters by the areas' bounding boxes on the indexed columns (``areas.sql_boxes``); the
  exact distance / point-in-polygon test runs in Python (``areas.Areas``). A contact with several addresses
  in the areas counts once, at its nearest.
- Adding to a call list creates CC Campaign Contact documents as Data Import does (their validate normalises
  the number and refuses a number twice), skipping numbers already on the list, contacts already on it,
  numbers on the campaign's do-not-call list and — when the campaign checks the global list, as the dialer
  does (``dialer.service.next_contacts``) — on the global one, and contacts without a usable number.
- Who: managers (System Manager, Call Center Manager, Agent Supervisor, Project Manager); the service writes
  with ``ignore_permissions`` after that check. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.geo.areas import MAX_RADIUS_KM, Area, Areas, Circle, Polygon, sql_boxes
from callcenter_app.geo.points import Point

AGENT = "CC Field Agent"
APPOINTMENT = "CC Appointment"
CONTACT_ROW = "CC Campaign Contact"
MAX_ADD = 5000  # rows one request may add (each is a document insert)
LABELS = {
	"campaign": "Campaign",
	"source_campaign": "From the call list of",
	"agents": "Field agents",
	"radius_km": "Radius (km)",
	"date": "Date",
	"latitude": "Latitude",
	"longitude": "Longitude",
	"polygon": "Polygon",
	"zone_map": "Zone map",
	"areas": "Area",
}


def refuse(error: FieldError):
	frappe.throw(
		_("{0}: {1}").format(_(LABELS.get(error.field, error.field)), error.reason),
		frappe.ValidationError,
		title=_("Cannot choose contacts"),
	)


def check_may_choose(user: str | None = None) -> None:
	if not dialer.is_manager(user):
		frappe.throw(
			_("Only managers, supervisors and project managers may choose contacts by area"),
			frappe.PermissionError,
			title=_("Not permitted"),
		)


# -- areas ----------------------------------------------------------------------------------------------------


def has_field_agents() -> bool:
	return bool(frappe.db.exists("DocType", AGENT))


def parse_agents(value) -> list[str]:
	if value in (None, "", "[]"):
		return []
	if isinstance(value, str):
		text = value.strip()
		if text.startswith("["):
			try:
				value = json.loads(text)
			except ValueError:
				raise FieldError("agents", _("is not a list of field agents")) from None
		else:
			value = [v for v in (p.strip() for p in text.split(",")) if v]
	if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
		raise FieldError("agents", _("is not a list of field agents"))
	return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def parse_radius(value, required: bool) -> float | None:
	if value in (None, "", 0, "0"):
		if required:
			raise FieldError("radius_km", _("is needed"))
		return None
	try:
		radius = float(value)
	except (TypeError, ValueError):
		raise FieldError("radius_km", _("must be a number of km, not {0!r}").format(value)) from None
	if not 0 < radius <= MAX_RADIUS_KM:
		raise FieldError("radius_km", _("must be more than 0 and at most {0} km").format(int(MAX_RADIUS_KM)))
	return radius


def parse_date(value) -> dt.date | None:
	if value in (None, ""):
		return None
	if isinstance(value, dt.date):
		return value
	try:
		return dt.date.fromisoformat(str(value).strip()[:10])
	except ValueError:
		raise FieldError("date", _("must be a date like 2026-12-07, not {0!r}").format(value)) from None


def agent_areas(agents: list[str], on_date: dt.date | None, radius_km: float | None) -> list[Area]:
	"""Each agent's zone, or (with ``on_date``) circles of ``radius_km`` around their appointments that day."""
	if not has_field_agents():
		raise FieldError("agents", _("field agents are not set up on this site"))
	areas: list[Area] = []
	for name in agents:
		a = frappe.db.get_value(
			AGENT,
			name,
			[
				"name",
				"agent_name",
				"zone_type",
				"zone_latitude",
				"zone_longitude",
				"zone_radius_km",
				"zone_map",
			],
			as_dict=True,
		)
		if not a:
			raise FieldError("agents", _("{0} is not a field agent").format(name))
		label = a.agent_name or a.name
		if on_date is not None:
			if radius_km is None:
				raise FieldError("radius_km", _("is needed to choose contacts around appointments"))
			rows = frappe.get_all(
				APPOINTMENT,
				filters={
					"field_agent": a.name,
					"start": ["between", [f"{on_date} 00:00:00", f"{on_date} 23:59:59.999999"]],
					"status": ["!=", "Cancelled"],
				},
				fields=["name", "latitude", "longitude"],
				order_by="start",
			)
			for r in rows:
				if r.latitude or r.longitude:
					areas.append(Circle(Point(r.latitude, r.longitude), radius_km, f"{label}: {r.name}"))
		elif a.zone_type == "Circle":
			radius = radius_km or a.zone_radius_km
			if not radius:
				raise FieldError("radius_km", _("{0}'s zone has no radius: give one").format(label))
			areas.append(Circle(Point(a.zone_latitude, a.zone_longitude), float(radius), label))
		elif a.zone_type == "Polygon":
			areas.append(Polygon.parse(a.zone_map, label, field="zone_map"))
		else:
			raise FieldError(
				"agents",
				_(
					"{0} has no zone: set one on the field agent, or choose a date to use the appointments"
				).format(label),
			)
	return areas


def areas_from(
	agents=None, radius_km=None, date=None, latitude=None, longitude=None, polygon=None
) -> list[Area]:
	"""The areas a request describes: field agents (zones, or appointments on ``date``), a centre
	(``latitude``, ``longitude``) with ``radius_km``, a polygon — any together."""
	names = parse_agents(agents)
	on_date = parse_date(date)
	has_centre = latitude not in (None, "") or longitude not in (None, "")
	radius = parse_radius(radius_km, required=has_centre)
	areas: list[Area] = []
	if names:
		areas += agent_areas(names, on_date, radius)
	if has_centre:
		centre = Point(latitude, longitude)
		label = _("{0} km around {1}, {2}").format(f"{radius:g}", f"{centre.lat:.4f}", f"{centre.lon:.4f}")
		areas.append(Circle(centre, radius, label))
	if polygon not in (None, ""):
		areas.append(Polygon.parse(polygon, _("polygon")))
	if not areas:
		if names and on_date:
			raise FieldError(
				"date", _("the agents have no appointments with a position on {0}").format(on_date)
			)
		raise FieldError("areas", _("choose field agents, a centre and radius, or a polygon"))
	return areas


# -- contacts -------------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = 1000):
	for i in range(0, len(items), size):
		yield items[i : i + size]


@dataclass
class Found:
	contact: str
	km: float
	area: str
	phone: str | None = None  # from the source call list


def find_contacts(areas: list[Area], source_campaign: str | None = None) -> list[Found]:
	"""Contacts with an address in the areas (of ``source_campaign``'s call list only, when given), nearest
	first.

	1. The boxes, on ``cc_geo_index`` alone (latitude, longitude, disabled; the name is in it as the primary
	   key, so no table row is read);
	2. the exact test in Python;
	3. the Contacts linked to the addresses inside (``cc_link_parent_index`` on Dynamic Link, again no row
	   read), and the source call list's numbers."""
	chosen = Areas(areas)
	boxes = sql_boxes(areas)
	where = " or ".join(["(cc_latitude between %s and %s and cc_longitude between %s and %s)"] * len(boxes))
	rows = frappe.db.sql(
		f"""select name, cc_latitude, cc_longitude from `tabAddress` force index (cc_geo_index)
		where ({where}) and disabled = 0 and not (cc_latitude = 0 and cc_longitude = 0)""",
		[v for box in boxes for v in box],
	)
	inside: dict[str, tuple[float, str]] = {}
	nearest = chosen.nearest
	for name, lat, lon in rows:
		hit = nearest(float(lat), float(lon))
		if hit is not None:
			inside[name] = hit
	best: dict[str, Found] = {}
	for chunk in _chunks(list(inside), 2000):
		marks = ", ".join(["%s"] * len(chunk))
		if source_campaign:
			links = frappe.db.sql(
				f"""select dl.parent, dl.link_name, cc.phone from `tabDynamic Link` dl
				join `tab{CONTACT_ROW}` cc on cc.contact = dl.link_name and cc.campaign = %s
				where dl.parent in ({marks}) and dl.parenttype = 'Address' and dl.link_doctype = 'Contact'""",
				[source_campaign, *chunk],
			)
		else:
			links = frappe.db.sql(
				f"""select dl.parent, dl.link_name, null from `tabDynamic Link` dl
				where dl.parent in ({marks}) and dl.parenttype = 'Address' and dl.link_doctype = 'Contact'""",
				chunk,
			)
		for address, contact, phone in links:
			km, label = inside[address]
			old = best.get(contact)
			if old is None or km < old.km:
				best[contact] = Found(contact, km, label, phone)
	return sorted(best.values(), key=lambda f: (f.km, f.contact))


@dataclass
class Plan:
	campaign: str
	matched: int = 0  # contacts in the areas
	rows: list[dict] = field(default_factory=list)  # to add: contact, phone, full_name, km, area
	already: int = 0  # on the call list already (the number, or the contact)
	dnc: int = 0  # on a do-not-call list the campaign respects
	no_phone: int = 0  # no number that a call list takes

	def summary(self) -> dict:
		return {
			"campaign": self.campaign,
			"matched": self.matched,
			"to_add": len(self.rows),
			"already": self.already,
			"dnc": self.dnc,
			"no_phone": self.no_phone,
			"sample": [
				{k: r[k] for k in ("contact", "full_name", "phone", "area")} | {"km": round(r["km"], 2)}
				for r in self.rows[:10]
			],
		}


def plan_additions(campaign: str, found: list[Found]) -> Plan:
	"""What adding ``found`` to ``campaign``'s call list would do (nothing is written).

	A contact's number: the source call list's, else its Contact Phone rows' ``cc_e164`` (kept by the Contact
	hook; primary mobile first, then primary phone, then any), else its mobile/phone text normalised here."""
	from callcenter_app.utils import default_region

	doc = frappe.db.get_value("CC Campaign", campaign, ["name", "check_dnc"], as_dict=True)
	plan = Plan(campaign, matched=len(found))
	if not found:
		return plan
	region = None
	names = [f.contact for f in found]
	contacts: dict[str, tuple] = {}
	keyed: dict[str, str] = {}
	listed_contacts: set[str] = set()
	for chunk in _chunks(names, 2000):
		marks = ", ".join(["%s"] * len(chunk))
		for name, full_name, mobile, phone in frappe.db.sql(
			f"select name, full_name, mobile_no, phone from `tabContact` where name in ({marks})", chunk
		):
			contacts[name] = (full_name, mobile, phone)
		for parent, e164 in frappe.db.sql(
			f"""select parent, cc_e164 from `tabContact Phone`
			where parent in ({marks}) and parenttype = 'Contact' and cc_e164 like '+%%'
			order by is_primary_mobile_no desc, is_primary_phone desc, idx""",
			chunk,
		):
			keyed.setdefault(parent, e164)
		listed_contacts.update(
			r[0]
			for r in frappe.db.sql(
				f"select contact from `tab{CONTACT_ROW}` where campaign = %s and contact in ({marks})",
				[campaign, *chunk],
			)
		)
	candidates = []
	for f in found:
		c = contacts.get(f.contact)
		if c is None:
			continue
		if f.contact in listed_contacts:
			plan.already += 1
			continue
		phone = f.phone or keyed.get(f.contact)
		if phone is None:
			if region is None:
				region = default_region()
			try:
				phone = call_list_number(c[1] or c[2] or "", region, field="phone")
			except (FieldError, ValueError):
				plan.no_phone += 1
				continue
		candidates.append((f, c, phone))
	phones = list(dict.fromkeys(p for _, _, p in candidates))
	listed_phones: set[str] = set()
	global_dnc: set[str] = set()
	own_dnc: set[str] = set()
	for chunk in _chunks(phones, 2000):
		marks = ", ".join(["%s"] * len(chunk))
		listed_phones.update(
			r[0]
			for r in frappe.db.sql(
				f"select phone from `tab{CONTACT_ROW}` where campaign = %s and phone in ({marks})",
				[campaign, *chunk],
			)
		)
		g, own = dialer.dnc_numbers(campaign, chunk)
		global_dnc |= g
		own_dnc |= own
	seen: set[str] = set()
	for f, c, phone in candidates:
		if phone in listed_phones or phone in seen:
			plan.already += 1
			continue
		if phone in own_dnc or (doc.check_dnc and phone in global_dnc):
			plan.dnc += 1
			continue
		seen.add(phone)
		plan.rows.append(
			{"contact": f.contact, "phone": phone, "full_name": c[0], "km": f.km, "area": f.area}
		)
	return plan


def add_rows(plan: Plan) -> list[str]:
	"""Create the plan's CC Campaign Contact rows; returns their names."""
	if len(plan.rows) > MAX_ADD:
		raise FieldError(
			"areas",
			_("{0} contacts are more than {1} at once: choose a smaller area or radius").format(
				len(plan.rows), MAX_ADD
			),
		)
	names = []
	for r in plan.rows:
		doc = frappe.get_doc(
			{
				"doctype": CONTACT_ROW,
				"campaign": plan.campaign,
				"phone": r["phone"],
				"contact": r["contact"],
				"full_name": r["full_name"],
			}
		)
		doc.insert(ignore_permissions=True)
		names.append(doc.name)
	return names


def choose(campaign: str, source_campaign: str | None = None, **area_args) -> Plan:
	"""Validate the request and plan it (no writes)."""
	for fieldname, value in (("campaign", campaign), ("source_campaign", source_campaign)):
		if value and not frappe.db.exists("CC Campaign", value):
			raise FieldError(fieldname, _("{0} is not a campaign").format(value))
	if not campaign:
		raise FieldError("campaign", _("is needed"))
	areas = areas_from(**area_args)
	return plan_additions(campaign, find_contacts(areas, source_campaign or None))


def set_address_point(address: str, point: Point | None) -> None:
	"""Store (or clear, with None) an Address's position."""
	frappe.db.set_value(
		"Address",
		address,
		{"cc_latitude": point.lat if point else 0, "cc_longitude": point.lon if point else 0},
		update_modified=False,
	)


# --- contacts' addresses placed on the map (geodialing needs their positions) ------------------------------
# An Address a Contact links to gets its position from the site's geocoder (field/service.py: the same cached,
# rate-limited Nominatim client appointments use) when it is saved without one, and a daily job (or a manager's
# button) places those still without. An address found nowhere keeps (0, 0): it is asked again only when its
# text changes (the geocode cache remembers the miss), never in a loop.

ADDRESS_PARTS = ("address_line1", "address_line2", "city", "county", "state", "pincode", "country")
GEOCODE_JOB = "cc-geocode-addresses"


def _field_agents_on() -> bool:
	return bool(frappe.db.get_single_value("CC Settings", "has_field_agents"))


def address_text(row) -> str:
	"""The one line a geocoder reads: the address's parts in order, blanks left out."""
	return ", ".join(str(row.get(p)).strip() for p in ADDRESS_PARTS if row.get(p) and str(row.get(p)).strip())


def geocode_address(name: str) -> str:
	"""Place one Address: "placed", "not found" (kept at 0, 0), "unavailable" (tried again later) or
	"no text"."""
	from callcenter_app.field.service import geocode
	from callcenter_app.geo.geocode import AddressNotFound, GeocoderUnavailable

	row = frappe.db.get_value("Address", name, list(ADDRESS_PARTS), as_dict=True)
	text = address_text(row or {})
	if not text:
		return "no text"
	try:
		lat, lon = geocode(text)
	except AddressNotFound:
		return "not found"
	except GeocoderUnavailable:
		return "unavailable"
	set_address_point(name, Point(lat, lon))
	return "placed"


def unplaced_addresses(limit: int | None = None) -> list[str]:
	"""Contacts' addresses (not disabled) without a position, oldest first."""
	return frappe.db.sql_list(
		"""select a.name from `tabAddress` a
		where a.disabled = 0 and a.cc_latitude = 0 and a.cc_longitude = 0
			and exists (select 1 from `tabDynamic Link` l where l.parenttype = 'Address' and l.parent = a.name
				and l.link_doctype = 'Contact')
		order by a.creation"""
		+ (f" limit {int(limit)}" if limit else "")
	)


def geocode_addresses(limit: int | None = 2000, publish: bool = False) -> dict[str, int]:
	"""Place the contacts' addresses still without a position (at most ``limit``: at the geocoder's one request
	a second a run stays under an hour). Stops at the first outage: the rest waits for the next run."""
	if not _field_agents_on():
		return {}
	names = unplaced_addresses(limit)
	counts: dict[str, int] = {}
	for i, name in enumerate(names, 1):
		outcome = geocode_address(name)
		counts[outcome] = counts.get(outcome, 0) + 1
		frappe.db.commit()  # a long job: each position kept as soon as it is known
		if publish and (i % 20 == 0 or i == len(names)):
			frappe.publish_progress(i * 100 / len(names), title=_("Placing addresses on the map"))
		if outcome == "unavailable":
			break
	return counts


def on_address_update(doc, method=None) -> None:
	"""A contact's address saved without a position, or with new text: placed in the background."""
	if not _field_agents_on() or not any(l.link_doctype == "Contact" for l in doc.get("links") or []):
		return
	before = doc.get_doc_before_save()
	moved = before is not None and address_text(before) != address_text(doc)
	if moved and doc.cc_latitude and not doc.has_value_changed("cc_latitude"):
		set_address_point(doc.name, None)  # the old position is wrong now
	elif doc.cc_latitude or doc.cc_longitude:
		return
	frappe.enqueue(
		geocode_address,
		queue="short",
		name=doc.name,
		enqueue_after_commit=True,
		job_id=f"cc-geocode-{doc.name}",
	)


def enqueue_geocode_addresses() -> None:
	"""The daily run (and the managers' button): one job at a time."""
	if _field_agents_on():
		frappe.enqueue(
			geocode_addresses,
			queue="long",
			timeout=4 * 3600,
			job_id=GEOCODE_JOB,
			deduplicate=True,
			publish=True,
		)
