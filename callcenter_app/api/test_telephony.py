# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the phone endpoints: who may listen / whisper / barge, click-to-call and transfer, and
the recordings endpoint (permission, path containment, content type)."""

import os
import tempfile

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import telephony as api
from callcenter_app.telephony.call_logs.service import upsert_call_logs
from callcenter_app.test_utils import make_agent, make_user, peer_thread


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
		with peer_thread() as peer:
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
			with peer_thread():
				api.spy(self.ann, "record")
		phoneless = make_user("cc-api-nophone@example.com", ("Agent",))
		with self.assertRaisesRegex(frappe.ValidationError, "agent: .*has no enabled CC SIP Account"):
			api.spy(phoneless, "listen")

	def test_click_to_call_rings_the_agent_and_checks_the_number_and_ticket(self):
		with peer_thread() as peer:
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

	def test_click_to_call_from_a_ticket_carries_the_ticket_to_asterisk(self):
		"""The ticket form's Call: CC_TICKET rides on the originated channel (inherited, so the dialled leg
		has it too) and the bridge's call record joins that ticket (telephony/call_tickets link_call)."""
		ticket = frappe.get_doc(
			{"doctype": "HD Ticket", "subject": "call me", "raised_by": "x@example.com"}
		).insert()
		with peer_thread() as peer:
			frappe.set_user(self.ann)
			api.click_to_call("+37060012345", ticket=str(ticket.name))
			(originate,) = [a for a in peer.received if a["Action"] == "Originate"]
		self.assertEqual(originate["Variable"], f"__CC_TICKET={ticket.name}")  # the last Variable header
		self.assertEqual((originate["Channel"], originate["Exten"]), ("PJSIP/cc-api-ann", "+37060012345"))

	def test_transfer_needs_a_live_call(self):
		with peer_thread() as peer:
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
			(transfer,) = [a for a in peer.received if a["Action"] == "BlindTransfer"]
			self.assertEqual(
				(transfer["Channel"], transfer["Context"], transfer["Exten"]),
				("PJSIP/cc-api-ann-00000002", "cc-transfer", "cc-api-sue"),
			)
			# attended: Asterisk's Atxfer sends key presses, so the colleague is dialled by extension
			api.transfer("cc-api-sue", attended=True)
			(atxfer,) = [a for a in peer.received if a["Action"] == "Atxfer"]
			self.assertEqual(
				(atxfer["Channel"], atxfer["Context"], atxfer["Exten"]),
				(
					"PJSIP/cc-api-ann-00000002",
					"cc-transfer",
					frappe.db.get_value("CC SIP Account", "cc-api-sue", "extension"),
				),
			)
			self.assertTrue(atxfer["Exten"].isdigit())
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
			response = api.recording("cc-api-rec.1")
			self.assertEqual(b"".join(response.response), b"RIFF0000WAVEfmt ")
			self.assertEqual(response.headers["Content-Type"], "audio/wav")
		frappe.set_user(self.sue)
		with self.assertRaises(frappe.ValidationError):  # basename only, and never outside the folder
			api.recording("cc-api-rec.2")
		frappe.set_user(make_user("cc-api-nobody@example.com"))
		with self.assertRaises(frappe.PermissionError):
			api.recording("cc-api-rec.1")


class TestLiveNotices(FrappeTestCase):
	"""The bridge's notices: ringing goes to the agent rung only, with the caller's contact and open
	tickets; registrations land where the PBX Agents report reads them."""

	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_agent("cc-live-ann@example.com", "cc-live-ann")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_ringing_is_published_to_the_agent_rung_only(self):
		from unittest.mock import patch

		from callcenter_app.telephony.notices.service import publish_notices
		from callcenter_app.test_utils import make_contact

		contact = make_contact("Rūta", "+37060055555")
		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Broken router",
				"raised_by": "ruta@example.com",
				"contact": contact,
			}
		).insert()
		ring = {
			"kind": "ringing",
			"interface": "PJSIP/cc-live-ann",
			"linkedid": "x.1",
			"caller": "+37060055555",
		}
		nobody = {**ring, "interface": "PJSIP/not-an-account"}
		with patch("frappe.publish_realtime") as publish:
			publish_notices([ring, nobody])
		((args, kwargs),) = publish.call_args_list
		self.assertEqual((args[0], kwargs["user"]), ("callcenter:call", self.ann))
		payload = args[1]
		self.assertEqual((payload["contact"], payload["contact_name"]), (contact, "Rūta"))
		self.assertEqual([t["name"] for t in payload["tickets"]], [ticket.name])

	def test_registrations_reach_the_pbx_agents_report(self):
		from callcenter_app.callcenter_app.report.pbx_agents.pbx_agents import execute
		from callcenter_app.telephony.notices.service import SIP_STATUS_KEY, publish_notices

		publish_notices(
			[
				{
					"kind": "registration",
					"endpoint": "cc-live-ann",
					"status": "registered",
					"contacts": 1,
					"rtt_ms": 9.5,
					"user_agent": "Zoiper",
				}
			]
		)
		try:
			_, rows = execute()
			(row,) = [r for r in rows if r["sip_account"] == "cc-live-ann"]
			self.assertEqual(
				(row["registration"], row["rtt_ms"], row["agent"]), ("Registered", 9.5, self.ann)
			)
		finally:
			frappe.cache().hdel(SIP_STATUS_KEY, "cc-live-ann")
