"""Benchmarks: merge and template generation at province and national scale.

For each N it makes N realistic filled submissions (personalised templates of a synthetic
post-2025 roster: one province, N communes; random valid data, about 5 % with a mistake), then
times, each in its own process so that peak memory is its own:

- ``qcdc-excel merge`` end to end: validation of every file, the consolidated workbook, and
  feedback files for the faulty ones (``--feedback-for problems``);
- the naive baseline over the same files: a loop of ``pandas.read_excel`` (openpyxl engine) and
  ``pandas.concat`` (what an analyst would write; it checks nothing and writes nothing);
- ``qcdc-excel template --all`` for the same N units.

Usage (from the project root, after ``pip install ".[bench]"``):

    python benchmarks/bench.py --n 100 --n 1000 --n 3321 --n 10600

Submissions are generated once per N under ``--work`` (default /tmp/qcdc-bench) and reused.
Merge runs ``--repeat`` times (default 3) and the median run is reported, with every run's time:
on a shared 2-core machine single runs vary by ±10 %.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qcdc_excel import load_catalog, parse_period  # noqa: E402
from qcdc_excel.layout import form_layout  # noqa: E402
from qcdc_excel.synthetic import valid_values  # noqa: E402
from qcdc_excel.template import Identity, Personaliser  # noqa: E402

PERIOD = parse_period("2025Q4")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def make_roster(path: Path, n: int) -> None:
    lines = ["code,name,level,parent", "99,Tỉnh Thử Nghiệm,tinh,"]
    lines += [f"{10000 + k:05d},Xã Số {k},xa,99" for k in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell_xml(ref: str, style: str, value) -> str:
    if isinstance(value, str):
        from xml.sax.saxutils import escape

        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'


def fill(template: bytes, cells: dict[str, object]) -> bytes:
    """Type values into a template by rewriting its empty input cells (a fast stand-in for Excel)."""
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")

    done = set()

    def repl(m):
        ref = m.group(1)
        if ref not in cells:
            return m.group(0)
        done.add(ref)
        return _cell_xml(ref, m.group(2), cells[ref])

    # an empty cell is <c .../> or, when openpyxl writes with lxml, <c ...></c>
    sheet = re.sub(r'<c r="([A-Z]+\d+)"((?: s="\d+")?)(?: t="n")?\s*(?:/>|></c>)', repl, sheet)
    if len(done) < len(cells):  # never time blank forms by mistake
        raise RuntimeError(f"only {len(done)} of {len(cells)} input cells could be filled: template format changed?")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return buf.getvalue()


def make_inbox(folder: Path, roster_path: Path, n: int, seed: int = 1) -> int:
    """N filled submissions; returns how many carry a deliberate mistake."""
    catalog = load_catalog()
    layout = form_layout(catalog.version, "xa")
    rng = random.Random(seed)
    personaliser = Personaliser()
    folder.mkdir(parents=True, exist_ok=True)
    faulty = 0
    report_date = (dt.date(2025, 12, 20) - EXCEL_EPOCH).days
    for k in range(n):
        code = f"{10000 + k:05d}"
        values = valid_values(catalog, layout.input_codes, rng)
        if rng.random() < 0.05:  # a slip a person makes: a part above its total, or words in a number
            faulty += 1
            if rng.random() < 0.5:
                values["II.9.4"] = values["II.9.3"] + rng.randint(1, 9)
            else:
                values["II.5.1"] = f"{values['II.5.1']} tổ"
        template = personaliser.bytes_for("xa", PERIOD, Identity(code, f"Xã Số {k}", "99", "Tỉnh Thử Nghiệm"))
        cells = {layout.cells[c]: v for c, v in values.items()}
        cells[layout.identity_cells["report_date"]] = report_date
        cells[layout.identity_cells["preparer"]] = "Nguyễn Văn A"
        cells[layout.identity_cells["head"]] = "Trần Văn B"
        (folder / f"{code}_{PERIOD.code}.xlsx").write_bytes(fill(template, cells))
    return faulty


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; wall time and the peak memory of it and its workers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return {"wall_s": wall, "peak_mb": max(peak, before) / 1024, "stdout": proc.stdout}


BASELINE = r"""
import sys, pathlib, pandas as pd
files = sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx"))
frames = [pd.read_excel(f, sheet_name="Phụ lục", header=None, engine="openpyxl").assign(file=f.name) for f in files]
df = pd.concat(frames, ignore_index=True)
print(len(files), df.shape)
"""


def bench(n: int, work: Path, jobs: int | None, baseline: bool, repeat: int = 3) -> dict:
    base = work / f"n{n}"
    inbox, roster = base / "inbox", base / "roster.csv"
    marker = base / "generated.json"
    if not marker.exists():
        base.mkdir(parents=True, exist_ok=True)
        make_roster(roster, n)
        t = time.perf_counter()
        faulty = make_inbox(inbox, roster, n)
        marker.write_text(json.dumps({"n": n, "faulty": faulty, "seconds": time.perf_counter() - t}))
    info = json.loads(marker.read_text())
    exe = [sys.executable, "-m", "qcdc_excel.cli"]
    out = base / "out"
    merge_cmd = exe + ["merge", str(inbox), "--roster", str(roster), "--period", PERIOD.code,
                       "--out", str(out / "tong-hop.xlsx"), "--feedback-dir", str(out / "gop-y"),
                       "--feedback-for", "problems", "--json", str(out / "r.json")]
    if jobs:
        merge_cmd += ["--jobs", str(jobs)]
    runs = [timed(merge_cmd) for _ in range(max(1, repeat))]  # the median run is reported
    m = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    result = {"n": n, "faulty": info["faulty"], "merge_s": m["wall_s"], "merge_ms_per_file": m["wall_s"] / n * 1000,
              "merge_runs_s": [round(r["wall_s"], 2) for r in runs],
              "merge_peak_mb": max(r["peak_mb"] for r in runs), "rejected": report["stats"]["rejected"],
              "feedback_files": len(list((out / "gop-y").iterdir()))}
    t = timed(exe + ["template", "--roster", str(roster), "--all", "--period", PERIOD.code,
                     "--out", str(base / "templates")])
    result.update(templates_s=t["wall_s"], templates_ms_each=t["wall_s"] / (n + 1) * 1000, templates_peak_mb=t["peak_mb"])
    if baseline:
        b = timed([sys.executable, "-c", BASELINE, str(inbox)])
        result.update(baseline_s=b["wall_s"], baseline_ms_per_file=b["wall_s"] / n * 1000,
                      baseline_peak_mb=b["peak_mb"], speedup=b["wall_s"] / m["wall_s"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="number of submissions (repeatable)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qcdc-bench"))
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for merge (default: all cores)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--repeat", type=int, default=3, help="merge runs per N; the median is reported")
    args = parser.parse_args()
    rows = []
    for n in args.n or [100, 1000]:
        r = bench(n, args.work, args.jobs, not args.no_baseline, args.repeat)
        rows.append(r)
        print(json.dumps(r), flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| N | merge (s, median) | merge runs (s) | ms/file | peak MB | pandas baseline (s) | baseline/merge | "
          "templates (s) | ms/template |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        runs = " / ".join(f"{x:.2f}" for x in r["merge_runs_s"])
        print(f"| {r['n']:,} | {r['merge_s']:.2f} | {runs} | {r['merge_ms_per_file']:.2f} | {r['merge_peak_mb']:.0f} | "
              f"{r.get('baseline_s', float('nan')):.2f} | {r.get('speedup', float('nan')):.1f}× | "
              f"{r['templates_s']:.2f} | {r['templates_ms_each']:.2f} |")


if __name__ == "__main__":
    main()
