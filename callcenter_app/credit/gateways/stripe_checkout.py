"""Stripe Checkout for top-ups, through Stripe's own SDK (``stripe``; pyproject says which versions).

Only the SDK's global-module API is used (``stripe.checkout.Session``, ``stripe.Customer``,
``stripe.PaymentMethod``, ``stripe.Webhook.construct_event``): it is the same in stripe 2.56 (what
frappe/payments pins) and in current releases, so the app runs with either. Every call passes its secret
key explicitly; ``api_base`` is set only when the settings name one (tests point it at a loopback server).
Nothing of a card passes through the site: the customer types it on Stripe's page, a saved card stays
at Stripe (on the account's Stripe Customer), and webhooks carry the session, not the card.
"""

from __future__ import annotations

import json

from callcenter_app.credit.gateways import (
	EXPIRED,
	FAILED,
	IGNORED,
	PAID,
	Payment,
	WebhookRefused,
)
from callcenter_app.credit.gateways.shapes import obj, text

DEFAULT_API_BASE = "https://api.stripe.com"
DEFAULT_TOLERANCE_S = 300  # the SDK's own default

# Stripe's events a top-up uses (delayed methods such as SEPA debit complete "unpaid", then succeed later).
OUTCOMES = {
	"checkout.session.completed": None,  # PAID when payment_status is paid, else wait for the async event
	"checkout.session.async_payment_succeeded": PAID,
	"checkout.session.async_payment_failed": FAILED,
	"checkout.session.expired": EXPIRED,
}


def sdk(api_base: str | None = None):
	"""The stripe module, pointed at ``api_base`` (Stripe's own when empty)."""
	import stripe

	stripe.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
	return stripe


def session_params(
	*,
	top_up: str,
	account: str,
	amount_minor: int,
	currency: str,
	product_name: str,
	success_url: str,
	cancel_url: str,
	save_card: bool,
	customer: str | None = None,
	email: str | None = None,
) -> dict:
	"""Parameters of the Checkout Session (mode payment) for one top-up. ``setup_future_usage`` only when
	the customer ticked "save card": Stripe then keeps the card on ``customer`` for later payments."""
	if save_card and not customer:
		raise ValueError("save_card needs the account's Stripe customer")
	metadata = {"top_up": top_up, "account": account}
	intent: dict = {"metadata": metadata}
	if save_card:
		intent["setup_future_usage"] = "off_session"
	params = {
		"mode": "payment",
		"client_reference_id": top_up,
		"metadata": metadata,
		"line_items": [
			{
				"quantity": 1,
				"price_data": {
					"currency": currency.lower(),
					"unit_amount": amount_minor,
					"product_data": {"name": product_name},
				},
			}
		],
		"payment_intent_data": intent,
		"success_url": success_url,
		"cancel_url": cancel_url,
	}
	if customer:
		params["customer"] = customer
	elif email:
		params["customer_email"] = email
	return params


def create_session(secret_key: str, params: dict, *, api_base: str | None = None) -> dict:
	"""Create the Checkout Session (idempotent per top-up at Stripe); returns its id and url."""
	stripe = sdk(api_base)
	session = stripe.checkout.Session.create(
		api_key=secret_key, idempotency_key=f"cc-checkout-{params['client_reference_id']}", **params
	)
	return {"id": session["id"], "url": session["url"]}


def create_customer(secret_key: str, *, account: str, email: str | None, api_base: str | None = None) -> str:
	stripe = sdk(api_base)
	customer = stripe.Customer.create(
		api_key=secret_key,
		idempotency_key=f"cc-customer-{account}",
		email=email,
		metadata={"account": account},
	)
	return customer["id"]


def saved_cards(secret_key: str, customer: str, *, api_base: str | None = None) -> list[dict]:
	"""The cards Stripe keeps for ``customer``: id, brand, last 4 digits, expiry (shown, never stored)."""
	stripe = sdk(api_base)
	methods = stripe.PaymentMethod.list(api_key=secret_key, customer=customer, type="card")
	cards = []
	for m in methods["data"]:
		card = _field(m, "card") or {}
		cards.append(
			{
				"id": m["id"],
				"brand": _field(card, "brand"),
				"last4": _field(card, "last4"),
				"exp": f"{_field(card, 'exp_month') or 0:02d}/{_field(card, 'exp_year') or 0}",
			}
		)
	return cards


def _field(obj, key: str):
	"""A field of a Stripe object or None (stripe 2.x objects are dicts, current ones are not)."""
	try:
		return obj[key]
	except (KeyError, TypeError):
		return None


def remove_card(secret_key: str, customer: str, payment_method: str, *, api_base: str | None = None) -> None:
	"""Detach a saved card, only if it belongs to ``customer`` (an id alone proves nothing)."""
	stripe = sdk(api_base)
	method = stripe.PaymentMethod.retrieve(payment_method, api_key=secret_key)
	if _field(method, "customer") != customer:
		raise PermissionError("payment_method: not a card of this account")
	stripe.PaymentMethod.detach(payment_method, api_key=secret_key)


def verify(
	payload: bytes, signature_header: str | None, secret: str, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> dict:
	"""The event, once Stripe's SDK has checked the ``Stripe-Signature`` header (HMAC-SHA256 of
	``{t}.{payload}`` with the endpoint's secret, within ``tolerance_s`` of now). Raises WebhookRefused."""
	import stripe

	if not secret:
		raise WebhookRefused("the Stripe webhook secret is not configured")
	if not signature_header:
		raise WebhookRefused("no Stripe-Signature header")
	try:
		stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=tolerance_s)
	except stripe.error.SignatureVerificationError as e:
		raise WebhookRefused(f"signature: {e.user_message or e}") from None
	except ValueError as e:
		raise WebhookRefused(f"body: not a JSON event ({e})") from None
	return json.loads(payload)


def payment_from_event(event: dict) -> Payment:
	"""What a verified Stripe event means for its top-up (fields of an unexpected type read as absent)."""
	event = obj(event)
	kind = text(event.get("type")) or ""
	session = obj(obj(event.get("data")).get("object"))
	event_id = event.get("id")
	base = {
		"gateway": "Stripe",
		"event_id": str(event_id) if isinstance(event_id, (str, int)) and event_id else "",
		"event_type": kind,
	}
	if kind not in OUTCOMES or session.get("object") != "checkout.session":
		return Payment(outcome=IGNORED, **base)
	outcome = OUTCOMES[kind]
	if outcome is None:
		outcome = PAID if session.get("payment_status") == "paid" else IGNORED
	amount = session.get("amount_total")
	currency = text(session.get("currency"))
	return Payment(
		outcome=outcome,
		top_up=text(session.get("client_reference_id")) or text(obj(session.get("metadata")).get("top_up")),
		order_id=text(session.get("id")),
		payment_id=text(session.get("payment_intent")),
		amount_minor=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
		currency=currency.upper() if currency else None,
		**base,
	)
