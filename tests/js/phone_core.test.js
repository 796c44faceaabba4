// node --test tests/js/ : the phone bar's core (public/js/phone/core.js) against a fake JsSIP.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createPhone, MESSAGES, wantsAutoAnswer } from "../../callcenter_app/public/js/phone/core.js";
import { makeJsSIP } from "./fake_jssip.js";

const REGISTRATION = {
	ws_url: "ws://127.0.0.1:8088/ws",
	sip_uri: "sip:web@127.0.0.1",
	authorization_user: "web",
	password: "web-secret-000001",
	display_name: "Web Agent",
	ice_servers: [{ urls: "stun:stun.example.com:3478" }],
};

function fakeApi(overrides = {}) {
	const calls = [];
	return {
		calls,
		async call(method, args) {
			calls.push([method, args]);
			const answer = overrides[method];
			if (answer instanceof Error) throw answer;
			if (typeof answer === "function") return answer(args);
			if (answer !== undefined) return answer;
			if (method.endsWith("registration")) return { ...REGISTRATION };
			if (method.endsWith("caller_card")) return { contact: "C-1", contact_name: "Carla", tickets: [] };
			return { ok: true };
		},
	};
}

const micOk = async () => ({ getTracks: () => [{ stop() {} }] });
const tick = () => new Promise((r) => setTimeout(r, 0));

async function registered(options = {}) {
	const JsSIP = makeJsSIP();
	const api = options.api || fakeApi();
	const phone = createPhone({ JsSIP, api, getUserMedia: options.getUserMedia || micOk, lease: options.lease || null });
	const states = [];
	phone.on("change", (s) => states.push(s));
	await phone.start();
	const ua = JsSIP.made.uas.at(-1);
	if (ua && options.register !== false) ua.register();
	return { JsSIP, api, phone, ua, states };
}

test("registers with the account the server gave, and only keeps the password in the UA config", async () => {
	const { phone, ua, states } = await registered();
	assert.equal(ua.config.uri, "sip:web@127.0.0.1");
	assert.equal(ua.config.authorization_user, "web");
	assert.equal(ua.config.password, "web-secret-000001");
	assert.equal(ua.config.sockets[0].url, "ws://127.0.0.1:8088/ws");
	assert.deepEqual(
		states.map((s) => s.status),
		["registering", "registering", "registering", "registered"]
	);
	assert.equal(phone.state.status, "registered");
	assert.ok(!JSON.stringify(states).includes("web-secret"), "the password is never in a state");
	phone.stop();
	assert.ok(ua.stopped);
	assert.equal(phone.state.status, "idle");
});

test("a refused microphone is a plain failure with Retry, and retry registers", async () => {
	let allow = false;
	const getUserMedia = async () => {
		if (!allow) throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
		return { getTracks: () => [] };
	};
	const { phone, JsSIP, api } = await registered({ getUserMedia, register: false });
	assert.equal(phone.state.status, "failed");
	assert.equal(phone.state.reason, "microphone");
	assert.equal(phone.state.message, MESSAGES.microphone);
	assert.equal(JsSIP.made.uas.length, 0, "no registration without a microphone");
	assert.equal(api.calls.length, 0, "the password is not even fetched");
	allow = true;
	await phone.retry();
	JsSIP.made.uas[0].register();
	assert.equal(phone.state.status, "registered");
});

test("no microphone at all says so", async () => {
	const getUserMedia = async () => {
		throw Object.assign(new Error("none"), { name: "NotFoundError" });
	};
	const { phone } = await registered({ getUserMedia, register: false });
	assert.equal(phone.state.reason, "no_microphone");
});

test("PBX unreachable: the WebSocket closes, the bar says so, and recovers when it connects", async () => {
	const { phone, ua } = await registered({ register: false });
	ua.emit("disconnected", { error: true });
	assert.equal(phone.state.status, "failed");
	assert.equal(phone.state.reason, "unreachable");
	assert.match(phone.state.message, /ws:\/\/127\.0\.0\.1:8088\/ws/);
	ua.emit("connected", {});
	assert.equal(phone.state.status, "registering");
	ua.register();
	assert.equal(phone.state.status, "registered");
});

test("registration rejected (403): said plainly with the cause, the UA stops asking", async () => {
	const { phone, ua } = await registered({ register: false });
	ua.emit("registrationFailed", { cause: "Rejected", response: { status_code: 403 } });
	assert.equal(phone.state.status, "failed");
	assert.equal(phone.state.reason, "rejected");
	assert.match(phone.state.message, /403 Rejected/);
	assert.ok(ua.stopped, "bad credentials are not retried");
	ua.emit("registered", {});
	assert.equal(phone.state.status, "failed", "events of the stopped UA are ignored");
});

test("the server's refusal (no WebRTC account) is shown as the server says it", async () => {
	const api = fakeApi({
		"callcenter_app.api.phone.registration": new Error("WebRTC (browser softphone): tick WebRTC"),
	});
	const { phone, JsSIP } = await registered({ api, register: false });
	assert.equal(phone.state.reason, "config");
	assert.equal(phone.state.message, "WebRTC (browser softphone): tick WebRTC");
	assert.equal(JsSIP.made.uas.length, 0);
});

