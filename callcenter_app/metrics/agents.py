"""Agent Performance and SLA reports (pure): per agent calls, talk, pause by work mode, tickets and
reaction; per team and agent reaction and resolution breaches and cumulative handling time.

Sources and what they do not record:

- calls: CC Call Log rows with the agent — taken: inbound, answered; made: outbound, any status; talk:
  their ``talk_s``;
- time: CC Agent Status Log through :func:`callcenter_app.metrics.worktime.work_time` — logged in, and
  pause (logged in, in a work mode that receives no calls) per work mode;
- tickets: HD Ticket assigned to the agent (``_assign``) and created in the range — handled, resolved
  (status Resolved or Closed), reaction time (first reaction ``cc_reacted_at`` − creation, elapsed
  seconds; median), reaction breaches (``cc_reaction_breached``), resolution breaches (Helpdesk's
  ``resolution_by`` passed before ``resolution_date``, or before now while unresolved) and cumulative
  handling time (``cc_handling_seconds``, the counted statuses' time);
- hold and wrap-up: nothing records them per call today (the AMI bridge keeps no hold events; a queue's
  wrap-up is a setting, not a measurement), so the reports show no such columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from callcenter_app.metrics.worktime import AgentDay

RESOLVED = frozenset({"Resolved", "Closed"})


def median(values: Iterable[float]) -> float | None:
	"""The median (mean of the two middle values for an even count); None for none."""
	ordered = sorted(values)
	n = len(ordered)
	if not n:
		return None
	mid = n // 2
	return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class CallTally:
	"""Calls of one agent, one direction, answered or not, summed (the report's query groups them)."""

	agent: str
	direction: str  # inbound / outbound
	answered: bool
	calls: int
	talk_s: float


@dataclass(frozen=True)
class TicketFact:
	"""One HD Ticket as the reports see it; datetimes naive in one zone (the system's)."""

	name: str
	team: str
	agents: tuple[str, ...]  # assigned (``_assign``); empty: nobody
	created: dt.datetime
	status: str = "Open"
	reacted_at: dt.datetime | None = None
	reaction_breached: bool = False
	resolution_by: dt.datetime | None = None
	resolved_at: dt.datetime | None = None
	handling_s: float = 0.0

	def reaction_s(self) -> float | None:
		if self.reacted_at is None:
			return None
		return max(0.0, (self.reacted_at - self.created).total_seconds())

	def resolution_breached(self, now: dt.datetime) -> bool:
		"""Past Helpdesk's resolution due time: resolved after it, or still unresolved after it."""
		if self.resolution_by is None:
			return False
		return (self.resolved_at or now) > self.resolution_by


def assignees(assign_json_list) -> tuple[str, ...]:
	"""The users of a parsed ``_assign`` value (a list of user ids; anything else: nobody)."""
	if not isinstance(assign_json_list, list):
		return ()
	return tuple(sorted({a for a in assign_json_list if isinstance(a, str) and a}))


@dataclass
class _Tickets:
	handled: int = 0
	resolved: int = 0
	reaction: list[float] = field(default_factory=list)
	reaction_breaches: int = 0
	resolution_breaches: int = 0
	handling_s: float = 0.0

	def add(self, t: TicketFact, now: dt.datetime) -> None:
		self.handled += 1
		self.resolved += t.status in RESOLVED
		r = t.reaction_s()
		if r is not None:
			self.reaction.append(r)
		self.reaction_breaches += bool(t.reaction_breached)
		self.resolution_breaches += t.resolution_breached(now)
		self.handling_s += t.handling_s


AGENT_KEYS = (
	"agent",
	"calls_taken",
	"calls_made",
	"talk_time",
	"average_talk",
	"logged_in",
	"pause_time",
	"tickets_handled",
	"tickets_resolved",
	"median_reaction",
	"reaction_breaches",
)


def agent_rows(
	agents: Iterable[str],
	calls: Iterable[CallTally],
	days: Mapping[tuple[str, dt.date], AgentDay],
	tickets: Iterable[TicketFact],
	now: dt.datetime,
	pause_modes: Iterable[str] = (),
) -> list[dict]:
	"""One row per agent (sorted): keys :data:`AGENT_KEYS` plus ``pause:<mode>`` for each of
	``pause_modes`` (seconds in that mode while it took no calls). Times in whole seconds."""
	agents = sorted(set(agents))
	wanted = set(agents)
	taken: dict[str, int] = {}
	made: dict[str, int] = {}
	talk: dict[str, float] = {}
	talk_calls: dict[str, int] = {}
	for c in calls:
		if c.agent not in wanted:
			continue
		if c.direction == "inbound" and c.answered:
			taken[c.agent] = taken.get(c.agent, 0) + c.calls
		elif c.direction == "outbound":
			made[c.agent] = made.get(c.agent, 0) + c.calls
		else:
			continue
		if c.answered:
			talk[c.agent] = talk.get(c.agent, 0.0) + c.talk_s
			talk_calls[c.agent] = talk_calls.get(c.agent, 0) + c.calls
	logged: dict[str, float] = {}
	pause: dict[str, float] = {}
	pause_by_mode: dict[tuple[str, str], float] = {}
	for (agent, _day), d in days.items():
		logged[agent] = logged.get(agent, 0.0) + d.logged_in_s
		pause[agent] = pause.get(agent, 0.0) + d.pause_s
		for mode, seconds in d.pause_modes.items():
			pause_by_mode[agent, mode] = pause_by_mode.get((agent, mode), 0.0) + seconds
	per_agent: dict[str, _Tickets] = {}
	for t in tickets:
		for a in t.agents:
			if a in wanted:
				per_agent.setdefault(a, _Tickets()).add(t, now)
	modes = list(pause_modes)
	rows = []
	for a in agents:
		tk = per_agent.get(a) or _Tickets()
		react = median(tk.reaction)
		row = {
			"agent": a,
			"calls_taken": taken.get(a, 0),
			"calls_made": made.get(a, 0),
			"talk_time": round(talk.get(a, 0.0)),
			"average_talk": round(talk[a] / talk_calls[a], 1) if talk_calls.get(a) else None,
			"logged_in": round(logged.get(a, 0.0)),
			"pause_time": round(pause.get(a, 0.0)),
			"tickets_handled": tk.handled,
			"tickets_resolved": tk.resolved,
			"median_reaction": None if react is None else round(react),
			"reaction_breaches": tk.reaction_breaches,
		}
		for mode in modes:
			row[f"pause:{mode}"] = round(pause_by_mode.get((a, mode), 0.0))
		rows.append(row)
	return rows


SLA_KEYS = (
	"team",
	"agent",
	"tickets",
	"resolved",
	"reaction_breaches",
	"reaction_breach_rate",
	"resolution_breaches",
	"resolution_breach_rate",
	"median_reaction",
	"handling_time",
	"average_handling",
)


def _sla_row(team: str, agent: str, tk: _Tickets) -> dict:
	react = median(tk.reaction)
	return {
		"team": team,
		"agent": agent,
		"tickets": tk.handled,
		"resolved": tk.resolved,
		"reaction_breaches": tk.reaction_breaches,
		"reaction_breach_rate": round(100.0 * tk.reaction_breaches / tk.handled, 2) if tk.handled else None,
		"resolution_breaches": tk.resolution_breaches,
		"resolution_breach_rate": round(100.0 * tk.resolution_breaches / tk.handled, 2)
		if tk.handled
		else None,
		"median_reaction": None if react is None else round(react),
		"handling_time": round(tk.handling_s),
		"average_handling": round(tk.handling_s / tk.handled) if tk.handled else None,
	}


def sla_rows(
	tickets: Iterable[TicketFact], now: dt.datetime, agents: frozenset[str] | None = None
) -> list[dict]:
	"""Per team: a team row (``agent`` empty, each ticket once, ``indent`` 0) followed by one row per
	assigned agent (a ticket with two agents counts for both; ``indent`` 1); tickets nobody holds are
	under agent ``""`` too, only in the team row. ``agents``: only these agents' rows and their tickets
	(None: everyone). Teams sorted, "" (no team) last; a total row (``team`` "Total") at the end."""
	teams: dict[str, _Tickets] = {}
	by_agent: dict[tuple[str, str], _Tickets] = {}
	total = _Tickets()
	for t in tickets:
		mine = t.agents if agents is None else tuple(a for a in t.agents if a in agents)
		if agents is not None and not mine:
			continue
		teams.setdefault(t.team, _Tickets()).add(t, now)
		total.add(t, now)
		for a in mine:
			by_agent.setdefault((t.team, a), _Tickets()).add(t, now)
	rows = []
	for team in sorted(teams, key=lambda name: (name == "", name)):
		rows.append({**_sla_row(team, "", teams[team]), "indent": 0})
		for (t, a), tk in sorted(by_agent.items()):
			if t == team:
				rows.append({**_sla_row(team, a, tk), "indent": 1})
	if rows:
		rows.append({**_sla_row("Total", "", total), "indent": 0, "is_total": 1})
	return rows
