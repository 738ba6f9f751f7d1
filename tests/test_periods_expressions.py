"""Reporting periods and rule expressions (Python evaluation and the Excel formulas)."""
from __future__ import annotations

import itertools
import random
import re

import pytest

from qcdc_excel.catalog import load_catalog
from qcdc_excel.expressions import (
    MISSING_STRATEGIES,
    ExpressionError,
    Term,
    parse_expression,
)
from qcdc_excel.i18n import QcdcError
from qcdc_excel.periods import Period, parse_period

# --- periods -----------------------------------------------------------------------------------

GOOD_PERIODS = [
    ("2023Q1", "2023Q1", "Quý I năm 2023", "Q1 2023"),
    ("2023Q2", "2023Q2", "Quý II năm 2023", "Q2 2023"),
    ("2023Q3", "2023Q3", "Quý III năm 2023", "Q3 2023"),
    ("2023Q4", "2023Q4", "Quý IV năm 2023", "Q4 2023"),
    ("2023q1", "2023Q1", "Quý I năm 2023", "Q1 2023"),
    ("2023S1", "2023S1", "6 tháng đầu năm 2023", "H1 2023"),
    ("2023s2", "2023S2", "6 tháng cuối năm 2023", "H2 2023"),
    ("2023", "2023", "Năm 2023", "Year 2023"),
    (" 2020 ", "2020", "Năm 2020", "Year 2020"),
    (2025, "2025", "Năm 2025", "Year 2025"),
]


@pytest.mark.parametrize("value,code,vi,en", GOOD_PERIODS)
def test_parse_period(value, code, vi, en):
    p = parse_period(value)
    assert isinstance(p, Period)
    assert p.code == code and str(p) == code
    assert p.label() == vi and p.label("vi") == vi
    assert p.label("en") == en
    assert parse_period(p.code) == p  # the code round-trips


def test_period_parts():
    assert parse_period("2023Q3") == Period(2023, "Q", 3)
    assert parse_period("2023S2") == Period(2023, "S", 2)
    assert parse_period("2023") == Period(2023, "Y", 0)
    assert parse_period("2023Q1") != parse_period("2023S1")


@pytest.mark.parametrize("value", ["2023Q5", "2023Q0", "2023S3", "2023S0", "23Q1", "2023-Q1",
                                   "2023 Q1", "Q1/2023", "2023H1", "", "   ", "abc", "1999", "2101",
                                   "20231", "2023Q", "2023Q12", None])
def test_parse_period_rejects(value):
    with pytest.raises(QcdcError) as info:
        parse_period(value)
    vi, en = info.value.render("vi"), info.value.render("en")
    for form in ("2023Q1", "2023Q4", "2023S1", "2023S2", "2023"):
        assert form in vi and form in en
    assert "quý" in vi and "6 tháng" in vi and "năm" in vi
    assert "quarter" in en and "half-year" in en and "year" in en
    if value and value.strip():
        assert value in vi and value in en  # the message quotes what was typed


# --- parsing expressions -----------------------------------------------------------------------

def test_parse_sum_equation():
    e = parse_expression("II.5.2 == II.5.3 + II.5.4 + II.5.5")
    assert e.op == "=="
    assert e.left == (Term(1, "II.5.2"),)
    assert e.right == (Term(1, "II.5.3"), Term(1, "II.5.4"), Term(1, "II.5.5"))
    assert e.codes == ("II.5.2", "II.5.3", "II.5.4", "II.5.5")
    assert e.text == "II.5.2 == II.5.3 + II.5.4 + II.5.5"


@pytest.mark.parametrize("text,op", [("II.1<=II.2", "<="), ("II.1 >= II.2", ">="),
                                     ("II.1 < II.2", "<"), ("II.1 > II.2", ">"),
                                     ("II.1 != II.2", "!="), ("II.1 = II.2", "==")])
def test_parse_operators(text, op):
    e = parse_expression(text)
    assert e.op == op and e.codes == ("II.1", "II.2")


