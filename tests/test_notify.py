"""Who gets which desk notification (common/notify)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.notify.rules import KINDS, Facts, audience, candidates, setting_field

NONE_OFF = frozenset().__contains__


def test_each_kind_reaches_its_people():
	f = Facts(
		assignees=("ann",),
		team=("ann", "bob", "cat"),
		team_lead="lea",
		mentioned=("bob",),
		owner="own",
		operators=("op1", "op2"),
	)
	expected = {
		"new_ticket": ["ann", "bob", "cat"],
		"customer_reply": ["ann"],
		"closed_reply": ["ann"],
		"mention": ["bob"],
		"overdue": ["ann", "lea"],
		"snooze_expired": ["own"],
		"callback_due": ["op1", "op2"],  # public: the campaign's operators
		"next_contact_due": ["op1", "op2"],
	}
	assert set(expected) == set(KINDS)
	for kind, users in expected.items():
		assert audience(kind, f, actor=None, switched_off=NONE_OFF) == users, kind


def test_unassigned_replies_go_to_the_team_and_private_callbacks_to_their_owner():
	f = Facts(team=("ann", "bob"), owner="own", operators=("op1",), private=True)
	assert audience("customer_reply", f, None, NONE_OFF) == ["ann", "bob"]
	assert audience("closed_reply", f, None, NONE_OFF) == ["ann", "bob"]
	assert audience("callback_due", f, None, NONE_OFF) == ["own"]


def test_not_the_actor_not_who_switched_it_off_not_administrator_and_once():
	f = Facts(assignees=("ann", "ann", "Administrator"), team_lead="ann", team=("bob",))
	assert audience("overdue", f, actor=None, switched_off=NONE_OFF) == ["ann"]
	assert audience("overdue", f, actor="ann", switched_off=NONE_OFF) == []
	f = Facts(team=("ann", "bob", "cat", "Guest", ""))
	assert audience("new_ticket", f, actor="bob", switched_off={"cat"}.__contains__) == ["ann"]


def test_unknown_kinds_are_refused():
	with pytest.raises(ValueError, match="kind must be one of"):
		candidates("assigned", Facts())
	with pytest.raises(ValueError, match="kind must be one of"):
		setting_field("nope")
	assert setting_field("callback_due") == "cc_notify_callback_due"


@given(
	st.sampled_from(sorted(KINDS)),
	st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6),
	st.sampled_from([None, "a", "b"]),
	st.sets(st.sampled_from(["a", "b", "c", "d"])),
)
def test_audience_is_a_sorted_subset_without_actor_or_switched_off(kind, users, actor, off):
	f = Facts(
		assignees=tuple(users),
		team=tuple(users),
		mentioned=tuple(users),
		operators=tuple(users),
		owner=users[0] if users else None,
		team_lead=users[-1] if users else None,
	)
	out = audience(kind, f, actor, off.__contains__)
	assert out == sorted(set(out))
	assert actor not in out and not (set(out) & off) and set(out) <= set(users)
