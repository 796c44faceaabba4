"""The pure rules of field agents and appointments (callcenter_app/field/__init__.py)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.field import rules

SQUARE = {
	"type": "FeatureCollection",
	"features": [
		{
			"type": "Feature",
			"properties": {},
			"geometry": {
				"type": "Polygon",
				"coordinates": [[[25.0, 54.0], [26.0, 54.0], [26.0, 55.0], [25.0, 55.0], [25.0, 54.0]]],
			},
		}
	],
}


def test_first_point_reads_lon_lat_order():
	value = rules.point_geojson(54.6872, 25.2797, "home")
	assert rules.first_point(value) == (54.6872, 25.2797)
	assert json.loads(value)["features"][0]["geometry"]["coordinates"] == [25.2797, 54.6872]


@pytest.mark.parametrize(
	"value",
	[
		None,
		"",
		"{}",
		"[]",
		json.dumps(SQUARE),
		'{"type": "Point", "coordinates": [200, 10]}',
		'{"type": "Point"}',
	],
)
def test_first_point_none_for_anything_else(value):
	assert rules.first_point(value) is None


def test_first_point_of_a_bare_geometry_and_garbage():
	assert rules.first_point('{"type": "Point", "coordinates": [25, 54]}') == (54.0, 25.0)
	assert rules.first_point("not json") is None  # a broken map value is no marker


def test_first_polygon_drops_the_closing_corner():
	assert rules.first_polygon(json.dumps(SQUARE)) == [(54.0, 25.0), (54.0, 26.0), (55.0, 26.0), (55.0, 25.0)]
	assert rules.first_polygon(rules.point_geojson(54, 25)) is None


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_point_round_trip(lat, lon):
	assert rules.first_point(rules.point_geojson(lat, lon)) == (lat, lon)


def test_coordinates():
	assert rules.coordinates("latitude", 0, 0) is None
	assert rules.coordinates("latitude", None, None) is None
	assert rules.coordinates("latitude", "54.5", 25) == (54.5, 25.0)
	with pytest.raises(FieldError, match="latitude must be from -90 to 90"):
		rules.coordinates("latitude", 91, 25)
	with pytest.raises(FieldError, match="longitude must be from -180 to 180"):
		rules.coordinates("latitude", 54, 181)


def good_agent(**values):
	return {"speed_kmh": 40, "road_factor": 1.3, "buffer_minutes": 10, "zone_type": "None", **values}


def test_check_agent():
	assert rules.check_agent(good_agent()) == []
	fields = [e.field for e in rules.check_agent(good_agent(speed_kmh=0, road_factor=0.8, buffer_minutes=-1))]
	assert fields == ["speed_kmh", "road_factor", "buffer_minutes"]
	circle = rules.check_agent(good_agent(zone_type="Circle", zone_radius_km=0))
	assert [e.field for e in circle] == ["zone_radius_km", "zone_latitude"]
	assert (
		rules.check_agent(
			good_agent(zone_type="Circle", zone_radius_km=5, home_latitude=54, home_longitude=25)
		)
		== []
	)
	assert [e.field for e in rules.check_agent(good_agent(zone_type="Polygon"))] == ["zone_map"]
	assert rules.check_agent(good_agent(zone_type="Polygon", zone_map=json.dumps(SQUARE))) == []


def test_agent_changes():
	before = {
		"status": "Booked",
		"start": datetime(2027, 1, 4, 9),
		"notes": None,
		"latitude": 54.0,
		"campaign": None,
	}
	after = {**before, "status": "Done", "notes": "signed", "start": "2027-01-04 09:00:00", "campaign": ""}
	assert rules.agent_changes(before, after, before.keys()) == []
	moved = {**after, "start": "2027-01-04 10:00:00", "latitude": 54.1}
	assert rules.agent_changes(before, moved, before.keys()) == ["start", "latitude"]


def test_token_is_long_and_only_its_hash_is_kept():
	token = rules.new_token()
	assert len(token) >= 43
	assert rules.token_hash(token) == rules.token_hash(token)
	assert rules.token_hash(token) != token and len(rules.token_hash(token)) == 64
	assert rules.new_token() != token


def test_field_settings():
	assert rules.check_field_settings({"has_field_agents": 0, "geocoder_url": "nonsense"}) == []
	ok = {
		"has_field_agents": 1,
		"geocoder_url": "https://nominatim.openstreetmap.org",
		"geocoder_user_agent": "cc",
	}
	assert rules.check_field_settings(ok) == []
	errors = rules.check_field_settings(
		{
			**ok,
			"geocoder_url": "ftp://x",
			"osrm_url": "localhost:5000",
			"geocoder_user_agent": " ",
			"geocoder_min_interval": -1,
		}
	)
	assert [e.field for e in errors] == [
		"geocoder_url",
		"osrm_url",
		"geocoder_user_agent",
		"geocoder_min_interval",
	]
	assert "http:// or https://" in errors[0].reason
	assert [e.field for e in rules.check_field_settings({**ok, "geocoder_url": ""})] == ["geocoder_url"]
