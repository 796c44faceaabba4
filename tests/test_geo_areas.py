"""geo.areas: the SQL boxes hold every area (antimeridian too); the exact test decides."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.geo.areas import Areas, Circle, Polygon, sql_boxes
from callcenter_app.geo.points import Point, haversine_km, in_polygon

world = st.builds(Point, st.floats(-89, 89), st.floats(-180, 180))


def in_boxes(p, boxes):
	return any(b[0] <= p.lat <= b[1] and b[2] <= p.lon <= b[3] for b in boxes)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(world, st.floats(0.1, 500)), min_size=1, max_size=4), st.lists(world, max_size=60))
def test_every_point_in_a_circle_is_in_a_box(circles, pts):
	areas = [Circle(c, r) for c, r in circles]
	boxes = sql_boxes(areas)
	chosen = Areas(areas)
	for p in pts + [c for c, _ in circles]:
		hit = chosen.nearest(p.lat, p.lon)
		inside = [haversine_km(c, p) for c, r in circles if haversine_km(c, p) <= r]
		assert (hit is not None) == bool(inside)
		if inside:
			assert hit[0] == min(inside)
			assert in_boxes(p, boxes)


@settings(max_examples=150, deadline=None)
@given(st.lists(world, min_size=3, max_size=7), st.lists(world, max_size=60))
def test_every_point_in_a_polygon_is_in_a_box(corners, pts):
	area = Polygon(tuple(corners))
	boxes = sql_boxes([area])
	for p in pts:
		if in_polygon(p, corners):
			assert Areas([area]).nearest(p.lat, p.lon) == (0.0, "")
			assert in_boxes(p, boxes)


def test_polygon_across_the_antimeridian_gives_two_boxes():
	poly = Polygon.parse([(-10, 170), (-10, -170), (10, -170), (10, 170)])
	got = sorted(sql_boxes([poly]))
	assert [round(v, 6) for box in got for v in box] == [-10, 10, -180, -170, -10, 10, 170, 180]


def test_nested_boxes_are_merged():
	boxes = sql_boxes([Circle(Point(50, 10), 20), Circle(Point(50, 10), 5), Circle(Point(50.01, 10.01), 1)])
	assert len(boxes) == 1


def test_bad_areas():
	with pytest.raises(ValueError, match="radius_km"):
		Circle(Point(0, 0), 0)
	with pytest.raises(ValueError, match="radius_km"):
		Circle(Point(0, 0), 5000)
	with pytest.raises(ValueError, match="areas"):
		Areas([])
	with pytest.raises(ValueError, match="zone_map"):
		Polygon.parse("", field="zone_map")
