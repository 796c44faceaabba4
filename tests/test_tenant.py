"""Several call centers on one Asterisk (issue 19): two sites, ``ta`` and ``tb``, share one PBX.

The second tenant's AMI frames are synthesised from the Asterisk 22 recordings in tests/data/asterisk by
renaming what a tenant's dialplan names (contexts, queues, Local/PJSIP channels) and giving the clone its
own ids, as one Asterisk would; the two streams are interleaved in time and fed to each site. Each site
must get exactly the records its own calls give when replayed alone, and nothing of the other's.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from agi_peer import Scenario, env_lines
from ami_peer import AmiPeer
from tenant_streams import two_tenants
from test_agi_server import EXAMPLE, OFFICE

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.actions import (
	Membership,
	agent_call,
	blind_transfer,
	click_to_call,
	members_from_status,
	originate_campaign_call,
	queue_add,
	reconcile,
	spy,
)
from callcenter_app.telephony.agi.server import RouteServer, ServerConfig
from callcenter_app.telephony.ami.bridge import Bridge
from callcenter_app.telephony.ami.calls import CallTracker
from callcenter_app.telephony.ami.client import AmiConfig
from callcenter_app.telephony.ami.spool import Spool
from callcenter_app.telephony.asterisk_config.dialplan import extensions
from callcenter_app.telephony.asterisk_config.render import (
	AgiTarget,
	CallQueue,
	QueueMember,
	SipAccount,
	include_lines,
	render_all,
	write_files,
)
from callcenter_app.telephony.pbx.sounds import write_sounds
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.tenant import EventScope, Tenant, check_prefix


def records(frames) -> dict[str, dict]:
	t = CallTracker()
	out = t.feed_all(frames) + t.finish_all()
	assert len(out) == len({r.linkedid for r in out}), "a call was recorded twice"
	return {r.linkedid: r.as_dict() for r in out}


def scoped(prefix: str, stream: list[dict]) -> tuple[list[dict], EventScope]:
	scope = EventScope(Tenant(prefix))
	out = []
	for e in stream:
		out += scope.feed(e)
	return out, scope


# --- the prefix ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["TA", "t-a", "ta-", "1ta", "t a", "abcdefghijklm", "ta_b", "é"])
def test_a_prefix_is_short_lowercase_letters_and_digits(bad):
	with pytest.raises(FieldError) as e:
		check_prefix(bad)
	assert e.value.field == "tenant_prefix"
	assert check_prefix("") == "" and check_prefix("acme2") == "acme2"


def test_names_go_out_with_the_prefix_and_come_back_without_it():
	t = Tenant("ta")
	cases = {
		"PJSIP/ann": "PJSIP/ta-ann",
		"PJSIP/ann-0000000a": "PJSIP/ta-ann-0000000a",
		"PJSIP/+37052000000@trunk": "PJSIP/+37052000000@ta-trunk",
		"Local/ann@cc-agents/n": "Local/ann@ta-cc-agents/n",
		"Local/100@cc-inbound-00000000;1": "Local/100@ta-cc-inbound-00000000;1",
	}
	for local, pbx in cases.items():
		assert t.channel(local) == pbx and t.local_channel(pbx) == local
	assert t.local_channel("PJSIP/tb-ann-0000000a") is None and t.local_channel("PJSIP/trunk-01") is None
	assert t.local("tab-sales") is None  # ta and tab never meet
	assert t.sound("custom/cc-welcome") == "custom/ta-cc-welcome" and t.sound("beep") == "beep"
	alone = Tenant("")
	assert alone.channel("PJSIP/ann") == "PJSIP/ann" and alone.outgoing("QueueAdd", {"Queue": "s"}) == (
		{"Queue": "s"},
		None,
	)


def test_every_desk_action_names_only_the_sites_objects():
	t = Tenant("ta")
	call = agent_call(
		t.own_list(
			[
				{
					"Channel": "PJSIP/tb-ann-00000001",
					"BridgeId": "b1",
					"Linkedid": "9.1",
					"Context": "tb-cc-agents",
				},
				{
					"Channel": "PJSIP/ta-ann-00000002",
					"BridgeId": "b2",
					"Linkedid": "9.2",
					"Context": "ta-cc-agents",
				},
				{
					"Channel": "PJSIP/ta-trunk-00000003",
					"BridgeId": "b2",
					"Linkedid": "9.2",
					"Context": "ta-cc-inbound",
				},
			]
		),
		"ann",
	)
	# the same SIP username in both sites: site A's ann is on call 9.2, never site B's 9.1
	assert (call.agent_channel, call.peer_channel, call.linkedid) == (
		"PJSIP/ann-00000002",
		"PJSIP/trunk-00000003",
		"9.2",
	)
	sent = [
		click_to_call("ann", "+37052000000", ticket="T-1"),
		originate_campaign_call("+37052000001", "sales", "Camp", "C-1", "A-1"),
		blind_transfer(call, "bob"),
		spy("sue", "ann", "listen"),
		queue_add(Membership("sales", "PJSIP/ann", 1)),
	]
	out = [(a.name, *t.outgoing(a.name, a.fields, a.variables)) for a in sent]
	assert out[0][1]["Channel"] == "PJSIP/ta-ann" and out[0][1]["Context"] == "ta-cc-agents"
	assert out[0][2]["__CC_TENANT"] == "ta" and out[0][1]["Exten"] == "+37052000000"
	assert out[1][1]["Channel"] == "PJSIP/+37052000001@ta-trunk" and out[1][1]["Context"] == "ta-cc-dialer"
	assert out[1][2]["CC_QUEUE"] == "sales"  # the site's dialplan adds the prefix: Queue(ta-${CC_QUEUE})
	assert out[2][1] == {"Channel": "PJSIP/ta-ann-00000002", "Context": "ta-cc-transfer", "Exten": "bob"}
	assert out[3][1]["Channel"] == "PJSIP/ta-sue" and out[3][1]["Context"] == "ta-cc-supervisor"
	assert out[4][1]["Queue"] == "ta-sales" and out[4][1]["Interface"] == "PJSIP/ta-ann"
	assert out[4][1]["StateInterface"] == "PJSIP/ta-ann"


# --- render-asterisk: two sites, one PBX ----------------------------------------------------------------
def site_records(secret: str) -> tuple[list[SipAccount], list[CallQueue]]:
	accounts = [
		SipAccount("ann", secret, "Ann", extension="201"),
		SipAccount("bob", secret, "Bob", webrtc=True, extension="202"),
	]
	queues = [
		CallQueue("sales", members=(QueueMember("PJSIP/ann", 1), QueueMember("PJSIP/bob", 2)), record=True),
		CallQueue("support", members=(QueueMember("PJSIP/bob"),)),
	]
	return accounts, queues


def test_two_sites_render_into_one_folder_without_a_shared_name(tmp_path):
	"""The same usernames, queue names and extensions in both sites: each file names only its own site's
	objects, no section of one is a section of the other, and features.conf is the same text."""
	rendered = {}
	for prefix, port in (("ta", 4573), ("tb", 4574)):
		rendered[prefix] = render_all(
			*site_records(f"{prefix}-secret-123456"), AgiTarget(port=port), tenant=prefix
		)
		write_files(rendered[prefix], str(tmp_path))
	files = sorted(p.name for p in tmp_path.iterdir())
	assert files == [
		"extensions_ta.conf",
		"extensions_tb.conf",
		"features.conf",
		"pjsip_ta.conf",
		"pjsip_tb.conf",
		"queues_ta.conf",
		"queues_tb.conf",
	]
	assert rendered["ta"].files["features.conf"] == rendered["tb"].files["features.conf"]
	assert include_lines("ta") == {
		"pjsip.conf": "#include pjsip_ta.conf",
		"queues.conf": "#include queues_ta.conf",
		"extensions.conf": "#include extensions_ta.conf",
	}
	sections = {}
	for prefix in ("ta", "tb"):
		other = "tb" if prefix == "ta" else "ta"
		for kind in ("pjsip", "queues", "extensions"):
			text = (tmp_path / f"{kind}_{prefix}.conf").read_text()
			body = "\n".join(line for line in text.splitlines() if not line.startswith(";"))
			names = re.findall(r"^\[([^\]]+)\]", body, re.M)
			assert names and all(n.startswith(f"{prefix}-") for n in names), (kind, names)
			assert "[general]" not in body  # one [general] per main file: the shared queues.conf has it
			sections.setdefault(kind, []).append({n for n in names})
			assert f"{other}-" not in body and f"={other}" not in body
			# every Asterisk name the dialplan uses is the site's own
			for ref in re.findall(
				r"(?:PJSIP/|include => |Goto\(|context=|auth=|aors=|Queue\()([^,)\s$]*)", body
			):
				if ref:
					assert ref.startswith(f"{prefix}-"), (kind, ref)
		ext = (tmp_path / f"extensions_{prefix}.conf").read_text()
		assert f"AGI(agi://127.0.0.1:{4573 if prefix == 'ta' else 4574}/route" in ext
		assert f"Set(__CC_TENANT={prefix})" in ext and f"@{prefix}-trunk" in ext
		# recordings in the site's own folder, on the caller's channel (app_queue reads it there), in both
		# contexts whose calls reach a queue: inbound (the route server's Queue) and the dialer's
		for context in (f"{prefix}-cc-inbound", f"{prefix}-cc-dialer"):
			body = ext.split(f"[{context}]")[1].split("\n[")[0]
			assert f"Set(MONITOR_FILENAME={prefix}/${{UNIQUEID}})" in body, context
		assert f"ChanSpy(PJSIP/{prefix}-${{FILTER" in ext and f"Queue({prefix}-${{CC_QUEUE}}" in ext
		assert f"qEg({prefix}-${{FILTER" in ext  # the spy group is the prefixed endpoint name too
		pjsip = (tmp_path / f"pjsip_{prefix}.conf").read_text()
		assert f"set_var=SPYGROUP={prefix}-ann\n" in pjsip
		assert f"Playback(custom/{prefix}-cc-dialer-abandoned)" in ext
		contexts = extensions(ext)
		assert f"{prefix}-cc-inbound" in contexts and "_X." in contexts[f"{prefix}-cc-inbound"]
	for kind, (a, b) in sections.items():
		assert not a & b, (kind, a & b)


def test_a_site_alone_renders_todays_files_exactly():
	accounts, queues = site_records("a-secret-123456")
	assert (
		render_all(accounts, queues, AgiTarget()).files
		== render_all(accounts, queues, AgiTarget(), tenant="").files
	)
	assert sorted(render_all(accounts, queues, AgiTarget()).files) == [
		"extensions.conf",
		"features.conf",
		"pjsip.conf",
		"queues.conf",
	]


def test_announcements_of_two_sites_never_overwrite_each_other(tmp_path):
	wav = (EXAMPLE.parent / "tone-440hz-1s-16k.mp3").read_bytes()
	for prefix in ("ta", "tb"):
		written, errors = write_sounds(str(tmp_path), [("Welcome", "custom/cc-welcome", wav)], Tenant(prefix))
		assert not errors and written == [str(tmp_path / "custom" / f"{prefix}-cc-welcome.wav")]
	write_sounds(str(tmp_path), [], Tenant("ta"))  # site A drops its announcement: B's stays
	assert sorted(p.name for p in (tmp_path / "custom").iterdir()) == ["tb-cc-welcome.wav"]


# --- the AMI bridge: each site's events only --------------------------------------------------------------
def test_each_site_records_exactly_its_own_calls_from_one_interleaved_stream():
	a, b, shared = two_tenants()
	alone_a, alone_b = records(a), records(b)
	assert len(alone_a) == len(alone_b) >= 9 and not set(alone_a) & set(alone_b)
	for prefix, alone in (("ta", alone_a), ("tb", alone_b)):
		events, scope = scoped(prefix, shared)
		got = records(events)
		assert got == alone  # every field, with the site's own names (no prefix)
		theirs = [e for e in events if e["Site"] != prefix]
		# what both sites get: only the events that name nothing (Asterisk's own: booted, a manager login)
		assert theirs and {e["Event"] for e in theirs} <= {"FullyBooted", "SuccessfulAuth"}
		# all of its own but BridgeCreate (it comes before any channel enters: whose it is is not known)
		own = [e for e in shared if e["Site"] == prefix and e["Event"] != "BridgeCreate"]
		assert len(events) - len(theirs) == len(own)
		assert scope.conflicts == 0 and scope.dropped == len(shared) - scope.delivered
		assert not any(
			str(v).startswith(("ta-", "tb-")) or "@ta-" in str(v) or "PJSIP/t" in str(v)
			for e in events
			for v in e.values()
		)


def test_a_call_with_no_mark_creates_no_record_anywhere_and_a_held_call_keeps_its_order():
	trunk = [
		{"Event": "Newchannel", "Channel": "PJSIP/trunk-000000f1", "Context": "from-provider",
		 "Uniqueid": "7.1", "Linkedid": "7.1", "Timestamp": "1795339039.1"},
		{"Event": "Newexten", "Channel": "PJSIP/trunk-000000f1", "Context": "from-provider",
		 "Application": "Answer", "Uniqueid": "7.1", "Linkedid": "7.1", "Timestamp": "1795339039.2"},
		{"Event": "Hangup", "Channel": "PJSIP/trunk-000000f1", "Uniqueid": "7.1", "Linkedid": "7.1",
		 "Timestamp": "1795339039.3", "Cause": "16"},
		{"Event": "Cdr", "UniqueID": "7.1", "Channel": "PJSIP/trunk-000000f1", "Timestamp": "1795339039.4"},
	]  # fmt: skip
	for prefix in ("ta", "tb"):
		events, scope = scoped(prefix, trunk)
		assert events == [] and not scope.held and records(events) == {}
	# a shared dispatch context sends the next trunk call into site A's inbound context: held, then all of
	# it delivered to A in order, none to B
	dispatched = [
		{**trunk[0], "Uniqueid": "8.1", "Linkedid": "8.1"},
		{**trunk[1], "Uniqueid": "8.1", "Linkedid": "8.1", "Application": "Goto", "AppData": "ta-cc-inbound,100,1"},
		{"Event": "VarSet", "Channel": "PJSIP/trunk-000000f2", "Variable": "__CC_TENANT", "Value": "ta",
		 "Uniqueid": "8.1", "Linkedid": "8.1", "Timestamp": "1795339039.25"},
		{**trunk[2], "Uniqueid": "8.1", "Linkedid": "8.1"},
		{**trunk[3], "UniqueID": "8.1"},
	]  # fmt: skip
	got_a, _ = scoped("ta", dispatched)
	got_b, _ = scoped("tb", dispatched)
	assert [e["Event"] for e in got_a] == ["Newchannel", "Newexten", "VarSet", "Hangup", "Cdr"]
	assert got_b == [] and len(records(got_a)) == 1


def test_cc_tenant_decides_before_any_name_and_events_of_no_call_go_by_their_names():
	scope_a, scope_b = EventScope(Tenant("ta")), EventScope(Tenant("tb"))
	events = [
		{"Event": "VarSet", "Variable": "CC_TENANT", "Value": "tb", "Uniqueid": "5.1", "Linkedid": "5.1"},
		{"Event": "Newexten", "Context": "from-provider", "Uniqueid": "5.1", "Linkedid": "5.1"},
		{"Event": "QueueMemberStatus", "Queue": "ta-sales", "Interface": "PJSIP/ta-ann", "MemberName": "Ann"},
		{"Event": "QueueMemberStatus", "Queue": "tb-sales", "Interface": "PJSIP/tb-ann", "MemberName": "Ann"},
		{"Event": "ContactStatus", "AOR": "tb-ann", "EndpointName": "tb-ann", "ContactStatus": "Reachable"},
		{"Event": "DeviceStateChange", "Device": "PJSIP/ta-ann", "State": "INUSE"},
		{"Event": "FullyBooted", "Status": "Fully Booted"},
	]
	got_a = [e for ev in events for e in scope_a.feed(ev)]
	got_b = [e for ev in events for e in scope_b.feed(ev)]
	assert got_a == [
		{"Event": "QueueMemberStatus", "Queue": "sales", "Interface": "PJSIP/ann", "MemberName": "Ann"},
		{"Event": "DeviceStateChange", "Device": "PJSIP/ann", "State": "INUSE"},
		{"Event": "FullyBooted", "Status": "Fully Booted"},
	]
	assert [e["Event"] for e in got_b] == [
		"VarSet",
		"Newexten",
		"QueueMemberStatus",
		"ContactStatus",
		"FullyBooted",
	]
	assert got_b[3]["AOR"] == "ann" and got_b[2]["Queue"] == "sales"


def test_queue_reconcile_after_a_reconnect_touches_only_the_sites_members():
	status = [
		{"Event": "QueueMember", "Queue": q, "StateInterface": f"PJSIP/{p}-{u}", "Membership": "dynamic",
		 "Penalty": "1", "Paused": "0", "Name": u}
		for p in ("ta", "tb") for q in (f"{p}-sales",) for u in ("ann", "bob")
	]  # fmt: skip
	t = Tenant("ta")
	actual = members_from_status(t.own_list(status))
	assert {(m.queue, m.interface) for m in actual} == {("sales", "PJSIP/ann"), ("sales", "PJSIP/bob")}
	# site A's logged-in agents: ann only (bob logged out); site B's bob stays whatever A does
	actions = reconcile([Membership("sales", "PJSIP/ann", 1, name="ann")], actual)
	sent = [(a.name, t.outgoing(a.name, a.fields)[0]) for a in actions]
	assert sent == [("QueueRemove", {"Queue": "ta-sales", "Interface": "PJSIP/ta-bob"})]


def test_two_bridges_on_one_pbx_write_only_their_own_calls_and_members(tmp_path):
	"""Each site's whole bridge (AMI client → scope → tracker → spool → write) on the same stream, with the
	same QueueStatus listing both sites' members: records, notices and QueueAdd/Remove stay in the site."""
	a, b, shared = two_tenants()
	expected = {"ta": set(records(a)), "tb": set(records(b))}
	members = [
		{"Queue": f"{p}-sales", "StateInterface": f"PJSIP/{p}-bob", "Location": f"PJSIP/{p}-bob",
		 "Membership": "dynamic", "Penalty": "0", "Paused": "0", "Name": "Bob"}
		for p in ("ta", "tb")
	]  # fmt: skip

	async def site(prefix):
		peer = AmiPeer(shared)
		peer.members = members
		port = await peer.start()
		written, notices = {}, []
		bridge = Bridge(
			AmiConfig("127.0.0.1", port, "cc", "s3cret-pass", timeout=5, tenant=prefix),
			Spool(str(tmp_path / prefix), fsync=False),
			lambda batch: written.update({r["linkedid"]: r for r in batch}),
			notify=notices.extend,
			desired_members=lambda: ([Membership("sales", "PJSIP/ann", 0, name="Ann")], frozenset()),
			retry_start=0.05,
			drain_timeout=0.5,
		)
		task = asyncio.create_task(bridge.run())
		for _ in range(400):
			if set(written) >= expected[prefix] and bridge.member_actions >= 2:
				break
			await asyncio.sleep(0.05)
		await asyncio.sleep(0.3)
		bridge.stop()
		await asyncio.wait_for(task, 10)
		await peer.close()
		return (
			written,
			notices,
			[m for m in peer.received if m["Action"].startswith("Queue") and m.get("Queue")],
		)

	async def main():
		return await asyncio.gather(site("ta"), site("tb"))

	for prefix, (written, notices, member_actions) in zip(("ta", "tb"), asyncio.run(main()), strict=True):
		assert set(written) == expected[prefix]
		assert {r["queue"] for r in written.values()} <= {"support", "sales", "noans", ""}
		# live notices (ringing, wallboard queue state) name the site's queues and phones, never a prefix
		assert notices and not any("ta-" in str(n) or "tb-" in str(n) for n in notices)
		touched = {(m.get("Queue"), m.get("Interface")) for m in member_actions}
		assert touched == {
			(f"{prefix}-sales", f"PJSIP/{prefix}-bob"),
			(f"{prefix}-sales", f"PJSIP/{prefix}-ann"),
		}


