# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for field agents and appointments (field/service.py, api/field.py): who sees which
appointment through every door, booking and its refusals, two operators booking one agent's day at once,
reassignment by a supervisor, geocoding against loopback servers (a closed port; a Nominatim-like peer),
and the iCal feed parsed by the icalendar package."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import frappe
import icalendar
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import field as api
from callcenter_app.field import service
from callcenter_app.test_utils import make_campaign, make_contact, make_user

DAY = dt.date(2027, 1, 4)  # a Monday
HOME_A = (54.6872, 25.2797)  # Vilnius old town
HOME_B = (54.7200, 25.2200)
NEAR = (54.6900, 25.2900)  # ~1 km from HOME_A
FAR = (54.8985, 23.9036)  # Kaunas, ~90 km away

FA1 = "cc-fa1@field.test"
FA2 = "cc-fa2@field.test"
OP1 = "cc-op1@field.test"
OP2 = "cc-op2@field.test"
SUP = "cc-sup@field.test"
SLA = "CC Field Test Hours"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> str:
	return f"{day} {hour:02d}:{minute:02d}:00"


def messages() -> str:
	"""The text of the messages shown to the user so far (frappe.msgprint)."""
	return " ".join(
		str((json.loads(m) if isinstance(m, str) else m).get("message", "")) for m in frappe.message_log
	)


def closed_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class Nominatim(BaseHTTPRequestHandler):
	"""Answers /search like Nominatim: one place for the addresses it knows, [] for the others."""

	PLACES = {"gedimino pr. 9, vilnius": (54.6873, 25.2800, "Gedimino pr. 9, Vilnius, Lithuania")}
	asked: list[str] = []

	def do_GET(self):
		query = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
		Nominatim.asked.append(query)
		place = self.PLACES.get(query)
		body = (
			[{"lat": str(place[0]), "lon": str(place[1]), "display_name": place[2], "place_id": 1}]
			if place
			else []
		)
		data = json.dumps(body).encode()
		self.send_response(200)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		self.end_headers()
		self.wfile.write(data)

	def log_message(self, *args):
		pass


def make_sla() -> str:
	if frappe.db.exists("HD Service Level Agreement", SLA):
		return SLA
	holidays = frappe.get_doc(
		{
			"doctype": "HD Service Holiday List",
			"holiday_list_name": f"{SLA} holidays",
			"from_date": "2026-01-01",
			"to_date": "2027-12-31",
			"holidays": [{"holiday_date": "2027-01-06", "description": "Epiphany"}],
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "HD Service Level Agreement",
			"sla_fulfilled_on": [{"status": "Resolved"}, {"status": "Closed"}],
			"service_level": SLA,
			"description": SLA,
			"holiday_list": holidays.name,
			"enabled": 0,
			"default_sla": 0,
			"support_and_resolution": [
				{"workday": d, "start_time": "08:00:00", "end_time": "17:00:00"}
				for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
			],
			"priorities": [
				{
					"priority": p,
					"response_time": 3600,
					"resolution_time": 7200,
					"default_priority": p == "Low",
				}
				for p in frappe.get_all("HD Ticket Priority", pluck="name")
			],
		}
	).insert(ignore_permissions=True)
	return SLA


def make_field_agent(user: str, home: tuple[float, float], **values) -> str:
	make_user(user, ("Field Agent",))
	if frappe.db.exists("CC Field Agent", user):
		frappe.delete_doc("CC Field Agent", user, force=True, ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "CC Field Agent",
			"user": user,
			"working_hours": make_sla(),
			"home_address": f"home of {user}",
			"home_latitude": home[0],
			"home_longitude": home[1],
			"speed_kmh": 40,
			"road_factor": 1.3,
			"buffer_minutes": 10,
			**values,
		}
	).insert(ignore_permissions=True)
	return user


def settings(**values) -> None:
	doc = frappe.get_single("CC Settings")
	doc.update({"has_field_agents": 1, "geocoder_min_interval": 0, **values})
	doc.save(ignore_permissions=True)


