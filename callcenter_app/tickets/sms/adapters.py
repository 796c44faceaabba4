"""SMS providers behind one adapter interface. Pure: no Frappe.

An adapter turns a provider's webhook request into our values, after proving the request came from the
provider:

- :meth:`SmsAdapter.authenticate` checks the shared token or the signature in constant time and raises
  :class:`SmsAuthError` (the endpoint answers 403 and writes nothing);
- :meth:`SmsAdapter.inbound` reads a received message (:class:`InboundSms`), numbers in E.164;
- :meth:`SmsAdapter.delivery` reads a delivery report (:class:`DeliveryUpdate`) with the status mapped to ours
  (:data:`STATUSES`);
- :meth:`SmsAdapter.inbound_reply` is what the provider expects back (Twilio: empty TwiML).

Two adapters: :class:`GenericAdapter` (JSON or form fields, a shared token in the ``X-Webhook-Token`` or
``Authorization: Bearer`` header; a token in the URL is refused, never read) and :class:`TwilioAdapter`
(``X-Twilio-Signature``: HMAC-SHA1 with the auth token over the full URL followed by the POST parameters
sorted by name, base64; tried with and without the default port, as Twilio's own validator does; JSON
bodies are covered by the ``bodySHA256`` query parameter).

Bad or missing fields raise :class:`~callcenter_app.common.errors.FieldError` naming the field as the
provider spells it. Delivery statuses only move forward (:func:`advance`): a late "sent" never overwrites
"delivered".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit, urlunsplit

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize

PROVIDERS = ("Generic", "Twilio")
STATUSES = ("Received", "Queued", "Sent", "Delivered", "Failed")
FINAL_STATUSES = frozenset({"Delivered", "Failed"})
_RANK = {"Queued": 1, "Sent": 2, "Delivered": 3, "Failed": 3}

MAX_BODY = 1600  # Twilio's limit for one (concatenated) message; generic gateways are usually lower
MAX_ID = 140
# A webhook request's body: a Twilio form with a 1,600-character message is about 3 KB; anything near this
# bound is not an SMS and is refused (413) before it is authenticated or parsed further.
MAX_WEBHOOK_BYTES = 64 * 1024
# Webhook requests per minute from one address (site config ``cc_sms_webhook_rate_limit`` overrides it).
WEBHOOK_RATE_LIMIT = 300
TOKEN_HEADER = "X-Webhook-Token"
TWILIO_HEADER = "X-Twilio-Signature"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_SECRET_WORDS = ("token", "secret", "key", "signature", "password", "auth")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._&-]{0,10}")


class SmsAuthError(FieldError):
	"""The request is not provably from the provider (missing, wrong or misplaced token or signature)."""


# ---------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class WebhookRequest:
	"""One HTTP request as the adapters see it.

	``url`` is the full URL the provider called (scheme, host, path and query string), ``form`` the POST
	body's form fields only (every value of a repeated field kept), ``body`` the raw body.
	"""

	url: str
	headers: Mapping[str, str] = field(default_factory=dict)
	form: Mapping[str, Sequence[str] | str] = field(default_factory=dict)
	body: bytes = b""
	content_type: str = ""

	def header(self, name: str) -> str | None:
		wanted = name.lower()
		for key, value in self.headers.items():
			if key.lower() == wanted:
				return value
		return None

	def form_values(self) -> dict[str, list[str]]:
		return {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in self.form.items()}

	def is_json(self) -> bool:
		return self.content_type.split(";", 1)[0].strip().lower() in ("application/json", "text/json")


@dataclass(frozen=True)
class InboundSms:
	provider: str
	message_id: str
	sender: str  # E.164, or an alphanumeric sender ID ("BANK") that cannot be answered
	recipient: str  # E.164: our number
	body: str
	received_at: datetime | None = None  # UTC when the provider says; None: the time it arrived


@dataclass(frozen=True)
class DeliveryUpdate:
	provider: str
	message_id: str
	status: str  # one of STATUSES
	detail: str = ""  # the provider's own status and error code, for people


# ---------------------------------------------------------------------------------------------------------
# Statuses


GENERIC_STATUSES = {
	"accepted": "Queued",
	"queued": "Queued",
	"scheduled": "Queued",
	"sending": "Queued",
	"pending": "Queued",
	"sent": "Sent",
	"submitted": "Sent",
	"delivered": "Delivered",
	"read": "Delivered",
	"failed": "Failed",
	"undelivered": "Failed",
	"rejected": "Failed",
	"expired": "Failed",
	"canceled": "Failed",
	"cancelled": "Failed",
	"received": "Received",
}
# https://www.twilio.com/docs/messaging/api/message-resource#message-status-values
TWILIO_STATUSES = {
	"accepted": "Queued",
	"scheduled": "Queued",
	"queued": "Queued",
	"sending": "Queued",
	"sent": "Sent",
	"delivered": "Delivered",
	"read": "Delivered",
	"partially_delivered": "Sent",
	"undelivered": "Failed",
	"failed": "Failed",
	"canceled": "Failed",
	"receiving": "Received",
	"received": "Received",
}


def map_status(raw: str, table: Mapping[str, str], field_name: str = "status") -> str:
	"""The provider's status word as ours; FieldError for a word the table does not know."""
	word = (raw or "").strip().lower()
	if not word:
		raise FieldError(field_name, "is missing")
	if word not in table:
		raise FieldError(field_name, f"{raw!r} is not a known status ({', '.join(sorted(table))})")
	return table[word]


