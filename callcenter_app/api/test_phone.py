# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the phone bar's endpoints: registration hands out only the session user's own WebRTC
account, never cached; refusals name the field; the caller card shows the contact and readable tickets."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import phone as api
from callcenter_app.test_utils import SECRET, make_agent, make_contact, make_user

SETTINGS = {
	"webrtc_enabled": 1,
	"webrtc_ws_url": "wss://pbx.example.com:8089/ws",
	"ice_servers": "stun:stun.example.com:3478",
	"turn_username": "",
}


class TestPhoneBarEndpoints(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		self.ann = make_agent("cc-pb-ann@example.com", "cc-pb-ann")
		self.bob = make_agent("cc-pb-bob@example.com", "cc-pb-bob")
		frappe.db.set_value("CC SIP Account", "cc-pb-ann", {"webrtc": 1, "display_name": "Ann Web"})
		for key, value in SETTINGS.items():
			frappe.db.set_single_value("CC Settings", key, value)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def registration(self) -> dict:
		response = api.registration()
		self.assertEqual(response.status_code, 200)
		self.assertIn("no-store", response.headers["Cache-Control"])
		return json.loads(response.get_data(as_text=True))["message"]

	def test_own_webrtc_account_only_and_never_cached(self):
		frappe.set_user(self.ann)
		got = self.registration()
		self.assertEqual(got["ws_url"], "wss://pbx.example.com:8089/ws")
		self.assertEqual(got["sip_uri"], "sip:cc-pb-ann@pbx.example.com")
		self.assertEqual((got["authorization_user"], got["password"]), ("cc-pb-ann", SECRET))
		self.assertEqual(got["display_name"], "Ann Web")
		self.assertEqual(got["ice_servers"], [{"urls": "stun:stun.example.com:3478"}])
		# the method takes no account name: there is no way to ask for someone else's
		with self.assertRaises(TypeError):
			api.registration(account="cc-pb-bob")
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[api.registration], ["POST"])

	def test_refusals_name_the_field(self):
		frappe.set_user(self.bob)  # bob's account is not marked WebRTC
		with self.assertRaisesRegex(frappe.ValidationError, "WebRTC \\(browser softphone\\): .*tick WebRTC"):
			api.registration()
		frappe.set_user(make_user("cc-pb-nophone@example.com", ("Agent",)))
		with self.assertRaisesRegex(frappe.ValidationError, "Agent: no CC SIP Account names"):
			api.registration()
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CC Settings", "webrtc_enabled", 0)
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "Enable the Phone Bar: the phone bar is off"):
			api.registration()
		frappe.set_user("Administrator")
		frappe.db.set_single_value(
			"CC Settings", {"webrtc_enabled": 1, "webrtc_ws_url": "ws://pbx.example.com/ws"}
		)
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "WebSocket URL \\(browser\\): plain ws://"):
			api.registration()
		frappe.set_user("Administrator")
		frappe.db.set_value("CC SIP Account", "cc-pb-ann", "enabled", 0)
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "Enabled: CC SIP Account cc-pb-ann is disabled"):
			api.registration()

	def test_users_without_the_capability_are_refused(self):
		frappe.set_user(make_user("cc-pb-acct@example.com", ("Accountant",)))
		with self.assertRaises(frappe.PermissionError):
			api.registration()
		with self.assertRaises(frappe.PermissionError):
			api.caller_card("+37060012345")

	def test_settings_refuse_an_open_plain_http_server(self):
		settings = frappe.get_single("CC Settings")
		settings.update({**SETTINGS, "asterisk_http_bind": "0.0.0.0"})
		with self.assertRaisesRegex(frappe.ValidationError, "Asterisk HTTP Bind Address: plain HTTP"):
			settings.save()
		settings = frappe.get_single(
			"CC Settings"
		)  # a refused save leaves the loaded copy's timestamp behind
		settings.update({**SETTINGS, "asterisk_http_bind": "127.0.0.1", "webrtc_ws_url": "https://pbx"})
		with self.assertRaisesRegex(
			frappe.ValidationError, "WebSocket URL \\(browser\\): must start with wss://"
		):
			settings.save()

	def test_caller_card_shows_the_contact_and_readable_open_tickets(self):
		contact = make_contact("Carla Caller", "+37060077001")
		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Broken router",
				"raised_by": "carla@example.com",
				"contact": contact,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(self.ann)
		card = api.caller_card("8 600 77001")
		self.assertEqual((card["contact"], card["contact_name"]), (contact, "Carla Caller"))
		self.assertIn(str(ticket.name), [str(t["name"]) for t in card["tickets"]])
		self.assertEqual(api.caller_card("+37060099999")["contact"], None)
		# the phone bar POSTs it (api.js): a GET-only method would answer 403
		self.assertIn("POST", frappe.allowed_http_methods_for_whitelisted_func[api.caller_card])
