"""An in-memory spatial index over named points: k nearest, within a radius, inside a polygon.

A k-d tree over the points' unit vectors on the sphere (x, y, z). The straight-line (chord) distance between
two unit vectors grows with the great-circle distance, so the nearest in 3D are the nearest on the Earth;
there is no seam at the antimeridian and no squeeze at the poles (a latitude/longitude grid has both). Answers
are measured with ``points.haversine_km`` and equal a brute-force scan: the tree only prunes, with a margin.

Pure Python (the app ships no numpy): the tree is implicit — one permutation of the points, sorted so that
each node's half lies on one side of its median, with the split axis and value per node in flat arrays —
which keeps 1,000,000 points in about 50 MB besides their ids. Figures in benchmarks/RESULTS.md. No library
is used: scipy's cKDTree and scikit-learn need numpy (neither the app nor Frappe depends on it), rtree needs
the libspatialindex C library, and a tree of one Python object per node takes several times the memory.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Sequence

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import (
	EARTH_RADIUS_KM,
	Point,
	haversine_raw,
	polygon_bounds,
	polygon_test,
)

LEAF_SIZE = 24


def _chord2(km: float) -> float:
	"""The squared chord of a great-circle distance, a hair larger so rounding never prunes a point."""
	angle = min(km / EARTH_RADIUS_KM, math.pi)
	return (2 * math.sin(angle / 2)) ** 2 * (1 + 1e-9) + 1e-15


def _range_of(f, lo: float, hi: float, extremes: Iterable[float]) -> tuple[float, float]:
	values = [f(lo), f(hi)]
	for e in extremes:
		if lo <= e <= hi:
			values.append(f(e))
	return min(values), max(values)


def _box3d(min_lat, max_lat, min_lon, max_lon) -> tuple[tuple[float, float], ...]:
	"""A 3D box holding the unit vectors of every point in the latitude/longitude rectangle (degrees;
	longitudes may run past ±180 for a rectangle across the antimeridian)."""
	pad = 1e-9
	z = (math.sin(math.radians(min_lat)) - pad, math.sin(math.radians(max_lat)) + pad)
	c_lo = min(math.cos(math.radians(min_lat)), math.cos(math.radians(max_lat)))
	c_hi = (
		1.0
		if min_lat <= 0 <= max_lat
		else max(math.cos(math.radians(min_lat)), math.cos(math.radians(max_lat)))
	)
	if max_lon - min_lon >= 360:
		cos_r = sin_r = (-1.0, 1.0)
	else:
		lo, hi = math.radians(min_lon), math.radians(max_lon)
		turns = range(math.floor(lo / math.pi) - 1, math.ceil(hi / math.pi) + 2)
		cos_r = _range_of(math.cos, lo, hi, [k * math.pi for k in turns])
		sin_r = _range_of(math.sin, lo, hi, [k * math.pi + math.pi / 2 for k in turns])

	def product(a, b):
		values = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
		return min(values) - pad, max(values) + pad

	return product((c_lo, c_hi), cos_r), product((c_lo, c_hi), sin_r), z


class SpatialIndex:
	"""``SpatialIndex([(id, Point), …])``; ``nearest(p, k)``, ``within(p, radius_km)`` → [(id, km)] nearest
	first (ties by id); ``in_polygon(polygon)`` → [id] (sorted). Read-only once built."""

	def __init__(self, items: Iterable[tuple[str, Point]]):
		ids: list[str] = []
		lats = array("d")
		lons = array("d")
		for item in items:
			try:
				key, point = item
			except (TypeError, ValueError):
				raise FieldError("items", f"must be (id, Point) pairs, not {item!r}") from None
			if not isinstance(point, Point):
				raise FieldError("items", f"{key!r} has no Point: {point!r}")
			ids.append(key)
			lats.append(point.lat)
			lons.append(point.lon)
		self._build(ids, lats, lons)

	@classmethod
	def from_arrays(cls, ids: Sequence[str], lats: Sequence[float], lons: Sequence[float]) -> SpatialIndex:
		"""The same index from parallel sequences (no Point per row: faster for a million rows)."""
		if not len(ids) == len(lats) == len(lons):
			raise FieldError(
				"ids", f"ids, lats and lons differ in length ({len(ids)}, {len(lats)}, {len(lons)})"
			)
		la = array("d", lats)
		lo = array("d", lons)
		if la and not (-90 <= min(la) and max(la) <= 90):
			raise FieldError("latitude", f"{min(la) if min(la) < -90 else max(la)!r} is outside -90..90")
		if lo and not (-180 <= min(lo) and max(lo) <= 180):
			raise FieldError("longitude", f"{min(lo) if min(lo) < -180 else max(lo)!r} is outside -180..180")
		if any(v != v for v in la) or any(v != v for v in lo):
			raise FieldError("latitude", "a coordinate is not a number (NaN)")
		self = cls.__new__(cls)
		self._build(list(ids), la, lo)
		return self

	def __len__(self) -> int:
		return len(self._ids)

	def _build(self, ids: list[str], lats: array, lons: array) -> None:
		n = len(ids)
		rad = math.radians
		cos, sin = math.cos, math.sin
		xs = [0.0] * n  # lists while building: their items are the float objects (an array boxes a new one
		ys = [0.0] * n  # on every read, which the sorts below would do 20 million times)
		zs = [0.0] * n
		for i in range(n):
			la, lo = rad(lats[i]), rad(lons[i])
			c = cos(la)
			xs[i] = c * cos(lo)
			ys[i] = c * sin(lo)
			zs[i] = sin(la)
		coords = (xs, ys, zs)
		perm = list(range(n))
		size = 1
		while size * LEAF_SIZE < n:
			size *= 2
		self._axis = array("b", bytes(2 * size + 2))
		self._split = array("d", bytes(8 * (2 * size + 2)))
		stack = [(1, 0, n)]
		while stack:
			node, lo, hi = stack.pop()
			if hi - lo <= LEAF_SIZE:
				continue
			sub = perm[lo:hi]
			sample = sub[:: max(1, (hi - lo) // 256)]  # the widest axis, judged on a sample
			best_axis, best_spread = 0, -1.0
			for a, c in enumerate(coords):
				values = list(map(c.__getitem__, sample))
				spread = max(values) - min(values)
				if spread > best_spread:
					best_axis, best_spread = a, spread
			key = coords[best_axis].__getitem__
			sub.sort(key=key)
			perm[lo:hi] = sub
			mid = (lo + hi) // 2
			self._axis[node] = best_axis
			self._split[node] = key(sub[mid - lo])
			stack.append((2 * node, lo, mid))
			stack.append((2 * node + 1, mid, hi))
		self._ids = [ids[i] for i in perm]
		self._lats = array("d", map(lats.__getitem__, perm))
		self._lons = array("d", map(lons.__getitem__, perm))
		self._xyz = tuple(array("d", map(c.__getitem__, perm)) for c in coords)

	@staticmethod
	def _unit(p: Point) -> tuple[float, float, float]:
		la, lo = math.radians(p.lat), math.radians(p.lon)
		return math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)

	def _answer(self, p: Point, positions: Iterable[int]) -> list[tuple[str, float]]:
		lats, lons, ids = self._lats, self._lons, self._ids
		out = [(haversine_raw(p.lat, p.lon, lats[i], lons[i]), ids[i]) for i in positions]
		out.sort()
		return [(key, km) for km, key in out]

	def nearest(self, p: Point, k: int = 1) -> list[tuple[str, float]]:
		"""The ``k`` points nearest to ``p`` as (id, km), nearest first."""
		if not isinstance(p, Point):
			raise FieldError("point", f"must be a Point, not {p!r}")
		if isinstance(k, bool) or not isinstance(k, int) or k < 1:
			raise FieldError("k", f"must be a whole number of 1 or more, not {k!r}")
		n = len(self._ids)
		if n == 0:
			return []
		k = min(k, n)
		q = self._unit(p)
		qx, qy, qz = q
		xs, ys, zs = self._xyz
		axis, split = self._axis, self._split
		best: list[tuple[float, int]] = []  # max-heap of (-d2, position)
		worst = math.inf
		stack = [(0.0, 1, 0, n)]
		push, pop = stack.append, stack.pop
		while stack:
			bound, node, lo, hi = pop()
			if bound > worst:
				continue
			if hi - lo <= LEAF_SIZE:
				for i in range(lo, hi):
					dx = xs[i] - qx
					dy = ys[i] - qy
					dz = zs[i] - qz
					d2 = dx * dx + dy * dy + dz * dz
					if len(best) < k:
						heapq.heappush(best, (-d2, i))
						if len(best) == k:
							worst = -best[0][0]
					elif d2 < worst:
						heapq.heapreplace(best, (-d2, i))
						worst = -best[0][0]
				continue
			mid = (lo + hi) // 2
			diff = q[axis[node]] - split[node]
			far = diff * diff
			if diff < 0:  # the query is on the low side: visit it first (pushed last)
				if far <= worst:
					push((far, 2 * node + 1, mid, hi))
				push((0.0, 2 * node, lo, mid))
			else:
				if far <= worst:
					push((far, 2 * node, lo, mid))
				push((0.0, 2 * node + 1, mid, hi))
		# the k nearest by chord; a second pass takes every point as near as the k-th (ties, rounding), so
		# the answer is the brute force's: nearest by haversine_km, ties by id
		return self._answer(p, self._ball(p, worst * (1 + 1e-9) + 1e-15))[:k]

	def _ball(self, p: Point, r2: float) -> list[int]:
		n = len(self._ids)
		q = self._unit(p)
		qx, qy, qz = q
		xs, ys, zs = self._xyz
		axis, split = self._axis, self._split
		found = []
		stack = [(1, 0, n)]
		while stack:
			node, lo, hi = stack.pop()
			if hi - lo <= LEAF_SIZE:
				for i in range(lo, hi):
					dx = xs[i] - qx
					dy = ys[i] - qy
					dz = zs[i] - qz
					if dx * dx + dy * dy + dz * dz <= r2:
						found.append(i)
				continue
			mid = (lo + hi) // 2
			diff = q[axis[node]] - split[node]
			if diff <= 0 or diff * diff <= r2:
				stack.append((2 * node, lo, mid))
			if diff >= 0 or diff * diff <= r2:
				stack.append((2 * node + 1, mid, hi))
		return found

	def within(self, p: Point, radius_km: float) -> list[tuple[str, float]]:
		"""Every point at most ``radius_km`` from ``p`` as (id, km), nearest first."""
		if not isinstance(p, Point):
			raise FieldError("point", f"must be a Point, not {p!r}")
		if isinstance(radius_km, bool) or not isinstance(radius_km, (int, float)) or not radius_km >= 0:
			raise FieldError("radius_km", f"must be a distance of 0 km or more, not {radius_km!r}")
		if not self._ids:
			return []
		lats, lons = self._lats, self._lons
		hits = [
			i
			for i in self._ball(p, _chord2(radius_km))
			if haversine_raw(p.lat, p.lon, lats[i], lons[i]) <= radius_km
		]
		return self._answer(p, hits)

	def _box(self, box) -> list[int]:
		n = len(self._ids)
		xs, ys, zs = self._xyz
		(x0, x1), (y0, y1), (z0, z1) = box
		axis, split = self._axis, self._split
		found = []
		stack = [(1, 0, n)]
		while stack:
			node, lo, hi = stack.pop()
			if hi - lo <= LEAF_SIZE:
				for i in range(lo, hi):
					if x0 <= xs[i] <= x1 and y0 <= ys[i] <= y1 and z0 <= zs[i] <= z1:
						found.append(i)
				continue
			mid = (lo + hi) // 2
			a = axis[node]
			s = split[node]
			if box[a][0] <= s:
				stack.append((2 * node, lo, mid))
			if box[a][1] >= s:
				stack.append((2 * node + 1, mid, hi))
		return found

	def in_polygon(self, polygon: Sequence[Point]) -> list[str]:
		"""The ids of the points inside ``polygon`` (as ``points.in_polygon`` judges), sorted."""
		test = polygon_test(polygon)
		if not self._ids:
			return []
		box = _box3d(*polygon_bounds(polygon))
		lats, lons, ids = self._lats, self._lons, self._ids
		return sorted(ids[i] for i in self._box(box) if test(lats[i], lons[i]))
