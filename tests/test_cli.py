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
