// Work Time: per agent and day, time logged in, at work, in pause and in each work mode.
frappe.query_reports["Work Time"] = {
	filters: [...callcenter.report.period(), ...callcenter.report.links("team", "agent")],
};
