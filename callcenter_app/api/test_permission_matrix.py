"""The permission matrix (docs/permission-matrix.md) walked through Frappe's doors on a real site.

One user per column of the matrix (a desk user with that one role, a portal user, Guest). For every doctype of
the app: list it (``frappe.client.get_list``, or ``frappe.client.get`` for a single) and open its report view
(``frappe.desk.reportview.get``) — refused exactly when the matrix has no R; insert an empty record
(``frappe.client.insert``) — refused for permission exactly when it has no C; write and delete as Frappe's
doctype-level check answers them; a record linked to nobody is listed exactly for the roles the row rule
exempts (``roles.ROW_RULES``). For every whitelisted method: called through ``frappe.handler.execute_cmd``
like a request, a user without the declared capability is refused (403) before the method does anything, and
a user with it is not refused for that reason. Reports run and pages open exactly for their roles. Any
difference fails the test with every difference listed.
"""

from __future__ import annotations

import json
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from werkzeug.test import EnvironBuilder

from callcenter_app.common import permission_matrix, roles

DOMAIN = "matrix.cc-test.invalid"
DOOR_REFUSALS = ("not permitted to access this resource",)  # frappe.is_whitelisted


def user_for(column: str) -> str:
	if column == roles.GUEST:
		return "Guest"
	return f"{column.lower().replace(' ', '-')}@{DOMAIN}"


class TestPermissionMatrix(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.matrix = permission_matrix.read()
		for column in roles.MATRIX_ROLES:
			if column == roles.GUEST or frappe.db.exists("User", user_for(column)):
				continue
			user = frappe.get_doc(
				{
					"doctype": "User",
					"email": user_for(column),
					"first_name": column,
					"send_welcome_email": 0,
					"user_type": "Website User" if column == roles.WEBSITE_USER else "System User",
				}
			)
			if column != roles.WEBSITE_USER:
				user.append("roles", {"role": column})
			user.insert(ignore_permissions=True)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.request = None
		frappe.local.form_dict = frappe._dict()
		frappe.clear_messages()

	def as_user(self, column: str, call, *args, **kwargs) -> BaseException | None:
		"""Run ``call`` as the column's user in a savepoint that is rolled back; return what it raised. A
		method that commits (the payment webhooks keep a refused request) is kept from committing."""
		frappe.set_user(user_for(column))
		frappe.db.savepoint("matrix")
		try:
			with patch.object(frappe.db, "commit", lambda *a, **k: None):
				call(*args, **kwargs)
			return None
		except Exception as e:
			return e
		finally:
			frappe.db.rollback(save_point="matrix")
			frappe.set_user("Administrator")
			frappe.clear_messages()

	def test_doctypes(self):
		from frappe import client
		from frappe.desk import reportview

		differences = []
		for entry in self.matrix.doctypes:
			if entry.external:
				continue
			for column in roles.MATRIX_ROLES:
				user = user_for(column)
				if entry.single:
					read = self.as_user(column, client.get, entry.name, entry.name)
				else:
					read = self.as_user(column, client.get_list, entry.name, limit_page_length=1)

				def view(doctype=entry.name):
					frappe.local.form_dict = frappe._dict(doctype=doctype, fields=json.dumps(["name"]))
					return reportview.get()

				seen = {"read (client)": read}
				if not entry.single:
					seen["read (report view)"] = self.as_user(column, view)
				for door, error in seen.items():
					if isinstance(error, frappe.PermissionError) == entry.allowed(column, "read"):
						differences.append(f"{entry.name} × {column}: {door}: {error!r}")
				if not entry.single:
					insert = self.as_user(column, client.insert, {"doctype": entry.name})
					if isinstance(insert, frappe.PermissionError) == entry.allowed(column, "create"):
						differences.append(f"{entry.name} × {column}: create: {insert!r}")
				for ptype in ("write", "delete"):
					# without a record Frappe refuses an owner-only (if_owner) permission
					expected = entry.allowed(column, ptype) and not entry.owner_limited(column)
					granted = bool(frappe.has_permission(entry.name, ptype, user=user))
					if granted != expected:
						differences.append(f"{entry.name} × {column}: {ptype}: Frappe says {granted}")
		self.assertEqual(differences, [], "\n".join(differences))

	def test_row_rules(self):
		"""A record linked to nobody (no agent, campaign, ticket or queue) is listed exactly for the roles that
		hold the row rule's "sees every record" capability, among those the doctype lets read."""
		differences = []
		for entry in self.matrix.doctypes:
			if entry.external or entry.single or not entry.row_rule:
				continue
			doc = frappe.new_doc(entry.name)
			doc.name = f"matrix-row-rule-{entry.name.lower().replace(' ', '-')}"
			for field in doc.meta.fields:
				if field.unique and field.fieldtype in ("Data", "Small Text"):
					doc.set(field.fieldname, doc.name)
			frappe.db.delete(entry.name, {"name": doc.name})  # left by a run that was stopped
			doc.db_insert()
			for column in roles.MATRIX_ROLES:
				if not entry.allowed(column, "read"):
					continue
				listed = []
				error = self.as_user(
					column,
					lambda d=doc: listed.extend(
						frappe.get_list(
							d.doctype, filters={"name": d.name}, pluck="name", limit_page_length=1
						)
					),
				)
				if error is not None:
					differences.append(f"{entry.name} × {column}: {error!r}")
				elif bool(listed) == entry.narrowed(column):
					differences.append(f"{entry.name} × {column}: {'listed' if listed else 'hidden'}")
		self.assertEqual(differences, [], "\n".join(differences))

	def call_method(self, method: permission_matrix.MethodEntry, column: str) -> BaseException | None:
		from frappe.handler import execute_cmd

		def request():
			http = "POST" if "POST" in method.http_methods else method.http_methods[0]
			frappe.local.request = EnvironBuilder(
				method=http, path=f"/api/method/{method.path}"
			).get_request()
			frappe.local.request_ip = "127.0.0.1"
			frappe.local.form_dict = frappe._dict(cmd=method.path)
			try:
				execute_cmd(method.path)
			finally:
				frappe.local.request = None

		return self.as_user(column, request)

	def test_whitelisted_methods(self):
		differences = []
		for method in self.matrix.methods:
			refusal = frappe._(roles.refusal(method.capability)) if method.capability else None
			for column in roles.MATRIX_ROLES:
				error = self.call_method(method, column)
				text = str(error.args[0]) if error is not None and error.args else ""
				refused = isinstance(error, frappe.PermissionError) and (
					text == refusal or any(door in text for door in DOOR_REFUSALS)
				)
				if refused == method.allowed(column):
					differences.append(
						f"{method.path} × {column}: {'refused' if refused else 'let in'} ({error!r})"
					)
		self.assertEqual(differences, [], "\n".join(differences))

	def test_reports_and_pages(self):
		from frappe.desk import desk_page, query_report

		differences = []
		for view in self.matrix.views:
			for column in roles.MATRIX_ROLES:
				if view.kind == "Report":
					error = self.as_user(column, query_report.run, view.name, filters={})
				else:
					error = self.as_user(column, desk_page.get, view.name)
				refused = isinstance(error, frappe.PermissionError)
				if refused == view.allowed(column):
					differences.append(f"{view.kind} {view.name} × {column}: {error!r}")
		self.assertEqual(differences, [], "\n".join(differences))
