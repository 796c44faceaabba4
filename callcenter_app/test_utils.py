"""Factories and helpers for the bench tests (FrappeTestCase); nothing here runs in production."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import frappe

APP_ROOT = Path(__file__).resolve().parents[1]
SECRET = "a-long-sip-secret-1"


def make_user(email: str, roles: tuple[str, ...] = (), first_name: str | None = None) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name or email.split("@")[0].title(),
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	missing = [r for r in roles if r not in {x.role for x in user.roles}]
	if missing:
		user.flags.ignore_permissions = True  # factories run as whoever the test is acting as
		user.add_roles(*missing)
	return email


def make_agent(email: str, sip_account: str | None = None, roles: tuple[str, ...] = ("Agent",)) -> str:
	make_user(email, roles)
	if not frappe.db.exists("HD Agent", email):
		frappe.get_doc(
			{"doctype": "HD Agent", "user": email, "agent_name": email.split("@")[0], "is_active": 1}
		).insert(ignore_permissions=True)
	if sip_account and not frappe.db.exists("CC SIP Account", sip_account):
		make_sip_account(sip_account, email)
	return email


def make_sip_account(username: str, user: str | None = None) -> str:
	frappe.get_doc(
		{
			"doctype": "CC SIP Account",
			"username": username,
			"user": user,
			"enabled": 1,
			"secret": SECRET,
			"max_contacts": 2,
		}
	).insert(ignore_permissions=True)
	return username


def make_call_queue(name: str, members: list[tuple[str, int, int]], strategy: str = "linear") -> str:
	"""``members``: (user, level, position)."""
	if frappe.db.exists("CC Call Queue", name):
		frappe.delete_doc("CC Call Queue", name, force=True, ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "CC Call Queue",
			"queue_name": name,
			"strategy": strategy,
			"max_wait": 300,
			"ring_timeout": 15,
			"retry": 5,
			"members": [{"agent": u, "level": level, "position": pos} for u, level, pos in members],
		}
	).insert(ignore_permissions=True)
	return name


def make_contact(name: str, phone: str) -> str:
	contact = frappe.get_doc(
		{"doctype": "Contact", "first_name": name, "phone_nos": [{"phone": phone, "is_primary_phone": 1}]}
	)
	contact.insert(ignore_permissions=True)
	return contact.name


def load_ami_peer():
	"""The AMI protocol peer of the pure suite (tests/ami_peer.py), which replays real Asterisk output."""
	spec = importlib.util.spec_from_file_location("cc_ami_peer", APP_ROOT / "tests" / "ami_peer.py")
	module = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(module)
	return module


def peer_thread(frames: list[dict] | None = None):
	"""The pure suite's PeerThread (an AmiPeer on a loopback port), with CC Settings pointed at it."""
	from contextlib import contextmanager

	module = load_ami_peer()

	@contextmanager
	def running():
		peer = module.AmiPeer(frames or [])
		with module.PeerThread(peer) as port:
			settings = frappe.get_single("CC Settings")
			settings.update(
				{
					"pbx_enabled": 1,
					"ami_host": "127.0.0.1",
					"ami_port": port,
					"ami_username": peer.username,
					"ami_secret": peer.secret,
				}
			)
			settings.save(ignore_permissions=True)
			yield peer

	return running()


