frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["CC Answered vs Abandoned"] = {
	method: "callcenter_app.callcenter_app.dashboard_chart_source.cc_answered_vs_abandoned.cc_answered_vs_abandoned.get",
	filters: [],
};
