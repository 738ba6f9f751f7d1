"""Dependencies point one way: reading and checking know nothing of the writers, feedback, the
command line or the web desk (STYLE.md, "Dependencies point one way")."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qcdc_excel"
CORE = ["catalog", "expressions", "fingerprint", "findings", "form", "formulas", "i18n", "layout", "numbers", "periods",
        "processes", "reader", "roster", "safe_paths", "scope", "validate"]
OUTSIDE = {"template", "workbook_writer", "feedback", "feedback_zip", "merging", "cli", "consolidate", "synthetic",
           "portal", "report"}
THIRD_PARTY_WRITERS = {"openpyxl", "xlsxwriter", "click", "flask", "flask_wtf", "waitress", "docxtpl"}
ALLOWED = {"roster": {"openpyxl"}}  # an .xlsx roster is read with openpyxl (reading, not writing)


def imports_of(module: str) -> set[str]:
    """Every module ``module`` imports, at the top or inside a function (relative ones by name)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                out.add((node.module or "").split(".")[0] or "__init__")
                out.update(a.name for a in node.names if not node.module)
            else:
                out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
    return out


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_nothing_downstream(module):
    bad = imports_of(module) & (OUTSIDE | THIRD_PARTY_WRITERS) - ALLOWED.get(module, set())
    assert not bad, f"{module} imports {sorted(bad)}"


def test_reading_and_checking_a_file_loads_no_writer():
    code = ("import sys, qcdc_excel.validate as v; v.read_submission('does-not-exist.xlsx'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('qcdc_excel', 'openpyxl', 'xlsxwriter', "
            "'click')))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "qcdc_excel.validate" in loaded
    assert not {m for m in loaded if m.split(".")[-1] in OUTSIDE or m.split(".")[0] in THIRD_PARTY_WRITERS}, loaded
