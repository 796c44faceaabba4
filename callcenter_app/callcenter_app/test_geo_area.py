# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests of geodialing (issue 15, geo/service.py and api/geo.py): Contacts chosen by where their
addresses are, added to a campaign's call list without duplicates and without do-not-call numbers."""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import geo as geo_api
from callcenter_app.dialer.service import add_dnc
from callcenter_app.geo import service
from callcenter_app.geo.areas import sql_boxes
from callcenter_app.geo.points import Point
from callcenter_app.test_utils import make_campaign, make_campaign_contact, make_user

PM, OPERATOR = "pm@geo.test", "operator@geo.test"
# far from any other test data or benchmark rows on the site (the benchmark fills Lithuania)
CENTRE = Point(-45.8788, 170.5028)
KM_LAT = 111.19508  # km per degree of latitude


def north(km: float, of: Point = CENTRE) -> Point:
	return Point(of.lat + km / KM_LAT, of.lon)


def make_located_contact(
	name: str, phone: str | None, point: Point | None, extra: Point | None = None
) -> str:
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": name,
			"phone_nos": [{"phone": phone, "is_primary_phone": 1}] if phone else [],
		}
	).insert(ignore_permissions=True)
	for i, p in enumerate([point, extra]):
		if p is None and i:
			continue
		address = frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": f"{name} {i}",
				"address_line1": f"Gatvė {i + 1}",
				"city": "Dunedin",
				"country": "New Zealand",
				"links": [{"link_doctype": "Contact", "link_name": contact.name}],
			}
		).insert(ignore_permissions=True)
		service.set_address_point(address.name, p)
	return contact.name


class GeoAreaTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		make_user(PM, ("Project Manager",))
		make_user(OPERATOR, ("Operator",))
		cls.near = make_located_contact("GeoT near", "+37060010001", north(2))
		cls.edge = make_located_contact("GeoT edge", "+37060010002", north(9.9))
		cls.out = make_located_contact("GeoT out", "+37060010003", north(10.1))
		# in the bounding box of the 10 km circle, but outside the circle (its corner)
		cls.corner = make_located_contact(
			"GeoT corner", "+37060010004", Point(north(9).lat, CENTRE.lon + 0.12)
		)
		cls.unplaced = make_located_contact("GeoT unplaced", "+37060010005", None)
		cls.two = make_located_contact("GeoT two", "+37060010006", north(50), extra=north(1))
		cls.nophone = make_located_contact("GeoT nophone", None, north(3))
		cls.dnc_own = make_located_contact("GeoT dnc own", "+37060010008", north(4))
		cls.dnc_global = make_located_contact("GeoT dnc global", "+37060010009", north(5))
		add_dnc("+37060010009", None)
		cls.disabled = make_located_contact("GeoT disabled", "+37060010010", north(1.5))
		frappe.db.set_value("Address", {"address_title": "GeoT disabled 0"}, "disabled", 1)

	def setUp(self):
		frappe.set_user("Administrator")
		self.campaign = make_campaign("CC Geo Target", check_dnc=1)  # a fresh one: its list and DNC deleted
		add_dnc("+37060010008", self.campaign)

	def preview(self, **kw):
		kw.setdefault("latitude", CENTRE.lat)
		kw.setdefault("longitude", CENTRE.lon)
		kw.setdefault("radius_km", 10)
		return geo_api.preview_area_contacts(self.campaign, **kw)

	def test_circle_exact_after_the_box_prefilter(self):
		found = service.find_contacts(
			service.areas_from(latitude=CENTRE.lat, longitude=CENTRE.lon, radius_km=10)
		)
		names = [f.contact for f in found]
		for inside in (self.near, self.edge, self.two, self.nophone, self.dnc_own, self.dnc_global):
			self.assertIn(inside, names)
		# the corner is one the SQL prefilter lets through and the exact test refuses
		(box,) = sql_boxes(service.areas_from(latitude=CENTRE.lat, longitude=CENTRE.lon, radius_km=10))
		corner = Point(north(9).lat, CENTRE.lon + 0.12)
		self.assertTrue(box[0] <= corner.lat <= box[1] and box[2] <= corner.lon <= box[3])
		for outside in (self.out, self.corner, self.unplaced, self.disabled):
			self.assertNotIn(outside, names)
		self.assertEqual(names[0], self.two)  # its second address, 1 km out, is the nearest
		self.assertAlmostEqual(found[0].km, 1.0, places=3)
		self.assertEqual(names.count(self.two), 1)

	def test_preview_then_add_no_duplicates_dnc_respected(self):
		summary = self.preview()
		self.assertEqual(summary["to_add"], 3)  # near, edge, two
		self.assertEqual(summary["no_phone"], 1)
		self.assertEqual(summary["dnc"], 2)
		frappe.set_user(PM)
		added = geo_api.add_area_contacts(
			self.campaign, latitude=CENTRE.lat, longitude=CENTRE.lon, radius_km=10
		)
		self.assertEqual(added["added"], 3)
		rows = frappe.get_all(
			"CC Campaign Contact", filters={"campaign": self.campaign}, fields=["phone", "contact", "status"]
		)
		self.assertEqual(
			sorted((r.phone, r.contact) for r in rows),
			[("+37060010001", self.near), ("+37060010002", self.edge), ("+37060010006", self.two)],
		)
		self.assertEqual({r.status for r in rows}, {"New"})
		again = geo_api.add_area_contacts(
			self.campaign, latitude=CENTRE.lat, longitude=CENTRE.lon, radius_km=10
		)
		self.assertEqual((again["added"], again["already"]), (0, 3))

	def test_global_dnc_only_when_the_campaign_checks_it(self):
		frappe.db.set_value("CC Campaign", self.campaign, "check_dnc", 0)
		summary = self.preview()
		self.assertEqual((summary["to_add"], summary["dnc"]), (4, 1))

	def test_number_already_listed_under_another_contact_is_not_added_again(self):
		make_campaign_contact(self.campaign, "+37060010001")
		summary = self.preview()
		self.assertEqual((summary["to_add"], summary["already"]), (2, 1))

	def test_from_another_campaigns_call_list(self):
		source = make_campaign("CC Geo Source")
		make_campaign_contact(source, "+37060010002", contact=self.edge)
		make_campaign_contact(source, "+37060010003", contact=self.out)
		summary = self.preview(source_campaign=source)
		self.assertEqual((summary["matched"], summary["to_add"]), (1, 1))
		self.assertEqual(summary["sample"][0]["contact"], self.edge)

	def test_polygon(self):
		west, east = CENTRE.lon - 0.01, CENTRE.lon + 0.1
		south, top = north(-1).lat, north(2.5).lat
		square = [(south, west), (top, west), (top, east), (south, east)]
		summary = geo_api.preview_area_contacts(self.campaign, polygon=frappe.as_json(square))
		self.assertEqual(summary["matched"], 2)  # near (2 km north) and two's second address (1 km)
		self.assertEqual({r["contact"] for r in summary["sample"]}, {self.near, self.two})

	def test_bad_input_names_the_field(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Radius \\(km\\): must be more than 0"):
			self.preview(radius_km=-3)
		with self.assertRaisesRegex(frappe.ValidationError, "Latitude: 95.0 is outside -90..90"):
			self.preview(latitude=95)
		with self.assertRaisesRegex(frappe.ValidationError, "Area: choose field agents"):
			geo_api.preview_area_contacts(self.campaign)
		with self.assertRaisesRegex(frappe.ValidationError, "Campaign: Nope is not a campaign"):
			geo_api.preview_area_contacts("Nope", latitude=1, longitude=1, radius_km=1)

	def test_only_managers(self):
		frappe.set_user(OPERATOR)
		with self.assertRaises(frappe.PermissionError):
			self.preview()
		with self.assertRaises(frappe.PermissionError):
			geo_api.add_area_contacts(self.campaign, latitude=CENTRE.lat, longitude=CENTRE.lon, radius_km=10)
		self.assertFalse(frappe.db.exists("CC Campaign Contact", {"campaign": self.campaign}))

	def test_agents_zones_and_appointments(self):
		if not service.has_field_agents():
			self.skipTest("CC Field Agent is not on this branch (wt/field adds it)")
		# written against wt/field's doctypes: runs once both branches are merged. A field agent's user has
		# the Field Agent role and working hours (an HD Service Level Agreement).
		from callcenter_app.callcenter_app.doctype.cc_appointment.test_cc_appointment import make_sla

		make_user(PM, ("Field Agent",))
		agent = frappe.get_doc(
			{
				"doctype": service.AGENT,
				"agent_name": "GeoT Agent",
				"user": PM,
				"working_hours": make_sla(),
				"active": 1,
				"zone_type": "Circle",
				"zone_latitude": CENTRE.lat,
				"zone_longitude": CENTRE.lon,
				"zone_radius_km": 3.5,  # nophone sits 3 km out (a hair over it, in floating point); dnc own at 4
			}
		).insert(ignore_permissions=True)
		summary = geo_api.preview_area_contacts(self.campaign, agents=frappe.as_json([agent.name]))
		self.assertEqual(summary["matched"], 3)  # near (2 km), two (1 km), nophone (3 km)

	def test_address_fields_and_index_exist(self):
		self.assertTrue(frappe.db.has_column("Address", "cc_latitude"))
		self.assertTrue(frappe.db.has_column("Address", "cc_longitude"))
		index = frappe.db.sql("show index from `tabAddress` where Key_name = 'cc_geo_index'", as_dict=True)
		self.assertEqual([r.Column_name for r in index], ["cc_latitude", "cc_longitude", "disabled"])
