import datetime as dt
import json
import pathlib
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.evaluator import HOP_LIMIT
from callcenter_app.telephony.routing.model import (
	Announcement,
	IvrMenu,
	Node,
	Queue,
	Route,
	RouteSet,
	TimeBlock,
	TimeCondition,
	VipList,
)
from callcenter_app.telephony.routing.simulate import simulate
from callcenter_app.telephony.routing.validate import validate_route, validate_routeset

EXAMPLE = pathlib.Path(__file__).parent / "data" / "routes_example.json"
VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture(scope="module")
def routes() -> RouteSet:
	return serialize.loads(EXAMPLE.read_text())


def at(text: str) -> dt.datetime:
	return dt.datetime.fromisoformat(text).replace(tzinfo=VILNIUS)


def path(sim) -> list[tuple[str, str]]:
	return [(s.node, s.branch) for s in sim.steps]


def test_example_is_valid(routes):
	assert validate_routeset(routes) == []
	assert routes.numbers["+37052000001"] == "Main"  # national form normalised with the default region


def test_office_hours_menu_to_sales(routes):
	sim = simulate(routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), digits=["1"])
	assert path(sim) == [
		("vip", "not_vip"),
		("hours", "met"),
		("welcome", "next"),
		("menu", "1"),
		("q_sales", ""),
	]
	assert sim.outcome.result == "answered" and sim.outcome.target == "sales"
	assert sim.variables == {"CC_ROUTE": "Main", "CC_DID": "+37052000000", "CC_QUEUE": "sales"}
	assert "met: 2026-11-24 Tue 10:00 Europe/Vilnius is within Tuesday 08:00-17:00" in sim.steps[1].reason


def test_holiday_reason_is_explained(routes):
	sim = simulate(routes, "+37052000000", "+37069999999", at("2026-12-24 10:00"))
	assert sim.steps[1].reason == "time condition Office Hours not met: 2026-12-24 is holiday Christmas Eve"
	assert path(sim)[1:] == [("hours", "not_met"), ("closed", "route"), ("msg", "next"), ("vm", "")]
	assert sim.outcome.result == "voicemail"
	assert sim.variables["CC_ROUTE"] == "After Hours"


def test_lunch_break_and_weekend(routes):
	lunch = simulate(routes, "100", "+37069999999", at("2026-11-23 12:30"))
	assert "outside Monday hours (08:00-12:00, 13:00-17:00)" in lunch.steps[1].reason
	sunday = simulate(routes, "100", "+37069999999", at("2026-11-29 10:00"))
	assert "outside Sunday hours (closed all day)" in sunday.steps[1].reason


def test_vip_caller_by_national_number(routes):
	sim = simulate(routes, "+37052000000", "862222222", at("2026-11-29 03:00"))
	assert path(sim) == [("vip", "vip"), ("q_vip", "")]
	assert "caller +37062222222 is in VIP list Key Accounts" in sim.steps[0].reason


def test_vip_overflow_then_support(routes):
	sim = simulate(routes, "+37052000000", "+37061111111", at("2026-11-24 10:00"), queue_results=["timeout"])
	assert path(sim) == [("vip", "vip"), ("q_vip", "overflow"), ("q_support", "")]


def test_ivr_retries_then_timeout_branch(routes):
	sim = simulate(routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), digits=["", "7", ""])
	menu_steps = [(s.branch, s.reason) for s in sim.steps if s.node == "menu"]
	assert [b for b, _ in menu_steps] == ["retry", "retry", "timeout"]
	assert "caller pressed 7, which is not an option" in menu_steps[1][1]
	assert [a.kind for a in sim.actions].count("menu") == 3
	assert [getattr(a, "file", None) for a in sim.actions if a.kind == "play"] == [
		"custom/welcome",
		"custom/invalid",
	]
	assert sim.outcome.target == "support"


def test_forward_failed_goes_to_voicemail(routes):
	sim = simulate(
		routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), digits=["0"], dial_results=["busy"]
	)
	assert path(sim)[-2:] == [("operator", "failed"), ("vm", "")]
	assert sim.variables["CC_FORWARD"] == "+37060012345"
	dial = next(a for a in sim.actions if a.kind == "dial")
	assert (dial.number, dial.timeout) == ("+37060012345", 25)


