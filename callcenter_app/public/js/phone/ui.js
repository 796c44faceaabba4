/*
 * The phone bar's UI: plain DOM over core.js, for the desk (phone_bar.bundle.js) and /helpdesk.
 *
 *   import { mountPhoneBar } from "./phone/ui.js";
 *   const bar = mountPhoneBar(container, { JsSIP, api, lease, links, autostart: true });
 *     api    { call(method, args) -> Promise<message> }   (see core.js)
 *     links  { contact(name) -> url, ticket(name) -> url } where the caller card's links go
 *     floating  true: fixed at the bottom right of the page (the desk); false: in the container's flow
 *   bar.phone   the core (state, events, actions); bar.destroy() unmounts and stops the phone
 *
 * Every state is a plain sentence in the bar; a failure has a Retry button, the standby tab "Use here".
 */

import { createPhone } from "./core.js";

const CSS = `
.cc-phone{width:300px;max-width:100%;font:13px/1.4 var(--font-stack,system-ui,sans-serif);
 background:var(--card-bg,#fff);color:var(--text-color,#1f272e);border:1px solid var(--border-color,#d1d8dd);border-radius:10px;
 box-shadow:0 4px 16px rgba(0,0,0,.12)}
.cc-phone.cc-floating{position:fixed;right:16px;bottom:16px;z-index:1030}
.cc-phone.cc-collapsed .cc-phone-body{display:none}
.cc-phone-head{display:flex;align-items:center;gap:8px;padding:8px 10px;cursor:pointer;user-select:none}
.cc-phone-dot{width:10px;height:10px;border-radius:50%;background:#98a2b3;flex:none}
.cc-phone[data-status=registered] .cc-phone-dot{background:#2e9d4f}
.cc-phone[data-status=ringing] .cc-phone-dot,.cc-phone[data-status=dialing] .cc-phone-dot{background:#e5a000}
.cc-phone[data-status=incall] .cc-phone-dot{background:#2563eb}
.cc-phone[data-status=held] .cc-phone-dot{background:#7c3aed}
.cc-phone[data-status=failed] .cc-phone-dot{background:#d92d20}
.cc-phone-status{flex:1;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cc-phone-timer{font-variant-numeric:tabular-nums;color:var(--text-muted,#687178)}
.cc-phone-body{padding:0 10px 10px;display:flex;flex-direction:column;gap:8px}
.cc-phone-msg{color:var(--text-muted,#687178)}
.cc-phone[data-status=failed] .cc-phone-msg{color:#b42318;font-weight:500}
.cc-phone-row{display:flex;gap:6px;flex-wrap:wrap}
.cc-phone input{flex:1;min-width:0;padding:4px 8px;border:1px solid var(--border-color,#d1d8dd);border-radius:6px;background:var(--control-bg,#f4f5f6);color:inherit}
.cc-phone button{padding:4px 10px;border:1px solid var(--border-color,#d1d8dd);border-radius:6px;background:var(--control-bg,#f4f5f6);color:inherit;cursor:pointer}
.cc-phone button.cc-go{background:#2e9d4f;border-color:#2e9d4f;color:#fff}
.cc-phone button.cc-stop{background:#d92d20;border-color:#d92d20;color:#fff}
.cc-phone button[aria-pressed=true]{background:#dbeafe;border-color:#2563eb}
.cc-phone-keypad{display:grid;grid-template-columns:repeat(3,1fr);gap:4px}
.cc-phone-card{border-top:1px solid var(--border-color,#d1d8dd);padding-top:6px}
.cc-phone-card a{color:var(--text-color,#1f272e);text-decoration:underline}
.cc-phone-card ul{margin:2px 0 0;padding-left:16px}
.cc-phone [hidden]{display:none!important}
`;

const STATUS_TEXT = {
	idle: "Phone off",
	registering: "Connecting…",
	registered: "Ready",
	ringing: "Ringing",
	dialing: "Calling",
	incall: "In call",
	held: "On hold",
	failed: "Phone not working",
	standby: "Phone active in another tab",
};

