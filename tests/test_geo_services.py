"""geo.geocode, geo.travel.OsrmTravel and geo.ical against real peers: loopback HTTP servers answering
Nominatim's and OSRM's JSON (so geopy's and urllib's real code runs), and icalendar parsing the feed back."""

from datetime import datetime, timezone

import icalendar
import pytest
from http_peer import closed_port_url, serve

from callcenter_app.geo.geocode import (
	NOT_FOUND,
	AddressNotFound,
	Geocoder,
	GeocodeResult,
	GeocoderUnavailable,
	normalise_address,
)
from callcenter_app.geo.ical import CalendarEvent, render_calendar
from callcenter_app.geo.points import Point
from callcenter_app.geo.travel import OsrmTravel, TravelProfile, TravelUnavailable, travel_minutes

BERLIN = [
	{
		"place_id": 1,
		"lat": "52.5170365",
		"lon": "13.3888599",
		"display_name": "Berlin, Deutschland",
		"boundingbox": ["52.3", "52.6", "13.0", "13.7"],
		"class": "boundary",
		"type": "administrative",
		"importance": 0.9,
	}
]


def nominatim(path, query):
	q = query.get("q", "")
	if path != "/search":
		return 404, {"error": "unknown path"}, 0
	if "berlin" in q:
		return 200, BERLIN, 0
	if "broken" in q:
		return 500, b"<html>Internal Server Error</html>", 0
	if "slow" in q:
		return 200, BERLIN, 2.0
	return 200, [], 0


class FakeClock:
	def __init__(self):
		self.now = 100.0
		self.sleeps = []

	def __call__(self):
		return self.now

	def sleep(self, s):
		self.sleeps.append(s)
		self.now += s


def geocoder(url, **kw):
	clock = FakeClock()
	kw.setdefault("clock", clock)
	kw.setdefault("sleep", clock.sleep)
	return Geocoder(url, "callcenter_app tests", **kw), clock


def test_found_address_goes_through_geopy_and_is_cached():
	with serve(nominatim) as (url, seen):
		g, _ = geocoder(url)
		result = g.geocode("  Unter den Linden 1,\n  BERLIN ")
		assert result == GeocodeResult(Point(52.5170365, 13.3888599), "Berlin, Deutschland")
		assert len(seen) == 1
		path, query = seen[0]
		assert path == "/search" and query["q"] == "unter den linden 1, berlin" and query["format"] == "json"
		assert query["_user_agent"] == "callcenter_app tests"
		# a cache hit makes no request, however the address is spelt
		assert g.geocode("unter den linden 1 , Berlin") == result
		assert len(seen) == 1 and g.requests == 1


def test_unknown_address_raises_and_the_miss_is_cached():
	with serve(nominatim) as (url, seen):
		g, _ = geocoder(url)
		with pytest.raises(AddressNotFound, match="Nowhere Street"):
			g.geocode("Nowhere Street 99")
		assert g.cache[normalise_address("Nowhere Street 99")] == NOT_FOUND
		with pytest.raises(AddressNotFound):
			g.geocode("nowhere street 99")
		assert len(seen) == 1


@pytest.mark.parametrize("address", ["broken street", "slow street"])
def test_server_errors_and_timeouts_raise_unavailable_and_are_not_cached(address):
	with serve(nominatim) as (url, _seen):
		g, _ = geocoder(url, timeout=0.5)
		with pytest.raises(GeocoderUnavailable):
			g.geocode(address)
		assert g.cache == {}


def test_server_down_raises_unavailable():
	g, _ = geocoder(closed_port_url())
	with pytest.raises(GeocoderUnavailable, match="did not answer"):
		g.geocode("berlin")


def test_rate_limit_spaces_requests_with_the_injected_clock():
	with serve(nominatim) as (url, seen):
		g, clock = geocoder(url, min_interval_s=1.0)
		g.geocode("berlin a")
		g.geocode("berlin b")  # at once: waits a second
		clock.now += 0.25
		g.geocode("berlin c")  # a quarter second later: waits the rest
		clock.now += 5
		g.geocode("berlin d")  # long after: no wait
		g.geocode("berlin a")  # cached: no request, no wait
		assert clock.sleeps == [1.0, 0.75]
		assert len(seen) == 4


def test_geocoder_refuses_bad_configuration():
	with pytest.raises(ValueError, match="url"):
		Geocoder("ftp://x", "app")
	with pytest.raises(ValueError, match="user_agent"):
		Geocoder("https://nominatim.example", " ")
	with pytest.raises(ValueError, match="address: is empty"):
		Geocoder("https://nominatim.example", "app").geocode(" , ")


def test_normalise_address():
	assert normalise_address("  10  Downing St.\nLONDON ,SW1A 2AA ") == "10 downing st., london, sw1a 2aa"
	assert normalise_address("Straße 1;;Köln") == normalise_address("STRASSE 1, köln")


# -- OSRM ---------------------------------------------------------------------------------------------------

A, B = Point(52.5, 13.4), Point(52.52, 13.45)
PROFILE = TravelProfile()


def osrm(path, query):
	if path.startswith("/route/v1/driving/"):
		coords = path.rsplit("/", 1)[1]
		if coords.startswith("0.000000"):
			return 400, {"code": "NoRoute", "message": "Impossible route between points"}, 0
		return 200, {"code": "Ok", "routes": [{"duration": 754.2, "distance": 5210.3}], "waypoints": []}, 0
	if path.startswith("/table/v1/driving/"):
		n = len(path.rsplit("/", 1)[1].split(";"))
		return (
			200,
			{
				"code": "Ok",
				"durations": [[0 if i == j else 60.0 * (i + j) for j in range(n)] for i in range(n)],
			},
			0,
		)
	return 500, b"oops", 0


