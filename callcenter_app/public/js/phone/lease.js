/*
 * One registering tab per browser. The PBX keeps one registration per account (max_contacts=1,
 * remove_existing=yes): two tabs registering the same account would take it from each other at every
 * re-registration, and a call would ring in whichever registered last. So the tabs of a browser agree
 * through localStorage (who holds the phone, until when) and a BroadcastChannel (take-over requests):
 *
 *   const lease = createLease({ storage: localStorage, channel: new BroadcastChannel("cc-phone"), now })
 *   lease.acquire()   -> true when this tab may register (no other live holder)
 *   lease.takeOver()  -> Promise<boolean>: asks the holder to give up; false when it is on a call
 *   lease.release()   (stop, page closed)
 *   lease.onLost(fn)  fn() -> false to refuse (on a call); called when another tab takes over
 *   lease.onFree(fn)  the holder released the phone or its lease ran out (a closed or crashed tab)
 *
 * Only a tab id and a time are stored: nothing of the account or its secret.
 */

export const KEY = "callcenter_phone_lease";
export const TTL_MS = 6000;
export const RENEW_MS = 2000;

function randomId() {
	return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

export function createLease({
	storage,
	channel,
	now = () => Date.now(),
	setInterval: every = globalThis.setInterval.bind(globalThis),
	clearInterval: cancel = globalThis.clearInterval.bind(globalThis),
	setTimeout: later = globalThis.setTimeout.bind(globalThis),
	answerWithinMs = 400,
	id = randomId(),
}) {
	let lost = () => true;
	let free = () => {};
	let renewing = null;
	let watching = null;
	const pending = new Map(); // take-over request id → resolve

	function read() {
		try {
			const value = JSON.parse(storage.getItem(KEY) || "null");
			return value && typeof value.tab === "string" ? value : null;
		} catch (e) {
			return null;
		}
	}
	function write() {
		storage.setItem(KEY, JSON.stringify({ tab: id, until: now() + TTL_MS }));
	}
	function held() {
		const value = read();
		return Boolean(value && value.tab !== id && value.until > now());
	}
	function mine() {
		const value = read();
		return Boolean(value && value.tab === id);
	}
	function post(message) {
		try {
			channel && channel.postMessage({ ...message, from: id });
		} catch (e) {
			/* a closed channel: the lease's time still decides */
		}
	}
	function startRenewing() {
		stopWatching();
		if (renewing) return;
		renewing = every(() => {
			if (mine()) write();
		}, RENEW_MS);
	}
	function stopRenewing() {
		if (renewing) cancel(renewing);
		renewing = null;
	}
	function startWatching() {
		if (watching || renewing) return;
		watching = every(() => {
			if (!held() && !mine()) free();
		}, RENEW_MS);
	}
	function stopWatching() {
		if (watching) cancel(watching);
		watching = null;
	}

	if (channel) {
		channel.onmessage = ({ data }) => {
			if (!data || data.from === id) return;
			if (data.type === "take" && data.holder === id) {
				const gave = lost() !== false;
				if (gave) {
					stopRenewing();
					startWatching();
				}
				post({ type: gave ? "given" : "refused", request: data.request });
			} else if ((data.type === "given" || data.type === "refused") && pending.has(data.request)) {
				pending.get(data.request)(data.type === "given");
				pending.delete(data.request);
			} else if (data.type === "released" && !renewing) {
				free();
			}
		};
	}

	return {
		id,
		acquire() {
			if (held()) {
				startWatching();
				return false;
			}
			write();
			startRenewing();
			return true;
		},
		takeOver() {
			const holder = read();
			if (!holder || holder.tab === id || holder.until <= now()) {
				write();
				startRenewing();
				return Promise.resolve(true);
			}
			const request = randomId();
			return new Promise((resolve) => {
				pending.set(request, resolve);
				post({ type: "take", holder: holder.tab, request });
				// a holder that does not answer (a frozen tab) loses the phone
				later(() => {
					if (pending.has(request)) {
						pending.delete(request);
						resolve(true);
					}
				}, answerWithinMs);
			}).then((ok) => {
				if (ok) {
					write();
					startRenewing();
				}
				return ok;
			});
		},
		release() {
			stopRenewing();
			if (mine()) {
				storage.removeItem(KEY);
				post({ type: "released" });
			}
		},
		onLost(fn) {
			lost = fn;
		},
		onFree(fn) {
			free = fn;
		},
		get holding() {
			return mine() && !held();
		},
	};
}
