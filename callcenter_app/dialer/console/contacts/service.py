"""Frappe glue for the operator console: the operator's current contact (the one they claimed, or whose
call reached them) and what the console shows around it — its attempts, calls, open tickets the user may
read, callbacks, the campaign's callbacks the user may see, the outcomes they may record and the operators
they may transfer to."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import cint, get_datetime

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import try_normalize
from callcenter_app.credit.charging import service as credit_charging
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.console import rules
from callcenter_app.dialer.console.phone.service import phone_state
from callcenter_app.dialer.console.service import CALLBACK_LIMIT, FINAL, HISTORY_LIMIT, campaign_doc, refuse


def claimed_names(campaign: str, user: str) -> list[str]:
	return frappe.get_all(
		dialer.CONTACT,
		filters={"campaign": campaign, "status": "Dialing", "dialing_operator": user},
		pluck="name",
	)


def open_attempts(campaign: str, user: str, contact: str | None = None) -> list[rules.OpenAttempt]:
	"""``user``'s attempts in ``campaign`` without an outcome, whose contact is neither closed nor taken by
	another operator meanwhile (a contact left Dialing too long goes back to the list: dialer/service.py)."""
	filters = {"campaign": campaign, "operator": user, "outcome": ["is", "not set"]}
	if contact:
		filters["campaign_contact"] = contact
	rows = frappe.get_all(
		dialer.ATTEMPT,
		filters=filters,
		fields=["name", "campaign_contact", "started_at"],
		order_by="started_at desc",
	)
	gone = {
		c.name
		for c in frappe.get_all(
			dialer.CONTACT,
			filters={"name": ["in", [r.campaign_contact for r in rows] or [""]]},
			fields=["name", "status", "dialing_operator"],
		)
		if c.status in FINAL or (c.status == "Dialing" and c.dialing_operator not in (None, "", user))
	}
	return [
		rules.OpenAttempt(r.name, r.campaign_contact, get_datetime(r.started_at) if r.started_at else None)
		for r in rows
		if r.campaign_contact not in gone
	]


def current_of(campaign: str, user: str) -> rules.Current | None:
	claimed = [
		rules.Claimed(r.name, get_datetime(r.dialing_since) if r.dialing_since else None)
		for r in frappe.get_all(
			dialer.CONTACT,
			filters={"campaign": campaign, "status": "Dialing", "dialing_operator": user},
			fields=["name", "dialing_since"],
		)
	]
	return rules.current_contact(claimed, open_attempts(campaign, user))


def contact_label(name: str) -> str:
	row = frappe.db.get_value(dialer.CONTACT, name, ["full_name", "phone"], as_dict=True) or {}
	return row.get("full_name") or row.get("phone") or name


def contact_in(campaign: str, contact: str) -> frappe._dict:
	row = frappe.db.get_value(
		dialer.CONTACT,
		contact,
		[
			"name",
			"campaign",
			"phone",
			"full_name",
			"contact",
			"status",
			"attempts",
			"next_attempt_at",
			"last_attempt_at",
			"last_outcome",
			"dialing_operator",
			"priority",
			"timezone",
			"notes",
		],
		as_dict=True,
	)
	if not row or row.campaign != campaign:
		refuse([FieldError("contact", _("{0} is not in the call list of {1}").format(contact, campaign))])
	return row


def is_mine(contact: frappe._dict, user: str, attempt: str | None = None) -> bool:
	"""The operator's own contact: claimed by them, or one of their calls on it waits for an outcome (that
	call, when ``attempt`` names one)."""
	names = {a.name for a in open_attempts(contact.campaign, user, contact.name)}
	if attempt:
		return attempt in names
	return bool(names) or (contact.status == "Dialing" and contact.dialing_operator == user)


def current(campaign: str, user: str, contact: str | None = None, attempt: str | None = None) -> dict:
	"""What the console shows for ``campaign``: the current contact (``contact`` when given, else the one
	the operator is on) with its history, and the lists around it."""
	doc = campaign_doc(campaign)
	if contact:
		row = contact_in(doc.name, contact)
		if attempt:
			owner = frappe.db.get_value(dialer.ATTEMPT, attempt, "campaign_contact")
			if owner != row.name:
				refuse(
					[FieldError("attempt", _("{0} is not a call of contact {1}").format(attempt, row.name))]
				)
		else:
			mine = open_attempts(doc.name, user, row.name)
			attempt = mine[0].name if mine else None
	else:
		pick = current_of(doc.name, user)
		row = contact_in(doc.name, pick.contact) if pick else None
		attempt = pick.attempt if pick else None
	dialed = bool(
		attempt
		and doc.direction == "Outbound"
		and doc.dialer_mode == "Preview"
		and frappe.db.get_value(dialer.ATTEMPT, attempt, "operator") == user
	)
	lists = {
		"history": history(row.name) if row else [],
		"calls": calls_of(row) if row else [],
		"callbacks": contact_callbacks(row.name) if row else [],
		"my_callbacks": visible_callbacks(doc.name),
	}
	return {
		**lists,
		"campaign": {
			"name": doc.name,
			"direction": doc.direction,
			"dialer_mode": doc.dialer_mode,
			"status": doc.status,
			"call_queue": doc.call_queue,
			"max_attempts": cint(doc.max_attempts),
			# why no new call goes out for lack of credit (the dialer and the Call button refuse), or None
			"credit_stop": credit_charging.campaign_stop_reason(doc.name)
			if doc.direction == "Outbound"
			else None,
		},
		"operator": dialer.is_operator(doc.name, user),
		"contact": contact_card(row) if row else None,
		"mine": bool(row and is_mine(row, user, attempt)),
		"attempt": attempt,
		"dialed": dialed,
		"tickets": tickets_of(row) if row else [],
		"people": people(lists),
		"outcomes": outcome_options(dialed),
		"operators": transfer_targets(doc.name, user),
		"presence": phone_state(user),
	}


def people(lists: dict) -> dict[str, str]:
	"""The full names of the users the lists mention (operators, agents, callback owners)."""
	users = {
		r.get(key)
		for rows in lists.values()
		for r in rows
		for key in ("operator", "agent", "owner_user")
		if r.get(key)
	}
	return dict(
		frappe.get_all(
			"User", filters={"name": ["in", sorted(users) or [""]]}, fields=["name", "full_name"], as_list=1
		)
	)


def contact_card(row: frappe._dict) -> dict:
	contact = row.contact or contact_for(row.phone)
	return {
		**row,
		"contact": contact,
		"contact_name": frappe.db.get_value("Contact", contact, "full_name") if contact else None,
	}


def contact_for(number: str) -> str | None:
	from callcenter_app.telephony.call_tickets.service import contact_for_number

	return contact_for_number(number) if number else None


def history(contact: str) -> list[dict]:
	"""The contact's attempts the user may read, newest first."""
	return frappe.get_list(
		dialer.ATTEMPT,
		filters={"campaign_contact": contact},
		fields=["name", "started_at", "answered_at", "ended_at", "operator", "outcome", "result", "note"],
		order_by="started_at desc, creation desc",
		limit=HISTORY_LIMIT,
	)


