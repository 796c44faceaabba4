// SLA: reaction and resolution breaches and cumulative handling time per team and agent.
frappe.query_reports["SLA"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			reqd: 1,
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -29),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			reqd: 1,
			default: frappe.datetime.get_today(),
		},
		{ fieldname: "team", label: __("Team"), fieldtype: "Link", options: "HD Team" },
		{ fieldname: "agent", label: __("Agent"), fieldtype: "Link", options: "User" },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		return data && (data.is_total || data.indent === 0) ? `<b>${value}</b>` : value;
	},
};
