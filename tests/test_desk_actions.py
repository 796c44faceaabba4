"""Desk actions on live calls: the AMI actions chosen (pure), and the blocking one-shot session that sends
them, over real TCP on loopback against the AMI peer."""

from __future__ import annotations

import pytest
from ami_peer import AmiPeer, PeerThread
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.actions import (
	Membership,
	agent_call,
	attended_transfer,
	blind_transfer,
	click_to_call,
	members_from_status,
	queue_add,
	queue_pause,
	reconcile,
	spy,
)
from callcenter_app.telephony.ami.client import AmiActionError, AmiAuthError, AmiConfig, AmiError
from callcenter_app.telephony.ami.oneshot import AmiSession
from callcenter_app.telephony.ami.protocol import encode_action


def config(port: int, secret: str = "s3cret-pass") -> AmiConfig:
	return AmiConfig(port=port, username="cc", secret=secret, timeout=3)


CHANNELS = [
	{"Channel": "PJSIP/trunk-00000001", "Uniqueid": "1.1", "Linkedid": "1.1", "BridgeId": "b1"},
	{"Channel": "PJSIP/ann-00000002", "Uniqueid": "1.2", "Linkedid": "1.1", "BridgeId": "b1"},
	{"Channel": "PJSIP/anna-00000003", "Uniqueid": "2.1", "Linkedid": "2.1", "BridgeId": ""},
]


def test_session_sends_actions_and_reads_lists():
	peer = AmiPeer([])
	peer.live = {c["Uniqueid"]: c for c in CHANNELS}
	with PeerThread(peer) as port, AmiSession(config(port)) as ami:
		channels = ami.action_list("CoreShowChannels")
		call = agent_call(channels, "ann")
		action = blind_transfer(call, "+37060000001")
		assert ami.action(action.name, action.fields)["Response"] == "Success"
	transfer = [a for a in peer.received if a["Action"] == "BlindTransfer"]
	assert transfer == [
		{
			"Action": "BlindTransfer",
			"ActionID": transfer[0]["ActionID"],
			"Channel": "PJSIP/ann-00000002",
			"Context": "cc-transfer",
			"Exten": "+37060000001",
		}
	]


def test_session_login_refused_is_a_clear_error_and_never_shows_the_secret():
	peer = AmiPeer([])
	with PeerThread(peer) as port:
		with pytest.raises(AmiAuthError) as e:
			with AmiSession(config(port, secret="wrong-secret")):
				pass
	assert "login refused for user 'cc'" in str(e.value) and "wrong-secret" not in str(e.value)


def test_session_error_response_raises_with_asterisks_message():
	peer = AmiPeer([])
	peer.refuse["Atxfer"] = "Channel specified does not exist"
	with PeerThread(peer) as port, AmiSession(config(port)) as ami:
		with pytest.raises(AmiActionError, match="Atxfer: Channel specified does not exist"):
			ami.action("Atxfer", {"Channel": "PJSIP/ann-1", "Exten": "200", "Context": "cc-agents"})
		assert ami.action("Ping")["Ping"] == "Pong"  # the session survives a refused action


def test_session_unreachable_asterisk_is_a_clear_error():
	with pytest.raises(AmiError, match=r"cannot reach Asterisk at 127\.0\.0\.1:1"):
		with AmiSession(AmiConfig(port=1, timeout=1)):
			pass


def test_session_times_out_when_asterisk_never_answers():
	import socket

	server = socket.socket()
	server.bind(("127.0.0.1", 0))
	server.listen()
	try:
		with pytest.raises(AmiError, match="did not answer in time"):
			with AmiSession(AmiConfig(port=server.getsockname()[1]), timeout=0.3):
				pass
	finally:
		server.close()


# --- click-to-call, transfer, spy (pure) ---------------------------------------------------------------