def calls_of(row: frappe._dict) -> list[dict]:
	"""The calls with this number (as caller, or as the number an agent dialed) or with its Contact.

	The user is an operator on this contact (checked by the caller), so the call list is shown even when
	they cannot open CC Call Logs: times, direction, status and agent only, a link only when they may read
	it, never the recording."""
	from callcenter_app.utils import default_region

	region = default_region()
	target = try_normalize(row.phone, region) or row.phone
	digits = "".join(c for c in target if c.isdigit())
	if len(digits) < 5:
		return []
	fields = ["name", "start", "direction", "status", "talk_s", "agent", "queue", "campaign", "caller", "did"]
	found = frappe.db.sql(
		"""select name, start, direction, status, talk_s, agent, queue, campaign, caller, did, contact
		from `tabCC Call Log` where caller like %(tail)s or did like %(tail)s
		order by start desc limit 200""",
		{"tail": f"%{digits[-7:]}"},
		as_dict=True,
	)
	calls = [
		c
		for c in found
		if target in (try_normalize(c.caller or "", region), try_normalize(c.did or "", region))
	]
	if row.contact:
		known = {c.name for c in calls}
		calls += [
			c
			for c in frappe.get_all(
				"CC Call Log",
				filters={"contact": row.contact},
				fields=fields,
				order_by="start desc",
				limit=HISTORY_LIMIT,
			)
			if c.name not in known
		]
	calls.sort(key=lambda c: get_datetime(c.start) if c.start else dt.datetime.min, reverse=True)
	readable = frappe.has_permission("CC Call Log", "read")
	return [
		{
			"name": c.name if readable else None,
			"start": c.start,
			"direction": c.direction,
			"status": c.status,
			"talk_s": c.talk_s,
			"agent": c.agent,
			"queue": c.queue,
			"campaign": c.campaign,
		}
		for c in calls[:HISTORY_LIMIT]
	]


def tickets_of(row: frappe._dict) -> list[dict]:
	"""The Contact's open HD Tickets the user may read."""
	contact = row.contact or contact_for(row.phone)
	if not contact or not frappe.has_permission("HD Ticket", "read"):
		return []
	from callcenter_app.telephony.call_tickets.service import readable_open_tickets

	return readable_open_tickets(contact, limit=10)


def contact_callbacks(contact: str) -> list[dict]:
	return frappe.get_list(
		dialer.CALLBACK,
		filters={"campaign_contact": contact, "status": "Open"},
		fields=["name", "due_at", "visibility", "owner_user", "note"],
		order_by="due_at asc",
	)


def visible_callbacks(campaign: str) -> list[dict]:
	"""The campaign's open callbacks the user may see (public ones, their own private ones), due first."""
	rows = frappe.get_list(
		dialer.CALLBACK,
		filters={"campaign": campaign, "status": "Open"},
		fields=["name", "campaign_contact", "due_at", "visibility", "owner_user", "note"],
		order_by="due_at asc",
		limit=CALLBACK_LIMIT,
	)
	names = {
		r.name: r
		for r in frappe.get_all(
			dialer.CONTACT,
			filters={"name": ["in", [r.campaign_contact for r in rows] or [""]]},
			fields=["name", "full_name", "phone"],
		)
	}
	now = frappe.utils.now_datetime()
	for r in rows:
		who = names.get(r.campaign_contact) or {}
		r.update(
			{
				"full_name": who.get("full_name"),
				"phone": who.get("phone"),
				"due": get_datetime(r.due_at) <= now,
			}
		)
	return rows


def outcome_options(dialed: bool) -> list[dict]:
	"""The enabled outcomes an operator may record: never the dialer's own, except the line results for a
	preview call they dialed."""
	rows = frappe.get_all(
		dialer.OUTCOME,
		filters={"enabled": 1},
		fields=["name", "code", "system", "final", "success", "schedules_callback", "add_to_dnc"],
		order_by="system asc, name asc",
	)
	return [r for r in rows if not r.system or (dialed and r.code in rules.LINE_RESULTS)]


def transfer_targets(campaign: str, user: str) -> list[dict]:
	users = [u for u in dialer.active_operators(campaign) if u != user]
	names = dict(
		frappe.get_all(
			"User", filters={"name": ["in", users or [""]]}, fields=["name", "full_name"], as_list=1
		)
	)
	return [{"user": u, "full_name": names.get(u) or u} for u in users]
