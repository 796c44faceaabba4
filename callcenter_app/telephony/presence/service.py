"""Frappe glue for agent presence: log in / out, work modes, the status log, and Asterisk's queue members.

The truth is in Frappe: HD Agent's ``cc_logged_in`` / ``cc_work_mode`` (custom fields) and one CC Agent
Status Log row per period in a state. Asterisk's dynamic queue members follow it: right after the change
commits (one short AMI session), and again after every bridge (re)connect, so nothing drifts for long.
"""

from __future__ import annotations

import logging

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.actions import Membership, members_from_status, reconcile
from callcenter_app.telephony.presence.modes import AgentState, QueueSeat, WorkMode, desired_memberships
from callcenter_app.utils import throw_field_error

log = logging.getLogger("callcenter.presence")
SOURCES = ("Desk", "Supervisor", "Bridge", "System")
CAMPAIGN_SEAT_POSITION = 10_000  # a campaign operator's seat: level 0, after the queue's own members


def work_modes(enabled_only: bool = False) -> dict[str, WorkMode]:
	filters = {"enabled": 1} if enabled_only else {}
	return {
		m.name: WorkMode(m.name, bool(m.receives_calls), bool(m.receives_tickets))
		for m in frappe.get_all(
			"CC Work Mode", filters=filters, fields=["name", "receives_calls", "receives_tickets"]
		)
	}


def default_work_mode() -> str | None:
	return frappe.db.get_value("CC Work Mode", {"is_default": 1, "enabled": 1}, "name")


def agent_states(users: list[str] | None = None) -> list[AgentState]:
	filters = {"is_active": 1}
	if users is not None:
		filters["user"] = ["in", users or [""]]
	return [
		AgentState(a.user, bool(a.cc_logged_in), a.cc_work_mode)
		for a in frappe.get_all(
			"HD Agent", filters=filters, fields=["user", "cc_logged_in", "cc_work_mode"], order_by="user"
		)
	]


def agent_state(user: str) -> AgentState:
	states = agent_states([user])
	if not states:
		raise FieldError("agent", _("{0} is not an active helpdesk agent").format(user))
	return states[0]


def queue_seats(queues: list[str] | None = None) -> list[QueueSeat]:
	"""CC Call Queue Member rows; a row without a SIP account uses the agent's own enabled one."""
	filters = {"parenttype": "CC Call Queue"}
	if queues is not None:
		filters["parent"] = ["in", queues or [""]]
	rows = frappe.get_all(
		"CC Call Queue Member",
		filters=filters,
		fields=["parent", "agent", "sip_account", "level", "position"],
		order_by="parent, idx",
	)
	seated = {(r.parent, r.agent) for r in rows}
	rows += [
		frappe._dict(parent=queue, agent=user, sip_account=None, level=0, position=CAMPAIGN_SEAT_POSITION)
		for queue, user in campaign_seats(queues)
		if (queue, user) not in seated
	]
	own = {
		a.user: a.name
		for a in frappe.get_all(
			"CC SIP Account", filters={"enabled": 1, "user": ["is", "set"]}, fields=["name", "user"]
		)
	}
	names = dict(
		frappe.get_all(
			"User",
			filters={"name": ["in", [r.agent for r in rows] or [""]]},
			fields=["name", "full_name"],
			as_list=True,
		)
	)
	return [
		QueueSeat(
			queue=r.parent,
			user=r.agent or "",
			sip_account=r.sip_account or own.get(r.agent) or "",
			level=int(r.level or 0),
			position=int(r.position or 0),
			name=names.get(r.agent) or r.agent or "",
		)
		for r in rows
		if r.agent
	]


