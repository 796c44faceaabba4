"""The permission matrix (docs/permission-matrix.md) walked through Frappe's doors on a real site.

One user per column of the matrix (a desk user with that one role, a portal user, Guest). For every doctype of
the app: list it (``frappe.client.get_list``, or ``frappe.client.get`` for a single) and open its report view
(``frappe.desk.reportview.get``) — refused exactly when the matrix has no R; insert an empty record
(``frappe.client.insert``) — refused for permission exactly when it has no C; write and delete as Frappe's
doctype-level check answers them; a record linked to nobody is listed exactly for the roles the row rule
exempts (``roles.ROW_RULES``). For every whitelisted method: called through ``frappe.handler.execute_cmd``
like a request, a user without the declared capability is refused (403) before the method does anything, and
a user with it is not refused for that reason. Reports run and pages open exactly for their roles.

The write and file doors, on one record per doctype made as Administrator and linked to nobody: the real
``frappe.client.set_value`` (``frappe.client.save`` of the unchanged record for singles and doctypes without
a plain text field) and ``frappe.client.delete`` through the handler, and ``GET`` / ``PUT`` / ``DELETE
/api/resource/<doctype>/<name>`` through ``frappe.api.handle``, refused exactly when the matrix has no
R / W / D for the role, the permission is only on the user's own records, or the row rule narrows the role;
a private File attached to each record fetched through ``frappe.handler.download_file`` and the
``/private/files/...`` path (``download_private_file``), served exactly to the roles that may read the
record, and on a ticket of a team nobody is in to exactly the roles the ticket row rule does not narrow; a
call recording through ``callcenter_app.api.telephony.recording``, for a call taken by nobody and one the
user took. For every role a row rule narrows, a record linked to its user goes through the same doors.
Every attempt runs in a savepoint that is rolled back, so one user's delete does not hide the record from
the next. Any difference fails the test with every difference listed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import wave
from unittest.mock import patch
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from werkzeug.test import EnvironBuilder

from callcenter_app.common import permission_matrix, roles
from callcenter_app.test_utils import (
	make_campaign,
	make_campaign_contact,
	make_credit_account,
	make_customer,
	make_portal_customer,
	make_report_ticket,
	make_team,
)

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
		method that commits (the payment webhooks keep a refused request) is kept from committing, and what
		it queued for after the commit is dropped with the rest."""
		frappe.set_user(user_for(column))
		frappe.db.savepoint("matrix")
		queued = list(frappe.db.after_commit._functions)
		try:
			with patch.object(frappe.db, "commit", lambda *a, **k: None):
				call(*args, **kwargs)
			return None
		except Exception as e:
			return e
		finally:
			frappe.db.rollback(save_point="matrix")
			frappe.db.after_commit.reset()
			for function in queued:
				frappe.db.after_commit.add(function)
			frappe.set_user("Administrator")
			frappe.clear_messages()
			frappe.local.response = frappe._dict(docs=[])

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

	def request(self, path: str, http: str = "POST", **kwargs):
		"""``/api/method/<path>`` as Frappe's handler runs it: the whitelist and HTTP method checks, then
		the function with the request's arguments. Returns what the function returned."""
		from frappe.handler import execute_cmd

		frappe.local.request = EnvironBuilder(method=http, path=f"/api/method/{path}").get_request()
		frappe.local.request_ip = "127.0.0.1"
		frappe.local.form_dict = frappe._dict(cmd=path, **kwargs)
		try:
			return execute_cmd(path)
		finally:
			frappe.local.request = None
			frappe.local.form_dict = frappe._dict()

	def rest(self, http: str, path: str, body: dict | None = None):
		"""``/api/resource/<doctype>/<name>`` as ``frappe.app`` hands it to ``frappe.api.handle``."""
		import frappe.api

		frappe.local.request = EnvironBuilder(method=http, path=path, json=body).get_request()
		frappe.local.request_ip = "127.0.0.1"
		frappe.local.form_dict = frappe._dict()
		try:
			return frappe.api.handle(frappe.local.request)
		finally:
			frappe.local.request = None

	def call_method(self, method: permission_matrix.MethodEntry, column: str) -> BaseException | None:
		http = "POST" if "POST" in method.http_methods else method.http_methods[0]
		return self.as_user(column, self.request, method.path, http)

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

	# --- real writes and deletes, and the file doors, on one record of every doctype ---------------------

	@classmethod
	def records(cls) -> dict[str, str]:
		"""One record per doctype of the app (not singles: their write is the form's save of settings, and
		they cannot be deleted), made as Administrator and linked to nobody, each with a private File
		attached. Built once per class; the class's cleanup rolls them back and removes the files."""
		if getattr(cls, "_records", None) is not None:
			return cls._records
		cls._records, cls.built, cls.skipped, cls.attachments = {}, {}, {}, {}
		frappe.set_user("Administrator")
		order = {doctype: i for i, doctype in enumerate(BUILD_FIRST)}
		for entry in sorted(cls.matrix.doctypes, key=lambda e: (order.get(e.name, len(order)), e.name)):
			if entry.external:
				continue
			if entry.single:
				continue  # written below (save of the unchanged settings); a single is never deleted
			try:
				name, how = build_record(entry.name)
			except Exception as e:
				cls.skipped[entry.name] = f"could not be built: {e!r}"
				continue
			cls._records[entry.name] = name
			cls.built[entry.name] = how
			cls.attachments[entry.name] = attach(entry.name, name)
			cls.addClassCleanup(_remove, cls.attachments[entry.name][2])
		return cls._records

	def test_writes_and_deletes(self):
		"""``frappe.client.set_value`` (or ``frappe.client.save`` of the unchanged record where the doctype has
		no plain text field) and ``frappe.client.delete`` through the handler, and ``GET`` / ``PUT`` /
		``DELETE /api/resource/<doctype>/<name>`` through ``frappe.api.handle``, on a record linked to nobody:
		refused exactly when the matrix has no R / W / D for the role, the grant is on the user's own records
		only, or the row rule narrows the role."""
		differences, other_errors = [], []
		records = self.records()
		entries = {e.name: e for e in self.matrix.doctypes}
		for doctype, name in records.items():
			for column in roles.MATRIX_ROLES:
				self.walk_record(
					entries[doctype],
					name,
					column,
					lambda ptype, e=entries[doctype], c=column: reaches_unlinked(e, c, ptype),
					differences,
					other_errors,
				)
		for entry in self.matrix.doctypes:
			if not entry.single:
				continue
			doc = json.dumps(frappe.get_single(entry.name).as_dict(), default=str)
			for column in roles.MATRIX_ROLES:
				error = self.as_user(column, self.request, "frappe.client.save", "POST", doc=doc)
				refused = isinstance(error, frappe.PermissionError)
				if refused == entry.allowed(column, "write"):
					differences.append(
						f"{entry.name} × {column}: write (frappe.client.save) "
						f"{'refused' if refused else 'let in'}: {error!r}"
					)
				elif error is not None and not refused:
					other_errors.append(f"{entry.name} × {column}: write: {error!r}")
		print(self.report(len(records), other_errors))
		self.assertEqual(differences, [], "\n".join(differences))

	def walk_record(self, entry, name, column, expect, differences, other_errors) -> None:
		"""The record's doors as ``column``'s user: ``REST GET``; ``frappe.client.set_value`` (or ``save`` of
		the unchanged record) and ``REST PUT``; ``frappe.client.delete`` and ``REST DELETE``. ``expect(ptype)``
		says whether the matrix lets the user in; a PermissionError is the refusal, anything else raised
		after the permission check is noted in ``other_errors``."""
		doctype = entry.name
		field = harmless_field(doctype)
		if field:
			write = ("frappe.client.set_value", {"doctype": doctype, "name": name, "fieldname": field})
			write[1]["value"] = "matrix edit"
		else:
			doc = frappe.get_doc(doctype, name).as_dict()
			write = ("frappe.client.save", {"doc": json.dumps(doc, default=str)})
		resource = f"/api/resource/{quote(doctype)}/{quote(name)}"
		doors = (
			("read", "REST GET", self.rest, ("GET", resource), {}),
			("write", write[0], self.request, (write[0], "POST"), write[1]),
			("write", "REST PUT", self.rest, ("PUT", resource, {field: "matrix edit"} if field else {}), {}),
			(
				"delete",
				"frappe.client.delete",
				self.request,
				("frappe.client.delete", "POST"),
				{"doctype": doctype, "name": name},
			),
			("delete", "REST DELETE", self.rest, ("DELETE", resource), {}),
		)
		for ptype, door, call, args, kwargs in doors:
			expected = expect(ptype)
			error = self.as_user(column, call, *args, **kwargs)
			refused = isinstance(error, frappe.PermissionError)
			if refused == expected:
				differences.append(
					f"{doctype} {name} × {column}: {ptype} ({door}) {'refused' if refused else 'let in'}: "
					f"{error!r}"
				)
			elif error is not None and not refused:
				other_errors.append(f"{doctype} × {column}: {ptype} ({door}): {error!r}")

	def test_their_records(self):
		"""The other side of the row rules: a record linked to the user (the calls and status periods they
		took, appointments they booked or go to, campaigns they are an active operator of and the records of
		those campaigns, their field agent record, the credit account of a customer they are a contact of)
		is read, written and deleted exactly as the doctype's own permissions say, through the same doors."""
		differences, other_errors, skipped = [], [], {}
		frappe.db.savepoint("matrix_theirs")
		try:
			for entry in self.matrix.doctypes:
				if entry.external or entry.single or not entry.row_rule:
					continue
				for column in roles.MATRIX_ROLES:
					if not (entry.narrowed(column) and entry.allowed(column, "read")):
						continue
					links = their_links(entry.name, column, user_for(column))
					if isinstance(links, str):
						skipped[f"{entry.name} × {column}"] = links
						continue
					name = build_linked(entry.name, f"{frappe.scrub(column)}", links)
					self.walk_record(
						entry,
						name,
						column,
						lambda ptype, e=entry, c=column: e.allowed(c, ptype) and not e.owner_limited(c),
						differences,
						other_errors,
					)
					url, content, path = attach(entry.name, name)
					self.addCleanup(_remove, path)
					self.fetch_attachment(entry.name, column, url, content, True, differences)
		finally:
			frappe.db.rollback(save_point="matrix_theirs")
		print(
			"\n".join(
				[
					"permission matrix: records linked to the user",
					*(f"  skipped: {k}: {why}" for k, why in skipped.items()),
					*(f"  let in, then stopped by something else: {e}" for e in other_errors),
				]
			)
		)
		self.assertEqual(differences, [], "\n".join(differences))

	def fetch_attachment(self, doctype, column, url, content, expected, differences) -> None:
		"""A private attachment fetched as ``column``'s user through ``frappe.handler.download_file`` (the
		``/api/method/download_file`` door) and ``/private/files/...`` (``download_private_file``, what
		``frappe.app`` serves that path with): the content when ``expected``, refused otherwise."""
		from frappe.utils.response import download_private_file
		from werkzeug.exceptions import Forbidden

		def by_method():
			self.request("frappe.handler.download_file", "GET", file_url=url)
			got = frappe.safe_encode(frappe.local.response.filecontent)
			if got != content:
				raise AssertionError(f"got {got!r}")

		def by_path():
			frappe.local.request = EnvironBuilder(method="GET", path=url).get_request()
			frappe.local.form_dict = frappe._dict()
			try:
				response = download_private_file(url)
				body = b"".join(response.response)
				response.close()
			finally:
				frappe.local.request = None
			if body != content:
				raise AssertionError(f"got {body!r}")

		for door, call in (("download_file", by_method), ("/private/files", by_path)):
			error = self.as_user(column, call)
			if error is None:
				got = True
			elif isinstance(error, frappe.PermissionError | Forbidden):
				got = False
			else:
				differences.append(f"{doctype} × {column}: {door}: {error!r}")
				continue
			if got != expected:
				differences.append(f"{doctype} × {column}: {door}: {'served' if got else 'refused'}")

	def test_attachment_downloads(self):
		"""A private File attached to each record, fetched through ``frappe.handler.download_file`` (the
		``/api/method/download_file`` door) and ``/private/files/...`` (``download_private_file``, what
		``frappe.app`` serves that path with): the content for exactly the roles that may read the record."""
		differences = []
		self.records()
		entries = {e.name: e for e in self.matrix.doctypes}
		for doctype, (url, content, _path) in self.attachments.items():
			entry = entries[doctype]
			for column in roles.MATRIX_ROLES:
				expected = column != roles.GUEST and reaches_unlinked(entry, column, "read")
				self.fetch_attachment(doctype, column, url, content, expected, differences)
		self.assertEqual(differences, [], "\n".join(differences))

	def test_ticket_attachments(self):
		"""A private attachment on a ticket of a team nobody of the matrix is in, with CC Settings limiting
		agents to their teams: served through both file doors exactly to the desk users the HD Ticket row rule
		does not narrow (SEE_ALL_TICKETS); refused to the others, to a portal user who did not raise it and to
		Guest. Every desk user is made a Helpdesk agent (an HD Agent record, written without Helpdesk's
		controller so the user keeps their one role): Helpdesk lets only agents read others' tickets."""
		entry = next(e for e in self.matrix.doctypes if e.name == "HD Ticket")
		differences = []
		frappe.db.savepoint("matrix_tickets")
		try:
			frappe.db.set_single_value("CC Settings", "agents_see_own_teams_only", 1)
			for column in roles.MATRIX_ROLES:
				if column not in (roles.GUEST, roles.WEBSITE_USER):
					user = user_for(column)
					frappe.db.delete("HD Agent", {"name": user})
					agent = {"doctype": "HD Agent", "user": user, "agent_name": column, "is_active": 1}
					frappe.get_doc({**agent, "name": user}).db_insert()
			ticket = make_report_ticket("matrix ticket", frappe.utils.now(), team=make_team("Matrix Team"))
			url, content, path = attach("HD Ticket", ticket)
			self.addCleanup(_remove, path)
			for column in roles.MATRIX_ROLES:
				expected = column != roles.GUEST and not entry.narrowed(column)
				self.fetch_attachment("HD Ticket", column, url, content, expected, differences)
		finally:
			frappe.db.rollback(save_point="matrix_tickets")
		self.assertEqual(differences, [], "\n".join(differences))

	def test_recording_downloads(self):
		"""``callcenter_app.api.telephony.recording`` through the handler: a call linked to nobody is heard by
		exactly the roles that read every CC Call Log and hold SUPERVISE_CALLS; a call the user took, by
		every role that may read CC Call Log and call the method."""
		folder = frappe.get_site_path("private", "matrix-recordings")
		os.makedirs(folder, exist_ok=True)
		wav = tiny_wav()
		with open(os.path.join(folder, "matrix-call.wav"), "wb") as f:
			f.write(wav)
		self.addCleanup(shutil.rmtree, folder, True)
		before = frappe.db.get_single_value("CC Settings", "recordings_folder")
		frappe.db.set_single_value("CC Settings", "recordings_folder", os.path.realpath(folder))
		self.addCleanup(frappe.db.set_single_value, "CC Settings", "recordings_folder", before)
		entry = next(e for e in self.matrix.doctypes if e.name == "CC Call Log")
		method = next(m for m in self.matrix.methods if m.path.endswith("api.telephony.recording"))
		path = method.path

		def hear(call_log):
			response = self.request(path, "GET", call_log=call_log)
			body = b"".join(response.response)
			response.close()
			if body != wav or response.headers["Content-Type"] != "audio/wav":
				raise AssertionError(f"got {len(body)} bytes, {response.headers['Content-Type']}")

		differences = []
		for column in roles.MATRIX_ROLES:
			user = user_for(column)
			calls = {"nobody's call": make_recorded_call("matrix-rec-nobody", None)}
			expected = {
				"nobody's call": method.allowed(column)
				and reaches_unlinked(entry, column, "read")
				and roles.SUPERVISE_CALLS.held_by(roles.effective_roles(column))
			}
			if column != roles.GUEST:
				calls["their call"] = make_recorded_call(f"matrix-rec-{frappe.scrub(column)}", user)
				expected["their call"] = method.allowed(column) and entry.allowed(column, "read")
			for label, call_log in calls.items():
				error = self.as_user(column, hear, call_log)
				if error is not None and not isinstance(error, frappe.PermissionError):
					differences.append(f"recording × {column}: {label}: {error!r}")
				elif (error is None) != expected[label]:
					differences.append(
						f"recording × {column}: {label}: {'served' if error is None else 'refused'}"
					)
		self.assertEqual(differences, [], "\n".join(differences))

	@classmethod
	def report(cls, built: int, other_errors: list[str]) -> str:
		singles = sum(1 for e in cls.matrix.doctypes if e.single)
		lines = [
			f"permission matrix: {built} doctypes written and deleted, {singles} singles written, "
			f"{len(cls.attachments)} attachments downloaded, by {len(roles.MATRIX_ROLES)} users"
		]
		lines += [f"  built with db_insert: {d}: {how}" for d, how in cls.built.items() if how != "insert"]
		lines += [f"  skipped: {d}: {why}" for d, why in cls.skipped.items()]
		lines += [f"  let in, then stopped by something else: {e}" for e in other_errors]
		return "\n".join(lines)


