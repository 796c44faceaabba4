"""The top-up gateways' pure side against a loopback peer that answers as Stripe and PayPal do: the
Stripe SDK's own code runs (its api_base points at the peer), webhooks are signed as the gateways sign
them, and nothing reaches the network."""

from __future__ import annotations

import json
import time

import pytest
from gateway_peer import (
	PAYPAL_CLIENT_ID,
	PAYPAL_SECRET,
	PAYPAL_WEBHOOK_ID,
	STRIPE_SECRET_KEY,
	PeerServer,
	paypal_capture_event,
	paypal_headers,
	stripe_session_event,
	stripe_signature,
)
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.credit.gateways import (
	APPROVED,
	EXPIRED,
	IGNORED,
	PAID,
	Payment,
	WebhookRefused,
	paypal,
	review_problems,
)
from callcenter_app.credit.gateways import stripe_checkout as sc

WHSEC = "whsec_tests_0123456789abcdef"


@pytest.fixture
def peer():
	with PeerServer() as (peer, base):
		yield peer, base


def make_session(
	base: str, *, save_card: bool = False, customer: str | None = None, amount: int = 2500
) -> dict:
	params = sc.session_params(
		top_up="TOP-000001",
		account="CRA-00001",
		amount_minor=amount,
		currency="EUR",
		product_name="Call credit",
		success_url="https://cc.example.com/credit?paid=1",
		cancel_url="https://cc.example.com/credit",
		save_card=save_card,
		customer=customer,
		email="buyer@example.com",
	)
	return sc.create_session(STRIPE_SECRET_KEY, params, api_base=base)


# Stripe ---------------------------------------------------------------------------------------------


def test_checkout_session_through_the_sdk(peer):
	p, base = peer
	session = make_session(base)
	assert session["id"].startswith("cs_test_") and session["url"].startswith("https://checkout.stripe.com/")
	sent = p.requests[-1]
	assert sent["path"] == "/v1/checkout/sessions"
	assert sent["headers"]["idempotency-key"] == "cc-checkout-TOP-000001"
	form = sent["form"]
	assert form["mode"] == "payment"
	assert form["line_items[0][price_data][unit_amount]"] == "2500"
	assert form["line_items[0][price_data][currency]"] == "eur"
	assert form["client_reference_id"] == "TOP-000001"
	assert not any("setup_future_usage" in k for k in form), "no card is saved unless the customer asked"


def test_save_card_sets_up_future_usage_on_the_customer(peer):
	p, base = peer
	customer = sc.create_customer(
		STRIPE_SECRET_KEY, account="CRA-00001", email="b@example.com", api_base=base
	)
	make_session(base, save_card=True, customer=customer)
	form = p.requests[-1]["form"]
	assert form["payment_intent_data[setup_future_usage]"] == "off_session"
	assert form["customer"] == customer
	with pytest.raises(ValueError, match="save_card needs"):
		sc.session_params(
			top_up="T",
			account="A",
			amount_minor=1,
			currency="EUR",
			product_name="x",
			success_url="s",
			cancel_url="c",
			save_card=True,
		)


def test_saved_cards_are_listed_and_only_the_accounts_own_can_be_removed(peer):
	p, base = peer
	mine = p.add_card("cus_mine", "4242")
	theirs = p.add_card("cus_theirs", "1881")
	cards = sc.saved_cards(STRIPE_SECRET_KEY, "cus_mine", api_base=base)
	assert cards == [{"id": mine, "brand": "visa", "last4": "4242", "exp": "12/2030"}]
	with pytest.raises(PermissionError, match="not a card of this account"):
		sc.remove_card(STRIPE_SECRET_KEY, "cus_mine", theirs, api_base=base)
	assert p.methods[theirs]["customer"] == "cus_theirs"
	sc.remove_card(STRIPE_SECRET_KEY, "cus_mine", mine, api_base=base)
	assert p.methods[mine]["customer"] is None
	assert sc.saved_cards(STRIPE_SECRET_KEY, "cus_mine", api_base=base) == []


