"""Frappe glue for desk notifications: the facts of each event, and one send (see ``__init__.py``).

Notices are Frappe Notification Logs (the notification bar), made by Frappe's own
``enqueue_create_notification`` (a background job; at once in tests), so Frappe's Notification Settings
apply as they do to its own notifications: "Enabled" switches them all off, and the email settings decide
about a copy by email. Each kind of ours can be switched off on its own with the Call center checks that
this app adds to Notification Settings (``cc_notify_<kind>``; on unless unticked). Type "Mention" for
mentions, "Alert" for the rest.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

from callcenter_app.common.notify.rules import Facts, audience, setting_field

TICKET = "HD Ticket"


def switched_off(kind: str):
	field = setting_field(kind)

	def off(user: str) -> bool:
		value = frappe.db.get_value("Notification Settings", user, field)
		return value is not None and not int(value)

	return off


def notify(
	kind: str,
	facts: Facts,
	subject: str,
	document_type: str | None = None,
	document_name: str | None = None,
	actor: str | None = None,
) -> list[str]:
	"""The one door: tell the audience of ``kind`` (:func:`~callcenter_app.common.notify.audience`) about a
	document. Returns who is told."""
	users = audience(kind, facts, actor, switched_off(kind))
	if users:
		enqueue_create_notification(
			users,
			{
				"type": "Mention" if kind == "mention" else "Alert",
				"subject": subject,
				"document_type": document_type,
				"document_name": document_name,
				"from_user": actor if actor and actor not in ("Guest",) else "Administrator",
			},
		)
	return users


# --- facts ------------------------------------------------------------------------------------------------


def team_agents(team: str | None) -> tuple[str, ...]:
	if not team:
		return ()
	return tuple(
		sorted(
			set(
				frappe.get_all(
					"HD Team Member", filters={"parenttype": "HD Team", "parent": team}, pluck="user"
				)
			)
		)
	)


def ticket_facts(ticket: str, last_assignees: bool = False) -> Facts:
	"""A ticket's assignees (open assignments; ``last_assignees``: whoever held it, for a closed ticket
	whose assignments were closed with it), its team's agents and team lead."""
	from callcenter_app.tickets.service import assignees, team_policy

	row = frappe.db.get_value(TICKET, ticket, ["name", "agent_group", "_assign"], as_dict=True) or {}
	owners = tuple(assignees(row)) if row else ()
	if last_assignees and not owners:
		owners = tuple(
			sorted(
				set(
					frappe.get_all(
						"ToDo",
						filters={
							"reference_type": TICKET,
							"reference_name": ticket,
							"status": ["!=", "Cancelled"],
						},
						pluck="allocated_to",
					)
				)
			)
		)
	policy = team_policy(row.get("agent_group")) if row else None
	return Facts(
		assignees=owners,
		team=team_agents(row.get("agent_group")),
		team_lead=policy.team_lead if policy else None,
	)


def _subject(text: str, ticket: str) -> str:
	subject = frappe.db.get_value(TICKET, ticket, "subject") or ""
	return text.format(ticket=ticket, subject=frappe.utils.escape_html(subject))


# --- events -----------------------------------------------------------------------------------------------


def on_new_ticket(doc, method=None) -> None:
	"""HD Ticket ``after_insert``: the team hears of it after the commit, unless the ticket was merged into
	another one meanwhile (an email within the grouping window)."""
	name, actor = doc.name, frappe.session.user
	frappe.db.after_commit.add(lambda: _new_ticket(name, actor))


def _new_ticket(name: str, actor: str) -> None:
	row = frappe.db.get_value(TICKET, name, ["agent_group", "cc_merged_into"], as_dict=True)
	if not row or row.cc_merged_into or not row.agent_group:
		return
	notify(
		"new_ticket",
		Facts(team=team_agents(row.agent_group)),
		_subject(_("New ticket {ticket} in your team: {subject}"), name),
		TICKET,
		name,
		actor=actor,
	)


def on_incoming_message(doc, method=None) -> None:
	"""Communication ``before_insert`` (before the ticket rules re-point it): the customer wrote on a closed
	ticket; whoever held it hears of it."""
	if doc.reference_doctype != TICKET or doc.sent_or_received != "Received" or not doc.reference_name:
		return
	from callcenter_app.tickets.service import is_closed_status

	if not is_closed_status(frappe.db.get_value(TICKET, doc.reference_name, "status")):
		return
	doc.flags.cc_closed_reply = True
	notify(
		"closed_reply",
		ticket_facts(doc.reference_name, last_assignees=True),
		_subject(_("The customer wrote on closed ticket {ticket}: {subject}"), doc.reference_name),
		TICKET,
		doc.reference_name,
	)