def test_click_to_call_rings_the_agent_first_and_carries_the_reference():
	a = click_to_call("ann", "+37060000001", caller_id="+37052000000", ticket="42")
	assert (a.name, a.fields["Channel"], a.fields["Context"], a.fields["Exten"]) == (
		"Originate",
		"PJSIP/ann",
		"cc-agents",
		"+37060000001",
	)
	assert a.fields["Async"] == "true" and a.fields["CallerID"] == "<+37052000000>"
	assert a.variables == {"__CC_DIRECTION": "outbound", "CC_NUMBER": "+37060000001", "__CC_TICKET": "42"}
	frame = encode_action(a.name, a.fields, a.variables).decode()
	assert "Variable: __CC_TICKET=42\r\n" in frame
	with pytest.raises(FieldError) as e:
		click_to_call("ann", "+37060000001", ticket="42\r\nAction: Hangup")
	assert e.value.field == "ticket"


@pytest.mark.parametrize(
	"agent, number, field",
	[
		("ann", "+3706\r\nAction: Hangup", "number"),
		("ann", "_X.", "number"),
		("ann;x", "+37060000001", "sip_account"),
		("", "+37060000001", "sip_account"),
	],
)
def test_click_to_call_refuses_injection(agent, number, field):
	with pytest.raises(FieldError) as e:
		click_to_call(agent, number)
	assert e.value.field == field


def test_agent_call_matches_the_whole_account_name():
	call = agent_call(CHANNELS, "ann")
	assert (call.agent_channel, call.peer_channel, call.linkedid) == (
		"PJSIP/ann-00000002",
		"PJSIP/trunk-00000001",
		"1.1",
	)
	anna = agent_call(CHANNELS, "anna")
	assert anna.peer_channel is None
	with pytest.raises(FieldError, match="not connected to anyone"):
		blind_transfer(anna, "200")
	with pytest.raises(FieldError, match="bob is not on a call"):
		agent_call(CHANNELS, "bob")


def test_attended_transfer_is_atxfer_on_the_agents_channel():
	a = attended_transfer(agent_call(CHANNELS, "ann"), "bob")
	assert (a.name, a.fields["Channel"], a.fields["Exten"], a.fields["Context"]) == (
		"Atxfer",
		"PJSIP/ann-00000002",
		"bob",
		"cc-transfer",
	)


@pytest.mark.parametrize(
	"mode, exten", [("listen", "listen-ann"), ("whisper", "whisper-ann"), ("barge", "barge-ann")]
)
def test_spy_originates_the_supervisor_into_chanspy(mode, exten):
	a = spy("sue", "ann", mode)
	assert (a.fields["Channel"], a.fields["Context"], a.fields["Exten"]) == (
		"PJSIP/sue",
		"cc-supervisor",
		exten,
	)


def test_spy_refuses_unknown_modes_and_self():
	with pytest.raises(FieldError) as e:
		spy("sue", "ann", "record")
	assert e.value.field == "mode"
	with pytest.raises(FieldError, match="own phone"):
		spy("ann", "ann", "listen")


# --- queue membership ----------------------------------------------------------------------------------


def m(queue, who, level=0, position=0, paused=False):
	return Membership(queue, f"PJSIP/{who}", level, paused, who, position)


def test_queue_add_sets_level_as_penalty():
	a = queue_add(m("support", "ann", level=2, paused=True), reason="Lunch break!")
	assert a.fields["Penalty"] == 2 and a.fields["Paused"] == "true" and a.fields["Reason"] == "Lunch break"
	assert queue_pause(m("support", "ann"), False).fields["Paused"] == "false"


def test_reconcile_logs_in_out_pauses_and_moves_levels():
	actual = [m("support", "ann", 1), m("support", "bob", 1), m("sales", "ann", 0)]
	desired = [m("support", "ann", 2), m("support", "bob", 1, paused=True), m("vip", "bob", 0)]
	got = [(a.name, a.fields["Queue"], a.fields["Interface"]) for a in reconcile(desired, actual)]
	assert got == [
		("QueueRemove", "sales", "PJSIP/ann"),
		("QueueAdd", "vip", "PJSIP/bob"),
		("QueuePenalty", "support", "PJSIP/ann"),
		("QueuePause", "support", "PJSIP/bob"),
	]