def reaches_unlinked(entry: permission_matrix.DoctypeEntry, column: str, ptype: str) -> bool:
	"""Whether the matrix gives ``column`` ``ptype`` on a record Administrator made and linked to nobody:
	the doctype grants it, not only on the user's own records, and no row rule narrows the role."""
	return entry.allowed(column, ptype) and not entry.owner_limited(column) and not entry.narrowed(column)


TEXT_TYPES = ("Data", "Small Text", "Text", "Long Text")
# doctypes that others link to are made first, so the links point at a record linked to nobody
BUILD_FIRST = ("CC Rate Plan", "CC Credit Account", "CC Campaign", "CC Campaign Contact", "CC Field Agent")
# what a controller needs beyond the mandatory fields (a value of the right form); a callable is made when used
VALID = {
	"CC Outcome": {"code": "matrix_outcome"},
	"CC Rate Plan": {"billing_increment": "60/60"},
	"CC Signature": {"use_new": 1, "html": "<p>Matrix</p>"},
	"CC SIP Account": {"extension": "79001"},
	"CC Top Up": {"amount_minor": 100},
	"CC Credit Account": {"customer": lambda: make_customer("Matrix Customer")},
}
NOT_HARMLESS = ("caller", "phone", "number", "email", "url", "extension", "fee", "charge")


