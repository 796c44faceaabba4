"""Desk endpoints for tickets: the team queue and pulling from it (manual teams), snooze and early
reactivation, the live handling time, and a supervisor's "distribute now"; plus what the desk's views
need in one call each (the ticket form's panel, the ticket list's tools, the Team Queue page, the snooze
list). Each checks permission first; the decisions are the pure engines' (tickets/distribution.py,
tickets/snooze.py)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_datetime

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.call_tickets.service import ticket_numbers
from callcenter_app.tickets import distribution, tasks
from callcenter_app.tickets import service as tickets
from callcenter_app.tickets import snooze as snoozing
from callcenter_app.utils import (
	has_capability,
	requires,
	throw_field_error,
	throw_field_errors,
	to_utc,
	utc_now,
)


def _ticket_for(name: str, ptype: str = "write") -> None:
	name = str(name)
	if not frappe.db.exists("HD Ticket", name):
		frappe.throw(_("ticket: HD Ticket {0} does not exist").format(name), frappe.DoesNotExistError)
	frappe.has_permission("HD Ticket", ptype, doc=name, throw=True)


def _agent_of(user: str, team: str) -> distribution.Agent | None:
	for agent in tasks.agents_for([team]):
		if agent.id == user:
			return agent
	return None


def _agent(user: str, team: str) -> distribution.Agent:
	agent = _agent_of(user, team)
	if agent is None:
		throw_field_error(_not_an_agent(user, team))
	return agent


def _not_an_agent(user: str, team: str) -> FieldError:
	return FieldError("team", _("{0} is not an active agent of team {1}").format(user, team))


def _refuse_pull(error: FieldError) -> None:
	throw_field_errors(None, [error], title=_("Not pulled"))


def _team(team: str) -> str:
	team = str(team or "").strip()
	if not team:
		_refuse_pull(FieldError("team", _("is required: choose the team to pull from")))
	if not frappe.db.exists("HD Team", team):
		_refuse_pull(FieldError("team", _("HD Team {0} does not exist").format(team)))
	return team


@frappe.whitelist()
@requires(roles.AGENT_TOOLS)
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
	mine = _member_of_manual(user, teams)
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
@requires(roles.AGENT_TOOLS)
def pull(ticket: str) -> dict:
	"""Take one ticket from a manual team's queue (the caller's own buffer and membership are checked).
	The ticket's row is locked first: of two agents pulling it at once, the second is told who has it."""
	ticket = str(ticket)  # Helpdesk names tickets by number; a request sends text
	_ticket_for(ticket, "read")
	user = frappe.session.user
	row = frappe.db.get_value(
		"HD Ticket", ticket, ["agent_group", "_assign", "cc_snoozed"], as_dict=True, for_update=True
	)
	taken = tickets.assignees(row)
	if taken:
		_refuse_pull(
			FieldError(
				"ticket",
				_("ticket {0} was already taken by {1}; pull the next one").format(ticket, ", ".join(taken)),
			)
		)
	if row.cc_snoozed:
		_refuse_pull(FieldError("ticket", _("ticket {0} is snoozed; it cannot be pulled").format(ticket)))
	queued = {str(t.id): t for t in tasks.queued_tickets([row.agent_group])} if row.agent_group else {}
	if ticket not in queued:
		_refuse_pull(FieldError("ticket", _("ticket {0} is not waiting in a team queue").format(ticket)))
	try:
		distribution.pull(
			row.agent_group, _agent(user, row.agent_group), queued[ticket], tasks.distributed_teams()
		)
	except FieldError as e:
		_refuse_pull(e)
	if not tasks.assign(ticket, user):
		_refuse_pull(FieldError("ticket", _("ticket {0} is no longer waiting").format(ticket)))
	return {"ticket": ticket, "agent": user}


@frappe.whitelist(methods=["POST"])
@requires(roles.AGENT_TOOLS)
def pull_next(team: str) -> dict:
	"""Take the first ticket of a manual team's queue (weight, then age). A ticket another agent took a
	moment ago is skipped for the next one; an empty queue or a full buffer is said so."""
	team = _team(team)
	frappe.has_permission("HD Team", "read", doc=team, throw=True)
	user = frappe.session.user
	teams = tasks.distributed_teams()
	agent = _agent_of(user, team)
	problem = _not_an_agent(user, team) if agent is None else distribution.pull_problem(team, agent, teams)
	if problem is not None:
		_refuse_pull(problem)
	for queued in distribution.pullable(team, agent, tasks.queued_tickets([team]), teams):
		if tasks.assign(queued.id, user):  # locks the row and checks it is still waiting
			return {"ticket": queued.id, "agent": user, "team": team}
	_refuse_pull(FieldError("team", _("no ticket is waiting in team {0}").format(team)))


