"""Desk endpoints for tickets: the team queue and pulling from it (manual teams), snooze and early
reactivation, the live handling time, and a supervisor's "distribute now". Each checks permission first;
the decisions are the pure engines' (tickets/distribution.py, tickets/snooze.py)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_datetime

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.tickets import distribution, tasks
from callcenter_app.tickets import service as tickets
from callcenter_app.tickets import snooze as snoozing
from callcenter_app.utils import requires, throw_field_error, to_utc, utc_now


def _ticket_for(name: str, ptype: str = "write") -> None:
	name = str(name)
	if not frappe.db.exists("HD Ticket", name):
		frappe.throw(_("ticket: HD Ticket {0} does not exist").format(name), frappe.DoesNotExistError)
	frappe.has_permission("HD Ticket", ptype, doc=name, throw=True)


def _agent(user: str, team: str) -> distribution.Agent:
	for agent in tasks.agents_for([team]):
		if agent.id == user:
			return agent
	throw_field_error(FieldError("team", _("{0} is not an active agent of team {1}").format(user, team)))


@frappe.whitelist()
@requires(roles.DESK_USER)
def team_queue(team: str) -> list[dict]:
	"""The queued tickets of a manual team in pull order (weight, then age), for one of its agents."""
	frappe.has_permission("HD Team", "read", doc=team, throw=True)
	user = frappe.session.user
	teams = tasks.distributed_teams()
	agent = _agent(user, team)
	queue = distribution.pullable(team, agent, tasks.queued_tickets([team]), teams)
	if not queue:
		return []
	details = {
		r.name: r
		for r in frappe.get_all(
			"HD Ticket",
			filters={"name": ["in", [t.id for t in queue]]},
			fields=["name", "subject", "raised_by", "cc_channel", "priority", "creation"],
		)
	}
	return [{**details[t.id], "weight": t.weight} for t in queue if t.id in details]


@frappe.whitelist()
@requires(roles.DESK_USER)
def my_manual_teams() -> list[dict]:
	"""The manual teams the user is an active agent of, each with how many of its queued tickets they may
	pull now and, when none, why not (their buffer is full, ...): the "Pull next ticket" control."""
	user = frappe.session.user
	teams = tasks.distributed_teams()
	manual = sorted(t for t, mode in teams.items() if mode == distribution.MANUAL)
	mine = sorted(
		set(
			frappe.get_all(
				"HD Team Member",
				filters={"parenttype": "HD Team", "parent": ["in", manual or [""]], "user": user},
				pluck="parent",
			)
		)
	)
	agent = next((a for a in tasks.agents_for(mine) if a.id == user), None)
	if agent is None:  # not an active agent
		return []
	queued = tasks.queued_tickets(mine)
	out = []
	for team in mine:
		problem = distribution.pull_problem(team, agent, teams)
		seat = agent.seat(team)
		out.append(
			{
				"team": team,
				"waiting": len(distribution.pullable(team, agent, queued, teams)),
				"queued": sum(1 for t in queued if t.team == team),
				"held": seat.held if seat else 0,
				"buffer": seat.buffer if seat else 0,
				"problem": problem.reason if problem else None,
			}
		)
	return out


@frappe.whitelist(methods=["POST"])
@requires(roles.DESK_USER)
def pull(ticket: str) -> dict:
	"""Take one ticket from a manual team's queue (the caller's own buffer and membership are checked)."""
	_ticket_for(ticket, "read")
	user = frappe.session.user
	row = frappe.db.get_value("HD Ticket", ticket, ["agent_group", "_assign"], as_dict=True, for_update=True)
	if tickets.assignees(row):
		throw_field_error(FieldError("ticket", _("ticket {0} was already taken").format(ticket)))
	queued = {t.id: t for t in tasks.queued_tickets([row.agent_group])} if row.agent_group else {}
	if ticket not in queued:
		throw_field_error(FieldError("ticket", _("ticket {0} is not waiting in a team queue").format(ticket)))
	try:
		distribution.pull(
			row.agent_group, _agent(user, row.agent_group), queued[ticket], tasks.distributed_teams()
		)
	except FieldError as e:
		throw_field_error(e)
	tasks.assign(ticket, user)
	return {"ticket": ticket, "agent": user}


@frappe.whitelist(methods=["POST"])
@requires(roles.AGENT_TOOLS)
def snooze(ticket: str, until: str, reason: str) -> dict:
	"""Put a ticket off until ``until`` (system time zone) with a reason; agents only."""
	_ticket_for(ticket)
	if not until:
		throw_field_error(FieldError("until", _("is required")))
	try:
		moment = to_utc(get_datetime(until))
	except (ValueError, TypeError):
		throw_field_error(FieldError("until", _("{0!r} is not a date and time").format(until)))
	state = tasks.ticket_state(ticket, for_update=True)
	try:
		new = snoozing.snooze(state, moment, reason, frappe.session.user, utc_now())
	except FieldError as e:
		throw_field_error(e)
	tasks.write_snooze(new)
	tasks.log_activity(ticket, _("snoozed until {0}: {1}").format(until, new.snooze_reason))
	return snooze_state(ticket)


@frappe.whitelist(methods=["POST"])
@requires(roles.AGENT_TOOLS)
def reactivate(ticket: str) -> dict:
	"""End a snooze early: only the ticket's owner or whoever snoozed it (others are told who can)."""
	_ticket_for(ticket)
	state = tasks.ticket_state(ticket, for_update=True)
	try:
		new = snoozing.reactivate(state, frappe.session.user, utc_now())
	except FieldError as e:
		throw_field_error(e)
	tasks.write_snooze(new)
	tasks.log_activity(ticket, _("reactivated from snooze"))
	tasks.enqueue_distribution()
	return snooze_state(ticket)


def snooze_state(ticket: str) -> dict:
	return frappe.db.get_value(
		"HD Ticket",
		ticket,
		["name", "cc_snoozed", "cc_snoozed_until", "cc_snoozed_by", "cc_snooze_reason"],
		as_dict=True,
	)


@frappe.whitelist()
@requires(roles.DESK_USER)
def handling_time(ticket: str) -> dict:
	"""The ticket's cumulative handling time now (counted statuses only) and its reaction clock."""
	_ticket_for(ticket, "read")
	doc = frappe.get_doc("HD Ticket", ticket)
	return {
		"handling_seconds": tickets.handling_seconds(doc),
		"reaction_due": doc.get("cc_reaction_due"),
		"reacted_at": doc.get("cc_reacted_at"),
		"reaction_breached": doc.get("cc_reaction_breached"),
	}


@frappe.whitelist(methods=["POST"])
@requires(roles.SUPERVISE_TICKETS)
def distribute_now() -> list:
	"""Supervisors: run the distribution now and see what it assigned."""
	return tasks.distribute_tickets()
