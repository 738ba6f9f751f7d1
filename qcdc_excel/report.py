"""``qcdc-excel report``: the draft narrative report (báo cáo) in Word, its numbers already right.

The figures come from a checked source only: the consolidation ``merge`` has just made, or a
workbook that validates as accepted (a consolidated workbook, or one unit's own submission). Every
numeric sentence is written here from those figures, in the manner of the seeds' reports
("hòa giải thành 146/158 vụ việc, đạt 92,4%"), with its denominator always named, Vietnamese
number format and small counts zero-padded; an indicator nobody reported gives no sentence. A
sentence names its figures by role ("mediation_cases"); the catalog's ``report:`` gives each role's
code, so a catalog version that numbers the appendix otherwise needs no change here. The
judgement sections are marked placeholders, never invented prose.

The document is rendered with docxtpl (Jinja tags inside a .docx): the default template is built
here with python-docx (Decree 30/2020 layout; ``hd36`` gives the steering committee's Party-style
header), and a secretariat may use its own template with the same tags (README lists them).
"""
from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from .atomic import atomic_write_bytes
from .catalog import CURRENT_VERSION, Catalog, Heading, Indicator, load_catalog
from .consolidate import Consolidation, Totals, totals_of_submission
from .history import read_history
from .form import FONT
from .i18n import QcdcError, unit_kinds
from .numbers import format_number, format_percent, plain
from .periods import Period, parse_period, vn_date
from .roster import party_committee, place_name
from .trend import Trend, change_words, trend_of

STYLES = ("nd30", "hd36")
PLACEHOLDER = "[Nội dung do đơn vị viết: {what}]"


# --- numbers as administrative Vietnamese writes them -------------------------------------------------
def vn_number(x: object, pad: bool = True) -> str:
    """The report's numbers (``numbers.format_number``): 11796.9 -> '11.796,9', at most three decimals;
    2 -> '02' (a small count, as administrative writing pads it)."""
    return format_number(x, "vi", pad=pad, places=3)


def vn_percent(part: object, whole: object) -> str | None:
    """A share as the seeds' reports write it: 16 of 17 -> '94,1%', 3 of 3 -> '100%' (one decimal,
    rounded half up, a whole per cent without ',0', the sign against the figure so a line never
    breaks between them); None when there is no whole."""
    text = format_percent(part, whole)
    return None if text is None else text.replace(",0%", "%")


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
    report_date: dt.date | None = None  # the date the data gives the document (see report_date_of)
    report_number: str | None = None  # “480/BC-UBND”, when the workbook's “Kèm theo” line names it (form v3)
    places: str | None = None  # what the counted units are (“xã, thị trấn”), from the roster's names
    trend: Trend | None = None  # the headline figures of earlier periods (history given), else None

    def value(self, code: str):
        return self.totals.values.get(code)

    def code(self, role: str) -> str | None:
        """The code of the figure a sentence calls ``role`` (the catalog's ``report:``); None when
        this catalog has no such figure."""
        return self.catalog.report_codes.get(role)

    def said(self, role: str):
        """The figure a sentence calls ``role`` (None when nobody reported it or the catalog has none)."""
        code = self.code(role)
        return None if code is None else self.value(code)


def figures_from_consolidation(cons: Consolidation, trend: Trend | None = None) -> Figures:
    """The figures of a consolidation; ``trend``: their earlier periods (``trend.trend_of_consolidation``)."""
    if cons.period is None:
        raise QcdcError("report-no-period", path=cons.parent_code or "?")
    return Figures(cons.catalog, cons.level, True, cons.parent_code or "", cons.parent_name or "",
                   cons.parent_parent_name or "", parse_period(cons.period), cons.totals,
                   sorted(cons.totals.texts, key=lambda x: (x[2], x[1], x[0])),
                   report_date=cons.reported_on, places=cons.unit_kinds(),
                   trend=trend)


def figures_from_file(path: str | Path, previous: list[str | Path] | tuple = ()) -> Figures:
    """The figures of an accepted workbook (a consolidated one, or a unit's own submission);
    ``previous``: consolidated workbooks or ``merge --json`` files of earlier periods, for the changes."""
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
    period = parse_period(sub.period)
    trend = trend_of(sub.unit_code or "", period, totals, catalog, read_history(previous)) if previous else None
    return Figures(catalog, sub.level or "xa", sub.form == "consolidated", sub.unit_code or "",
                   sub.unit_name or "", parent, period, totals,
                   sorted(totals.texts, key=lambda x: (x[2], x[1], x[0])),
                   report_date=sub.report_issued or sub.report_date, report_number=sub.report_number,
                   places=_places_in_file(path, sub.unit_code or "") if sub.form == "consolidated" else None, trend=trend)