def test_queue_timeout_override_from_node(routes):
	sim = simulate(routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), digits=["2"])
	queue = next(a for a in sim.actions if a.kind == "queue")
	assert (queue.queue, queue.timeout) == ("support", 120)


def test_caller_hangs_up_mid_ivr(routes):
	sim = simulate(routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), hang_up_after=2)
	assert sim.hung_up and sim.outcome is None
	assert [a.kind for a in sim.actions if a.kind != "set"] == ["play", "menu"]


def test_unknown_did_is_rejected(routes):
	sim = simulate(routes, "+37052999999", "+37069999999", at("2026-11-24 10:00"))
	assert sim.outcome.result == "rejected"
	assert "not assigned to any route" in sim.outcome.detail


@pytest.mark.parametrize(
	"utc, met",
	[
		("2026-03-28T05:30:00+00:00", False),  # 07:30 EET, the day before summer time
		("2026-03-29T05:30:00+00:00", True),  # 08:30 EEST, the first day of summer time
		("2026-10-24T05:30:00+00:00", True),  # 08:30 EEST, the last day of summer time
		("2026-10-25T05:30:00+00:00", False),  # 07:30 EET, back to winter time
	],
)
def test_dst_changes(utc, met):
	every_day = tuple(TimeBlock(d, 8 * 60, 17 * 60) for d in range(7))
	routes = RouteSet(
		routes={
			"R": Route.of(
				"R",
				"t",
				[
					Node(
						"t",
						"time_condition",
						params={"time_condition": "Day"},
						branches={"met": "a", "not_met": "b"},
					),
					Node("a", "hangup"),
					Node("b", "hangup"),
				],
			)
		},
		numbers={"1": "R"},
		time_conditions={"Day": TimeCondition("Day", "Europe/Vilnius", every_day)},
	)
	sim = simulate(routes, "1", "2", dt.datetime.fromisoformat(utc))
	assert sim.steps[0].branch == ("met" if met else "not_met")


# --- validation ---------------------------------------------------------------------------------------


def broken(routes: RouteSet, nodes: list[Node], start: str = "a") -> list[str]:
	return [str(e) for e in validate_route(Route.of("T", start, nodes), routes)]


def test_validation_names_the_node(routes):
	errors = broken(
		routes,
		[
			Node("a", "announcement", params={"announcement": "Nope"}, branches={"next": "zz"}),
			Node("b", "queue", params={"queue": "support"}, branches={"overflow": "a", "met": "a"}),
			Node("c", "time_condition", params={"time_condition": "Office Hours"}, branches={"met": "a"}),
			Node("d", "wobble"),
		],
	)
	assert "route T, node a: unknown announcement 'Nope'" in errors
	assert "route T, node a: branch 'next' goes to node 'zz', which does not exist" in errors
	assert any(e.startswith("route T, node b: unknown branch 'met'") for e in errors)
	assert "route T, node c: the 'not_met' branch is missing" in errors
	assert any(e.startswith("route T, node d: unknown node type 'wobble'") for e in errors)
	assert "route T, node b: cannot be reached from the start node" in errors


def test_busy_loop_is_refused_but_waiting_loop_is_not(routes):
	loop = [
		Node("a", "announcement", params={"announcement": "Welcome"}, branches={"next": "b"}),
		Node("b", "vip", params={"vip_list": "Key Accounts"}, branches={"vip": "a", "not_vip": "c"}),
		Node("c", "hangup"),
	]
	assert any("without waiting for the caller" in e and "a → b → a" in e for e in broken(routes, loop))
	waiting = [
		Node("a", "announcement", params={"announcement": "Welcome"}, branches={"next": "m"}),
		Node(
			"m",
			"ivr",
			params={"ivr_menu": "Main Menu"},
			branches={"9": "a", "1": "q", "timeout": "q", "invalid": "a"},
		),
		Node("q", "queue", params={"queue": "support"}, branches={"overflow": "a"}),
	]
	assert broken(routes, waiting) == []