test("an incoming call rings with the caller's card; answer, hold, mute, DTMF, hang up", async () => {
	const { phone, ua, api } = await registered();
	const cards = [];
	phone.on("card", (c) => cards.push(c));
	const s = ua.incoming("+37060077001");
	assert.equal(phone.state.status, "ringing");
	assert.equal(phone.state.call.number, "+37060077001");
	assert.equal(phone.state.call.auto, false);
	assert.deepEqual(s.done, [], "an ordinary call is not answered by itself");
	await tick();
	assert.deepEqual(api.calls.at(-1), ["callcenter_app.api.phone.caller_card", { number: "+37060077001" }]);
	assert.equal(cards[0].contact_name, "Carla");
	phone.answer();
	assert.equal(s.done[0][0], "answer");
	assert.deepEqual(s.done[0][1].pcConfig.iceServers, REGISTRATION.ice_servers);
	s.emit("confirmed", {});
	assert.equal(phone.state.status, "incall");
	assert.ok(phone.state.call.started > 0);
	assert.equal(phone.toggleHold(), true);
	assert.equal(phone.state.status, "held");
	assert.equal(phone.toggleHold(), false, "no second re-INVITE while the first is under way");
	s.settled();
	await new Promise((r) => setTimeout(r, 650));
	assert.equal(phone.toggleHold(), true);
	assert.equal(phone.state.status, "incall");
	phone.toggleMute();
	assert.equal(phone.state.call.muted, true);
	phone.toggleMute();
	assert.equal(phone.state.call.muted, false);
	assert.equal(phone.dtmf("5"), true);
	assert.equal(phone.dtmf("x"), false);
	assert.deepEqual(s.done.filter((d) => d[0] === "dtmf"), [["dtmf", "5", "RFC2833"]]);
	phone.hangup();
	assert.equal(phone.state.status, "registered");
	assert.equal(phone.state.call, null);
	assert.equal(cards.at(-1), null);
});

test("a dialer call (Call-Info answer-after=0) is answered at once, no ringing buttons", async () => {
	const { phone, ua } = await registered();
	const s = ua.incoming("+37060000013", { "Call-Info": "<sip:callcenter>;answer-after=0" });
	assert.equal(s.done[0][0], "answer");
	assert.equal(phone.state.call.auto, true);
	assert.ok(wantsAutoAnswer({ getHeader: (h) => (h === "Alert-Info" ? "<http://callcenter/>;info=alert-autoanswer;delay=0" : "") }));
	assert.ok(!wantsAutoAnswer({ getHeader: () => "<sip:x>;answer-after=10" }));
});

test("a second call while on one gets busy; decline sends 486", async () => {
	const { phone, ua } = await registered();
	const first = ua.incoming("100");
	const second = ua.incoming("200");
	assert.deepEqual(second.done[0], ["terminate", { status_code: 486, reason_phrase: "Busy Here" }]);
	assert.equal(phone.state.call.number, "100");
	phone.decline();
	assert.deepEqual(first.done[0], ["terminate", { status_code: 486, reason_phrase: "Busy Here" }]);
	assert.equal(phone.state.status, "registered");
});

test("transfer goes through the desk's transfer endpoint, blind and attended", async () => {
	const { phone, ua, api } = await registered();
	const s = ua.incoming("100");
	phone.answer();
	s.emit("confirmed", {});
	await phone.transfer("bob", false);
	assert.deepEqual(api.calls.at(-1), ["callcenter_app.api.telephony.transfer", { target: "bob", attended: 0 }]);
	await phone.transfer("1002", true);
	assert.deepEqual(api.calls.at(-1), ["callcenter_app.api.telephony.transfer", { target: "1002", attended: 1 }]);
	assert.match(phone.state.message, /hang up to complete/);
	await phone.transfer("", false);
	assert.match(phone.state.message, /Type the colleague/);
});

test("a failed transfer is said, the call stays", async () => {
	const api = fakeApi({ "callcenter_app.api.telephony.transfer": new Error("target: 'x' is not a phone number") });
	const { phone, ua } = await registered({ api });
	const s = ua.incoming("100");
	phone.answer();
	s.emit("confirmed", {});
	await phone.transfer("x");
	assert.equal(phone.state.status, "incall");
	assert.match(phone.state.message, /Transfer failed: target: 'x'/);
});

test("outgoing calls: checked number, sip URI on the PBX's domain; the WebSocket lost mid-call ends it", async () => {
	const { phone, ua } = await registered();
	phone.call("not a number!");
	assert.equal(ua.calls.length, 0);
	assert.match(phone.state.message, /Type a number/);
	phone.call("+370 600 12345");
	assert.equal(ua.calls[0][0], "sip:+37060012345@127.0.0.1");
	assert.equal(phone.state.status, "dialing");
	ua.calls[0][2].emit("confirmed", {});
	assert.equal(phone.state.status, "incall");
	ua.registered = false;
	ua.emit("disconnected", {});
	assert.equal(phone.state.status, "failed");
	assert.equal(phone.state.call, null, "no call left hanging in the bar");
});

test("a call failing for the microphone says so; a cancelled one just ends", async () => {
	const { phone, ua } = await registered();
	const s = ua.incoming("100");
	s.emit("failed", { cause: "Canceled" });
	assert.equal(phone.state.status, "registered");
	const t = ua.incoming("101");
	phone.answer();
	t.emit("failed", { cause: "User Denied Media Access" });
	assert.equal(phone.state.reason, "microphone");
});

test("a stop while the registration is being fetched leaves nothing behind", async () => {
	let release;
	const api = fakeApi({ "callcenter_app.api.phone.registration": () => new Promise((r) => (release = r)) });
	const JsSIP = makeJsSIP();
	const phone = createPhone({ JsSIP, api, getUserMedia: micOk });
	const started = phone.start();
	await tick();
	phone.stop();
	release({ ...REGISTRATION });
	await started;
	assert.equal(JsSIP.made.uas.length, 0);
	assert.equal(phone.state.status, "idle");
});
