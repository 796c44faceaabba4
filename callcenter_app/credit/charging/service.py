"""Frappe glue of call charging: rate plans from their records, the account that pays a call, the rating
job, the dialer's credit guard and the low-balance notice (rules: ``charging/__init__.py``)."""

from __future__ import annotations

import logging

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.credit import charging, ledger, money
from callcenter_app.credit import service as credit
from callcenter_app.credit.rating import Call, NoRate, RatePlan, make_plan, rate
from callcenter_app.utils import requires

log = logging.getLogger("callcenter.credit")

ACCOUNT, PLAN, CALL_LOG = "CC Credit Account", "CC Rate Plan", "CC Call Log"
BATCH = 500


# --- plans and accounts -------------------------------------------------------------------------------


def plan_of(doc) -> RatePlan:
	"""The pure plan of a CC Rate Plan document (raises FieldError naming the field)."""
	return make_plan(
		doc.currency,
		doc.billing_increment or "",
		[(r.prefix, r.rate_per_minute, r.description) for r in doc.rates],
		connection_fee=(doc.connection_fee or "0").strip(),
		minimum_charge=(doc.minimum_charge or "0").strip(),
	)


def site_account() -> str | None:
	"""The site's own account: the one without a customer."""
	return frappe.db.get_value(ACCOUNT, {"customer": ("is", "not set")}, "name")


def sip_account_of(interface: str | None = None, user: str | None = None) -> str | None:
	if user:
		name = frappe.db.get_value("CC SIP Account", {"user": user}, "name")
		if name:
			return name
	if interface and "/" in interface:  # PJSIP/1001
		name = interface.split("/", 1)[1].split("-", 1)[0]
		if frappe.db.exists("CC SIP Account", name):
			return name
	return None


def account_for(
	campaign: str | None = None, queue: str | None = None, sip_account: str | None = None
) -> str | None:
	"""The account that pays: campaign, else queue, else SIP account, else the site's own account."""
	return charging.first_account(
		campaign and frappe.db.get_value("CC Campaign", campaign, "credit_account"),
		queue and frappe.db.get_value("CC Call Queue", queue, "credit_account"),
		sip_account and frappe.db.get_value("CC SIP Account", sip_account, "credit_account"),
		site_account(),
	)


# --- the dialer's guard ------------------------------------------------------------------------------


def refusal_for_account(account: str | None) -> FieldError | None:
	if not account:
		return None
	row = frappe.db.get_value(ACCOUNT, account, ["balance_minor", "currency", "status"], as_dict=True)
	if not row:
		return None
	return charging.dial_refusal(account, int(row.balance_minor or 0), row.currency, row.status)


def campaign_refusal(campaign: str) -> FieldError | None:
	"""Why ``campaign`` may place no new call now (its account's credit), or None."""
	queue = frappe.db.get_value("CC Campaign", campaign, "call_queue")
	return refusal_for_account(account_for(campaign=campaign, queue=queue))


def manual_refusal(user: str) -> FieldError | None:
	"""Why a click-to-call of ``user`` may not go out for lack of credit, or None."""
	return refusal_for_account(account_for(sip_account=sip_account_of(user=user)))


def campaign_stop_reason(campaign: str) -> str | None:
	refused = campaign_refusal(campaign)
	return refused.reason if refused else None


# --- the rating job ----------------------------------------------------------------------------------


def _plan(name: str, cache: dict) -> RatePlan | None:
	if name not in cache:
		cache[name] = plan_of(frappe.get_doc(PLAN, name)) if name else None
	return cache[name]


def _destination(number: str, region: str | None) -> str:
	from callcenter_app.common.phones import try_normalize

	return try_normalize(number, region) or number


def _mark(call_log: str, status: str, entry: str | None = None, note: str | None = None) -> None:
	frappe.db.set_value(
		CALL_LOG,
		call_log,
		{"credit_status": status, "credit_entry": entry, "credit_note": (note or "")[:140] or None},
		update_modified=False,
	)