def campaign_seats(queues: list[str] | None = None, user: str | None = None) -> list[tuple[str, str]]:
	"""(queue, user) for each active operator of an Active campaign with a call queue: the campaign's calls
	(inbound, or answered by the progressive / predictive dialer) wait there for its operators, who join and
	leave campaigns from the operator console. A queue's own member row for the same user wins."""
	where = ["o.parenttype = 'CC Campaign'", "o.active = 1", "c.status = 'Active'", "c.call_queue != ''"]
	values = {}
	if queues is not None:
		where.append("c.call_queue in %(queues)s")
		values["queues"] = tuple(queues) or ("",)
	if user is not None:
		where.append("o.user = %(user)s")
		values["user"] = user
	rows = frappe.db.sql(
		"select distinct c.call_queue, o.user from `tabCC Campaign Operator` o "
		"join `tabCC Campaign` c on c.name = o.parent "
		f"where {' and '.join(where)} order by c.call_queue, o.user",
		values,
	)
	return [(queue, member) for queue, member in rows]


def on_campaign_update(doc, method=None) -> None:
	"""CC Campaign saved or deleted (operators, status, queue): the members of its queues follow after commit."""
	before = doc.get_doc_before_save() if method != "on_trash" else None
	queues = sorted({q for q in (doc.call_queue, before.call_queue if before else None) if q})
	if queues:
		frappe.db.after_commit.add(lambda: sync_queue_members_quietly(queues))


def desired_members(queues: list[str] | None = None) -> tuple[list[Membership], frozenset[str]]:
	"""The members Asterisk should have (the bridge's ``desired_members``), and the queues whose members
	must keep their position order (linear strategy)."""
	filters = {"name": ["in", queues or [""]]} if queues is not None else {}
	ordered = frozenset(
		frappe.get_all("CC Call Queue", filters={**filters, "strategy": "linear"}, pluck="name")
	)
	return desired_memberships(agent_states(), queue_seats(queues), work_modes()), ordered


def queues_of(user: str) -> list[str]:
	return sorted(
		set(
			frappe.get_all(
				"CC Call Queue Member", filters={"agent": user, "parenttype": "CC Call Queue"}, pluck="parent"
			)
		)
		| {queue for queue, _user in campaign_seats(user=user)}
	)


