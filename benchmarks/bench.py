"""Benchmarks: merge and template generation at province and national scale.

For each N it makes N filled submissions of a synthetic post-2025 roster (one province, N
communes; random valid data, about 5 % with a mistake). By default (``--corpus realistic``) they
are as real programs return them: a third as openpyxl writes them, a third in Excel's dialect, a
third re-saved by LibreOffice (``make_realistic_inbox``); ``--corpus own`` gives only the
toolkit's own files. Then it times, each in its own process so that peak memory is its own:

- ``qcdc-excel merge`` end to end: validation of every file, the consolidated workbook, and a
  feedback copy for every file (``--feedback-for all``, the default; ``problems`` for only the
  faulty ones);
- the naive baseline over the same files: a loop of ``pandas.read_excel`` (openpyxl engine) and
  ``pandas.concat`` (what an analyst would write; it checks nothing and writes nothing);
- ``qcdc-excel template --all`` for the same N units;

and, for the realistic corpus, one process reading and checking 150 files of each share and writing
their feedback copies (ms per file).

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
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qcdc_excel import load_catalog, parse_period  # noqa: E402
from qcdc_excel.layout import form_layout  # noqa: E402
from qcdc_excel.synthetic import valid_values, varied_draw  # noqa: E402
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


SHARES = ("openpyxl", "excel", "libreoffice")  # unit k's file is written as SHARES[k % 3] writes it


def _excel_dialect():
    """The project's own rewriter to Excel's dialect (tests/dialects.py), with its SHA-512
    protection (100,000 spins, ~0.1 s a sheet) replaced by a fresh random salt and hash of the same
    sizes for every sheet: each file differs where Excel's files differ, at no cost (nothing here
    checks the password)."""
    import base64
    import secrets

    sys.path.insert(0, str(ROOT / "tests"))
    import dialects

    dialects.sha512_protection = lambda password, salt=None, spins=dialects.SPINS: (
        base64.b64encode(secrets.token_bytes(64)).decode(), base64.b64encode(secrets.token_bytes(16)).decode())
    return dialects


def _resave_with_libreoffice(files: list[Path], outdir: Path) -> dict[Path, Path]:
    """Open and save ``files`` with LibreOffice, one start for all (a private profile)."""
    import shutil
    import tempfile

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("the realistic corpus needs LibreOffice (soffice) for its LibreOffice share")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qcdc-bench-lo-") as profile:
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, files)],
                       capture_output=True, timeout=1800, check=False)
    got = {f: outdir / f.name for f in files if (outdir / f.name).exists()}
    if len(got) != len(files):
        raise SystemExit(f"LibreOffice re-saved {len(got)} of {len(files)} files")
    return got


def _renamed(data: bytes, swaps: list[tuple[str, str]]) -> bytes:
    """A LibreOffice-saved package with its unit's identity strings replaced in the shared strings
    (the only part that holds them): the same dialect, another unit."""
    from xml.sax.saxutils import escape

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                text = part.decode("utf-8")
                for old, new in swaps:
                    text = text.replace(f">{escape(old)}<", f">{escape(new)}<")
                part = text.encode("utf-8")
            zout.writestr(info, part)
    return buf.getvalue()


def make_realistic_inbox(folder: Path, n: int, seed: int = 1, pool: int = 100, values: str = "typical") -> dict:
    """N submissions as real programs return them: a third as openpyxl writes (``make_inbox``), a
    third in Excel's dialect (shared strings, shared formulas, cached values, row spans, calcChain,
    SHA-512 protection: ``tests/dialects.py``), a third opened and saved by LibreOffice. LibreOffice
    saves a pool of ``pool`` distinct filled forms in one start; each unit of that share gets one of
    them with its own code and name put in. About 5 % carry a mistake in every share."""
    dialects = _excel_dialect()
    draw = varied_draw if values == "varied" else None
    catalog = load_catalog()
    layout = form_layout(catalog.version, "xa")
    rng = random.Random(seed)
    personaliser = Personaliser()
    folder.mkdir(parents=True, exist_ok=True)
    report_date = (dt.date(2025, 12, 20) - EXCEL_EPOCH).days

    def filled(code: str, name: str) -> tuple[bytes, bool]:
        values = valid_values(catalog, layout.input_codes, rng, draw)
        faulty = rng.random() < 0.05
        if faulty:
            if rng.random() < 0.5:
                values["II.9.4"] = values["II.9.3"] + rng.randint(1, 9)
            else:
                values["II.5.1"] = f"{values['II.5.1']} tổ"
        template = personaliser.bytes_for("xa", PERIOD, Identity(code, name, "99", "Tỉnh Thử Nghiệm"))
        cells = {layout.cells[c]: v for c, v in values.items()}
        cells[layout.identity_cells["report_date"]] = report_date
        cells[layout.identity_cells["preparer"]] = "Nguyễn Văn A"
        cells[layout.identity_cells["head"]] = "Trần Văn B"
        return fill(template, cells), faulty

    counts = {share: 0 for share in SHARES}
    faulty = {share: 0 for share in SHARES}
    lo_units = [k for k in range(n) if SHARES[k % 3] == "libreoffice"]
    pool_dir = folder.parent / "lo-pool"
    pool_files = []
    if lo_units:
        (pool_dir / "in").mkdir(parents=True, exist_ok=True)
        for j in range(min(pool, len(lo_units))):
            data, bad = filled(f"{90000 + j:05d}", f"Xã Mẫu {j}")
            path = pool_dir / "in" / f"p{j:03d}.xlsx"
            path.write_bytes(data)
            pool_files.append((path, bad))
        saved = _resave_with_libreoffice([p for p, _ in pool_files], pool_dir / "out")
    for k in range(n):
        code, name, share = f"{10000 + k:05d}", f"Xã Số {k}", SHARES[k % 3]
        if share == "libreoffice":
            j = (k // 3) % len(pool_files)
            path, bad = pool_files[j]
            data = _renamed(saved[path].read_bytes(), [(f"{90000 + j:05d}", code), (f"Xã Mẫu {j}", name)])
        else:
            data, bad = filled(code, name)
            if share == "excel":
                data = dialects.to_excel(data)
        counts[share] += 1
        faulty[share] += bad
        (folder / f"{code}_{PERIOD.code}.xlsx").write_bytes(data)
    return {"shares": counts, "faulty_by_share": faulty, "faulty": sum(faulty.values())}


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; wall time and the peak memory of it and its workers (``wait4`` gives the
    usage of this one command and what it waited for, not of LibreOffice runs made earlier for
    the corpus, which ``RUSAGE_CHILDREN`` would count)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "stdout": stdout}


BASELINE = r"""
import sys, pathlib, pandas as pd
files = sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx"))
frames = [pd.read_excel(f, sheet_name="Phụ lục", header=None, engine="openpyxl").assign(file=f.name) for f in files]
df = pd.concat(frames, ignore_index=True)
print(len(files), df.shape)
"""


def per_share(inbox: Path, sample: int = 150) -> dict:
    """One process, no pool: ms per file to read and check, and to write a feedback copy, for
    ``sample`` files of each share (unit k is SHARES[k % 3])."""
    from qcdc_excel.feedback import marked_copy
    from qcdc_excel.validate import read_submission

    files = sorted(inbox.glob("*.xlsx"))
    out = {}
    for s, share in enumerate(SHARES):
        chosen = [f for f in files if (int(f.name[:5]) - 10000) % 3 == s][:sample]
        if not chosen:
            continue
        read_submission(chosen[0])  # warm: imports and caches
        t = time.perf_counter()
        subs = [read_submission(f) for f in chosen]
        read_ms = (time.perf_counter() - t) / len(chosen) * 1000
        t = time.perf_counter()
        for sub in subs:
            marked_copy(sub)
        feedback_ms = (time.perf_counter() - t) / len(chosen) * 1000
        out[share] = {"files": len(chosen), "read_ms": round(read_ms, 2), "feedback_ms": round(feedback_ms, 2)}
    return out


def bench(n: int, work: Path, jobs: int | None, baseline: bool, repeat: int = 3, corpus: str = "realistic",
          feedback_for: str = "all", values: str = "typical") -> dict:
    base = work / (f"{corpus}-n{n}" if values == "typical" else f"{corpus}-{values}-n{n}")
    inbox, roster = base / "inbox", base / "roster.csv"
    marker = base / "generated.json"
    if not marker.exists():
        base.mkdir(parents=True, exist_ok=True)
        make_roster(roster, n)
        t = time.perf_counter()
        made = (make_realistic_inbox(inbox, n, values=values) if corpus == "realistic"
                else {"faulty": make_inbox(inbox, roster, n)})
        marker.write_text(json.dumps({"n": n, **made, "seconds": time.perf_counter() - t}))
    info = json.loads(marker.read_text())
    exe = [sys.executable, "-m", "qcdc_excel.cli"]

    def merge_cmd(out: Path) -> list[str]:
        cmd = exe + ["merge", str(inbox), "--roster", str(roster), "--period", PERIOD.code,
                     "--out", str(out / "tong-hop.xlsx"), "--feedback-dir", str(out / "gop-y"),
                     "--feedback-for", feedback_for, "--json", str(out / "r.json")]
        return cmd + (["--jobs", str(jobs)] if jobs else [])

    # Every timed run is a first merge, into a folder of its own (created fresh: a folder whose
    # thousands of files were just replaced makes the disk's inode allocator slower, and a merge
    # run again over unchanged files leaves their feedback alone, which is timed separately).
    runs_dir = base / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    outs = [runs_dir / f"{k}" for k in range(max(1, repeat))]
    runs = [timed(merge_cmd(out)) for out in outs]  # the median run is reported
    m = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    again = timed(merge_cmd(outs[0]))  # the same inbox merged again into the same folder
    out = outs[0]
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    result = {"n": n, "corpus": corpus, "shares": info.get("shares"), "faulty": info["faulty"], "merge_s": m["wall_s"],
              "merge_ms_per_file": m["wall_s"] / n * 1000,
              "merge_runs_s": [round(r["wall_s"], 2) for r in runs], "merge_again_s": round(again["wall_s"], 2),
              "merge_peak_mb": max(r["peak_mb"] for r in runs), "rejected": report["stats"]["rejected"],
              "feedback_files": len(list((out / "gop-y").iterdir()))}
    identical = all((out / "gop-y" / f.name).read_bytes() == f.read_bytes() for f in (outs[-1] / "gop-y").iterdir())
    if not identical:
        raise SystemExit("two merges of one inbox wrote different feedback files")
    shutil.rmtree(runs_dir, ignore_errors=True)
    if corpus == "realistic":
        result["per_share"] = per_share(inbox)
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
    parser.add_argument("--corpus", choices=["realistic", "own"], default="realistic",
                        help="files as Excel, LibreOffice and openpyxl save them (default), or only the toolkit's own")
    parser.add_argument("--values", choices=["typical", "varied"], default="typical",
                        help="realistic corpus: a few typical counts (default) or counts spread from 0 to 5,000 "
                             "and free texts that differ per unit")
    parser.add_argument("--feedback-for", choices=["all", "problems"], default="all",
                        help="a feedback copy for every file (default) or only for files with findings")
    args = parser.parse_args()
    rows = []
    for n in args.n or [100, 1000]:
        r = bench(n, args.work, args.jobs, not args.no_baseline, args.repeat, args.corpus, args.feedback_for,
                  args.values)
        rows.append(r)
        print(json.dumps(r), flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; corpus {args.corpus} ({args.values} values), "
          f"feedback for {args.feedback_for}")
    for r in rows:
        if r.get("per_share"):
            print(f"N={r['n']:,} shares {r['shares']}: " + "; ".join(
                f"{k} read {v['read_ms']} ms, feedback {v['feedback_ms']} ms" for k, v in r["per_share"].items()))
    print("| N | merge (s, median) | merge runs (s) | ms/file | again (s) | peak MB | pandas baseline (s) | "
          "baseline/merge | templates (s) | ms/template |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        runs = " / ".join(f"{x:.2f}" for x in r["merge_runs_s"])
        print(f"| {r['n']:,} | {r['merge_s']:.2f} | {runs} | {r['merge_ms_per_file']:.2f} | {r['merge_again_s']:.2f} | "
              f"{r['merge_peak_mb']:.0f} | "
              f"{r.get('baseline_s', float('nan')):.2f} | {r.get('speedup', float('nan')):.1f}× | "
              f"{r['templates_s']:.2f} | {r['templates_ms_each']:.2f} |")


if __name__ == "__main__":
    main()
