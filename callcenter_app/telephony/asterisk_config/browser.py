"""What the phone bar (a browser softphone, docs/phone-bar.md) is given to register: the WebSocket URL,
its SIP identity and the ICE servers. Pure: CC Settings' values and the user's CC SIP Account in, a dict
out, every value checked (FieldError naming the CC Settings or CC SIP Account field)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.tenant import Tenant

LOOPBACK_NAMES = ("localhost",)
_ICE = re.compile(r"(stuns?|turns?):[A-Za-z0-9.\-\[\]:]{1,260}(\?transport=(udp|tcp))?")


def _loopback(host: str) -> bool:
	if host in LOOPBACK_NAMES or host.endswith(".localhost"):
		return True
	try:
		return ipaddress.ip_address(host.strip("[]")).is_loopback
	except ValueError:
		return False


def check_ws_url(value: str, field: str = "webrtc_ws_url") -> str:
	"""``wss://host[:port]/path``, or ``ws://`` to a loopback host (a page on http://localhost may use
	it; anywhere else the browser refuses mixed content, and the registration would cross a network in
	clear)."""
	text = (value or "").strip()
	if not text:
		raise FieldError(field, "is required for the phone bar, e.g. wss://pbx.example.com:8089/ws")
	if any(c.isspace() for c in text) or any(c in text for c in "\"'<>\\"):
		raise FieldError(field, "must be one URL without spaces or quotes")
	parts = urlsplit(text)
	if parts.scheme not in ("wss", "ws") or not parts.hostname:
		raise FieldError(field, f"must start with wss:// and name a host, not {text!r}")
	if parts.username or parts.password or parts.query or parts.fragment:
		raise FieldError(field, "must not carry a user name, password, query or fragment")
	try:
		parts.port
	except ValueError:
		raise FieldError(field, "has a port that is not a number from 1 to 65535") from None
	if parts.scheme == "ws" and not _loopback(parts.hostname):
		raise FieldError(
			field, "plain ws:// is allowed to localhost only; use wss:// (TLS) for any other host"
		)
	return text


def ice_servers(lines: str, username: str = "", credential: str = "", field: str = "ice_servers") -> list:
	"""One STUN/TURN URL a line (``stun:host:port``, ``turn:host:port?transport=udp``, ``turns:…``) as
	RTCPeerConnection's iceServers; TURN entries carry the TURN user name and password."""
	out = []
	for number, raw in enumerate((lines or "").splitlines(), 1):
		line = raw.strip()
		if not line or line.startswith("#"):
			continue
		if not _ICE.fullmatch(line):
			raise FieldError(
				field, f"line {number}: {line[:60]!r} is not a stun:, stuns:, turn: or turns: host[:port]"
			)
		entry = {"urls": line}
		if line.startswith("turn"):
			if not username or not credential:
				raise FieldError(field, f"line {number}: a TURN server needs the TURN user name and password")
			entry.update(username=username, credential=credential)
		out.append(entry)
	return out


def registration(settings: Mapping, account: Mapping, secret: str, turn_password: str = "") -> dict:
	"""What the phone bar needs to register as ``account`` (a CC SIP Account's values): refused, naming
	the field, when the account is not a browser account or the settings are incomplete."""
	if not account.get("enabled"):
		raise FieldError("enabled", f"CC SIP Account {account.get('name')} is disabled")
	if not account.get("webrtc"):
		raise FieldError(
			"webrtc",
			f"CC SIP Account {account.get('name')}: tick WebRTC (browser softphone) to use the phone bar",
		)
	if not secret:
		raise FieldError("secret", f"CC SIP Account {account.get('name')} has no secret")
	if not settings.get("webrtc_enabled"):
		raise FieldError("webrtc_enabled", "the phone bar is off in CC Settings (Enable the Phone Bar)")
	url = check_ws_url(settings.get("webrtc_ws_url") or "")
	host = urlsplit(url).hostname
	domain = f"[{host}]" if ":" in host else host
	# on a shared PBX the endpoint is <prefix>-<username> (telephony/tenant.py); the caller id stays local
	username = Tenant(settings.get("tenant_prefix") or "").name(account["username"])
	return {
		"ws_url": url,
		"sip_uri": f"sip:{username}@{domain}",
		"authorization_user": username,
		"password": secret,
		"display_name": account.get("display_name") or account["username"],
		"extension": account.get("extension") or "",
		"ice_servers": ice_servers(
			settings.get("ice_servers") or "", settings.get("turn_username") or "", turn_password
		),
	}


def webrtc_from_settings(values: Mapping):
	"""CC Settings' values as render's WebRtc (the Asterisk HTTP/TLS/DTLS part)."""
	from callcenter_app.telephony.asterisk_config.render import WebRtc

	def text(key: str, default: str = "") -> str:
		return str(values.get(key) or default).strip()

	def number(key: str, default: int):
		value = values.get(key)
		try:  # 0 is what a Frappe Int field holds when nobody filled it in: no port is 0
			return int(value) if value not in (None, "", 0, "0") else default
		except (TypeError, ValueError):
			return value  # check_webrtc names the field

	return WebRtc(
		http_bind=text("asterisk_http_bind", "127.0.0.1"),
		http_port=number("asterisk_http_port", 8088),
		tls=bool(values.get("asterisk_tls")),
		tls_bind=text("asterisk_tls_bind", "0.0.0.0"),
		tls_port=number("asterisk_tls_port", 8089),
		tls_cert_file=text("asterisk_tls_cert_file"),
		tls_key_file=text("asterisk_tls_key_file"),
		dtls_cert_file=text("dtls_cert_file"),
		dtls_key_file=text("dtls_key_file"),
	)


def check_settings(values: Mapping, turn_password_set: bool = False) -> list[FieldError]:
	"""CC Settings' phone-bar fields: nothing is checked while the phone bar is off."""
	from callcenter_app.telephony.asterisk_config.render import check_webrtc

	if not values.get("webrtc_enabled"):
		return []
	errors = []
	for check in (
		lambda: check_ws_url(values.get("webrtc_ws_url") or ""),
		lambda: ice_servers(
			values.get("ice_servers") or "",
			(values.get("turn_username") or "").strip(),
			"set" if turn_password_set else "",
		),
	):
		try:
			check()
		except FieldError as e:
			errors.append(e)
	return errors + check_webrtc(webrtc_from_settings(values))
