"""Frappe glue for the SMS channel (adapters, statuses and checks in ``sms/adapters.py``).

Inbound (``receive``): the configured adapter authenticates the request before anything else (a refusal is
logged without any secret and writes nothing), reads the message, and the message is recorded once per
(provider, provider message id) — the CC SMS Message's unique ``dedupe_key`` makes a repeated webhook a
no-op even when two copies race. Then, as Administrator (Helpdesk saves tickets from its own hooks without
``ignore_permissions``, and the webhook runs as Guest), the message goes on a ticket:

- the sender's contact is found by normalised number (created for a real number when missing);
- the SMS CC Ticket Source of the number texted chooses the team (``flags.cc_sms_number``);
- within the team's grouping window the message joins the sender's open ticket; a sender whose latest
  ticket was closed within the window gets the team's policy (reopen, or a new ticket linked to the closed
  one); otherwise a new ticket;
- the message shows on the ticket as a received Communication with medium SMS (Helpdesk's conversation).

Outbound (``send_reply``): through the gateway configured in Frappe's SMS Settings, recorded as an
outbound CC SMS Message with its status, and shown on the ticket as a sent Communication. Delivery reports
(``receive_status``) move the status forward only.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import frappe
import requests
from frappe import _
from frappe.utils import escape_html, get_url, now_datetime

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.grouping import (
	Incoming,
	RecentTicket,
	closed_reply_target,
	join_target,
	on_reply_to_closed,
)
from callcenter_app.tickets.sms.adapters import (
	InboundSms,
	SmsAdapter,
	SmsAuthError,
	WebhookRequest,
	adapter_for,
	advance,
	outbound_id,
	parse_numbers,
	reply_text,
	segments,
)

GATEWAY_TIMEOUT = (5, 20)  # seconds to connect, to read: a web worker never hangs on a gateway
SUBJECT_LENGTH = 80


@dataclass(frozen=True)
class Outcome:
	action: str  # new | join | reopen | new_linked | duplicate | updated | unchanged | unknown
	message: str | None = None
	ticket: str | None = None


# ---------------------------------------------------------------------------------------------------------
# Settings and requests


def settings():
	return frappe.get_cached_doc("CC SMS Settings")


def region() -> str | None:
	from callcenter_app.utils import default_region

	return default_region()


def current_adapter() -> SmsAdapter:
	"""The adapter of the configured provider with its secret; a channel that is off refuses everything."""
	s = settings()
	if not s.enabled:
		raise SmsAuthError("enabled", "the SMS channel is off in CC SMS Settings")
	secret_field = "twilio_auth_token" if s.provider == "Twilio" else "webhook_token"
	secret = s.get_password(secret_field, raise_exception=False) or ""
	return adapter_for(s.provider, secret, region(), s.get("twilio_account_sid") or "")


def webhook_request(request) -> WebhookRequest:
	"""The werkzeug request as the adapters see it; the URL is the public one the provider called."""
	base = (settings().get("public_base_url") or get_url()).rstrip("/")
	query = request.query_string.decode("latin-1")
	url = base + request.path + (f"?{query}" if query else "")
	body = request.get_data(cache=True)
	form = {key: request.form.getlist(key) for key in request.form} if not request.is_json else {}
	return WebhookRequest(
		url=url, headers=dict(request.headers), form=form, body=body, content_type=request.content_type or ""
	)


def log() -> logging.Logger:
	"""The site's ``logs/callcenter_sms.log``. Warnings are always kept (Frappe's default level outside
	the development server is ERROR): a refused webhook is a security event."""
	logger = frappe.logger("callcenter_sms", allow_site=True)
	if logger.level > logging.WARNING:
		logger.setLevel(logging.WARNING)
	return logger


def refused(kind: str, error: FieldError) -> None:
	"""Log a refused webhook: what was wrong and who sent it, never a token or a signature."""
	log().warning(
		"refused SMS %s webhook from %s: %s: %s",
		kind,
		frappe.local.request_ip or "?",
		error.field,
		error.reason,
	)


def dedupe_key(provider: str, message_id: str) -> str:
	return f"{provider}:{message_id}"


@contextmanager
def as_administrator():
	"""The ticket work of an authenticated webhook: Helpdesk saves the ticket from inside its Communication
	hook without ``ignore_permissions``, which Guest may not. Entered only after authentication."""
	user = frappe.session.user
	frappe.set_user("Administrator")
	try:
		yield
	finally:
		frappe.set_user(user)


# ---------------------------------------------------------------------------------------------------------
# Inbound


def receive(request: WebhookRequest, adapter: SmsAdapter) -> Outcome:
	"""An authenticated inbound webhook: record the message once, then put it on a ticket."""
	sms = adapter.inbound(request)
	check_our_number(sms.recipient)
	key = dedupe_key(sms.provider, sms.message_id)
	if frappe.db.exists("CC SMS Message", {"dedupe_key": key}):
		return duplicate(key)
	savepoint = "cc_sms_inbound"
	frappe.db.savepoint(savepoint)
	try:
		message = record_inbound(sms, key)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		# A concurrent copy of the same webhook committed first (the unique index made this insert wait for
		# it): nothing of this request is kept. Under REPEATABLE READ its row may not be visible here yet.
		frappe.db.rollback(save_point=savepoint)
		frappe.clear_last_message()
		return duplicate(key)
	with as_administrator():
		action, ticket, contact, communication = place_on_ticket(sms)
	frappe.db.set_value(
		"CC SMS Message",
		message,
		{"ticket": ticket, "contact": contact, "communication": communication},
		update_modified=False,
	)
	return Outcome(action, message, str(ticket))


def duplicate(key: str) -> Outcome:
	row = frappe.db.get_value("CC SMS Message", {"dedupe_key": key}, ["name", "ticket"], as_dict=True)
	if not row:
		return Outcome("duplicate")
	return Outcome("duplicate", row.name, str(row.ticket) if row.ticket else None)


def check_our_number(recipient: str) -> None:
	numbers = parse_numbers(settings().get("receive_numbers"), region())
	if numbers and recipient not in numbers:
		raise FieldError("to", f"{recipient} is not one of the numbers this site receives SMS on")


def record_inbound(sms: InboundSms, key: str) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CC SMS Message",
			"direction": "Inbound",
			"status": "Received",
			"provider": sms.provider,
			"provider_message_id": sms.message_id,
			"dedupe_key": key,
			"sender": sms.sender,
			"recipient": sms.recipient,
			"body": sms.body,
			"received_at": system_time(sms.received_at) if sms.received_at else now_datetime(),
		}
	)
	doc.insert(ignore_permissions=True)  # the webhook was authenticated; nobody creates these by hand
	return doc.name


def system_time(value: datetime) -> datetime:
	from callcenter_app.utils import from_utc

	return from_utc(value)


def place_on_ticket(sms: InboundSms) -> tuple[str, str, str | None, str]:
	"""(action, ticket, contact, communication) for a new inbound message."""
	from callcenter_app.tickets.service import apply_source_rules

	contact = contact_for(sms.sender)
	draft = draft_ticket(sms, contact)
	apply_source_rules(draft)  # the SMS source's keyword filters choose the team (nothing is written)
	draft.description = None  # the message goes on the conversation as an SMS, not as an email
	action, target = sms_route(sms.sender, draft.get("agent_group") or "", contact)
	if action in ("join", "reopen"):
		ticket = target
		if action == "reopen":
			reopen(ticket, sms.sender)
	else:
		if action == "new_linked":
			draft.cc_previous_ticket = target
		draft.insert(ignore_permissions=True)
		ticket = str(draft.name)
		if action == "new_linked":
			from callcenter_app.tickets.tasks import log_activity

			log_activity(
				ticket, _("continues closed ticket {0} (an SMS from the same sender)").format(target)
			)
	communication = add_inbound_to_timeline(ticket, sms, contact)
	return action, ticket, contact, communication


def contact_for(number: str) -> str | None:
	"""The Contact with this number (normalised comparison); a new one for a real number without one.
	Alphanumeric senders ("BANK") get no contact: they cannot be called or texted back."""
	from callcenter_app.telephony.call_tickets.service import contact_for_number, ensure_contact

	if not number.startswith("+") and not number.isdigit():
		return None
	return contact_for_number(number) or ensure_contact(number)


def draft_ticket(sms: InboundSms, contact: str | None):
	first_line = next((line.strip() for line in sms.body.splitlines() if line.strip()), "")
	if len(first_line) > SUBJECT_LENGTH:
		first_line = first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"
	ticket = frappe.get_doc(
		{
			"doctype": "HD Ticket",
			"subject": first_line or _("SMS from {0}").format(sms.sender),
			"description": text_html(sms.body),
			"contact": contact,
			"raised_by": (frappe.db.get_value("Contact", contact, "email_id") if contact else None) or None,
			"cc_channel": "SMS",
		}
	)
	ticket.flags.cc_sms_number = sms.recipient  # tickets/service.py finds the SMS source by it
	return ticket


def text_html(text: str) -> str:
	return "<p>" + escape_html(text).replace("\n", "<br>") + "</p>"


def sender_tickets(sender: str, contact: str | None) -> list[RecentTicket]:
	"""The sender's tickets as the grouping rules see them: those their SMS came in on or our SMS went out
	on, and those of their contact (any channel), merged tickets left out."""
	names = set(
		frappe.get_all(
			"CC SMS Message",
			filters={"direction": "Inbound", "sender": sender, "ticket": ["is", "set"]},
			pluck="ticket",
			order_by="creation desc",
			limit=50,
		)
	)
	names |= set(
		frappe.get_all(
			"CC SMS Message",
			filters={"direction": "Outbound", "recipient": sender, "ticket": ["is", "set"]},
			pluck="ticket",
			order_by="creation desc",
			limit=50,
		)
	)
	if contact:
		names |= set(
			frappe.get_all(
				"HD Ticket", filters={"contact": contact}, pluck="name", order_by="modified desc", limit=50
			)
		)
	if not names:
		return []
	from callcenter_app.tickets.service import is_closed_status
	from callcenter_app.utils import to_utc

	merged = frappe.get_meta("HD Ticket").has_field("cc_merged_into")
	fields = ["name", "agent_group", "status", "modified"] + (["cc_merged_into"] if merged else [])
	rows = frappe.get_all("HD Ticket", filters={"name": ["in", list(names)]}, fields=fields)
	return [
		RecentTicket(str(r.name), sender, r.agent_group or "", to_utc(r.modified), is_closed_status(r.status))
		for r in rows
		if not r.get("cc_merged_into")
	]


def sms_route(sender: str, team: str, contact: str | None) -> tuple[str, str | None]:
	"""("join", open ticket) within the team's grouping window; ("reopen" | "new_linked", closed ticket)
	by the team's policy when the sender's latest ticket there was closed within the window; else
	("new", None). A window of 0 (or no team) always means a new ticket."""
	from callcenter_app.tickets.service import team_policy
	from callcenter_app.utils import utc_now

	policy = team_policy(team) if team else None
	window = int(policy.grouping_window_s) if policy else 0
	if not window:
		return "new", None
	now = utc_now()
	candidates = sender_tickets(sender, contact)
	message = Incoming(sender, team)
	target = join_target(message, candidates, window, now)
	if target:
		return "join", target
	closed = closed_reply_target(message, candidates)
	if closed:
		last = next(t.last_message_at for t in candidates if t.id == closed)
		if (now - last).total_seconds() <= window:
			return tuple(on_reply_to_closed(policy.closed_reply, closed))
	return "new", None


def reopen(ticket: str, sender: str) -> None:
	from callcenter_app.tickets.service import is_closed_status, statuses_in
	from callcenter_app.tickets.tasks import log_activity

	doc = frappe.get_doc("HD Ticket", ticket)
	if not is_closed_status(doc.status):
		return
	open_statuses = statuses_in("Open")
	doc.status = "Open" if "Open" in open_statuses else open_statuses[0]
	doc.save(ignore_permissions=True)
	log_activity(ticket, _("reopened by an SMS from {0}").format(sender))


def add_inbound_to_timeline(ticket: str, sms: InboundSms, contact: str | None) -> str:
	"""A received Communication (medium SMS): Helpdesk shows it in the ticket's conversation."""
	email, full_name = None, None
	if contact:
		email, first, last = frappe.db.get_value("Contact", contact, ["email_id", "first_name", "last_name"])
		full_name = " ".join(x for x in (first, last) if x) or None
	communication = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "SMS",
			"sent_or_received": "Received",
			"subject": _("SMS from {0}").format(sms.sender),
			"content": text_html(sms.body),
			"sender": email or None,
			"sender_full_name": full_name or sms.sender,
			"phone_no": sms.sender,
			"reference_doctype": "HD Ticket",
			"reference_name": ticket,
			"status": "Linked",
			"communication_date": system_time(sms.received_at) if sms.received_at else now_datetime(),
		}
	)
	if contact:
		communication.append("timeline_links", {"link_doctype": "Contact", "link_name": contact})
	communication.insert(ignore_permissions=True)
	return communication.name


