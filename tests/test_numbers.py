"""The one number formatter (``qcdc_excel.numbers``): Vietnamese and English notation, the report's
rounding and padding, per cents rounded half up, and the callers that print through it."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from qcdc_excel.expressions import parse_expression
from qcdc_excel.findings import finding
from qcdc_excel.numbers import format_number, format_percent, formula_literal, plain
from qcdc_excel.report import vn_number, vn_percent


@pytest.mark.parametrize("value, vi, en", [
    (0, "0", "0"),
    (0.0, "0", "0"),
    (0.5, "0,5", "0.5"),
    (1234.5, "1.234,5", "1,234.5"),
    (11796.9, "11.796,9", "11,796.9"),
    (1e6, "1.000.000", "1,000,000"),
    (158.0, "158", "158"),
    (7524, "7.524", "7,524"),
    (-1234.5, "-1.234,5", "-1,234.5"),
    (-3, "-3", "-3"),
    (Decimal("11796.9"), "11.796,9", "11,796.9"),
    (Decimal("7524"), "7.524", "7,524"),
    (Decimal("5.0"), "5", "5"),
    (0.12345, "0,12345", "0.12345"),
    (None, "", ""),
])
def test_vietnamese_and_english_notation(value, vi, en):
    assert format_number(value) == vi
    assert format_number(value, "en") == en


def test_the_two_notations_trade_the_marks_and_read_back_as_the_number():
    rnd = random.Random(21)
    values = [rnd.randint(0, 10**9) for _ in range(200)] + [round(rnd.uniform(0, 1e7), rnd.randint(1, 3))
                                                             for _ in range(200)]
    for value in values:
        vi, en = format_number(value), format_number(value, "en")
        assert vi == en.translate(str.maketrans(",.", ".,")), value
        assert float(vi.replace(".", "").replace(",", ".")) == value, value
        assert float(en.replace(",", "")) == value, value
        digits = vi.split(",")[0].lstrip("-").split(".")
        assert all(len(group) == 3 for group in digits[1:]) and 1 <= len(digits[0]) <= 3, vi


def test_the_report_rounds_to_three_decimals_and_pads_small_counts():
    assert format_number(0.12345, places=3) == "0,123"
    assert format_number(1234567.891, places=3) == "1.234.567,891"
    assert format_number(2.5, places=3) == "2,5"  # trailing zeros dropped
    assert format_number(0.0004, places=3) == "0"
    assert [format_number(x, pad=True) for x in (0, 2, 2.0, Decimal("9"), 10, -5, 2.5)] == \
        ["0", "02", "02", "09", "10", "-5", "2,5"]
    # the report's own name is the same formatter with the report's choices
    for value in (0, 2, 9, 10, 0.5, 1234.5, 11796.9, 1e6, -7.25, Decimal("11796.9"), 0.12345):
        assert vn_number(value) == format_number(value, pad=True, places=3)
        assert vn_number(value, pad=False) == format_number(value, places=3)


def test_per_cents_have_one_decimal_rounded_half_up():
    assert format_percent(16, 17) == "94,1%" and format_percent(16, 17, "en") == "94.1%"
    assert format_percent(1, 16) == "6,3%"  # 6.25 goes up (a float's round-half-even would give 6,2)
    assert format_percent(146, 158) == "92,4%" and format_percent(3, 3) == "100,0%"
    assert format_percent(0, 5) == "0,0%" and format_percent(Decimal("5.5"), Decimal("11")) == "50,0%"
    assert format_percent(1, 0) is None and format_percent(None, 5) is None and format_percent(5, None) is None
    # the Word report writes the same figure as the seeds do: the sign against it, a whole per cent bare
    assert vn_percent(16, 17) == format_percent(16, 17).replace(" ", "") and vn_percent(3, 3) == "100%"


def test_a_formula_constant_keeps_the_point_and_no_grouping():
    assert [formula_literal(x) for x in (158.0, 0.5, 1234.5, 1e6)] == ["158", "0.5", "1234.5", "1000000"]
    expr = parse_expression("II.5.3 <= II.5.2 + 1234.5")
    assert expr.excel_condition(lambda code: {"II.5.3": "E20", "II.5.2": "E19"}[code]) == \
        "ROUND(N(E20)-(N(E19)+1234.5),6)<=0"


def test_plain_gives_a_cell_a_float_for_a_decimal_only():
    assert plain(Decimal("11796.9")) == 11796.9 and type(plain(Decimal("3"))) is float
    assert type(plain(3)) is int and plain("Có") == "Có" and plain(None) is None


def test_a_rule_finding_prints_its_sides_in_the_readers_notation():
    f = finding("rule-failed", severity="error", cell="E20", left=11796.9, right=1234567, op="<=", rule="r1",
                message=("Số vụ hòa giải thành không vượt số vụ tiếp nhận.", "Successful cases do not exceed cases received."),
                left_side="II.5.3", right_side="II.5.2", cells="E19, E20")
    assert "II.5.3 = 11.796,9; II.5.2 = 1.234.567" in f.message("vi")
    assert "II.5.3 = 11,796.9; II.5.2 = 1,234,567" in f.message("en")
