"""Frappe glue for the dialer: campaign records → the pure hopper, and the hopper's answers → records.

What the dialer process and the operator console call:

- :func:`next_contacts` — the next contacts of a campaign to dial, marked Dialing under row locks, so two
  callers at once never get the same contact.
- :func:`record_outcome` — what one attempt ended with: attempts, retry time or closing, the callback and the
  do-not-call entry the outcome asks for, and the CC Call Attempt's result.
- :func:`create_attempt` / :func:`update_attempt` — one CC Call Attempt per dial.
- :func:`release_contacts` — picked contacts that will not be dialed go back to the list.
- :func:`campaign_plan`, :func:`rules_for`, :func:`contact_of`, :func:`dnc_numbers` — the pure inputs.

Who may call them (:func:`check_may_dial`): managers for anyone, an active operator of the campaign for
themselves. The records are then written with ``ignore_permissions`` (operators only read the call list).
Nothing here commits: the caller's request or job does. Frappe keeps naive datetimes in the system zone; the
core works in aware UTC (``callcenter_app/utils.py``: ``to_utc``, ``from_utc``, ``utc_now``).
"""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, get_datetime, get_system_timezone

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import campaigns, hopper
from callcenter_app.dialer.windows import CallWindow
from callcenter_app.utils import (
	from_utc,
	has_capability,
	stored_and_edited,
	throw_field_errors,
	to_utc,
	utc_now,
)

CAMPAIGN = "CC Campaign"
CONTACT = "CC Campaign Contact"
ATTEMPT = "CC Call Attempt"
CALLBACK = "CC Callback"
DNC = "CC DNC Number"
OUTCOME = "CC Outcome"

DIALABLE = tuple(sorted(s.value for s in hopper.DIALABLE))
LOCK_ROUNDS = 4  # rounds of pick + lock when another caller took some of the picks meanwhile
BATCH = 100  # contacts read by the first query (at least 10 per contact wanted); each next one reads twice as many
MAX_BATCH = 5_000
MAX_SCAN = 20_000  # contacts examined per call at most (windows may rule out many in a row)
CONTACT_FIELDS = "name, phone, status, attempts, next_attempt_at, priority, timezone, creation, modified"
ATTEMPT_FIELDS = frozenset(
	{
		"operator",
		"answered_at",
		"ended_at",
		"result",
		"abandoned",
		"amd_status",
		"call_log",
		"action_id",
		"linkedid",
		"note",
	}
)


# ----------------------------------------------------------------------------------------------- who


def is_manager(user: str | None = None) -> bool:
	"""Managers see and change every campaign's records; operators only their campaigns' (MANAGE_CAMPAIGNS)."""
	return has_capability(roles.MANAGE_CAMPAIGNS, user)


def is_operator(campaign: str, user: str) -> bool:
	"""Whether ``user`` is an active operator of ``campaign``."""
	return bool(
		frappe.db.exists(
			"CC Campaign Operator",
			{"parenttype": CAMPAIGN, "parent": campaign, "user": user, "active": 1},
		)
	)


def active_operators(campaign: str) -> list[str]:
	return frappe.get_all(
		"CC Campaign Operator",
		filters={"parenttype": CAMPAIGN, "parent": campaign, "active": 1},
		pluck="user",
		order_by="idx asc",
	)


def operator_campaigns_condition(column: str, user: str) -> str:
	"""SQL: ``column`` names a campaign in which ``user`` is an active operator (for permission queries)."""
	return (
		f"{column} in (select `parent` from `tabCC Campaign Operator` where `parenttype` = 'CC Campaign' "
		f"and `active` = 1 and `user` = {frappe.db.escape(user)})"
	)


