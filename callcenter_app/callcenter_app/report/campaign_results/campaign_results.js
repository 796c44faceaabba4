// Campaign Results: attempts, contacts reached, outcomes, conversion, abandon %, callbacks per day.
frappe.query_reports["Campaign Results"] = {
	filters: [...callcenter.report.period(), ...callcenter.report.links("campaign")],
	formatter: callcenter.report.bold_totals,
};
