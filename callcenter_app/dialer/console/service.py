"""Frappe glue for the operator console (rules in this package's ``__init__.py``; endpoints in
``api/console.py``, which checks who may act before calling anything here).

- Campaigns: :func:`campaigns_of` lists them, :func:`join` / :func:`leave` set the operator's row active
  (logging them into the phone and following with the campaign's queue), :func:`switch` remembers the
  campaign the console shows (a user default).
- The current contact (:func:`current`): the contact the operator claimed or whose call reached them, with
  its attempts, calls, open tickets the user may read and callbacks, plus the campaign's callbacks the user
  may see, the outcomes they may record and the operators they may transfer to.
- Actions: :func:`next_preview`, :func:`check_dial`, :func:`take_call`, :func:`set_outcome`, :func:`skip`,
  :func:`hand_over`, :func:`pause`, :func:`resume`; each change is published to the operators concerned
  (:func:`publish`, event ``callcenter:console``, after commit, without phone numbers).

Contacts and attempts are written through ``dialer/service.py``; nothing here commits.
"""

from __future__ import annotations

import datetime as dt

import frappe
from frappe import _
from frappe.utils import cint, get_datetime

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import try_normalize
from callcenter_app.dialer import console, windows
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.telephony.presence import service as presence

CAMPAIGN_DEFAULT = "cc_console_campaign"  # the campaign the console shows (user default)
RESUME_DEFAULT = "cc_console_resume_mode"  # the work mode before a pause (user default)
EVENT = "callcenter:console"
CONSOLE_ROLES = frozenset({"Operator", *dialer.MANAGERS})
FINAL = ("Completed", "Closed")
LABELS = {
	"campaign": "Campaign",
	"contact": "Contact",
	"number": "Number",
	"outcome": "Outcome",
	"callback_at": "Call back at",
	"private": "Private callback",
	"to_user": "Transfer to",
	"mode": "Transfer mode",
	"work_mode": "Work mode",
	"agent": "Agent",
	"attempt": "Attempt",
}
HISTORY_LIMIT = 20
CALLBACK_LIMIT = 50


# ------------------------------------------------------------------------------------------------ errors


def refuse(errors: list[FieldError], title: str | None = None) -> None:
	"""Refuse with every problem, each as 'Label: reason'."""
	if not errors:
		return
	lines = [_("{0}: {1}").format(_(LABELS.get(e.field, e.field)), e.reason) for e in errors]
	message = (
		lines[0]
		if len(lines) == 1
		else "<ul>" + "".join(f"<li>{frappe.utils.escape_html(line)}</li>" for line in lines) + "</ul>"
	)
	frappe.throw(message, frappe.ValidationError, title=title or _("Operator console"))


def not_permitted(message: str) -> None:
	frappe.throw(message, frappe.PermissionError, title=_("Not permitted"))


# -------------------------------------------------------------------------------------------------- who


def require_console_user(user: str) -> None:
	"""Operators and managers use the console; anyone else is refused."""
	if not CONSOLE_ROLES & set(frappe.get_roles(user)):
		not_permitted(_("{0} is not an operator").format(user))


def require_viewer(campaign: str, user: str) -> None:
	"""Managers see every campaign; an operator only the campaigns where they are an active operator."""
	require_console_user(user)
	if not dialer.is_manager(user) and not dialer.is_operator(campaign, user):
		not_permitted(_("{0} is not an active operator of campaign {1}").format(user, campaign))


def require_operator(campaign: str, user: str) -> None:
	"""Acting in a campaign (dialing, outcomes, transfers) needs being its active operator, managers too."""
	require_console_user(user)
	if not dialer.is_operator(campaign, user):
		not_permitted(
			_("{0} is not an active operator of campaign {1}: join it first").format(user, campaign)
		)


