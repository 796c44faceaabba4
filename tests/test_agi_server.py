import asyncio
import datetime as dt
import json
import logging
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from agi_peer import Scenario, env_lines, play_call
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.agi.protocol import (
	AGIProtocolError,
	UnsafeArgument,
	app_args,
	checked,
	parse_env_line,
	parse_response,
	quote,
)
from callcenter_app.telephony.agi.server import FileRouteSource, RouteServer, ServerConfig, listen
from callcenter_app.telephony.agi.workers import WorkerPool
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.model import Announcement, IvrMenu, Node, Queue, Route, RouteSet
from callcenter_app.telephony.routing.simulate import simulate

EXAMPLE = pathlib.Path(__file__).parent / "data" / "routes_example.json"
ROUTES = serialize.loads(EXAMPLE.read_text())
OFFICE = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Vilnius"))


def run_calls(calls, now=OFFICE, config=None, routes=lambda: ROUTES):
	"""Start a server on a free loopback port, play each (did, caller, scenario), return the records."""
	records = []

	async def main():
		server = RouteServer(
			routes,
			config or ServerConfig(host="127.0.0.1", port=0),
			now=lambda: now,
			on_call_end=records.append,
		)
		host, port = await server.start()
		try:
			await asyncio.gather(
				*(
					play_call(host, port, did, caller, sc, uniqueid=f"1.{i}")
					for i, (did, caller, sc) in enumerate(calls)
				)
			)
			for _ in range(200):  # the server's side of the last call may still be closing
				if len(records) >= len(calls):
					break
				await asyncio.sleep(0.01)
		finally:
			await server.close()

	asyncio.run(main())
	return sorted(records, key=lambda r: r.uniqueid)


def expected_commands(sim, queue_results=()) -> list[str]:
	"""What the server must send for a simulated path (the mapping documented in server.py)."""
	out, answered = [], False
	queue_feed = iter(queue_results)
	for action in sim.actions:
		if action.kind == "set":
			out.append(f'SET VARIABLE "{action.name}" "{action.value}"')
		elif action.kind in ("play", "menu"):
			if not answered:
				out.append("ANSWER")
				answered = True
			if action.kind == "play":
				out.append(f'STREAM FILE "{action.file}" ""')
			else:
				out.append(f'GET DATA "{action.prompt}" {action.timeout * 1000} {action.max_digits}')
		elif action.kind == "queue":
			out += [
				'SET VARIABLE "QUEUESTATUS" ""',
				f'EXEC Queue "{action.queue},t,,,{action.timeout}"',
				'GET VARIABLE "QUEUESTATUS"',
			]
			if next(queue_feed, "answered") == "answered":  # no QUEUESTATUS: answered or abandoned?
				out.append('GET VARIABLE "ABANDONED"')
		elif action.kind == "dial":
			out += [f'EXEC Dial "PJSIP/{action.number}@trunk,{action.timeout}"', 'GET VARIABLE "DIALSTATUS"']
	if sim.outcome and sim.outcome.result == "voicemail":
		out.append(f'EXEC VoiceMail "{sim.outcome.target},u"')
	elif sim.outcome and sim.outcome.result in ("hangup", "rejected"):
		out.append("HANGUP")
	return out


SCENARIOS = [
	("+37052000000", "+37069999999", dict(digits=["1"])),
	("+37052000000", "+37069999999", dict(digits=["", "5", "2"], queue_results=["timeout"])),
	("+37052000000", "+37069999999", dict(digits=["0"], dial_results=["busy"])),
	("+37052000000", "+37061111111", dict(queue_results=["full", "leaveempty"])),
	("+37052000002", "+37069999999", {}),
	("+37052999999", "+37069999999", {}),
]


@pytest.mark.parametrize("did, caller, script", SCENARIOS)
def test_server_does_what_the_simulator_says(did, caller, script):
	(record,) = run_calls([(did, caller, Scenario(**script))])
	sim = simulate(ROUTES, did, caller, OFFICE, **script)
	assert [s.as_dict() for s in record.steps] == [s.as_dict() for s in sim.steps]
	assert record.outcome == sim.outcome
	assert record.commands == expected_commands(sim, script.get("queue_results", ()))
	assert not record.error and not record.hung_up and not record.problems


