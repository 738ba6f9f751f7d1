"""The feedback copy's front sheet “KẾT QUẢ KIỂM TRA”, described once.

Like ``form_sheet`` for the printed form, this module says what the front sheet holds and how it
looks, as writer-neutral data: the title, the information rows with the verdict, the guide, the
findings table with its live "state" formulas, widths, heights, merges, styles, the conditional
format that turns a fixed verdict green, the printed title row, the page and the protection. Both
ways of making a feedback copy draw this one description: ``feedback_zip`` writes it as
SpreadsheetML into the unit's own package, and ``feedback`` draws it with openpyxl when the
package cannot be edited; neither lays the sheet out itself, so the two cannot drift.

For an accepted file (with or without warnings) the front sheet is the office's receipt, titled
“BIÊN NHẬN BÁO CÁO”; for a file to fix it is “KẾT QUẢ KIỂM TRA BÁO CÁO”. Both say who received the
file, when (Vietnam time), which file (its name and its SHA-256 shortened to four groups of four
hexadecimal digits, the start of what ``sha256sum`` prints), and the figures' fingerprint “Mã số
liệu” (``fingerprint.figures_fingerprint``). The full SHA-256 is kept in the file, on a row below
the printed area. With warnings the receipt is the front sheet of the unit's workbook, landscape as
below. A clean file's receipt is an official paper of its own (:func:`describe_receipt`, written as a
one-page workbook by ``feedback_zip.receipt_workbook``): one A4 portrait page with the receiving
office's organ block and the national motto, the title centred, the same information as “label:
value” lines, the result as a sentence, the place and the day received, and the receiver's
signature block.

The layout (rows top to bottom)::

    1       title
    3..11   information: Cơ quan nhận, Thời điểm nhận, Tệp, Đơn vị, Kỳ báo cáo, Kết quả (the verdict,
            live), counts, Dấu tệp (short SHA-256), Mã số liệu
    12      what to do, by result
    14      the findings table's header (repeated on every printed page)
    15..    one row per finding, or “Không phát hiện lỗi.” across the table (a box, every side lined)
    last+2  the full SHA-256, outside the print area (kept in the file, not printed)

Every printed page has “Trang 1/N” in its footer, as the form's pages do; a copy sent back to be
fixed also says in its footer that it is not a valid report (:data:`RETURNED_FOOTER`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .feedback_live import DONE_CONDITION, finding_state, verdict_formula
from .form import FEEDBACK_SHEET, FONT
from .form_sheet import ALERT_TEXT, GRID_LINE, MOTTOS, ORGAN_RULES, CondFormat, Style
from .i18n import QcdcError
from .periods import VN_TIME, parse_period, vn_date
from .record import Submission, status_label
from .roster import Office, place_name

# What the front sheet tells the unit to do, by result. Most units get a clean file back: for them
# it is a receipt (the SHA-256 above names exactly the file received), with nothing to fix.
GUIDES = {
    "accepted": (
        "Báo cáo đã được tiếp nhận, không phát hiện lỗi: không cần gửi lại. Giữ tệp này làm biên nhận "
        "(dấu tệp SHA-256 ở trên xác định đúng tệp đã nhận).",
        "The report was received and no problem was found: nothing to send again. Keep this file as your "
        "receipt (the SHA-256 fingerprint above identifies the very file received)."),
    "accepted-with-warnings": (
        "Báo cáo được chấp nhận. Xem các cảnh báo dưới đây (ô tô vàng trên trang “Phụ lục”, địa chỉ ô ở cột “Ô” "
        "bên dưới): nếu số liệu đúng thì không cần gửi lại; nếu sai, sửa ngay trên tệp này, lưu dạng "
        ".xlsx và gửi lại chính tệp này.",
        "The report is accepted. Read the warnings below (yellow cells on the 'Phụ lục' sheet, their address "
        "in the Cell column below): if the figures are right, nothing to send again; if not, fix them in this file, save "
        "as .xlsx and send this same file back."),
    "rejected": (
        "Sửa trực tiếp các ô tô màu trên trang “Phụ lục” (địa chỉ ô ở cột “Ô” bên dưới): ô sửa đúng "
        "hết tô màu và cột “Tình trạng” ghi “Đã sửa”. Lưu tệp dạng .xlsx và gửi lại chính tệp này.",
        "Fix the coloured cells on the 'Phụ lục' sheet (their address is in the Cell column below): a fixed cell loses "
        "its colour and 'State' says Fixed. Save as .xlsx and send this same file back."),
}
TITLE = ("KẾT QUẢ KIỂM TRA BÁO CÁO", "REPORT CHECK RESULT")
RECEIPT_TITLE = ("BIÊN NHẬN BÁO CÁO", "REPORT RECEIPT")
RETURNED_FOOTER = ("Bản trả lại để sửa — không phải báo cáo hợp lệ", "Returned to be fixed — not a valid report")
PAGE_FOOTER = ('&"Times New Roman,Regular"&10Trang &P/&N',  # as the form's own pages (form_sheet)
               '&"Times New Roman,Regular"&10Page &P/&N')
NO_FINDINGS = ("Không phát hiện lỗi.", "No problems found.")
HEADER = (("STT", "STT"), ("Vấn đề", "Problem"), ("Ô", "Cell"), ("Việc cần làm", "What to do"),
          ("Tình trạng", "State"), ("Mức độ", "Severity"), ("Mã chỉ tiêu", "Indicator"))

COLUMNS = "ABCDEFG"
WIDTHS = (5, 22, 9, 62, 13, 10, 10)  # STT, problem, cell, what to do, state, severity, indicator
INFO_ROW, VERDICT_ROW, GUIDE_ROW, HEAD_ROW = 3, 8, 12, 14  # information, the verdict, the guide, the table's header
SHA_ROW = 10  # the short SHA-256 on paper
GUIDE_HEIGHT, HEAD_HEIGHT = 32, 30  # points
LINE_HEIGHT, PROBLEM_CHARS, TODO_CHARS = 15, 20, 62  # a finding row: lines of the problem and what to do
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}  # inches

# The sheet's styles by role, in the order writers register them (the package patcher appends them
# to the unit's styles in this order). The verdict's colour depends on the result: see describe_front.
_TOP = "top"
STYLES = {
    "title": Style(size=14, bold=True, valign=_TOP),
    "label": Style(bold=True, valign=_TOP),
    "value": Style(valign=_TOP),
    "verdict": Style(bold=True, valign=_TOP),
    "guide": Style(size=11, italic=True, wrap=True, valign=_TOP),
    "head": Style(size=11, bold=True, wrap=True, border=True, halign="center", valign=_TOP),
    "text": Style(size=11, wrap=True, border=True, valign=_TOP),
    "centred": Style(size=11, wrap=True, border=True, halign="center", valign=_TOP),
    "state": Style(size=11, bold=True, wrap=True, border=True, halign="center", valign=_TOP),
}
# A finding row's cells: which style each column takes
ROW_STYLES = ("centred", "text", "centred", "text", "state", "centred", "centred")


@dataclass(slots=True)
class FrontCell:
    """One cell: a value (text or whole number; None: only its style, the lines of a merged box),
    or a live formula with its value now."""
    row: int
    ref: str
    value: object
    style: str  # a key of FrontSheet.styles
    formula: str | None = None
    merge_to: str | None = None  # last cell of a merged range starting here
    link: str | None = None  # a place in the workbook the cell jumps to ('Phụ lục'!E30)


@dataclass
class FrontSheet:
    """The front sheet of one feedback copy, in ``lang``; the cells in row order."""
    lang: str
    name: str = FEEDBACK_SHEET
    font: str = FONT
    styles: dict[str, Style] = field(default_factory=lambda: dict(STYLES))
    cells: list[FrontCell] = field(default_factory=list)
    widths: tuple[float, ...] = WIDTHS
    heights: dict[int, int] = field(default_factory=dict)
    cond_formats: list[CondFormat] = field(default_factory=list)  # look "ok": the verdict in bold green
    repeat_row: int | None = HEAD_ROW  # printed at the top of every page
    grid: str = GRID_LINE  # colour of the table's lines
    margins: dict[str, float] = field(default_factory=lambda: dict(MARGINS))
    landscape: bool = True  # on A4, as wide as one page, as long as it takes
    pages_high: int = 0  # pages the print area fits into top to bottom (0: as many as it takes)
    protected: bool = True
    footer: dict[str, str] = field(default_factory=dict)  # left/center/right, Excel header codes
    print_rows: int = 0  # the last printed row (the full SHA-256 lies below it)

    @property
    def footer_code(self) -> str:
        """The footer as one Excel header/footer string (``&L…&C…&R…``)."""
        return "".join(f"&{side[0].upper()}{text}" for side, text in self.footer.items())

    @property
    def print_area(self) -> str:
        return f"A1:{COLUMNS[len(self.widths) - 1]}{self.print_rows}"

    def put(self, ref: str, value: object, style: str, formula: str | None = None, merge_to: str | None = None,
            link: str | None = None) -> None:
        self.cells.append(FrontCell(int(ref[1:]), ref, value, style, formula, merge_to, link))

    @property
    def span(self) -> str:
        """The range the sheet's cells cover (A1:G18)."""
        return f"A1:{COLUMNS[len(self.widths) - 1]}{self.cells[-1].row}"

    def rows(self) -> list[tuple[int, list[FrontCell]]]:
        """The cells grouped by row, top to bottom."""
        out: list[tuple[int, list[FrontCell]]] = []
        for c in self.cells:
            if out and out[-1][0] == c.row:
                out[-1][1].append(c)
            else:
                out.append((c.row, [c]))
        return out


