"""Login security rules: whose password a user may set, restrict-IP lists, the CC Security checklist."""

from __future__ import annotations

import pytest

from callcenter_app.common import roles, security
from callcenter_app.common.errors import FieldError

CCM = roles.effective_roles(roles.CALL_CENTER_MANAGER)
SM = roles.effective_roles(roles.SYSTEM_MANAGER)
SUPERVISOR = roles.effective_roles(roles.AGENT_SUPERVISOR)


def test_everyone_sets_their_own_password():
	assert security.password_refusal(SUPERVISOR, "sup@x", "sup@x", [roles.AGENT_SUPERVISOR]) is None


def test_only_managers_set_another_users_password():
	assert security.password_refusal(CCM, "ccm@x", "agent@x", [roles.AGENT]) is None
	assert security.password_refusal(SM, "sm@x", "agent@x", [roles.AGENT]) is None
	refused = security.password_refusal(SUPERVISOR, "sup@x", "agent@x", [roles.AGENT])
	assert refused == "Only System Manager / Call Center Manager may do this: set another user's password"
	assert security.password_refusal(
		roles.effective_roles(roles.PROJECT_MANAGER), "pm@x", "op@x", [roles.OPERATOR]
	)


PM = roles.effective_roles(roles.PROJECT_MANAGER)


def test_a_project_manager_sets_only_their_campaigns_operators_passwords():
	mine = {"op@x", "sup@x"}
	assert security.password_refusal(PM, "pm@x", "op@x", [roles.OPERATOR, roles.AGENT], mine) is None
	refused = security.password_refusal(PM, "pm@x", "other@x", [roles.OPERATOR], mine)
	assert refused == "other@x is no operator of a campaign you run: set another user's password"
	# an operator of their campaign who is also a supervisor: no stepping up
	refused = security.password_refusal(PM, "pm@x", "sup@x", [roles.OPERATOR, roles.AGENT_SUPERVISOR], mine)
	assert refused == "sup@x also holds Agent Supervisor: only a Call Center Manager may set their password"
	assert security.password_refusal(PM, "pm@x", "sup@x", [roles.SYSTEM_MANAGER], mine)
	# the list of operators means nothing to someone who is no Project Manager
	assert security.password_refusal(SUPERVISOR, "sup2@x", "op@x", [roles.OPERATOR], mine)


def test_set_passwords_is_held_by_managers_and_project_managers_only():
	assert roles.may(PM, roles.SET_PASSWORDS) and roles.may(CCM, roles.SET_PASSWORDS)
	assert not roles.may(SUPERVISOR, roles.SET_PASSWORDS)
	assert not roles.may(roles.effective_roles(roles.OPERATOR), roles.SET_PASSWORDS)


def test_a_call_center_manager_cannot_step_up_to_a_system_manager():
	refused = security.password_refusal(CCM, "ccm@x", "sm@x", [roles.SYSTEM_MANAGER])
	assert refused == "only a System Manager may set the password of sm@x, who is one"
	assert security.password_refusal(CCM, "ccm@x", "Administrator", [])
	assert security.password_refusal(SM, "sm@x", "sm2@x", [roles.SYSTEM_MANAGER]) is None
	assert security.password_refusal([], "Administrator", "sm@x", [roles.SYSTEM_MANAGER]) is None


@pytest.mark.parametrize(
	"text,stored",
	[
		("", ""),
		(None, ""),
		("10.1.0.7", "10.1.0.7"),
		("10.1., 192.168.4.2\n2001:db8:", "10.1., 192.168.4.2, 2001:db8:"),
	],
)
def test_restrict_ip_lists(text, stored):
	assert security.restrict_ip("restrict_ip", text) == stored


@pytest.mark.parametrize("text", ["10.1.0.0/16", "*", "example.com", "10.1.0.7; 10.1.0.8", "."])
def test_restrict_ip_refuses_what_frappe_would_not_match(text):
	with pytest.raises(FieldError, match=r"restrict_ip: .* is not an IP address"):
		security.restrict_ip("restrict_ip", text)


def test_checklist_reads_system_settings_fields():
	checks = {
		c.key: c for c in security.checklist({"enable_password_policy": 1, "minimum_password_score": "2"})
	}
	assert set(checks) == set(security.FEATURES)
	assert checks["password_policy"].on
	assert not checks["two_factor"].on
	assert not checks["lockout"].on  # 0 attempts: unlimited
	on = security.checklist({"allow_consecutive_login_attempts": 5, "enable_two_factor_auth": 1})
	assert {c.key for c in on if c.on} == {"lockout", "two_factor"}


def test_switch_on_writes_system_settings_fields():
	assert security.switch_on("password_policy", {"minimum_password_score": "3"}) == {
		"enable_password_policy": 1,
		"minimum_password_score": "3",
	}
	assert security.switch_on("two_factor", {})["two_factor_method"] == "OTP App"
	with pytest.raises(FieldError, match="feature: 'everything' is not one of"):
		security.switch_on("everything", {})
