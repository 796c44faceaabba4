"""One roles module: every role check asks common/roles.py, and the decisions where old lists disagreed."""

from __future__ import annotations

import ast
import json
import pathlib

import pytest

from callcenter_app.common import permission_matrix, roles

APP = pathlib.Path(__file__).resolve().parents[1] / "callcenter_app"
ROLE_NAMES = {
	roles.SYSTEM_MANAGER,
	roles.AGENT,
	roles.AGENT_MANAGER,
	*roles.PRODUCT_ROLES,
}
# where role names may be spelled out: the roles module itself
ALLOWED = {APP / "common" / "roles.py"}


def app_sources():
	for path in sorted(APP.rglob("*.py")):
		if path.name.startswith("test_") or path in ALLOWED:
			continue
		yield path, ast.parse(path.read_text())


def labels(tree, constant) -> bool:
	"""A label (``_("Agent")``, ``LABELS = {"agent": "Agent"}``) is not a role."""
	for node in ast.walk(tree):
		if isinstance(node, ast.Call) and ast.unparse(node.func) == "_" and constant in node.args:
			return True
		if isinstance(node, ast.Dict):
			for key, value in zip(node.keys, node.values, strict=True):
				if value is constant and isinstance(key, ast.Constant) and key.value != "role":
					return True
	return False


def test_no_role_list_outside_the_roles_module():
	"""Role names appear as text only in common/roles.py: a role tuple elsewhere is a second list."""
	found = [
		f"{path.relative_to(APP.parent)}:{node.lineno}: {node.value!r}"
		for path, tree in app_sources()
		for node in ast.walk(tree)
		if isinstance(node, (ast.Set, ast.List, ast.Tuple, ast.Compare, ast.Dict))
		for node in ast.walk(node)
		if isinstance(node, ast.Constant) and node.value in ROLE_NAMES and not labels(tree, node)
	]
	assert not found, "role names outside common/roles.py:\n" + "\n".join(found)


def test_roles_are_read_only_through_utils():
	"""``frappe.get_roles`` is called in one place (utils.has_capability)."""
	found = [
		f"{path.relative_to(APP.parent)}:{node.lineno}"
		for path, tree in app_sources()
		if path != APP / "utils.py"
		for node in ast.walk(tree)
		if isinstance(node, ast.Attribute) and node.attr in ("get_roles", "only_for")
	]
	assert not found, "role lookups outside utils.py:\n" + "\n".join(found)


def test_every_whitelisted_method_declares_its_capability():
	methods = permission_matrix.read_methods()
	assert len(methods) > 20
	undeclared = [m.path for m in methods if m.capability is None]
	assert not undeclared, f"add @requires(roles.X) under @frappe.whitelist(): {undeclared}"
	for m in methods:
		assert m.allow_guest == (m.capability is roles.WEBHOOK), m.path


def test_hooks_row_rules_are_declared():
	hooks = permission_matrix._hook_dicts(APP / "hooks.py")
	hooked = set(hooks["permission_query_conditions"]) | set(hooks["has_permission"])
	assert hooked == set(roles.ROW_RULES)


def view_roles(kind: str, name: str) -> set[str]:
	folder = APP / "callcenter_app" / kind / name.lower().replace(" ", "_").replace("-", "_")
	return {r["role"] for r in json.loads((folder / f"{folder.name}.json").read_text())["roles"]}


@pytest.mark.parametrize("name,cap", sorted(roles.REPORT_CAPABILITY.items()))
def test_reports_are_open_to_their_capability(name, cap):
	assert view_roles("report", name) == set(cap.roles)


def test_every_report_and_page_has_a_capability():
	for view in permission_matrix.read_views():
		table = roles.REPORT_CAPABILITY if view.kind == "Report" else roles.PAGE_CAPABILITY
		assert view.name in table, f"{view.kind} {view.name}: add it to roles.{view.kind.upper()}_CAPABILITY"
		assert view.roles == table[view.name].roles, f"{view.kind} {view.name}"


def test_console_page_is_open_to_whoever_may_use_the_console():
	"""Decision: the page had no Project Manager while its endpoints let Project Managers in."""
	assert roles.PROJECT_MANAGER in view_roles("page", "cc-console")
	assert view_roles("page", "cc-console") == set(roles.USE_CONSOLE.roles)


def test_agent_manager_supervises_tickets_not_calls():
	"""Decision: api/tickets.py let Helpdesk's Agent Manager run the distribution, api/telephony.py kept it
	out of listening in; both stay so, now as two capabilities."""
	held = roles.effective_roles(roles.AGENT_MANAGER)
	assert roles.may(held, roles.SUPERVISE_TICKETS)
	assert roles.may(held, roles.SEE_ALL_TICKETS)
	assert not roles.may(held, roles.SUPERVISE_CALLS)
	assert not roles.may(held, roles.SEE_ALL_CALLS)


def test_privileged_agent_sees_every_ticket_but_not_orphan_sms():
	held = roles.effective_roles(roles.PRIVILEGED_AGENT)
	assert roles.may(held, roles.SEE_ALL_TICKETS)
	assert not roles.may(held, roles.SUPERVISE_TICKETS)


def test_supervisors_hold_what_they_held():
	held = roles.effective_roles(roles.AGENT_SUPERVISOR)
	for cap in (roles.SUPERVISE_CALLS, roles.SEE_ALL_CALLS, roles.MANAGE_CAMPAIGNS, roles.SEE_ALL_TICKETS):
		assert roles.may(held, cap), cap


def held_by(column: str) -> list[str]:
	return [c.name for c in roles.CAPABILITIES.values() if roles.may(roles.effective_roles(column), c)]


def test_guests_hold_only_the_webhook():
	assert held_by(roles.GUEST) == ["WEBHOOK"]


def test_portal_users_hold_the_webhook_and_their_own_credit():
	"""Portal customers top up their own prepaid credit (the row rule keeps them to their accounts)."""
	assert held_by(roles.WEBSITE_USER) == ["WEBHOOK", "OWN_CREDIT"]


def test_own_credit_refusal_asks_to_log_in():
	assert roles.refusal(roles.OWN_CREDIT) == "Log in to do this"


def test_unknown_capability_is_named():
	with pytest.raises(KeyError, match="SUPERVISE_EVERYTHING"):
		roles.capability("SUPERVISE_EVERYTHING")


def test_refusal_names_the_roles():
	assert roles.refusal(roles.SUPERVISE_CALLS) == (
		"Only System Manager / Call Center Manager / Agent Supervisor may do this"
	)