def advance(current: str | None, new: str) -> str | None:
	"""The status an outbound message moves to when ``new`` arrives, or None when it stays as it is.

	Statuses only move forward (Queued → Sent → Delivered/Failed); Delivered and Failed are final, so a
	late or repeated report changes nothing. "Received" belongs to inbound messages and never moves.
	"""
	if new not in _RANK or current in FINAL_STATUSES or current == "Received":
		return None
	if current is None or _RANK[new] > _RANK.get(current, 0):
		return new
	return None


# ---------------------------------------------------------------------------------------------------------
# Shared helpers


def compare_secret(given: str | None, expected: str) -> bool:
	"""Constant-time comparison of two secrets (as UTF-8 bytes); an empty expected secret never matches."""
	if not expected or given is None:
		return False
	return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def check_body_size(length: int | None, limit: int = MAX_WEBHOOK_BYTES) -> None:
	"""Refuse a webhook body over ``limit`` bytes (FieldError naming ``body`` and both sizes)."""
	if length is not None and length > limit:
		raise FieldError(
			"body", f"the request is {length} bytes; an SMS webhook may send at most {limit} bytes"
		)


def refuse_secret_in_url(url: str) -> None:
	"""A token or signature in the query string would end up in every proxy and access log: refuse it."""
	query = urlsplit(url).query
	for name in parse_qs(query, keep_blank_values=True):
		lowered = name.lower()
		if lowered != "bodysha256" and any(word in lowered for word in _SECRET_WORDS):
			raise SmsAuthError(
				name, f"secrets go in the {TOKEN_HEADER} header, never in the URL (remove ?{name}=)"
			)


def phone(value: str, field_name: str, region: str | None, allow_alphanumeric: bool = False) -> str:
	"""A number in E.164 (national numbers read in ``region``); an alphanumeric sender ID such as ``BANK``
	(at most 11 characters, at least one letter) is kept as it is when allowed."""
	text = (value or "").strip()
	if not text:
		raise FieldError(field_name, "is missing")
	try:
		return normalize(text, region, field=field_name)
	except FieldError:
		if allow_alphanumeric and _ALPHANUMERIC_SENDER.fullmatch(text) and re.search("[A-Za-z]", text):
			return text
		raise


def message_text(value: str | None, field_name: str = "body") -> str:
	"""The text of a message: line endings normalised; at most :data:`MAX_BODY` characters."""
	text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
	if len(text) > MAX_BODY:
		raise FieldError(field_name, f"has {len(text)} characters; at most {MAX_BODY}")
	return text


def message_id(value: str | None, field_name: str) -> str:
	text = (value or "").strip()
	if not text:
		raise FieldError(field_name, "is missing")
	if len(text) > MAX_ID or any(ord(c) < 33 for c in text):
		raise FieldError(field_name, f"must be at most {MAX_ID} printable characters without spaces")
	return text


EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def parse_time(value, field_name: str = "received_at") -> datetime | None:
	"""ISO 8601 with an offset (``Z`` allowed) or Unix seconds, as UTC; empty → None. Only times from
	2000 to 2100 are a message's time: anything else (``1e300``, ``inf``, year 9999) is refused by name."""
	if value in (None, ""):
		return None
	text = str(value).strip()
	try:
		if isinstance(value, (int, float)) and not isinstance(value, bool):
			parsed = datetime.fromtimestamp(value, timezone.utc)
		elif re.fullmatch(r"\d{1,12}(\.\d{1,9})?", text):
			parsed = datetime.fromtimestamp(float(text), timezone.utc)
		else:
			parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
	except (ValueError, OverflowError, OSError):
		raise FieldError(field_name, f"{text[:40]!r} is not an ISO 8601 date-time or Unix seconds") from None
	if parsed.tzinfo is None:
		raise FieldError(field_name, f"{text!r} has no time zone offset (add Z or +hh:mm)")
	try:
		parsed = parsed.astimezone(timezone.utc)
	except OverflowError:
		raise FieldError(field_name, f"{text[:40]!r} is out of range") from None
	if not EARLIEST <= parsed < LATEST:
		raise FieldError(field_name, f"{text[:40]!r} is not between 2000 and 2100")
	return parsed


def outbound_id(content_type: str, body: bytes | str) -> str | None:
	"""The provider's id of a message we just sent, from the gateway's JSON answer, when it gives one:
	``sid`` (Twilio), ``message_id`` / ``messageId`` / ``id``, or the same inside ``messages[0]`` (Vonage's
	``message-id``) or ``data``."""
	if "json" not in (content_type or "").lower():
		return None
	try:
		data = json.loads(body or b"null")
	except ValueError:
		return None
	keys = ("sid", "MessageSid", "message_id", "messageId", "message-id", "id")
	candidates = [data]
	if isinstance(data, dict):
		if isinstance(data.get("messages"), list) and data["messages"]:
			candidates.append(data["messages"][0])
		if isinstance(data.get("data"), dict):
			candidates.append(data["data"])
	for candidate in candidates:
		if not isinstance(candidate, dict):
			continue
		for key in keys:
			value = candidate.get(key)
			if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
				return str(value).strip()[:MAX_ID]
	return None


# ---------------------------------------------------------------------------------------------------------
# Adapters


class SmsAdapter:
	"""The interface every provider implements (one subclass each)."""

	provider = ""

	def authenticate(self, request: WebhookRequest) -> None:
		raise NotImplementedError

	def inbound(self, request: WebhookRequest) -> InboundSms:
		raise NotImplementedError

	def delivery(self, request: WebhookRequest) -> DeliveryUpdate:
		raise NotImplementedError

	def inbound_reply(self) -> tuple[str, str]:
		"""(content type, body) to answer an accepted inbound message with."""
		return "application/json", json.dumps({"ok": True})


class GenericAdapter(SmsAdapter):
	"""Any gateway that can POST JSON or a form and send a fixed header.

	Inbound fields: ``message_id``, ``from``, ``to``, ``body`` (``text`` also accepted), optional
	``received_at`` (ISO 8601 with offset, or Unix seconds). Delivery reports: ``message_id``, ``status``
	(:data:`GENERIC_STATUSES`), optional ``detail``. The token comes in ``X-Webhook-Token: <token>`` or
	``Authorization: Bearer <token>``.
	"""

	provider = "Generic"

	def __init__(self, token: str, region: str | None = None):
		self.token = token or ""
		self.region = region

	def authenticate(self, request: WebhookRequest) -> None:
		refuse_secret_in_url(request.url)
		if not self.token:
			raise SmsAuthError(
				"webhook_token", "no token is configured in CC SMS Settings: every request is refused"
			)
		given = request.header(TOKEN_HEADER)
		if given is None:
			authorization = request.header("Authorization") or ""
			scheme, _, credentials = authorization.partition(" ")
			given = credentials.strip() if scheme.lower() == "bearer" else None
		if given is None:
			raise SmsAuthError(TOKEN_HEADER, "is missing (or send Authorization: Bearer <token>)")
		if not compare_secret(given.strip(), self.token):
			raise SmsAuthError(TOKEN_HEADER, "does not match the configured token")

	def fields(self, request: WebhookRequest) -> dict:
		if request.is_json():
			try:
				data = json.loads(request.body or b"{}")
			except UnicodeDecodeError as e:
				raise FieldError("body", f"is not UTF-8 text (byte {e.start})") from None
			except ValueError as e:
				raise FieldError("body", f"is not valid JSON ({e.msg} at character {e.pos})") from None
			if not isinstance(data, dict):
				raise FieldError("body", "must be a JSON object")
			return data
		return {k: v[-1] if v else "" for k, v in request.form_values().items()}

	def inbound(self, request: WebhookRequest) -> InboundSms:
		data = self.fields(request)
		text = data.get("body", data.get("text"))
		if text is None:
			raise FieldError("body", "is missing (the message text; 'text' is accepted too)")
		if not isinstance(text, str):
			raise FieldError("body", "must be a string")
		return InboundSms(
			provider=self.provider,
			message_id=message_id(_text(data.get("message_id")), "message_id"),
			sender=phone(_text(data.get("from")), "from", self.region, allow_alphanumeric=True),
			recipient=phone(_text(data.get("to")), "to", self.region),
			body=message_text(text),
			received_at=parse_time(data.get("received_at")),
		)

	def delivery(self, request: WebhookRequest) -> DeliveryUpdate:
		data = self.fields(request)
		raw = _text(data.get("status"))
		detail = _text(data.get("detail"))
		return DeliveryUpdate(
			provider=self.provider,
			message_id=message_id(_text(data.get("message_id")), "message_id"),
			status=map_status(raw, GENERIC_STATUSES),
			detail=" ".join(x for x in (raw.strip().lower(), detail.strip()) if x)[:500],
		)


