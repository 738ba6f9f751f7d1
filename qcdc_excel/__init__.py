"""qcdc-excel: the numeric appendix of grassroots-democracy (QCDC) reports, in Excel.

Library first: every command of the ``qcdc-excel`` CLI is a function here that returns values;
``merge(inbox, scope, outputs)`` and ``check(paths, scope, outputs)`` take what counts
(:class:`Scope`) and what to write (:class:`Outputs`), as the command line builds them;
``rollup(paths, period, out)`` builds a half-year or a year from its quarters' consolidations.
Names are loaded on first use, so that importing the reading and checking core (``reader``,
``validate``) never loads the writers (``template``, ``workbook_writer``, ``feedback``).
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "CURRENT_VERSION": "catalog", "Catalog": "catalog", "Indicator": "catalog", "Rule": "catalog",
    "load_catalog": "catalog", "load_catalog_file": "catalog",
    "QcdcError": "i18n",
    "Period": "periods", "parse_period": "periods",
    "Roster": "roster", "Unit": "roster", "load_roster": "roster",
    "build_template": "template", "make_templates": "template", "write_template": "template",
    "FormOptions": "template",
    "Scope": "scope", "Outputs": "scope", "ReportSpec": "scope",
    "merge": "merging", "check": "merging", "MergeResult": "merging", "CheckResult": "merging",
    "NothingFound": "merging",
    "rollup": "rolling", "RollupResult": "rolling",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qcdc_excel' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
