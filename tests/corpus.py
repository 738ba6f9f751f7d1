"""Filled workbooks made the way a person makes them: a generated template, values typed in."""
from __future__ import annotations

import random

from qcdc_excel.catalog import Catalog, Rule
from qcdc_excel.synthetic import numeric, valid_values


def break_rule(rule: Rule, values: dict, rng: random.Random) -> dict:
    """A copy of ``values`` in which ``rule`` fails (other rules may fail too, as in life)."""
    v = dict(values)
    expr = rule.expression
    left = [t.code for t in expr.left if t.code]
    right_value = sum(t.sign * (v.get(t.code) or 0) for t in expr.right if t.code)
    bump = rng.randint(1, 5)
    if expr.op == "==":
        v[left[0]] = (v.get(left[0]) or 0) + bump
    elif expr.op in ("<=", "<"):
        v[left[0]] = right_value + bump
    elif expr.op in (">=", ">"):
        if right_value >= 1:
            v[left[0]] = rng.randint(0, right_value - 1)
        else:
            right = next(t.code for t in expr.right if t.code)
            v[right] = (v.get(left[0]) or 0) + bump
    assert rule.evaluate(numeric(v)).status == "failed", rule.id
    return v


def with_blanks(values: dict, rng: random.Random, share: float = 0.3) -> dict:
    """Some cells left empty, as a unit that has not finished would send it."""
    return {c: v for c, v in values.items() if rng.random() > share}


def python_outcomes(catalog: Catalog, rules: list[Rule], values: dict) -> dict[str, str]:
    nums = numeric(values)
    return {r.id: r.evaluate(nums).status for r in rules}


def make_values(catalog: Catalog, codes, seed: int) -> dict:
    return valid_values(catalog, codes, random.Random(seed))
