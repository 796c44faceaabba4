"""Checks every doctype JSON of the app the way a bench would, without a bench.

It catches the mistakes that otherwise show only at `bench migrate`: a misnamed folder, an unknown
fieldtype, a Link to a doctype that does not exist, a duplicate fieldname, a missing controller.
"""

from __future__ import annotations

import ast
import json
import keyword
import pathlib
import re

import pytest

APP = pathlib.Path(__file__).resolve().parents[1] / "callcenter_app"
MODULE = "Callcenter App"
DOCTYPE_DIRS = sorted(
	p for p in (APP / "callcenter_app" / "doctype").iterdir() if p.is_dir() and not p.name.startswith("__")
)

# Field types Frappe v15 accepts (frappe/model/__init__.py: data_fieldtypes + no_value_fields + table_fields).
FRAPPE_V15_FIELDTYPES = {
	"Autocomplete", "Attach", "Attach Image", "Barcode", "Button", "Check", "Code", "Color", "Column Break",
	"Currency", "Data", "Date", "Datetime", "Duration", "Dynamic Link", "Float", "Fold", "Geolocation",
	"Heading", "HTML", "HTML Editor", "Icon", "Image", "Int", "JSON", "Link", "Long Text", "Markdown Editor",
	"Password", "Percent", "Phone", "Read Only", "Rating", "Section Break", "Select", "Signature",
	"Small Text", "Tab Break", "Table", "Table MultiSelect", "Text", "Text Editor", "Time",
}  # fmt: skip
NO_VALUE = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Image", "Fold", "Heading"}

# Doctypes that come from Frappe, Helpdesk or (optionally) ERPNext and may be linked to.
EXTERNAL_DOCTYPES = {
	# frappe
	"User", "Role", "DocType", "Module Def", "Contact", "Address", "File", "Communication", "Email Account",
	"Email Template", "Country", "Currency", "Language", "Dynamic Link", "ToDo", "Assignment Rule", "Workflow State",
	"Print Format", "Report", "Web Form", "Holiday List", "Contact Phone", "Contact Email", "User Group",
	# helpdesk (stable core from v1.4)
	"HD Ticket", "HD Team", "HD Agent", "HD Customer", "HD Service Level Agreement", "HD Service Holiday List",
	"HD Ticket Priority", "HD Ticket Type", "HD Ticket Template", "HD Canned Response", "HD Article",
	# erpnext (optional; linked only where the feature checks that ERPNext is installed)
	"Company", "Customer", "Sales Invoice", "Payment Entry", "Mode of Payment", "Account", "Bank Account", "Bank Transaction",
}  # fmt: skip

KNOWN_ROLES = {
	"Administrator", "System Manager", "Guest", "All", "Desk User",
	"Agent", "Agent Manager",  # helpdesk
	"Accounts User", "Accounts Manager",  # erpnext
	"Call Center Manager", "Project Manager", "Operator", "Field Agent", "Agent Supervisor", "Privileged Agent", "Accountant",
}  # fmt: skip

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def load(path: pathlib.Path) -> dict:
	return json.loads((path / f"{path.name}.json").read_text())


def app_doctypes() -> dict[str, dict]:
	return {load(d)["name"]: load(d) for d in DOCTYPE_DIRS}


def scrub(name: str) -> str:
	return name.replace(" ", "_").replace("-", "_").lower()


def controller_class(name: str) -> str:
	return name.replace(" ", "").replace("-", "")


def test_there_are_doctypes():
	assert DOCTYPE_DIRS, "the app has no doctypes"


