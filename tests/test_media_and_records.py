import datetime as dt
import io
import wave

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.media import MAX_AUDIO_BYTES, sniff_audio
from callcenter_app.telephony.routing.records import (
	build_routeset,
	minutes,
	sound_name,
	unknown_branch_sources,
)
from callcenter_app.telephony.routing.simulate import simulate
from callcenter_app.telephony.routing.validate import validate_routeset


def wav_bytes() -> bytes:
	buf = io.BytesIO()
	with wave.open(buf, "wb") as w:
		w.setnchannels(1)
		w.setsampwidth(2)
		w.setframerate(8000)
		w.writeframes(b"\0\0" * 800)
	return buf.getvalue()


MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\0" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"TIT2\0"


def test_real_audio_is_accepted():
	assert sniff_audio(wav_bytes()) == "wav"
	assert sniff_audio(MP3_FRAME) == "mp3"
	assert sniff_audio(ID3 + MP3_FRAME) == "mp3"


@pytest.mark.parametrize(
	"data, reason",
	[
		(b"", "empty"),
		(b"%PDF-1.7\n...", "neither a WAV nor an MP3"),
		(b"<?php system($_GET['c']); ?>", "neither a WAV nor an MP3"),
		(b"RIFF\x10\0\0\0AVI LIST", "not WAVE audio"),
		(b"RIFF\x04\0\0\0WAVE", "without a format chunk"),
		(ID3 + b"not audio at all", "no MPEG audio frame"),
		(bytes([0xFF, 0xFB, 0xF0, 0x64]), "neither a WAV nor an MP3"),  # bitrate index 15 is not a frame
		(b"\0" * (MAX_AUDIO_BYTES + 1), "at most 20 MB"),
	],
)
def test_anything_else_is_refused(data, reason):
	with pytest.raises(FieldError) as e:
		sniff_audio(data, field="audio")
	assert e.value.field == "audio" and reason in e.value.reason


def test_sound_names_and_minutes():
	assert sound_name("Welcome — Main!") == "custom/cc-welcome-main"
	assert minutes("09:30:00") == 570
	assert minutes(dt.timedelta(hours=17)) == 1020
	assert minutes("23:59:00") == 1440
	assert minutes(dt.time(8, 15)) == 495
	with pytest.raises(ValueError):
		minutes("late")


def records():
	return dict(
		routes=[
			{
				"name": "Main",
				"route_name": "Main",
				"enabled": 1,
				"start_node": "hours",
				"nodes": [
					{"node_id": "hours", "node_type": "Time Condition", "time_condition": "Office"},
					{"node_id": "menu", "node_type": "IVR Menu", "ivr_menu": "Menu"},
					{"node_id": "q", "node_type": "Queue", "queue": "support", "timeout": 90},
					{"node_id": "closed", "node_type": "Voicemail", "mailbox": "100"},
				],
				"branches": [
					{"from_node": "hours", "branch": "met", "to_node": "menu"},
					{"from_node": "hours", "branch": "not_met", "to_node": "closed"},
					{"from_node": "menu", "branch": "1", "to_node": "q"},
					{"from_node": "menu", "branch": "timeout", "to_node": "q"},
					{"from_node": "menu", "branch": "invalid", "to_node": "closed"},
				],
			},
			{
				"name": "Off",
				"route_name": "Off",
				"enabled": 0,
				"start_node": "x",
				"nodes": [],
				"branches": [],
			},
		],
		numbers=[
			{"name": "+37052000000", "number": "+37052000000", "route": "Main", "voice": 1},
			{"name": "+37052000009", "number": "+37052000009", "route": "Main", "voice": 0},
		],
		time_conditions=[
			{
				"name": "Office",
				"timezone": "",
				"holiday_list": "LT",
				"blocks": [{"weekday": "Tuesday", "from_time": "08:00:00", "to_time": "17:00:00"}],
			}
		],
		holiday_lists=[
			{
				"name": "LT",
				"holidays": [{"holiday_date": "2026-12-24", "description": "<p>Christmas Eve</p>"}],
			}
		],
		ivr_menus=[{"name": "Menu", "prompt": "Welcome", "timeout": 4, "retries": 0, "max_digits": 1}],
		announcements=[{"name": "Welcome", "sound_name": "custom/cc-welcome"}],
		queues=[{"name": "support", "max_wait": 300}],
		timezone="Europe/Vilnius",
		default_region="LT",
	)


def test_records_become_a_routeset():
	routes = build_routeset(**records())
	assert validate_routeset(routes) == []
	assert set(routes.routes) == {"Main"}  # the disabled route is left out
	assert set(routes.numbers) == {"+37052000000"}  # a number without voice routes nothing
	assert routes.time_conditions["Office"].timezone == "Europe/Vilnius"
	when = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
	sim = simulate(routes, "+37052000000", "+37069999999", when, digits=["1"])
	assert [(s.node, s.branch) for s in sim.steps] == [("hours", "met"), ("menu", "1"), ("q", "")]
	kinds = {a.kind: a for a in sim.actions}
	assert kinds["menu"].prompt == "custom/cc-welcome" and kinds["menu"].timeout == 4
	assert kinds["queue"].timeout == 90
	holiday = simulate(routes, "+37052000000", "", dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.timezone.utc))
	assert holiday.steps[0].reason.endswith("is holiday Christmas Eve")


def test_branch_rows_from_unknown_nodes_are_reported():
	rec = records()["routes"][0]
	rec["branches"].append({"from_node": "nowhere", "branch": "next", "to_node": "q"})
	(error,) = unknown_branch_sources(rec)
	assert "branch row 6" in error.field and "'nowhere' is not one of the route's nodes" in error.reason


