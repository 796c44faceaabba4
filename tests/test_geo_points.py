"""geo.points: Point validation, haversine, bounding boxes (poles, antimeridian), polygons."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.geo.points import (
	Point,
	bounding_box,
	haversine_km,
	in_polygon,
	lon_ranges,
	parse_polygon,
)

lats = st.floats(-90, 90, allow_nan=False)
lons = st.floats(-180, 180, allow_nan=False)
points = st.builds(Point, lats, lons)


@pytest.mark.parametrize(
	"lat, lon, field, text",
	[
		(91.0, 0, "latitude", "latitude: 91.0 is outside -90..90"),
		(-90.5, 0, "latitude", "latitude: -90.5 is outside -90..90"),
		(0, 180.01, "longitude", "longitude: 180.01 is outside -180..180"),
		(float("nan"), 0, "latitude", "latitude: is not a number (NaN)"),
		(0, float("inf"), "longitude", "longitude: inf is outside -180..180"),
		("north", 0, "latitude", "latitude: must be a number, not 'north'"),
		(None, 0, "latitude", "latitude: must be a number, not None"),
	],
)
def test_point_refuses_bad_coordinates_naming_the_field(lat, lon, field, text):
	with pytest.raises(ValueError) as e:
		Point(lat, lon)
	assert e.value.field == field
	assert str(e.value) == text


def test_point_accepts_numeric_text_and_ints():
	assert Point("52.5", 13) == Point(52.5, 13.0)


def test_haversine_known_distances():
	# Paris → London, about 343.5 km great-circle
	assert haversine_km(Point(48.8566, 2.3522), Point(51.5074, -0.1278)) == pytest.approx(343.5, abs=1.0)
	# a quarter of the equator
	assert haversine_km(Point(0, 0), Point(0, 90)) == pytest.approx(math.pi / 2 * 6371.0088)
	# across the antimeridian the short way
	assert haversine_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.195, abs=0.01)
	assert haversine_km(Point(90, 0), Point(-90, 0)) == pytest.approx(math.pi * 6371.0088)


@settings(max_examples=300, deadline=None)
@given(points, points)
def test_haversine_symmetric_and_bounded(a, b):
	d = haversine_km(a, b)
	assert d == pytest.approx(haversine_km(b, a), abs=1e-9)
	assert 0 <= d <= math.pi * 6371.0088 + 1e-6


def _in_box(p: Point, box) -> bool:
	min_lat, max_lat, min_lon, max_lon = box
	return min_lat <= p.lat <= max_lat and any(lo <= p.lon <= hi for lo, hi in lon_ranges(min_lon, max_lon))


@settings(max_examples=400, deadline=None)
@given(points, st.floats(0, 5000), st.floats(0, 1), st.floats(0, 360))
def test_every_point_within_the_radius_is_in_the_bounding_box(centre, radius, fraction, bearing):
	"""Walk from the centre along a bearing up to the radius: the point reached is always inside the box."""
	d = radius * fraction / 6371.0088
	lat1, lon1, b = math.radians(centre.lat), math.radians(centre.lon), math.radians(bearing)
	lat2 = math.asin(
		max(-1.0, min(1.0, math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b)))
	)
	lon2 = lon1 + math.atan2(
		math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
	)
	lon2 = (math.degrees(lon2) + 540) % 360 - 180
	p = Point(max(-90.0, min(90.0, math.degrees(lat2))), lon2)
	if haversine_km(centre, p) <= radius:
		assert _in_box(p, bounding_box(centre, radius)), (p, bounding_box(centre, radius))


def test_bounding_box_near_the_antimeridian_wraps():
	min_lat, max_lat, min_lon, max_lon = bounding_box(Point(0, 179.9), 50)
	assert min_lon > max_lon  # two ranges
	assert lon_ranges(min_lon, max_lon) == [(min_lon, 180.0), (-180.0, max_lon)]
	assert _in_box(Point(0, -179.9), (min_lat, max_lat, min_lon, max_lon))


def test_bounding_box_reaching_a_pole_spans_all_longitudes():
	box = bounding_box(Point(89.9, 10), 50)
	assert box[1] == 90.0 and box[2:] == (-180.0, 180.0)


def test_bounding_box_refuses_a_negative_radius():
	with pytest.raises(ValueError, match="radius_km"):
		bounding_box(Point(0, 0), -1)


SQUARE = (Point(0, 0), Point(0, 10), Point(10, 10), Point(10, 0))


def test_in_polygon_square_and_concave():
	assert in_polygon(Point(5, 5), SQUARE)
	assert not in_polygon(Point(5, 11), SQUARE)
	# a U shape: the notch is outside
	u = [
		Point(0, 0),
		Point(0, 3),
		Point(3, 3),
		Point(3, 2),
		Point(1, 2),
		Point(1, 1),
		Point(3, 1),
		Point(3, 0),
	]
	assert in_polygon(Point(0.5, 1.5), u)
	assert not in_polygon(Point(2, 1.5), u)


def test_in_polygon_across_the_antimeridian():
	poly = [Point(-10, 170), Point(-10, -170), Point(10, -170), Point(10, 170)]
	assert in_polygon(Point(0, 179.5), poly)
	assert in_polygon(Point(0, -175), poly)
	assert not in_polygon(Point(0, 0), poly)
	assert not in_polygon(Point(0, 160), poly)


def test_parse_polygon_from_a_frappe_geolocation_value():
	value = json.dumps(
		{
			"type": "FeatureCollection",
			"features": [
				{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [2, 48]}},
				{
					"type": "Feature",
					"properties": {},
					"geometry": {
						"type": "Polygon",
						"coordinates": [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]],
					},
				},
			],
		}
	)
	assert parse_polygon(value) == (Point(48, 2), Point(48, 3), Point(49, 3), Point(49, 2))


def test_parse_polygon_from_pairs():
	assert parse_polygon([(0, 0), (0, 1), (1, 1)]) == (Point(0, 0), Point(0, 1), Point(1, 1))


@pytest.mark.parametrize(
	"value, reason",
	[
		("", "is empty"),
		("{not json", "is not valid GeoJSON"),
		('{"type": "FeatureCollection", "features": []}', "exactly one polygon, not 0"),
		('{"type": "Point", "coordinates": [1, 2]}', "must be a Polygon, not 'Point'"),
		('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}', "at least 3 corners, not 2"),
		('{"type": "Polygon", "coordinates": [[[0, 95], [1, 1], [2, 0]]]}', "latitude: 95.0 is outside"),
		([(0, 0), "x", (1, 1)], "is not a (latitude, longitude) pair"),
		(42, "must be GeoJSON or a list of points"),
	],
)
def test_parse_polygon_refuses_bad_input(value, reason):
	with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
		parse_polygon(value, field="zone_polygon")
