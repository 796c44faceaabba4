// The ticket actions of the HD Form Script "CC Helpdesk Tools" (form_script.js): each opens a small
// dialog and calls the same whitelisted method as the desk.
import { call } from "./api";
import { dialog, duration, esc, toast, when } from "./ui";

const M = {
	call: "callcenter_app.api.telephony.click_to_call",
	transfer: "callcenter_app.api.telephony.transfer",
	sms: "callcenter_app.api.sms.send_reply",
	snooze: "callcenter_app.api.tickets.snooze",
	reactivate: "callcenter_app.api.tickets.reactivate",
	clock: "callcenter_app.api.tickets.handling_time",
};

export function smsParts(text) {
	// GSM-7 texts take 160 characters (153 per part when split); anything else 70 (67).
	const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
	if (!text) return { chars: 0, parts: 0 };
	if (gsm.test(text)) {
		const chars = [...text].reduce((n, c) => n + ("^{}\\[~]|€".includes(c) ? 2 : 1), 0);
		return { chars, parts: chars <= 160 ? 1 : Math.ceil(chars / 153) };
	}
	return { chars: text.length, parts: text.length <= 70 ? 1 : Math.ceil(text.length / 67) };
}

function numbersOf(doc) {
	const c = doc.contact || {};
	return [...new Set([c.mobile_no, c.phone].filter(Boolean))];
}

// A ticket change made outside Helpdesk's own resource: reload the page so its header and fields follow.
const refresh = () => setTimeout(() => window.location.reload(), 900);

function localInput(date) {
	const p = (n) => String(n).padStart(2, "0");
	return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(
		date.getMinutes()
	)}`;
}

export const actions = {
	call(doc) {
		const numbers = numbersOf(doc);
		return dialog({
			title: `Call ${doc.contact?.name || doc.raised_by || "the contact"}`,
			fields: [
				numbers.length > 1
					? {
							name: "number",
							label: "Number",
							type: "select",
							value: numbers[0],
							options: numbers.map((n) => ({ value: n, label: n })),
					  }
					: { name: "number", label: "Number", type: "tel", value: numbers[0] || "" },
				{
					name: "hint",
					type: "html",
					html: `<span class="cc-hd-muted">Your phone rings first; when you answer, the number is dialled and the call joins ticket #${esc(
						doc.name
					)}.</span>`,
				},
			],
			primary: "Call",
			async onSubmit(values) {
				const r = await call(M.call, { number: values.number, ticket: doc.name });
				toast(`Your phone (${r.ringing}) rings first, then ${r.number} is dialled`);
			},
		});
	},

	sms(doc) {
		return dialog({
			title: `Send SMS on ticket #${doc.name}`,
			fields: [
				{ name: "message", label: "Message", type: "textarea" },
				{ name: "count", type: "html", html: `<span class="cc-hd-muted cc-hd-count">0 characters</span>` },
			],
			primary: "Send",
			onOpen(d) {
				const area = d.node.querySelector("textarea");
				const count = d.node.querySelector(".cc-hd-count");
				area.addEventListener("input", () => {
					const { chars, parts } = smsParts(area.value);
					count.textContent = `${chars} characters, ${parts} SMS`;
				});
			},
			async onSubmit(values) {
				if (!values.message.trim()) throw new Error("Message: write the text first");
				const r = await call(M.sms, { ticket: doc.name, message: values.message });
				if (r.status === "Failed") throw new Error(`SMS not sent: ${r.detail || "the gateway refused it"}`);
				toast(`SMS ${r.name || ""} ${String(r.status || "sent").toLowerCase()}`.replace(/\s+/g, " "));
			},
		});
	},

	snooze(doc) {
		const tomorrow = new Date();
		tomorrow.setDate(tomorrow.getDate() + 1);
		tomorrow.setHours(9, 0, 0, 0);
		return dialog({
			title: `Snooze ticket #${doc.name}`,
			fields: [
				{ name: "until", label: "Until (call center time)", type: "datetime-local", value: localInput(tomorrow) },
				{ name: "reason", label: "Reason", type: "text" },
			],
			primary: "Snooze",
			async onSubmit(values) {
				if (!values.until) throw new Error("Until: choose a date and time");
				const r = await call(M.snooze, {
					ticket: doc.name,
					until: values.until.replace("T", " ") + (values.until.length === 16 ? ":00" : ""),
					reason: values.reason,
				});
				toast(`Ticket #${doc.name} snoozed until ${when(r.cc_snoozed_until)}`);
				refresh();
			},
		});
	},

	reactivate(doc) {
		return dialog({
			title: `Reactivate ticket #${doc.name}`,
			fields: [
				{
					name: "info",
					type: "html",
					html: `Snoozed until <b>${esc(when(doc.cc_snoozed_until))}</b>${
						doc.cc_snooze_reason ? `: ${esc(doc.cc_snooze_reason)}` : ""
					}. Bring it back now?`,
				},
			],
			primary: "Reactivate",
			async onSubmit() {
				await call(M.reactivate, { ticket: doc.name });
				toast(`Ticket #${doc.name} is active again`);
				refresh();
			},
		});
	},

	async clock(doc) {
		const r = await call(M.clock, { ticket: doc.name });
		return dialog({
			title: `Ticket #${doc.name}: clocks`,
			fields: [{ name: "clock", type: "html", html: clockHtml(r) }],
			primary: "Close",
		});
	},

	transfer() {
		return dialog({
			title: "Transfer the current call",
			fields: [
				{ name: "target", label: "To (SIP account or phone number)", type: "text" },
				{ name: "attended", label: "Talk to them first (attended)", type: "check" },
			],
			primary: "Transfer",
			async onSubmit(values) {
				if (!values.target.trim()) throw new Error("To: name a SIP account or a number");
				const r = await call(M.transfer, { target: values.target, attended: values.attended ? 1 : 0 });
				toast(`Transferred to ${r.to}${r.attended ? " (attended)" : ""}`);
			},
		});
	},
};

export function clockHtml(r) {
	let due = "no reaction time set";
	if (r.reacted_at) due = `reacted ${esc(when(r.reacted_at))}`;
	else if (r.reaction_due)
		due = `${esc(when(r.reaction_due))}${r.reaction_breached ? ' <b class="cc-hd-late">overdue</b>' : ""}`;
	return `<table class="cc-hd-table">
		<tr><th>Handling time</th><td data-testid="cc-handling">${esc(duration(r.handling_seconds))}</td></tr>
		<tr><th>Reaction due</th><td data-testid="cc-reaction">${due}</td></tr></table>`;
}

export async function ticketAction(name, doc) {
	const action = actions[name];
	if (!action) return toast(`Unknown action ${name}`, "error");
	try {
		return await action(doc);
	} catch (e) {
		toast(e.message || String(e), "error");
	}
}
