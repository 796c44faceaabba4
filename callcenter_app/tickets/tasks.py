"""Frappe glue for ticket distribution, snooze and the reaction-time watch (the rules are pure: tickets/).

Distribution runs as one deduplicated background job per site, enqueued after the commit that made it
necessary: a ticket arrived or was reopened, an agent's load dropped (an assignment closed, a ticket was
resolved), an agent became available, a team's buffers changed; and every minute as a safety net. The job
reads every queued ticket and every agent seat of the automatically distributed teams with a few queries,
asks ``tickets.distribution.distribute`` and assigns through Frappe's assign-to (ToDo), re-checking each
ticket under a row lock so a ticket assigned meanwhile by hand is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import frappe
from frappe import _
from frappe.desk.form.assign_to import add as add_assignment

from callcenter_app.common.notify.rules import Facts
from callcenter_app.tickets.distribution import AUTOMATIC, MANUAL, Agent, Seat, Ticket, distribute
from callcenter_app.tickets.service import (
	assignees,
	statuses_in,
	team_policy,
)
from callcenter_app.tickets.snooze import TicketState, expired, wake
from callcenter_app.utils import from_utc, to_utc, utc_now

JOB_ID = "callcenter:distribute-tickets"


def enqueue_distribution() -> None:
	"""Run the distribution job once after this transaction commits (deduplicated while queued)."""
	frappe.enqueue(
		"callcenter_app.tickets.tasks.distribute_tickets",
		queue="short",
		job_id=JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
	)


def distributed_teams() -> dict[str, str]:
	return {
		t.name: AUTOMATIC if t.cc_distribution == "Automatic" else MANUAL
		for t in frappe.get_all(
			"HD Team",
			filters={"cc_distribution": ["in", ["Automatic", "Manual"]]},
			fields=["name", "cc_distribution"],
		)
	}


def queued_tickets(teams: list[str]) -> list[Ticket]:
	"""Open, unassigned, not snoozed tickets of ``teams``."""
	if not teams:
		return []
	rows = frappe.get_all(
		"HD Ticket",
		filters={
			"agent_group": ["in", teams],
			"status": ["in", statuses_in("Open")],
			"cc_snoozed": 0,
			"cc_merged_into": ["is", "not set"],
		},
		fields=["name", "agent_group", "cc_weight", "creation", "_assign"],
		order_by="creation",
	)
	return [
		Ticket(r.name, r.agent_group, int(r.cc_weight or 0), to_utc(r.creation))
		for r in rows
		if not assignees(r)
	]


def agents_for(teams: list[str]) -> list[Agent]:
	"""Every member of ``teams`` with a seat per team: buffer, open tickets held there, availability."""
	if not teams:
		return []
	members = frappe.get_all(
		"HD Team Member",
		filters={"parenttype": "HD Team", "parent": ["in", teams]},
		fields=["parent", "user"],
	)
	users = sorted({m.user for m in members})
	available = set(
		frappe.db.sql_list(
			"""select a.user from `tabHD Agent` a join `tabCC Work Mode` m on m.name = a.cc_work_mode
			where a.is_active = 1 and a.cc_logged_in = 1 and m.enabled = 1 and m.receives_tickets = 1
			and a.user in %(users)s""",
			{"users": users or [""]},
		)
	)
	active = set(
		frappe.get_all("HD Agent", filters={"is_active": 1, "user": ["in", users or [""]]}, pluck="user")
	)
	held: dict[tuple[str, str], int] = defaultdict(int)
	last: dict[str, object] = {}
	for row in frappe.db.sql(
		"""select td.allocated_to, t.agent_group, count(distinct t.name) as held, max(td.creation) as last_at
		from `tabToDo` td join `tabHD Ticket` t on t.name = td.reference_name
		where td.reference_type = 'HD Ticket' and td.status = 'Open' and td.allocated_to in %(users)s
		and t.status in %(open)s
		group by td.allocated_to, t.agent_group""",
		{"users": users or [""], "open": statuses_in("Open", "Paused") or [""]},
		as_dict=True,
	):
		held[(row.allocated_to, row.agent_group)] = int(row.held)
		if row.last_at and (row.allocated_to not in last or row.last_at > last[row.allocated_to]):
			last[row.allocated_to] = row.last_at
	policies = {t: team_policy(t) for t in teams}
	seats: dict[str, list[Seat]] = defaultdict(list)
	for m in members:
		if m.user in active:
			seats[m.user].append(Seat(m.parent, policies[m.parent].buffer(m.user), held[(m.user, m.parent)]))
	return [
		Agent(user, tuple(seats[user]), user in available, to_utc(last.get(user)))
		for user in users
		if seats.get(user)
	]


def distribute_tickets() -> list[tuple[str, str]]:
	"""The distribution job: assign the queued tickets of automatic teams. Returns (ticket, agent) pairs."""
	teams = distributed_teams()
	automatic = [t for t, mode in teams.items() if mode == AUTOMATIC]
	plan = distribute(queued_tickets(automatic), agents_for(automatic), teams)
	done = []
	for assignment in plan:
		if assign(assignment.ticket, assignment.agent):
			done.append((assignment.ticket, assignment.agent))
	return done


def assign(ticket: str, agent: str) -> bool:
	"""Assign one ticket unless it was assigned (or closed) since the plan was made; False then."""
	row = frappe.db.get_value(
		"HD Ticket", ticket, ["status", "_assign", "cc_snoozed"], as_dict=True, for_update=True
	)
	if not row or assignees(row) or row.cc_snoozed or row.status not in statuses_in("Open"):
		return False
	add_assignment(
		{"assign_to": [agent], "doctype": "HD Ticket", "name": ticket, "description": _("Distributed")},
		ignore_permissions=True,
	)
	return True


# ---------------------------------------------------------------------------------------------------------
# Triggers


def on_ticket_change(doc, method=None) -> None:
	"""HD Ticket ``on_update``: a new, reopened or re-teamed open ticket, or one that stopped holding an
	agent's seat (resolved, closed), may change what the queue can give out."""
	if doc.flags.cc_no_distribution:
		return
	before = doc.get_doc_before_save()
	changed = before is None or any(
		before.get(f) != doc.get(f) for f in ("status", "agent_group", "cc_snoozed")
	)
	if changed and (
		team_policy(doc.get("agent_group")) or (before and team_policy(before.get("agent_group")))
	):
		enqueue_distribution()


