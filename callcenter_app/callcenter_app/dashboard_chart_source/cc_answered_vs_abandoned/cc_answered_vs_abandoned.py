"""Dashboard Chart Source: inbound queue calls answered and abandoned per day, the last 14 days."""

import datetime as dt

import frappe

from callcenter_app.common import roles
from callcenter_app.metrics.dashboard import answered_abandoned_per_day
from callcenter_app.metrics.service import calls_between, local_today
from callcenter_app.utils import requires

DAYS = 14


@frappe.whitelist()
@requires(roles.DESK_USER)
def get(**chart_args):
	"""Frappe passes the chart's name, filters, dates and interval; this chart has fixed ones."""
	frappe.has_permission("CC Call Log", "read", throw=True)
	last = local_today()
	first = last - dt.timedelta(days=DAYS - 1)
	return answered_abandoned_per_day(calls_between(first, last), first, last)
