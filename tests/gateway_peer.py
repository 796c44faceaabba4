"""A loopback HTTP server that answers as Stripe's and PayPal's APIs do, so the Stripe SDK's own code and
the app's PayPal client run in tests without a network.

The bodies have the shape of the gateways' documented answers (Stripe API 2020-08-27 and later:
checkout.session, customer, payment_method, list; PayPal: oauth2 token, Orders v2 order and capture,
verify-webhook-signature). Every request is recorded (method, path, headers, form or JSON body) for the
tests' assertions.

Webhooks are signed the way the gateways sign them: Stripe's ``Stripe-Signature: t=…,v1=…`` is
HMAC-SHA256 of ``{t}.{payload}`` with the endpoint secret (``stripe_signature``). PayPal signs
``transmission_id|transmission_time|webhook_id|crc32(body)`` with its private key and the receiver asks
PayPal's verify-webhook-signature API; this peer plays that API, checking an HMAC of the same string
with its own key (``paypal_headers`` makes the headers).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PAYPAL_CLIENT_ID = "paypal-client-id-for-tests"
PAYPAL_SECRET = "paypal-client-secret-for-tests"
PAYPAL_WEBHOOK_ID = "WH-TESTS-0001"
PAYPAL_SIGNING_KEY = b"the-peer-plays-paypal's-private-key"
STRIPE_SECRET_KEY = "sk_test_peer"


def stripe_signature(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
	"""The ``Stripe-Signature`` header Stripe sends with ``payload``."""
	t = int(time.time()) if timestamp is None else timestamp
	body = payload.decode() if isinstance(payload, bytes) else payload
	v1 = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
	return f"t={t},v1={v1}"


def _paypal_message(transmission_id: str, when: str, webhook_id: str, body: bytes) -> bytes:
	return f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(body)}".encode()


def paypal_headers(body: bytes, *, webhook_id: str = PAYPAL_WEBHOOK_ID, sent: float | None = None) -> dict:
	"""The PAYPAL-* headers of a webhook delivery of ``body``."""
	transmission_id = f"tx-{time.time_ns()}"
	when = datetime.fromtimestamp(time.time() if sent is None else sent, timezone.utc).strftime(
		"%Y-%m-%dT%H:%M:%SZ"
	)
	sig = hmac.new(
		PAYPAL_SIGNING_KEY, _paypal_message(transmission_id, when, webhook_id, body), hashlib.sha256
	)
	return {
		"PAYPAL-AUTH-ALGO": "SHA256withRSA",
		"PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
		"PAYPAL-TRANSMISSION-ID": transmission_id,
		"PAYPAL-TRANSMISSION-SIG": base64.b64encode(sig.digest()).decode(),
		"PAYPAL-TRANSMISSION-TIME": when,
	}


def stripe_session_event(
	session: dict, *, kind: str = "checkout.session.completed", event_id: str | None = None, **changes
) -> bytes:
	"""A Stripe event for a checkout session (as the peer created it), with fields of the session
	replaced by ``changes`` (amount_total, currency, client_reference_id, payment_status, …)."""
	obj = {
		**session,
		"status": "complete",
		"payment_status": "paid",
		"payment_intent": f"pi_{session['id'][8:]}",
	}
	obj.update(changes)
	event = {
		"id": event_id or f"evt_{time.time_ns()}",
		"object": "event",
		"api_version": "2024-06-20",
		"created": int(time.time()),
		"data": {"object": obj},
		"livemode": False,
		"pending_webhooks": 1,
		"request": {"id": None, "idempotency_key": None},
		"type": kind,
	}
	return json.dumps(event, indent=2).encode()


def paypal_capture_event(capture: dict, *, event_id: str | None = None, **amount) -> bytes:
	"""A PAYMENT.CAPTURE.COMPLETED event for ``capture`` (as the peer made it); ``amount`` overrides
	currency_code / value."""
	resource = json.loads(json.dumps(capture))
	resource["amount"].update(amount)
	event = {
		"id": event_id or f"WH-{time.time_ns()}",
		"event_version": "1.0",
		"create_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
		"resource_type": "capture",
		"resource_version": "2.0",
		"event_type": "PAYMENT.CAPTURE.COMPLETED",
		"summary": "Payment completed",
		"resource": resource,
	}
	return json.dumps(event, indent=1).encode()


class GatewayPeer:
	def __init__(self):
		self.requests: list[dict] = []
		self.sessions: dict[str, dict] = {}
		self.orders: dict[str, dict] = {}
		self.customers: dict[str, dict] = {}
		self.methods: dict[str, dict] = {}
		self.tokens_issued = 0
		self._ids = itertools.count(1)
		self._lock = threading.Lock()

	def next_id(self, prefix: str) -> str:
		with self._lock:
			return f"{prefix}{next(self._ids):06d}"

	def add_card(self, customer: str, last4: str = "4242") -> str:
		pm = self.next_id("pm_test_")
		self.methods[pm] = {
			"id": pm,
			"object": "payment_method",
			"type": "card",
			"customer": customer,
			"card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2030, "country": "DE"},
			"billing_details": {"email": None, "name": None},
		}
		return pm

	def approve(self, order_id: str) -> None:
		self.orders[order_id]["status"] = "APPROVED"


class _Handler(BaseHTTPRequestHandler):
	peer: GatewayPeer
	protocol_version = "HTTP/1.1"

	def log_message(self, *args):
		pass

	def _answer(self, status: int, body: dict) -> None:
		data = json.dumps(body).encode()
		self.send_response(status)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		self.send_header("Request-Id", f"req_{time.time_ns()}")
		self.end_headers()
		self.wfile.write(data)

	def _read(self) -> tuple[str, dict, bytes]:
		n = int(self.headers.get("Content-Length") or 0)
		raw = self.rfile.read(n) if n else b""
		path = urlsplit(self.path)
		record = {
			"method": self.command,
			"path": path.path,
			"query": dict(parse_qsl(path.query)),
			"headers": {k.lower(): v for k, v in self.headers.items()},
			"raw": raw,
		}
		self.peer.requests.append(record)
		return path.path, record, raw

	def do_GET(self):
		path, record, _ = self._read()
		if not self._stripe_auth(record):
			return
		if path == "/v1/payment_methods":
			customer = record["query"].get("customer")
			data = [m for m in self.peer.methods.values() if m["customer"] == customer]
			return self._answer(200, {"object": "list", "data": data, "has_more": False, "url": path})
		if path.startswith("/v1/payment_methods/"):
			method = self.peer.methods.get(path.rsplit("/", 1)[1])
			if method:
				return self._answer(200, method)
		return self._stripe_missing(path)

	def do_POST(self):
		path, record, raw = self._read()
		if path.startswith("/v1/") and not path.startswith(("/v1/oauth2", "/v1/notifications")):
			return self._stripe(path, record, raw)
		return self._paypal(path, record, raw)

	# Stripe -----------------------------------------------------------------------------------------

	def _stripe_auth(self, record: dict) -> bool:
		if record["headers"].get("authorization") != f"Bearer {STRIPE_SECRET_KEY}":
			self._answer(
				401,
				{
					"error": {
						"message": "Invalid API Key provided: sk_test_****",
						"type": "invalid_request_error",
					}
				},
			)
			return False
		return True

	def _stripe_missing(self, path: str):
		return self._answer(
			404,
			{
				"error": {
					"code": "resource_missing",
					"message": f"No such object: {path}",
					"type": "invalid_request_error",
				}
			},
		)

	def _stripe(self, path: str, record: dict, raw: bytes):
		if not self._stripe_auth(record):
			return
		form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
		record["form"] = form
		peer = self.peer
		if path == "/v1/checkout/sessions":
			sid = peer.next_id("cs_test_a1")
			session = {
				"id": sid,
				"object": "checkout.session",
				"amount_subtotal": int(form["line_items[0][price_data][unit_amount]"]),
				"amount_total": int(form["line_items[0][price_data][unit_amount]"]),
				"client_reference_id": form.get("client_reference_id"),
				"currency": form["line_items[0][price_data][currency]"],
				"customer": form.get("customer"),
				"customer_email": form.get("customer_email"),
				"livemode": False,
				"metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
				"mode": form.get("mode"),
				"payment_intent": None,
				"payment_status": "unpaid",
				"status": "open",
				"success_url": form.get("success_url"),
				"cancel_url": form.get("cancel_url"),
				"url": f"https://checkout.stripe.com/c/pay/{sid}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
			}
			peer.sessions[sid] = session
			return self._answer(200, session)
		if path == "/v1/customers":
			cid = peer.next_id("cus_test")
			customer = {"id": cid, "object": "customer", "email": form.get("email"), "metadata": {}}
			customer["metadata"] = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
			peer.customers[cid] = customer
			return self._answer(200, customer)
		if path.startswith("/v1/payment_methods/") and path.endswith("/detach"):
			method = peer.methods.get(path.split("/")[3])
			if not method:
				return self._stripe_missing(path)
			method["customer"] = None
			return self._answer(200, method)
		return self._stripe_missing(path)

	# PayPal -----------------------------------------------------------------------------------------

	def _paypal(self, path: str, record: dict, raw: bytes):
		peer = self.peer
		if path == "/v1/oauth2/token":
			expected = "Basic " + base64.b64encode(f"{PAYPAL_CLIENT_ID}:{PAYPAL_SECRET}".encode()).decode()
			if record["headers"].get("authorization") != expected:
				return self._answer(
					401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
				)
			peer.tokens_issued += 1
			return self._answer(
				200,
				{
					"scope": "https://uri.paypal.com/services/payments/payment",
					"access_token": f"A21AA-peer-token-{peer.tokens_issued}",
					"token_type": "Bearer",
					"app_id": "APP-80W284485P519543T",
					"expires_in": 32400,
					"nonce": "2026-12-04T16:00:00Z-peer",
				},
			)
		if not record["headers"].get("authorization", "").startswith("Bearer A21AA-peer-token-"):
			return self._answer(401, {"name": "AUTHENTICATION_FAILURE", "debug_id": "peer0001"})
		body = json.loads(raw or b"{}")
		if path == "/v2/checkout/orders":
			oid = peer.next_id("5O190127TN36")
			unit = body["purchase_units"][0]
			order = {
				"id": oid,
				"status": "PAYER_ACTION_REQUIRED",
				"intent": body["intent"],
				"purchase_units": [unit],
				"payment_source": {"paypal": {}},
				"links": [
					{
						"href": f"https://api-m.sandbox.paypal.com/v2/checkout/orders/{oid}",
						"rel": "self",
						"method": "GET",
					},
					{
						"href": f"https://www.sandbox.paypal.com/checkoutnow?token={oid}",
						"rel": "payer-action",
						"method": "GET",
					},
				],
			}
			peer.orders[oid] = order
			return self._answer(200, {k: order[k] for k in ("id", "status", "payment_source", "links")})
		if path.startswith("/v2/checkout/orders/") and path.endswith("/capture"):
			oid = path.split("/")[4]
			order = peer.orders.get(oid)
			if not order:
				return self._answer(404, {"name": "RESOURCE_NOT_FOUND", "debug_id": "peer0404"})
			if order["status"] == "COMPLETED":  # PayPal answers a repeated capture (same request id) alike
				return self._answer(201, order["answer"])
			if order["status"] != "APPROVED":
				return self._answer(
					422,
					{
						"name": "UNPROCESSABLE_ENTITY",
						"details": [{"issue": "ORDER_NOT_APPROVED"}],
						"debug_id": "peer0422",
					},
				)
			unit = order["purchase_units"][0]
			capture = {
				"id": peer.next_id("3C679366HH90"),
				"status": "COMPLETED",
				"amount": dict(unit["amount"]),
				"final_capture": True,
				"seller_protection": {"status": "ELIGIBLE"},
				"custom_id": unit.get("custom_id"),
				"supplementary_data": {"related_ids": {"order_id": oid}},
				"create_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
			}
			order["status"] = "COMPLETED"
			order["capture"] = capture
			order["answer"] = {
				"id": oid,
				"status": "COMPLETED",
				"payment_source": {
					"paypal": {"email_address": "payer@example.com", "account_status": "VERIFIED"}
				},
				"purchase_units": [
					{
						"reference_id": unit.get("reference_id"),
						"payments": {"captures": [{k: v for k, v in capture.items() if k != "custom_id"}]},
					}
				],
				"payer": {"email_address": "payer@example.com", "payer_id": "QYR5Z8XDVJNXQ"},
			}
			return self._answer(201, order["answer"])
		if path == "/v1/notifications/verify-webhook-signature":
			# the event as the receiver got it: PayPal checks the signature over those bytes
			text = raw.decode()
			start = text.index('"webhook_event":') + len('"webhook_event":')
			event_raw = text[start:].strip()[:-1].strip().encode()
			message = _paypal_message(
				body["transmission_id"], body["transmission_time"], body["webhook_id"], event_raw
			)
			given = base64.b64decode(body.get("transmission_sig") or "")
			ok = hmac.compare_digest(hmac.new(PAYPAL_SIGNING_KEY, message, hashlib.sha256).digest(), given)
			return self._answer(200, {"verification_status": "SUCCESS" if ok else "FAILURE"})
		return self._answer(404, {"name": "RESOURCE_NOT_FOUND", "debug_id": "peer0404"})


class PeerServer:
	"""``with PeerServer() as (peer, base_url): …`` serves on a free loopback port in a thread."""

	def __init__(self, peer: GatewayPeer | None = None):
		self.peer = peer or GatewayPeer()

	def __enter__(self):
		handler = type("Handler", (_Handler,), {"peer": self.peer})
		self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
		self.server.daemon_threads = True
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
		self.thread.start()
		return self.peer, f"http://127.0.0.1:{self.server.server_port}"

	def __exit__(self, *exc):
		self.server.shutdown()
		self.server.server_close()
