"""The appendix catalog: indicators and rules, loaded from a YAML file shipped in the package.

The loader is strict: a catalog with an unknown code in a rule, a duplicate code, a ratio over a
non-number or an expression it cannot parse is refused, naming the entry, because every template,
check and consolidation is generated from it.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import yaml

from .expressions import MISSING_STRATEGIES, Expression, ExpressionError, Outcome, parse_expression
from .i18n import MultiError, QcdcError, both, nfc, pick

LEVELS = ("tinh", "huyen", "xa")  # top to bottom
KINDS = ("count", "amount", "flag", "ratio", "text")
NUMERIC_KINDS = ("count", "amount")
SEVERITIES = ("error", "warning")
ROLLUPS = {"count": ("sum", "own"), "amount": ("sum", "own"), "flag": ("count", "own"),
           "text": ("collect",), "ratio": ()}
# How a unit's figures of several periods make a longer period's (docs/DOMAIN.md, "Over time"): flows
# add up (sum), stocks and backlogs keep the latest (last), "units that did it this year" keep the
# largest (max), flags say Có when any period did (any) or keep the latest (last); ratios are
# recomputed from their time-rolled parts (parts); texts are collected with their period (collect).
OVER_TIMES = {"count": ("sum", "last", "max"), "amount": ("sum", "last", "max"), "flag": ("any", "last"),
              "text": ("collect",), "ratio": ("parts",)}
LEVEL_OVER_TIMES = ("last", "max")  # a ratio's parts are both flows (sum) or both levels (last, max)
CURRENT_VERSION = "qcdc-2023.1"
_CODE = re.compile(r"^[IVX]+(?:\.\d+)*$")
_MAX_MESSAGE = 250  # an Excel string literal holds at most 255 characters

_ITEM_KEYS = {"code", "kind", "unit", "levels", "rollup", "over_time", "label", "label_en", "numerator",
              "denominator", "required", "group", "section"}
_TOP_KEYS = {"version", "title", "title_en", "basis", "items", "rules", "headline", "charts", "report",
             "reorganisation"}
# What the lists that name indicators for the outputs may name: the consolidation's headline, the
# ratios the consolidated workbook charts by unit, and the figures the Word report's sentences quote.
_LIST_KINDS = {"headline": KINDS, "charts": ("ratio",), "reorganisation": NUMERIC_KINDS}
REPORT_KINDS = ("count", "amount", "flag", "text")
_RULE_KEYS = {"id", "expression", "severity", "missing", "message", "message_en"}


@dataclass(frozen=True)
class Heading:
    """A section (I..V) or a group (II.5) heading: a row on the form, no value."""
    kind: str  # "section" | "group"
    code: str
    label: str
    label_en: str

    def text(self, lang: str = "vi") -> str:
        return pick(self.label, self.label_en, lang)


@dataclass(frozen=True)
class Indicator:
    code: str
    kind: str
    label: str
    label_en: str
    unit: str
    required: bool
    levels: tuple[str, ...]
    rollup: str  # sum | own | count | collect | "" for ratios
    section: str
    numerator: str | None = None
    denominator: str | None = None
    over_time: str = ""  # sum | last | max | any | parts | collect (OVER_TIMES)

    def text(self, lang: str = "vi") -> str:
        return pick(self.label, self.label_en, lang)

    @property
    def is_input(self) -> bool:
        return self.kind != "ratio"


@dataclass(frozen=True)
class Rule:
    id: str
    expression: Expression
    severity: str
    missing: str
    message: str
    message_en: str

    def text(self, lang: str = "vi") -> str:
        return pick(self.message, self.message_en, lang)

    def evaluate(self, values) -> "Outcome":
        """Check this rule on ``values`` (code -> number, None when blank or unreadable)."""
        return self.expression.evaluate(values, self.missing)


@dataclass(frozen=True)
class Catalog:
    version: str
    title: str
    title_en: str
    items: tuple[Heading | Indicator, ...]
    rules: tuple[Rule, ...]
    source: str = ""
    headline: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()  # the ratios the consolidated workbook charts unit by unit
    report: tuple[tuple[str, str], ...] = ()  # (role, code): the figures the Word report's sentences quote
    reorganisation: tuple[str, ...] = ()  # stocks that move only when units are reorganised (villages)
    indicators: dict[str, Indicator] = field(default_factory=dict, compare=False, repr=False)
    report_codes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.indicators.update({i.code: i for i in self.items if isinstance(i, Indicator)})
        self.report_codes.update(self.report)

    def reported_at(self, level: str) -> list[Indicator]:
        """Indicators a unit of ``level`` types or sees computed on its own form, in form order."""
        return [i for i in self.indicators.values() if level in i.levels]

    def rules_for(self, codes: set[str]) -> list[Rule]:
        """Rules whose every code is among ``codes`` (those are the ones a form can check)."""
        return [r for r in self.rules if set(r.expression.codes) <= codes]

    def to_json(self, lang: str = "vi") -> dict:
        return {
            "version": self.version,
            "indicators": [
                {"code": i.code, "label": i.text(lang), "kind": i.kind, "unit": i.unit,
                 "required": i.required, "levels": list(i.levels), "rollup": i.rollup, "over_time": i.over_time,
                 **({"numerator": i.numerator, "denominator": i.denominator}
                    if i.kind == "ratio" else {})}
                for i in self.indicators.values()
            ],
            "rules": [
                {"id": r.id, "severity": r.severity, "expression": r.expression.text,
                 "missing": r.missing, "message": r.text(lang)}
                for r in self.rules
            ],
        }


def _fail(path: str, where: dict | str, vi: str, en: str) -> QcdcError:
    return QcdcError("catalog-entry", path=path, where=where, reason=both(vi, en))


def parse_catalog(data: object, source: str = "<catalog>") -> Catalog:
    """Build a Catalog from already-parsed YAML/JSON data, refusing anything inconsistent.

    The steps, each adding what it finds wrong to one list in file order: the header, the items,
    the ratios' parts, the rules, and the lists of codes named for the headline, charts and report.
    """
    errors: list[QcdcError] = []

    def err(where, vi, en):
        errors.append(_fail(source, where, vi, en))

    if not isinstance(data, dict):
        raise _fail(source, both("toàn tệp", "whole file"), "không phải một bảng khóa: giá trị",
                    "not a mapping")
    version = _header_version(data, err)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise _fail(source, both("đầu tệp", "header"), "thiếu danh sách “items”", "missing 'items' list")
    items, pending_ratios = _parse_items(raw_items, err)
    by_code = _resolve_ratios(items, pending_ratios, err)
    rules = _parse_rules(data.get("rules"), by_code, err)
    named = _named_codes(data, by_code, err)
    if errors:
        raise errors[0] if len(errors) == 1 else MultiError(errors)
    return Catalog(version, str(data.get("title") or "").strip(), str(data.get("title_en") or "").strip(),
                   tuple(items), tuple(rules), source, **named)


def _header_version(data: dict, err: Callable) -> str:
    """The catalog's version, after checking the header's keys."""
    unknown_top = set(data) - _TOP_KEYS
    if unknown_top:
        err(both("đầu tệp", "header"), f"khóa không được biết: {', '.join(sorted(map(str, unknown_top)))}",
            f"unknown keys: {', '.join(sorted(map(str, unknown_top)))}")
    version = str(data.get("version") or "").strip()
    if not version:
        err(both("đầu tệp", "header"), "thiếu “version” (mã phiên bản, ví dụ qcdc-2023.1)",
            "missing 'version' (e.g. qcdc-2023.1)")
    return version


def _parse_items(raw_items: list, err: Callable) -> tuple[list[Heading | Indicator], list[tuple[dict, dict]]]:
    """The headings and indicators in form order, and the ratios whose parts are resolved afterwards."""
    items: list[Heading | Indicator] = []
    seen: set[str] = set()
    section = ""
    pending_ratios: list[tuple[dict, dict]] = []
    for n, raw in enumerate(raw_items, start=1):
        named = _item_code(raw, n, seen, err)
        if named is None:
            continue
        code, where = named
        label = str(raw.get("label") or "").strip()
        label_en = str(raw.get("label_en") or "").strip()
        if not label:
            err(where, "thiếu nhãn tiếng Việt (label)", "missing Vietnamese label")
        if len(label) > _MAX_MESSAGE:
            err(where, "nhãn quá dài", "label too long")
        if "section" in raw or "group" in raw:
            kind = "section" if "section" in raw else "group"
            if kind == "section":
                section = code
            items.append(Heading(kind, code, label, label_en or label))
            continue
        item = _parse_indicator(raw, code, (label, label_en or label), section, where, err)
        if item is not None:
            items.append(item)
            if item.kind == "ratio":
                pending_ratios.append((raw, where))
    return items, pending_ratios


def _item_code(raw: object, n: int, seen: set[str], err: Callable) -> tuple[str, dict] | None:
    """The code of item ``n`` and where it is, or None when the item cannot be read further."""
    where = both(f"mục thứ {n}", f"item {n}")
    if not isinstance(raw, dict):
        err(where, "không phải một bảng khóa: giá trị", "not a mapping")
        return None
    code = str(raw.get("code") or raw.get("group") or raw.get("section") or "").strip()
    if code:
        where = both(f"mục thứ {n} ({code})", f"item {n} ({code})")
    unknown = set(raw) - _ITEM_KEYS
    if unknown:
        err(where, f"khóa không được biết: {', '.join(sorted(unknown))}",
            f"unknown keys: {', '.join(sorted(unknown))}")
    if not _CODE.match(code):
        err(where, f"mã “{code}” không đúng dạng (ví dụ II.9.4)", f"code '{code}' is malformed (e.g. II.9.4)")
        return None
    if code in seen:
        err(where, f"mã {code} bị trùng", f"duplicate code {code}")
        return None
    seen.add(code)
    return code, where


def _parse_indicator(raw: dict, code: str, labels: tuple[str, str], section: str, where: dict,
                     err: Callable) -> Indicator | None:
    """One indicator (a ratio with its parts still unresolved), or None when its kind is unknown."""
    kind = raw.get("kind")
    if kind not in KINDS:
        err(where, f"loại “{kind}” không hợp lệ (dùng {', '.join(KINDS)})",
            f"kind '{kind}' is invalid (use {', '.join(KINDS)})")
        return None
    if not section or not code.startswith(section + ".") and code != section:
        err(where, f"mã {code} không thuộc phần {section or '(chưa có phần)'}",
            f"code {code} is not in section {section or '(none yet)'}")
    over_time = _over_time(raw, kind, where, err)
    if kind == "ratio":
        return Indicator(code, kind, *labels, str(raw.get("unit") or "%"), False, (), "", section,
                         str(raw.get("numerator") or ""), str(raw.get("denominator") or ""), over_time)
    levels = raw.get("levels")
    if not isinstance(levels, list) or not levels or any(lv not in LEVELS for lv in levels):
        err(where, f"“levels” phải là danh sách con của {list(LEVELS)}",
            f"'levels' must be a non-empty subset of {list(LEVELS)}")
        levels = []
    rollup = raw.get("rollup")
    if rollup not in ROLLUPS[kind]:
        err(where, f"cách tổng hợp “{rollup}” không hợp với loại {kind} (dùng {', '.join(ROLLUPS[kind])})",
            f"rollup '{rollup}' does not fit kind {kind} (use {', '.join(ROLLUPS[kind])})")
    required = raw.get("required", kind != "text")
    if not isinstance(required, bool):
        err(where, "“required” phải là true hoặc false", "'required' must be true or false")
    unit = str(raw.get("unit") or "").strip()
    if kind in NUMERIC_KINDS and not unit:
        err(where, "thiếu đơn vị tính (unit)", "missing unit of measure")
    ordered = tuple(lv for lv in LEVELS[::-1] if lv in levels)  # bottom level first
    return Indicator(code, kind, *labels, unit, bool(required), ordered, str(rollup), section,
                     over_time=over_time)


def _over_time(raw: dict, kind: str, where: dict, err: Callable) -> str:
    """The indicator's ``over_time``: required, and one that fits its kind (OVER_TIMES)."""
    value = raw.get("over_time")
    allowed = OVER_TIMES[kind]
    if value is None:
        err(where, f"thiếu “over_time” (cách cộng dồn qua các kỳ; với loại {kind}: {', '.join(allowed)})",
            f"missing 'over_time' (how periods roll up; for kind {kind}: {', '.join(allowed)})")
    elif value not in allowed:
        err(where, f"over_time “{value}” không hợp với loại {kind} (dùng {', '.join(allowed)})",
            f"over_time '{value}' does not fit kind {kind} (use {', '.join(allowed)})")
    return str(value or "")


