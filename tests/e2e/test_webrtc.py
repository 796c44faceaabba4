"""The phone bar in a real browser against the lab's Asterisk: headless Chromium with fake media registers
over the WebSocket as the WebRTC account ``web`` (rendered by render_all with WebRtc settings), a queued
inbound call rings in the bar and is answered, a dialer call is answered at once (Call-Info
answer-after=0), a call is transferred to bob's baresip phone; and the failures: microphone refused, the
WebSocket down, the registration rejected, a second tab. See tests/e2e/README.md (WebRTC).

Skipped like the rest of the lab (CC_LAB=1, asterisk on PATH) and also without node, esbuild, jssip
(yarn install), playwright-core or Chromium.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "webrtc"))

from lab import AGENTS, DID_SUPPORT, PERSON, callee, event_time, wait_until
from weblab import CARD_CALLER, WEB, WebRtcLab, site_call, site_setup, why_skip

from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.client import AmiActionError
from callcenter_app.telephony.asterisk_config.render import DIALER_GRACE_S

DOC_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(lab, page: str, name: str) -> None:
	"""The phone bar's picture: into the run directory, or docs/screenshots/ with CC_LAB_SCREENSHOTS=1."""
	folder = DOC_SHOTS if os.environ.get("CC_LAB_SCREENSHOTS") == "1" else lab.run / "screenshots"
	folder.mkdir(parents=True, exist_ok=True)
	lab.browser("shot", page=page, path=str(folder / name), selector=BAR)


# Bench mode (tests/e2e/README.md): with CC_LAB_SITE the site gets the lab's agents (web included) and
# its AMI bridge runs; each call's CC Call Log on the site is checked too.
SITE = os.environ.get("CC_LAB_SITE", "")
WEB_USER = "web@cc-lab.example"
BAR = "[data-cc=phone-bar]"


@pytest.fixture(scope="module")
def web(report):
	reason = why_skip()
	if reason:
		pytest.skip(reason)
	lab = WebRtcLab().start()
	try:
		report["webrtc_chromium"] = lab.browser.version
		yield lab
	finally:
		lab.stop()
		import shutil

		if os.environ.get("CC_LAB_KEEP") != "1":
			shutil.rmtree(lab.run, ignore_errors=True)
		else:
			report["webrtc_run_dir"] = str(lab.run)


def status(lab, page: str = "a") -> str:
	return lab.browser("eval", page=page, expr="document.querySelector('[data-cc=phone-bar]').dataset.status")


def wait_status(lab, wanted: str, page: str = "a", timeout: float = 20) -> None:
	try:
		lab.browser(
			"wait",
			page=page,
			expr=f"document.querySelector('[data-cc=phone-bar]')?.dataset.status === {wanted!r}",
			timeout=int(timeout * 1000),
		)
	except AssertionError:
		text = lab.browser("eval", page=page, expr="document.querySelector('[data-cc=phone-bar]').innerText")
		states = lab.browser("eval", page=page, expr="window.states")
		raise AssertionError(f"phone bar not {wanted!r}: {text!r}; states {states}") from None


def click(lab, selector: str, page: str = "a") -> None:
	try:
		lab.browser("click", page=page, selector=selector)
	except AssertionError:
		bar = lab.browser("eval", page=page, expr="document.querySelector('[data-cc=phone-bar]').outerHTML")
		states = lab.browser("eval", page=page, expr="window.states")
		raise AssertionError(f"cannot click {selector}: {bar}; states {states}") from None


def text(lab, selector: str, page: str = "a") -> str:
	return lab.browser("eval", page=page, expr=f"document.querySelector({selector!r}).innerText")


def pause(lab, queue: str, agent: str, paused: bool) -> None:
	lab.desk(actions.queue_pause(actions.Membership(queue, f"PJSIP/{agent}"), paused))


@pytest.fixture(scope="module")
def site_bridge(web):
	"""Bench mode: the site set up for the lab and `bench … callcenter ami-bridge` running (None without
	CC_LAB_SITE). Started before the test pauses anyone: the bridge reconciles queue members on connect."""
	if not SITE:
		yield None
		return
	from test_bench_bridge import BenchBridge

	done = site_setup(web, SITE)
	assert done["user"] == WEB_USER and done["ws_url"] == web.ws_url, done
	bridge = BenchBridge(web)
	try:
		bridge.start()
		yield bridge
	finally:
		bridge.stop()