def test_parse_signs_and_constants():
    e = parse_expression("-II.9.4 + II.9.3 - 2.5 >= 0")
    assert e.left == (Term(-1, "II.9.4"), Term(1, "II.9.3"), Term(-1, None, 2.5))
    assert e.right == (Term(1, None, 0.0),)
    assert e.codes == ("II.9.4", "II.9.3")


def test_codes_are_unique_in_order_of_first_appearance():
    e = parse_expression("IV.10 + III.1 <= III.1 + IV.10 + II.10.3")
    assert e.codes == ("IV.10", "III.1", "II.10.3")


@pytest.mark.parametrize("text", [
    "II.9.4 <=", "<= II.9.3", "II.9.4 II.9.3", "II.9.4 <= II.9.3 <= II.9.2", "II.9.4 <= II.9.3 $",
    "II.9.4 <= II.9.3 * 2", "II.9.4 ≤ II.9.3", "II.9.4 <= II.9.3 +", "II.9.4 + + II.9.5 <= 1",
    "II.9.4 <= 2 II.9.3", "ii.9.4 <= II.9.3", "", "   ", "II.9.4", "II.9.4 <== II.9.3",
    "(II.9.4) <= II.9.3",
])
def test_parse_rejects(text):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert str(info.value)  # says what is wrong


def test_parse_error_points_at_the_bad_character():
    with pytest.raises(ExpressionError) as info:
        parse_expression("II.9.4<=II.9.3$")
    assert "15" in str(info.value) and "$" in str(info.value)


def test_parse_error_position_after_spaces():
    with pytest.raises(ExpressionError) as info:
        parse_expression("II.9.4 <= II.9.3 $")
    assert "vị trí 18" in str(info.value), str(info.value)


# --- evaluating --------------------------------------------------------------------------------

LE = parse_expression("II.9.4 <= II.9.3")
SUM = parse_expression("II.5.2 == II.5.3 + II.5.4 + II.5.5")


def test_evaluate_pass_and_fail_report_both_sides():
    out = SUM.evaluate({"II.5.2": 158, "II.5.3": 146, "II.5.4": 10, "II.5.5": 2}, "never_skip")
    assert (out.status, out.left, out.right) == ("passed", 158, 158)
    out = SUM.evaluate({"II.5.2": 158, "II.5.3": 146, "II.5.4": 10, "II.5.5": 1}, "never_skip")
    assert (out.status, out.left, out.right) == ("failed", 158, 157)
    out = LE.evaluate({"II.9.4": 18, "II.9.3": 17}, "never_skip")
    assert (out.status, out.left, out.right) == ("failed", 18, 17)


def test_whole_sides_are_shown_as_whole_numbers():
    out = SUM.evaluate({"II.5.2": 158.0, "II.5.3": 146.0, "II.5.4": 10.0, "II.5.5": 2.0}, "never_skip")
    assert repr(out.left) == "158" and repr(out.right) == "158"
    out = parse_expression("II.4.1 >= 0").evaluate({"II.4.1": 11796.9}, "never_skip")
    assert out.left == pytest.approx(11796.9) and repr(out.right) == "0"


@pytest.mark.parametrize("op,a,b,expected", [
    ("<=", 1, 2, True), ("<=", 2, 2, True), ("<=", 3, 2, False),
    ("<", 1, 2, True), ("<", 2, 2, False),
    (">=", 2, 2, True), (">=", 1, 2, False),
    (">", 3, 2, True), (">", 2, 2, False),
    ("==", 2, 2, True), ("==", 2, 3, False),
    ("!=", 2, 3, True), ("!=", 2, 2, False),
])
def test_operators(op, a, b, expected):
    e = parse_expression(f"I.1 {op} I.2")
    assert e.evaluate({"I.1": a, "I.2": b}, "never_skip").status == ("passed" if expected else "failed")