# ---------------------------------------------------------------------------------------------------------
# Delivery reports


def receive_status(request: WebhookRequest, adapter: SmsAdapter) -> Outcome:
	"""An authenticated delivery report: the outbound message moves forward, or nothing changes."""
	update = adapter.delivery(request)
	key = dedupe_key(update.provider, update.message_id)
	row = frappe.db.get_value(
		"CC SMS Message",
		{"dedupe_key": key},
		["name", "status", "direction", "ticket"],
		as_dict=True,
		for_update=True,
	)
	if not row:
		return Outcome("unknown")
	new = advance(row.status, update.status) if row.direction == "Outbound" else None
	if not new:
		return Outcome("unchanged", row.name, str(row.ticket) if row.ticket else None)
	frappe.db.set_value(
		"CC SMS Message",
		row.name,
		{"status": new, "status_detail": update.detail, "status_updated_at": now_datetime()},
	)
	return Outcome("updated", row.name, str(row.ticket) if row.ticket else None)


# ---------------------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True)
class GatewayResult:
	ok: bool
	provider_id: str | None
	detail: str


def send_reply(ticket: str, message: str) -> dict:
	"""Text the ticket's customer (the caller has checked write permission on the ticket)."""
	from callcenter_app.utils import throw_field_errors

	try:
		text = reply_text(message)
	except FieldError as e:
		throw_field_errors("CC SMS Message", [FieldError("body", e.reason)], title=_("SMS not sent"))
	s = settings()
	if not s.enabled or not s.reply_via_sms_settings:
		frappe.throw(
			_("SMS replies are off. Turn on the SMS channel and replies in CC SMS Settings."),
			title=_("SMS not sent"),
		)
	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		frappe.throw(_("Set the SMS gateway URL in SMS Settings first."), title=_("SMS not sent"))
	customer, ours, contact = reply_numbers(ticket)
	reference = f"cc-{uuid.uuid4().hex}"
	doc = frappe.get_doc(
		{
			"doctype": "CC SMS Message",
			"direction": "Outbound",
			"status": "Queued",
			"provider": s.provider,
			"provider_message_id": reference,
			"dedupe_key": dedupe_key(s.provider, reference),
			"sender": ours,
			"recipient": customer,
			"body": text,
			"ticket": ticket,
			"contact": contact,
			"sent_by": frappe.session.user,
		}
	)
	doc.insert(ignore_permissions=True)  # the endpoint checked write permission on the ticket
	result = post_to_gateway(customer, text)
	values = {"status_detail": result.detail, "status_updated_at": now_datetime()}
	if result.ok:
		provider_id = result.provider_id or reference
		values.update(
			status="Sent",
			sent_at=now_datetime(),
			provider_message_id=provider_id,
			dedupe_key=dedupe_key(s.provider, provider_id),
			communication=add_outbound_to_timeline(ticket, customer, text),
		)
	else:
		values["status"] = "Failed"
	doc.db_set(values, update_modified=False)
	return {"name": doc.name, "status": values["status"], "detail": result.detail, "segments": segments(text)}


