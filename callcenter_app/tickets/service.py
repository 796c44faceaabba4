"""Frappe glue for the ticket engines (tickets/*.py are pure): sources and keyword filters on new tickets.

On every new HD Ticket (``before_insert``) the ticket's source is found — its mailbox (Email Account), the
call queue it came from, the SMS number, or the web form/portal — and the source's rules choose the team
(unless one is already set) and store the source and its weight on the ticket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import frappe
from frappe import _
from frappe.utils import get_system_timezone, now_datetime, strip_html

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.clocks import BusinessCalendar, cumulative_seconds, is_reaction, reaction_due
from callcenter_app.tickets.filters import Message, Rule, Source, route, sender_address
from callcenter_app.tickets.grouping import (
	Incoming,
	RecentTicket,
	closed_reply_target,
	join_target,
	on_reply_to_closed,
)
from callcenter_app.utils import (
	from_utc,
	has_capability,
	has_role,
	stored_and_edited,
	throw_field_errors,
	to_utc,
	utc_now,
)

UTC = timezone.utc

SOURCE_TYPES = {"Email": "email", "SMS": "sms", "Phone": "phone", "Web Form": "web_form"}
CHANNELS = {"Email": "Email", "SMS": "SMS", "Phone": "Phone", "Web Form": "Web Form"}


def source_of(doc) -> Source:
	"""A CC Ticket Source document (or its dict) as the pure core's Source."""
	return Source(
		name=doc.get("source_name") or doc.get("name") or "",
		type=SOURCE_TYPES.get(doc.get("source_type"), doc.get("source_type") or ""),
		weight=int(doc.get("weight") or 0),
		default_team=doc.get("default_team") or "",
		rules=tuple(
			Rule(r.get("field") or "", r.get("operator") or "", r.get("value") or "", r.get("team") or "")
			for r in doc.get("rules") or ()
		),
	)


def find_source(ticket) -> str | None:
	"""Which enabled CC Ticket Source a new ticket came through, or None."""
	enabled = {"enabled": 1}
	queue = ticket.flags.get("cc_call_queue")
	if queue:
		return frappe.db.get_value(
			"CC Ticket Source", {**enabled, "source_type": "Phone", "call_queue": queue}
		)
	sms = ticket.flags.get("cc_sms_number")
	if sms:
		return frappe.db.get_value("CC Ticket Source", {**enabled, "source_type": "SMS", "sms_number": sms})
	if ticket.get("email_account"):
		return frappe.db.get_value(
			"CC Ticket Source", {**enabled, "source_type": "Email", "email_account": ticket.email_account}
		)
	if ticket.get("via_customer_portal"):
		return frappe.db.get_value("CC Ticket Source", {**enabled, "source_type": "Web Form"})
	return None


def apply_source_rules(ticket, method=None) -> None:
	"""HD Ticket ``before_insert``: team, source and weight from the source's keyword filters."""
	name = find_source(ticket)
	if not name:
		return
	source = frappe.get_cached_doc("CC Ticket Source", name)
	routing = route(
		source_of(source),
		Message(
			subject=ticket.get("subject") or "",
			body=strip_html(ticket.get("description") or ""),
			sender=ticket.get("raised_by") or "",
		),
	)
	ticket.cc_source = name
	ticket.cc_weight = routing.weight
	ticket.cc_channel = ticket.get("cc_channel") or CHANNELS.get(source.source_type)
	if not ticket.get("agent_group") and routing.team:
		ticket.agent_group = routing.team
	ticket.flags.cc_routing = routing.reason


# ---------------------------------------------------------------------------------------------------------
# Ticket statuses: fixed options in Helpdesk 1.4, HD Ticket Status records (with a category) in newer ones.

V14_CATEGORIES = {"Open": "Open", "Replied": "Paused", "Resolved": "Resolved", "Closed": "Resolved"}


def ticket_statuses() -> dict[str, str]:
	"""Every ticket status of this site → its category (Open, Paused or Resolved)."""
	if frappe.db.exists("DocType", "HD Ticket Status"):
		return {
			s.name: s.category
			for s in frappe.get_all("HD Ticket Status", fields=["name", "category"], order_by="creation")
		}
	options = frappe.get_meta("HD Ticket").get_field("status").options or ""
	return {s: V14_CATEGORIES.get(s, "Open") for s in options.split("\n") if s}


