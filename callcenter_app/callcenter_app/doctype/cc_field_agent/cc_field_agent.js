// Field agent form: supervisors move a whole day of this agent's appointments to colleagues.
frappe.ui.form.on("CC Field Agent", {
	refresh(frm) {
		const roles = frappe.user_roles || [];
		if (frm.is_new() || !["Agent Supervisor", "Call Center Manager", "System Manager"].some((r) => roles.includes(r))) return;
		frm.add_custom_button(__("Reassign a day"), () => {
			frappe.prompt(
				[{ fieldtype: "Date", fieldname: "date", label: __("Day"), reqd: 1, default: frappe.datetime.get_today() }],
				(v) => {
					const args = { field_agent: frm.doc.name, date: v.date };
					frappe.call({ method: "callcenter_app.api.field.reassign_day", args, type: "GET" }).then((r) => {
						const plan = r.message;
						const rows = plan.moves.map((m) => `<li>${m.appointment} ${frappe.datetime.str_to_user(m.start)} ${frappe.utils.escape_html(m.contact_name || "")} → <b>${frappe.utils.escape_html(m.agent_name)}</b> (+${m.added_travel_minutes} min)</li>`);
						const left = plan.unplaced.map((m) => `<li>${m.appointment} ${frappe.datetime.str_to_user(m.start)}: ${__("fits nobody's day")}</li>`);
						if (!rows.length) return frappe.msgprint(left.length ? `<ul>${left.join("")}</ul>` : __("No appointments to move."));
						frappe.confirm(`<ul>${rows.join("")}${left.join("")}</ul>${__("Move these appointments?")}`, () =>
							frappe.call({ method: "callcenter_app.api.field.reassign_day", args: { ...args, apply: 1 }, freeze: true })
								.then((r2) => frappe.show_alert({ message: __("{0} appointments moved", [r2.message.moved.length]), indicator: "green" }))
						);
					});
				},
				__("Reassign a day of {0}", [frm.doc.agent_name || frm.doc.name]),
				__("Show the plan")
			);
		});
	},
});
