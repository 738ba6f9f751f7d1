"""The shipped indicator catalog, its strict loader and the ``catalog`` command.

The expectations come from docs/DOMAIN.md (sections I-V and the rules section):
the tests check what the catalog *does* (kinds, ratio parts, how each rule judges example
figures), not how an entry happens to be spelled.
"""
from __future__ import annotations

import copy
import json
import re
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from qcdc_excel.catalog import (
    CURRENT_VERSION,
    Heading,
    Indicator,
    known_versions,
    load_catalog,
    load_catalog_file,
    parse_catalog,
)
from qcdc_excel.cli import main
from qcdc_excel.i18n import MultiError, QcdcError

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "docs" / "DOMAIN.md"  # the domain description, kept in the repository
SHIPPED_YAML = resources.files("qcdc_excel") / "catalogs" / "qcdc-2023.1.yaml"

# Letters that only occur in Vietnamese text (lower case; compared after .lower()).
VIETNAMESE_LETTERS = set("ăâđêôơư"
                         "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def has_vietnamese(text: str) -> bool:
    return any(ch in VIETNAMESE_LETTERS for ch in text.lower())


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture(scope="module")
def raw_data():
    return yaml.safe_load(SHIPPED_YAML.read_text(encoding="utf-8"))


@pytest.fixture
def data(raw_data):
    """A fresh, mutable copy of the shipped catalog data."""
    return copy.deepcopy(raw_data)


def item(data: dict, code: str) -> dict:
    return next(i for i in data["items"] if i.get("code") == code)


def rule(data: dict, rid: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rid)


def refused(data: dict, source: str = "test.yaml") -> QcdcError:
    with pytest.raises(QcdcError) as info:
        parse_catalog(data, source)
    return info.value


def assert_names(exc: QcdcError, *needles: str) -> None:
    """Both renderings of ``exc`` mention every needle (entry code, rule id, offending code...)."""
    for lang in ("vi", "en"):
        text = exc.render(lang)
        for needle in needles:
            assert needle in text, f"{needle!r} missing from the {lang} message: {text}"


# --- the shipped catalog -----------------------------------------------------------------------

def test_shipped_catalog_loads_with_current_version(cat):
    assert cat.version == "qcdc-2023.1"
    assert CURRENT_VERSION == "qcdc-2023.1"
    assert "qcdc-2023.1" in known_versions()
    assert load_catalog("qcdc-2023.1").version == "qcdc-2023.1"
    assert len(cat.indicators) > 50 and len(cat.rules) > 10


def test_unmodified_data_parses(data):
    """Guard for the broken-catalog tests below: the data they mutate is valid as shipped."""
    parsed = parse_catalog(data, "test.yaml")
    assert parsed.version == "qcdc-2023.1"
    assert parsed.source == "test.yaml"


def _domain_codes() -> list[str]:
    text = DOMAIN.read_text(encoding="utf-8")
    start, end = text.index("## The appendix"), text.index("## Rules")
    return sorted(set(re.findall(r"(?<![\w.])([IVX]+(?:\.\d+)+)(?![\w]|\.\d)", text[start:end])))


def test_every_code_named_in_domain_exists(cat):
    codes = _domain_codes()
    assert len(codes) > 60  # the regex really found the draft catalog
    headings = {i.code for i in cat.items if isinstance(i, Heading)}
    missing = [c for c in codes if c not in cat.indicators and c not in headings]
    assert not missing


COUNTS = (
    "I.1 I.1.1 I.1.2 I.1.3 I.2 I.2.1 I.3.1 I.3.2 I.3.3 I.4.2 "
    "II.1.2 II.1.3 II.1.4 II.2.1 II.2.2 II.2.3 II.2.4 II.3.2 II.3.3 "
    "II.5.1 II.5.2 II.5.3 II.5.4 II.5.5 II.6.1 II.6.2 II.6.3 II.7.2 II.7.3 "
    "II.8.1 II.8.2 II.8.3 II.8.4 II.8.5 II.8.6 II.9.1 II.9.2 II.9.3 II.9.4 II.9.5 "
    "II.10.1 II.10.2 II.10.3 III.1 III.2 III.3 III.4 III.5 "
    "IV.1 IV.2 IV.3 IV.4 IV.5 IV.6 IV.7 IV.8"
).split()
FLAGS = ["I.4.1", "II.1.1", "II.3.1", "II.7.1"]
RATIOS = {
    "II.5.6": ("II.5.3", "II.5.2"),
    "II.9.6": ("II.9.4", "II.9.3"),
    "III.6": ("III.2", "III.1"),
    "III.7": ("III.3", "III.1"),
    "III.8": ("III.4", "III.1"),
    "III.9": ("III.5", "III.1"),
    "IV.9": ("IV.4", "IV.3"),
    "IV.10": ("IV.5", "IV.3"),
}


@pytest.mark.parametrize("code", COUNTS)
def test_count_indicators(cat, code):
    ind = cat.indicators[code]
    assert ind.kind == "count"
    assert ind.unit  # every count says what it counts
    assert ind.rollup in ("sum", "own")
    assert ind.levels


@pytest.mark.parametrize("code", FLAGS)
def test_flag_indicators(cat, code):
    ind = cat.indicators[code]
    assert ind.kind == "flag"
    assert ind.rollup in ("count", "own")


def test_commune_flags_roll_up_as_x_of_n(cat):
    # Kbang reports II.1.1, II.3.1 and II.7.1 as "14/14": a count of units answering Có.
    for code in ("II.1.1", "II.3.1", "II.7.1"):
        assert cat.indicators[code].rollup == "count"
        assert "xa" in cat.indicators[code].levels


def test_amount_indicators(cat):
    money = cat.indicators["II.4.1"]
    assert money.kind == "amount" and money.unit == "triệu đồng" and money.rollup == "sum"
    land = cat.indicators["II.4.3"]
    assert land.kind == "amount" and land.unit == "m²"


@pytest.mark.parametrize("code", sorted(RATIOS))
def test_ratio_indicators(cat, code):
    ind = cat.indicators[code]
    assert ind.kind == "ratio"
    assert (ind.numerator, ind.denominator) == RATIOS[code]
    assert ind.required is False  # never typed
    assert ind.rollup == ""
    # A ratio is shown wherever both its parts are reported.
    num, den = cat.indicators[ind.numerator], cat.indicators[ind.denominator]
    assert ind.levels and set(ind.levels) == set(num.levels) & set(den.levels)
    assert not ind.is_input


def test_text_indicators(cat):
    for code in ("V.1", "V.2"):
        ind = cat.indicators[code]
        assert ind.kind == "text" and ind.rollup == "collect"
        assert ind.required is False
        assert set(ind.levels) == {"xa", "huyen", "tinh"}


def test_sections_and_form_order(cat):
    sections = [i.code for i in cat.items if isinstance(i, Heading) and i.kind == "section"]
    assert sections == ["I", "II", "III", "IV", "V"]
    for ind in cat.indicators.values():
        assert ind.code.startswith(ind.section + ".")
    order = [i.code for i in cat.items if isinstance(i, Indicator)]
    assert order.index("II.5.2") < order.index("II.5.3") < order.index("II.5.6")


def test_reported_at_levels(cat):
    xa = {i.code for i in cat.reported_at("xa")}
    tinh = {i.code for i in cat.reported_at("tinh")}
    assert "II.9.4" in xa and "II.9.4" not in tinh  # commune section is typed by communes only
    assert {"I.1", "III.1", "V.1", "III.6"} <= tinh


# --- the domain's rules ------------------------------------------------------------------------

def rules_over(cat, codes: set[str]):
    return [r for r in cat.rules if set(r.expression.codes) == codes]


def judge(rule_, values: dict) -> str:
    return rule_.expression.evaluate(values, "never_skip").status


# (codes, severity, passing examples, failing examples)
DOMAIN_RULES = [
    ({"II.5.2", "II.5.3", "II.5.4", "II.5.5"}, "error",
     [dict(zip(["II.5.2", "II.5.3", "II.5.4", "II.5.5"], [158, 146, 10, 2]))],
     [dict(zip(["II.5.2", "II.5.3", "II.5.4", "II.5.5"], [158, 146, 10, 1])),
      dict(zip(["II.5.2", "II.5.3", "II.5.4", "II.5.5"], [157, 146, 10, 2]))]),
    ({"II.9.4", "II.9.3"}, "error",
     [{"II.9.4": 16, "II.9.3": 17}, {"II.9.4": 17, "II.9.3": 17}],
     [{"II.9.4": 18, "II.9.3": 17}]),
    ({"II.9.3", "II.9.2"}, "error",
     [{"II.9.3": 17, "II.9.2": 40}, {"II.9.3": 40, "II.9.2": 40}],
     [{"II.9.3": 41, "II.9.2": 40}]),
    ({"II.8.6", "II.8.5"}, "error",
     [{"II.8.6": 45, "II.8.5": 45}, {"II.8.6": 0, "II.8.5": 45}],
     [{"II.8.6": 46, "II.8.5": 45}]),
    ({"II.9.3", "II.9.4", "II.9.5"}, "error",
     [{"II.9.3": 17, "II.9.4": 16, "II.9.5": 1}],
     [{"II.9.3": 40, "II.9.4": 16, "II.9.5": 1}, {"II.9.3": 16, "II.9.4": 16, "II.9.5": 1}]),
    ({"I.3.2", "I.3.1"}, "warning",
     [{"I.3.2": 3, "I.3.1": 3}, {"I.3.2": 2, "I.3.1": 3}],
     [{"I.3.2": 4, "I.3.1": 3}]),
    ({"I.1", "I.1.1", "I.1.2", "I.1.3"}, "error",
     [{"I.1": 3, "I.1.1": 2, "I.1.2": 1, "I.1.3": 0}],
     [{"I.1": 4, "I.1.1": 2, "I.1.2": 1, "I.1.3": 0}]),
    ({"II.1.4", "II.1.3"}, "error", [{"II.1.4": 5, "II.1.3": 5}], [{"II.1.4": 6, "II.1.3": 5}]),
    ({"II.6.2", "II.6.1"}, "error", [{"II.6.2": 5, "II.6.1": 5}], [{"II.6.2": 6, "II.6.1": 5}]),
    ({"II.8.2", "II.8.1"}, "error", [{"II.8.2": 80, "II.8.1": 302}], [{"II.8.2": 303, "II.8.1": 302}]),
    ({"II.8.3", "II.8.1"}, "error", [{"II.8.3": 302, "II.8.1": 302}], [{"II.8.3": 303, "II.8.1": 302}]),
    ({"II.8.4", "II.8.3"}, "error", [{"II.8.4": 9, "II.8.3": 9}], [{"II.8.4": 10, "II.8.3": 9}]),
    *[({f"III.{k}", "III.1"}, "error", [{f"III.{k}": 28, "III.1": 29}], [{f"III.{k}": 30, "III.1": 29}])
      for k in (2, 3, 4, 5)],
    ({"IV.2", "IV.1"}, "error", [{"IV.2": 11, "IV.1": 89}], [{"IV.2": 90, "IV.1": 89}]),
    ({"IV.3", "IV.1"}, "error", [{"IV.3": 8, "IV.1": 89}], [{"IV.3": 90, "IV.1": 89}]),
    ({"IV.4", "IV.3"}, "error", [{"IV.4": 5, "IV.3": 8}], [{"IV.4": 9, "IV.3": 8}]),
    ({"IV.5", "IV.3"}, "error", [{"IV.5": 8, "IV.3": 8}], [{"IV.5": 9, "IV.3": 8}]),
    ({"IV.6", "IV.1"}, "error", [{"IV.6": 89, "IV.1": 89}], [{"IV.6": 90, "IV.1": 89}]),
]


@pytest.mark.parametrize("codes,severity,passing,failing", DOMAIN_RULES,
                         ids=["+".join(sorted(r[0])) for r in DOMAIN_RULES])
def test_domain_rule_exists_and_judges_examples(cat, codes, severity, passing, failing):
    candidates = [r for r in rules_over(cat, codes)
                  if all(judge(r, v) == "passed" for v in passing)
                  and all(judge(r, v) == "failed" for v in failing)]
    assert candidates, f"no rule over {sorted(codes)} behaves as DOMAIN.md says"
    assert any(r.severity == severity for r in candidates)
    for r in candidates:
        assert r.severity == severity
        for code in codes:  # the message names the indicators it is about
            assert code in r.message


def test_kbang_petitions_pass_and_the_printed_slip_fails(cat):
    """001 printed 16 resolved of 40 as 94.11 %: with 17 competent the figures agree."""
    ok = {"II.9.1": 89, "II.9.2": 40, "II.9.3": 17, "II.9.4": 16, "II.9.5": 1}
    related = [r for r in cat.rules if set(r.expression.codes) <= set(ok)]
    assert len(related) >= 3
    assert all(r.evaluate(ok).status == "passed" for r in related)
    slip = dict(ok, **{"II.9.3": 40})  # the competent count taken as everything received
    assert any(r.evaluate(slip).status == "failed" for r in related)


def test_rules_for_selects_rules_a_form_can_check(cat):
    codes = {"II.9.2", "II.9.3", "II.9.4", "II.9.5"}
    chosen = cat.rules_for(codes)
    assert chosen and all(set(r.expression.codes) <= codes for r in chosen)
    assert len(chosen) == len([r for r in cat.rules if set(r.expression.codes) <= codes])


def test_rule_ids_unique_and_rules_over_numbers_only(cat):
    ids = [r.id for r in cat.rules]
    assert len(ids) == len(set(ids))
    for r in cat.rules:
        assert r.severity in ("error", "warning")
        for code in r.expression.codes:
            assert cat.indicators[code].kind in ("count", "amount")


def _catalog_strings(cat):
    yield cat.title
    for i in cat.items:
        yield i.label
        yield i.label_en
    for r in cat.rules:
        yield r.message
        yield r.message_en


def test_text_is_nfc(cat):
    for s in _catalog_strings(cat):
        assert unicodedata.is_normalized("NFC", s), s
    raw = SHIPPED_YAML.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)


