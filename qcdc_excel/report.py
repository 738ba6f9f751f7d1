"""``qcdc-excel report``: the draft narrative report (báo cáo) in Word, its numbers already right.

The figures come from a checked source only: the consolidation ``merge`` has just made, or a
workbook that validates as accepted (a consolidated workbook, or one unit's own submission). Every
numeric sentence is written here from those figures, in the manner of the seeds' reports
("hòa giải thành 146/158 vụ việc, đạt 92,4 %"), with its denominator always named, Vietnamese
number format and small counts zero-padded; an indicator nobody reported gives no sentence. The
judgement sections are marked placeholders, never invented prose.

The document is rendered with docxtpl (Jinja tags inside a .docx): the default template is built
here with python-docx (Decree 30/2020 layout; ``hd36`` gives the steering committee's Party-style
header), and a secretariat may use its own template with the same tags (README lists them).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .atomic import atomic_write_bytes
from .catalog import CURRENT_VERSION, Catalog, Heading, Indicator, load_catalog
from .consolidate import Consolidation, Totals, totals_of_submission
from .form import FONT
from .i18n import QcdcError
from .numbers import format_number, format_percent, plain
from .periods import Period, parse_period

STYLES = ("nd30", "hd36")
PLACEHOLDER = "[Nội dung do đơn vị viết: {what}]"


# --- numbers as administrative Vietnamese writes them -------------------------------------------------
def vn_number(x: object, pad: bool = True) -> str:
    """The report's numbers (``numbers.format_number``): 11796.9 -> '11.796,9', at most three decimals;
    2 -> '02' (a small count, as administrative writing pads it)."""
    return format_number(x, "vi", pad=pad, places=3)


vn_percent = format_percent  # '94,1 %' for 16 of 17 (one decimal, rounded half up); None when no whole


# --- the figures ----------------------------------------------------------------------------------------
@dataclass
class Figures:
    """What the report speaks of: one unit's figures (its own, or consolidated over its units)."""
    catalog: Catalog
    level: str
    consolidated: bool
    unit_code: str
    unit_name: str
    parent_name: str
    period: Period
    totals: Totals
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)  # (unit, name, code, text)

    def value(self, code: str):
        return self.totals.values.get(code)


def figures_from_consolidation(cons: Consolidation) -> Figures:
    if cons.period is None:
        raise QcdcError("report-no-period", path=cons.parent_code or "?")
    return Figures(cons.catalog, cons.level, True, cons.parent_code or "", cons.parent_name or "",
                   cons.parent_parent_name or "", parse_period(cons.period), cons.totals,
                   sorted(cons.totals.texts, key=lambda x: (x[2], x[1], x[0])))


def figures_from_file(path: str | Path) -> Figures:
    """The figures of an accepted workbook (a consolidated one, or a unit's own submission)."""
    from .validate import read_submission

    sub = read_submission(path)
    if not sub.accepted:
        problems = "; ".join(f.message("vi") for f in sub.errors[:3]) or sub.status
        raise QcdcError("report-not-accepted", path=str(path), problems=problems)
    catalog = load_catalog(sub.catalog_version or CURRENT_VERSION)
    totals = totals_of_submission(sub, catalog)
    if sub.form != "consolidated":  # one unit's own answers: Có/Không, not counts
        for code, value in sub.values.items():
            if catalog.indicators.get(code) is not None and catalog.indicators[code].kind == "flag":
                totals.values[code] = value
    parent = sub.meta.get("parent_name") or _shown_parent(path, sub)
    return Figures(catalog, sub.level or "xa", sub.form == "consolidated", sub.unit_code or "",
                   sub.unit_name or "", parent, parse_period(sub.period), totals,
                   sorted(totals.texts, key=lambda x: (x[2], x[1], x[0])))


def _shown_parent(path: str | Path, sub) -> str:
    """The parent unit's name as the form shows it ("Đơn vị cấp trên")."""
    from .reader import open_workbook, read_sheet

    layout = sub.layout
    raw = open_workbook(Path(path).read_bytes())
    info = raw.sheet(layout.sheet_name) if layout else None
    if info is None:
        return ""
    value = read_sheet(raw, info).value(layout.identity_cells["parent"])
    text = str(value or "").strip()
    return text.split(" – ", 1)[-1] if " – " in text else text