# --- the route server -----------------------------------------------------------------------------------
async def _agi_call(port: int, context: str, scenario: Scenario) -> Scenario:
	reader, writer = await asyncio.open_connection("127.0.0.1", port)
	env = env_lines("+37052000000", "+37069999999").replace(
		b"agi_context: cc-inbound", f"agi_context: {context}".encode()
	)
	writer.write(env)
	await writer.drain()
	try:
		while True:
			line = await asyncio.wait_for(reader.readline(), 5)
			if not line:
				return scenario
			command = line.decode().rstrip("\n")
			scenario.commands.append(command)
			for reply in scenario.reply(command):
				writer.write(reply.encode() + b"\n")
			await writer.drain()
	finally:
		writer.close()


def test_the_route_server_serves_its_own_site_only_and_names_its_queues():
	# the app's announcements are custom/cc-<slug> (routing/records.py): per site on a shared PBX
	text = EXAMPLE.read_text().replace('"custom/welcome"', '"custom/cc-welcome"')
	routes = serialize.loads(text.replace('"custom/main-menu"', '"custom/cc-main-menu"'))
	ended = []

	async def main():
		server = RouteServer(
			lambda: routes,
			ServerConfig(host="127.0.0.1", port=0, tenant="ta"),
			now=lambda: OFFICE,
			on_call_end=ended.append,
		)
		_host, port = await server.start()
		try:
			own = await _agi_call(port, "ta-cc-inbound", Scenario(digits=["1"], queue_results=["timeout"]))
			other = await _agi_call(port, "tb-cc-inbound", Scenario(queue_results=["answered"]))
			for _ in range(100):
				if len(ended) >= 2:
					break
				await asyncio.sleep(0.02)
		finally:
			await server.close()
		return own, other

	own, other = asyncio.run(main())
	assert other.commands == ["HANGUP"]
	assert any("refused" in r.error and "tb-cc-inbound" in r.error for r in ended)
	queues = [c for c in own.commands if c.startswith("EXEC Queue")]
	assert queues and all(c.startswith('EXEC Queue "ta-') for c in queues)
	assert 'STREAM FILE "custom/ta-cc-welcome" ""' in own.commands  # the site's announcement file
	assert 'GET DATA "custom/ta-cc-main-menu" 5000 1' in own.commands
	assert 'EXEC VoiceMail "100@ta-default,u"' in own.commands  # the site's own voicemail context
	assert own.commands[0].startswith("SET VARIABLE") and not other.commands[1:]


