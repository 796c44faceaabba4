// Operator Console: campaigns (join, leave, switch), the phone's work mode and pause, the current contact with
// its history, calls and open tickets, preview dialing, outcomes with public or private callbacks, and
// transfers to another operator of the campaign. Server side: callcenter_app/api/console.py. Realtime:
// callcenter:console (this console's records changed), callcenter:campaign_call (the dialer put a call through),
// callcenter:call (an inbound queue call was answered), callcenter:presence (the work mode changed).
frappe.pages["cc-console"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Operator Console"),
		single_column: true,
	});
	wrapper.cc_console = new callcenter.OperatorConsole(page);
};

frappe.pages["cc-console"].on_page_show = function (wrapper) {
	if (wrapper.cc_console) wrapper.cc_console.load();
};

frappe.provide("callcenter");

callcenter.OperatorConsole = class OperatorConsole {
	constructor(page) {
		this.page = page;
		this.campaign = null; // the campaign shown
		this.state = null; // my_campaigns()
		this.view = null; // current()
		this.make();
		this.subscribe();
	}

	api(method, args, get) {
		return frappe
			.call({
				method: `callcenter_app.api.console.${method}`,
				args: args || {},
				type: get ? "GET" : "POST",
				freeze: !get,
			})
			.then((r) => r.message);
	}

	esc(value) {
		return frappe.utils.escape_html(value == null ? "" : String(value));
	}

	when(value) {
		// the user's date format, to the minute
		return value
			? this.esc(frappe.datetime.str_to_user(value).replace(/(\d{1,2}:\d{2}):\d{2}/, "$1"))
			: "";
	}

	who(user) {
		if (!user) return "";
		if (user === frappe.session.user) return __("You");
		const people = (this.view && this.view.people) || {};
		return this.esc(people[user] || frappe.user.full_name(user));
	}

	duration(seconds) {
		if (!seconds) return "";
		const s = Math.round(seconds);
		return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
	}

	// --- layout ---------------------------------------------------------------------------------------

	make() {
		this.page.set_secondary_action(__("Refresh"), () => this.load(), "refresh");
		this.$body = $(`
			<div class="cc-console">
				<div class="cc-bar"></div>
				<div class="cc-grid">
					<div class="cc-side">
						<div class="cc-card">
							<div class="cc-card-title">${__("Campaigns")}</div>
							<div class="cc-campaigns"></div>
						</div>
						<div class="cc-card">
							<div class="cc-card-title">${__("Callbacks")}</div>
							<div class="cc-callbacks"></div>
						</div>
					</div>
					<div class="cc-main">
						<div class="cc-card cc-contact"></div>
						<div class="cc-card cc-outcome">
							<div class="cc-card-title">${__("Outcome")}</div>
							<div class="cc-outcome-fields"></div>
							<button class="btn btn-primary btn-sm cc-save-outcome">${__("Save outcome")}</button>
						</div>
						<div class="cc-row">
							<div class="cc-card">
								<div class="cc-card-title">${__("Attempts")}</div>
								<div class="cc-history"></div>
							</div>
							<div class="cc-card">
								<div class="cc-card-title">${__("Calls")}</div>
								<div class="cc-calls"></div>
							</div>
						</div>
						<div class="cc-card">
							<div class="cc-card-title">${__("Open tickets")}</div>
							<div class="cc-tickets"></div>
						</div>
					</div>
				</div>
			</div>`).appendTo(this.page.main);
		this.make_outcome_fields();
		this.$body.find(".cc-save-outcome").on("click", () => this.save_outcome());
	}

	make_outcome_fields() {
		const parent = this.$body.find(".cc-outcome-fields");
		const control = (df) =>
			frappe.ui.form.make_control({
				df,
				parent: $('<div class="cc-field"></div>').appendTo(parent),
				render_input: true,
			});
		this.fields = {
			outcome: control({
				fieldname: "outcome",
				fieldtype: "Select",
				label: __("Outcome"),
				options: [],
				change: () => this.toggle_callback(),
			}),
			callback_at: control({ fieldname: "callback_at", fieldtype: "Datetime", label: __("Call back at") }),
			private: control({ fieldname: "private", fieldtype: "Check", label: __("Private callback (only me)") }),
			note: control({
				fieldname: "note",
				fieldtype: "Small Text",
				label: __("Note"),
				max_height: "80px",
			}),
		};
		this.toggle_callback();
	}

	toggle_callback() {
		const chosen = this.outcome_by_name(this.fields.outcome.get_value());
		const show = !!(chosen && chosen.schedules_callback);
		["callback_at", "private"].forEach((f) => this.fields[f].$wrapper.toggle(show));
	}

	outcome_by_name(name) {
		return ((this.view && this.view.outcomes) || []).find((o) => o.name === name);
	}

	// --- data ----------------------------------------------------------------------------------------

	load() {
		return this.api("my_campaigns", {}, true).then((state) => {
			this.state = state;
			const usable = state.campaigns.filter((c) => c.joined || state.manager);
			if (!usable.some((c) => c.name === this.campaign)) {
				this.campaign = state.campaign || (usable[0] && usable[0].name) || null;
			}
			this.render_bar();
			this.render_campaigns();
			return this.refresh();
		});
	}

	refresh(contact, attempt) {
		if (!this.campaign) {
			this.view = null;
			this.render_view();
			return Promise.resolve();
		}
		return this.api("current", { campaign: this.campaign, contact, attempt }, true).then((view) =>
			this.show(view)
		);
	}

	show(view) {
		if (view && view.campaign && view.campaign.name !== this.campaign) return;
		this.view = view;
		if (view && view.presence !== undefined && this.state) {
			this.state.presence = view.presence;
			this.render_bar();
		}
		this.render_view();
	}

	// --- status bar ---------------------------------------------------------------------------------

	render_bar() {
		const bar = this.$body.find(".cc-bar").empty();
		const p = this.state && this.state.presence;
		if (!p) {
			bar.append(
				`<span class="indicator-pill gray">${__("No phone presence")}</span>
				<span class="text-muted">${__("Not a helpdesk agent: preview calls only")}</span>`
			);
			return;
		}
		const pill = !p.logged_in
			? `<span class="indicator-pill gray">${__("Logged out")}</span>`
			: p.paused
			? `<span class="indicator-pill orange">${__("Paused")}: ${this.esc(p.work_mode)}</span>`
			: `<span class="indicator-pill green">${__("Taking calls")}: ${this.esc(p.work_mode)}</span>`;
		bar.append(pill);
		if (p.queues && p.queues.length)
			bar.append(
				`<span class="text-muted">${__("Queues")}: ${this.esc(p.queues.join(", "))}</span>`
			);
		const right = $('<span class="cc-bar-actions"></span>').appendTo(bar);
		if (p.paused) {
			$(`<button class="btn btn-sm btn-primary">${__("Resume")}</button>`)
				.on("click", () => this.api("resume").then(() => this.load()))
				.appendTo(right);
		} else {
			const select = $('<select class="form-control input-xs cc-pause-mode"></select>');
			(p.pause_modes || []).forEach((m) =>
				select.append(`<option value="${this.esc(m)}">${this.esc(m)}</option>`)
			);
			right.append(select);
			$(`<button class="btn btn-sm btn-default">${__("Pause")}</button>`)
				.on("click", () =>
					this.api("pause", { work_mode: select.val() }).then(() => this.load())
				)
				.appendTo(right);
		}
	}

	// --- campaigns ----------------------------------------------------------------------------------

	render_campaigns() {
		const box = this.$body.find(".cc-campaigns").empty();
		const campaigns = (this.state && this.state.campaigns) || [];
		if (!campaigns.length) {
			box.append(
				`<div class="text-muted">${__(
					"You are not an operator of any campaign yet: a manager adds you on the campaign."
				)}</div>`
			);
			return;
		}
		campaigns.forEach((c) => {
			const kind =
				c.direction === "Inbound" ? __("Inbound") : `${__("Outbound")} · ${__(c.dialer_mode)}`;
			const row = $(`
				<div class="cc-campaign ${c.name === this.campaign ? "cc-active" : ""}">
					<div class="cc-campaign-name">
						<a class="cc-show">${this.esc(c.name)}</a>
						<div class="text-muted small">${this.esc(kind)} · ${this.esc(__(c.status))}</div>
						${
							c.credit_stop
								? `<div class="small text-danger cc-credit-stop">${__("No new calls")}: ${this.esc(c.credit_stop)}</div>`
								: ""
						}
					</div>
					<div class="cc-campaign-actions"></div>
				</div>`).appendTo(box);
			const actions = row.find(".cc-campaign-actions");
			if (c.joined) {
				actions.append(`<span class="indicator-pill green">${__("Joined")}</span>`);
				$(`<button class="btn btn-xs btn-default">${__("Leave")}</button>`)
					.on("click", () => this.api("leave", { campaign: c.name }).then(() => this.load()))
					.appendTo(actions);
			} else if (c.operator) {
				$(`<button class="btn btn-xs btn-primary">${__("Join")}</button>`)
					.on("click", () =>
						this.api("join", { campaign: c.name }).then(() => {
							this.campaign = c.name;
							return this.load();
						})
					)
					.appendTo(actions);
			}
			if (c.joined || this.state.manager)
				row.find(".cc-show").on("click", () => this.switch_to(c.name));
		});
	}

	switch_to(campaign) {
		this.campaign = campaign;
		this.render_campaigns();
		return this.api("switch", { campaign }).then((view) => this.show(view));
	}

	// --- the current contact ----------------------------------------------------------------------------

	render_view() {
		const v = this.view;
		const card = this.$body.find(".cc-contact").empty();
		this.$body.find(".cc-outcome").toggle(!!(v && v.contact && v.mine));
		if (!v) {
			card.append(`<div class="text-muted">${__("Join a campaign to start.")}</div>`);
			["history", "calls", "tickets", "callbacks"].forEach((k) =>
				this.$body.find(`.cc-${k}`).empty()
			);
			return;
		}
		const c = v.contact;
		const preview = v.campaign.direction === "Outbound" && v.campaign.dialer_mode === "Preview";
		const head = $(`
			<div class="cc-contact-head">
				<div>
					<div class="cc-card-title">${this.esc(v.campaign.name)}</div>
					<div class="cc-contact-name"></div>
					<div class="cc-contact-meta text-muted"></div>
				</div>
				<div class="cc-contact-actions"></div>
			</div>`).appendTo(card);
		if (v.campaign.credit_stop)
			card.append(
				`<div class="alert alert-danger cc-credit-stop">${__("No new calls")}: ${this.esc(
					v.campaign.credit_stop
				)}</div>`
			);
		if (c) {
			const link = c.contact
				? ` <a href="/app/contact/${encodeURIComponent(c.contact)}" class="small">${__("Contact")}</a>`
				: "";
			head.find(".cc-contact-name").html(
				`${this.esc(c.full_name || c.contact_name || c.phone)} <span class="cc-phone">${this.esc(
					c.phone
				)}</span>${link}`
			);
			const meta = [
				`${__("Status")}: ${this.esc(__(c.status))}`,
				`${__("Attempts")}: ${c.attempts || 0} / ${v.campaign.max_attempts}`,
			];
			if (c.last_outcome) meta.push(`${__("Last outcome")}: ${this.esc(c.last_outcome)}`);
			if (c.next_attempt_at && c.status !== "Dialing") meta.push(`${__("Next attempt")}: ${this.when(c.next_attempt_at)}`);
			head.find(".cc-contact-meta").html(meta.join(" · "));
			if (c.notes) card.append(`<div class="cc-notes">${this.esc(c.notes)}</div>`);
			if (v.callbacks.length)
				card.append(
					`<div class="cc-notes">${__("Callbacks")}: ${v.callbacks
						.map(
							(cb) =>
								`${this.when(cb.due_at)} (${this.esc(__(cb.visibility))}${
									cb.note ? ": " + this.esc(cb.note) : ""
								})`
						)
						.join(", ")}</div>`
				);
		} else {
			head.find(".cc-contact-name").html(
				`<span class="text-muted">${this.esc(
					v.message ||
						(preview
							? __("No contact yet: press Next for the next one to call.")
							: __("Waiting for a call."))
				)}</span>`
			);
		}
		const actions = head.find(".cc-contact-actions");
		const button = (label, cls, handler) =>
			$(`<button class="btn btn-sm ${cls}">${label}</button>`).on("click", handler).appendTo(actions);
		if (v.operator && preview) {
			if (!c) button(__("Next"), "btn-primary", () => this.next());
			if (c && v.mine) {
				button(__("Dial"), "btn-primary", () => this.dial());
				if (!v.attempt) button(__("Skip"), "btn-default", () => this.skip());
			}
		}
		if (v.operator && c && v.mine && v.operators.length)
			button(__("Transfer"), "btn-default", () => this.transfer());
		// a field agent's visit for this contact (the cc-booking page, prefilled)
		if (c && v.field_agents)
			button(__("Book appointment"), "btn-default", () =>
				frappe.set_route("cc-booking", { contact: c.contact || "", campaign: v.campaign.name })
			);

		// the outcome form belongs to one contact: a new contact starts with an empty form
		const outcome = this.fields.outcome;
		outcome.df.options = [""].concat(v.outcomes.map((o) => o.name));
		outcome.refresh();
		const key = c ? `${v.campaign.name}/${c.name}/${v.attempt || ""}` : null;
		if (key !== this.form_key) {
			this.form_key = key;
			Object.values(this.fields).forEach((f) => f.set_value(""));
		}
		this.toggle_callback();

		this.render_table(".cc-history", v.history, [
			[__("Started"), (r) => this.when(r.started_at)],
			[__("Operator"), (r) => this.who(r.operator)],
			[__("Outcome"), (r) => this.esc(r.outcome || __("in progress"))],
			[__("Note"), (r) => this.esc(r.note)],
		]);
		this.render_table(".cc-calls", v.calls, [
			[
				__("Start"),
				(r) =>
					r.name
						? `<a href="/app/cc-call-log/${encodeURIComponent(r.name)}">${this.when(r.start)}</a>`
						: this.when(r.start),
			],
			[__("Direction"), (r) => this.esc(__(r.direction))],
			[__("Status"), (r) => this.esc(__(r.status))],
			[__("Talk"), (r) => this.duration(r.talk_s)],
			[__("Agent"), (r) => this.who(r.agent)],
		]);
		const tickets = this.$body.find(".cc-tickets").empty();
		if (!c) tickets.append(`<div class="text-muted">—</div>`);
		else if (!v.tickets.length) tickets.append(`<div class="text-muted">${__("No open tickets")}</div>`);
		else
			tickets.append(
				`<ul class="cc-list">${v.tickets
					.map(
						(t) =>
							`<li><a href="/helpdesk/tickets/${encodeURIComponent(t.name)}">#${this.esc(
								t.name
							)} ${this.esc(t.subject)}</a> <span class="text-muted">${this.esc(
								__(t.status)
							)}</span></li>`
					)
					.join("")}</ul>`
			);
		this.render_callbacks(v.my_callbacks);
	}

	render_table(selector, rows, columns) {
		const box = this.$body.find(selector).empty();
		if (!rows || !rows.length) {
			box.append(`<div class="text-muted">${__("None")}</div>`);
			return;
		}
		const head = columns.map(([label]) => `<th>${label}</th>`).join("");
		const body = rows
			.map((r) => `<tr>${columns.map(([, cell]) => `<td>${cell(r)}</td>`).join("")}</tr>`)
			.join("");
		box.append(
			`<table class="table table-sm cc-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
		);
	}

	render_callbacks(rows) {
		const box = this.$body.find(".cc-callbacks").empty();
		if (!rows || !rows.length) {
			box.append(`<div class="text-muted">${__("No open callbacks")}</div>`);
			return;
		}
		rows.forEach((cb) =>
			box.append(`
				<div class="cc-callback ${cb.due ? "cc-due" : ""}">
					<div><b>${this.esc(cb.full_name || cb.phone)}</b>
						<span class="indicator-pill ${cb.visibility === "Private" ? "purple" : "blue"}">${this.esc(
				__(cb.visibility)
			)}</span></div>
					<div class="small text-muted">${this.when(cb.due_at)}${
				cb.due ? " · " + __("due") : ""
			}${cb.owner_user ? " · " + this.who(cb.owner_user) : ""}${
				cb.note ? " · " + this.esc(cb.note) : ""
			}</div>
				</div>`)
		);
	}

	// --- actions --------------------------------------------------------------------------------------

	next() {
		return this.api("next_preview", { campaign: this.campaign }).then((view) => this.show(view));
	}

	dial() {
		return this.api("dial", { campaign: this.campaign, contact: this.view.contact.name }).then((r) => {
			frappe.show_alert({
				message: __("Your phone rings first, then {0} is dialled", [this.esc(r.number)]),
				indicator: "green",
			});
			this.show(r.console);
		});
	}

	skip() {
		return this.api("skip", { campaign: this.campaign, contact: this.view.contact.name }).then((view) =>
			this.show(view)
		);
	}

	save_outcome() {
		const values = {
			campaign: this.campaign,
			contact: this.view.contact.name,
			attempt: this.view.attempt,
			outcome: this.fields.outcome.get_value(),
			note: this.fields.note.get_value(),
		};
		if (!values.outcome) {
			frappe.msgprint(__("Choose an outcome"));
			return;
		}
		const chosen = this.outcome_by_name(values.outcome);
		if (chosen && chosen.schedules_callback) {
			values.callback_at = this.fields.callback_at.get_value();
			values.private = this.fields.private.get_value() ? 1 : 0;
		}
		return this.api("set_outcome", values).then((r) => {
			this.form_key = null;
			frappe.show_alert({
				message: r.callback
					? __("Saved; callback scheduled")
					: __("Saved: {0}", [this.esc(__(r.status))]),
				indicator: "green",
			});
			this.show(r.console);
		});
	}

	transfer() {
		const operators = this.view.operators.map((o) => ({ value: o.user, label: o.full_name }));
		const d = new frappe.ui.Dialog({
			title: __("Transfer to an operator of {0}", [this.esc(this.campaign)]),
			fields: [
				{
					fieldname: "to_user",
					fieldtype: "Select",
					label: __("Operator"),
					reqd: 1,
					options: operators,
					default: operators[0].value,
				},
				{
					fieldname: "mode",
					fieldtype: "Select",
					label: __("Mode"),
					options: [
						{ value: "blind", label: __("Blind: the caller goes at once") },
						{ value: "attended", label: __("Attended: talk to them first") },
					],
					default: "blind",
				},
			],
			primary_action_label: __("Transfer"),
			primary_action: (values) =>
				this.api("transfer", {
					campaign: this.campaign,
					contact: this.view.contact.name,
					...values,
				}).then(() => {
					d.hide();
					frappe.show_alert({ message: __("Transferred"), indicator: "green" });
					this.refresh();
				}),
		});
		d.show();
	}

	// --- realtime ----------------------------------------------------------------------------------------

	subscribe() {
		// one set of handlers per desk session, bound to the page's console
		callcenter.operator_console = this;
		if (callcenter.operator_console_subscribed) return;
		callcenter.operator_console_subscribed = true;
		const live = () => {
			const c = callcenter.operator_console;
			return c && frappe.get_route_str() === "cc-console" ? c : null;
		};
		frappe.realtime.on("callcenter:console", (data) => {
			const c = live();
			if (!c) return;
			if (data.what === "joined" || data.what === "left") c.load();
			else if (data.campaign === c.campaign) c.refresh();
		});
		frappe.realtime.on("callcenter:campaign_call", (data) => {
			const c = live();
			if (!c) return;
			c.campaign = data.campaign;
			c.render_campaigns();
			const taken = data.attempt
				? c.api("take_call", { campaign: data.campaign, attempt: data.attempt })
				: c.api("current", { campaign: data.campaign, contact: data.contact }, true);
			taken.then((view) => c.show(view));
		});
		frappe.realtime.on("callcenter:call", (data) => {
			const c = live();
			if (!c || data.kind !== "answered" || !data.queue || !c.state) return;
			const campaign = c.state.campaigns.find((x) => x.joined && x.call_queue === data.queue);
			if (!campaign) return;
			c.campaign = campaign.name;
			c.render_campaigns();
			if (campaign.direction === "Inbound") {
				c.api("take_call", {
					campaign: campaign.name,
					number: data.caller,
					linkedid: data.linkedid,
				}).then((view) => c.show(view));
			} else {
				// a dialer call: the dialer's callcenter:campaign_call (sent as it records this operator on the
				// attempt, when the call connects) opens the contact; refresh in case that event was missed
				setTimeout(() => c.refresh(), 2000);
			}
		});
		frappe.realtime.on("callcenter:presence", () => {
			const c = live();
			if (c) c.load();
		});
	}
};

frappe.dom.set_style(`
	.cc-console { padding: 12px 0; }
	.cc-bar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 10px 14px;
		background: var(--card-bg); border: 1px solid var(--border-color); border-radius: 8px; margin-bottom: 12px; }
	.cc-bar-actions { margin-left: auto; display: flex; gap: 8px; align-items: center; }
	.cc-bar-actions select { width: 160px; }
	.cc-grid { display: grid; grid-template-columns: 300px 1fr; gap: 12px; align-items: start; }
	.cc-row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
	.cc-card { background: var(--card-bg); border: 1px solid var(--border-color); border-radius: 8px;
		padding: 12px 14px; margin-bottom: 12px; }
	.cc-card-title { font-weight: 600; color: var(--text-muted); font-size: var(--text-sm); margin-bottom: 8px; }
	.cc-campaign { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 6px 8px;
		border-radius: 6px; }
	.cc-campaign.cc-active { background: var(--control-bg); }
	.cc-campaign-actions { display: flex; gap: 6px; align-items: center; }
	.cc-show { cursor: pointer; font-weight: 600; }
	.cc-contact-head { display: flex; justify-content: space-between; gap: 12px; }
	.cc-contact-name { font-size: 1.3em; font-weight: 600; }
	.cc-phone { font-weight: 400; color: var(--text-muted); margin-left: 6px; }
	.cc-contact-actions { display: flex; gap: 8px; align-items: flex-start; }
	.cc-notes { margin-top: 8px; }
	.cc-outcome-fields { display: grid; grid-template-columns: 1fr 1fr; column-gap: 12px; }
	.cc-table { margin: 0; font-size: var(--text-sm); }
	.cc-list { padding-left: 18px; margin: 0; }
	.cc-callback { padding: 6px 0; border-bottom: 1px solid var(--border-color); }
	.cc-callback:last-child { border-bottom: none; }
	.cc-callback.cc-due b { color: var(--red-600); }
	@media (max-width: 991px) { .cc-grid, .cc-row { grid-template-columns: 1fr; } }
`);