def test_labels_and_messages_are_vietnamese(cat):
    assert has_vietnamese(cat.title)
    for ind in cat.indicators.values():
        assert ind.label.strip()
    vi_labels = [i.label for i in cat.indicators.values()]
    # Almost every Vietnamese label carries Vietnamese letters (a few short ones like "- Có ..." do).
    assert sum(has_vietnamese(s) for s in vi_labels) >= 0.9 * len(vi_labels)
    for r in cat.rules:
        assert has_vietnamese(r.message), r.id
        assert not has_vietnamese(r.message_en), r.id


def test_rule_messages_fit_an_excel_string(cat):
    for r in cat.rules:
        assert 0 < len(r.message) <= 250, r.id
        assert 0 < len(r.message_en) <= 250, r.id


# --- broken catalogs ---------------------------------------------------------------------------

def test_unknown_code_in_rule(data):
    rule(data, "II.9.4-le-II.9.3")["expression"] = "II.9.4 <= II.9.33"
    exc = refused(data)
    assert_names(exc, "test.yaml", "II.9.4-le-II.9.3", "II.9.33")


def test_duplicate_indicator_code(data):
    dup = copy.deepcopy(item(data, "II.9.4"))
    dup["label"] = "Bản sao"
    data["items"].append(dup)
    exc = refused(data)
    assert_names(exc, "test.yaml", "II.9.4")
    assert "trùng" in exc.render("vi") and "duplicate" in exc.render("en")