# --- sentences --------------------------------------------------------------------------------------------
def _n(fig: Figures, code: str) -> object:
    v = fig.value(code)
    return None if isinstance(v, str) else v


def _count(fig: Figures, code: str, unit: str | None = None) -> str | None:
    v = _n(fig, code)
    if v is None:
        return None
    ind = fig.catalog.indicators[code]
    return f"{vn_number(v)} {unit if unit is not None else ind.unit}".strip()


def _of(fig: Figures, part: str, whole: str, noun: str) -> str | None:
    """'146/158 vụ việc, đạt 92,4 %' — the part, its whole named, and the ratio."""
    p, w = _n(fig, part), _n(fig, whole)
    if p is None or w is None:
        return None
    pct = vn_percent(p, w)
    return f"{vn_number(p, pad=False)}/{vn_number(w, pad=False)} {noun}" + (f", đạt {pct}" if pct else "")


def _flag(fig: Figures, code: str, places: str) -> str | None:
    """'14/14 xã, thị trấn' for a consolidated flag; 'Có'/'Không' turned into words for one unit."""
    v = fig.value(code)
    if v is None:
        return None
    if not isinstance(v, str):  # consolidated: how many units answered Có
        n = fig.totals.flag_units.get(code) or fig.totals.units
        return f"{vn_number(v, pad=False)}/{vn_number(n, pad=False)} {places}"
    return None if v not in ("Có", "Không") else ("có" if v == "Có" else "chưa có")


def _places(fig: Figures) -> str:
    return "xã, phường, thị trấn" if fig.level != "xa" else "xã"


def _join(parts: list[str | None]) -> str | None:
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else None


