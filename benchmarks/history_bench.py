"""Benchmark: what ``merge --previous`` costs at province scale (issue 23 §6).

It builds once, under ``--work`` (default /tmp/qcdc-history-bench), a synthetic post-2025 roster
(one province, N communes, default 3,321) and five inboxes of N filled forms each, one per period:
2024Q4, 2025Q1, 2025Q2, 2025Q3 and 2025Q4 (``bench.make_inbox``'s files, each personalised for its
period; each commune types the same figures every quarter, with about 5 % slips, so the history
checks run over every unit and indicator and report little). The four earlier inboxes are merged
once into their consolidated workbooks (cached). Then it times, each in its own process, the merge
of 2025Q4 as ``bench.py`` runs it (feedback for every file, the JSON report):

- **without**: no ``--previous``;
- **with**: ``--previous`` the four earlier consolidated workbooks (reading them, and every report
  checked against its own previous quarter and the same quarter a year earlier, and against its
  siblings).

The two are run interleaved (without, with, without, …) ``--repeat`` times each, so that the load
of this shared machine falls on both alike; the medians and their ratio are printed.

    python benchmarks/history_bench.py --n 3321 --repeat 5
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import EXCEL_EPOCH, fill, make_roster, timed  # noqa: E402

from qcdc_excel import load_catalog, parse_period  # noqa: E402
from qcdc_excel.layout import form_layout  # noqa: E402
from qcdc_excel.synthetic import valid_values  # noqa: E402
from qcdc_excel.template import Identity, Personaliser  # noqa: E402

PREVIOUS = ("2024Q4", "2025Q1", "2025Q2", "2025Q3")
CURRENT = "2025Q4"


def make_period_inbox(folder: Path, n: int, period_code: str, seed: int = 1) -> int:
    """N filled forms of ``period_code``; the same ``seed`` gives every period the same figures.
    Returns how many carry a deliberate slip."""
    period = parse_period(period_code)
    catalog = load_catalog()
    layout = form_layout(catalog.version, "xa")
    rng = random.Random(seed)
    personaliser = Personaliser()
    folder.mkdir(parents=True, exist_ok=True)
    report_date = (period.window[1] + dt.timedelta(days=5) - EXCEL_EPOCH).days
    faulty = 0
    for k in range(n):
        code = f"{10000 + k:05d}"
        values = valid_values(catalog, layout.input_codes, rng)
        if rng.random() < 0.05:
            faulty += 1
            values["II.9.4"] = values["II.9.3"] + rng.randint(1, 9)
        template = personaliser.bytes_for("xa", period, Identity(code, f"Xã Số {k}", "99", "Tỉnh Thử Nghiệm"))
        cells = {layout.cells[c]: v for c, v in values.items()}
        cells[layout.identity_cells["report_date"]] = report_date
        cells[layout.identity_cells["preparer"]] = "Nguyễn Văn A"
        cells[layout.identity_cells["head"]] = "Trần Văn B"
        (folder / f"{code}_{period.code}.xlsx").write_bytes(fill(template, cells))
    return faulty


def prepare(work: Path, n: int) -> tuple[Path, dict[str, Path], list[Path]]:
    """The roster, each period's inbox and the earlier periods' consolidated workbooks (cached)."""
    base = work / f"n{n}"
    roster = base / "roster.csv"
    if not roster.exists():
        base.mkdir(parents=True, exist_ok=True)
        make_roster(roster, n)
    inboxes = {}
    for code in PREVIOUS + (CURRENT,):
        inbox, marker = base / f"inbox-{code}", base / f"inbox-{code}.json"
        if not marker.exists():
            shutil.rmtree(inbox, ignore_errors=True)
            t = time.perf_counter()
            faulty = make_period_inbox(inbox, n, code)
            marker.write_text(json.dumps({"faulty": faulty, "seconds": time.perf_counter() - t}))
        inboxes[code] = inbox
    workbooks = []
    for code in PREVIOUS:
        out = base / "previous" / f"tong-hop_{code}.xlsx"
        if not out.exists():
            timed(_exe() + ["merge", str(inboxes[code]), "--roster", str(roster), "--period", code,
                            "--out", str(out)])
        workbooks.append(out)
    return roster, inboxes, workbooks


def _exe() -> list[str]:
    return [sys.executable, "-m", "qcdc_excel.cli"]


def run(work: Path, n: int, repeat: int) -> dict:
    roster, inboxes, workbooks = prepare(work, n)
    runs_dir = work / f"n{n}" / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)

    def merge_cmd(out: Path, previous: list[Path]) -> list[str]:
        cmd = _exe() + ["merge", str(inboxes[CURRENT]), "--roster", str(roster), "--period", CURRENT,
                        "--out", str(out / "tong-hop.xlsx"), "--feedback-dir", str(out / "gop-y"),
                        "--feedback-for", "all", "--json", str(out / "r.json")]
        for p in previous:
            cmd += ["--previous", str(p)]
        return cmd

    times: dict[str, list[float]] = {"without": [], "with": []}
    findings: dict[str, dict] = {}
    for k in range(repeat):
        for variant, previous in (("without", []), ("with", workbooks)):
            out = runs_dir / f"{variant}-{k}"
            times[variant].append(timed(merge_cmd(out, previous))["wall_s"])
            report = json.loads((out / "r.json").read_text(encoding="utf-8"))
            findings[variant] = _count_codes(report)
            shutil.rmtree(out, ignore_errors=True)
    medians = {v: statistics.median(t) for v, t in times.items()}
    return {"n": n, "previous": list(PREVIOUS), "current": CURRENT,
            "runs_s": {v: [round(x, 2) for x in t] for v, t in times.items()},
            "median_s": {v: round(m, 2) for v, m in medians.items()},
            "overhead_pct": round((medians["with"] / medians["without"] - 1) * 100, 1),
            "history_findings": {v: {c: k for c, k in f.items() if c in HISTORY_CODES} for v, f in findings.items()}}


HISTORY_CODES = ("cumulative-mismatch", "period-jump", "sibling-outlier")


def _count_codes(report: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sub in report.get("files", []):
        for f in sub.get("findings", []):
            counts[f["code"]] = counts.get(f["code"], 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3321, help="communes in the province (default 3,321)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qcdc-history-bench"))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant, interleaved; medians reported")
    args = parser.parse_args()
    print(json.dumps(run(args.work, args.n, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
