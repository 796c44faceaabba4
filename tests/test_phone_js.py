"""The app's JavaScript under ``node --test tests/js/``: the phone bar's core (public/js/phone/), its state
machine against a fake JsSIP and the one-tab lease; the /helpdesk ticket actions (the HD Form Script run
and sorted the way Helpdesk does). Skipped where node (18 or newer) is missing, so CI without node
still runs the pure suite."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")


def node_major() -> int:
	out = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=10).stdout
	match = re.match(r"v(\d+)", out.strip())
	return int(match.group(1)) if match else 0


@pytest.mark.skipif(not NODE, reason="node is not installed: the phone bar's JS tests need node 18+")
def test_phone_core_and_lease_under_node():
	if node_major() < 18:
		pytest.skip("node --test needs node 18 or newer")
	tests = sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.js"))
	assert len(tests) >= 2
	done = subprocess.run([NODE, "--test", *tests], cwd=ROOT, capture_output=True, text=True, timeout=120)
	assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
	passed = re.search(r"^# pass (\d+)", done.stdout, re.M)
	failed = re.search(r"^# fail (\d+)", done.stdout, re.M)
	assert passed and int(passed.group(1)) >= 18 and failed and int(failed.group(1)) == 0, done.stdout[-2000:]
