"""Filters shared by the agent, SLA, campaign and work-time reports (pure): a date range and names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError

MAX_DAYS = 366


@dataclass(frozen=True)
class RangeFilters:
	from_date: dt.date
	to_date: dt.date
	team: str = ""
	agent: str = ""
	campaign: str = ""
	queue: str = ""


def date_field(field: str, value) -> dt.date:
	"""A required date filter: a date, a datetime (its date) or ``YYYY-MM-DD``."""
	if value is None or value == "":
		raise FieldError(field, "is required")
	if isinstance(value, dt.datetime):
		return value.date()
	if isinstance(value, dt.date):
		return value
	try:
		return dt.date.fromisoformat(str(value).strip())
	except ValueError:
		raise FieldError(field, f"must be a date like 2026-05-31, not {value!r}") from None


def name_field(field: str, value) -> str:
	"""An optional name filter (a queue, team, agent, campaign): text, stripped; nothing is ``""``."""
	if value is None:
		return ""
	if not isinstance(value, str):
		raise FieldError(field, f"must be a name, not {value!r}")
	return value.strip()


def check_range(values: Mapping, max_days: int = MAX_DAYS) -> RangeFilters:
	"""``from_date`` and ``to_date`` (required, at most ``max_days`` days), and the optional names
	``team``, ``agent``, ``campaign``, ``queue``. Raises :class:`FieldError` naming the filter."""
	start = date_field("from_date", values.get("from_date"))
	end = date_field("to_date", values.get("to_date"))
	if end < start:
		raise FieldError(
			"to_date", f"must not be before the from date ({start.isoformat()}), not {end.isoformat()}"
		)
	days = (end - start).days + 1
	if days > max_days:
		raise FieldError("to_date", f"the range may cover at most {max_days} days, not {days}")
	return RangeFilters(
		start,
		end,
		**{f: name_field(f, values.get(f)) for f in ("team", "agent", "campaign", "queue")},
	)