def harmless_field(doctype: str) -> str | None:
	"""A plain, optional, editable text field at permission level 0 (a note, a description), if any."""
	for field in frappe.get_meta(doctype).fields:
		if (
			field.fieldtype in TEXT_TYPES
			and not (field.reqd or field.unique or field.read_only or field.permlevel or field.set_only_once)
			and not field.options
			and not field.fetch_from
			and not any(word in field.fieldname for word in NOT_HARMLESS)
		):
			return field.fieldname
	return None


def sample(field, name: str, serial: int):
	"""A value for a mandatory or unique field that links the record to nobody."""
	kind = field.fieldtype
	if kind == "Link":
		if field.options == "User":
			return "Administrator"
		if field.options == "Currency":
			return "EUR"
		return frappe.db.get_value(field.options, {}, "name")
	if kind == "Select":
		return next((o for o in (field.options or "").split("\n") if o), None)
	if kind in ("Int", "Float", "Currency", "Percent", "Duration"):
		return 1
	if kind == "Date":
		return frappe.utils.today()
	if kind == "Datetime":
		return frappe.utils.now_datetime()
	if kind == "Time":
		return "09:00:00"
	if kind == "Check":
		return 0
	if kind in ("Attach", "Attach Image"):
		return f"/private/files/{name}.txt"
	if kind == "Password":
		return "matrix-secret-0123456789"
	if kind == "Phone" or "number" in field.fieldname or "phone" in field.fieldname:
		return f"+3706{serial:07d}"
	if kind in (*TEXT_TYPES, "Text Editor", "Code"):
		return f"{name}-{field.fieldname}" if field.unique else name
	return None


