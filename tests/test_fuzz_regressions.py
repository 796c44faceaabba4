"""Crashes benchmarks/fuzz_parsers.py found, kept as tests (each failed before its fix)."""

import json
from pathlib import Path

import pytest

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.protocol import MAX_FRAME, FrameParser
from callcenter_app.telephony.routing import serialize

ROUTES = json.loads((Path(__file__).parent / "data" / "routes_example.json").read_text())


def test_a_peer_that_never_ends_its_first_line_cannot_fill_memory():
	parser = FrameParser()
	for _ in range(3 * MAX_FRAME // 65536):
		assert parser.feed(b"x" * 65536) == []
		assert len(parser._buffer) <= MAX_FRAME + 65536
	assert parser.malformed >= 1
	# the stream goes on: frames after the garbage are read again
	assert parser.feed(b"\r\n\r\nEvent: FullyBooted\r\nStatus: Fully Booted\r\n\r\n") == [
		{"Event": "FullyBooted", "Status": "Fully Booted"}
	]


@pytest.mark.parametrize("value", [5, 1.5, True, ["Europe/Vilnius"], {"a": 1}])
def test_a_routes_file_with_a_time_zone_that_is_no_text_is_refused_by_name(value):
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps({**ROUTES, "timezone": value}))
	assert e.value.field == "timezone" and "as text" in e.value.reason


def test_a_time_condition_zone_that_is_no_text_is_refused_by_name():
	data = json.loads(json.dumps(ROUTES))
	data["time_conditions"][0]["timezone"] = ["Europe/Vilnius"]
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps(data))
	assert e.value.field.endswith(".timezone")


@pytest.mark.parametrize("check", [validators.host, validators.absolute_path, validators.timezone])
def test_validators_refuse_values_that_are_no_text(check):
	with pytest.raises(FieldError, match="as text"):
		check("field", 42)


@pytest.mark.parametrize("where", ["numbers", "holiday_lists.holidays", "time_conditions.blocks"])
def test_a_row_that_is_no_object_is_refused_by_name(where):
	data = json.loads(json.dumps(ROUTES))
	if where == "numbers":
		data["numbers"] = [5]
	elif where == "holiday_lists.holidays":
		data["holiday_lists"][0]["holidays"] = ["2026-12-24"]
	else:
		data["time_conditions"][0]["blocks"] = [["Monday", "08:00", "17:00"]]
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps(data))
	assert "must be an object" in e.value.reason