def _places_in_file(path: str | Path, own_code: str) -> str | None:
    """The kinds of the units a consolidated workbook counted, from the units' rows it keeps (its own
    report's aside), by the rule of ``Consolidation.unit_kinds``; None in a workbook made before it
    kept them."""
    from .history import read_previous

    try:
        rows = [row for row in read_previous(path) if row.unit != own_code]
    except QcdcError:
        return None
    return unit_kinds(r.name for r in rows) if rows and all(r.level == "xa" for r in rows) else None


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


# --- sentences: each names its figures by role (the catalog's ``report:`` gives their codes) ----------------
def _number(fig: Figures, code: str | None) -> object:
    v = fig.value(code)
    return None if isinstance(v, str) else v


def _n(fig: Figures, role: str) -> object:
    return _number(fig, fig.code(role))


def _count(fig: Figures, role: str, unit: str | None = None) -> str | None:
    v = _n(fig, role)
    if v is None:
        return None
    ind = fig.catalog.indicators[fig.code(role)]
    return f"{vn_number(v)} {unit if unit is not None else ind.unit}".strip()


def _of(fig: Figures, part: str, whole: str, noun: str) -> str | None:
    """'146/158 vụ việc, đạt 92,4%' — the part, its whole named, and the ratio."""
    p, w = _n(fig, part), _n(fig, whole)
    if p is None or w is None:
        return None
    pct = vn_percent(p, w)
    return f"{vn_number(p, pad=False)}/{vn_number(w, pad=False)} {noun}" + (f", đạt {pct}" if pct else "")


def _flag(fig: Figures, role: str, places: str) -> str | None:
    """'14/14 xã, thị trấn' for a consolidated flag; 'Có'/'Không' turned into words for one unit."""
    v = fig.said(role)
    if v is None:
        return None
    if not isinstance(v, str):  # consolidated: how many units answered Có
        n = fig.totals.flag_units.get(fig.code(role)) or fig.totals.units
        return f"{vn_number(v, pad=False)}/{vn_number(n, pad=False)} {places}"
    return None if v not in ("Có", "Không") else ("có" if v == "Có" else "chưa có")


def _places(fig: Figures) -> str:
    """What the units in “14/14 …” are: the kinds their names give, else all the kinds a commune can be."""
    return fig.places or ("xã, phường, thị trấn" if fig.level != "xa" else "xã")


def _join(parts: list[str | None]) -> str | None:
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else None


def _said(f: Figures, role: str, text: str, nonzero: bool = False) -> str | None:
    """``text`` with the figure ``role`` and its unit in place of ``{}``; None when nobody reported it
    (``nonzero``: nor when it is 0)."""
    v = _n(f, role)
    if v is None or (nonzero and not v):
        return None
    return text.format(_count(f, role))


