"""render-asterisk's WebRTC part: the WebSocket transports, the browser endpoints' media settings and
http.conf; bad settings refused naming the CC Settings field; no injection through paths or addresses."""

import re

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.asterisk_config import browser
from callcenter_app.telephony.asterisk_config.render import (
	AgiTarget,
	RenderError,
	SipAccount,
	WebRtc,
	check_webrtc,
	render_all,
)
from tests.test_asterisk_config import sections

WEB = SipAccount("web", "web-secret-000001", display_name="Web Agent", webrtc=True, extension="1004")
DESK = SipAccount("ann", "ann-secret-000001", extension="1001")
TLS = WebRtc(
	http_bind="127.0.0.1",
	http_port=8088,
	tls=True,
	tls_bind="0.0.0.0",
	tls_port=8089,
	tls_cert_file="/etc/asterisk/keys/pbx.crt",
	tls_key_file="/etc/asterisk/keys/pbx.key",
)


def by_type(text: str) -> dict[tuple[str, str], dict[str, list[str]]]:
	return {(name, body["type"][0]): body for name, body in sections(text)}


def test_webrtc_endpoint_gets_dtls_srtp_ice_avpf_and_rtcp_mux_others_do_not():
	pjsip = by_type(render_all([WEB, DESK], [], AgiTarget(), WebRtc()).files["pjsip.conf"])
	web = pjsip[("web", "endpoint")]
	for key, value in {
		"webrtc": "yes",
		"use_avpf": "yes",
		"media_encryption": "dtls",
		"dtls_verify": "fingerprint",
		"dtls_setup": "actpass",
		"ice_support": "yes",
		"media_use_received_transport": "yes",
		"rtcp_mux": "yes",
		"dtls_auto_generate_cert": "yes",
	}.items():
		assert web[key] == [value], key
	ann = pjsip[("ann", "endpoint")]
	assert not {"webrtc", "media_encryption", "ice_support", "rtcp_mux"} & set(ann)
	# one registration per account: a second tab or device replaces the first, never rings beside it
	assert pjsip[("web", "aor")]["max_contacts"] == ["1"]
	assert pjsip[("web", "aor")]["remove_existing"] == ["yes"]


def test_transports_and_http_conf_without_tls():
	files = render_all([WEB], [], AgiTarget(), WebRtc(http_bind="127.0.0.1", http_port=8090)).files
	pjsip = by_type(files["pjsip.conf"])
	assert pjsip[("transport-ws", "transport")]["protocol"] == ["ws"]
	assert ("transport-wss", "transport") not in pjsip
	http = dict(sections(files["http.conf"]))["general"]
	assert http["enabled"] == ["yes"]
	assert http["bindaddr"] == ["127.0.0.1"] and http["bindport"] == ["8090"]
	assert http["tlsenable"] == ["no"]
	assert WEB.secret not in files["http.conf"]


def test_transports_and_http_conf_with_tls_and_a_dtls_certificate():
	w = WebRtc(**{**TLS.__dict__, "dtls_cert_file": "/etc/asterisk/keys/dtls.pem"})
	w = WebRtc(**{**w.__dict__, "dtls_key_file": "/etc/asterisk/keys/dtls.key"})
	files = render_all([WEB], [], AgiTarget(), w).files
	pjsip = by_type(files["pjsip.conf"])
	assert pjsip[("transport-wss", "transport")]["protocol"] == ["wss"]
	web = pjsip[("web", "endpoint")]
	assert web["dtls_cert_file"] == ["/etc/asterisk/keys/dtls.pem"]
	assert web["dtls_private_key"] == ["/etc/asterisk/keys/dtls.key"]
	assert "dtls_auto_generate_cert" not in web
	http = dict(sections(files["http.conf"]))["general"]
	assert http["tlsenable"] == ["yes"]
	assert http["tlsbindaddr"] == ["0.0.0.0:8089"]
	assert http["tlscertfile"] == ["/etc/asterisk/keys/pbx.crt"]
	assert http["tlsprivatekey"] == ["/etc/asterisk/keys/pbx.key"]
	assert "http.conf" in render_all([WEB], [], AgiTarget(), w).summary()


def test_without_webrtc_settings_nothing_changes_for_sip_phones():
	files = render_all([DESK], [], AgiTarget()).files
	assert "http.conf" not in files
	assert "transport-ws" not in files["pjsip.conf"]


def test_ipv6_tls_bind_is_bracketed():
	w = WebRtc(**{**TLS.__dict__, "tls_bind": "::"})
	http = render_all([WEB], [], AgiTarget(), w).files["http.conf"]
	assert "tlsbindaddr=[::]:8089" in http