def statuses_in(*categories: str) -> list[str]:
	return [s for s, category in ticket_statuses().items() if category in categories]


def is_closed_status(status: str | None) -> bool:
	return ticket_statuses().get(status or "") == "Resolved"


def default_status_rules() -> list[dict]:
	"""Time in "Open"-category statuses counts; waiting for the customer (Paused) and resolved do not."""
	return [{"status": s, "counts": 1 if c == "Open" else 0} for s, c in ticket_statuses().items()]


def counted_statuses() -> frozenset[str]:
	rules = frappe.get_cached_doc("CC Settings").get("status_rules") or default_status_rules()
	return frozenset(r.get("status") for r in rules if r.get("counts"))


def check_status_rules(rows) -> list[FieldError]:
	known, seen, errors = ticket_statuses(), set(), []
	for row in rows:
		if row.status not in known:
			errors.append(
				FieldError(
					"status_rules",
					_("row {0}: {1} is not a ticket status of this site ({2})").format(
						row.idx, row.status, ", ".join(known)
					),
				)
			)
		elif row.status in seen:
			errors.append(
				FieldError("status_rules", _("row {0}: {1} is listed twice").format(row.idx, row.status))
			)
		seen.add(row.status)
	return errors


# ---------------------------------------------------------------------------------------------------------
# Team policies


@dataclass(frozen=True)
class TeamPolicy:
	name: str
	distribution: str  # "automatic" | "manual" | "" (Helpdesk's assignment rule)
	default_buffer: int
	buffers: dict[str, int]
	team_lead: str | None
	reaction_seconds: int
	reaction_actions: frozenset[str]
	calendar_sla: str | None
	grouping_window_s: int
	closed_reply: str  # "reopen" | "new_ticket"
	members: tuple[str, ...]

	def buffer(self, user: str) -> int:
		return self.buffers.get(user, self.default_buffer)


REACTION_FIELDS = {
	"cc_react_reply": "reply",
	"cc_react_call": "call",
	"cc_react_note": "note",
	"cc_react_forward": "forward",
	"cc_react_status_change": "status_change",
}


def team_policy(team: str | None) -> TeamPolicy | None:
	if not team or not frappe.db.exists("HD Team", team):
		return None
	doc = frappe.get_cached_doc("HD Team", team)
	return TeamPolicy(
		name=doc.name,
		distribution=(doc.get("cc_distribution") or "").lower(),
		default_buffer=int(doc.get("cc_default_buffer") or 0),
		buffers={row.user: int(row.buffer or 0) for row in doc.get("cc_buffers") or ()},
		team_lead=doc.get("cc_team_lead"),
		reaction_seconds=int(doc.get("cc_reaction_minutes") or 0) * 60,
		reaction_actions=frozenset(a for f, a in REACTION_FIELDS.items() if doc.get(f)),
		calendar_sla=doc.get("cc_calendar_sla"),
		grouping_window_s=int(doc.get("cc_grouping_window") or 0) * 60,
		closed_reply="new_ticket" if doc.get("cc_closed_reply") == "New linked ticket" else "reopen",
		members=tuple(row.user for row in doc.get("users") or () if row.user),
	)


def validate_team(doc, method=None) -> None:
	"""HD Team ``validate``: buffers name team members once each."""
	members = {row.user for row in doc.get("users") or ()}
	seen, errors = set(), []
	for row in doc.get("cc_buffers") or ():
		if row.user not in members:
			errors.append(
				FieldError(
					"cc_buffers", _("row {0}: {1} is not a member of this team").format(row.idx, row.user)
				)
			)
		elif row.user in seen:
			errors.append(
				FieldError("cc_buffers", _("row {0}: {1} has two buffer rows").format(row.idx, row.user))
			)
		seen.add(row.user)
	throw_field_errors(doc.doctype, errors)


