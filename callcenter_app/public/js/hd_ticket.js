// HD Ticket desk form: "Call" the ticket's customer (each number of its contact, or its sender's number;
// the call joins this ticket: callcenter.call(number, ticket)), "Snooze" / "Reactivate", the handling time
// and reaction clock as dashboard indicators, and "Send SMS" through Frappe's SMS Settings. What the form
// may offer comes from callcenter_app.api.tickets.ticket_panel in one call; every action is checked again
// on the server (api/telephony.click_to_call, api/tickets.snooze / reactivate, api/sms.send_reply).
frappe.ui.form.on("HD Ticket", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Send SMS"), () => callcenter_sms_dialog(frm));
		const ticket = frm.doc.name;
		frappe
			.call({ method: "callcenter_app.api.tickets.ticket_panel", args: { ticket }, type: "GET" })
			.then((r) => {
				// the user may have moved on to another ticket while the panel was on its way
				if (frm.doc.name === ticket && r.message) callcenter_ticket_panel(frm, r.message);
			});
	},
});

function callcenter_ticket_panel(frm, panel) {
	const esc = (v) => frappe.utils.escape_html(v == null ? "" : String(v));
	frm.dashboard.clear_headline();
	// a second refresh's panel replaces the first one's indicators
	frm.dashboard.stats_area_row.find(".cc-panel").closest(".indicator-column").remove();

	// Call: one number, a button; several, choose from the group; none, type one (the call still joins)
	if (panel.may_call) {
		const numbers = panel.numbers || [];
		if (numbers.length === 1) {
			frm.add_custom_button(__("Call {0}", [numbers[0].number]), () =>
				callcenter.call(numbers[0].number, frm.doc.name)
			);
		} else if (numbers.length > 1) {
			numbers.forEach((n) =>
				frm.add_custom_button(`${esc(n.number)} (${esc(n.label)})`, () => callcenter.call(n.number, frm.doc.name), __("Call"))
			);
		} else {
			frm.add_custom_button(__("Call"), () => callcenter_call_dialog(frm));
		}
	}

	// Snooze / Reactivate
	if (panel.snoozed) {
		frm.dashboard.set_headline_alert(
			__("Snoozed until {0} by {1}: {2}", [
				esc(frappe.datetime.str_to_user(panel.snoozed_until)),
				esc(panel.snoozed_by),
				esc(panel.snooze_reason),
			]),
			"orange"
		);
		if (panel.may_reactivate)
			frm.add_custom_button(__("Reactivate"), () =>
				frappe
					.call({
						method: "callcenter_app.api.tickets.reactivate",
						args: { ticket: frm.doc.name },
						freeze: true,
					})
					.then(() => {
						frappe.show_alert({ message: __("Ticket reactivated"), indicator: "green" });
						frm.reload_doc();
					})
			);
	} else if (panel.may_snooze) {
		frm.add_custom_button(__("Snooze"), () => callcenter_snooze_dialog(frm));
	}

	// Handling time and reaction due
	frm.dashboard.add_indicator(
		`<span class="cc-panel">${__("Handling time: {0}", [callcenter.duration(panel.handling_seconds)])}</span>`,
		"blue"
	);
	if (panel.reacted_at) {
		frm.dashboard.add_indicator(
			`<span class="cc-panel">${__("Reacted: {0}", [esc(frappe.datetime.str_to_user(panel.reacted_at))])}</span>`,
			panel.reaction_breached ? "orange" : "green"
		);
	} else if (panel.reaction_due) {
		const late = panel.reaction_due_in < 0;
		frm.dashboard.add_indicator(
			`<span class="cc-panel" title="${esc(frappe.datetime.str_to_user(panel.reaction_due))}">${
				late
					? __("Reaction overdue by {0}", [callcenter.duration(-panel.reaction_due_in)])
					: __("Reaction due in {0}", [callcenter.duration(panel.reaction_due_in)])
			}</span>`,
			late ? "red" : panel.reaction_due_in < 3600 ? "orange" : "green"
		);
	}
}

function callcenter_call_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Call"),
		fields: [
			{
				fieldname: "number",
				fieldtype: "Data",
				options: "Phone",
				label: __("Number"),
				reqd: 1,
				description: __("The ticket has no contact number; the call still joins ticket {0}.", [frm.doc.name]),
			},
		],
		primary_action_label: __("Call"),
		primary_action(values) {
			callcenter.call(values.number, frm.doc.name).then(() => dialog.hide());
		},
	});
	dialog.show();
}

function callcenter_snooze_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Snooze ticket {0}", [frm.doc.name]),
		fields: [
			{
				fieldname: "until",
				fieldtype: "Datetime",
				label: __("Snoozed until"),
				reqd: 1,
				description: __("The ticket comes back by itself then, or when the customer writes."),
			},
			{
				fieldname: "reason",
				fieldtype: "Small Text",
				label: __("Snooze reason"),
				reqd: 1,
			},
		],
		primary_action_label: __("Snooze"),
		primary_action(values) {
			// the server checks the same (and the rest: who may change a snooze, at most a year)
			const until = values.until;
			if (!until || frappe.datetime.str_to_obj(until) <= frappe.datetime.system_datetime(true)) {
				frappe.msgprint({
					title: __("Not snoozed"),
					indicator: "red",
					message: __("Snoozed until: must be in the future"),
				});
				return;
			}
			if (!(values.reason || "").trim()) {
				frappe.msgprint({
					title: __("Not snoozed"),
					indicator: "red",
					message: __("Snooze reason: is required: say why the ticket is put off"),
				});
				return;
			}
			frappe
				.call({
					method: "callcenter_app.api.tickets.snooze",
					args: { ticket: frm.doc.name, until, reason: values.reason },
					freeze: true,
				})
				.then(() => {
					dialog.hide();
					frappe.show_alert({ message: __("Ticket snoozed"), indicator: "orange" });
					frm.reload_doc();
				});
		},
	});
	dialog.show();
}

function callcenter_sms_parts(text) {
	// GSM-7 texts take 160 characters (153 per part when split); anything else 70 (67).
	const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
	if (!text) return { chars: 0, parts: 0 };
	if (gsm.test(text)) {
		const chars = [...text].reduce((n, c) => n + ("^{}\\[~]|€".includes(c) ? 2 : 1), 0);
		return { chars, parts: chars <= 160 ? 1 : Math.ceil(chars / 153) };
	}
	const units = text.length;
	return { chars: units, parts: units <= 70 ? 1 : Math.ceil(units / 67) };
}

function callcenter_sms_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Send SMS"),
		fields: [
			{
				fieldname: "message",
				fieldtype: "Small Text",
				label: __("Message"),
				reqd: 1,
				description: __("0 characters"),
			},
		],
		primary_action_label: __("Send"),
		primary_action(values) {
			frappe
				.call({
					method: "callcenter_app.api.sms.send_reply",
					args: { ticket: frm.doc.name, message: values.message },
					freeze: true,
					freeze_message: __("Sending…"),
				})
				.then((r) => {
					const result = r.message || {};
					if (result.status === "Failed") {
						frappe.msgprint({
							title: __("SMS not sent"),
							indicator: "red",
							message: frappe.utils.escape_html(result.detail || ""),
						});
						return;
					}
					dialog.hide();
					frappe.show_alert({ message: __("SMS sent"), indicator: "green" });
					frm.reload_doc();
				});
		},
	});
	const field = dialog.get_field("message");
	field.$input.on("input", () => {
		const { chars, parts } = callcenter_sms_parts(field.get_value() || "");
		field.set_description(__("{0} characters, {1} SMS", [chars, parts]));
	});
	dialog.show();
}