def build_record(doctype: str, tag: str = "", links: dict | None = None) -> tuple[str, str]:
	"""A record of ``doctype`` with its mandatory fields filled and no link to any user, campaign, queue or
	ticket: inserted as Administrator when the controller accepts it, written with ``db_insert`` (no
	validation) when it does not. Returns its name and how it was made."""
	meta = frappe.get_meta(doctype)
	name = f"matrix-{frappe.scrub(doctype).replace('_', '-')}{'-' + tag if tag else ''}"
	values = {}
	for serial, field in enumerate(meta.fields, start=1):
		if (field.reqd or field.unique) and field.fieldtype not in frappe.model.table_fields:
			value = sample(field, name, 1000 + serial)
			if value is not None:
				values[field.fieldname] = value
	for fieldname, value in VALID.get(doctype, {}).items():
		values[fieldname] = value() if callable(value) else value
	values.update(links or {})
	if meta.autoname and meta.autoname.startswith("field:"):
		frappe.db.delete(doctype, {"name": values.get(meta.autoname[6:])})  # left by a stopped run
	frappe.db.delete(doctype, {"name": name})
	frappe.db.savepoint("matrix_build")
	try:
		doc = frappe.get_doc({"doctype": doctype, **values})
		doc.flags.ignore_links = True
		doc.insert(ignore_permissions=True, ignore_mandatory=True)
		return doc.name, "insert"
	except Exception as e:
		frappe.db.rollback(save_point="matrix_build")
		frappe.clear_messages()
		doc = frappe.get_doc({"doctype": doctype, **values})
		doc.name = name
		doc.db_insert()
		return doc.name, f"the controller refused the minimal record: {e!r}"[:200]


