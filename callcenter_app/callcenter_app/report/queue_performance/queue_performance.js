// Queue Performance: offered, answered, abandoned, ASA, service level, QoS %, longest wait per period and
// queue, with Erlang C staffing advice for each row's busiest interval.
frappe.query_reports["Queue Performance"] = {
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
		{ fieldname: "team", label: __("Team"), fieldtype: "Link", options: "HD Team" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "CC Campaign" },
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
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		return data && data.is_total ? `<b>${value}</b>` : value;
	},
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
				callcenter_listen_for_export();
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

function callcenter_listen_for_export() {
	if (window.callcenter_export_listening) return;
	window.callcenter_export_listening = true;
	frappe.realtime.on("callcenter:export-ready", (d) => {
		frappe.hide_progress();
		frappe.msgprint({
			title: __("Call export ready"),
			indicator: "green",
			message: __("{0} calls: <a href=\"{1}\" target=\"_blank\">download the file</a>", [d.rows, encodeURI(d.file_url)]),
		});
	});
}