@pytest.mark.parametrize("folder", DOCTYPE_DIRS, ids=lambda p: p.name)
def test_doctype_json(folder: pathlib.Path):
	doc = load(folder)
	name = doc.get("name")
	assert doc.get("doctype") == "DocType", f"{folder.name}: 'doctype' must be 'DocType'"
	assert scrub(name) == folder.name, f"{folder.name}: name {name!r} does not match its folder"
	assert name.startswith("CC "), f"{name}: every doctype of this app is prefixed 'CC '"
	assert doc.get("module") == MODULE, f"{name}: module must be {MODULE!r}, not {doc.get('module')!r}"

	fields = doc.get("fields", [])
	names = [f.get("fieldname") for f in fields]
	dupes = {n for n in names if names.count(n) > 1}
	assert not dupes, f"{name}: duplicate fieldnames {sorted(dupes)}"
	if "field_order" in doc:
		assert doc["field_order"] == names, f"{name}: field_order differs from the order of fields"

	known = set(app_doctypes()) | EXTERNAL_DOCTYPES
	for f in fields:
		fn, ft = f.get("fieldname"), f.get("fieldtype")
		where = f"{name}.{fn}"
		assert fn and IDENTIFIER.match(fn) and not keyword.iskeyword(fn), f"{where}: not a valid fieldname"
		assert len(fn) <= 64, f"{where}: fieldname longer than 64 characters"
		assert ft in FRAPPE_V15_FIELDTYPES, f"{where}: unknown fieldtype {ft!r}"
		if ft in ("Link", "Table", "Table MultiSelect"):
			target = (f.get("options") or "").strip()
			assert target in known, f"{where}: {ft} to unknown doctype {target!r}"
			if ft != "Link":
				assert app_doctypes().get(target, {}).get("istable"), (
					f"{where}: {target} is not a child table"
				)
		if ft == "Dynamic Link":
			opt = f.get("options")
			assert opt in names and fields[names.index(opt)]["fieldtype"] == "Link", (
				f"{where}: options must name a Link field"
			)
		if ft == "Select" and f.get("default"):
			assert f["default"] in (f.get("options") or "").split("\n"), (
				f"{where}: default is not one of the options"
			)
		if ft == "Check" and "default" in f:
			assert str(f["default"]) in ("0", "1"), f"{where}: a Check defaults to 0 or 1"
		if ft in NO_VALUE:
			assert not f.get("reqd"), f"{where}: a {ft} cannot be mandatory"
		for key in ("depends_on", "mandatory_depends_on", "read_only_depends_on"):
			expr = f.get(key) or ""
			if expr.startswith("eval:"):
				js = expr[5:]
				assert js.count("(") == js.count(")"), f"{where}: unbalanced parentheses in {key}"

	for perm in doc.get("permissions", []):
		assert perm.get("role") in KNOWN_ROLES, f"{name}: permission for unknown role {perm.get('role')!r}"
	if doc.get("istable"):
		assert not doc.get("permissions"), f"{name}: a child table takes its parent's permissions"
	else:
		assert doc.get("permissions"), f"{name}: no permission rows: nobody but Administrator could use it"

	for key in ("title_field", "image_field", "sort_field"):
		value = doc.get(key)
		if value and value not in ("modified", "creation", "name"):
			assert value in names, f"{name}: {key} {value!r} is not a field"
	for value in (doc.get("search_fields") or "").split(","):
		assert not value.strip() or value.strip() in names, (
			f"{name}: search field {value.strip()!r} is not a field"
		)
	autoname = doc.get("autoname") or ""
	if autoname.startswith("field:"):
		assert autoname[6:] in names, f"{name}: autoname field {autoname[6:]!r} is not a field"


@pytest.mark.parametrize("folder", DOCTYPE_DIRS, ids=lambda p: p.name)
def test_controller(folder: pathlib.Path):
	name = load(folder)["name"]
	path = folder / f"{folder.name}.py"
	assert path.exists(), f"{name}: controller {path.name} is missing"
	assert (folder / "__init__.py").exists(), f"{name}: {folder.name}/__init__.py is missing"
	tree = ast.parse(path.read_text())
	classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
	assert controller_class(name) in classes, (
		f"{name}: class {controller_class(name)} not found in {path.name}"
	)


@pytest.mark.parametrize("folder", DOCTYPE_DIRS, ids=lambda p: p.name)
def test_controller_docstring_comes_first(folder: pathlib.Path):
	"""A string after the generated type block is no docstring (Python only takes the first statement):
	the class's description goes before ``# begin: auto-generated types``."""
	path = folder / f"{folder.name}.py"
	for node in ast.parse(path.read_text()).body:
		if not isinstance(node, ast.ClassDef):
			continue
		for stmt in node.body[1:]:
			assert not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)), (
				f"{path.name}:{stmt.lineno}: class {node.name} has a string that is not its docstring;"
				" put it first in the class, before the generated type block"
			)