def require_some_campaign(user: str) -> None:
	"""Pause and resume: a manager, or an active operator of at least one campaign."""
	require_console_user(user)
	if dialer.is_manager(user):
		return
	if not frappe.db.exists(
		"CC Campaign Operator", {"parenttype": dialer.CAMPAIGN, "user": user, "active": 1}
	):
		not_permitted(_("{0} is not an active operator of any campaign").format(user))


def operator_row(campaign: str, user: str) -> frappe._dict | None:
	return frappe.db.get_value(
		"CC Campaign Operator",
		{"parenttype": dialer.CAMPAIGN, "parent": campaign, "user": user},
		["name", "active"],
		as_dict=True,
	)


def campaign_doc(campaign: str):
	if not campaign or not frappe.db.exists(dialer.CAMPAIGN, campaign):
		refuse([FieldError("campaign", _("{0} is not a CC Campaign").format(campaign))])
	return frappe.get_doc(dialer.CAMPAIGN, campaign)


# ------------------------------------------------------------------------------------------- realtime


def publish(users, campaign: str, what: str, contact: str | None = None) -> None:
	"""Tell each user's console that ``what`` changed in ``campaign`` (it reloads through ``current``, which
	checks permissions again: no phone number or name travels in the event)."""
	for user in sorted(set(users)):
		frappe.publish_realtime(
			EVENT, {"campaign": campaign, "what": what, "contact": contact}, user=user, after_commit=True
		)


# ----------------------------------------------------------------------------------------- campaigns


def campaigns_of(user: str) -> dict:
	"""The campaigns the console offers ``user`` (their rows; managers: every campaign not finished), the one
	it shows, the phone state and the pause modes."""
	mine = {
		r.parent: bool(r.active)
		for r in frappe.get_all(
			"CC Campaign Operator",
			filters={"parenttype": dialer.CAMPAIGN, "user": user},
			fields=["parent", "active"],
		)
	}
	filters = {"name": ["in", list(mine) or [""]]}
	if dialer.is_manager(user):
		filters = {"status": ["!=", "Finished"]}
	rows = frappe.get_all(
		dialer.CAMPAIGN,
		filters=filters,
		fields=["name", "direction", "dialer_mode", "status", "call_queue"],
		order_by="name",
	)
	campaigns = [
		{**r, "operator": r.name in mine, "joined": mine.get(r.name, False)}
		for r in rows
		if r.status != "Finished" or mine.get(r.name)
	]
	shown = frappe.defaults.get_user_default(CAMPAIGN_DEFAULT, user)
	visible = {c["name"] for c in campaigns if c["joined"] or dialer.is_manager(user)}
	return {
		"campaigns": campaigns,
		"campaign": shown if shown in visible else None,
		"manager": dialer.is_manager(user),
		"presence": phone_state(user),
		# "Book appointment" (a field agent's visit) is offered only where there are field agents
		"field_agents": bool(frappe.db.get_single_value("CC Settings", "has_field_agents")),
	}


def phone_state(user: str) -> dict | None:
	"""The user's phone presence and the modes to pause in, or None when they are not a helpdesk agent."""
	if not frappe.db.exists("HD Agent", {"user": user, "is_active": 1}):
		return None
	state = presence.state_dict(user)
	modes = enabled_modes()
	state["pause_modes"] = console.pause_modes(modes)
	state["paused"] = bool(state["logged_in"] and not modes.get(state["work_mode"] or ""))
	return state


def enabled_modes() -> dict[str, bool]:
	return {name: mode.receives_calls for name, mode in presence.work_modes(enabled_only=True).items()}


def switch(campaign: str, user: str) -> None:
	frappe.defaults.set_user_default(CAMPAIGN_DEFAULT, campaign, user)