def test_a_wrong_secret_key_is_stripes_error_not_ours(peer):
	import stripe

	_, base = peer
	params = sc.session_params(
		top_up="T",
		account="A",
		amount_minor=1,
		currency="EUR",
		product_name="x",
		success_url="s",
		cancel_url="c",
		save_card=False,
	)
	with pytest.raises(stripe.error.AuthenticationError):
		sc.create_session("sk_test_wrong", params, api_base=base)


def test_webhook_signature_checked_by_the_sdk(peer):
	_, base = peer
	session = make_session(base)
	payload = stripe_session_event(
		{**session, "object": "checkout.session", "amount_total": 2500, "currency": "eur"}
	)
	event = sc.verify(payload, stripe_signature(payload, WHSEC), WHSEC)
	assert event["type"] == "checkout.session.completed"

	forged = stripe_signature(payload, "whsec_someone_else")
	with pytest.raises(WebhookRefused, match="signature"):
		sc.verify(payload, forged, WHSEC)
	tampered = payload.replace(b'"amount_total": 2500', b'"amount_total": 999999')
	with pytest.raises(WebhookRefused, match="signature"):
		sc.verify(tampered, stripe_signature(payload, WHSEC), WHSEC)
	late = stripe_signature(payload, WHSEC, timestamp=int(time.time()) - 301)
	with pytest.raises(WebhookRefused, match="signature"):
		sc.verify(payload, late, WHSEC, tolerance_s=300)
	assert sc.verify(payload, stripe_signature(payload, WHSEC, int(time.time()) - 200), WHSEC, 300)
	with pytest.raises(WebhookRefused, match="no Stripe-Signature header"):
		sc.verify(payload, None, WHSEC)
	with pytest.raises(WebhookRefused, match="webhook secret is not configured"):
		sc.verify(payload, stripe_signature(payload, WHSEC), "")


def test_stripe_events_become_payments():
	session = {"id": "cs_test_a1000001", "object": "checkout.session", "client_reference_id": "TOP-1"}
	paid = sc.payment_from_event(json.loads(stripe_session_event(session, amount_total=700, currency="eur")))
	assert (paid.outcome, paid.top_up, paid.amount_minor, paid.currency) == (PAID, "TOP-1", 700, "EUR")
	assert paid.payment_id == "pi_a1000001" and paid.order_id == "cs_test_a1000001"
	unpaid = json.loads(
		stripe_session_event(session, amount_total=700, currency="eur", payment_status="unpaid")
	)
	assert (
		sc.payment_from_event(unpaid).outcome == IGNORED
	)  # a delayed method: wait for async_payment_succeeded
	later = json.loads(
		stripe_session_event(
			session, kind="checkout.session.async_payment_succeeded", amount_total=7, currency="eur"
		)
	)
	assert sc.payment_from_event(later).outcome == PAID
	expired = json.loads(
		stripe_session_event(session, kind="checkout.session.expired", amount_total=7, currency="eur")
	)
	assert sc.payment_from_event(expired).outcome == EXPIRED
	other = {"id": "evt_1", "type": "invoice.paid", "data": {"object": {"object": "invoice"}}}
	assert sc.payment_from_event(other).outcome == IGNORED
	odd = json.loads(stripe_session_event(session, amount_total="700", currency=None))
	assert (sc.payment_from_event(odd).amount_minor, sc.payment_from_event(odd).currency) == (None, None)


# What may be credited -------------------------------------------------------------------------------

TOP = {
	"name": "TOP-1",
	"account": "CRA-1",
	"currency": "EUR",
	"amount_minor": 1000,
	"gateway_order_id": "cs_1",
}


