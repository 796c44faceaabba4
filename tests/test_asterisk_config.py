"""Asterisk config rendering: golden files, member order = level then position, no config injection,
secrets only in pjsip.conf, files written 0600 and atomically.

Regenerate the golden files after an intended change with ``CC_UPDATE_GOLDEN=1 pytest tests/test_asterisk_config.py``
and review the diff.
"""

import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.telephony.asterisk_config.render import (
	AgiTarget,
	CallQueue,
	QueueMember,
	RenderError,
	SipAccount,
	member_order,
	render_all,
	render_queues,
	write_files,
)

GOLDEN = Path(__file__).parent / "golden" / "asterisk"
SECRET = "Xk2-very-long-secret"


def sample():
	accounts = [
		SipAccount("ann", SECRET, display_name="Ann Agent", codecs=("opus", "ulaw")),
		SipAccount("bob.s", "another-secret-42", webrtc=True, max_contacts=3),
		SipAccount("carl", "disabled-secret-1", enabled=False),
		SipAccount("dora", "dora-secret-12345"),
	]
	queues = [
		CallQueue(
			"support",
			ring_timeout=20,
			wrapup_time=10,
			members=(
				QueueMember("PJSIP/dora", level=2, position=1),
				QueueMember("PJSIP/bob.s", level=1, position=2),
				QueueMember("PJSIP/ann", level=1, position=1, name="Ann Agent"),
			),
		),
		CallQueue("sales", strategy="rrmemory", members=(QueueMember("PJSIP/ann"),), record=True),
	]
	return accounts, queues, AgiTarget("10.0.0.5", 4573)


def test_golden_files():
	rendered = render_all(*sample())
	if os.environ.get("CC_UPDATE_GOLDEN"):
		GOLDEN.mkdir(parents=True, exist_ok=True)
		for name, text in rendered.files.items():
			(GOLDEN / name).write_text(text)
	for name, text in rendered.files.items():
		assert text == (GOLDEN / name).read_text(), f"{name} differs from tests/golden/asterisk/{name}"
	assert (rendered.endpoints, rendered.queues, rendered.members) == (3, 2, 4)


def sections(text: str) -> list[tuple[str, dict[str, list[str]]]]:
	"""A small reader of Asterisk's config syntax: [name] then key=value / key => value lines."""
	out = []
	for line in text.splitlines():
		line = line.split(";", 1)[0].strip()
		if not line:
			continue
		if line.startswith("["):
			out.append((line[1 : line.index("]")], {}))
			continue
		key, value = re.split(r"\s*=>?\s*", line, maxsplit=1)
		out[-1][1].setdefault(key, []).append(value)
	return out


def test_pjsip_has_endpoint_auth_aor_per_enabled_account():
	files = render_all(*sample()).files
	parsed = sections(files["pjsip.conf"])
	by_name = {}
	for name, body in parsed:
		by_name.setdefault(name, set()).update(body["type"])
	assert by_name == {n: {"endpoint", "auth", "aor"} for n in ("ann", "bob.s", "dora")}
	auths = {n: b["password"][0] for n, b in parsed if b["type"] == ["auth"]}
	assert auths["ann"] == SECRET
	assert "disabled-secret-1" not in "".join(files.values())
	# the secret is in pjsip.conf only
	assert SECRET not in files["queues.conf"] + files["extensions.conf"]


def test_summary_never_contains_a_secret():
	rendered = render_all(*sample())
	summary = rendered.summary()
	assert "3 SIP endpoint(s)" in summary and "2 queue(s) with 4 member(s)" in summary
	for account in sample()[0]:
		assert account.secret not in summary
	with pytest.raises(RenderError) as e:
		render_all([SipAccount("eve", "short")], [], AgiTarget())
	assert "short" not in str(e.value) and "at least 12 characters" in str(e.value)


def test_queue_members_are_dynamic_and_listed_in_level_then_position_order():
	text = render_all(*sample()).files["queues.conf"]
	queues = dict(sections(text))
	support = queues["support"]
	assert support["strategy"] == ["linear"]
	assert "member" not in support  # static members cannot be logged out over AMI
	assert "persistentmembers=no" in text  # Frappe's logged-in agents are the truth, reconciled on connect
	listed = [line for line in text.split("[support]")[1].split("\n[")[0].splitlines() if "; member" in line]
	assert listed == [
		"; member PJSIP/ann level 1 (Ann Agent) when logged in",
		"; member PJSIP/bob.s level 1 (bob.s) when logged in",
		"; member PJSIP/dora level 2 (dora) when logged in",
	]
	assert queues["sales"]["strategy"] == ["rrmemory"]