def _resolve_ratios(items: list[Heading | Indicator], pending: list[tuple[dict, dict]],
                    err: Callable) -> dict[str, Indicator]:
    """Each ratio's numerator and denominator checked and its levels set (in ``items``); the indicators
    by code."""
    by_code = {i.code: i for i in items if isinstance(i, Indicator)}
    for raw, where in pending:
        code = str(raw["code"])
        parts = []
        for role in ("numerator", "denominator"):
            ref = str(raw.get(role) or "")
            target = by_code.get(ref)
            if target is None:
                err(where, f"tỷ lệ {code}: {role} “{ref}” không phải mã chỉ tiêu đã khai báo",
                    f"ratio {code}: {role} '{ref}' is not a declared indicator")
            elif target.kind not in NUMERIC_KINDS:
                err(where, f"tỷ lệ {code}: {role} {ref} là loại {target.kind}, không phải số",
                    f"ratio {code}: {role} {ref} is a {target.kind}, not a number")
            else:
                parts.append(target)
        if len(parts) == 2:
            _parts_agree(code, parts, where, err)
            levels = tuple(lv for lv in parts[0].levels if lv in parts[1].levels)
            old = by_code[code]
            new = Indicator(code, "ratio", old.label, old.label_en, old.unit, False, levels, "",
                            old.section, parts[0].code, parts[1].code, old.over_time)
            items[items.index(old)] = new
            by_code[code] = new
    return by_code


