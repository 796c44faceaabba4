"""Desk endpoint for large exports: start the call-detail export as a background job (metrics/tasks.py)."""

from __future__ import annotations

import frappe

from callcenter_app.common import roles
from callcenter_app.metrics import tasks
from callcenter_app.utils import requires


@frappe.whitelist(methods=["POST"])
@requires(roles.DESK_USER)
def start_call_export(
	from_date: str,
	to_date: str,
	queue: str | None = None,
	campaign: str | None = None,
	file_format: str = "xlsx",
) -> dict:
	"""Enqueue the export of the CC Call Logs the user may read that started from ``from_date`` to
	``to_date`` (the call center's days), optionally of one queue or campaign, as xlsx or csv."""
	return tasks.start_call_export(
		from_date=from_date, to_date=to_date, queue=queue, campaign=campaign, file_format=file_format
	)