def test_ivr_needs_a_digit_and_short_digits(routes):
	errors = broken(
		routes,
		[
			Node("a", "ivr", params={"ivr_menu": "Main Menu"}, branches={"timeout": "b", "invalid": "b"}),
			Node("b", "hangup"),
		],
	)
	assert "route T, node a: an IVR menu needs at least one digit branch" in errors
	errors = broken(
		routes,
		[
			Node(
				"a",
				"ivr",
				params={"ivr_menu": "Main Menu"},
				branches={"12": "b", "timeout": "b", "invalid": "b"},
			),
			Node("b", "hangup"),
		],
	)
	assert "route T, node a: digit branch '12' is longer than the menu's 1 digit(s)" in errors


def test_forward_number_and_mailbox_checked(routes):
	errors = broken(
		routes, [Node("a", "forward", params={"number": "12ab"}), Node("b", "voicemail", params={})], "a"
	)
	assert any(e.startswith("route T, node a: forward number") for e in errors)
	assert "route T, node b: a voicemail node needs its mailbox" in errors


def test_route_chain_loop_is_refused(routes):
	data = json.loads(EXAMPLE.read_text())
	data["routes"][1]["nodes"][0] = {"id": "msg", "type": "goto_route", "route": "Main"}
	data["routes"][1]["nodes"].pop()
	data["routes"][0]["start"] = "closed"
	data["routes"][0]["nodes"] = [{"id": "closed", "type": "goto_route", "route": "After Hours"}]
	errors = [str(e) for e in validate_routeset(serialize.from_dict(data))]
	assert "route Main: can come back to itself through other routes without waiting" in errors
	sim = simulate(serialize.from_dict(data), "100", "1", at("2026-11-24 10:00"))
	assert sim.outcome.result == "hangup" and "stop a loop" in sim.outcome.detail  # hop limit at run time


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_round_trip(routes):
	again = serialize.loads(serialize.dumps(routes))
	assert again == routes


@pytest.mark.parametrize(
	"mutate, field, reason",
	[
		(lambda d: d.update(format="x"), "format", "not a callcenter_app routes export"),
		(lambda d: d.update(version=7), "version", "not supported"),
		(lambda d: d["routes"][0]["nodes"][0].update(id="q_vip"), "routes[0].nodes[1].id", "used twice"),
		(
			lambda d: d["time_conditions"][0]["blocks"][0].update(day="Funday"),
			"time_conditions[0].blocks[0].day",
			"weekday",
		),
		(
			lambda d: d["time_conditions"][0]["blocks"][0].update(end="07:00"),
			"time_conditions[0].blocks[0].end",
			"later",
		),
		(
			lambda d: d["time_conditions"][0].update(timezone="Mars/Base"),
			"time_conditions[0].timezone",
			"IANA",
		),
		(
			lambda d: d["holiday_lists"][0]["holidays"][0].update(date="24/12"),
			"holiday_lists[0].holidays[0].date",
			"YYYY",
		),
		(
			lambda d: d["vip_lists"][0]["numbers"].append("abc"),
			"vip_lists[0].numbers[2]",
			"not a phone number",
		),
		(lambda d: d["ivr_menus"][0].update(timeout=0), "ivr_menus[0].timeout", "from 1 to 60"),
		(
			lambda d: d["announcements"][0].update(file="/etc/passwd"),
			"announcements[0].file",
			"not a sound name",
		),
		(
			lambda d: d["announcements"][0].update(file="a b\nEXEC System"),
			"announcements[0].file",
			"line breaks",
		),
		(
			lambda d: d["numbers"].append({"number": "+370 520 00000", "route": "X"}),
			"numbers[4].number",
			"twice",
		),
	],
)
def test_bad_json_names_the_place(mutate, field, reason):
	data = json.loads(EXAMPLE.read_text())
	mutate(data)
	with pytest.raises(FieldError) as e:
		serialize.from_dict(data)
	assert e.value.field == field
	assert reason in e.value.reason