CAMPAIGN_ROWS = ("CC Campaign Contact", "CC Call Attempt", "CC Callback")
CREDIT = ("CC Credit Account", "CC Credit Ledger Entry", "CC Top Up")


def their_links(doctype: str, column: str, user: str) -> dict | str:
	"""The values that link a new record of ``doctype`` to ``user`` the way its row rule lets them in, or
	why no such record is made."""
	if doctype in ("CC Call Log", "CC Agent Status Log"):
		return {"agent": user}
	if doctype == "CC Field Agent":
		return {"user": user}
	if doctype == "CC Appointment":
		return {"booked_by": user} if column == roles.OPERATOR else {"agent_user": user}
	if doctype == "CC Campaign" or doctype in CAMPAIGN_ROWS:
		campaign = f"matrix-campaign-of-{frappe.scrub(column)}"
		if not frappe.db.exists("CC Campaign", campaign):
			make_campaign(campaign, operators=(user,))
		if doctype == "CC Campaign":
			return {"name": campaign}
		if doctype == "CC Campaign Contact":
			return {"campaign": campaign}
		contact = frappe.db.get_value("CC Campaign Contact", {"campaign": campaign}, "name")
		contact = contact or make_campaign_contact(campaign, "+37060009999")
		links = {"campaign": campaign, "campaign_contact": contact}
		return {**links, "visibility": "Public"} if doctype == "CC Callback" else links
	if doctype in CREDIT:
		customer = f"Matrix Customer of {column}"
		make_portal_customer(user, customer)
		account = make_credit_account(customer)
		return {"name": account} if doctype == "CC Credit Account" else {"account": account}
	if doctype == "CC SMS Message":
		# a ticket raised by the user: Helpdesk lets its raiser read it, whatever the role
		return {"ticket": make_report_ticket("matrix sms ticket", frappe.utils.now(), raised_by=user)}
	return "no record linked to a user of this column is made here"


