"""Automatic ticket distribution and manual pulling (tickets/distribution.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.distribution import (
	Agent,
	Assignment,
	Seat,
	Ticket,
	distribute,
	pull,
	pullable,
	queue_order,
)

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AUTO = {"Support": "automatic", "Billing": "Automatic", "Sales": "manual"}


def ticket(id, team="Support", weight=0, minute=0, preferred=None):
	return Ticket(id, team, weight, T0 + timedelta(minutes=minute), preferred)


def agent(id, *seats, available=True, last=None):
	return Agent(
		id, tuple(Seat(*s) for s in seats), available, None if last is None else T0 + timedelta(minutes=last)
	)


# --- examples -----------------------------------------------------------------------------------------


def test_heaviest_then_oldest_first_to_the_least_loaded_agent():
	tickets = [
		ticket("old-light", minute=0),
		ticket("new-heavy", weight=5, minute=9),
		ticket("new-light", minute=5),
	]
	agents = [agent("ann", ("Support", 4, 1)), agent("bob", ("Support", 4, 0))]
	got = distribute(tickets, agents, AUTO)
	# bob 0/4 < ann 1/4 → bob; then both 1/4: ann was never assigned in this run and has no last time
	assert got == [
		Assignment("new-heavy", "bob"),
		Assignment("old-light", "ann"),
		Assignment("new-light", "bob"),
	]


def test_load_is_a_ratio_of_the_buffer():
	agents = [agent("ann", ("Support", 10, 4)), agent("bob", ("Support", 2, 1))]  # 0.4 < 0.5
	assert distribute([ticket("t")], agents, AUTO) == [Assignment("t", "ann")]


def test_ties_go_to_the_least_recently_assigned_then_by_id():
	agents = [
		agent("cy", ("Support", 3)),
		agent("ann", ("Support", 3), last=5),
		agent("bob", ("Support", 3), last=1),
	]
	got = distribute([ticket(f"t{i}", minute=i) for i in range(4)], agents, AUTO)
	assert [a.agent for a in got] == ["cy", "bob", "ann", "cy"]
	agents = [agent("bob", ("Support", 3)), agent("ann", ("Support", 3))]
	assert [a.agent for a in distribute([ticket("t")], agents, AUTO)] == ["ann"]


def test_recency_spans_teams():
	agents = [agent("ann", ("Support", 5), ("Billing", 5), last=1), agent("bob", ("Billing", 5), last=2)]
	tickets = [ticket("s", "Support", weight=9), ticket("b", "Billing")]
	# ann takes the Support ticket first, so for Billing she is now the most recently assigned
	assert distribute(tickets, agents, AUTO) == [Assignment("s", "ann"), Assignment("b", "bob")]


def test_buffers_unavailable_agents_manual_and_unknown_teams():
	agents = [
		agent("ann", ("Support", 2, 1)),
		agent("bob", ("Support", 9), available=False),
		agent("cy", ("Sales", 9)),
		agent("dee", ("Support", 3, 3)),
	]
	tickets = [ticket(f"t{i}", minute=i) for i in range(3)] + [ticket("m", "Sales"), ticket("x", "Nowhere")]
	assert distribute(tickets, agents, AUTO) == [Assignment("t0", "ann")]


def test_an_over_full_seat_and_a_zero_buffer_take_nothing():
	agents = [agent("ann", ("Support", 2, 5)), agent("bob", ("Support", 0))]
	assert distribute([ticket("t")], agents, AUTO) == []


def test_preferred_agent_gets_the_ticket_when_eligible_else_it_goes_the_normal_way():
	agents = [
		agent("ann", ("Support", 5, 4)),
		agent("bob", ("Support", 5)),
		agent("cy", ("Support", 5), available=False),
	]
	tickets = [
		ticket("a", minute=0, preferred="ann"),
		ticket("b", minute=1, preferred="ann"),
		ticket("c", minute=2, preferred="cy"),
	]
	assert distribute(tickets, agents, AUTO) == [
		Assignment("a", "ann"),
		Assignment("b", "bob"),  # ann is full now
		Assignment("c", "bob"),  # cy is not available
	]


def test_bad_input_is_refused_with_the_field_named():
	ok = [agent("ann", ("Support", 1))]
	cases = [
		([ticket("t"), ticket("t")], ok, AUTO, "ticket"),
		([], [agent("a", ("Support", 1)), agent("a", ("Support", 1))], AUTO, "agent"),
		([], [agent("a", ("Support", 1), ("Support", 2))], AUTO, "team"),
		([], [agent("a", ("Support", -1))], AUTO, "buffer"),
		([], [agent("a", ("Support", 1, -2))], AUTO, "held"),
		([], ok, {"Support": "round robin"}, "mode"),
	]
	for tickets, agents, teams, field in cases:
		with pytest.raises(FieldError) as e:
			distribute(tickets, agents, teams)
		assert e.value.field == field


# --- manual -------------------------------------------------------------------------------------------


def test_pullable_lists_the_team_queue_in_order():
	tickets = [
		ticket("a", "Sales", 0, 1),
		ticket("b", "Sales", 3, 9),
		ticket("c", "Support"),
		ticket("d", "Sales", 0, 0),
	]
	ann = agent("ann", ("Sales", 2, 1))
	assert [t.id for t in pullable("Sales", ann, tickets, AUTO)] == ["b", "d", "a"]
	assert pull("Sales", ann, tickets[1], AUTO) == Assignment("b", "ann")


@pytest.mark.parametrize(
	("team", "who", "tid", "field", "words"),
	[
		("Sales", agent("ann", ("Sales", 2, 2)), "s", "agent", "holds 2 of the 2"),
		("Sales", agent("ann", ("Support", 2)), "s", "agent", "not a member of team 'Sales'"),
		("Support", agent("ann", ("Support", 2)), "p", "team", "automatically"),
		("Nowhere", agent("ann", ("Nowhere", 2)), "n", "team", "no distribution mode"),
		("Sales", agent("ann", ("Sales", 2)), "p", "ticket", "is in team 'Support'"),
	],
)
def test_pull_refuses_with_a_clear_reason(team, who, tid, field, words):
	tickets = {"s": ticket("s", "Sales"), "p": ticket("p", "Support"), "n": ticket("n", "Nowhere")}
	with pytest.raises(FieldError) as e:
		pull(team, who, tickets[tid], AUTO)
	assert e.value.field == field
	assert words in e.value.reason
	if field != "ticket":
		assert pullable(team, who, list(tickets.values()), AUTO) == []


# --- properties ---------------------------------------------------------------------------------------

TEAMS = ["A", "B", "C"]


@st.composite
def scenarios(draw):
	modes = {team: draw(st.sampled_from(["automatic", "automatic", "manual"])) for team in TEAMS}
	agents = []
	for n in range(draw(st.integers(0, 6))):
		teams = draw(st.lists(st.sampled_from(TEAMS), unique=True, max_size=3))
		seats = tuple(Seat(t, draw(st.integers(0, 4)), draw(st.integers(0, 5))) for t in teams)
		last = draw(st.none() | st.integers(-3, 3))
		agents.append(
			Agent(
				f"ag{n}", seats, draw(st.booleans()), None if last is None else T0 + timedelta(minutes=last)
			)
		)
	tickets = []
	for n in range(draw(st.integers(0, 25))):
		preferred = draw(st.none() | st.sampled_from([a.id for a in agents] + ["ghost"]))
		tickets.append(
			Ticket(
				f"t{n}",
				draw(st.sampled_from([*TEAMS, "Unknown"])),
				draw(st.integers(0, 3)),
				T0 + timedelta(minutes=draw(st.integers(0, 5))),  # many equal times
				preferred,
			)
		)
	return tickets, agents, modes


def reference(tickets, agents, modes):
	"""The rule as written, by brute force: O(tickets × agents)."""
	held = {(a.id, s.team): s.held for a in agents for s in a.seats}
	buffer = {(a.id, s.team): s.buffer for a in agents for s in a.seats}
	recency = {
		a.id: (0, a.last_assigned_at.timestamp() if a.last_assigned_at else float("-inf")) for a in agents
	}
	out = []
	for n, t in enumerate(queue_order(x for x in tickets if modes.get(x.team) == "automatic")):
		eligible = [
			a
			for a in agents
			if a.available and (a.id, t.team) in held and held[a.id, t.team] < buffer[a.id, t.team]
		]
		if not eligible:
			continue
		preferred = [a for a in eligible if a.id == t.preferred_agent]
		best = (
			preferred[0]
			if preferred
			else min(eligible, key=lambda a: (held[a.id, t.team] / buffer[a.id, t.team], recency[a.id], a.id))
		)
		held[best.id, t.team] += 1
		recency[best.id] = (1, n)
		out.append(Assignment(t.id, best.id))
	return out


@given(scenarios())
@settings(max_examples=400, deadline=None)
def test_distribution_equals_the_brute_force_rule(scenario):
	assert distribute(*scenario) == reference(*scenario)


@given(scenarios())
@settings(max_examples=400, deadline=None)
def test_distribution_invariants(scenario):
	tickets, agents, modes = scenario
	got = distribute(tickets, agents, modes)
	by_id = {t.id: t for t in tickets}
	agent_by_id = {a.id: a for a in agents}
	assert len({a.ticket for a in got}) == len(got), "a ticket was assigned twice"

	taken = Counter((a.agent, by_id[a.ticket].team) for a in got)
	for a in got:
		who, t = agent_by_id[a.agent], by_id[a.ticket]
		assert who.available, "assigned to an unavailable agent"
		assert who.seat(t.team) is not None, "assigned outside the ticket's team"
		assert modes[t.team] == "automatic", "assigned a ticket of a manual team"
	for (who, team), n in taken.items():
		seat = agent_by_id[who].seat(team)
		assert seat.held + n <= seat.buffer, "a buffer was exceeded"

	for team in TEAMS:
		order = queue_order(t for t in tickets if t.team == team)
		assigned = {a.ticket for a in got if by_id[a.ticket].team == team}
		if modes[team] != "automatic":
			assert not assigned
			continue
		capacity = sum(
			max(0, s.buffer - s.held) for a in agents if a.available for s in a.seats if s.team == team
		)
		# within a team the assigned set is the prefix of the (weight desc, created asc) order that fits
		assert assigned == {t.id for t in order[: min(len(order), capacity)]}


def test_queue_order_is_weight_then_age_then_id():
	tickets = [
		ticket("b", weight=1, minute=3),
		ticket("a", weight=1, minute=3),
		ticket("c", weight=2, minute=9),
		ticket("d", minute=0),
	]
	assert [t.id for t in queue_order(tickets)] == ["c", "a", "b", "d"]
