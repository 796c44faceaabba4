// Team Queue: the manual teams the user belongs to (Agent Managers, supervisors and managers: every manual
// team), each team's waiting tickets in pull order (heaviest source first, then oldest) with priority, age
// and reaction due; "Pull" per ticket and "Pull next" per team take it and open it. Endpoints:
// callcenter_app.api.tickets.team_queues / pull / pull_next (membership, buffer and the race with a
// colleague pulling the same ticket are checked there; the message says which). Refreshed on show and every
// 30 seconds while the page is open.
frappe.pages["cc-team-queue"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Team Queue"), single_column: true });
	wrapper.cc_team_queue = new callcenter.TeamQueue(page);
};

frappe.pages["cc-team-queue"].on_page_show = function (wrapper) {
	if (wrapper.cc_team_queue) wrapper.cc_team_queue.show();
};

frappe.pages["cc-team-queue"].on_page_hide = function (wrapper) {
	if (wrapper.cc_team_queue) wrapper.cc_team_queue.hide();
};

frappe.provide("callcenter");

callcenter.TeamQueue = class TeamQueue {
	constructor(page) {
		this.page = page;
		this.api = "callcenter_app.api.tickets.";
		this.page.set_secondary_action(__("Refresh"), () => this.load(), "refresh");
		this.$root = $(`<div class="cc-tq"></div>`).appendTo(this.page.main);
		this.$root.on("click", ".cc-tq-pull", (e) => this.pull($(e.currentTarget).attr("data-ticket")));
		this.$root.on("click", ".cc-tq-next", (e) => this.pull_next($(e.currentTarget).attr("data-team")));
		frappe.dom.set_style(`
			.cc-tq-team { margin-bottom: 24px; }
			.cc-tq-head { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; flex-wrap: wrap; }
			.cc-tq-head h4 { margin: 0; }
			.cc-tq-head .cc-tq-next { margin-left: auto; }
			.cc-tq table td, .cc-tq table th { vertical-align: middle; }
			.cc-tq .cc-tq-subject { max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
		`);
	}

	show() {
		this.load();
		clearInterval(this.timer);
		this.timer = setInterval(() => this.load(), 30000);
	}

	hide() {
		clearInterval(this.timer);
	}

	load() {
		return frappe
			.call({ method: this.api + "team_queues", type: "GET" })
			.then((r) => this.render(r.message || []));
	}

	pull(ticket) {
		frappe
			.call({
				method: this.api + "pull",
				args: { ticket },
				freeze: true,
				freeze_message: __("Pulling…"),
				error: () => this.load(), // taken meanwhile, buffer full: the message says; the queue is redrawn
			})
			.then((r) => this.opened(r.message));
	}

	pull_next(team) {
		frappe
			.call({
				method: this.api + "pull_next",
				args: { team },
				freeze: true,
				freeze_message: __("Pulling…"),
				error: () => this.load(),
			})
			.then((r) => this.opened(r.message));
	}

	opened(result) {
		if (!result) return;
		frappe.show_alert({ message: __("Ticket {0} is yours", [result.ticket]), indicator: "green" });
		frappe.set_route("Form", "HD Ticket", result.ticket);
	}

	render(teams) {
		const esc = (v) => frappe.utils.escape_html(v == null ? "" : String(v));
		if (!teams.length) {
			this.$root.html(
				`<div class="text-muted" style="padding: 24px 0">${__(
					"You are not in any team that distributes tickets manually. A manager sets a team's Distribution to Manual and adds you to it."
				)}</div>`
			);
			return;
		}
		this.$root.html(teams.map((team) => this.team_html(team, esc)).join(""));
	}

	team_html(team, esc) {
		const seat = team.member
			? `<span class="indicator-pill ${team.held < team.buffer ? "green" : "orange"}">${__(
					"You hold {0} of {1}",
					[team.held, team.buffer]
			  )}</span>`
			: `<span class="indicator-pill gray">${__("Not a member")}</span>`;
		const next = `<button class="btn btn-primary btn-sm cc-tq-next" data-team="${esc(team.team)}" ${
			team.may_pull && team.tickets.length ? "" : "disabled"
		}>${__("Pull next")}</button>`;
		const why = team.problem && team.member ? `<div class="text-muted small">${esc(team.problem)}</div>` : "";
		const rows = team.tickets
			.map(
				(t, i) => `<tr>
				<td class="text-muted">${i + 1}</td>
				<td><a href="/app/hd-ticket/${encodeURIComponent(t.name)}">#${esc(t.name)}</a></td>
				<td class="cc-tq-subject" title="${esc(t.subject)}">${esc(t.subject)}<div class="text-muted small">${esc(
					t.raised_by
				)}</div></td>
				<td>${esc(t.priority || "")}</td>
				<td>${esc(t.cc_channel || "")}${t.weight ? ` <span class="text-muted small">(${__("weight")} ${t.weight})</span>` : ""}</td>
				<td>${callcenter.TeamQueue.duration(t.age_seconds)}</td>
				<td>${callcenter.TeamQueue.due(t.reaction_due_in, t.cc_reaction_due)}</td>
				<td class="text-right"><button class="btn btn-default btn-xs cc-tq-pull" data-ticket="${esc(t.name)}" ${
					team.may_pull ? "" : "disabled"
				}>${__("Pull")}</button></td>
			</tr>`
			)
			.join("");
		const table = team.tickets.length
			? `<table class="table table-sm table-hover">
				<thead><tr><th>#</th><th>${__("Ticket")}</th><th>${__("Subject")}</th><th>${__("Priority")}</th>
				<th>${__("Channel")}</th><th>${__("Waiting")}</th><th>${__("Reaction due")}</th><th></th></tr></thead>
				<tbody>${rows}</tbody></table>`
			: `<div class="text-muted">${__("No ticket is waiting.")}</div>`;
		return `<div class="cc-tq-team frappe-card" style="padding: 16px" data-team="${esc(team.team)}">
			<div class="cc-tq-head"><h4>${esc(team.team)}</h4>
			<span class="text-muted">${__("{0} waiting", [team.tickets.length])}</span>${seat}${next}</div>
			${why}${table}</div>`;
	}

	static duration(seconds) {
		return callcenter.duration(seconds);
	}

	static due(seconds, at) {
		if (seconds == null) return `<span class="text-muted">–</span>`;
		const when = frappe.utils.escape_html(frappe.datetime.str_to_user(at));
		if (seconds < 0)
			return `<span class="indicator-pill red" title="${when}">${__("{0} late", [
				callcenter.TeamQueue.duration(-seconds),
			])}</span>`;
		const color = seconds < 3600 ? "orange" : "green";
		return `<span class="indicator-pill ${color}" title="${when}">${__("in {0}", [
			callcenter.TeamQueue.duration(seconds),
		])}</span>`;
	}
};
