import json
import os
import signal
import subprocess
import sys
import time

import pytest

from callcenter_app import __version__
from callcenter_app.cli import main


def test_version(capsys):
	with pytest.raises(SystemExit) as e:
		main(["--version"])
	assert e.value.code == 0
	assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
	assert main([]) == 2
	assert "usage: callcenter" in capsys.readouterr().out


def test_cli_imports_no_frappe():
	code = "import sys, callcenter_app.cli; assert 'frappe' not in sys.modules"
	subprocess.run([sys.executable, "-c", code], check=True)


EXAMPLE = "tests/data/routes_example.json"


def test_route_test_explains_the_path(capsys):
	code = main(
		[
			"route-test",
			"--routes",
			EXAMPLE,
			"--did",
			"+37052000000",
			"--caller",
			"+37069999999",
			"--at",
			"2026-12-24T10:00",
		]
	)
	out = capsys.readouterr().out
	assert code == 0
	assert "time condition Office Hours not met: 2026-12-24 is holiday Christmas Eve" in out
	assert out.strip().endswith("outcome: voicemail (100@default)")


def test_route_test_json_with_digits(capsys):
	main(
		[
			"route-test",
			"--routes",
			EXAMPLE,
			"--did",
			"100",
			"--at",
			"2026-11-24T10:00",
			"--digits",
			",2",
			"--json",
		]
	)
	data = __import__("json").loads(capsys.readouterr().out)
	assert [s["branch"] for s in data["steps"] if s["node"] == "menu"] == ["retry", "2"]
	assert data["outcome"]["target"] == "support"


def test_route_test_bad_input_is_named(capsys, tmp_path):
	assert main(["route-test", "--routes", str(tmp_path / "none.json"), "--did", "1"]) == 2
	assert "--routes: cannot read" in capsys.readouterr().err
	assert main(["route-test", "--routes", EXAMPLE, "--did", "1", "--at", "yesterday"]) == 2
	assert "--at: 'yesterday' is not a date-time" in capsys.readouterr().err
	assert main(["route-test", "--routes", EXAMPLE, "--did", "+37052999999"]) == 1
	assert "not assigned to any route" in capsys.readouterr().out


# === route-test and agi-serve (FastAGI route server) ====================================================