@given(
	digits=st.lists(st.sampled_from(["", "0", "1", "2", "9", "#"]), max_size=4),
	queue_results=st.lists(st.sampled_from(["answered", "timeout", "full"]), max_size=3),
	dial_results=st.lists(st.sampled_from(["answered", "busy", "noanswer"]), max_size=2),
	when=st.datetimes(dt.datetime(2026, 12, 20), dt.datetime(2027, 1, 5), timezones=st.just(dt.timezone.utc)),
	caller=st.sampled_from(["+37069999999", "+37061111111", "862222222", ""]),
)
@settings(max_examples=40, deadline=None)
def test_simulator_path_equals_the_servers_for_any_call(digits, queue_results, dial_results, when, caller):
	script = dict(digits=digits, queue_results=queue_results, dial_results=dial_results)
	(record,) = run_calls([("+37052000000", caller, Scenario(**script))], now=when)
	sim = simulate(ROUTES, "+37052000000", caller, when, **script)
	assert [s.as_dict() for s in record.steps] == [s.as_dict() for s in sim.steps]
	assert record.commands == expected_commands(sim, queue_results)
	assert record.outcome == sim.outcome and not record.hung_up


def test_caller_hangs_up_mid_ivr():
	scenario = Scenario(hang_up_on=lambda c: c.startswith("GET DATA"))
	(record,) = run_calls([("+37052000000", "+37069999999", scenario)])
	assert record.hung_up and record.outcome is None and not record.error
	# after the -1 only CHANNEL STATUS is asked (the dead channel answers 511); nothing else is sent
	assert record.commands[-2].startswith("GET DATA") and record.commands[-1] == "CHANNEL STATUS"
	assert scenario.closed_by_server
	assert [s.node for s in record.steps] == ["vip", "hours", "welcome"]


def test_caller_hangs_up_during_announcement():
	scenario = Scenario(hang_up_on=lambda c: c.startswith("STREAM FILE"))
	(record,) = run_calls([("+37052000000", "+37069999999", scenario)])
	assert record.hung_up and record.commands[-2].startswith("STREAM FILE")
	assert record.commands[-1] == "CHANNEL STATUS"


def test_missing_sound_file_does_not_drop_the_call():
	scenario = Scenario(digits=["1"], missing_sounds={"custom/welcome"})
	(record,) = run_calls([("+37052000000", "+37069999999", scenario)])
	assert "CHANNEL STATUS" in record.commands
	assert record.outcome.result == "answered" and record.outcome.target == "sales"
	assert record.problems == [
		"route Main: sound custom/welcome could not be played (is the sound file missing?)"
	]


# --- issue 7: a missing IVR prompt is no input, not a hang-up ------------------------------------------


def test_missing_ivr_prompt_is_no_input_not_a_hangup(caplog):
	# Asterisk 22: GET DATA of a missing file answers "200 result=-1" while the channel is up (state 6)
	scenario = Scenario(missing_sounds={"custom/main-menu"})
	with caplog.at_level(logging.INFO, logger="callcenter.agi"):
		(record,) = run_calls([("+37052000000", "+37069999999", scenario)])
	assert not record.hung_up and not record.error
	sim = simulate(ROUTES, "+37052000000", "+37069999999", OFFICE)  # the caller presses nothing
	assert [s.as_dict() for s in record.steps] == [s.as_dict() for s in sim.steps]
	assert record.outcome == sim.outcome and record.outcome.target == "support"  # the menu's timeout branch
	assert record.commands.count("CHANNEL STATUS") == 3  # one per try of the menu
	errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
	assert len(errors) == 3
	assert all("route Main: IVR prompt custom/main-menu could not be played" in e for e in errors)
	assert "caller hung up" not in caplog.text


def test_a_channel_not_up_after_minus_one_is_a_hangup():
	class Gone(Scenario):
		def reply(self, command):
			if command.startswith("GET DATA"):
				self.state = 0  # down, but no HANGUP line and no 511 (AGISIGHUP=no)
				return ["200 result=-1"]
			return super().reply(command)

	(record,) = run_calls([("+37052000000", "+37069999999", Gone())])
	assert record.hung_up and not record.problems
	assert record.commands[-1] == "CHANNEL STATUS"


# --- issues 8 and 16: only a real answer is an answer; an answered call is not a hang-up ---------------