def make_campaign(name: str, operators: tuple[str, ...] = (), **values) -> str:
	"""An active outbound preview campaign in UTC, open round the clock unless ``windows`` are given.

	An existing campaign of that name is deleted first, with its call list (see :func:`delete_campaign`)."""
	if frappe.db.exists("CC Campaign", name):
		delete_campaign(name)
	doc = frappe.get_doc(
		{
			"doctype": "CC Campaign",
			"campaign_name": name,
			"status": "Active",
			"direction": "Outbound",
			"dialer_mode": "Preview",
			"default_timezone": "UTC",
			"max_attempts": 3,
			"check_dnc": 1,
			"windows": [{"weekdays": "Mon-Sun", "start_time": "00:00:00", "end_time": "00:00:00"}],
			"operators": [{"user": user, "active": 1} for user in operators],
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def make_campaign_contact(campaign: str, phone: str, **values) -> str:
	doc = frappe.get_doc({"doctype": "CC Campaign Contact", "campaign": campaign, "phone": phone, **values})
	doc.insert(ignore_permissions=True)
	return doc.name


def make_operator(email: str) -> str:
	"""A desk user with the Operator role."""
	return make_user(email, ("Operator",))


def delete_campaign(name: str) -> None:
	"""A campaign and everything under it (for tests that must commit, such as a Data Import)."""
	for doctype in ("CC Call Attempt", "CC Callback", "CC DNC Number", "CC Campaign Contact"):
		frappe.db.delete(doctype, {"campaign": name})
	frappe.delete_doc("CC Campaign", name, force=True, ignore_permissions=True)


def make_call_log(linkedid: str, start: str, **values) -> str:
	"""A finished inbound CC Call Log (replaced if it exists); ``start`` is a naive system-zone datetime."""
	if frappe.db.exists("CC Call Log", linkedid):
		frappe.delete_doc("CC Call Log", linkedid, force=True, ignore_permissions=True)
	doc = frappe.get_doc(
		{
			"doctype": "CC Call Log",
			"linkedid": linkedid,
			"direction": "inbound",
			"status": "answered",
			"caller": "5551001",
			"start": start,
			"complete": 1,
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


SMS_TOKEN = "test-sms-webhook-token-0123456789"
SMS_NUMBER = "+37052000000"
SMS_BASE_URL = "https://sms.example.com"


def make_sms_settings(provider: str = "Generic", secret: str = SMS_TOKEN, **values) -> None:
	"""CC SMS Settings on, for ``provider`` with ``secret``, receiving on SMS_NUMBER at SMS_BASE_URL."""
	settings = frappe.get_single("CC SMS Settings")
	settings.update(
		{
			"enabled": 1,
			"provider": provider,
			"webhook_token": secret if provider == "Generic" else None,
			"twilio_auth_token": secret if provider == "Twilio" else None,
			"public_base_url": SMS_BASE_URL,
			"receive_numbers": SMS_NUMBER,
			"reply_via_sms_settings": 1,
			**values,
		}
	)
	settings.save(ignore_permissions=True)


def make_sms_gateway(url: str = "https://gateway.example.com/send") -> None:
	"""Frappe's SMS Settings pointed at a gateway (tests patch the HTTP call, never the database)."""
	gateway = frappe.get_single("SMS Settings")
	gateway.update(
		{
			"sms_gateway_url": url,
			"message_parameter": "text",
			"receiver_parameter": "to",
			"use_post": 1,
			"parameters": [
				{"parameter": "from", "value": SMS_NUMBER, "header": 0},
				{"parameter": "Authorization", "value": "Bearer gateway-secret", "header": 1},
			],
		}
	)
	gateway.save(ignore_permissions=True)


def make_team(name: str, **values) -> str:
	"""An HD Team (created, or updated with ``values``)."""
	if not frappe.db.exists("HD Team", name):
		frappe.get_doc({"doctype": "HD Team", "team_name": name, **values}).insert(ignore_permissions=True)
	elif values:
		team = frappe.get_doc("HD Team", name)
		team.update(values)
		team.save(ignore_permissions=True)
	return name


def make_sms_source(team: str, number: str = SMS_NUMBER, name: str = "CC Test SMS") -> str:
	"""An enabled SMS CC Ticket Source for ``number`` whose default team is ``team``."""
	if frappe.db.exists("CC Ticket Source", name):
		frappe.delete_doc("CC Ticket Source", name, force=True, ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "CC Ticket Source",
			"source_name": name,
			"source_type": "SMS",
			"sms_number": number,
			"enabled": 1,
			"weight": 3,
			"default_team": team,
		}
	).insert(ignore_permissions=True)
	return name


def make_signature(name: str, agent: str | None = None, **values) -> str:
	"""An active CC Signature (replaced if it exists) for every use."""
	if frappe.db.exists("CC Signature", name):
		frappe.delete_doc("CC Signature", name, force=True, ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "CC Signature",
			"signature_name": name,
			"agent": agent,
			"active": 1,
			"use_new": 1,
			"use_reply": 1,
			"use_forward": 1,
			"html": f"<p>{name}</p>",
			**values,
		}
	).insert(ignore_permissions=True)
	return name


ANSWERED_CALL = APP_ROOT / "tests" / "data" / "asterisk" / "answered.ami"


def recorded_call() -> dict:
	"""The call record of a real answered call (tests/data/asterisk/answered.ami), as the bridge writes it."""
	from callcenter_app.telephony.ami.calls import CallTracker
	from callcenter_app.telephony.ami.protocol import FrameParser

	tracker = CallTracker()
	events = [m for m in FrameParser().feed(ANSWERED_CALL.read_bytes()) if "Event" in m]
	(record,) = tracker.feed_all(events) + tracker.finish_all()
	return record.as_dict()


# Prepaid credit -------------------------------------------------------------------------------------

# the CC Bank Statement Import mapping of the German-style test statements (";" and "," decimals)
BANK_CSV_MAPPING = {
	"csv_delimiter": ";",
	"csv_decimal": ",",
	"csv_date_format": "%d.%m.%Y",
	"col_date": "Buchungstag",
	"col_amount": "Betrag",
	"col_currency": "Waehrung",
	"col_text": "Verwendungszweck",
	"col_counterparty": "Auftraggeber",
	"col_line_id": "Id",
}


def make_customer(name: str) -> str:
	if not frappe.db.exists("HD Customer", name):
		frappe.get_doc({"doctype": "HD Customer", "customer_name": name}).insert(ignore_permissions=True)
	return name


def make_credit_account(customer: str | None, currency: str = "EUR", **values) -> str:
	"""The customer's credit account (made with its HD Customer when missing); None: the site's own."""
	if customer:
		make_customer(customer)
		existing = frappe.db.get_value("CC Credit Account", {"customer": customer}, "name")
	else:
		existing = frappe.db.get_value("CC Credit Account", {"customer": ("is", "not set")}, "name")
	if existing:
		return existing
	doc = frappe.get_doc(
		{"doctype": "CC Credit Account", "customer": customer, "currency": currency, **values}
	)
	return doc.insert(ignore_permissions=True).name


def make_portal_customer(email: str, customer: str) -> str:
	"""A website user who is a contact of ``customer`` (Helpdesk's portal customer)."""
	make_customer(customer)
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0].title(),
				"send_welcome_email": 0,
				"user_type": "Website User",
			}
		).insert(ignore_permissions=True)
	# Frappe gives a new user a Contact of their own: the customer's link goes on it
	name = frappe.db.get_value("Contact", {"email_id": email}, "name")
	contact = (
		frappe.get_doc("Contact", name)
		if name
		else frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": email.split("@")[0].title(),
				"email_ids": [{"email_id": email, "is_primary": 1}],
			}
		)
	)
	if not any(l.link_doctype == "HD Customer" and l.link_name == customer for l in contact.links):
		contact.append("links", {"link_doctype": "HD Customer", "link_name": customer})
	contact.save(ignore_permissions=True) if name else contact.insert(ignore_permissions=True)
	return email


