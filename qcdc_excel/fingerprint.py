"""A short fingerprint of a report's figures, “Mã số liệu”, printed in the footer of the printed
appendix, on the receipt and by ``validate``, so a signed paper or PDF can be matched to the
workbook it came from.

What it covers: the catalog version, the unit's code, the period, every number and Có/Không answer,
and every text the unit wrote (the remarks, V.1/V.2 and the like). Ratios are left out: they are
computed from the figures it covers. Texts are taken in Unicode NFC with every run of white space
(spaces, tabs, line breaks, non-breaking spaces) made one space and the ends trimmed, so a report
re-saved by Excel, LibreOffice or WPS keeps its fingerprint, while a remark changed in any word
(a short and a long version of one report) gives another. What it does not cover: the unit's name
as typed, the signer and date lines, formatting, and anything outside the indicator cells. A
consolidated workbook's fingerprint covers its figures only, not the evaluation texts (V.1, V.2)
prefilled from the consolidating unit's own report: its footer is written from the totals, before
any text is typed in, and ``validate`` reads it the same way.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Mapping

from .catalog import Catalog


def _canonical(value: object) -> str | None:
    if value is None or value == "":
        return None
    if value.__class__ is int:
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if value.__class__ is float and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if value else "0"
    if isinstance(value, (int, float, Decimal)):
        try:
            d = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
            text = format(d.normalize(), "f")
        except (InvalidOperation, ValueError):
            return str(value)
        return "0" if text in ("-0", "0") else text
    return unicodedata.normalize("NFC", str(value)).strip()


_SPACES = re.compile(r"\s+")


def _canonical_text(value: object) -> str | None:
    """A text as the fingerprint reads it: NFC, white space runs made one space, ends trimmed."""
    if value is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    return text or None


def figures_fingerprint(values: Mapping[str, object], catalog: Catalog, unit_code: str | None,
                        period: str | None, texts: bool = True) -> str:
    """``XXXX-XXXX-XXXX``: 48 bits of SHA-256 over the canonical figures and, with ``texts``, the
    texts (see the module; a consolidated workbook's fingerprint leaves its texts out, as the
    consolidated workbook's footer does)."""
    parts = [catalog.version, unit_code or "", period or ""]
    for code in sorted(values):
        ind = catalog.indicators.get(code)
        if ind is None or ind.kind == "ratio" or (ind.kind == "text" and not texts):
            continue
        shown = _canonical_text(values[code]) if ind.kind == "text" else _canonical(values[code])
        if shown is not None:
            parts.append(f"{code}={shown}")
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"


COPY_MARK_NAME = "_qcdc_copy"  # the defined name a feedback copy carries (see copy_mark)
RECEIPT_NAME = "_qcdc_receipt"  # the defined name a receipt of its own carries (one sheet, no form)


def copy_mark(values: Mapping[str, object], catalog_version: str | None, unit_code: str | None,
              period: str | None) -> str:
    """``GY-`` and 16 hex digits of SHA-256 over every value of a report, free texts included.

    A feedback copy or receipt carries the mark of the figures it was made from, as the defined
    name ``_qcdc_copy``; a file read back with the same mark is that copy, unchanged, and is skipped
    (a unit that fixes figures in it changes its mark, and its file is read as a new report).
    """
    parts = [catalog_version or "", unit_code or "", period or ""]
    parts += [f"{code}={_canonical(values[code])}" for code in sorted(values) if _canonical(values[code]) is not None]
    return "GY-" + hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16].upper()


__all__ = ["figures_fingerprint", "copy_mark", "COPY_MARK_NAME", "RECEIPT_NAME"]
