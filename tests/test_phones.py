import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import caller_key, normalize, region_of, stored_key, try_normalize


@pytest.mark.parametrize(
	"raw, region, expected",
	[
		("+370 600 12345", None, "+37060012345"),
		("860012345", "LT", "+37060012345"),
		("0037060012345", None, "+37060012345"),
		("(202) 555-0143", "US", "+12025550143"),
		("+44 20 7946 0958", "LT", "+442079460958"),
		("1001", None, "1001"),  # a PBX extension stays as it is
	],
)
def test_normalize(raw, region, expected):
	assert normalize(raw, region) == expected


@pytest.mark.parametrize(
	"raw, region, reason",
	[
		("", "LT", "is empty"),
		("hello", "LT", "not a phone number"),
		("860012345", None, "unknown country code"),
		("+3706001234567890", None, "too long"),
		("+37012", None, "too short"),
	],
)
def test_bad_numbers_say_why(raw, region, reason):
	with pytest.raises(FieldError) as e:
		normalize(raw, region, field="phone")
	assert e.value.field == "phone"
	assert reason in e.value.reason


def test_try_normalize_and_region():
	assert try_normalize("garbage") is None
	assert region_of("+37060012345") == "LT"
	assert region_of("1001") is None


@given(st.sampled_from(["LT", "US", "GB", "DE", "PL", "LV"]), st.integers(0, 10**6))
def test_normalize_is_idempotent_on_example_numbers(region, salt):
	example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
	e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
	national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
	assert normalize(national, region) == e164
	assert normalize(e164) == e164
	assert normalize(normalize(e164)) == e164
	assert region_of(e164) == region


@pytest.mark.parametrize(
	"stored, region, key",
	[
		("+370 600 12345", "LT", "+37060012345"),
		("8 600 12345", "LT", "+37060012345"),  # national format, read in the site's country
		("8 (600) 12-345", "LT", "+37060012345"),
		("8 600 12345", None, None),  # no country set: a national number cannot be normalised
		("call me maybe", "LT", None),  # never raises: the Contact is still saved
		("", "LT", None),
		("1001", "LT", "1001"),
	],
)
def test_stored_key(stored, region, key):
	assert stored_key(stored, region) == key


@pytest.mark.parametrize(
	"number, region, key",
	[
		("+37060012345", "LT", ("+37060012345", True)),
		("860012345", "LT", ("+37060012345", True)),
		("860012345", None, ("860012345", False)),  # not normalisable: matched by its exact text
		("1001", "LT", None),  # an extension is nobody's contact
		("anonymous", "LT", None),
		("", "LT", None),
		("12345", "LT", ("12345", True)),
	],
)
def test_caller_key(number, region, key):
	assert caller_key(number, region) == key


@given(st.sampled_from(["LT", "US", "GB", "DE", "PL", "LV"]))
def test_a_number_stored_any_way_has_the_key_the_caller_is_looked_up_by(region):
	example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
	e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
	for form in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
		stored = phonenumbers.format_number(example, form)
		assert caller_key(e164, region) == (stored_key(stored, region), True)
