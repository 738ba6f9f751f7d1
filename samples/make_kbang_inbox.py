"""Build samples/kbang-2020/inbox: Kbang district's 2020 reports, as its units would send them.

Each commune fills its personalised template (made by qcdc-excel from the roster); the figures are
spread over the 14 communes so that their merge, with the district's own report, reproduces the
published 2020 appendix of huyện Kbang (seed 001): 14/14 communes with direct-dialogue rules,
14/14 approved Front supervision programmes, 14 supervisions and 11 criticisms, 11,796.9 million
VND, mediation 158 = 146 + 10 + 2 with 166 teams, 14/14 People's Inspection Boards, 89 citizen
receptions, 40 petitions of which 17 within competence, 16 resolved (94.1 %) and 1 pending, 89
enterprises (11 with a party organisation, 8 with a union, 5 holding the workers' conference and
5 with a collective agreement: 62.5 %), 0 strikes, and 29 agencies (28 held the staff conference:
96.6 %; 29 with democracy rules and 29 with the one-stop shop: 100 %).

Plus what a real inbox holds: a commune that first sent a total that does not add up, another that
first typed more resolved petitions than it had within its competence (the slip of the published
appendix), each followed by a corrected file; a byte-identical copy saved twice by a mail client;
and files in the subfolders mail clients make.
Every file is written on the current form version (``layout.CURRENT_FORM_VERSION``) except two,
which stay on form version 1 to show that forms units filled before the form changed are still read,
merged and printed: Thị trấn Kbang's report (``23638_2020.xlsx``) and the district's own report
(``625_2020_huyen.xlsx``). They are filled in the published version 1 template kept in
tests/files/form-v1 (personalised the way qcdc-excel personalised it then). The figures are the same
on every run (a fixed random seed, fixed dates and names), whatever the form version.
Run from the project root:  python samples/make_kbang_inbox.py [--out FOLDER]
It writes into a NEW folder (by default ./hop-thu-kbang-2020-<date-time>) and never into an existing,
non-empty one: the committed inbox samples/kbang-2020/inbox is not rewritten unless you remove it and
name it with --out yourself.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from qcdc_excel import load_catalog, load_roster, parse_period  # noqa: E402
from qcdc_excel.layout import CURRENT_FORM_VERSION, form_layout  # noqa: E402
from qcdc_excel.synthetic import fill_workbook  # noqa: E402
from qcdc_excel.template import Identity, template_bytes  # noqa: E402

ROSTER = HERE / "rosters" / "kbang-2020.csv"
VERSION_1_TEMPLATES = HERE.parent / "tests" / "files" / "form-v1"  # bieu-mau-<level>.xlsx, as published
VERSION_1_UNITS = ("23638", "625")  # these units' files stay on form version 1
COMMITTED = HERE / "kbang-2020" / "inbox"
PERIOD = parse_period("2020")


def spread(total: int, parts: int, rng: random.Random, at_least: int = 0) -> list[int]:
    """``total`` split into ``parts`` whole numbers (each >= at_least), in a random but fixed way."""
    cuts = sorted(rng.randint(0, total - at_least * parts) for _ in range(parts - 1))
    pieces = [b - a for a, b in zip([0] + cuts, cuts + [total - at_least * parts])]
    return [p + at_least for p in pieces]


def commune_figures(n: int, rng: random.Random) -> list[dict]:
    """The published district totals, spread over n communes, every commune consistent."""
    tenths = spread(117969, n, rng, at_least=2000)  # 11,796.9 million VND in tenths
    mediated = spread(146, n, rng, at_least=3)
    failed = spread(10, n, rng)
    pending = [1 if k in (2, 9) else 0 for k in range(n)]
    competent = [2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1]  # 17 in all
    resolved = [c - (1 if k == 5 else 0) for k, c in enumerate(competent)]  # 16; one pending at k=5
    received = [c + e for c, e in zip(competent, spread(23, n, rng))]  # 40 in all
    receptions = spread(89, n, rng, at_least=2)
    teams = spread(166, n, rng, at_least=8)
    enterprises = spread(89, n, rng, at_least=1)
    party = [1 if k < 11 else 0 for k in range(n)]
    union = [1 if k in (0, 1, 2, 3, 4, 6, 8, 10) else 0 for k in range(n)]  # 8 in all
    conference = [1 if k in (0, 1, 2, 4, 8) else 0 for k in range(n)]  # 5 of the 8
    agreement = [1 if k in (0, 1, 3, 4, 10) else 0 for k in range(n)]  # 5 of the 8
    out = []
    for k in range(n):
        villages = rng.randint(6, 14)
        files_in = rng.randint(250, 900)
        solved = files_in - rng.randint(0, 12)
        forms = rng.randint(30, 120)
        d = {
            "I.1.1": rng.randint(1, 4), "I.1.2": rng.randint(1, 5), "I.1.3": rng.randint(0, 3),
            "I.2": rng.randint(2, 8), "I.3.1": rng.randint(1, 3), "I.3.3": rng.randint(0, 2),
            "I.4.1": rng.choice(["Có", "Không", "Không"]), "I.4.2": rng.randint(2, 4),
            "II.1.1": "Có", "II.1.2": rng.randint(1, 3), "II.1.3": rng.randint(5, 30),
            "II.2.1": rng.randint(6, 20), "II.2.2": rng.randint(1, 5), "II.2.3": rng.randint(1, 6),
            "II.2.4": rng.randint(2, 10),
            "II.3.1": "Có", "II.3.2": 1, "II.3.3": 1 if k < 11 else 0,
            "II.4.1": tenths[k] / 10, "II.4.2": rng.randint(200, 2500), "II.4.3": float(rng.randint(0, 3000)),
            "II.5.1": teams[k], "II.5.3": mediated[k], "II.5.4": failed[k], "II.5.5": pending[k],
            "II.6.1": villages, "II.6.2": villages - rng.randint(0, 1), "II.6.3": rng.randint(0, 2),
            "II.7.1": "Có", "II.7.2": rng.randint(1, 4), "II.7.3": rng.randint(0, 5),
            "II.8.1": files_in, "II.8.2": rng.randint(20, files_in // 3), "II.8.3": solved,
            "II.8.4": solved - rng.randint(0, 5), "II.8.5": forms, "II.8.6": forms - rng.randint(0, 4),
            "II.9.1": receptions[k], "II.9.2": received[k], "II.9.3": competent[k], "II.9.4": resolved[k],
            "II.9.5": competent[k] - resolved[k],
            "II.10.1": rng.randint(1, 6), "II.10.2": rng.randint(0, 2), "II.10.3": rng.randint(0, 2),
            "III.1": 1, "III.2": 1, "III.3": 1, "III.4": 1, "III.5": 1,
            "IV.1": enterprises[k], "IV.2": min(party[k], enterprises[k]), "IV.3": union[k], "IV.4": conference[k],
            "IV.5": agreement[k], "IV.6": union[k], "IV.7": union[k] * rng.randint(1, 2), "IV.8": 0,
            "V.1": "Thực hiện tốt quy chế dân chủ ở cơ sở, gắn với xây dựng nông thôn mới.",
            "V.2": rng.choice(["", "Đề nghị huyện tổ chức tập huấn nghiệp vụ cho Ban Thanh tra nhân dân.",
                               "Đề nghị hỗ trợ kinh phí hoạt động cho tổ hòa giải."]),
        }
        d["I.1"] = d["I.1.1"] + d["I.1.2"] + d["I.1.3"]
        d["I.2.1"] = d["I.2"] * rng.randint(40, 120)
        d["I.3.2"] = d["I.3.1"]
        d["II.1.4"] = d["II.1.3"] - rng.randint(0, 3)
        d["II.5.2"] = d["II.5.3"] + d["II.5.4"] + d["II.5.5"]
        if not d["V.2"]:
            del d["V.2"]
        out.append(d)
    return out


def district_figures() -> dict:
    """Huyện Kbang's own report: its own inspections (3 planned, 3 done, 2 thematic) and agencies."""
    return {"I.1": 9, "I.1.1": 4, "I.1.2": 3, "I.1.3": 2, "I.2": 3, "I.2.1": 420,
            "I.3.1": 3, "I.3.2": 3, "I.3.3": 2, "I.4.1": "Không", "I.4.2": 4,
            "III.1": 15, "III.2": 14, "III.3": 15, "III.4": 15, "III.5": 15,
            "V.1": "Việc thực hiện quy chế dân chủ ở cơ sở năm 2020 đi vào nền nếp; một số xã chưa thường "
                   "xuyên quan tâm lãnh đạo hoạt động của Ban Chỉ đạo.",
            "V.2": "Đề nghị tỉnh tiếp tục mở lớp tập huấn cho thành viên Ban Chỉ đạo cấp xã."}


