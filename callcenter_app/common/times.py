"""Datetimes between Frappe and the core. Pure.

Frappe keeps naive datetimes in the system time zone; the core works with aware UTC ones. The Frappe side
(``callcenter_app/utils.py``: ``to_utc``, ``from_utc``, ``utc_now``) calls these with the system zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def to_utc(value: dt.datetime | None, zone: str) -> dt.datetime | None:
	"""A naive datetime in ``zone`` (how Frappe stores them) → aware UTC; an aware one is converted."""
	if value is None:
		return None
	if value.tzinfo is None or value.utcoffset() is None:
		value = value.replace(tzinfo=ZoneInfo(zone))
	return value.astimezone(dt.timezone.utc)


def to_local_naive(value: dt.datetime | None, zone: str) -> dt.datetime | None:
	"""An aware datetime → naive wall-clock time in ``zone`` (what a Frappe Datetime field stores)."""
	if value is None:
		return None
	if value.tzinfo is None or value.utcoffset() is None:
		raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")
	return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
