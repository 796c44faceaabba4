// Agent Performance: calls, talk, pause per work mode, tickets and reaction per agent (agents: their own row).
frappe.query_reports["Agent Performance"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			reqd: 1,
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -6),
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
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CC Campaign" },
	],
};
