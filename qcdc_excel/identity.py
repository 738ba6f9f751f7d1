"""Who a form belongs to and what its hidden identity sheet says.

:class:`Identity` names the unit a personalised form is for; :func:`metadata` gives the rows of the
very hidden ``_qcdc`` sheet (``form.META_SHEET``) that the template writer and the consolidated-workbook
writer write and the checker reads back (``validate.read_metadata``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import __version__
from .form import META_FORMAT, META_FORMAT_VERSION
from .layout import FormLayout
from .periods import Period
from .roster import Roster, Unit


@dataclass(frozen=True)
class Identity:
    """Who a personalised template belongs to (empty for a blank template)."""
    unit_code: str = ""
    unit_name: str = ""
    parent_code: str = ""
    parent_name: str = ""

    @classmethod
    def of(cls, unit: Unit, roster: Roster | None) -> "Identity":
        parent = roster.units.get(unit.parent) if (roster and unit.parent) else None
        return cls(unit.code, unit.name, unit.parent or "", parent.name if parent else "")

    @property
    def parent_text(self) -> str:
        return " – ".join(p for p in (self.parent_code, self.parent_name) if p)


def metadata(layout: FormLayout, period: Period | None, identity: Identity) -> list[tuple[str, str]]:
    """Key/value rows of the hidden metadata sheet, in order."""
    return [
        ("format", META_FORMAT),
        ("format_version", META_FORMAT_VERSION),
        ("form_version", layout.form_version),
        ("catalog_version", layout.catalog.version),
        ("level", layout.level),
        ("form", layout.form),
        ("unit_code", identity.unit_code),
        ("unit_name", identity.unit_name),
        ("parent_code", identity.parent_code),
        ("period", period.code if period else ""),
        ("form_sheet", layout.sheet_name),
        ("fingerprint", layout.fingerprint),
        ("cells", json.dumps(layout.cells, ensure_ascii=False, separators=(",", ":"))),
        ("identity_cells", json.dumps(layout.identity_cells, ensure_ascii=False, separators=(",", ":"))),
        ("generator", f"qcdc-excel {__version__}"),
    ]
