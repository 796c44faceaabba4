# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the holes of the security review (issue 13): permission hooks judged on the stored row,
comments of unreadable tickets, portal customers and the agents' tools, operators and other campaigns'
calls, click-to-call and the do-not-call list, the AMI secret following the host, streamed recordings."""

from __future__ import annotations

import os
import tempfile

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import sms as sms_api
from callcenter_app.api import telephony as telephony_api
from callcenter_app.api import tickets as tickets_api
from callcenter_app.test_utils import (
	make_agent,
	make_call_log,
	make_campaign,
	make_campaign_contact,
	make_sip_account,
	make_team,
	make_user,
	peer_thread,
)

ANN, BOB, CUSTOMER, OPA, OPB = (f"{n}@security.test" for n in ("ann", "bob", "customer", "opa", "opb"))
NUMBER = "+37060055501"


def make_ticket(team: str | None, raised_by: str = "client@example.com") -> str:
	return (
		frappe.get_doc(
			{"doctype": "HD Ticket", "subject": "Security test", "raised_by": raised_by, "agent_group": team}
		)
		.insert(ignore_permissions=True)
		.name
	)


class SecurityTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		make_agent(ANN)
		make_agent(BOB)
		for operator in (OPA, OPB):
			make_user(operator, ("Operator", "Agent"))
		make_user(CUSTOMER)
		frappe.db.set_value("User", CUSTOMER, "user_type", "Website User")
		make_team("CC Sec Red", users=[{"user": ANN}])
		make_team("CC Sec Blue", users=[{"user": BOB}])
		frappe.db.commit()  # nosemgrep: fixtures shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 1)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()


class TestStoredRowDecides(SecurityTestCase):
	def test_an_agent_cannot_move_another_teams_ticket_into_their_own(self):
		blue = make_ticket("CC Sec Blue")
		frappe.set_user(ANN)
		self.assertFalse(frappe.has_permission("HD Ticket", "read", doc=blue))
		with self.assertRaises(frappe.PermissionError):
			frappe.client.set_value("HD Ticket", blue, "agent_group", "CC Sec Red")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("HD Ticket", blue, "agent_group"), "CC Sec Blue")

	def test_an_agent_still_edits_their_own_teams_ticket(self):
		red = make_ticket("CC Sec Red")
		frappe.set_user(ANN)
		frappe.client.set_value(
			"HD Ticket", red, "priority", frappe.db.get_value("HD Ticket", red, "priority")
		)

	def test_comments_of_unreadable_tickets_are_hidden(self):
		blue = make_ticket("CC Sec Blue")
		red = make_ticket("CC Sec Red")
		for ticket in (blue, red):
			frappe.get_doc(
				{"doctype": "HD Ticket Comment", "reference_ticket": ticket, "content": f"note on {ticket}"}
			).insert(ignore_permissions=True)
		frappe.set_user(ANN)
		seen = {
			str(t)
			for t in frappe.get_list(
				"HD Ticket Comment",
				filters={"reference_ticket": ["in", [blue, red]]},
				pluck="reference_ticket",
			)
		}
		self.assertEqual(seen, {str(red)})
		comment = frappe.get_all("HD Ticket Comment", filters={"reference_ticket": blue}, pluck="name")[0]
		self.assertFalse(frappe.has_permission("HD Ticket Comment", "read", doc=comment))

	def test_a_private_callback_cannot_be_made_public_by_someone_else(self):
		campaign = make_campaign("CC Sec Callbacks", operators=(OPA, OPB))
		contact = make_campaign_contact(campaign, NUMBER)
		callback = frappe.get_doc(
			{
				"doctype": "CC Callback",
				"campaign": campaign,
				"campaign_contact": contact,
				"due_at": frappe.utils.add_to_date(frappe.utils.now_datetime(), hours=1),
				"visibility": "Private",
				"owner_user": OPA,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(OPB)
		self.assertFalse(frappe.has_permission("CC Callback", "read", doc=callback.name))
		with self.assertRaises(frappe.PermissionError):
			frappe.client.set_value("CC Callback", callback.name, "visibility", "Public")


class TestPortalCustomers(SecurityTestCase):
	def test_a_customer_may_neither_text_nor_snooze_their_own_ticket(self):
		ticket = make_ticket(None, raised_by=CUSTOMER)
		frappe.set_user(CUSTOMER)
		with self.assertRaises(frappe.PermissionError):
			sms_api.send_reply(ticket, "hello from your company")
		with self.assertRaises(frappe.PermissionError):
			tickets_api.snooze(ticket, "2099-01-01 10:00:00", "forever")
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("CC SMS Message", {"ticket": ticket}))
		self.assertFalse(frappe.db.get_value("HD Ticket", ticket, "cc_snoozed"))


class TestCallsFollowCampaigns(SecurityTestCase):
	def test_an_operator_reads_only_their_campaigns_calls(self):
		a = make_campaign("CC Sec A", operators=(OPA,))
		b = make_campaign("CC Sec B", operators=(OPB,))
		start = "2026-12-01 10:00:00"
		make_call_log("sec-a.1", start, campaign=a, direction="outbound")
		make_call_log("sec-b.1", start, campaign=b, direction="outbound")
		make_call_log("sec-in.1", start, queue="cc-sec-nobody")
		frappe.set_user(OPA)
		seen = set(frappe.get_list("CC Call Log", filters={"name": ["like", "sec-%"]}, pluck="name"))
		self.assertEqual(seen, {"sec-a.1"})
		self.assertFalse(frappe.has_permission("CC Call Log", "read", doc="sec-b.1"))
		frappe.set_user("Administrator")
		make_user("sup@security.test", ("Agent Supervisor",))
		frappe.set_user("sup@security.test")
		seen = set(frappe.get_list("CC Call Log", filters={"name": ["like", "sec-%"]}, pluck="name"))
		self.assertEqual(seen, {"sec-a.1", "sec-b.1", "sec-in.1"})


class TestClickToCall(SecurityTestCase):
	def test_the_do_not_call_list_refuses_a_click_to_call_but_not_a_call_about_a_ticket(self):
		if not frappe.db.exists("CC SIP Account", "cc-sec-ann"):
			make_sip_account("cc-sec-ann", ANN)
		frappe.get_doc({"doctype": "CC DNC Number", "number": NUMBER}).insert(ignore_permissions=True)
		# the global list is the site's: what this call path commits must not stay for other modules' tests
		self.addCleanup(lambda: (frappe.db.delete("CC DNC Number", {"number": NUMBER}), frappe.db.commit()))
		ticket = make_ticket("CC Sec Red")
		with peer_thread() as peer:
			frappe.set_user(ANN)
			with self.assertRaisesRegex(frappe.ValidationError, "do-not-call list"):
				telephony_api.click_to_call(NUMBER)
			self.assertEqual([a for a in peer.received if a["Action"] == "Originate"], [])
			telephony_api.click_to_call(NUMBER, ticket=ticket)
			self.assertEqual(len([a for a in peer.received if a["Action"] == "Originate"]), 1)


class TestAmiSecretFollowsTheHost(SecurityTestCase):
	def test_changing_the_host_needs_the_secret_again(self):
		settings = frappe.get_single("CC Settings")
		settings.update(
			{
				"ami_host": "127.0.0.1",
				"ami_port": 5038,
				"ami_username": "cc",
				"ami_secret": "first-secret-1234",
			}
		)
		settings.save(ignore_permissions=True)
		settings = frappe.get_single("CC Settings")
		settings.ami_host = "attacker.example.com"
		with self.assertRaisesRegex(frappe.ValidationError, "type the secret again"):
			settings.save(ignore_permissions=True)
		settings = frappe.get_single("CC Settings")
		self.assertEqual(settings.ami_host, "127.0.0.1")
		settings.ami_port = 6000
		with self.assertRaisesRegex(frappe.ValidationError, "type the secret again"):
			settings.save(ignore_permissions=True)
		settings = frappe.get_single("CC Settings")
		settings.update({"ami_host": "pbx2.example.com", "ami_secret": "second-secret-1234"})
		settings.save(ignore_permissions=True)
		self.assertEqual(frappe.get_single("CC Settings").get_password("ami_secret"), "second-secret-1234")


class TestRecordingIsStreamed(SecurityTestCase):
	def test_the_recording_is_sent_in_chunks_with_ranges(self):
		from werkzeug.test import EnvironBuilder

		folder = tempfile.mkdtemp()
		with open(os.path.join(folder, "sec-rec.wav"), "wb") as f:
			f.write(b"RIFF" + b"\0" * 100_000)
		frappe.db.set_single_value("CC Settings", "recordings_folder", folder)
		make_call_log("sec-rec.1", "2026-12-01 10:00:00", recording="sec-rec.wav", agent=ANN)
		environ = EnvironBuilder(path="/", headers={"Range": "bytes=0-9"}).get_environ()
		from werkzeug.wrappers import Request

		frappe.local.request = Request(environ)
		response = telephony_api.recording("sec-rec.1")
		self.assertEqual(response.status_code, 206)
		self.assertTrue(response.direct_passthrough)  # a file wrapper, not bytes read into memory
		self.assertEqual(b"".join(response.response), b"RIFF" + b"\0" * 6)
		self.assertEqual(response.headers["Content-Type"], "audio/wav")
