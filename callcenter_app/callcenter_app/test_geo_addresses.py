"""Contacts' addresses placed on the map for geodialing (geo/service.py), against a loopback Nominatim."""

import threading
from http.server import ThreadingHTTPServer

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.callcenter_app.doctype.cc_appointment.test_cc_appointment import Nominatim, closed_port
from callcenter_app.geo import service

KNOWN = "Gedimino pr. 9"


class Places(Nominatim):
	PLACES = {"gedimino pr. 9, vilnius, lithuania": (54.6873, 25.2800, "Gedimino pr. 9, Vilnius, Lithuania")}


def settings(**values) -> None:
	doc = frappe.get_single("CC Settings")
	doc.update({"has_field_agents": 1, "geocoder_min_interval": 0, **values})
	doc.save(ignore_permissions=True)


def contact_with_address(name: str, line1: str) -> str:
	contact = frappe.get_doc({"doctype": "Contact", "first_name": name}).insert(ignore_permissions=True)
	address = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": name,
			"address_type": "Billing",
			"address_line1": line1,
			"city": "Vilnius",
			"country": "Lithuania",
			"links": [{"link_doctype": "Contact", "link_name": contact.name}],
		}
	).insert(ignore_permissions=True)
	return address.name


def point(address: str) -> tuple[float, float]:
	return tuple(frappe.db.get_value("Address", address, ["cc_latitude", "cc_longitude"]))


class TestAddressesOnTheMap(FrappeTestCase):
	def setUp(self):
		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Places)
		threading.Thread(target=self.server.serve_forever, daemon=True).start()
		settings(geocoder_url=f"http://127.0.0.1:{self.server.server_port}")
		frappe.db.delete("CC Geocode Cache")
		Nominatim.asked.clear()

	def tearDown(self):
		self.server.shutdown()
		self.server.server_close()
		frappe.db.rollback()

	def test_a_run_places_the_known_keeps_the_unknown_unplaced_and_asks_once(self):
		known = contact_with_address("GeoS Known", KNOWN)
		unknown = contact_with_address("GeoS Unknown", "Nowhere street 1")
		self.assertIn(known, service.unplaced_addresses())
		counts = service.geocode_addresses()  # other tests' unplaced addresses may be in the run too
		self.assertGreaterEqual(counts.get("placed", 0), 1)
		self.assertGreaterEqual(counts.get("not found", 0), 1)
		self.assertEqual(point(known), (54.6873, 25.28))
		self.assertEqual(point(unknown), (0.0, 0.0))
		asked = len(Nominatim.asked)
		service.geocode_addresses()  # the miss is cached: no second request for the same text
		self.assertEqual(len(Nominatim.asked), asked)
		self.assertNotIn(known, service.unplaced_addresses())

	def test_geocoder_down_stops_the_run_and_changes_nothing(self):
		settings(geocoder_url=f"http://127.0.0.1:{closed_port()}")
		first = contact_with_address("GeoS Down 1", KNOWN)
		contact_with_address("GeoS Down 2", "Nowhere street 2")
		counts = service.geocode_addresses()
		self.assertEqual(counts, {"unavailable": 1}, "the first outage ends the run")
		self.assertEqual(point(first), (0.0, 0.0))

	def test_a_changed_address_loses_its_old_position(self):
		address = contact_with_address("GeoS Moved", KNOWN)
		service.geocode_address(address)
		self.assertNotEqual(point(address), (0.0, 0.0))
		doc = frappe.get_doc("Address", address)
		doc.address_line1 = "Nowhere street 3"
		doc.save(ignore_permissions=True)
		self.assertEqual(point(address), (0.0, 0.0))

	def test_nothing_runs_while_the_site_has_no_field_agents(self):
		settings(has_field_agents=0)
		contact_with_address("GeoS Off", KNOWN)
		self.assertEqual(service.geocode_addresses(), {})
		self.assertEqual(Nominatim.asked, [])
