"""Desk endpoints for the phone: presence (log in/out, work mode), click-to-call, transfer, listen /
whisper / barge, and call recordings. Each checks who may do it before anything else.

The AMI actions are decided in telephony/actions.py (pure, every value checked) and sent over one short
AMI session; an unreachable Asterisk is a clear message, never a traceback.
"""

from __future__ import annotations

import os

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize
from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.service import live_call, send_actions
from callcenter_app.telephony.presence import service as presence
from callcenter_app.telephony.presence.service import dtmf_target, sip_account_of
from callcenter_app.utils import default_region, has_capability, require, requires, throw_field_error

RECORDING_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".gsm": "audio/x-gsm", ".ogg": "audio/ogg"}


# --- presence ------------------------------------------------------------------------------------------


@frappe.whitelist()
@requires(roles.USE_PHONE)
def my_presence() -> dict:
	"""The current user's state and the work modes they can choose."""
	state = presence.state_dict(frappe.session.user)
	state["modes"] = frappe.get_all(
		"CC Work Mode",
		filters={"enabled": 1},
		fields=["name", "receives_calls", "receives_tickets", "is_default"],
		order_by="is_default desc, name",
	)
	return state


@frappe.whitelist(methods=["POST"])
@requires(roles.USE_PHONE)
def set_presence(logged_in: bool, work_mode: str | None = None, agent: str | None = None) -> dict:
	"""Log in or out, or change work mode. For someone else (``agent``) only supervisors may."""
	user = agent or frappe.session.user
	if user != frappe.session.user:
		require(roles.SUPERVISE_CALLS)
		source = "Supervisor"
	else:
		source = "Desk"
	try:
		return presence.set_presence(user, frappe.utils.sbool(logged_in), work_mode or None, source=source)
	except FieldError as e:
		throw_field_error(e)


# --- calls ---------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
@requires(roles.PLACE_CALLS)
def click_to_call(number: str, ticket: str | None = None) -> dict:
	"""Ring the user's softphone, then dial ``number``. From a ticket, the call joins that ticket. The
	do-not-call lists and the calling windows of the user's campaigns apply (dialer/manual.py)."""
	ticket = str(ticket) if ticket not in (None, "") else None
	if ticket:
		frappe.has_permission("HD Ticket", "read", doc=ticket, throw=True)
	account = sip_account_of(frappe.session.user)
	from callcenter_app.dialer import service as dialer

	try:
		dialled = normalize(number, default_region(), field="number")
		action = actions.click_to_call(account, dialled, ticket=ticket)
	except FieldError as e:
		throw_field_error(e)
	refused = dialer.manual_dial_refusal(dialled, frappe.session.user, from_ticket=bool(ticket))
	if refused:
		throw_field_error(refused)
	send_actions(action)
	return {"ringing": account, "number": dialled}


def _transfer_target(target: str) -> str:
	if frappe.db.exists("CC SIP Account", {"name": target, "enabled": 1}):
		return target

	try:
		return normalize(target, default_region(), field="target")
	except FieldError as e:
		throw_field_error(e)


@frappe.whitelist(methods=["POST"])
@requires(roles.PLACE_CALLS)
def transfer(target: str, attended: bool = False) -> dict:
	"""Transfer the user's current call to a colleague's SIP account or an outside number: blind (the
	caller goes at once) or attended (talk to the target first; hang up to complete)."""
	account = sip_account_of(frappe.session.user)
	target = _transfer_target(target)
	call = live_call(account)
	try:
		if frappe.utils.sbool(attended):
			action = actions.attended_transfer(call, dtmf_target(target))
		else:
			action = actions.blind_transfer(call, target)
	except FieldError as e:
		throw_field_error(e)
	send_actions(action)
	return {"transferred": call.linkedid, "to": target, "attended": bool(frappe.utils.sbool(attended))}


@frappe.whitelist(methods=["POST"])
@requires(roles.SUPERVISE_CALLS)
def spy(agent: str, mode: str = "listen") -> dict:
	"""Listen to, whisper to or barge into ``agent``'s call, from the supervisor's own softphone."""
	supervisor = sip_account_of(frappe.session.user, "supervisor")
	target = sip_account_of(agent, "agent")
	try:
		action = actions.spy(supervisor, target, mode)
	except FieldError as e:
		throw_field_error(e)
	send_actions(action)
	return {"ringing": supervisor, "agent": agent, "mode": mode}


# --- recordings ----------------------------------------------------------------------------------------


def recording_path(call_log: str) -> str:
	"""The recording's file inside CC Settings' recordings folder, after the permission checks: read
	permission on the CC Call Log, and being a supervisor or the agent who took the call."""
	doc = frappe.get_doc("CC Call Log", call_log)
	doc.check_permission("read")
	if not (has_capability(roles.SUPERVISE_CALLS) or doc.agent == frappe.session.user):
		frappe.throw(
			_("Only supervisors and the agent who took the call may hear it"), frappe.PermissionError
		)
	if not doc.recording:
		frappe.throw(_("Call {0} has no recording").format(call_log), frappe.DoesNotExistError)
	folder = frappe.db.get_single_value("CC Settings", "recordings_folder")
	if not folder:
		frappe.throw(_("CC Settings: set the recordings folder first"))
	root = os.path.realpath(folder)
	path = os.path.realpath(os.path.join(root, os.path.basename(doc.recording)))
	if os.path.dirname(path) != root or os.path.splitext(path)[1].lower() not in RECORDING_TYPES:
		frappe.throw(_("Recording {0} is not an audio file in the recordings folder").format(doc.recording))
	if not os.path.isfile(path):
		frappe.throw(
			_("Recording file {0} is missing").format(os.path.basename(path)), frappe.DoesNotExistError
		)
	return path


@frappe.whitelist(methods=["GET"])
@requires(roles.DESK_USER)
def recording(call_log: str):
	"""Stream a call's recording (permission-checked; never a public file URL). The file is sent in
	chunks, never read whole into memory, and Range requests work, so the player can seek."""
	from werkzeug.utils import send_file

	path = recording_path(call_log)
	request = getattr(frappe.local, "request", None)
	response = send_file(
		path,
		request.environ if request is not None else {"REQUEST_METHOD": "GET"},
		mimetype=RECORDING_TYPES[os.path.splitext(path)[1].lower()],
		as_attachment=False,
		download_name=os.path.basename(path),
		conditional=True,
		max_age=0,
	)
	response.headers["Cache-Control"] = "private, no-store"
	return response
