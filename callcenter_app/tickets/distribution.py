"""Automatic ticket distribution (ACD for tickets) and manual pulling. Pure.

Each team distributes either **automatically** or **manually**.

Automatic: queued tickets are taken heaviest source weight first, then oldest (then by id, so the order is
total). Each goes to an agent who is *available* (logged in and in a work mode that receives tickets), has a
seat in the ticket's team and holds fewer tickets there than the seat's **buffer**. Among those the agent
with the lowest load in that team (held / buffer) wins, then the one assigned least recently (any team;
never assigned counts as longest ago), then the lowest agent id. A ticket's preferred agent gets it when
that agent is eligible; otherwise the ticket goes the normal way (it never waits for them). A team with no
capacity left keeps its remaining tickets queued, so within a team the assigned tickets are always a
prefix of the queue order.

Manual: agents pull tickets themselves (:func:`pullable`, :func:`pull`), within the same buffers.

Cost: one heap of agents per team, keyed (load, recency, id). An assignment changes the agent's recency in
all their teams; their entries in the other heaps are refreshed lazily when they reach the top (keys only
grow, so a stale entry is never below its true place). For T tickets and A agents with S seats each that
is O((T·S + A·S) · log A) at worst, against O(T·A) for a scan of all agents per ticket.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from callcenter_app.common.errors import FieldError

AUTOMATIC = "automatic"
MANUAL = "manual"
MODES = (AUTOMATIC, MANUAL)


@dataclass(frozen=True)
class Ticket:
	"""A queued (unassigned) ticket. ``weight`` is its source's weight."""

	id: str
	team: str
	weight: int
	created_at: datetime
	preferred_agent: str | None = None


@dataclass(frozen=True)
class Seat:
	"""An agent's place in a team: at most ``buffer`` tickets held there; ``held`` now."""

	team: str
	buffer: int
	held: int = 0


@dataclass(frozen=True)
class Agent:
	id: str
	seats: tuple[Seat, ...]
	available: bool = True  # logged in and in a work mode that receives tickets
	last_assigned_at: datetime | None = None

	def seat(self, team: str) -> Seat | None:
		for seat in self.seats:
			if seat.team == team:
				return seat
		return None


@dataclass(frozen=True)
class Assignment:
	ticket: str
	agent: str


def queue_order(tickets: Iterable[Ticket]) -> list[Ticket]:
	"""Heaviest weight first, then oldest, then by id."""
	return sorted(tickets, key=_order)


def _order(ticket: Ticket):
	return (-ticket.weight, ticket.created_at, ticket.id)


# --- checks -------------------------------------------------------------------------------------------


def check_modes(teams: Mapping[str, str]) -> dict[str, str]:
	"""Team → mode, with the mode normalised (``"Automatic"`` → ``"automatic"``)."""
	modes: dict[str, str] = {}
	for team, mode in teams.items():
		normal = str(mode or "").strip().lower()
		if normal not in MODES:
			raise FieldError("mode", f"team {team!r}: must be 'automatic' or 'manual', not {mode!r}")
		modes[team] = normal
	return modes


def _once(ids: Iterable[str], field: str, what: str) -> None:
	seen: set[str] = set()
	for key in ids:
		if key in seen:
			raise FieldError(field, f"{field} {key!r} {what}")
		seen.add(key)


def check_agents(agents: Sequence[Agent]) -> None:
	_once((a.id for a in agents), "agent", "is listed twice")
	for agent in agents:
		teams: set[str] = set()
		for seat in agent.seats:
			if seat.team in teams:
				raise FieldError("team", f"agent {agent.id!r} has two seats in team {seat.team!r}")
			teams.add(seat.team)
			for name in ("buffer", "held"):
				value = getattr(seat, name)
				if isinstance(value, bool) or not isinstance(value, int) or value < 0:
					raise FieldError(
						name,
						f"agent {agent.id!r}, team {seat.team!r}: must be a whole number ≥ 0, not {value!r}",
					)


def _check_tickets(tickets: Sequence[Ticket]) -> None:
	_once((t.id for t in tickets), "ticket", "is queued twice")


# --- automatic -------------------------------------------------------------------------------------------


