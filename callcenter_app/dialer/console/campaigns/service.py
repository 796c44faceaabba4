"""Frappe glue for the operator console: the campaigns it offers an operator, joining (the operator's row
active, logged into the phone, Asterisk's queue following after commit) and leaving, and the campaign the
console shows (a user default)."""

from __future__ import annotations

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.credit.charging import service as credit_charging
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.console.contacts.service import claimed_names, contact_label, open_attempts
from callcenter_app.dialer.console.phone.service import phone_state
from callcenter_app.dialer.console.service import (
	CAMPAIGN_DEFAULT,
	campaign_doc,
	not_permitted,
	operator_row,
	publish,
	refuse,
)
from callcenter_app.telephony.presence import service as presence


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
		{
			**r,
			"operator": r.name in mine,
			"joined": mine.get(r.name, False),
			"credit_stop": credit_charging.campaign_stop_reason(r.name)
			if r.direction == "Outbound"
			else None,
		}
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