class TwilioAdapter(SmsAdapter):
	"""Twilio Messaging webhooks (form-encoded POSTs signed with ``X-Twilio-Signature``)."""

	provider = "Twilio"

	def __init__(self, auth_token: str, account_sid: str = "", region: str | None = None):
		self.auth_token = auth_token or ""
		self.account_sid = (account_sid or "").strip()
		self.region = region

	def authenticate(self, request: WebhookRequest) -> None:
		if not self.auth_token:
			raise SmsAuthError(
				"twilio_auth_token",
				"no auth token is configured in CC SMS Settings: every request is refused",
			)
		signature = request.header(TWILIO_HEADER)
		if not signature:
			raise SmsAuthError(TWILIO_HEADER, "is missing")
		if not twilio_valid(self.auth_token, request, signature.strip()):
			raise SmsAuthError(TWILIO_HEADER, "does not match the request (URL, parameters or auth token)")
		if self.account_sid:
			given = self.params(request).get("AccountSid", "")
			if not compare_secret(given, self.account_sid):
				raise SmsAuthError("AccountSid", "is not the account configured in CC SMS Settings")

	def params(self, request: WebhookRequest) -> dict[str, str]:
		if request.is_json():
			try:
				data = json.loads(request.body or b"{}")
			except ValueError:
				raise FieldError("body", "is not valid JSON") from None
			return {str(k): _text(v) for k, v in data.items()} if isinstance(data, dict) else {}
		return {k: v[-1] if v else "" for k, v in request.form_values().items()}

	def inbound(self, request: WebhookRequest) -> InboundSms:
		data = self.params(request)
		sid = data.get("MessageSid") or data.get("SmsMessageSid") or data.get("SmsSid")
		return InboundSms(
			provider=self.provider,
			message_id=message_id(sid, "MessageSid"),
			sender=phone(data.get("From", ""), "From", self.region, allow_alphanumeric=True),
			recipient=phone(data.get("To", ""), "To", self.region),
			body=message_text(data.get("Body", ""), "Body"),
		)

	def delivery(self, request: WebhookRequest) -> DeliveryUpdate:
		data = self.params(request)
		raw = data.get("MessageStatus") or data.get("SmsStatus") or ""
		detail = raw.strip().lower()
		if data.get("ErrorCode"):
			detail += f" (error {data['ErrorCode'].strip()})"
		return DeliveryUpdate(
			provider=self.provider,
			message_id=message_id(data.get("MessageSid") or data.get("SmsSid"), "MessageSid"),
			status=map_status(raw, TWILIO_STATUSES, "MessageStatus"),
			detail=detail[:500],
		)

	def inbound_reply(self) -> tuple[str, str]:
		return "text/xml", TWIML_EMPTY


def adapter_for(provider: str, secret: str, region: str | None = None, account_sid: str = "") -> SmsAdapter:
	if provider == "Generic":
		return GenericAdapter(secret, region)
	if provider == "Twilio":
		return TwilioAdapter(secret, account_sid, region)
	raise FieldError("provider", f"must be one of {', '.join(PROVIDERS)}, not {provider!r}")


def _text(value) -> str:
	if value is None:
		return ""
	if isinstance(value, (list, tuple)):
		value = value[-1] if value else ""
	return str(value)