def reply_numbers(ticket: str) -> tuple[str, str, str | None]:
	"""(customer's number, our number, contact): the number of the latest SMS on the ticket, else the
	contact's mobile or phone. FieldError naming the ticket when there is none to text."""
	from callcenter_app.common.phones import try_normalize
	from callcenter_app.utils import throw_field_errors

	contact = frappe.db.get_value("HD Ticket", ticket, "contact")
	ours = ""
	last = frappe.get_all(
		"CC SMS Message",
		filters={"ticket": ticket, "direction": "Inbound"},
		fields=["sender", "recipient"],
		order_by="creation desc",
		limit=1,
	)
	customer = None
	if last:
		ours = last[0].recipient or ""
		customer = try_normalize(last[0].sender or "", region())
		if not customer:
			throw_field_errors(
				"CC SMS Message",
				[
					FieldError(
						"recipient",
						_("{0} is a sender name, not a number: it cannot receive replies").format(
							last[0].sender
						),
					)
				],
				title=_("SMS not sent"),
			)
	if not customer and contact:
		mobile, phone = frappe.db.get_value("Contact", contact, ["mobile_no", "phone"])
		customer = try_normalize(mobile or "", region()) or try_normalize(phone or "", region())
	if not customer:
		throw_field_errors(
			"CC SMS Message",
			[
				FieldError(
					"ticket",
					_(
						"ticket {0} has no number to text: no SMS came in on it and its contact has no mobile number"
					).format(ticket),
				)
			],
			title=_("SMS not sent"),
		)
	if not ours:
		numbers = parse_numbers(settings().get("receive_numbers"), region())
		ours = numbers[0] if numbers else ""
	return customer, ours, contact


