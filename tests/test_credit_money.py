"""credit/money.py: amounts ↔ integer minor units, exact or refused with the field and the reason."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.credit import money


@pytest.mark.parametrize(
	("amount", "currency", "minor"),
	[
		("12.50", "EUR", 1250),
		("12.5", "eur", 1250),
		("0.01", "USD", 1),
		("12.500", "EUR", 1250),  # trailing zeros are no extra precision
		("100", "JPY", 100),
		("1.234", "KWD", 1234),
		("0.005", "BHD", 5),
		("1.0001", "CLF", 10001),
		(Decimal("3.10"), "GBP", 310),
		(7, "EUR", 700),
		("0", "EUR", 0),
	],
)
def test_to_minor(amount, currency, minor):
	assert money.to_minor(amount, currency) == minor


def test_table_has_the_odd_exponents():
	assert money.CURRENCIES["JPY"] == 0 and money.CURRENCIES["ISK"] == 0 and money.CURRENCIES["KRW"] == 0
	assert money.CURRENCIES["KWD"] == 3 and money.CURRENCIES["TND"] == 3 and money.CURRENCIES["OMR"] == 3
	assert money.CURRENCIES["EUR"] == 2 and money.CURRENCIES["CLF"] == 4
	assert all(len(c) == 3 and c.isupper() for c in money.CURRENCIES)


@pytest.mark.parametrize(
	("amount", "currency", "field", "reason"),
	[
		("1.5", "JPY", "amount", "more decimals than JPY has (0)"),
		("1.001", "EUR", "amount", "more decimals than EUR has (2)"),
		("1.0001", "KWD", "amount", "more decimals than KWD has (3)"),
		("-1", "EUR", "amount", "negative"),
		("1", "ZZZ", "currency", "no ISO 4217 currency"),
		("1", "", "currency", "no ISO 4217 currency"),
		("abc", "EUR", "amount", "no amount"),
		("1e3", "EUR", "amount", "no amount"),
		("1,50", "EUR", "amount", "no amount"),
		("", "EUR", "amount", "no amount"),
		("NaN", "EUR", "amount", "no amount"),
		(1.5, "EUR", "amount", "float"),
		(None, "EUR", "amount", "no amount"),
	],
)
def test_to_minor_refuses(amount, currency, field, reason):
	with pytest.raises(FieldError) as e:
		money.to_minor(amount, currency)
	assert e.value.field == field and reason in e.value.reason


def test_field_name_is_the_callers():
	with pytest.raises(FieldError) as e:
		money.to_minor("1.001", "EUR", field="minimum_charge")
	assert e.value.field == "minimum_charge"
	assert isinstance(e.value, ValueError)


def test_negative_when_allowed():
	assert money.to_minor("-2.05", "EUR", allow_negative=True) == -205


def test_from_minor_and_format():
	assert money.from_minor(1250, "EUR") == Decimal("12.50") and str(money.from_minor(1250, "EUR")) == "12.50"
	assert str(money.from_minor(5, "JPY")) == "5"
	assert str(money.from_minor(-1234, "KWD")) == "-1.234"
	assert money.format_minor(1, "CLF") == "0.0001 CLF"
	with pytest.raises(FieldError):
		money.from_minor(1.0, "EUR")


@given(st.integers(-(10**15), 10**15), st.sampled_from(sorted(money.CURRENCIES)))
def test_round_trip(minor, currency):
	assert money.to_minor(money.from_minor(minor, currency), currency, allow_negative=True) == minor
	assert money.to_minor(str(money.from_minor(minor, currency)), currency, allow_negative=True) == minor
