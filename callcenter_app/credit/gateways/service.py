"""Top-ups, the Frappe side: start one (Stripe Checkout, PayPal order, bank transfer with an RF
reference), take the gateways' webhooks, capture PayPal orders, and credit the ledger once per payment.

Webhooks: every request is kept as a CC Payment Event with its raw body. A request whose signature does
not verify (forged, tampered, late, unsigned) is kept as Rejected, without its event key, and changes
nothing else. A verified event claims ``gateway:event id`` (a unique column) in the same transaction that
processes it, so a replayed or concurrent delivery of one event is processed once. A payment that cannot
be credited as it stands (unknown top-up or account, another or unknown currency, zero, negative or
different amount, a closed account) becomes "Needs review" with the reason, nothing credited, the raw
event kept for the Accountant. Secrets are read from CC Payment Settings' Password fields and never
logged or returned.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import get_url, now_datetime

from callcenter_app.common.errors import FieldError
from callcenter_app.credit import ledger, money, references
from callcenter_app.credit import service as credit
from callcenter_app.credit.gateways import (
	APPROVED,
	EXPIRED,
	FAILED,
	IGNORED,
	PAID,
	Payment,
	WebhookRefused,
	paypal,
	review_problems,
)
from callcenter_app.credit.gateways import stripe_checkout as sc
from callcenter_app.credit.gateways.shapes import obj

SETTINGS = "CC Payment Settings"
EVENT = "CC Payment Event"
TOP_UP = "CC Top Up"
METHODS = ("Stripe", "PayPal", "Bank Transfer")
MAX_RAW = 512 * 1024  # a webhook body larger than this is kept cut (gateways send a few KiB)


class TopUpRefused(frappe.ValidationError):
	"""A top-up that cannot be started; the message names the field and the reason."""


def log():
	return frappe.logger("callcenter_app.credit", allow_site=True)


def settings():
	return frappe.get_cached_doc(SETTINGS)


def _secret(field: str) -> str:
	return frappe.get_single(SETTINGS).get_password(field, raise_exception=False) or ""


def exponent_of(currency) -> int | None:
	try:
		return money.exponent(currency)
	except (FieldError, TypeError, ValueError):
		return None


def _refuse(field: str, reason: str):
	frappe.throw(_("{0}: {1}").format(field, reason), TopUpRefused, title=_("Top-up refused"))


# Starting a top-up -----------------------------------------------------------------------------------


def start_top_up(
	account: str, method: str, amount_minor: int, *, save_card: bool = False, user: str | None = None
):
	"""Create the CC Top Up and hand the customer to the gateway. Returns a dict: ``top_up``, and
	``redirect`` (Stripe, PayPal) or ``bank`` details with the RF reference (bank transfer)."""
	user = user or frappe.session.user
	s = settings()
	enabled = {"Stripe": s.stripe_enabled, "PayPal": s.paypal_enabled, "Bank Transfer": s.bank_enabled}
	if method not in METHODS:
		_refuse("method", _("must be one of {0}").format(", ".join(METHODS)))
	if not enabled[method]:
		_refuse("method", _("{0} is not enabled on this site").format(method))
	acc = frappe.db.get_value(
		credit.ACCOUNT, account, ["name", "currency", "status", "stripe_customer"], as_dict=True
	)
	if not acc:
		_refuse("account", _("no such account"))
	if acc.status != "Active":
		_refuse("account", _("account {0} is {1}").format(account, acc.status))
	if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
		_refuse("amount", _("must be an amount in {0}").format(acc.currency))
	low, high = int(s.min_top_up_minor or 1), int(s.max_top_up_minor or 0)
	if amount_minor < low or (high and amount_minor > high):
		_refuse(
			"amount",
			_("must be between {0} and {1}").format(
				money.format_minor(low, acc.currency), money.format_minor(high, acc.currency)
			),
		)
	if save_card and method != "Stripe":
		save_card = False
	top_up = frappe.get_doc(
		{
			"doctype": TOP_UP,
			"account": account,
			"method": method,
			"status": "Requested",
			"amount_minor": amount_minor,
			"currency": acc.currency,
			"save_card": 1 if save_card else 0,
			"requested_by": user,
			"requested_at": now_datetime(),
			"rf_reference": references.normalize(references.new_reference())
			if method == "Bank Transfer"
			else None,
		}
	).insert(ignore_permissions=True)
	# the request exists before any gateway hears of it, so its webhook always finds it
	frappe.db.commit()
	try:
		if method == "Stripe":
			answer = _start_stripe(top_up, acc, save_card, user)
		elif method == "PayPal":
			answer = _start_paypal(top_up, acc)
		else:
			answer = {"bank": bank_details(top_up)}
	except Exception as e:
		frappe.db.rollback()
		reason = _gateway_error(e)
		_set_top_up(top_up.name, status="Failed", failure_reason=reason)
		frappe.db.commit()
		log().warning("top-up %s (%s) could not start: %s", top_up.name, method, reason)
		frappe.throw(_("The payment could not be started: {0}").format(reason), title=_("Top-up failed"))
	_set_top_up(top_up.name, status="Pending", gateway_order_id=answer.pop("order_id", None))
	frappe.db.commit()
	return {"top_up": top_up.name, **answer}


def _gateway_error(e: Exception) -> str:
	"""What went wrong, for the customer and the log: the gateway's own words, never a key."""
	if isinstance(e, paypal.PayPalError):
		return str(e)
	user_message = getattr(e, "user_message", None)  # stripe errors
	if user_message:
		return str(user_message)
	return type(e).__name__