def test_skip_if_any_missing():
    assert LE.evaluate({"II.9.4": None, "II.9.3": 17}, "skip_if_any_missing").status == "skipped"
    assert LE.evaluate({"II.9.4": 16}, "skip_if_any_missing").status == "skipped"  # key absent
    assert LE.evaluate({}, "skip_if_any_missing").status == "skipped"
    out = LE.evaluate({"II.9.4": 16, "II.9.3": 17}, "skip_if_any_missing")
    assert out.status == "passed"
    assert LE.evaluate({"II.9.4": 0, "II.9.3": 17}, "skip_if_any_missing").status == "passed"  # 0 is a value
    assert LE.evaluate({"II.9.4": 18, "II.9.3": 17}, "skip_if_any_missing").status == "failed"
    skipped = LE.evaluate({"II.9.4": None, "II.9.3": 17}, "skip_if_any_missing")
    assert skipped.left is None and skipped.right is None


def test_skip_if_all_missing_counts_blanks_as_zero():
    values = {"II.5.2": 158, "II.5.3": None, "II.5.4": None, "II.5.5": None}
    out = SUM.evaluate(values, "skip_if_all_missing")
    assert (out.status, out.left, out.right) == ("failed", 158, 0)
    out = SUM.evaluate({"II.5.2": 12, "II.5.3": 12}, "skip_if_all_missing")
    assert (out.status, out.left, out.right) == ("passed", 12, 12)
    out = SUM.evaluate({k: None for k in SUM.codes}, "skip_if_all_missing")
    assert out.status == "skipped" and out.left is None
    assert SUM.evaluate({}, "skip_if_all_missing").status == "skipped"
    zeros = SUM.evaluate({k: 0 for k in SUM.codes}, "skip_if_all_missing")
    assert zeros.status == "passed"


def test_never_skip():
    assert SUM.evaluate({}, "never_skip").status == "passed"  # 0 == 0
    out = parse_expression("I.3.1 >= I.3.2").evaluate({"I.3.1": None, "I.3.2": 5}, "never_skip")
    assert (out.status, out.left, out.right) == ("failed", 0, 5)


def test_float_noise_on_amounts_does_not_fail():
    assert 0.1 + 0.2 != 0.3  # the noise is real
    e = parse_expression("II.4.1 == II.4.2 + II.4.3")
    out = e.evaluate({"II.4.1": 0.3, "II.4.2": 0.1, "II.4.3": 0.2}, "never_skip")
    assert out.status == "passed"
    assert out.left == pytest.approx(0.3) and out.right == pytest.approx(0.3)
    for op in ("<=", ">="):
        e = parse_expression(f"II.4.2 + II.4.3 {op} II.4.1")
        assert e.evaluate({"II.4.1": 0.3, "II.4.2": 0.1, "II.4.3": 0.2}, "never_skip").status == "passed"
    ne = parse_expression("II.4.2 + II.4.3 != II.4.1")
    assert ne.evaluate({"II.4.1": 0.3, "II.4.2": 0.1, "II.4.3": 0.2}, "never_skip").status == "failed"
    # ... but a real difference of a thousandth of a million đồng still fails.
    assert parse_expression("II.4.1 == II.4.2 + II.4.3").evaluate(
        {"II.4.1": 11796.9, "II.4.2": 11796.0, "II.4.3": 0.901}, "never_skip").status == "failed"


def test_constants_and_signs_evaluate():
    e = parse_expression("-II.9.4 + II.9.3 - 1 >= 0")
    assert e.evaluate({"II.9.4": 16, "II.9.3": 17}, "never_skip").status == "passed"
    assert e.evaluate({"II.9.4": 17, "II.9.3": 17}, "never_skip").status == "failed"
    assert parse_expression("IV.8 <= 0.5").evaluate({"IV.8": 1}, "never_skip").status == "failed"


def test_catalog_rules_use_their_own_missing_strategy():
    cat = load_catalog()
    by_id = {r.id: r for r in cat.rules}
    total = by_id["II.5.2-tong"]
    assert total.missing == "skip_if_all_missing"
    assert total.evaluate({"II.5.2": 5}).status == "failed"
    assert total.evaluate({}).status == "skipped"
    le = by_id["II.9.4-le-II.9.3"]
    assert le.missing == "skip_if_any_missing"
    assert le.evaluate({"II.9.4": 99}).status == "skipped"
    assert le.evaluate({"II.9.4": 99, "II.9.3": 1}).status == "failed"
    assert all(r.missing in MISSING_STRATEGIES for r in cat.rules)


