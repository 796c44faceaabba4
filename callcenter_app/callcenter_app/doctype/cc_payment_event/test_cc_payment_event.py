# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for top-ups and the gateways' webhooks, with no network: a loopback server answers as
Stripe and PayPal (tests/gateway_peer.py), Stripe's SDK runs against it, webhooks are signed as the
gateways sign them and go through Frappe's own request handling (``execute_cmd`` as Guest).

Replayed, forged, late and concurrent webhooks give exactly one credit, none, none, and a balance that
is the sum of the ledger; an unknown top-up, an unknown currency and a negative amount give a clear
"Needs review", nothing credited, the raw event kept."""

import json
import threading
import time

import frappe
import frappe.app
from frappe.handler import execute_cmd
from frappe.tests.utils import FrappeTestCase
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from callcenter_app.credit import references
from callcenter_app.credit import service as credit
from callcenter_app.credit.gateways import service
from callcenter_app.test_utils import (
	STRIPE_WEBHOOK_SECRET,
	load_gateway_peer,
	make_credit_account,
	make_payment_settings,
	make_portal_customer,
	purge_credit,
	purge_payment_events,
)

peer_module = load_gateway_peer()
STRIPE_HOOK = "callcenter_app.api.credit.stripe_webhook"
PAYPAL_HOOK = "callcenter_app.api.credit.paypal_webhook"
CUSTOMER = "CC Test Pay Customer"
BUYER = "cc-pay-buyer@example.com"


class Answer:
	def __init__(self, status: int, body: str = "", error: Exception | None = None):
		self.status, self.body, self.error = status, body, error

	def json(self) -> dict:
		return json.loads(self.body)


def post(method: str, raw: bytes, headers: dict) -> Answer:
	"""POST a raw body to a whitelisted method as Guest, the way Frappe's /api/method handler runs it."""
	builder = EnvironBuilder(
		method="POST",
		base_url="http://pay.localhost",
		path=f"/api/method/{method}",
		headers=headers,
		data=raw,
		content_type="application/json",
	)
	request = Request(builder.get_environ())
	saved = getattr(frappe.local, "request", None)
	user = frappe.session.user
	frappe.set_user("Guest")
	frappe.local.request = request
	frappe.app.make_form_dict(request)
	frappe.local.response = frappe._dict({"docs": []})
	try:
		result = execute_cmd(method)
	except Exception as e:
		return Answer(getattr(e, "http_status_code", 500), error=e)
	finally:
		frappe.local.request = saved
		frappe.set_user(user)
	assert isinstance(result, Response)
	return Answer(result.status_code, result.get_data(as_text=True))


class GatewayCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.server = peer_module.PeerServer()
		self.peer, self.base = self.server.__enter__()
		make_payment_settings(self.base)
		self.account = make_credit_account(CUSTOMER)
		make_portal_customer(BUYER, CUSTOMER)
		frappe.db.commit()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		self.server.__exit__(None, None, None)
		purge_credit([self.account])
		purge_payment_events()
		frappe.db.commit()

	def start(self, method: str = "Stripe", amount: int = 2500, save_card: bool = False) -> dict:
		frappe.set_user(BUYER)
		try:
			return service.start_top_up(self.account, method, amount, save_card=save_card)
		finally:
			frappe.set_user("Administrator")

	def stripe_event(self, started: dict, **changes) -> bytes:
		session = self.peer.sessions[frappe.db.get_value("CC Top Up", started["top_up"], "gateway_order_id")]
		return peer_module.stripe_session_event(session, **changes)

	def deliver_stripe(
		self, payload: bytes, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None
	) -> Answer:
		return post(
			STRIPE_HOOK, payload, {"Stripe-Signature": peer_module.stripe_signature(payload, secret, at)}
		)

	def balance(self) -> int:
		frappe.db.commit()  # a fresh snapshot
		balance, total = credit.ledger_sum(self.account)
		self.assertEqual(balance, total, "the balance is the sum of the entries")
		return balance

	def entries(self) -> int:
		return frappe.db.count("CC Credit Ledger Entry", {"account": self.account})

	def event(self, answer: Answer) -> dict:
		return frappe.db.get_value("CC Payment Event", answer.json()["event"], "*", as_dict=True)