def post_to_gateway(number: str, text: str) -> GatewayResult:
	"""One SMS through the gateway of Frappe's SMS Settings, built as Frappe's ``send_via_gateway`` builds
	it (message, receiver and static parameters; header parameters; GET, form POST or JSON POST), with a
	timeout and the gateway's answer kept: Frappe's ``send_sms`` has neither, and the provider's message id
	in the answer is what delivery reports refer to (and ``send_sms`` ends in ``create_sms_log``, whose "SMS
	Log" doctype Frappe 15 no longer ships). Nothing of the request (URL, headers) is logged."""
	from frappe.core.doctype.sms_settings.sms_settings import get_headers

	gateway = frappe.get_doc("SMS Settings")
	headers = get_headers(gateway)
	args = {gateway.message_parameter: text}
	for row in gateway.get("parameters"):
		if not row.header:
			args[row.parameter] = row.value
	args[gateway.receiver_parameter] = number
	kwargs = {"headers": headers, "timeout": GATEWAY_TIMEOUT}
	if headers.get("Content-Type") == "application/json":
		kwargs["json"] = args
	elif gateway.use_post:
		kwargs["data"] = args
	else:
		kwargs["params"] = args
	method = "POST" if gateway.use_post else "GET"
	try:
		response = requests.request(method, gateway.sms_gateway_url, **kwargs)
	except requests.RequestException as e:
		return GatewayResult(False, None, _("the gateway did not answer ({0})").format(type(e).__name__))
	if not 200 <= response.status_code < 300:
		answer = (response.text or "").strip()[:200]
		return GatewayResult(
			False, None, _("the gateway answered HTTP {0}: {1}").format(response.status_code, answer)
		)
	provider_id = outbound_id(response.headers.get("Content-Type", ""), response.content)
	return GatewayResult(
		True, provider_id, _("accepted by the gateway (HTTP {0})").format(response.status_code)
	)


def add_outbound_to_timeline(ticket: str, number: str, text: str) -> str:
	communication = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "SMS",
			"sent_or_received": "Sent",
			"subject": _("SMS to {0}").format(number),
			"content": text_html(text),
			"sender": frappe.session.user,
			"phone_no": number,
			"reference_doctype": "HD Ticket",
			"reference_name": ticket,
			"status": "Linked",
		}
	)
	communication.insert(ignore_permissions=True)
	return communication.name