def build_linked(doctype: str, tag: str, links: dict) -> str:
	"""The minimal record of ``doctype`` (see build_record) with ``links`` set; ``links["name"]`` names an
	existing record (a campaign, a credit account) to use as it is."""
	if "name" in links:
		return links["name"]
	return build_record(doctype, tag, links)[0]


def make_recorded_call(linkedid: str, agent: str | None) -> str:
	"""A finished inbound call with a recording (matrix-call.wav), taken by ``agent`` or nobody."""
	frappe.db.delete("CC Call Log", {"name": linkedid})
	doc = frappe.get_doc(
		{
			"doctype": "CC Call Log",
			"linkedid": linkedid,
			"direction": "inbound",
			"status": "answered",
			"caller": "+37060012345",
			"agent": agent,
			"recording": "matrix-call.wav",
			"start": frappe.utils.now_datetime(),
			"complete": 1,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def tiny_wav() -> bytes:
	"""0.01 s of 8 kHz mono silence as a real RIFF/WAVE file."""
	buffer = io.BytesIO()
	with wave.open(buffer, "wb") as out:
		out.setnchannels(1)
		out.setsampwidth(2)
		out.setframerate(8000)
		out.writeframes(b"\0\0" * 80)
	return buffer.getvalue()


def attach(doctype: str, name: str) -> tuple[str, bytes, str]:
	"""A private File attached to the record: its URL, content and path on disk."""
	content = f"matrix attachment of {doctype} {name}".encode()
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"matrix-{frappe.scrub(doctype)}.txt",
			"is_private": 1,
			"content": content,
			"attached_to_doctype": doctype,
			"attached_to_name": name,
		}
	).insert(ignore_permissions=True)
	return file.file_url, content, file.get_full_path()


def _remove(path: str) -> None:
	if os.path.exists(path):
		os.remove(path)
