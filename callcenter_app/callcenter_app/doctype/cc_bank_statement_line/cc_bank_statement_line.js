// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.ui.form.on("CC Bank Statement Line", {
	refresh(frm) {
		const open = !frm.doc.decision && frm.doc.match_status !== "Duplicate" && frm.doc.line_key;
		if (!open) return;
		const decide = (decision, top_up) =>
			frappe
				.call("callcenter_app.credit.bank.service.decide_line", { line: frm.doc.name, decision, top_up })
				.then(() => frm.reload_doc());
		frm.add_custom_button(__("Credit this amount"), () => {
			if (frm.doc.top_up) {
				frappe.confirm(
					__("Credit {0} (minor units {1}) to {2}?", [frm.doc.currency, frm.doc.amount_minor, frm.doc.top_up]),
					() => decide("credit")
				);
			} else {
				frappe.prompt(
					{ fieldname: "top_up", fieldtype: "Link", options: "CC Top Up", label: __("Top Up"), reqd: 1 },
					(v) => decide("credit", v.top_up),
					__("Which top-up does this money pay?")
				);
			}
		});
		frm.add_custom_button(__("Reject"), () => frappe.confirm(__("Reject this line?"), () => decide("reject")));
	},
});
