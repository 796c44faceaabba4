"""The PBX lab's fixtures. Everything here is skipped unless CC_LAB=1 is set and asterisk, baresip,
espeak-ng and sox are on PATH: the lab is opt-in, so CI on a machine without them (or a slow one) passes.

One lab per session (``lab``); each test starts from an idle lab (``idle``). Measurements the scenarios
make are printed at the end of the run (``report``) and written to ``<run dir>/lab-report.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOOLS = ("asterisk", "baresip", "espeak-ng", "sox")
REPORT: dict[str, object] = {}


def why_skip() -> str | None:
	if os.environ.get("CC_LAB") != "1":
		return "the PBX lab is opt-in: CC_LAB=1 pytest tests/e2e (see tests/e2e/README.md)"
	missing = [tool for tool in TOOLS if not shutil.which(tool)]
	if missing:
		return f"the PBX lab needs {', '.join(missing)} on PATH"
	return None


def pytest_collection_modifyitems(config, items):
	reason = why_skip()
	if reason is None:
		return
	for item in items:
		if HERE in Path(str(item.fspath)).resolve().parents:
			item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def lab():
	from lab import Lab

	lab = Lab().start()
	try:
		yield lab
	finally:
		lab.stop()
		REPORT["run_dir"] = str(lab.run)
		REPORT["lab_started_in_s"] = round(lab.started_in, 1)
		(lab.run / "lab-report.json").write_text(json.dumps(REPORT, indent=1, default=str))
		if os.environ.get("CC_LAB_KEEP") != "1":
			shutil.rmtree(lab.run, ignore_errors=True)


@pytest.fixture
def idle(lab):
	"""The lab with no call in progress and every agent back in their queues, unpaused."""
	lab.reset()
	return lab


@pytest.fixture(scope="session")
def report():
	return REPORT


def pytest_terminal_summary(terminalreporter):
	if REPORT:
		terminalreporter.section("PBX lab measurements")
		for key, value in REPORT.items():
			terminalreporter.write_line(f"{key}: {json.dumps(value, default=str)}")
