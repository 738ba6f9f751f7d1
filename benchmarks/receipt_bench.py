"""What the one-page receipt saves against the receipt drawn into a copy of the unit's workbook.

Until issue 22 the receipt of an accepted file was the front sheet of a copy of the unit's own
workbook (``feedback_zip.patched_copy``: every part of the package copied, the styles, workbook and
content-type parts edited). Now it is a workbook of its own, one sheet, one A4 page
(``feedback_zip.receipt_workbook``). This script takes the accepted files of a realistic inbox
(``bench.make_realistic_inbox``, the files as Excel, LibreOffice and openpyxl save them) and times,
in one process, both ways of making their receipts, alternating rounds so that a busy machine
weighs on both alike; it reports the median ms per file, the bytes written per file, and what that
comes to for every accepted file of the inbox.

    python3 benchmarks/receipt_bench.py --n 3321          # generates the inbox once under --work
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (puts the repository on sys.path)

from qcdc_excel.feedback import DEFAULT_PASSWORD, _password_hash  # noqa: E402
from qcdc_excel.feedback_sheet import describe_front  # noqa: E402
from qcdc_excel.feedback_zip import opened_transitional, patched_copy, receipt_workbook  # noqa: E402
from qcdc_excel.validate import read_submission  # noqa: E402


def as_copy(sub, data: bytes, office: str) -> bytes:
    """The receipt as it was: the front sheet drawn into a copy of the unit's package."""
    data, raw = opened_transitional(data)
    return patched_copy(sub, data, describe_front(sub, "vi", office), lambda: _password_hash(DEFAULT_PASSWORD), raw=raw)


def standalone(sub, data: bytes, office: str) -> bytes:
    """The receipt now: a one-page workbook of its own."""
    return receipt_workbook(describe_front(sub, "vi", office), sub.copy_mark, _password_hash(DEFAULT_PASSWORD))


def measure(n: int, work: Path, sample: int, rounds: int) -> dict:
    base = work / f"realistic-n{n}"
    inbox = base / "inbox"
    if not inbox.exists():
        base.mkdir(parents=True, exist_ok=True)
        bench.make_roster(base / "roster.csv", n)
        bench.make_realistic_inbox(inbox, n)
    files = sorted(inbox.glob("*.xlsx"))
    subs = [read_submission(f) for f in files[:sample]]
    accepted = [(s, s.path.read_bytes()) for s in subs if s.status == "accepted"]
    share = len(accepted) / len(subs)
    times: dict[str, list[float]] = {"copy": [], "standalone": []}
    sizes = {}
    for _ in range(rounds):
        for name, make in (("copy", as_copy), ("standalone", standalone)):
            t = time.perf_counter()
            made = [make(s, d, "Tỉnh Thử Nghiệm") for s, d in accepted]
            times[name].append((time.perf_counter() - t) / len(accepted) * 1000)
            sizes[name] = sum(map(len, made)) // len(made)
    ms = {k: round(statistics.median(v), 3) for k, v in times.items()}
    whole = round(n * share)
    return {"files": n, "sampled": len(subs), "accepted_share": round(share, 3), "rounds": rounds,
            "ms_per_receipt": ms, "bytes_per_receipt": sizes,
            "saved_ms_per_receipt": round(ms["copy"] - ms["standalone"], 3),
            f"saved_s_for_{whole}_receipts_cpu": round(whole * (ms["copy"] - ms["standalone"]) / 1000, 2),
            "saved_mb_for_all": round(whole * (sizes["copy"] - sizes["standalone"]) / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3321, help="files in the realistic inbox")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qcdc-bench"))
    parser.add_argument("--sample", type=int, default=600, help="files read and given receipts")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.work, args.sample, args.rounds), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
