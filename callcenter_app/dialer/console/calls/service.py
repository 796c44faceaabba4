"""Frappe glue for the operator console's calls: the next preview contact and the checks before a preview
dial (the do-not-call and calling-window rules are pure: ``dialer/manual.preview_refusal``), a call that
reached the operator, the outcome they record, a skipped contact, and a transfer's hand-over."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import get_system_timezone

from callcenter_app.common.errors import FieldError
from callcenter_app.credit.charging import service as credit_charging
from callcenter_app.dialer import manual
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.dialer.console import rules
from callcenter_app.dialer.console.contacts.service import (
	contact_for,
	contact_in,
	contact_label,
	current,
	current_of,
	is_mine,
	open_attempts,
)
from callcenter_app.dialer.console.service import FINAL, campaign_doc, publish, refuse
from callcenter_app.utils import default_region, from_utc, to_utc, utc_now

# ------------------------------------------------------------------------------------------------- preview


def next_preview(campaign: str, user: str) -> dict:
	"""Preview: the contact the operator is on, else the next one claimed for them (due callbacks first)."""
	doc = campaign_doc(campaign)
	if doc.direction != "Outbound" or doc.dialer_mode != "Preview":
		refuse(
			[
				FieldError(
					"campaign",
					_("{0} is a {1} {2} campaign: its calls come to you, there is nothing to pick").format(
						doc.name, _(doc.dialer_mode or "").lower(), _(doc.direction).lower()
					),
				)
			]
		)
	if doc.status != "Active":
		refuse([FieldError("campaign", _("{0} is {1}, not Active").format(doc.name, _(doc.status)))])
	now = current_of(doc.name, user)
	if now:
		return current(doc.name, user, now.contact, now.attempt)
	claimed = dialer.next_contacts(doc.name, 1, operator=user)
	if claimed:
		publish([user], doc.name, "contact", claimed[0])
		return current(doc.name, user, claimed[0])
	return {**current(doc.name, user), "message": _("No contact to call now in {0}").format(doc.name)}


def check_dial(campaign: str, contact: str, user: str) -> tuple:
	"""A preview dial: the campaign, the contact (claimed by the operator) and its open attempt, after the
	do-not-call lists and the calling windows were checked."""
	doc = campaign_doc(campaign)
	if doc.direction != "Outbound" or doc.dialer_mode != "Preview":
		refuse(
			[FieldError("campaign", _("{0} is not a preview campaign: the dialer dials it").format(doc.name))]
		)
	if doc.status != "Active":
		refuse([FieldError("campaign", _("{0} is {1}, not Active").format(doc.name, _(doc.status)))])
	no_credit = credit_charging.campaign_refusal(doc.name)
	if no_credit:
		refuse([no_credit], title=_("No credit"))
	row = contact_in(doc.name, contact)
	if row.status in FINAL:
		refuse(
			[FieldError("contact", _("{0} is already {1}").format(contact_label(row.name), _(row.status)))]
		)
	if not is_mine(row, user):
		refuse(
			[
				FieldError(
					"contact",
					_("{0} is not your current contact: take it with Next").format(contact_label(row.name)),
				)
			]
		)
	global_dnc, campaign_dnc = dialer.dnc_numbers(doc.name, [row.phone])
	plan = dialer.campaign_plan(doc)
	refused = manual.preview_refusal(
		row.phone,
		manual.CampaignContact(
			doc.name, (row.timezone,) if row.timezone else row.phone, plan.windows, plan.default_tz
		),
		on_campaign_dnc=row.phone in campaign_dnc,
		on_global_dnc=bool(doc.check_dnc) and row.phone in global_dnc,
		now=utc_now(),
		shown_in=get_system_timezone(),
	)
	if refused:
		refuse([refused])
	mine = open_attempts(doc.name, user, row.name)
	return doc, row, (mine[0].name if mine else None)


# ---------------------------------------------------------------------------------------------- live calls


def take_call(
	campaign: str,
	user: str,
	number: str | None = None,
	linkedid: str | None = None,
	attempt: str | None = None,
) -> dict:
	"""A call of ``campaign`` reached ``user``: the dialer's connected call (``attempt``), or a queue call
	from ``number`` (its contact in the call list; an inbound campaign adds a caller it does not know). The
	operator becomes the attempt's operator, so the console finds it again; the same call taken twice
	changes nothing."""
	doc = campaign_doc(campaign)
	if attempt:
		row = frappe.db.get_value(
			dialer.ATTEMPT,
			attempt,
			["name", "campaign", "campaign_contact", "operator", "outcome"],
			as_dict=True,
		)
		if not row or row.campaign != doc.name:
			refuse([FieldError("attempt", _("{0} is not a call of campaign {1}").format(attempt, doc.name))])
		if row.operator and row.operator != user:
			refuse([FieldError("attempt", _("the call went to {0}").format(row.operator))])
		if not row.operator:
			frappe.db.set_value(dialer.ATTEMPT, row.name, "operator", user)
		publish([user], doc.name, "contact", row.campaign_contact)
		return current(doc.name, user, row.campaign_contact, row.name)
	try:
		phone = call_list_number(number or "", default_region(), field="number")
	except FieldError as e:
		refuse([e])
	contact = frappe.db.get_value(dialer.CONTACT, {"campaign": doc.name, "phone": phone}, "name")
	if not contact:
		if doc.direction != "Inbound":
			refuse([FieldError("number", _("{0} is not in the call list of {1}").format(phone, doc.name))])
		known = contact_for(phone)
		new = frappe.get_doc(
			{"doctype": dialer.CONTACT, "campaign": doc.name, "phone": phone, "contact": known}
		)
		new.insert(ignore_permissions=True)  # the caller is an operator of the campaign (checked first)
		contact = new.name
	existing = (
		frappe.db.get_value(dialer.ATTEMPT, {"campaign": doc.name, "linkedid": linkedid}, "name")
		if linkedid
		else None
	)
	if existing:
		return take_call(doc.name, user, attempt=existing)
	name = dialer.create_attempt(contact, operator=user, linkedid=linkedid or None)
	publish([user], doc.name, "contact", contact)
	return current(doc.name, user, contact, name)


# ------------------------------------------------------------------------------------------------ outcomes


def parse_callback_at(value) -> dt.datetime | None:
	if value in (None, ""):
		return None
	try:
		return to_utc(value)
	except Exception:
		refuse([FieldError("callback_at", _("{0!r} is not a date and time").format(value))])


def set_outcome(
	campaign: str,
	contact: str,
	outcome: str,
	user: str,
	note: str | None = None,
	callback_at=None,
	private: bool = False,
	attempt: str | None = None,
) -> dict:
	"""Record the outcome of the operator's call with ``contact`` (through ``dialer.record_outcome``) after
	the console's checks, and tell the operators whose callbacks changed."""
	doc = campaign_doc(campaign)
	row = contact_in(doc.name, contact)
	if not is_mine(row, user, attempt):
		refuse([FieldError("contact", _("{0} is not your current contact").format(contact_label(row.name)))])
	found = dialer.find_outcome(outcome)
	if not attempt:
		mine = open_attempts(doc.name, user, row.name)
		attempt = mine[0].name if mine else None
	dialed = bool(
		attempt
		and doc.direction == "Outbound"
		and doc.dialer_mode == "Preview"
		and frappe.db.get_value(dialer.ATTEMPT, attempt, "operator") == user
	)
	system = frappe.db.get_value(dialer.OUTCOME, found.name, "system")
	due = parse_callback_at(callback_at)
	refuse(
		rules.outcome_errors(
			rules.OutcomeChoice(
				found.name, found.code, bool(found.enabled), bool(system), bool(found.schedules_callback)
			),
			direction=doc.direction,
			dialer_mode=doc.dialer_mode,
			dialed_by_operator=dialed,
			callback_at=due,
			private=bool(private),
			now=utc_now(),
		),
		title=_("Cannot record the outcome"),
	)
	result = dialer.record_outcome(
		row.name,
		found.name,
		operator=user,
		callback_at=from_utc(due) if due else None,
		private=bool(private),
		note=(note or "").strip(),
		attempt=attempt,
	)
	publish([user], doc.name, "contact", row.name)
	if result.get("callback"):
		told = dialer.active_operators(doc.name) if not private else []
		publish([u for u in told if u != user], doc.name, "callbacks")
	return {**result, "console": current(doc.name, user)}


