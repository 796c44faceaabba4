"""Addresses → points through a Nominatim server (geopy's Nominatim client), cached and rate limited.

``Geocoder(url, user_agent)`` talks to the Nominatim at ``url`` (scheme, host[:port] and path prefix are
taken from it, e.g. ``https://nominatim.openstreetmap.org`` or ``http://127.0.0.1:8080/nominatim``). The
public server's usage policy asks for at most one request per second and a user agent naming the
application: ``min_interval_s`` (1.0 by default) spaces requests out, sleeping as needed (``clock`` and
``sleep`` are injectable for tests), and an empty user agent is refused.

Answers are cached by the normalised address (``normalise_address``) in ``cache`` — any MutableMapping (a
dict, or a Frappe cache adapter); addresses the server does not know are cached too (as ``NOT_FOUND``) so a
bad address is not asked for again. Errors of the server (down, HTTP 5xx, timeouts, rate limits) raise
``GeocoderUnavailable`` and are not cached; an unknown address raises ``AddressNotFound``.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import MutableMapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from callcenter_app.common.errors import FieldError
from callcenter_app.geo.points import Point

NOT_FOUND = "not-found"  # the cache's marker for an address the server does not know


class GeocoderUnavailable(Exception):
	"""The geocoding server could not answer (down, an HTTP error, a timeout, a rate limit)."""


class AddressNotFound(Exception):
	"""The server answered, and it knows no place with this address."""


@dataclass(frozen=True)
class GeocodeResult:
	point: Point
	display_name: str


def normalise_address(text: str) -> str:
	"""The cache key of an address: Unicode NFKC, case-folded, one line, single spaces, ", " between parts.

	>>> normalise_address("  10  Downing St.\\nLONDON ,SW1A 2AA ")
	'10 downing st., london, sw1a 2aa'
	"""
	if not isinstance(text, str):
		raise FieldError("address", f"must be text, not {type(text).__name__}")
	s = unicodedata.normalize("NFKC", text).casefold()
	s = re.sub(r"[\r\n;]+", ",", s)
	s = re.sub(r"\s+", " ", s)
	s = re.sub(r"\s*,[\s,]*", ", ", s)
	return s.strip(" ,")


class Geocoder:
	def __init__(
		self,
		url: str,
		user_agent: str,
		min_interval_s: float = 1.0,
		timeout: float = 5.0,
		cache: MutableMapping | None = None,
		clock=time.monotonic,
		sleep=time.sleep,
	):
		from geopy.geocoders import Nominatim

		parts = urlsplit((url or "").strip())
		if parts.scheme not in ("http", "https") or not parts.netloc:
			raise FieldError(
				"url", f"must be an http:// or https:// address of a Nominatim server, not {url!r}"
			)
		if not isinstance(user_agent, str) or not user_agent.strip():
			raise FieldError(
				"user_agent", "is required: the server's usage policy asks for the application's name"
			)
		if (
			isinstance(min_interval_s, bool)
			or not isinstance(min_interval_s, (int, float))
			or not min_interval_s >= 0
		):
			raise FieldError("min_interval_s", f"must be 0 seconds or more, not {min_interval_s!r}")
		if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
			raise FieldError("timeout", f"must be more than 0 and at most 120 seconds, not {timeout!r}")
		self.min_interval_s = float(min_interval_s)
		self.cache = {} if cache is None else cache
		self.clock = clock
		self.sleep = sleep
		self.requests = 0
		self._last: float | None = None
		self._lock = threading.Lock()
		self._client = Nominatim(
			user_agent=user_agent.strip(),
			domain=(parts.netloc + parts.path).rstrip("/"),
			scheme=parts.scheme,
			timeout=float(timeout),
			proxies={},
		)

	def _wait_turn(self) -> None:
		if self._last is not None:
			wait = self._last + self.min_interval_s - self.clock()
			if wait > 0:
				self.sleep(wait)
		self._last = self.clock()

	@staticmethod
	def _cached(value) -> GeocodeResult | str | None:
		if isinstance(value, GeocodeResult) or value == NOT_FOUND:
			return value
		if isinstance(value, dict) and {"lat", "lon"} <= value.keys():  # a cache that stores JSON
			return GeocodeResult(Point(value["lat"], value["lon"]), value.get("display_name") or "")
		return None

	def geocode(self, address: str) -> GeocodeResult:
		from geopy.exc import ConfigurationError, GeopyError

		key = normalise_address(address)
		if not key:
			raise FieldError("address", "is empty")
		hit = self._cached(self.cache.get(key))
		if hit == NOT_FOUND:
			raise AddressNotFound(f"no place found for {address.strip()!r}")
		if hit is not None:
			return hit
		with self._lock:
			self._wait_turn()
			self.requests += 1
			try:
				location = self._client.geocode(key, exactly_one=True)
			except ConfigurationError:
				raise
			except GeopyError as e:
				raise GeocoderUnavailable(f"the geocoder did not answer: {e}") from e
			finally:
				self._last = self.clock()
		if location is None:
			self.cache[key] = NOT_FOUND
			raise AddressNotFound(f"no place found for {address.strip()!r}")
		try:
			result = GeocodeResult(Point(location.latitude, location.longitude), location.address or "")
		except ValueError as e:
			raise GeocoderUnavailable(f"the geocoder answered a position that is not one: {e}") from None
		self.cache[key] = result
		return result
