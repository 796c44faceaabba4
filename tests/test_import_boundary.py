"""The functional core imports nothing from Frappe, directly or through another module of the app."""

from __future__ import annotations

import ast
import pathlib

import pytest

APP = pathlib.Path(__file__).resolve().parents[1] / "callcenter_app"
PURE_PACKAGES = (
	"common",
	"telephony",
	"dialer",
	"tickets",
	"metrics",
	"geo",
	"credit",
	"field",
	"ops",
)
GLUE_FILES = {"service.py", "tasks.py"}  # the Frappe side of each engine (or of one area of it: a subpackage)


def is_glue(name: str) -> bool:
	"""The only files of a pure package that may import Frappe: ``service.py`` and ``tasks.py``. An area with
	several concerns gets a subpackage per concern, each with its ``service.py``; bench tests live outside the
	pure packages (``callcenter_app/callcenter_app/test_*.py``, doctype folders, ``api/``)."""
	return name in GLUE_FILES


def is_pure(path: pathlib.Path) -> bool:
	rel = path.relative_to(APP)
	return rel.parts[0] in PURE_PACKAGES and not is_glue(path.name) and "doctype" not in rel.parts


def pure_modules() -> list[pathlib.Path]:
	return sorted(
		p for pkg in PURE_PACKAGES if (APP / pkg).is_dir() for p in (APP / pkg).rglob("*.py") if is_pure(p)
	)


def imported_names(path: pathlib.Path, text: str | None = None) -> list[tuple[int, str]]:
	names = []
	source = path.read_text() if text is None else text
	for node in ast.walk(ast.parse(source, str(path))):
		if isinstance(node, ast.Import):
			names += [(node.lineno, alias.name) for alias in node.names]
		elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
			names.append((node.lineno, node.module))
		elif isinstance(node, ast.ImportFrom):
			package = path.relative_to(APP.parent).with_suffix("").parts[: -node.level]
			base = ".".join(package + ((node.module,) if node.module else ()))
			names += [(node.lineno, base)] + [(node.lineno, f"{base}.{a.name}") for a in node.names]
		elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
			if node.args and isinstance(node.args[0], ast.Constant):
				names.append((node.lineno, str(node.args[0].value)))
	return names


def module_path(dotted: str) -> pathlib.Path | None:
	parts = dotted.split(".")[1:]
	base = APP.joinpath(*parts)
	for candidate in (base.with_suffix(".py"), base / "__init__.py"):
		if candidate.exists():
			return candidate
	return None


def test_pure_packages_exist():
	assert pure_modules(), "no pure modules found: is the boundary check looking in the right place?"


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(APP)))
def test_no_frappe_import(path: pathlib.Path):
	for line, name in imported_names(path):
		assert name.split(".")[0] != "frappe", f"{path.relative_to(APP)}:{line} imports {name}"
		if name.startswith("callcenter_app."):
			target = module_path(name)
			if target is not None:
				assert is_pure(target), f"{path.relative_to(APP)}:{line} imports {name}, which is Frappe glue"


def test_boundary_check_catches_a_frappe_import(tmp_path):
	bad = tmp_path / "bad.py"
	bad.write_text("def f():\n\timport frappe.utils\n")
	assert "frappe.utils" in [n for _, n in imported_names(bad)]


def test_only_service_and_tasks_files_are_glue():
	assert not is_pure(APP / "telephony" / "call_logs" / "service.py")
	assert not is_pure(APP / "dialer" / "tasks.py")
	for name in (
		"call_log_service.py",
		"test_service.py",
		"services.py",
		"service_rules.py",
		"rules.py",
	):
		assert is_pure(APP / "dialer" / name), name


def test_no_bench_test_inside_a_pure_package():
	"""Bench tests import Frappe: they sit in callcenter_app/callcenter_app/, doctype folders or api/."""
	tests = [p for pkg in PURE_PACKAGES if (APP / pkg).is_dir() for p in (APP / pkg).rglob("test_*.py")]
	assert not tests, [str(p.relative_to(APP)) for p in tests]


def test_boundary_check_sees_relative_imports_of_glue():
	path = APP / "telephony" / "routing" / "example.py"
	names = [n for _, n in imported_names(path, "from .service import load_routeset\n")]
	assert "callcenter_app.telephony.routing.service" in names
	assert not is_pure(APP / "telephony" / "routing" / "service.py")
