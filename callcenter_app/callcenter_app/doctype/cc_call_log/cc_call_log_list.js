// CC Call Log list: "Export call details" runs the call-detail export as a background job
// (callcenter_app.api.exports.start_call_export) for the calls the user may read; progress shows in the
// desk and a download link when the private file is ready.
frappe.listview_settings["CC Call Log"] = {
	onload(listview) {
		listview.page.add_inner_button(__("Export call details"), () => {
			frappe.prompt(
				[
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
					{ fieldname: "queue", label: __("Queue"), fieldtype: "Link", options: "CC Call Queue" },
					{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CC Campaign" },
					{
						fieldname: "file_format",
						label: __("Format"),
						fieldtype: "Select",
						options: ["xlsx", "csv"],
						default: "xlsx",
					},
				],
				(v) => {
					if (!window.callcenter_export_listening) {
						window.callcenter_export_listening = true;
						frappe.realtime.on("callcenter:export-ready", (d) => {
							frappe.hide_progress();
							frappe.msgprint({
								title: __("Call export ready"),
								indicator: "green",
								message: __('{0} calls: <a href="{1}" target="_blank">download the file</a>', [
									d.rows,
									encodeURI(d.file_url),
								]),
							});
						});
					}
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