def join(campaign: str, user: str) -> dict:
	"""Activate ``user``'s row in ``campaign`` (only a manager adds people to a campaign), log them into the
	phone if they are not, and let Asterisk's queue follow after commit. The console then shows it."""
	doc = campaign_doc(campaign)
	row = operator_row(doc.name, user)
	if not row:
		not_permitted(
			_("{0} is not an operator of campaign {1}: a manager adds operators on the campaign").format(
				user, doc.name
			)
		)
	if doc.status == "Finished":
		refuse([FieldError("campaign", _("{0} is finished").format(doc.name))])
	agent = frappe.db.exists("HD Agent", {"user": user, "is_active": 1})
	if doc.call_queue:
		problems = []
		if not agent:
			problems.append(
				FieldError(
					"agent",
					_("{0} is not an active helpdesk agent: the calls of {1} wait in queue {2}").format(
						user, doc.name, doc.call_queue
					),
				)
			)
		if not frappe.db.exists("CC SIP Account", {"user": user, "enabled": 1}):
			problems.append(
				FieldError("agent", _("{0} has no enabled CC SIP Account (a softphone)").format(user))
			)
		refuse(problems, title=_("Cannot join {0}").format(doc.name))
	if not row.active:
		frappe.db.set_value("CC Campaign Operator", row.name, "active", 1)
	logged_in = bool(agent) and presence.agent_state(user).logged_in
	if agent and not logged_in:
		try:  # its after-commit sync covers the campaign's queue: the row is active in this transaction
			presence.set_presence(user, True, None, source="Desk")
		except FieldError as e:
			refuse([e])
	elif doc.call_queue:
		follow_queue(doc.call_queue, user)
	switch(doc.name, user)
	publish([user], doc.name, "joined")
	return campaigns_of(user)


def leave(campaign: str, user: str) -> dict:
	"""Deactivate ``user``'s row: their claimed contacts go back to the list, Asterisk's queue follows. A
	call still waiting for its outcome must get it first."""
	doc = campaign_doc(campaign)
	row = operator_row(doc.name, user)
	if not row:
		not_permitted(_("{0} is not an operator of campaign {1}").format(user, doc.name))
	if row.active:
		waiting = open_attempts(doc.name, user)
		if waiting:
			refuse(
				[
					FieldError(
						"contact",
						_("set the outcome of your call to {0} before leaving").format(
							contact_label(waiting[0].contact)
						),
					)
				]
			)
		dialer.release_contacts(claimed_names(doc.name, user))
		frappe.db.set_value("CC Campaign Operator", row.name, "active", 0)
		if doc.call_queue:
			follow_queue(doc.call_queue, user)
	if frappe.defaults.get_user_default(CAMPAIGN_DEFAULT, user) == doc.name:
		frappe.defaults.clear_user_default(CAMPAIGN_DEFAULT, user)
	publish([user], doc.name, "left")
	return campaigns_of(user)


def follow_queue(queue: str, user: str) -> None:
	frappe.db.after_commit.add(lambda: presence.sync_queue_members_quietly([queue], notify=user))


# --------------------------------------------------------------------------------------- current contact


def claimed_names(campaign: str, user: str) -> list[str]:
	return frappe.get_all(
		dialer.CONTACT,
		filters={"campaign": campaign, "status": "Dialing", "dialing_operator": user},
		pluck="name",
	)


def open_attempts(campaign: str, user: str, contact: str | None = None) -> list[console.OpenAttempt]:
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
		console.OpenAttempt(r.name, r.campaign_contact, get_datetime(r.started_at) if r.started_at else None)
		for r in rows
		if r.campaign_contact not in gone
	]


def current_of(campaign: str, user: str) -> console.Current | None:
	claimed = [
		console.Claimed(r.name, get_datetime(r.dialing_since) if r.dialing_since else None)
		for r in frappe.get_all(
			dialer.CONTACT,
			filters={"campaign": campaign, "status": "Dialing", "dialing_operator": user},
			fields=["name", "dialing_since"],
		)
	]
	return console.current_contact(claimed, open_attempts(campaign, user))


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
	from callcenter_app.telephony.service import default_region

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
	return [r for r in rows if not r.system or (dialed and r.code in console.LINE_RESULTS)]