def _parts_agree(code: str, parts: list[Indicator], where: dict, err: Callable) -> None:
    """A ratio's numerator and denominator roll over time alike: both flows (sum) or both levels
    (last, max); a flow over a level would mean something else in a year than in a quarter."""
    kinds = {"sum" if p.over_time == "sum" else "level" if p.over_time in LEVEL_OVER_TIMES else p.over_time
             for p in parts}
    if len(kinds) > 1 and all(p.over_time for p in parts):
        shown = ", ".join(f"{p.code}: {p.over_time}" for p in parts)
        err(where, f"tỷ lệ {code}: tử số và mẫu số cộng dồn qua các kỳ khác nhau ({shown})",
            f"ratio {code}: numerator and denominator roll over time differently ({shown})")


def _parse_rules(raw_rules: object, by_code: dict[str, Indicator], err: Callable) -> list[Rule]:
    """The rules that check, in file order (a rule with a problem is reported and left out)."""
    if not isinstance(raw_rules, list):
        err(both("phần rules", "rules"), "“rules” phải là một danh sách", "'rules' must be a list")
        raw_rules = []
    rules: list[Rule] = []
    rule_ids: set[str] = set()
    for n, raw in enumerate(raw_rules, start=1):
        rule = _parse_rule(raw, n, rule_ids, by_code, err)
        if rule is not None:
            rules.append(rule)
    return rules


