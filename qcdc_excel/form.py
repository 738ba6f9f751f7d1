"""What every part of the toolkit agrees the form is called: sheet names, identity, password, font.

One home for the names that the template writer, the reader and checks, the feedback writer and
the consolidated-workbook writer must spell alike. Nothing here depends on any other module.
"""
from __future__ import annotations

FORM_SHEET = "Phụ lục"  # the sheet a unit fills
CONSOLIDATED_SHEET = "Tổng hợp"  # the same appendix with a parent's consolidated values
SHEET_NAMES = {"own": FORM_SHEET, "consolidated": CONSOLIDATED_SHEET}
FORM_KINDS = ("own", "consolidated")

# The very hidden identity sheet and what it says the workbook is.
META_SHEET = "_qcdc"
META_FORMAT = "qcdc-excel-form"
META_FORMAT_VERSION = "1"

# The first sheet of a feedback copy (a feedback copy is still a valid submission).
FEEDBACK_SHEET = "KẾT QUẢ KIỂM TRA"

# Sheets a consolidated workbook carries beside its form.
DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET, CHARTS_SHEET = (
    "Chi tiết đơn vị", "Tình hình nộp", "Kết quả kiểm tra", "Ghi chú", "Biểu đồ")
# The very hidden sheet of a consolidated workbook holding each unit's figures and data window, read
# back as history by later periods (``qcdc_excel.history``).
UNITS_SHEET = "_qcdc_units"
# The sheet of a workbook built from the quarters (``qcdc-excel rollup``): its parts, windows and gaps.
ROLLUP_SHEET = "Nguồn tổng hợp"
# The headline figures over the periods known: only when earlier periods are given (merge --previous).
TREND_SHEET = "Diễn biến qua các kỳ"
CONSOLIDATED_EXTRA_SHEETS = frozenset({DETAILS_SHEET, STATUS_SHEET, FINDINGS_SHEET, NOTES_SHEET, CHARTS_SHEET,
                                       ROLLUP_SHEET, TREND_SHEET})

DEFAULT_PASSWORD = "qcdc"  # sheet and structure protection; --password changes it
FONT = "Times New Roman"  # the font of administrative documents