def test_queue_missing_in_asterisk_overflows():
	# Queue("vip") on an Asterisk without that queue: "Unable to join queue", QUEUESTATUS=UNKNOWN, result 0
	scenario = Scenario(asterisk_queues={"sales", "support"})
	(record,) = run_calls([("+37052000000", "+37061111111", scenario)])
	sim = simulate(ROUTES, "+37052000000", "+37061111111", OFFICE, queue_results=["unknown"])
	assert [(s.node, s.branch) for s in record.steps] == [
		("vip", "vip"),
		("q_vip", "overflow"),
		("q_support", ""),
	]
	assert [s.as_dict() for s in record.steps] == [s.as_dict() for s in sim.steps]
	assert record.outcome == sim.outcome and record.outcome.target == "support"
	assert record.problems == [
		"route Main: queue vip does not exist in Asterisk (QUEUESTATUS UNKNOWN); overflow"
	]


def test_stale_queuestatus_of_an_earlier_queue_is_not_read():
	# q_vip times out (QUEUESTATUS=TIMEOUT); q_support answers, which leaves QUEUESTATUS as it was
	scenario = Scenario(queue_results=["timeout", "answered"])
	(record,) = run_calls([("+37052000000", "+37061111111", scenario)])
	assert [(s.node, s.branch) for s in record.steps] == [
		("vip", "vip"),
		("q_vip", "overflow"),
		("q_support", ""),
	]
	assert record.outcome.result == "answered" and record.outcome.target == "support"


@pytest.mark.parametrize("status", ["full", "joinempty", "joinunavail", "leaveempty", "withdraw", "unknown"])
def test_every_queuestatus_overflows(status):
	(record,) = run_calls([("+37052000000", "+37061111111", Scenario(queue_results=[status]))])
	assert record.steps[1].branch == "overflow" and status in record.steps[1].reason.lower()


def test_queue_that_does_not_run_is_not_an_answer():
	class NoAppQueue(Scenario):
		def reply(self, command):
			return ["200 result=-2"] if command.startswith("EXEC Queue") else super().reply(command)

	(record,) = run_calls([("+37052000000", "+37061111111", NoAppQueue())])
	assert record.steps[1].branch == "overflow"  # and then q_support does not run either: voicemail
	assert record.outcome.result == "voicemail"
	assert "is app_queue loaded?" in record.problems[0]


def test_answered_queue_call_is_logged_answered_not_hung_up(caplog):
	# Asterisk 22: after an answered call ends, EXEC Queue gives "200 result=-1" and a HANGUP line
	with caplog.at_level(logging.INFO, logger="callcenter.agi"):
		(record,) = run_calls([("+37052000000", "+37069999999", Scenario(digits=["1"]))])
	assert not record.hung_up and not record.error
	assert record.outcome.result == "answered" and record.outcome.target == "sales"
	assert record.commands[-2:] == [
		'GET VARIABLE "QUEUESTATUS"',
		'GET VARIABLE "ABANDONED"',
	]  # dead-channel reads
	(line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("call 1.0 ")]
	assert line.endswith("q_sales:end → answered (queue sales)")
	assert "caller hung up" not in caplog.text


def test_caller_abandoning_in_the_queue_is_a_hangup(caplog):
	with caplog.at_level(logging.INFO, logger="callcenter.agi"):
		(record,) = run_calls(
			[("+37052000000", "+37069999999", Scenario(digits=["1"], queue_results=["abandoned"]))]
		)
	assert record.hung_up and record.outcome is None
	(line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("call 1.0 ")]
	assert line.endswith("→ caller hung up")


def test_answered_forward_is_answered_and_a_cancelled_one_a_hangup():
	(answered,) = run_calls([("+37052000000", "+37069999999", Scenario(digits=["0"]))])
	assert not answered.hung_up and answered.outcome.result == "answered"
	assert answered.outcome.target == "+37060012345"
	(cancelled,) = run_calls(
		[("+37052000000", "+37069999999", Scenario(digits=["0"], dial_results=["cancel"]))]
	)
	assert cancelled.hung_up and cancelled.outcome is None


# --- issue 10: forward numbers are dialled in E.164 ------------------------------------------------------


def forward_routes(number: str) -> RouteSet:
	return RouteSet(
		routes={
			"R": Route.of(
				"R",
				"fwd",
				[
					Node("fwd", "forward", params={"number": number}, branches={"failed": "bye"}),
					Node("bye", "hangup"),
				],
			)
		},
		numbers={"100": "R"},
		default_region="PL",
	)


def test_forward_number_saved_as_typed_is_dialled_in_e164():
	routes = forward_routes("+48 22 555 00 00")
	(record,) = run_calls([("100", "+48225550001", Scenario())], routes=lambda: routes)
	assert 'EXEC Dial "PJSIP/+48225550000@trunk,30"' in record.commands
	assert 'SET VARIABLE "CC_FORWARD" "+48225550000"' in record.commands
	assert record.outcome.result == "answered"


