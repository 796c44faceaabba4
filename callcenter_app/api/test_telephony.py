# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the phone endpoints: who may listen / whisper / barge, click-to-call and transfer, and
the recordings endpoint (permission, path containment, content type)."""

import os
import tempfile

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import telephony as api
from callcenter_app.telephony.service import upsert_call_logs
from callcenter_app.test_utils import PeerThread, make_agent, make_user


class TestPhoneEndpoints(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		self.ann = make_agent("cc-api-ann@example.com", "cc-api-ann")
		self.sue = make_agent("cc-api-sue@example.com", "cc-api-sue", roles=("Agent", "Agent Supervisor"))

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_listen_whisper_barge_are_for_supervisors_only(self):
		with PeerThread() as peer:
			frappe.set_user(self.ann)
			for mode in ("listen", "whisper", "barge"):
				with self.assertRaises(frappe.PermissionError):
					api.spy(self.sue, mode)
			self.assertEqual([a["Action"] for a in peer.received], [])
			frappe.set_user(self.sue)
			api.spy(self.ann, "whisper")
			(originate,) = [a for a in peer.received if a["Action"] == "Originate"]
		self.assertEqual(
			(originate["Channel"], originate["Context"], originate["Exten"]),
			("PJSIP/cc-api-sue", "cc-supervisor", "whisper-cc-api-ann"),
		)

	def test_spy_bad_mode_and_agent_without_phone_are_named(self):
		frappe.set_user(self.sue)
		with self.assertRaisesRegex(frappe.ValidationError, "mode: 'record' is not one of listen"):
			with PeerThread():
				api.spy(self.ann, "record")
		phoneless = make_user("cc-api-nophone@example.com", ("Agent",))
		with self.assertRaisesRegex(frappe.ValidationError, "agent: .*has no enabled CC SIP Account"):
			api.spy(phoneless, "listen")

	def test_click_to_call_rings_the_agent_and_checks_the_number_and_ticket(self):
		with PeerThread() as peer:
			frappe.set_user(self.ann)
			result = api.click_to_call("8 600 12345")
			(originate,) = [a for a in peer.received if a["Action"] == "Originate"]
		self.assertEqual(result, {"ringing": "cc-api-ann", "number": "+37060012345"})
		self.assertEqual((originate["Channel"], originate["Exten"]), ("PJSIP/cc-api-ann", "+37060012345"))
		with self.assertRaisesRegex(frappe.ValidationError, "number: '12ab' is not a phone number"):
			api.click_to_call("12ab")
		frappe.set_user("Administrator")
		ticket = frappe.get_doc(
			{"doctype": "HD Ticket", "subject": "private", "raised_by": "x@example.com"}
		).insert()
		nobody = make_user("cc-api-op@example.com", ("Operator",))
		frappe.set_user(nobody)
		with self.assertRaises(frappe.PermissionError):
			api.click_to_call("+37060012345", ticket=str(ticket.name))

	def test_transfer_needs_a_live_call(self):
		with PeerThread() as peer:
			peer.live = {
				"1": {"Channel": "PJSIP/trunk-00000001", "Uniqueid": "1", "Linkedid": "1", "BridgeId": "b"},
				"2": {
					"Channel": "PJSIP/cc-api-ann-00000002",
					"Uniqueid": "2",
					"Linkedid": "1",
					"BridgeId": "b",
				},
			}
			frappe.set_user(self.ann)
			self.assertEqual(api.transfer("cc-api-sue")["to"], "cc-api-sue")
			(redirect,) = [a for a in peer.received if a["Action"] == "Redirect"]
			self.assertEqual((redirect["Channel"], redirect["Exten"]), ("PJSIP/trunk-00000001", "cc-api-sue"))
			frappe.set_user(self.sue)
			with self.assertRaisesRegex(frappe.ValidationError, "is not on a call"):
				api.transfer("+37060012345", attended=True)

	def test_recordings_are_served_to_supervisors_and_the_agent_only(self):
		folder = tempfile.mkdtemp()
		with open(os.path.join(folder, "call-1.wav"), "wb") as f:
			f.write(b"RIFF0000WAVEfmt ")
		frappe.db.set_single_value("CC Settings", "recordings_folder", folder)
		record = {
			"linkedid": "cc-api-rec.1",
			"status": "answered",
			"direction": "inbound",
			"caller": "+37060012345",
			"agent_interface": "PJSIP/cc-api-ann",
			"recording": "call-1.wav",
			"start": 1795339039.0,
			"end": 1795339100.0,
		}
		upsert_call_logs([record, {**record, "linkedid": "cc-api-rec.2", "recording": "../../etc/passwd"}])
		other = make_agent("cc-api-other@example.com", "cc-api-other")
		frappe.set_user(other)
		with self.assertRaises(frappe.PermissionError):
			api.recording("cc-api-rec.1")
		for user in (self.ann, self.sue):
			frappe.set_user(user)
			api.recording("cc-api-rec.1")
			self.assertEqual(frappe.local.response.filecontent, b"RIFF0000WAVEfmt ")
			self.assertEqual(frappe.local.response.content_type, "audio/wav")
		frappe.set_user(self.sue)
		with self.assertRaises(frappe.ValidationError):  # basename only, and never outside the folder
			api.recording("cc-api-rec.2")
		frappe.set_user(make_user("cc-api-nobody@example.com"))
		with self.assertRaises(frappe.PermissionError):
			api.recording("cc-api-rec.1")
