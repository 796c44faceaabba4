"""Snooze: put off, reactivate early (owner only), wake when due (tickets/snooze.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.snooze import TicketState, expired, reactivate, snooze, wake

UTC = timezone.utc
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
TICKET = TicketState("T1", owner="ann@x")


def test_snooze_records_who_why_and_until_when():
	vilnius = timezone(timedelta(hours=2))
	s = snooze(TICKET, LATER.astimezone(vilnius), "  customer is on holiday ", "bob@x", NOW)
	assert s.snoozed and s.snoozed_until == LATER and s.snoozed_until.tzinfo is UTC
	assert (s.snoozed_by, s.snooze_reason, s.snoozed_at, s.owner) == (
		"bob@x",
		"customer is on holiday",
		NOW,
		"ann@x",
	)
	assert TICKET.snoozed is False  # states are values


@pytest.mark.parametrize(
	("state", "until", "reason", "by", "field", "words"),
	[
		(TICKET, NOW, "r", "ann@x", "snoozed_until", "must be in the future"),
		(TICKET, NOW - timedelta(1), "r", "ann@x", "snoozed_until", "has passed"),
		(TICKET, LATER, "   ", "ann@x", "snooze_reason", "is required"),
		(TicketState("T2", "ann@x", closed=True), LATER, "r", "ann@x", "status", "is closed"),
		(TICKET, LATER, "r", "", "by_user", "is required"),
		(TICKET, datetime(2026, 3, 2, 12), "r", "ann@x", "snoozed_until", "time-zone-aware"),
		(TICKET, datetime(9999, 12, 31, tzinfo=UTC), "r", "ann@x", "snoozed_until", "within 366 days"),
		(TICKET, NOW + timedelta(days=367), "r", "ann@x", "snoozed_until", "within 366 days"),
	],
)
def test_snooze_refuses_bad_input(state, until, reason, by, field, words):
	with pytest.raises(FieldError) as e:
		snooze(state, until, reason, by, NOW)
	assert e.value.field == field
	assert words in e.value.reason


def test_only_the_owner_or_the_snoozer_reactivates_early():
	s = snooze(TICKET, LATER, "waiting for parts", "bob@x", NOW)
	for user in ("ann@x", "bob@x"):
		back = reactivate(s, user, NOW + timedelta(minutes=5))
		assert not back.snoozed and back.snoozed_by is None and back.snooze_reason == ""
	with pytest.raises(FieldError) as e:
		reactivate(s, "cy@x", NOW + timedelta(minutes=5))
	assert e.value.field == "by_user"
	assert e.value.reason == (
		"only its owner ann@x or bob@x, who snoozed it can reactivate ticket T1 before 2026-03-02 12:00 UTC; "
		"it comes back by itself then"
	)
	assert not reactivate(s, "cy@x", LATER).snoozed  # once due, anyone may


def test_an_unowned_ticket_is_reactivated_early_by_whoever_snoozed_it():
	s = snooze(TicketState("T3"), LATER, "r", "bob@x", NOW)
	with pytest.raises(FieldError, match="only bob@x, who snoozed it can"):
		reactivate(s, "ann@x", NOW)
	assert not reactivate(s, "bob@x", NOW).snoozed


def test_changing_a_snooze_is_reactivating_it():
	s = snooze(TICKET, LATER, "r", "ann@x", NOW)
	with pytest.raises(FieldError, match="already snoozed; only its owner ann@x can change"):
		snooze(s, LATER + timedelta(hours=1), "r", "cy@x", NOW)
	assert snooze(s, LATER + timedelta(hours=1), "longer", "ann@x", NOW).snoozed_until == LATER + timedelta(
		hours=1
	)
	assert snooze(s, LATER + timedelta(hours=1), "r", "cy@x", LATER).snoozed_by == "cy@x"  # it had run out


def test_reactivating_a_ticket_that_is_not_snoozed():
	with pytest.raises(FieldError, match="not snoozed"):
		reactivate(TICKET, "ann@x", NOW)


def test_wake_when_due_notifies_the_owner_else_the_snoozer():
	s = snooze(TICKET, LATER, "r", "bob@x", NOW)
	with pytest.raises(FieldError, match="cannot wake yet"):
		wake(s, NOW)
	state, notify = wake(s, LATER)
	assert (state.snoozed, notify) == (False, "ann@x")
	assert wake(snooze(TicketState("T4"), LATER, "r", "bob@x", NOW), LATER).notify == "bob@x"


def test_expired_lists_due_tickets_earliest_first():
	tickets = [
		snooze(TicketState("late"), NOW + timedelta(hours=3), "r", "a", NOW),
		snooze(TicketState("due"), NOW + timedelta(hours=1), "r", "a", NOW),
		TicketState("awake"),
		snooze(TicketState("exact"), LATER, "r", "a", NOW),
		snooze(TicketState("first"), NOW + timedelta(minutes=1), "r", "a", NOW),
	]
	assert expired(tickets, LATER) == ["first", "due", "exact"]
	assert expired(tickets, NOW) == []


@given(
	st.lists(st.one_of(st.none(), st.integers(-500, 500)), max_size=30),
	st.integers(-600, 600),
)
def test_expired_returns_exactly_the_tickets_whose_time_has_passed(offsets, now_offset):
	tickets = [
		TicketState(f"T{i}", snoozed_until=None if o is None else NOW + timedelta(seconds=o))
		for i, o in enumerate(offsets)
	]
	now = NOW + timedelta(seconds=now_offset)
	got = expired(tickets, now)
	assert sorted(got) == sorted(
		t.id for t in tickets if t.snoozed_until is not None and t.snoozed_until <= now
	)
	times = [next(t.snoozed_until for t in tickets if t.id == i) for i in got]
	assert times == sorted(times)
	for i in got:  # each one can be woken now, and the rest cannot
		wake(next(t for t in tickets if t.id == i), now)
