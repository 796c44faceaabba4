"""Points on the Earth, great-circle distances, bounding boxes and point-in-polygon.

Distances use the haversine formula on a sphere of the Earth's mean radius (IUGG, 6371.0088 km): within
0.5 % of the ellipsoid everywhere, which is far below what a road factor guesses anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError

EARTH_RADIUS_KM = 6371.0088


def _coordinate(field: str, value, limit: float) -> float:
	if isinstance(value, bool) or not isinstance(value, (int, float)):
		try:
			value = float(value)
		except (TypeError, ValueError):
			raise FieldError(field, f"must be a number, not {value!r}") from None
	value = float(value)
	if math.isnan(value):
		raise FieldError(field, "is not a number (NaN)")
	if not -limit <= value <= limit:
		raise FieldError(field, f"{value!r} is outside -{limit:g}..{limit:g}")
	return value


@dataclass(frozen=True)
class Point:
	"""A WGS84 position in decimal degrees: latitude -90..90, longitude -180..180."""

	lat: float
	lon: float

	def __post_init__(self):
		object.__setattr__(self, "lat", _coordinate("latitude", self.lat, 90.0))
		object.__setattr__(self, "lon", _coordinate("longitude", self.lon, 180.0))


def haversine_km(a: Point, b: Point) -> float:
	"""The great-circle distance between two points, in km."""
	return haversine_raw(a.lat, a.lon, b.lat, b.lon)


def haversine_raw(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
	"""``haversine_km`` on bare degrees (no checks): the spatial index uses it so its answers equal it."""
	lat1, lat2 = math.radians(lat_a), math.radians(lat_b)
	dlat = lat2 - lat1
	dlon = math.radians(lon_b - lon_a)
	h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
	return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _radius(field: str, value) -> float:
	if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
		raise FieldError(field, f"must be a number, not {value!r}")
	if value < 0 or math.isinf(value):
		raise FieldError(field, f"must be a finite distance of 0 km or more, not {value!r}")
	return float(value)


def bounding_box(centre: Point, radius_km: float) -> tuple[float, float, float, float]:
	"""(min_lat, max_lat, min_lon, max_lon) holding every point within ``radius_km`` of ``centre``.

	Near a pole (the circle reaches it) the box spans all longitudes. Across the antimeridian ``min_lon`` is
	greater than ``max_lon``: the box is then the two ranges ``min_lon..180`` and ``-180..max_lon``
	(``lon_ranges`` splits it). The box is the tight one on a sphere (Chamberlain's latitude-of-tangency
	formula), widened by a hair so rounding never leaves out a point on the circle.
	"""
	radius_km = _radius("radius_km", radius_km)
	angle = radius_km / EARTH_RADIUS_KM * (1 + 1e-9) + 1e-12
	lat = math.radians(centre.lat)
	min_lat, max_lat = lat - angle, lat + angle
	if angle >= math.pi or max_lat >= math.pi / 2 or min_lat <= -math.pi / 2:
		return (
			math.degrees(max(min_lat, -math.pi / 2)),
			math.degrees(min(max_lat, math.pi / 2)),
			-180.0,
			180.0,
		)
	dlon = math.asin(min(1.0, math.sin(angle) / math.cos(lat)))
	min_lon = centre.lon - math.degrees(dlon)
	max_lon = centre.lon + math.degrees(dlon)
	if max_lon - min_lon >= 360:
		return math.degrees(min_lat), math.degrees(max_lat), -180.0, 180.0
	if min_lon < -180:
		min_lon += 360
	if max_lon > 180:
		max_lon -= 360
	return math.degrees(min_lat), math.degrees(max_lat), min_lon, max_lon


def lon_ranges(min_lon: float, max_lon: float) -> list[tuple[float, float]]:
	"""A bounding box's longitudes as one or two plain ranges (two when it crosses the antimeridian)."""
	if min_lon <= max_lon:
		return [(min_lon, max_lon)]
	return [(min_lon, 180.0), (-180.0, max_lon)]


def _unwrapped(polygon: Sequence[Point]) -> list[tuple[float, float]]:
	"""The polygon's (lon, lat) with longitudes made continuous: an edge never jumps by more than 180°."""
	ring = [(polygon[0].lon, polygon[0].lat)]
	for p in polygon[1:]:
		lon = p.lon
		prev = ring[-1][0]
		while lon - prev > 180:
			lon -= 360
		while lon - prev < -180:
			lon += 360
		ring.append((lon, p.lat))
	return ring


def _inside(x: float, y: float, ring: Sequence[tuple[float, float]]) -> bool:
	inside = False
	n = len(ring)
	for i in range(n):
		x1, y1 = ring[i]
		x2, y2 = ring[(i + 1) % n]
		if (y1 > y) != (y2 > y):
			if x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
				inside = not inside
	return inside


