"""Campaign records → hopper inputs, and the validation rules of CC Campaign and CC Outcome (no Frappe)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.common.times import to_local_naive, to_utc
from callcenter_app.dialer.campaigns import (
	MAX_ABANDON_PERCENT,
	SYSTEM_CODES,
	call_list_number,
	campaign_caller_id,
	check_campaign,
	check_outcome,
	default_outcomes,
	merge_rules,
	outcome_rule,
	time_text,
	window_from_row,
	windows_from_rows,
)
from callcenter_app.dialer.hopper import DEFAULT_RULES, OutcomeRule
from callcenter_app.dialer.windows import CallWindow

UTC = dt.timezone.utc


def campaign(**overrides) -> dict:
	values = {
		"campaign_name": "Spring",
		"status": "Active",
		"direction": "Outbound",
		"dialer_mode": "Progressive",
		"call_queue": "sales",
		"caller_id": "+37052000000",
		"default_timezone": "Europe/Vilnius",
		"windows": [{"idx": 1, "weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "20:00:00"}],
		"max_attempts": 3,
		"outcome_rules": [],
		"abandon_target": 3,
		"wrapup_seconds": 10,
		"operators": [{"idx": 1, "user": "ann@example.com", "active": 1}],
	}
	values.update(overrides)
	return values


def fields(errors: list[FieldError]) -> list[str]:
	return [e.field for e in errors]


def test_a_good_campaign_has_no_errors():
	assert check_campaign(campaign()) == []


@pytest.mark.parametrize("target", [0, -1, 3.01, 5, "lots", None])
def test_abandon_target_is_above_zero_and_never_above_three_percent(target):
	errors = check_campaign(campaign(abandon_target=target))
	assert fields(errors) == ["abandon_target"]
	assert "3" in errors[0].reason


@pytest.mark.parametrize("target", [0.1, 1, 2.5, MAX_ABANDON_PERCENT])
def test_abandon_targets_up_to_three_percent_are_accepted(target):
	assert check_campaign(campaign(abandon_target=target)) == []


@pytest.mark.parametrize("mode", ["Progressive", "Predictive"])
def test_queued_modes_need_a_queue(mode):
	errors = check_campaign(campaign(dialer_mode=mode, call_queue=None))
	assert fields(errors) == ["call_queue"]
	assert mode in errors[0].reason


def test_preview_needs_no_queue_but_inbound_does():
	assert check_campaign(campaign(dialer_mode="Preview", call_queue=None)) == []
	errors = check_campaign(campaign(direction="Inbound", dialer_mode=None, call_queue=None, windows=[]))
	assert fields(errors) == ["call_queue"]


def test_unknown_dialer_mode_is_refused_for_outbound():
	assert fields(check_campaign(campaign(dialer_mode="Turbo"))) == ["dialer_mode"]


def test_caller_id_must_be_a_public_number():
	assert fields(check_campaign(campaign(caller_id="12ab"))) == ["caller_id"]
	errors = check_campaign(campaign(caller_id="1234"))
	assert fields(errors) == ["caller_id"] and "extension" in errors[0].reason
	assert campaign_caller_id("00370 5 200 0000") == "+37052000000"
	assert campaign_caller_id("  ") is None


def test_default_timezone_must_be_known():
	errors = check_campaign(campaign(default_timezone="Mars/Olympus"))
	assert fields(errors) == ["default_timezone"] and "Mars/Olympus" in errors[0].reason


def test_bad_window_rows_name_their_row_and_field():
	rows = [
		{"idx": 1, "weekdays": "Mon-Fri", "start_time": "09:00", "end_time": "12:00"},
		{"idx": 2, "weekdays": "Mox", "start_time": "13:00", "end_time": "20:00"},
		{"idx": 3, "weekdays": "Sat", "start_time": "25:00", "end_time": "20:00"},
	]
	errors = check_campaign(campaign(windows=rows))
	assert fields(errors) == ["windows[2].weekdays", "windows[3].start_time"]
	assert "Mox" in errors[0].reason


def test_an_active_outbound_campaign_needs_a_window():
	assert fields(check_campaign(campaign(windows=[]))) == ["windows"]
	assert check_campaign(campaign(windows=[], status="Draft")) == []


@pytest.mark.parametrize(
	("field", "value"), [("max_attempts", 0), ("max_attempts", 1.5), ("wrapup_seconds", -1)]
)
def test_counts_are_whole_and_in_range(field, value):
	assert fields(check_campaign(campaign(**{field: value}))) == [field]


def test_outcome_rows_refuse_duplicates_finals_and_negative_delays():
	rows = [
		{"idx": 1, "outcome": "Busy", "retry_after_minutes": 5},
		{"idx": 2, "outcome": "Busy", "retry_after_minutes": 10},
		{"idx": 3, "outcome": "Success", "retry_after_minutes": 10},
		{"idx": 4, "outcome": "No answer", "retry_after_minutes": -3},
	]
	errors = check_campaign(campaign(outcome_rules=rows), final_outcomes={"Success"})
	assert fields(errors) == [
		"outcome_rules[2].outcome",
		"outcome_rules[3].outcome",
		"outcome_rules[4].retry_after_minutes",
	]


def test_operators_are_listed_once():
	rows = [{"idx": 1, "user": "a@x.com"}, {"idx": 2, "user": "a@x.com"}, {"idx": 3, "user": ""}]
	assert fields(check_campaign(campaign(operators=rows))) == ["operators[2].user", "operators[3].user"]


def test_every_problem_is_reported_at_once():
	errors = check_campaign(campaign(abandon_target=9, max_attempts=0, caller_id="x", call_queue=None))
	assert fields(errors) == ["call_queue", "caller_id", "max_attempts", "abandon_target"]


@pytest.mark.parametrize(
	("value", "text"),
	[
		("9:00", "09:00:00"),
		("09:00:00", "09:00:00"),
		("23:59:59.000001", "23:59:59"),
		(dt.timedelta(hours=9, minutes=30), "09:30:00"),
		(dt.time(20, 0), "20:00:00"),
	],
)
def test_time_values_as_the_database_returns_them(value, text):
	assert time_text(value) == text


@pytest.mark.parametrize("value", ["", None, "9", "24:00", "ab:cd", dt.timedelta(days=1)])
def test_bad_times_are_refused(value):
	with pytest.raises(ValueError):
		time_text(value)


@given(st.integers(0, 86399))
def test_time_text_round_trips_every_second_of_the_day(seconds):
	text = time_text(dt.timedelta(seconds=seconds))
	assert time_text(text) == text
	assert dt.time.fromisoformat(text) == (dt.datetime.min + dt.timedelta(seconds=seconds)).time()


def test_window_rows_become_call_windows():
	window = window_from_row(
		{"weekdays": "Sat,Sun", "start_time": dt.timedelta(hours=22), "end_time": "02:00"}
	)
	assert window == CallWindow(frozenset({5, 6}), dt.time(22), dt.time(2))
	windows, errors = windows_from_rows([{"weekdays": "Mon", "start_time": "", "end_time": "10:00"}])
	assert windows == [] and fields(errors) == ["windows[1].start_time"]


DEFAULT_RECORDS = default_outcomes()


def test_the_default_records_give_back_the_default_rules():
	assert merge_rules(DEFAULT_RECORDS) == dict(DEFAULT_RULES)
	assert all(check_outcome(values) == [] for values in DEFAULT_RECORDS)
	assert {r["code"] for r in DEFAULT_RECORDS if r["system"]} == SYSTEM_CODES
	assert len({r["outcome_name"] for r in DEFAULT_RECORDS}) == len(DEFAULT_RULES)


def test_a_campaign_overrides_the_retry_delay_and_disabled_outcomes_are_left_out():
	records = [*DEFAULT_RECORDS, {**DEFAULT_RECORDS[0], "code": "old_code", "enabled": 0}]
	rules = merge_rules(records, {"busy": 5, "no_answer": None})
	assert rules["busy"].retry_delay_s == 300
	assert rules["no_answer"] == DEFAULT_RULES["no_answer"]
	assert "old_code" not in rules


@given(
	final=st.booleans(),
	success=st.booleans(),
	callback=st.booleans(),
	dnc=st.booleans(),
	minutes=st.integers(-5, 10_000),
)
def test_outcome_checks_agree_with_the_outcome_rule(final, success, callback, dnc, minutes):
	values = {
		"code": "x",
		"final": final,
		"success": success,
		"schedules_callback": callback,
		"add_to_dnc": dnc,
		"retry_after_minutes": minutes,
	}
	errors = check_outcome(values)
	try:
		OutcomeRule(final, success, minutes * 60.0, callback, dnc)
	except ValueError:
		assert errors
	else:
		assert errors == []
		assert outcome_rule(values) == OutcomeRule(final, success, minutes * 60.0, callback, dnc)


def test_outcome_errors_name_their_fields():
	assert fields(check_outcome({"code": "ok", "success": 1, "final": 0})) == ["final"]
	assert fields(check_outcome({"code": "ok", "final": 1, "schedules_callback": 1})) == [
		"schedules_callback"
	]
	assert fields(check_outcome({"code": "No Answer", "retry_after_minutes": 1})) == ["code"]
	assert fields(check_outcome({"code": "ok", "retry_after_minutes": -1})) == ["retry_after_minutes"]


def test_call_list_numbers_are_e164_and_never_extensions():
	assert call_list_number("+370 600 12345") == "+37060012345"
	assert call_list_number("8 600 12345", "LT") == "+37060012345"
	with pytest.raises(FieldError, match="phone: '1234' is an internal extension"):
		call_list_number("1234")
	with pytest.raises(FieldError, match="number: '12ab'"):
		call_list_number("12ab", field="number")


def test_datetimes_cross_between_frappe_and_the_core():
	winter = dt.datetime(2024, 1, 15, 10, 0)
	aware = to_utc(winter, "Europe/Vilnius")
	assert aware == dt.datetime(2024, 1, 15, 8, 0, tzinfo=UTC)
	assert to_local_naive(aware, "Europe/Vilnius") == winter
	assert to_utc(None, "UTC") is None and to_local_naive(None, "UTC") is None
	with pytest.raises(ValueError):
		to_local_naive(winter, "UTC")


@given(
	st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC))
)
def test_utc_round_trips_through_a_local_zone(moment):
	assert to_utc(to_local_naive(moment, "America/New_York"), "America/New_York") in (
		moment,
		moment - dt.timedelta(hours=1),  # the repeated hour at the end of DST reads back as its first pass
	)