def clear_appointments() -> None:
	frappe.db.delete("CC Appointment", {"field_agent": ["in", [FA1, FA2]]})


def appointment(
	agent: str, start: str, point=NEAR, minutes: int = 60, **values
) -> frappe.model.document.Document:
	doc = frappe.get_doc(
		{
			"doctype": "CC Appointment",
			"field_agent": agent,
			"contact": values.pop("contact", None) or FieldCase.contact,
			"address": values.pop("address", "Gedimino pr. 9, Vilnius"),
			"start": start,
			"duration_minutes": minutes,
			"latitude": point[0] if point else 0,
			"longitude": point[1] if point else 0,
			**values,
		}
	)
	return doc.insert()


class FieldCase(FrappeTestCase):
	contact: str = ""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")
		make_field_agent(FA1, HOME_A)
		make_field_agent(FA2, HOME_B)
		make_user(OP1, ("Operator",))
		make_user(OP2, ("Operator",))
		make_user(SUP, ("Agent Supervisor",))
		FieldCase.contact = cls.contact = make_contact("Field Test Customer", "+37060011111")
		cls.other_contact = make_contact("Field Test Other", "+37060022222")

	def setUp(self):
		frappe.set_user("Administrator")
		clear_appointments()

	def tearDown(self):
		frappe.set_user("Administrator")


class TestIsolation(FieldCase):
	"""A field agent reads only their own appointments, through every door."""

	def setUp(self):
		super().setUp()
		frappe.set_user(OP1)
		self.mine = appointment(FA1, at(9)).name
		self.theirs = appointment(FA2, at(9)).name
		frappe.set_user(FA1)

	def test_list_and_calendar(self):
		names = frappe.get_list("CC Appointment", pluck="name")
		self.assertIn(self.mine, names)
		self.assertNotIn(self.theirs, names)
		from frappe.desk.calendar import get_events

		events = get_events(
			"CC Appointment",
			str(DAY),
			str(DAY + dt.timedelta(days=1)),
			json.dumps({"start": "start", "end": "end", "id": "name", "title": "contact_name"}),
		)
		self.assertEqual([e.name for e in events], [self.mine])

	def test_get_doc_and_has_permission(self):
		self.assertTrue(frappe.has_permission("CC Appointment", "read", doc=self.mine))
		self.assertFalse(frappe.has_permission("CC Appointment", "read", doc=self.theirs))
		doc = frappe.get_doc("CC Appointment", self.theirs)
		with self.assertRaises(frappe.PermissionError):
			doc.check_permission("read")

	def test_client_get(self):
		from frappe.client import get

		self.assertEqual(get("CC Appointment", self.mine)["name"], self.mine)
		with self.assertRaises(frappe.PermissionError):
			get("CC Appointment", self.theirs)
		with self.assertRaises(frappe.PermissionError):  # by filters, not by name
			get("CC Appointment", filters={"field_agent": FA2})

	def test_report_view(self):
		from frappe.desk.reportview import get

		frappe.local.form_dict = frappe._dict(
			doctype="CC Appointment", fields=json.dumps(["`tabCC Appointment`.`name`"]), page_length=100
		)
		try:
			result = get()
		finally:
			frappe.local.form_dict = frappe._dict()
		names = [row[0] for row in result["values"]]
		self.assertEqual(names, [self.mine])

	def test_field_agent_cannot_create_or_move(self):
		with self.assertRaises(frappe.PermissionError):
			appointment(FA1, at(14))
		doc = frappe.get_doc("CC Appointment", self.mine)
		doc.start = at(11)
		with self.assertRaisesRegex(frappe.PermissionError, "Start"):
			doc.save()
		doc.reload()
		doc.update({"status": "Done", "notes": "signed on the kitchen table", "outcome": None})
		doc.save()
		self.assertEqual(frappe.db.get_value("CC Appointment", self.mine, "status"), "Done")
		self.assertEqual(
			frappe.db.get_value("CC Appointment", self.mine, "start"), dt.datetime(2027, 1, 4, 9)
		)

	def test_agent_record_is_own(self):
		self.assertEqual(frappe.get_list("CC Field Agent", pluck="name"), [FA1])
		self.assertFalse(frappe.has_permission("CC Field Agent", "read", doc=FA2))

	def test_day_view_of_another_agent_refused(self):
		self.assertEqual([a["name"] for a in api.day(FA1, str(DAY))["appointments"]], [self.mine])
		with self.assertRaises(frappe.PermissionError):
			api.day(FA2, str(DAY))