def campaign_permissions(doctype: str, campaign_field: str = "campaign"):
	"""The ``permission_query_conditions`` and ``has_permission`` hooks of a doctype that belongs to a
	campaign: operators see the records of campaigns they work on, managers all."""

	def query(user: str | None = None) -> str:
		user = user or frappe.session.user
		if is_manager(user):
			return ""
		return operator_campaigns_condition(f"`tab{doctype}`.`{campaign_field}`", user)

	def check(doc, ptype: str = "read", user: str | None = None) -> bool:
		# the stored campaign as well as the edited one: a set_value cannot move a record into reach
		user = user or frappe.session.user
		if is_manager(user):
			return True
		campaigns = {row.get(campaign_field) for row in stored_and_edited(doc, [campaign_field])}
		return all(campaigns) and all(is_operator(c, user) for c in campaigns)

	return query, check


def check_may_dial(campaign: str, operator: str | None = None, user: str | None = None) -> None:
	"""Refuse unless ``user`` (the session user) is a manager, or an active operator of ``campaign`` acting
	for themselves (``operator`` empty or themselves)."""
	user = user or frappe.session.user
	if is_manager(user):
		return
	if operator not in (None, "", user):
		frappe.throw(
			_("{0} may not act for operator {1}").format(user, operator),
			frappe.PermissionError,
			title=_("Not permitted"),
		)
	if not is_operator(campaign, user):
		frappe.throw(
			_("{0} is not an active operator of campaign {1}").format(user, campaign),
			frappe.PermissionError,
			title=_("Not permitted"),
		)


# ------------------------------------------------------------------------------------- pure inputs


def _campaign(campaign: str | Document) -> Document:
	return campaign if isinstance(campaign, Document) else frappe.get_doc(CAMPAIGN, campaign)


def campaign_windows(campaign: str | Document) -> list[CallWindow]:
	doc = _campaign(campaign)
	windows, errors = campaigns.windows_from_rows([row.as_dict() for row in doc.windows])
	throw_field_errors(CAMPAIGN, errors)
	return windows


def outcome_records() -> list[dict]:
	return frappe.get_all(
		OUTCOME,
		fields=[
			"name",
			"code",
			"enabled",
			"final",
			"success",
			"schedules_callback",
			"add_to_dnc",
			"retry_after_minutes",
		],
	)


def rules_for(campaign: str | Document) -> dict[str, hopper.OutcomeRule]:
	"""``{code: OutcomeRule}``: the enabled CC Outcomes, with the campaign's own retry delays."""
	doc = _campaign(campaign)
	records = outcome_records()
	codes = {r.name: r.code for r in records}
	overrides = {
		codes[row.outcome]: row.retry_after_minutes for row in doc.outcome_rules if row.outcome in codes
	}
	return campaigns.merge_rules(records, overrides)


def campaign_plan(campaign: str | Document) -> campaigns.CampaignPlan:
	"""Everything the dialer reads about a campaign, as plain values."""
	doc = _campaign(campaign)
	return campaigns.CampaignPlan(
		name=doc.name,
		status=doc.status,
		direction=doc.direction,
		dialer_mode=doc.dialer_mode,
		call_queue=doc.call_queue or None,
		caller_id=doc.caller_id or None,
		default_tz=doc.default_timezone or get_system_timezone(),
		windows=tuple(campaign_windows(doc)),
		max_attempts=max(1, cint(doc.max_attempts)),
		rules=rules_for(doc),
		abandon_target=float(doc.abandon_target or campaigns.MAX_ABANDON_PERCENT) / 100,
		check_dnc=bool(doc.check_dnc),
		amd=bool(doc.amd),
		wrapup_seconds=cint(doc.wrapup_seconds),
		operators=tuple(active_operators(doc.name)),
	)