@pytest.mark.parametrize("role,ref,kind", [("numerator", "II.1.1", "flag"), ("numerator", "V.1", "text"),
                                           ("denominator", "II.7.1", "flag"),
                                           ("denominator", "II.9.6", "ratio")])
def test_ratio_over_a_non_number(data, role, ref, kind):
    item(data, "II.5.6")[role] = ref
    exc = refused(data)
    assert_names(exc, "II.5.6", ref, kind)


@pytest.mark.parametrize("role", ["numerator", "denominator"])
def test_ratio_over_missing_code(data, role):
    item(data, "II.5.6")[role] = "II.5.99"
    exc = refused(data)
    assert_names(exc, "II.5.6", "II.5.99", role)


def test_ratio_without_denominator(data):
    del item(data, "IV.9")["denominator"]
    assert_names(refused(data), "IV.9", "denominator")


@pytest.mark.parametrize("expression", [
    "II.9.4 <=",
    "<= II.9.3",
    "II.9.4 II.9.3",
    "II.9.4 <= II.9.3 <= II.9.2",
    "II.9.4 <= II.9.3 * 2",
    "II.9.4 <= II.9.3 $",
    "II.9.4 ≤ II.9.3",
    "II.9.4 <= II.9.3 +",
    "",
])
def test_bad_expression(data, expression):
    rule(data, "II.9.4-le-II.9.3")["expression"] = expression
    exc = refused(data)
    assert_names(exc, "test.yaml", "II.9.4-le-II.9.3")
    if expression:
        assert expression in exc.render("vi")