def test_recovery_from_the_shared_pbx_logs_keeps_only_the_sites_calls():
	"""queue_log / CDR lines turned into events (recovery.py) are filtered like live ones: a line of
	another site's queue or channel recovers nothing in this site."""
	t = Tenant("ta")
	history = [
		{"Event": "QueueCallerJoin", "Uniqueid": "1.1", "Queue": "ta-sales", "Source": "queue_log"},
		{"Event": "QueueCallerJoin", "Uniqueid": "2.1", "Queue": "tb-sales", "Source": "queue_log"},
		{"Event": "Newchannel", "Uniqueid": "3.1", "Linkedid": "3.1", "Channel": "PJSIP/ta-trunk-01",
		 "Context": "ta-cc-inbound", "Source": "cdr"},
		{"Event": "Hangup", "Uniqueid": "3.2", "Linkedid": "3.1", "Channel": "PJSIP/x-02", "Source": "cdr"},
		{"Event": "Newchannel", "Uniqueid": "4.1", "Linkedid": "4.1", "Channel": "PJSIP/tb-trunk-03",
		 "Context": "tb-cc-inbound", "Source": "cdr"},
	]  # fmt: skip
	kept = t.own_list(history)
	assert [e["Uniqueid"] for e in kept] == ["1.1", "3.1", "3.2"]
	assert kept[0]["Queue"] == "sales" and kept[1]["Channel"] == "PJSIP/trunk-01"
