// SLA: reaction and resolution breaches and cumulative handling time per team and agent.
frappe.query_reports["SLA"] = {
	filters: [...callcenter.report.period(30), ...callcenter.report.links("team", "agent")],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		return data && (data.is_total || data.indent === 0) ? `<b>${value}</b>` : value;
	},
};