@pytest.mark.parametrize(
	"settings, field, reason",
	[
		(WebRtc(http_bind="0.0.0.0"), "Asterisk HTTP Bind Address", "loopback"),
		(WebRtc(http_bind="10.1.2.3"), "Asterisk HTTP Bind Address", "TLS proxy"),
		(WebRtc(http_bind="localhost\n[evil]"), "Asterisk HTTP Bind Address", "IP address"),
		(WebRtc(http_port=0), "Asterisk HTTP Port", "from 1 to 65535"),
		(WebRtc(tls=True, tls_key_file="/k.key"), "TLS Certificate File", "absolute path"),
		(
			WebRtc(tls=True, tls_cert_file="/a.crt\ntlsenable=no", tls_key_file="/k.key"),
			"TLS Certificate File",
			"absolute path",
		),
		(
			WebRtc(tls=True, tls_cert_file="/a.crt", tls_key_file="/x/../k"),
			"TLS Private Key File",
			"absolute",
		),
		(
			WebRtc(tls=True, tls_bind="127.0.0.1", tls_port=8088, tls_cert_file="/a", tls_key_file="/b"),
			"Asterisk TLS Port",
			"differ",
		),
		(WebRtc(dtls_cert_file="relative.pem", dtls_key_file="/k"), "DTLS Certificate File", "absolute"),
		(WebRtc(dtls_cert_file="/c.pem"), "DTLS Private Key File", "absolute"),
	],
)
def test_bad_settings_are_refused_naming_the_field(settings, field, reason):
	errors = check_webrtc(settings)
	assert any(e.field == field and reason in e.reason for e in errors), errors
	with pytest.raises(RenderError) as e:
		render_all([WEB], [], AgiTarget(), settings)
	assert field in str(e.value)


def test_a_public_http_address_is_fine_with_tls():
	# the plain port stays on loopback, TLS listens everywhere
	assert check_webrtc(TLS) == []
	files = render_all([WEB], [], AgiTarget(), TLS).files
	assert not re.search(r"^bindaddr=0\.0\.0\.0$", files["http.conf"], re.M)


# --- what the phone bar is given (telephony/asterisk_config/browser.py) ---------------------------------

SETTINGS = {
	"webrtc_enabled": 1,
	"webrtc_ws_url": "wss://pbx.example.com:8089/ws",
	"ice_servers": "stun:stun.example.com:3478\n\n# office TURN\nturn:turn.example.com:3478?transport=udp",
	"turn_username": "cc",
}
ACCOUNT = {"name": "web", "username": "web", "enabled": 1, "webrtc": 1, "display_name": "Web Agent"}


def test_registration_names_the_account_the_socket_and_the_ice_servers():
	r = browser.registration(SETTINGS, ACCOUNT, "web-secret-000001", turn_password="turn-pass")
	assert r["ws_url"] == "wss://pbx.example.com:8089/ws"
	assert r["sip_uri"] == "sip:web@pbx.example.com"
	assert r["authorization_user"] == "web" and r["password"] == "web-secret-000001"
	assert r["display_name"] == "Web Agent"
	assert r["ice_servers"] == [
		{"urls": "stun:stun.example.com:3478"},
		{"urls": "turn:turn.example.com:3478?transport=udp", "username": "cc", "credential": "turn-pass"},
	]


@pytest.mark.parametrize(
	"settings, account, secret, field, reason",
	[
		(SETTINGS, {**ACCOUNT, "webrtc": 0}, "s" * 12, "webrtc", "tick WebRTC"),
		(SETTINGS, {**ACCOUNT, "enabled": 0}, "s" * 12, "enabled", "disabled"),
		(SETTINGS, ACCOUNT, "", "secret", "no secret"),
		({**SETTINGS, "webrtc_enabled": 0}, ACCOUNT, "s" * 12, "webrtc_enabled", "off"),
		({**SETTINGS, "webrtc_ws_url": ""}, ACCOUNT, "s" * 12, "webrtc_ws_url", "required"),
		(
			{**SETTINGS, "webrtc_ws_url": "ws://pbx.example.com/ws"},
			ACCOUNT,
			"s" * 12,
			"webrtc_ws_url",
			"localhost",
		),
		({**SETTINGS, "webrtc_ws_url": "https://pbx/ws"}, ACCOUNT, "s" * 12, "webrtc_ws_url", "wss://"),
		({**SETTINGS, "webrtc_ws_url": "wss://u:p@pbx/ws"}, ACCOUNT, "s" * 12, "webrtc_ws_url", "password"),
		({**SETTINGS, "webrtc_ws_url": "wss://pbx:99999/ws"}, ACCOUNT, "s" * 12, "webrtc_ws_url", "port"),
		({**SETTINGS, "webrtc_ws_url": 'wss://pbx/ws" onload'}, ACCOUNT, "s" * 12, "webrtc_ws_url", "spaces"),
		({**SETTINGS, "ice_servers": "http://stun"}, ACCOUNT, "s" * 12, "ice_servers", "line 1"),
		({**SETTINGS, "turn_username": ""}, ACCOUNT, "s" * 12, "ice_servers", "TURN user name"),
	],
)
def test_registration_refusals_name_the_field(settings, account, secret, field, reason):
	with pytest.raises(FieldError) as e:
		browser.registration(settings, account, secret, turn_password="turn-pass")
	assert e.value.field == field and reason in e.value.reason, e.value
	assert secret not in str(e.value) or not secret