def skip(campaign: str, contact: str, user: str) -> dict:
	"""Put a claimed contact back without dialing it."""
	doc = campaign_doc(campaign)
	row = contact_in(doc.name, contact)
	if not (row.status == "Dialing" and row.dialing_operator == user):
		refuse([FieldError("contact", _("{0} is not claimed by you").format(contact_label(row.name)))])
	if open_attempts(doc.name, user, row.name):
		refuse(
			[
				FieldError(
					"contact",
					_("you called {0}: set the outcome instead of skipping").format(contact_label(row.name)),
				)
			]
		)
	dialer.release_contacts([row.name])
	publish([user], doc.name, "contact", row.name)
	return current(doc.name, user)


def transferred_contact(campaign: str, contact: str | None, user: str) -> str | None:
	"""The contact a transfer hands over (checked before the call moves): ``contact`` when given, which
	must be the user's own, else their current one."""
	if not contact:
		pick = current_of(campaign, user)
		return pick.contact if pick else None
	row = contact_in(campaign, contact)
	if not is_mine(row, user):
		refuse([FieldError("contact", _("{0} is not your current contact").format(contact_label(row.name)))])
	return row.name


def hand_over(campaign: str, contact: str | None, from_user: str, to_user: str) -> str | None:
	"""After a transfer the contact and its open call belong to ``to_user``, who records the outcome."""
	if not contact:
		return None
	row = contact_in(campaign, contact)
	if row.status == "Dialing" and row.dialing_operator == from_user:
		frappe.db.set_value(dialer.CONTACT, row.name, "dialing_operator", to_user)
	for a in open_attempts(campaign, from_user, row.name):
		frappe.db.set_value(dialer.ATTEMPT, a.name, "operator", to_user)
	publish([from_user, to_user], campaign, "contact", row.name)
	return row.name
