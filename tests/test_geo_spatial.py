"""geo.spatial: the index answers exactly what a brute-force scan answers, near the antimeridian and poles too."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter_app.geo.points import Point, haversine_km, in_polygon
from callcenter_app.geo.spatial import SpatialIndex

world = st.builds(Point, st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))
# a cluster across the antimeridian, one near the north pole, some everywhere
dateline = st.builds(Point, st.floats(-5, 5), st.one_of(st.floats(175, 180), st.floats(-180, -175)))
polar = st.builds(Point, st.floats(85, 90), st.floats(-180, 180))
anywhere = st.one_of(world, dateline, dateline, polar)
point_sets = st.lists(anywhere, min_size=0, max_size=150)


def items_of(points):
	return [(f"P{i:04d}", p) for i, p in enumerate(points)]


def brute(items, q):
	return sorted((haversine_km(q, p), key) for key, p in items)


def assert_nearest_matches(index, items, q, k):
	got = index.nearest(q, k)
	expected = [(key, d) for d, key in brute(items, q)[:k]]
	assert got == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets, anywhere, st.integers(1, 30), st.floats(0, 3000))
def test_nearest_and_within_equal_brute_force(points, q, k, radius):
	items = items_of(points)
	index = SpatialIndex(items)
	assert len(index) == len(items)
	assert_nearest_matches(index, items, q, k)
	expected = [(key, d) for d, key in brute(items, q) if d <= radius]
	assert index.within(q, radius) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
	point_sets,
	st.lists(anywhere, min_size=3, max_size=8),
)
def test_in_polygon_equals_brute_force(points, corners):
	items = items_of(points)
	index = SpatialIndex(items)
	assert index.in_polygon(corners) == sorted(key for key, p in items if in_polygon(p, corners))


def test_polygon_across_the_antimeridian_and_large_sets():
	import random

	rng = random.Random(7)
	items = [
		(f"C{i}", Point(rng.uniform(-20, 20), rng.choice([rng.uniform(160, 180), rng.uniform(-180, -160)])))
		for i in range(3000)
	]
	index = SpatialIndex(items)
	poly = [Point(-10, 170), Point(-10, -170), Point(10, -170), Point(10, 170)]
	inside = index.in_polygon(poly)
	assert inside == sorted(k for k, p in items if in_polygon(p, poly))
	assert len(inside) > 500
	for _ in range(50):
		q = Point(rng.uniform(-20, 20), rng.choice([179.9, -179.9, 170.0]))
		assert_nearest_matches(index, items, q, 10)
		assert index.within(q, 300) == [(k, d) for d, k in brute(items, q) if d <= 300]


def test_duplicates_and_empty():
	assert SpatialIndex([]).nearest(Point(0, 0), 3) == []
	assert SpatialIndex([]).within(Point(0, 0), 10) == []
	same = [(f"S{i}", Point(1, 1)) for i in range(100)]
	index = SpatialIndex(same)
	assert index.within(Point(1, 1), 0) == [(k, 0.0) for k, _ in sorted(same)]
	assert [d for _, d in index.nearest(Point(1, 1), 5)] == [0.0] * 5


def test_from_arrays_matches_and_validates():
	items = [("a", Point(1, 2)), ("b", Point(-3, 4)), ("c", Point(5, -6))]
	index = SpatialIndex.from_arrays(
		[k for k, _ in items], [p.lat for _, p in items], [p.lon for _, p in items]
	)
	assert index.nearest(Point(0, 0), 3) == SpatialIndex(items).nearest(Point(0, 0), 3)
	with pytest.raises(ValueError, match=r"latitude: 95\.0 is outside"):
		SpatialIndex.from_arrays(["x"], [95.0], [0.0])
	with pytest.raises(ValueError, match="longitude"):
		SpatialIndex.from_arrays(["x"], [5.0], [-181.0])
	with pytest.raises(ValueError, match="differ in length"):
		SpatialIndex.from_arrays(["x"], [5.0, 1.0], [1.0])


def test_bad_queries_name_the_field():
	index = SpatialIndex([("a", Point(1, 2))])
	with pytest.raises(ValueError, match="k: must be a whole number"):
		index.nearest(Point(0, 0), 0)
	with pytest.raises(ValueError, match="radius_km"):
		index.within(Point(0, 0), -1)
	with pytest.raises(ValueError, match="items"):
		SpatialIndex([("a", (1, 2))])
