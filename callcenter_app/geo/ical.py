"""An agent's appointments as an iCalendar feed (RFC 5545), written with the icalendar package.

Times are naive datetimes in the site's time zone ``tz_name``; the feed carries them as local times with a
TZID and the matching VTIMEZONE, so a phone shows them at the right hour across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter_app.common.errors import FieldError

STATUSES = {"TENTATIVE", "CONFIRMED", "CANCELLED"}


@dataclass
class CalendarEvent:
	uid: str
	start: datetime
	end: datetime
	summary: str
	location: str | None
	description: str | None
	url: str | None = None
	status: str | None = None  # TENTATIVE, CONFIRMED or CANCELLED


def render_calendar(
	events: Iterable[CalendarEvent], name: str, tz_name: str, now: datetime | None = None
) -> bytes:
	"""The VCALENDAR text of ``events`` (CRLF lines, UTF-8). ``now`` (aware; default: the current time) is
	each event's DTSTAMP."""
	import icalendar

	try:
		zone = ZoneInfo(tz_name)
	except (ZoneInfoNotFoundError, ValueError, TypeError):
		raise FieldError("tz_name", f"is not a known time zone: {tz_name!r}") from None
	stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
	cal = icalendar.Calendar()
	cal.add("prodid", "-//callcenter_app//field agents//EN")
	cal.add("version", "2.0")
	cal.add("calscale", "GREGORIAN")
	cal.add("x-wr-calname", name)
	cal.add("x-wr-timezone", tz_name)
	events = list(events)
	for e in events:
		if not e.uid or not str(e.uid).strip():
			raise FieldError("uid", "is required for every event")
		for field in ("start", "end"):
			value = getattr(e, field)
			if not isinstance(value, datetime) or value.tzinfo is not None:
				raise FieldError(field, f"of {e.uid} must be a naive datetime in {tz_name}, not {value!r}")
		if e.end <= e.start:
			raise FieldError("end", f"of {e.uid} must be after its start")
		status = (e.status or "").upper() or None
		if status is not None and status not in STATUSES:
			raise FieldError(
				"status", f"of {e.uid} must be one of {', '.join(sorted(STATUSES))}, not {e.status!r}"
			)
		event = icalendar.Event()
		event.add("uid", str(e.uid))
		event.add("dtstamp", stamp)
		event.add("dtstart", e.start.replace(tzinfo=zone))
		event.add("dtend", e.end.replace(tzinfo=zone))
		event.add("summary", e.summary or "")
		if e.location:
			event.add("location", e.location)
		if e.description:
			event.add("description", e.description)
		if e.url:
			event.add("url", e.url)
		if status:
			event.add("status", status)
		cal.add_component(event)
	if events:
		days = [d for e in events for d in (e.start.date(), e.end.date())]
		cal.add_missing_timezones(
			first_date=min(days) - timedelta(days=366), last_date=max(days) + timedelta(days=366)
		)
	return cal.to_ical()
