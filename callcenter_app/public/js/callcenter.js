// callcenter_app desk glue: the incoming-call popup (realtime, to the agent rung only) and the phone
// actions every desk page may use: callcenter.call(number, ticket), .transfer(), .spy(agent), .presence().
frappe.provide("callcenter");

(function () {
	const api = (method, args) =>
		frappe.call({ method: `callcenter_app.api.telephony.${method}`, args, freeze: true });
	const esc = (s) => frappe.utils.escape_html(s == null ? "" : String(s));

	callcenter.popups = {};

	// The script reports' common filters (Queue QoS, Queue Performance, Agent Performance, Work Time,
	// Campaign Results, SLA) and the call-detail export's download notice (reports and the CC Call Log list).
	const REPORT_LINKS = {
		queue: [__("Queue"), "CC Call Queue"],
		team: [__("Team"), "HD Team"],
		agent: [__("Agent"), "User"],
		campaign: [__("Campaign"), "CC Campaign"],
	};
	callcenter.report = {
		// From/To Date, required; the last ``days`` days up to today by default
		period(days = 7) {
			const today = frappe.datetime.get_today();
			return [
				{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.add_days(today, 1 - days) },
				{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", reqd: 1, default: today },
			];
		},
		group_by() {
			return {
				fieldname: "group_by",
				label: __("Group By"),
				fieldtype: "Select",
				options: ["Hour", "Day", "Week", "Month"],
				default: "Day",
				reqd: 1,
			};
		},
		links(...names) {
			return names.map((name) => ({
				fieldname: name,
				label: REPORT_LINKS[name][0],
				fieldtype: "Link",
				options: REPORT_LINKS[name][1],
			}));
		},
		// total rows in bold
		bold_totals(value, row, column, data, default_formatter) {
			value = default_formatter(value, row, column, data);
			return data && data.is_total ? `<b>${value}</b>` : value;
		},
	};

	callcenter.listen_for_export = function () {
		if (callcenter.export_listening) return;
		callcenter.export_listening = true;
		frappe.realtime.on("callcenter:export-ready", (d) => {
			frappe.hide_progress();
			frappe.msgprint({
				title: __("Call export ready"),
				indicator: "green",
				message: __('{0} calls: <a href="{1}" target="_blank">download the file</a>', [
					d.rows,
					encodeURI(d.file_url),
				]),
			});
		});
	};

	// A waiting or handling time for people: "2 d 3 h", "1 h 5 min", "4 min" (ticket form, list, team queue).
	callcenter.duration = function (seconds) {
		seconds = Math.max(0, Math.floor(seconds || 0));
		const d = Math.floor(seconds / 86400);
		const h = Math.floor((seconds % 86400) / 3600);
		const m = Math.floor((seconds % 3600) / 60);
		if (d) return __("{0} d {1} h", [d, h]);
		if (h) return __("{0} h {1} min", [h, m]);
		return __("{0} min", [m]);
	};

	callcenter.show_call = function (data) {
		const key = data.linkedid || data.caller;
		if (data.kind !== "ringing") {
			const open = callcenter.popups[key];
			if (open) {
				open.remove();
				delete callcenter.popups[key];
			}
			return;
		}
		if (callcenter.popups[key]) return;
		const who = data.contact
			? `<a href="/app/contact/${encodeURIComponent(data.contact)}">${esc(data.contact_name)}</a>`
			: esc(data.caller_name || __("Unknown caller"));
		const tickets = (data.tickets || [])
			.map(
				(t) =>
					`<li><a href="/helpdesk/tickets/${encodeURIComponent(t.name)}">#${esc(t.name)} ${esc(
						t.subject
					)}</a> <span class="text-muted">${esc(t.status)}</span></li>`
			)
			.join("");
		const card = $(`
			<div class="cc-call-popup" role="alert" aria-live="assertive">
				<div class="cc-call-head">
					<span class="indicator-pill green">${__("Incoming call")}</span>
					<button class="btn btn-xs btn-default cc-close" aria-label="${__("Close")}">×</button>
				</div>
				<div class="cc-call-who">${who}</div>
				<div class="cc-call-number">${esc(data.caller)}${
			data.queue ? ` · ${__("queue")} ${esc(data.queue)}` : ""
		}</div>
				${
					tickets
						? `<div class="cc-call-tickets"><b>${__("Open tickets")}</b><ul>${tickets}</ul></div>`
						: `<div class="text-muted">${__("No open tickets")}</div>`
				}
			</div>`);
		card.find(".cc-close").on("click", () => {
			card.remove();
			delete callcenter.popups[key];
		});
		$("body").append(card);
		callcenter.popups[key] = card;
	};

	callcenter.call = function (number, ticket) {
		return api("click_to_call", { number, ticket }).then((r) => {
			if (r.message)
				frappe.show_alert({
					message: __("Your phone rings first, then {0} is dialled", [esc(r.message.number)]),
					indicator: "green",
				});
		});
	};

	callcenter.transfer = function () {
		const d = new frappe.ui.Dialog({
			title: __("Transfer the current call"),
			fields: [
				{
					fieldname: "target",
					fieldtype: "Data",
					label: __("To (SIP account or phone number)"),
					reqd: 1,
				},
				{ fieldname: "attended", fieldtype: "Check", label: __("Talk to them first (attended)") },
			],
			primary_action_label: __("Transfer"),
			primary_action(values) {
				api("transfer", values).then(() => {
					d.hide();
					frappe.show_alert({ message: __("Transferred"), indicator: "green" });
				});
			},
		});
		d.show();
	};

	callcenter.spy = function (agent, mode) {
		return api("spy", { agent, mode: mode || "listen" }).then(() =>
			frappe.show_alert({ message: __("Your phone rings: answer to join"), indicator: "blue" })
		);
	};

	callcenter.presence = function () {
		frappe
			.call({ method: "callcenter_app.api.telephony.my_presence" })
			.then(({ message: state }) => {
				const d = new frappe.ui.Dialog({
					title: state.logged_in
						? __("Logged in: {0}", [esc(state.work_mode)])
						: __("Logged out"),
					fields: [
						{
							fieldname: "work_mode",
							fieldtype: "Select",
							label: __("Work mode"),
							options: state.modes.map((m) => m.name),
							default: state.work_mode || (state.modes[0] || {}).name,
						},
						{
							fieldname: "queues",
							fieldtype: "HTML",
							options: `<div class="text-muted">${__("Queues")}: ${esc(
								(state.queues || []).join(", ") || __("none")
							)}</div>`,
						},
					],
					primary_action_label: state.logged_in ? __("Change mode") : __("Log in"),
					primary_action(values) {
						api("set_presence", { logged_in: 1, work_mode: values.work_mode }).then(() =>
							d.hide()
						);
					},
				});
				if (state.logged_in) {
					d.set_secondary_action_label(__("Log out"));
					d.set_secondary_action(() => api("set_presence", { logged_in: 0 }).then(() => d.hide()));
				}
				d.show();
			});
	};

	$(document).on("app_ready", () => {
		frappe.realtime.on("callcenter:call", (data) => callcenter.show_call(data));
		frappe.realtime.on("callcenter:notice", (data) =>
			frappe.show_alert({ message: esc(data.message), indicator: "orange" })
		);
		frappe.realtime.on("callcenter:presence", (data) =>
			frappe.show_alert({
				message: data.logged_in
					? __("Logged in: {0}", [esc(data.work_mode)])
					: __("Logged out"),
				indicator: data.logged_in ? "green" : "gray",
			})
		);
	});

	frappe.dom.set_style(`
		.cc-call-popup { position: fixed; right: 20px; bottom: 20px; z-index: 1050; width: 320px;
			background: var(--card-bg); border: 1px solid var(--border-color); border-radius: 8px;
			box-shadow: var(--shadow-lg); padding: 12px 14px; }
		.cc-call-head { display: flex; justify-content: space-between; align-items: center; }
		.cc-call-who { font-size: 1.15em; font-weight: 600; margin-top: 8px; }
		.cc-call-number { color: var(--text-muted); margin-bottom: 8px; }
		.cc-call-tickets ul { padding-left: 18px; margin: 4px 0 0; }
	`);
})();