class TestRouteCommands:
	"""route-test and agi-serve: bad options and files are named with the reason, exit 2, no traceback."""

	def broken_routes(self, tmp_path, mutate) -> str:
		with open(EXAMPLE, encoding="utf-8") as f:
			data = json.load(f)
		mutate(data)
		path = tmp_path / "routes.json"
		path.write_text(json.dumps(data))
		return str(path)

	def test_route_test_queue_that_asterisk_does_not_have(self, capsys):
		args = ["route-test", "--routes", EXAMPLE, "--did", "+37052000000", "--caller", "+37061111111"]
		assert main([*args, "--at", "2026-11-24T10:00", "--queue-results", "unknown", "--json"]) == 0
		data = json.loads(capsys.readouterr().out)
		assert [(s["node"], s["branch"]) for s in data["steps"]] == [
			("vip", "vip"),
			("q_vip", "overflow"),
			("q_support", ""),
		]

	@pytest.mark.parametrize(
		"extra, message",
		[
			(["--queue-results", "bogus"], "--queue-results: 'bogus' is not one of answered, continue, full"),
			(["--queue-results", "answered,,timeout"], "--queue-results: '' is not one of"),
			(["--dial-results", "ringing"], "--dial-results: 'ringing' is not one of answered, busy"),
			(["--hang-up-after", "-3"], "--hang-up-after: must be 1 or more"),
			(["--hang-up-after", "0"], "--hang-up-after: must be 1 or more"),
		],
	)
	def test_route_test_refuses_bad_scenarios(self, capsys, extra, message):
		assert main(["route-test", "--routes", EXAMPLE, "--did", "100", *extra]) == 2
		captured = capsys.readouterr()
		assert captured.out == "" and message in captured.err

	MISSING = [
		(
			lambda d: d["routes"][0]["nodes"][4]["branches"].update({"1": "q_salez"}),
			"route Main, node menu: branch '1' goes to node 'q_salez', which does not exist",
		),
		(lambda d: d["routes"][1].update(start="nowhere"), "route After Hours: start node 'nowhere'"),
		(
			lambda d: d["numbers"].append({"number": "200", "route": "Gone"}),
			"number 200: points at route 'Gone', which does not exist",
		),
	]

	@pytest.mark.parametrize("mutate, message", MISSING)
	def test_route_test_refuses_missing_references(self, capsys, tmp_path, mutate, message):
		path = self.broken_routes(tmp_path, mutate)
		assert main(["route-test", "--routes", path, "--did", "100", "--at", "2026-11-24T10:00"]) == 2
		captured = capsys.readouterr()
		assert captured.out == ""
		assert captured.err.startswith(f"callcenter: --routes: {path}: not valid (")
		assert message in captured.err

	@pytest.mark.parametrize("mutate, message", MISSING)
	def test_agi_serve_refuses_missing_references(self, capsys, tmp_path, mutate, message):
		path = self.broken_routes(tmp_path, mutate)
		assert main(["agi-serve", "--routes", path, "--port", "0", "--workers", "1"]) == 2
		captured = capsys.readouterr()
		assert captured.out == "" and message in captured.err

	def test_agi_serve_refuses_bad_options(self, capsys, tmp_path):
		import socket

		busy = socket.socket()
		busy.bind(("127.0.0.1", 0))
		busy.listen()
		port = busy.getsockname()[1]
		cases = [
			(["--routes", str(tmp_path / "none.json")], "--routes: cannot read"),
			(["--port", "-1"], "--port: must be a TCP port from 0 to 65535 (0 = any free port), not -1"),
			(
				["--port", "99999"],
				"--port: must be a TCP port from 0 to 65535 (0 = any free port), not 99999",
			),
			(["--port", str(port)], f"--port: {port} is already in use on 127.0.0.1"),
			(["--port", str(port), "--workers", "2"], f"--port: {port} is already in use on 127.0.0.1"),
			(
				["--host", "nosuch.invalid", "--port", "0"],
				"--host: 'nosuch.invalid' is not an address or a name",
			),
			(["--host", "192.0.2.1", "--port", "0"], "--host: 192.0.2.1 is not an address of this machine"),
			(["--workers", "0"], "--workers: must be from 1 to 64, not 0"),
			(
				["--tenant", "ta-", "--port", "0"],
				"--tenant: 'ta-' must be 1 to 12 lowercase letters or digits, starting with a letter",
			),
		]
		try:
			for extra, message in cases:
				args = ["agi-serve", "--routes", EXAMPLE, *extra]
				assert main(args) == 2, extra
				captured = capsys.readouterr()
				assert captured.out == ""
				assert captured.err.startswith("callcenter: ") and message in captured.err, extra
				assert "Traceback" not in captured.err
		finally:
			busy.close()

	@pytest.mark.parametrize("workers", [1, 2])
	def test_agi_serve_says_where_it_listens_and_stops_on_sigterm(self, workers):
		import asyncio
		import pathlib
		import re
		import signal

		from agi_peer import Scenario, play_call

		command = ["agi-serve", "--routes", EXAMPLE, "--port", "0", "--workers", str(workers)]
		server = subprocess.Popen(
			[sys.executable, "-m", "callcenter_app.cli", *command],
			cwd=pathlib.Path(__file__).resolve().parents[1],
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)
		try:
			line = server.stdout.readline()
			match = re.fullmatch(
				rf"FastAGI route server listening on 127\.0\.0\.1:(\d+) \({workers} workers?\), routes from (.+)\n",
				line,
			)
			assert match and match[2] == EXAMPLE, line
			scenario = asyncio.run(
				play_call("127.0.0.1", int(match[1]), "+37052000002", "+37069999999", Scenario())
			)
			assert scenario.commands[-1] == 'EXEC VoiceMail "100@default,u"'  # After Hours, served
			server.send_signal(signal.SIGTERM)
			assert server.wait(10) == 0
			assert "Traceback" not in server.stderr.read()
		finally:
			if server.poll() is None:
				server.kill()
			server.stdout.close()
			server.stderr.close()


SHORT_SIM = ["dialer-sim", "--operators", "2", "--shift-hours", "0.5", "--seed", "7"]


def test_dialer_sim_compares_strategies(capsys):
	assert main([*SHORT_SIM, "--strategy", "predictive,progressive", "--strategy", "progressive"]) == 0
	captured = capsys.readouterr()
	lines = captured.out.splitlines()
	assert lines[0].startswith("2 operators, 30 % of dials answered, talk 180 s mean, wrap-up 10 s mean")
	assert lines[1].split()[:2] == ["strategy", "ops"]
	rows = [line.split() for line in lines[3:] if not line.startswith("note:")]
	assert [r[0] for r in rows] == ["predictive", "progressive"]  # each strategy once, in the order given
	assert rows[1][1:5] == ["2", "1", "7", "0.00"]  # progressive never abandons
	assert captured.err == ""  # one day: no progress lines