class TestStripe(GatewayCase):
	def test_top_up_is_credited_once_by_its_webhook(self):
		started = self.start(amount=2500)
		self.assertTrue(started["redirect"].startswith("https://checkout.stripe.com/"))
		top_up = frappe.get_doc("CC Top Up", started["top_up"])
		self.assertEqual((top_up.status, top_up.requested_by, top_up.save_card), ("Pending", BUYER, 0))
		form = self.peer.requests[-1]["form"]
		self.assertNotIn("payment_intent_data[setup_future_usage]", form)
		self.assertEqual(form["customer_email"], BUYER)

		answer = self.deliver_stripe(self.stripe_event(started))
		self.assertEqual(answer.status, 200, answer.error)
		self.assertEqual(answer.json()["status"], "Processed")
		self.assertEqual(self.balance(), 2500)
		top_up.reload()
		self.assertEqual(top_up.status, "Confirmed")
		entry = frappe.get_doc("CC Credit Ledger Entry", top_up.ledger_entry)
		self.assertEqual(
			(entry.kind, entry.amount_minor, entry.source_doctype), ("Top-up", 2500, "CC Payment Event")
		)
		self.assertTrue(entry.idempotency_key.startswith("stripe:pi_"))
		event = self.event(answer)
		self.assertEqual((event.signature_ok, event.top_up, event.gateway), (1, top_up.name, "Stripe"))
		self.assertIn('"checkout.session.completed"', event.raw_body)

	def test_replayed_webhook_credits_once(self):
		started = self.start()
		payload = self.stripe_event(started, event_id="evt_replayed_1")
		first = self.deliver_stripe(payload)
		again = self.deliver_stripe(payload)  # Stripe signs each delivery anew: a fresh, valid signature
		self.assertEqual((first.status, again.status), (200, 200))
		self.assertTrue(again.json()["duplicate"])
		self.assertEqual((self.balance(), self.entries()), (2500, 1))
		self.assertEqual(frappe.db.count("CC Payment Event", {"event_id": "evt_replayed_1"}), 1)

	def test_same_payment_in_two_events_credits_once(self):
		# checkout.session.completed and async_payment_succeeded of one session (another event id)
		started = self.start()
		self.deliver_stripe(self.stripe_event(started))
		later = self.deliver_stripe(
			self.stripe_event(started, kind="checkout.session.async_payment_succeeded")
		)
		self.assertEqual((later.status, later.json()["status"]), (200, "Processed"))
		self.assertEqual((self.balance(), self.entries()), (2500, 1))

	def test_forged_webhook_credits_nothing_and_does_not_block_the_real_one(self):
		started = self.start()
		payload = self.stripe_event(started, event_id="evt_forged_1", amount_total=2500)
		forged = self.deliver_stripe(payload, secret="whsec_not_the_sites")
		self.assertEqual(forged.status, 400)
		self.assertIn("signature", forged.json()["message"])
		kept = self.event(forged)
		self.assertEqual((kept.status, kept.signature_ok, kept.event_key), ("Rejected", 0, None))
		self.assertEqual(kept.event_id, "evt_forged_1")
		self.assertEqual((self.balance(), self.entries()), (0, 0))
		tampered = payload.replace(b'"amount_total": 2500', b'"amount_total": 250000')
		sig = peer_module.stripe_signature(payload, STRIPE_WEBHOOK_SECRET)
		self.assertEqual(post(STRIPE_HOOK, tampered, {"Stripe-Signature": sig}).status, 400)
		self.assertEqual(post(STRIPE_HOOK, payload, {}).status, 400)  # unsigned
		self.assertEqual(self.balance(), 0)
		real = self.deliver_stripe(payload)
		self.assertEqual((real.status, real.json()["status"]), (200, "Processed"))
		self.assertEqual(self.balance(), 2500)

	def test_late_webhook_is_refused(self):
		started = self.start()
		payload = self.stripe_event(started)
		late = self.deliver_stripe(payload, at=int(time.time()) - 301)
		self.assertEqual(late.status, 400)
		self.assertIn("Timestamp outside the tolerance zone", late.json()["message"])
		self.assertEqual(self.event(late).status, "Rejected")
		self.assertEqual((self.balance(), self.entries()), (0, 0))
		self.assertEqual(frappe.db.get_value("CC Top Up", started["top_up"], "status"), "Pending")

	def test_concurrent_deliveries_credit_once(self):
		"""Four deliveries of one event and two of another for the same payment, at once, each in its own
		thread with its own database connection."""
		started = self.start()
		one = self.stripe_event(started, event_id="evt_concurrent_1")
		two = self.stripe_event(
			started, event_id="evt_concurrent_2", kind="checkout.session.async_payment_succeeded"
		)
		site, sites_path = frappe.local.site, frappe.local.sites_path
		payloads = [one, one, one, one, two, two]
		barrier, answers, errors = threading.Barrier(len(payloads)), [], []

		def deliver(payload: bytes):
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				sig = peer_module.stripe_signature(payload, STRIPE_WEBHOOK_SECRET)
				barrier.wait(30)
				answers.append(service.receive_stripe(payload, sig))
			except Exception as e:
				errors.append(repr(e))
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=deliver, args=(p,)) for p in payloads]
		for t in threads:
			t.start()
		for t in threads:
			t.join(120)
		self.assertEqual(errors, [])
		self.assertEqual(sorted(status for status, _ in answers), [200] * 6, answers)
		self.assertEqual(sum(1 for _, body in answers if body.get("duplicate")), 4)
		self.assertEqual((self.balance(), self.entries()), (2500, 1))
		self.assertEqual(frappe.db.count("CC Payment Event", {"event_id": ["like", "evt_concurrent_%"]}), 2)

	def test_unknown_top_up_currency_and_negative_amount_need_review(self):
		started = self.start()
		cases = [
			(
				{"client_reference_id": "TOP-999999", "metadata": {}},
				"top-up: no CC Top Up 'TOP-999999' on this site",
			),
			({"currency": "xyz"}, "currency: 'XYZ' is not a known ISO 4217 currency"),
			({"currency": "usd"}, "currency: paid in USD, top-up"),
			({"amount_total": -2500}, "amount: -2500 is not a positive amount"),
			({"amount_total": 2400}, "amount: paid 2400, top-up"),
		]
		for changes, message in cases:
			with self.subTest(changes=changes):
				answer = self.deliver_stripe(self.stripe_event(started, **changes))
				self.assertEqual(answer.status, 200)
				self.assertEqual(answer.json()["status"], "Needs review")
				self.assertIn(message, answer.json()["message"])
				event = self.event(answer)
				self.assertEqual((event.status, event.signature_ok), ("Needs review", 1))
				self.assertIn(message, event.error)
				self.assertTrue(event.raw_body.startswith("{"))
		self.assertEqual((self.balance(), self.entries()), (0, 0))
		self.assertEqual(frappe.db.get_value("CC Top Up", started["top_up"], "status"), "Pending")

	def test_closed_account_needs_review(self):
		started = self.start()
		frappe.db.set_value("CC Credit Account", self.account, "status", "Closed")
		frappe.db.commit()
		answer = self.deliver_stripe(self.stripe_event(started))
		self.assertEqual(answer.json()["status"], "Needs review")
		self.assertIn("is closed", answer.json()["message"])
		self.assertEqual(self.balance(), 0)

	def test_expired_checkout_cancels_the_top_up(self):
		started = self.start()
		answer = self.deliver_stripe(
			self.stripe_event(started, kind="checkout.session.expired", payment_status="unpaid")
		)
		self.assertEqual(answer.json()["status"], "Processed")
		self.assertEqual(frappe.db.get_value("CC Top Up", started["top_up"], "status"), "Cancelled")
		self.assertEqual(self.balance(), 0)

	def test_saved_card_lives_at_stripe_and_can_be_removed(self):
		self.start(save_card=True)
		form = self.peer.requests[-1]["form"]
		self.assertEqual(form["payment_intent_data[setup_future_usage]"], "off_session")
		customer = frappe.db.get_value("CC Credit Account", self.account, "stripe_customer")
		self.assertEqual(form["customer"], customer)
		mine = self.peer.add_card(customer)
		theirs = self.peer.add_card("cus_someone_else")
		frappe.set_user(BUYER)
		from callcenter_app.api import credit as api

		self.assertEqual([c["last4"] for c in api.saved_cards()], ["4242"])
		with self.assertRaisesRegex(frappe.ValidationError, "payment_method: not a card of this account"):
			api.remove_card(theirs)
		api.remove_card(mine)
		self.assertEqual(api.saved_cards(), [])
		self.assertEqual(self.peer.methods[theirs]["customer"], "cus_someone_else")
		# no column of any credit doctype holds card data
		for doctype in ("CC Top Up", "CC Credit Account", "CC Payment Event"):
			fields = {df.fieldname for df in frappe.get_meta(doctype).fields}
			self.assertFalse({f for f in fields if "card" in f} - {"save_card"}, doctype)

	def test_amount_limits_and_disabled_methods(self):
		with self.assertRaisesRegex(
			frappe.ValidationError, "amount: must be between 5.00 EUR and 1000.00 EUR"
		):
			self.start(amount=499)
		make_payment_settings(self.base, paypal_enabled=0)
		with self.assertRaisesRegex(frappe.ValidationError, "method: PayPal is not enabled"):
			self.start("PayPal")


