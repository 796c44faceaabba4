"""Travel times between points: a great-circle estimate, or a road router (OSRM) over HTTP.

A travel function is any callable ``(a: Point, b: Point, profile: TravelProfile) -> minutes``; the scheduler
takes one as its ``travel`` argument. ``travel_minutes`` is the default; ``OsrmTravel`` asks an OSRM server.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import Point, haversine_km

log = logging.getLogger(__name__)

TravelFn = Callable[[Point, Point, "TravelProfile"], float]


@dataclass(frozen=True)
class TravelProfile:
	"""How an agent travels: average speed (km/h), road distance ÷ straight distance, and the minutes kept
	free between the end of one appointment's travel and the next appointment (parking, walking in)."""

	speed_kmh: float = 40.0
	road_factor: float = 1.3
	buffer_minutes: int = 10

	def __post_init__(self):
		for field, value, low in (("speed_kmh", self.speed_kmh, 0.0), ("road_factor", self.road_factor, 1.0)):
			if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
				raise FieldError(field, f"must be a finite number, not {value!r}")
			if field == "speed_kmh" and not 0 < value <= 300:
				raise FieldError(field, f"must be more than 0 and at most 300 km/h, not {value!r}")
			if field == "road_factor" and not low <= value <= 5:
				raise FieldError(field, f"must be from 1 to 5, not {value!r}")
		b = self.buffer_minutes
		if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b <= 24 * 60:
			raise FieldError("buffer_minutes", f"must be a whole number of minutes from 0 to 1440, not {b!r}")


def travel_minutes(a: Point, b: Point, profile: TravelProfile) -> float:
	"""Great-circle distance × road factor ÷ speed, in minutes."""
	return haversine_km(a, b) * profile.road_factor / profile.speed_kmh * 60.0


class TravelUnavailable(Exception):
	"""The router could not answer (down, timed out, an error, no route) and there is no fallback."""


class OsrmTravel:
	"""Driving times from an OSRM server (``osrm-routed``'s HTTP API v1), in minutes.

	``OsrmTravel("http://osrm.example:5000")(a, b, profile)`` asks ``GET /route/v1/driving/{lon},{lat};{lon},{lat}
	?overview=false`` and returns ``routes[0].duration / 60``: OSRM's own speeds, so the profile's speed and
	road factor are not applied (its buffer still is, by the scheduler). ``matrix(points)`` asks ``/table/v1/
	driving`` once for all pairs and fills the cache, so a day's check() calls need no request each.

	Answers are cached per (a, b) (coordinates rounded to 1e-5°, about a metre; ``cache_size`` entries, least
	recently used dropped). When OSRM cannot answer (connection refused, timeout, HTTP error, ``code`` not
	``Ok``, no route) the call falls back to ``fallback`` — by default the great-circle estimate
	``travel_minutes`` — and logs a warning, so booking goes on with the estimate while the router is down;
	``fallback=None`` raises ``TravelUnavailable`` instead. ``failures`` counts the fallbacks.
	"""

	def __init__(
		self,
		base_url: str,
		timeout: float = 5.0,
		fallback: TravelFn | None = travel_minutes,
		profile_name: str = "driving",
		cache_size: int = 100_000,
	):
		url = (base_url or "").strip().rstrip("/")
		if not url.startswith(("http://", "https://")):
			raise FieldError("base_url", f"must start with http:// or https://, not {base_url!r}")
		if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
			raise FieldError("timeout", f"must be more than 0 and at most 120 seconds, not {timeout!r}")
		self.base_url = url
		self.timeout = float(timeout)
		self.fallback = fallback
		self.profile_name = profile_name
		self.cache_size = cache_size
		self._cache: OrderedDict[tuple, float] = OrderedDict()
		self.failures = 0
		self.requests = 0

	@staticmethod
	def _key(p: Point) -> tuple[float, float]:
		return (round(p.lon, 5), round(p.lat, 5))

	def _remember(self, key, minutes: float) -> None:
		self._cache[key] = minutes
		self._cache.move_to_end(key)
		while len(self._cache) > self.cache_size:
			self._cache.popitem(last=False)

	def _get(self, path: str) -> dict:
		self.requests += 1
		request = urllib.request.Request(f"{self.base_url}{path}", headers={"Accept": "application/json"})
		try:
			with urllib.request.urlopen(request, timeout=self.timeout) as response:
				body = json.loads(response.read())
		except urllib.error.HTTPError as e:
			try:
				body = json.loads(e.read())
			except ValueError:
				raise TravelUnavailable(f"OSRM answered HTTP {e.code}") from None
		except (OSError, ValueError) as e:
			raise TravelUnavailable(f"OSRM did not answer: {e}") from None
		if not isinstance(body, dict) or body.get("code") != "Ok":
			code = body.get("code") if isinstance(body, dict) else None
			message = body.get("message") if isinstance(body, dict) else None
			raise TravelUnavailable(f"OSRM answered {code}: {message or 'no route'}")
		return body

	@staticmethod
	def _coords(points: Sequence[Point]) -> str:
		return ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)

	def __call__(self, a: Point, b: Point, profile: TravelProfile) -> float:
		key = (self._key(a), self._key(b))
		if key in self._cache:
			self._cache.move_to_end(key)
			return self._cache[key]
		if key[0] == key[1]:
			return 0.0
		try:
			body = self._get(f"/route/v1/{self.profile_name}/{self._coords((a, b))}?overview=false")
			routes = body.get("routes") or []
			duration = routes[0].get("duration") if routes else None
			if not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration < 0:
				raise TravelUnavailable("OSRM answered no route duration")
		except TravelUnavailable as e:
			return self._fall_back(a, b, profile, e)
		minutes = duration / 60.0
		self._remember(key, minutes)
		return minutes

	def _fall_back(self, a, b, profile, error) -> float:
		self.failures += 1
		if self.fallback is None:
			raise error
		log.warning("OSRM travel time unavailable (%s); using the estimate", error)
		return self.fallback(a, b, profile)

	def matrix(self, points: Sequence[Point]) -> list[list[float | None]]:
		"""All pairs' minutes via ``/table`` in one request (None where OSRM has no route); fills the cache.
		Raises ``TravelUnavailable`` when OSRM does not answer (no fallback: the caller can go pair by pair)."""
		if not points:
			return []
		body = self._get(f"/table/v1/{self.profile_name}/{self._coords(points)}?annotations=duration")
		durations = body.get("durations")
		if not isinstance(durations, list) or len(durations) != len(points):
			raise TravelUnavailable("OSRM answered a table of the wrong size")
		out: list[list[float | None]] = []
		for i, row in enumerate(durations):
			if not isinstance(row, list) or len(row) != len(points):
				raise TravelUnavailable("OSRM answered a table of the wrong size")
			minutes_row: list[float | None] = []
			for j, d in enumerate(row):
				if isinstance(d, (int, float)) and math.isfinite(d) and d >= 0:
					minutes_row.append(d / 60.0)
					self._remember((self._key(points[i]), self._key(points[j])), d / 60.0)
				else:
					minutes_row.append(None)
			out.append(minutes_row)
		return out