def test_bad_expression_english_message_is_english(data):
    rule(data, "II.9.4-le-II.9.3")["expression"] = "II.9.4 <= II.9.3 <= II.9.2"
    en = refused(data).render("en")
    assert not has_vietnamese(en), en


@pytest.mark.parametrize("expression,bad", [("II.1.1 <= II.1.2", "II.1.1"),
                                            ("II.9.6 <= 100", "II.9.6"),
                                            ("V.2 == V.1", "V.1")])
def test_rule_over_a_non_number(data, expression, bad):
    rule(data, "II.9.4-le-II.9.3")["expression"] = expression
    assert_names(refused(data), "II.9.4-le-II.9.3", bad)


def test_unknown_kind(data):
    item(data, "II.9.4")["kind"] = "percent"
    exc = refused(data)
    assert_names(exc, "II.9.4", "percent")


def test_bad_severity(data):
    rule(data, "II.9.3-le-II.9.2")["severity"] = "fatal"
    exc = refused(data)
    assert_names(exc, "II.9.3-le-II.9.2", "severity")


def test_bad_missing_strategy(data):
    rule(data, "II.9.3-le-II.9.2")["missing"] = "skip_always"
    exc = refused(data)
    assert_names(exc, "II.9.3-le-II.9.2", "skip_always")