def _set_top_up(name: str, **values) -> None:
	frappe.db.set_value(TOP_UP, name, values, update_modified=True)


def _start_stripe(top_up, acc, save_card: bool, user: str) -> dict:
	s = settings()
	key = _secret("stripe_secret_key")
	customer = acc.stripe_customer
	if save_card and not customer:
		customer = sc.create_customer(key, account=acc.name, email=user, api_base=s.stripe_api_base)
		frappe.db.set_value(credit.ACCOUNT, acc.name, "stripe_customer", customer, update_modified=False)
	params = sc.session_params(
		top_up=top_up.name,
		account=acc.name,
		amount_minor=top_up.amount_minor,
		currency=top_up.currency,
		product_name=_("Call credit {0}").format(money.format_minor(top_up.amount_minor, top_up.currency)),
		success_url=get_url(f"/credit?top_up={top_up.name}&paid=1"),
		cancel_url=get_url(f"/credit?top_up={top_up.name}&cancelled=1"),
		save_card=save_card,
		customer=customer,
		email=None if customer else user,
	)
	session = sc.create_session(key, params, api_base=s.stripe_api_base)
	return {"order_id": session["id"], "redirect": session["url"]}


def paypal_client() -> paypal.PayPalClient:
	s = settings()
	return paypal.PayPalClient(
		s.paypal_api_base or paypal.SANDBOX, s.paypal_client_id, _secret("paypal_client_secret")
	)


def _start_paypal(top_up, acc) -> dict:
	order = paypal_client().create_order(
		top_up=top_up.name,
		amount_minor=top_up.amount_minor,
		currency=top_up.currency,
		exponent=money.exponent(top_up.currency),
		return_url=get_url(f"/api/method/callcenter_app.api.credit.paypal_return?top_up={top_up.name}"),
		cancel_url=get_url(f"/credit?top_up={top_up.name}&cancelled=1"),
	)
	return {"order_id": order["id"], "redirect": order["url"]}


def bank_details(top_up) -> dict:
	s = settings()
	return {
		"reference": references.format_reference(top_up.rf_reference),
		"amount": money.format_minor(top_up.amount_minor, top_up.currency),
		"account_holder": s.bank_account_holder,
		"iban": s.bank_iban,
		"bic": s.bank_bic,
		"bank": s.bank_name,
		"instructions": s.bank_instructions,
	}


# Saved cards (they live at Stripe only) -------------------------------------------------------------


def saved_cards(account: str) -> list[dict]:
	customer = frappe.db.get_value(credit.ACCOUNT, account, "stripe_customer")
	if not customer or not settings().stripe_enabled:
		return []
	return sc.saved_cards(_secret("stripe_secret_key"), customer, api_base=settings().stripe_api_base)


def remove_card(account: str, payment_method: str) -> None:
	customer = frappe.db.get_value(credit.ACCOUNT, account, "stripe_customer")
	if not customer:
		_refuse("payment_method", _("this account has no saved cards"))
	try:
		sc.remove_card(
			_secret("stripe_secret_key"), customer, payment_method, api_base=settings().stripe_api_base
		)
	except PermissionError:
		_refuse("payment_method", _("not a card of this account"))


# Webhooks -------------------------------------------------------------------------------------------