def _parse_rule(raw: object, n: int, rule_ids: set[str], by_code: dict[str, Indicator],
                err: Callable) -> Rule | None:
    where = both(f"quy tắc thứ {n}", f"rule {n}")
    if not isinstance(raw, dict):
        err(where, "không phải một bảng khóa: giá trị", "not a mapping")
        return None
    rid = str(raw.get("id") or "").strip()
    if rid:
        where = both(f"quy tắc {rid}", f"rule {rid}")
    else:
        err(where, "thiếu mã quy tắc (id)", "missing rule id")
    if rid in rule_ids:
        err(where, f"mã quy tắc {rid} bị trùng", f"duplicate rule id {rid}")
    rule_ids.add(rid)
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        err(where, f"khóa không được biết: {', '.join(sorted(unknown))}",
            f"unknown keys: {', '.join(sorted(unknown))}")
    try:
        expr = parse_expression(str(raw.get("expression") or ""))
    except ExpressionError as exc:
        err(where, f"biểu thức “{raw.get('expression')}” sai: {exc.vi}",
            f"bad expression '{raw.get('expression')}': {exc.en}")
        return None
    ok = True
    for c in expr.codes:
        target = by_code.get(c)
        if target is None:
            err(where, f"biểu thức dùng mã {c} không có trong danh mục",
                f"expression uses unknown code {c}")
            ok = False
        elif target.kind not in NUMERIC_KINDS:
            err(where, f"biểu thức dùng {c} là loại {target.kind}, không phải số",
                f"expression uses {c}, a {target.kind}, not a number")
            ok = False
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        err(where, "mức độ (severity) phải là error hoặc warning", "severity must be error or warning")
        ok = False
    missing = raw.get("missing", "never_skip")
    if missing not in MISSING_STRATEGIES:
        err(where, f"cách xử lý ô trống “{missing}” không hợp lệ (dùng {', '.join(MISSING_STRATEGIES)})",
            f"missing-value strategy '{missing}' is invalid (use {', '.join(MISSING_STRATEGIES)})")
        ok = False
    message = str(raw.get("message") or "").strip()
    if not message or len(message) > _MAX_MESSAGE:
        err(where, f"thông báo tiếng Việt (message) phải có và dài tối đa {_MAX_MESSAGE} ký tự",
            f"Vietnamese message must be present and at most {_MAX_MESSAGE} characters")
        ok = False
    if not ok:
        return None
    return Rule(rid, expr, str(severity), str(missing), message, str(raw.get("message_en") or message).strip())


