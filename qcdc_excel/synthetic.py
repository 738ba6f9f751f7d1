"""Plausible filled forms for tests, samples and benchmarks: random values that satisfy every rule.

Values are drawn at random, then the catalog's own rules repair them (a subset is raised to fit
under its set, a total is set to the sum of its parts) until nothing is violated, so adding a rule
to the catalog is enough for generated data to respect it.
"""
from __future__ import annotations

import math
import random

from .catalog import Catalog, Indicator
from .expressions import Outcome  # noqa: F401  (re-exported for callers comparing outcomes)


def _draw(ind: Indicator, rng: random.Random):
    if ind.kind == "count":
        return rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 40, 75, 150])
    if ind.kind == "amount":
        return round(rng.uniform(0, 2000), 1)
    if ind.kind == "flag":
        return rng.choice(["Có", "Có", "Có", "Không"])
    if ind.kind == "text":
        return rng.choice(["Thực hiện tốt quy chế dân chủ.", "Đề nghị tăng cường tập huấn.",
                           "Không có kiến nghị."])
    return None


def varied_draw(ind: Indicator, rng: random.Random):
    """Like the default draw, but counts spread log-uniformly from 0 to 5,000 and free texts that
    differ from unit to unit, as real returns do (the default repeats a few values often)."""
    if ind.kind == "count":
        return int(math.exp(rng.uniform(0, math.log(5001)))) - 1
    if ind.kind == "text":
        return f"Ý kiến số {rng.randint(1, 10**6)}: " + rng.choice(
            ["thực hiện tốt quy chế dân chủ.", "đề nghị tăng cường tập huấn."])
    return _draw(ind, rng)


def valid_values(catalog: Catalog, codes, rng: random.Random, draw=None) -> dict[str, object]:
    """Random values for ``codes`` (non-ratio indicators) that pass every applicable rule.
    ``draw``: how one value is drawn (default: a few typical values, see :func:`varied_draw`)."""
    draw = draw or _draw
    codes = [c for c in codes if catalog.indicators[c].kind != "ratio"]
    values = {c: draw(catalog.indicators[c], rng) for c in codes}
    rules = catalog.rules_for(set(codes))
    for _ in range(50):
        changed = False
        for rule in rules:
            if rule.evaluate(values).status != "failed":
                continue
            expr, changed = rule.expression, True
            left = [t for t in expr.left if t.code]
            right = [t for t in expr.right if t.code]
            if expr.op in ("==",) and len(left) == 1:
                total = sum(t.sign * values[t.code] for t in right)
                if total < 0:  # cannot reach a negative total: grow the first part instead
                    values[right[0].code] += -total
                    total = 0
                values[left[0].code] = total
            elif expr.op in ("<=", "<") and len(right) == 1:
                values[right[0].code] = values[left[0].code] + (1 if expr.op == "<" else rng.choice([0, 0, 1, 3]))
            elif expr.op in (">=", ">") and len(left) == 1:
                values[left[0].code] = values[right[0].code] + (1 if expr.op == ">" else rng.choice([0, 1, 5, 30]))
            else:  # pragma: no cover - a rule shape the catalog does not use yet
                raise ValueError(f"cannot repair rule {rule.id}")
        if not changed:
            return values
    raise ValueError("rules could not be satisfied")  # pragma: no cover


def numeric(values: dict[str, object]) -> dict[str, float | None]:
    """The numbers a rule sees: numbers as they are, anything else (blank, text) as missing."""
    return {c: (v if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
            for c, v in values.items()}


def fill_workbook(template, values: dict[str, object], out_path, report_date=None,
                  names: tuple[str, str] | None = None, extra: dict[str, object] | None = None,
                  report_number: str | None = None):
    """Type ``values`` into a template's input cells the way a person would, and save a copy.

    ``template`` is a path or bytes; cells come from the form layout recorded in the workbook's
    own metadata sheet. ``extra`` writes raw cells (A1 -> value) for deliberately odd inputs.
    ``report_number``: the report the appendix goes with (form version 3's “Kèm theo Báo cáo số …
    ngày …” line, dated ``report_date``); an older form has no such line and ignores it.
    """
    import io
    import json
    from pathlib import Path

    import openpyxl

    from .atomic import atomic_write_bytes
    from .form import META_SHEET

    src = io.BytesIO(template) if isinstance(template, (bytes, bytearray)) else template
    wb = openpyxl.load_workbook(src)
    meta = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(max_col=2)}
    cells = json.loads(meta["cells"])
    ids = json.loads(meta["identity_cells"])
    ws = wb[meta["form_sheet"]]
    for code, value in values.items():
        ws[cells[code]] = value
    if report_date is not None:
        ws[ids["report_date"]] = report_date
    if names:
        ws[ids["preparer"]], ws[ids["head"]] = names
    if report_number and "report_number" in ids:
        ws[ids["report_number"]] = report_number
        if report_date is not None:
            ws[ids["report_issued"]] = report_date
    for cell, value in (extra or {}).items():
        ws[cell] = value
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(Path(out_path), buf.getvalue())


def heavy_copy(data: bytes, rows: int, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The filled workbook ``data`` with ``rows`` extra rows of cells far right of the form in
    ``sheet`` (the form sheet of a template): still the same, valid report, but one the reader must
    parse for a while (about a second per 100,000 rows). For load tests and benchmarks."""
    import io
    import zipfile

    pad = "".join(f'<row r="{r}"><c r="AZ{r}" t="inlineStr"><is><t>x{r}</t></is></c><c r="BA{r}"><v>{r}</v></c>'
                  "</row>" for r in range(5000, 5000 + rows)).encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == sheet:
                if b"</sheetData>" not in part:
                    raise ValueError(f"{sheet} has no sheetData")
                part = part.replace(b"</sheetData>", pad + b"</sheetData>", 1)
            zout.writestr(info, part)
    return out.getvalue()