class TestOperators(FieldCase):
	def test_operator_books_and_sees_what_they_booked(self):
		frappe.set_user(OP1)
		booked = api.book(
			FA1, self.contact, "Gedimino pr. 9, Vilnius", at(10), 60, latitude=NEAR[0], longitude=NEAR[1]
		)
		row = frappe.db.get_value(
			"CC Appointment", booked["name"], ["booked_by", "agent_user", "end"], as_dict=True
		)
		self.assertEqual((row.booked_by, row.agent_user, row.end), (OP1, FA1, dt.datetime(2027, 1, 4, 11)))
		self.assertIn(booked["name"], frappe.get_list("CC Appointment", pluck="name"))
		frappe.set_user(OP2)  # not theirs, and no campaign of theirs
		self.assertNotIn(booked["name"], frappe.get_list("CC Appointment", pluck="name"))
		self.assertFalse(frappe.has_permission("CC Appointment", "read", doc=booked["name"]))

	def test_campaign_operators_see_the_campaigns_appointments(self):
		campaign = make_campaign("CC Field Test Campaign", operators=(OP2,))
		frappe.set_user(OP1)
		booked = api.book(
			FA1, self.contact, "x", at(10), 60, campaign=campaign, latitude=NEAR[0], longitude=NEAR[1]
		)
		frappe.set_user(OP2)
		self.assertIn(booked["name"], frappe.get_list("CC Appointment", pluck="name"))

	def test_start_outside_working_hours(self):
		frappe.set_user(OP1)
		with self.assertRaisesRegex(
			frappe.ValidationError, "07:00–08:00 is outside .*08:00–17:00.*60 minutes outside"
		):
			api.book(FA1, self.contact, "x", at(7), 60, latitude=NEAR[0], longitude=NEAR[1])
		with self.assertRaisesRegex(frappe.ValidationError, "no working hours on 2027-01-06"):  # a holiday
			api.book(
				FA1,
				self.contact,
				"x",
				at(10, day=dt.date(2027, 1, 6)),
				60,
				latitude=NEAR[0],
				longitude=NEAR[1],
			)
		self.assertFalse(frappe.db.exists("CC Appointment", {"field_agent": FA1}))

	def test_overlap_names_the_appointment_and_the_minutes(self):
		frappe.set_user(OP1)
		first = api.book(FA1, self.contact, "x", at(10), 60, latitude=NEAR[0], longitude=NEAR[1])["name"]
		with self.assertRaisesRegex(
			frappe.ValidationError, f"overlaps {first} \\(10:00–11:00\\): 40 minutes missing"
		):
			api.book(FA1, self.other_contact, "x", at(10, 30), 60, latitude=NEAR[0], longitude=NEAR[1])
		# too far to get there in time: Kaunas is ~90 km × 1.3 at 40 km/h away
		with self.assertRaisesRegex(frappe.ValidationError, f"cannot get from {first}.*minutes missing"):
			api.book(FA1, self.other_contact, "x", at(11, 30), 60, latitude=FAR[0], longitude=FAR[1])
		self.assertEqual(frappe.db.count("CC Appointment", {"field_agent": FA1}), 1)

	def test_direct_insert_is_checked_too(self):
		"""Data Import and REST insert through the same validate: no way around the check."""
		frappe.set_user(OP1)
		first = appointment(FA1, at(10)).name
		with self.assertRaisesRegex(frappe.ValidationError, f"overlaps {first}"):
			appointment(FA1, at(10, 15))
		doc = frappe.get_doc("CC Appointment", first)
		doc.status = "Cancelled"
		doc.save()
		appointment(FA1, at(10, 15))  # the slot is free again

	def test_suggestions_fit_and_prefer_the_near_agent(self):
		frappe.set_user(OP1)
		result = api.suggest(
			latitude=NEAR[0], longitude=NEAR[1], duration=60, date_from=str(DAY), date_to=str(DAY)
		)
		self.assertTrue(result["suggestions"])
		best = result["suggestions"][0]
		self.assertEqual(best["field_agent"], FA1)  # HOME_A is next door
		booked = api.book(FA1, self.contact, "x", str(best["start"]), 60, latitude=NEAR[0], longitude=NEAR[1])
		self.assertTrue(frappe.db.exists("CC Appointment", booked["name"]))

	def test_booking_page_prefills_the_contacts_address(self):
		"""An operator reads the address of a contact someone else created (Frappe's "All" role reads
		only its own contacts)."""
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": "Field Test Customer",
				"address_line1": "Gedimino pr. 9",
				"city": "Vilnius",
				"country": "Lithuania",
				"links": [{"link_doctype": "Contact", "link_name": self.contact}],
			}
		).insert(ignore_permissions=True)
		frappe.set_user(OP1)
		details = api.contact_details(self.contact)
		self.assertEqual(details["address"], "Gedimino pr. 9, Vilnius, Lithuania")
		self.assertEqual(details["phone"], "+37060011111")
		frappe.set_user(FA1)
		with self.assertRaises(frappe.PermissionError):
			api.contact_details(self.contact)

	def test_nobody_else_books(self):
		make_user("cc-nobody@field.test")
		frappe.set_user("cc-nobody@field.test")
		with self.assertRaises(frappe.PermissionError):
			api.book(FA1, self.contact, "x", at(10), 60, latitude=NEAR[0], longitude=NEAR[1])
		frappe.set_user(FA1)
		with self.assertRaises(frappe.PermissionError):
			api.suggest(latitude=NEAR[0], longitude=NEAR[1])


