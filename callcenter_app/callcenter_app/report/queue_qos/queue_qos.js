// Queue QoS: inbound calls per period, queue and campaign, scored against each queue's reference wait.
frappe.query_reports["Queue QoS"] = {
	filters: [
		...callcenter.report.period(),
		callcenter.report.group_by(),
		...callcenter.report.links("queue", "campaign"),
	],
	formatter: callcenter.report.bold_totals,
};