def contact_of(doc, max_attempts: int | None = None) -> hopper.Contact:
	"""A CC Campaign Contact (document or row) → the hopper's :class:`Contact`."""
	if max_attempts is None:
		max_attempts = frappe.db.get_value(CAMPAIGN, doc.campaign, "max_attempts")
	return hopper.Contact(
		id=doc.name,
		number=doc.phone,
		status=hopper.Status(doc.status or "New"),
		attempts=max(0, cint(doc.attempts)),
		max_attempts=max(1, cint(max_attempts)),
		next_attempt_at=to_utc(doc.next_attempt_at),
		priority=cint(doc.priority),
		timezones=(doc.timezone,) if doc.get("timezone") else (),
		created_at=to_utc(doc.creation),
	)


def dnc_numbers(campaign: str, numbers: list[str] | None = None) -> tuple[frozenset[str], frozenset[str]]:
	"""(global list, the campaign's own list); only ``numbers`` among them when given."""
	filters = {"number": ["in", numbers]} if numbers is not None else {}
	if numbers is not None and not numbers:
		return frozenset(), frozenset()
	rows = frappe.get_all(
		DNC,
		filters=filters,
		or_filters=[["campaign", "is", "not set"], ["campaign", "=", campaign]],
		fields=["number", "campaign"],
	)
	return (
		frozenset(r.number for r in rows if not r.campaign),
		frozenset(r.number for r in rows if r.campaign == campaign),
	)


def dnc_name(number: str, campaign: str | None) -> str:
	"""The CC DNC Number name: the number on the global list, ``number@campaign`` on a campaign's."""
	return f"{number}@{campaign}" if campaign else number


def find_outcome(outcome: str) -> frappe._dict:
	"""A CC Outcome by name or by code; it must be enabled."""
	if not (outcome or "").strip():
		throw_field_errors(ATTEMPT, [FieldError("outcome", _("is required"))])
	fields = ["name", "code", "enabled", "schedules_callback", "add_to_dnc", "dnc_scope", "final"]
	row = frappe.db.get_value(OUTCOME, outcome, fields, as_dict=True) or frappe.db.get_value(
		OUTCOME, {"code": outcome}, fields, as_dict=True
	)
	if not row:
		throw_field_errors(ATTEMPT, [FieldError("outcome", _("{0} is not a CC Outcome").format(outcome))])
	if not row.enabled:
		throw_field_errors(ATTEMPT, [FieldError("outcome", _("{0} is disabled").format(row.name))])
	return row


# -------------------------------------------------------------------------------------- next contacts


def next_contacts(
	campaign: str, n: int, operator: str | None = None, now: dt.datetime | None = None
) -> list[str]:
	"""The next ``n`` contacts to dial, best first, each marked Dialing (for ``operator`` when given).

	The hopper's rules decide (:func:`hopper.pick`): due callbacks first (``operator``'s private ones, then
	public ones), never a number on the do-not-call list, never outside the calling windows in the
	contact's zones, never with attempts used up or before its retry time. Each pick is claimed under a row
	lock and only if nobody changed the contact since it was read, so concurrent callers never share one.
	An inactive campaign gives nothing.
	"""
	doc = _campaign(campaign)
	check_may_dial(doc.name, operator)
	if doc.direction != "Outbound":
		frappe.throw(
			_("Campaign {0} is inbound: it has no call list to dial").format(doc.name),
			title=_("Not an outbound campaign"),
		)
	if operator and not is_operator(doc.name, operator):
		throw_field_errors(
			CAMPAIGN,
			[FieldError("operators", _("{0} is not an active operator of this campaign").format(operator))],
		)
	if cint(n) <= 0 or doc.status != "Active":
		return []
	plan = campaign_plan(doc)
	at = utc_now(now)
	taken: list[str] = []
	seen: set[str] = set()
	for _round in range(LOCK_ROUNDS):
		want = cint(n) - len(taken)
		if want <= 0:
			break
		picks, modified = _pick(plan, want, operator, at, seen)
		if not picks:
			break
		seen.update(p.contact.id for p in picks)
		taken += _claim(picks, modified, operator, at)
	return taken


