# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the SMS channel, through Frappe's own request handling (``execute_cmd`` on a real
werkzeug request, as Guest): a valid webhook makes a ticket, a forged one answers 403 and writes nothing, a
repeated one changes nothing; grouping within and outside the team's window; the closed-ticket policy;
replies by SMS (permission, gateway success and failure) and delivery reports that only move forward."""

import json
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urlencode

import frappe
import frappe.app
from frappe.handler import execute_cmd
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from callcenter_app.test_utils import (
	SMS_BASE_URL,
	SMS_NUMBER,
	SMS_TOKEN,
	make_agent,
	make_sms_gateway,
	make_sms_settings,
	make_sms_source,
	make_team,
	make_user,
)
from callcenter_app.tickets.sms.adapters import twilio_signature

INBOUND = "callcenter_app.api.sms.inbound"
STATUS = "callcenter_app.api.sms.status"
TEAM = "CC SMS Desk"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
COUNTED = ("CC SMS Message", "HD Ticket", "Contact", "Communication")


class Answer:
	def __init__(self, status: int, body: str = "", content_type: str = "", error: Exception | None = None):
		self.status, self.body, self.content_type, self.error = status, body, content_type, error

	def json(self) -> dict:
		return json.loads(self.body)


def post(
	method: str,
	*,
	json_body=None,
	form=None,
	headers=None,
	query: str = "",
	ip: str = "203.0.113.9",
	data=None,
) -> Answer:
	"""POST to a whitelisted method as Guest the way Frappe's /api/method handler runs it."""
	builder = EnvironBuilder(
		method="POST",
		base_url=SMS_BASE_URL,
		path=f"/api/method/{method}",
		query_string=query,
		headers=headers or {},
		json=json_body,
		data=urlencode(form, doseq=True) if form is not None else data,
		content_type="application/x-www-form-urlencoded" if form is not None else None,
	)
	request = Request(builder.get_environ())
	saved = (getattr(frappe.local, "request", None), getattr(frappe.local, "request_ip", None))
	user = frappe.session.user
	frappe.set_user("Guest")
	frappe.local.request, frappe.local.request_ip = request, ip
	frappe.app.make_form_dict(request)
	frappe.local.response = frappe._dict({"docs": []})
	try:
		result = execute_cmd(method)
	except Exception as e:
		return Answer(getattr(e, "http_status_code", 500), error=e)
	finally:
		frappe.local.request, frappe.local.request_ip = saved
		frappe.set_user(user)
	if isinstance(result, Response):
		return Answer(result.status_code, result.get_data(as_text=True), result.content_type)
	return Answer(200, json.dumps(result), "application/json")


def sms(message_id: str, sender: str, body: str = "My printer is broken", **extra) -> dict:
	return {"message_id": message_id, "from": sender, "to": SMS_NUMBER, "body": body, **extra}


def counts() -> dict:
	return {doctype: frappe.db.count(doctype) for doctype in COUNTED}


class SmsCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		make_team(TEAM, cc_grouping_window=30, cc_closed_reply="Reopen")
		self.source = make_sms_source(TEAM)
		make_sms_settings()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def inbound(self, payload: dict, token: str = SMS_TOKEN, **kw) -> Answer:
		return post(INBOUND, json_body=payload, headers={"X-Webhook-Token": token}, **kw)

	def ticket_of(self, answer: Answer) -> str:
		self.assertEqual(answer.status, 200, answer.error)
		return answer.json()["ticket"]

	def set_policy(self, window: int, closed_reply: str = "Reopen") -> None:
		make_team(TEAM, cc_grouping_window=window, cc_closed_reply=closed_reply)

	def age(self, ticket: str, minutes: int, status: str | None = None) -> None:
		"""Make the ticket look last touched ``minutes`` ago (and set its status)."""
		values = {"modified": add_to_date(now_datetime(), minutes=-minutes)}
		if status:
			values["status"] = status
		frappe.db.set_value("HD Ticket", ticket, values, update_modified=False)


