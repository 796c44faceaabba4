"""Frappe glue for the operator console: the operator's phone (presence, work modes), pause and resume.
A pause switches to a work mode that takes no calls and remembers the mode to resume (a user default)."""

from __future__ import annotations

import frappe

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer.console import rules
from callcenter_app.dialer.console.service import RESUME_DEFAULT, refuse
from callcenter_app.telephony.presence import service as presence


def phone_state(user: str) -> dict | None:
	"""The user's phone presence and the modes to pause in, or None when they are not a helpdesk agent."""
	if not frappe.db.exists("HD Agent", {"user": user, "is_active": 1}):
		return None
	state = presence.state_dict(user)
	modes = enabled_modes()
	state["pause_modes"] = rules.pause_modes(modes)
	state["paused"] = bool(state["logged_in"] and not modes.get(state["work_mode"] or ""))
	return state


def enabled_modes() -> dict[str, bool]:
	return {name: mode.receives_calls for name, mode in presence.work_modes(enabled_only=True).items()}


def pause(work_mode: str, user: str) -> dict:
	"""Switch to a work mode that takes no calls (logging in if needed); remember the mode to resume."""
	modes = enabled_modes()
	refuse(rules.pause_errors(work_mode, modes))
	state = agent_state(user)
	if state.logged_in and modes.get(state.work_mode or ""):
		frappe.defaults.set_user_default(RESUME_DEFAULT, state.work_mode, user)
	change_presence(user, work_mode)
	return phone_state(user)


def resume(user: str) -> dict:
	"""Back to the mode before the pause when it still takes calls, else the login default."""
	previous = frappe.defaults.get_user_default(RESUME_DEFAULT, user)
	try:
		mode = rules.resume_mode(previous, enabled_modes(), presence.default_work_mode())
	except FieldError as e:
		refuse([e])
	change_presence(user, mode)
	frappe.defaults.clear_user_default(RESUME_DEFAULT, user)
	return phone_state(user)


def agent_state(user: str):
	try:
		return presence.agent_state(user)
	except FieldError as e:
		refuse([e])


def change_presence(user: str, work_mode: str) -> None:
	try:
		presence.set_presence(user, True, work_mode, source="Desk")
	except FieldError as e:
		refuse([e])
