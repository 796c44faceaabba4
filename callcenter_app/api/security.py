"""The CC Security page's endpoints (``callcenter_app/callcenter_app/page/cc_security``) and the password
rule: a summary of Frappe's System Settings login security with "switch on" buttons, per-user restrict-IP,
and setting another user's password — all for holders of MANAGE_USERS (Call Center and System Managers).

The settings are System Settings' own fields (read here, written through the System Settings document so
Frappe's validation runs); nothing is copied into a doctype of the app.
"""

from __future__ import annotations

import dataclasses

import frappe
from frappe import _

from callcenter_app.common import roles, security
from callcenter_app.common.errors import FieldError
from callcenter_app.utils import requires, roles_of, throw_field_errors

SETTINGS_FIELDS = (
	"enable_two_factor_auth",
	"two_factor_method",
	"enable_password_policy",
	"minimum_password_score",
	"logout_on_password_reset",
	"allow_consecutive_login_attempts",
	"allow_login_after_fail",
	"bypass_2fa_for_retricted_ip_users",
)
STAFF_ROLES = sorted(r for r in roles.MATRIX_ROLES if r not in (roles.GUEST, roles.WEBSITE_USER))


def _settings() -> dict:
	return {f: frappe.db.get_single_value("System Settings", f) for f in SETTINGS_FIELDS}


@frappe.whitelist()
@requires(roles.MANAGE_USERS)
def summary() -> dict:
	"""The checklist, the two-factor roles and every enabled desk user's restrict-IP."""
	users = frappe.get_all(
		"User",
		filters={"enabled": 1, "user_type": "System User", "name": ["not in", ["Administrator", "Guest"]]},
		fields=["name", "full_name", "restrict_ip", "last_login", "last_ip"],
		order_by="name asc",
	)
	held = {}
	for row in frappe.get_all(
		"Has Role", filters={"parenttype": "User", "role": ["in", STAFF_ROLES]}, fields=["parent", "role"]
	):
		held.setdefault(row.parent, []).append(row.role)
	for user in users:
		user["roles"] = sorted(held.get(user.name, []))
	return {
		"checks": [dataclasses.asdict(c) for c in security.checklist(_settings())],
		"two_factor_roles": frappe.get_all(
			"Role", filters={"two_factor_auth": 1, "name": ["in", STAFF_ROLES]}, pluck="name"
		),
		"staff_roles": STAFF_ROLES,
		"users": users,
	}


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_USERS)
def enable(feature: str) -> dict:
	"""Switch one login-security feature on in System Settings (Frappe validates the document)."""
	try:
		values = security.switch_on(feature, _settings())
	except FieldError as e:
		throw_field_errors(None, [e])
	settings = frappe.get_single("System Settings")
	settings.update(values)
	settings.save(ignore_permissions=True)  # MANAGE_USERS was checked above
	return summary()


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_USERS)
def require_two_factor(role: str, on: bool = True) -> dict:
	"""Ask two-factor authentication of every user with ``role`` (Frappe's Role setting)."""
	if role not in STAFF_ROLES:
		throw_field_errors(None, [FieldError("role", _("{0} is not a call-center role").format(role))])
	frappe.db.set_value("Role", role, "two_factor_auth", 1 if frappe.utils.sbool(on) else 0)
	return summary()


@frappe.whitelist(methods=["POST"])
@requires(roles.MANAGE_USERS)
def set_restrict_ip(user: str, restrict_ip: str = "") -> dict:
	"""Limit ``user``'s logins to addresses starting with the given entries (empty: any address)."""
	_check_may_manage(user)
	try:
		value = security.restrict_ip("restrict_ip", restrict_ip)
	except FieldError as e:
		throw_field_errors("User", [e])
	frappe.db.set_value("User", user, "restrict_ip", value)
	return {"user": user, "restrict_ip": value}


@frappe.whitelist(methods=["POST"])
@requires(roles.SET_PASSWORDS)
def set_password(user: str, new_password: str) -> dict:
	"""Set another user's password (Frappe's password policy applies; their other sessions end). Call
	Center Managers: any user below System Manager; Project Managers: the operators of their campaigns."""
	from frappe.core.doctype.user.user import test_password_strength
	from frappe.utils.password import update_password

	_check_may_manage(user)
	strength = test_password_strength(new_password, user_data=(user,)) or {}
	feedback = strength.get("feedback") or {}
	if frappe.db.get_single_value("System Settings", "enable_password_policy") and not feedback.get(
		"password_policy_validation_passed", True
	):
		message = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])]).strip()
		throw_field_errors("User", [FieldError("new_password", message or _("is too weak"))])
	update_password(user, new_password, logout_all_sessions=True)
	frappe.logger("callcenter_security", allow_site=True).info(
		"password of %s set by %s", user, frappe.session.user
	)
	return {"user": user}


def _check_may_manage(user: str) -> None:
	if not frappe.db.exists("User", user):
		throw_field_errors(None, [FieldError("user", _("{0} does not exist").format(user))])
	refusal = security.password_refusal(
		roles_of(frappe.session.user),
		frappe.session.user,
		user,
		roles_of(user),
		project_operators(frappe.session.user),
	)
	if refusal:
		frappe.throw(_(refusal), frappe.PermissionError, title=_("Not permitted"))


def project_operators(user: str) -> set[str]:
	"""The operators (active or not) of the campaigns ``user`` created: whose passwords a Project Manager
	may set. Empty for anyone who is no Project Manager."""
	if roles.PROJECT_MANAGER not in roles_of(user):
		return set()
	campaigns = frappe.get_all("CC Campaign", filters={"owner": user}, pluck="name")
	if not campaigns:
		return set()
	return set(
		frappe.get_all(
			"CC Campaign Operator",
			filters={"parenttype": "CC Campaign", "parent": ["in", campaigns]},
			pluck="user",
		)
	)


def validate_user(doc, method=None) -> None:
	"""User ``validate``: a new password for another user only from a holder of MANAGE_USERS (and a System
	Manager's only from a System Manager), whatever door the save came through."""
	# User.validate moves the new password out of the field before the hooks run
	new_password = doc.get("new_password") or getattr(doc, "_User__new_password", None)
	if not new_password or doc.name == frappe.session.user or frappe.flags.in_install:
		return
	refusal = security.password_refusal(
		roles_of(frappe.session.user),
		frappe.session.user,
		doc.name,
		[r.role for r in doc.get("roles", [])],
		project_operators(frappe.session.user),
	)
	if refusal:
		frappe.throw(_(refusal), frappe.PermissionError, title=_("Not permitted"))