def purge_credit(accounts: list[str]) -> None:
	"""Test cleanup only: ledger entries cannot be deleted through Frappe, so the rows go by SQL."""
	for account in accounts:
		for doctype in ("CC Credit Ledger Entry", "CC Top Up"):
			frappe.db.delete(doctype, {"account": account})
		frappe.db.delete("CC Credit Account", {"name": account})


def load_gateway_peer():
	"""The pure suite's loopback Stripe/PayPal server (tests/gateway_peer.py)."""
	spec = importlib.util.spec_from_file_location("cc_gateway_peer", APP_ROOT / "tests" / "gateway_peer.py")
	module = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(module)
	return module


STRIPE_WEBHOOK_SECRET = "whsec_bench_tests_0123456789"


def make_payment_settings(peer_base: str, **values) -> None:
	"""CC Payment Settings with Stripe, PayPal (both pointed at the loopback peer) and bank transfer on."""
	peer = load_gateway_peer()
	settings = frappe.get_single("CC Payment Settings")
	settings.update(
		{
			"stripe_enabled": 1,
			"stripe_publishable_key": "pk_test_peer",
			"stripe_secret_key": peer.STRIPE_SECRET_KEY,
			"stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
			"stripe_api_base": peer_base,
			"webhook_tolerance_s": 300,
			"paypal_enabled": 1,
			"paypal_client_id": peer.PAYPAL_CLIENT_ID,
			"paypal_client_secret": peer.PAYPAL_SECRET,
			"paypal_webhook_id": peer.PAYPAL_WEBHOOK_ID,
			"paypal_api_base": peer_base,
			"bank_enabled": 1,
			"bank_account_holder": "Callcenter Example GmbH",
			"bank_iban": "DE89 3704 0044 0532 0130 00",
			"bank_bic": "COBADEFFXXX",
			"bank_name": "Example Bank",
			"min_top_up_minor": 500,
			"max_top_up_minor": 100000,
			**values,
		}
	)
	settings.save(ignore_permissions=True)


