// The call center dock on every /helpdesk page (bottom right, our own element): the phone bar (the phone
// helper's module, window.callcenter_phone; a presence switch when it is not built), "Pull next ticket" on
// the tickets list, and the ticket clock (handling time, reaction due) on a ticket.
import { api, call } from "./api";
import { clockHtml } from "./ticket";
import { el, esc, toast } from "./ui";

const LIST = /^\/helpdesk\/tickets\/?$/;
const TICKET = /^\/helpdesk\/tickets\/([^/]+)\/?$/;
const PORTAL = /^\/helpdesk\/(my-tickets|kb-public)(\/|$)/;

export function ticketOf(path) {
	const m = TICKET.exec(path);
	return m && m[1] !== "new" ? decodeURIComponent(m[1]) : null;
}

export function go(path) {
	// Helpdesk's Vue router follows popstate, so the page changes without a reload.
	window.history.pushState({}, "", path);
	window.dispatchEvent(new PopStateEvent("popstate", { state: {} }));
}

export class Dock {
	constructor(boot) {
		this.boot = boot || {};
		this.node = el(`
			<div class="cc-hd-dock" data-testid="cc-dock">
				<div class="cc-hd-clock" data-testid="cc-clock" hidden></div>
				<div class="cc-hd-pull" hidden>
					<button type="button" class="cc-hd-btn cc-hd-primary" data-testid="cc-pull">Pull next ticket</button>
					<div class="cc-hd-pull-menu" hidden></div>
				</div>
				<div class="cc-hd-phone" data-testid="cc-phone"></div>
			</div>`);
		this.clock = this.node.querySelector(".cc-hd-clock");
		this.pull = this.node.querySelector(".cc-hd-pull");
		this.menu = this.node.querySelector(".cc-hd-pull-menu");
		this.pull.querySelector("button").addEventListener("click", () => this.toggleMenu());
		this.path = null;
		this.ticket = null;
		this.timer = null;
	}

	mount() {
		document.body.appendChild(this.node);
		this.mountPhone();
		this.onRoute();
		this.watch = setInterval(() => this.onRoute(), 500);
		window.addEventListener("popstate", () => this.onRoute());
		return this;
	}

	mountPhone() {
		const box = this.node.querySelector(".cc-hd-phone");
		const phone = window.callcenter_phone;
		const mount = phone && (phone.mountPhoneBar || phone.mount);
		if (mount) {
			try {
				this.phone = mount.call(phone, box, {
					api,
					where: "helpdesk",
					links: {
						contact: (name) => `/app/contact/${encodeURIComponent(name)}`,
						ticket: (name) => `/helpdesk/tickets/${encodeURIComponent(name)}`,
					},
				});
				return;
			} catch (e) {
				console.error("callcenter: the phone bar did not mount", e);
			}
		}
		if (this.boot.can && this.boot.can.phone) this.presence(box);
	}

	// Without the WebRTC phone bar: log in and out of the queues (the agent uses a SIP softphone).
	async presence(box) {
		box.innerHTML = `<button type="button" class="cc-hd-btn" data-testid="cc-presence">Phone…</button>`;
		const button = box.querySelector("button");
		const show = (s) => {
			button.textContent = s.logged_in ? `Phone: ${s.work_mode || "logged in"}` : "Phone: logged out";
			button.classList.toggle("cc-hd-on", Boolean(s.logged_in));
			this.state = s;
		};
		try {
			show(await call("callcenter_app.api.telephony.my_presence"));
		} catch (e) {
			button.textContent = "Phone: unavailable";
			button.title = e.message;
			return;
		}
		button.addEventListener("click", async () => {
			const s = this.state || {};
			const mode = s.work_mode || (s.modes || []).find((m) => m.is_default)?.name || (s.modes || [])[0]?.name;
			try {
				show(
					await call("callcenter_app.api.telephony.set_presence", {
						logged_in: s.logged_in ? 0 : 1,
						work_mode: s.logged_in ? undefined : mode,
					})
				);
			} catch (e) {
				toast(e.message, "error");
			}
		});
	}

	onRoute() {
		const path = window.location.pathname;
		if (path === this.path) return;
		this.path = path;
		const portal = PORTAL.test(path);
		this.node.hidden = portal;
		this.pull.hidden = portal || !LIST.test(path);
		this.menu.hidden = true;
		this.ticket = portal ? null : ticketOf(path);
		clearInterval(this.timer);
		this.clock.hidden = !this.ticket;
		if (this.ticket) {
			this.clock.textContent = "…";
			this.refreshClock();
			this.timer = setInterval(() => this.refreshClock(), 30000);
		}
	}

	async refreshClock() {
		const ticket = this.ticket;
		try {
			const r = await call("callcenter_app.api.tickets.handling_time", { ticket });
			if (ticket !== this.ticket) return;
			this.clock.innerHTML = `<div class="cc-hd-clock-title">Ticket #${esc(ticket)}</div>${clockHtml(r)}`;
		} catch (e) {
			if (ticket === this.ticket) this.clock.hidden = true;
		}
	}

	async toggleMenu() {
		if (!this.menu.hidden) {
			this.menu.hidden = true;
			return;
		}
		this.menu.hidden = false;
		this.menu.innerHTML = `<div class="cc-hd-muted">Loading your teams…</div>`;
		let teams;
		try {
			teams = await call("callcenter_app.api.tickets.my_manual_teams");
		} catch (e) {
			this.menu.innerHTML = `<div class="cc-hd-error">${esc(e.message)}</div>`;
			return;
		}
		if (!teams.length) {
			this.menu.innerHTML = `<div class="cc-hd-muted">You are not an agent of any team whose tickets are pulled by hand.</div>`;
			return;
		}
		this.menu.innerHTML = teams
			.map(
				(t) => `
				<div class="cc-hd-team" data-team="${esc(t.team)}">
					<div><b>${esc(t.team)}</b><br><span class="cc-hd-muted">${
					t.problem
						? esc(t.problem)
						: `${t.waiting} waiting · you hold ${t.held} of ${t.buffer}`
				}</span></div>
					<button type="button" class="cc-hd-btn cc-hd-primary" ${t.waiting ? "" : "disabled"}
						data-testid="cc-pull-team">Pull</button>
				</div>`
			)
			.join("");
		this.menu.querySelectorAll(".cc-hd-team").forEach((row) =>
			row.querySelector("button").addEventListener("click", (e) => this.pullFrom(row.dataset.team, e.target))
		);
	}

	// The first ticket of the team's queue; when a colleague took it a moment earlier, the next one.
	async pullFrom(team, button) {
		button.disabled = true;
		try {
			const queue = await call("callcenter_app.api.tickets.team_queue", { team });
			let lastError = null;
			for (const t of queue.slice(0, 3)) {
				try {
					const r = await call("callcenter_app.api.tickets.pull", { ticket: t.name });
					this.menu.hidden = true;
					toast(`Ticket #${r.ticket} is yours`);
					go(`/helpdesk/tickets/${encodeURIComponent(r.ticket)}`);
					return r;
				} catch (e) {
					lastError = e;
					if (!/already taken|not waiting/.test(e.message)) break;
				}
			}
			throw lastError || new Error(`No ticket is waiting in ${team}`);
		} catch (e) {
			toast(e.message, "error");
		} finally {
			button.disabled = false;
		}
	}
}
