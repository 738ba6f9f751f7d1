"""qcdc-excel: the numeric appendix of grassroots-democracy (QCDC) reports, in Excel.

Library first: every command of the ``qcdc-excel`` CLI is a function here that returns values.
"""
__version__ = "0.1.0"

from .catalog import CURRENT_VERSION, Catalog, Indicator, Rule, load_catalog, load_catalog_file  # noqa: E402
from .i18n import QcdcError  # noqa: E402
from .periods import Period, parse_period  # noqa: E402
from .roster import Roster, Unit, load_roster  # noqa: E402
from .template import build_template, make_templates, write_template  # noqa: E402

__all__ = [
    "CURRENT_VERSION", "Catalog", "Indicator", "Rule", "load_catalog", "load_catalog_file",
    "QcdcError", "Period", "parse_period", "Roster", "Unit", "load_roster",
    "build_template", "make_templates", "write_template", "__version__",
]