class TestInboundWebhook(SmsCase):
	def test_valid_message_creates_a_routed_ticket_with_the_sms_on_its_conversation(self):
		answer = self.inbound(sms("gw-100", "+37060010001", "Printer broken\nsince Monday"))
		ticket = frappe.get_doc("HD Ticket", self.ticket_of(answer))
		self.assertEqual(answer.json()["action"], "new")
		self.assertEqual(
			(ticket.agent_group, ticket.cc_channel, ticket.cc_source), (TEAM, "SMS", self.source)
		)
		self.assertEqual(ticket.subject, "Printer broken")
		message = frappe.get_doc("CC SMS Message", answer.json()["message"])
		self.assertEqual(
			(message.direction, message.status, message.provider, message.provider_message_id),
			("Inbound", "Received", "Generic", "gw-100"),
		)
		self.assertEqual(
			(message.sender, message.recipient, message.ticket),
			("+37060010001", SMS_NUMBER, str(ticket.name)),
		)
		self.assertEqual(ticket.contact, message.contact)
		phones = frappe.get_all("Contact Phone", filters={"parent": ticket.contact}, pluck="phone")
		self.assertEqual(phones, ["+37060010001"])
		communication = frappe.get_doc("Communication", message.communication)
		self.assertEqual(
			(
				communication.reference_name,
				communication.communication_medium,
				communication.sent_or_received,
			),
			(str(ticket.name), "SMS", "Received"),
		)
		self.assertIn("Printer broken<br>since Monday", communication.content)
		self.assertEqual(frappe.session.user, "Administrator")  # the webhook's elevation ended

	def test_the_sources_keyword_filters_see_the_message_text(self):
		billing = make_team("CC SMS Billing")
		source = frappe.get_doc("CC Ticket Source", self.source)
		source.append("rules", {"field": "body", "operator": "contains", "value": "invoice", "team": billing})
		source.save()
		routed = self.ticket_of(self.inbound(sms("gw-kw-1", "+37060010011", "Hello\nwhere is my INVOICE?")))
		plain = self.ticket_of(self.inbound(sms("gw-kw-2", "+37060010012", "Hello")))
		self.assertEqual(frappe.db.get_value("HD Ticket", routed, "agent_group"), billing)
		self.assertEqual(frappe.db.get_value("HD Ticket", plain, "agent_group"), TEAM)

	def test_helpdesk_agent_view_shows_the_sms(self):
		from helpdesk.helpdesk.doctype.hd_ticket.api import get_one

		ticket = self.ticket_of(self.inbound(sms("gw-101", "+37060010002", "Need a callback")))
		frappe.set_user(make_agent("cc-sms-viewer@example.com"))
		conversation = get_one(ticket)["communications"]
		self.assertEqual(len(conversation), 1)
		self.assertIn("Need a callback", conversation[0].content)

	def test_an_existing_contact_is_found_by_its_number_written_any_way(self):
		contact = frappe.get_doc(
			{"doctype": "Contact", "first_name": "Ona", "phone_nos": [{"phone": "+370 600 10003"}]}
		).insert(ignore_permissions=True)
		ticket = self.ticket_of(self.inbound(sms("gw-102", "+37060010003")))
		self.assertEqual(frappe.db.get_value("HD Ticket", ticket, "contact"), contact.name)

	def test_forged_or_misplaced_tokens_answer_403_and_write_nothing(self):
		before = counts()
		cases = [
			{"headers": {"X-Webhook-Token": "wrong-token-wrong-token"}},
			{"headers": {}},
			{"headers": {"Authorization": f"Basic {SMS_TOKEN}"}},
			{"headers": {}, "query": f"token={SMS_TOKEN}"},
		]
		for case in cases:
			with self.subTest(case=case):
				answer = post(INBOUND, json_body=sms("gw-forged", "+37060010004"), **case)
				self.assertEqual(answer.status, 403)
				self.assertNotIn(SMS_TOKEN, str(answer.error))
		self.assertEqual(counts(), before)

	def test_every_failed_authentication_answers_the_same(self):
		"""A forger learns nothing from the answer: a wrong or missing token, a channel that is off and a
		Twilio signature that does not match all read "Not permitted" (the reason is in the log only)."""
		answers = [
			post(
				INBOUND, json_body=sms("gw-f1", "+37060010041"), headers={"X-Webhook-Token": "wrong-token-x"}
			),
			post(INBOUND, json_body=sms("gw-f2", "+37060010042")),
			post(STATUS, json_body={"message_id": "x", "status": "delivered"}),
		]
		make_sms_settings(enabled=0)
		answers.append(self.inbound(sms("gw-f3", "+37060010043")))
		make_sms_settings("Twilio", TWILIO_TOKEN)
		answers.append(post(INBOUND, form={"From": "+37060010044"}, headers={"X-Twilio-Signature": "bad"}))
		answers.append(post(INBOUND, form={"From": "+37060010044"}))
		self.assertEqual({a.status for a in answers}, {403})
		self.assertEqual({str(a.error) for a in answers}, {"Not permitted"})

	def test_a_body_over_the_bound_is_413_before_anything_else(self):
		before = counts()
		answer = post(
			INBOUND, data=b"x" * (64 * 1024 + 1), headers={"Content-Type": "application/octet-stream"}
		)
		self.assertEqual(answer.status, 413, answer.error)
		self.assertIn("at most 65536 bytes", str(answer.error))
		self.assertEqual(counts(), before)
		self.assertEqual(self.inbound(sms("gw-small", "+37060010045")).status, 200)

	def test_webhooks_are_rate_limited_per_address(self):
		frappe.local.conf["cc_sms_webhook_rate_limit"] = 3
		frappe.cache.delete_keys("rl:")
		try:
			statuses = [
				post(STATUS, json_body={"message_id": "x", "status": "delivered"}, ip="198.51.100.7").status
				for _ in range(4)
			]
			other = post(STATUS, json_body={"message_id": "x", "status": "delivered"}, ip="198.51.100.8")
		finally:
			frappe.local.conf.pop("cc_sms_webhook_rate_limit")
			frappe.cache.delete_keys("rl:")
		self.assertEqual(statuses, [403, 403, 403, 429])
		self.assertEqual(other.status, 403)  # another address has its own count

	def test_a_turned_off_channel_refuses_even_the_right_token(self):
		make_sms_settings(enabled=0)
		self.assertEqual(self.inbound(sms("gw-off", "+37060010005")).status, 403)

	def test_a_message_to_a_number_we_do_not_receive_on_is_400_and_writes_nothing(self):
		before = counts()
		answer = self.inbound({**sms("gw-other", "+37060010006"), "to": "+37052999999"})
		self.assertEqual(answer.status, 400)
		self.assertIn("to", str(answer.error))
		self.assertEqual(counts(), before)

	def test_a_malformed_message_is_400_naming_the_field(self):
		answer = self.inbound({"message_id": "gw-bad", "from": "+37060010007", "to": SMS_NUMBER})
		self.assertEqual(answer.status, 400)
		self.assertIn("body", str(answer.error))

	def test_get_is_not_allowed(self):
		builder = EnvironBuilder(method="GET", base_url=SMS_BASE_URL, path=f"/api/method/{INBOUND}")
		frappe.set_user("Guest")
		saved = getattr(frappe.local, "request", None)
		frappe.local.request = Request(builder.get_environ())
		try:
			self.assertRaises(frappe.PermissionError, execute_cmd, INBOUND)
		finally:
			frappe.local.request = saved
			frappe.set_user("Administrator")

	def test_a_repeated_message_changes_nothing(self):
		first = self.inbound(sms("gw-200", "+37060010008"))
		after_first = counts()
		second = self.inbound(sms("gw-200", "+37060010008"))
		self.assertEqual(second.status, 200)
		self.assertEqual(second.json()["action"], "duplicate")
		self.assertEqual(
			(second.json()["message"], second.json()["ticket"]),
			(first.json()["message"], first.json()["ticket"]),
		)
		self.assertEqual(counts(), after_first)
		self.assertEqual(frappe.db.count("CC SMS Message", {"provider_message_id": "gw-200"}), 1)
		self.assertEqual(
			frappe.db.count(
				"HD Ticket", {"contact": frappe.db.get_value("HD Ticket", first.json()["ticket"], "contact")}
			),
			1,
		)

	def test_the_same_id_from_another_provider_is_another_message(self):
		self.inbound(sms("shared-id", "+37060010009"))
		make_sms_settings("Twilio", TWILIO_TOKEN)
		params = {"MessageSid": "shared-id", "From": "+37060010009", "To": SMS_NUMBER, "Body": "again"}
		answer = self.twilio(params)
		self.assertEqual(answer.status, 200)
		self.assertEqual(frappe.db.count("CC SMS Message", {"provider_message_id": "shared-id"}), 2)

	def twilio(self, params: dict, signature: str | None = None) -> Answer:
		url = f"{SMS_BASE_URL}/api/method/{INBOUND}"
		signature = signature if signature is not None else twilio_signature(TWILIO_TOKEN, url, params)
		return post(INBOUND, form=params, headers={"X-Twilio-Signature": signature})

	def test_twilio_signed_message_is_accepted_with_twiml_and_a_forged_one_refused(self):
		make_sms_settings("Twilio", TWILIO_TOKEN)
		params = {
			"MessageSid": "SM00000000000000000000000000000001",
			"AccountSid": "AC00000000000000000000000000000001",
			"From": "+37060010010",
			"To": SMS_NUMBER,
			"Body": "Labas, kur mano siuntinys?",
		}
		before = counts()
		forged = self.twilio(
			{**params, "Body": "tampered"}, signature=twilio_signature(TWILIO_TOKEN, SMS_BASE_URL, params)
		)
		self.assertEqual(forged.status, 403)
		self.assertEqual(counts(), before)
		answer = self.twilio(params)
		self.assertEqual(answer.status, 200, answer.error)
		self.assertEqual(answer.content_type, "text/xml; charset=utf-8")
		self.assertIn("<Response></Response>", answer.body)
		message = frappe.get_value(
			"CC SMS Message",
			{"provider_message_id": params["MessageSid"]},
			["provider", "ticket"],
			as_dict=True,
		)
		self.assertEqual(message.provider, "Twilio")
		self.assertEqual(frappe.db.get_value("HD Ticket", message.ticket, "agent_group"), TEAM)


