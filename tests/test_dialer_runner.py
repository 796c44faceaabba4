"""The dialer's runner (pure): operator availability from queue member events, pacing per mode, and the
outcome of every call from synthetic AMI event sequences shaped like Asterisk's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.dialer.pacing import Progressive, progressive_count
from callcenter_app.dialer.runner import WINDOW_S, CampaignConfig, Connected, Dialer, Outcome

Q = "sales"
T0 = 1_800_000_000.0


def config(name="Spring", mode="Progressive", queue=Q, **kw) -> CampaignConfig:
	return CampaignConfig(name=name, mode=mode, queue=queue, **kw)


def member(interface, status=1, paused=False, in_call=False, event="QueueMemberStatus", queue=Q, **kw):
	return {
		"Event": event,
		"Queue": queue,
		"Interface": interface,
		"StateInterface": interface,
		"Status": str(status),
		"Paused": "1" if paused else "0",
		"InCall": "1" if in_call else "0",
		"Wrapuptime": str(kw.pop("wrapuptime", 0)),
		"LastCall": str(kw.pop("last_call", 0)),
		**kw,
	}


def dialer_with(free=0, paused=0, unavailable=0, talking=0, configs=None, **kw) -> Dialer:
	d = Dialer(**kw)
	d.configure(configs or [config()])
	n = 0
	for kind, count in (("free", free), ("paused", paused), ("unavailable", unavailable), ("talk", talking)):
		for _ in range(count):
			n += 1
			iface = f"PJSIP/op{n}"
			if kind == "free":
				d.feed(member(iface), T0)
			elif kind == "paused":
				d.feed(member(iface, paused=True), T0)
			elif kind == "unavailable":
				d.feed(member(iface, status=5), T0)
			else:
				d.feed(member(iface, status=2, in_call=True), T0)
	return d


def originate_response(action_id, reason, uid=None):
	answered = reason == 4
	return {
		"Event": "OriginateResponse",
		"ActionID": action_id,
		"Response": "Success" if answered else "Failure",
		"Channel": "PJSIP/+37060000000@trunk",
		"Context": "cc-dialer",
		"Exten": "s",
		"Reason": str(reason),
		"Uniqueid": uid if answered else "<null>",
	}


def chan(event, uid, **kw):
	return {"Event": event, "Channel": f"PJSIP/trunk-{uid}", "Uniqueid": uid, "Linkedid": uid, **kw}


def run_call(d, fate, n, t=T0, campaign="Spring", operator="PJSIP/op1"):
	"""Dial one call and play ``fate``'s events; the outcomes they gave, and the time after them."""
	attempt, aid, uid = f"att{n}", f"act{n}", f"17000.{n}"
	d.dialed(campaign, attempt, f"contact{n}", aid, t)
	events = {
		"busy": [(3, originate_response(aid, 5))],
		"no_answer": [(25, originate_response(aid, 3))],
		"congestion": [(2, originate_response(aid, 8))],
		"answered": [
			(8, originate_response(aid, 4, uid)),
			(0.1, chan("QueueCallerJoin", uid, Queue=Q)),
			(0.5, chan("AgentConnect", uid, Queue=Q, Interface=operator)),
			(0, chan("QueueCallerLeave", uid, Queue=Q)),
			(60, chan("Hangup", uid, Cause="16")),
		],
		"abandoned": [
			(8, originate_response(aid, 4, uid)),
			(0.1, chan("QueueCallerJoin", uid, Queue=Q)),
			(2, chan("QueueCallerAbandon", uid, Queue=Q, HoldTime="2")),
			(0, {"Event": "UserEvent", "UserEvent": "CCDialer", "Result": "abandoned", "Attempt": attempt}),
			(5, chan("Hangup", uid, Cause="16")),
		],
		"machine": [
			(8, originate_response(aid, 4, uid)),
			(3, chan("UserEvent", uid, UserEvent="CCDialer", Result="machine", AMDCause="LONGGREETING")),
			(0.1, chan("Hangup", uid, Cause="16")),
		],
		"hangup_at_once": [(8, originate_response(aid, 4, uid)), (0.5, chan("Hangup", uid, Cause="16"))],
	}[fate]
	out = []
	for delay, event in events:
		t += delay
		out += d.feed(event, t)
	return out, t


def outcomes_of(records):
	return [r for r in records if isinstance(r, Outcome)]


# --- operators ------------------------------------------------------------------------------------------


