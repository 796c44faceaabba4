/*
 * The phone bar's core: a WebRTC softphone as a small state machine, with no framework and no DOM.
 *
 * Contract (the desk's bundle and /helpdesk both use it; docs/phone-bar.md):
 *
 *   const phone = createPhone({ JsSIP, api, lease, getUserMedia, log })
 *     JsSIP         the jssip module (injected, so tests give a fake)
 *     api.call(method, args) -> Promise<message>   frappe.call in the desk, fetch + CSRF token in /helpdesk
 *     lease         one registering tab per browser (lease.js createLease(); a fake in tests); optional
 *     getUserMedia  (constraints) -> Promise<MediaStream>; default navigator.mediaDevices.getUserMedia
 *   phone.on("change", (state) => ...)      every state change (state: see snapshot() below)
 *   phone.on("remote-stream", (stream) => ...)   the caller's audio: play it in an <audio> element
 *   phone.on("card", (card) => ...)         the caller's contact and open tickets (api/phone.caller_card)
 *   phone.start() / stop() / retry() / takeOver()
 *   phone.call(number) / answer() / decline() / hangup() / toggleHold() / toggleMute() / dtmf(digit)
 *   phone.transfer(target, attended)        through callcenter_app.api.telephony.transfer (AMI: the CC
 *                                           Call Log records the transfer exactly as for desk phones)
 *
 * States: idle → registering → registered ⇄ ringing / dialing / incall ⇄ held; failed (with a reason and a
 * message; retry() starts again); standby (another tab of this browser has the phone; takeOver()).
 *
 * The SIP password comes from api/phone.registration (POST, no-store), lives in this closure and JsSIP's
 * configuration only, and is dropped on stop(): never written to storage, the URL or a log.
 */

export const REGISTRATION_METHOD = "callcenter_app.api.phone.registration";
export const CARD_METHOD = "callcenter_app.api.phone.caller_card";
export const TRANSFER_METHOD = "callcenter_app.api.telephony.transfer";

export const MESSAGES = {
	microphone:
		"Microphone refused: allow the microphone for this site (the icon in the address bar), then Retry.",
	no_microphone: "No microphone found: plug one in, then Retry.",
	unreachable: "PBX unreachable: the phone cannot connect to {url}. Retrying…",
	rejected: "Registration rejected by the PBX ({cause}): check the CC SIP Account's secret.",
	config: "{message}",
	replaced: "Phone active in another tab.",
	busy_elsewhere: "The other tab is on a call: take the phone over after it ends.",
	call_failed: "Call failed: {cause}.",
};

function fill(template, values) {
	return template.replace(/\{(\w+)\}/g, (_, k) => (values[k] === undefined ? "" : String(values[k])));
}

/** True when an incoming INVITE asks to be answered at once (cc-autoanswer: dialer calls). */
export function wantsAutoAnswer(request) {
	const callInfo = (request && request.getHeader && request.getHeader("Call-Info")) || "";
	const alertInfo = (request && request.getHeader && request.getHeader("Alert-Info")) || "";
	return /answer-after\s*=\s*0\b/i.test(callInfo) || /info\s*=\s*alert-autoanswer/i.test(alertInfo);
}

/** The caller's number from a JsSIP session (remote identity's user part, else display name). */
export function remoteNumber(session) {
	const id = session && session.remote_identity;
	if (!id) return "";
	return String((id.uri && id.uri.user) || id.display_name || "");
}