def site_log(lab, **filters) -> dict | None:
	"""Bench mode: the call's CC Call Log on the site (None without CC_LAB_SITE)."""
	if not SITE:
		return None
	row = site_call(SITE, "desk_site", "call_log", filters=filters)
	assert row is not None, f"no CC Call Log {filters} on {SITE}"
	row["transfers"] = [(t["kind"], t["to"]) for t in json.loads(row["transfers"] or "[]")]
	return row


@pytest.fixture(scope="module")
def registered(web, site_bridge):
	"""Tab a registered as web, a member of support and sales; ann, bob and dora paused there."""
	t0 = time.monotonic()
	web.browser("open", page="a", context="main", url=web.page_url)
	wait_status(web, "registered", timeout=20)
	web.registered_in = time.monotonic() - t0
	wait_until(lambda: web.contacts("web"), 10, "web's contact in pjsip show contacts")
	for queue in ("support", "sales"):
		# in bench mode the site's bridge has added it already (the site's queues list web)
		with contextlib.suppress(AmiActionError):
			web.desk(actions.queue_add(actions.Membership(queue, "PJSIP/web", 0, name="web")))
	for queue, agent in (("support", "ann"), ("support", "bob"), ("sales", "dora")):
		pause(web, queue, agent, True)
	return web


def idle(lab) -> None:
	for ast in (lab.carrier, lab.pbx):
		ast.cli("channel request hangup all", check=False)
	lab.wait_idle()
	wait_status(lab, "registered")


def test_registers_over_the_websocket(registered, report):
	lab = registered
	# what render_all wrote for WebRTC (transports, endpoint media, http.conf with TLS) loads cleanly
	assert lab.startup_log == [], lab.startup_log
	assert "webrtc=yes" in lab.rendered["pjsip.conf"] and "http.conf" in lab.rendered
	contacts = lab.contacts("web")
	transport = "wss" if lab.tls else "ws"
	assert lab.ws_url.startswith(f"{transport}://")
	# JsSIP's Contact says transport=ws either way; the socket it came over is the TLS one
	assert len(contacts) == 1 and "transport=ws" in contacts[0].lower(), contacts
	if lab.tls:
		status = lab.pbx.cli("http show status")
		assert f"HTTPS Server Enabled and Bound to {lab.ws_url.split('/')[2]}" in status, status
	assert text(lab, "[data-cc=status]") == "Ready · web"
	report["webrtc_registered_in_s"] = round(lab.registered_in, 2)
	# the password reached the page only in the registration answer: never in storage
	stored = lab.browser(
		"eval", page="a", expr="JSON.stringify(Object.assign({}, localStorage, sessionStorage))"
	)
	assert WEB.secret not in stored and "callcenter_phone_lease" in stored


def test_queued_inbound_call_rings_and_is_answered(registered, report):
	lab = registered
	idle(lab)
	mark = lab.pbx_ami.mark()
	caller = lab.call_in(DID_SUPPORT, caller=CARD_CALLER, hold=30)
	wait_status(lab, "ringing", timeout=20)
	assert "Answer" in text(lab, BAR)
	lab.browser("wait", page="a", expr="document.querySelector('[data-cc=contact]')", timeout=5000)
	assert "Laura Caller" in text(lab, "[data-cc=card]")
	assert "HD-LAB-7" in text(lab, "[data-cc=card]")
	t0 = time.monotonic()
	click(lab, "[data-cc=answer]", page="a")
	wait_status(lab, "incall", timeout=10)
	report["webrtc_answer_click_to_incall_s"] = round(time.monotonic() - t0, 2)
	lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/web-"),
		10,
		"web in the bridge",
		mark,
	)
	# media flows both ways over DTLS-SRTP: the browser's inbound RTP grows
	got = lab.browser(
		"eval",
		page="a",
		expr="""(async () => {
			const pc = window.bar.phone && [...document.querySelectorAll('audio')][0];
			return !!(pc && pc.srcObject && pc.srcObject.getAudioTracks().length);
		})()""",
	)
	assert got, "the caller's audio track reached the page's <audio>"
	time.sleep(2)
	assert text(lab, "[data-cc=timer]") >= "00:01"
	shot(lab, "a", "phone-bar-lab-incall.png")
	# the keypad: RFC 4733 digits reach Asterisk on web's channel (Asterisk's "dtmf" log level)
	dtmf_log = lab.pbx.root / "log" / "lab-dtmf"
	lab.pbx.cli("logger add channel lab-dtmf dtmf")
	click(lab, "[data-cc=keypad]", page="a")
	for key in "59#":
		click(lab, f"[data-key='{key}']", page="a")
		time.sleep(0.3)
	wait_until(
		lambda: (
			dtmf_log.exists()
			and all(
				re.search(rf"DTMF end '{re.escape(k)}' received on PJSIP/web-", dtmf_log.read_text())
				for k in "59#"
			)
		),
		10,
		"the digits 5, 9, # on web's channel",
	)
	click(lab, "[data-cc=keypad]", page="a")
	click(lab, "[data-cc=mute]", page="a")
	assert lab.browser("eval", page="a", expr="window.bar.phone.state.call.muted") is True
	click(lab, "[data-cc=mute]", page="a")
	assert lab.browser("eval", page="a", expr="window.bar.phone.state.call.muted") is False
	click(lab, "[data-cc=hold]", page="a")
	wait_status(lab, "held", timeout=10)
	time.sleep(1)  # a person's pace (core.js lets one re-INVITE finish before the next)
	click(lab, "[data-cc=hold]", page="a")
	wait_status(lab, "incall", timeout=10)
	click(lab, "[data-cc=hangup]", page="a")
	wait_status(lab, "registered", timeout=10)
	record = lab.wait_record(lambda r: r["caller"] == caller, 25)
	assert record["status"] == "answered", record
	assert record["agent_interface"] == "PJSIP/web", record  # answered_by: the member name
	assert record["queue"] == "support", record
	row = site_log(lab, caller=caller)
	if row is not None:
		assert (row["status"], row["direction"], row["queue"]) == ("answered", "inbound", "support"), row
		assert (row["agent"], row["agent_interface"]) == (WEB_USER, "PJSIP/web"), row
		assert row["talk_s"] >= 3, row