def on_team_update(doc, method=None) -> None:
	"""HD Team ``on_update``: a team distributed by the call center turns Helpdesk's assignment rule for it
	off (Helpdesk turns it on again whenever members change, so this runs after every save); then the
	team's queue is distributed again (buffers may have grown)."""
	rule = doc.get("assignment_rule")
	if doc.get("cc_distribution") and rule and not frappe.db.get_value("Assignment Rule", rule, "disabled"):
		frappe.db.set_value("Assignment Rule", rule, "disabled", 1)
	if doc.get("cc_distribution") == "Automatic":
		from callcenter_app.tickets.tasks import enqueue_distribution

		enqueue_distribution()


def calendar_for(sla: str | None) -> BusinessCalendar | None:
	"""The working hours and holiday list of an HD Service Level Agreement (None: round the clock)."""
	if not sla or not frappe.db.exists("HD Service Level Agreement", sla):
		return None
	doc = frappe.get_cached_doc("HD Service Level Agreement", sla)
	hours: dict[int, list] = {}
	for row in doc.get("support_and_resolution") or ():
		hours.setdefault(WEEKDAYS.index(row.workday), []).append((_time(row.start_time), _time(row.end_time)))
	if not hours:
		return None
	holidays = ()
	if doc.get("holiday_list"):
		holidays = frappe.get_all(
			"HD Holiday", filters={"parent": doc.holiday_list}, pluck="holiday_date", order_by="holiday_date"
		)
	return BusinessCalendar(hours, holidays, get_system_timezone())


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _time(value) -> str:
	"""A Time field (timedelta from the database, or "HH:MM:SS") as "HH:MM:SS"; 24:00 stays 24:00."""
	if isinstance(value, timedelta):
		seconds = int(value.total_seconds())
		return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
	return str(value)


# ---------------------------------------------------------------------------------------------------------
# HD Ticket events: reaction due time, cumulative handling time


def before_insert(ticket, method=None) -> None:
	apply_source_rules(ticket)
	ticket.cc_status_since = now_datetime()
	ticket.cc_handling_seconds = 0
	set_reaction_due(ticket, to_utc(ticket.get("creation")) or utc_now())


def before_save(ticket, method=None) -> None:
	if ticket.is_new():
		return
	before = ticket.get_doc_before_save()
	if before is None:
		return
	if before.status != ticket.status:
		add_handling_time(ticket, before.status)
		if is_agent_user(frappe.session.user):
			react(ticket, "status_change", utc_now())
	if before.get("agent_group") != ticket.get("agent_group") and not ticket.get("cc_reacted_at"):
		set_reaction_due(ticket, to_utc(ticket.creation))


def add_handling_time(ticket, previous_status: str) -> None:
	"""Close the period in ``previous_status``: its length counts when CC Settings counts that status."""
	now = utc_now()
	since = to_utc(ticket.get("cc_status_since") or ticket.creation)
	history = [(previous_status, since), (ticket.status, now)]
	ticket.cc_handling_seconds = int(ticket.get("cc_handling_seconds") or 0) + cumulative_seconds(
		history, counted_statuses(), now
	)
	ticket.cc_status_since = from_utc(now)


def handling_seconds(ticket) -> int:
	"""Total handling time now: the closed periods plus the current one when its status counts."""
	now = utc_now()
	since = to_utc(ticket.get("cc_status_since") or ticket.get("creation"))
	return int(ticket.get("cc_handling_seconds") or 0) + cumulative_seconds(
		[(ticket.status, since)], counted_statuses(), now
	)


def set_reaction_due(ticket, created_utc: datetime) -> None:
	policy = team_policy(ticket.get("agent_group"))
	if not policy or not policy.reaction_seconds:
		ticket.cc_reaction_due = None
		return
	calendar = calendar_for(policy.calendar_sla or ticket.get("sla"))
	ticket.cc_reaction_due = from_utc(reaction_due(created_utc, policy.reaction_seconds, calendar))
	ticket.cc_reaction_breached = 0


