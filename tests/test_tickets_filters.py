"""Incoming messages: sources and keyword filters (tickets/filters.py) and the grouping window and replies
to closed tickets (tickets/grouping.py)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.filters import (
	MAX_REGEX_LENGTH,
	REGEX_TEXT_LIMIT,
	Message,
	Rule,
	Source,
	check_rules,
	check_source,
	regex_problem,
	route,
	sender_address,
	sender_domain,
	unique_teams,
)
from callcenter_app.tickets.grouping import (
	Incoming,
	RecentTicket,
	closed_reply_target,
	group_key,
	join_target,
	on_reply_to_closed,
)

UTC = timezone.utc
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

SUPPORT = Source(
	"support@",
	"email",
	weight=5,
	default_team="Support",
	rules=(
		Rule("subject", "contains", "Refund", "Billing"),
		Rule("sender_domain", "equals", "vip.example", "VIP"),
		Rule("body", "regex", r"invoice\s*#?\d{4,}", "Billing"),
		Rule("sender", "equals", "boss@corp.example", "VIP"),
	),
)


# --- senders ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("sender", "address", "domain"),
	[
		("Ann Smith <Ann@Example.COM>", "ann@example.com", "example.com"),
		('"Smith, Ann" <ann@mail.example.com.>', "ann@mail.example.com.", "mail.example.com"),
		("ann@example.com", "ann@example.com", "example.com"),
		("  <ann@example.com>  ", "ann@example.com", "example.com"),
		("+370 600 12345", "+370 600 12345", ""),
		("", "", ""),
	],
)
def test_sender_address_and_domain(sender, address, domain):
	assert sender_address(sender) == address
	assert sender_domain(sender) == domain


# --- routing ------------------------------------------------------------------------------------------


def test_first_matching_rule_sets_the_team_case_insensitively():
	r = route(SUPPORT, Message(subject="Please REFUND me", sender="x@vip.example"))
	assert (r.team, r.weight, r.matched_rule_index) == ("Billing", 5, 0)
	assert "rule 1" in r.reason


@pytest.mark.parametrize(
	("message", "team", "index"),
	[
		(Message(subject="hello", sender="Joe <joe@VIP.example>"), "VIP", 1),
		(Message(subject="hello", body="see INVOICE #12345 attached", sender="a@b.c"), "Billing", 2),
		(Message(subject="hello", sender="The Boss <Boss@Corp.Example>"), "VIP", 3),
		(Message(subject="hello", sender="boss@corp.example.org"), "Support", None),
		(Message(subject="hello", body="invoice 12", sender="a@b.c"), "Support", None),
	],
)
def test_each_operator_and_field(message, team, index):
	r = route(SUPPORT, message)
	assert (r.team, r.matched_rule_index) == (team, index)


def test_no_match_goes_to_the_default_team():
	r = route(SUPPORT, Message(subject="hi", body="", sender="+37060012345"))
	assert (r.team, r.weight, r.matched_rule_index) == ("Support", 5, None)
	assert "default team" in r.reason


def test_equals_ignores_surrounding_space_and_case():
	source = Source("s", "sms", 1, "Default", (Rule("body", "equals", " STOP ", "Opt-out"),))
	assert route(source, Message(body="stop\n")).team == "Opt-out"
	assert route(source, Message(body="stop now")).team == "Default"


def test_an_invalid_rule_never_matches_even_if_it_was_saved():
	source = Source(
		"s",
		"email",
		0,
		"Default",
		(
			Rule("subject", "regex", "(a+)+$", "Bad"),
			Rule("subject", "nope", "a", "Bad"),
			Rule("subject", "contains", "a", "Good"),
		),
	)
	assert route(source, Message(subject="aaaa")).team == "Good"


def test_a_regex_only_looks_at_the_start_of_a_long_field():
	source = Source("s", "email", 0, "Default", (Rule("body", "regex", "needle", "Found"),))
	late = "x" * REGEX_TEXT_LIMIT + "needle"
	assert route(source, Message(body=late)).team == "Default"
	assert route(source, Message(body="needle" + late)).team == "Found"
	contains = Source("s", "email", 0, "Default", (Rule("body", "contains", "needle", "Found"),))
	assert route(contains, Message(body=late)).team == "Found"


# --- checks -------------------------------------------------------------------------------------------


def reasons(errors: list[FieldError]) -> list[tuple[str, str]]:
	return [(e.field, e.reason) for e in errors]


def test_good_rules_pass():
	assert check_rules(SUPPORT.rules) == []
	assert check_source(SUPPORT) == []


def test_bad_rules_name_the_column_and_the_row():
	rules = [
		Rule("subject", "contains", "ok", "Team"),
		Rule("subject", "contains", "  ", "Team"),
		Rule("headers", "contains", "x", "Team"),
		Rule("subject", "like", "x", "Team"),
		Rule("subject", "regex", "(unclosed", "Team"),
		Rule("subject", "regex", "(a+)+$", "Team"),
		Rule("subject", "regex", "a" * (MAX_REGEX_LENGTH + 1), "Team"),
		Rule("subject", "contains", "x", ""),
	]
	got = reasons(check_rules(rules))
	assert [field for field, _ in got] == ["value", "field", "operator", "value", "value", "value", "team"]
	assert [reason.split(":")[0] for _, reason in got] == [
		"row 2",
		"row 3",
		"row 4",
		"row 5",
		"row 6",
		"row 7",
		"row 8",
	]
	assert "empty" in got[0][1]
	assert "'headers'" in got[1][1]
	assert "'like'" in got[2][1]
	assert "invalid" in got[3][1]
	assert "exponential" in got[4][1]
	assert f"limit is {MAX_REGEX_LENGTH}" in got[5][1]


def test_source_fields_are_checked():
	bad = Source("", "fax", -1, "", (Rule("subject", "contains", "", "T"),))
	assert [e.field for e in check_source(bad)] == ["name", "type", "weight", "default_team", "value"]
	assert [e.field for e in check_source(Source("s", "sms", 1.5, "T"))] == ["weight"]


CATASTROPHIC = [
	r"(a+)+$",
	r"(a*)*b",
	r"(.*)*x",
	r"(a|a)+$",
	r"(\w+\s?)+$",
	r"(\s*\w+)+$",
	r"(x+x+)+y",
	r"(.*a){11}",
	r"^(([a-z])+.)+[A-Z]([a-z])+$",
	r".*a.*=",
	r"\d+\d+x",
	r"(.*)a(.*)b",
	r"(?:[a-zé]+é?)+!",
]
SAFE = [
	r"refund",
	r"invoice\s+\d+",
	r"^re:",
	r"urgent.*refund",
	r".*foo.*",
	r"\b(vip|gold)\b",
	r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}",
	r"order #?\d{4,10}",
	r"(\d+,)+$",
	r"(\w+\s)+$",
	r"\d+\.\d+",
	r"(foo|foobar)+",
	r"(?:\d{1,3}\.){3}\d{1,3}",
	r"\s*:\s*",
	r"(a{3})+",
	r"(\w|\d)+$",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern):
	assert "exponential or polynomial" in (regex_problem(pattern) or "")


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_pass(pattern):
	assert regex_problem(pattern) is None


@pytest.mark.parametrize("pattern", SAFE)
def test_accepted_patterns_stay_fast_on_adversarial_text_of_the_scan_limit(pattern):
	"""The worst case left is re.search's own quadratic scan, bounded by REGEX_TEXT_LIMIT."""
	compiled = re.compile(pattern, re.IGNORECASE)
	for text in (
		"a" * REGEX_TEXT_LIMIT,
		"1," * (REGEX_TEXT_LIMIT // 2) + "x",
		"a " * (REGEX_TEXT_LIMIT // 2) + "!",
	):
		started = time.perf_counter()
		compiled.search(text[:REGEX_TEXT_LIMIT])
		assert time.perf_counter() - started < 1.0, pattern


def test_unique_teams_in_first_seen_order():
	assert unique_teams([SUPPORT]) == ["Support", "Billing", "VIP"]


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_regex_check_never_raises(pattern):
	assert regex_problem(pattern) is None or isinstance(regex_problem(pattern), str)


# --- grouping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("sender", "strip", "key"),
	[
		("Ann <Ann+Billing@Example.com>", False, "ann+billing@example.com"),
		("Ann <Ann+Billing@Example.com>", True, "ann@example.com"),
		("ann@example.com", True, "ann@example.com"),
		("+ann@example.com", True, "+ann@example.com"),
		("+370 600 12345", False, "+37060012345"),
		("00370 (600) 12-345", False, "+37060012345"),
		("tel:+37060012345", False, "+37060012345"),
		("8 600 12345", False, "860012345"),
	],
)
def test_group_key(sender, strip, key):
	assert group_key(sender, strip_tags=strip) == key


@pytest.mark.parametrize("sender", ["", "   ", "anonymous", "@example.com"])
def test_group_key_refuses_what_is_neither_address_nor_number(sender):
	with pytest.raises(FieldError) as e:
		group_key(sender)
	assert e.value.field == "sender"


def recent(id, sender, minutes_ago, closed=False, team="Support"):
	return RecentTicket(id, sender, team, NOW - timedelta(minutes=minutes_ago), closed)


def test_a_message_within_the_window_joins_the_senders_latest_open_ticket():
	tickets = [
		recent("T1", "ann@example.com", 50),
		recent("T2", "Ann <ANN@example.com>", 5),
		recent("T3", "bob@example.com", 1),
		recent("T4", "ann@example.com", 1, team="Sales"),
	]
	assert join_target(Incoming("ann@Example.com", "Support"), tickets, 600, NOW) == "T2"
	assert join_target(Incoming("ann@example.com", "Sales"), tickets, 600, NOW) == "T4"
	assert join_target(Incoming("ann@example.com"), tickets, 600, NOW) == "T4"  # no team: any team


def test_outside_the_window_or_closed_or_off_makes_a_new_ticket():
	tickets = [recent("T1", "+37060012345", 11)]
	assert join_target(Incoming("+370 600 12345", "Support"), tickets, 600, NOW) is None
	assert join_target(Incoming("+370 600 12345", "Support"), tickets, 660, NOW) == "T1"
	assert join_target(Incoming("+370 600 12345", "Support"), tickets, 0, NOW) is None
	closed = [recent("T0", "+37060012345", 30), recent("T1", "+37060012345", 2, closed=True)]
	assert join_target(Incoming("+37060012345", "Support"), closed, 600, NOW) is None
	assert closed_reply_target(Incoming("+37060012345", "Support"), closed) == "T1"
	assert closed_reply_target(Incoming("+37060012345", "Support"), tickets) is None


def test_withheld_senders_are_never_grouped():
	tickets = [recent("T1", "anonymous", 1)]
	assert join_target(Incoming("anonymous", "Support"), tickets, 600, NOW) is None


def test_join_target_checks_its_inputs():
	with pytest.raises(FieldError, match="window_seconds"):
		join_target(Incoming("a@b.c"), [], -1, NOW)
	with pytest.raises(FieldError, match="now"):
		join_target(Incoming("a@b.c"), [], 60, datetime(2026, 1, 1))


def test_reply_to_closed_policy():
	assert on_reply_to_closed("reopen", "T1") == ("reopen", "T1")
	assert on_reply_to_closed("New Ticket", "T1") == ("new_linked", "T1")
	with pytest.raises(FieldError) as e:
		on_reply_to_closed("ignore", "T1")
	assert e.value.field == "reply_to_closed"


@given(
	st.lists(
		st.tuples(
			st.sampled_from(["a@x.io", "A <a@X.io>", "b@x.io", "+3706"]), st.integers(0, 120), st.booleans()
		),
		max_size=8,
	),
	st.sampled_from(["a@x.io", "b@x.io", "+3706"]),
	st.integers(0, 120),
)
def test_join_target_only_ever_returns_an_open_ticket_of_the_sender_within_the_window(
	rows, sender, window_min
):
	tickets = [recent(f"T{i}", s, m, c) for i, (s, m, c) in enumerate(rows)]
	target = join_target(Incoming(sender, "Support"), tickets, window_min * 60, NOW)
	mine = [t for t in tickets if group_key(t.sender) == group_key(sender)]
	if target is None:
		return
	chosen = next(t for t in tickets if t.id == target)
	assert chosen in mine and not chosen.closed
	assert NOW - chosen.last_message_at <= timedelta(minutes=window_min)
	assert chosen.last_message_at == max(t.last_message_at for t in mine)
