"""Calling windows, evaluated in each contact's own time zone.

A contact's time zones come from its phone number (``phonenumbers.timezone.time_zones_for_number``). A
number can map to several zones (a mobile range that spans a country, a toll-free code): a call is allowed
only when the window is open in *all* of them, so nobody is called outside the window wherever they are.
A number whose zone is unknown (or that does not parse) is called in the campaign's default zone.

A window is a set of weekdays and a local start and end time; a campaign may have several windows (for
example 09:00–12:00 and 13:00–20:00 on weekdays, 10:00–14:00 on Saturday). A window whose end is not after
its start runs over midnight: ``22:00–02:00`` on Friday is open from Friday 22:00 to Saturday 02:00. The end
is exclusive. No windows at all means the campaign never calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNKNOWN_ZONE = "Etc/Unknown"  # what phonenumbers answers for a number it cannot place
MIDNIGHT = dt.time(0, 0)


@dataclass(frozen=True)
class CallWindow:
	"""Open on ``weekdays`` (0 = Monday … 6 = Sunday) from ``start`` (inclusive) to ``end`` (exclusive), local time.

	``end <= start`` means the window runs over midnight into the next day; ``start == end`` is a
	whole day (24 hours from ``start``).
	"""

	weekdays: frozenset[int]
	start: dt.time
	end: dt.time

	def __post_init__(self) -> None:
		days = frozenset(self.weekdays)
		if not days or not days <= frozenset(range(7)):
			raise ValueError(
				f"weekdays must be a non-empty set of 0 (Monday) … 6 (Sunday), got {sorted(days)}"
			)
		if self.start.tzinfo is not None or self.end.tzinfo is not None:
			raise ValueError("start and end are local wall-clock times; give them without tzinfo")
		object.__setattr__(self, "weekdays", days)

	@property
	def overnight(self) -> bool:
		return self.end <= self.start

	def is_open(self, local: dt.datetime) -> bool:
		"""Whether the window is open at the wall-clock time ``local`` (its tzinfo, if any, is ignored)."""
		t = local.time().replace(tzinfo=None)
		day = local.weekday()
		if not self.overnight:
			return day in self.weekdays and self.start <= t < self.end
		if day in self.weekdays and t >= self.start:
			return True
		return (day - 1) % 7 in self.weekdays and t < self.end

	@classmethod
	def parse(cls, days: str, start: str, end: str) -> CallWindow:
		"""Build from text: ``days`` like ``"Mon-Fri"``, ``"Sat,Sun"`` or ``"Monday"``; times ``"HH:MM"``."""
		return cls(parse_weekdays(days), dt.time.fromisoformat(start), dt.time.fromisoformat(end))


def parse_weekdays(text: str) -> frozenset[int]:
	"""``"Mon-Fri"`` → {0..4}; ``"Sat,Sun"`` → {5, 6}; ranges may wrap (``"Fri-Mon"``)."""
	names = {name[:3].lower(): i for i, name in enumerate(WEEKDAYS)}

	def one(token: str) -> int:
		key = token.strip()[:3].lower()
		if key not in names:
			raise ValueError(f"unknown weekday {token.strip()!r} (use Mon … Sun)")
		return names[key]

	days: set[int] = set()
	for part in text.split(","):
		if not part.strip():
			continue
		if "-" in part:
			first, last = (one(p) for p in part.split("-", 1))
			days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
		else:
			days.add(one(part))
	if not days:
		raise ValueError(f"no weekdays in {text!r}")
	return frozenset(days)


@lru_cache(maxsize=65536)
def zones_for_number(number: str, default_tz: str = "UTC") -> tuple[str, ...]:
	"""The IANA zones a number may be in (sorted), or ``(default_tz,)`` when they are unknown."""
	try:
		parsed = phonenumbers.parse(number, None)
	except phonenumbers.NumberParseException:
		return (default_tz,)
	zones = tuple(
		z for z in pn_timezone.time_zones_for_number(parsed) if z != UNKNOWN_ZONE and _known_zone(z)
	)
	return tuple(sorted(zones)) if zones else (default_tz,)


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
	try:
		ZoneInfo(name)
	except (ZoneInfoNotFoundError, ValueError):
		return False
	return True


def resolve_zones(number_or_tzs: str | Iterable[str], default_tz: str = "UTC") -> tuple[str, ...]:
	"""A phone number (a ``str``) → its zones; an iterable of zone names → those zones (the default if empty)."""
	if isinstance(number_or_tzs, str):
		return zones_for_number(number_or_tzs, default_tz)
	zones = tuple(number_or_tzs)
	return zones or (default_tz,)


def _utc(moment: dt.datetime, name: str) -> dt.datetime:
	if moment.tzinfo is None or moment.utcoffset() is None:
		raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
	return moment.astimezone(dt.timezone.utc)


def open_in_zone(zone: str, windows: Sequence[CallWindow], at_utc: dt.datetime) -> bool:
	local = at_utc.astimezone(ZoneInfo(zone))
	return any(w.is_open(local) for w in windows)


def is_callable_at(
	number_or_tzs: str | Iterable[str],
	windows: Sequence[CallWindow],
	utc_datetime: dt.datetime,
	default_tz: str = "UTC",
) -> bool:
	"""Whether a contact may be called at ``utc_datetime`` (aware): some window is open in every one of its zones.

	``number_or_tzs`` is the contact's E.164 number or its list of zone names (as stored on the contact).
	"""
	at = _utc(utc_datetime, "utc_datetime")
	if not windows:
		return False
	return all(open_in_zone(z, windows, at) for z in resolve_zones(number_or_tzs, default_tz))


def _next_open_in_zone(
	zone: str, windows: Sequence[CallWindow], at: dt.datetime, horizon_days: int
) -> dt.datetime | None:
	"""The first instant >= ``at`` (UTC) at which some window is open in ``zone``."""
	if open_in_zone(zone, windows, at):
		return at
	tz = ZoneInfo(zone)
	local_day = at.astimezone(tz).date()
	best: dt.datetime | None = None
	for offset in range(-1, horizon_days + 1):
		day = local_day + dt.timedelta(days=offset)
		for w in windows:
			if day.weekday() not in w.weekdays:
				continue
			# A start that falls in a DST gap resolves (fold=0) to the instant just after the gap.
			start = dt.datetime.combine(day, w.start, tzinfo=tz).astimezone(dt.timezone.utc)
			if start >= at and (best is None or start < best):
				best = start
		if best is not None and offset >= 1:
			break  # later days only start later
	return best


def next_open(
	number_or_tzs: str | Iterable[str],
	windows: Sequence[CallWindow],
	utc_datetime: dt.datetime,
	default_tz: str = "UTC",
	horizon_days: int = 14,
) -> dt.datetime | None:
	"""The first instant (UTC) at or after ``utc_datetime`` when the contact may be called, or None.

	None means no such instant within ``horizon_days`` (no windows, or zones whose windows never overlap).
	"""
	at = _utc(utc_datetime, "utc_datetime")
	if not windows:
		return None
	zones = resolve_zones(number_or_tzs, default_tz)
	limit = at + dt.timedelta(days=horizon_days)
	t = at
	while t <= limit:
		# The earliest instant open in every zone cannot come before any zone's own next opening:
		# jump to the latest of those and check again (a zone may have closed meanwhile).
		latest = t
		for z in zones:
			nxt = _next_open_in_zone(z, windows, t, horizon_days)
			if nxt is None:
				return None
			latest = max(latest, nxt)
		if latest == t:
			return t
		t = latest
	return None
