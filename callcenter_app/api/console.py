"""Endpoints of the operator console (the desk page ``cc-console``). Each checks who may act first: an operator
acts only in campaigns where they are an active operator; managers and supervisors may see every campaign.

The work is in ``dialer/console/*service.py`` (records; one file per concern) and ``dialer/service.py``
(contacts, attempts, outcomes); calls go through the same one-shot AMI session as the other phone actions
(``telephony/ami/service.py``).
Every change is published to the operators concerned as ``callcenter:console`` after commit.
"""

from __future__ import annotations

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.console import rules
from callcenter_app.dialer.console import service as console
from callcenter_app.dialer.console.calls import service as call_service
from callcenter_app.dialer.console.campaigns import service as campaign_service
from callcenter_app.dialer.console.contacts import service as contact_service
from callcenter_app.dialer.console.phone import service as phone_service
from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.service import live_call, send_actions
from callcenter_app.telephony.presence.service import dtmf_target, sip_account_of
from callcenter_app.utils import requires

# --- campaigns -----------------------------------------------------------------------------------------


@frappe.whitelist(methods=["GET"])
@requires(roles.USE_CONSOLE)
def my_campaigns() -> dict:
	"""The campaigns the user may work in (managers: all), the one the console shows, and the phone state."""
	console.require_console_user(frappe.session.user)
	return campaign_service.campaigns_of(frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def join(campaign: str) -> dict:
	"""Become an active operator of ``campaign`` (a manager must have listed the user): logs into the phone
	if needed and joins the campaign's call queue."""
	console.require_console_user(frappe.session.user)
	return campaign_service.join(campaign, frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def leave(campaign: str) -> dict:
	"""Stop working in ``campaign``: claimed contacts go back, the campaign's queue no longer rings the user."""
	console.require_console_user(frappe.session.user)
	return campaign_service.leave(campaign, frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def switch(campaign: str) -> dict:
	"""Show ``campaign`` in the console (remembered per user)."""
	console.require_viewer(campaign, frappe.session.user)
	campaign_service.switch(campaign, frappe.session.user)
	return contact_service.current(campaign, frappe.session.user)


# --- the current contact -------------------------------------------------------------------------------


@frappe.whitelist(methods=["GET"])
@requires(roles.USE_CONSOLE)
def current(campaign: str, contact: str | None = None, attempt: str | None = None) -> dict:
	"""The current contact (``contact`` when given, else the one the user is on) with its attempts, calls,
	open tickets and callbacks, and the campaign's callbacks the user may see."""
	console.require_viewer(campaign, frappe.session.user)
	return contact_service.current(campaign, frappe.session.user, contact or None, attempt or None)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def take_call(
	campaign: str, number: str | None = None, linkedid: str | None = None, attempt: str | None = None
) -> dict:
	"""A call of ``campaign`` reached the user: the dialer's connected ``attempt``, or a queue call from
	``number``. The console then shows its contact; taking the same call again changes nothing."""
	console.require_operator(campaign, frappe.session.user)
	return call_service.take_call(
		campaign, frappe.session.user, number or None, linkedid or None, attempt or None
	)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def next_preview(campaign: str) -> dict:
	"""Preview mode: the contact the user is on, else the next one claimed for them (due callbacks first)."""
	console.require_operator(campaign, frappe.session.user)
	return call_service.next_preview(campaign, frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def dial(campaign: str, contact: str) -> dict:
	"""Preview mode: ring the user's softphone, then dial the claimed ``contact`` (one CC Call Attempt).
	Refused for a number on a do-not-call list or outside the calling window."""
	user = frappe.session.user
	console.require_operator(campaign, user)
	doc, row, attempt = call_service.check_dial(campaign, contact, user)
	account = sip_account_of(user)
	try:
		action = actions.click_to_call(account, row.phone, caller_id=doc.caller_id or None)
		variables = {**action.variables, "__CC_CAMPAIGN": rules.campaign_variable(doc.name)}
	except FieldError as e:
		console.refuse([e])
	attempt = attempt or dialer.create_attempt(row.name, operator=user)
	send_actions(actions.Action(action.name, action.fields, variables))
	console.publish([user], doc.name, "contact", row.name)
	return {
		"ringing": account,
		"number": row.phone,
		"attempt": attempt,
		"console": contact_service.current(doc.name, user, row.name, attempt),
	}


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def set_outcome(
	campaign: str,
	contact: str,
	outcome: str,
	note: str | None = None,
	callback_at: str | None = None,
	private: bool = False,
	attempt: str | None = None,
) -> dict:
	"""Record what the call with ``contact`` ended with: an outcome the operator may choose (never one the
	dialer records, except the line results of their own preview call), a callback at a future time, public
	or private to the user."""
	console.require_operator(campaign, frappe.session.user)
	return call_service.set_outcome(
		campaign,
		contact,
		outcome,
		frappe.session.user,
		note=note,
		callback_at=callback_at or None,
		private=frappe.utils.sbool(private),
		attempt=attempt or None,
	)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def skip(campaign: str, contact: str) -> dict:
	"""Put the claimed ``contact`` back in the list without calling it."""
	console.require_operator(campaign, frappe.session.user)
	return call_service.skip(campaign, contact, frappe.session.user)


# --- phone -----------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def pause(work_mode: str) -> dict:
	"""Stop taking calls: switch to ``work_mode``, a mode that takes none."""
	console.require_some_campaign(frappe.session.user)
	return phone_service.pause(work_mode, frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def resume() -> dict:
	"""Take calls again, in the mode used before the pause (or the login default)."""
	console.require_some_campaign(frappe.session.user)
	return phone_service.resume(frappe.session.user)


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_CONSOLE)
def transfer(campaign: str, to_user: str, mode: str = "blind", contact: str | None = None) -> dict:
	"""Transfer the user's current call to another active operator of ``campaign``: blind (at once) or
	attended (talk first; hanging up completes it). The contact and its open call go to that operator."""
	user = frappe.session.user
	console.require_operator(campaign, user)
	console.refuse(
		rules.transfer_errors(user, to_user, dialer.active_operators(campaign), mode),
		title=_("Cannot transfer"),
	)
	contact = call_service.transferred_contact(campaign, contact or None, user)
	own = sip_account_of(user)
	target = sip_account_of(to_user, "to_user")
	call = live_call(own)
	try:
		if mode == "attended":  # Atxfer dials key presses: the operator's extension
			action = actions.attended_transfer(call, dtmf_target(target))
		else:
			action = actions.blind_transfer(call, target)
	except FieldError as e:
		console.refuse([e])
	send_actions(action)
	handed = call_service.hand_over(campaign, contact, user, to_user)
	return {"transferred": call.linkedid, "to": to_user, "mode": mode, "contact": handed}