def in_polygon(p: Point, polygon: Sequence[Point]) -> bool:
	"""Whether ``p`` lies inside ``polygon`` (even-odd rule; edges are straight lines in longitude/latitude,
	as GeoJSON and Leaflet draw them).

	A polygon that crosses the antimeridian is read the short way round: its longitudes are made continuous
	(no edge is longer than 180° of longitude) and the point is tried at ``lon`` and ``lon ± 360``. Points
	exactly on an edge may fall either side.
	"""
	return polygon_test(polygon)(p.lat, p.lon)


def polygon_test(polygon: Sequence[Point]):
	"""``in_polygon`` prepared for one polygon: a function (lat, lon) -> bool."""
	if len(polygon) < 3:
		raise FieldError("polygon", f"needs at least 3 corners, not {len(polygon)}")
	ring = _unwrapped(polygon)

	def test(lat: float, lon: float) -> bool:
		return _inside(lon, lat, ring) or _inside(lon + 360.0, lat, ring) or _inside(lon - 360.0, lat, ring)

	return test


def polygon_bounds(polygon: Sequence[Point]) -> tuple[float, float, float, float]:
	"""(min_lat, max_lat, min_lon, max_lon) of the polygon's unwrapped ring: min_lon may be below -180 or
	max_lon above 180 when it crosses the antimeridian."""
	ring = _unwrapped(polygon)
	lons = [x for x, _ in ring]
	lats = [y for _, y in ring]
	return min(lats), max(lats), min(lons), max(lons)


def _ring_of(geometry, field: str) -> list:
	kind = geometry.get("type") if isinstance(geometry, dict) else None
	if kind == "Polygon":
		rings = geometry.get("coordinates") or []
		if not rings:
			raise FieldError(field, "the polygon has no coordinates")
		return rings[0]
	if kind == "MultiPolygon":
		polys = geometry.get("coordinates") or []
		if len(polys) != 1 or not polys[0]:
			raise FieldError(field, f"must hold exactly one polygon, not {len(polys)}")
		return polys[0][0]
	raise FieldError(field, f"must be a Polygon, not {kind!r}")


def parse_polygon(geojson_or_list, field: str = "polygon") -> tuple[Point, ...]:
	"""A polygon from a Frappe Geolocation field (GeoJSON FeatureCollection text with one Polygon feature),
	any GeoJSON Polygon/Feature/FeatureCollection (text or dict), or a list of (lat, lon) pairs or Points.

	GeoJSON positions are [lon, lat]; plain lists are (lat, lon). A closing corner equal to the first is
	dropped. Holes are not supported (the first ring is the outline).
	"""
	value = geojson_or_list
	if isinstance(value, (bytes, bytearray)):
		value = value.decode()
	if isinstance(value, str):
		text = value.strip()
		if not text:
			raise FieldError(field, "is empty")
		try:
			value = json.loads(text)
		except ValueError as e:
			raise FieldError(field, f"is not valid GeoJSON: {e}") from None
	if isinstance(value, dict):
		kind = value.get("type")
		if kind == "FeatureCollection":
			polys = [
				f.get("geometry")
				for f in value.get("features") or []
				if isinstance(f, dict)
				and isinstance(f.get("geometry"), dict)
				and f["geometry"].get("type") in ("Polygon", "MultiPolygon")
			]
			if len(polys) != 1:
				raise FieldError(field, f"must hold exactly one polygon, not {len(polys)}")
			ring = _ring_of(polys[0], field)
		elif kind == "Feature":
			ring = _ring_of(value.get("geometry"), field)
		else:
			ring = _ring_of(value, field)
		try:
			points = [Point(lat=float(c[1]), lon=float(c[0])) for c in ring]
		except FieldError:
			raise
		except (TypeError, ValueError, IndexError):
			raise FieldError(field, "has a position that is not [longitude, latitude]") from None
	elif isinstance(value, (list, tuple)):
		points = []
		for item in value:
			if isinstance(item, Point):
				points.append(item)
			else:
				try:
					lat, lon = item
				except (TypeError, ValueError):
					raise FieldError(field, f"corner {item!r} is not a (latitude, longitude) pair") from None
				points.append(Point(lat, lon))
	else:
		raise FieldError(field, f"must be GeoJSON or a list of points, not {type(value).__name__}")
	if len(points) > 1 and points[0] == points[-1]:
		points = points[:-1]
	if len(points) < 3:
		raise FieldError(field, f"needs at least 3 corners, not {len(points)}")
	return tuple(points)