class TestSupervisor(FieldCase):
	def test_reassign_one(self):
		frappe.set_user(OP1)
		name = appointment(FA1, at(10)).name
		frappe.set_user(OP1)
		with self.assertRaises(frappe.PermissionError):
			api.reassign(name, FA2)
		frappe.set_user(SUP)
		api.reassign(name, FA2)
		self.assertEqual(
			frappe.db.get_value("CC Appointment", name, ["field_agent", "agent_user"]), (FA2, FA2)
		)

	def test_reassign_refused_when_the_receiver_is_busy(self):
		frappe.set_user(OP1)
		name = appointment(FA1, at(10)).name
		busy = appointment(FA2, at(10)).name
		frappe.set_user(SUP)
		with self.assertRaisesRegex(frappe.ValidationError, f"overlaps {busy}"):
			api.reassign(name, FA2)
		self.assertEqual(frappe.db.get_value("CC Appointment", name, "field_agent"), FA1)

	def test_reassign_a_whole_day(self):
		frappe.set_user(OP1)
		names = [appointment(FA1, at(h)).name for h in (9, 11, 14)]
		frappe.set_user(SUP)
		plan = api.reassign_day(FA1, str(DAY), to_agents=FA2)
		self.assertEqual([m["appointment"] for m in plan["moves"]], names)
		self.assertEqual({m["to_agent"] for m in plan["moves"]}, {FA2})
		self.assertEqual(frappe.db.count("CC Appointment", {"field_agent": FA1}), 3)  # a plan changes nothing
		done = api.reassign_day(FA1, str(DAY), apply=1, to_agents=FA2)
		self.assertEqual(sorted(done["moved"]), sorted(names))
		self.assertEqual(frappe.db.count("CC Appointment", {"field_agent": FA2}), 3)

	def test_a_day_moves_what_is_still_to_do(self):
		"""A visit already done (or a no-show) stays with its agent; the rest of the day moves."""
		frappe.set_user(OP1)
		done, todo = (appointment(FA1, at(h)).name for h in (9, 11))
		frappe.db.set_value("CC Appointment", done, "status", "Done")
		frappe.set_user(SUP)
		plan = api.reassign_day(FA1, str(DAY), to_agents=FA2)
		self.assertEqual([m["appointment"] for m in plan["moves"]], [todo])
		self.assertEqual(plan["unplaced"], [])
		api.reassign_day(FA1, str(DAY), apply=1, to_agents=FA2)
		self.assertEqual(frappe.db.get_value("CC Appointment", done, "field_agent"), FA1)
		self.assertEqual(frappe.db.get_value("CC Appointment", todo, "field_agent"), FA2)

	def test_a_day_is_that_day_only(self):
		"""The day view and a day's reassignment hold that day's appointments, not the next day's."""
		frappe.set_user(OP1)
		today = appointment(FA1, at(10)).name
		tomorrow = appointment(FA1, at(10, day=DAY + dt.timedelta(days=1))).name
		frappe.set_user(SUP)
		self.assertEqual([a["name"] for a in api.day(FA1, str(DAY))["appointments"]], [today])
		self.assertEqual(
			[m["appointment"] for m in api.reassign_day(FA1, str(DAY), to_agents=FA2)["moves"]], [today]
		)
		self.assertEqual(
			[a["name"] for a in api.day(FA1, str(DAY + dt.timedelta(days=1)))["appointments"]], [tomorrow]
		)

	def test_reassign_day_is_all_or_nothing(self):
		frappe.set_user(OP1)
		names = [appointment(FA1, at(h)).name for h in (9, 11)]
		frappe.set_user(SUP)
		plan = api.reassign_day(FA1, str(DAY), to_agents=FA2)
		frappe.set_user(OP1)
		blocker = appointment(FA2, at(11)).name  # the receiver's day changed after the plan
		frappe.set_user(SUP)
		with self.assertRaisesRegex(frappe.ValidationError, f"overlaps {blocker}"):
			service.apply_day_moves(plan["moves"])
		self.assertEqual([frappe.db.get_value("CC Appointment", n, "field_agent") for n in names], [FA1, FA1])