def personal_version_1(level: str, unit, roster) -> bytes:
    """The published version 1 template of ``level`` personalised for ``unit`` as qcdc-excel did it
    then: the period line, the unit's code, name, parent and the period code, locked, and the same in
    the metadata sheet."""
    import io

    import openpyxl
    from openpyxl.styles import Protection

    wb = openpyxl.load_workbook(VERSION_1_TEMPLATES / f"bieu-mau-{level}.xlsx")
    ws, meta = wb["Phụ lục"], wb["_qcdc"]
    parent = roster[unit.parent] if unit.parent else None
    cells = {"A5": "Kỳ báo cáo: Năm 2020", "C7": unit.code, "C8": unit.name,
             "C9": f"{parent.code} – {parent.name}" if parent else "", "C10": "2020"}
    for ref, value in cells.items():
        ws[ref].value = value
        ws[ref].protection = Protection(locked=True)
    known = {"unit_code": unit.code, "unit_name": unit.name, "parent_code": unit.parent or None, "period": "2020"}
    for key, value in meta.iter_rows(max_col=2):
        if key.value in known:
            value.value = known[key.value]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def form_for(level: str, unit, roster) -> bytes:
    """The template a unit fills: the current form version, or version 1 for VERSION_1_UNITS."""
    if unit.code in VERSION_1_UNITS:
        return personal_version_1(level, unit, roster)
    return template_bytes(level, PERIOD, Identity.of(unit, roster))


