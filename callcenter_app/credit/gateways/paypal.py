"""PayPal Orders v2 for top-ups over plain HTTPS (``requests``, which Frappe ships; paypal-server-sdk is
not used: its pinned dependencies clash with Frappe's).

OAuth 2 client credentials give a bearer token; an order is created for the top-up (``custom_id`` and
``reference_id`` carry the CC Top Up name), the payer approves it at PayPal, and the site captures it.
Webhooks are verified by PayPal's own verify-webhook-signature API, with the event sent back exactly as
received (re-serialised JSON can fail PayPal's check), and refused when sent longer ago than the tolerance.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal

import requests

from callcenter_app.credit.gateways import (
	APPROVED,
	FAILED,
	IGNORED,
	PAID,
	Payment,
	WebhookRefused,
)
from callcenter_app.credit.gateways.shapes import first, obj, text

SANDBOX = "https://api-m.sandbox.paypal.com"
LIVE = "https://api-m.paypal.com"
TIMEOUT_S = 20

# PayPal takes these ISO 4217 two-decimal currencies in whole units only (its currency codes page).
WHOLE_UNITS_ONLY = frozenset({"HUF", "TWD"})

SIGNATURE_HEADERS = {
	"auth_algo": "PAYPAL-AUTH-ALGO",
	"cert_url": "PAYPAL-CERT-URL",
	"transmission_id": "PAYPAL-TRANSMISSION-ID",
	"transmission_sig": "PAYPAL-TRANSMISSION-SIG",
	"transmission_time": "PAYPAL-TRANSMISSION-TIME",
}

OUTCOMES = {
	"PAYMENT.CAPTURE.COMPLETED": PAID,
	"PAYMENT.CAPTURE.DENIED": FAILED,
	"PAYMENT.CAPTURE.DECLINED": FAILED,
	"CHECKOUT.ORDER.APPROVED": APPROVED,
}


class PayPalError(Exception):
	"""PayPal answered with an error (status and PayPal's own name and debug id, never a secret)."""


def amount_value(amount_minor: int, currency: str, exponent: int) -> str:
	"""PayPal's ``value`` string for ``amount_minor`` minor units (no float anywhere)."""
	value = Decimal(amount_minor).scaleb(-exponent)
	if currency in WHOLE_UNITS_ONLY:
		if value != value.to_integral_value():
			raise ValueError(f"amount: PayPal takes {currency} in whole units only")
		return str(value.quantize(Decimal(1)))
	return str(value.quantize(Decimal(1).scaleb(-exponent)))


def minor_from_value(value, exponent: int) -> int | None:
	"""PayPal's ``value`` string back in minor units; None when it is no exact amount."""
	if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > 40:
		return None
	try:
		amount = Decimal(str(value)).scaleb(exponent)
	except (ArithmeticError, ValueError):  # InvalidOperation, and Overflow for "1E+999999999"
		return None
	# "1E+99999" is a valid Decimal whose int() would take seconds and megabytes: no payment is that large
	if not amount.is_finite() or not -30 <= amount.adjusted() <= 30 or amount != amount.to_integral_value():
		return None
	return int(amount)


class PayPalClient:
	def __init__(
		self, base: str, client_id: str, client_secret: str, *, session=None, timeout: float = TIMEOUT_S
	):
		self.base = (base or SANDBOX).rstrip("/")
		self.client_id, self.client_secret = client_id, client_secret
		self.http = session or requests.Session()
		self.timeout = timeout
		self._token: tuple[str, float] | None = None

	def _error(self, what: str, r) -> PayPalError:
		try:
			body = r.json()
		except ValueError:
			body = {}
		name = body.get("name") or body.get("error") or ""
		debug = body.get("debug_id") or ""
		return PayPalError(f"{what}: PayPal answered {r.status_code} {name} {debug}".strip())

	def token(self) -> str:
		"""A bearer token (client credentials), reused until a minute before it expires."""
		if self._token and self._token[1] > time.monotonic():
			return self._token[0]
		r = self.http.post(
			f"{self.base}/v1/oauth2/token",
			data={"grant_type": "client_credentials"},
			auth=(self.client_id, self.client_secret),
			headers={"Accept": "application/json"},
			timeout=self.timeout,
		)
		if r.status_code != 200:
			raise self._error("token", r)
		body = r.json()
		self._token = (body["access_token"], time.monotonic() + max(0, int(body.get("expires_in", 0)) - 60))
		return self._token[0]

	def _call(
		self, what: str, method: str, path: str, *, body: str | None = None, request_id: str | None = None
	):
		headers = {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}
		if request_id:
			headers["PayPal-Request-Id"] = request_id  # PayPal's idempotency key
		r = self.http.request(method, f"{self.base}{path}", data=body, headers=headers, timeout=self.timeout)
		if r.status_code not in (200, 201):
			raise self._error(what, r)
		return r.json()

	def create_order(
		self,
		*,
		top_up: str,
		amount_minor: int,
		currency: str,
		exponent: int,
		return_url: str,
		cancel_url: str,
	) -> dict:
		"""An order to capture (intent CAPTURE); returns its id and the payer's approval link."""
		order = {
			"intent": "CAPTURE",
			"purchase_units": [
				{
					"reference_id": top_up,
					"custom_id": top_up,
					"amount": {
						"currency_code": currency,
						"value": amount_value(amount_minor, currency, exponent),
					},
				}
			],
			"payment_source": {
				"paypal": {
					"experience_context": {
						"return_url": return_url,
						"cancel_url": cancel_url,
						"user_action": "PAY_NOW",
						"shipping_preference": "NO_SHIPPING",
					}
				}
			},
		}
		answer = self._call(
			"create order",
			"POST",
			"/v2/checkout/orders",
			body=json.dumps(order),
			request_id=f"cc-order-{top_up}",
		)
		links = {link.get("rel"): link.get("href") for link in answer.get("links", [])}
		return {
			"id": answer["id"],
			"status": answer.get("status"),
			"url": links.get("payer-action") or links.get("approve"),
		}

	def capture(self, order_id: str) -> dict:
		"""Capture an approved order; the answer has the capture (id, status, amount, custom_id)."""
		return self._call(
			"capture",
			"POST",
			f"/v2/checkout/orders/{order_id}/capture",
			body="{}",
			request_id=f"cc-capture-{order_id}",
		)

	def verify_webhook(self, headers, raw_body: bytes, webhook_id: str) -> None:
		"""Ask PayPal whether the webhook is theirs; raises WebhookRefused when not."""
		if not webhook_id:
			raise WebhookRefused("the PayPal webhook id is not configured")
		values = {}
		for key, header in SIGNATURE_HEADERS.items():
			value = headers.get(header)
			if not value:
				raise WebhookRefused(f"no {header} header")
			values[key] = value
		try:
			json.loads(raw_body)
		except ValueError:
			raise WebhookRefused("body: not a JSON event") from None
		# the event goes back byte for byte as PayPal sent it
		body = json.dumps({**values, "webhook_id": webhook_id})[:-1] + ', "webhook_event": '
		body = body + raw_body.decode("utf-8") + "}"
		answer = self._call("verify webhook", "POST", "/v1/notifications/verify-webhook-signature", body=body)
		if answer.get("verification_status") != "SUCCESS":
			raise WebhookRefused(f"signature: PayPal says {answer.get('verification_status')!r}")


def check_transmission_time(headers, tolerance_s: int, now: float | None = None) -> None:
	"""Refuse a webhook sent longer ago than ``tolerance_s`` (PayPal signs its transmission time)."""
	raw = headers.get("PAYPAL-TRANSMISSION-TIME") or ""
	try:
		sent = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
	except ValueError:
		raise WebhookRefused(f"PAYPAL-TRANSMISSION-TIME: {raw!r} is not a time") from None
	now = time.time() if now is None else now
	if abs(now - sent) > tolerance_s:
		raise WebhookRefused(f"PAYPAL-TRANSMISSION-TIME: sent {int(now - sent)} s ago, outside the tolerance")


def payment_from_event(event: dict, exponent_of) -> Payment:
	"""What a verified PayPal event means for its top-up. ``exponent_of(currency)`` gives the currency's
	ISO 4217 exponent, or None for an unknown currency. Fields of an unexpected type read as absent."""
	event = obj(event)
	kind = text(event.get("event_type")) or ""
	resource = obj(event.get("resource"))
	event_id = event.get("id")
	base = {
		"gateway": "PayPal",
		"event_id": str(event_id) if isinstance(event_id, (str, int)) and event_id else "",
		"event_type": kind,
	}
	outcome = OUTCOMES.get(kind)
	if outcome is None:
		return Payment(outcome=IGNORED, **base)
	if outcome == APPROVED:
		unit = first(resource.get("purchase_units"))
		return Payment(
			outcome=APPROVED,
			top_up=text(unit.get("custom_id")) or text(unit.get("reference_id")),
			order_id=text(resource.get("id")),
			**base,
		)
	return payment_from_capture(resource, exponent_of, outcome=outcome, **base)


def payment_from_capture(capture: dict, exponent_of, *, outcome: str = PAID, **base) -> Payment:
	capture = obj(capture)
	amount = obj(capture.get("amount"))
	currency = text(amount.get("currency_code"))
	exponent = exponent_of(currency) if currency else None
	if currency in WHOLE_UNITS_ONLY and exponent is not None:
		minor = minor_from_value(amount.get("value"), 0)
		minor = minor * 10**exponent if minor is not None else None
	else:
		minor = minor_from_value(amount.get("value"), exponent) if exponent is not None else None
	related = obj(obj(capture.get("supplementary_data")).get("related_ids"))
	return Payment(
		outcome=outcome if capture.get("status") in ("COMPLETED", None) or outcome == FAILED else IGNORED,
		top_up=text(capture.get("custom_id")),
		order_id=text(related.get("order_id")),
		payment_id=text(capture.get("id")),
		amount_minor=minor,
		currency=currency,
		**base,
	)


def payment_from_capture_answer(answer: dict, exponent_of) -> Payment:
	"""The site's own capture call's answer (the payer came back before the webhook)."""
	answer = obj(answer)
	unit = first(answer.get("purchase_units"))
	capture = dict(first(obj(unit.get("payments")).get("captures")))
	capture.setdefault("custom_id", text(unit.get("custom_id")) or text(unit.get("reference_id")))
	capture.setdefault("supplementary_data", {"related_ids": {"order_id": text(answer.get("id"))}})
	paid = answer.get("status") == "COMPLETED" and capture.get("status") == "COMPLETED"
	return payment_from_capture(
		capture,
		exponent_of,
		outcome=PAID if paid else IGNORED,
		gateway="PayPal",
		event_id=f"capture:{capture.get('id') or answer.get('id')}",
		event_type="capture",
	)