def test_forward_number_that_is_no_number_is_not_dialled():
	routes = forward_routes("22 555 (00) 00 & PJSIP/evil")
	(record,) = run_calls([("100", "+48225550001", Scenario())], routes=lambda: routes)
	assert not any(c.startswith("EXEC Dial") for c in record.commands)
	assert [(s.node, s.branch) for s in record.steps] == [("fwd", "failed"), ("bye", "")]
	assert "is not a phone number" in record.steps[0].reason


# --- issue 13: nothing a record or a caller controls is injected into an application argument -----------

INJECTIONS = [
	"sup&port",
	"support,r",
	"support|x",
	"q(1)",
	"${EVIL}",
	"q{x}",
	"q;x",
	"a b",
	"q[1]",
	"x^y",
	'q"x',
]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_unsafe_record_values_never_reach_asterisk(bad, caplog):
	routes = RouteSet(
		routes={
			"R": Route.of(
				"R",
				"hello",
				[
					Node("hello", "announcement", params={"announcement": "A"}, branches={"next": "menu"}),
					Node(
						"menu",
						"ivr",
						params={"ivr_menu": "M"},
						branches={"1": "q", "timeout": "q", "invalid": "q"},
					),
					Node("q", "queue", params={"queue": "Q"}, branches={"overflow": "fwd"}),
					Node("fwd", "forward", params={"number": "+37060012345"}, branches={"failed": "vm"}),
					Node("vm", "voicemail", params={"mailbox": f"100{bad}"}),
				],
			)
		},
		numbers={"100": "R"},
		announcements={"A": Announcement("A", f"custom/{bad}")},
		ivr_menus={"M": IvrMenu("M", f"custom/menu{bad}", retries=0)},
		queues={"Q": Queue(bad)},
	)
	with caplog.at_level(logging.ERROR, logger="callcenter.agi"):
		(record,) = run_calls(
			[("100", "+37069999999", Scenario(dial_results=["busy"]))], routes=lambda: routes
		)
	sent = "\n".join(record.commands)
	assert bad not in sent
	assert not any(
		c.startswith(("EXEC Queue", "EXEC VoiceMail", "STREAM FILE", "GET DATA")) for c in record.commands
	)
	assert 'EXEC Dial "PJSIP/+37060012345@trunk,30"' in record.commands  # the safe step still runs
	assert record.commands[-1] == "HANGUP" and not record.error and not record.hung_up
	assert len(record.problems) == 5 and caplog.text.count("route R:") == 5  # + the CC_QUEUE tag


def test_caller_controlled_did_is_not_passed_on():
	# a DID the caller's network sent with spaces and an extension mark reaches route Main as +37052000000
	(record,) = run_calls([("+370 520 00000", "+37069999999", Scenario(digits=["1"]))])
	assert 'SET VARIABLE "CC_DID" "+37052000000"' in record.commands


def raw_session(payload: bytes, config=None, read_timeout=3.0, half_close=True):
	"""Send raw bytes as 'Asterisk', return what the server sent back and the record."""
	records, received = [], []

	async def main():
		server = RouteServer(
			lambda: ROUTES, config or ServerConfig(port=0), now=lambda: OFFICE, on_call_end=records.append
		)
		host, port = await server.start()
		reader, writer = await asyncio.open_connection(host, port)
		writer.write(payload)
		if half_close:
			writer.write_eof()
		await writer.drain()
		received.append(await asyncio.wait_for(reader.read(), read_timeout))
		writer.close()
		for _ in range(100):
			if records:
				break
			await asyncio.sleep(0.01)
		await server.close()

	asyncio.run(main())
	return received[0], records[0]


