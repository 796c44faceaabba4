import subprocess
import sys

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
