// Contact form: a "Call" button per phone number (click-to-call rings the agent's softphone first), and
// "Book appointment" for a field agent's visit (the cc-booking page, prefilled with this contact).
frappe.ui.form.on("Contact", {
	refresh(frm) {
		if (frm.is_new()) return;
		(frm.doc.phone_nos || []).forEach((row) => {
			frm.add_custom_button(row.phone, () => callcenter.call(row.phone), __("Call"));
		});
		const roles = frappe.user_roles || [];
		if (["Operator", "Agent Supervisor", "Call Center Manager", "System Manager"].some((r) => roles.includes(r)))
			frm.add_custom_button(__("Book appointment"), () =>
				frappe.set_route("cc-booking", { contact: frm.doc.name })
			);
	},
});