def test_progressive_places_one_call_per_free_operator():
	d = dialer_with(free=3, paused=2, unavailable=1, talking=1)
	assert d.decide("Spring", T0) == 3
	for n in range(3):
		d.dialed("Spring", f"a{n}", f"c{n}", f"x{n}", T0)
	assert d.decide("Spring", T0 + 1) == 0  # every free operator has a call coming
	assert d.feed(originate_response("x0", 5), T0 + 3)[0].code == "busy"
	assert d.decide("Spring", T0 + 3) == 1
	d.feed(member("PJSIP/op1", paused=True, event="QueueMemberPause"), T0 + 4)
	assert d.decide("Spring", T0 + 4) == 0
	state = d.state("Spring", T0 + 4)
	assert (state.free_agents, state.in_flight, len(state.talking_elapsed)) == (2, 2, 1)


def test_preview_campaigns_never_originate():
	d = dialer_with(free=5, configs=[config(mode="Preview", queue=None)])
	assert [d.decide("Spring", T0 + s) for s in range(5)] == [0] * 5
	d = dialer_with(free=5, configs=[config(mode="Preview")])
	assert d.decide("Spring", T0) == 0


def test_an_operator_is_in_wrap_up_for_the_queue_wrap_up_time_after_a_call():
	d = dialer_with(configs=[config(queue_wrapup_s=30)])
	d.feed(member("PJSIP/op1", status=2, in_call=True), T0)
	assert d.state("Spring", T0 + 100).talking_elapsed == [100.0]
	d.feed(member("PJSIP/op1", status=1, in_call=False, last_call=int(T0 + 100)), T0 + 100)
	s = d.state("Spring", T0 + 110)
	assert (s.free_agents, s.wrapup_elapsed, s.talking_elapsed) == (0, [10.0], [])
	assert d.decide("Spring", T0 + 129) == 0
	assert d.decide("Spring", T0 + 130) == 1
	# a member's own Wrapuptime wins over the queue's
	d.feed(member("PJSIP/op1", status=2, in_call=True, wrapuptime=5), T0 + 200)
	d.feed(member("PJSIP/op1", status=1, wrapuptime=5), T0 + 260)
	assert d.decide("Spring", T0 + 264) == 0 and d.decide("Spring", T0 + 265) == 1


def test_a_snapshot_member_in_wrap_up_is_placed_by_asterisk_last_call():
	d = dialer_with(configs=[config(queue_wrapup_s=20)])
	d.members.observe_clock({"Timestamp": f"{T0 + 3600:.6f}"}, T0)  # Asterisk's clock is an hour ahead
	d.resync([], [member("PJSIP/op9", event="QueueMember", last_call=int(T0 + 3600 - 5))], T0)
	assert d.state("Spring", T0).wrapup_elapsed == [5.0]
	assert d.decide("Spring", T0 + 15) == 1


def test_removed_and_unknown_members_and_other_queues_do_not_count():
	d = dialer_with(free=2)
	d.feed(member("PJSIP/x", queue="support"), T0)
	d.feed({"Event": "QueueMemberRemoved", "Queue": Q, "Interface": "PJSIP/op2"}, T0)
	d.feed({"Event": "QueueMemberStatus", "Queue": Q}, T0)  # no interface: ignored
	assert d.decide("Spring", T0) == 1


def test_inbound_callers_waiting_in_the_queue_take_operators_first():
	d = dialer_with(free=3)
	d.feed(chan("QueueCallerJoin", "in.1", Queue=Q), T0)
	assert d.decide("Spring", T0) == 2
	d.feed(chan("Hangup", "in.1"), T0 + 1)
	assert d.decide("Spring", T0 + 1) == 3


def test_two_campaigns_on_one_queue_never_count_the_same_free_operator():
	d = dialer_with(free=2, configs=[config("A"), config("B")])
	assert d.decide("A", T0) == 2
	d.dialed("A", "a1", "c1", "x1", T0)
	d.dialed("A", "a2", "c2", "x2", T0)
	assert d.decide("B", T0) == 0


# --- outcomes -------------------------------------------------------------------------------------------