def _pick(
	plan: campaigns.CampaignPlan, want: int, operator: str | None, at: dt.datetime, skip: set[str]
) -> tuple[list[hopper.Pick], dict[str, dt.datetime]]:
	"""The hopper's picks among the contacts read in priority order, batch after batch, until ``want``."""
	now_local = from_utc(at)
	due = frappe.get_all(
		CALLBACK,
		filters={"campaign": plan.name, "status": "Open", "due_at": ["<=", now_local]},
		pluck="campaign_contact",
	)
	due = sorted(set(due) - skip)
	rows = _contact_rows(plan, names=due) if due else []
	picks: list[hopper.Pick] = []
	modified: dict[str, dt.datetime] = {}
	batch, offset = max(BATCH, 10 * want), 0
	while offset < MAX_SCAN:
		regular = _contact_rows(plan, now_local=now_local, limit=batch, offset=offset)
		chosen = {p.contact.id for p in picks}
		fresh = {r.name: r for r in [*rows, *regular] if r.name not in skip and r.name not in chosen}
		rows = []
		if fresh:
			modified.update((name, r.modified) for name, r in fresh.items())
			picks += _pick_among(plan, list(fresh.values()), want - len(picks), operator, at)
		if len(picks) >= want or len(regular) < batch:
			break
		offset += batch
		batch = min(2 * batch, MAX_BATCH)
	return picks, modified


def _contact_rows(
	plan: campaigns.CampaignPlan,
	*,
	names: list[str] | None = None,
	now_local: dt.datetime | None = None,
	limit: int = 0,
	offset: int = 0,
) -> list[frappe._dict]:
	"""Dialable contacts: ``names`` (due callbacks), or those past their retry time, in the hopper's order."""
	values = {"campaign": plan.name, "statuses": DIALABLE, "max": plan.max_attempts}
	if names is not None:
		values["names"] = tuple(names)
		where = "and name in %(names)s"
	else:
		values["now"] = now_local
		where = "and (next_attempt_at is null or next_attempt_at <= %(now)s)"
	query = (
		f"select {CONTACT_FIELDS} from `tabCC Campaign Contact` "
		f"where campaign = %(campaign)s and status in %(statuses)s and attempts < %(max)s {where} "
		"order by priority desc, coalesce(next_attempt_at, creation) asc, name asc"
	)
	if limit:
		query += f" limit {cint(limit)} offset {cint(offset)}"
	return frappe.db.sql(query, values, as_dict=True)


def _pick_among(
	plan: campaigns.CampaignPlan, rows: list, want: int, operator: str | None, at: dt.datetime
) -> list[hopper.Pick]:
	names = [r.name for r in rows]
	numbers = sorted({r.phone for r in rows})
	global_dnc, campaign_dnc = dnc_numbers(plan.name, numbers)
	callbacks = [
		hopper.Callback(
			cb.campaign_contact,
			to_utc(cb.due_at),
			owner=cb.owner_user or None,
			private=cb.visibility == "Private" and bool(cb.owner_user),
		)
		for cb in frappe.get_all(
			CALLBACK,
			filters={"status": "Open", "campaign_contact": ["in", names]},
			fields=["campaign_contact", "due_at", "owner_user", "visibility"],
		)
	]
	return hopper.pick(
		[contact_of(r, plan.max_attempts) for r in rows],
		at,
		want,
		plan.windows,
		dnc=global_dnc if plan.check_dnc else frozenset(),
		campaign_dnc=campaign_dnc,
		callbacks=callbacks,
		operator=operator,
		default_tz=plan.default_tz,
	)


