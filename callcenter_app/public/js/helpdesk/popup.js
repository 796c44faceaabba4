// The incoming-call popup in /helpdesk: the AMI bridge's `callcenter:call` notice, sent to the agent rung
// alone (telephony/notices/service.py), with the caller's contact and their open tickets; it goes away when
// the call is answered elsewhere, hung up or missed (any notice of that call that is not "ringing").
import { go } from "./dock";
import { el, esc } from "./ui";

const open = {};

export function showCall(data) {
	if (!data) return null;
	const key = data.linkedid || data.caller;
	if (data.kind !== "ringing") {
		if (open[key]) {
			open[key].remove();
			delete open[key];
		}
		return null;
	}
	if (open[key]) return open[key];
	const who = data.contact
		? `<a href="/app/contact/${encodeURIComponent(data.contact)}" target="_blank" rel="noopener">${esc(
				data.contact_name || data.contact
		  )}</a>`
		: esc(data.caller_name || "Unknown caller");
	const tickets = (data.tickets || [])
		.map(
			(t) => `<li><a href="/helpdesk/tickets/${encodeURIComponent(t.name)}" data-ticket="${esc(t.name)}">#${esc(
				t.name
			)} ${esc(t.subject)}</a> <span class="cc-hd-muted">${esc(t.status)}</span></li>`
		)
		.join("");
	const card = el(`
		<div class="cc-hd-popup" role="alert" aria-live="assertive" data-testid="cc-call-popup">
			<div class="cc-hd-popup-head">
				<span class="cc-hd-pill">Incoming call</span>
				<button type="button" class="cc-hd-x" aria-label="Close">×</button>
			</div>
			<div class="cc-hd-popup-who">${who}</div>
			<div class="cc-hd-muted">${esc(data.caller)}${data.queue ? ` · queue ${esc(data.queue)}` : ""}</div>
			${
				tickets
					? `<div class="cc-hd-popup-tickets"><b>Open tickets</b><ul>${tickets}</ul></div>`
					: `<div class="cc-hd-muted">No open tickets</div>`
			}
		</div>`);
	card.querySelector(".cc-hd-x").addEventListener("click", () => {
		card.remove();
		delete open[key];
	});
	card.querySelectorAll("a[data-ticket]").forEach((a) =>
		a.addEventListener("click", (e) => {
			e.preventDefault();
			go(a.getAttribute("href"));
		})
	);
	let stack = document.querySelector(".cc-hd-popups");
	if (!stack) {
		stack = el(`<div class="cc-hd-popups"></div>`);
		document.body.appendChild(stack);
	}
	stack.appendChild(card);
	open[key] = card;
	return card;
}
