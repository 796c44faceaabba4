"""The phone bar's endpoints (docs/phone-bar.md): what the browser registers with, and the caller's card.

``registration`` hands the session user the secret of *their own* enabled CC SIP Account marked WebRTC,
and nothing else: it is a POST (Frappe checks the CSRF token of a desk session on every POST), the answer
carries ``Cache-Control: no-store`` so no cache or back button keeps it, and nothing of it is logged. The
page keeps it in memory for the registration it is for (JsSIP's digest answers) and never stores it.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from werkzeug.wrappers import Response

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.utils import requires, throw_field_errors

ACCOUNT_FIELDS = ["name", "username", "display_name", "enabled", "webrtc", "extension"]


def _own_account(user: str) -> dict:
	"""The user's CC SIP Account: an enabled one first; refused, naming the field, when they have none."""
	rows = frappe.get_all(
		"CC SIP Account",
		filters={"user": user},
		fields=ACCOUNT_FIELDS,
		order_by="enabled desc, webrtc desc, name",
		limit=1,
	)
	if not rows:
		throw_field_errors(
			"CC SIP Account",
			[FieldError("user", _("no CC SIP Account names {0} as its Agent").format(user))],
			title=_("No phone for you yet"),
		)
	return rows[0]


def registration_for(user: str) -> dict:
	"""What ``user``'s phone bar registers with (their own account only): see browser.registration."""
	from frappe.utils.password import get_decrypted_password

	from callcenter_app.telephony.asterisk_config.browser import registration as build

	account = _own_account(user)
	settings = frappe.get_single("CC Settings")
	secret = get_decrypted_password("CC SIP Account", account["name"], "secret", raise_exception=False)
	turn = ""
	if settings.get("turn_username"):
		turn = settings.get_password("turn_password", raise_exception=False) or ""
	try:
		return build(settings.as_dict(), account, secret or "", turn_password=turn)
	except FieldError as e:
		where = "CC Settings" if e.field in settings.meta.get_valid_columns() else "CC SIP Account"
		throw_field_errors(where, [e], title=_("The phone bar cannot register"))


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_SOFTPHONE)
def registration() -> Response:
	"""The WebSocket URL, SIP URI, authorization user, password, display name and ICE servers of the
	session user's own WebRTC CC SIP Account. POST only (CSRF-checked), never cached."""
	payload = registration_for(frappe.session.user)
	return Response(
		json.dumps({"message": payload}),
		status=200,
		content_type="application/json",
		headers={"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"},
	)


@frappe.whitelist(methods=["GET", "POST"])  # the phone's api.js POSTs everything (CSRF-checked)
@requires(roles.USE_SOFTPHONE)
def caller_card(number: str) -> dict:
	"""The caller's Contact and their open tickets the session user may read (the phone bar's card)."""
	from callcenter_app.telephony.notices.service import caller_context

	number = str(number or "").strip()[:40]
	return {"number": number, **caller_context(number, frappe.session.user)}


def boot(bootinfo) -> None:
	"""hooks ``extend_bootinfo``: the desk mounts the phone bar only for a user who has a WebRTC account
	and the capability, and only while CC Settings has the phone bar on (no secret here)."""
	from callcenter_app.utils import has_capability

	user = frappe.session.user
	bootinfo.callcenter_phone_bar = bool(
		user not in ("Guest", None)
		and frappe.db.get_single_value("CC Settings", "webrtc_enabled")
		and has_capability(roles.USE_SOFTPHONE, user)
		and frappe.db.exists("CC SIP Account", {"user": user, "enabled": 1, "webrtc": 1})
	)