def test_not_json_at_all():
	with pytest.raises(FieldError, match="is not JSON"):
		serialize.loads("{nope")


# --- properties ---------------------------------------------------------------------------------------

TERMINAL = {"answered", "voicemail", "hangup"}
KINDS = ["time_condition", "vip", "ivr", "announcement", "queue", "forward", "voicemail", "hangup"]


def world() -> RouteSet:
	return RouteSet(
		time_conditions={
			"TC": TimeCondition(
				"TC",
				"America/New_York",
				tuple(TimeBlock(d, 9 * 60, 17 * 60) for d in range(5)),
				holiday_list=None,
			)
		},
		vip_lists={"V": VipList("V", frozenset({"+12025550143"}))},
		ivr_menus={"M": IvrMenu("M", "menu", timeout=3, retries=1, max_digits=1)},
		announcements={"A": Announcement("A", "hello")},
		queues={"Q": Queue("Q", 60)},
	)


@st.composite
def random_routes(draw):
	"""Random routes: forward edges make a DAG; IVR and queue nodes may also point backwards (a wait)."""
	n = draw(st.integers(1, 12))
	kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n, max_size=n))
	kinds[-1] = draw(st.sampled_from(["hangup", "voicemail"]))
	nodes = []
	for i, kind in enumerate(kinds):
		later = [f"n{j}" for j in range(i + 1, n)]
		anywhere = [f"n{j}" for j in range(n)]

		def target(back_ok=False, later=later, anywhere=anywhere):
			return draw(st.sampled_from(anywhere if back_ok else later))

		if kind in ("voicemail", "hangup") or not later:
			kind = kind if kind in ("voicemail", "hangup") else "hangup"
			nodes.append(Node(f"n{i}", kind, params={"mailbox": "100"} if kind == "voicemail" else {}))
			continue
		if kind == "time_condition":
			b, p = {"met": target(), "not_met": target()}, {"time_condition": "TC"}
		elif kind == "vip":
			b, p = {"vip": target(), "not_vip": target()}, {"vip_list": "V"}
		elif kind == "ivr":
			b, p = (
				{"1": target(True), "2": target(True), "timeout": target(), "invalid": target(True)},
				{"ivr_menu": "M"},
			)
		elif kind == "announcement":
			b, p = {"next": target()}, {"announcement": "A"}
		elif kind == "queue":
			b, p = ({"overflow": target(True)} if draw(st.booleans()) else {}), {"queue": "Q"}
		else:
			b, p = ({"failed": target()} if draw(st.booleans()) else {}), {"number": "+12025550143"}
		nodes.append(Node(f"n{i}", kind, params=p, branches=b))
	return Route.of("R", "n0", nodes)


@given(
	route=random_routes(),
	when=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31), timezones=st.just(dt.timezone.utc)),
	digits=st.lists(st.sampled_from(["", "1", "2", "3", "#"]), max_size=12),
	queue_results=st.lists(st.sampled_from(["answered", "timeout", "full", "joinempty"]), max_size=6),
	dial_results=st.lists(st.sampled_from(["answered", "busy", "noanswer"]), max_size=6),
	caller=st.sampled_from(["+12025550143", "+12025550199", "", "anonymous"]),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_valid_route_ends_in_a_terminal_action(
	route, when, digits, queue_results, dial_results, caller
):
	base = world()
	routes = RouteSet(**{**base.__dict__, "routes": {"R": route}, "numbers": {"+12025550100": "R"}})
	errors = validate_route(route, routes)
	assume(not [e for e in errors if "cannot be reached" not in str(e)])
	sim = simulate(routes, "+12025550100", caller, when, digits, queue_results, dial_results)
	assert sim.outcome is not None and sim.outcome.result in TERMINAL
	last = sim.steps[-1]
	assert last.branch == ""  # the last step ends the call; it does not point onwards
	# each node is visited at most HOP_LIMIT times in all, an IVR visit adds one retry step (retries=1)
	assert len(sim.steps) <= 2 * HOP_LIMIT + 1
	# only a loop through a node that waits for the caller can run into the hop limit
	assert "stop a loop" not in sim.outcome.detail or any(s.type in ("ivr", "queue") for s in sim.steps)


