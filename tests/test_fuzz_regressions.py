"""Crashes benchmarks/fuzz_parsers.py found, kept as tests (each failed before its fix)."""

import json
from pathlib import Path

import pytest

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.protocol import MAX_FRAME, FrameParser
from callcenter_app.telephony.routing import serialize

ROUTES = json.loads((Path(__file__).parent / "data" / "routes_example.json").read_text())


def test_a_peer_that_never_ends_its_first_line_cannot_fill_memory():
	parser = FrameParser()
	for _ in range(3 * MAX_FRAME // 65536):
		assert parser.feed(b"x" * 65536) == []
		assert len(parser._buffer) <= MAX_FRAME + 65536
	assert parser.malformed >= 1
	# the stream goes on: frames after the garbage are read again
	assert parser.feed(b"\r\n\r\nEvent: FullyBooted\r\nStatus: Fully Booted\r\n\r\n") == [
		{"Event": "FullyBooted", "Status": "Fully Booted"}
	]


@pytest.mark.parametrize("value", [5, 1.5, True, ["Europe/Vilnius"], {"a": 1}])
def test_a_routes_file_with_a_time_zone_that_is_no_text_is_refused_by_name(value):
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps({**ROUTES, "timezone": value}))
	assert e.value.field == "timezone" and "as text" in e.value.reason


def test_a_time_condition_zone_that_is_no_text_is_refused_by_name():
	data = json.loads(json.dumps(ROUTES))
	data["time_conditions"][0]["timezone"] = ["Europe/Vilnius"]
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps(data))
	assert e.value.field.endswith(".timezone")


@pytest.mark.parametrize("check", [validators.host, validators.absolute_path, validators.timezone])
def test_validators_refuse_values_that_are_no_text(check):
	with pytest.raises(FieldError, match="as text"):
		check("field", 42)


@pytest.mark.parametrize("where", ["numbers", "holiday_lists.holidays", "time_conditions.blocks"])
def test_a_row_that_is_no_object_is_refused_by_name(where):
	data = json.loads(json.dumps(ROUTES))
	if where == "numbers":
		data["numbers"] = [5]
	elif where == "holiday_lists.holidays":
		data["holiday_lists"][0]["holidays"] = ["2026-12-24"]
	else:
		data["time_conditions"][0]["blocks"] = [["Monday", "08:00", "17:00"]]
	with pytest.raises(FieldError) as e:
		serialize.loads(json.dumps(data))
	assert "must be an object" in e.value.reason


def test_an_sms_webhook_body_that_is_no_utf8_is_refused_by_name():
	from callcenter_app.tickets.sms.adapters import GenericAdapter, WebhookRequest

	request = WebhookRequest(
		url="https://cc.example/sms", body=b'{"body": "\xb8"}', content_type="application/json"
	)
	with pytest.raises(FieldError) as e:
		GenericAdapter("t" * 24, "LT").inbound(request)
	assert e.value.field == "body" and "UTF-8" in e.value.reason


def test_a_form_field_without_values_reads_as_empty():
	from callcenter_app.tickets.sms.adapters import TwilioAdapter, WebhookRequest

	request = WebhookRequest(
		url="https://cc.example/sms",
		form={"MessageSid": [], "From": "+37061234567"},
		content_type="application/x-www-form-urlencoded",
	)
	with pytest.raises(FieldError) as e:
		TwilioAdapter("t" * 32, "", "LT").inbound(request)
	assert e.value.field == "MessageSid"


def test_a_camt_file_declaring_an_unknown_encoding_is_refused_by_name():
	from callcenter_app.credit.statements import StatementError, parse_camt053

	with pytest.raises(StatementError) as e:
		parse_camt053(b'<?xml version="1.0" encoding="UTF-899"?><Document/>')
	assert e.value.where == "XML declaration" and "unknown encoding" in e.value.reason


@pytest.mark.parametrize(
	"event",
	[
		[],
		{"id": "evt_1", "type": "checkout.session.completed", "data": []},
		{"id": "evt_1", "type": {"a": 1}, "data": {"object": 5}},
		{
			"id": {"x": 1},
			"type": "checkout.session.completed",
			"data": {"object": {"object": "checkout.session", "metadata": [1]}},
		},
	],
)
def test_a_verified_stripe_event_of_another_shape_reads_as_absent_fields(event):
	from callcenter_app.credit.gateways import IGNORED, PAID
	from callcenter_app.credit.gateways.stripe_checkout import payment_from_event

	payment = payment_from_event(event)
	assert payment.outcome in (IGNORED, PAID) and payment.top_up is None


def test_a_paypal_event_of_another_shape_or_a_huge_amount_reads_as_absent_fields():
	from callcenter_app.credit.gateways import paypal

	def exponent_of(currency):
		return 2 if currency == "EUR" else None

	approved = {
		"id": "WH-1",
		"event_type": "CHECKOUT.ORDER.APPROVED",
		"resource": {"purchase_units": {"a": 1}},
	}
	assert paypal.payment_from_event(approved, exponent_of).top_up is None
	huge = {
		"id": "WH-2",
		"event_type": "PAYMENT.CAPTURE.COMPLETED",
		"resource": {"status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "1E+999999999"}},
	}
	assert paypal.payment_from_event(huge, exponent_of).amount_minor is None
	assert paypal.minor_from_value({"value": 1}, 2) is None and paypal.minor_from_value("12.34", 2) == 1234
