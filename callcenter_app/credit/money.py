"""Money as integers of a currency's minor unit (ISO 4217).

Every amount the ledger stores is an ``int`` of minor units (cents, fils, yen): no float ever touches money.
``to_minor`` accepts text or :class:`~decimal.Decimal` (an ``int`` is whole major units) and refuses what it
cannot represent exactly: an unknown currency, more decimals than the currency has, a negative amount where
none is allowed, text that is no number. The error is a :class:`FieldError` naming the field and the reason.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from callcenter_app.common.errors import FieldError

# ISO 4217 active codes (list one, 2024 amendments) → minor-unit exponent. Funds codes included where they
# have a minor unit; precious metals and testing codes (XAU, XTS …) have none and are left out.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD "
	"CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
	"GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA "
	"MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
	"RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
	"TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCIES: dict[str, int] = {
	code: exp
	for exp, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
	for code in codes.split()
}


def exponent(currency: str, *, field: str = "currency") -> int:
	"""The number of decimals of ``currency``'s minor unit (EUR 2, JPY 0, KWD 3)."""
	if not isinstance(currency, str) or currency.strip().upper() not in CURRENCIES:
		raise FieldError(field, f"{currency!r} is no ISO 4217 currency code this app knows")
	return CURRENCIES[currency.strip().upper()]


def normalize_currency(currency: str, *, field: str = "currency") -> str:
	exponent(currency, field=field)
	return currency.strip().upper()


def to_decimal(amount: str | Decimal | int, *, field: str = "amount") -> Decimal:
	"""``amount`` as a finite Decimal; floats are refused (they cannot say which amount they mean)."""
	if isinstance(amount, bool) or isinstance(amount, float):
		raise FieldError(field, f"{amount!r} is a {type(amount).__name__}: give money as text or Decimal")
	if isinstance(amount, int):
		return Decimal(amount)
	if isinstance(amount, Decimal):
		value = amount
	elif isinstance(amount, str):
		text = amount.strip()
		if not text or text[0] not in "+-0123456789." or any(c in text for c in "eE_ \t"):
			raise FieldError(field, f"{amount!r} is no amount (digits, one '.' for the decimals)")
		try:
			value = Decimal(text)
		except InvalidOperation:
			raise FieldError(field, f"{amount!r} is no amount (digits, one '.' for the decimals)")
	else:
		raise FieldError(field, f"{amount!r} is no amount")
	if not value.is_finite():
		raise FieldError(field, f"{amount!r} is not a finite amount")
	return value


def to_minor(
	amount: str | Decimal | int, currency: str, *, field: str = "amount", allow_negative: bool = False
) -> int:
	"""``"12.50", "EUR"`` → ``1250``. Exact or refused: never rounds."""
	exp = exponent(currency)
	value = to_decimal(amount, field=field)
	if value < 0 and not allow_negative:
		raise FieldError(field, f"{amount} is negative; this amount must be 0 or more")
	scaled = value.scaleb(exp)
	if scaled != scaled.to_integral_value():
		raise FieldError(
			field,
			f"{amount} has more decimals than {normalize_currency(currency)} has ({exp})",
		)
	return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
	"""``1250, "EUR"`` → ``Decimal("12.50")`` (with exactly the currency's decimals)."""
	if isinstance(minor, bool) or not isinstance(minor, int):
		raise FieldError("amount_minor", f"{minor!r} is not a whole number of minor units")
	exp = exponent(currency)
	return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def format_minor(minor: int, currency: str) -> str:
	"""``1250, "EUR"`` → ``"12.50 EUR"``."""
	return f"{from_minor(minor, currency)} {normalize_currency(currency)}"
