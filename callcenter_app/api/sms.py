"""SMS endpoints: the provider's webhooks (incoming messages, delivery reports) and the agents' Send SMS.

The webhooks are open to Guest (providers cannot log in) and POST only, rate-limited per address (Frappe's
``rate_limit``: ``WEBHOOK_RATE_LIMIT`` a minute, site config ``cc_sms_webhook_rate_limit``; 429 beyond) and
refuse a body over ``MAX_WEBHOOK_BYTES`` (413). Each authenticates the request with the configured
provider's adapter before it reads or writes anything: a missing or wrong token or signature, a channel that
is off or has no secret, all answer the same 403 "Not permitted" (the reason goes to the site's
``callcenter_sms.log`` only, so a forger learns nothing about the configuration); a malformed message 400,
a repeated message 200 without changes. The logic is in
``tickets/sms/service.py``; the adapters and rules in ``tickets/sms/adapters.py``.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from werkzeug.wrappers import Response

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.sms import service
from callcenter_app.tickets.sms.adapters import WEBHOOK_RATE_LIMIT, SmsAuthError, check_body_size
from callcenter_app.utils import field_errors_message, requires


class SmsWebhookRefused(frappe.PermissionError):
	"""403: the request is not provably from the configured provider."""


class SmsPayloadError(frappe.ValidationError):
	"""400: the provider's request lacks a field or has a bad value (the message names it)."""

	http_status_code = 400


class SmsPayloadTooLarge(frappe.ValidationError):
	"""413: the body is larger than any SMS webhook sends."""

	http_status_code = 413


def webhook_rate_limit() -> int:
	return frappe.utils.cint(frappe.conf.get("cc_sms_webhook_rate_limit")) or WEBHOOK_RATE_LIMIT


def _authenticated(kind: str):
	"""The adapter and the request, once the request is proven to come from the provider. Every failed
	authentication answers the same (the reason is logged, never returned)."""
	try:
		check_body_size(frappe.request.content_length or len(frappe.request.get_data(cache=True)))
	except FieldError as e:
		service.log().warning("refused SMS %s webhook from %s: %s", kind, frappe.local.request_ip, e.reason)
		raise SmsPayloadTooLarge(field_errors_message(None, [e]))
	request = service.webhook_request(frappe.request)
	try:
		adapter = service.current_adapter()
		adapter.authenticate(request)
	except SmsAuthError as e:
		service.refused(kind, e)
		raise SmsWebhookRefused(_("Not permitted"))
	return adapter, request


def _payload_error(kind: str, error: FieldError):
	service.log().warning("rejected SMS %s webhook: %s: %s", kind, error.field, error.reason)
	return SmsPayloadError(field_errors_message(None, [error]))


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=webhook_rate_limit, seconds=60)
@requires(roles.WEBHOOK)
def inbound() -> Response:
	"""An incoming SMS from the provider: recorded once, then put on a ticket."""
	adapter, request = _authenticated("inbound")
	try:
		outcome = service.receive(request, adapter)
	except FieldError as e:
		raise _payload_error("inbound", e)
	content_type, body = adapter.inbound_reply()
	if content_type == "application/json":
		body = frappe.as_json(
			{"ok": True, "action": outcome.action, "message": outcome.message, "ticket": outcome.ticket}
		)
	return Response(body, status=200, content_type=f"{content_type}; charset=utf-8")


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=webhook_rate_limit, seconds=60)
@requires(roles.WEBHOOK)
def status() -> dict:
	"""A delivery report from the provider: the outbound message's status moves forward, or nothing
	changes (repeated, late or unknown reports answer 200 so the provider stops retrying)."""
	adapter, request = _authenticated("status")
	try:
		outcome = service.receive_status(request, adapter)
	except FieldError as e:
		raise _payload_error("status", e)
	return {"ok": True, "action": outcome.action, "message": outcome.message}


@frappe.whitelist(methods=["POST"])
@requires(roles.AGENT_TOOLS)
def send_reply(ticket: str, message: str) -> dict:
	"""Text the ticket's customer through Frappe's SMS Settings; only for agents who may write the ticket
	(a portal customer may write the tickets they raised, but never text through the company's gateway).
	Returns the CC SMS Message, its status (Sent or Failed) and the gateway's answer."""
	frappe.has_permission("HD Ticket", "write", ticket, throw=True)
	return service.send_reply(ticket, message)
