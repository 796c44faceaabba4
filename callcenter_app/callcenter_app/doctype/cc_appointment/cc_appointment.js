// Appointment form: supervisors reassign to another field agent (re-checked on the receiver's day); a field
// agent records the visit (status, outcome, notes, signed document) and sees the rest read-only, as the
// server enforces (field/service.py guard_agent_edit).
const CC_AGENT_EDITABLE = ["status", "outcome", "notes", "signed_document"];

frappe.ui.form.on("CC Appointment", {
	refresh(frm) {
		const roles = frappe.user_roles || [];
		const supervisor = ["Agent Supervisor", "Call Center Manager", "System Manager"].some((r) => roles.includes(r));
		if (!supervisor && !roles.includes("Operator") && roles.includes("Field Agent")) {
			frm.meta.fields.forEach((df) => {
				if (df.fieldname && !CC_AGENT_EDITABLE.includes(df.fieldname) && frappe.model.is_value_type(df.fieldtype))
					frm.set_df_property(df.fieldname, "read_only", 1);
			});
			frm.set_df_property("status", "options", ["Booked", "Confirmed", "Done", "No-show"].includes(frm.doc.status)
				? [frm.doc.status, ...["Confirmed", "Done", "No-show"].filter((s) => s !== frm.doc.status)]
				: [frm.doc.status]);
		}
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