# --- routes JSON import: RouteSet → records → RouteSet ------------------------------------------------------
def _as_fetched(records_by_doctype, announcements):
	"""Shape records like telephony.routing.service.fetch_records() returns them (each with its name)."""
	from callcenter_app.telephony.routing.doctypes import RECORD_TITLES

	named = {d: [{**r, "name": r[RECORD_TITLES[d]]} for r in rows] for d, rows in records_by_doctype.items()}
	return dict(
		holiday_lists=named["HD Service Holiday List"],
		time_conditions=named["CC Time Condition"],
		vip_lists=named["CC VIP List"],
		ivr_menus=named["CC IVR Menu"],
		queues=named["CC Call Queue"],
		routes=named["CC Route"],
		numbers=named["CC Phone Number"],
		announcements=[{"name": n, "sound_name": s} for s, n in announcements.items()],
	)


def test_import_records_round_trip_the_example_export():
	from pathlib import Path

	from callcenter_app.telephony.routing import serialize
	from callcenter_app.telephony.routing.records import records_from_routeset

	original = serialize.loads((Path(__file__).parent / "data" / "routes_example.json").read_text())
	sounds = {
		"custom/welcome": "Welcome",
		"custom/closed": "Closed",
		"custom/main-menu": "Main Menu Prompt",
		"custom/invalid": "Invalid Choice",
	}
	records, errors = records_from_routeset(original, sounds, existing_announcements=sounds.values())
	assert errors == []
	assert [r["start_node"] for r in records["CC Route"]] == ["vip", "msg"]
	assert records["CC IVR Menu"][0]["prompt"] == "Main Menu Prompt"
	office = records["CC Time Condition"][0]
	assert office["blocks"][0] == {"weekday": "Monday", "from_time": "08:00:00", "to_time": "12:00:00"}
	rebuilt = build_routeset(
		**_as_fetched(records, sounds), timezone=original.timezone, default_region=original.default_region
	)
	before, after = serialize.to_dict(original), serialize.to_dict(rebuilt)
	# the site has more announcements (the prompts) than the export listed; everything else is identical
	extra = after.pop("announcements")
	assert all(a in extra for a in before.pop("announcements"))
	assert after == before


def test_import_names_missing_announcements_and_prompts():
	from pathlib import Path

	from callcenter_app.telephony.routing import serialize
	from callcenter_app.telephony.routing.records import records_from_routeset

	original = serialize.loads((Path(__file__).parent / "data" / "routes_example.json").read_text())
	_records, errors = records_from_routeset(original, {"custom/welcome": "Welcome"}, ["Welcome"])
	text = "\n".join(str(e) for e in errors)
	assert "announcement Closed: does not exist here" in text
	assert "IVR menu Main Menu prompt: custom/main-menu is not the sound of any CC Announcement here" in text
	assert "invalid prompt: custom/invalid" in text


# --- conversion for the PBX ------------------------------------------------------------------------------
import math as _math
import struct as _struct
from pathlib import Path as _Path

from callcenter_app.telephony.media import to_pbx_wav, wav_pcm16

_DATA = _Path(__file__).parent / "data"


def _wav_header(wav: bytes) -> tuple[int, int, int, int]:
	fmt, channels, rate = _struct.unpack("<HHI", wav[20:28])
	bits = _struct.unpack("<H", wav[34:36])[0]
	return fmt, channels, rate, bits


def _crossings(wav: bytes) -> int:
	"""Zero crossings with hysteresis (a swing past ±1000), so the codec's quiet noise does not count."""
	samples = _struct.unpack(f"<{(len(wav) - 44) // 2}h", wav[44:])
	crossings, state = 0, None
	for v in samples:
		side = 1 if v > 1000 else -1 if v < -1000 else None
		if side is not None and side != state:
			crossings += state is not None
			state = side
	return crossings


def test_an_mp3_becomes_8khz_mono_pcm_with_its_sound_kept():
	# tests/data/tone-440hz-1s-16k.mp3: 1 s of 440 Hz at 16 kHz mono, 32 kbit/s (made with lameenc)
	wav, seconds = to_pbx_wav((_DATA / "tone-440hz-1s-16k.mp3").read_bytes())
	assert _wav_header(wav) == (1, 1, 8000, 16)
	assert 0.95 <= seconds <= 1.15  # the encoder adds a few ms of padding
	assert 860 <= _crossings(wav) <= 900  # 1 s of 440 Hz: 880 zero crossings


def test_a_stereo_44khz_wav_is_resampled_and_mixed_down():
	rate = 44100
	frames = b"".join(
		_struct.pack("<hh", v, v)
		for v in (int(9000 * _math.sin(2 * _math.pi * 300 * i / rate)) for i in range(rate // 2))
	)
	header = _struct.pack(
		"<4sI4s4sIHHIIHH4sI",
		b"RIFF",
		36 + len(frames),
		b"WAVE",
		b"fmt ",
		16,
		1,
		2,
		rate,
		rate * 4,
		4,
		16,
		b"data",
		len(frames),
	)
	wav, seconds = to_pbx_wav(header + frames)
	assert _wav_header(wav) == (1, 1, 8000, 16)
	assert abs(seconds - 0.5) < 0.01
	assert 290 <= _crossings(wav) <= 310  # 0.5 s of 300 Hz: 300


def test_undecodable_or_empty_audio_is_refused_by_field():
	broken = wav_pcm16(b"", 8000)
	with pytest.raises(FieldError) as e:
		to_pbx_wav(broken, field="audio")
	assert e.value.field == "audio"
	with pytest.raises(FieldError):
		to_pbx_wav(b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 8)
