"""Build samples/province-2025: a post-2025 province's year 2025 checked against its own quarters.

Six communes and wards of a province after the 2025 reorganisation (the first six of
samples/rosters/post2025-province.csv; the province consolidates them directly) report the four
quarters of 2025 and the year 2025; the province also has their 2024 figures (counted over the new
boundaries). What is written:

- ``roster.csv``: the province and its six communes;
- ``tong-hop/TH-2024.xlsx``, ``TH-2025Q1.xlsx`` … ``TH-2025Q4.xlsx``: the consolidated workbooks of
  the year 2024 and of each quarter (``qcdc-excel merge`` of the communes' forms, made here in a
  temporary folder);
- ``nam-2025/``: the six communes' annual forms for 2025, as they send them.

Every commune types its year by adding up its quarters (flows; the latest quarter for the rest),
except two: Phường Thục Phán counts 2 more dialogues (II.1.2) in its year than its quarters hold,
and Phường Nùng Trí Cao leaves the fourth quarter's labour days (II.4.2) out of its year. And one
commune's citizen receptions (II.9.1) jump: Phường Tân Giang received 12 in 2024, 150 in 2025.
So ``qcdc-excel merge nam-2025 --period 2025 --previous tong-hop/…`` reports two
``cumulative-mismatch`` errors and one ``period-jump``, and nothing else.

The figures are the same on every run (fixed seeds and dates). Run from the project root:
    python samples/make_province_2025.py [--out FOLDER]
It writes into a NEW folder (by default ./tinh-2025-<date-time>) and never into an existing,
non-empty one: the committed samples/province-2025 is not rewritten unless you remove it and name it
with --out yourself.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from qcdc_excel import Outputs, Scope, load_catalog, load_roster, merge, parse_period  # noqa: E402
from qcdc_excel.layout import form_layout  # noqa: E402
from qcdc_excel.synthetic import fill_workbook, valid_values  # noqa: E402
from qcdc_excel.template import Identity, template_bytes  # noqa: E402

SOURCE_ROSTER = HERE / "rosters" / "post2025-province.csv"
COMMUNES = 6
QUARTERS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
YEAR, LAST_YEAR = "2025", "2024"
CATALOG = load_catalog()
LAYOUT = form_layout(CATALOG.version, "xa")
IDS = LAYOUT.identity_cells
# what the sample is about: (commune index, indicator)
DIALOGUES_OVER, LABOUR_DAYS_SHORT, RECEPTIONS_JUMP = (0, "II.1.2"), (1, "II.4.2"), (2, "II.9.1")
LABOUR_DAYS = (120, 135, 110, 95)  # Phường Nùng Trí Cao's quarters; its year says 365 (Q4 left out)
RECEPTIONS = (30, 35, 40, 45)  # Phường Tân Giang's quarters: 150 in 2025, against 12 in 2024


def roster_lines() -> list[str]:
    """The province's line and its first six communes' lines of the post-2025 sample roster."""
    lines = SOURCE_ROSTER.read_text(encoding="utf-8").splitlines()
    head, province = lines[0], lines[1]
    communes = [ln for ln in lines[2:] if ln.split(",")[2] == "xa"][:COMMUNES]
    return [head, province, *communes]


# a commune's usual quarter, by the indicator's unit: (lowest, highest); a count not listed is 0–6
USUAL = {"lượt người": (80, 400), "hồ sơ": (60, 300), "phiếu": (20, 90), "lượt": (3, 15), "đơn": (2, 9),
         "thôn, tổ": (8, 16), "doanh nghiệp": (2, 12), "cơ quan, đơn vị": (6, 14), "ngày công": (40, 160),
         "m²": (0, 400)}


def usual(ind, rng: random.Random):
    """One figure of the size a commune reports in a quarter (``synthetic.valid_values``' ``draw``)."""
    if ind.code == "IV.8":  # strikes: none
        return 0
    if ind.kind in ("count", "amount"):
        low, high = USUAL.get(ind.unit, (0, 6))
        return rng.randint(low, high) if ind.kind == "count" else round(rng.uniform(5, 120), 1)
    if ind.kind == "flag":
        return "Có"
    if ind.kind == "text":
        return "Thực hiện tốt quy chế dân chủ ở cơ sở."
    return None


def quarter(seed: int) -> dict:
    """A commune's quarter: every rule met, and met again when flows are added up over the quarters
    (the backlogs, kept as the latest quarter's, are 0)."""
    v = valid_values(CATALOG, LAYOUT.input_codes, random.Random(seed), usual)
    v["II.5.5"], v["II.9.5"], v["II.6.3"] = 0, 0, 0
    v["II.5.2"] = v["II.5.3"] + v["II.5.4"]
    v["II.9.3"] = v["II.9.4"]
    v["II.9.2"] = max(v["II.9.2"], v["II.9.3"])
    v["II.6.1"] = 12
    v["II.6.2"] = min(v["II.6.2"], 12)
    return v


def year_of(quarters: list[dict]) -> dict:
    """The year as a commune types it from its quarters: flows added, the rest the latest quarter's."""
    out = {}
    for code, value in quarters[-1].items():
        if CATALOG.indicators[code].over_time == "sum":
            total = sum(q[code] for q in quarters)
            out[code] = round(total, 1) if isinstance(total, float) else total
        else:
            out[code] = value
    return out


def figures(codes: list[str]) -> dict[str, dict[str, dict]]:
    """period -> commune code -> the figures on its form."""
    out: dict[str, dict[str, dict]] = {p: {} for p in (*QUARTERS, YEAR, LAST_YEAR)}
    for k, code in enumerate(codes):
        qs = [quarter(1000 * (k + 1) + q) for q in range(4)]
        if k == LABOUR_DAYS_SHORT[0]:
            for q, days in zip(qs, LABOUR_DAYS):
                q[LABOUR_DAYS_SHORT[1]] = days
        if k == RECEPTIONS_JUMP[0]:
            for q, seen in zip(qs, RECEPTIONS):
                q[RECEPTIONS_JUMP[1]] = seen
        year = year_of(qs)
        last_year = dict(year)  # 2024: as much of everything, but Tân Giang's receptions
        if k == RECEPTIONS_JUMP[0]:
            last_year[RECEPTIONS_JUMP[1]] = 12
        if k == DIALOGUES_OVER[0]:
            year[DIALOGUES_OVER[1]] += 2
        if k == LABOUR_DAYS_SHORT[0]:
            year[LABOUR_DAYS_SHORT[1]] -= LABOUR_DAYS[3]
        for p, v in zip(QUARTERS, qs):
            out[p][code] = v
        out[YEAR][code], out[LAST_YEAR][code] = year, last_year
    return out


def write_forms(folder: Path, roster, period_code: str, by_unit: dict[str, dict]) -> None:
    """Each commune's personalised form of ``period_code``, filled with its figures and dated three
    days after its data window ends."""
    period = parse_period(period_code)
    folder.mkdir(parents=True, exist_ok=True)
    signed = dt.datetime.combine(period.window[1] + dt.timedelta(days=3), dt.time())
    for code, values in by_unit.items():
        template = template_bytes("xa", period, Identity.of(roster[code], roster))
        fill_workbook(template, values, folder / f"{code}_{period.code}.xlsx", report_date=signed)


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "roster.csv").write_text("\n".join(roster_lines()) + "\n", encoding="utf-8")
    roster = load_roster(out / "roster.csv")
    codes = [ln.split(",")[0] for ln in roster_lines()[2:]]
    data = figures(codes)
    write_forms(out / "nam-2025", roster, YEAR, data[YEAR])
    (out / "tong-hop").mkdir()
    with tempfile.TemporaryDirectory(prefix="qcdc-tinh-2025-") as tmp:
        for period in (LAST_YEAR, *QUARTERS):
            inbox = Path(tmp) / period
            write_forms(inbox, roster, period, data[period])
            merge(inbox, Scope(roster, period), Outputs(out / "tong-hop" / f"TH-{period}.xlsx"))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Sinh mẫu tỉnh năm 2025 (bốn quý và cả năm) vào một thư mục mới.")
    parser.add_argument("--out", help="thư mục mới (hoặc rỗng) để ghi mẫu")
    args = parser.parse_args()
    folder = Path(args.out or f"tinh-2025-{dt.datetime.now():%Y%m%d-%H%M%S}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        sys.exit(f"{folder} đã có và không rỗng: không ghi gì. Hãy chọn --out là một thư mục mới.")
    build(folder)
    print(f"Đã ghi mẫu vào {folder}")


if __name__ == "__main__":
    main()