def test_osrm_route_minutes_and_cache():
	with serve(osrm) as (url, seen):
		t = OsrmTravel(url)
		assert t(A, B, PROFILE) == pytest.approx(754.2 / 60)
		assert t(A, B, PROFILE) == pytest.approx(754.2 / 60)
		assert len(seen) == 1 and seen[0][0] == "/route/v1/driving/13.400000,52.500000;13.450000,52.520000"
		assert seen[0][1]["overview"] == "false"


def test_osrm_table_fills_the_cache():
	with serve(osrm) as (url, seen):
		t = OsrmTravel(url)
		pts = [A, B, Point(52.6, 13.5)]
		m = t.matrix(pts)
		assert m[0][2] == 2.0 and m[2][1] == 3.0
		assert t(pts[2], pts[1], PROFILE) == 3.0
		assert len(seen) == 1


def test_osrm_no_route_and_down_fall_back_or_raise():
	with serve(osrm) as (url, _):
		t = OsrmTravel(url)
		a = Point(0.0000001, 0)
		assert t(a, B, PROFILE) == travel_minutes(a, B, PROFILE) and t.failures == 1
		strict = OsrmTravel(url, fallback=None)
		with pytest.raises(TravelUnavailable, match="NoRoute"):
			strict(a, B, PROFILE)
	down = OsrmTravel(closed_port_url(), timeout=1)
	assert down(A, B, PROFILE) == travel_minutes(A, B, PROFILE)
	with pytest.raises(TravelUnavailable, match="did not answer"):
		OsrmTravel(closed_port_url(), fallback=None)(A, B, PROFILE)


def test_osrm_refuses_bad_configuration():
	with pytest.raises(ValueError, match="base_url"):
		OsrmTravel("localhost:5000")
	with pytest.raises(ValueError, match="timeout"):
		OsrmTravel("http://localhost:5000", timeout=0)


def test_osrm_travel_drives_the_scheduler():
	from datetime import datetime as dt

	from callcenter_app.geo.schedule import AgentDay, Shift, Visit, check

	with serve(osrm) as (url, _):
		t = OsrmTravel(url)
		day = AgentDay("A", A, PROFILE, (Shift(dt(2026, 12, 7, 8), dt(2026, 12, 7, 17)),), ())
		day = day.with_visit(Visit("V1", dt(2026, 12, 7, 9), 60, B))
		# OSRM says 12.57 minutes A↔B: 10:00 + 12.57 + 10 buffer > 10:20
		r = check(day, Visit("V2", dt(2026, 12, 7, 10, 20), 30, A), travel=t)
		assert r is not None and r.conflicting == "V1" and r.minutes_missing == 3


# -- iCalendar ----------------------------------------------------------------------------------------------


def test_calendar_parses_back_with_local_times_and_vtimezone():
	events = [
		CalendarEvent(
			"APT-0007@cc.example",
			datetime(2026, 3, 29, 14, 0),  # the day Berlin moves to summer time
			datetime(2026, 3, 29, 15, 30),
			"Boiler service – Müller",
			"Unter den Linden 1, Berlin",
			"Call before arriving; code 1234",
			url="https://cc.example/app/cc-appointment/APT-0007",
			status="confirmed",
		),
		CalendarEvent(
			"APT-0008@cc.example", datetime(2026, 12, 4, 9), datetime(2026, 12, 4, 10), "Visit", None, None
		),
	]
	data = render_calendar(
		events, "Anna's appointments", "Europe/Berlin", now=datetime(2026, 1, 1, tzinfo=timezone.utc)
	)
	assert data.startswith(b"BEGIN:VCALENDAR\r\n")
	cal = icalendar.Calendar.from_ical(data)
	assert str(cal["x-wr-calname"]) == "Anna's appointments"
	assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
	vevents = cal.walk("VEVENT")
	assert [str(e["uid"]) for e in vevents] == ["APT-0007@cc.example", "APT-0008@cc.example"]
	first = vevents[0]
	start = first.decoded("dtstart")
	assert start.replace(tzinfo=None) == datetime(2026, 3, 29, 14) and str(start.tzinfo) == "Europe/Berlin"
	assert start.utcoffset().total_seconds() == 2 * 3600  # summer time
	assert str(first["summary"]) == "Boiler service – Müller"
	assert str(first["location"]) == "Unter den Linden 1, Berlin"
	assert str(first["status"]) == "CONFIRMED"
	assert "location" not in vevents[1]


@pytest.mark.parametrize(
	"event, tz, match",
	[
		(
			CalendarEvent("u", datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 9), "s", None, None),
			"UTC",
			"end: of u",
		),
		(
			CalendarEvent(
				"u", datetime(2026, 1, 1, 10, tzinfo=timezone.utc), datetime(2026, 1, 1, 11), "s", None, None
			),
			"UTC",
			"start: of u must be a naive",
		),
		(
			CalendarEvent("", datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11), "s", None, None),
			"UTC",
			"uid",
		),
		(
			CalendarEvent("u", datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11), "s", None, None),
			"Mars/Base",
			"tz_name",
		),
		(
			CalendarEvent(
				"u", datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11), "s", None, None, status="maybe"
			),
			"UTC",
			"status",
		),
	],
)
def test_calendar_refuses_bad_events(event, tz, match):
	with pytest.raises(ValueError, match=match):
		render_calendar([event], "x", tz)
