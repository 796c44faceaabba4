"""Areas to choose contacts in: circles (an agent's zone, or X km around an appointment) and polygons.

The database prefilters by ``sql_boxes`` (latitude/longitude ranges on indexed columns); ``Areas.nearest``
then decides exactly (great-circle distance, point-in-polygon) and says how far the point is from the
nearest circle's centre (0 inside a polygon).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import (
	Point,
	bounding_box,
	haversine_raw,
	lon_ranges,
	parse_polygon,
	polygon_bounds,
	polygon_test,
)

MAX_RADIUS_KM = 1000.0
PAD = 1e-9  # degrees, about 0.1 mm


@dataclass(frozen=True)
class Circle:
	centre: Point
	radius_km: float
	label: str = ""

	def __post_init__(self):
		r = self.radius_km
		if (
			isinstance(r, bool)
			or not isinstance(r, (int, float))
			or not math.isfinite(r)
			or not 0 < r <= MAX_RADIUS_KM
		):
			raise FieldError("radius_km", f"must be more than 0 and at most {MAX_RADIUS_KM:g} km, not {r!r}")


@dataclass(frozen=True)
class Polygon:
	corners: tuple[Point, ...]
	label: str = ""

	@classmethod
	def parse(cls, value, label: str = "", field: str = "polygon") -> Polygon:
		return cls(parse_polygon(value, field=field), label)


Area = Circle | Polygon


def sql_boxes(areas: Iterable[Area]) -> list[tuple[float, float, float, float]]:
	"""(min_lat, max_lat, min_lon, max_lon) boxes, longitudes within -180..180 (an area across the
	antimeridian gives two), that together hold every area."""
	out = []
	for area in areas:
		if isinstance(area, Circle):
			min_lat, max_lat, min_lon, max_lon = bounding_box(area.centre, area.radius_km)
			out += [(min_lat, max_lat, lo, hi) for lo, hi in lon_ranges(min_lon, max_lon)]
		else:
			min_lat, max_lat, min_lon, max_lon = polygon_bounds(area.corners)
			# a hair wider: a point on an edge may be judged inside (rounding), it must not be cut by the box
			min_lat, max_lat, min_lon, max_lon = min_lat - PAD, max_lat + PAD, min_lon - PAD, max_lon + PAD
			if max_lon - min_lon >= 360:
				out.append((min_lat, max_lat, -180.0, 180.0))
				continue
			# unwrapped longitudes may run past ±180: fold them back as one or two ranges
			if min_lon < -180:
				out += [(min_lat, max_lat, min_lon + 360, 180.0), (min_lat, max_lat, -180.0, max_lon)]
			elif max_lon > 180:
				out += [(min_lat, max_lat, min_lon, 180.0), (min_lat, max_lat, -180.0, max_lon - 360)]
			else:
				out.append((min_lat, max_lat, min_lon, max_lon))
	# longitude 180 and -180 are one meridian: a box that reaches one also takes rows stored as the other
	seam = [(b[0], b[1], 180.0, 180.0) for b in out if b[2] <= -180 and b[3] < 180]
	seam += [(b[0], b[1], -180.0, -180.0) for b in out if b[3] >= 180 and b[2] > -180]
	return merge_boxes(
		[(max(b[0], -90.0), min(b[1], 90.0), max(b[2], -180.0), min(b[3], 180.0)) for b in out + seam]
	)


def merge_boxes(
	boxes: Sequence[tuple[float, float, float, float]],
) -> list[tuple[float, float, float, float]]:
	"""Drop boxes that lie inside another one (many appointments close together give nested boxes)."""
	kept: list[tuple[float, float, float, float]] = []
	for box in sorted(boxes, key=lambda b: -(b[1] - b[0]) * (b[3] - b[2])):
		if not any(k[0] <= box[0] and box[1] <= k[1] and k[2] <= box[2] and box[3] <= k[3] for k in kept):
			kept.append(box)
	return kept


class Areas:
	"""Several areas: ``nearest(lat, lon)`` → (km to the nearest circle's centre, or 0.0 inside a polygon;
	the label of that area) for a point inside any of them, else None."""

	def __init__(self, areas: Iterable[Area]):
		self.areas = list(areas)
		if not self.areas:
			raise FieldError("areas", "at least one area is needed")
		self._circles = [
			(a.centre.lat, a.centre.lon, a.radius_km, a.label) for a in self.areas if isinstance(a, Circle)
		]
		self._polygons = [(polygon_test(a.corners), a.label) for a in self.areas if isinstance(a, Polygon)]

	def nearest(self, lat: float, lon: float) -> tuple[float, str] | None:
		best = None
		for test, label in self._polygons:
			if test(lat, lon):
				return 0.0, label
		for c_lat, c_lon, radius, label in self._circles:
			d = haversine_raw(c_lat, c_lon, lat, lon)
			if d <= radius and (best is None or d < best[0]):
				best = (d, label)
		return best