def _claim(
	picks: list[hopper.Pick], modified: dict[str, dt.datetime], operator: str | None, at: dt.datetime
) -> list[str]:
	"""Mark the picks Dialing, each only if it is unchanged since it was read (locked until commit)."""
	names = tuple(p.contact.id for p in picks)
	current = {
		r.name: r
		for r in frappe.db.sql(
			"select name, status, modified from `tabCC Campaign Contact` where name in %(names)s for update",
			{"names": names},
			as_dict=True,
		)
	}
	claimed = []
	for name in names:
		row = current.get(name)
		if row is None or row.status not in DIALABLE or row.modified != modified.get(name):
			continue  # another caller took it, or its outcome changed it, since we read it
		frappe.db.set_value(
			CONTACT,
			name,
			{
				"status": hopper.Status.DIALING.value,
				"dialing_since": from_utc(at),
				"dialing_operator": operator,
			},
		)
		claimed.append(name)
	return claimed


def release_contacts(names: list[str]) -> list[str]:
	"""Contacts picked but not dialed go back: Callback with an open callback, else Retry, else New."""
	released = []
	for name in names:
		doc = frappe.get_doc(CONTACT, name, for_update=True)
		check_may_dial(doc.campaign, doc.dialing_operator)
		if doc.status != hopper.Status.DIALING.value:
			continue
		if frappe.db.exists(CALLBACK, {"campaign_contact": name, "status": "Open"}):
			doc.status = hopper.Status.CALLBACK.value
		else:
			doc.status = (hopper.Status.RETRY if cint(doc.attempts) else hopper.Status.NEW).value
		doc.dialing_since = doc.dialing_operator = None
		doc.save(ignore_permissions=True)
		released.append(name)
	return released


STALE_DIALING = dt.timedelta(hours=2)


def release_stale_contacts(now=None) -> list[str]:
	"""Scheduler (every 15 minutes): contacts left Dialing for over two hours (a dialer killed between
	claiming and dialing, an operator who walked away without an outcome) go back to the call list."""
	cutoff = from_utc(utc_now(now) - STALE_DIALING)
	stale = frappe.get_all(
		CONTACT,
		filters={"status": hopper.Status.DIALING.value, "dialing_since": ["<", cutoff]},
		pluck="name",
		limit=1000,
	)
	return release_contacts(stale) if stale else []


# -------------------------------------------------------------------------------------------- attempts


def create_attempt(
	contact_name: str,
	operator: str | None = None,
	action_id: str | None = None,
	linkedid: str | None = None,
	started_at=None,
) -> str:
	"""One CC Call Attempt for a dial of ``contact_name`` (by ``operator``, or by the dialer for the pool)."""
	contact = frappe.db.get_value(CONTACT, contact_name, ["name", "campaign", "phone"], as_dict=True)
	if not contact:
		throw_field_errors(
			ATTEMPT, [FieldError("campaign_contact", _("{0} is not a campaign contact").format(contact_name))]
		)
	check_may_dial(contact.campaign, operator)
	attempt = frappe.get_doc(
		{
			"doctype": ATTEMPT,
			"campaign": contact.campaign,
			"campaign_contact": contact.name,
			"phone": contact.phone,
			"operator": operator,
			"action_id": action_id,
			"linkedid": linkedid,
			"started_at": from_utc(utc_now(started_at)),
		}
	)
	attempt.insert(ignore_permissions=True)
	return attempt.name


def update_attempt(name: str, **values) -> None:
	"""Set what the call did (answered_at, ended_at, abandoned, amd_status, call_log, linkedid …)."""
	unknown = set(values) - ATTEMPT_FIELDS
	if unknown:
		raise TypeError(f"update_attempt: unknown fields {sorted(unknown)}; known: {sorted(ATTEMPT_FIELDS)}")
	attempt = frappe.get_doc(ATTEMPT, name, for_update=True)
	check_may_dial(attempt.campaign, attempt.operator)
	for key in ("answered_at", "ended_at"):
		if values.get(key) is not None:
			values[key] = from_utc(to_utc(values[key]))
	attempt.update(values)
	attempt.save(ignore_permissions=True)


# --------------------------------------------------------------------------------------------- outcomes