def write(path: Path, template: bytes, values: dict, day: dt.date, names: tuple[str, str]) -> Path:
    # the report each appendix goes with (“Kèm theo Báo cáo số …/BC-UBND ngày …”, form version 3)
    number = f"{day.toordinal() % 90 + 10}/BC-UBND"
    fill_workbook(template, values, path, report_date=dt.datetime.combine(day, dt.time()), names=names,
                  report_number=number)
    saved = dt.datetime.combine(day, dt.time(16, 30))
    path.write_bytes(same_bytes(path.read_bytes(), saved))
    stamp = saved.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def main() -> None:
    catalog = load_catalog()
    roster = load_roster(ROSTER)
    communes = roster.children_of("625")
    figures = commune_figures(len(communes), random.Random(2020))
    layout = form_layout(catalog.version, "xa", form_version=CURRENT_FORM_VERSION)
    assert set(figures[0]) | {"V.2"} >= set(layout.input_codes) - {"V.2"}

    inbox = target_folder(sys.argv[1:])
    mail = inbox / "thu-dien-tu" / "2020-10-28"
    mail.mkdir(parents=True)
    days = [dt.date(2020, 10, 14 + k) for k in range(len(communes))]  # deadline 2020-10-25: two late
    for unit, values, day in zip(communes, figures, days):
        template = form_for("xa", unit, roster)
        folder = mail if day >= dt.date(2020, 10, 24) else inbox
        path = write(folder / f"{unit.code}_2020.xlsx", template, values, day, ("Nguyễn Văn An", "Trần Văn Bình"))
        if unit.code == "23650":
            # Xã Krong first sent a total that does not add up (13 cases, parts 12), then corrected it.
            wrong = dict(values, **{"II.5.2": values["II.5.2"] + 1})
            write(inbox / f"{unit.code}_2020 (gui lan 1).xlsx", template, wrong, day - dt.timedelta(days=3),
                  ("Nguyễn Văn An", "Trần Văn Bình"))
        if unit.code == "23653":
            # Xã Sơ Pai first sent the slip of the published appendix: resolved petitions typed above
            # those within its competence. Rejected with a feedback file; its corrected file is used.
            wrong = dict(values, **{"II.9.4": values["II.9.3"] + 1, "II.9.5": 0})
            write(inbox / f"{unit.code}_2020 (gui lan 1).xlsx", template, wrong, day - dt.timedelta(days=4),
                  ("Nguyễn Văn An", "Trần Văn Bình"))
        if unit.code == "23641":
            # The mail client saved Xã Kon Pne's attachment twice.
            copy = mail / path.name
            shutil.copy2(path, copy)
    district = roster["625"]
    write(inbox / "625_2020_huyen.xlsx", form_for("huyen", district, roster),
          district_figures(), dt.date(2020, 10, 30), ("Lê Thị Cúc", "Nguyễn Văn Dũng"))
    print(f"Đã ghi {sum(1 for _ in inbox.rglob('*.xlsx'))} tệp vào thư mục mới {inbox} "
          f"(hộp thư mẫu trong {COMMITTED.relative_to(HERE.parent)} không bị sửa).")


def same_bytes(data: bytes, saved: dt.datetime) -> bytes:
    """The workbook ``data`` with the clock taken out: every zip entry dated ``saved`` and the
    document's created/modified properties set to it, so each run writes the same bytes."""
    import io
    import re
    import zipfile

    when = saved.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            payload = zin.read(info)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + when, payload)
            zout.writestr(zipfile.ZipInfo(info.filename, date_time=saved.timetuple()[:6]), payload,
                          compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def target_folder(argv: list[str]) -> Path:
    """The folder to write: ``--out FOLDER`` (new, or empty), by default a new dated folder here."""
    import argparse

    parser = argparse.ArgumentParser(description="Sinh hộp thư mẫu của huyện Kbang năm 2020 vào một thư mục mới.")
    parser.add_argument("--out", help="thư mục mới (hoặc rỗng) để ghi hộp thư mẫu")
    args = parser.parse_args(argv)
    folder = Path(args.out) if args.out else Path(f"hop-thu-kbang-2020-{dt.datetime.now():%Y%m%d-%H%M%S}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        sys.exit(f"{folder} đã có và không rỗng: không ghi gì. Hãy chọn --out là một thư mục mới.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    main()