@pytest.mark.parametrize(
	"url",
	["ws://127.0.0.1:8088/ws", "ws://localhost:8088/ws", "ws://ui.localhost:8088/ws", "ws://[::1]:8088/ws"],
)
def test_plain_ws_only_to_loopback(url):
	assert browser.check_ws_url(url) == url


def test_settings_checks_are_off_while_the_phone_bar_is_off_and_name_fields_when_on():
	assert browser.check_settings({"webrtc_enabled": 0, "webrtc_ws_url": "nonsense"}) == []
	errors = browser.check_settings(
		{**SETTINGS, "webrtc_ws_url": "http://x", "asterisk_http_bind": "0.0.0.0", "asterisk_http_port": "x"},
		turn_password_set=True,
	)
	fields = {e.field for e in errors}
	assert {"webrtc_ws_url", "Asterisk HTTP Bind Address", "Asterisk HTTP Port"} <= fields
	assert browser.check_settings(SETTINGS, turn_password_set=True) == []
	assert any(e.field == "ice_servers" for e in browser.check_settings(SETTINGS, turn_password_set=False))


# --- the phone bar on a shared PBX (tenant prefixes, telephony/tenant.py) -------------------------------


def test_on_a_shared_pbx_the_phone_bar_registers_as_the_prefixed_endpoint():
	r = browser.registration({**SETTINGS, "tenant_prefix": "ta"}, ACCOUNT, "web-secret-000001", "turn-pass")
	assert r["sip_uri"] == "sip:ta-web@pbx.example.com" and r["authorization_user"] == "ta-web"
	assert r["display_name"] == "Web Agent"


def test_on_a_shared_pbx_the_websocket_transports_and_http_are_global_files():
	from callcenter_app.telephony.asterisk_config.render import TRANSPORTS_FILE, include_lines

	a = render_all([WEB], [], AgiTarget(), WebRtc(), tenant="ta").files
	b = render_all([WEB], [], AgiTarget(), WebRtc(), tenant="tb").files
	# each site's pjsip file has its endpoints and no transport (Asterisk allows one ws transport per PBX)
	assert "type=transport" not in a["pjsip_ta.conf"] and "[ta-web]" in a["pjsip_ta.conf"]
	assert "type=transport" in a[TRANSPORTS_FILE]
	for shared in (TRANSPORTS_FILE, "http.conf", "features.conf"):
		assert a[shared] == b[shared], shared
	assert TRANSPORTS_FILE in include_lines("ta", webrtc=True)["pjsip.conf"]
	assert TRANSPORTS_FILE not in include_lines("ta")["pjsip.conf"]
	# alone on its PBX nothing changes: the transports stay in pjsip.conf
	alone = render_all([WEB], [], AgiTarget(), WebRtc()).files
	assert TRANSPORTS_FILE not in alone and "type=transport" in alone["pjsip.conf"]


def test_ports_a_site_never_filled_in_take_their_defaults():
	# a site that had CC Settings before the phone bar holds 0 in the new Int fields (found on an upgraded
	# lab site: render-asterisk refused "Asterisk HTTP Port: ... not 0"); patches/v1_0/phone_bar_defaults too
	w = browser.webrtc_from_settings(
		{"asterisk_http_port": 0, "asterisk_tls_port": 0, "asterisk_http_bind": ""}
	)
	assert (w.http_port, w.tls_port, w.http_bind) == (8088, 8089, "127.0.0.1")
	assert browser.check_settings({**SETTINGS, "asterisk_http_port": 0}, turn_password_set=True) == []