class TestGrouping(SmsCase):
	def test_within_the_window_messages_join_the_open_ticket(self):
		first = self.ticket_of(self.inbound(sms("g-1", "+37060020001", "Hello")))
		second = self.inbound(sms("g-2", "+37060020001", "Are you there?"))
		self.assertEqual((self.ticket_of(second), second.json()["action"]), (first, "join"))
		bodies = frappe.get_all(
			"Communication",
			filters={
				"reference_doctype": "HD Ticket",
				"reference_name": first,
				"communication_medium": "SMS",
			},
			pluck="content",
			order_by="creation asc",
		)
		self.assertEqual(len(bodies), 2)
		self.assertIn("Are you there?", bodies[1])

	def test_outside_the_window_a_new_ticket(self):
		first = self.ticket_of(self.inbound(sms("g-3", "+37060020002")))
		self.age(first, 31)
		second = self.inbound(sms("g-4", "+37060020002"))
		self.assertNotEqual(self.ticket_of(second), first)
		self.assertEqual(second.json()["action"], "new")

	def test_window_zero_never_groups(self):
		self.set_policy(0)
		first = self.ticket_of(self.inbound(sms("g-5", "+37060020003")))
		self.assertNotEqual(self.ticket_of(self.inbound(sms("g-6", "+37060020003"))), first)

	def test_another_sender_never_joins(self):
		first = self.ticket_of(self.inbound(sms("g-7", "+37060020004")))
		self.assertNotEqual(self.ticket_of(self.inbound(sms("g-8", "+37060020005"))), first)

	def test_a_reply_to_our_sms_joins_the_ticket_we_texted_from(self):
		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "Agent-made",
				"raised_by": "x@example.com",
				"agent_group": TEAM,
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "CC SMS Message",
				"direction": "Outbound",
				"status": "Sent",
				"provider": "Generic",
				"provider_message_id": "out-1",
				"dedupe_key": "Generic:out-1",
				"sender": SMS_NUMBER,
				"recipient": "+37060020006",
				"ticket": ticket.name,
			}
		).insert(ignore_permissions=True)
		answer = self.inbound(sms("g-9", "+37060020006", "Yes, tomorrow is fine"))
		self.assertEqual((self.ticket_of(answer), answer.json()["action"]), (str(ticket.name), "join"))

	def test_closed_within_the_window_and_policy_reopen(self):
		first = self.ticket_of(self.inbound(sms("c-1", "+37060030001")))
		self.age(first, 5, status="Closed")
		answer = self.inbound(sms("c-2", "+37060030001", "Still broken"))
		self.assertEqual((self.ticket_of(answer), answer.json()["action"]), (first, "reopen"))
		self.assertEqual(frappe.db.get_value("HD Ticket", first, "status"), "Open")

	def test_closed_within_the_window_and_policy_new_linked_ticket(self):
		self.set_policy(30, "New linked ticket")
		first = self.ticket_of(self.inbound(sms("c-3", "+37060030002")))
		self.age(first, 5, status="Resolved")
		answer = self.inbound(sms("c-4", "+37060030002", "Another question"))
		new = self.ticket_of(answer)
		self.assertNotEqual(new, first)
		self.assertEqual(answer.json()["action"], "new_linked")
		self.assertEqual(frappe.db.get_value("HD Ticket", new, "cc_previous_ticket"), first)
		self.assertEqual(frappe.db.get_value("HD Ticket", first, "status"), "Resolved")
		self.assertFalse(
			frappe.db.exists(
				"Communication", {"reference_name": first, "content": ["like", "%Another question%"]}
			)
		)

	def test_closed_outside_the_window_is_a_plain_new_ticket(self):
		first = self.ticket_of(self.inbound(sms("c-5", "+37060030003")))
		self.age(first, 120, status="Closed")
		answer = self.inbound(sms("c-6", "+37060030003"))
		new = self.ticket_of(answer)
		self.assertNotEqual(new, first)
		self.assertEqual(answer.json()["action"], "new")
		self.assertFalse(frappe.db.get_value("HD Ticket", new, "cc_previous_ticket"))
		self.assertEqual(frappe.db.get_value("HD Ticket", first, "status"), "Closed")