const DTMF = /^[0-9*#A-D]$/;
export const ICE_READY_MS = 400;
export const HOLD_SETTLE_MS = 600;

export function createPhone({ JsSIP, api, lease = null, getUserMedia = null, log = () => {} }) {
	const listeners = {};
	let ua = null;
	let session = null;
	let config = null; // the registration answer: password inside, memory only
	let generation = 0; // stale JsSIP events of a stopped UA are ignored
	const state = {
		status: "idle",
		reason: null,
		message: "",
		account: "",
		call: null, // {direction, number, name, started, answered, muted, held, auto, transfer}
	};

	function emit(event, payload) {
		for (const fn of listeners[event] || []) {
			try {
				fn(payload);
			} catch (e) {
				log("listener error", e);
			}
		}
	}

	function snapshot() {
		return JSON.parse(JSON.stringify(state));
	}

	function set(changes) {
		Object.assign(state, changes);
		emit("change", snapshot());
	}

	function fail(reason, values = {}) {
		set({ status: "failed", reason, message: fill(MESSAGES[reason] || "{message}", values) });
	}

	function mediaAccess() {
		const gum =
			getUserMedia ||
			(typeof navigator !== "undefined" &&
				navigator.mediaDevices &&
				navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices));
		if (!gum) return Promise.reject(Object.assign(new Error("no mediaDevices"), { name: "NotFoundError" }));
		return gum({ audio: true, video: false });
	}

	function mediaError(error) {
		const name = (error && error.name) || "";
		if (name === "NotFoundError" || name === "OverconstrainedError") return "no_microphone";
		return "microphone";
	}

	async function start() {
		if (["registering", "registered", "ringing", "dialing", "incall", "held"].includes(state.status)) return;
		if (lease && !lease.acquire()) {
			set({ status: "standby", reason: "replaced", message: MESSAGES.replaced });
			return;
		}
		const mine = ++generation;
		set({ status: "registering", reason: null, message: "Checking the microphone…", call: null });
		// the microphone first: a refused microphone is said plainly, not found out at the first call
		try {
			const stream = await mediaAccess();
			for (const track of stream.getTracks ? stream.getTracks() : []) track.stop();
		} catch (e) {
			if (mine !== generation) return;
			release();
			return fail(mediaError(e));
		}
		if (mine !== generation) return;
		set({ message: "Fetching the phone's registration…" });
		try {
			config = await api.call(REGISTRATION_METHOD, {});
		} catch (e) {
			if (mine !== generation) return;
			release();
			return fail("config", { message: (e && e.message) || "The phone's registration is not available." });
		}
		if (mine !== generation) return;
		set({ account: config.authorization_user, message: `Connecting to ${config.ws_url}…` });
		connect(mine);
	}

	function connect(mine) {
		const socket = new JsSIP.WebSocketInterface(config.ws_url);
		ua = new JsSIP.UA({
			sockets: [socket],
			uri: config.sip_uri,
			authorization_user: config.authorization_user,
			password: config.password,
			display_name: config.display_name,
			register: true,
			register_expires: 120,
			session_timers: false,
			user_agent: "callcenter_app phone bar",
			connection_recovery_min_interval: 2,
			connection_recovery_max_interval: 30,
		});
		const current = () => mine === generation;
		ua.on("connected", () => current() && state.status === "failed" && set({ status: "registering", reason: null, message: "Registering…" }));
		ua.on("disconnected", () => {
			if (!current()) return;
			if (session) endCall("the connection to the PBX was lost");
			fail("unreachable", { url: config.ws_url });
		});
		ua.on("registered", () => current() && !session && set({ status: "registered", reason: null, message: "Ready" }));
		ua.on("unregistered", () => {
			if (current() && state.status === "registered") set({ status: "registering", message: "Registering…" });
		});
		ua.on("registrationFailed", (e) => {
			if (!current()) return;
			const cause = (e && e.cause) || "unknown";
			const status = e && e.response && e.response.status_code;
			if (cause === JsSIP.C.causes.CONNECTION_ERROR || cause === JsSIP.C.causes.REQUEST_TIMEOUT) {
				return fail("unreachable", { url: config.ws_url });
			}
			// wrong credentials are not retried: the PBX would only be asked again and again
			stopUa();
			fail("rejected", { cause: status ? `${status} ${cause}` : cause });
		});
		ua.on("newRTCSession", (e) => current() && onSession(e));
		ua.start();
	}

	function onSession({ originator, session: s, request }) {
		if (originator !== "remote") return; // our own calls are set up in call()
		if (session) {
			s.terminate({ status_code: 486, reason_phrase: "Busy Here" });
			return;
		}
		session = s;
		const number = remoteNumber(s);
		const auto = wantsAutoAnswer(request);
		bind(s);
		set({
			status: "ringing",
			message: auto ? "Campaign call: answering…" : `Incoming call from ${number}`,
			call: { direction: "inbound", number, name: (s.remote_identity && s.remote_identity.display_name) || "", started: null, answered: false, muted: false, held: false, auto, transfer: null },
		});
		loadCard(number);
		if (auto) answer();
	}

	function bind(s) {
		s.on("peerconnection", ({ peerconnection }) => watchTracks(peerconnection));
		// JsSIP sends its SDP when ICE gathering completes; a dialer call must answer within the
		// campaign's grace time, so the SDP goes ICE_READY_MS after the first candidate at the latest
		let iceTimer = null;
		s.on("icecandidate", ({ ready }) => {
			if (!iceTimer) iceTimer = setTimeout(ready, ICE_READY_MS);
		});
		s.on("confirmed", () => {
			if (s !== session) return;
			state.call.answered = true;
			state.call.started = state.call.started || Date.now();
			set({ status: "incall", message: "In call" });
		});
		s.on("hold", () => s === session && updateCall({ held: true }, "held", "On hold"));
		s.on("unhold", () => s === session && updateCall({ held: false }, "incall", "In call"));
		s.on("muted", () => s === session && updateCall({ muted: true }));
		s.on("unmuted", () => s === session && updateCall({ muted: false }));
		s.on("ended", () => s === session && endCall(""));
		s.on("failed", (e) => {
			if (s !== session) return;
			const cause = (e && e.cause) || "";
			if (cause === JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) {
				session = null;
				return fail("microphone");
			}
			const quiet = [JsSIP.C.causes.CANCELED, JsSIP.C.causes.BYE, JsSIP.C.causes.REJECTED, JsSIP.C.causes.NO_ANSWER];
			endCall(quiet.includes(cause) ? "" : fill(MESSAGES.call_failed, { cause }));
		});
		if (s.connection) watchTracks(s.connection);
	}

	function watchTracks(pc) {
		if (!pc || pc.__ccWatched) return;
		pc.__ccWatched = true;
		pc.addEventListener("track", (event) => {
			const stream = (event.streams && event.streams[0]) || null;
			if (stream) emit("remote-stream", stream);
		});
	}

	function updateCall(changes, status, message) {
		if (!state.call) return;
		Object.assign(state.call, changes);
		set(status ? { status, message } : {});
	}

	function endCall(message) {
		session = null;
		holdBusy = false;
		const registered = ua && ua.isRegistered && ua.isRegistered();
		set({ status: registered ? "registered" : state.status === "failed" ? "failed" : "registering", call: null, message: message || (registered ? "Ready" : state.message) });
		emit("card", null);
	}

	async function loadCard(number) {
		if (!number) return;
		try {
			const card = await api.call(CARD_METHOD, { number });
			if (state.call && state.call.number === number) emit("card", card);
		} catch (e) {
			log("caller card", e);
		}
	}

	function callOptions() {
		return {
			mediaConstraints: { audio: true, video: false },
			pcConfig: { iceServers: (config && config.ice_servers) || [] },
			rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
		};
	}

	function answer() {
		if (!session || state.status !== "ringing") return;
		session.answer(callOptions());
	}

	function decline() {
		if (!session || state.status !== "ringing") return;
		session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
	}

	function hangup() {
		if (!session) return;
		session.terminate();
	}

	function call(number) {
		const target = String(number || "").replace(/[\s().-]/g, "");
		if (!/^\+?[0-9*#]{2,20}$/.test(target) && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(target)) {
			set({ message: "Type a number (digits, + at the start) or a colleague's SIP account." });
			return;
		}
		if (!ua || state.status !== "registered" || session) return;
		const domain = config.sip_uri.split("@")[1];
		const s = ua.call(`sip:${target}@${domain}`, callOptions());
		session = s;
		bind(s);
		set({ status: "dialing", message: `Calling ${target}…`, call: { direction: "outbound", number: target, name: "", started: null, answered: false, muted: false, held: false, auto: false, transfer: null } });
		loadCard(target);
	}

	// One hold/resume at a time: JsSIP ends the call when a re-INVITE fails, and Asterisk answers a
	// re-INVITE sent right after the previous one's ACK with 500 (Another INVITE transaction in progress).
	let holdBusy = false;
	function toggleHold() {
		if (!session || !["incall", "held"].includes(state.status) || holdBusy) return false;
		holdBusy = true;
		const s = session;
		const done = () => setTimeout(() => (holdBusy = false), HOLD_SETTLE_MS);
		if (state.call.held) s.unhold({}, done);
		else s.hold({}, done);
		return true;
	}

	function toggleMute() {
		if (!session || !state.call) return;
		if (state.call.muted) session.unmute({ audio: true });
		else session.mute({ audio: true });
	}

	function dtmf(digit) {
		if (!session || state.status !== "incall" || !DTMF.test(String(digit))) return false;
		session.sendDTMF(String(digit), { transportType: "RFC2833", duration: 120, interToneGap: 70 });
		return true;
	}

	async function transfer(target, attended = false) {
		if (!session || !["incall", "held"].includes(state.status)) return null;
		const to = String(target || "").trim();
		if (!to) {
			set({ message: "Type the colleague or number to transfer to." });
			return null;
		}
		try {
			const result = await api.call(TRANSFER_METHOD, { target: to, attended: attended ? 1 : 0 });
			if (state.call) {
				state.call.transfer = { target: to, attended: Boolean(attended) };
				set({ message: attended ? `Talking to ${to}: hang up to complete the transfer` : `Transferred to ${to}` });
			}
			return result;
		} catch (e) {
			set({ message: `Transfer failed: ${(e && e.message) || e}` });
			return null;
		}
	}

	function stopUa() {
		generation++;
		if (ua) {
			const old = ua;
			ua = null;
			try {
				old.stop();
			} catch (e) {
				log("ua.stop", e);
			}
		}
	}

	function release() {
		if (lease) lease.release();
	}

	function stop(status = "idle", message = "") {
		if (session) {
			try {
				session.terminate();
			} catch (e) {
				log("terminate", e);
			}
			session = null;
		}
		stopUa();
		config = null; // the password goes with it
		release();
		set({ status, reason: status === "standby" ? "replaced" : null, message, call: null });
	}

	function retry() {
		stop();
		return start();
	}

	function takeOver() {
		if (!lease) return start();
		const answer = lease.takeOver();
		return Promise.resolve(answer).then((ok) => {
			if (ok === false) return set({ status: "standby", reason: "busy_elsewhere", message: MESSAGES.busy_elsewhere });
			return start();
		});
	}

	if (lease) {
		// another tab took the phone: give it up at once (unless on a call: the other tab is told so)
		lease.onLost(() => {
			if (session) return false;
			stop("standby", MESSAGES.replaced);
			return true;
		});
		lease.onFree(() => {
			if (state.status === "standby") start();
		});
	}

	return {
		on(event, fn) {
			(listeners[event] = listeners[event] || []).push(fn);
			return () => (listeners[event] = listeners[event].filter((f) => f !== fn));
		},
		get state() {
			return snapshot();
		},
		start,
		stop: () => stop(),
		retry,
		takeOver,
		call,
		answer,
		decline,
		hangup,
		toggleHold,
		toggleMute,
		dtmf,
		transfer,
		get inCall() {
			return Boolean(session);
		},
	};
}
