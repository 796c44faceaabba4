"""check-pbx's comparison (telephony/pbx/check.py) and the announcements written for Asterisk
(telephony/pbx/sounds.py). The live PBX run is in tests/e2e."""

import os
import stat
from pathlib import Path

from callcenter_app.telephony.media import wav_pcm16
from callcenter_app.telephony.pbx.check import ACTIONS, CONTEXTS, Expected, findings, gather
from callcenter_app.telephony.pbx.sounds import write_sounds


class Refused(Exception):
	pass


class Pbx:
	"""Answers as Asterisk 22 does to the actions gather() sends."""

	def __init__(
		self, actions=ACTIONS, contexts=CONTEXTS, queues=("support",), endpoints=("trunk", "ann"), files=()
	):
		self.actions, self.contexts, self.queues = set(actions), set(contexts), queues
		self.endpoints, self.files = endpoints, set(files)
		self.dangerous_refused = False  # Asterisk without live_dangerously refuses STAT() over AMI

	def action(self, name, fields=None):
		fields = fields or {}
		if name not in self.actions and name != "ListCommands":
			raise Refused(f"{name}: Permission denied")
		if name == "ListCommands":
			return {"Response": "Success", **{a: f"{a}. (Priv: all)" for a in self.actions}}
		if name == "Command":
			name_asked = fields["Command"].rsplit(" ", 1)[1]
			found = [f for f in self.files if f.endswith(f"/{name_asked}.wav")]
			# a sound not in the index: the CLI command fails, so Asterisk 22 answers Response: Error with
			# "Message: Command output follows" (seen on the PBX lab)
			if not found:
				raise Refused("Command: Command output follows")
			language = found[0].split("/sounds/", 1)[1].split("/", 1)[0]
			if name_asked.startswith("custom/") and language == "custom":
				raise Refused("Command: Command output follows")
			return {
				"Response": "Success",
				"Output": f"Indexed Information for {name_asked}:\n  Language {language}:\n    Formats: wav",
			}
		if name == "Getvar":
			var = fields["Variable"]
			if var.startswith("STAT(") and self.dangerous_refused:
				# what Asterisk 22 answers (seen on the PBX lab): Success, an empty value, and
				# "Dangerous function STAT read blocked" in its log
				return {"Response": "Success", "Variable": var, "Value": ""}
			if var == "ASTDATADIR":
				return {"Response": "Success", "Variable": var, "Value": "/var/lib/asterisk"}
			path = var[len("STAT(e,") : -1]
			return {"Response": "Success", "Variable": var, "Value": "1" if path in self.files else "0"}
		raise AssertionError(name)

	def action_list(self, name, fields=None):
		if name not in self.actions:
			raise Refused(f"{name}: Permission denied")
		if name == "ShowDialPlan":
			if fields["Context"] not in self.contexts:
				raise Refused(f"ShowDialPlan: Did not find context {fields['Context']}")
			return [{"Event": "ListDialplan", "Context": fields["Context"]}]
		if name == "QueueStatus":
			return [{"Event": "QueueParams", "Queue": q} for q in self.queues]
		if name == "PJSIPShowEndpoints":
			return [{"Event": "EndpointList", "ObjectName": e} for e in self.endpoints]
		raise AssertionError(name)


WANTED = Expected(
	queues=("support", "vip"), sounds=("custom/cc-welcome", "custom/cc-closed"), endpoints=("ann", "bob")
)


def missing(pbx: Pbx) -> list[str]:
	return [
		f"{f.what} {f.name}" for f in findings(WANTED, gather(pbx, WANTED, errors=(Refused,))) if not f.ok
	]


def test_a_pbx_that_has_everything_passes():
	pbx = Pbx(
		queues=("support", "vip"),
		endpoints=("trunk", "ann", "bob", "old-phone"),
		files={
			"/var/lib/asterisk/sounds/custom/cc-welcome.wav",
			"/var/lib/asterisk/sounds/en/custom/cc-closed.gsm",
		},
	)
	results = findings(WANTED, gather(pbx, WANTED, errors=(Refused,)))
	assert [f.line() for f in results if not f.ok] == []
	assert any(f.name == "old-phone" and "note only" in f.message for f in results)