def section_sentences(fig: Figures) -> dict[str, list[str]]:
    """Outline key -> the numeric sentences of that part of the report (none when nobody reported)."""
    f = fig
    places = _places(f)
    out: dict[str, list[str]] = {}

    def add(key: str, text: str | None) -> None:
        if text:
            out.setdefault(key, []).append(text[0].upper() + text[1:] + ("" if text.endswith(".") else "."))

    docs = _count(f, "I.1")
    if docs:
        add("lead", "trong kỳ đã ban hành " + docs + " lãnh đạo, chỉ đạo thực hiện dân chủ ở cơ sở" + (
            " (" + ", ".join(x for x in (
                (_count(f, "I.1.1") or "") and f"cấp ủy đảng {_count(f, 'I.1.1')}",
                (_count(f, "I.1.2") or "") and f"chính quyền {_count(f, 'I.1.2')}",
                (_count(f, "I.1.3") or "") and f"Mặt trận Tổ quốc và các đoàn thể {_count(f, 'I.1.3')}") if x) + ")"
            if any(_n(f, c) is not None for c in ("I.1.1", "I.1.2", "I.1.3")) else ""))
    if _n(f, "I.2") is not None:
        add("lead", f"tổ chức {_count(f, 'I.2')} tuyên truyền, phổ biến, tập huấn"
            + (f" với {_count(f, 'I.2.1')} tham dự" if _n(f, "I.2.1") is not None else ""))
    inspections = _of(f, "I.3.2", "I.3.1", "cuộc kiểm tra theo kế hoạch")
    add("lead", inspections and "thực hiện " + inspections
        + (f"; giám sát chuyên đề {_count(f, 'I.3.3')}" if _n(f, "I.3.3") is not None else ""))
    if _n(f, "I.4.2") is not None:
        add("steering", f"Ban Chỉ đạo họp {_count(f, 'I.4.2')}"
            + ("; Ban Chỉ đạo được kiện toàn trong kỳ" if f.value("I.4.1") == "Có" else ""))
    # II: communes
    dialogue = _flag(f, "II.1.1", places)
    if dialogue and not isinstance(f.value("II.1.1"), str):
        add("commune", f"{dialogue} có quy chế và tổ chức đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền với Nhân dân")
    elif dialogue:
        add("commune", f"{dialogue} quy chế và tổ chức đối thoại trực tiếp với Nhân dân")
    if _n(f, "II.1.2") is not None:
        answered = _of(f, "II.1.4", "II.1.3", "ý kiến, kiến nghị")
        add("commune", f"tổ chức {_count(f, 'II.1.2')} đối thoại" + (f"; đã trả lời, giải quyết {answered}" if answered else ""))
    known = [(c, w) for c, w in (("II.2.1", "công khai để Nhân dân biết"), ("II.2.2", "Nhân dân bàn và quyết định"),
                                 ("II.2.3", "Nhân dân tham gia ý kiến"), ("II.2.4", "Nhân dân kiểm tra, giám sát"))
             if _n(f, c) is not None]
    if known:
        add("commune", "thực hiện " + ", ".join(f"{vn_number(_n(f, c))} nội dung {w}" for c, w in known))
    program = _flag(f, "II.3.1", places)
    parts = [f"{program} có chương trình giám sát, phản biện xã hội được cấp ủy phê duyệt"
             if program and not isinstance(f.value("II.3.1"), str) else None,
             f"Mặt trận Tổ quốc và các đoàn thể giám sát {_count(f, 'II.3.2')}" if _n(f, "II.3.2") is not None else None,
             f"phản biện xã hội, góp ý xây dựng Đảng, xây dựng chính quyền {_count(f, 'II.3.3')}" if _n(f, "II.3.3") is not None else None]
    add("front", _join(parts))
    money = [f"{vn_number(_n(f, 'II.4.1'), pad=False)} triệu đồng" if _n(f, "II.4.1") is not None else None,
             _count(f, "II.4.2"), f"hiến {vn_number(_n(f, 'II.4.3'), pad=False)} m² đất" if _n(f, "II.4.3") is not None else None]
    if any(money):
        add("commune", "Nhân dân đóng góp xây dựng nông thôn mới, đô thị văn minh " + ", ".join(m for m in money if m))
    if _n(f, "II.5.2") is not None:
        success = _of(f, "II.5.3", "II.5.2", "vụ việc")
        rest = [f"không thành {_count(f, 'II.5.4')}" if _n(f, "II.5.4") else None,
                f"đang hòa giải {_count(f, 'II.5.5')}" if _n(f, "II.5.5") else None]
        add("commune", (f"{_count(f, 'II.5.1')} hòa giải ở cơ sở " if _n(f, "II.5.1") is not None else "các tổ hòa giải ")
            + f"tiếp nhận {_count(f, 'II.5.2')} việc" + (f", hòa giải thành {success}" if success else "")
            + ("; " + ", ".join(r for r in rest if r) if any(rest) else ""))
    covenants = _of(f, "II.6.2", "II.6.1", "thôn, tổ dân phố có hương ước, quy ước được công nhận")
    add("commune", covenants and covenants[0].upper() + covenants[1:]
        + (f"; sửa đổi, bổ sung {_count(f, 'II.6.3')} hương ước, quy ước" if _n(f, "II.6.3") else ""))
    inspectors = _flag(f, "II.7.1", places)
    parts = [f"{inspectors} có Ban Thanh tra nhân dân" if inspectors and not isinstance(f.value("II.7.1"), str) else None,
             f"Ban Thanh tra nhân dân thực hiện {_count(f, 'II.7.2')} thanh tra, giám sát" if _n(f, "II.7.2") is not None else None,
             f"Ban Giám sát đầu tư của cộng đồng giám sát {_count(f, 'II.7.3')}" if _n(f, "II.7.3") is not None else None]
    add("commune", _join(parts))
    if _n(f, "II.8.1") is not None:
        on_time = _of(f, "II.8.4", "II.8.3", "hồ sơ đúng hạn")
        happy = _of(f, "II.8.6", "II.8.5", "phiếu hài lòng")
        add("reform", f"bộ phận một cửa tiếp nhận {_count(f, 'II.8.1')}"
            + (f" (trực tuyến {_count(f, 'II.8.2')})" if _n(f, "II.8.2") is not None else "")
            + (f", đã giải quyết {_count(f, 'II.8.3')}" if _n(f, "II.8.3") is not None else "")
            + (f", trong đó {on_time}" if on_time else "") + (f"; khảo sát mức độ hài lòng: {happy}" if happy else ""))
    if _n(f, "II.9.2") is not None or _n(f, "II.9.1") is not None:
        parts = [f"tiếp {_count(f, 'II.9.1')} công dân" if _n(f, "II.9.1") is not None else None,
                 f"tiếp nhận {_count(f, 'II.9.2')} khiếu nại, tố cáo, kiến nghị, phản ánh" if _n(f, "II.9.2") is not None else None]
        solved = _of(f, "II.9.4", "II.9.3", "đơn thuộc thẩm quyền")
        if solved:
            parts.append(f"đã giải quyết {solved}"
                         + (f"; còn {_count(f, 'II.9.5')} đang giải quyết" if _n(f, "II.9.5") else ""))
        add("commune", _join(parts))
    models = [(c, w) for c, w in (("II.10.1", "duy trì"), ("II.10.2", "nhân rộng"), ("II.10.3", "đăng ký mới"))
              if _n(f, c) is not None]
    if models:
        add("commune", "mô hình “Dân vận khéo”: " + ", ".join(f"{w} {_count(f, c)}" for c, w in models))
    # III: state bodies
    if _n(f, "III.1") is not None:
        total = _count(f, "III.1")
        parts = [_of(f, c, "III.1", "cơ quan, đơn vị") and f"{w} {_of(f, c, 'III.1', 'cơ quan, đơn vị')}"
                 for c, w in (("III.2", "tổ chức hội nghị cán bộ, công chức, viên chức"),
                              ("III.3", "ban hành, sửa đổi quy chế thực hiện dân chủ"),
                              ("III.4", "thực hiện một cửa điện tử, một cửa liên thông"),
                              ("III.5", "có Ban Thanh tra nhân dân"))]
        add("state", f"trong số {total} trực thuộc: " + "; ".join(p for p in parts if p) if any(parts)
            else f"có {total} trực thuộc")
    # IV: enterprises
    if _n(f, "IV.1") is not None:
        parts = [f"trên địa bàn có {_count(f, 'IV.1')}",
                 f"{vn_number(_n(f, 'IV.2'))} có tổ chức đảng" if _n(f, "IV.2") is not None else None,
                 f"{vn_number(_n(f, 'IV.3'))} có tổ chức công đoàn, tổ chức đại diện người lao động" if _n(f, "IV.3") is not None else None]
        add("enterprise", ", ".join(p for p in parts if p))
        held = [(c, w) for c, w in (("IV.4", "tổ chức hội nghị người lao động"), ("IV.5", "ký kết thỏa ước lao động tập thể"))
                if _of(f, c, "IV.3", "doanh nghiệp có công đoàn")]
        if held:
            add("enterprise", "; ".join(f"{w} {_of(f, c, 'IV.3', 'doanh nghiệp có công đoàn')}" for c, w in held))
        more = [f"{vn_number(_n(f, 'IV.6'))} doanh nghiệp ban hành quy chế dân chủ ở nơi làm việc" if _n(f, "IV.6") is not None else None,
                f"tổ chức {_count(f, 'IV.7')} đối thoại tại nơi làm việc" if _n(f, "IV.7") is not None else None,
                (f"xảy ra {_count(f, 'IV.8')} đình công, ngừng việc tập thể" if _n(f, "IV.8")
                 else "không xảy ra đình công, ngừng việc tập thể" if _n(f, "IV.8") == 0 else None)]
        add("enterprise", _join(more))
    return out