def distribute(
	tickets: Iterable[Ticket], agents: Iterable[Agent], teams: Mapping[str, str]
) -> list[Assignment]:
	"""Assign the queued tickets of automatic teams, in queue order (see the module docstring).

	``teams`` maps team → "automatic" | "manual"; tickets of a team missing from it are left alone.
	"""
	modes = check_modes(teams)
	agent_list = list(agents)
	check_agents(agent_list)
	queue = list(tickets)
	_check_tickets(queue)
	queue = sorted((t for t in queue if modes.get(t.team) == AUTOMATIC), key=_order)
	wanted = {t.team for t in queue}

	index = {agent.id: i for i, agent in enumerate(agent_list)}
	recency: list[tuple[int, float]] = [
		(0, a.last_assigned_at.timestamp() if a.last_assigned_at else float("-inf")) for a in agent_list
	]
	version = [0] * len(agent_list)
	load: dict[tuple[int, str], list[int]] = {}  # (agent, team) → [held, buffer], available agents only
	heaps: dict[str, list] = {team: [] for team in wanted}
	for i, agent in enumerate(agent_list):
		if not agent.available:
			continue
		for seat in agent.seats:
			if seat.team in wanted:
				load[i, seat.team] = [seat.held, seat.buffer]
				if seat.held < seat.buffer:
					heaps[seat.team].append((seat.held / seat.buffer, *recency[i], agent.id, 0, i))
	for heap in heaps.values():
		heapq.heapify(heap)

	def entry(i: int, team: str):
		held, buffer = load[i, team]
		return (held / buffer, *recency[i], agent_list[i].id, version[i], i)

	out: list[Assignment] = []
	sequence = 0
	for ticket in queue:
		team = ticket.team
		heap = heaps[team]
		chosen = None
		if ticket.preferred_agent is not None:
			j = index.get(ticket.preferred_agent)
			seat = load.get((j, team)) if j is not None else None
			if seat is not None and seat[0] < seat[1]:
				chosen = j  # its entry in this heap goes stale and is refreshed when it reaches the top
		popped = False
		if chosen is None:
			while heap:
				top = heap[0]
				j = top[-1]
				if top[-2] == version[j]:
					chosen, popped = j, True
					break
				held, buffer = load[j, team]
				if held < buffer:
					heapq.heapreplace(heap, entry(j, team))
				else:
					heapq.heappop(heap)
			if chosen is None:
				continue  # no capacity left in this team; it will not come back in this run
		seat = load[chosen, team]
		seat[0] += 1
		sequence += 1
		recency[chosen] = (1, sequence)
		version[chosen] += 1
		if popped:
			if seat[0] < seat[1]:
				heapq.heapreplace(heap, entry(chosen, team))
			else:
				heapq.heappop(heap)
		out.append(Assignment(ticket.id, agent_list[chosen].id))
	return out


# --- manual ----------------------------------------------------------------------------------------------


def pull_problem(team: str, agent: Agent, teams: Mapping[str, str]) -> FieldError | None:
	"""Why ``agent`` may not pull a ticket from ``team`` now, or None."""
	mode = check_modes({team: teams[team]})[team] if team in teams else None
	if mode is None:
		return FieldError("team", f"team {team!r} has no distribution mode set")
	if mode != MANUAL:
		return FieldError("team", f"team {team!r} distributes tickets automatically; they cannot be pulled")
	seat = agent.seat(team)
	if seat is None:
		return FieldError("agent", f"{agent.id} is not a member of team {team!r}")
	if seat.held >= seat.buffer:
		return FieldError(
			"agent",
			f"{agent.id} already holds {seat.held} of the {seat.buffer} tickets allowed in team {team!r}; "
			"resolve or hand one over before pulling another",
		)
	return None


def pullable(team: str, agent: Agent, tickets: Iterable[Ticket], teams: Mapping[str, str]) -> list[Ticket]:
	"""The queued tickets of ``team`` that ``agent`` may pull, in queue order; empty when they may not pull."""
	if pull_problem(team, agent, teams) is not None:
		return []
	return queue_order(t for t in tickets if t.team == team)


def pull(team: str, agent: Agent, ticket: Ticket, teams: Mapping[str, str]) -> Assignment:
	"""``agent`` takes ``ticket`` from a manual team, or a FieldError says why not."""
	if ticket.team != team:
		raise FieldError("ticket", f"ticket {ticket.id!r} is in team {ticket.team!r}, not {team!r}")
	problem = pull_problem(team, agent, teams)
	if problem is not None:
		raise problem
	return Assignment(ticket.id, agent.id)