class TestPayPal(GatewayCase):
	def test_order_capture_on_return_then_the_webhook_credits_nothing_more(self):
		started = self.start("PayPal", 4000)
		self.assertIn("checkoutnow?token=", started["redirect"])
		order_id = frappe.db.get_value("CC Top Up", started["top_up"], "gateway_order_id")
		self.peer.approve(order_id)
		location = service.paypal_return(started["top_up"], order_id)
		self.assertEqual(location, f"/credit?top_up={started['top_up']}&paid=1")
		self.assertEqual(self.balance(), 4000)
		capture = self.peer.orders[order_id]["capture"]
		body = peer_module.paypal_capture_event(capture)
		answer = post(PAYPAL_HOOK, body, peer_module.paypal_headers(body))
		self.assertEqual((answer.status, answer.json()["status"]), (200, "Processed"))
		self.assertEqual((self.balance(), self.entries()), (4000, 1))

	def test_webhook_alone_credits_when_the_payer_never_came_back(self):
		started = self.start("PayPal", 1500)
		order_id = frappe.db.get_value("CC Top Up", started["top_up"], "gateway_order_id")
		self.peer.approve(order_id)
		approved = json.dumps(
			{
				"id": "WH-approved-1",
				"event_type": "CHECKOUT.ORDER.APPROVED",
				"resource": {"id": order_id, "purchase_units": [{"custom_id": started["top_up"]}]},
			}
		).encode()
		answer = post(PAYPAL_HOOK, approved, peer_module.paypal_headers(approved))
		self.assertEqual((answer.status, answer.json()["status"]), (200, "Processed"), answer.body)
		self.assertEqual(self.balance(), 1500)
		self.assertEqual(
			post(PAYPAL_HOOK, approved, peer_module.paypal_headers(approved)).json()["duplicate"], True
		)
		self.assertEqual(self.entries(), 1)

	def test_forged_and_late_paypal_webhooks_credit_nothing(self):
		started = self.start("PayPal", 1500)
		order_id = frappe.db.get_value("CC Top Up", started["top_up"], "gateway_order_id")
		capture = {
			"id": "3C6FORGED",
			"status": "COMPLETED",
			"amount": {"currency_code": "EUR", "value": "15.00"},
			"custom_id": started["top_up"],
			"supplementary_data": {"related_ids": {"order_id": order_id}},
		}
		body = peer_module.paypal_capture_event(capture)
		tampered = body.replace(b'"15.00"', b'"1500.00"')
		forged = post(PAYPAL_HOOK, tampered, peer_module.paypal_headers(body))
		self.assertEqual(forged.status, 400)
		self.assertIn("PayPal says 'FAILURE'", forged.json()["message"])
		late = post(PAYPAL_HOOK, body, peer_module.paypal_headers(body, sent=time.time() - 301))
		self.assertEqual(late.status, 400)
		self.assertIn("outside the tolerance", late.json()["message"])
		self.assertEqual((self.balance(), self.entries()), (0, 0))
		self.assertEqual(frappe.db.count("CC Payment Event", {"status": "Rejected", "gateway": "PayPal"}), 2)

	def test_paypal_negative_amount_needs_review(self):
		started = self.start("PayPal", 1500)
		capture = {
			"id": "3C6NEG",
			"status": "COMPLETED",
			"amount": {"currency_code": "EUR", "value": "-15.00"},
			"custom_id": started["top_up"],
		}
		body = peer_module.paypal_capture_event(capture)
		answer = post(PAYPAL_HOOK, body, peer_module.paypal_headers(body))
		self.assertEqual(answer.json()["status"], "Needs review")
		self.assertIn("amount: -1500 is not a positive amount", answer.json()["message"])
		self.assertEqual(self.balance(), 0)