def test_dialer_sim_json_and_progress(capsys):
	args = [*SHORT_SIM, "--strategy", "adapt-tapered", "--days", "2", "--abandon-target", "2%", "--json"]
	assert main(args) == 0
	captured = capsys.readouterr()
	data = json.loads(captured.out)
	assert data["abandon_target_pct"] == 2.0
	(result,) = data["results"]
	assert result["strategy"] == "adapt_tapered" and result["params"]["target"] == 0.02
	assert [d["day"] for d in result["days"]] == [1, 2]
	total = result["total"]
	assert total["answered"] == total["connected"] + total["abandoned"] > 0
	assert total["dials"] == sum(d["dials"] for d in result["days"])
	progress = captured.err.splitlines()
	assert [line.split("  ")[0] for line in progress] == ["adapt-tapered: day 1/2", "adapt-tapered: day 2/2"]
	assert main([*args, "--quiet"]) == 0
	captured = capsys.readouterr()
	assert captured.err == ""
	assert json.loads(captured.out)["results"][0]["total"] == total  # the same seed gives the same days


def test_dialer_sim_preview_says_it_places_no_calls(capsys):
	assert main([*SHORT_SIM, "--strategy", "preview", "--json"]) == 0
	captured = capsys.readouterr()
	assert json.loads(captured.out)["results"][0]["total"]["dials"] == 0
	assert "preview: operators dial by hand" in captured.err


@pytest.mark.parametrize(
	"extra, message",
	[
		(
			["--abandon-target", "3.5"],
			"--abandon-target: must be a percentage of answered calls above 0 and at most 3",
		),
		(["--abandon-target", "0"], "--abandon-target: must be a percentage"),
		(["--abandon-target", "lots"], "--abandon-target: must be a number, not 'lots'"),
		(["--strategy", "predictive,turbo"], "--strategy: 'turbo' is not one of predictive, progressive"),
		(["--strategy", ","], "--strategy: name at least one of"),
		(["--operators", "0"], "--operators: must be from 1 to 2000, not 0"),
		(["--operators", "2.5"], "--operators: must be a whole number, not '2.5'"),
		(["--answer-rate", "120"], "--answer-rate: must be a percentage of dials above 0 and at most 100"),
		(["--answer-rate", "nan"], "--answer-rate: must be a finite number"),
		(["--talk-mean", "-5"], "--talk-mean: must be more than 0 seconds, not -5"),
		(["--wrapup", "0"], "--wrapup: must be more than 0 seconds"),
		(["--days", "0"], "--days: must be from 1 to 366, not 0"),
		(["--seed", "x"], "--seed: must be a whole number, not 'x'"),
		(["--shift-hours", "16"], "--shift-hours: must be above 0 and at most 15"),
	],
)
def test_dialer_sim_bad_input_is_named(capsys, extra, message):
	assert main([*SHORT_SIM, *extra]) == 2
	captured = capsys.readouterr()
	assert captured.out == ""
	assert message in captured.err


# --- ami-tail ------------------------------------------------------------------------------------------
def _peer_in_a_thread(frames):
	"""An AmiPeer for a CLI subprocess: (peer, PeerThread); `with thread as port` serves it on loopback."""
	sys.path.insert(0, os.path.dirname(__file__))
	from ami_peer import AmiPeer, PeerThread

	peer = AmiPeer(frames)
	thread = PeerThread(peer)
	return peer, thread


def _ami_tail(port, tmp_path, *extra, secret="s3cret-pass"):
	env = {**os.environ, "CC_AMI_SECRET": secret}
	args = ["ami-tail", "--port", str(port), "--username", "cc", "--spool", str(tmp_path / "spool")]
	return subprocess.Popen(
		[sys.executable, "-m", "callcenter_app.cli", *args, *extra],
		env=env,
		stdout=subprocess.PIPE,
		stderr=subprocess.PIPE,
		text=True,
	)