def _raw_text(raw: bytes) -> str:
	return raw[:MAX_RAW].decode("utf-8", errors="replace")


def _event_id(raw: bytes) -> str | None:
	try:
		body = json.loads(raw)
	except ValueError:
		return None
	value = body.get("id") if isinstance(body, dict) else None
	return str(value)[:140] if value else None


def _keep_refused(gateway: str, raw: bytes, reason: str) -> str:
	"""A request that is not provably the gateway's: kept as Rejected, claiming no event key."""
	doc = frappe.get_doc(
		{
			"doctype": EVENT,
			"gateway": gateway,
			"event_id": _event_id(raw),
			"status": "Rejected",
			"signature_ok": 0,
			"received_at": now_datetime(),
			"error": reason,
			"raw_body": _raw_text(raw),
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	log().warning("refused %s webhook %s: %s", gateway, doc.name, reason)
	return doc.name


def receive_stripe(raw: bytes, signature_header: str | None) -> tuple[int, dict]:
	"""A Stripe webhook: (HTTP status, answer)."""
	try:
		event = sc.verify(
			raw, signature_header, _secret("stripe_webhook_secret"), settings().webhook_tolerance_s or 300
		)
	except WebhookRefused as e:
		return 400, {"ok": False, "event": _keep_refused("Stripe", raw, e.reason), "message": e.reason}
	return _process("Stripe", raw, obj(event).get("type"), sc.payment_from_event(event))


def receive_paypal(raw: bytes, headers) -> tuple[int, dict]:
	"""A PayPal webhook: (HTTP status, answer)."""
	try:
		paypal.check_transmission_time(headers, settings().webhook_tolerance_s or 300)
		paypal_client().verify_webhook(headers, raw, settings().paypal_webhook_id)
		try:
			event = json.loads(raw)
		except ValueError as e:
			raise WebhookRefused(f"body: not a JSON event ({e})") from None
	except WebhookRefused as e:
		return 400, {"ok": False, "event": _keep_refused("PayPal", raw, e.reason), "message": e.reason}
	except paypal.PayPalError as e:
		# PayPal could not be asked: not verified, so not processed; PayPal delivers again
		log().warning("PayPal webhook not verified: %s", e)
		return 503, {"ok": False, "message": str(e)}
	return _process(
		"PayPal", raw, obj(event).get("event_type"), paypal.payment_from_event(event, exponent_of)
	)


def _process(gateway: str, raw: bytes, event_type, payment: Payment) -> tuple[int, dict]:
	if not payment.event_id:
		return 400, {
			"ok": False,
			"event": _keep_refused(gateway, raw, "body: the event has no id"),
			"message": "no id",
		}
	fields = {
		"doctype": EVENT,
		"gateway": gateway,
		"event_id": payment.event_id,
		"event_key": f"{gateway.lower()}:{payment.event_id}",
		"event_type": str(event_type or "")[:140],
		"status": "Received",
		"signature_ok": 1,
		"received_at": now_datetime(),
		"amount_minor": payment.amount_minor if isinstance(payment.amount_minor, int) else 0,
		"currency": (payment.currency or "")[:140] or None,
		"raw_body": _raw_text(raw),
	}
	event = frappe.get_doc(fields)
	try:
		# the claim: a second delivery of this event waits here until the first commits, then stops
		event.insert(ignore_permissions=True)
	except frappe.UniqueValidationError:
		frappe.db.rollback()
		first = frappe.db.get_value(EVENT, {"event_key": event.event_key}, ["name", "status"], as_dict=True)
		return 200, {
			"ok": True,
			"duplicate": True,
			"event": first and first.name,
			"status": first and first.status,
		}
	try:
		status, error, top_up = apply_payment(payment, event)
	except Exception as e:
		# something unexpected (a lost connection, a deadlock): nothing stays claimed, the gateway retries
		frappe.db.rollback()
		reason = f"{type(e).__name__}: {e}"[:500]
		log().exception("%s webhook %s failed", gateway, payment.event_id)
		frappe.get_doc({**fields, "event_key": None, "status": "Received", "error": reason}).insert(
			ignore_permissions=True
		)
		frappe.db.commit()
		return 500, {"ok": False, "message": _("processing failed; the gateway will deliver again")}
	frappe.db.set_value(
		EVENT, event.name, {"status": status, "error": error, "top_up": top_up}, update_modified=False
	)
	frappe.db.commit()
	if status == "Needs review":
		log().warning("%s event %s needs review: %s", gateway, payment.event_id, error)
	# 200 for every verified event, Needs review too: the gateway must not retry what only a person can fix
	return 200, {"ok": True, "event": event.name, "status": status, "message": error or status}


def _top_up_row(payment: Payment) -> dict | None:
	filters = {"name": payment.top_up} if payment.top_up else {"gateway_order_id": payment.order_id or "-"}
	row = frappe.db.get_value(
		TOP_UP,
		filters,
		["name", "account", "currency", "amount_minor", "gateway_order_id", "status", "method"],
		as_dict=True,
	)
	if row:
		row["account_exists"] = bool(frappe.db.exists(credit.ACCOUNT, row.account))
	return row


def apply_payment(payment: Payment, source) -> tuple[str, str | None, str | None]:
	"""Credit, fail or ignore what ``payment`` says, in the caller's transaction:
	(event status, reason for review or None, top-up)."""
	if payment.outcome == IGNORED:
		return "Ignored", None, None
	row = _top_up_row(payment)
	top_up = row.name if row else None
	if payment.outcome in (FAILED, EXPIRED):
		if row and row.status not in ("Confirmed",):
			_set_top_up(
				row.name,
				status="Failed" if payment.outcome == FAILED else "Cancelled",
				failure_reason=f"{payment.gateway}: {payment.event_type}",
			)
		return "Processed", None, top_up
	if payment.outcome == APPROVED:
		if not row:
			return (
				"Needs review",
				f"top-up: no CC Top Up {payment.top_up or payment.order_id!r} on this site",
				None,
			)
		if row.status == "Confirmed":
			return "Processed", None, top_up
		answer = paypal_client().capture(payment.order_id)
		payment = paypal.payment_from_capture_answer(answer, exponent_of)
		if payment.outcome != PAID:
			return "Needs review", f"capture: PayPal answered {answer.get('status')!r}", top_up
	problems = review_problems(payment, row, known_currencies=money.CURRENCIES)
	if problems:
		return "Needs review", "; ".join(problems), top_up
	frappe.db.savepoint("cc_credit_top_up")
	try:
		credit.confirm_top_up(
			row.name,
			payment.amount_minor,
			source,
			ledger.gateway_key(payment.gateway, payment.payment_id or payment.event_id),
		)
	except credit.LedgerError as e:
		frappe.db.rollback(save_point="cc_credit_top_up")
		return "Needs review", str(e), top_up
	if payment.payment_id:
		_set_top_up(row.name, gateway_payment_id=payment.payment_id)
	return "Processed", None, top_up


def paypal_return(top_up: str, order_id: str | None) -> str:
	"""The payer is back from PayPal: capture the order now (the webhook may come later or never) and
	credit it; returns the portal URL to send them to."""
	row = frappe.db.get_value(TOP_UP, top_up, ["name", "gateway_order_id", "status"], as_dict=True)
	if not row or not order_id or order_id != row.gateway_order_id:
		return "/credit?failed=1"
	if row.status == "Confirmed":
		return f"/credit?top_up={top_up}&paid=1"
	try:
		answer = paypal_client().capture(order_id)
	except paypal.PayPalError as e:
		log().warning("PayPal capture of %s failed: %s", order_id, e)
		return f"/credit?top_up={top_up}&failed=1"
	# the capture's answer is kept like a webhook (claimed once per capture id), and credited once
	payment = paypal.payment_from_capture_answer(answer, exponent_of)
	_status, body = _process("PayPal", json.dumps(answer).encode(), "capture", payment)
	if body.get("status") != "Processed":
		log().warning("PayPal capture of %s: %s", order_id, body.get("message") or body.get("status"))
		return f"/credit?top_up={top_up}&review=1"
	return f"/credit?top_up={top_up}&paid=1"


# Accounting ------------------------------------------------------------------------------------------


def confirmed_top_ups(start, end) -> list[dict]:
	"""Top-ups confirmed from ``start`` to ``end`` (dates, inclusive), with the amount the ledger credited
	and the HD Customer of their account."""
	return frappe.db.sql(
		"""select t.name, t.confirmed_at, t.method, t.currency, e.amount_minor, t.rf_reference,
			t.gateway_order_id, t.gateway_payment_id, t.account, a.customer, t.ledger_entry
		from `tabCC Top Up` t
		join `tabCC Credit Ledger Entry` e on e.name = t.ledger_entry
		join `tabCC Credit Account` a on a.name = t.account
		where t.status = 'Confirmed' and t.confirmed_at >= %s and t.confirmed_at < %s
		order by t.confirmed_at, t.name""",
		(start, frappe.utils.add_days(end, 1)),
		as_dict=True,
	)


def journal_settings():
	from callcenter_app.credit.reconciliation import JournalSettings

	s = settings()
	missing = [f for f in ("erpnext_company", "erpnext_credit_account") if not s.get(f)]
	if missing:
		frappe.throw(
			_("{0}: set it in CC Payment Settings for the Journal Entry export").format(
				", ".join(frappe.get_meta(SETTINGS).get_label(f) for f in missing)
			)
		)
	debit = {
		"Stripe": s.erpnext_stripe_account,
		"PayPal": s.erpnext_paypal_account,
		"Bank Transfer": s.erpnext_bank_account,
	}
	return JournalSettings(s.erpnext_company, s.erpnext_credit_account, {k: v for k, v in debit.items() if v})


def after_confirm(top_up: str) -> None:
	"""With ERPNext on this site (and the setting on), the confirmed top-up becomes a Journal Entry, in a
	background job after the confirmation commits. Guarded and not exercised by the test suite: this
	bench has no ERPNext."""
	if "erpnext" not in frappe.get_installed_apps():
		return
	if not frappe.db.get_single_value(SETTINGS, "erpnext_post_journal"):
		return
	frappe.enqueue(
		"callcenter_app.credit.gateways.service.post_journal_entry",
		top_up=top_up,
		enqueue_after_commit=True,
		job_id=f"cc-journal-{top_up}",
		deduplicate=True,
	)


def post_journal_entry(top_up: str) -> str | None:
	"""Post one confirmed top-up as a submitted ERPNext Journal Entry (once: the entry's name is kept on
	the top-up). The customer is the ERPNext Customer named like the HD Customer, when there is one."""
	from callcenter_app.credit.reconciliation import journal_entry_rows

	if frappe.db.get_value(TOP_UP, top_up, "journal_entry"):
		return None
	rows = [r for r in confirmed_top_ups("2000-01-01", "2999-12-31") if r.name == top_up]
	if not rows:
		return None
	row = rows[0]
	if row.customer and not frappe.db.exists("Customer", row.customer):
		row.customer = None
	lines = journal_entry_rows([row], journal_settings())
	head, accounts = (
		lines[0],
		[{k[9:]: v for k, v in line.items() if k.startswith("accounts.")} for line in lines],
	)
	je = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			**{k: v for k, v in head.items() if not k.startswith("accounts.")},
			"accounts": [{k: v for k, v in a.items() if v not in ("", None)} for a in accounts],
		}
	)
	je.insert(ignore_permissions=True)
	je.submit()
	frappe.db.set_value(TOP_UP, top_up, "journal_entry", je.name, update_modified=False)
	return je.name