def test_missing_version(data):
    del data["version"]
    exc = refused(data)
    assert_names(exc, "test.yaml", "version")


@pytest.mark.parametrize("where,key", [("item", "unti"), ("item", "lable"), ("rule", "mesage"),
                                       ("rule", "severty")])
def test_unknown_key_typo(data, where, key):
    if where == "item":
        entry = item(data, "II.9.4")
        name = "II.9.4"
    else:
        entry = rule(data, "II.9.4-le-II.9.3")
        name = "II.9.4-le-II.9.3"
    real = {"unti": "unit", "lable": "label", "mesage": "message", "severty": "severity"}[key]
    entry[key] = entry.pop(real)
    assert_names(refused(data), name, key)


def test_unknown_top_level_key(data):
    data["rule"] = data.pop("rules")
    assert_names(refused(data), "rule")


def test_rule_message_too_long(data):
    rule(data, "II.9.4-le-II.9.3")["message"] = "Số đơn " * 40  # 280 characters
    assert_names(refused(data), "II.9.4-le-II.9.3", "250")


def test_duplicate_rule_id(data):
    data["rules"].append(copy.deepcopy(rule(data, "II.9.4-le-II.9.3")))
    exc = refused(data)
    assert_names(exc, "II.9.4-le-II.9.3")
    assert "trùng" in exc.render("vi") and "duplicate" in exc.render("en")