# --- the data window and the words of the period -----------------------------------------------------------
def data_window(period: Period) -> tuple[dt.date, dt.date]:
    """The usual cut-off window of a period (Decree 09/2019/NĐ-CP): a quarter from the 15th of the
    month before it to the 14th of its last month; a half-year 15/12–14/6 (15/6–14/12); a year
    15/12 of the year before to 14/12."""
    y = period.year
    if period.kind == "Q":
        first = 3 * period.number - 2
        start = dt.date(y - 1, 12, 15) if first == 1 else dt.date(y, first - 1, 15)
        return start, dt.date(y, first + 2, 14)
    if period.kind == "S":
        return (dt.date(y - 1, 12, 15), dt.date(y, 6, 14)) if period.number == 1 else (dt.date(y, 6, 15), dt.date(y, 12, 14))
    return dt.date(y - 1, 12, 15), dt.date(y, 12, 14)


_PARTY_COMMITTEE = (("tỉnh ", "TỈNH ỦY "), ("thành phố ", "THÀNH ỦY "), ("huyện ", "HUYỆN ỦY "),
                    ("quận ", "QUẬN ỦY "), ("thị xã ", "THỊ ỦY "))


def party_committee(unit_name: str) -> str:
    """The Party committee of a unit, as the Party-style header names it: 'Huyện Kbang' ->
    'HUYỆN ỦY KBANG', 'Xã Kon Pne' -> 'ĐẢNG ỦY XÃ KON PNE'."""
    low = unit_name.strip()
    for prefix, committee in _PARTY_COMMITTEE:
        if low.lower().startswith(prefix):
            return committee + low[len(prefix):].upper()
    return ("ĐẢNG ỦY " + low.upper()).strip()