def test_ami_tail_on_sigterm_writes_the_call_that_ended_just_before(tmp_path):
	sys.path.insert(0, os.path.dirname(__file__))
	from ami_peer import recorded_frames

	# without FullyBooted (no Timestamp: the wall clock would end the call at once): the call has hung up
	# and its 2 s grace is running when SIGTERM comes
	frames = recorded_frames("answered")[1:]
	peer, thread = _peer_in_a_thread(frames)
	out = tmp_path / "calls.jsonl"
	with thread as port:
		proc = _ami_tail(port, tmp_path, "--out", str(out))
		try:
			deadline = time.time() + 20
			while not peer.done.is_set() and time.time() < deadline:
				time.sleep(0.05)
			time.sleep(0.5)
			proc.send_signal(signal.SIGTERM)
			_, err = proc.communicate(timeout=20)
		finally:
			if proc.poll() is None:
				proc.kill()
	assert proc.returncode == 0, err
	(record,) = [json.loads(line) for line in out.read_text().splitlines()]
	assert record["linkedid"] == "1795339039.0" and record["answered_by"] == "Agent One"
	assert f"AMI at 127.0.0.1:{port} as user 'cc'" in err  # what it connects to, on start
	assert "s3cret-pass" not in err
	assert "ami-tail stopped (SIGTERM): 1 call record(s) written, 1 call(s) recorded at shutdown" in err
	assert "Traceback" not in err


def test_ami_tail_with_wrong_credentials_says_so_once_and_fails(tmp_path):
	peer, thread = _peer_in_a_thread([])
	with thread as port:
		proc = _ami_tail(port, tmp_path, secret="wrong-secret")
		_, err = proc.communicate(timeout=20)
	assert proc.returncode == 1 and peer.logins_refused == 1  # refused once, not retried
	assert err.splitlines()[-1].startswith("callcenter: AMI login refused for user 'cc' at 127.0.0.1:")
	assert "Check --username and the secret (--secret-file or $CC_AMI_SECRET)" in err
	assert "CC Settings" not in err and "wrong-secret" not in err
	assert "Traceback" not in err and "never retrieved" not in err


def _cli(*argv, secret="s3cret-pass") -> tuple[int, str]:
	"""Run ``callcenter ARGV`` as a process (a regression that connects after all fails, never hangs)."""
	env = {**os.environ, "CC_AMI_SECRET": secret}
	proc = subprocess.Popen(
		[sys.executable, "-m", "callcenter_app.cli", *argv],
		env=env,
		stdout=subprocess.PIPE,
		stderr=subprocess.PIPE,
		text=True,
	)
	try:
		_, err = proc.communicate(timeout=20)
	except subprocess.TimeoutExpired:
		proc.kill()
		_, err = proc.communicate()
		return -1, err + "\n(still running after 20 s)"
	return proc.returncode, err


@pytest.mark.parametrize(
	"option, value, message",
	[
		(
			"--secret-file",
			"{tmp}/no-such-file",
			"--secret-file: cannot read {tmp}/no-such-file: No such file",
		),
		("--secret-file", "{tmp}/empty", "--secret-file: {tmp}/empty is empty"),
		("--out", "{tmp}/no-such-dir/calls.jsonl", "--out: cannot append to {tmp}/no-such-dir/calls.jsonl"),
		("--out", "{tmp}", "--out: cannot append to {tmp}: Is a directory"),
		("--port", "70000", "--port: must be from 1 to 65535, not 70000"),
		("--port", "0", "--port: must be from 1 to 65535, not 0"),
		("--spool", "{tmp}/empty", "--spool: cannot use {tmp}/empty as the spool directory"),
		("--spool", "{tmp}/empty/spool", "--spool: cannot use {tmp}/empty/spool as the spool directory"),
		(
			"--tenant",
			"Ta",
			"--tenant: 'Ta' must be 1 to 12 lowercase letters or digits, starting with a letter",
		),
	],
)
def test_ami_tail_bad_input_is_named_without_a_traceback(tmp_path, option, value, message):
	(tmp_path / "empty").write_text("")
	args = {"--port": "5038", "--spool": str(tmp_path / "spool"), "--out": str(tmp_path / "out.jsonl")}
	args[option] = value.format(tmp=tmp_path)
	code, err = _cli("ami-tail", "--username", "cc", *[x for kv in args.items() for x in kv])
	assert code == 2, err
	assert err.startswith("callcenter: " + message.format(tmp=tmp_path)), err
	assert "Traceback" not in err


def test_a_second_ami_tail_on_the_same_spool_is_refused(tmp_path):
	from callcenter_app.telephony.ami.spool import Spool

	with Spool(str(tmp_path / "spool")):  # the first one
		code, err = _cli("ami-tail", "--username", "cc", "--spool", str(tmp_path / "spool"))
	assert code == 2, err
	assert f"--spool: {tmp_path / 'spool'} is in use by another process (pid {os.getpid()})" in err
	assert "one ami-tail or AMI bridge per spool" in err and "Traceback" not in err