def rate_call(row, plans: dict, accounts: dict, region: str | None) -> str:
	"""Rate one call log row (a dict of its fields) and write its charge and marker; returns the status.
	Runs in the caller's transaction (the charge and the marker commit together)."""
	sip = sip_account_of(row.agent_interface, row.agent)
	account = account_for(row.campaign or None, row.queue or None, sip)
	if not account:
		_mark(row.name, charging.NO_ACCOUNT, note=_("no credit account pays for this call"))
		return charging.NO_ACCOUNT
	if account not in accounts:
		accounts[account] = frappe.db.get_value(ACCOUNT, account, ["rate_plan", "currency"], as_dict=True)
	acct = accounts[account]
	plan = _plan(acct.rate_plan, plans) if acct.rate_plan else None
	if plan is None:
		_mark(row.name, charging.NO_RATE, note=_("account {0} has no rate plan").format(account))
		return charging.NO_RATE
	result = rate(Call(_destination(row.caller, region), True, int(row.billable_s or 0), row.name), plan)
	if isinstance(result, NoRate):
		_mark(row.name, charging.NO_RATE, note=result.reason)
		return charging.NO_RATE
	if result.amount_minor == 0:
		_mark(row.name, charging.FREE, note=_("0 billable seconds"))
		return charging.FREE
	entry = credit.post_entry(
		account,
		ledger.CALL_CHARGE,
		-result.amount_minor,
		CALL_LOG,
		row.name,
		ledger.charge_key(row.name),
		remark=_("{0} s billed as {1} s to {2} at {3}/min (prefix {4})").format(
			row.billable_s, result.billed_seconds, row.caller, result.rate, result.prefix
		),
	)
	_mark(
		row.name,
		charging.CHARGED,
		entry.name,
		f"{result.billed_seconds} s, {money.format_minor(result.amount_minor, plan.currency)}",
	)
	return charging.CHARGED


# answered outbound calls not rated yet (a call finished by a resynchronisation counts too: its billable
# seconds are what Asterisk's CDR said, 0 when unknown, and then it is Free)
PENDING = {"direction": "outbound", "status": "answered", "credit_status": ("is", "not set")}


def pending_calls(limit: int, skip: set[str] | None = None) -> list:
	filters = dict(PENDING)
	if skip:
		filters["name"] = ("not in", sorted(skip))
	return frappe.get_all(
		CALL_LOG,
		filters=filters,
		fields=["name", "caller", "campaign", "queue", "agent", "agent_interface", "billable_s"],
		order_by="creation asc",
		limit=limit,
	)


def rate_pending_calls(max_calls: int | None = None, progress: bool = False) -> dict:
	"""Charge every answered outbound call not rated yet, each exactly once: the ledger entry's key is
	``call:<call log>`` (unique) and the call's ``credit_status`` is written in the same transaction, so a
	re-run (or two jobs at once) charges nothing twice. Commits per call; a call that fails is logged and
	left for the next run; each call is tried at most once per run. Returns the counts."""
	from callcenter_app.utils import default_region

	region = default_region()
	plans: dict = {}
	accounts: dict = {}
	counts = dict.fromkeys(
		(charging.CHARGED, charging.FREE, charging.NO_RATE, charging.NO_ACCOUNT, "errors"), 0
	)
	total = frappe.db.count(CALL_LOG, PENDING)
	done = 0
	handled: set[str] = set()
	skip: set[str] = set()  # failed, or back although handled: left for the next run, not retried now
	while max_calls is None or done < max_calls:
		rows = pending_calls(BATCH, skip)
		skip.update(r.name for r in rows if r.name in handled)
		rows = [r for r in rows if r.name not in handled]
		if max_calls is not None:
			rows = rows[: max_calls - done]
		if not rows:
			break
		for row in rows:
			handled.add(row.name)
			frappe.db.savepoint("cc_rate_call")
			try:
				status = rate_call(row, plans, accounts, region)
				counts[status] += 1
				frappe.db.commit()
			except Exception:
				frappe.db.rollback()
				skip.add(row.name)
				counts["errors"] += 1
				log.exception("call %s could not be rated", row.name)
			done += 1
			if progress and total and done % 100 == 0:
				frappe.publish_progress(
					done * 100 / total, title=_("Rating calls"), description=f"{done}/{total}"
				)
	frappe.db.commit()
	return counts


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_CREDIT)
def rerate(call_logs: list[str] | str) -> None:
	"""Rate again calls marked No Rate / No Account (after the plan or the accounts were fixed): their
	marker is cleared and the next rating run takes them (MANAGE_CREDIT)."""
	if isinstance(call_logs, str):
		call_logs = frappe.parse_json(call_logs)
	for name in call_logs:
		if frappe.db.get_value(CALL_LOG, name, "credit_status") in (charging.NO_RATE, charging.NO_ACCOUNT):
			_mark(name, None)
	frappe.db.commit()


