"""Field agents and appointments: the rules of the records (pure; the Frappe glue is ``service.py``).

The scheduling engine (points, travel, feasibility, suggestions, geocoding, iCal) is the ``geo`` package;
this package holds what only the records need: reading Frappe's Geolocation values (GeoJSON), checking a
field agent's settings, which fields a field agent may change on an appointment, the calendar-feed token.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from callcenter_app.common.errors import FieldError

STATUSES = ("Booked", "Confirmed", "Done", "Cancelled", "No-show")
CANCELLED = "Cancelled"
# What a field agent records on the road; where and when stay with the operators and supervisors.
AGENT_EDITABLE = frozenset({"status", "outcome", "notes", "signed_document"})
AGENT_STATUSES = frozenset({"Confirmed", "Done", "No-show"})


def end_of(start: datetime, minutes: int) -> datetime:
	return start + timedelta(minutes=int(minutes or 0))


# --- Geolocation fields (GeoJSON FeatureCollection text; coordinates are [longitude, latitude]) ---------


def _features(value) -> list[dict]:
	if not value:
		return []
	data = json.loads(value) if isinstance(value, str) else value
	if not isinstance(data, dict):
		return []
	if data.get("type") == "FeatureCollection":
		return [f for f in data.get("features") or () if isinstance(f, dict)]
	if data.get("type") == "Feature":
		return [data]
	return [{"type": "Feature", "geometry": data}]


def _valid(lat, lon) -> bool:
	return -90 <= lat <= 90 and -180 <= lon <= 180


def first_point(value) -> tuple[float, float] | None:
	"""The (latitude, longitude) of the first Point drawn on a Geolocation field, or None."""
	try:
		for feature in _features(value):
			geometry = feature.get("geometry") or {}
			if geometry.get("type") == "Point":
				lon, lat = (float(c) for c in geometry["coordinates"][:2])
				if _valid(lat, lon):
					return lat, lon
	except (ValueError, TypeError, KeyError, IndexError):
		return None
	return None


def first_polygon(value) -> list[tuple[float, float]] | None:
	"""The outer ring of the first Polygon drawn on a Geolocation field, as (latitude, longitude) pairs."""
	try:
		for feature in _features(value):
			geometry = feature.get("geometry") or {}
			if geometry.get("type") == "Polygon" and geometry.get("coordinates"):
				ring = [(float(lat), float(lon)) for lon, lat, *_ in geometry["coordinates"][0]]
				if len(ring) > 1 and ring[0] == ring[-1]:
					ring = ring[:-1]
				if len(ring) >= 3 and all(_valid(lat, lon) for lat, lon in ring):
					return ring
	except (ValueError, TypeError, KeyError, IndexError):
		return None
	return None


def point_geojson(lat: float, lon: float, label: str | None = None) -> str:
	"""A Geolocation value holding one marker."""
	props = {"point_type": "marker"}
	if label:
		props["name"] = label
	feature = {
		"type": "Feature",
		"properties": props,
		"geometry": {"type": "Point", "coordinates": [lon, lat]},
	}
	return json.dumps({"type": "FeatureCollection", "features": [feature]})


def coordinates(field: str, lat, lon) -> tuple[float, float] | None:
	"""Both coordinates or neither (0, 0 counts as not set: it is the sea off Africa, never an address)."""
	lat = float(lat or 0)
	lon = float(lon or 0)
	if lat == 0 and lon == 0:
		return None
	if not -90 <= lat <= 90:
		raise FieldError(field, f"latitude must be from -90 to 90, not {lat}")
	if not -180 <= lon <= 180:
		raise FieldError(field, f"longitude must be from -180 to 180, not {lon}")
	return lat, lon


# --- a field agent's settings ----------------------------------------------------------------------------


def check_agent(values: dict) -> list[FieldError]:
	"""What is wrong with a CC Field Agent's travel profile and zone (each error names its field)."""
	errors = []
	if float(values.get("speed_kmh") or 0) <= 0:
		errors.append(FieldError("speed_kmh", "must be more than 0 km/h"))
	if float(values.get("road_factor") or 0) < 1:
		errors.append(
			FieldError("road_factor", "must be at least 1 (roads are never shorter than a straight line)")
		)
	if int(values.get("buffer_minutes") or 0) < 0:
		errors.append(FieldError("buffer_minutes", "must not be negative"))
	zone = values.get("zone_type") or "None"
	if zone == "Circle":
		if float(values.get("zone_radius_km") or 0) <= 0:
			errors.append(FieldError("zone_radius_km", "must be more than 0 km for a circular zone"))
		has_centre = (values.get("zone_latitude") or values.get("zone_longitude")) or (
			values.get("home_latitude") or values.get("home_longitude")
		)
		if not has_centre:
			errors.append(
				FieldError("zone_latitude", "a circular zone needs a centre or a home base on the map")
			)
	elif zone == "Polygon" and not first_polygon(values.get("zone_map")):
		errors.append(FieldError("zone_map", "draw the zone as a polygon with at least 3 corners"))
	return errors


def agent_changes(before: dict, after: dict, fields) -> list[str]:
	"""The fields (of ``fields``) a field agent changed that are not theirs to change."""
	changed = []
	for field in fields:
		if field in AGENT_EDITABLE:
			continue
		old, new = before.get(field), after.get(field)
		if (old or None) != (new or None) and str(old) != str(new):
			changed.append(field)
	return changed


# --- the calendar feed's secret --------------------------------------------------------------------------


def new_token() -> str:
	"""A secret for one agent's calendar URL (256 bits, URL-safe)."""
	return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
	"""What is stored: the SHA-256 of the token (a database dump does not give the feed away)."""
	return hashlib.sha256((token or "").encode()).hexdigest()


# --- CC Settings: the field agents' section --------------------------------------------------------------


def _http_url(field: str, value: str, required: bool) -> FieldError | None:
	from urllib.parse import urlsplit

	text = (value or "").strip()
	if not text:
		return FieldError(field, "is required when the call center has field agents") if required else None
	parts = urlsplit(text)
	if parts.scheme not in ("http", "https") or not parts.hostname:
		return FieldError(field, f"must be an http:// or https:// URL, not {text!r}")
	if any(c.isspace() for c in text):
		return FieldError(field, "must not contain spaces")
	return None


def check_field_settings(values: dict) -> list[FieldError]:
	"""The geocoder and OSRM settings of CC Settings (checked only when field agents are switched on)."""
	if not values.get("has_field_agents"):
		return []
	errors = [
		e
		for e in (
			_http_url("geocoder_url", values.get("geocoder_url"), True),
			_http_url("osrm_url", values.get("osrm_url"), False),
		)
		if e
	]
	if not (values.get("geocoder_user_agent") or "").strip():
		errors.append(
			FieldError("geocoder_user_agent", "is required: Nominatim refuses requests without one")
		)
	if float(values.get("geocoder_min_interval") or 0) < 0:
		errors.append(FieldError("geocoder_min_interval", "must not be negative"))
	return errors