def transfer_targets(campaign: str, user: str) -> list[dict]:
	users = [u for u in dialer.active_operators(campaign) if u != user]
	names = dict(
		frappe.get_all(
			"User", filters={"name": ["in", users or [""]]}, fields=["name", "full_name"], as_list=1
		)
	)
	return [{"user": u, "full_name": names.get(u) or u} for u in users]


# --------------------------------------------------------------------------------------------- preview


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
	if row.phone in campaign_dnc or (doc.check_dnc and row.phone in global_dnc):
		where = (
			_("the campaign's do-not-call list") if row.phone in campaign_dnc else _("the do-not-call list")
		)
		refuse([FieldError("contact", _("{0} is on {1}: it may not be called").format(row.phone, where))])
	plan = dialer.campaign_plan(doc)
	zones = (row.timezone,) if row.timezone else row.phone
	at = dialer.utc_now()
	if not windows.is_callable_at(zones, plan.windows, at, plan.default_tz):
		opens = windows.next_open(zones, plan.windows, at, plan.default_tz)
		local = windows.resolve_zones(zones, plan.default_tz)
		when = (
			_("it opens at {0}").format(dialer.stored(opens).strftime("%Y-%m-%d %H:%M"))
			if opens
			else _("it does not open in the next two weeks")
		)
		refuse(
			[
				FieldError(
					"contact",
					_("the calling window is closed for {0} ({1}): {2}").format(
						row.phone, ", ".join(local), when
					),
				)
			]
		)
	mine = open_attempts(doc.name, user, row.name)
	return doc, row, (mine[0].name if mine else None)


# ------------------------------------------------------------------------------------------ live calls


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


def default_region() -> str | None:
	from callcenter_app.telephony.service import default_region as region

	return region()


# --------------------------------------------------------------------------------------------- outcomes


def parse_callback_at(value) -> dt.datetime | None:
	if value in (None, ""):
		return None
	try:
		return dialer.aware(value)
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
		console.outcome_errors(
			console.OutcomeChoice(
				found.name, found.code, bool(found.enabled), bool(system), bool(found.schedules_callback)
			),
			direction=doc.direction,
			dialer_mode=doc.dialer_mode,
			dialed_by_operator=dialed,
			callback_at=due,
			private=bool(private),
			now=dialer.utc_now(),
		),
		title=_("Cannot record the outcome"),
	)
	result = dialer.record_outcome(
		row.name,
		found.name,
		operator=user,
		callback_at=dialer.stored(due) if due else None,
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


# ------------------------------------------------------------------------------------------------- pause


def pause(work_mode: str, user: str) -> dict:
	"""Switch to a work mode that takes no calls (logging in if needed); remember the mode to resume."""
	modes = enabled_modes()
	refuse(console.pause_errors(work_mode, modes))
	state = agent_state(user)
	if state.logged_in and modes.get(state.work_mode or ""):
		frappe.defaults.set_user_default(RESUME_DEFAULT, state.work_mode, user)
	change_presence(user, work_mode)
	return phone_state(user)


def resume(user: str) -> dict:
	"""Back to the mode before the pause when it still takes calls, else the login default."""
	previous = frappe.defaults.get_user_default(RESUME_DEFAULT, user)
	try:
		mode = console.resume_mode(previous, enabled_modes(), presence.default_work_mode())
	except FieldError as e:
		refuse([e])
	change_presence(user, mode)
	frappe.defaults.clear_user_default(RESUME_DEFAULT, user)
	return phone_state(user)


def agent_state(user: str):
	try:
		return presence.agent_state(user)
	except FieldError as e:
		refuse([e])


def change_presence(user: str, work_mode: str) -> None:
	try:
		presence.set_presence(user, True, work_mode, source="Desk")
	except FieldError as e:
		refuse([e])
