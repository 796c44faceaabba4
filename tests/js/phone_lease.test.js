// node --test tests/js/ : one registering tab per browser (public/js/phone/lease.js), and the core's
// standby / take-over with two tabs sharing a storage and a channel.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createPhone } from "../../callcenter_app/public/js/phone/core.js";
import { createLease, KEY, TTL_MS } from "../../callcenter_app/public/js/phone/lease.js";
import { makeJsSIP } from "./fake_jssip.js";

function memoryStorage() {
	const data = new Map();
	return {
		getItem: (k) => (data.has(k) ? data.get(k) : null),
		setItem: (k, v) => data.set(k, String(v)),
		removeItem: (k) => data.delete(k),
		data,
	};
}

// BroadcastChannel semantics: a message reaches every other member, asynchronously
function bus() {
	const members = [];
	return () => {
		const me = {
			onmessage: null,
			postMessage(data) {
				for (const m of members) if (m !== me && m.onmessage) setTimeout(() => m.onmessage({ data }), 0);
			},
		};
		members.push(me);
		return me;
	};
}

function clock() {
	let t = 1_000_000;
	return { now: () => t, advance: (ms) => (t += ms) };
}

const noTimers = { setInterval: () => 0, clearInterval: () => {}, setTimeout: (fn, ms) => setTimeout(fn, ms) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const micOk = async () => ({ getTracks: () => [] });
const api = {
	async call(method) {
		if (method.endsWith("registration"))
			return { ws_url: "ws://127.0.0.1:8088/ws", sip_uri: "sip:web@127.0.0.1", authorization_user: "web", password: "p", ice_servers: [] };
		return {};
	},
};

test("the first tab holds the phone; a second waits; a dead tab's lease runs out", () => {
	const storage = memoryStorage();
	const c = clock();
	const channel = bus();
	const a = createLease({ storage, channel: channel(), now: c.now, ...noTimers, id: "a" });
	const b = createLease({ storage, channel: channel(), now: c.now, ...noTimers, id: "b" });
	assert.equal(a.acquire(), true);
	assert.equal(b.acquire(), false);
	assert.deepEqual(Object.keys(JSON.parse(storage.data.get(KEY))).sort(), ["tab", "until"]);
	c.advance(TTL_MS + 1);
	assert.equal(b.acquire(), true, "a tab that stopped renewing (closed, crashed) loses the phone");
});

// two tabs of one browser: one storage, one broadcast channel, a phone each
function twoTabs() {
	const storage = memoryStorage();
	const channel = bus();
	return ["a", "b"].map((id) => {
		const JsSIP = makeJsSIP();
		const lease = createLease({ storage, channel: channel(), ...noTimers, id });
		return { JsSIP, phone: createPhone({ JsSIP, api, getUserMedia: micOk, lease }) };
	});
}

test("two tabs: the second shows standby, Use here takes the phone over, the first goes standby", async () => {
	const [a, b] = twoTabs();
	await a.phone.start();
	a.JsSIP.made.uas[0].register();
	await b.phone.start();
	assert.equal(a.phone.state.status, "registered");
	assert.equal(b.phone.state.status, "standby");
	assert.equal(b.phone.state.message, "Phone active in another tab.");
	assert.equal(b.JsSIP.made.uas.length, 0, "the standby tab does not register");
	await b.phone.takeOver();
	await sleep(10);
	assert.equal(a.phone.state.status, "standby");
	assert.ok(a.JsSIP.made.uas[0].stopped, "the first tab's registration is stopped");
	assert.equal(b.JsSIP.made.uas.length, 1);
	b.JsSIP.made.uas[0].register();
	assert.equal(b.phone.state.status, "registered");
});

test("a tab on a call refuses to be taken over; the other tab says why", async () => {
	const [a, b] = twoTabs();
	await a.phone.start();
	a.JsSIP.made.uas[0].register();
	a.JsSIP.made.uas[0].incoming("100");
	await b.phone.start();
	await b.phone.takeOver();
	assert.equal(a.phone.state.status, "ringing", "the call is not cut");
	assert.equal(b.phone.state.status, "standby");
	assert.equal(b.phone.state.reason, "busy_elsewhere");
});

test("when the holding tab stops, a waiting tab takes the phone by itself", async () => {
	const [a, b] = twoTabs();
	await a.phone.start();
	await b.phone.start();
	assert.equal(b.phone.state.status, "standby");
	a.phone.stop();
	await sleep(10);
	assert.equal(b.JsSIP.made.uas.length, 1, "the waiting tab registers");
});