class TestBankTransfer(GatewayCase):
	def test_bank_transfer_gets_an_rf_reference_and_the_bank_details(self):
		started = self.start("Bank Transfer", 10000)
		bank = started["bank"]
		self.assertEqual((bank["iban"], bank["amount"]), ("DE89370400440532013000", "100.00 EUR"))
		stored = frappe.db.get_value("CC Top Up", started["top_up"], "rf_reference")
		self.assertTrue(references.is_valid(stored))
		self.assertEqual(bank["reference"].replace(" ", ""), stored)
		# the statement matcher's confirmation credits once, however often it is called
		entry = credit.confirm_top_up(
			started["top_up"], 10000, ("CC Top Up", started["top_up"]), "bank:DE89:L1"
		)
		again = credit.confirm_top_up(
			started["top_up"], 10000, ("CC Top Up", started["top_up"]), "bank:DE89:L1b"
		)
		self.assertEqual(entry.name, again.name)
		self.assertEqual((self.balance(), self.entries()), (10000, 1))


class TestPortalActions(GatewayCase):
	"""The portal's own endpoints, as the customer: amounts as typed, their own account only."""

	def test_top_up_from_the_portal_form(self):
		from callcenter_app.api import credit as api

		frappe.set_user(BUYER)
		started = api.top_up("Bank Transfer", " 12.34 ")
		self.assertEqual(frappe.db.get_value("CC Top Up", started["top_up"], "amount_minor"), 1234)
		for amount, message in (("12.345", "Amount: .*decimal"), ("abc", "Amount: "), ("-20", "Amount: ")):
			with self.subTest(amount=amount), self.assertRaisesRegex(frappe.ValidationError, message):
				api.top_up("Bank Transfer", amount)
		other = make_credit_account("CC Test Pay Other")
		with self.assertRaisesRegex(frappe.PermissionError, "Account: not one of your accounts"):
			api.top_up("Bank Transfer", "20", account=other)
		frappe.set_user("Administrator")
		other_top_up = frappe.get_doc(
			{"doctype": "CC Top Up", "account": other, "method": "PayPal", "status": "Pending", "amount_minor": 2000,
				"currency": "EUR"}
		).insert(ignore_permissions=True)  # fmt: skip
		frappe.db.commit()
		frappe.set_user(BUYER)
		with self.assertRaisesRegex(frappe.PermissionError, "Top-up: not one of yours"):
			api.paypal_return(other_top_up.name, "ORDER")
		frappe.set_user("Administrator")
		purge_credit([other])
		frappe.db.commit()


class TestReprocess(GatewayCase):
	def test_an_event_that_needed_review_is_credited_once_after_the_fix(self):
		from callcenter_app.api import credit as api
		from callcenter_app.test_utils import make_user

		started = self.start()
		frappe.db.set_value("CC Credit Account", self.account, "status", "Closed")
		frappe.db.commit()
		answer = self.deliver_stripe(self.stripe_event(started))
		event = answer.json()["event"]
		self.assertEqual(answer.json()["status"], "Needs review")
		frappe.set_user(BUYER)
		with self.assertRaises(frappe.PermissionError):
			api.reprocess_event(event)
		frappe.set_user(make_user("cc-pay-accountant@example.com", ("Accountant",)))
		frappe.db.set_value("CC Credit Account", self.account, "status", "Active")
		self.assertEqual(api.reprocess_event(event)["status"], "Processed")
		frappe.db.commit()
		self.assertEqual((self.balance(), self.entries()), (2500, 1))
		with self.assertRaisesRegex(frappe.ValidationError, "only a verified event that needs review"):
			api.reprocess_event(event)
		self.assertEqual(self.balance(), 2500)
