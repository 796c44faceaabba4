// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.query_reports["CC Credit Reconciliation"] = {
	filters: [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -30), reqd: 1 },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: frappe.datetime.get_today(), reqd: 1 },
		{ fieldname: "account", label: __("Account"), fieldtype: "Link", options: "CC Credit Account" },
		{ fieldname: "method", label: __("Method"), fieldtype: "Select", options: ["", "Stripe", "PayPal", "Bank Transfer"] },
		{ fieldname: "only_differences", label: __("Only differences"), fieldtype: "Check", default: 0 },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (!data || data.ok) return value;
		if (column.fieldname === "note" || (column.fieldname === "difference" && data.difference)) {
			return `<span style="color: var(--red-600); font-weight: 600">${value}</span>`;
		}
		return value;
	},
	onload(report) {
		const download = (kind) => {
			const f = report.get_values();
			const query = new URLSearchParams({ from_date: f.from_date, to_date: f.to_date, format: kind });
			window.open(`/api/method/callcenter_app.api.credit.export_top_ups?${query}`);
		};
		report.page.add_inner_button(__("ERPNext Journal Entry CSV"), () => download("erpnext"), __("Export top-ups"));
		report.page.add_inner_button(__("Plain CSV"), () => download("plain"), __("Export top-ups"));
	},
};