def on_message(doc, method=None) -> None:
	"""Communication ``after_insert``: the customer wrote on an open ticket (not the message that made it)."""
	if doc.reference_doctype != TICKET or doc.sent_or_received != "Received" or not doc.reference_name:
		return
	if doc.flags.cc_closed_reply or doc.reference_name in (frappe.flags.cc_new_tickets or ()):
		return
	notify(
		"customer_reply",
		ticket_facts(doc.reference_name),
		_subject(_("The customer replied on ticket {ticket}: {subject}"), doc.reference_name),
		TICKET,
		doc.reference_name,
	)


def on_helpdesk_notification(doc, method=None) -> None:
	"""HD Notification ``after_insert``: Helpdesk found a mention in a note (shown in its agent app); the
	notification bar gets it too. Helpdesk's own detection, not a second one."""
	if doc.get("notification_type") != "Mention" or not doc.get("user_to"):
		return
	ticket = doc.get("reference_ticket")
	notify(
		"mention",
		Facts(mentioned=(doc.user_to,)),
		_("{0} mentioned you on ticket {1}").format(
			frappe.utils.get_fullname(doc.user_from) if doc.get("user_from") else _("Someone"), ticket or ""
		),
		TICKET if ticket else None,
		ticket,
		actor=doc.get("user_from"),
	)


# --- scheduled ----------------------------------------------------------------------------------------------


def flag_resolution_breaches() -> list[str]:
	"""Scheduler (every 5 minutes): open tickets past Helpdesk's resolution time are flagged
	(``cc_resolution_breached``) and their assignees and team lead told, once."""
	from callcenter_app.tickets.service import statuses_in

	rows = frappe.get_all(
		TICKET,
		filters={
			"resolution_by": ["<", frappe.utils.now_datetime()],
			"cc_resolution_breached": 0,
			"status": ["in", statuses_in("Open", "Paused")],
		},
		pluck="name",
	)
	for name in rows:
		frappe.db.set_value(TICKET, name, "cc_resolution_breached", 1, update_modified=False)
		notify(
			"overdue",
			ticket_facts(name),
			_subject(_("Resolution time passed on ticket {ticket}: {subject}"), name),
			TICKET,
			name,
		)
	return rows


def notify_due_callbacks() -> list[str]:
	"""Scheduler (every minute): open campaign callbacks whose time has come, once each: a private one to
	its owner, a public one to its campaign's active operators."""
	rows = frappe.get_all(
		"CC Callback",
		filters={"status": "Open", "notified": 0, "due_at": ["<=", frappe.utils.now_datetime()]},
		fields=["name", "campaign", "full_name", "phone", "visibility", "owner_user"],
	)
	for cb in rows:
		frappe.db.set_value("CC Callback", cb.name, "notified", 1, update_modified=False)
		notify(
			"callback_due",
			Facts(
				owner=cb.owner_user,
				private=cb.visibility == "Private",
				operators=campaign_operators(cb.campaign),
			),
			_("Callback due: {0} ({1})").format(
				frappe.utils.escape_html(cb.full_name or cb.phone or ""), cb.campaign
			),
			"CC Callback",
			cb.name,
		)
	return [cb.name for cb in rows]


def campaign_operators(campaign: str | None) -> tuple[str, ...]:
	if not campaign:
		return ()
	return tuple(
		sorted(
			set(
				frappe.get_all(
					"CC Campaign Operator",
					filters={"parenttype": "CC Campaign", "parent": campaign, "active": 1},
					pluck="user",
				)
			)
		)
	)


def notify_due_contacts() -> list[str]:
	"""Scheduler (every minute): contacts of active preview campaigns (dialled by hand) whose retry time has
	come, once per retry time, to the operator who called them last."""
	contact = frappe.qb.DocType("CC Campaign Contact")
	campaign = frappe.qb.DocType("CC Campaign")
	rows = (
		frappe.qb.from_(contact)
		.join(campaign)
		.on(campaign.name == contact.campaign)
		.select(contact.name, contact.campaign, contact.full_name, contact.phone, contact.next_attempt_at)
		.where(campaign.status == "Active")
		.where(campaign.dialer_mode == "Preview")
		.where(contact.status == "Retry")
		.where(contact.next_attempt_at <= frappe.utils.now_datetime())
		.where(contact.due_notified_at.isnull() | (contact.due_notified_at != contact.next_attempt_at))
		.run(as_dict=True)
	)
	for row in rows:
		frappe.db.set_value(
			"CC Campaign Contact", row.name, "due_notified_at", row.next_attempt_at, update_modified=False
		)
		last = frappe.get_all(
			"CC Call Attempt",
			filters={"campaign_contact": row.name, "operator": ["is", "set"]},
			fields=["operator"],
			order_by="started_at desc, creation desc",
			limit=1,
		)
		notify(
			"next_contact_due",
			Facts(operators=tuple(r.operator for r in last)),
			_("Next contact due: {0} ({1})").format(
				frappe.utils.escape_html(row.full_name or row.phone or ""), row.campaign
			),
			"CC Campaign Contact",
			row.name,
		)
	return [r.name for r in rows]
