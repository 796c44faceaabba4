"""Agent Performance, SLA, Campaign Results and report scope: pure rules against hand-computed numbers."""

import datetime as dt

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.agents import (
	AGENT_KEYS,
	SLA_KEYS,
	CallTally,
	TicketFact,
	agent_rows,
	assignees,
	median,
	sla_rows,
)
from callcenter_app.metrics.campaigns import ROW_KEYS, AttemptFact, CallbackFact, campaign_rows
from callcenter_app.metrics.scope import agents_to_show, scope_of
from callcenter_app.metrics.worktime import StatusPeriod, work_time

D = dt.datetime
DAY = dt.date(2026, 6, 1)
NOW = D(2026, 6, 2, 12)


def test_median():
	assert median([]) is None
	assert median([5]) == 5
	assert median([9, 1, 5]) == 5
	assert median([4, 1, 3, 2]) == 2.5


def test_assignees():
	assert assignees(["b@x", "a@x", "a@x", ""]) == ("a@x", "b@x")
	assert assignees(None) == () and assignees("a@x") == ()


def tickets():
	return [
		# ann: reacted after 10 min, resolved in time, 1 h handled
		TicketFact(
			"T1",
			"Billing",
			("ann",),
			D(2026, 6, 1, 9),
			"Resolved",
			D(2026, 6, 1, 9, 10),
			False,
			D(2026, 6, 1, 17),
			D(2026, 6, 1, 16),
			3600,
		),
		# ann and bob: reacted after 40 min (breached), resolved late, 30 min handled
		TicketFact(
			"T2",
			"Billing",
			("ann", "bob"),
			D(2026, 6, 1, 10),
			"Closed",
			D(2026, 6, 1, 10, 40),
			True,
			D(2026, 6, 1, 12),
			D(2026, 6, 1, 13),
			1800,
		),
		# bob: no reaction yet (breached), open past its resolution time
		TicketFact(
			"T3", "Support", ("bob",), D(2026, 6, 1, 11), "Open", None, True, D(2026, 6, 2, 11), None, 600
		),
		# nobody: open, not yet due
		TicketFact("T4", "Support", (), D(2026, 6, 1, 12), "Open", None, False, D(2026, 6, 3), None, 0),
	]


def test_agent_rows_computed_by_hand():
	calls = [
		CallTally("ann", "inbound", True, 3, 600),
		CallTally("ann", "inbound", False, 2, 0),  # missed: not taken
		CallTally("ann", "outbound", True, 1, 120),
		CallTally("ann", "outbound", False, 2, 0),  # made, unanswered
		CallTally("bob", "inbound", True, 1, 300),
		CallTally("eve", "inbound", True, 9, 900),  # not asked for
	]
	periods = [
		StatusPeriod("ann", D(2026, 6, 1, 8), D(2026, 6, 1, 12), work_mode="Calls", receives_calls=True),
		StatusPeriod("ann", D(2026, 6, 1, 12), D(2026, 6, 1, 12, 30), work_mode="Lunch"),
		StatusPeriod("ann", D(2026, 6, 1, 12, 30), D(2026, 6, 1, 13), work_mode="Training"),
		StatusPeriod("ann", D(2026, 6, 1, 13), D(2026, 6, 1, 13, 15), work_mode="Lunch"),
		StatusPeriod("bob", D(2026, 6, 1, 9), D(2026, 6, 1, 10), logged_in=False),
	]
	days = work_time(periods, DAY, DAY, "UTC", "UTC", NOW)
	rows = agent_rows(["bob", "ann"], calls, days, tickets(), NOW, pause_modes=["Lunch", "Training"])
	assert list(rows[0]) == [*AGENT_KEYS, "pause:Lunch", "pause:Training"]
	ann, bob = rows
	assert ann == {
		"agent": "ann",
		"calls_taken": 3,
		"calls_made": 3,
		"talk_time": 720,
		"average_talk": 180.0,  # 720 / 4 answered calls
		"logged_in": 5 * 3600 + 900,
		"pause_time": 3600 + 900,
		"tickets_handled": 2,
		"tickets_resolved": 2,
		"median_reaction": 1500,  # (600 + 2400) / 2
		"reaction_breaches": 1,
		"pause:Lunch": 2700,
		"pause:Training": 1800,
	}
	assert bob == {
		"agent": "bob",
		"calls_taken": 1,
		"calls_made": 0,
		"talk_time": 300,
		"average_talk": 300.0,
		"logged_in": 0,
		"pause_time": 0,
		"tickets_handled": 2,
		"tickets_resolved": 1,
		"median_reaction": 2400,
		"reaction_breaches": 2,
		"pause:Lunch": 0,
		"pause:Training": 0,
	}