def test_dialer_call_is_answered_without_ringing(registered, report):
	lab = registered
	idle(lab)
	mark = lab.pbx_ami.mark()
	number = callee(PERSON, 3)  # hangs up 12 s after answering
	lab.desk(
		actions.originate_campaign_call(
			number, "sales", "Lab campaign", "C-web-1", "web-1", caller_id="+37052000009", amd=False
		)
	)
	wait_status(lab, "incall", timeout=20)
	bridged = lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/web-"),
		10,
		"web bridged with the callee",
		mark,
	)
	answered = lab.pbx_ami.wait(
		lambda e: (
			e["Event"] == "Newstate"
			and e.get("ChannelStateDesc") == "Up"
			and e.get("Channel", "").startswith("PJSIP/trunk-")
		),
		1,
		"the callee's answer on the trunk",
		mark,
	)
	# the callee answered → the browser answered its INVITE and joined the bridge; within the dialer's
	# grace time (render.DIALER_GRACE_S) or the call would have been abandoned
	delay = event_time(bridged) - event_time(answered)
	report["webrtc_dialer_answer_to_operator_s"] = round(delay, 3)
	assert 0 <= delay < DIALER_GRACE_S, delay
	states = lab.browser("eval", page="a", expr="window.states.slice(-4)")
	assert "incall" in states
	assert not lab.browser(
		"eval", page="a", expr="!document.querySelector('[data-cc=answer]').closest('[hidden]')"
	)
	assert "(campaign)" in text(lab, "[data-cc=who]")
	record_pred = lambda r: r.get("campaign") == "Lab campaign" and r.get("agent_interface") == "PJSIP/web"  # noqa: E731
	click(lab, "[data-cc=hangup]", page="a")
	wait_status(lab, "registered")
	record = lab.wait_record(record_pred, 25, "the campaign call's record")
	assert record["direction"] == "outbound", record
	row = site_log(lab, agent_interface="PJSIP/web", direction="outbound")
	if row is not None:
		assert (row["status"], row["agent"]) == ("answered", WEB_USER), row


def answer_on_the_bar(lab) -> str:
	"""A queued call answered on tab a's phone bar; its caller number."""
	idle(lab)
	caller = lab.call_in(DID_SUPPORT, hold=40)
	wait_status(lab, "ringing", timeout=20)
	click(lab, "[data-cc=answer]", page="a")
	wait_status(lab, "incall", timeout=10)
	return caller


def transferred_to_bob(lab, caller: str, kind: str) -> dict:
	"""The caller's record (and, in bench mode, the site's CC Call Log) name the one transfer, to bob."""
	record = lab.wait_record(lambda r: r["caller"] == caller, 25)
	assert [(t["kind"], t["to"]) for t in record["transfers"]] == [(kind, "bob")], record["transfers"]
	row = site_log(lab, caller=caller)
	if row is not None:
		assert (row["agent"], row["transfers"]) == (WEB_USER, [(kind, "bob")]), row
	return record