# ---------------------------------------------------------------------------------------------------------
# Twilio's signature (https://www.twilio.com/docs/usage/security#validating-requests)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, Sequence[str] | str] | None) -> str:
	"""base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 …)), names sorted; a repeated
	name contributes each of its distinct values, sorted."""
	data = url
	for name in sorted(set(params or {})):
		values = params[name]
		values = [values] if isinstance(values, str) else list(values)
		for value in sorted(set(values)):
			data += name + value
	digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
	return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> tuple[str, str]:
	"""The URL without its port and with the scheme's default port: Twilio signs the URL as it was
	configured, and proxies may add or drop the port."""
	parts = urlsplit(url)
	host = parts.hostname or ""
	if parts.username or parts.password:
		userinfo = parts.netloc.rsplit("@", 1)[0] + "@"
	else:
		userinfo = ""
	if ":" in host:  # IPv6 literal
		host = f"[{host}]"
	port = parts.port or (443 if parts.scheme == "https" else 80)
	without = urlunsplit(parts._replace(netloc=userinfo + host))
	with_port = urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{port}"))
	return without, with_port


def twilio_valid(auth_token: str, request: WebhookRequest, signature: str) -> bool:
	"""Whether ``signature`` is Twilio's for this request (both port variants; JSON bodies through the
	``bodySHA256`` query parameter). Every comparison is constant-time."""
	query = parse_qs(urlsplit(request.url).query)
	params: Mapping[str, Sequence[str] | str]
	body_ok = True
	if "bodySHA256" in query:
		expected_hash = hashlib.sha256(request.body or b"").hexdigest()
		body_ok = compare_secret(query["bodySHA256"][0], expected_hash)
		params = {}
	else:
		params = request.form_values()
	matches = [
		compare_secret(signature, twilio_signature(auth_token, variant, params))
		for variant in _url_variants(request.url)
	]
	return body_ok and any(matches)


# ---------------------------------------------------------------------------------------------------------
# Settings and replies


def check_settings(values: Mapping) -> list[FieldError]:
	"""CC SMS Settings: the secret its provider needs, a usable public URL, and numbers that are numbers.
	Secrets are judged present when set now or already stored (``*_stored``)."""
	errors: list[FieldError] = []
	provider = values.get("provider") or ""
	if provider not in PROVIDERS:
		errors.append(FieldError("provider", f"must be one of {', '.join(PROVIDERS)}"))
	if values.get("enabled"):
		if provider == "Generic":
			token = values.get("webhook_token") or ""
			if not token and not values.get("webhook_token_stored"):
				errors.append(FieldError("webhook_token", "is required for the Generic provider"))
			elif token and len(token) < 16:
				errors.append(FieldError("webhook_token", "must be at least 16 characters long"))
		if provider == "Twilio" and not (
			values.get("twilio_auth_token") or values.get("twilio_auth_token_stored")
		):
			errors.append(FieldError("twilio_auth_token", "is required for Twilio"))
	base = (values.get("public_base_url") or "").strip()
	if base:
		parts = urlsplit(base)
		if parts.scheme not in ("http", "https") or not parts.hostname:
			errors.append(FieldError("public_base_url", f"{base!r} is not an http(s) URL"))
		elif parts.query or parts.fragment or parts.username or parts.password:
			errors.append(
				FieldError("public_base_url", "must be scheme, host and path only (no query, no credentials)")
			)
	return errors


def parse_numbers(text: str | None, region: str | None, field_name: str = "receive_numbers") -> list[str]:
	"""One number per line (commas too) → E.164, duplicates dropped, order kept; FieldError naming the line."""
	numbers: list[str] = []
	for line_no, line in enumerate(re.split(r"[\n,]", text or ""), start=1):
		if not line.strip():
			continue
		try:
			number = normalize(line, region, field=field_name)
		except FieldError as e:
			raise FieldError(field_name, f"line {line_no}: {e.reason}") from None
		if number not in numbers:
			numbers.append(number)
	return numbers


def reply_text(message: str | None) -> str:
	"""An agent's SMS: HTML-free text, trimmed, not empty, at most :data:`MAX_BODY` characters."""
	text = message_text((message or "").strip(), "message")
	if not text:
		raise FieldError("message", "is empty")
	return text


def segments(text: str) -> int:
	"""How many SMS parts ``text`` takes: GSM-7 (160, or 153 per part when split) or UCS-2 (70 / 67)."""
	if not text:
		return 0
	gsm = all(c in _GSM7 or c in _GSM7_EXT for c in text)
	if gsm:
		length = sum(2 if c in _GSM7_EXT else 1 for c in text)
		return 1 if length <= 160 else -(-length // 153)
	units = len(text.encode("utf-16-le")) // 2
	return 1 if units <= 70 else -(-units // 67)


_GSM7 = set(
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
	"abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€\f")