def payment(**changes) -> Payment:
	values = {
		"gateway": "Stripe",
		"event_id": "evt_1",
		"event_type": "checkout.session.completed",
		"outcome": PAID,
		"top_up": "TOP-1",
		"order_id": "cs_1",
		"amount_minor": 1000,
		"currency": "EUR",
	}
	return Payment(**{**values, **changes})


@pytest.mark.parametrize(
	("changes", "top_up", "message"),
	[
		({}, None, "top-up: no CC Top Up 'TOP-1' on this site (unknown account)"),
		({"currency": "USD"}, TOP, "currency: paid in USD, top-up TOP-1 is in EUR"),
		({"currency": "XYZ"}, TOP, "currency: 'XYZ' is not a known ISO 4217 currency"),
		({"currency": None}, TOP, "currency: None is not a known ISO 4217 currency"),
		({"amount_minor": -1000}, TOP, "amount: -1000 is not a positive amount"),
		({"amount_minor": 0}, TOP, "amount: 0 is not a positive amount"),
		({"amount_minor": None}, TOP, "amount: None is not a whole number"),
		({"amount_minor": 999}, TOP, "amount: paid 999, top-up TOP-1 requested 1000"),
		({"order_id": "cs_2"}, TOP, "order: the payment is for cs_2"),
		(
			{},
			{**TOP, "account_exists": False},
			"account: top-up TOP-1 points at an account that does not exist",
		),
	],
)
def test_review_problems(changes, top_up, message):
	problems = review_problems(payment(**changes), top_up, known_currencies={"EUR", "USD"})
	assert any(p.startswith(message) for p in problems), problems


def test_a_good_payment_has_no_problems():
	assert review_problems(payment(), TOP, known_currencies={"EUR"}) == []


# PayPal ---------------------------------------------------------------------------------------------


def exponent_of(currency):
	return {"EUR": 2, "USD": 2, "JPY": 0, "HUF": 2, "KWD": 3}.get(currency)


@pytest.mark.parametrize(
	("minor", "currency", "exponent", "value"),
	[
		(2500, "EUR", 2, "25.00"),
		(5, "EUR", 2, "0.05"),
		(1200, "JPY", 0, "1200"),
		(150000, "HUF", 2, "1500"),
		(1250, "KWD", 3, "1.250"),
	],
)
def test_paypal_amounts(minor, currency, exponent, value):
	assert paypal.amount_value(minor, currency, exponent) == value
	scale = 0 if currency in paypal.WHOLE_UNITS_ONLY else exponent
	assert paypal.minor_from_value(value, scale) * (10 ** (exponent - scale)) == minor


def test_paypal_refuses_fractions_it_cannot_take():
	with pytest.raises(ValueError, match="PayPal takes HUF in whole units only"):
		paypal.amount_value(150050, "HUF", 2)
	assert paypal.minor_from_value("1.005", 2) is None
	assert paypal.minor_from_value("NaN", 2) is None
	assert paypal.minor_from_value("abc", 2) is None


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from([0, 2, 3]))
def test_paypal_amount_round_trip(minor, exponent):
	assert paypal.minor_from_value(paypal.amount_value(minor, "EUR", exponent), exponent) == minor


def client(base: str, secret: str = PAYPAL_SECRET) -> paypal.PayPalClient:
	return paypal.PayPalClient(base, PAYPAL_CLIENT_ID, secret)


def test_paypal_order_approve_capture(peer):
	p, base = peer
	c = client(base)
	order = c.create_order(
		top_up="TOP-000002",
		amount_minor=2500,
		currency="EUR",
		exponent=2,
		return_url="https://cc.example.com/api/method/x.paypal_return",
		cancel_url="https://cc.example.com/credit",
	)
	assert order["url"].startswith("https://www.sandbox.paypal.com/checkoutnow?token=")
	sent = json.loads(p.requests[-1]["raw"])
	assert sent["purchase_units"][0]["amount"] == {"currency_code": "EUR", "value": "25.00"}
	assert p.requests[-1]["headers"]["paypal-request-id"] == "cc-order-TOP-000002"
	with pytest.raises(paypal.PayPalError, match="capture: PayPal answered 422 UNPROCESSABLE_ENTITY"):
		c.capture(order["id"])
	p.approve(order["id"])
	answer = c.capture(order["id"])
	pay = paypal.payment_from_capture_answer(answer, exponent_of)
	assert (pay.outcome, pay.top_up, pay.amount_minor, pay.currency, pay.order_id) == (
		PAID,
		"TOP-000002",
		2500,
		"EUR",
		order["id"],
	)
	assert p.tokens_issued == 1, "the token is reused"


