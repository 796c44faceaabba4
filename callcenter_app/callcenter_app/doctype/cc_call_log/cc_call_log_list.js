// CC Call Log list: "Export call details" runs the call-detail export as a background job
// (callcenter_app.api.exports.start_call_export) for the calls the user may read; progress shows in the
// desk and a download link when the private file is ready.
frappe.listview_settings["CC Call Log"] = {
	onload(listview) {
		listview.page.add_inner_button(__("Export call details"), () => {
			frappe.prompt(
				[
					...callcenter.report.period(),
					...callcenter.report.links("queue", "campaign"),
					{
						fieldname: "file_format",
						label: __("Format"),
						fieldtype: "Select",
						options: ["xlsx", "csv"],
						default: "xlsx",
					},
				],
				(v) => {
					callcenter.listen_for_export();
					frappe
						.call("callcenter_app.api.exports.start_call_export", v)
						.then((r) => frappe.show_alert({ message: r.message.message, indicator: "blue" }));
				},
				__("Export call details"),
				__("Start")
			);
		});
	},
};
