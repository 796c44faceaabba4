"""The generated dialplan means what it says: extension names checked against Asterisk's pattern letters,
and no caller-controlled value reaching an application argument unfiltered.

The live faults these guard against: ``_listen-.`` never matched ``listen-ann`` (its ``n`` is a digit 2-9),
and ``Dial(PJSIP/${EXTEN}@trunk)`` let a SIP client dial ``1&Local/listen-bob@cc-supervisor`` (``&`` adds a
second destination), so any agent could listen in.
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.telephony.actions import spy
from callcenter_app.telephony.asterisk_config.dialplan import extensions, literal, matches
from callcenter_app.telephony.asterisk_config.render import (
	AgiTarget,
	SipAccount,
	render_all,
	render_extensions,
)

ACCOUNTS = [
	SipAccount("ann", "a-very-long-secret", extension="1001"),
	SipAccount("nix.z", "another-long-secret", extension="1002"),
]


def rendered() -> str:
	return render_extensions(AgiTarget("10.0.0.5"), ACCOUNTS)


def context_matching(exten: str, context: str, text: str) -> list[str]:
	return [p for p in extensions(text)[context] if p != "s" and matches(p, exten)]


@pytest.mark.parametrize(
	"pattern, exten, expected",
	[
		("_listen-.", "listen-ann", False),  # the live fault: n is 2-9
		("_listen-.", "liste5-ann", True),
		# Asterisk skips '-' in the pattern and in the extension dialled: '[-]' matches nothing (live fault
		# on Asterisk 22: listen, whisper and barge all failed with "Extension does not exist")
		("_whisper[-].", "whisper-ann", False),
		("_whisper-.", "whisper-ann", True),
		("_liste[n]-.", "listen-ann", True),
		("_NXX-XXXX", "555-1234", True),
		("_NXX-XXXX", "5551234", True),
		("_X.", "1&Local/x", True),  # '.' is anything: why the number is filtered in the dialplan
		("_+X.", "+3706", True),
		("_NXX", "200", True),
		("_NXX", "100", False),
		("_[a-c]X", "b1", True),
		("_!", "", True),
		("ann", "ann", True),
		("ann", "anna", False),
	],
)
def test_the_pattern_reader_follows_asterisks_letters(pattern, exten, expected):
	assert matches(pattern, exten) is expected


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzXZN.-_!0123456789", min_size=1, max_size=20))
def test_literal_means_itself(text):
	pattern = "_" + literal(text)
	assert matches(pattern, text)
	# one character changed (to a digit, which every pattern letter would accept) no longer matches
	for i, c in enumerate(text):
		other = text[:i] + ("7" if c != "7" else "8") + text[i + 1 :]
		assert not matches(pattern, other)


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_each_spy_mode_reaches_exactly_its_own_extension(mode):
	text = rendered()
	exten = spy("sue", "ann", mode).fields["Exten"]
	(pattern,) = context_matching(exten, "cc-supervisor", text)
	assert pattern.startswith(f"_{literal(mode)}")
	# a digit where the mode has a letter reaches nothing ("liste5-ann" was what `_listen-.` matched)
	for i in range(len(mode)):
		assert not context_matching(exten[:i] + "5" + exten[i + 1 :], "cc-supervisor", text)


def test_agent_names_and_numbers_reach_their_own_contexts_only():
	text = rendered()
	assert context_matching("ann", "cc-internal", text) == ["ann"]
	assert context_matching("nix.z", "cc-internal", text) == ["nix.z"]
	assert context_matching("anna", "cc-internal", text) == []
	for context in ("cc-agents", "cc-transfer"):
		assert context_matching("+37060000001", context, text) == ["_+X."]
		assert context_matching("37060000001", context, text) == ["_X."]


APPLICATIONS = re.compile(r"\b(Dial|ChanSpy|AGI|Queue|Playback|UserEvent|VoiceMail|Goto|Gosub)\((.*)\)\s*$")
TAINTED = re.compile(r"\$\{(EXTEN|CALLERID|CONNECTEDLINE|PJSIP_HEADER|SIP_HEADER)")
FILTERED = re.compile(r"\$\{(FILTER|LEN)\((?:[^()]|\([^()]*\))*\)\}")


def test_no_caller_controlled_value_reaches_an_application_unfiltered():
	text = render_all(ACCOUNTS, [], AgiTarget("10.0.0.5")).files["extensions.conf"]
	checked = 0
	for line in text.splitlines():
		m = APPLICATIONS.search(line.split(";", 1)[0])
		if not m:
			continue
		checked += 1
		args = FILTERED.sub("", m.group(2))
		assert not TAINTED.search(args), f"unfiltered value in {line.strip()!r}"
	assert checked >= 12
	# the dialer's queue comes from an Originate variable: filtered before Queue() sees it
	dialer = text.split("[cc-dialer]")[1]
	assert dialer.index("Set(CC_QUEUE=${FILTER(--.A-Za-z0-9_,${CC_QUEUE})})") < dialer.index("Queue(")


def test_a_number_is_dialled_only_when_filtering_took_nothing_away():
	text = rendered()
	agents = text.split("[cc-agents]")[1].split("\n[")[0]
	assert "Set(CC_NUMBER=${FILTER(+0-9,${EXTEN})})" in agents
	assert "GotoIf($[${LEN(${CC_NUMBER})} != ${LEN(${EXTEN})}]?refuse)" in agents
	assert "Dial(PJSIP/${CC_NUMBER}@trunk,60,T)" in agents
	transfer = text.split("[cc-transfer]")[1].split("\n[")[0]
	assert "Dial(PJSIP/${CC_NUMBER}@trunk,60)" in transfer  # the transferred caller gets no transfer codes


def test_attended_transfer_has_a_feature_code_and_operators_may_transfer():
	files = render_all(ACCOUNTS, [], AgiTarget("10.0.0.5")).files
	assert "atxfer => *2" in files["features.conf"].split("[featuremap]")[1]
	dialer = files["extensions.conf"].split("[cc-dialer]")[1].split("\n[")[0]
	assert "Queue(${CC_QUEUE},tb(cc-autoanswer^s^1),,,2)" in dialer
	assert "Dial(PJSIP/ann,30,t)" in files["extensions.conf"]


def test_a_colleagues_extension_beats_the_outside_number_pattern_in_every_dialling_context():
	"""Attended transfers dial key presses, so colleagues are reached by extension: the exact extension
	sits in the same context as ``_X.`` (an exact match wins there; one in an included context would
	lose to the pattern)."""
	text = rendered()
	for context in ("cc-agents", "cc-transfer"):
		assert "1002" in extensions(text)[context]
		assert context_matching("1002", context, text) == ["1002", "_X."]
		block = text.split(f"[{context}]")[1].split("\n[")[0]
		assert "exten => 1002,1,Goto(cc-internal,nix.z,1)" in block


def test_a_supervisor_joins_only_the_named_agent_s_channels():
	"""ChanSpy's channel prefix PJSIP/ann- also matches PJSIP/ann-2-…: the spy group (g(), compared exactly
	with the SPYGROUP each endpoint sets on its channels) must be the same filtered name, and every endpoint
	must set its own."""
	from callcenter_app.telephony.asterisk_config.render import render_pjsip

	text = rendered()
	spies = [line for line in text.splitlines() if "ChanSpy(" in line]
	assert len(spies) == 3
	for line in spies:
		m = re.search(r"ChanSpy\(PJSIP/(\$\{FILTER\(.*?\)\})-,q[wB]?Eg\((.*)\)\)$", line)
		assert m and m.group(1) == m.group(2), line
	pjsip = render_pjsip([*ACCOUNTS, SipAccount("ann-2", "a-third-long-secret")])
	for name in ("ann", "nix.z", "ann-2"):
		endpoint = pjsip.split(f"\n[{name}]\ntype=endpoint\n")[1].split("\n[")[0]
		assert f"set_var=SPYGROUP={name}\n" in endpoint + "\n"
