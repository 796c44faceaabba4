/*
 * The desk's phone bar (docs/phone-bar.md): a WebRTC softphone at the bottom right of every desk page,
 * for users whose CC SIP Account is marked WebRTC (frappe.boot.callcenter_phone_bar, set by
 * callcenter_app.api.phone.boot). Built by Frappe's esbuild (bench build --app callcenter_app) with JsSIP
 * from the app's node_modules (package.json). /helpdesk uses the same modules: window.callcenter_phone.
 */
import JsSIP from "jssip";

import { fetchApi } from "./phone/api.js";
import { createPhone } from "./phone/core.js";
import { createLease } from "./phone/lease.js";
import { mountPhoneBar } from "./phone/ui.js";

function browserLease() {
	try {
		const channel = "BroadcastChannel" in window ? new BroadcastChannel("callcenter-phone") : null;
		return createLease({ storage: window.localStorage, channel });
	} catch (e) {
		return null; // storage blocked: this tab registers alone
	}
}

function mountInDesk() {
	if (window.callcenter_phone.bar || !(frappe.boot && frappe.boot.callcenter_phone_bar)) return;
	window.callcenter_phone.bar = mount(document.body, {
		api: fetchApi(() => frappe.csrf_token),
		links: {
			contact: (name) => `/app/contact/${encodeURIComponent(name)}`,
			ticket: (name) => `/app/hd-ticket/${encodeURIComponent(name)}`,
		},
	});
}

// For the desk, /helpdesk's dock (and tests): mount(container, {api, links, where}) with this bundle's JsSIP
// and the browser's one-tab lease filled in. Leaving the page (a reload too) stops the phone and gives the
// lease back at once: else the reloaded page found its own old lease still running and waited, saying
// "Phone active in another tab", until it ran out (/helpdesk's dock did not stop it).
function mount(container, options = {}) {
	const bar = mountPhoneBar(container, {
		JsSIP,
		lease: browserLease(),
		floating: options.where !== "helpdesk",
		...options,
	});
	window.addEventListener("pagehide", () => bar.phone.stop());
	return bar;
}

window.callcenter_phone = { JsSIP, createPhone, createLease, fetchApi, mountPhoneBar: mount, mount, bar: null };

// the desk only (Helpdesk's /helpdesk pages have neither frappe.boot nor jQuery: their dock mounts it)
if (window.frappe && frappe.boot && frappe.boot.user && window.jQuery) {
	$(document).on("app_ready", mountInDesk);
	if (frappe.pages && Object.keys(frappe.pages).length) mountInDesk();
}
