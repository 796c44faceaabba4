// Campaign Results: attempts, contacts reached, outcomes, conversion, abandon %, callbacks per day.
frappe.query_reports["Campaign Results"] = {
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
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CC Campaign" },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		return data && data.is_total ? `<b>${value}</b>` : value;
	},
};