def received_text(sub: Submission, lang: str = "vi") -> str:
    """The file as the sender named it, and when the office received it when that is known:
    “BaoCao-Q3.xlsx — nhận lúc 14:32 ngày 05/12/2026”."""
    name = sub.received_name or sub.path.name
    if sub.received is None:
        return name
    when = _vn(sub.received)
    if lang == "en":
        return f"{name} — received {when:%H:%M} on {when:%d/%m/%Y} (Vietnam time)"
    return f"{name} — nhận lúc {when:%H:%M} ngày {when:%d/%m/%Y}"


def _vn(when: dt.datetime) -> dt.datetime:
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(VN_TIME)


def received_at(sub: Submission) -> dt.datetime | None:
    """When the office received the file, Vietnam time: the web desk's arrival time (the server's
    clock; only the day for a file the office took in from mail and dated), else the time the file
    was last written into the inbox folder (its modification time: when it was saved from the mail
    or Zalo); None when neither is known."""
    if sub.received is not None:
        return _vn(sub.received)
    try:
        return dt.datetime.fromtimestamp(sub.path.stat().st_mtime, VN_TIME)
    except OSError:
        return None


def received_when(sub: Submission, lang: str = "vi") -> str:
    """When the office received the file (:func:`received_at`) in words, saying when it is the
    file's time in the inbox folder; “-” when unknown."""
    when = received_at(sub)
    if when is None:
        return "-"
    how = ("", "") if sub.received is not None else (
        ", theo thời điểm tệp được lưu vào hộp thư", ", when the file was saved into the inbox")
    if when.time() == dt.time():  # a file taken in from mail: the day the office gave, no hour
        return f"{when:%d/%m/%Y}" if lang == "en" else f"ngày {when:%d/%m/%Y}"
    if lang == "en":
        return f"{when:%H:%M} on {when:%d/%m/%Y} (Vietnam time{how[1]})"
    return f"{when:%H:%M} ngày {when:%d/%m/%Y} (giờ Việt Nam{how[0]})"