def _named_codes(data: dict, by_code: dict[str, Indicator], err) -> dict[str, tuple]:
    """The ``headline`` and ``charts`` lists and the ``report`` roles, each code checked against the items."""
    out: dict[str, tuple] = {}
    for key, kinds in _LIST_KINDS.items():
        codes = data.get(key) or []
        where = both(f"phần {key}", key)
        if not isinstance(codes, list):
            err(where, f"“{key}” phải là danh sách mã", f"'{key}' must be a list of codes")
            codes = []
        for code in codes:
            _check_named(str(code), kinds, by_code, where, err)
        out[key] = tuple(str(c) for c in codes)
    for code in out["reorganisation"]:
        target = by_code.get(code)
        if target is not None and target.kind in NUMERIC_KINDS and target.over_time != "last":
            err(both("phần reorganisation", "reorganisation"), f"mã {code} phải là số lượng tồn (over_time: last)",
                f"code {code} must be a stock (over_time: last)")
    roles = data.get("report") or {}
    if not isinstance(roles, dict):
        err(both("phần report", "report"), "“report” phải là bảng “vai trò: mã”", "'report' must map roles to codes")
        roles = {}
    for role, code in roles.items():
        _check_named(str(code), REPORT_KINDS, by_code, both(f"phần report ({role})", f"report ({role})"), err)
    out["report"] = tuple((str(role), str(code)) for role, code in roles.items())
    return out


def _check_named(code: str, kinds: tuple[str, ...], by_code: dict[str, Indicator], where: dict, err) -> None:
    target = by_code.get(code)
    if target is None:
        err(where, f"mã {code} không có trong danh mục", f"unknown code {code}")
    elif target.kind not in kinds:
        err(where, f"mã {code} là loại {target.kind}; ở đây cần loại {', '.join(kinds)}",
            f"code {code} is a {target.kind}; here it must be {', '.join(kinds)}")