class TestGeocoding(FieldCase):
	def test_geocoder_down_saves_and_flags(self):
		settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")
		frappe.set_user(OP1)
		frappe.clear_messages()
		doc = appointment(FA1, at(10), point=None, address="Nowhere street 1, Vilnius")
		self.assertEqual((doc.needs_location, doc.latitude, doc.longitude), (1, 0, 0))
		self.assertTrue(frappe.db.exists("CC Appointment", doc.name))
		self.assertIn("could not be reached", messages())
		self.assertIn("Needs location", messages())
		with self.assertRaisesRegex(frappe.ValidationError, "geocoder could not be reached"):
			api.suggest(address="Nowhere street 1, Vilnius", date_from=str(DAY))

	def test_found_by_a_nominatim_like_server(self):
		server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
		thread = threading.Thread(target=server.serve_forever, daemon=True)
		thread.start()
		try:
			settings(geocoder_url=f"http://127.0.0.1:{server.server_port}")
			frappe.db.delete("CC Geocode Cache")
			Nominatim.asked.clear()
			frappe.set_user(OP1)
			doc = appointment(FA1, at(10), point=None, address="  Gedimino pr. 9,\nVilnius ")
			self.assertEqual((doc.needs_location, doc.latitude, doc.longitude), (0, 54.6873, 25.28))
			self.assertEqual(
				json.loads(doc.location)["features"][0]["geometry"]["coordinates"], [25.28, 54.6873]
			)
			again = appointment(FA2, at(10), point=None, address="GEDIMINO PR. 9, VILNIUS")
			self.assertEqual(again.latitude, 54.6873)
			self.assertEqual(Nominatim.asked, ["gedimino pr. 9, vilnius"])  # the second came from the cache
			# found nowhere: saved, flagged, a clear message; the booking screen refuses to suggest
			frappe.clear_messages()
			lost = appointment(FA1, at(14), point=None, address="Atlantis 1")
			self.assertEqual(lost.needs_location, 1)
			self.assertIn("was not found", messages())
			with self.assertRaisesRegex(frappe.ValidationError, "Atlantis 1.*was not found"):
				api.suggest(address="Atlantis 1", date_from=str(DAY))
			self.assertEqual(
				Nominatim.asked, ["gedimino pr. 9, vilnius", "atlantis 1"]
			)  # "not found" is cached
		finally:
			server.shutdown()
			server.server_close()
			settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")


