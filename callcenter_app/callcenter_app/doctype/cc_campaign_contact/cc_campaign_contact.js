// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.ui.form.on("CC Campaign Contact", {
	onload(frm) {
		frappe.call("callcenter_app.api.settings.timezones").then((r) => {
			frm.set_df_property("timezone", "options", r.message || []);
		});
	},
});