def _lead(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """I: direction, training, inspection; the steering committee."""
    docs = _count(f, "documents")
    if docs:
        by = [_said(f, "documents_party", "cấp ủy đảng {}"), _said(f, "documents_authorities", "chính quyền {}"),
              _said(f, "documents_front", "Mặt trận Tổ quốc và các đoàn thể {}")]
        add("lead", f"trong kỳ đã ban hành {docs} lãnh đạo, chỉ đạo thực hiện dân chủ ở cơ sở"
            + (" (" + ", ".join(x for x in by if x) + ")" if any(by) else ""))
    trainings = _said(f, "trainings", "tổ chức {} tuyên truyền, phổ biến, tập huấn")
    if trainings:
        add("lead", trainings + (_said(f, "training_attendances", " với {} tham dự") or ""))
    inspections = _of(f, "inspections_done", "inspections_planned", "cuộc kiểm tra theo kế hoạch")
    if inspections:
        add("lead", "thực hiện " + inspections + (_said(f, "thematic_supervisions", "; giám sát chuyên đề {}") or ""))
    meetings = _said(f, "steering_meetings", "Ban Chỉ đạo họp {}")
    if meetings:
        add("steering", meetings
            + ("; Ban Chỉ đạo được kiện toàn trong kỳ" if f.said("steering_reorganised") == "Có" else ""))


_MATTERS = (("matters_public", "công khai để Nhân dân biết"), ("matters_decided", "Nhân dân bàn và quyết định"),
            ("matters_commented", "Nhân dân tham gia ý kiến"), ("matters_supervised", "Nhân dân kiểm tra, giám sát"))


def _dialogue(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """II.1–II.2: dialogue with the people, and what the people know, decide, comment and supervise."""
    dialogue = _flag(f, "dialogue_rules", _places(f))
    if dialogue and not isinstance(f.said("dialogue_rules"), str):
        add("commune", f"{dialogue} có quy chế và tổ chức đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền "
                       "với Nhân dân")
    elif dialogue:
        add("commune", f"{dialogue} quy chế và tổ chức đối thoại trực tiếp với Nhân dân")
    dialogues = _said(f, "dialogues", "tổ chức {} đối thoại")
    if dialogues:
        answered = _of(f, "petitions_answered", "petitions_raised", "ý kiến, kiến nghị")
        add("commune", dialogues + (f"; đã trả lời, giải quyết {answered}" if answered else ""))
    known = [(role, what) for role, what in _MATTERS if _n(f, role) is not None]
    if known:
        add("commune", "thực hiện " + ", ".join(f"{vn_number(_n(f, role))} nội dung {what}" for role, what in known))


def _front(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """II.3: the Fatherland Front's supervision and social criticism."""
    program = _flag(f, "front_programme", _places(f))
    add("front", _join([
        f"{program} có chương trình giám sát, phản biện xã hội được cấp ủy phê duyệt"
        if program and not isinstance(f.said("front_programme"), str) else None,
        _said(f, "front_supervisions", "Mặt trận Tổ quốc và các đoàn thể giám sát {}"),
        _said(f, "front_criticisms", "phản biện xã hội, góp ý xây dựng Đảng, xây dựng chính quyền {}")]))


def _people(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """II.4–II.7: contributions, mediation, village covenants, people's inspection."""
    money, land = _n(f, "money_contributed"), _n(f, "land_donated")
    given = [None if money is None else f"{vn_number(money, pad=False)} triệu đồng", _count(f, "workdays_contributed"),
             None if land is None else f"hiến {vn_number(land, pad=False)} m² đất"]
    if any(given):
        add("commune", "Nhân dân đóng góp xây dựng nông thôn mới, đô thị văn minh " + ", ".join(g for g in given if g))
    cases = _said(f, "mediation_cases", "tiếp nhận {} việc")
    if cases:
        success = _of(f, "mediation_successful", "mediation_cases", "vụ việc")
        rest = [r for r in (_said(f, "mediation_unsuccessful", "không thành {}", nonzero=True),
                            _said(f, "mediation_in_progress", "đang hòa giải {}", nonzero=True)) if r]
        add("commune", (_said(f, "mediation_teams", "{} hòa giải ở cơ sở ") or "các tổ hòa giải ") + cases
            + (f", hòa giải thành {success}" if success else "") + ("; " + ", ".join(rest) if rest else ""))
    covenants = _of(f, "villages_with_covenant", "villages", "thôn, tổ dân phố có hương ước, quy ước được công nhận")
    if covenants:
        add("commune", covenants[0].upper() + covenants[1:]
            + (_said(f, "covenants_amended", "; sửa đổi, bổ sung {} hương ước, quy ước", nonzero=True) or ""))
    inspectors = _flag(f, "inspection_board", _places(f))
    add("commune", _join([
        f"{inspectors} có Ban Thanh tra nhân dân" if inspectors and not isinstance(f.said("inspection_board"), str)
        else None,
        _said(f, "inspection_board_inspections", "Ban Thanh tra nhân dân thực hiện {} thanh tra, giám sát"),
        _said(f, "investment_supervisions", "Ban Giám sát đầu tư của cộng đồng giám sát {}")]))


def _reform(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """II.8: the one-stop shop."""
    received = _said(f, "files_received", "bộ phận một cửa tiếp nhận {}")
    if received:
        on_time = _of(f, "files_on_time", "files_resolved", "hồ sơ đúng hạn")
        happy = _of(f, "survey_satisfied", "survey_forms", "phiếu hài lòng")
        add("reform", received + (_said(f, "files_online", " (trực tuyến {})") or "")
            + (_said(f, "files_resolved", ", đã giải quyết {}") or "")
            + (f", trong đó {on_time}" if on_time else "") + (f"; khảo sát mức độ hài lòng: {happy}" if happy else ""))


_MODELS = (("models_maintained", "duy trì"), ("models_replicated", "nhân rộng"), ("models_new", "đăng ký mới"))


def _complaints(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """II.9–II.10: citizens received, complaints resolved; the "skilful mass mobilisation" models."""
    parts = [_said(f, "citizen_receptions", "tiếp {} công dân"),
             _said(f, "complaints_received", "tiếp nhận {} khiếu nại, tố cáo, kiến nghị, phản ánh")]
    if any(parts):
        solved = _of(f, "complaints_resolved", "complaints_in_competence", "đơn thuộc thẩm quyền")
        if solved:
            parts.append(f"đã giải quyết {solved}"
                         + (_said(f, "complaints_pending", "; còn {} đang giải quyết", nonzero=True) or ""))
        add("commune", _join(parts))
    models = [m for m in (_said(f, role, what + " {}") for role, what in _MODELS) if m]
    if models:
        add("commune", "mô hình “Dân vận khéo”: " + ", ".join(models))


_AGENCIES = (("agencies_staff_conference", "tổ chức hội nghị cán bộ, công chức, viên chức"),
             ("agencies_democracy_rules", "ban hành, sửa đổi quy chế thực hiện dân chủ"),
             ("agencies_one_stop", "thực hiện một cửa điện tử, một cửa liên thông"),
             ("agencies_inspection_board", "có Ban Thanh tra nhân dân"))


def _state(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """III: state agencies and public service units."""
    total = _count(f, "agencies")
    if total:
        parts = [f"{what} {share}" for role, what in _AGENCIES
                 if (share := _of(f, role, "agencies", "cơ quan, đơn vị"))]
        add("state", f"trong số {total} trực thuộc: " + "; ".join(parts) if parts else f"có {total} trực thuộc")


_UNION_HELD = (("enterprises_workers_conference", "tổ chức hội nghị người lao động"),
               ("enterprises_labour_agreement", "ký kết thỏa ước lao động tập thể"))


def _enterprises(f: Figures, add: Callable[[str, str | None], None]) -> None:
    """IV: enterprises."""
    total = _said(f, "enterprises", "trên địa bàn có {}")
    if not total:
        return
    party, union = _n(f, "enterprises_party"), _n(f, "enterprises_union")
    add("enterprise", ", ".join(p for p in (
        total, None if party is None else f"{vn_number(party)} có tổ chức đảng",
        None if union is None else f"{vn_number(union)} có tổ chức công đoàn, tổ chức đại diện người lao động") if p))
    held = [f"{what} {share}" for role, what in _UNION_HELD
            if (share := _of(f, role, "enterprises_union", "doanh nghiệp có công đoàn"))]
    if held:
        add("enterprise", "; ".join(held))
    rules, strikes = _n(f, "enterprises_democracy_rules"), _n(f, "strikes")
    add("enterprise", _join([
        None if rules is None else f"{vn_number(rules)} doanh nghiệp ban hành quy chế dân chủ ở nơi làm việc",
        _said(f, "workplace_dialogues", "tổ chức {} đối thoại tại nơi làm việc"),
        _said(f, "strikes", "xảy ra {} đình công, ngừng việc tập thể", nonzero=True)
        or ("không xảy ra đình công, ngừng việc tập thể" if strikes == 0 else None)]))


# The parts of the report in the order their sentences are written.
_PARTS = (_lead, _dialogue, _front, _people, _reform, _complaints, _state, _enterprises)


def section_sentences(fig: Figures) -> dict[str, list[str]]:
    """Outline key -> the numeric sentences of that part of the report (none when nobody reported)."""
    out: dict[str, list[str]] = {}

    def add(key: str, text: str | None) -> None:
        if text:
            out.setdefault(key, []).append(text[0].upper() + text[1:] + ("" if text.endswith(".") else "."))

    for part in _PARTS:
        part(fig, add)
    return out


def trend_lines(fig: Figures) -> list[str]:
    """Per headline figure, what it is now and how it changed from the previous period and the same
    period a year earlier (“…: 158 vụ, tăng 12 vụ (8,2%) so với cùng kỳ năm trước, bằng quý trước.”);
    none without history (``fig.trend``) or for a figure with no earlier value to compare."""
    trend = fig.trend
    if trend is None:
        return []
    out = []
    for ind in trend.headline:
        changes = trend.changes(ind)
        now = _trend_now(fig, ind)
        if changes and now:
            said = ", ".join(change_words(c, ind, fig.period, _places(fig)) for c in changes)
            out.append(f"{headline_label(fig.catalog, ind)}: {now}, {said}.")
    return out


def _trend_now(fig: Figures, ind: Indicator) -> str | None:
    """The current figure of a trend line: “158 vụ”, “92,4%”, “12/14 xã, thị trấn”."""
    if ind.kind == "ratio":
        return vn_percent(_number(fig, ind.numerator), _number(fig, ind.denominator))
    v = fig.value(ind.code)
    if v is None or isinstance(v, str):
        return None
    if ind.kind == "flag":
        n = fig.totals.flag_units.get(ind.code) or fig.totals.units
        return f"{vn_number(v, pad=False)}/{vn_number(n, pad=False)} {_places(fig)}"
    return f"{vn_number(v, pad=False)} {ind.unit}".strip()


def headline_label(catalog: Catalog, ind: Indicator) -> str:
    """An indicator's name standing alone: a sub-item (“- Hòa giải thành”) under the item above it
    (“Số vụ việc tiếp nhận hòa giải: hòa giải thành”)."""
    label = ind.label.strip()
    if not label.startswith("-"):
        return label
    own = label.lstrip("- ").strip()
    for prefix in ("Trong đó:", "trong đó:"):
        own = own[len(prefix):].strip() if own.startswith(prefix) else own
    codes = list(catalog.indicators)
    above = next((catalog.indicators[c] for c in reversed(codes[:codes.index(ind.code)])
                  if not catalog.indicators[c].label.strip().startswith("-")), None)
    return f"{above.label}: {_lower_first(own)}" if above is not None else own


# --- the data window and the words of the period -----------------------------------------------------------
def data_window(period: Period) -> tuple[dt.date, dt.date]:
    """The usual cut-off window of a period (``periods.Period.window``, Decree 09/2019/NĐ-CP)."""
    return period.window


def period_words(period: Period) -> str:
    """'năm 2020', 'quý I năm 2023', '6 tháng đầu năm 2023'."""
    label = period.label("vi")
    return label[0].lower() + label[1:]


# --- the context of the template ---------------------------------------------------------------------------
def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_NBSP = "\u00a0"
_COMMITTEE = "Ban Chỉ đạo thực hiện dân chủ ở cơ sở"


def _heading_context(fig: Figures, style: str, date: dt.date) -> dict:
    """The header block, the number, the date line and who issues the report, by style: Decree 30's
    “ỦY BAN NHÂN DÂN / HUYỆN KBANG”, “Số: …/BC-UBND”; Guide 36's “HUYỆN ỦY KBANG / BAN CHỈ ĐẠO …”,
    “Số -BC/BCĐ”."""
    unit = (fig.unit_name or "").strip()
    hd36 = style == "hd36"
    number = ("Số" + _NBSP * 8 + "-BC/BCĐ") if hd36 else ("Số:" + _NBSP * 8 + "/BC-UBND")
    if fig.report_number:  # the number the appendix's “Kèm theo” line gives this report
        number = ("Số " if hd36 else "Số: ") + fig.report_number
    issuer = f"{_COMMITTEE} {_lower_first(unit)}" if hd36 else f"Ủy ban nhân dân {_lower_first(unit)}"
    return {
        "organ_parent": party_committee(unit) if hd36 else "ỦY BAN NHÂN DÂN",
        # the committee's name breaks after “THỰC HIỆN”, never inside “dân chủ”
        "organ": ("BAN CHỈ ĐẠO THỰC HIỆN " + "DÂN CHỦ Ở CƠ SỞ".replace(" ", _NBSP)) if hd36 else unit.upper(),
        "number_line": number, "issuer": issuer, "date": vn_date(date),
        "date_line": f"{place_name(unit) or '…'}, {vn_date(date)}",
        "appendix_note": f"(Kèm theo Báo cáo {number.replace('Số:', 'số').replace('Số', 'số')} {vn_date(date)} "
                         f"của {issuer})",
    }


def default_recipients(fig: Figures) -> list[str]:
    """“Nơi nhận” unless told: the steering committee above, and the file copy."""
    above = (fig.parent_name or "").strip()
    return [f"{_COMMITTEE} {_lower_first(above)}" if above else _COMMITTEE + " cấp trên", "Lưu: VT"]


def _recipients_context(fig: Figures, recipients: list[str] | None) -> dict:
    """“Nơi nhận” one line each ('- …;', the last '- Lưu: VT.'); “Kính gửi” the committee above
    whenever a line says “Như trên”."""
    given = [r.strip().rstrip(";.").strip() for r in (recipients or default_recipients(fig))]
    given = [r for r in given if r]
    lines = [f"- {r}" + ("." if n == len(given) - 1 else ";") for n, r in enumerate(given)]
    as_above = any(r.lower() == "như trên" for r in given)
    return {"recipients": lines, "addressee": default_recipients(fig)[0] if as_above else ""}


def sign_lines(style: str, signer_title: str | None = None) -> list[str]:
    """The lines above the signer's name: on behalf of the body (T/M, TM.), and a deputy signing
    for the head (K/T, KT.) as Hướng dẫn 36-HD/VPTW and Decree 30/2020 write them; the deputy is
    told by a title beginning “Phó” (“PHÓ TRƯỞNG BAN” signs under “K/T TRƯỞNG BAN”, “PHÓ CHỦ TỊCH”
    under “TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH”)."""
    hd36 = style == "hd36"
    title = unicodedata.normalize("NFC", " ".join((signer_title or "").split())).upper()
    head = title or ("TRƯỞNG BAN" if hd36 else "CHỦ TỊCH")
    body = "T/M BAN CHỈ ĐẠO" if hd36 else "TM. ỦY BAN NHÂN DÂN"
    if head.startswith("PHÓ ") and hd36:
        return [f"K/T {head[4:]}", head]  # a deputy of a steering committee signs for its head
    if head.startswith("PHÓ "):
        return [body, f"KT. {head[4:]}", head]
    return [body, head]


def report_context(fig: Figures, style: str = "nd30", signer: str | None = None, signer_title: str | None = None,
                   date: dt.date | None = None, heading: str | None = None,
                   recipients: list[str] | None = None) -> dict:
    """Everything a template's tags can use (README lists them). ``date``: the document's date (default:
    the date the data gives, ``fig.report_date``, else the end of the data window; never the clock)."""
    if style not in STYLES:
        raise QcdcError("report-style", value=style, known=", ".join(STYLES))
    start, end = data_window(fig.period)
    date = date or fig.report_date or end
    ind = {}
    for code, item in fig.catalog.indicators.items():
        v = fig.value(code)
        entry = {"code": code, "label": item.label, "unit": item.unit, "value": None, "text": ""}
        if item.kind == "ratio":
            num, den = _number(fig, item.numerator), _number(fig, item.denominator)
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
                         "value": (shown or "—").replace(" ", _NBSP), "heading": False})  # a figure never breaks
    appendix = _without_lone_headings(appendix)
    assessment = fig.code("assessment")
    notes = [{"unit": name or unit, "code": code, "kind": "Nhận xét, đánh giá" if code == assessment else "Kiến nghị, đề xuất",
              "text": text} for unit, name, code, text in fig.notes]
    return {
        "style": style, "hd36": style == "hd36", **_heading_context(fig, style, date),
        **_recipients_context(fig, recipients),
        "unit_name": fig.unit_name, "unit_code": fig.unit_code, "level": fig.level,
        "period": fig.period.code, "period_words": period_words(fig.period),
        "window_start": start.strftime("%d/%m/%Y"), "window_end": end.strftime("%d/%m/%Y"),
        "title": heading or "Kết quả thực hiện dân chủ ở cơ sở " + period_words(fig.period),
        "units": fig.totals.units, "units_text": vn_number(fig.totals.units), "consolidated": fig.consolidated,
        "ind": ind, "i": ind_by_safe, "s": sentences,
        "lead": sentences.get("lead", []), "steering": sentences.get("steering", []),
        "front": sentences.get("front", []), "commune": sentences.get("commune", []),
        "reform": sentences.get("reform", []), "state": sentences.get("state", []),
        "enterprise": sentences.get("enterprise", []), "trend": trend_lines(fig),
        "notes": notes, "appendix": appendix,
        "signer": signer or "", "signer_title": (signer_title or "").upper(),
        "sign_lines": sign_lines(style, signer_title),
        "placeholder": {k: PLACEHOLDER.format(what=w) for k, w in (
            ("situation", "khái quát đặc điểm, tình hình"), ("achievements", "kết quả đạt được"),
            ("limitations", "hạn chế, yếu kém"), ("causes", "nguyên nhân của hạn chế"),
            ("tasks", "nhiệm vụ, giải pháp trọng tâm kỳ tới"), ("proposals", "kiến nghị, đề xuất"))},
    }


def _without_lone_headings(rows: list[dict]) -> list[dict]:
    """The appendix's rows without a heading that nothing follows but another heading or the end (a
    section whose figures are all texts): no heading is left alone, last on a page or of the table."""
    kept: list[dict] = []
    for row in reversed(rows):
        nxt = kept[-1] if kept else None
        if row["heading"] and (nxt is None or (nxt["heading"] and (nxt["stt"] or not row["stt"]))):
            continue
        kept.append(row)
    return kept[::-1]


# --- the default template -----------------------------------------------------------------------------------
def default_template(style_title: str | None = None) -> bytes:
    """The default Word template (Decree 30/2020 layout), with docxtpl tags, as .docx bytes.

    Built in code, in the order the document reads: the page, the letterhead, the title, the body's
    sections, the recipients and signature, and the appendix table on its own page.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    _page_setup(doc)
    w = _Paragraphs(doc)
    _letterhead(doc)
    w.para("")
    w.para("BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    w.para("{{ title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    w.para("(Số liệu tính từ ngày {{ window_start }} đến ngày {{ window_end }})", italic=True,
           align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    w.tag("{%p if addressee %}")
    w.para("Kính gửi: {{ addressee }}.", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    w.tag("{%p endif %}")
    w.para("{{ placeholder.situation }}", color="C00000")
    _body(w)
    _signature(doc)
    _appendix_table(doc, w)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class _Paragraphs:
    """Adds the template's paragraphs to ``doc``: text in the house style, and docxtpl block tags."""

    def __init__(self, doc) -> None:
        self.doc = doc

    def para(self, text: str = "", bold=False, italic=False, size=14, align=None, indent=True, color=None, keep=False):
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
        from docx.shared import Cm, Pt, RGBColor

        p = self.doc.add_paragraph()
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

    def tag(self, text: str):
        """A paragraph that only holds a docxtpl block tag ({%p … %}): it disappears when rendered."""
        return self.doc.add_paragraph(text)

    def lines_of(self, key: str) -> None:
        """One paragraph per line of the sentence list ``key``."""
        self.tag("{%p for line in " + key + " %}")
        self.para("{{ line }}")
        self.tag("{%p endfor %}")

    def heading(self, title: str, italic: bool = False, bold: bool = True) -> None:
        self.para(title, bold=bold, italic=italic, indent=False, keep=True)


def _page_setup(doc) -> None:
    """A4 portrait with Decree 30's margins and font, page numbers centred at the top from page 2."""
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

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


def _letterhead(doc) -> None:
    """The header block: the organ (left) and the national motto or the Party's name (right), the
    number under the organ and the date line under the motto. The grid's columns and the cells
    have one width, so Word and LibreOffice agree and the motto holds on one line; the rule under
    “Độc lập - Tự do - Hạnh phúc” (and under “ĐẢNG CỘNG SẢN VIỆT NAM”) is the line's underline, as
    long as the words."""
    from docx.enum.table import WD_TABLE_ALIGNMENT

    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = _fixed_widths(head, (6.4, 10.1))
    plain, bold, ruled = {"size": 13}, {"bold": True, "size": 13}, {"bold": True, "size": 13, "underline": True}
    dated = {"italic": True, "size": 14}
    _lines(left, [[("{{ organ_parent }}", plain)], [("{{ organ }}", bold)],
                  [("{% if hd36 %}*{% else %}———{% endif %}", plain)], [("{{ number_line }}", plain)]])
    _lines(right, [[("{% if hd36 %}", plain), ("ĐẢNG CỘNG SẢN VIỆT NAM", ruled), ("{% else %}", plain),
                    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 12}), ("{% endif %}", plain)],
                   [("{% if not hd36 %}", plain), ("Độc lập - Tự do - Hạnh phúc", ruled), ("{% endif %}", plain)],
                   [("{% if hd36 %}{{ date_line }}{% endif %}", dated)],  # Guide 36: under the Party's name
                   [("{% if not hd36 %}{{ date_line }}{% endif %}", dated)]])


def _fixed_widths(table, widths_cm: tuple[float, ...]):
    """Fix ``table``'s layout: each grid column and each cell ``widths_cm`` wide; the first row's cells."""
    from docx.shared import Cm

    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    return table.rows[0].cells


def _lines(cell, lines: list[list[tuple[str, dict]]]) -> None:
    """``cell``'s paragraphs, centred: one per line, each a list of runs (text, look)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cell.paragraphs[0].text = ""
    for n, runs in enumerate(lines):
        p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        for text, look in runs:
            r = p.add_run(text)
            r.bold, r.italic, r.font.size = look.get("bold", False), look.get("italic", False), Pt(look["size"])
            r.underline = look.get("underline", False)


def _body(w: _Paragraphs) -> None:
    """Parts I to IV: the figures' sentences where the tool writes them, placeholders where people do."""
    w.heading("I. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO VÀ HOẠT ĐỘNG CỦA BAN CHỈ ĐẠO")
    w.lines_of("lead")
    for title, key in (("Hoạt động của Ban Chỉ đạo", "steering"),
                       ("Vai trò của Mặt trận Tổ quốc và các tổ chức chính trị - xã hội", "front")):
        w.tag("{%p if " + key + " %}")
        w.heading(title, italic=True, bold=False)
        w.lines_of(key)
        w.tag("{%p endif %}")
    w.heading("II. KẾT QUẢ THỰC HIỆN DÂN CHỦ Ở CƠ SỞ")
    for sub_title, key in (("1. Dân chủ ở xã, phường, thị trấn", "commune"),
                           ("2. Cải cách hành chính, cơ chế một cửa", "reform"),
                           ("3. Dân chủ trong cơ quan hành chính nhà nước, đơn vị sự nghiệp công lập", "state"),
                           ("4. Dân chủ ở các loại hình doanh nghiệp", "enterprise")):
        w.tag("{%p if " + key + " %}")
        w.heading(sub_title, italic=True)
        w.lines_of(key)
        w.tag("{%p endif %}")
    w.tag("{%p if trend %}")  # only with the history of earlier periods (--previous)
    w.heading("5. So sánh với kỳ trước và cùng kỳ năm trước", italic=True)
    w.lines_of("trend")
    w.tag("{%p endif %}")
    w.heading("III. ĐÁNH GIÁ CHUNG")
    for sub_title, key in (("1. Kết quả đạt được", "achievements"), ("2. Hạn chế, yếu kém", "limitations"),
                           ("3. Nguyên nhân của hạn chế", "causes")):
        w.heading(sub_title, italic=True)
        w.para("{{ placeholder." + key + " }}", color="C00000")
    w.heading("IV. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM VÀ KIẾN NGHỊ, ĐỀ XUẤT")
    for sub_title, key in (("1. Nhiệm vụ, giải pháp", "tasks"), ("2. Kiến nghị, đề xuất", "proposals")):
        w.heading(sub_title, italic=True)
        w.para("{{ placeholder." + key + " }}", color="C00000")
    w.tag("{%p if notes %}")
    w.para("Ý kiến các đơn vị gửi kèm báo cáo (tư liệu để viết các phần trên, xóa trước khi ban hành):",
           italic=True, size=13, indent=False, color="1F4E79", keep=True)
    w.tag("{%p for n in notes %}")
    w.para("- {{ n.unit }} ({{ n.kind }}): {{ n.text }}", size=13, color="1F4E79", indent=False)
    w.tag("{%p endfor %}")
    w.tag("{%p endif %}")
    w.para("Trên đây là báo cáo {{ title[0]|lower }}{{ title[1:] }}.", keep=True)


def _signature(doc) -> None:
    """The recipients (left: “Nơi nhận”, one line each, the template field ``recipients``) and who
    signs (right)."""
    from docx.shared import Pt

    doc.add_paragraph().paragraph_format.keep_with_next = True
    sign = doc.add_table(rows=1, cols=2)
    _row_flags(sign.rows[0], "w:cantSplit")  # the recipients and the signature on one page
    left, right = _fixed_widths(sign, (7.5, 9))
    p = left.paragraphs[0]
    for text, look in (("{% if hd36 %}", {}), ("Nơi nhận:", {"underline": True}), ("{% else %}", {}),
                       ("Nơi nhận:", {"bold": True, "italic": True}), ("{% endif %}", {})):
        r = p.add_run(text)  # Guide 36 underlines “Nơi nhận:”, Decree 30 sets it bold italic
        r.bold, r.italic, r.underline = look.get("bold"), look.get("italic"), look.get("underline")
        r.font.size = Pt(12)
    p.paragraph_format.space_after = Pt(0)
    left.add_paragraph("{%p for line in recipients %}")
    q = left.add_paragraph()
    q.paragraph_format.space_after = Pt(0)
    q.add_run("{{ line }}").font.size = Pt(11)
    left.add_paragraph("{%p endfor %}")
    bold = {"bold": True, "size": 14}
    _lines(right, [[("{%p for line in sign_lines %}", bold)], [("{{ line }}", bold)], [("{%p endfor %}", bold)],
                   *[[("", bold)]] * 4, [("{{ signer }}", bold)]])


def _appendix_table(doc, w: _Paragraphs) -> None:
    """The appendix as a table, on its own page: one docxtpl row loop over the figures. Its header
    row repeats on every page, no row splits across pages, the figures stand right-aligned and
    section rows are bold."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    title = w.para("PHỤ LỤC SỐ LIỆU", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    title.paragraph_format.page_break_before = True  # a new page, and no blank one when the signature fills its page
    w.para("{{ appendix_note }}", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, keep=True)
    w.para("{{ unit_name }} — {{ period_words }}", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
           keep=True)
    table = doc.add_table(rows=3, cols=5)  # the header, then the loop's tags and rows
    table.style = "Table Grid"
    widths = (1.25, 1.9, 6.45, 2.7, 4.2)  # “II.10.1” and “99,5% (7.404/7.438)” each on one line
    _fixed_widths(table, widths)
    aligns = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT,
              WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT)
    for cell, text in zip(table.rows[0].cells, ("STT", "Mã", "Nội dung", "ĐVT", "Số liệu")):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _tight(cell.paragraphs[0])
        r = cell.paragraphs[0].add_run(text)
        r.bold, r.font.size = True, Pt(12)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for row in appendix %}")
    table.rows[2].cells[0].paragraphs[0].add_run("{%tr if row.heading %}")
    fields = ("stt", "code", "label", "unit", "value")
    for heading in (True, False):  # a section row: bold, kept with the row under it; a figure's row
        row = table.add_row()
        for cell, field, align in zip(row.cells, fields, aligns):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = align
            paragraph.paragraph_format.keep_with_next = heading
            _tight(paragraph)
            r = paragraph.add_run("{{ row." + field + " }}")
            r.bold, r.font.size = heading, Pt(12)
        table.add_row().cells[0].paragraphs[0].add_run("{%tr else %}" if heading else "{%tr endif %}")
    end_row = table.add_row()
    end_row.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    _row_flags(table.rows[0], "w:tblHeader")
    for row in table.rows:
        _row_flags(row, "w:cantSplit")


def _tight(paragraph) -> None:
    """A table cell's paragraph: single spacing, 2 pt above and below (the body's 6 pt after and 1.15
    lines would spread the appendix over a page more)."""
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(2), Pt(2), 1.0


def _row_flags(row, tag: str) -> None:
    """Set the table row property ``tag`` (``w:tblHeader``: repeat on every page; ``w:cantSplit``:
    never split across pages)."""
    from docx.oxml import OxmlElement

    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement(tag))


# --- rendering ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Letter:
    """What the office decides about the letter rather than the figures: who signs and under which
    title, its date (default: from the data, see :func:`report_context`), its heading and recipients."""
    signer: str | None = None
    signer_title: str | None = None
    date: dt.date | None = None
    heading: str | None = None
    recipients: tuple[str, ...] | None = None


def render_report(fig: Figures, out: str | Path, template: str | Path | None = None, style: str = "nd30",
                  letter: Letter | None = None) -> Path:
    """Write the draft report of ``fig`` to ``out`` (atomically); returns the path."""
    import jinja2
    from docxtpl import DocxTemplate

    from .report_tags import syntax_error, unknown_tag

    let = letter or Letter()
    context = report_context(fig, style, let.signer, let.signer_title, let.date, let.heading,
                             list(let.recipients) if let.recipients is not None else None)
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


__all__ = ["Figures", "Letter", "figures_from_file", "figures_from_consolidation", "render_report", "write_report",
           "report_context", "default_template", "section_sentences", "vn_number", "vn_percent", "data_window"]