@pytest.mark.parametrize(
	"payload, reason",
	[
		(b"hello world\n\n", "not an AGI environment line"),
		(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not an AGI environment line"),
		(b"agi_network: yes\nagi_channel: X\n\n", "no agi_uniqueid"),
		(b"agi_channel: X\nagi_uniq", "connection closed in the middle of a line"),
		(b"\xff\xfe\x00garbage\n\n", "not UTF-8"),
		(b"agi_x: " + b"a" * 20000 + b"\n\n", "longer than"),
	],
)
def test_malformed_environment_is_refused(payload, reason, caplog):
	with caplog.at_level(logging.WARNING, logger="callcenter.agi"):
		sent, record = raw_session(payload)
	assert sent == b""  # no command is sent to something that is not Asterisk
	assert reason in record.error
	assert "malformed AGI environment" in caplog.text


def test_silent_client_times_out():
	started = time.monotonic()
	sent, record = raw_session(b"", ServerConfig(port=0, env_timeout=0.3), half_close=False)
	assert sent == b""
	assert "no reply within" in record.error
	assert time.monotonic() - started < 2.5


def test_client_that_stops_answering_is_dropped():
	scenario = Scenario(stall_on=lambda c: c.startswith('SET VARIABLE "CC_DID"'))
	started = time.monotonic()
	(record,) = run_calls(
		[("+37052000000", "+37069999999", scenario)], config=ServerConfig(port=0, command_timeout=0.3)
	)
	assert "no reply within 0.3 s" in record.error
	assert scenario.closed_by_server
	assert time.monotonic() - started < 3


def test_garbage_reply_ends_the_session():
	class Garbage(Scenario):
		def reply(self, command):
			return ["banana split"] if command.startswith("SET VARIABLE") else super().reply(command)

	(record,) = run_calls([("+37052000000", "+37069999999", Garbage())])
	assert "not an AGI response" in record.error


def test_usage_error_is_read_to_its_end():
	class Usage(Scenario):
		def reply(self, command):
			if command.startswith("ANSWER"):
				return [
					"520-Invalid command syntax.  Proper usage follows:",
					"Usage: ANSWER",
					"520 End of proper usage.",
				]
			return super().reply(command)

	(record,) = run_calls([("+37052000000", "+37069999999", Usage())])
	assert "usage error for ANSWER" in record.error


def test_many_concurrent_calls():
	calls = [("+37052000000", "+37069999999", Scenario(digits=[str(1 + i % 2)])) for i in range(150)]
	records = run_calls(calls)
	assert len(records) == 150
	assert all(r.outcome and r.outcome.result == "answered" for r in records)
	assert {r.outcome.target for r in records} == {"sales", "support"}


def test_env_fields():
	assert parse_env_line("agi_callerid: 5551001") == ("agi_callerid", "5551001")
	assert parse_env_line("agi_request: agi://127.0.0.1:4573/route") == (
		"agi_request",
		"agi://127.0.0.1:4573/route",
	)
	with pytest.raises(AGIProtocolError):
		parse_env_line("Agi-Channel: x")
	assert env_lines("1", "2").endswith(b"agi_arg_2: 2\n\n")


def test_responses():
	r = parse_response("200 result=1 (Local/100@cc-inbound-00000742;2)")
	assert (r.code, r.result, r.data) == (200, "1", "Local/100@cc-inbound-00000742;2")
	r = parse_response("200 result= (timeout)")
	assert (r.result, r.data) == ("", "timeout")
	assert parse_response("200 result=0 endpos=12000").result == "0"
	assert parse_response("511 Command Not Permitted on a dead channel or intercept routine").code == 511


@pytest.mark.parametrize("bad", ['a"b', "a\nEXEC System", "a\\b", "x\r"])
def test_injection_is_refused(bad):
	with pytest.raises(ValueError):
		quote(bad)
	with pytest.raises(ValueError):
		app_args(bad)
	with pytest.raises(ValueError):
		app_args("support,r")  # a comma would add Queue options


def test_file_route_source_reloads(tmp_path):
	path = tmp_path / "routes.json"
	path.write_text(EXAMPLE.read_text())
	source = FileRouteSource(str(path), check_every=0)
	assert "Main" in source().routes
	data = json.loads(EXAMPLE.read_text())
	data["routes"][0]["name"] = "Renamed"
	data["numbers"] = [{"number": "100", "route": "Renamed"}]
	path.write_text(json.dumps(data))
	os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
	assert "Renamed" in source().routes
	path.write_text("{broken")
	os.utime(path, ns=(time.time_ns() + 2 * 10**9, time.time_ns() + 2 * 10**9))
	assert "Renamed" in source().routes  # a broken file keeps the previous routes


@given(text=st.text(max_size=30), kind=st.sampled_from(["queue", "number", "sound", "mailbox", "tag"]))
@settings(max_examples=300, deadline=None)
def test_checked_values_carry_no_separator_or_expansion(text, kind):
	try:
		value = checked(kind, text)
	except UnsafeArgument:
		return
	assert not set(value) & set('"\\$}{[]\r\n\0')
	assert all(c.isprintable() for c in value)
	if kind != "tag":  # these go into application arguments
		assert not set(value) & set(",|&();^ \t") and ".." not in value


@pytest.mark.parametrize("bad", [*INJECTIONS, "a&b", "x$y", "f(x)"])
def test_application_arguments_refuse_separators_and_expansions(bad):
	if bad == "a b":
		return  # a space is harmless inside one quoted argument
	with pytest.raises(UnsafeArgument):
		app_args("support", bad)


# --- issue 12: several workers on one port -----------------------------------------------------------


async def place_calls(port: int, did: str, count: int, digits=("1",)) -> None:
	await asyncio.gather(
		*(
			play_call(
				"127.0.0.1", port, did, "+37069999999", Scenario(digits=list(digits)), uniqueid=f"9.{i}"
			)
			for i in range(count)
		)
	)


def test_two_workers_serve_calls_on_one_port_and_each_reloads(tmp_path):
	path = tmp_path / "routes.json"
	path.write_text(EXAMPLE.read_text())
	served = multiprocessing.get_context("fork").Queue()

	def make_server(config):  # runs in each worker: its own file source, reloading on change
		def done(record):
			served.put((os.getpid(), record.did, record.outcome.result if record.outcome else None))

		return RouteServer(
			FileRouteSource(str(path), check_every=0), config, now=lambda: OFFICE, on_call_end=done
		)

	pool = WorkerPool(ServerConfig(host="127.0.0.1", port=0), make_server, workers=2)
	_host, port = pool.start()
	try:
		pids = set(pool.pids)
		assert len(pids) == 2 and os.getpid() not in pids
		asyncio.run(place_calls(port, "+37052000000", 40))
		first = [served.get(timeout=10) for _ in range(40)]
		assert {pid for pid, _, _ in first} == pids  # both workers took calls
		assert {outcome for _, _, outcome in first} == {"answered"}

		data = json.loads(EXAMPLE.read_text())
		data["numbers"].append({"number": "200", "route": "After Hours"})
		path.write_text(json.dumps(data))
		os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
		asyncio.run(place_calls(port, "200", 40))
		second = [served.get(timeout=10) for _ in range(40)]
		assert {pid for pid, _, _ in second} == pids
		assert {outcome for _, _, outcome in second} == {"voicemail"}  # every worker reloaded the new DID

		with pytest.raises(FieldError, match="already in use"):
			WorkerPool(ServerConfig(host="127.0.0.1", port=port), make_server, workers=2).start()
		with pytest.raises(FieldError, match="already in use"):
			listen("127.0.0.1", port)
	finally:
		pool.stop()
	assert not any(pid_alive(pid) for pid in pids)
	listen("127.0.0.1", port).close()  # the port is free again


def pid_alive(pid: int) -> bool:
	try:
		os.kill(pid, 0)
	except ProcessLookupError:
		return False
	return True


def test_a_worker_that_dies_is_replaced(tmp_path):
	pool = WorkerPool(
		ServerConfig(host="127.0.0.1", port=0),
		lambda config: RouteServer(lambda: ROUTES, config, now=lambda: OFFICE),
		workers=2,
		restart_delay=0.1,
	)
	_host, port = pool.start()
	supervisor = threading.Thread(target=pool.supervise, daemon=True)
	supervisor.start()
	try:
		victim = pool.pids[0]
		os.kill(victim, signal.SIGKILL)
		for _ in range(100):
			if victim not in pool.pids and len(pool.pids) == 2:
				break
			time.sleep(0.05)
		assert victim not in pool.pids and len(pool.pids) == 2
		time.sleep(0.5)  # the new worker listens
		asyncio.run(place_calls(port, "+37052000000", 20))
	finally:
		pool.stop()
		supervisor.join(5)


def test_workers_stop_when_the_parent_is_gone(tmp_path):
	"""Workers watch a pipe only their parent writes to: killed parent, no orphans holding the port."""
	code = f"""
import sys
sys.path[:0] = [{str(pathlib.Path(__file__).parents[1])!r}]
from callcenter_app.telephony.agi.server import RouteServer, ServerConfig
from callcenter_app.telephony.agi.workers import WorkerPool
pool = WorkerPool(ServerConfig(host="127.0.0.1", port=0), lambda c: RouteServer(lambda: None, c), workers=2)
host, port = pool.start()
print(port, *pool.pids, flush=True)
pool.supervise()
"""
	parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
	port, *pids = map(int, parent.stdout.readline().split())
	parent.kill()
	parent.wait(5)
	for _ in range(100):
		if not any(pid_alive(pid) for pid in pids):
			break
		time.sleep(0.05)
	assert not any(pid_alive(pid) for pid in pids)
	listen("127.0.0.1", port).close()