def _seconds_until(value, now) -> int | None:
	"""Seconds from ``now`` to a stored Datetime (negative once it has passed); None without one."""
	return int((to_utc(value) - now).total_seconds()) if value else None


def _member_of_manual(user: str, teams: dict[str, str]) -> list[str]:
	"""The manual teams ``user`` is a member of, sorted."""
	manual = sorted(t for t, mode in teams.items() if mode == distribution.MANUAL)
	if not manual:
		return []
	mine = set(
		frappe.get_all(
			"HD Team Member",
			filters={"parenttype": "HD Team", "parent": ["in", manual], "user": user},
			pluck="parent",
		)
	)
	return [t for t in manual if t in mine]


def _manual_teams(user: str, teams: dict[str, str]) -> list[str]:
	"""The manual teams ``user`` belongs to; every manual team for SUPERVISE_TICKETS."""
	if has_capability(roles.SUPERVISE_TICKETS, user):
		return sorted(t for t, mode in teams.items() if mode == distribution.MANUAL)
	return _member_of_manual(user, teams)


@frappe.whitelist()
@requires(roles.AGENT_TOOLS)
def team_queues() -> list[dict]:
	"""The Team Queue page: the manual teams the user belongs to (SUPERVISE_TICKETS: every manual team),
	each with its waiting tickets in pull order (priority, age, reaction due) and whether the user may
	pull from it now, or why not (not a member, buffer full)."""
	user = frappe.session.user
	teams = tasks.distributed_teams()
	names = _manual_teams(user, teams)
	if not names:
		return []
	queued = tasks.queued_tickets(names)
	me = next((a for a in tasks.agents_for(names) if a.id == user), None)
	details = {
		r.name: r
		for r in frappe.get_list(
			"HD Ticket",
			filters={"name": ["in", [t.id for t in queued] or [""]]},
			fields=[
				"name",
				"subject",
				"raised_by",
				"cc_channel",
				"priority",
				"creation",
				"cc_reaction_due",
				"cc_reaction_breached",
			],
			limit_page_length=0,
		)
	}
	now = utc_now()
	out = []
	for team in names:
		seat = me.seat(team) if me else None
		problem = distribution.pull_problem(team, me, teams) if seat else _not_an_agent(user, team)
		rows = []
		for t in distribution.queue_order(q for q in queued if q.team == team):
			if t.id in details:
				row = details[t.id]
				age = int((now - to_utc(row.creation)).total_seconds())
				rows.append(
					{
						**row,
						"weight": t.weight,
						"age_seconds": max(age, 0),
						"reaction_due_in": _seconds_until(row.cc_reaction_due, now),
					}
				)
		out.append(
			{
				"team": team,
				"member": seat is not None,
				"held": seat.held if seat else None,
				"buffer": seat.buffer if seat else None,
				"may_pull": problem is None,
				"problem": f"{problem.field}: {problem.reason}" if problem else None,
				"tickets": rows,
			}
		)
	return out


# The snooze's fields as the form and the dialog label them (the pure rule names them its own way).
SNOOZE_LABELS = {
	"until": "Snoozed until",
	"snoozed_until": "Snoozed until",
	"snooze_reason": "Snooze reason",
	"by_user": "Snoozed by",
	"status": "Status",
}


def _snooze_refused(error: FieldError) -> None:
	throw_field_errors(SNOOZE_LABELS, [error], title=_("Not snoozed"))


@frappe.whitelist(methods=["POST"])
@requires(roles.AGENT_TOOLS)
def snooze(ticket: str, until: str = "", reason: str = "") -> dict:
	"""Put a ticket off until ``until`` (system time zone) with a reason; agents only. Both are required;
	nothing is written unless both are right."""
	_ticket_for(ticket)
	if not until:
		_snooze_refused(FieldError("until", _("is required: until when is the ticket put off?")))
	try:
		moment = to_utc(get_datetime(until))
	except (ValueError, TypeError, OverflowError):
		_snooze_refused(FieldError("until", _("{0!r} is not a date and time").format(until)))
	state = tasks.ticket_state(ticket, for_update=True)
	try:
		new = snoozing.snooze(state, moment, reason, frappe.session.user, utc_now())
	except FieldError as e:
		_snooze_refused(e)
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
		throw_field_errors(SNOOZE_LABELS, [e], title=_("Not reactivated"))
	tasks.write_snooze(new)
	tasks.log_activity(ticket, _("reactivated from snooze"))
	tasks.enqueue_distribution()
	return snooze_state(ticket)


