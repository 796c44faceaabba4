"""Card and wallet gateways for top-ups (Stripe Checkout, PayPal Orders v2), the pure side.

A gateway's webhook becomes a :class:`Payment` (what the gateway says happened, read from the verified
raw body); :func:`review_problems` says why a payment cannot be credited as it stands (unknown top-up,
another currency, a zero or negative amount, an amount other than the one requested), in words the
Accountant reads on the kept CC Payment Event. The Frappe side is ``service.py`` beside this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a verified event means for its top-up.
PAID = "paid"  # money captured: credit it
FAILED = "failed"  # the payment failed or was declined: the top-up fails, nothing credited
EXPIRED = "expired"  # the customer never paid (checkout expired): the top-up is cancelled
APPROVED = "approved"  # PayPal: the payer approved the order; the site captures it
IGNORED = "ignored"  # an event type the top-ups do not use

CURRENCY = re.compile(r"^[A-Z]{3}$")


class WebhookRefused(Exception):
	"""The request is not provably from the gateway (bad, missing or late signature); ``reason`` says
	which, for the kept event and the log. Never contains a secret."""

	def __init__(self, reason: str):
		self.reason = reason
		super().__init__(reason)


@dataclass(frozen=True)
class Payment:
	gateway: str
	event_id: str
	event_type: str
	outcome: str
	top_up: str | None = None  # our CC Top Up name, as we gave it to the gateway
	order_id: str | None = None  # Stripe Checkout Session id / PayPal order id
	payment_id: str | None = None  # Stripe PaymentIntent id / PayPal capture id
	amount_minor: int | None = None
	currency: str | None = None  # upper-case ISO 4217, as the gateway reported it


def review_problems(payment: Payment, top_up: dict | None, known_currencies=None) -> list[str]:
	"""Why ``payment`` must not be credited to ``top_up`` (a dict with name, account, currency,
	amount_minor, gateway_order_id, account_exists) as it stands; empty when it may be."""
	problems = []
	if top_up is None:
		ref = payment.top_up or payment.order_id or "?"
		problems.append(f"top-up: no CC Top Up {ref!r} on this site (unknown account)")
		return problems
	if not top_up.get("account_exists", True):
		problems.append(f"account: top-up {top_up['name']} points at an account that does not exist")
	if top_up.get("gateway_order_id") and payment.order_id and payment.order_id != top_up["gateway_order_id"]:
		problems.append(
			f"order: the payment is for {payment.order_id}, top-up {top_up['name']} was sent to the gateway as "
			f"{top_up['gateway_order_id']}"
		)
	currency = payment.currency or ""
	if not CURRENCY.match(currency) or (known_currencies is not None and currency not in known_currencies):
		problems.append(f"currency: {payment.currency!r} is not a known ISO 4217 currency")
	elif currency != top_up["currency"]:
		problems.append(f"currency: paid in {currency}, top-up {top_up['name']} is in {top_up['currency']}")
	amount = payment.amount_minor
	if amount is None or isinstance(amount, bool) or not isinstance(amount, int):
		problems.append(f"amount: {amount!r} is not a whole number of minor units")
	elif amount <= 0:
		problems.append(f"amount: {amount} is not a positive amount")
	elif amount != int(top_up["amount_minor"]):
		problems.append(f"amount: paid {amount}, top-up {top_up['name']} requested {top_up['amount_minor']}")
	return problems