def test_paypal_wrong_client_secret(peer):
	_, base = peer
	with pytest.raises(paypal.PayPalError, match="token: PayPal answered 401 invalid_client"):
		client(base, "wrong").token()


def test_paypal_webhook_verified_by_paypals_api(peer):
	p, base = peer
	c = client(base)
	capture = {
		"id": "3C679366HH908993F",
		"status": "COMPLETED",
		"amount": {"currency_code": "EUR", "value": "25.00"},
		"custom_id": "TOP-000002",
		"supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
	}
	body = paypal_capture_event(capture)
	c.verify_webhook(paypal_headers(body), body, PAYPAL_WEBHOOK_ID)
	sent = p.requests[-1]["raw"].decode()
	assert sent.endswith(body.decode() + "}"), "the event goes back byte for byte"
	tampered = body.replace(b'"25.00"', b'"2500.00"')
	with pytest.raises(WebhookRefused, match="PayPal says 'FAILURE'"):
		c.verify_webhook(paypal_headers(body), tampered, PAYPAL_WEBHOOK_ID)
	with pytest.raises(WebhookRefused, match="PayPal says 'FAILURE'"):
		c.verify_webhook(paypal_headers(body, webhook_id="WH-OTHER"), body, PAYPAL_WEBHOOK_ID)
	headers = paypal_headers(body)
	del headers["PAYPAL-TRANSMISSION-SIG"]
	with pytest.raises(WebhookRefused, match="no PAYPAL-TRANSMISSION-SIG header"):
		c.verify_webhook(headers, body, PAYPAL_WEBHOOK_ID)
	pay = paypal.payment_from_event(json.loads(body), exponent_of)
	assert (pay.outcome, pay.top_up, pay.amount_minor, pay.payment_id) == (
		PAID,
		"TOP-000002",
		2500,
		capture["id"],
	)


def test_paypal_transmission_time_tolerance():
	body = b"{}"
	paypal.check_transmission_time(paypal_headers(body), 300)
	with pytest.raises(WebhookRefused, match="outside the tolerance"):
		paypal.check_transmission_time(paypal_headers(body, sent=time.time() - 301), 300)
	with pytest.raises(WebhookRefused, match="is not a time"):
		paypal.check_transmission_time({"PAYPAL-TRANSMISSION-TIME": "yesterday"}, 300)


def test_paypal_events_become_payments():
	approved = {
		"id": "WH-1",
		"event_type": "CHECKOUT.ORDER.APPROVED",
		"resource": {"id": "ORDER1", "purchase_units": [{"custom_id": "TOP-9", "amount": {}}]},
	}
	pay = paypal.payment_from_event(approved, exponent_of)
	assert (pay.outcome, pay.top_up, pay.order_id) == (APPROVED, "TOP-9", "ORDER1")
	assert (
		paypal.payment_from_event({"id": "WH-2", "event_type": "BILLING.PLAN.CREATED"}, exponent_of).outcome
		== IGNORED
	)
	unknown = {
		"id": "WH-3",
		"event_type": "PAYMENT.CAPTURE.COMPLETED",
		"resource": {"id": "C", "status": "COMPLETED", "amount": {"currency_code": "XYZ", "value": "1.00"}},
	}
	assert paypal.payment_from_event(unknown, exponent_of).amount_minor is None