def test_every_gap_is_named():
	pbx = Pbx(
		actions=set(ACTIONS) - {"Atxfer"},
		contexts=set(CONTEXTS) - {"cc-transfer"},
		endpoints=("ann",),
		files={"/var/lib/asterisk/sounds/custom/cc-welcome.wav"},
	)
	assert missing(pbx) == [
		"permission AMI user",
		"context cc-transfer",
		"endpoint trunk",
		"endpoint bob",
		"queue vip",
		"sound custom/cc-closed",
	]
	results = findings(WANTED, gather(pbx, WANTED, errors=(Refused,)))
	assert "may not send Atxfer" in next(f.message for f in results if f.what == "permission")


def test_refused_lists_are_reported_not_raised():
	pbx = Pbx(actions=set(ACTIONS) - {"QueueStatus", "PJSIPShowEndpoints", "Getvar"})
	lines = missing(pbx)
	assert "queue QueueStatus" in lines and "endpoint PJSIP" in lines
	assert "sound custom/cc-welcome" in lines


def _wav(seconds=0.2):
	return wav_pcm16(b"\x10\x00" * int(16000 * seconds), 16000)


def test_sounds_are_written_as_pbx_wav_readable_by_asterisk_and_stale_ones_removed(tmp_path: Path):
	(tmp_path / "custom").mkdir()
	(tmp_path / "custom" / "cc-gone.wav").write_bytes(b"old")
	(tmp_path / "custom" / "theirs.wav").write_bytes(b"not ours")
	written, errors = write_sounds(str(tmp_path), [("Welcome", "custom/cc-welcome", _wav())])
	assert errors == [] and written == [str(tmp_path / "custom" / "cc-welcome.wav")]
	data = Path(written[0]).read_bytes()
	assert data[22:28] == b"\x01\x00\x40\x1f\x00\x00"  # mono, 8000 Hz
	assert stat.S_IMODE(os.stat(written[0]).st_mode) == 0o644
	assert sorted(os.listdir(tmp_path / "custom")) == ["cc-welcome.wav", "theirs.wav"]


def test_a_bad_announcement_is_named_and_the_others_still_written(tmp_path: Path):
	written, errors = write_sounds(
		str(tmp_path), [("Broken", "custom/cc-broken", b"RIFFxxxxWAVE"), ("Ok", "custom/cc-ok", _wav())]
	)
	assert [Path(p).name for p in written] == ["cc-ok.wav"]
	assert [e.field for e in errors] == ["announcement 'Broken' audio"]
	written, errors = write_sounds(str(tmp_path / "sounds"), [("Evil", "../../etc/passwd", _wav())])
	assert written == [] and "not a sound name" in errors[0].reason
	assert not (tmp_path / "etc").exists()


def test_without_stat_the_cli_sound_index_is_asked():
	pbx = Pbx(
		actions=set(ACTIONS) | {"Command"},
		queues=("support", "vip"),
		endpoints=("trunk", "ann", "bob"),
		files={"/var/lib/asterisk/sounds/custom/cc-welcome.wav"},
	)
	pbx.dangerous_refused = True
	assert missing(pbx) == ["sound custom/cc-closed"]
	pbx.actions.discard("Command")
	results = findings(WANTED, gather(pbx, WANTED, errors=(Refused,)))
	unknown = [f for f in results if f.what == "sound"]
	assert all(not f.ok and "could not be checked" in f.message for f in unknown)


def test_the_permission_advice_names_every_class_the_bridge_reads():
	"""Seen on the PBX lab: with the classes check-pbx used to advise, the bridge got no VarSet (dialplan),
	so records had no route, and no AGIExecStart (agi), so voicemail through the route server was missed."""
	pbx = Pbx(actions=set(ACTIONS) - {"Atxfer"})
	(advice,) = [
		f.message for f in findings(WANTED, gather(pbx, WANTED, errors=(Refused,))) if f.what == "permission"
	]
	read = advice.split("read = ", 1)[1].split(" ", 1)[0].split(",")
	write = advice.split("write = ", 1)[1].split(" ", 1)[0].split(",")
	assert {"dialplan", "cdr", "agi", "call", "agent"} <= set(read)
	assert {"originate", "command"} <= set(write)
