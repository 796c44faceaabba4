"""Login security rules (pure): who may set whose password, what a restrict-IP list may hold, and the
checklist the CC Security page shows over Frappe's own System Settings (nothing is duplicated: the values
are System Settings' fields, read and written by ``api/security.py``)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError

# Frappe's restrict_ip: comma or newline separated; each entry matches an address by its text prefix
# ("10.1." allows 10.1.x.y), so an entry is the start of an IPv4 or IPv6 address, nothing else.
_IP_PREFIX = re.compile(r"^(?:[0-9]{1,3}\.){0,3}[0-9]{0,3}$|^[0-9a-fA-F:]+$")


# The roles a Project Manager may reset a password for: the operators of their own campaigns, as long as
# they hold nothing more (a Project Manager cannot take over a supervisor's or a manager's account).
OPERATOR_LEVEL = frozenset(
	{roles.OPERATOR, roles.AGENT, roles.FIELD_AGENT, roles.ALL, roles.GUEST, roles.DESK, roles.WEBSITE_USER}
)


def password_refusal(
	actor_roles: Iterable[str],
	actor: str,
	target: str,
	target_roles: Iterable[str],
	project_operators: Collection[str] = (),
) -> str | None:
	"""Why ``actor`` may not set ``target``'s password, or None. Everyone sets their own; another user's only
	a holder of MANAGE_USERS, and a System Manager's only another System Manager (no stepping up). A Project
	Manager sets the password of an operator of one of their own campaigns (``project_operators``: the
	active and inactive operators of the campaigns the actor created) whose roles are operator-level only."""
	if actor == target or actor == roles.ADMINISTRATOR:
		return None
	held = set(actor_roles)
	target_roles = set(target_roles)
	if not roles.may(held, roles.MANAGE_USERS):
		if roles.PROJECT_MANAGER in held:
			if target not in project_operators:
				return f"{target} is no operator of a campaign you run: set another user's password"
			above = sorted(target_roles - OPERATOR_LEVEL)
			if above:
				return f"{target} also holds {', '.join(above)}: only a Call Center Manager may set their password"
			return None
		return roles.refusal(roles.MANAGE_USERS) + ": set another user's password"
	if (target == roles.ADMINISTRATOR or roles.SYSTEM_MANAGER in target_roles) and (
		roles.SYSTEM_MANAGER not in held
	):
		return f"only a System Manager may set the password of {target}, who is one"
	return None


def restrict_ip(field: str, text: str | None) -> str:
	"""A restrict-IP list as Frappe stores it (comma separated, no blanks); empty allows every address."""
	entries = [e.strip() for e in re.split(r"[,\n]", text or "") if e.strip()]
	for entry in entries:
		if not _IP_PREFIX.match(entry) or entry in (".", ":"):
			raise FieldError(
				field, f"{entry!r} is not an IP address or the start of one (e.g. 10.1.0.7 or 10.1.)"
			)
	return ", ".join(entries)


@dataclass(frozen=True)
class Check:
	key: str  # what the page's button switches on (api.security.enable)
	label: str
	on: bool
	detail: str


FEATURES = ("two_factor", "password_policy", "logout_on_password_reset", "lockout")


def checklist(settings: Mapping) -> list[Check]:
	"""The page's summary of System Settings' login security, one line per feature."""
	method = settings.get("two_factor_method") or "OTP App"
	score = int(settings.get("minimum_password_score") or 0)
	attempts = int(settings.get("allow_consecutive_login_attempts") or 0)
	return [
		Check(
			"two_factor",
			"Two-factor authentication",
			bool(settings.get("enable_two_factor_auth")),
			f"method {method}; applies to users whose roles ask for it (Role: Two Factor Authentication)",
		),
		Check(
			"password_policy",
			"Password policy",
			bool(settings.get("enable_password_policy")) and score >= 2,
			f"minimum strength {score} of 4",
		),
		Check(
			"logout_on_password_reset",
			"Log out everywhere on password reset",
			bool(settings.get("logout_on_password_reset")),
			"a stolen session ends when the password changes",
		),
		Check(
			"lockout",
			"Lock after failed logins",
			0 < attempts <= 10,
			f"{attempts or 'unlimited'} attempts, then {int(settings.get('allow_login_after_fail') or 0)} s",
		),
	]


# What "switch on" writes into System Settings for each feature.
SWITCH_ON: dict[str, dict] = {
	"two_factor": {"enable_two_factor_auth": 1},
	"password_policy": {"enable_password_policy": 1},
	"logout_on_password_reset": {"logout_on_password_reset": 1},
	"lockout": {"allow_consecutive_login_attempts": 5, "allow_login_after_fail": 300},
}


def switch_on(feature: str, settings: Mapping) -> dict:
	if feature not in SWITCH_ON:
		raise FieldError("feature", f"{feature!r} is not one of {', '.join(FEATURES)}")
	values = dict(SWITCH_ON[feature])
	if feature == "password_policy":
		values["minimum_password_score"] = str(max(2, int(settings.get("minimum_password_score") or 0)))
	if feature == "two_factor" and not settings.get("two_factor_method"):
		values["two_factor_method"] = "OTP App"
	return values
