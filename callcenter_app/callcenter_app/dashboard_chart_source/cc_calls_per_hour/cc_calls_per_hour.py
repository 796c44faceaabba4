"""Dashboard Chart Source: calls started in each hour of today (the call center's day), inbound and outbound."""

import frappe

from callcenter_app.common import roles
from callcenter_app.metrics.dashboard import calls_per_hour
from callcenter_app.metrics.service import calls_between, local_today
from callcenter_app.utils import requires


@frappe.whitelist()
@requires(roles.DESK_USER)
def get(**chart_args):
	"""Frappe passes the chart's name, filters, dates and interval; this chart has fixed ones."""
	frappe.has_permission("CC Call Log", "read", throw=True)
	today = local_today()
	return calls_per_hour(calls_between(today, today), today)