def place_name(unit_name: str) -> str:
    """'Huyện Kbang' -> 'Kbang': the place a document is dated from."""
    text = unit_name.strip()
    for prefix in ("thành phố ", "thị xã ", "thị trấn ", "tỉnh ", "huyện ", "quận ", "phường ", "xã "):
        if text.lower().startswith(prefix):
            return text[len(prefix):]
    return text


def period_words(period: Period) -> str:
    """'năm 2020', 'quý I năm 2023', '6 tháng đầu năm 2023'."""
    label = period.label("vi")
    return label[0].lower() + label[1:]


# --- the context of the template ---------------------------------------------------------------------------
def report_context(fig: Figures, style: str = "nd30", signer: str | None = None, signer_title: str | None = None,
                   today: dt.date | None = None, heading: str | None = None) -> dict:
    """Everything a template's tags can use (README lists them)."""
    if style not in STYLES:
        raise QcdcError("report-style", value=style, known=", ".join(STYLES))
    today = today or dt.date.today()
    start, end = data_window(fig.period)
    organ = (fig.unit_name or "").upper()
    ind = {}
    for code, item in fig.catalog.indicators.items():
        v = fig.value(code)
        entry = {"code": code, "label": item.label, "unit": item.unit, "value": None, "text": ""}
        if item.kind == "ratio":
            num, den = _n(fig, item.numerator), _n(fig, item.denominator)
            pct = vn_percent(num, den)
            entry.update(value=None if pct is None else float(Decimal(str(num)) / Decimal(str(den))),
                         text=pct or "", x=vn_number(num, pad=False), n=vn_number(den, pad=False),
                         numerator=item.numerator, denominator=item.denominator)
        elif item.kind == "flag" and v is not None and not isinstance(v, str):
            n = fig.totals.flag_units.get(code) or fig.totals.units
            entry.update(value=v, text=f"{vn_number(v, pad=False)}/{vn_number(n, pad=False)}", x=vn_number(v, pad=False),
                         n=vn_number(n, pad=False))
        elif v is not None:
            entry.update(value=plain(v),
                         text=str(v) if isinstance(v, str) else vn_number(v, pad=False))
        ind[code] = entry
    ind_by_safe = {code.replace(".", "_"): e for code, e in ind.items()}
    sentences = section_sentences(fig)
    appendix = []
    stt = 0
    for item in fig.catalog.items:
        if isinstance(item, Heading):
            appendix.append({"stt": item.code if item.kind == "section" else "", "code": "", "label":
                             item.text("vi").upper() if item.kind == "section" else item.text("vi"), "unit": "",
                             "value": "", "heading": True})
            continue
        stt += 1
        e = ind[item.code]
        shown = e["text"]
        if item.kind == "ratio" and shown:
            shown = f"{shown} ({e['x']}/{e['n']})"
        if item.kind == "text":
            continue
        appendix.append({"stt": str(stt), "code": item.code, "label": item.label,
                         "unit": "%" if item.kind == "ratio" else (
                             "đơn vị" if item.kind == "flag" and not isinstance(fig.value(item.code), str) else item.unit),
                         "value": shown or "—", "heading": False})
    notes = [{"unit": name or unit, "code": code, "kind": "Nhận xét, đánh giá" if code == "V.1" else "Kiến nghị, đề xuất",
              "text": text} for unit, name, code, text in fig.notes]
    return {
        "style": style, "hd36": style == "hd36",
        "organ_parent": (fig.parent_name or "").upper() if style == "nd30" else party_committee(fig.unit_name or ""),
        "organ": organ if style == "nd30" else "BAN CHỈ ĐẠO THỰC HIỆN DÂN CHỦ Ở CƠ SỞ",
        "unit_name": fig.unit_name, "unit_code": fig.unit_code, "level": fig.level,
        "period": fig.period.code, "period_words": period_words(fig.period),
        "window_start": start.strftime("%d/%m/%Y"), "window_end": end.strftime("%d/%m/%Y"),
        "date_line": f"{place_name(fig.unit_name) or '…'}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        "title": heading or "Kết quả thực hiện dân chủ ở cơ sở " + period_words(fig.period),
        "units": fig.totals.units, "units_text": vn_number(fig.totals.units), "consolidated": fig.consolidated,
        "ind": ind, "i": ind_by_safe, "s": sentences,
        "lead": sentences.get("lead", []), "steering": sentences.get("steering", []),
        "front": sentences.get("front", []), "commune": sentences.get("commune", []),
        "reform": sentences.get("reform", []), "state": sentences.get("state", []),
        "enterprise": sentences.get("enterprise", []),
        "notes": notes, "appendix": appendix,
        "signer": signer or "", "signer_title": (signer_title or "").upper(),
        "placeholder": {k: PLACEHOLDER.format(what=w) for k, w in (
            ("situation", "khái quát đặc điểm, tình hình"), ("achievements", "kết quả đạt được"),
            ("limitations", "hạn chế, yếu kém"), ("causes", "nguyên nhân của hạn chế"),
            ("tasks", "nhiệm vụ, giải pháp trọng tâm kỳ tới"), ("proposals", "kiến nghị, đề xuất"))},
    }