def react(ticket, action: str, at: datetime) -> bool:
	"""Record the first reaction on a ticket document (before it is saved); True when it counted."""
	if ticket.get("cc_reacted_at") or not ticket.get("cc_reaction_due"):
		return False
	policy = team_policy(ticket.get("agent_group"))
	if not policy or not is_reaction(action, policy.reaction_actions):
		return False
	ticket.cc_reacted_at = from_utc(at)
	ticket.cc_reaction_breached = 1 if at > to_utc(ticket.cc_reaction_due) else 0
	return True


def record_reaction(ticket_name: str, action: str, at: datetime | None = None) -> bool:
	"""A reaction that happened outside the ticket's own save (a reply, a note, a call)."""
	fields = ["name", "agent_group", "cc_reaction_due", "cc_reacted_at", "cc_reaction_breached"]
	row = frappe.db.get_value("HD Ticket", ticket_name, fields, as_dict=True)
	if not row or not react(row, action, at or utc_now()):
		return False
	frappe.db.set_value(
		"HD Ticket",
		ticket_name,
		{"cc_reacted_at": row.cc_reacted_at, "cc_reaction_breached": row.cc_reaction_breached},
		update_modified=False,
	)
	return True


def on_communication(doc, method=None) -> None:
	"""Communication ``after_insert``: an agent's reply (or forward) on a ticket is a reaction; a customer's
	message on a snoozed ticket wakes it (and tells its owner)."""
	if doc.reference_doctype != "HD Ticket" or not doc.reference_name:
		return
	if doc.sent_or_received == "Received":
		if frappe.db.get_value("HD Ticket", doc.reference_name, "cc_snoozed"):
			from callcenter_app.tickets.tasks import wake_on_reply

			wake_on_reply(doc.reference_name)
		return
	if doc.sent_or_received != "Sent":
		return
	raised_by = frappe.db.get_value("HD Ticket", doc.reference_name, "raised_by") or ""
	recipients = (doc.recipients or "").lower()
	forward = (
		doc.communication_medium != "SMS"  # an SMS reply goes to the customer's number, not raised_by
		and bool(raised_by)
		and sender_address(raised_by).lower() not in recipients
	)
	record_reaction(doc.reference_name, "forward" if forward else "reply")


def on_ticket_comment(doc, method=None) -> None:
	"""HD Ticket Comment ``after_insert``: an internal note is a reaction (when the team counts notes)."""
	if doc.get("reference_ticket") and is_agent_user(doc.get("commented_by") or doc.owner):
		record_reaction(doc.reference_ticket, "note")


def is_agent_user(user: str | None) -> bool:
	return bool(user) and bool(frappe.db.exists("HD Agent", {"user": user}))


# ---------------------------------------------------------------------------------------------------------
# Who sees which tickets: Agents their own and their teams'; Privileged Agents and supervisors all.


def restricted_agent(user: str) -> bool:
	"""An agent limited to their own and their teams' tickets."""
	if user == "Administrator" or not frappe.db.get_single_value("CC Settings", "agents_see_own_teams_only"):
		return False
	agent = has_role(roles.AGENT, user) or is_agent_user(user)
	return agent and not has_capability(roles.SEE_ALL_TICKETS, user)


def teams_of(user: str) -> list[str]:
	return frappe.get_all(
		"HD Team Member", filters={"parenttype": "HD Team", "user": user}, pluck="parent", distinct=True
	)


def ticket_query(user: str | None = None, doctype: str | None = None) -> str | None:
	"""``permission_query_conditions`` for HD Ticket."""
	user = user or frappe.session.user
	if not restricted_agent(user):
		return None
	escaped = frappe.db.escape(user)
	assigned = frappe.db.escape(f'%"{user}"%')
	conditions = [
		f"`tabHD Ticket`.`_assign` like {assigned}",
		f"`tabHD Ticket`.`owner` = {escaped}",
		f"`tabHD Ticket`.`raised_by` = {escaped}",
		# not sorted into a team yet: every agent may triage it
		"ifnull(`tabHD Ticket`.`agent_group`, '') = ''",
	]
	teams = teams_of(user)
	if teams:
		conditions.append(
			f"`tabHD Ticket`.`agent_group` in ({', '.join(frappe.db.escape(t) for t in teams)})"
		)
	return "(" + " or ".join(conditions) + ")"


