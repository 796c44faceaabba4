"""Scheduled credit jobs."""

from __future__ import annotations

import frappe


def rate_calls() -> None:
	"""Every 5 minutes: one rating job on the long queue (deduplicated: a long catch-up run is never joined
	by a second one), charging the answered outbound calls not rated yet, each exactly once."""
	frappe.enqueue(
		"callcenter_app.credit.charging.service.rate_pending_calls",
		queue="long",
		timeout=3600,
		job_id=f"cc_rate_calls::{frappe.local.site}",
		deduplicate=True,
		progress=True,
	)