# --- the default template -----------------------------------------------------------------------------------
def default_template(style_title: str | None = None) -> bytes:
    """The default Word template (Decree 30/2020 layout), with docxtpl tags, as .docx bytes."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(2), Cm(2), Cm(3), Cm(1.5)
    sec.different_first_page_header_footer = True  # page numbers from page 2 (Decree 30)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    header = sec.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = header.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.text = text
        run._r.append(el)
    run.font.size = Pt(13)

    def para(text: str = "", bold=False, italic=False, size=14, align=None, indent=True, color=None, keep=False):
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent and align in (None, WD_ALIGN_PARAGRAPH.JUSTIFY):
            p.paragraph_format.first_line_indent = Cm(1.27)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if keep:
            p.paragraph_format.keep_with_next = True
        r = p.add_run(text)
        r.bold, r.italic, r.font.size = bold, italic, Pt(size)
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
        if color == "C00000":  # a placeholder for the people who must write it: highlighted
            r.font.highlight_color = WD_COLOR_INDEX.YELLOW
        return p

    def tag(text: str):
        """A paragraph that only holds a docxtpl block tag ({%p … %}): it disappears when rendered."""
        return doc.add_paragraph(text)

    # header block: organ (left) and national motto or Party name (right)
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(7), Cm(9.5))
    left, right = head.rows[0].cells
    for cell, width in zip((left, right), widths):
        cell.width = width
    lines_left = [("{{ organ_parent }}", False, 13), ("{{ organ }}", True, 13),
                  ("{% if hd36 %}*{% else %}———{% endif %}", False, 13), ("Số:        /BC-…", False, 13)]
    lines_right = [("{% if hd36 %}ĐẢNG CỘNG SẢN VIỆT NAM{% else %}CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM{% endif %}", True, 12),
                   ("{% if not hd36 %}Độc lập - Tự do - Hạnh phúc{% endif %}", True, 14),
                   ("", False, 13), ("{{ date_line }}", False, 14)]
    for cell, lines in ((left, lines_left), (right, lines_right)):
        cell.paragraphs[0].text = ""
        for n, (text, bold, size) in enumerate(lines):
            p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(0)
            r = p.add_run(text)
            r.bold, r.font.size = bold, Pt(size)
            if n == 3 and cell is right:
                r.italic = True
    para("")
    para("BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    para("{{ title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    para("(Số liệu tính từ ngày {{ window_start }} đến ngày {{ window_end }})", italic=True,
         align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para("{{ placeholder.situation }}", color="C00000")

    def section(title: str, key: str | None = None, placeholder: str | None = None):
        para(title, bold=True, indent=False, keep=True)
        if key:
            tag("{%p for line in " + key + " %}")
            para("{{ line }}")
            tag("{%p endfor %}")
        if placeholder:
            para("{{ placeholder." + placeholder + " }}", color="C00000")

    section("I. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO VÀ HOẠT ĐỘNG CỦA BAN CHỈ ĐẠO", "lead")
    tag("{%p if steering %}")
    para("Hoạt động của Ban Chỉ đạo", italic=True, indent=False, keep=True)
    tag("{%p for line in steering %}")
    para("{{ line }}")
    tag("{%p endfor %}")
    tag("{%p endif %}")
    tag("{%p if front %}")
    para("Vai trò của Mặt trận Tổ quốc và các tổ chức chính trị - xã hội", italic=True, indent=False, keep=True)
    tag("{%p for line in front %}")
    para("{{ line }}")
    tag("{%p endfor %}")
    tag("{%p endif %}")
    para("II. KẾT QUẢ THỰC HIỆN DÂN CHỦ Ở CƠ SỞ", bold=True, indent=False, keep=True)
    for sub_title, key in (("1. Dân chủ ở xã, phường, thị trấn", "commune"),
                           ("2. Cải cách hành chính, cơ chế một cửa", "reform"),
                           ("3. Dân chủ trong cơ quan hành chính nhà nước, đơn vị sự nghiệp công lập", "state"),
                           ("4. Dân chủ ở các loại hình doanh nghiệp", "enterprise")):
        tag("{%p if " + key + " %}")
        para(sub_title, bold=True, italic=True, indent=False, keep=True)
        tag("{%p for line in " + key + " %}")
        para("{{ line }}")
        tag("{%p endfor %}")
        tag("{%p endif %}")
    para("III. ĐÁNH GIÁ CHUNG", bold=True, indent=False, keep=True)
    for sub_title, key in (("1. Kết quả đạt được", "achievements"), ("2. Hạn chế, yếu kém", "limitations"),
                           ("3. Nguyên nhân của hạn chế", "causes")):
        para(sub_title, bold=True, italic=True, indent=False, keep=True)
        para("{{ placeholder." + key + " }}", color="C00000")
    para("IV. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM VÀ KIẾN NGHỊ, ĐỀ XUẤT", bold=True, indent=False, keep=True)
    para("1. Nhiệm vụ, giải pháp", bold=True, italic=True, indent=False, keep=True)
    para("{{ placeholder.tasks }}", color="C00000")
    para("2. Kiến nghị, đề xuất", bold=True, italic=True, indent=False, keep=True)
    para("{{ placeholder.proposals }}", color="C00000")
    tag("{%p if notes %}")
    para("Ý kiến các đơn vị gửi kèm báo cáo (tư liệu để viết các phần trên, xóa trước khi ban hành):",
         italic=True, size=13, indent=False, color="1F4E79", keep=True)
    tag("{%p for n in notes %}")
    para("- {{ n.unit }} ({{ n.kind }}): {{ n.text }}", size=13, color="1F4E79", indent=False)
    tag("{%p endfor %}")
    tag("{%p endif %}")
    para("Trên đây là báo cáo {{ title[0]|lower }}{{ title[1:] }}.")

    # recipients and signature
    sign = doc.add_table(rows=1, cols=2)
    left, right = sign.rows[0].cells
    left.width, right.width = Cm(8), Cm(8.5)
    p = left.paragraphs[0]
    r = p.add_run("Nơi nhận:")
    r.bold, r.italic, r.font.size = True, True, Pt(12)
    for line in ("- Như trên;", "- Lưu: VT."):
        q = left.add_paragraph()
        q.paragraph_format.space_after = Pt(0)
        rr = q.add_run(line)
        rr.font.size = Pt(11)
    lines = [("{% if hd36 %}T/M BAN CHỈ ĐẠO{% else %}TM. ỦY BAN NHÂN DÂN{% endif %}", True),
             ("{{ signer_title or ('TRƯỞNG BAN' if hd36 else 'CHỦ TỊCH') }}", True), ("", False), ("", False),
             ("", False), ("{{ signer }}", True)]
    for n, (text, bold) in enumerate(lines):
        q = right.paragraphs[0] if n == 0 else right.add_paragraph()
        q.alignment = WD_ALIGN_PARAGRAPH.CENTER
        q.paragraph_format.space_after = Pt(0)
        rr = q.add_run(text)
        rr.bold, rr.font.size = bold, Pt(14)

    # the appendix as a table, on its own page
    brk = doc.add_paragraph()
    brk.add_run().add_break(WD_BREAK.PAGE)
    para("PHỤ LỤC SỐ LIỆU", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para("{{ unit_name }} — {{ period_words }}", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    table = doc.add_table(rows=3, cols=5)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, (Cm(1.2), Cm(1.6), Cm(9.2), Cm(2.2), Cm(2.3))):
        column.width = width  # the grid: what LibreOffice and Word lay the table out by
    for cell, text, width in zip(table.rows[0].cells, ("STT", "Mã", "Nội dung", "ĐVT", "Số liệu"),
                                 (Cm(1.2), Cm(1.6), Cm(9.2), Cm(2.2), Cm(2.3))):
        cell.width = width
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        r = cell.paragraphs[0].add_run(text)
        r.bold, r.font.size = True, Pt(12)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for row in appendix %}")
    body = ("{{ row.stt }}", "{{ row.code }}", "{% if row.heading %}{{ row.label }}{% else %}{{ row.label }}{% endif %}",
            "{{ row.unit }}", "{{ row.value }}")
    for cell, text, width in zip(table.rows[2].cells, body, (Cm(1.2), Cm(1.6), Cm(9.2), Cm(2.2), Cm(2.3))):
        cell.width = width
        r = cell.paragraphs[0].add_run(text)
        r.font.size = Pt(12)
    end_row = table.add_row()
    end_row.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- rendering ------------------------------------------------------------------------------------------------
def render_report(fig: Figures, out: str | Path, template: str | Path | None = None, style: str = "nd30",
                  signer: str | None = None, signer_title: str | None = None, today: dt.date | None = None,
                  heading: str | None = None) -> Path:
    """Write the draft report of ``fig`` to ``out`` (atomically); returns the path."""
    import jinja2
    from docxtpl import DocxTemplate

    from .report_tags import syntax_error, unknown_tag

    context = report_context(fig, style, signer, signer_title, today, heading)
    if template is None:
        source = io.BytesIO(default_template())
    else:
        path = Path(template)
        if not path.is_file():
            raise QcdcError("file-not-found", path=str(path))
        source = io.BytesIO(path.read_bytes())
    try:
        doc = DocxTemplate(source)
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
        doc.render(context, env)
    except jinja2.UndefinedError as exc:
        raise unknown_tag(exc, source.getvalue(), str(template or "mặc định"), context) from None
    except jinja2.TemplateSyntaxError as exc:
        raise syntax_error(exc, source.getvalue(), str(template or "mặc định")) from None
    except Exception as exc:  # noqa: BLE001 - a damaged or non-Word template
        if template is None:
            raise
        raise QcdcError("report-template-unreadable", path=str(template), reason=type(exc).__name__) from None
    buf = io.BytesIO()
    doc.save(buf)
    return atomic_write_bytes(Path(out), buf.getvalue())


def write_report(source: str | Path, out: str | Path, **kw) -> Path:
    """``qcdc-excel report FILE.xlsx --out BAO-CAO.docx``: the report of an accepted workbook."""
    return render_report(figures_from_file(source), out, **kw)


__all__ = ["Figures", "figures_from_file", "figures_from_consolidation", "render_report", "write_report",
           "report_context", "default_template", "section_sentences", "vn_number", "vn_percent", "data_window"]
