"""Reading a verified gateway event whose shape may differ from the documented one (pure)."""

from __future__ import annotations


def obj(value) -> dict:
	"""``value`` when it is a JSON object, else an empty one: a verified event of an unexpected shape (a
	newer API version, a field that became a list) reads as "nothing there", never as a crash the gateway
	would answer by delivering the same event again and again."""
	return value if isinstance(value, dict) else {}


def text(value) -> str | None:
	"""``value`` when it is a non-empty string (an id, a status, a currency), else None."""
	return value if isinstance(value, str) and value else None


def first(value) -> dict:
	"""The first element of a JSON array when it is an object (PayPal's purchase_units, captures)."""
	return obj(value[0]) if isinstance(value, list) and value else {}