VISIBILITY_FIELDS = ["owner", "raised_by", "agent_group", "_assign"]  # what decides who sees a ticket


def _may_see(user: str, row) -> bool:
	if user in (row.get("owner"), row.get("raised_by")) or user in assignees(row):
		return True
	return not row.get("agent_group") or row.get("agent_group") in teams_of(user)


def ticket_permission(doc, ptype=None, user=None, debug=False) -> bool | None:
	"""``has_permission`` for HD Ticket: deny a restricted agent a ticket of another team that is not theirs
	(tickets not yet sorted into a team stay visible to every agent); otherwise say nothing (Helpdesk
	decides). Both the stored ticket and the edited one must pass."""
	user = user or frappe.session.user
	if not restricted_agent(user) or doc.is_new():
		return None
	return None if all(_may_see(user, row) for row in stored_and_edited(doc, VISIBILITY_FIELDS)) else False


def may_read_ticket(ticket: str | None, user: str | None = None) -> bool:
	"""Whether ``user`` may read the ticket, by the stored row (for records that follow a ticket)."""
	user = user or frappe.session.user
	if not ticket:
		return True
	if not restricted_agent(user):
		return bool(frappe.has_permission("HD Ticket", "read", doc=ticket, user=user))
	row = frappe.db.get_value(
		"HD Ticket", ticket, ["owner", "raised_by", "agent_group", "_assign"], as_dict=True
	)
	return bool(row) and _may_see(user, row)


def ticket_comment_query(user: str | None = None, doctype: str | None = None) -> str | None:
	"""``permission_query_conditions`` for HD Ticket Comment: a restricted agent reads the comments of
	the tickets they may read (Helpdesk lets the Agent role read every comment)."""
	user = user or frappe.session.user
	tickets = ticket_query(user)
	if not tickets:
		return None
	return (
		"`tabHD Ticket Comment`.`reference_ticket` in "
		f"(select `tabHD Ticket`.`name` from `tabHD Ticket` where {tickets})"
	)


def ticket_comment_permission(doc, ptype=None, user=None, debug=False) -> bool | None:
	user = user or frappe.session.user
	if not restricted_agent(user):
		return None
	tickets = {row.get("reference_ticket") for row in stored_and_edited(doc, ["reference_ticket"])}
	return None if all(may_read_ticket(t, user) for t in tickets) else False


def assignees(doc) -> list[str]:
	try:
		return json.loads(doc.get("_assign") or "[]") or []
	except ValueError:
		return []


# ---------------------------------------------------------------------------------------------------------
# An agent who holds tickets cannot be deleted


def open_tickets_of(user: str) -> list[str]:
	return frappe.get_all(
		"ToDo",
		filters={
			"allocated_to": user,
			"reference_type": "HD Ticket",
			"status": "Open",
		},
		pluck="reference_name",
		distinct=True,
	)


def prevent_agent_deletion(doc, method=None) -> None:
	"""HD Agent / User ``on_trash``: refuse while the agent holds open tickets."""
	user = doc.get("user") if doc.doctype == "HD Agent" else doc.name
	held = [
		t
		for t in open_tickets_of(user)
		if not is_closed_status(frappe.db.get_value("HD Ticket", t, "status"))
	]
	if held:
		frappe.throw(
			_(
				"{0} still holds {1} open ticket(s) ({2}). Reassign or close them first; to keep the history, "
				"deactivate the agent (untick Is Active) instead of deleting."
			).format(user, len(held), ", ".join(held[:10]) + (" …" if len(held) > 10 else "")),
			title=_("Agent has open tickets"),
			exc=frappe.LinkExistsError,
		)


# ---------------------------------------------------------------------------------------------------------
# Incoming messages: the grouping window and replies to closed tickets (email here; SMS in tickets/sms/)