function el(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k === "text") node.textContent = v;
		else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
		else node.setAttribute(k, v);
	}
	for (const child of children) node.append(child);
	return node;
}

export function formatDuration(ms) {
	const total = Math.max(0, Math.floor(ms / 1000));
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = total % 60;
	const two = (n) => String(n).padStart(2, "0");
	return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

export function mountPhoneBar(container, options) {
	const { links = {}, autostart = true, floating = true } = options;
	const phone = options.phone || createPhone(options);
	if (!document.getElementById("cc-phone-css")) {
		document.head.append(el("style", { id: "cc-phone-css", text: CSS }));
	}
	const audio = el("audio", { autoplay: "", "data-cc": "remote-audio" });
	const dot = el("span", { class: "cc-phone-dot" });
	const statusText = el("span", { class: "cc-phone-status", "data-cc": "status", text: "Phone off" });
	const timer = el("span", { class: "cc-phone-timer", "data-cc": "timer" });
	const head = el("div", { class: "cc-phone-head", title: "Show or hide the phone" }, dot, statusText, timer);
	const message = el("div", { class: "cc-phone-msg", "data-cc": "message", role: "status", "aria-live": "polite" });
	const retry = el("button", { type: "button", "data-cc": "retry", text: "Retry", onclick: () => phone.retry() });
	const useHere = el("button", { type: "button", "data-cc": "use-here", text: "Use here", onclick: () => phone.takeOver() });
	const start = el("button", { type: "button", "data-cc": "start", text: "Start phone", onclick: () => phone.start() });
	const number = el("input", { type: "tel", placeholder: "Number or colleague", "data-cc": "number", autocomplete: "off" });
	const callBtn = el("button", { type: "button", class: "cc-go", "data-cc": "call", text: "Call", onclick: () => phone.call(number.value) });
	number.addEventListener("keydown", (e) => e.key === "Enter" && phone.call(number.value));
	const who = el("div", { "data-cc": "who" });
	const answer = el("button", { type: "button", class: "cc-go", "data-cc": "answer", text: "Answer", onclick: () => phone.answer() });
	const decline = el("button", { type: "button", class: "cc-stop", "data-cc": "decline", text: "Decline", onclick: () => phone.decline() });
	const hangup = el("button", { type: "button", class: "cc-stop", "data-cc": "hangup", text: "Hang up", onclick: () => phone.hangup() });
	const hold = el("button", { type: "button", "data-cc": "hold", text: "Hold", "aria-pressed": "false", onclick: () => phone.toggleHold() });
	const mute = el("button", { type: "button", "data-cc": "mute", text: "Mute", "aria-pressed": "false", onclick: () => phone.toggleMute() });
	const keypadBtn = el("button", { type: "button", "data-cc": "keypad", text: "Keypad", "aria-pressed": "false" });
	const transferBtn = el("button", { type: "button", "data-cc": "transfer", text: "Transfer", "aria-pressed": "false" });
	const keypad = el("div", { class: "cc-phone-keypad", "data-cc": "keys", hidden: "" });
	for (const key of "123456789*0#") {
		keypad.append(el("button", { type: "button", "data-key": key, text: key, onclick: () => phone.dtmf(key) }));
	}
	const target = el("input", { type: "text", placeholder: "Colleague or number", "data-cc": "transfer-target" });
	const blind = el("button", { type: "button", "data-cc": "blind", text: "Blind", onclick: () => phone.transfer(target.value, false) });
	const attended = el("button", { type: "button", "data-cc": "attended", text: "Attended", onclick: () => phone.transfer(target.value, true) });
	const transferRow = el("div", { class: "cc-phone-row", "data-cc": "transfer-row", hidden: "" }, target, blind, attended);
	const card = el("div", { class: "cc-phone-card", "data-cc": "card", hidden: "" });

	const dialRow = el("div", { class: "cc-phone-row" }, number, callBtn);
	const ringRow = el("div", { class: "cc-phone-row" }, answer, decline);
	const callRow = el("div", { class: "cc-phone-row" }, hangup, hold, mute, keypadBtn, transferBtn);
	const fixRow = el("div", { class: "cc-phone-row" }, retry, useHere, start);
	const body = el("div", { class: "cc-phone-body" }, message, fixRow, dialRow, who, ringRow, callRow, keypad, transferRow, card);
	const root = el("div", { class: floating ? "cc-phone cc-floating" : "cc-phone", "data-status": "idle", "data-cc": "phone-bar" }, head, body, audio);
	head.addEventListener("click", () => root.classList.toggle("cc-collapsed"));
	const toggle = (button, panel) =>
		button.addEventListener("click", () => {
			const open = panel.hidden;
			panel.hidden = !open;
			button.setAttribute("aria-pressed", String(open));
		});
	toggle(keypadBtn, keypad);
	toggle(transferBtn, transferRow);
	container.append(root);

	let tick = null;
	function render(state) {
		root.dataset.status = state.status;
		root.dataset.reason = state.reason || "";
		statusText.textContent = STATUS_TEXT[state.status] || state.status;
		if (state.account && ["registered", "incall", "held"].includes(state.status)) {
			statusText.textContent += ` · ${state.account}`;
		}
		message.textContent = state.message || "";
		const call = state.call;
		const show = (node, on) => (node.hidden = !on);
		show(retry, state.status === "failed");
		show(useHere, state.status === "standby");
		show(start, state.status === "idle");
		show(dialRow, state.status === "registered");
		show(who, Boolean(call));
		show(ringRow, state.status === "ringing" && !(call && call.auto));
		show(callRow, ["incall", "held", "dialing"].includes(state.status));
		for (const b of [hold, mute, keypadBtn, transferBtn]) b.disabled = state.status === "dialing";
		hold.textContent = call && call.held ? "Resume" : "Hold";
		hold.setAttribute("aria-pressed", String(Boolean(call && call.held)));
		mute.textContent = call && call.muted ? "Unmute" : "Mute";
		mute.setAttribute("aria-pressed", String(Boolean(call && call.muted)));
		if (!call) {
			keypad.hidden = transferRow.hidden = card.hidden = true;
			keypadBtn.setAttribute("aria-pressed", "false");
			transferBtn.setAttribute("aria-pressed", "false");
		}
		who.textContent = call
			? `${call.direction === "inbound" ? "From" : "To"} ${call.name && call.name !== call.number ? `${call.name} ` : ""}${call.number}${call.auto ? " (campaign)" : ""}`
			: "";
		clearInterval(tick);
		const paint = () => (timer.textContent = call && call.started ? formatDuration(Date.now() - call.started) : "");
		paint();
		if (call && call.started) tick = setInterval(paint, 1000);
	}
	function renderCard(data) {
		card.replaceChildren();
		if (!data || !data.contact) {
			card.hidden = !data;
			if (data) card.append(el("div", { text: "Unknown caller" }));
			return;
		}
		card.hidden = false;
		const contactUrl = links.contact ? links.contact(data.contact) : null;
		card.append(
			contactUrl
				? el("a", { href: contactUrl, "data-cc": "contact", text: data.contact_name || data.contact })
				: el("strong", { "data-cc": "contact", text: data.contact_name || data.contact })
		);
		const tickets = data.tickets || [];
		card.append(el("div", { text: tickets.length ? "Open tickets:" : "No open tickets" }));
		if (tickets.length) {
			const list = el("ul", { "data-cc": "tickets" });
			for (const t of tickets) {
				const label = `#${t.name} ${t.subject || ""} (${t.status})`;
				const url = links.ticket ? links.ticket(t.name) : null;
				list.append(el("li", {}, url ? el("a", { href: url, text: label }) : label));
			}
			card.append(list);
		}
	}
	const offs = [
		phone.on("change", render),
		phone.on("card", renderCard),
		phone.on("remote-stream", (stream) => {
			audio.srcObject = stream;
			const played = audio.play && audio.play();
			if (played && played.catch) played.catch(() => {});
		}),
	];
	render(phone.state);
	if (autostart) phone.start();
	return {
		phone,
		root,
		destroy() {
			clearInterval(tick);
			offs.forEach((off) => off());
			phone.stop();
			root.remove();
		},
	};
}
