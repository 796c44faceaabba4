"""Scheduled credit jobs."""

from __future__ import annotations


def rate_calls() -> None:
	"""Every few minutes: charge the answered outbound calls not rated yet (each exactly once)."""
	from callcenter_app.credit.charging.service import rate_pending_calls

	rate_pending_calls()
