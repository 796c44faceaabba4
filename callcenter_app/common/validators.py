"""Validators for configuration values. Each returns the cleaned value or raises FieldError."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from zoneinfo import available_timezones

from callcenter_app.common.errors import FieldError

_HOSTNAME = re.compile(
	r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _text(field: str, value, what: str) -> str:
	"""A text value stripped; anything but text (a number, a list from a JSON file) is refused by name."""
	if value is None:
		return ""
	if not isinstance(value, str):
		raise FieldError(field, f"must be {what} as text, not {type(value).__name__} {str(value)[:40]!r}")
	return value.strip()


def port(field: str, value) -> int:
	"""A TCP port: a whole number from 1 to 65535."""
	try:
		number = int(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a whole number from 1 to 65535, not {value!r}") from None
	if isinstance(value, float) and value != number:
		raise FieldError(field, f"must be a whole number from 1 to 65535, not {value!r}")
	if not 1 <= number <= 65535:
		raise FieldError(field, f"must be from 1 to 65535, not {number}")
	return number


def host(field: str, value: str) -> str:
	"""A host name or an IPv4/IPv6 address (no scheme, no port, no spaces)."""
	text = _text(field, value, "a host name or an IP address")
	if not text:
		raise FieldError(field, "is required")
	try:
		return str(ipaddress.ip_address(text.strip("[]")))
	except ValueError:
		pass
	if not _HOSTNAME.match(text):
		raise FieldError(field, f"must be a host name or an IP address, not {value!r}")
	return text


def bind_address(field: str, value: str) -> str:
	"""An address to listen on: an IP address (0.0.0.0 or :: for all interfaces) or a host name."""
	return host(field, value)


def absolute_path(field: str, value: str) -> str:
	text = _text(field, value, "an absolute path")
	if not text.startswith("/"):
		raise FieldError(field, f"must be an absolute path starting with '/', not {value!r}")
	if "\0" in text or "/../" in f"{text}/":
		raise FieldError(field, "must not contain '..' or NUL characters")
	return text.rstrip("/") or "/"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
	return frozenset(available_timezones())


def known_timezones() -> list[str]:
	return sorted(_zones())


def timezone(field: str, value: str) -> str:
	text = _text(field, value, "an IANA time zone")
	if text not in _zones():
		raise FieldError(field, f"{value!r} is not a known IANA time zone (for example Europe/Vilnius)")
	return text


def non_negative_seconds(field: str, value) -> int:
	try:
		number = int(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a whole number of seconds, not {value!r}") from None
	if number < 0:
		raise FieldError(field, f"must not be negative, not {number}")
	return number


def fraction(field: str, value) -> float:
	"""A number from 0 to 1 inclusive."""
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a number from 0 to 1, not {value!r}") from None
	if not 0.0 <= number <= 1.0:
		raise FieldError(field, f"must be from 0 to 1, not {number:g}")
	return number


TENANT_PREFIX = re.compile(r"[a-z][a-z0-9]{0,11}")


def tenant_prefix(field: str, value) -> str:
	"""'' (a site alone on its PBX) or 1-12 lowercase letters and digits starting with a letter: the
	separator ``-`` is added by the app, so no prefix is the beginning of another's names (``ta`` and
	``tab`` never meet: ``ta-…`` and ``tab-…``). Unique per PBX is the administrator's job."""
	value = value or ""
	if value and not TENANT_PREFIX.fullmatch(value):
		raise FieldError(
			field,
			f"{value!r} must be 1 to 12 lowercase letters or digits, starting with a letter "
			"(no '-': the app adds it)",
		)
	return value