def record_outcome(
	contact_name: str,
	outcome: str,
	operator: str | None = None,
	callback_at=None,
	private: bool = False,
	note: str = "",
	attempt: str | None = None,
) -> dict:
	"""Record what one attempt ended with (``outcome``: a CC Outcome's name or code) and apply it.

	Locks the contact, runs :func:`hopper.apply_outcome` with the campaign's rules (every outcome counts as
	an attempt, never above the maximum), saves the contact, marks its callbacks that were due Done (and
	cancels the later ones when the contact is now final), creates the CC Callback (public, or private to
	``operator``) and the CC DNC Number the outcome asks for, and fills in ``attempt``. Recording the same
	outcome for the same attempt again changes nothing."""
	doc = frappe.get_doc(CONTACT, contact_name, for_update=True)
	campaign = _campaign(doc.campaign)
	check_may_dial(campaign.name, operator)
	found = find_outcome(outcome)
	at = utc_now()
	att = _attempt_of(attempt, doc) if attempt else None
	if att is not None and att.outcome:
		if att.outcome == found.name:
			return _summary(doc, att.name)
		throw_field_errors(
			ATTEMPT,
			[FieldError("outcome", _("attempt {0} already ended with {1}").format(att.name, att.outcome))],
		)
	due = _callback_time(found, callback_at, at)
	if found.schedules_callback and private and not operator:
		throw_field_errors(CALLBACK, [FieldError("owner_user", _("a private callback needs its operator"))])
	try:
		result = hopper.apply_outcome(
			contact_of(doc, campaign.max_attempts),
			found.code,
			at,
			rules_for(campaign),
			callback_at=due,
			callback_owner=operator or None,
			private_callback=bool(private),
		)
	except ValueError as e:
		frappe.throw(str(e), title=_("Cannot record the outcome"))
	updated = result.contact
	doc.update(
		{
			"status": updated.status.value,
			"attempts": updated.attempts,
			"next_attempt_at": from_utc(updated.next_attempt_at),
			"last_outcome": found.name,
			"last_attempt_at": from_utc(at),
			"dialing_since": None,
			"dialing_operator": None,
		}
	)
	doc.save(ignore_permissions=True)
	_close_callbacks(doc.name, at, final=updated.status.final)
	callback = _create_callback(doc, result.callback, note) if result.callback else None
	dnc = None
	if result.add_to_dnc:
		scope = None if found.dnc_scope == "Global" else campaign.name
		dnc = add_dnc(doc.phone, scope, reason=found.name, added_by=operator or frappe.session.user)
	if att is not None:
		att.update({"outcome": found.name, "result": found.code, "note": note or att.note})
		if not att.ended_at:
			att.ended_at = from_utc(at)
		att.save(ignore_permissions=True)
	return _summary(doc, att.name if att else None, callback=callback, dnc=dnc, exhausted=result.exhausted)


def _attempt_of(attempt: str, contact: Document) -> Document:
	att = frappe.get_doc(ATTEMPT, attempt, for_update=True)
	if att.campaign_contact != contact.name:
		throw_field_errors(
			ATTEMPT,
			[
				FieldError(
					"campaign_contact",
					_("attempt {0} belongs to contact {1}, not {2}").format(
						att.name, att.campaign_contact, contact.name
					),
				)
			],
		)
	return att


def _callback_time(found, callback_at, at: dt.datetime) -> dt.datetime | None:
	if callback_at in (None, ""):
		return None
	if not found.schedules_callback:
		throw_field_errors(
			CALLBACK,
			[FieldError("due_at", _("outcome {0} does not schedule a callback").format(found.name))],
		)
	due = to_utc(callback_at)
	if due <= at:
		throw_field_errors(
			CALLBACK,
			[FieldError("due_at", _("must be in the future, not {0}").format(from_utc(due).isoformat(" ")))],
		)
	return due


