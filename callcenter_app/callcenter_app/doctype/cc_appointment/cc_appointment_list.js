// Appointments list: "Book appointment" opens the booking page (operators and supervisors).
frappe.listview_settings["CC Appointment"] = {
	add_fields: ["status", "needs_location"],
	get_indicator(doc) {
		if (doc.needs_location && !["Done", "Cancelled", "No-show"].includes(doc.status))
			return [__("Needs location"), "orange", "needs_location,=,1"];
		const colors = { Booked: "blue", Confirmed: "green", Done: "gray", Cancelled: "red", "No-show": "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
	onload(listview) {
		const roles = frappe.user_roles || [];
		if (["Operator", "Agent Supervisor", "Call Center Manager", "System Manager"].some((r) => roles.includes(r)))
			listview.page.add_inner_button(__("Book appointment"), () => frappe.set_route("cc-booking"));
	},
};