def _may_reactivate(state: snoozing.TicketState, user: str, now) -> bool:
	try:
		snoozing.reactivate(state, user, now)
	except FieldError:
		return False
	return True


@frappe.whitelist()
@requires(roles.AGENT_TOOLS)
def snoozed_tickets() -> list[dict]:
	"""The snooze list: the snoozed tickets the user may read, soonest back first; what, until when, by
	whom and why, the owner, and whether this user may reactivate it now (the owner, whoever snoozed it,
	or anyone once its time has passed)."""
	user = frappe.session.user
	now = utc_now()
	rows = frappe.get_list(
		"HD Ticket",
		filters={"cc_snoozed": 1},
		fields=[
			"name",
			"subject",
			"status",
			"agent_group",
			"_assign",
			"cc_snoozed_until",
			"cc_snoozed_by",
			"cc_snooze_reason",
		],
		order_by="cc_snoozed_until asc",
		limit_page_length=500,
	)
	out = []
	for row in rows:
		owners = tickets.assignees(row)
		state = snoozing.TicketState(
			id=row.name,
			owner=owners[0] if owners else None,
			snoozed_until=to_utc(row.cc_snoozed_until) if row.cc_snoozed_until else now,
			snoozed_by=row.cc_snoozed_by,
		)
		row.pop("_assign", None)
		out.append({**row, "owner": state.owner, "may_reactivate": _may_reactivate(state, user, now)})
	return out


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
def distribute_now() -> dict:
	"""Supervisors: run the distribution now and see what it did: each ticket assigned and to whom, and
	how many tickets still wait in the automatic teams (no agent available with room in their buffer)."""
	done = tasks.distribute_tickets()
	teams = tasks.distributed_teams()
	automatic = sorted(t for t, mode in teams.items() if mode == distribution.AUTOMATIC)
	subjects = dict(
		frappe.get_all(
			"HD Ticket",
			filters={"name": ["in", [t for t, _a in done] or [""]]},
			fields=["name", "subject"],
			as_list=True,
		)
	)
	return {
		"assigned": [{"ticket": t, "agent": a, "subject": subjects.get(t)} for t, a in done],
		"waiting": len(tasks.queued_tickets(automatic)),
		"teams": automatic,
	}


@frappe.whitelist()
@requires(roles.DESK_USER)
def ticket_panel(ticket: str) -> dict:
	"""What the ticket's desk form shows besides its fields, in one call: the handling time and reaction
	clock, the snooze and whether the user may snooze or reactivate it, and the numbers to call (the
	ticket's contact's, or its sender's when that is a number) for users who may place calls."""
	_ticket_for(ticket, "read")
	user = frappe.session.user
	now = utc_now()
	state = tasks.ticket_state(ticket)
	tools = has_capability(roles.AGENT_TOOLS) and bool(
		frappe.has_permission("HD Ticket", "write", doc=ticket)
	)
	may_call = has_capability(roles.PLACE_CALLS)
	clock = handling_time(ticket)
	return {
		**clock,
		"reaction_due_in": _seconds_until(clock["reaction_due"], now),
		"snoozed": state.snoozed,
		"snoozed_until": snooze_state(ticket).cc_snoozed_until,
		"snoozed_by": state.snoozed_by,
		"snooze_reason": state.snooze_reason,
		"owner": state.owner,
		"may_snooze": tools and not state.closed,
		"may_reactivate": tools and state.snoozed and _may_reactivate(state, user, now),
		"may_call": may_call,
		"numbers": ticket_numbers(ticket) if may_call else [],
	}


@frappe.whitelist()
@requires(roles.DESK_USER)
def ticket_tools() -> dict:
	"""What the ticket list offers this user: the manual teams they may pull from, whether they may see
	the snooze list (and how many snoozed tickets they can see) and run the distribution now."""
	user = frappe.session.user
	teams = tasks.distributed_teams()
	member_of = _member_of_manual(user, teams)
	agent_tools = has_capability(roles.AGENT_TOOLS)
	supervisor = has_capability(roles.SUPERVISE_TICKETS)
	any_manual = distribution.MANUAL in teams.values()
	snoozed = 0
	if agent_tools:  # counted under the user's row rules, not capped
		[row] = frappe.get_list("HD Ticket", filters={"cc_snoozed": 1}, fields=["count(name) as n"])
		snoozed = row.n
	return {
		"pull_teams": member_of if agent_tools else [],
		"team_queue": agent_tools and bool(member_of or (supervisor and any_manual)),
		"may_snooze": agent_tools,
		"snoozed": snoozed,
		"may_distribute": supervisor,
	}