def on_todo_change(doc, method=None) -> None:
	"""ToDo ``on_update``: an agent's ticket assignment closed or was cancelled: their load dropped."""
	if doc.reference_type != "HD Ticket" or doc.status == "Open":
		return
	before = doc.get_doc_before_save()
	if before is None or before.status == "Open":
		enqueue_distribution()


def on_presence_change(user: str) -> None:
	"""An agent logged in or changed work mode (called by telephony/presence/service.set_presence)."""
	if frappe.db.exists("HD Team Member", {"parenttype": "HD Team", "user": user}):
		enqueue_distribution()


# ---------------------------------------------------------------------------------------------------------
# Snooze


def ticket_state(name: str, for_update: bool = False) -> TicketState:
	row = frappe.db.get_value(
		"HD Ticket",
		name,
		["name", "status", "_assign", "cc_snoozed_until", "cc_snoozed_by", "cc_snooze_reason", "modified"],
		as_dict=True,
		for_update=for_update,
	)
	if not row:
		frappe.throw(_("HD Ticket {0} not found").format(name), frappe.DoesNotExistError)
	owners = assignees(row)
	return TicketState(
		id=row.name,
		owner=owners[0] if owners else None,
		closed=row.status in statuses_in("Resolved"),
		snoozed_until=to_utc(row.cc_snoozed_until),
		snoozed_by=row.cc_snoozed_by,
		snooze_reason=row.cc_snooze_reason or "",
	)


