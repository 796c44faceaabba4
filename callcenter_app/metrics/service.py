"""Frappe glue for the metrics: the QoS parameters of call queues (CC Settings and each queue), and what the
reports share: who may see whose rows, HD Team members, status periods and tickets read into pure facts."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.common.roles import SUPERVISE_TEAMS, may
from callcenter_app.metrics.agents import TicketFact, assignees
from callcenter_app.metrics.qos import QosParams, queue_params
from callcenter_app.metrics.scope import agents_to_show, scope_of
from callcenter_app.metrics.worktime import StatusPeriod
from callcenter_app.utils import call_center_timezone, roles_of, throw_field_errors

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
		throw_field_errors(QUEUE, [error], title=_("Invalid QoS parameters"), record=name)
	return out


# --- the wallboard (metrics/wallboard.py) ------------------------------------------------------------------

WALLBOARD = "CC Wallboard Settings"  # who may read it sees the wallboard and joins its realtime room
WALLBOARD_EVENT = "callcenter:wallboard"
WALLBOARD_KEY = "callcenter:wallboard"  # the last snapshot published (Redis), for the page's first view
WALLBOARD_ALIVE_KEY = "callcenter:wallboard_alive"  # set while a process feeds the wallboard
WALLBOARD_ALIVE_S = 10
_pump = None  # this process's Pump (the AMI bridge's, or a script's): started by the first feed
_pump_lock = threading.Lock()


def wallboard_room() -> str:
	from frappe.realtime import get_doctype_room

	return get_doctype_room(WALLBOARD)


def feed_wallboard(events: list[dict]) -> None:
	"""Fold wallboard events (queue joins and leaves, members busy and free, finished calls) into this
	process's aggregator; its thread publishes at most once a second to the wallboard's room. The bridge's
	notify and call-log writer call this."""
	if events:
		wallboard_pump().fold(events)


def wallboard_pump():
	"""The process's Pump, started on first use with its own connection to the current site."""
	global _pump
	with _pump_lock:
		if _pump is None:
			_pump = _make_pump(frappe.local.site, frappe.local.sites_path)
			_pump.start()
		return _pump


def stop_wallboard_pump() -> None:
	global _pump
	with _pump_lock:
		pump, _pump = _pump, None
	if pump is not None:
		pump.stop()


def _make_pump(site: str, sites_path: str):
	import logging

	from callcenter_app.metrics.wallboard import Pump, Wallboard

	log = logging.getLogger("callcenter.wallboard")
	board = Wallboard(_cached_params(), str(_zone()))

	first = [True]

	def setup():  # the pump's thread: a connection of its own
		frappe.init(site=site, sites_path=sites_path)
		frappe.connect()

	def refresh():
		frappe.db.rollback()  # a fresh snapshot of the database each time
		frappe.cache().set_value(WALLBOARD_ALIVE_KEY, 1, expires_in_sec=WALLBOARD_ALIVE_S)
		events = database_events()
		if first[0]:  # today's calls so far, once; the writer feeds the later ones
			events += today_call_events()
			first[0] = False
		return events

	def publish(snapshot: dict) -> None:
		frappe.cache().set_value(WALLBOARD_KEY, snapshot, expires_in_sec=86400)
		frappe.publish_realtime(WALLBOARD_EVENT, snapshot, room=wallboard_room())

	return Pump(
		board,
		publish,
		interval=1.0,
		refresh=refresh,
		refresh_every=2.0,
		setup=setup,
		teardown=frappe.destroy,
		on_error=lambda e: log.warning("wallboard: %s: %s", type(e).__name__, e),
	)


def _zone():
	from zoneinfo import ZoneInfo

	from callcenter_app.utils import call_center_timezone

	return ZoneInfo(call_center_timezone())


def _cached_params():
	"""``params_for(queue)`` for the aggregator: each queue's QoS parameters, read once per queue (a
	queue whose fields are refused gets the defaults: the wallboard must not stop over one queue)."""
	cache: dict[str, QosParams] = {}
	defaults = None

	def params_for(queue: str) -> QosParams:
		nonlocal defaults
		if queue not in cache:
			try:
				cache[queue] = params_for_queues([queue])[queue]
			except frappe.ValidationError:
				if defaults is None:
					defaults = QosParams(20, 60, 0.5)
				cache[queue] = defaults
		return cache[queue]

	return params_for


