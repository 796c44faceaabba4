"""The SMS provider adapters (tickets/sms): authentication, parsing, status mapping and its monotonic order.

Twilio's signature is checked against the values published with Twilio's own request validator
(twilio-python, tests/unit/test_request_validator.py): auth token 12345, the URL and parameters below.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.sms.adapters import (
	FINAL_STATUSES,
	GENERIC_STATUSES,
	MAX_BODY,
	STATUSES,
	TWILIO_STATUSES,
	TWIML_EMPTY,
	GenericAdapter,
	SmsAuthError,
	TwilioAdapter,
	WebhookRequest,
	adapter_for,
	advance,
	check_settings,
	compare_secret,
	map_status,
	outbound_id,
	parse_numbers,
	parse_time,
	reply_text,
	segments,
	twilio_signature,
	twilio_valid,
)

TOKEN = "a-shared-webhook-token-1234"
URL = "https://support.example.com/api/method/callcenter_app.api.sms.inbound"

# Twilio's published example
TW_TOKEN = "12345"
TW_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TW_PARAMS = {
	"CallSid": "CA1234567890ABCDE",
	"Digits": "1234",
	"From": "+14158675309",
	"To": "+18005551212",
	"Caller": "+14158675309",
}
TW_EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def generic(body: dict, headers: dict | None = None, url: str = URL, as_form: bool = False) -> WebhookRequest:
	if as_form:
		return WebhookRequest(
			url=url,
			headers=headers if headers is not None else {"X-Webhook-Token": TOKEN},
			form={k: [str(v)] for k, v in body.items()},
			body=urlencode(body).encode(),
			content_type="application/x-www-form-urlencoded",
		)
	return WebhookRequest(
		url=url,
		headers=headers if headers is not None else {"X-Webhook-Token": TOKEN},
		body=json.dumps(body).encode(),
		content_type="application/json",
	)


def twilio(params: dict, url: str = URL, token: str = "twilio-auth-token", signature: str | None = None):
	sig = signature if signature is not None else twilio_signature(token, url, params)
	return WebhookRequest(
		url=url,
		headers={"X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"},
		form={k: [v] for k, v in params.items()},
		body=urlencode(params).encode(),
		content_type="application/x-www-form-urlencoded",
	)


INBOUND = {"message_id": "gw-1", "from": "+37060012345", "to": "+37052000000", "body": "Hello\r\nthere"}
TWILIO_INBOUND = {
	"MessageSid": "SM0123456789abcdef0123456789abcdef",
	"AccountSid": "AC0123456789abcdef0123456789abcdef",
	"From": "+37060012345",
	"To": "+37052000000",
	"Body": "Labas",
	"NumMedia": "0",
}


# --- Twilio's signature ---------------------------------------------------------------------------------


def test_twilio_signature_matches_twilios_published_example():
	assert twilio_signature(TW_TOKEN, TW_URL, TW_PARAMS) == TW_EXPECTED


def test_twilio_repeated_parameters_match_twilios_published_example():
	params = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234"]}
	assert twilio_signature(TW_TOKEN, TW_URL, params) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


@pytest.mark.parametrize(
	"url, signature",
	[
		(TW_URL, TW_EXPECTED),
		(TW_URL.replace(".com", ".com:1234"), TW_EXPECTED),  # a port is dropped on https
		(TW_URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443
		(TW_URL.replace(".com", ".com:1234").replace("https", "http"), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
		(TW_URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # signed with :80
	],
)
def test_twilio_validation_with_and_without_port_as_twilios_validator(url, signature):
	request = WebhookRequest(url=url, form={k: [v] for k, v in TW_PARAMS.items()})
	assert twilio_valid(TW_TOKEN, request, signature)


def test_twilio_json_body_is_covered_by_its_hash_as_in_twilios_example():
	body = '{"property": "value", "boolean": true}'
	digest = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	assert hashlib.sha256(body.encode()).hexdigest() == digest
	request = WebhookRequest(
		url=f"{TW_URL}&bodySHA256={digest}", body=body.encode(), content_type="application/json"
	)
	assert twilio_valid(TW_TOKEN, request, "a9nBmqA0ju/hNViExpshrM61xv4=")
	tampered = WebhookRequest(url=request.url, body=body.replace("value", "other").encode())
	assert not twilio_valid(TW_TOKEN, tampered, "a9nBmqA0ju/hNViExpshrM61xv4=")


def test_twilio_signature_is_base64_hmac_sha1_of_url_and_sorted_pairs():
	data = TW_URL + "".join(k + TW_PARAMS[k] for k in sorted(TW_PARAMS))
	mac = hmac.new(TW_TOKEN.encode(), data.encode(), hashlib.sha1).digest()
	assert base64.b64encode(mac).decode() == TW_EXPECTED


@given(st.permutations(sorted(TW_PARAMS.items())))
def test_twilio_signature_ignores_parameter_order(items):
	assert twilio_signature(TW_TOKEN, TW_URL, dict(items)) == TW_EXPECTED


@given(
	key=st.sampled_from(sorted(TW_PARAMS)),
	value=st.text(min_size=1, max_size=20),
)
def test_any_changed_parameter_breaks_the_signature(key, value):
	if value == TW_PARAMS[key]:
		return
	request = WebhookRequest(url=TW_URL, form={**{k: [v] for k, v in TW_PARAMS.items()}, key: [value]})
	assert not twilio_valid(TW_TOKEN, request, TW_EXPECTED)


def test_twilio_adapter_accepts_a_signed_message_and_reads_it():
	adapter = TwilioAdapter("twilio-auth-token", region="LT")
	request = twilio(TWILIO_INBOUND)
	adapter.authenticate(request)
	sms = adapter.inbound(request)
	assert (sms.provider, sms.message_id, sms.sender, sms.recipient, sms.body) == (
		"Twilio",
		TWILIO_INBOUND["MessageSid"],
		"+37060012345",
		"+37052000000",
		"Labas",
	)
	assert adapter.inbound_reply() == ("text/xml", TWIML_EMPTY)


@pytest.mark.parametrize(
	"request_",
	[
		twilio(TWILIO_INBOUND, token="another-token"),
		twilio(TWILIO_INBOUND, signature=""),
		# signed for another URL
		twilio(
			TWILIO_INBOUND,
			url=URL + "?x=1",
			signature=twilio_signature("twilio-auth-token", URL, TWILIO_INBOUND),
		),
		# the body changed after signing
		twilio(
			{**TWILIO_INBOUND, "Body": "Pay to IBAN LT00"},
			signature=twilio_signature("twilio-auth-token", URL, TWILIO_INBOUND),
		),
	],
)
def test_twilio_adapter_refuses_forged_requests(request_):
	adapter = TwilioAdapter("twilio-auth-token")
	with pytest.raises(SmsAuthError) as e:
		adapter.authenticate(request_)
	assert e.value.field == "X-Twilio-Signature"


def test_twilio_adapter_refuses_everything_without_an_auth_token_and_another_account():
	with pytest.raises(SmsAuthError, match="no auth token"):
		TwilioAdapter("").authenticate(twilio(TWILIO_INBOUND, token=""))
	adapter = TwilioAdapter("twilio-auth-token", account_sid="AC-other")
	with pytest.raises(SmsAuthError) as e:
		adapter.authenticate(twilio(TWILIO_INBOUND))
	assert e.value.field == "AccountSid"


@pytest.mark.parametrize("missing, field", [("MessageSid", "MessageSid"), ("From", "From"), ("To", "To")])
def test_twilio_missing_fields_are_named(missing, field):
	params = {k: v for k, v in TWILIO_INBOUND.items() if k != missing}
	with pytest.raises(FieldError) as e:
		TwilioAdapter("t").inbound(twilio(params, token="t"))
	assert e.value.field == field


def test_twilio_delivery_report_maps_status_and_keeps_the_error_code():
	params = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003", "To": "+37060012345"}
	update = TwilioAdapter("t").delivery(twilio(params, token="t"))
	assert (update.message_id, update.status, update.detail) == ("SM1", "Failed", "undelivered (error 30003)")
	with pytest.raises(FieldError) as e:
		TwilioAdapter("t").delivery(twilio({"MessageSid": "SM1", "MessageStatus": "teleported"}, token="t"))
	assert e.value.field == "MessageStatus"


# --- generic adapter ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"headers",
	[{"X-Webhook-Token": TOKEN}, {"x-webhook-token": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}],
)
def test_generic_adapter_accepts_the_token_in_a_header(headers):
	GenericAdapter(TOKEN).authenticate(generic(INBOUND, headers))


@pytest.mark.parametrize(
	"headers, url, field",
	[
		({}, URL, "X-Webhook-Token"),
		({"X-Webhook-Token": TOKEN + "x"}, URL, "X-Webhook-Token"),
		({"X-Webhook-Token": ""}, URL, "X-Webhook-Token"),
		({"Authorization": f"Basic {TOKEN}"}, URL, "X-Webhook-Token"),
		({"X-Webhook-Token": TOKEN}, URL + f"?token={TOKEN}", "token"),  # never in the URL, even if right
		({}, URL + f"?api_key={TOKEN}", "api_key"),
	],
)
def test_generic_adapter_refuses_missing_wrong_or_misplaced_tokens(headers, url, field):
	with pytest.raises(SmsAuthError) as e:
		GenericAdapter(TOKEN).authenticate(generic(INBOUND, headers, url=url))
	assert e.value.field == field
	assert TOKEN not in str(e.value)


def test_generic_adapter_without_a_configured_token_refuses_everything():
	with pytest.raises(SmsAuthError):
		GenericAdapter("").authenticate(generic(INBOUND, {"X-Webhook-Token": ""}))


@given(st.text(min_size=1, max_size=40))
def test_only_the_exact_token_passes(given_token):
	request = generic(INBOUND, {"X-Webhook-Token": given_token})
	if given_token.strip() == TOKEN:
		GenericAdapter(TOKEN).authenticate(request)
	else:
		with pytest.raises(SmsAuthError):
			GenericAdapter(TOKEN).authenticate(request)


@pytest.mark.parametrize("as_form", [False, True])
def test_generic_inbound_json_or_form(as_form):
	sms = GenericAdapter(TOKEN, region="LT").inbound(
		generic(
			{**INBOUND, "from": "8 600 12345", "received_at": "2026-03-01T10:00:00+02:00"}, as_form=as_form
		)
	)
	assert (sms.provider, sms.message_id, sms.sender, sms.recipient, sms.body) == (
		"Generic",
		"gw-1",
		"+37060012345",
		"+37052000000",
		"Hello\nthere",
	)
	assert sms.received_at == datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_generic_inbound_keeps_alphanumeric_senders_but_our_number_must_be_a_number():
	sms = GenericAdapter(TOKEN).inbound(generic({**INBOUND, "from": "BANK"}))
	assert sms.sender == "BANK"
	with pytest.raises(FieldError) as e:
		GenericAdapter(TOKEN).inbound(generic({**INBOUND, "to": "BANK"}))
	assert e.value.field == "to"


@pytest.mark.parametrize(
	"change, field",
	[
		({"message_id": None}, "message_id"),
		({"message_id": "has space"}, "message_id"),
		({"message_id": "x" * 141}, "message_id"),
		({"from": None}, "from"),
		({"from": "+3706"}, "from"),
		({"to": ""}, "to"),
		({"body": None}, "body"),
		({"body": 42}, "body"),
		({"body": "x" * (MAX_BODY + 1)}, "body"),
		({"received_at": "yesterday"}, "received_at"),
		({"received_at": "2026-03-01T10:00:00"}, "received_at"),
	],
)
def test_generic_inbound_bad_fields_are_named(change, field):
	body = {k: v for k, v in {**INBOUND, **change}.items() if v is not None}
	with pytest.raises(FieldError) as e:
		GenericAdapter(TOKEN, region="LT").inbound(generic(body))
	assert e.value.field == field


def test_generic_inbound_refuses_a_body_that_is_not_a_json_object():
	for raw in (b"[1, 2]", b"{not json"):
		request = WebhookRequest(URL, {"X-Webhook-Token": TOKEN}, body=raw, content_type="application/json")
		with pytest.raises(FieldError) as e:
			GenericAdapter(TOKEN).inbound(request)
		assert e.value.field == "body"


def test_generic_delivery_report():
	update = GenericAdapter(TOKEN).delivery(
		generic({"message_id": "gw-9", "status": "DELIVERED", "detail": "ok"})
	)
	assert (update.provider, update.message_id, update.status, update.detail) == (
		"Generic",
		"gw-9",
		"Delivered",
		"delivered ok",
	)
	with pytest.raises(FieldError) as e:
		GenericAdapter(TOKEN).delivery(generic({"message_id": "gw-9"}))
	assert e.value.field == "status"


def test_adapter_for_names_the_provider():
	assert isinstance(adapter_for("Generic", TOKEN), GenericAdapter)
	assert isinstance(adapter_for("Twilio", "t"), TwilioAdapter)
	with pytest.raises(FieldError) as e:
		adapter_for("Carrier pigeon", "x")
	assert e.value.field == "provider"


# --- statuses --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"raw, ours",
	[("queued", "Queued"), ("sending", "Queued"), ("sent", "Sent"), ("delivered", "Delivered"), ("read", "Delivered"),
	 ("undelivered", "Failed"), ("failed", "Failed"), ("canceled", "Failed"), ("received", "Received")],
)  # fmt: skip
def test_twilio_statuses_map_to_ours(raw, ours):
	assert map_status(raw, TWILIO_STATUSES) == ours


def test_every_mapped_status_is_one_of_ours():
	assert set(TWILIO_STATUSES.values()) | set(GENERIC_STATUSES.values()) <= set(STATUSES)


@pytest.mark.parametrize(
	"current, new, result",
	[
		(None, "Queued", "Queued"),
		("Queued", "Sent", "Sent"),
		("Sent", "Delivered", "Delivered"),
		("Sent", "Failed", "Failed"),
		("Delivered", "Sent", None),  # a late "sent" does not undo delivery
		("Delivered", "Failed", None),
		("Failed", "Delivered", None),
		("Sent", "Sent", None),
		("Sent", "Queued", None),
		("Received", "Delivered", None),
	],
)
def test_statuses_only_move_forward(current, new, result):
	assert advance(current, new) == result


@given(st.lists(st.sampled_from(["Queued", "Sent", "Delivered", "Failed"]), max_size=12))
def test_any_order_of_reports_ends_in_the_first_final_status_or_the_furthest(reports):
	status = "Queued"
	for report in reports:
		status = advance(status, report) or status
	finals = [r for r in reports if r in FINAL_STATUSES]
	if finals:
		assert status == finals[0]
	elif "Sent" in reports:
		assert status == "Sent"
	else:
		assert status == "Queued"


# --- helpers ---------------------------------------------------------------------------------------------


def test_compare_secret_is_exact_and_never_matches_an_empty_secret():
	assert compare_secret("abc", "abc")
	assert not compare_secret("abc", "abcd")
	assert not compare_secret("", "")
	assert not compare_secret(None, "abc")
	assert compare_secret("žalia", "žalia")


def test_outbound_id_from_gateway_answers():
	assert outbound_id("application/json", b'{"sid": "SM1", "status": "queued"}') == "SM1"
	assert outbound_id("application/json; charset=utf-8", b'{"messages": [{"message-id": "V-9"}]}') == "V-9"
	assert outbound_id("application/json", b'{"data": {"id": 77}}') == "77"
	assert outbound_id("text/plain", b"OK 12345") is None
	assert outbound_id("application/json", b"not json") is None
	assert outbound_id("application/json", b'{"ok": true}') is None


@pytest.mark.parametrize(
	"value",
	[
		1e300,
		float("inf"),
		float("nan"),
		"1e300",
		"99999999999999999999",
		"9999-12-31T00:00:00Z",
		-5,
		"1999-12-31T23:59:59Z",
	],
)
def test_parse_time_refuses_impossible_times_by_name(value):
	with pytest.raises(FieldError) as e:
		parse_time(value)
	assert e.value.field == "received_at"


def test_parse_time_accepts_iso_with_offset_and_unix_seconds():
	assert parse_time("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=timezone.utc)
	assert parse_time(1767225600) == datetime(2026, 1, 1, tzinfo=timezone.utc)
	assert parse_time("1767225600") == datetime(2026, 1, 1, tzinfo=timezone.utc)
	assert parse_time("") is None


def test_settings_need_the_providers_secret_and_a_clean_url():
	fields = {
		e.field for e in check_settings({"enabled": 1, "provider": "Generic", "webhook_token": "short"})
	}
	assert fields == {"webhook_token"}
	assert not check_settings({"enabled": 1, "provider": "Generic", "webhook_token_stored": True})
	assert {e.field for e in check_settings({"enabled": 1, "provider": "Twilio"})} == {"twilio_auth_token"}
	bad_url = check_settings({"provider": "Twilio", "public_base_url": "https://u:p@x.example.com"})
	assert [e.field for e in bad_url] == ["public_base_url"]
	assert [e.field for e in check_settings({"provider": "Generic", "public_base_url": "ftp://x"})] == [
		"public_base_url"
	]


def test_parse_numbers_normalises_and_names_the_bad_line():
	assert parse_numbers("+370 5 200 0000\n\n852000000, +37052000000", "LT") == ["+37052000000"]
	with pytest.raises(FieldError) as e:
		parse_numbers("+37052000000\nnot a number", "LT")
	assert e.value.field == "receive_numbers" and "line 2" in e.value.reason


def test_reply_text_and_segments():
	assert reply_text("  Labas  ") == "Labas"
	with pytest.raises(FieldError) as e:
		reply_text("   ")
	assert e.value.field == "message"
	with pytest.raises(FieldError):
		reply_text("x" * (MAX_BODY + 1))
	assert segments("a" * 160) == 1
	assert segments("a" * 161) == 2
	assert segments("€" * 80) == 1  # an extension character takes two places
	assert segments("€" * 81) == 2
	assert segments("ą" * 70) == 1  # not GSM-7: UCS-2
	assert segments("ą" * 71) == 2


def test_webhook_body_size_bound():
	from callcenter_app.tickets.sms.adapters import MAX_WEBHOOK_BYTES, check_body_size

	check_body_size(None)
	check_body_size(MAX_WEBHOOK_BYTES)
	with pytest.raises(
		FieldError, match=r"body: the request is 65537 bytes; an SMS webhook may send at most 65536"
	):
		check_body_size(MAX_WEBHOOK_BYTES + 1)