def short_sha(sha256: str | None) -> str:
    """The SHA-256 as printed: its first 16 hexadecimal digits in four groups (“3f2a 9c1b 77d0 e412…”),
    the start of what ``sha256sum`` or ``certutil -hashfile … SHA256`` prints."""
    if not sha256:
        return "-"
    head = sha256.lower()[:16]
    return " ".join(head[k:k + 4] for k in range(0, 16, 4)) + "…"


def period_words(code: str | None, lang: str) -> str:
    """'Quý IV năm 2025' for '2025Q4' (the code itself if it is not one)."""
    if not code:
        return ""
    try:
        return parse_period(code).label(lang)
    except QcdcError:
        return code


def finding_height(title: str, todo: str) -> int:
    """Points of a finding row: as many lines as its problem or its "what to do" takes."""
    return LINE_HEIGHT * max(1, -(-len(todo) // TODO_CHARS), -(-len(title) // PROBLEM_CHARS)) + 3


def describe_front(sub: Submission, lang: str = "vi", office: Office | str | None = None) -> FrontSheet:
    """The front sheet of the feedback copy of ``sub``, in ``lang`` ("vi" or "en"): the receipt of
    an accepted file, the check result of one to fix. ``office``: who received it (the roster's
    consolidating unit, “Huyện Kbang”)."""
    en = int(lang == "en")
    sheet = FrontSheet(lang)
    if sub.status == "rejected":
        sheet.styles["verdict"] = Style(bold=True, color=ALERT_TEXT, valign=_TOP)
    sheet.put("A1", (RECEIPT_TITLE if sub.accepted else TITLE)[en], "title")
    _info(sheet, sub, en, office)
    sheet.put(f"A{GUIDE_ROW}", GUIDES[sub.status if sub.status in GUIDES else "rejected"][en], "guide",
              merge_to=f"G{GUIDE_ROW}")
    sheet.heights[GUIDE_ROW] = GUIDE_HEIGHT
    for col, words in zip(COLUMNS, HEADER):
        sheet.put(f"{col}{HEAD_ROW}", words[en], "head")
    sheet.heights[HEAD_ROW] = HEAD_HEIGHT
    _findings(sheet, sub, lang)
    if not sub.findings:  # the sentence reads across the table, not in the narrow STT column
        r = HEAD_ROW + 1
        sheet.put(f"A{r}", NO_FINDINGS[en], "text", merge_to=f"G{r}")
        for col in COLUMNS[1:]:  # every cell of the box lined, or its right side is missing on paper
            sheet.put(f"{col}{r}", None, "text")
    _paper(sheet, sub, en)
    return sheet


def returned_footer(en: int) -> str:
    """The left footer of every page of a copy sent back to be fixed (Excel header codes)."""
    return '&"Times New Roman,Bold"&9' + RETURNED_FOOTER[en]


def _paper(sheet: FrontSheet, sub: Submission, en: int) -> None:
    """Page numbers (and the returned copy's warning) in the footer; the full SHA-256 below the print area."""
    sheet.print_rows = sheet.cells[-1].row
    sheet.footer = {"center": PAGE_FOOTER[en]}
    if not sub.accepted:
        sheet.footer = {"left": returned_footer(en), **sheet.footer}
    r = sheet.print_rows + 2
    sheet.put(f"A{r}", ("SHA-256 đầy đủ (không in)", "Full SHA-256 (not printed)")[en], "label", merge_to=f"B{r}")
    sheet.put(f"C{r}", sub.sha256 or "-", "value", merge_to=f"G{r}")


def _info(sheet: FrontSheet, sub: Submission, en: int, office: Office | str | None) -> None:
    """The information rows; the verdict is live when typing can fix every error."""
    rows = _info_rows(sub, en, office)
    for r, (label, value) in enumerate(rows, start=INFO_ROW):
        sheet.put(f"A{r}", label, "label", merge_to=f"B{r}")
        if r != VERDICT_ROW:
            sheet.put(f"C{r}", value, "value", merge_to=f"G{r}")
            continue
        live = verdict_formula(sub, sheet.lang)
        if live is None:  # some error cannot be fixed by typing: the verdict stays as written
            sheet.put(f"C{r}", value, "verdict", merge_to=f"G{r}")
            continue
        sheet.put(f"C{r}", live[1], "verdict", live[0], merge_to=f"G{r}")
        # the verdict turns green once all is fixed
        sheet.cond_formats.append(CondFormat(f"C{r}", DONE_CONDITION.format(c=f"$C${r}"), "ok"))


def _findings(sheet: FrontSheet, sub: Submission, lang: str) -> None:
    """One table row per finding; its cell links to the place on the form, its state is live."""
    form_sheet_name = sub.layout.sheet_name if sub.layout else None
    for n, f in enumerate(sub.findings, start=1):
        r = HEAD_ROW + n
        where = f.cell if f.cell and f.sheet == form_sheet_name else (
            f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or ""))
        formula, state = finding_state(f, sub, lang)
        values = (n, f.title(lang), where, f.message(lang), state, f.severity_label(lang), f.indicator or "")
        link = "'" + f.sheet.replace("'", "''") + "'!" + f.cell if f.cell and f.sheet else None
        for col, value, style in zip(COLUMNS, values, ROW_STYLES):
            sheet.put(f"{col}{r}", value, style, formula if col == "E" else None, link=link if col == "C" else None)
        sheet.heights[r] = finding_height(values[1], values[3])



# --- the receipt of an accepted file with no finding: an official one-page paper ---------------------
# An A4 portrait page as an office issues it (Decree 30/2020): the receiving office's organ block top
# left and the national motto top right, the title centred, the information as “label: value” lines,
# the result as a sentence, then the place and date (of the time received) and the receiver's signature
# block on the right. Rows top to bottom::
#
#     1..3    organ block (parent, office in bold, short rule) | motto, its second line ruled
#     5       title “BIÊN NHẬN BÁO CÁO”
#     7..15   Cơ quan nhận, Thời điểm nhận, Tệp, Đơn vị, Kỳ báo cáo, Kết quả, counts, Dấu tệp, Mã số liệu
#     17..18  “Không phát hiện lỗi. …” and what the unit keeps
#     20..23  “Kbang, ngày 06 tháng 12 năm 2026”, “NGƯỜI NHẬN”, “(Ký, ghi rõ họ tên)”, room to sign
#     last+2  the full SHA-256, outside the print area (kept in the file, not printed)
MOTTO = (MOTTOS["nd30"], ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness"))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ORGAN_RULE = ORGAN_RULES["nd30"]  # under the office's name, as on the form
RECEIPT_SENTENCE = (
    ("Không phát hiện lỗi. Báo cáo đã được tiếp nhận, đơn vị không cần gửi lại.",
     "Đơn vị giữ tệp này làm biên nhận: dấu tệp SHA-256 ở trên xác định đúng tệp đã nhận."),
    ("No problems found. The report has been received; the unit need not send it again.",
     "Keep this file as the receipt: the SHA-256 fingerprint above identifies the very file received."))
SIGNER = (("NGƯỜI NHẬN", "(Ký, ghi rõ họ tên)"), ("RECEIVED BY", "(Signature and full name)"))
RECEIPT_WIDTHS = (36, 2, 44)  # organ block | gap | motto, date and signature
R_TITLE, R_INFO, R_SENTENCE, R_DATE = 5, 7, 17, 20  # the title, the information, the sentence, the date
LINE_CHARS, LINE_POINTS = 86, 20  # a “label: value” line: characters a line holds, its height
SIGN_ROOM = 80  # points below “(Ký, ghi rõ họ tên)”: about 28 mm to sign in
RECEIPT_MARGINS = {"left": 1.18, "right": 0.6, "top": 0.79, "bottom": 0.79, "header": 0.3, "footer": 0.3}
RECEIPT_STYLES = {
    "organ_parent": Style(halign="center"),
    "organ": Style(bold=True, halign="center", wrap=True),
    "rule": Style(size=9, halign="center", valign=_TOP),
    "motto": Style(bold=True, halign="center"),
    "motto2": Style(size=13, bold=True, underline=True, halign="center"),
    "title": Style(size=14, bold=True, halign="center"),
    "line": Style(size=13, wrap=True, valign=_TOP),
    "note": Style(size=12, italic=True, wrap=True, valign=_TOP),
    "date": Style(size=13, italic=True, halign="center"),
    "signer": Style(size=13, bold=True, halign="center"),
    "hint": Style(italic=True, halign="center", valign=_TOP),
    "label": Style(bold=True, valign=_TOP),
    "value": Style(valign=_TOP),
}


def office_lines(office: Office | str | None, en: int) -> tuple[str, str]:
    """The organ block's two lines: “UBND TỈNH GIA LAI / UBND HUYỆN KBANG” for an office the roster
    names (``roster.organ_lines``; in English the two names in capitals); an office known only by
    its name, that name in capitals; blank without one."""
    if isinstance(office, Office):
        if en:
            return (office.parent or "").upper(), office.name.upper()
        return office.organ_lines()
    return "", (office or "").upper()


def date_line(office: Office | str | None, when: dt.datetime | None, en: int) -> str:
    """“Kbang, ngày 06 tháng 12 năm 2026”: the office's place and the day the file was received."""
    place = place_name(str(office or "")) or "…"
    if when is None:
        return f"{place}, {'day … month … year …' if en else 'ngày … tháng … năm …'}"
    return f"{place}, {when.day} {MONTHS[when.month - 1]} {when.year}" if en else f"{place}, {vn_date(when.date())}"


def describe_receipt(sub: Submission, lang: str = "vi", office: Office | str | None = None) -> FrontSheet:
    """The receipt of ``sub``, an accepted file with no finding, in ``lang``: one A4 portrait page
    (see the rows above), written by ``feedback_zip.receipt_workbook``. ``office`` receives it."""
    en = int(lang == "en")
    sheet = FrontSheet(lang, styles=dict(RECEIPT_STYLES), widths=RECEIPT_WIDTHS, repeat_row=None,
                       margins=dict(RECEIPT_MARGINS), landscape=False, pages_high=1)
    _heading(sheet, office, en)
    sheet.put(f"A{R_TITLE}", RECEIPT_TITLE[en], "title", merge_to=f"C{R_TITLE}")
    sheet.heights[R_TITLE] = 30
    for r, (label, value) in enumerate(_info_rows(sub, en, office), start=R_INFO):
        _line(sheet, r, f"{label}: {value}", "line")
    sentence, keep = RECEIPT_SENTENCE[en]
    _line(sheet, R_SENTENCE, sentence, "line")
    _line(sheet, R_SENTENCE + 1, keep, "note")
    sheet.put(f"A{R_DATE - 1}", None, "line")  # a gap above the date line
    sheet.heights[R_DATE - 1] = 24
    sheet.put(f"C{R_DATE}", date_line(office, received_at(sub), en), "date")
    sheet.put(f"C{R_DATE + 1}", SIGNER[en][0], "signer")
    sheet.put(f"C{R_DATE + 2}", SIGNER[en][1], "hint")
    sheet.put(f"C{R_DATE + 3}", None, "hint")  # the room to sign, inside the print area
    sheet.heights[R_DATE + 3] = SIGN_ROOM
    sheet.print_rows = R_DATE + 3
    sheet.footer = {"center": PAGE_FOOTER[en]}
    r = sheet.print_rows + 2
    sheet.put(f"A{r}", ("SHA-256 đầy đủ (không in)", "Full SHA-256 (not printed)")[en], "label", merge_to=f"B{r}")
    sheet.put(f"C{r}", sub.sha256 or "-", "value")
    return sheet


def _line(sheet: FrontSheet, r: int, text: str, style: str) -> None:
    """A line across the page, as high as its words take (a merged cell does not grow by itself)."""
    sheet.put(f"A{r}", text, style, merge_to=f"C{r}")
    sheet.heights[r] = LINE_POINTS * max(1, -(-len(text) // LINE_CHARS))


def _heading(sheet: FrontSheet, office: Office | str | None, en: int) -> None:
    """The organ block top left, the motto top right with its rule."""
    parent, own = office_lines(office, en)
    motto, motto2 = MOTTO[en]
    sheet.put("A1", parent, "organ_parent")
    sheet.put("C1", motto, "motto")
    sheet.put("A2", own, "organ")
    sheet.put("C2", motto2, "motto2")
    sheet.put("A3", ORGAN_RULE if own else "", "rule")


def _info_rows(sub: Submission, en: int, office: Office | str | None) -> list[tuple[str, str]]:
    """The receipt's information, as the front sheet's (:func:`_info`), each a “label: value” line."""
    lang = ("vi", "en")[en]
    return [
        (("Cơ quan nhận", "Received by")[en], str(office or "-")),
        (("Thời điểm nhận", "Received at")[en], received_when(sub, lang)),
        (("Tệp", "File")[en], sub.received_name or sub.path.name),
        (("Đơn vị", "Unit")[en], " – ".join(x for x in (sub.unit_code, sub.unit_name) if x) or "-"),
        (("Kỳ báo cáo", "Period")[en], period_words(sub.period, lang) or "-"),
        (("Kết quả", "Result")[en], status_label(sub.status, lang, "front")),
        (("Số lỗi / cảnh báo khi kiểm tra", "Errors / warnings found")[en],
         f"{len(sub.errors)} / {len(sub.warnings)}"),
        (("Dấu tệp (SHA-256)", "File fingerprint (SHA-256)")[en], short_sha(sub.sha256)),
        (("Mã số liệu", "Figures fingerprint")[en], sub.fingerprint or "-"),
    ]