def test_blind_transfer_to_a_baresip_phone(registered):
	lab = registered
	caller = answer_on_the_bar(lab)
	time.sleep(2)
	click(lab, "[data-cc=transfer]", page="a")
	lab.browser("fill", page="a", selector="[data-cc=transfer-target]", value="bob")
	click(lab, "[data-cc=blind]", page="a")
	lab.live_call("bob", 15)  # bob's baresip answered the caller
	wait_status(lab, "registered", timeout=10)  # the bar is free again
	time.sleep(1)
	lab.hangup_carrier()
	record = transferred_to_bob(lab, caller, "blind")
	assert record["agent_interface"] == "PJSIP/web", record


def test_attended_transfer_to_a_baresip_phone(registered):
	lab = registered
	caller = answer_on_the_bar(lab)
	time.sleep(1)
	mark = lab.pbx_ami.mark()
	click(lab, "[data-cc=transfer]", page="a")
	lab.browser("fill", page="a", selector="[data-cc=transfer-target]", value="bob")
	click(lab, "[data-cc=attended]", page="a")
	lab.pbx_ami.wait(
		lambda e: e["Event"] == "BridgeEnter" and e.get("Channel", "").startswith("PJSIP/bob-"),
		15,
		"bob talking to web",
		mark,
	)
	assert "hang up to complete" in text(lab, "[data-cc=message]")
	time.sleep(1)
	click(lab, "[data-cc=hangup]", page="a")  # completes the transfer
	wait_status(lab, "registered", timeout=10)
	lab.live_call("bob", 15)
	lab.hangup_carrier()
	transferred_to_bob(lab, caller, "attended")


def test_second_tab_waits_and_can_take_over(registered):
	lab = registered
	idle(lab)
	lab.browser("open", page="b", context="main", url=lab.page_url)
	wait_status(lab, "standby", page="b", timeout=10)
	assert "Phone active in another tab" in text(lab, BAR, page="b")
	assert len(lab.contacts("web")) == 1
	click(lab, "[data-cc=use-here]", page="b")
	wait_status(lab, "registered", page="b", timeout=20)
	wait_status(lab, "standby", page="a", timeout=10)
	wait_until(lambda: len(lab.contacts("web")) == 1, 10, "one contact for web")
	# back to tab a for the next tests
	click(lab, "[data-cc=use-here]", page="a")
	wait_status(lab, "registered", page="a", timeout=20)
	wait_status(lab, "standby", page="b", timeout=10)
	lab.browser("close", page="b")


def test_microphone_refused_is_said_and_retry_is_offered(registered):
	lab = registered
	fetched = sum(1 for m, _ in lab.api_log if m.endswith(".registration"))
	lab.browser("open", page="m", context="nomic", url=lab.page_url, mic="deny")
	wait_status(lab, "failed", page="m", timeout=10)
	assert "Microphone refused" in text(lab, "[data-cc=message]", page="m")
	assert lab.browser("eval", page="m", expr="!document.querySelector('[data-cc=retry]').hidden")
	# the microphone is checked before the password is even asked for
	assert sum(1 for m, _ in lab.api_log if m.endswith(".registration")) == fetched
	shot(lab, "m", "phone-bar-lab-microphone-refused.png")
	lab.browser("close", page="m")


def test_websocket_down_and_registration_rejected(registered):
	lab = registered
	good = dict(lab.registration)
	try:
		lab.registration["ws_url"] = lab.ws_url.split(":")[0] + "://127.0.0.1:9/ws"  # nothing listens
		lab.browser("open", page="w", context="down", url=lab.page_url)
		wait_status(lab, "failed", page="w", timeout=15)
		assert "PBX unreachable" in text(lab, "[data-cc=message]", page="w")
		lab.browser("close", page="w")
		lab.registration.update(good, password="wrong-password-000")
		lab.browser("open", page="r", context="rejected", url=lab.page_url)
		wait_status(lab, "failed", page="r", timeout=15)
		message = text(lab, "[data-cc=message]", page="r")
		assert "Registration rejected" in message and "401" in message, message
		shot(lab, "r", "phone-bar-lab-rejected.png")
		lab.registration.update(good)
		click(lab, "[data-cc=retry]", page="r")
		wait_status(lab, "registered", page="r", timeout=20)
		lab.browser("close", page="r")
	finally:
		lab.registration.update(good)
	# tab a is still the one registered (the other contexts are other browsers: remove_existing)
	with contextlib.suppress(AssertionError):
		wait_status(lab, "registered", page="a", timeout=5)
	assert AGENTS["bob"].extension == "1002"