def test_busy_no_answer_machine_abandoned_answered_give_their_outcomes():
	d = dialer_with(free=1, configs=[config(amd=True)])
	results = {}
	connected = {}
	for n, fate in enumerate(["busy", "no_answer", "congestion", "machine", "abandoned", "answered"]):
		records, _ = run_call(d, fate, n)
		(outcome,) = outcomes_of(records)
		results[fate] = outcome
		connected[fate] = [r for r in records if isinstance(r, Connected)]
	assert {f: o.code for f, o in results.items()} == {
		"busy": "busy",
		"no_answer": "no_answer",
		"congestion": "failed",
		"machine": "answering_machine",
		"abandoned": "abandoned",
		"answered": None,  # the operator records it
	}
	# only the answered call reached an operator, and said so when it did (before its outcome)
	assert {f for f, c in connected.items() if c} == {"answered"}
	(c,) = connected["answered"]
	answered = results["answered"]
	assert (c.attempt, c.interface, c.linkedid) == (answered.attempt, "PJSIP/op1", "17000.5")
	assert c.answered_at == answered.answered_at and c.connected_at == answered.connected_at
	assert results["busy"].reason == 5 and results["busy"].answered_at is None
	assert results["no_answer"].ended_at - results["no_answer"].dialed_at == 25
	machine, abandoned, answered = results["machine"], results["abandoned"], results["answered"]
	assert machine.amd_status == "MACHINE" and not machine.abandoned and machine.linkedid == "17000.3"
	assert abandoned.abandoned and abandoned.answered_at == abandoned.dialed_at + 8
	assert answered.interface == "PJSIP/op1" and not answered.abandoned
	assert answered.connected_at == answered.answered_at + 0.6
	assert answered.ended_at == answered.connected_at + 60
	runner = d.runners["Spring"]
	# answered = reached an operator or abandoned; a machine is not a live call
	assert (runner.window_answered, runner.window_abandoned) == (2, 1)
	assert (runner.total.placed, runner.total.failed, runner.total.machine) == (6, 3, 1)
	assert not d.calls


def test_an_answered_call_that_ends_without_an_operator_is_abandoned():
	d = dialer_with(free=1)
	(outcome,), _ = run_call(d, "hangup_at_once", 1)
	assert outcome.code == "abandoned" and outcome.abandoned
	assert d.runners["Spring"].window_abandoned == 1


@pytest.mark.parametrize(
	("reason", "after", "code"), [(0, 0.2, "failed"), (0, 30, "no_answer"), (1, 4, "failed")]
)
def test_reason_zero_and_one(reason, after, code):
	d = dialer_with(free=1)
	d.dialed("Spring", "a", "c", "x", T0)
	assert d.feed(originate_response("x", reason), T0 + after)[0].code == code


def test_late_duplicate_and_foreign_events_change_nothing():
	d = dialer_with(free=1)
	records, t = run_call(d, "answered", 1)
	(first,) = outcomes_of(records)
	assert first.code is None
	again = [
		originate_response("act1", 4, "17000.1"),
		chan("AgentConnect", "17000.1", Queue=Q, Interface="PJSIP/op1"),
		chan("Hangup", "17000.1"),
		originate_response("someone-else", 5),
		chan("Hangup", "999.1"),
	]
	assert [o for e in again for o in d.feed(e, t + 1)] == []
	assert d.runners["Spring"].window_answered == 1


def test_the_operator_and_talk_time_are_learned():
	d = dialer_with(free=1, configs=[config(queue_wrapup_s=15)])
	before = d.runners["Spring"].estimator.talk.counts[:]
	run_call(d, "answered", 1)
	est = d.runners["Spring"].estimator
	assert est.talk.counts != before  # 60 s of talk observed
	assert est.wrap.counts[15] > 1.0  # the queue's wrap-up time


def test_a_lost_originate_response_fails_after_the_ring_timeout_and_a_margin():
	d = dialer_with(free=1, configs=[config(ring_timeout_s=25)], originate_margin_s=60)
	d.dialed("Spring", "a", "c", "x", T0)
	assert d.sweep(T0 + 85) == []
	(outcome,) = d.sweep(T0 + 86)
	assert outcome.code == "failed" and "no OriginateResponse" in outcome.note


def test_resync_closes_answered_calls_whose_channel_is_gone():
	d = dialer_with(free=2)
	d.dialed("Spring", "a1", "c1", "x1", T0)
	d.dialed("Spring", "a2", "c2", "x2", T0)
	d.dialed("Spring", "a3", "c3", "x3", T0)
	d.feed(originate_response("x1", 4, "u1"), T0 + 5)
	d.feed(chan("AgentConnect", "u1", Queue=Q, Interface="PJSIP/op1"), T0 + 6)
	d.feed(originate_response("x2", 4, "u2"), T0 + 5)
	out = d.resync([{"Uniqueid": "u2"}], [member("PJSIP/op1", event="QueueMember")], T0 + 30)
	assert [(o.attempt, o.code) for o in out] == [("a1", None)]
	assert set(d.calls) == {"a2", "a3"}  # still live; still waiting for its OriginateResponse


