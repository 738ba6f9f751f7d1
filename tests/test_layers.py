"""Dependencies point one way: reading and checking know nothing of the writers, feedback, the
command line or the web desk (STYLE.md, "Dependencies point one way").

``ALLOWED`` is the allow-list of the package's import graph: for every module of ``qcdc_excel`` (and of
``qcdc_excel.portal``) the package modules it may import, at the top or inside a function. A new module
or a new import must be added here, on purpose; the list itself must keep the core below everything
else and be free of cycles.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qcdc_excel"

# The floors, bottom up. Names of ``qcdc_excel.portal`` modules are written "portal.<name>".
BASE = {"__init__", "form", "formulas", "i18n", "numbers", "processes"}  # import nothing of the package
CORE = BASE | {"atomic", "catalog", "expressions", "findings", "fingerprint", "history", "history_checks", "identity",
               "inbox", "layout", "periods",
               "reader", "record", "report_tags", "roster", "safe_paths", "scope", "validate"}
_RECORD = {"record", "inbox", "identity"}  # what the desk may import instead of ``validate``/``template`` names

ALLOWED: dict[str, set[str]] = {
    "__init__": set(),  # names are loaded on first use (``importlib``), never imported at the top
    # the base
    "form": set(),
    "formulas": set(),
    "i18n": set(),
    "numbers": set(),
    "processes": set(),
    # the core: the form's description, reading and checking
    "atomic": {"i18n"},
    "catalog": {"expressions", "i18n"},
    "expressions": {"numbers"},
    "findings": {"i18n", "numbers"},
    "fingerprint": {"catalog"},
    "history": {"catalog", "findings", "form", "i18n", "periods", "reader"},
    "history_checks": {"catalog", "findings", "history", "i18n", "numbers", "periods", "record", "roster"},
    "identity": {"__init__", "form", "layout", "periods", "roster"},
    "inbox": {"record"},
    "layout": {"catalog", "form"},
    "periods": {"i18n"},
    "reader": {"formulas", "i18n"},
    "record": {"catalog", "findings", "fingerprint", "i18n", "layout"},
    "report_tags": {"i18n"},
    "roster": {"catalog", "i18n"},
    "safe_paths": {"i18n"},
    "scope": {"form", "i18n", "periods", "roster"},
    "validate": {"catalog", "findings", "form", "formulas", "i18n", "inbox", "layout", "numbers", "periods",
                 "processes", "reader", "record", "roster"},
    # what is made from the records: consolidation, the forms and workbooks, feedback, documents
    "consolidate": {"catalog", "history", "i18n", "numbers", "periods", "record", "roster"},
    "form_sheet": {"catalog", "i18n", "layout", "periods", "roster"},
    "template": {"atomic", "catalog", "form", "form_sheet", "i18n", "identity", "layout", "numbers", "periods",
                 "roster", "safe_paths", "validate"},
    "synthetic": {"atomic", "catalog", "expressions", "form"},
    "workbook_writer": {"atomic", "catalog", "consolidate", "fingerprint", "form", "form_sheet", "history", "i18n",
                        "identity",
                        "layout", "numbers", "periods", "record"},
    "feedback_live": {"i18n", "layout", "numbers", "record"},
    "feedback_sheet": {"feedback_live", "form", "form_sheet", "i18n", "periods", "record", "roster"},
    "feedback_zip": {"feedback_live", "feedback_sheet", "fingerprint", "form", "form_sheet", "reader", "record"},
    "feedback": {"atomic", "feedback_live", "feedback_sheet", "feedback_zip", "fingerprint", "form", "form_sheet",
                 "processes", "reader", "record", "roster", "safe_paths"},
    "pdf": {"atomic", "form", "form_sheet", "i18n", "print_refit", "safe_paths", "validate"},
    "print_refit": {"catalog", "form_sheet", "i18n", "layout", "periods"},
    "report": {"atomic", "catalog", "consolidate", "form", "history", "i18n", "numbers", "periods", "reader", "report_tags",
               "roster", "trend", "validate"},
    "trend": {"catalog", "consolidate", "history", "history_checks", "numbers", "periods"},
    # the library's commands
    "merging": {"atomic", "catalog", "consolidate", "feedback", "history", "history_checks", "i18n", "inbox", "pdf",
                "processes", "record", "report",
                "safe_paths", "scope", "trend", "validate", "workbook_writer"},
    "rolling": {"catalog", "consolidate", "form", "history", "history_checks", "i18n", "layout", "periods", "reader", "record", "roster",
                "safe_paths", "validate", "workbook_writer"},
    # the web desk
    "portal.__init__": set(),
    "portal.httpserver": set(),
    "portal.texts": set(),
    "portal.tasks": {"feedback", "merging", "roster", "validate"} | _RECORD,
    "portal.checker": {"__init__", "i18n", "processes", "portal.tasks", "validate"},
    "portal.storage": {"atomic", "findings", "i18n", "periods", "portal.checker", "portal.tasks", "roster",
                       "safe_paths", "validate"} | _RECORD,
    "portal.service": {"atomic", "catalog", "consolidate", "feedback", "findings", "history", "history_checks", "i18n",
                       "merging", "periods",
                       "portal.checker", "portal.storage", "portal.tasks", "portal.texts", "rolling", "roster",
                       "safe_paths", "scope", "template", "validate"} | _RECORD,
    "portal.access": {"i18n", "portal.service", "portal.storage", "portal.texts"},
    "portal.present": {"i18n", "numbers", "periods", "portal.access", "portal.storage", "portal.texts"},
    "portal.views_unit": {"i18n", "portal.access", "portal.present", "portal.storage"},
    "portal.views_desk": {"i18n", "periods", "portal.access", "portal.present", "portal.storage", "portal.views_unit"},
    "portal.views_api": {"i18n", "portal.access", "portal.present", "portal.views_desk", "portal.views_unit"},
    "portal.web": {"__init__", "i18n", "periods", "portal.__init__", "portal.access", "portal.checker",
                   "portal.httpserver", "portal.present", "portal.service", "portal.storage", "portal.texts",
                   "portal.views_api", "portal.views_desk", "portal.views_unit"},
    # the command line, on top
    "cli": {"__init__", "atomic", "catalog", "form", "i18n", "inbox", "merging", "numbers", "pdf", "periods",
            "portal.service", "portal.storage", "portal.web", "record", "report", "rolling", "roster", "scope",
            "template"},
}
OUTSIDE = set(ALLOWED) - CORE  # what the core never imports
THIRD_PARTY_WRITERS = {"openpyxl", "xlsxwriter", "click", "flask", "flask_wtf", "waitress", "docxtpl"}
THIRD_PARTY_ALLOWED = {"roster": {"openpyxl"}}  # an .xlsx roster is read with openpyxl (reading, not writing)


def modules() -> list[str]:
    """Every module of the package, as ``ALLOWED`` names them."""
    return sorted([p.stem for p in PACKAGE.glob("*.py")]
                  + [f"portal.{p.stem}" for p in (PACKAGE / "portal").glob("*.py")])


def imports_of(module: str) -> tuple[set[str], set[str]]:
    """The package modules and the third-party top-level packages ``module`` imports, at the top or
    inside a function (package modules named as in ``ALLOWED``)."""
    in_portal = module.startswith("portal.")
    tree = ast.parse((PACKAGE / f"{module.replace('.', '/')}.py").read_text(encoding="utf-8"))
    own, third = set(), set()

    def add(parts: list[str]) -> None:
        if not parts:
            own.add("__init__")
        elif parts[0] == "portal":
            own.add(".".join(parts[:2]) if len(parts) > 1 else "portal.__init__")
        else:
            own.add(parts[0])

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ["portal"] if in_portal and node.level == 1 else []
            parts = base + (node.module.split(".") if node.module else [])
            if node.module:
                add(parts)
            else:  # ``from . import x``: a module when one is so named, else a name of the package
                for alias in node.names:
                    name = ".".join(base + [alias.name])
                    add(name.split(".") if name in ALLOWED or (PACKAGE / f"{alias.name}.py").exists() else base)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]:
                parts = name.split(".")
                if parts[0] == "qcdc_excel":
                    add(parts[1:])
                else:
                    third.add(parts[0])
    own.discard(module)
    return own, third


def test_the_allow_list_names_every_module():
    assert set(modules()) == set(ALLOWED), "add the module to tests/test_layers.py ALLOWED (or remove its entry)"


@pytest.mark.parametrize("module", modules())
def test_each_module_imports_only_what_it_may(module):
    own, _ = imports_of(module)
    assert module in ALLOWED, f"{module} is not in the allow-list"
    assert own <= ALLOWED[module], f"{module} imports {sorted(own - ALLOWED[module])}, not allowed"


@pytest.mark.parametrize("module", sorted(CORE))
def test_core_modules_import_nothing_downstream(module):
    own, third = imports_of(module)
    assert not (own & OUTSIDE), f"{module} imports {sorted(own & OUTSIDE)}"
    bad = third & THIRD_PARTY_WRITERS - THIRD_PARTY_ALLOWED.get(module, set())
    assert not bad, f"{module} imports {sorted(bad)}"


def test_the_allow_list_keeps_the_floors_and_has_no_cycle():
    assert all(not ALLOWED[m] for m in BASE)
    for module in CORE:
        assert ALLOWED[module] <= CORE | {"__init__"}, f"{module} may import {sorted(ALLOWED[module] - CORE)}"
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle allowed: {' -> '.join(path + (module,))}"
        if module not in done:
            for dep in ALLOWED[module] - {"__init__"}:  # the package's __init__ imports nothing at the top
                visit(dep, path + (module,))
            done.add(module)

    for module in ALLOWED:
        visit(module, ())


def test_reading_and_checking_a_file_loads_no_writer():
    code = ("import sys, qcdc_excel.validate as v; v.read_submission('does-not-exist.xlsx'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('qcdc_excel', 'openpyxl', 'xlsxwriter', "
            "'click')))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "qcdc_excel.validate" in loaded
    outside = {m.split(".")[-1] for m in OUTSIDE} | {"portal"}
    assert not {m for m in loaded if m.split(".")[-1] in outside or m.split(".")[0] in THIRD_PARTY_WRITERS}, loaded
