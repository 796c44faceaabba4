// Agent Performance: calls, talk, pause per work mode, tickets and reaction per agent (agents: their own row).
frappe.query_reports["Agent Performance"] = {
	filters: [...callcenter.report.period(), ...callcenter.report.links("team", "agent", "campaign")],
};