class TestIcal(FieldCase):
	def feed(self, token):
		frappe.set_user("Guest")
		try:
			return api.ical(token)
		finally:
			frappe.set_user("Administrator")

	def test_feed_holds_own_appointments_only(self):
		frappe.set_user(OP1)
		mine = appointment(FA1, at(9), notes="ring twice").name
		theirs = appointment(FA2, at(9)).name
		today = dt.date.today()
		frappe.db.set_value(
			"CC Appointment",
			mine,
			{
				"start": f"{today + dt.timedelta(days=3)} 09:00:00",
				"end": f"{today + dt.timedelta(days=3)} 10:00:00",
			},
		)
		frappe.db.set_value(
			"CC Appointment",
			theirs,
			{
				"start": f"{today + dt.timedelta(days=3)} 09:00:00",
				"end": f"{today + dt.timedelta(days=3)} 10:00:00",
			},
		)
		frappe.set_user(FA1)
		url = api.regenerate_feed()["url"]
		token = parse_qs(urlsplit(url).query)["token"][0]
		self.assertNotEqual(frappe.db.get_value("CC Field Agent", FA1, "ical_token_hash"), token)  # hashed
		response = self.feed(token)
		self.assertEqual(response.status_code, 200)
		self.assertTrue(response.content_type.startswith("text/calendar"))
		cal = icalendar.Calendar.from_ical(response.get_data())
		events = [e for e in cal.walk("VEVENT")]
		self.assertEqual([str(e["uid"]).split("@")[0] for e in events], [mine])
		self.assertIn("ring twice", str(events[0]["description"]))
		self.assertNotIn(OP1, response.get_data(as_text=True))  # who booked it is not the agent's business

	def test_revoked_or_foreign_token_refused(self):
		frappe.set_user(FA1)
		old = parse_qs(urlsplit(api.regenerate_feed()["url"]).query)["token"][0]
		new = parse_qs(urlsplit(api.regenerate_feed()["url"]).query)["token"][0]
		self.assertEqual(self.feed(old).status_code, 403)  # replaced
		self.assertEqual(self.feed(new).status_code, 200)
		frappe.set_user(FA1)
		api.revoke_feed()
		before = frappe.db.get_value("CC Field Agent", FA1, ["ical_token_hash", "modified"])
		response = self.feed(new)
		self.assertEqual(response.status_code, 403)
		self.assertIn("not valid", response.get_data(as_text=True))
		self.assertEqual(frappe.db.get_value("CC Field Agent", FA1, ["ical_token_hash", "modified"]), before)
		self.assertEqual(self.feed("guessed-token").status_code, 403)
		self.assertEqual(self.feed(None).status_code, 403)
		frappe.set_user(OP1)  # not a field agent: no feed to make
		with self.assertRaises(frappe.PermissionError):
			api.regenerate_feed()


class TestMenu(FieldCase):
	def test_workspace_follows_the_setting(self):
		settings(has_field_agents=0)
		self.assertEqual(frappe.db.get_value("Workspace", "Field Agents", "is_hidden"), 1)
		frappe.set_user(OP1)
		with self.assertRaisesRegex(frappe.ValidationError, "Field agents are switched off"):
			api.book(FA1, self.contact, "x", at(10), 60, latitude=NEAR[0], longitude=NEAR[1])
		self.assertFalse(frappe.db.exists("CC Appointment", {"field_agent": FA1}))
		frappe.set_user("Administrator")
		settings(has_field_agents=1)
		self.assertEqual(frappe.db.get_value("Workspace", "Field Agents", "is_hidden"), 0)