def _close_callbacks(contact_name: str, at: dt.datetime, final: bool) -> None:
	"""Open callbacks that were due are Done (this attempt was the call back); when the contact is final, the
	later ones are Cancelled (nobody will call it again)."""
	for row in frappe.get_all(
		CALLBACK,
		filters={"campaign_contact": contact_name, "status": "Open"},
		fields=["name", "due_at"],
	):
		due = get_datetime(row.due_at) <= from_utc(at)
		if not (due or final):
			continue
		callback = frappe.get_doc(CALLBACK, row.name)
		callback.status = "Done" if due else "Cancelled"
		callback.save(ignore_permissions=True)


def _create_callback(contact: Document, cb: hopper.Callback, note: str) -> str:
	callback = frappe.get_doc(
		{
			"doctype": CALLBACK,
			"campaign": contact.campaign,
			"campaign_contact": contact.name,
			"due_at": from_utc(cb.due_at),
			"visibility": "Private" if cb.private else "Public",
			"owner_user": cb.owner,
			"status": "Open",
			"note": note,
		}
	)
	callback.insert(ignore_permissions=True)
	return callback.name


def add_dnc(number: str, campaign: str | None, reason: str = "", added_by: str | None = None) -> str:
	"""Put ``number`` on the campaign's do-not-call list (the global one when ``campaign`` is empty); idempotent."""
	name = dnc_name(number, campaign)
	if not frappe.db.exists(DNC, name):
		frappe.get_doc(
			{
				"doctype": DNC,
				"number": number,
				"campaign": campaign,
				"reason": reason,
				"added_by": added_by or frappe.session.user,
			}
		).insert(ignore_permissions=True)
	return name


def _summary(
	doc: Document,
	attempt: str | None,
	callback: str | None = None,
	dnc: str | None = None,
	exhausted: bool = False,
) -> dict:
	return {
		"contact": doc.name,
		"status": doc.status,
		"attempts": cint(doc.attempts),
		"next_attempt_at": doc.next_attempt_at,
		"outcome": doc.last_outcome,
		"attempt": attempt,
		"callback": callback,
		"dnc": dnc,
		"exhausted": exhausted,
	}


def manual_dial_refusal(number: str, user: str, from_ticket: bool) -> FieldError | None:
	"""Why a click-to-call may not go out: no credit left on the account that pays the user's calls
	(credit/charging), the do-not-call lists or an operated campaign's calling window (the rules:
	dialer/manual.py). ``number`` is in international form."""
	from callcenter_app.credit.charging.service import manual_refusal
	from callcenter_app.dialer import manual

	no_credit = manual_refusal(user)
	if no_credit:
		return FieldError("number", no_credit.reason)
	operated = frappe.get_all(
		"CC Campaign Operator",
		filters={"parenttype": CAMPAIGN, "user": user, "active": 1},
		pluck="parent",
		distinct=True,
	)
	rows = frappe.get_all(DNC, filters={"number": number}, fields=["campaign"])
	on_global = any(not r.campaign for r in rows)
	dnc_campaigns = [r.campaign for r in rows if r.campaign in operated]
	contacts, windows_of = [], {}
	if operated:
		for row in frappe.get_all(
			"CC Campaign Contact",
			filters={"campaign": ["in", operated], "phone": number},
			fields=["campaign", "timezone", "phone"],
		):
			if row.campaign not in windows_of:  # each campaign read once: only its state and windows
				doc = _campaign(row.campaign)
				windows_of[row.campaign] = (
					(tuple(campaign_windows(doc)), doc.default_timezone or get_system_timezone())
					if doc.status == "Active"
					else None
				)
			if windows_of[row.campaign] is None:
				continue
			windows, zone = windows_of[row.campaign]
			contacts.append(
				manual.CampaignContact(
					row.campaign, (row.timezone,) if row.timezone else row.phone, windows, zone
				)
			)
	return manual.refusal(number, on_global, dnc_campaigns, contacts, from_ticket, utc_now())