def recent_tickets(sender: str, since) -> list[RecentTicket]:
	"""The sender's tickets modified since ``since`` (and their latest), as the grouping rules see them."""
	address = sender_address(sender)
	rows = frappe.get_all(
		"HD Ticket",
		filters={"raised_by": ["like", f"%{address}%"], "cc_merged_into": ["is", "not set"]},
		fields=["name", "raised_by", "agent_group", "status", "modified"],
		order_by="modified desc",
		limit=20,
	)
	return [
		RecentTicket(r.name, r.raised_by, r.agent_group or "", to_utc(r.modified), is_closed_status(r.status))
		for r in rows
		if since is None or r.modified >= since or is_closed_status(r.status)
	]


def route_incoming(sender: str, team: str, new_ticket: str | None = None) -> tuple[str, str | None]:
	"""Where a message from ``sender`` for ``team`` goes: ("join", ticket) within the grouping window,
	("reopen", closed) / ("new_linked", closed) by the team's policy when the sender's latest ticket there is
	closed, else ("new", None). ``new_ticket`` (just created for this message) is not a candidate."""
	policy = team_policy(team)
	if not policy or not sender:
		return "new", None
	now = utc_now()
	candidates = [t for t in recent_tickets(sender, None) if t.id != new_ticket]
	message = Incoming(sender, team)
	target = join_target(message, candidates, policy.grouping_window_s, now)
	if target:
		return "join", target
	closed = closed_reply_target(message, candidates)
	if closed:
		return on_reply_to_closed(policy.closed_reply, closed)
	return "new", None


def on_incoming_communication(doc, method=None) -> None:
	"""Communication ``before_insert``: a customer's email on a ticket.

	- On a ticket created for this very email (Frappe's mail receiver creates it first): within the team's
	  grouping window the email joins the sender's open ticket instead, and the new one is closed as merged.
	- On a closed ticket whose team opens new tickets for replies: a new ticket linked to the closed one takes
	  the email. (Reopening is Helpdesk's own behaviour.)
	"""
	if doc.reference_doctype != "HD Ticket" or doc.sent_or_received != "Received" or not doc.reference_name:
		return
	if doc.communication_medium not in ("Email", None, ""):
		return
	ticket = frappe.db.get_value(
		"HD Ticket",
		doc.reference_name,
		["name", "status", "agent_group", "raised_by", "subject"],
		as_dict=True,
	)
	if not ticket or not ticket.agent_group:
		return
	fresh = doc.reference_name in (frappe.flags.cc_new_tickets or ())
	sender = doc.sender or ticket.raised_by
	if fresh:
		kind, target = route_incoming(sender, ticket.agent_group, new_ticket=ticket.name)
		if kind == "join":
			doc.reference_name = target
			mark_merged(ticket.name, target)
		return
	if is_closed_status(ticket.status) and team_policy(ticket.agent_group).closed_reply == "new_ticket":
		doc.reference_name = new_linked_ticket(ticket, sender, channel="Email")


def remember_new_ticket(ticket, method=None) -> None:
	"""HD Ticket ``after_insert``: tickets created in this request (an incoming email's own ticket)."""
	frappe.flags.cc_new_tickets = (frappe.flags.cc_new_tickets or set()) | {ticket.name}


def mark_merged(ticket: str, target: str) -> None:
	"""Close a ticket that was opened for a message which joined ``target`` instead."""
	closed = statuses_in("Resolved")
	status = "Closed" if "Closed" in closed else (closed[-1] if closed else "Closed")
	frappe.db.set_value("HD Ticket", ticket, {"cc_merged_into": target, "status": status})
	from callcenter_app.tickets.tasks import log_activity

	log_activity(ticket, _("merged into ticket {0} (same sender within the grouping window)").format(target))


def new_linked_ticket(closed, sender: str, channel: str) -> str:
	"""A new ticket continuing closed ticket ``closed`` (a dict with name, subject, agent_group)."""
	ticket = frappe.get_doc(
		{
			"doctype": "HD Ticket",
			"subject": closed.subject,
			"raised_by": sender,
			"agent_group": closed.agent_group,
			"cc_previous_ticket": closed.name,
			"cc_channel": channel,
		}
	)
	ticket.flags.ignore_mandatory = True
	ticket.insert(ignore_permissions=True)
	from callcenter_app.tickets.tasks import log_activity

	log_activity(ticket.name, _("continues closed ticket {0}").format(closed.name))
	return ticket.name