def database_events() -> list[dict]:
	"""The wallboard's view of the database: call queues, active agents with their state and phones,
	active campaigns with their progress (contacts Completed or Closed of all)."""
	modes = {
		m.name: bool(m.receives_calls)
		for m in frappe.get_all("CC Work Mode", fields=["name", "receives_calls"])
	}
	phones: dict[str, list[str]] = {}
	for a in frappe.get_all(
		"CC SIP Account", filters={"user": ["is", "set"], "enabled": 1}, fields=["name", "user"]
	):
		phones.setdefault(a.user, []).append(f"PJSIP/{a.name}")
	agents = [
		{
			"user": a.user,
			"name": a.agent_name or a.user,
			"logged_in": bool(a.cc_logged_in),
			"mode": a.cc_work_mode,
			"receives_calls": bool(a.cc_logged_in and modes.get(a.cc_work_mode or "")),
			"interfaces": phones.get(a.user, []),
		}
		for a in frappe.get_all(
			"HD Agent",
			filters={"is_active": 1},
			fields=["user", "agent_name", "cc_logged_in", "cc_work_mode"],
			order_by="user",
		)
	]
	campaigns = []
	active = frappe.get_all("CC Campaign", filters={"status": "Active"}, fields=["name", "campaign_name"])
	if active:
		counts: dict[str, dict[str, int]] = {}
		for row in frappe.get_all(
			"CC Campaign Contact",
			filters={"campaign": ["in", [c.name for c in active]]},
			fields=["campaign", "status", "count(*) as n"],
			group_by="campaign, status",
		):
			counts.setdefault(row.campaign, {})[row.status] = row.n
		for c in active:
			by_status = counts.get(c.name, {})
			campaigns.append(
				{
					"name": c.campaign_name or c.name,
					"total": sum(by_status.values()),
					"done": by_status.get("Completed", 0) + by_status.get("Closed", 0),
					"dialing": by_status.get("Dialing", 0),
				}
			)
	return [
		{"kind": "queues", "names": frappe.get_all("CC Call Queue", pluck="name")},
		{"kind": "agents", "agents": agents},
		{"kind": "campaigns", "campaigns": campaigns},
	]


def today_call_events() -> list[dict]:
	"""Today's inbound queue calls (the call center's day) as ``call`` events, for a pump that starts."""
	import datetime as dt
	from zoneinfo import ZoneInfo

	from frappe.utils import get_system_timezone

	zone, system = _zone(), ZoneInfo(get_system_timezone())
	midnight = dt.datetime.combine(dt.datetime.now(zone).date(), dt.time(), zone)
	rows = frappe.get_all(
		"CC Call Log",
		filters={
			"direction": "inbound",
			"start": [">=", midnight.astimezone(system).replace(tzinfo=None)],
			"queue": ["is", "set"],
		},
		fields=["name", "start", "queue", "status", "queue_result", "wait_s"],
	)
	return [
		{
			"kind": "call",
			"linkedid": r.name,
			"direction": "inbound",
			"queue": r.queue,
			"status": r.status,
			"queue_result": r.queue_result,
			"wait_s": r.wait_s,
			"start": r.start.replace(tzinfo=system).timestamp(),
		}
		for r in rows
	]


def call_events(records: list[dict]) -> list[dict]:
	"""The bridge's call records (CallRecord.as_dict) as wallboard ``call`` events."""
	keys = ("linkedid", "direction", "queue", "status", "queue_result", "wait_s", "start")
	return [{"kind": "call", **{k: r.get(k) for k in keys}} for r in records if r.get("start") is not None]


def wallboard_snapshot() -> dict:
	"""What the page shows first: the last snapshot a live feed published, else one made from the
	database alone (no queue state: nothing feeds it). ``live`` says which; ``thresholds`` the alerts."""
	from callcenter_app.metrics.wallboard import Wallboard

	live = bool(frappe.cache().get_value(WALLBOARD_ALIVE_KEY, expires=True))
	snapshot = frappe.cache().get_value(WALLBOARD_KEY, expires=True) if live else None
	if snapshot is None:
		board = Wallboard(_cached_params(), str(_zone()))
		board.fold_all(database_events())
		board.fold_all(today_call_events())
		snapshot = board.snapshot(time.time())
	settings = frappe.get_cached_doc(WALLBOARD)
	return {
		**snapshot,
		"live": live,
		"thresholds": {
			"wait_alert_s": int(settings.wait_alert_s or 0),
			"abandon_alert_pct": float(settings.abandon_alert_pct or 0),
			"qos_alert_pct": float(settings.qos_alert_pct or 0),
		},
	}


# --- the workspace's charts (metrics/dashboard.py) ------------------------------------------------------


def calls_between(first, last) -> list[dict]:
	"""CC Call Logs that started on the call center's days ``first``..``last``, ``start`` in its zone."""
	from frappe.utils import get_system_timezone

	from callcenter_app.metrics.queue_qos import Filters, bounds, to_local
	from callcenter_app.utils import call_center_timezone

	system, local = get_system_timezone(), call_center_timezone()
	since, until = bounds(Filters(first, last, "day"), system, local)
	rows = frappe.get_all(
		"CC Call Log",
		filters=[["start", ">=", since], ["start", "<", until]],
		fields=["start", "direction", "queue", "status", "queue_result", "wait_s"],
		limit_page_length=0,
	)
	for row in rows:
		row["start"] = to_local(row["start"], system, local)
	return rows


def local_today():
	import datetime as dt

	return dt.datetime.now(_zone()).date()


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
	roles = frozenset(roles_of(user))
	teams_members = team_members(supervised_teams(user)) if may(roles, SUPERVISE_TEAMS) else set()
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
