"""Phone numbers: one normal form (E.164) for every number the product stores or compares."""

from __future__ import annotations

import phonenumbers

from callcenter_app.common.errors import FieldError


def normalize(number: str, default_region: str | None = None, field: str = "number") -> str:
	"""Return ``number`` in E.164 (``+37060012345``) or raise FieldError saying why it is not a number.

	Numbers without a leading ``+`` are read in ``default_region`` (an ISO country code such as ``LT``).
	Short internal extensions (up to 6 digits) are returned as they are: PBX extensions are numbers too.
	"""
	text = (number or "").strip()
	if not text:
		raise FieldError(field, "is empty")
	digits = text.lstrip("+")
	if digits.isdigit() and len(digits) <= 6 and not text.startswith("+"):
		return digits
	if text.startswith("00"):
		text = "+" + text[2:]
	try:
		parsed = phonenumbers.parse(text, None if text.startswith("+") else (default_region or None))
	except phonenumbers.NumberParseException as e:
		raise FieldError(field, f"{number!r} is not a phone number ({_reason(e)})") from None
	possible = phonenumbers.is_possible_number_with_reason(parsed)
	if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
		length = {
			phonenumbers.ValidationResult.TOO_LONG: "too long",
			phonenumbers.ValidationResult.TOO_SHORT: "too short",
		}.get(possible, "the wrong length")
		raise FieldError(field, f"{number!r} is {length} for its country")
	if not phonenumbers.is_valid_number(parsed):
		raise FieldError(field, f"{number!r} is not a valid number for its country")
	return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_normalize(number: str, default_region: str | None = None) -> str | None:
	"""Like normalize, but returns None instead of raising (for matching, never for storing)."""
	try:
		return normalize(number, default_region)
	except FieldError:
		return None


# A caller is looked up only by a number with at least this many digits: shorter ones are internal extensions
# or withheld/garbage caller IDs, never a customer's phone.
MIN_CALLER_DIGITS = 5


def stored_key(phone: str, default_region: str | None = None) -> str | None:
	"""What a Contact Phone row stores in ``cc_e164``: its number in E.164, or None (empty) when it cannot be
	normalised (a Contact with an odd number is still saved; the row is then only found by its exact text)."""
	return try_normalize(phone, default_region)


def caller_key(number: str, default_region: str | None = None) -> tuple[str, bool] | None:
	"""How to look a caller's Contact up: ``(e164, True)`` to match Contact Phone ``cc_e164``,
	``(number, False)`` to match the stored text exactly when the number cannot be normalised, or None when
	it has fewer than MIN_CALLER_DIGITS digits (an extension, "anonymous")."""
	target = try_normalize(number, default_region)
	text = target or (number or "").strip()
	if sum(c.isdigit() for c in text) < MIN_CALLER_DIGITS:
		return None
	return (target, True) if target else (number, False)


def region_of(e164: str) -> str | None:
	"""The ISO country code a normalised number belongs to, or None for extensions and unknowns."""
	if not e164.startswith("+"):
		return None
	try:
		return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
	except phonenumbers.NumberParseException:
		return None


def _reason(error: phonenumbers.NumberParseException) -> str:
	return {
		phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code; start with + and the country code",
		phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
		phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
		phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
		phonenumbers.NumberParseException.TOO_LONG: "too long",
	}.get(error.error_type, str(error))
