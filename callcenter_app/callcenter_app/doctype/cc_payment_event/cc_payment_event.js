// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.ui.form.on("CC Payment Event", {
	refresh(frm) {
		if (frm.doc.status !== "Needs review" || !frm.doc.signature_ok) return;
		frm.add_custom_button(__("Process again"), () => {
			frappe.call({
				method: "callcenter_app.api.credit.reprocess_event",
				args: { event: frm.doc.name },
				freeze: true,
				callback: (r) => {
					frappe.show_alert({ message: r.message.message, indicator: r.message.status === "Processed" ? "green" : "orange" });
					frm.reload_doc();
				},
			});
		});
	},
});