members = st.lists(
	st.builds(
		QueueMember,
		interface=st.from_regex(r"PJSIP/[a-z]{1,6}", fullmatch=True),
		level=st.integers(0, 9),
		position=st.integers(0, 20),
	),
	max_size=12,
	unique_by=lambda m: m.interface,
)


@given(members)
def test_member_order_is_level_then_position_whatever_the_input_order(ms):
	ordered = member_order(ms)
	assert [(m.level, m.position) for m in ordered] == sorted((m.level, m.position) for m in ms)
	assert member_order(list(reversed(ms))) == ordered
	lines = [
		line
		for line in render_queues([CallQueue("q", members=tuple(ms))]).splitlines()
		if line.startswith("; member")
	]
	assert [int(line.split()[4]) for line in lines] == [m.level for m in ordered]


@pytest.mark.parametrize(
	"accounts, queues, agi, field, reason",
	[
		(
			[SipAccount("ann]\n[evil", SECRET)],
			[],
			AgiTarget(),
			"SIP account 'ann]\\n[evil' username",
			"letters",
		),
		([SipAccount("ann", "long-enough-but\nallow=all")], [], AgiTarget(), "secret", "line breaks"),
		([SipAccount("ann", "long enough secret")], [], AgiTarget(), "secret", "spaces"),
		([SipAccount("ann", SECRET, display_name='Ann" <666>')], [], AgiTarget(), "display name", "quotes"),
		([SipAccount("ann", SECRET, codecs=("ulaw;x",))], [], AgiTarget(), "codecs", "ulaw, alaw"),
		(
			[SipAccount("ann", SECRET), SipAccount("ann", SECRET)],
			[],
			AgiTarget(),
			"username",
			"appears twice",
		),
		# a leading "_" would turn the account's cc-internal extension into a catch-all dialplan pattern
		([SipAccount("_X.", SECRET)], [], AgiTarget(), "username", "starting with a letter"),
		([], [CallQueue("support", strategy="fastest")], AgiTarget(), "strategy", "one of linear"),
		([], [CallQueue("support queue")], AgiTarget(), "queue 'support queue' name", "letters"),
		([], [CallQueue("q", max_wait=0)], AgiTarget(), "max wait", "from 1 to 86400"),
		([], [CallQueue("q", members=(QueueMember("SIP/ann"),))], AgiTarget(), "member 'SIP/ann'", "PJSIP/"),
		(
			[],
			[CallQueue("q", members=(QueueMember("PJSIP/ghost"),))],
			AgiTarget(),
			"member PJSIP/ghost",
			"not an enabled",
		),
		([], [], AgiTarget("0.0.0.0"), "AGI host", "listen-on-all"),
		([], [], AgiTarget("agi host"), "AGI host", "not an IP address"),
		([], [], AgiTarget("127.0.0.1", 70000), "AGI port", "from 1 to 65535"),
	],
)
def test_bad_records_are_refused_naming_record_and_field(accounts, queues, agi, field, reason):
	with pytest.raises(RenderError) as e:
		render_all(accounts, queues, agi)
	message = str(e.value)
	assert field in message and reason in message


def test_files_are_private_and_replaced_atomically(tmp_path):
	rendered = render_all(*sample())
	(tmp_path / "pjsip.conf").write_text("old")
	paths = write_files(rendered, str(tmp_path))
	assert sorted(Path(p).name for p in paths) == [
		"extensions.conf",
		"features.conf",
		"pjsip.conf",
		"queues.conf",
	]
	for p in paths:
		assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
	assert (tmp_path / "pjsip.conf").read_text() == rendered.files["pjsip.conf"]
	assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_ipv6_agi_host_is_bracketed():
	text = render_all([], [], AgiTarget("::1", 4573)).files["extensions.conf"]
	assert "AGI(agi://[::1]:4573/route,${FILTER(+0-9,${EXTEN})},${FILTER(+0-9,${CALLERID(num)})})" in text


def test_only_queues_that_record_calls_get_a_monitor_format():
	queues = dict(sections(render_all(*sample()).files["queues.conf"]))
	assert queues["sales"]["monitor-format"] == ["wav"]
	assert "monitor-format" not in queues["support"]
