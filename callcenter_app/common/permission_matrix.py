"""The permission matrix (pure): who may do what, read from the sources that decide it.

- every doctype JSON of the app (``callcenter_app/*/doctype/*/*.json``): its ``permissions`` rows;
- ``hooks.py``'s ``permission_query_conditions`` / ``has_permission`` (the row rules; which capability sees
  every row is ``roles.ROW_RULES``);
- every ``@frappe.whitelist()`` function of the app, with the capability its ``@requires(...)`` declares;
- the reports' and pages' JSON roles.

Nothing is listed by hand: a doctype, report, page or method added later appears on the next run.
``python -m callcenter_app.common.permission_matrix --write`` rewrites ``docs/permission-matrix.md``;
``tests/test_permission_matrix.py`` fails when the file is stale, and the bench test
``callcenter_app/api/test_permission_matrix.py`` walks the same entries through Frappe's doors.
"""

from __future__ import annotations

import ast
import json
import pathlib
import sys
from dataclasses import dataclass, field

from callcenter_app.common import roles

PACKAGE = pathlib.Path(__file__).resolve().parents[1]  # callcenter_app/ (the Python package)
DOC = PACKAGE.parent / "docs" / "permission-matrix.md"
PTYPES = ("read", "write", "create", "delete")


@dataclass(frozen=True)
class DoctypeEntry:
	name: str
	single: bool
	# role → the ptypes the doctype JSON grants it (``if_owner`` rows in ``owner_only``)
	grants: dict[str, frozenset[str]]
	owner_only: frozenset[str] = frozenset()
	row_rule: str | None = None  # who sees which records (roles.ROW_RULES), or the hook when none is declared
	sees_all: roles.Capability | None = None  # whose holders the row rule does not narrow
	external: bool = False  # a Frappe/Helpdesk doctype the app only narrows

	def allowed(self, column: str, ptype: str) -> bool:
		"""Whether the doctype's own permissions give a user of ``column`` (roles.MATRIX_ROLES) ``ptype``."""
		return any(ptype in self.grants.get(r, frozenset()) for r in roles.effective_roles(column))

	def owner_limited(self, column: str) -> bool:
		held = roles.effective_roles(column)
		return bool(held & self.owner_only) and not any(self.grants.get(r) for r in held - self.owner_only)

	def narrowed(self, column: str) -> bool:
		"""Whether the row rule limits a user of ``column`` to some records."""
		if not self.row_rule or column == roles.GUEST:
			return False
		return not (self.sees_all and self.sees_all.held_by(roles.effective_roles(column)))


@dataclass(frozen=True)
class MethodEntry:
	path: str  # dotted, as /api/method/<path>
	capability: roles.Capability | None
	allow_guest: bool
	http_methods: tuple[str, ...]
	doc: str = ""

	def allowed(self, column: str) -> bool:
		if column == roles.GUEST and not self.allow_guest:
			return False
		return bool(self.capability and self.capability.held_by(roles.effective_roles(column)))


@dataclass(frozen=True)
class ViewEntry:
	"""A report or a page: the roles in its JSON."""

	kind: str  # "Report" | "Page"
	name: str
	roles: frozenset[str]
	ref_doctype: str | None = None

	def allowed(self, column: str) -> bool:
		return bool(self.roles & roles.effective_roles(column))


@dataclass
class Matrix:
	doctypes: list[DoctypeEntry] = field(default_factory=list)
	methods: list[MethodEntry] = field(default_factory=list)
	views: list[ViewEntry] = field(default_factory=list)


# --- reading the sources ---------------------------------------------------------------------------------


def _json_files(package: pathlib.Path, kind: str) -> list[pathlib.Path]:
	return sorted(
		p / f"{p.name}.json" for p in package.glob(f"*/{kind}/*") if (p / f"{p.name}.json").is_file()
	)