class TestConcurrentBooking(FrappeTestCase):
	"""Two operators book the same agent's day at once, each on their own connection: exactly one wins."""

	def setUp(self):
		frappe.set_user("Administrator")
		settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")
		make_field_agent(FA1, HOME_A)
		make_user(OP1, ("Operator",))
		make_user(OP2, ("Operator",))
		self.contact = make_contact("Field Race Customer", "+37060033333")
		clear_appointments()
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		clear_appointments()
		frappe.db.commit()

	def test_exactly_one_wins(self):
		site, sites_path = frappe.local.site, frappe.local.sites_path
		barrier = threading.Barrier(2)
		results: dict[str, object] = {}

		def operator(user: str, minute: int):
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.set_user(user)
				barrier.wait(30)
				try:
					out = api.book(
						FA1, self.contact, "x", at(10, minute), 60, latitude=NEAR[0], longitude=NEAR[1]
					)
					time.sleep(0.5)  # hold the agent's lock a moment: the other must wait, then see this one
					frappe.db.commit()
					results[user] = out["name"]
				except frappe.ValidationError as e:
					frappe.db.rollback()
					results[user] = e
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=operator, args=(u, m)) for u, m in ((OP1, 0), (OP2, 15))]
		for t in threads:
			t.start()
		for t in threads:
			t.join(60)
		wins = [v for v in results.values() if isinstance(v, str)]
		losses = [v for v in results.values() if isinstance(v, Exception)]
		self.assertEqual((len(wins), len(losses)), (1, 1), results)
		self.assertRegex(str(losses[0]), f"overlaps {wins[0]} .*minutes missing")
		frappe.db.commit()  # a fresh snapshot
		self.assertEqual(frappe.get_all("CC Appointment", {"field_agent": FA1}, pluck="name"), wins)


class TestImport(FrappeTestCase):
	"""A real Data Import of appointments goes through the same check: the refused rows are reported with
	the reason, the good ones kept. Data Import commits after every row, so the records are committed and
	deleted again."""

	def setUp(self):
		frappe.set_user("Administrator")
		settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")
		make_field_agent(FA1, HOME_A)
		self.contact = make_contact("Field Import Customer", "+37060044444")
		clear_appointments()
		frappe.db.commit()
		self.imports = []

	def tearDown(self):
		frappe.db.rollback()
		for name in self.imports:
			file_url = frappe.db.get_value("Data Import", name, "import_file")
			frappe.db.delete("Data Import Log", {"data_import": name})
			frappe.db.delete("Data Import", {"name": name})
			frappe.db.delete("File", {"file_url": file_url})
		clear_appointments()
		frappe.db.commit()

	def test_import_cannot_overbook(self):
		header = "Field agent,Contact,Address,Start,Duration (minutes),Latitude,Longitude"
		rows = [
			f"{FA1},{self.contact},Gedimino pr. 9,{at(10)},60,{NEAR[0]},{NEAR[1]}",
			f"{FA1},{self.contact},Gedimino pr. 9,{at(10, 30)},60,{NEAR[0]},{NEAR[1]}",
			f"{FA1},{self.contact},Gedimino pr. 9,{at(7)},60,{NEAR[0]},{NEAR[1]}",
		]
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "cc_test_appointments.csv",
				"content": ("\n".join([header, *rows]) + "\n").encode(),
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "CC Appointment",
				"import_type": "Insert New Records",
				"import_file": file.file_url,
			}
		).insert()
		frappe.db.commit()
		self.imports.append(data_import.name)
		data_import.start_import()
		data_import.reload()
		logs = frappe.get_all(
			"Data Import Log",
			filters={"data_import": data_import.name},
			fields=["row_indexes", "success", "messages", "docname"],
			order_by="log_index",
		)
		self.assertEqual(data_import.status, "Partial Success")
		imported = frappe.get_all("CC Appointment", {"field_agent": FA1}, pluck="name")
		self.assertEqual(len(imported), 1)
		report = {json.loads(log.row_indexes)[0]: log.messages or "" for log in logs if not log.success}
		self.assertEqual(sorted(report), [3, 4])
		self.assertIn(f"overlaps {imported[0]}", report[3])
		self.assertIn("40 minutes missing", report[3])
		self.assertIn("outside", report[4])
