"""docs/permission-matrix.md is generated from the sources; it must be current, and the generator must pick
up doctypes, methods, reports and pages it has never heard of."""

from __future__ import annotations

import json
import textwrap

from callcenter_app.common import permission_matrix, roles


def test_permission_matrix_doc_is_current():
	expected = permission_matrix.render()
	assert permission_matrix.DOC.read_text() == expected, (
		"docs/permission-matrix.md is stale: run `python -m callcenter_app.common.permission_matrix --write`"
	)


def test_every_app_doctype_method_and_view_is_in_the_matrix():
	text = permission_matrix.DOC.read_text()
	matrix = permission_matrix.read()
	for entry in matrix.doctypes:
		assert f"| {entry.name}" in text
	for method in matrix.methods:
		assert f"`{method.path}`" in text
	assert {"CC Call Log", "CC Settings", "HD Ticket"} <= {e.name for e in matrix.doctypes}
	assert "CC Route Node" not in {e.name for e in matrix.doctypes}  # child tables follow their parent


def write(path, text):
	path.parent.mkdir(parents=True, exist_ok=True)
	path.write_text(textwrap.dedent(text))


def test_generator_picks_up_new_doctypes_methods_and_views(tmp_path):
	app = tmp_path / "newapp"
	write(
		app / "hooks.py",
		"""
		permission_query_conditions = {"CC Gift Card": "newapp.credit.service.query"}
		has_permission = {"CC Gift Card": "newapp.credit.service.check"}
		""",
	)
	doctype = {
		"doctype": "DocType",
		"name": "CC Gift Card",
		"permissions": [
			{"role": "Accountant", "read": 1, "write": 1},
			{"role": "Agent", "read": 1, "create": 1, "if_owner": 1},
		],
	}
	write(app / "newapp" / "doctype" / "cc_gift_card" / "cc_gift_card.json", json.dumps(doctype))
	write(
		app / "api" / "credit.py",
		'''
		import frappe
		from newapp.common import roles
		from newapp.utils import requires

		@frappe.whitelist(methods=["POST"])
		@requires(roles.SEE_ALL_CALLS)
		def top_up(amount: int) -> dict:
			"""Top up."""

		@frappe.whitelist()
		def forgotten():
			pass

		def not_whitelisted():
			pass
		''',
	)
	write(
		app / "newapp" / "report" / "credit_balance" / "credit_balance.json",
		json.dumps({"doctype": "Report", "name": "Credit Balance", "roles": [{"role": "Accountant"}]}),
	)
	matrix = permission_matrix.read(app)
	[entry] = matrix.doctypes
	assert entry.allowed(roles.ACCOUNTANT, "write") and not entry.allowed(roles.ACCOUNTANT, "delete")
	assert entry.owner_limited(roles.AGENT) and not entry.owner_limited(roles.ACCOUNTANT)
	assert entry.row_rule and "newapp.credit.service.query" in entry.row_rule  # not declared in ROW_RULES
	methods = {m.path: m for m in matrix.methods}
	assert set(methods) == {"newapp.api.credit.top_up", "newapp.api.credit.forgotten"}
	assert methods["newapp.api.credit.top_up"].allowed(roles.ACCOUNTANT)
	assert not methods["newapp.api.credit.top_up"].allowed(roles.AGENT)
	assert methods["newapp.api.credit.forgotten"].capability is None
	text = permission_matrix.render(matrix)
	assert "| CC Gift Card | — | — | — | — | — | — | — | RCᵒʳ | — | RWʳ | — | — |" in text
	assert "`newapp.api.credit.forgotten` (NONE)" in text
	assert "| Report: Credit Balance |" in text