# --- issue 8: only a real answer is an answer ---------------------------------------------------------


def test_queue_that_asterisk_does_not_have_overflows(routes):
	sim = simulate(routes, "+37052000000", "+37061111111", at("2026-11-24 10:00"), queue_results=["unknown"])
	assert path(sim) == [("vip", "vip"), ("q_vip", "overflow"), ("q_support", "")]
	assert "could not join (UNKNOWN: Asterisk has no such queue)" in sim.steps[1].reason
	assert sim.outcome.target == "support"


@pytest.mark.parametrize("status", ["", "weird", "answer"])
def test_a_status_that_is_not_an_answer_is_not_answered(routes, status):
	"""The evaluator itself: anything the driver reports other than 'answered' leaves by the overflow."""
	from callcenter_app.telephony.routing.evaluator import CallContext, EnterQueue, route_call

	gen = route_call(routes, CallContext("+37052000000", "+37061111111", at("2026-11-24 10:00")))
	action, result = next(gen), None
	while not isinstance(action, EnterQueue):
		action = gen.send(result)
	action = gen.send(status)
	while not isinstance(action, EnterQueue):  # past the overflow: the support queue
		action = gen.send(None)
	assert action.queue == "support"


@pytest.mark.parametrize(
	"kwargs, field",
	[
		(dict(queue_results=["bogus"]), "queue results"),
		(dict(queue_results=["answered", ""]), "queue results"),
		(dict(dial_results=["ringing"]), "dial results"),
		(dict(hang_up_after=0), "hang up after"),
		(dict(hang_up_after=-3), "hang up after"),
	],
)
def test_simulator_refuses_what_asterisk_never_reports(routes, kwargs, field):
	with pytest.raises(FieldError) as e:
		simulate(routes, "+37052000000", "+37069999999", at("2026-11-24 10:00"), **kwargs)
	assert e.value.field == field


def test_simulator_reads_asterisk_statuses_in_any_case(routes):
	sim = simulate(routes, "+37052000000", "+37061111111", at("2026-11-24 10:00"), queue_results=["TIMEOUT"])
	assert path(sim)[1] == ("q_vip", "overflow")


# --- issue 10: forward numbers in E.164 --------------------------------------------------------------


def test_forward_number_is_normalised_when_read():
	data = json.loads(EXAMPLE.read_text())
	data["routes"][0]["nodes"][7]["number"] = "8 600 12345"  # national, as typed
	routes = serialize.from_dict(data)
	assert routes.routes["Main"].nodes["operator"].params["number"] == "+37060012345"
	sim = simulate(routes, "100", "1", at("2026-11-24 10:00"), digits=["0"], dial_results=["busy"])
	assert next(a for a in sim.actions if a.kind == "dial").number == "+37060012345"


def test_forward_number_that_is_not_a_number_is_refused_naming_the_node():
	data = json.loads(EXAMPLE.read_text())
	data["routes"][0]["nodes"][7]["number"] = "call Bob"
	with pytest.raises(FieldError) as e:
		serialize.from_dict(data)
	assert e.value.field == "routes[0].nodes[7].number"
	assert e.value.reason.startswith("forward node operator: 'call Bob' is not a phone number")


def test_forward_number_from_records_is_normalised():
	from callcenter_app.telephony.routing.records import build_routeset, forward_number

	record = {
		"route_name": "R",
		"start_node": "f",
		"nodes": [
			{"node_id": "f", "node_type": "Forward", "number": " +48 22 555 00 00 "},
			{"node_id": "x", "node_type": "Forward", "number": "not a number"},
		],
		"branches": [],
	}
	routes = build_routeset(routes=[record], default_region="PL")
	assert routes.routes["R"].nodes["f"].params["number"] == "+48225550000"
	assert routes.routes["R"].nodes["x"].params["number"] == "not a number"  # validation names it
	assert forward_number("22 555 00 00", "PL") == "+48225550000"
	errors = [str(e) for e in validate_route(routes.routes["R"], routes)]
	assert any(
		e.startswith("route R, node x: forward number 'not a number' is not a phone number") for e in errors
	)


