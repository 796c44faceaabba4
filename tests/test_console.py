"""The operator console's rules (dialer/console): the current contact, outcome choices, transfers, pauses.
Pure."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer.console.rules import (
	Claimed,
	Current,
	OpenAttempt,
	OutcomeChoice,
	campaign_variable,
	current_contact,
	outcome_errors,
	pause_errors,
	pause_modes,
	resume_mode,
	transfer_errors,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T = dt.datetime(2026, 3, 2, 9, 0)

CALLBACK = OutcomeChoice("Call back", "callback", schedules_callback=True)
SUCCESS = OutcomeChoice("Success", "success")
NO_ANSWER = OutcomeChoice("No answer", "no_answer", system=True)
ABANDONED = OutcomeChoice("Abandoned", "abandoned", system=True)


def errors(outcome, **kw):
	values = {
		"direction": "Outbound",
		"dialer_mode": "Preview",
		"dialed_by_operator": True,
		"callback_at": None,
		"private": False,
		"now": NOW,
		**kw,
	}
	return [(e.field, e.reason) for e in outcome_errors(outcome, **values)]


# --- the current contact ---------------------------------------------------------------------------------


def test_no_claim_and_no_open_call_means_no_current_contact():
	assert current_contact([], []) is None


def test_the_newest_of_claims_and_open_calls_is_current_with_its_newest_attempt():
	claimed = [Claimed("c-old", T), Claimed("c-new", T + dt.timedelta(minutes=5))]
	attempts = [
		OpenAttempt("a-1", "c-call", T + dt.timedelta(minutes=1)),
		OpenAttempt("a-2", "c-new", T + dt.timedelta(minutes=6)),
		OpenAttempt("a-0", "c-new", T + dt.timedelta(minutes=2)),
	]
	assert current_contact(claimed, attempts) == Current("c-new", "a-2")
	# a call connected after the claim takes over (the dialer put it through to the operator)
	later = [*attempts, OpenAttempt("a-3", "c-call", T + dt.timedelta(minutes=9))]
	assert current_contact(claimed, later) == Current("c-call", "a-3")


def test_a_claim_without_a_call_has_no_attempt_and_unknown_times_are_oldest():
	assert current_contact([Claimed("c", None)], []) == Current("c", None)
	assert current_contact([Claimed("c", T)], [OpenAttempt("a", "d", None)]) == Current("c", None)


def test_on_a_tie_the_live_call_wins():
	assert current_contact([Claimed("c", T)], [OpenAttempt("a", "d", T)]) == Current("d", "a")


times = st.one_of(st.none(), st.datetimes(min_value=T, max_value=T + dt.timedelta(days=1)))
claims = st.lists(st.builds(Claimed, st.sampled_from(["c1", "c2", "c3"]), times), max_size=4)
opens = st.lists(
	st.builds(
		OpenAttempt, st.text("ab0123", min_size=1, max_size=3), st.sampled_from(["c1", "c2", "c4"]), times
	),
	max_size=4,
)


@given(claims, opens, st.randoms())
def test_the_answer_does_not_depend_on_the_order_and_names_a_known_contact(claimed, attempts, rnd):
	pick = current_contact(claimed, attempts)
	shuffled_c, shuffled_a = list(claimed), list(attempts)
	rnd.shuffle(shuffled_c)
	rnd.shuffle(shuffled_a)
	assert current_contact(shuffled_c, shuffled_a) == pick
	if not claimed and not attempts:
		assert pick is None
		return
	assert pick.contact in {c.contact for c in claimed} | {a.contact for a in attempts}
	if pick.attempt is not None:
		assert any(a.name == pick.attempt and a.contact == pick.contact for a in attempts)
	else:
		assert not any(a.contact == pick.contact for a in attempts)


# --- outcomes ----------------------------------------------------------------------------------------------


def test_an_operator_outcome_is_accepted():
	assert errors(SUCCESS) == []
	assert errors(SUCCESS, direction="Inbound", dialer_mode="", dialed_by_operator=False) == []


def test_line_results_only_for_a_preview_call_the_operator_dialed():
	assert errors(NO_ANSWER) == []
	refused = "No answer is recorded by the dialer itself; an operator records it only for a preview call they dialed"
	assert errors(NO_ANSWER, dialed_by_operator=False) == [("outcome", refused)]
	assert errors(NO_ANSWER, dialer_mode="Predictive") == [("outcome", refused)]
	assert errors(NO_ANSWER, direction="Inbound") == [("outcome", refused)]
	assert errors(ABANDONED) == [("outcome", "Abandoned is recorded by the dialer itself")]


def test_a_disabled_outcome_is_named():
	disabled = OutcomeChoice("Old", "old", enabled=False)
	assert errors(disabled) == [("outcome", "Old is disabled")]


def test_a_callback_needs_a_future_time_in_an_outbound_campaign():
	assert errors(CALLBACK, callback_at=NOW + dt.timedelta(hours=1)) == []
	assert errors(CALLBACK, callback_at=NOW + dt.timedelta(hours=1), private=True) == []
	assert errors(CALLBACK) == [("callback_at", "is required: Call back schedules a callback")]
	assert errors(CALLBACK, callback_at=NOW) == [("callback_at", "must be in the future")]
	assert errors(CALLBACK, callback_at=NOW - dt.timedelta(seconds=1)) == [
		("callback_at", "must be in the future")
	]
	((field, reason),) = errors(CALLBACK, direction="Inbound", callback_at=NOW + dt.timedelta(hours=1))
	assert field == "callback_at" and reason.startswith("this campaign is inbound")


def test_a_callback_time_or_private_flag_without_a_callback_outcome_is_refused():
	assert errors(SUCCESS, callback_at=NOW + dt.timedelta(hours=1), private=True) == [
		("callback_at", "outcome Success does not schedule a callback"),
		("private", "outcome Success schedules no callback to keep private"),
	]


# --- transfer, pause, resume ------------------------------------------------------------------------------


def test_a_transfer_goes_to_another_active_operator_blind_or_attended():
	ops = {"ann@x", "bob@x"}
	assert transfer_errors("ann@x", "bob@x", ops, "blind") == []
	assert transfer_errors("ann@x", "bob@x", ops, "attended") == []
	assert [(e.field, e.reason) for e in transfer_errors("ann@x", "cy@x", ops, "warm")] == [
		("mode", "'warm' is not one of blind, attended"),
		("to_user", "cy@x is not an active operator of this campaign"),
	]
	assert [e.reason for e in transfer_errors("ann@x", "ann@x", ops, "blind")] == [
		"is you: choose another operator"
	]
	assert [e.reason for e in transfer_errors("ann@x", "", ops, "blind")] == ["is required"]


MODES = {"Available": True, "Phone only": True, "Break": False, "Back office": False}


def test_a_pause_is_a_mode_that_takes_no_calls():
	assert pause_errors("Break", MODES) == []
	assert [e.reason for e in pause_errors("Available", MODES)] == [
		"Available takes calls: choose a mode that pauses them"
	]
	assert [e.reason for e in pause_errors("Lunch", MODES)] == ["Lunch is not an enabled CC Work Mode"]
	assert [e.reason for e in pause_errors("", MODES)] == ["is required"]
	assert pause_modes(MODES) == ["Back office", "Break"]


def test_resume_goes_back_to_the_mode_before_the_pause_if_it_still_takes_calls():
	assert resume_mode("Phone only", MODES, "Available") == "Phone only"
	assert resume_mode("Break", MODES, "Available") == "Available"
	assert resume_mode(None, MODES, "Available") == "Available"
	assert resume_mode("Gone", MODES, None) == "Available"  # the first that takes calls, by name
	with pytest.raises(FieldError, match="no enabled CC Work Mode takes calls"):
		resume_mode(None, {"Break": False}, "Break")


def test_a_campaign_name_travels_on_the_call_only_without_separators():
	assert campaign_variable("Spring sale 2026 (LT)") == "Spring sale 2026 (LT)"
	for bad in ("a,b", "a;b", "a|b", "a=b", 'a"b', "a\nb", "", "x" * 141):
		with pytest.raises(FieldError) as e:
			campaign_variable(bad)
		assert e.value.field == "campaign"
