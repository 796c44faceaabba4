// Contact form: a "Call" button per phone number (click-to-call rings the agent's softphone first).
frappe.ui.form.on("Contact", {
	refresh(frm) {
		if (frm.is_new()) return;
		(frm.doc.phone_nos || []).forEach((row) => {
			frm.add_custom_button(row.phone, () => callcenter.call(row.phone), __("Call"));
		});
	},
});