def reprocess(event: str) -> dict:
	"""Process a verified event that needs review again, once the Accountant has fixed its cause (reopened
	the account, found the top-up): credited once, as on receipt. Read from the kept raw body; the signature
	was checked when it arrived."""
	row = frappe.db.get_value(
		EVENT,
		event,
		["name", "gateway", "status", "signature_ok", "raw_body", "event_type"],
		as_dict=True,
		for_update=True,
	)
	if not row:
		frappe.throw(_("Payment event {0} does not exist").format(event), frappe.DoesNotExistError)
	if row.status != "Needs review" or not row.signature_ok:
		frappe.throw(
			_(
				"Processing status: only a verified event that needs review can be processed again, not a {0} one"
			).format(row.status)
		)
	body = json.loads(row.raw_body or "{}")
	if row.gateway == "Stripe":
		payment = sc.payment_from_event(body)
	elif row.event_type == "capture":
		payment = paypal.payment_from_capture_answer(body, exponent_of)
	else:
		payment = paypal.payment_from_event(body, exponent_of)
	status, error, top_up = apply_payment(payment, frappe.get_doc(EVENT, row.name))
	frappe.db.set_value(
		EVENT, row.name, {"status": status, "error": error, "top_up": top_up}, update_modified=True
	)
	log().info("payment event %s processed again by %s: %s", row.name, frappe.session.user, status)
	return {"status": status, "message": error or status}