def purge_payment_events() -> None:
	"""Test cleanup only: payment events are kept as received, so the rows go by SQL."""
	frappe.db.delete("CC Payment Event")


def make_work_mode(
	name: str, receives_calls: int = 0, counts_as_work: int = 0, receives_tickets: int = 0
) -> str:
	"""An enabled CC Work Mode (kept if it exists)."""
	if not frappe.db.exists("CC Work Mode", name):
		frappe.get_doc(
			{
				"doctype": "CC Work Mode",
				"mode_name": name,
				"enabled": 1,
				"receives_calls": receives_calls,
				"receives_tickets": receives_tickets,
				"counts_as_work": counts_as_work,
			}
		).insert(ignore_permissions=True)
	return name


def make_status_period(agent: str, started: str, ended: str | None, work_mode: str | None = None) -> str:
	"""A CC Agent Status Log period (naive system-zone times); no work mode: logged out."""
	mode = (
		frappe.db.get_value(
			"CC Work Mode", work_mode, ["receives_calls", "receives_tickets", "counts_as_work"], as_dict=True
		)
		if work_mode
		else None
	) or {}
	doc = frappe.get_doc(
		{
			"doctype": "CC Agent Status Log",
			"agent": agent,
			"logged_in": 1 if work_mode else 0,
			"work_mode": work_mode,
			"receives_calls": mode.get("receives_calls", 0),
			"receives_tickets": mode.get("receives_tickets", 0),
			"counts_as_work": mode.get("counts_as_work", 0),
			"started": started,
			"ended": ended,
			"source": "System",
		}
	).insert(ignore_permissions=True)
	return doc.name


def make_report_ticket(subject: str, created: str, team: str | None = None, assigned=(), **values) -> str:
	"""An HD Ticket whose creation, assignees (``_assign``) and SLA fields are set as given, directly (the
	reports read them; the hooks that would compute them are tested elsewhere)."""
	import json

	doc = frappe.get_doc(
		{"doctype": "HD Ticket", "subject": subject, "raised_by": "client@example.com", "agent_group": team}
	).insert(ignore_permissions=True)
	frappe.db.set_value(
		"HD Ticket",
		doc.name,
		{"creation": created, "_assign": json.dumps(list(assigned)), "cc_reaction_breached": 0, **values},
		update_modified=False,
	)
	return doc.name