def test_evaluator_dials_e164_even_for_a_number_saved_as_typed():
	routes = RouteSet(
		routes={"R": Route.of("R", "f", [Node("f", "forward", params={"number": "+48 22 555 00 00"})])},
		numbers={"1": "R"},
	)
	sim = simulate(routes, "1", "2", at("2026-11-24 10:00"))
	assert next(a for a in sim.actions if a.kind == "dial").number == "+48225550000"
	assert sim.variables["CC_FORWARD"] == "+48225550000"


# --- issue 11: references to nodes and routes that do not exist are refused ------------------------------


@pytest.mark.parametrize(
	"mutate, message",
	[
		(
			lambda d: d["routes"][0]["nodes"][4]["branches"].update({"1": "q_salez"}),
			"route Main, node menu: branch '1' goes to node 'q_salez', which does not exist",
		),
		(lambda d: d["routes"][1].update(start="nowhere"), "route After Hours: start node 'nowhere'"),
		(
			lambda d: d["numbers"].append({"number": "200", "route": "Gone"}),
			"number 200: points at route 'Gone', which does not exist",
		),
	],
)
def test_missing_references_make_the_set_invalid(mutate, message):
	from callcenter_app.telephony.routing.validate import InvalidRoutes, require_valid

	data = json.loads(EXAMPLE.read_text())
	mutate(data)
	with pytest.raises(InvalidRoutes) as e:
		require_valid(serialize.from_dict(data), "routes.json")
	assert any(str(err).startswith(message) for err in e.value.errors)
	assert e.value.field == "routes.json" and message in e.value.reason


# --- issue 13: names passed to Asterisk are checked when read and validated ------------------------------


@pytest.mark.parametrize(
	"mutate, field",
	[
		(lambda d: d["queues"][0].update(name="sales&vip"), "queues[0].name"),
		(lambda d: d["queues"][0].update(name="sales,r"), "queues[0].name"),
		(lambda d: d["announcements"][0].update(file="custom/a&custom/b"), "announcements[0].file"),
		(lambda d: d["announcements"][0].update(file="custom/${X}"), "announcements[0].file"),
		(lambda d: d["ivr_menus"][0].update(prompt="custom/x(1)"), "ivr_menus[0].prompt"),
		(lambda d: d["ivr_menus"][0].update(prompt="custom/../../etc/x"), "ivr_menus[0].prompt"),
	],
)
def test_unsafe_names_are_refused_when_read(mutate, field):
	data = json.loads(EXAMPLE.read_text())
	mutate(data)
	with pytest.raises(FieldError) as e:
		serialize.from_dict(data)
	assert e.value.field == field


def test_unsafe_names_are_refused_by_validation(routes):
	unsafe = RouteSet(
		**{
			**routes.__dict__,
			"queues": {**routes.queues, "q&x": Queue("q&x")},
			"announcements": {**routes.announcements, "Bad": Announcement("Bad", "x|y")},
			"ivr_menus": {**routes.ivr_menus, "BadMenu": IvrMenu("BadMenu", "m", invalid_prompt="a$b")},
		}
	)
	errors = broken(
		unsafe,
		[
			Node("a", "announcement", params={"announcement": "Bad"}, branches={"next": "m"}),
			Node(
				"m",
				"ivr",
				params={"ivr_menu": "BadMenu"},
				branches={"1": "q", "timeout": "q", "invalid": "q"},
			),
			Node("q", "queue", params={"queue": "q&x"}, branches={"overflow": "v"}),
			Node("v", "voicemail", params={"mailbox": "100@default,s"}),
		],
	)
	assert "route T, node a: sound file 'x|y' of Bad is not a sound name (like custom/welcome)" in errors
	assert (
		"route T, node m: invalid prompt 'a$b' of BadMenu is not a sound name (like custom/welcome)" in errors
	)
	assert any(
		e.startswith("route T, node q: call queue 'q&x' is not an Asterisk queue name") for e in errors
	)
	assert "route T, node v: mailbox '100@default,s' is not of the form box or box@context" in errors
