"""credit/rating.py: longest-prefix rates, billing increments, rounding, free and unrated calls.

Every expected amount below is computed by hand in the comment beside it."""

from decimal import Decimal

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.credit.rating import Call, Charge, NoRate, make_plan, parse_increment, rate

ROWS = [("49", "0.0123", "Germany"), ("4915", "0.19", "DE mobile"), ("491", "0.05"), ("1", "0.01", "NANP")]


def plan(increment, **kw):
	return make_plan("EUR", increment, ROWS, **kw)


@pytest.mark.parametrize(
	("increment", "seconds", "billed"),
	[
		("1/1", 1, 1),
		("1/1", 61, 61),
		("60/60", 1, 60),
		("60/60", 60, 60),
		("60/60", 61, 120),
		("60/60", 121, 180),
		("30/6", 1, 30),
		("30/6", 30, 30),
		("30/6", 31, 36),
		("30/6", 36, 36),
		("30/6", 37, 42),
		("30/6", 61, 66),
	],
)
def test_increments(increment, seconds, billed):
	assert parse_increment(increment).billed_seconds(seconds) == billed
	charge = rate(Call("+4930123456", True, seconds), plan(increment))
	assert charge.billed_seconds == billed


@pytest.mark.parametrize(
	("increment", "number", "seconds", "amount", "prefix"),
	[
		# 1/1, 0.19 €/min, 61 s: 19 c × 61/60 = 19.316… → 20 c (rounded up once per call)
		("1/1", "+4915112345", 61, 20, "4915"),
		# 1/1, 0.0123 €/min, 1 s: 1.23 c / 60 = 0.0205 c → 1 c
		("1/1", "+4930123", 1, 1, "49"),
		# 1/1, 0.0123 €/min, 600 s: 1.23 c × 10 = 12.3 → 13 c
		("1/1", "+4930123", 600, 13, "49"),
		# 60/60, 0.19 €/min, 61 s → 120 s: 38 c exactly
		("60/60", "+4915112345", 61, 38, "4915"),
		# 60/60, 0.05 €/min (prefix 491, not 49), 59 s → 60 s: 5 c
		("60/60", "+4916012345", 59, 5, "491"),
		# 30/6, 0.19 €/min, 37 s → 42 s: 19 × 42/60 = 13.3 → 14 c
		("30/6", "+4915112345", 37, 14, "4915"),
		# 30/6, 0.01 $/min NANP rate in EUR plan, 5 s → 30 s: 0.5 c → 1 c
		("30/6", "+12125550100", 5, 1, "1"),
		# 30/6, 0.19 €/min, 3600 s → 3600 s: 19 × 60 = 1140 c
		("30/6", "+4915112345", 3600, 1140, "4915"),
	],
)
def test_hand_computed_amounts(increment, number, seconds, amount, prefix):
	charge = rate(Call(number, True, seconds), plan(increment))
	assert isinstance(charge, Charge)
	assert (charge.amount_minor, charge.prefix, charge.currency) == (amount, prefix, "EUR")


def test_connection_fee_and_minimum_charge():
	p = plan("30/6", connection_fee="0.02", minimum_charge="0.05")
	# 0.19 €/min, 61 s → 66 s: 19 × 66/60 = 20.9 → 21 c + 2 c fee = 23 c (above the 5 c minimum)
	assert rate(Call("+4915112345", True, 61), p).amount_minor == 23
	# 0.0123 €/min, 61 s → 66 s: 1.353 → 2 c + 2 c fee = 4 c, raised to the 5 c minimum (fee included)
	assert rate(Call("+4930123", True, 61), p).amount_minor == 5


def test_rate_with_more_precision_than_the_currency():
	p = make_plan("JPY", "1/1", [("81", "2.345")])
	# 2.345 ¥/min × 100 s / 60 = 3.908… → 4 ¥
	assert rate(Call("+81312345678", True, 100), p).amount_minor == 4
	k = make_plan("KWD", "60/60", [("965", "0.0125")])
	# 0.0125 KWD/min × 2 min = 0.025 KWD = 25 fils
	assert rate(Call("+96522345678", True, 61), k).amount_minor == 25


def test_unanswered_and_zero_second_calls_are_free_even_with_fees():
	p = plan("60/60", connection_fee="0.10", minimum_charge="0.50")
	for call in (Call("+4915112345", False, 0), Call("+4915112345", False, 30), Call("+4915112345", True, 0)):
		assert rate(call, p) == Charge(0, 0, None, None, "EUR")
	# an unanswered call needs no rate
	assert rate(Call("+33123456789", False, 0), p).amount_minor == 0


def test_no_rate_is_reported_not_free():
	p = plan("60/60")
	result = rate(Call("+33123456789", True, 10), p)
	assert isinstance(result, NoRate) and "no rate" in result.reason
	for bad in ("", "anonymous", "0301234567", "+49 30 1234", "+4930١٢٣"):
		result = rate(Call(bad, True, 10), p)
		assert isinstance(result, NoRate) and "E.164" in result.reason, bad


def test_longest_prefix_wins_whatever_the_row_order():
	a = make_plan("EUR", "1/1", [("4915", "0.60"), ("49", "0.60"), ("491", "0.60"), ("4", "0.60")])
	for number, prefix in (("+4915", "4915"), ("+4916", "491"), ("+4930", "49"), ("+44", "4")):
		assert rate(Call(number, True, 60), a).prefix == prefix


@pytest.mark.parametrize(
	("kwargs", "field", "reason"),
	[
		({"increment": "60"}, "billing_increment", "no increment"),
		({"increment": "0/6"}, "billing_increment", "1 to 3600"),
		({"increment": "60/x"}, "billing_increment", "no increment"),
		({"rows": [("49a", "1")]}, "prefix", "row 1"),
		({"rows": [("49", "1"), ("+49", "2")]}, "prefix", "listed twice"),
		({"rows": [("49", "-1")]}, "rate_per_minute", "negative"),
		({"rows": [("49", "1,5")]}, "rate_per_minute", "no amount"),
		({"connection_fee": "0.001"}, "connection_fee", "more decimals"),
		({"minimum_charge": "-1"}, "minimum_charge", "negative"),
		({"currency": "XXX"}, "currency", "ISO 4217"),
	],
)
def test_bad_plans(kwargs, field, reason):
	args = {"currency": "EUR", "increment": "60/60", "rows": ROWS} | kwargs
	currency, increment, rows = args.pop("currency"), args.pop("increment"), args.pop("rows")
	with pytest.raises(FieldError) as e:
		make_plan(currency, increment, rows, **args)
	assert e.value.field == field and reason in e.value.reason


def test_bad_duration():
	with pytest.raises(FieldError, match="billable_s"):
		rate(Call("+4930", True, -1), plan("1/1"))


def test_charge_carries_the_rate():
	assert rate(Call("+4915112345", True, 1), plan("1/1")).rate == Decimal("0.19")
