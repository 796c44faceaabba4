"""(j) Recording: a queue call recorded with MixMonitor, and the record pointing at the file.

The app starts no recording today: the rendered queues.conf sets ``monitor-type=MixMonitor`` but no
``monitor-format`` (app_queue records only with one), and no rendered context runs MixMonitor. The test
says so and skips until the app renders what starts a recording; then it checks the file and the record."""

from __future__ import annotations

import re

import pytest
from lab import DID_SUPPORT


def _records_calls(rendered: dict[str, str]) -> bool:
	return (
		bool(re.search(r"^monitor-format\s*=", rendered["queues.conf"], re.M))
		or "MixMonitor(" in rendered["extensions.conf"]
	)


def test_queue_call_is_recorded(idle):
	lab = idle
	if not _records_calls(lab.rendered):
		pytest.skip(
			"the app starts no recordings: queues.conf has monitor-type=MixMonitor but no monitor-format, and "
			"no rendered context runs MixMonitor"
		)
	mark = lab.pbx_ami.mark()
	caller = lab.call_in(DID_SUPPORT, hold=5)
	lab.pbx_ami.wait(lambda e: e["Event"] == "MixMonitorStart", 15, "MixMonitorStart", mark)
	record = lab.wait_record(lambda r: r["caller"] == caller, 30)
	assert record["status"] == "answered"
	assert record["recording"], record
	monitor = lab.pbx.root / "spool" / "monitor"
	assert any(p.stat().st_size > 1000 for p in monitor.rglob("*") if p.is_file())
