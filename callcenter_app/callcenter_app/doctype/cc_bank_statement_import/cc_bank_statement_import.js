// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.ui.form.on("CC Bank Statement Import", {
	refresh(frm) {
		if (!frm.is_new() && ["Draft", "Failed"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Import"), () =>
				frappe
					.call("callcenter_app.credit.bank.service.enqueue_import", { name: frm.doc.name })
					.then(() => frm.reload_doc())
			).addClass("btn-primary");
		}
		if (!frm.is_new() && frm.doc.status === "Done") {
			frm.add_custom_button(__("Lines to Decide"), () =>
				frappe.set_route("List", "CC Bank Statement Line", {
					statement_import: frm.doc.name,
					decision: ["is", "not set"],
					match_status: ["!=", "Duplicate"],
				})
			);
			frm.add_custom_button(__("All Lines"), () =>
				frappe.set_route("List", "CC Bank Statement Line", { statement_import: frm.doc.name })
			);
		}
		if (frm.doc.error) frm.dashboard.set_headline_alert(frm.doc.error, "red");
	},
	onload(frm) {
		frappe.realtime.on("progress", (data) => {
			if (data.doctype === frm.doctype && data.docname === frm.doc.name && data.percent >= 100) frm.reload_doc();
		});
	},
});
