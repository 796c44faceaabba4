// Appointment form: supervisors reassign to another field agent (re-checked on the receiver's day).
frappe.ui.form.on("CC Appointment", {
	refresh(frm) {
		const roles = frappe.user_roles || [];
		const supervisor = ["Agent Supervisor", "Call Center Manager", "System Manager"].some((r) => roles.includes(r));
		if (frm.is_new() || !supervisor || !["Booked", "Confirmed"].includes(frm.doc.status)) return;
		frm.add_custom_button(__("Reassign"), () => {
			frappe.prompt(
				[{ fieldtype: "Link", options: "CC Field Agent", fieldname: "to_agent", label: __("To field agent"), reqd: 1, filters: { active: 1 } }],
				(v) =>
					frappe
						.call({ method: "callcenter_app.api.field.reassign", args: { appointment: frm.doc.name, to_agent: v.to_agent }, freeze: true })
						.then(() => frm.reload_doc()),
				__("Reassign {0}", [frm.doc.name]),
				__("Reassign")
			);
		});
	},
});