def _hook_dicts(hooks: pathlib.Path) -> dict[str, dict[str, str]]:
	found: dict[str, dict[str, str]] = {}
	for node in ast.parse(hooks.read_text()).body:
		if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
			for target in node.targets:
				if isinstance(target, ast.Name) and target.id in (
					"permission_query_conditions",
					"has_permission",
				):
					found[target.id] = {
						ast.literal_eval(k): ast.literal_eval(v)
						for k, v in zip(node.value.keys, node.value.values, strict=True)
					}
	return found


def read_doctypes(package: pathlib.Path = PACKAGE) -> list[DoctypeEntry]:
	hooks = _hook_dicts(package / "hooks.py")
	queries = hooks.get("permission_query_conditions", {})
	checks = hooks.get("has_permission", {})
	entries = []
	ours = set()
	for path in _json_files(package, "doctype"):
		meta = json.loads(path.read_text())
		if meta.get("doctype") != "DocType" or meta.get("istable"):
			continue
		ours.add(meta["name"])
		grants: dict[str, set[str]] = {}
		owner_only: set[str] = set()
		for perm in meta.get("permissions", []):
			if perm.get("permlevel", 0):
				continue
			granted = {p for p in PTYPES if perm.get(p)}
			grants.setdefault(perm["role"], set()).update(granted)
			if perm.get("if_owner") and granted:
				owner_only.add(perm["role"])
		entries.append(_entry(meta["name"], bool(meta.get("issingle")), grants, owner_only, queries, checks))
	for name in sorted((set(queries) | set(checks)) - ours):
		entries.append(_entry(name, False, {}, set(), queries, checks, external=True))
	return sorted(entries, key=lambda e: (e.external, e.name))


def _entry(name, single, grants, owner_only, queries, checks, external=False) -> DoctypeEntry:
	hook = queries.get(name) or checks.get(name)
	declared = roles.ROW_RULES.get(name)
	rule = None
	if declared:
		rule = declared.others
	elif hook:
		rule = f"undeclared in roles.ROW_RULES: see `{hook}`"
	return DoctypeEntry(
		name=name,
		single=single,
		grants={r: frozenset(p) for r, p in grants.items()},
		owner_only=frozenset(owner_only),
		row_rule=rule,
		sees_all=declared.sees_all if declared else None,
		external=external,
	)


def _decorator_call(dec: ast.expr) -> tuple[str, ast.Call | None]:
	call = dec if isinstance(dec, ast.Call) else None
	target = dec.func if call else dec
	return ast.unparse(target), call


def read_methods(package: pathlib.Path = PACKAGE) -> list[MethodEntry]:
	entries = []
	for path in sorted(package.rglob("*.py")):
		if path.name.startswith("test_") or "node_modules" in path.parts:
			continue
		tree = ast.parse(path.read_text())
		module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
		for node in tree.body:
			if not isinstance(node, ast.FunctionDef):
				continue
			decorators = dict(_decorator_call(d) for d in node.decorator_list)
			if "frappe.whitelist" not in decorators:
				continue
			whitelist = decorators["frappe.whitelist"]
			options = {k.arg: ast.literal_eval(k.value) for k in (whitelist.keywords if whitelist else [])}
			cap = None
			requires = decorators.get("requires")
			if requires is not None and requires.args:
				cap = roles.capability(ast.unparse(requires.args[0]).rsplit(".", 1)[-1])
			doc = " ".join((ast.get_docstring(node) or "").split()).split(". ")[0].rstrip(".")
			entries.append(
				MethodEntry(
					path=f"{module}.{node.name}",
					capability=cap,
					allow_guest=bool(options.get("allow_guest")),
					http_methods=tuple(options.get("methods") or ("GET", "POST")),
					doc=doc,
				)
			)
	return entries


def read_views(package: pathlib.Path = PACKAGE) -> list[ViewEntry]:
	views = []
	for kind, folder in (("Report", "report"), ("Page", "page")):
		for path in _json_files(package, folder):
			meta = json.loads(path.read_text())
			views.append(
				ViewEntry(
					kind=kind,
					name=meta["name"],
					roles=frozenset(r["role"] for r in meta.get("roles", [])),
					ref_doctype=meta.get("ref_doctype"),
				)
			)
	return views