def load_catalog_file(path: str | Path) -> Catalog:
    """Load and check the catalog YAML file ``path``.

    A file that cannot be read or is not valid YAML raises :class:`QcdcError` in words a person can
    act on: ``catalog-yaml-syntax`` with the line and column of the problem, or
    ``catalog-unreadable`` with the reason.
    """
    from .i18n import t

    path = Path(path)

    def unreadable(key: str, detail: str = "") -> QcdcError:
        reason = both(t(key, "vi"), t(key, "en")) if not detail else detail
        return QcdcError("catalog-unreadable", path=str(path), reason=reason)

    def syntax(exc: yaml.MarkedYAMLError) -> QcdcError:
        problem, context = exc.problem or "", exc.context or ""
        mark, start = exc.problem_mark, exc.context_mark
        opened = {"line": start.line + 1, "column": start.column + 1} if start is not None else None
        if "expected <block end>" in problem or "expected <block mapping" in problem:
            key, params = "yaml-bad-indent", {}
        elif "quoted scalar" in context and opened:
            key, params = "yaml-unclosed-quote", opened
        elif "flow sequence" in context and opened:
            key, params = "yaml-unclosed-bracket", {"bracket": "]", **opened}
        elif "flow mapping" in context and opened:
            key, params = "yaml-unclosed-bracket", {"bracket": "}", **opened}
        elif "'\\t'" in problem or "\t" in problem:
            key, params = "yaml-tab", {}
        elif "mapping values are not allowed" in problem:
            key, params = "yaml-colon", {}
        elif "could not find expected ':'" in problem:
            key, params = "yaml-missing-colon", {}
        elif problem.startswith("found undefined alias"):
            key, params = "yaml-undefined-alias", {"name": problem.rpartition(" ")[2].strip("'")}
        elif "could not determine a constructor for the tag" in problem:
            key, params = "yaml-unsupported-tag", {"tag": problem.rpartition(" ")[2].strip("'")}
        else:
            detail = "; ".join(x for x in (context, problem) if x) or type(exc).__name__
            key, params = "yaml-other", {"detail": detail}
        where = mark if mark is not None else start
        return QcdcError("catalog-yaml-syntax", path=str(path),
                         line=where.line + 1 if where is not None else "?",
                         column=where.column + 1 if where is not None else "?",
                         problem=both(t(key, "vi", **params), t(key, "en", **params)))

    try:
        text = nfc(path.read_text(encoding="utf-8"))  # labels as every other text: NFC
    except FileNotFoundError:
        raise unreadable("catalog-not-found") from None
    except IsADirectoryError:
        raise unreadable("catalog-is-a-folder") from None
    except UnicodeDecodeError:
        raise unreadable("catalog-not-utf8") from None
    except OSError as exc:
        raise unreadable("", f"{type(exc).__name__}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise syntax(exc) from None
    except yaml.YAMLError as exc:
        raise unreadable("", str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return parse_catalog(data, str(path))


def known_versions() -> list[str]:
    return list(_shipped_versions())


@functools.lru_cache(maxsize=None)
def _shipped_versions() -> tuple[str, ...]:
    folder = resources.files("qcdc_excel") / "catalogs"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


@functools.lru_cache(maxsize=None)
def load_catalog(version: str = CURRENT_VERSION) -> Catalog:
    """The shipped catalog of ``version`` (cached: catalogs are immutable)."""
    if version not in known_versions():
        raise QcdcError("catalog-unknown-version", version=version, known=", ".join(known_versions()))
    ref = resources.files("qcdc_excel") / "catalogs" / f"{version}.yaml"
    with resources.as_file(ref) as path:
        catalog = load_catalog_file(path)
    if catalog.version != version:
        raise QcdcError("catalog-unreadable", path=str(ref),
                        reason=f"version {catalog.version} != file name {version}")
    return catalog
