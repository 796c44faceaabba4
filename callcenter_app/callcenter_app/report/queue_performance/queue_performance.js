// Queue Performance: offered, answered, abandoned, ASA, service level, QoS %, longest wait per period and
// queue, with Erlang C staffing advice for each row's busiest interval.
frappe.query_reports["Queue Performance"] = {
	filters: [
		...callcenter.report.period(),
		callcenter.report.group_by(),
		...callcenter.report.links("queue", "team", "campaign"),
		{
			fieldname: "target_sl",
			label: __("Target Service Level %"),
			fieldtype: "Percent",
			default: 80,
		},
		{ fieldname: "target_seconds", label: __("Target Answer (s)"), fieldtype: "Int", default: 20 },
		{
			fieldname: "staffing_interval",
			label: __("Staffing Interval (min)"),
			fieldtype: "Select",
			options: ["15", "30", "60"],
			default: "30",
		},
	],
	formatter: callcenter.report.bold_totals,
	onload(report) {
		callcenter_export_button(report);
	},
};

// "Export call details": every CC Call Log of the filters' range the user may read, written by a background
// job to a private file (callcenter_app.api.exports); progress shows in the desk, and a link when it is ready.
function callcenter_export_button(report) {
	report.page.add_inner_button(__("Export call details"), () => {
		const f = report.get_values() || {};
		frappe.prompt(
			{
				fieldname: "file_format",
				label: __("Format"),
				fieldtype: "Select",
				options: ["xlsx", "csv"],
				default: "xlsx",
			},
			(v) => {
				callcenter.listen_for_export();
				frappe
					.call("callcenter_app.api.exports.start_call_export", {
						from_date: f.from_date,
						to_date: f.to_date,
						queue: f.queue,
						campaign: f.campaign,
						file_format: v.file_format,
					})
					.then((r) => frappe.show_alert({ message: r.message.message, indicator: "blue" }));
			},
			__("Export call details")
		);
	});
}