def test_close_all_leaves_connected_calls_to_the_operator():
	d = dialer_with(free=3)
	for n in range(3):
		d.dialed("Spring", f"a{n}", f"c{n}", f"x{n}", T0)
	d.feed(originate_response("x1", 4, "u1"), T0 + 5)
	d.feed(originate_response("x2", 4, "u2"), T0 + 5)
	d.feed(chan("AgentConnect", "u2", Queue=Q, Interface="PJSIP/op1"), T0 + 6)
	out = {o.attempt: o.code for o in d.close_all(T0 + 9, "stopping")}
	assert out == {"a0": "failed", "a1": "abandoned"}


# --- the abandon window and predictive safety -----------------------------------------------------------


def test_the_window_is_24_hours_rolling_and_seeded():
	d = dialer_with(free=1)
	d.seed("Spring", [(T0 - WINDOW_S - 1, True), (T0 - 3600, True), (T0 - 60, False)], T0)
	runner = d.runners["Spring"]
	assert (runner.window_answered, runner.window_abandoned) == (2, 1)
	assert runner.abandon_rate(T0 + WINDOW_S - 3600 + 1) == 0.0  # the abandon an hour old has expired
	assert runner.window_answered == 1


def predictive_dialer(window_abandoned: int, window_answered: int = 200) -> Dialer:
	"""20 busy operators, half of them 5 s from the end of their 30 s wrap-up: predictive dials ahead of
	them unless its window says no."""
	d = Dialer()
	d.configure([config(mode="Predictive", target=0.03, queue_wrapup_s=30)])
	for n in range(20):
		iface = f"PJSIP/op{n}"
		d.feed(member(iface, status=2, in_call=True), T0 - 170 - 5 * n)
		if n % 2:
			d.feed(member(iface, status=1), T0 - 25)
	entries = [(T0 - 100 - i, i < window_abandoned) for i in range(window_answered)]
	d.seed("Spring", entries, T0)
	return d


def test_predictive_dials_ahead_when_its_abandon_rate_is_low():
	d = predictive_dialer(window_abandoned=0)
	assert progressive_count(d.state("Spring", T0)) == 0
	assert d.decide("Spring", T0) > 0


@pytest.mark.parametrize("abandoned", [6, 7, 20])  # 3%, 3.5%, 10% of 200 answered
def test_predictive_never_dials_past_progressive_when_the_window_is_at_the_target(abandoned):
	d = predictive_dialer(window_abandoned=abandoned)
	placed = 0
	for s in range(30):  # the wrap-ups end at T0 + 5: ten operators are free from then on
		state = d.state("Spring", T0 + s)
		n = d.decide("Spring", T0 + s)
		assert n <= progressive_count(state)
		for _ in range(n):
			placed += 1
			d.dialed("Spring", f"a{placed}", f"c{placed}", f"x{placed}", T0 + s)
	assert placed == 10  # one call per free operator, none ahead of the busy ones
	assert d.runners["Spring"].strategy.backing_off


# --- invariants -----------------------------------------------------------------------------------------

FATES = ["busy", "no_answer", "congestion", "machine", "abandoned", "answered", "hangup_at_once"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(FATES), min_size=1, max_size=25))
def test_every_call_ends_with_exactly_one_outcome_and_the_window_adds_up(fates):
	d = dialer_with(free=1)
	t = T0
	outcomes = []
	for n, fate in enumerate(fates):
		out, t = run_call(d, fate, n, t)
		outcomes += outcomes_of(out)
		assert len(out) - len(outcomes_of(out)) == (fate == "answered")  # one Connected per operator call
	assert [o.attempt for o in outcomes] == [f"att{n}" for n in range(len(fates))]
	live = [f for f in fates if f in ("answered", "abandoned", "hangup_at_once")]
	runner = d.runners["Spring"]
	assert runner.window_answered == len(live)
	assert runner.window_abandoned == len(live) - fates.count("answered")
	assert sum(o.abandoned for o in outcomes) == runner.window_abandoned
	assert not d.calls and not d._by_uid and not d._by_action


def test_a_stopped_campaign_stops_at_once_and_goes_when_its_calls_end():
	d = dialer_with(free=2)
	d.dialed("Spring", "a", "c", "x", T0)
	d.configure([])
	assert d.decide("Spring", T0) == 0 and "Spring" in d.runners
	d.feed(originate_response("x", 5), T0 + 2)
	assert "Spring" not in d.runners


def test_campaign_config_refuses_what_cannot_run():
	with pytest.raises(ValueError, match="needs a call queue"):
		config(queue=None)
	with pytest.raises(ValueError, match="abandon target"):
		config(target=0.05)
	with pytest.raises(ValueError, match="dialer mode"):
		config(mode="Turbo")


def test_progressive_strategy_is_the_one_a_progressive_campaign_gets():
	d = dialer_with(free=1)
	assert isinstance(d.runners["Spring"].strategy, Progressive)
