// A stand-in for the jssip module: the UA and sessions are event emitters the tests drive by hand.
import { EventEmitter } from "node:events";

export const causes = {
	CONNECTION_ERROR: "Connection Error",
	REQUEST_TIMEOUT: "Request Timeout",
	AUTHENTICATION_ERROR: "Authentication Error",
	REJECTED: "Rejected",
	CANCELED: "Canceled",
	BYE: "Terminated",
	NO_ANSWER: "No Answer",
	USER_DENIED_MEDIA_ACCESS: "User Denied Media Access",
	BUSY: "Busy",
};

export class FakeSession extends EventEmitter {
	constructor(user, headers = {}) {
		super();
		this.remote_identity = { uri: { user }, display_name: "" };
		this.headers = headers;
		this.done = [];
	}
	answer(options) {
		this.done.push(["answer", options]);
	}
	terminate(options) {
		this.done.push(["terminate", options]);
		this.emit("ended", {});
	}
	hold(options, done) {
		this.done.push(["hold"]);
		this.emit("hold", {});
		this.settled = done;
	}
	unhold(options, done) {
		this.done.push(["unhold"]);
		this.emit("unhold", {});
		this.settled = done;
	}
	mute() {
		this.done.push(["mute"]);
		this.emit("muted", {});
	}
	unmute() {
		this.done.push(["unmute"]);
		this.emit("unmuted", {});
	}
	sendDTMF(tone, options) {
		this.done.push(["dtmf", tone, options.transportType]);
	}
}

export function makeJsSIP() {
	const made = { uas: [] };
	class UA extends EventEmitter {
		constructor(config) {
			super();
			this.config = config;
			this.started = false;
			this.stopped = false;
			this.calls = [];
			this.registered = false;
			made.uas.push(this);
		}
		start() {
			this.started = true;
		}
		stop() {
			this.stopped = true;
		}
		isRegistered() {
			return this.registered;
		}
		register() {
			this.registered = true;
			this.emit("registered", {});
		}
		call(uri, options) {
			const s = new FakeSession(uri);
			this.calls.push([uri, options, s]);
			return s;
		}
		incoming(user, headers = {}) {
			const s = new FakeSession(user, headers);
			const request = { getHeader: (name) => headers[name] };
			this.emit("newRTCSession", { originator: "remote", session: s, request });
			return s;
		}
	}
	return {
		made,
		UA,
		WebSocketInterface: class {
			constructor(url) {
				this.url = url;
			}
		},
		C: { causes },
	};
}
