"""User-facing text in Vietnamese (default) and English.

Every message a person reads goes through :func:`t`, so a finding or an error is data (a key and
its parameters) until it is rendered in the language the caller asked for.
"""
from __future__ import annotations

import unicodedata

LANGS = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # --- catalog loader -------------------------------------------------------------------
    "catalog-unreadable": {
        "vi": "Không đọc được danh mục chỉ tiêu {path}: {reason}",
        "en": "Cannot read the indicator catalog {path}: {reason}",
    },
    "catalog-unknown-version": {
        "vi": "Không có danh mục chỉ tiêu phiên bản «{version}». Các phiên bản đã biết: {known}",
        "en": "No indicator catalog of version '{version}'. Known versions: {known}",
    },
    "catalog-entry": {
        "vi": "Danh mục {path}, {where}: {reason}",
        "en": "Catalog {path}, {where}: {reason}",
    },
    # --- roster loader --------------------------------------------------------------------
    "roster-error": {
        "vi": "Danh sách đơn vị {path}, dòng {row}: {reason}",
        "en": "Roster {path}, row {row}: {reason}",
    },
    "roster-file-error": {
        "vi": "Danh sách đơn vị {path}: {reason}",
        "en": "Roster {path}: {reason}",
    },
    # --- periods ----------------------------------------------------------------------------
    "period-invalid": {
        "vi": "Kỳ báo cáo «{value}» không hợp lệ. Dùng dạng 2023Q1 … 2023Q4 (quý), 2023S1, 2023S2 "
              "(6 tháng) hoặc 2023 (năm).",
        "en": "Invalid reporting period '{value}'. Use 2023Q1 … 2023Q4 (quarter), 2023S1, 2023S2 "
              "(half-year) or 2023 (year).",
    },
    "level-invalid": {
        "vi": "Cấp «{value}» không hợp lệ. Dùng tinh, huyen hoặc xa.",
        "en": "Invalid level '{value}'. Use tinh (province), huyen (district) or xa (commune).",
    },
    "unit-not-in-roster": {
        "vi": "Mã đơn vị «{code}» không có trong danh sách đơn vị {path}.",
        "en": "Unit code '{code}' is not in the roster {path}.",
    },
    "template-needs-roster": {
        "vi": "Cần chỉ ra danh sách đơn vị (--roster) khi dùng --all hoặc --unit.",
        "en": "--all and --unit need a roster (--roster).",
    },
    "template-all-and-unit": {
        "vi": "Chỉ dùng một trong hai: --all hoặc --unit.",
        "en": "Use either --all or --unit, not both.",
    },
    "template-roster-needs-selection": {
        "vi": "Đã có danh sách đơn vị: thêm --all (mọi đơn vị) hoặc --unit MÃ (từng đơn vị).",
        "en": "A roster was given: add --all (every unit) or --unit CODE (one unit each).",
    },
    "template-level-mismatch": {
        "vi": "Đơn vị {code} ({name}) thuộc cấp {unit_level}, không phải cấp {level}.",
        "en": "Unit {code} ({name}) is at level {unit_level}, not {level}.",
    },
    "template-no-units": {
        "vi": "Danh sách đơn vị không có đơn vị nào cấp {level}.",
        "en": "The roster has no unit at level {level}.",
    },
    "file-not-found": {
        "vi": "Không tìm thấy tệp hoặc thư mục: {path}",
        "en": "File or folder not found: {path}",
    },
    "deadline-invalid": {
        "vi": "Hạn nộp «{value}» không hợp lệ; ghi dạng YYYY-MM-DD, ví dụ 2023-06-15.",
        "en": "Invalid deadline '{value}'; use YYYY-MM-DD, e.g. 2023-06-15.",
    },
    "template-written": {
        "vi": "Đã tạo {count} biểu mẫu trong thư mục {out}",
        "en": "Wrote {count} template(s) to {out}",
    },
}

LEVEL_LABELS = {
    "tinh": {"vi": "Cấp tỉnh", "en": "Province"},
    "huyen": {"vi": "Cấp huyện", "en": "District"},
    "xa": {"vi": "Cấp xã", "en": "Commune"},
}

SEVERITY_LABELS = {
    "error": {"vi": "Lỗi", "en": "Error"},
    "warning": {"vi": "Cảnh báo", "en": "Warning"},
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
    return lang


def t(key: str, lang: str = "vi", **params: object) -> str:
    """Render message ``key`` in ``lang`` with ``params``; always NFC."""
    params = {k: (v.get(lang) or v["vi"]) if isinstance(v, dict) and "vi" in v else v
              for k, v in params.items()}
    text = MESSAGES[key][check_lang(lang)].format(**params)
    return unicodedata.normalize("NFC", text)


def both(vi: str, en: str) -> dict[str, str]:
    """A message parameter that has its own Vietnamese and English wording."""
    return {"vi": vi, "en": en}


def pick(vi: str, en: str | None, lang: str) -> str:
    """Choose the Vietnamese or English rendering of a catalog string."""
    return en if (lang == "en" and en) else vi


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Không' -> 'khong', 'Đ' -> 'd'."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


class QcdcError(Exception):
    """An error a person can act on: a message key with its parameters, rendered on demand."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, "vi", **params))

    def render(self, lang: str = "vi") -> str:
        return t(self.key, lang, **self.params)


class MultiError(QcdcError):
    """Several problems found in one input (all reported at once, not just the first)."""

    def __init__(self, errors: list[QcdcError]) -> None:
        self.errors = errors
        Exception.__init__(self, "\n".join(e.render("vi") for e in errors))
        self.key = errors[0].key
        self.params = errors[0].params

    def render(self, lang: str = "vi") -> str:
        return "\n".join(e.render(lang) for e in self.errors)
