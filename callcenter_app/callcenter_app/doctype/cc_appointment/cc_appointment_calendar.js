// Calendar view of appointments (a field agent sees only their own: the permission hooks apply to
// frappe.desk.calendar.get_events like to every list).
frappe.views.calendar["CC Appointment"] = {
	field_map: {
		start: "start",
		end: "end",
		id: "name",
		title: "contact_name",
	},
	style_map: {
		Booked: "info",
		Confirmed: "success",
		Done: "default",
		"No-show": "danger",
		Cancelled: "warning",
	},
	order_by: "start",
	get_events_method: "frappe.desk.calendar.get_events",
	filters: [
		{ fieldtype: "Link", fieldname: "field_agent", options: "CC Field Agent", label: __("Field agent") },
		{ fieldtype: "Select", fieldname: "status", options: "\nBooked\nConfirmed\nDone\nCancelled\nNo-show", label: __("Status") },
	],
};
