"""History as an input (issue 23, parts 2 and 3): earlier periods' consolidated workbooks and
``merge --json`` files read back into a series, and the three checks against it, on real workbooks
built with the package for a post-2025 province (communes with five-digit codes, leading zeros)."""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import statistics
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qcdc_excel import Outputs, Scope, check, load_roster, merge, parse_period
from qcdc_excel.catalog import load_catalog
from qcdc_excel.cli import main
from qcdc_excel.form import UNITS_SHEET
from qcdc_excel.history import read_history, read_previous, roll
from qcdc_excel.history_checks import chains_exactly, jump, modified_z, parts_of, references
from qcdc_excel.i18n import QcdcError
from qcdc_excel.identity import Identity
from qcdc_excel.layout import form_layout
from qcdc_excel.synthetic import fill_workbook, valid_values
from qcdc_excel.template import template_bytes
from qcdc_excel.workbook_writer import FINDINGS

from .conftest import ROOT

ROSTER = ROOT / "samples" / "rosters" / "post2025-province.csv"
CATALOG = load_catalog()
LAYOUT = form_layout(CATALOG.version, "xa")
IDS = LAYOUT.identity_cells
UNITS = 10  # communes taking part: one more than the 8 siblings the outlier check needs besides a unit


@pytest.fixture(scope="module")
def roster():
    return load_roster(ROSTER)


@pytest.fixture(scope="module")
def communes(roster):
    return [u.code for u in roster.units.values() if u.level == "xa"][:UNITS]


def base_values(seed: int) -> dict:
    """A commune's quarter: rules met, and met again when its flows are added up over quarters (the
    backlogs II.5.5 and II.9.5, rolled as the latest, are 0)."""
    v = valid_values(CATALOG, LAYOUT.input_codes, random.Random(seed))
    v["II.5.5"], v["II.9.5"] = 0, 0
    v["II.5.2"] = v["II.5.3"] + v["II.5.4"]
    v["II.9.3"] = v["II.9.4"]
    v["II.9.2"] = max(v["II.9.2"], v["II.9.3"])
    v["II.6.3"] = 0
    for code in ("II.2.1", "II.2.2", "II.2.3", "II.2.4"):
        v[code] = 20 + seed % 7  # ordinary figures, close among siblings
    v["II.6.1"] = 12
    v["II.6.2"] = min(v["II.6.2"], 12)
    return v


def rolled(quarters: list[dict]) -> dict:
    """The half-year or year a commune types from its quarters, computed here by the catalog's words:
    flows added, everything else the latest quarter's."""
    out = {}
    for code, value in quarters[-1].items():
        if CATALOG.indicators[code].over_time == "sum":
            total = sum(q[code] for q in quarters)
            out[code] = round(total, 1) if isinstance(total, float) else total
        else:
            out[code] = value
    return out


def submit(folder: Path, roster, code: str, period: str, values: dict, window=None, name=None) -> Path:
    unit = roster[code]
    per = parse_period(period)
    extra = {}
    if window is not None:
        extra = {IDS["window_from"]: dt.datetime.combine(window[0], dt.time()),
                 IDS["window_to"]: dt.datetime.combine(window[1], dt.time())}
    return fill_workbook(template_bytes("xa", per, Identity.of(unit, roster)), values,
                         folder / (name or f"{code}_{period}.xlsx"), extra=extra,
                         report_date=dt.datetime.combine(per.window[1] + dt.timedelta(days=3), dt.time()))


def merged(base: Path, roster, period: str, values: dict[str, dict], previous=()) -> tuple[Path, Path, object]:
    inbox = base / f"inbox-{period}"
    inbox.mkdir()
    for code, v in values.items():
        submit(inbox, roster, code, period, v)
    out, js = base / f"TH-{period}.xlsx", base / f"TH-{period}.json"
    result = merge(inbox, Scope(roster, period, previous=previous), Outputs(out, json=js))
    return out, js, result


@pytest.fixture(scope="module")
def quarters(tmp_path_factory, roster, communes):
    """Q1 and Q2 of 2025 merged (Q2 against Q1), with their figures."""
    base = tmp_path_factory.mktemp("history")
    q1 = {c: base_values(k) for k, c in enumerate(communes)}
    q2 = {c: dict(v) for c, v in q1.items()}
    out1, js1, r1 = merged(base, roster, "2025Q1", q1)
    out2, js2, r2 = merged(base, roster, "2025Q2", q2, previous=[out1])
    return {"base": base, "q1": q1, "q2": q2, "out1": out1, "js1": js1, "out2": out2, "js2": js2,
            "r1": r1, "r2": r2}


def test_smoke(quarters):
    assert quarters["r1"].ok and quarters["r2"].ok