def test_reconcile_keeps_positions_within_a_level_for_linear_queues():
	actual = [m("q", "bob", 1, 2), m("q", "dora", 1, 3)]
	desired = [m("q", "ann", 1, 1), m("q", "bob", 1, 2), m("q", "dora", 1, 3)]
	got = [(a.name, a.fields["Interface"]) for a in reconcile(desired, actual, ordered=frozenset({"q"}))]
	assert got == [
		("QueueRemove", "PJSIP/bob"),
		("QueueRemove", "PJSIP/dora"),
		("QueueAdd", "PJSIP/ann"),
		("QueueAdd", "PJSIP/bob"),
		("QueueAdd", "PJSIP/dora"),
	]
	# a newcomer at the end of its level is just added
	late = [*desired, m("q", "zed", 1, 9)]
	assert [(a.name, a.fields["Interface"]) for a in reconcile(late, desired, ordered=frozenset({"q"}))] == [
		("QueueAdd", "PJSIP/zed")
	]


def apply(actions, members: list[Membership]) -> list[Membership]:
	"""What Asterisk does with the actions (dynamic members in insertion order)."""
	out = list(members)
	for a in actions:
		key = (a.fields["Queue"], a.fields["Interface"])
		i = next((i for i, x in enumerate(out) if (x.queue, x.interface) == key), None)
		if a.name == "QueueRemove":
			out.pop(i)
		elif a.name == "QueueAdd":
			assert i is None, f"QueueAdd of a present member {key}"
			who = a.fields["Interface"]
			out.append(
				Membership(key[0], who, int(a.fields["Penalty"]), a.fields["Paused"] == "true", who[6:])
			)
		elif a.name == "QueuePenalty":
			out[i] = Membership(key[0], key[1], int(a.fields["Penalty"]), out[i].paused, out[i].name)
		elif a.name == "QueuePause":
			out[i] = Membership(key[0], key[1], out[i].level, a.fields["Paused"] == "true", out[i].name)
	return out


memberships = st.lists(
	st.builds(
		m,
		queue=st.sampled_from(["q", "r"]),
		who=st.sampled_from(["ann", "bob", "dora", "ed", "fay"]),
		level=st.integers(0, 2),
		position=st.integers(0, 5),
		paused=st.booleans(),
	),
	max_size=10,
	unique_by=lambda x: (x.queue, x.interface),
)


@settings(max_examples=300)
@given(memberships, memberships)
def test_reconcile_reaches_the_desired_state_in_order_and_is_idempotent(desired, actual):
	ordered = frozenset({"q"})
	after = apply(reconcile(desired, actual, ordered), actual)
	state = lambda ms: {(x.queue, x.interface): (x.level, x.paused) for x in ms}  # noqa: E731
	assert state(after) == state(desired)
	for level in range(3):
		in_q = [x.interface for x in after if x.queue == "q" and x.level == level]
		by_position = sorted(
			(x for x in desired if x.queue == "q" and x.level == level),
			key=lambda x: (x.position, x.interface),
		)
		assert in_q == [x.interface for x in by_position]
	positioned = [
		Membership(x.queue, x.interface, x.level, x.paused, x.name, d.position)
		for x in after
		for d in desired
		if (d.queue, d.interface) == (x.queue, x.interface)
	]
	assert reconcile(desired, positioned, ordered) == []


def test_members_from_status_keeps_dynamic_pjsip_members_only():
	events = [
		{"Event": "QueueMember", "Queue": "q", "StateInterface": "PJSIP/ann", "Penalty": "2", "Paused": "1"},
		{"Event": "QueueMember", "Queue": "q", "Location": "PJSIP/bob", "Membership": "static"},
		{"Event": "QueueMember", "Queue": "q", "Location": "Local/100@x", "Membership": "dynamic"},
		{"Event": "QueueParams", "Queue": "q"},
	]
	assert members_from_status(events) == [Membership("q", "PJSIP/ann", 2, True, "")]


def test_reconcile_against_the_peer_end_to_end():
	peer = AmiPeer([])
	peer.members = [{"Queue": "support", "StateInterface": "PJSIP/bob", "Penalty": "1", "Paused": "0"}]
	with PeerThread(peer) as port, AmiSession(config(port)) as ami:
		status = ami.action_list("QueueStatus")
		actions = reconcile([m("support", "ann", 1)], members_from_status(status))
		for a in actions:
			ami.action(a.name, a.fields)
	assert [(a["Action"], a.get("Interface")) for a in peer.received] == [
		("QueueStatus", None),
		("QueueRemove", "PJSIP/bob"),
		("QueueAdd", "PJSIP/ann"),
		("Logoff", None),
	]
