// Work Time: per agent and day, time logged in, at work, in pause and in each work mode.
frappe.query_reports["Work Time"] = {
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
	],
};
