// Queue QoS: inbound calls per period, queue and campaign, scored against each queue's reference wait.
frappe.query_reports["Queue QoS"] = {
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
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: ["Hour", "Day", "Week", "Month"],
			default: "Day",
			reqd: 1,
		},
		{ fieldname: "queue", label: __("Queue"), fieldtype: "Link", options: "CC Call Queue" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CC Campaign" },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		return data && data.is_total ? `<b>${value}</b>` : value;
	},
};
