"""Every import of the app's own modules names something that exists, and so does every dotted path in
hooks.py: after a module moves (docs/architecture.md, "Where Frappe may be imported"), a stale path fails
here, named by file and line, instead of at run time on the bench. Static: nothing is imported."""

from __future__ import annotations

import ast
import functools
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
APP = ROOT / "callcenter_app"
SOURCES = sorted(
	p
	for folder in (APP, ROOT / "benchmarks", ROOT / "tests")
	for p in folder.rglob("*.py")
	if "node_modules" not in p.parts
)


@functools.cache
def module_file(dotted: str) -> pathlib.Path | None:
	parts = dotted.split(".")
	if parts[0] != "callcenter_app":
		return None
	base = APP.joinpath(*parts[1:])
	for candidate in (base.with_suffix(".py"), base / "__init__.py"):
		if candidate.is_file():
			return candidate
	return None


@functools.cache
def top_level_names(path: pathlib.Path) -> set[str]:
	"""Names a module defines or imports at its top level (inside if / try blocks too)."""
	names: set[str] = set()
	todo = list(ast.parse(path.read_text(), str(path)).body)
	while todo:
		node = todo.pop()
		if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
			names.add(node.name)
		elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
			targets = node.targets if isinstance(node, ast.Assign) else [node.target]
			for target in targets:
				names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
		elif isinstance(node, (ast.Import, ast.ImportFrom)):
			names |= {(a.asname or a.name).split(".")[0] for a in node.names}
		elif isinstance(node, (ast.If, ast.Try, ast.With)):
			todo += node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", [])
			for handler in getattr(node, "handlers", []):
				todo += handler.body
	return names


def problem(dotted: str, name: str | None = None) -> str | None:
	target = module_file(dotted)
	if target is None:
		return f"{dotted} is no module of the app"
	if name is None or name == "*" or module_file(f"{dotted}.{name}") is not None:
		return None
	if name not in top_level_names(target):
		return f"{dotted} has no {name}"
	return None


def app_imports(path: pathlib.Path) -> list[tuple[int, str, str | None]]:
	found = []
	for node in ast.walk(ast.parse(path.read_text(), str(path))):
		if isinstance(node, ast.Import):
			found += [(node.lineno, a.name, None) for a in node.names if a.name.startswith("callcenter_app.")]
		elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
			if node.module == "callcenter_app" or node.module.startswith("callcenter_app."):
				found += [(node.lineno, node.module, a.name) for a in node.names]
	return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_of_the_app_resolve(path: pathlib.Path):
	problems = [
		f"{path.relative_to(ROOT)}:{line}: {why}"
		for line, dotted, name in app_imports(path)
		if (why := problem(dotted, name))
	]
	assert not problems, "\n".join(problems)


def test_hooks_dotted_paths_resolve():
	hooks = APP / "hooks.py"
	problems = []
	for node in ast.walk(ast.parse(hooks.read_text())):
		if isinstance(node, ast.Constant) and isinstance(node.value, str):
			value = node.value
			if value.startswith("callcenter_app.") and " " not in value and "/" not in value:
				dotted, _, name = value.rpartition(".")
				why = None if module_file(value) else problem(dotted, name)
				if why:
					problems.append(f"hooks.py:{node.lineno}: {value}: {why}")
	assert not problems, "\n".join(problems)


def test_a_stale_path_is_caught(tmp_path):
	stale = tmp_path / "stale.py"
	stale.write_text("from callcenter_app.telephony.service import default_region\n")
	((_line, dotted, name),) = app_imports(stale)
	assert problem(dotted, name) == "callcenter_app.telephony.service is no module of the app"
	assert problem("callcenter_app.utils", "no_such_helper") == "callcenter_app.utils has no no_such_helper"
	assert problem("callcenter_app.utils", "default_region") is None
	assert problem("callcenter_app.telephony.call_logs", "service") is None