def test_several_problems_are_all_reported(data):
    rule(data, "II.9.4-le-II.9.3")["expression"] = "II.9.4 <= II.9.33"
    item(data, "II.5.6")["numerator"] = "II.1.1"
    rule(data, "II.9.3-le-II.9.2")["severity"] = "fatal"
    with pytest.raises(MultiError) as info:
        parse_catalog(data, "test.yaml")
    exc = info.value
    assert len(exc.errors) == 3
    for lang in ("vi", "en"):
        text = exc.render(lang)
        for needle in ("II.9.33", "II.5.6", "II.9.3-le-II.9.2"):
            assert needle in text
        assert len(text.splitlines()) == 3


def test_not_a_mapping_and_no_items():
    assert_names(refused(["version", "items"]), "test.yaml")
    assert_names(refused({"version": "x"}), "items")


def _write(tmp_path: Path, data: object, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_load_catalog_file_round_trip(tmp_path, data):
    cat = load_catalog_file(_write(tmp_path, data, "ok.yaml"))
    assert cat.version == "qcdc-2023.1" and cat.source.endswith("ok.yaml")
    assert set(cat.indicators) == set(load_catalog().indicators)


def test_load_catalog_file_names_the_file_and_entry(tmp_path, data):
    item(data, "IV.10")["numerator"] = "V.2"
    path = _write(tmp_path, data)
    with pytest.raises(QcdcError) as info:
        load_catalog_file(path)
    assert_names(info.value, str(path), "IV.10", "V.2")


def test_invalid_yaml_syntax(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("version: qcdc-2023.1\nitems:\n  - code: [I.1\n    kind: count\n", encoding="utf-8")
    with pytest.raises(QcdcError) as info:
        load_catalog_file(path)
    assert_names(info.value, str(path))
    assert "Traceback" not in info.value.render("en")


def test_missing_catalog_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(QcdcError) as info:
        load_catalog_file(path)
    assert_names(info.value, str(path))


def test_catalog_file_not_utf8(tmp_path, raw_data):
    path = tmp_path / "cp1258.yaml"
    text = yaml.safe_dump(raw_data, allow_unicode=True, sort_keys=False)
    path.write_bytes(unicodedata.normalize("NFD", text).encode("cp1258", errors="replace"))
    with pytest.raises(QcdcError) as info:
        load_catalog_file(path)
    assert_names(info.value, str(path))


def test_unknown_catalog_version():
    with pytest.raises(QcdcError) as info:
        load_catalog("qcdc-1999.9")
    assert_names(info.value, "qcdc-1999.9", "qcdc-2023.1")


# --- the catalog command -----------------------------------------------------------------------

def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_catalog_json(cat):
    result = invoke("catalog", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"version", "indicators", "rules"}
    assert out["version"] == "qcdc-2023.1"
    assert [i["code"] for i in out["indicators"]] == list(cat.indicators)
    for ind in out["indicators"]:
        assert {"code", "label", "kind", "unit", "required", "levels"} <= set(ind)
        assert ind["label"] == cat.indicators[ind["code"]].label
        assert isinstance(ind["required"], bool) and isinstance(ind["levels"], list)
        if ind["code"] in RATIOS:
            assert (ind["numerator"], ind["denominator"]) == RATIOS[ind["code"]]
    assert [r["id"] for r in out["rules"]] == [r.id for r in cat.rules]
    for r in out["rules"]:
        assert {"id", "severity", "expression", "message"} <= set(r)
        assert has_vietnamese(r["message"])
    by_code = {i["code"]: i for i in out["indicators"]}
    assert by_code["II.4.1"]["unit"] == "triệu đồng" and by_code["II.4.1"]["kind"] == "amount"
    assert by_code["II.9.6"]["kind"] == "ratio"


def test_cli_catalog_json_english(cat):
    result = invoke("--lang", "en", "catalog", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    labels = {i["code"]: i["label"] for i in out["indicators"]}
    assert labels["II.9.4"] == cat.indicators["II.9.4"].label_en != cat.indicators["II.9.4"].label
    assert not any(has_vietnamese(label) for label in labels.values())
    assert not any(has_vietnamese(r["message"]) for r in out["rules"])


def test_cli_catalog_plain_text(cat):
    result = invoke("catalog")
    assert result.exit_code == 0, result.output
    for ind in cat.indicators.values():
        assert ind.label in result.output
    for r in cat.rules:
        assert r.id in result.output and r.message in result.output
    assert "qcdc-2023.1" in result.output


def test_cli_catalog_plain_text_english(cat):
    result = invoke("--lang", "en", "catalog")
    assert result.exit_code == 0, result.output
    assert cat.indicators["II.5.3"].label_en in result.output
    assert cat.indicators["II.5.3"].label not in result.output


def test_cli_catalog_file_ok(tmp_path, data):
    path = _write(tmp_path, data, "ok.yaml")
    result = invoke("catalog", "--json", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == "qcdc-2023.1"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cli_catalog_broken_file_exits_2(tmp_path, data, lang):
    rule(data, "II.9.4-le-II.9.3")["expression"] = "II.9.4 <= II.9.33"
    path = _write(tmp_path, data)
    result = invoke("--lang", lang, "catalog", "--file", str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(path) in result.stderr and "II.9.4-le-II.9.3" in result.stderr
    assert "II.9.33" in result.stderr
    assert ("Danh mục" if lang == "vi" else "Catalog") in result.stderr
    assert result.stdout == ""


def test_cli_catalog_unknown_version_exits_2():
    result = invoke("catalog", "--version", "qcdc-1999.9")
    assert result.exit_code == 2
    assert "qcdc-1999.9" in result.stderr and "Traceback" not in result.output


def test_cli_catalog_invalid_yaml_exits_2(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("version: [unclosed\n", encoding="utf-8")
    result = invoke("catalog", "--file", str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("value", [None, "II.9.4 <= II.9.3", {"id": "x"}])
def test_rules_must_be_a_list(data, value):
    data["rules"] = value
    assert_names(refused(data), "rules")


# --- the lists that name indicators for the outputs (headline, charts, report) ------------------

@pytest.mark.parametrize("key, value, needles", [
    ("headline", ["II.5.99"], ("headline", "II.5.99")),
    ("charts", ["II.5.3"], ("charts", "II.5.3", "count", "ratio")),  # a chart compares ratios only
    ("charts", ["II.9.66"], ("charts", "II.9.66")),
    ("report", {"mediation_cases": "II.5.6"}, ("report", "mediation_cases", "II.5.6", "ratio")),
    ("report", {"strikes": "IV.88"}, ("report", "strikes", "IV.88")),
])
def test_a_list_naming_a_wrong_indicator_is_refused(data, key, value, needles):
    data[key] = value
    assert_names(refused(data), "test.yaml", *needles)


@pytest.mark.parametrize("key, value", [("charts", "II.5.6"), ("report", ["II.5.2"])])
def test_a_list_of_the_wrong_shape_is_refused(data, key, value):
    data[key] = value
    assert_names(refused(data), "test.yaml", key)


def test_every_shipped_catalog_names_the_charts_and_the_reports_figures_by_its_own_codes():
    for version in known_versions():
        catalog = load_catalog(version)
        assert catalog.charts and all(catalog.indicators[c].kind == "ratio" for c in catalog.charts), version
        assert catalog.report_codes, version
        assert all(catalog.indicators[code].kind in ("count", "amount", "flag", "text")
                   for code in catalog.report_codes.values()), version