def test_sla_rows_per_team_and_agent():
	rows = sla_rows(tickets(), NOW)
	assert list(rows[0]) == [*SLA_KEYS, "indent"]
	table = [
		(r["team"], r["agent"], r["tickets"], r["reaction_breaches"], r["resolution_breaches"]) for r in rows
	]
	assert table == [
		("Billing", "", 2, 1, 1),
		("Billing", "ann", 2, 1, 1),
		("Billing", "bob", 1, 1, 1),
		("Support", "", 2, 1, 1),  # T3 late (open past 11:00 on the 2nd), T4 not yet due
		("Support", "bob", 1, 1, 1),
		("Total", "", 4, 2, 2),
	]
	billing = rows[0]
	assert billing["handling_time"] == 5400 and billing["average_handling"] == 2700
	assert billing["median_reaction"] == 1500 and billing["reaction_breach_rate"] == 50.0
	assert billing["resolved"] == 2 and rows[-1]["is_total"] == 1
	# a supervisor's view: only ann's tickets and row
	mine = sla_rows(tickets(), NOW, agents=frozenset({"ann"}))
	assert [(r["team"], r["agent"], r["tickets"]) for r in mine] == [
		("Billing", "", 2),
		("Billing", "ann", 2),
		("Total", "", 2),
	]


def test_campaign_rows_computed_by_hand():
	d1, d2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
	attempts = [
		AttemptFact("C", d1, "c1", answered=True, outcome="Sale", success=True),
		AttemptFact("C", d1, "c2", answered=True, outcome="No interest"),
		AttemptFact("C", d1, "c2", answered=True, outcome="Sale", success=True),  # same contact again
		AttemptFact("C", d1, "c3", answered=True, abandoned=True, result="abandoned"),
		AttemptFact("C", d1, "c4", answered=True, result="answering_machine", outcome="Machine"),
		AttemptFact("C", d1, "c5", result="no_answer", outcome="No answer"),
		AttemptFact("C", d2, "c3", answered=True, outcome="No interest"),
	]
	callbacks = [
		CallbackFact("C", d1, "Open", overdue=True),
		CallbackFact("C", d1, "Done", overdue=False),
		CallbackFact("C", d1, "Cancelled", overdue=False),
		CallbackFact("C", d2, "Open", overdue=False),
	]
	rows = campaign_rows(attempts, callbacks, outcomes=["Sale", "No interest"])
	assert list(rows[0]) == [*ROW_KEYS, "outcome:Sale", "outcome:No interest"]
	one, two, total = rows
	assert one == {
		"day": "2026-06-01",
		"campaign": "C",
		"attempts": 6,
		"contacts_reached": 2,  # c1, c2
		"conversions": 2,
		"conversion": 100.0,
		"abandoned": 1,
		"abandon_rate": 25.0,  # 1 / (1 + 3 reached attempts)
		"callbacks_due": 2,
		"callbacks_overdue": 1,
		"outcome:Sale": 2,
		"outcome:No interest": 1,
	}
	assert (two["attempts"], two["contacts_reached"], two["conversion"], two["abandon_rate"]) == (
		1,
		1,
		0.0,
		0.0,
	)
	assert (total["day"], total["contacts_reached"], total["conversions"], total["attempts"]) == (
		"Total",
		3,
		2,
		7,
	)
	assert round(total["conversion"], 2) == 66.67 and total["callbacks_due"] == 3


def test_scope():
	assert scope_of("Administrator", []) is None
	assert scope_of("m@x", ["Call Center Manager"]) is None
	assert scope_of("s@x", ["Agent Supervisor", "Agent"], ["a@x", "b@x"]) == {"s@x", "a@x", "b@x"}
	assert scope_of("a@x", ["Agent"], ["b@x"]) == {"a@x"}
	assert agents_to_show(None) is None
	assert agents_to_show(None, team_members=["a@x"]) == {"a@x"}
	assert agents_to_show(frozenset({"a@x", "b@x"}), team_members=["b@x", "c@x"]) == {"b@x"}
	assert agents_to_show(frozenset({"a@x"}), agent="a@x") == {"a@x"}
	with pytest.raises(FieldError) as info:
		agents_to_show(frozenset({"a@x"}), agent="b@x")
	assert info.value.field == "agent"