# --- Excel formulas ----------------------------------------------------------------------------

def cells(expr) -> dict[str, str]:
    return {code: f"D{10 + i}" for i, code in enumerate(expr.codes)}


def test_excel_condition_shape():
    ref = cells(SUM)
    assert SUM.excel_condition(ref.__getitem__) == "ROUND(N(D10)-(N(D11)+N(D12)+N(D13)),6)=0"
    ref = cells(LE)
    assert LE.excel_condition(ref.__getitem__) == "ROUND(N(D10)-(N(D11)),6)<=0"
    ne = parse_expression("II.1 != II.2")
    assert ne.excel_condition(cells(ne).__getitem__).endswith("<>0")
    assert "==" not in SUM.excel_condition(ref.get) and "!=" not in ne.excel_condition(cells(ne).get)


def test_excel_condition_with_signs_and_constants():
    e = parse_expression("-II.9.4 + II.9.3 - 2.5 >= 0")
    assert e.excel_condition(cells(e).__getitem__) == "ROUND(-N(D10)+N(D11)-2.5-(0),6)>=0"


def test_excel_skip_shapes():
    ref = cells(SUM).__getitem__
    assert SUM.excel_skip(ref, "skip_if_any_missing") == "COUNT(D10,D11,D12,D13)<4"
    assert SUM.excel_skip(ref, "skip_if_all_missing") == "COUNT(D10,D11,D12,D13)=0"
    assert SUM.excel_skip(ref, "never_skip") is None
    dup = parse_expression("I.1 <= I.1 + I.2")
    assert dup.excel_skip(cells(dup).__getitem__, "skip_if_any_missing") == "COUNT(D10,D11)<2"


def _excel_to_python(formula: str, values: dict[str, float | None], ref: dict[str, str]) -> bool:
    """Evaluate the tiny Excel subset the compiler emits: N(), COUNT(), ROUND(), + - and a comparison."""
    cell_value = {ref[c]: values.get(c) for c in ref}

    def count(m):
        return str(sum(cell_value[c.strip()] is not None for c in m.group(1).split(",")))

    py = re.sub(r"COUNT\(([^)]*)\)", count, formula)
    py = re.sub(r"N\((D\d+)\)", lambda m: f"({cell_value[m.group(1)] or 0!r})", py)
    py = py.replace("ROUND(", "round(").replace("<>", "!=")
    py = re.sub(r"(?<![<>!=])=(?!=)", "==", py)
    assert re.fullmatch(r"[\d\s.()+\-<>=!,round]*", py), py
    return bool(eval(py))  # noqa: S307 - the text is checked above to be arithmetic only


EXPRESSIONS = ["II.5.2 == II.5.3 + II.5.4 + II.5.5", "II.9.4 <= II.9.3", "I.3.2 > I.3.1",
               "I.2.1 >= I.2", "II.1 != II.2 - 1", "-IV.1 + IV.2 < 0.5", "II.4.1 == II.4.2 + II.4.3"]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_excel_formulas_agree_with_python(text):
    """The in-sheet check and the validator must never disagree (blanks are N()=0 in Excel)."""
    expr = parse_expression(text)
    ref = cells(expr)
    cond = expr.excel_condition(ref.__getitem__)
    rng = random.Random(text)
    choices = [None, 0, 1, 2, 3, 0.1, 0.2, 0.3, 10]
    cases = list(itertools.product(choices[:4], repeat=len(expr.codes)))
    cases += [tuple(rng.choice(choices) for _ in expr.codes) for _ in range(300)]
    for combo in cases:
        values = dict(zip(expr.codes, combo))
        for missing in MISSING_STRATEGIES:
            outcome = expr.evaluate(values, missing)
            skip = expr.excel_skip(ref.__getitem__, missing)
            skipped_in_excel = skip is not None and _excel_to_python(skip, values, ref)
            assert skipped_in_excel == (outcome.status == "skipped"), (values, missing)
            if not skipped_in_excel:
                assert _excel_to_python(cond, values, ref) == (outcome.status == "passed"), (values, cond)