def write_snooze(state: TicketState) -> None:
	frappe.db.set_value(
		"HD Ticket",
		state.id,
		{
			"cc_snoozed": 1 if state.snoozed else 0,
			"cc_snoozed_until": from_utc(state.snoozed_until),
			"cc_snoozed_by": state.snoozed_by,
			"cc_snooze_reason": state.snooze_reason or None,
		},
	)


def wake_snoozed_tickets() -> list[str]:
	"""Scheduler (every minute): snoozed tickets whose time has come return to active; owners are told."""
	now = utc_now()
	due = frappe.get_all(
		"HD Ticket",
		filters={"cc_snoozed": 1, "cc_snoozed_until": ["<=", from_utc(now)]},
		pluck="name",
	)
	woken = []
	for name in expired([ticket_state(n) for n in due], now):
		state = ticket_state(name, for_update=True)
		if not state.snoozed or state.snoozed_until > now:
			continue
		result = wake(state, now)
		write_snooze(result.state)
		log_activity(name, _("snooze ended ({0})").format(state.snooze_reason))
		if result.notify:
			notify(
				result.notify,
				name,
				_("Ticket {0} is back from snooze: {1}").format(name, state.snooze_reason),
				"snooze_expired",
			)
		woken.append(name)
	if woken:
		enqueue_distribution()
	return woken


def wake_on_reply(name: str) -> None:
	"""The customer wrote while the ticket was snoozed: it is active again and its owner is told."""
	state = ticket_state(name, for_update=True)
	if not state.snoozed:
		return
	result = wake(replace(state, snoozed_until=min(state.snoozed_until, utc_now())), utc_now())
	write_snooze(result.state)
	log_activity(name, _("snooze ended: the customer wrote"))
	if result.notify:
		notify(
			result.notify,
			name,
			_("The customer wrote on snoozed ticket {0}; it is active again").format(name),
			"snooze_expired",
		)


# ---------------------------------------------------------------------------------------------------------
# Reaction time watch


def flag_reaction_breaches() -> list[str]:
	"""Scheduler (every 5 minutes): open tickets past their reaction due time with no reaction yet are
	flagged, and their owner and team lead notified, once."""
	rows = frappe.get_all(
		"HD Ticket",
		filters={
			"cc_reaction_due": ["<", from_utc(utc_now())],
			"cc_reacted_at": ["is", "not set"],
			"cc_reaction_breached": 0,
			"status": ["in", statuses_in("Open", "Paused")],
		},
		fields=["name", "subject", "agent_group", "_assign"],
	)
	for row in rows:
		frappe.db.set_value("HD Ticket", row.name, "cc_reaction_breached", 1, update_modified=False)
		policy = team_policy(row.agent_group)
		facts = Facts(assignees=tuple(assignees(row)), team_lead=policy.team_lead if policy else None)
		send(
			"overdue",
			facts,
			_("Reaction time passed on ticket {0}: {1}").format(row.name, row.subject),
			row.name,
		)
	return [r.name for r in rows]


# ---------------------------------------------------------------------------------------------------------


def notify(user: str, ticket: str, subject: str, kind: str) -> None:
	"""A desk notification (the bell) about a ticket, to one user (common/notify decides and sends)."""
	send(kind, Facts(owner=user, assignees=(user,)), subject, ticket)


def send(kind: str, facts, subject: str, ticket: str) -> None:
	from callcenter_app.common.notify.service import notify as notify_users

	notify_users(kind, facts, subject, "HD Ticket", ticket)


def log_activity(ticket: str, action: str) -> None:
	"""Helpdesk's ticket activity line, when this Helpdesk has it."""
	if frappe.db.exists("DocType", "HD Ticket Activity"):
		frappe.get_doc({"doctype": "HD Ticket Activity", "ticket": ticket, "action": action}).insert(
			ignore_permissions=True
		)