def read(package: pathlib.Path = PACKAGE) -> Matrix:
	return Matrix(read_doctypes(package), read_methods(package), read_views(package))


# --- the document ----------------------------------------------------------------------------------------

SHORT = roles.MATRIX_COLUMNS


def _doctype_cell(entry: DoctypeEntry, column: str) -> str:
	letters = "·" if entry.external else "".join(p[0].upper() for p in PTYPES if entry.allowed(column, p))
	if not letters:
		return "—"
	if entry.owner_limited(column):
		letters += "ᵒ"
	if entry.narrowed(column):
		letters += "ʳ"
	return letters


def _header(first: str) -> list[str]:
	cols = [first, *(SHORT[r] for r in roles.MATRIX_ROLES)]
	return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def render(matrix: Matrix | None = None) -> str:
	matrix = matrix or read()
	out = [
		"# Permission matrix",
		"",
		"Generated by `python -m callcenter_app.common.permission_matrix --write` from the doctype, report and",
		"page JSONs, `hooks.py`'s row rules and the whitelisted methods' `@requires(...)` capabilities (the",
		"capabilities are in `callcenter_app/common/roles.py`). Do not edit by hand: "
		"`tests/test_permission_matrix.py` fails",
		"when this file is stale; `callcenter_app/api/test_permission_matrix.py` checks it against a running site.",
		"",
		"Columns: "
		+ ", ".join(f"{SHORT[r]} = {r}" for r in roles.MATRIX_ROLES)
		+ ". Administrator holds every role.",
		"",
		"## Doctypes",
		"",
		"R read, W write, C create, D delete (permission level 0). ʳ: a row rule narrows which records "
		"(below); ᵒ: only records the user created. ·: the app leaves the doctype's own permissions "
		"(Frappe's, Helpdesk's) as they are and only narrows them. Child tables follow their parent.",
		"",
		*_header("Doctype"),
	]
	for entry in matrix.doctypes:
		name = f"{entry.name} (single)" if entry.single else entry.name
		out.append("| " + " | ".join([name, *(_doctype_cell(entry, r) for r in roles.MATRIX_ROLES)]) + " |")
	out += ["", "### Row rules", ""]
	for entry in matrix.doctypes:
		if entry.row_rule:
			if entry.sees_all:
				out.append(
					f"- **{entry.name}**: `{entry.sees_all.name}` every record; others {entry.row_rule}."
				)
			else:
				out.append(f"- **{entry.name}**: {entry.row_rule}.")
	out += ["", "## Whitelisted methods", "", "✓ the capability lets the role call it (the method may check "]
	out[-1] += "the records it touches as well); — refused (403)."
	out += ["", *_header("Method (capability)")]
	for m in sorted(matrix.methods, key=lambda m: m.path):
		label = f"`{m.path}` ({m.capability.name if m.capability else 'NONE'})"
		out.append(
			"| " + " | ".join([label, *("✓" if m.allowed(r) else "—" for r in roles.MATRIX_ROLES)]) + " |"
		)
	out += ["", "## Reports and pages", "", *_header("Report / page")]
	for v in sorted(matrix.views, key=lambda v: (v.kind, v.name)):
		out.append(
			"| "
			+ " | ".join([f"{v.kind}: {v.name}", *("✓" if v.allowed(r) else "—" for r in roles.MATRIX_ROLES)])
			+ " |"
		)
	out += ["", "## Capabilities", "", "| Capability | Roles | Allows |", "|---|---|---|"]
	for cap in roles.CAPABILITIES.values():
		held = ", ".join([r for r in roles.MATRIX_ROLES if r in cap.roles] or sorted(cap.roles))
		out.append(f"| `{cap.name}` | {held} | {cap.allows} |")
	return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
	text = render()
	if "--write" in argv:
		DOC.write_text(text)
		print(f"wrote {DOC}")
	else:
		sys.stdout.write(text)
	return 0


if __name__ == "__main__":
	raise SystemExit(main(sys.argv[1:]))
