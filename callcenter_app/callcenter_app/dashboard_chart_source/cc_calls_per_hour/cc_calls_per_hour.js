frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["CC Calls Per Hour"] = {
	method: "callcenter_app.callcenter_app.dashboard_chart_source.cc_calls_per_hour.cc_calls_per_hour.get",
	filters: [],
};
