"""Every indicator says how it rolls over time (``over_time``); the loader refuses one without it,
one that does not fit its kind, and a ratio whose parts roll differently (issue 23, part 1)."""
from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from qcdc_excel.catalog import OVER_TIMES, known_versions, load_catalog, parse_catalog
from qcdc_excel.i18n import QcdcError

DOMAIN = Path(__file__).resolve().parent.parent / "docs" / "DOMAIN.md"


def shipped(version: str) -> dict:
    path = resources.files("qcdc_excel") / "catalogs" / f"{version}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def item(data: dict, code: str) -> dict:
    return next(i for i in data["items"] if i.get("code") == code)


def refused(data: dict) -> str:
    with pytest.raises(QcdcError) as info:
        parse_catalog(data, "test.yaml")
    return info.value.render("vi") + "\n" + info.value.render("en")


@pytest.mark.parametrize("version", known_versions())
def test_every_shipped_indicator_has_an_over_time_of_its_kind(version):
    cat = load_catalog(version)
    for ind in cat.indicators.values():
        assert ind.over_time in OVER_TIMES[ind.kind], ind.code
    ratios = [i for i in cat.indicators.values() if i.kind == "ratio"]
    assert ratios and all(i.over_time == "parts" for i in ratios)


def test_the_issue_list_of_flows_stocks_and_yearly_counts():
    cat = load_catalog("qcdc-2023.1")
    ot = {c: i.over_time for c, i in cat.indicators.items()}
    for code in ("I.1", "I.2", "I.3.2", "II.1.2", "II.5.2", "II.5.3", "II.9.1", "II.9.2", "II.9.4", "II.8.1",
                 "II.4.1", "II.10.3", "IV.8"):
        assert ot[code] == "sum", code
    for code in ("II.5.1", "II.6.1", "IV.1", "III.3", "II.5.5", "II.9.5"):
        assert ot[code] == "last", code
    assert ot["III.2"] == ot["IV.4"] == "max"
    assert ot["I.4.1"] == "any" and ot["II.7.1"] == "last"
    assert ot["V.1"] == "collect"
    assert cat.reorganisation == ("II.6.1",)


@pytest.mark.parametrize("version", known_versions())
def test_domain_page_documents_every_choice(version):
    """docs/DOMAIN.md's over-time table has a row per indicator with the catalog's choice."""
    text = DOMAIN.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (I[IVX.\d]*|V[IVX.\d]*|[IVX]+[.\d]*) \| [^|]* \| `(\w+)` \|", text, re.M))
    for code, ind in load_catalog(version).indicators.items():
        assert rows.get(code) == ind.over_time, code


def test_missing_over_time_is_refused_naming_the_entry():
    data = shipped("qcdc-2023.1")
    del item(data, "II.5.2")["over_time"]
    text = refused(data)
    assert "II.5.2" in text and "over_time" in text and "thiếu" in text and "missing" in text


def test_over_time_of_another_kind_is_refused():
    data = shipped("qcdc-2023.1")
    item(data, "I.4.1")["over_time"] = "sum"  # a flag cannot be added up
    text = refused(data)
    assert "I.4.1" in text and "any, last" in text
    data = shipped("qcdc-2023.1")
    item(data, "II.5.6")["over_time"] = "sum"  # a ratio is never rolled itself
    assert "parts" in refused(data)


def test_a_ratio_whose_parts_roll_differently_is_refused():
    data = shipped("qcdc-2023.1")
    item(data, "II.5.2")["over_time"] = "last"  # II.5.6 = II.5.3 (sum) / II.5.2 (last)
    text = refused(data)
    assert "II.5.6" in text and "II.5.3: sum" in text and "II.5.2: last" in text
    data = shipped("qcdc-2023.1")
    item(data, "III.2")["over_time"] = "last"  # max and last are both levels: accepted
    assert parse_catalog(copy.deepcopy(data), "t.yaml").indicators["III.6"].over_time == "parts"


def test_reorganisation_names_a_stock():
    data = shipped("qcdc-2023.1")
    data["reorganisation"] = ["II.5.2"]
    assert "II.5.2" in refused(data)
    data["reorganisation"] = ["II.99"]
    assert "II.99" in refused(data)
