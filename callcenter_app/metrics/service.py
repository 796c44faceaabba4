"""Frappe glue for the metrics: the QoS parameters of call queues (CC Settings and each queue), and what the
reports share: who may see whose rows, HD Team members, status periods and tickets read into pure facts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.agents import TicketFact, assignees
from callcenter_app.metrics.qos import QosParams, queue_params
from callcenter_app.metrics.scope import SUPERVISORS, agents_to_show, scope_of
from callcenter_app.metrics.worktime import StatusPeriod
from callcenter_app.telephony.service import call_center_timezone
from callcenter_app.utils import field_label

QUEUE = "CC Call Queue"
QOS_FIELDS = ("qos_reference_wait", "qos_limit_wait", "qos_early_factor")


def default_params() -> QosParams:
	"""The call center's QoS defaults (CC Settings), used by queues that leave a wait time at 0."""
	settings = frappe.get_cached_doc("CC Settings")
	try:
		return QosParams(
			reference_wait_s=float(settings.qos_reference_wait or 0),
			limit_wait_s=float(settings.qos_limit_wait or 0),
			early_factor=float(settings.qos_early_factor or 0),
		)
	except ValueError as e:
		reason = str(e)
	frappe.throw(
		_("The QoS defaults in CC Settings are not valid ({0}); correct them first").format(reason),
		frappe.ValidationError,
		title=_("Invalid QoS defaults"),
	)


def params_for_queues(names: Iterable[str]) -> dict[str, QosParams]:
	"""Each named queue's QoS parameters; a name that is not a CC Call Queue (a queue defined only in
	Asterisk, or deleted since) gets the defaults. A queue whose fields no longer make sense with the
	current defaults is refused, naming the queue and the field."""
	defaults = default_params()
	names = sorted({n for n in names if n})
	out = dict.fromkeys(names, defaults)
	if not names:
		return out
	refused: tuple[str, FieldError] | None = None
	for queue in frappe.get_all(QUEUE, filters={"name": ["in", names]}, fields=["name", *QOS_FIELDS]):
		try:
			out[queue.name] = queue_params(
				queue.qos_reference_wait, queue.qos_limit_wait, queue.qos_early_factor, defaults
			)
		except FieldError as e:
			refused = (queue.name, e)
			break
	if refused:
		name, error = refused
		frappe.throw(
			_("Call queue {0}: {1}: {2}").format(name, field_label(QUEUE, error.field), error.reason),
			frappe.ValidationError,
			title=_("Invalid QoS parameters"),
		)
	return out


# --- shared by the Script Reports (report/queue_performance, agent_performance, sla, campaign_results,
# work_time) ---


def refuse_filter(error: FieldError, labels: dict[str, str]) -> None:
	"""A bad filter, refused naming its label and the reason."""
	frappe.throw(
		_("{0}: {1}").format(_(labels.get(error.field, error.field)), error.reason),
		frappe.ValidationError,
		title=_("Invalid filters"),
	)


def team_members(teams: Iterable[str]) -> set[str]:
	"""The users of the HD Teams named (HD Team Member rows)."""
	teams = [t for t in teams if t]
	if not teams:
		return set()
	return set(
		frappe.get_all(
			"HD Team Member", filters={"parenttype": "HD Team", "parent": ["in", teams]}, pluck="user"
		)
	)


def supervised_teams(user: str) -> list[str]:
	"""The HD Teams ``user`` is a member or the team lead of."""
	member = frappe.get_all(
		"HD Team Member", filters={"parenttype": "HD Team", "user": user}, pluck="parent", distinct=True
	)
	lead = frappe.get_all("HD Team", filters={"cc_team_lead": user}, pluck="name")
	return sorted(set(member) | set(lead))


def agent_scope(user: str | None = None) -> frozenset[str] | None:
	"""Whose rows ``user`` may see in the agent reports: None for everyone (Administrator, System Manager,
	Call Center Manager); a supervisor the members of their teams and themselves; anyone else themselves."""
	user = user or frappe.session.user
	roles = frozenset(frappe.get_roles(user))
	teams_members = team_members(supervised_teams(user)) if SUPERVISORS & roles else set()
	return scope_of(user, roles, teams_members)


def range_bounds(from_date, to_date) -> tuple:
	"""The local days' range as naive system-zone datetimes [first, after), and the two zone names."""
	system_tz, local_tz = frappe.utils.get_system_timezone(), call_center_timezone()
	local, system = ZoneInfo(local_tz), ZoneInfo(system_tz)

	def at(day):
		return dt.datetime.combine(day, dt.time(), local).astimezone(system).replace(tzinfo=None)

	return at(from_date), at(to_date + dt.timedelta(days=1)), system_tz, local_tz


def read_status_periods(agents, first, after) -> list[StatusPeriod]:
	"""CC Agent Status Log rows of ``agents`` (None: everyone) that overlap [first, after)."""
	log = frappe.qb.DocType("CC Agent Status Log")
	query = (
		frappe.qb.from_(log)
		.select(
			log.agent,
			log.started,
			log.ended,
			log.logged_in,
			log.work_mode,
			log.receives_calls,
			log.counts_as_work,
		)
		.where(log.started < after)
		.where(log.ended.isnull() | (log.ended > first))
		.orderby(log.agent)
		.orderby(log.started)
	)
	if agents is not None:
		if not agents:
			return []
		query = query.where(log.agent.isin(sorted(agents)))
	return [
		StatusPeriod(
			r.agent,
			r.started,
			r.ended,
			bool(r.logged_in),
			r.work_mode or "",
			bool(r.receives_calls),
			bool(r.counts_as_work),
		)
		for r in query.run(as_dict=True)
	]


def read_tickets(first, after, team: str = "") -> list[TicketFact]:
	"""HD Tickets created in [first, after) (of ``team`` when given), with their assignees."""
	filters = {"creation": ["between", [first, after]]}
	if team:
		filters["agent_group"] = team
	rows = frappe.get_all(
		"HD Ticket",
		filters=filters,
		fields=[
			"name",
			"agent_group",
			"_assign",
			"creation",
			"status",
			"cc_reacted_at",
			"cc_reaction_breached",
			"resolution_by",
			"resolution_date",
			"cc_handling_seconds",
		],
		order_by="creation",
	)
	out = []
	for r in rows:
		if r.creation >= after:  # "between" includes its end
			continue
		try:
			assigned = json.loads(r._assign) if r._assign else []
		except ValueError:
			assigned = []
		out.append(
			TicketFact(
				str(r.name),
				r.agent_group or "",
				assignees(assigned),
				r.creation,
				r.status or "",
				r.cc_reacted_at,
				bool(r.cc_reaction_breached),
				r.resolution_by,
				r.resolution_date,
				float(r.cc_handling_seconds or 0),
			)
		)
	return out


def agents_for_report(values) -> frozenset[str] | None:
	"""The agents a report may show for the session user and its ``team``/``agent`` filters (None:
	everyone); an agent filter outside the user's scope is refused by name."""
	members = team_members([values.team]) if values.team else None
	try:
		return agents_to_show(agent_scope(), values.agent, members)
	except FieldError as e:
		frappe.throw(
			_("{0}: {1}").format(_("Agent"), e.reason), frappe.PermissionError, title=_("Not permitted")
		)