# --- the low-balance notice --------------------------------------------------------------------------


def on_ledger_entry(doc, method=None) -> None:
	"""doc_events hook (CC Credit Ledger Entry after_insert): every posting may cross the threshold, down
	(a charge: the notice) or up (a top-up: re-armed). The account's balance is updated after the insert,
	so the entry's balance_after is the one to judge."""
	notify_low_balance(doc.account, int(doc.balance_after_minor or 0))


def notify_low_balance(account: str, balance_minor: int | None = None) -> bool:
	"""Send the low-balance email and desk notice once when ``account`` is at or below its threshold;
	re-arm once a top-up lifted it above. Returns whether a notice went out. Commits nothing itself."""
	row = frappe.db.sql(
		f"select name, title, customer, currency, balance_minor, low_balance_threshold_minor, low_balance_notified"
		f" from `tab{ACCOUNT}` where name=%s for update",
		(account,),
		as_dict=True,
	)
	if not row or not row[0].low_balance_threshold_minor:
		return False
	row = row[0]
	if balance_minor is not None:
		row.balance_minor = balance_minor
	send, notified = ledger.below_threshold(
		int(row.balance_minor or 0), int(row.low_balance_threshold_minor), bool(row.low_balance_notified)
	)
	if notified != bool(row.low_balance_notified):
		frappe.db.sql(
			f"update `tab{ACCOUNT}` set low_balance_notified=%s where name=%s", (int(notified), account)
		)
	if send:
		_send_notice(row)
	return send


def _recipients(row) -> list[str]:
	from frappe.utils.user import get_users_with_role

	users = set(get_users_with_role("Call Center Manager")) | set(get_users_with_role("Accountant"))
	users.discard("Administrator")
	users.discard("Guest")
	if row.customer:
		users |= (
			set(credit.users_of_customer(row.customer)) if hasattr(credit, "users_of_customer") else set()
		)
	return sorted(users)


def _send_notice(row) -> None:
	balance = money.format_minor(int(row.balance_minor or 0), row.currency)
	threshold = money.format_minor(int(row.low_balance_threshold_minor), row.currency)
	subject = _("Low credit on {0}: {1} left").format(row.title or row.name, balance)
	message = _(
		"The prepaid credit of {0} is {1}, at or below its threshold of {2}. At zero the dialer stops placing"
		" new calls for it. Top it up to go on calling."
	).format(row.title or row.name, balance, threshold)
	recipients = _recipients(row)
	for user in recipients:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": ACCOUNT,
				"document_name": row.name,
				"subject": subject,
				"email_content": message,
			}
		).insert(ignore_permissions=True)
	emails = [e for e in (frappe.db.get_value("User", u, "email") for u in recipients) if e]
	if not emails:
		return
	# the notice rides on a posting: a site without outgoing email (or a mail error) must never make a
	# charge or a top-up fail; the desk notice above is there either way
	frappe.db.savepoint("cc_low_balance_mail")
	try:
		frappe.sendmail(
			recipients=emails,
			subject=subject,
			message=message,
			reference_doctype=ACCOUNT,
			reference_name=row.name,
		)
	except Exception:
		frappe.db.rollback(save_point="cc_low_balance_mail")
		log.warning("low-balance email for %s not queued", row.name, exc_info=True)