def set_presence(
	user: str, logged_in: bool, work_mode: str | None = None, source: str = "Desk", by: str | None = None
) -> dict:
	"""Log ``user`` in (in ``work_mode``, or the default mode) or out. Validates everything first, then
	closes the open status row, opens the new one and updates HD Agent; Asterisk follows after commit."""
	if source not in SOURCES:
		raise FieldError("source", f"{source!r} is not one of {', '.join(SOURCES)}")
	current = agent_state(user)
	modes = work_modes(enabled_only=True)
	if logged_in:
		if not work_mode:  # staying logged in keeps the mode; a fresh login starts in the default one
			work_mode = current.work_mode if current.logged_in else default_work_mode()
		if not work_mode:
			raise FieldError("work_mode", _("choose a work mode: no mode is marked as the mode on login"))
		if work_mode not in modes:
			raise FieldError("work_mode", _("{0} is not an enabled CC Work Mode").format(work_mode))
	else:
		work_mode = None
	if current.logged_in == logged_in and (current.work_mode or None) == work_mode:
		return state_dict(user)

	now = frappe.utils.now_datetime()
	queues = queues_of(user)
	close_open_status(user, now)
	mode = (
		frappe.db.get_value(
			"CC Work Mode", work_mode, ["receives_calls", "receives_tickets", "counts_as_work"], as_dict=True
		)
		if work_mode
		else None
	)
	frappe.get_doc(
		{
			"doctype": "CC Agent Status Log",
			"agent": user,
			"logged_in": 1 if logged_in else 0,
			"work_mode": work_mode,
			"receives_calls": mode.receives_calls if mode else 0,
			"receives_tickets": mode.receives_tickets if mode else 0,
			"counts_as_work": mode.counts_as_work if mode else 0,
			"started": now,
			"changed_by": by or frappe.session.user,
			"source": source,
			"queues": ", ".join(queues),
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value(
		"HD Agent",
		user,
		{"cc_logged_in": 1 if logged_in else 0, "cc_work_mode": work_mode, "cc_status_since": now},
		update_modified=False,
	)
	if queues:
		frappe.db.after_commit.add(lambda: sync_queue_members_quietly(queues, notify=user))
	if logged_in and mode and mode.receives_tickets:  # may take tickets now: the team queues are offered
		from callcenter_app.tickets.tasks import on_presence_change

		on_presence_change(user)
	state = state_dict(user)
	frappe.publish_realtime("callcenter:presence", state, user=user, after_commit=True)
	return state


def close_open_status(user: str, now) -> None:
	for row in frappe.get_all(
		"CC Agent Status Log", filters={"agent": user, "ended": ["is", "not set"]}, fields=["name", "started"]
	):
		seconds = max(0, int((now - row.started).total_seconds()))
		frappe.db.set_value(
			"CC Agent Status Log", row.name, {"ended": now, "duration_s": seconds}, update_modified=False
		)


def state_dict(user: str) -> dict:
	agent = (
		frappe.db.get_value(
			"HD Agent", user, ["cc_logged_in", "cc_work_mode", "cc_status_since"], as_dict=True
		)
		or {}
	)
	return {
		"agent": user,
		"logged_in": bool(agent.get("cc_logged_in")),
		"work_mode": agent.get("cc_work_mode"),
		"since": str(agent.get("cc_status_since") or ""),
		"queues": queues_of(user),
	}


# --- SIP accounts --------------------------------------------------------------------------------------


def agents_by_interface() -> dict[str, str]:
	"""``PJSIP/<account>`` → the user of that CC SIP Account (accounts with a user)."""
	return {
		f"PJSIP/{a.name}": a.user
		for a in frappe.get_all("CC SIP Account", filters={"user": ["is", "set"]}, fields=["name", "user"])
	}


def sip_account_of(user: str, what: str = "sip_account") -> str:
	"""The user's enabled CC SIP Account (their softphone); refused, naming ``what``, when they have none."""
	name = frappe.db.get_value("CC SIP Account", {"user": user, "enabled": 1}, "name")
	if not name:
		throw_field_error(FieldError(what, _("{0} has no enabled CC SIP Account (a softphone)").format(user)))
	return name


def dtmf_target(target: str) -> str:
	"""What an attended transfer dials: Asterisk's Atxfer sends it as key presses, so a colleague is
	reached by their extension, an outside number by its digits."""
	extension = frappe.db.get_value("CC SIP Account", {"name": target, "enabled": 1}, "extension")
	if extension:
		return extension
	if frappe.db.exists("CC SIP Account", target):
		throw_field_error(
			FieldError("target", _("{0} has no extension: set one on the CC SIP Account").format(target))
		)
	return target.lstrip("+")  # '+' is no key on a phone


# --- Asterisk -------------------------------------------------------------------------------------------


def sync_queue_members(queues: list[str] | None = None) -> dict:
	"""One AMI session: read the members of ``queues`` (all when None), send what makes them the
	logged-in agents. Returns counts; raises AmiError when Asterisk cannot be reached."""
	from callcenter_app.telephony.ami.oneshot import AmiSession
	from callcenter_app.telephony.ami.service import ami_config

	desired, ordered = desired_members(queues)
	with AmiSession(ami_config()) as ami:
		actual = []
		for queue in queues if queues is not None else [None]:
			status = ami.action_list("QueueStatus", {"Queue": queue} if queue else {})
			actual += members_from_status(status)
		actions = reconcile(desired, actual, ordered, reason="callcenter")
		for a in actions:
			ami.action(a.name, a.fields)
	return {"actions": len(actions), "members": len(desired)}


def sync_queue_members_quietly(queues: list[str], notify: str | None = None) -> None:
	"""After a desk change commits: Asterisk unreachable or the PBX off is not the agent's problem to
	solve in that request (the bridge reconciles on its next connect); it is logged and told."""
	if not frappe.db.get_single_value("CC Settings", "pbx_enabled"):
		return
	try:
		sync_queue_members(queues)
	except Exception as e:
		log.warning("queue members of %s not synced now (%s); the AMI bridge will on reconnect", queues, e)
		if notify:
			frappe.publish_realtime(
				"callcenter:notice",
				{"message": _("Your phone queues will follow when the PBX is reachable again.")},
				user=notify,
			)


def on_queue_update(doc, method=None) -> None:
	"""CC Call Queue saved: its logged-in members follow (level, position, who) after commit."""
	queue = doc.name
	frappe.db.after_commit.add(lambda: sync_queue_members_quietly([queue]))
