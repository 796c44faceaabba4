// HD Ticket desk list: "Pull next ticket" for agents of manual teams (choose the team, see its queue, take
// the first ticket and open it), "Team Queue" (the cc-team-queue page), "Snoozed" (the snooze list: what,
// until when, by whom and why; reactivate from there, or filter the list to snoozed tickets), and
// "Distribute now" for SUPERVISE_TICKETS (what it assigned, what still waits). Which buttons show comes
// from callcenter_app.api.tickets.ticket_tools; every action is checked again on the server.
(function () {
	const api = "callcenter_app.api.tickets.";
	const esc = (v) => frappe.utils.escape_html(v == null ? "" : String(v));
	const settings = frappe.listview_settings["HD Ticket"] || {};
	const their_onload = settings.onload;
	const their_indicator = settings.get_indicator;

	frappe.listview_settings["HD Ticket"] = Object.assign(settings, {
		add_fields: [...new Set([...(settings.add_fields || []), "cc_snoozed", "cc_snoozed_until"])],
		onload(listview) {
			if (their_onload) their_onload(listview);
			frappe
				.call({ method: api + "ticket_tools", type: "GET" })
				.then((r) => add_tools(listview, r.message || {}));
		},
		get_indicator(doc) {
			if (doc.cc_snoozed)
				return [__("Snoozed"), "orange", "cc_snoozed,=,1"];
			return their_indicator ? their_indicator(doc) : undefined;
		},
	});

	function add_tools(listview, tools) {
		const page = listview.page;
		if ((tools.pull_teams || []).length)
			page.add_inner_button(__("Pull next ticket"), () => pull_dialog(tools.pull_teams));
		if (tools.team_queue) page.add_inner_button(__("Team Queue"), () => frappe.set_route("cc-team-queue"));
		if (tools.may_snooze)
			page.add_inner_button(
				tools.snoozed ? __("Snoozed ({0})", [tools.snoozed]) : __("Snoozed"),
				() => snooze_list(listview)
			);
		if (tools.may_distribute) page.add_inner_button(__("Distribute now"), () => distribute(listview));
	}

	const duration = (seconds) => callcenter.duration(seconds);

	// --- Pull next ticket ------------------------------------------------------------------------------

	function pull_dialog(teams) {
		let queues = {};
		const dialog = new frappe.ui.Dialog({
			title: __("Pull next ticket"),
			size: "large",
			fields: [
				{
					fieldname: "team",
					fieldtype: "Select",
					label: __("Team"),
					options: teams,
					default: teams[0],
					reqd: 1,
					read_only: teams.length === 1 ? 1 : 0,
					change: () => show_queue(),
				},
				{ fieldname: "queue", fieldtype: "HTML" },
			],
			primary_action_label: __("Pull next"),
			primary_action(values) {
				if (!values.team) {
					frappe.msgprint(__("Team: is required: choose the team to pull from"));
					return;
				}
				frappe
					.call({
						method: api + "pull_next",
						args: { team: values.team },
						freeze: true,
						freeze_message: __("Pulling…"),
						error: () => load(),
					})
					.then((r) => {
						dialog.hide();
						frappe.show_alert({
							message: __("Ticket {0} is yours", [r.message.ticket]),
							indicator: "green",
						});
						frappe.set_route("Form", "HD Ticket", r.message.ticket);
					});
			},
		});
		const show_queue = () => {
			const team = queues[dialog.get_value("team")];
			const $html = dialog.get_field("queue").$wrapper;
			if (!team) {
				$html.html(`<div class="text-muted">${__("Loading…")}</div>`);
				return;
			}
			const rows = team.tickets
				.slice(0, 10)
				.map(
					(t, i) => `<tr><td class="text-muted">${i + 1}</td>
					<td><a href="/app/hd-ticket/${encodeURIComponent(t.name)}">#${esc(t.name)}</a></td>
					<td>${esc(t.subject)}</td><td>${esc(t.priority || "")}</td><td>${duration(t.age_seconds)}</td></tr>`
				)
				.join("");
			const more = team.tickets.length > 10 ? `<div class="text-muted">${__("and {0} more", [team.tickets.length - 10])}</div>` : "";
			$html.html(`
				<p>${__("You hold {0} of {1} tickets in this team; {2} waiting.", [
					team.held == null ? 0 : team.held,
					team.buffer == null ? 0 : team.buffer,
					team.tickets.length,
				])}</p>
				${team.problem ? `<p class="text-danger">${esc(team.problem)}</p>` : ""}
				${
					team.tickets.length
						? `<table class="table table-sm"><thead><tr><th>#</th><th>${__("Ticket")}</th><th>${__(
								"Subject"
						  )}</th><th>${__("Priority")}</th><th>${__("Waiting")}</th></tr></thead><tbody>${rows}</tbody></table>${more}`
						: `<p class="text-muted">${__("No ticket is waiting.")}</p>`
				}`);
			dialog.get_primary_btn().prop("disabled", !team.may_pull || !team.tickets.length);
		};
		const load = () =>
			frappe.call({ method: api + "team_queues", type: "GET" }).then((r) => {
				queues = {};
				(r.message || []).forEach((t) => (queues[t.team] = t));
				show_queue();
			});
		dialog.show();
		show_queue();
		load();
	}

	// --- Snoozed ---------------------------------------------------------------------------------------

	function snooze_list(listview) {
		const dialog = new frappe.ui.Dialog({
			title: __("Snoozed tickets"),
			size: "extra-large",
			fields: [{ fieldname: "list", fieldtype: "HTML" }],
			primary_action_label: __("Show them in the list"),
			primary_action() {
				dialog.hide();
				listview.filter_area.clear(false).then(() => listview.filter_area.add([["HD Ticket", "cc_snoozed", "=", 1]]));
			},
		});
		const $html = dialog.get_field("list").$wrapper;
		$html.on("click", ".cc-reactivate", (e) => {
			const ticket = $(e.currentTarget).attr("data-ticket");
			frappe
				.call({ method: api + "reactivate", args: { ticket }, freeze: true })
				.then(() => {
					frappe.show_alert({ message: __("Ticket {0} reactivated", [ticket]), indicator: "green" });
					load();
					listview.refresh();
				});
		});
		const load = () =>
			frappe.call({ method: api + "snoozed_tickets", type: "GET" }).then((r) => {
				const rows = (r.message || [])
					.map(
						(t) => `<tr>
						<td><a href="/app/hd-ticket/${encodeURIComponent(t.name)}">#${esc(t.name)}</a></td>
						<td>${esc(t.subject)}<div class="text-muted small">${esc(t.agent_group || "")}</div></td>
						<td>${esc(frappe.datetime.str_to_user(t.cc_snoozed_until))}</td>
						<td>${esc(t.cc_snoozed_by)}</td>
						<td>${esc(t.cc_snooze_reason)}</td>
						<td>${esc(t.owner || "")}</td>
						<td class="text-right">${
							t.may_reactivate
								? `<button class="btn btn-default btn-xs cc-reactivate" data-ticket="${esc(t.name)}">${__("Reactivate")}</button>`
								: `<span class="text-muted small" title="${__("Only its owner or whoever snoozed it, before its time")}">${__("Not yours")}</span>`
						}</td></tr>`
					)
					.join("");
				$html.html(
					rows
						? `<table class="table table-sm"><thead><tr><th>${__("Ticket")}</th><th>${__("Subject")}</th>
						<th>${__("Until")}</th><th>${__("Snoozed by")}</th><th>${__("Reason")}</th><th>${__("Owner")}</th><th></th></tr></thead>
						<tbody>${rows}</tbody></table>`
						: `<p class="text-muted">${__("No ticket you can see is snoozed.")}</p>`
				);
			});
		dialog.show();
		load();
	}

	// --- Distribute now --------------------------------------------------------------------------------

	function distribute(listview) {
		frappe
			.call({ method: api + "distribute_now", freeze: true, freeze_message: __("Distributing…") })
			.then((r) => {
				const result = r.message || { assigned: [], waiting: 0, teams: [] };
				const rows = result.assigned
					.map(
						(a) => `<tr><td><a href="/app/hd-ticket/${encodeURIComponent(a.ticket)}">#${esc(a.ticket)}</a></td>
						<td>${esc(a.subject)}</td><td>${esc(a.agent)}</td></tr>`
					)
					.join("");
				const teams = result.teams.length ? result.teams.map(esc).join(", ") : __("none");
				frappe.msgprint({
					title: __("Distribution done"),
					indicator: result.assigned.length ? "green" : "blue",
					message: `
						<p>${
							result.assigned.length === 1
								? __("1 ticket assigned.")
								: result.assigned.length
								? __("{0} tickets assigned.", [result.assigned.length])
								: __("No ticket assigned.")
						}</p>
						${
							rows
								? `<table class="table table-sm"><thead><tr><th>${__("Ticket")}</th><th>${__(
										"Subject"
								  )}</th><th>${__("Assigned to")}</th></tr></thead><tbody>${rows}</tbody></table>`
								: ""
						}
						<p class="text-muted">${
							result.waiting === 1
								? __(
										"1 ticket still waits in the automatic teams ({0}): no available agent has room in their buffer.",
										[teams]
								  )
								: result.waiting
								? __(
										"{0} tickets still wait in the automatic teams ({1}): no available agent has room in their buffer.",
										[result.waiting, teams]
								  )
								: __("No ticket waits in the automatic teams ({0}).", [teams])
						}</p>`,
				});
				listview.refresh();
			});
	}
})();