class GatewayAnswer:
	def __init__(self, status_code: int = 201, payload: dict | None = None, text: str = ""):
		self.status_code = status_code
		self.content = json.dumps(payload).encode() if payload is not None else text.encode()
		self.text = self.content.decode()
		self.headers = {"Content-Type": "application/json" if payload is not None else "text/plain"}


@contextmanager
def gateway(answer: GatewayAnswer):
	with patch("callcenter_app.tickets.sms.service.requests.request", return_value=answer) as call:
		yield call


class TestReplies(SmsCase):
	def setUp(self):
		super().setUp()
		make_sms_gateway()
		self.ticket = self.ticket_of(self.inbound(sms("r-1", "+37060040001", "Call me")))
		self.agent = make_agent("cc-sms-agent@example.com")
		make_team(TEAM, users=[{"user": self.agent}])  # agents see their own teams' tickets

	def reply(self, user: str, text: str = "We will call you at 10:00") -> dict:
		from callcenter_app.api.sms import send_reply

		frappe.set_user(user)
		try:
			return send_reply(ticket=self.ticket, message=text)
		finally:
			frappe.set_user("Administrator")

	def test_an_agent_replies_through_the_sms_settings_gateway(self):
		with gateway(GatewayAnswer(201, {"sid": "SM-out-1", "status": "queued"})) as call:
			result = self.reply(self.agent)
		self.assertEqual((result["status"], result["segments"]), ("Sent", 1))
		method, url = call.call_args.args
		kwargs = call.call_args.kwargs
		self.assertEqual((method, url), ("POST", "https://gateway.example.com/send"))
		self.assertEqual(
			kwargs["data"], {"text": "We will call you at 10:00", "from": SMS_NUMBER, "to": "+37060040001"}
		)
		self.assertEqual(kwargs["headers"]["Authorization"], "Bearer gateway-secret")
		self.assertTrue(kwargs["timeout"])
		message = frappe.get_doc("CC SMS Message", result["name"])
		self.assertEqual(
			(
				message.direction,
				message.status,
				message.provider_message_id,
				message.sent_by,
				message.recipient,
				message.sender,
			),
			("Outbound", "Sent", "SM-out-1", self.agent, "+37060040001", SMS_NUMBER),
		)
		communication = frappe.get_doc("Communication", message.communication)
		self.assertEqual(
			(
				communication.reference_name,
				communication.communication_medium,
				communication.sent_or_received,
			),
			(self.ticket, "SMS", "Sent"),
		)
		self.assertNotIn("data-cc-signature", communication.content)

	def test_a_user_who_cannot_write_the_ticket_is_refused_and_nothing_is_sent(self):
		outsider = make_user("cc-sms-outsider@example.com", ("Sales User",))
		with gateway(GatewayAnswer()) as call:
			self.assertRaises(frappe.PermissionError, self.reply, outsider)
		call.assert_not_called()
		self.assertFalse(frappe.db.exists("CC SMS Message", {"direction": "Outbound"}))

	def test_an_agent_limited_to_other_teams_is_refused(self):
		if not frappe.get_meta("CC Settings").has_field("agents_see_own_teams_only"):
			self.skipTest("CC Settings has no agents_see_own_teams_only on this site")
		other = make_agent("cc-sms-other-team@example.com")
		make_team("CC SMS Other Team", users=[{"user": other}])
		before = frappe.db.get_single_value("CC Settings", "agents_see_own_teams_only")
		# singles are cached beyond the transaction: the value is put back after the rollback too
		self.addCleanup(frappe.db.set_single_value, "CC Settings", "agents_see_own_teams_only", before)
		frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 0)
		frappe.set_user(other)
		self.assertTrue(frappe.has_permission("HD Ticket", "write", self.ticket))  # unrestricted: any agent
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 1)
		with gateway(GatewayAnswer()) as call:
			self.assertRaises(frappe.PermissionError, self.reply, other)
		call.assert_not_called()

	def test_a_refusing_gateway_is_recorded_as_failed_without_a_timeline_entry(self):
		with gateway(GatewayAnswer(500, text="Insufficient credit")):
			result = self.reply(self.agent)
		self.assertEqual(result["status"], "Failed")
		self.assertIn("HTTP 500: Insufficient credit", result["detail"])
		message = frappe.get_doc("CC SMS Message", result["name"])
		self.assertEqual((message.status, message.communication), ("Failed", None))

	def test_an_unreachable_gateway_is_failed_too(self):
		import requests

		with patch(
			"callcenter_app.tickets.sms.service.requests.request", side_effect=requests.ConnectTimeout("x")
		):
			result = self.reply(self.agent)
		self.assertEqual(result["status"], "Failed")
		self.assertIn("ConnectTimeout", result["detail"])

	def test_an_empty_message_is_refused_naming_the_field(self):
		with gateway(GatewayAnswer()) as call:
			with self.assertRaises(frappe.ValidationError) as e:
				self.reply(self.agent, "   ")
		call.assert_not_called()
		self.assertIn("Message", str(e.exception))

	def test_delivery_reports_move_forward_only_and_are_idempotent(self):
		with gateway(GatewayAnswer(201, {"sid": "SM-out-2"})):
			name = self.reply(self.agent)["name"]

		def report(status: str, message_id: str = "SM-out-2", token: str = SMS_TOKEN) -> Answer:
			return post(
				STATUS,
				json_body={"message_id": message_id, "status": status},
				headers={"X-Webhook-Token": token},
			)

		self.assertEqual(report("delivered").json()["action"], "updated")
		self.assertEqual(frappe.db.get_value("CC SMS Message", name, "status"), "Delivered")
		self.assertEqual(report("sent").json()["action"], "unchanged")  # late
		self.assertEqual(report("delivered").json()["action"], "unchanged")  # repeated
		self.assertEqual(report("failed").json()["action"], "unchanged")
		self.assertEqual(frappe.db.get_value("CC SMS Message", name, "status"), "Delivered")
		self.assertEqual(report("delivered", message_id="SM-unknown").json()["action"], "unknown")
		self.assertEqual(report("failed", token="forged-token-forged-token").status, 403)
		self.assertEqual(frappe.db.get_value("CC SMS Message", name, "status"), "Delivered")

	def test_a_failure_report_after_sent_is_recorded_with_its_detail(self):
		make_sms_settings("Twilio", TWILIO_TOKEN)
		with gateway(GatewayAnswer(201, {"sid": "SM-out-3"})):
			name = self.reply(self.agent)["name"]
		params = {"MessageSid": "SM-out-3", "MessageStatus": "undelivered", "ErrorCode": "30005"}
		url = f"{SMS_BASE_URL}/api/method/{STATUS}"
		answer = post(
			STATUS, form=params, headers={"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)}
		)
		self.assertEqual(answer.status, 200, answer.error)
		self.assertEqual(
			frappe.db.get_value("CC SMS Message", name, ["status", "status_detail"]),
			("Failed", "undelivered (error 30005)"),
		)


class TestMessagePermissions(SmsCase):
	def test_messages_follow_their_ticket(self):
		answer = self.inbound(sms("p-1", "+37060050001"))
		message = frappe.get_doc("CC SMS Message", answer.json()["message"])
		agent = make_agent("cc-sms-reader@example.com")
		make_team(TEAM, users=[{"user": agent}])
		outsider = make_user("cc-sms-nobody@example.com", ("Sales User",))
		self.assertTrue(frappe.has_permission("CC SMS Message", "read", message, user=agent))
		frappe.set_user(outsider)
		self.assertFalse(frappe.has_permission("CC SMS Message", "read", message))
		frappe.set_user(agent)
		self.assertIn(message.name, frappe.get_list("CC SMS Message", pluck="name"))
		self.assertFalse(frappe.has_permission("CC SMS Message", "create"))
		self.assertFalse(frappe.has_permission("CC SMS Message", "write", message))
