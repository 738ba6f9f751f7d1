"""The ``qcdc-excel`` command: argument parsing, progress and exit codes over library calls.

Exit codes: 0 success, 1 rejected or unreadable input, or nothing found to check (validate/merge),
2 usage error (including an output that cannot be written).

Everything shown is in Vietnamese, or in English after the global option ``--lang en``: the help
of every command and option is given in both languages and chosen when shown, and click's own texts
(usage lines, errors, help headings) are translated for the run by rebinding the gettext functions
click's modules imported (see :func:`click_language`). The language is decided before parsing, by
looking for ``--lang`` among the options before the command name, so that even an error in parsing
those options comes out in the right language.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gettext
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from . import __version__
from .atomic import check_output, os_error_reason
from .catalog import CURRENT_VERSION, Heading, known_versions, load_catalog, load_catalog_file
from .form import DEFAULT_PASSWORD
from .i18n import LANGS, SEVERITY_LABELS, SKIP_REASONS, QcdcError, click_translations, nfc, t
from .periods import parse_period
from .record import status_label
from .roster import load_roster, normalise_level
from .scope import Outputs, ReportSpec, Scope
from .template import FormOptions, make_templates

KIND_LABELS = {
    "count": {"vi": "số đếm", "en": "count"}, "amount": {"vi": "số lượng", "en": "amount"},
    "flag": {"vi": "Có/Không", "en": "yes/no"}, "ratio": {"vi": "tỷ lệ", "en": "ratio"},
    "text": {"vi": "văn bản", "en": "text"},
}


# --- language of the run ---------------------------------------------------------------------------
_RUN = {"lang": "vi"}  # the language of the run under way (help texts are chosen when shown)


def current_lang() -> str:
    return _RUN["lang"]


def _is_gettext_function(value: object) -> bool:
    return (value is gettext.gettext or value is gettext.ngettext
            or isinstance(getattr(value, "__self__", None), gettext.NullTranslations))


@contextlib.contextmanager
def click_language(lang: str) -> Iterator[None]:
    """Show click's own texts in ``lang`` while the block runs (restored afterwards).

    click's modules do ``from gettext import gettext as _`` (and ``ngettext``); those module-level
    names are rebound to a translation of ``lang`` (English: click's own wording).
    """
    translations = click_translations(lang)
    replacement = {"_": translations.gettext, "ngettext": translations.ngettext}
    saved: list[tuple[object, str, object]] = []
    previous = _RUN["lang"]
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "click" or name.startswith("click.")):
            continue
        namespace = vars(module)
        for attr, func in replacement.items():
            if _is_gettext_function(namespace.get(attr)):
                saved.append((module, attr, namespace[attr]))
                setattr(module, attr, func)
    _RUN["lang"] = lang
    try:
        yield
    finally:
        _RUN["lang"] = previous
        for module, attr, func in reversed(saved):
            setattr(module, attr, func)


def scan_lang(argv: Sequence[str]) -> str:
    """The ``--lang`` given before the command name in ``argv`` (the last one, as click takes it);
    "vi" when there is none or it is not a known language."""
    lang, i = "vi", 0
    while i < len(argv):
        token = argv[i]
        if token == "--lang":
            value = argv[i + 1] if i + 1 < len(argv) else ""
            lang, i = (value if value in LANGS else "vi"), i + 2
            continue
        if token.startswith("--lang="):
            value = token.split("=", 1)[1]
            lang = value if value in LANGS else "vi"
        elif token == "--" or not token.startswith("-"):
            break
        i += 1
    return lang


def _by_lang(attr: str) -> property:
    """A property holding a Vietnamese value (set as usual) and an English one (``<attr>_en``)."""
    vi_key, en_key = f"_{attr}_vi", f"_{attr}_en"

    def get(self):
        english = self.__dict__.get(en_key)
        return english if current_lang() == "en" and english is not None else self.__dict__.get(vi_key)

    def set_(self, value) -> None:
        if isinstance(value, tuple):  # ("Vietnamese", "English")
            self.__dict__[vi_key], self.__dict__[en_key] = value
        else:
            self.__dict__[vi_key] = value

    return property(get, set_)


class LocalisedOption(click.Option):
    """An option whose help (``help`` / ``help_en``) and metavar (a (vi, en) pair) follow the language."""
    help = _by_lang("help")
    metavar = _by_lang("metavar")

    def __init__(self, *decls, help_en: str | None = None, **kwargs) -> None:
        self.__dict__["_help_en"] = help_en
        super().__init__(*decls, **kwargs)


class LocalisedArgument(click.Argument):
    """An argument whose metavar (a (vi, en) pair) follows the language."""
    metavar = _by_lang("metavar")


HELP_OPTION_TEXT = {"vi": "Hiện hướng dẫn này rồi thoát.", "en": "Show this message and exit."}
LANG_PLACE = {"vi": "Tùy chọn --lang phải đặt trước tên lệnh, ví dụ: qcdc-excel --lang en {name} …",
              "en": "--lang goes before the command name, e.g. qcdc-excel --lang en {name} …"}


class _LocalisedCommandMixin:
    help = _by_lang("help")
    short_help = _by_lang("short_help")

    @property
    def options_metavar(self) -> str:
        return "[TÙY_CHỌN]" if current_lang() == "vi" else "[OPTIONS]"

    @options_metavar.setter
    def options_metavar(self, _value) -> None:
        pass

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except click.NoSuchOption as exc:
            if exc.option_name != "--lang":
                raise
            # "--lang" after the command name: say where it goes
            raise click.NoSuchOption(exc.option_name, LANG_PLACE[current_lang()].format(name=ctx.info_name),
                                     ctx=ctx) from None

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_TEXT[current_lang()]
        return option


class LocalisedCommand(_LocalisedCommandMixin, click.Command):
    """A command whose help and short help are given in both languages (``help=(vi, en)``)."""


class LocalisedGroup(_LocalisedCommandMixin, click.Group):
    """The ``qcdc-excel`` group: runs with click's texts in the language asked for on the command line."""
    command_class = LocalisedCommand

    @property
    def subcommand_metavar(self) -> str:
        return "LỆNH [THAM_SỐ]..." if current_lang() == "vi" else "COMMAND [ARGS]..."

    @subcommand_metavar.setter
    def subcommand_metavar(self, _value) -> None:
        pass

    def main(self, args: Sequence[str] | None = None, *rest, **kwargs):
        argv = list(sys.argv[1:] if args is None else args)
        with click_language(scan_lang(argv)):
            return super().main(argv, *rest, **kwargs)


def option(*decls: str, help: tuple[str, str], **kwargs):  # noqa: A002 - click's own name
    """``click.option`` with help given as (Vietnamese, English)."""
    return click.option(*decls, cls=LocalisedOption, help=help[0], help_en=help[1], **kwargs)


# The feedback files go to the units: Vietnamese whatever the office's own --lang, unless asked.
feedback_lang_option = option(
    "--feedback-lang", type=click.Choice(list(LANGS)), default="vi", show_default=True,
    help=("Ngôn ngữ của tệp góp ý gửi đơn vị (không theo --lang của người chạy lệnh).",
          "Language of the feedback files sent to the units (not the --lang of whoever runs the command)."))

# Earlier periods' consolidated workbooks or merge --json files: the reports are checked against them.
previous_option = option(
    "--previous", "previous", multiple=True, metavar=("TỆP_KỲ_TRƯỚC", "EARLIER_FILE"),
    help=("Sổ tổng hợp (.xlsx) hoặc tệp JSON (merge --json) của một kỳ trước; nhắc lại cho mỗi kỳ. Khi có, "
          "số liệu được so với chính đơn vị ở các kỳ trước (cộng dồn quý, thay đổi bất thường) và với các "
          "đơn vị cùng cấp.",
          "Consolidated workbook (.xlsx) or JSON file (merge --json) of an earlier period; repeat it for each "
          "period. Given, figures are compared with the unit's own earlier periods (quarters adding up, "
          "unusual changes) and with its siblings."))


# --- errors -------------------------------------------------------------------------------------------
class UsageFailure(click.ClickException):
    """A usage error rendered in the chosen language; exits with code 2."""
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(click.style(self.message, fg="red"), err=True)


def _fail(exc: QcdcError, lang: str) -> UsageFailure:
    return UsageFailure(exc.render(lang))


# --- rosters and codes ---------------------------------------------------------------------------
def _load_roster(path: str | None, lang: str):
    """The roster at ``path`` (None without one); what the loader changed is said on stderr."""
    if path is None:
        return None
    ros = load_roster(path)
    for warning in ros.warnings:
        click.echo(click.style(warning.render(lang), fg="yellow"), err=True)
    return ros


def _roster_code(ros, code: str | None, option_name: str, lang: str) -> str | None:
    """A unit code typed on the command line, as the roster spells it: 1273 is 01273 when it is
    the one roster code that fits once given back its leading zeros (said on stderr)."""
    if code is None:
        return None
    code = nfc(code).strip()
    unit = ros.zero_lost(code) if (ros is not None and code not in ros) else None
    if unit is None:
        return code
    click.echo(click.style(t("cli-code-zero-lost", lang, option=option_name, shown=code, code=unit.code,
                             name=unit.name), fg="yellow"), err=True)
    return unit.code


def _text_value(_ctx, _param, value: str | None) -> str | None:
    """An option's text (a name, a title) in NFC, as every text that enters."""
    return None if value is None else nfc(value)


def _is_output(name: str, outputs: Sequence[Path]) -> Path | None:
    """The output ``name`` belongs to (itself, its temporary file beside it, or a file inside it)."""
    path = Path(os.path.abspath(name))
    for out in outputs:
        target = Path(os.path.abspath(out))
        if path == target or target in path.parents:
            return out
        if path.parent == target.parent and path.name.startswith(f".{target.name}."):
            return out
    return None


@contextlib.contextmanager
def writing(lang: str, outputs: Sequence[Path | str | None]) -> Iterator[None]:
    """Last guard: an OSError while the work runs becomes a message naming the file (exit 2)."""
    outs = [Path(o) for o in outputs if o is not None]
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        name = exc.filename if isinstance(exc.filename, str) else None
        out = _is_output(name, outs) if name else None
        if name is None or out is not None:
            shown = str(out) if out is not None else ", ".join(map(str, outs)) or "?"
            folder = Path(name).parent if name else None
            err = QcdcError("output-write-failed", path=shown, reason=os_error_reason(exc, folder))
        else:
            err = QcdcError("io-failed", path=name, reason=os_error_reason(exc))
        raise _fail(err, lang) from None


def _check_suffix(path: str | None, option_name: str, suffix: str, what: dict[str, str], example: str) -> None:
    if path is not None and not path.lower().endswith(suffix):
        raise QcdcError("output-suffix", option=option_name, path=path, what=what, suffix=suffix,
                        example=example)


def _nothing_found(lang: str, folders: Sequence[str], skipped: Sequence[tuple[Path, str]]) -> None:
    """Say that no file to check was found (and what was skipped), then exit 1 having written nothing."""
    click.echo(click.style(t("nothing-found", lang, path=", ".join(folders)), fg="red"), err=True)
    if skipped:
        click.echo(t("nothing-found-skipped", lang, count=len(skipped)), err=True)
        for path, reason in skipped:
            click.echo(f"  {path}  ({SKIP_WORDS[reason][lang]})", err=True)
    sys.exit(1)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"qcdc-excel, {'phiên bản' if current_lang() == 'vi' else 'version'} {__version__}")
    ctx.exit()


# --- the commands -------------------------------------------------------------------------------------
@click.group("qcdc-excel", cls=LocalisedGroup, context_settings={"help_option_names": ["-h", "--help"]}, help=(
    "qcdc-excel: biểu mẫu Excel, kiểm tra và tổng hợp phụ lục số liệu báo cáo thực hiện dân chủ ở cơ sở "
    "(QCDC).\n\nGõ “qcdc-excel LỆNH -h” để xem hướng dẫn của từng lệnh. Thông báo bằng tiếng Việt; thêm "
    "--lang en trước tên lệnh để xem bằng tiếng Anh, ví dụ: qcdc-excel --lang en merge -h.",
    "qcdc-excel: Excel templates, checking and consolidation of the data appendix of grassroots-democracy "
    "(QCDC) reports.\n\nType 'qcdc-excel COMMAND -h' for the help of a command. Messages are in Vietnamese "
    "unless --lang en is given before the command, e.g. qcdc-excel --lang en merge -h."))
@option("--lang", type=click.Choice(list(LANGS)), default="vi", show_default=True,
        help=("Ngôn ngữ thông báo: vi (tiếng Việt) hoặc en (tiếng Anh); đặt trước tên lệnh.",
              "Language of messages: vi (Vietnamese) or en (English); put it before the command."))
@option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
        help=("Hiện phiên bản rồi thoát.", "Show the version and exit."))
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """The command group; ``ctx.obj["lang"]`` is the language of messages."""
    ctx.obj = {"lang": lang}


@main.command("catalog", help=(
    "In danh mục chỉ tiêu (mã, tên, loại, đơn vị tính, cấp báo cáo, cách tổng hợp, cách cộng qua các kỳ) và các quy tắc "
    "kiểm tra.\n\n\b\nVí dụ:\n  qcdc-excel catalog\n  qcdc-excel catalog --json\n"
    "  qcdc-excel catalog --file danh-muc-moi.yaml",
    "Print the indicator catalog (code, label, kind, unit, reporting levels, rollup, over time) and the checking "
    "rules.\n\n\b\nExamples:\n  qcdc-excel --lang en catalog\n  qcdc-excel --lang en catalog --json\n"
    "  qcdc-excel --lang en catalog --file new-catalog.yaml"),
    short_help=("In danh mục chỉ tiêu và quy tắc kiểm tra.", "Print the indicator catalog and rules."))
@option("--json", "as_json", is_flag=True,
        help=("In dạng JSON (để chương trình khác đọc).", "Print as JSON (for other programs)."))
@option("--version", "version", default=CURRENT_VERSION, show_default=True, metavar=("PHIÊN_BẢN", "VERSION"),
        help=("Phiên bản danh mục cần in.", "Catalog version to print."))
@option("--file", "path", type=click.Path(dir_okay=False), default=None, metavar=("TỆP.yaml", "FILE.yaml"),
        help=("Kiểm tra và in một tệp danh mục YAML khác thay cho danh mục có sẵn.",
              "Check and print another catalog YAML file instead of a shipped one."))
@click.pass_obj
def catalog_cmd(obj: dict, as_json: bool, version: str, path: str | None) -> None:
    lang = obj["lang"]
    try:
        cat = load_catalog_file(path) if path else load_catalog(version)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    if as_json:
        click.echo(json.dumps(cat.to_json(lang), ensure_ascii=False, indent=2))
        return
    click.echo(click.style(f"{cat.title if lang == 'vi' else cat.title_en} — {cat.version}", bold=True))
    others = [v for v in known_versions() if v != cat.version]
    if others and not path:
        click.echo(("Các phiên bản khác: " if lang == "vi" else "Other versions: ") + ", ".join(others))
    for item in cat.items:
        if isinstance(item, Heading):
            style = dict(bold=True) if item.kind == "section" else dict(underline=True)
            click.echo(("\n" if item.kind == "section" else "") + click.style(
                f"{item.code}. {item.text(lang)}", **style))
            continue
        levels = ",".join(item.levels)
        over = ("qua các kỳ: " if lang == "vi" else "over time: ") + item.over_time
        extra = (f"= {item.numerator}/{item.denominator}" if item.kind == "ratio"
                 else f"[{levels}; {item.rollup}; {over}]")
        req = "*" if item.required else " "
        click.echo(f"  {item.code:<8}{req} {item.text(lang)} ({KIND_LABELS[item.kind][lang]}"
                   f"{', ' + item.unit if item.kind in ('count', 'amount') else ''}) {extra}")
    click.echo("\n" + click.style("Quy tắc kiểm tra" if lang == "vi" else "Rules", bold=True))
    for rule in cat.rules:
        sev = SEVERITY_LABELS[rule.severity][lang]
        click.echo(f"  {rule.id:<18} {sev:<9} {rule.expression.text}\n      {rule.text(lang)}")
    click.echo("\n" + ("* bắt buộc nhập" if lang == "vi" else "* required"))


PERIOD_HELP = "2023Q1…2023Q4 (quý), 2023S1, 2023S2 (6 tháng), 2023 (năm)"
PERIOD_HELP_EN = "2023Q1…2023Q4 (quarter), 2023S1, 2023S2 (half-year), 2023 (year)"
ROSTER_METAVAR = ("DS.csv", "ROSTER.csv")


@main.command("template", help=(
    "Tạo biểu mẫu Excel có khóa bảo vệ để gửi cho các đơn vị.\n\n"
    "Biểu mẫu trống của một cấp: --level (tinh, huyen hoặc xa), có thể kèm --period. Biểu mẫu riêng "
    "cho từng đơn vị (đã ghi sẵn mã, tên đơn vị và kỳ): --roster với --all hoặc --unit, và --period.\n\n"
    "\b\nVí dụ:\n  qcdc-excel template --level xa --period 2023Q1 --out bieu-mau\n"
    "  qcdc-excel template --roster ds.csv --all --period 2023 --out bieu-mau",
    "Write locked Excel templates to send to the reporting units.\n\n"
    "The blank form of a level: --level (tinh, huyen or xa), optionally with --period. One form per unit "
    "(with the unit's code, name and period filled in): --roster with --all or --unit, and --period.\n\n"
    "\b\nExamples:\n  qcdc-excel --lang en template --level xa --period 2023Q1 --out forms\n"
    "  qcdc-excel --lang en template --roster list.csv --all --period 2023 --out forms"),
    short_help=("Tạo biểu mẫu Excel có khóa bảo vệ.", "Write locked Excel templates."))
@option("--level", default=None, metavar=("CẤP", "LEVEL"),
        help=("Cấp của biểu mẫu: tinh, huyen hoặc xa. Bắt buộc khi không có --roster; có --roster thì "
              "chỉ lấy các đơn vị của cấp này.",
              "Level of the form: tinh (province), huyen (district) or xa (commune). Required without "
              "--roster; with --roster, only the units of this level."))
@option("--period", default=None, metavar=("KỲ", "PERIOD"),
        help=(f"Kỳ báo cáo: {PERIOD_HELP}. Bỏ trống thì đơn vị tự ghi kỳ vào biểu mẫu trống; bắt buộc "
              "với --all và --unit.",
              f"Reporting period: {PERIOD_HELP_EN}. Without it units type the period into the blank form; "
              "required with --all and --unit."))
@option("--out", "out_dir", required=True, metavar=("THƯ_MỤC", "FOLDER"),
        help=("Thư mục ghi biểu mẫu (tạo nếu chưa có).", "Folder to write the templates to (created if needed)."))
@option("--roster", type=click.Path(), default=None, metavar=ROSTER_METAVAR,
        help=("Danh sách đơn vị (CSV hoặc .xlsx) để tạo biểu mẫu riêng cho từng đơn vị.",
              "List of units (CSV or .xlsx), for one form per unit."))
@option("--all", "all_units", is_flag=True,
        help=("Mỗi đơn vị trong danh sách (--roster) một biểu mẫu.", "One form for every unit of the roster."))
@option("--unit", "units", multiple=True, metavar=("MÃ", "CODE"),
        help=("Mã đơn vị cần tạo biểu mẫu (có trong --roster); lặp lại để chọn nhiều đơn vị.",
              "Code of a unit (in --roster) to write a form for; repeat it for several units."))
@option("--catalog-version", default=CURRENT_VERSION, show_default=True, metavar=("PHIÊN_BẢN", "VERSION"),
        help=("Phiên bản danh mục chỉ tiêu dùng cho biểu mẫu.", "Version of the indicator catalog of the forms."))
@option("--password", default=DEFAULT_PASSWORD, show_default=True, metavar=("MẬT_KHẨU", "PASSWORD"),
        help=("Mật khẩu khóa trang tính và cấu trúc sổ.", "Password protecting the sheets and the workbook structure."))
@option("--style", type=click.Choice(["nd30", "hd36"]), default="nd30", show_default=True,
        help=("Khối chữ ký của biểu mẫu: nd30 (TM. Ủy ban nhân dân – Chủ tịch, Nghị định 30/2020) hoặc hd36 "
              "(T/M Ban Chỉ đạo – Trưởng ban, thể thức của Đảng).",
              "The form's signature block: nd30 (on behalf of the People's Committee, its chair; Decree "
              "30/2020) or hd36 (on behalf of the steering committee, its head; the Party's layout)."))
@option("--prefill-from", "prefill_from", multiple=True, metavar=("TỔNG_HỢP_QUÝ", "QUARTER_FILE"),
        help=("Sổ tổng hợp (hoặc tệp JSON merge --json) của một quý đã có; nhắc lại cho mỗi quý. Biểu mẫu 6 tháng "
              "hoặc năm của mỗi đơn vị được điền sẵn số liệu cộng dồn từ các quý của chính đơn vị (có dòng ghi chú); "
              "đơn vị kiểm tra, bổ sung quý còn lại rồi gửi như thường lệ.",
              "Consolidated workbook (or merge --json file) of a quarter already done; repeat it for each quarter. "
              "Each unit's half-year or year form is prefilled with its own figures rolled up from those quarters "
              "(with a printed note); the unit checks them, adds the remaining quarter and sends it as usual."))
@click.argument("more_prefill", cls=LocalisedArgument, nargs=-1, metavar=("[TỔNG_HỢP_QUÝ…]", "[QUARTER_FILE…]"))
@click.pass_obj
def template_cmd(obj: dict, level: str | None, period: str | None, out_dir: str, roster: str | None,
                 all_units: bool, units: tuple[str, ...], catalog_version: str, password: str, style: str,
                 prefill_from: tuple[str, ...] = (), more_prefill: tuple[str, ...] = ()) -> None:
    lang = obj["lang"]
    prefill = None
    try:
        if more_prefill and not prefill_from:  # files named after --prefill-from Q1.xlsx: Q2.xlsx Q3.xlsx
            raise QcdcError("template-prefill-needs-units")
        prefill_from = prefill_from + more_prefill
        if (units or all_units) and roster is None:
            raise QcdcError("template-needs-roster")
        lv = None
        if level is not None:
            lv = normalise_level(level)
            if lv is None:
                raise QcdcError("level-invalid", value=level)
        elif roster is None:
            raise QcdcError("template-level-missing")
        per = parse_period(period) if period is not None else None
        if (units or all_units) and per is None:
            raise QcdcError("template-needs-period")
        ros = _load_roster(roster, lang)
        units = tuple(_roster_code(ros, u, "--unit", lang) for u in units)
        load_catalog(catalog_version)
        check_output(out_dir, "--out", folder=True)
        if prefill_from:
            prefill = _prefill(prefill_from, per, ros, units or all_units)
        with writing(lang, [out_dir]):
            written = make_templates(out_dir, lv, per, ros, list(units), all_units,
                                     FormOptions(catalog_version, password, style), prefill)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    for path in written:
        click.echo(str(path))
    if prefill is not None:
        count = sum(1 for path in written if prefill.get(path.name.split("_")[0]))
        click.echo(click.style(t("template-prefilled", lang, count=count, sources=", ".join(prefill_from)),
                               fg="green"), err=True)
    click.echo(click.style(t("template-written", lang, count=len(written), out=out_dir), fg="green"),
               err=True)


def _prefill(paths: tuple[str, ...], period, roster, chosen: bool) -> dict[str, dict[str, object]]:
    """Each unit's figures rolled up from the quarters ``paths`` (``rolling.prefill_values``)."""
    from .rolling import prefill_values

    if roster is None or not chosen or period is None or period.kind == "Q":
        raise QcdcError("template-prefill-needs-units")
    return prefill_values(paths, period)


STATUS_COLOURS = {"accepted": "green", "accepted-with-warnings": "yellow", "rejected": "red", "unreadable": "red"}
SKIP_WORDS = SKIP_REASONS


def render_report(report, lang: str) -> None:
    """Verdict line per file, then findings grouped by file (stdout)."""
    for sub in report.submissions:
        verdict, colour = status_label(sub.status, lang, "terminal"), STATUS_COLOURS[sub.status]
        who = " – ".join(x for x in (sub.unit_code, sub.unit_name) if x)
        extra = f"  {who} · {sub.period}" if who else ""
        if sub.accepted and sub.fingerprint:
            extra += f"  [{'mã số liệu' if lang == 'vi' else 'figures'} {sub.fingerprint}]"
        click.echo(f"{click.style(f'{verdict:<16}', fg=colour, bold=True)} {sub.path}{extra}")
    for path, reason in report.skipped:
        click.echo(f"{click.style(('BỎ QUA' if lang == 'vi' else 'SKIPPED').ljust(16), fg='blue')} {path}"
                   f"  ({SKIP_WORDS[reason][lang]})")
    for sub in report.submissions:
        if not sub.findings:
            continue
        click.echo("\n" + click.style(str(sub.path), bold=True))
        for f in sub.findings:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "")
            sev = click.style(f.severity_label(lang), fg="red" if f.severity == "error" else "yellow")
            click.echo(f"  [{sev}] {where:<14} {f.code}: {f.message(lang)}")
    st = report.stats()
    if lang == "vi":
        line = (f"{st['files']} tệp: {st['accepted']} đạt, {st['accepted-with-warnings']} đạt có cảnh báo, "
                f"{st['rejected']} trả lại, {st['unreadable']} không đọc được; {st['skipped']} bỏ qua.")
    else:
        line = (f"{st['files']} files: {st['accepted']} accepted, {st['accepted-with-warnings']} with warnings, "
                f"{st['rejected']} rejected, {st['unreadable']} unreadable; {st['skipped']} skipped.")
    click.echo("\n" + click.style(line, bold=True))


def render_written(lang: str, workbook: Path | None = None, feedback_dir: str | None = None,
                   feedback: Sequence[Path] = (), json_path: str | None = None, report: str | None = None,
                   to_fix: int = 0, retired: Sequence[Path] = ()) -> None:
    """Name every output written: the workbook, the feedback folder (with its file count: how many
    are receipts and how many go back to be fixed, ``to_fix``), the JSON."""
    vi = lang == "vi"
    rows = []
    if workbook is not None:
        rows.append(("sổ tổng hợp" if vi else "consolidated workbook", str(workbook)))
    if feedback_dir is not None:
        count = len(feedback)
        kinds = (f": {count - to_fix} biên nhận, {to_fix} cần sửa" if vi
                 else f": {count - to_fix} receipt{'s' * (count - to_fix != 1)}, {to_fix} to fix") if count else ""
        rows.append(("tệp góp ý" if vi else "feedback files",
                     f"{feedback_dir} ({count} tệp{kinds})" if vi
                     else f"{feedback_dir} ({count} file{'s' * (count != 1)}{kinds})"))
        if retired:
            rows.append(("tệp góp ý cũ đã chuyển" if vi else "earlier feedback moved",
                         f"{retired[0].parent} ({len(retired)} tệp của lần chạy trước cho cùng đơn vị và kỳ)" if vi
                         else f"{retired[0].parent} ({len(retired)} file{'s' * (len(retired) != 1)} from an earlier "
                              "run for the same units and periods)"))
    if json_path is not None:
        rows.append(("báo cáo JSON" if vi else "JSON report", json_path))
    if report is not None:
        rows.append(("báo cáo Word (dự thảo)" if vi else "Word report (draft)", report))
    if not rows:
        return
    width = max(len(label) for label, _ in rows) + 1
    click.echo(click.style("Đã ghi:" if vi else "Written:", fg="green", bold=True))
    for label, value in rows:
        click.echo(click.style(f"  {label + ':':<{width}} {value}", fg="green"))


@main.command("validate", help=(
    "Kiểm tra các tệp báo cáo đơn vị gửi về: TỆP_HOẶC_THƯ_MỤC là một hay nhiều tệp .xlsx hoặc thư mục "
    "(đọc cả thư mục con; bỏ qua tệp khóa ~$…, tệp ẩn và tệp không phải bảng tính).\n\n"
    "Mã thoát: 0 khi mọi tệp đạt (cho phép cảnh báo), 1 khi có tệp bị trả lại, không đọc được hoặc "
    "không có tệp nào, 2 khi dùng sai lệnh.\n\n"
    "\b\nVí dụ:\n  qcdc-excel validate hop-thu/ --roster ds.csv --period 2023 --feedback-dir gop-y",
    "Check the report files units sent back: FILE_OR_FOLDER is one or more .xlsx files or folders "
    "(subfolders included; Excel lock files ~$…, hidden files and non-spreadsheets are skipped).\n\n"
    "Exit code: 0 when every file is accepted (warnings allowed), 1 when a file is rejected or "
    "unreadable or there is none, 2 on a usage error.\n\n"
    "\b\nExample:\n  qcdc-excel --lang en validate inbox/ --roster list.csv --period 2023 \\\n"
    "      --feedback-dir feedback"),
    short_help=("Kiểm tra các tệp đơn vị gửi về.", "Check the files units sent back."))
@click.argument("files", nargs=-1, required=True, cls=LocalisedArgument,
                metavar=("TỆP_HOẶC_THƯ_MỤC...", "FILE_OR_FOLDER..."))
@option("--roster", type=click.Path(), default=None, metavar=ROSTER_METAVAR,
        help=("Danh sách đơn vị (CSV hoặc .xlsx): mã đơn vị ghi trong tệp phải có trong danh sách và đúng cấp.",
              "List of units (CSV or .xlsx): the unit code in each file must be in it, at the right level."))
@option("--period", default=None, metavar=("KỲ", "PERIOD"),
        help=(f"Kỳ báo cáo mà các tệp phải ghi: {PERIOD_HELP}.",
              f"Reporting period the files must state: {PERIOD_HELP_EN}."))
@option("--json", "json_path", default=None, metavar=("KQ.json", "RESULT.json"),
        help=("Ghi kết quả kiểm tra ra tệp JSON (đuôi .json).", "Write the results to a JSON file (ending in .json)."))
@option("--feedback-dir", default=None, metavar=("THƯ_MỤC", "FOLDER"),
        help=("Thư mục ghi tệp góp ý cho từng tệp (bản sao có đánh dấu ô sai, hoặc ghi chú .txt khi không đọc được).",
              "Folder for one feedback file per file (a marked-up copy, or a .txt note when unreadable)."))
@feedback_lang_option
@previous_option
@click.pass_obj
def validate_cmd(obj: dict, files: tuple[str, ...], roster: str | None, period: str | None,
                 json_path: str | None, feedback_dir: str | None, feedback_lang: str,
                 previous: tuple[str, ...] = ()) -> None:
    from .merging import check

    lang = obj["lang"]
    try:
        per = parse_period(period) if period is not None else None
        _check_suffix(json_path, "--json", ".json", {"vi": "báo cáo JSON", "en": "the JSON report"}, "ket-qua.json")
        ros = _load_roster(roster, lang)
        if json_path is not None:
            check_output(json_path, "--json")
        if feedback_dir is not None:
            check_output(feedback_dir, "--feedback-dir", folder=True)
        scope = Scope(ros, per, previous=previous)
        outputs = Outputs(feedback_dir=feedback_dir, feedback_lang=feedback_lang, json=json_path, lang=lang)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    result = _run(lang, ("Đang kiểm tra", "Checking"), files, [json_path, feedback_dir],
                  lambda tick, collected: check(files, scope, outputs, progress=tick, collected=collected))
    _say(result.warnings, lang)
    render_report(result.report, lang)
    render_written(lang, feedback_dir=feedback_dir, feedback=result.feedback, json_path=json_path,
                   to_fix=sum(s.status in ("rejected", "unreadable") for s in result.report.submissions),
                   retired=result.retired)
    sys.exit(0 if result.ok else 1)


def _run(lang: str, label: tuple[str, str], inputs: Sequence[str], outputs: Sequence[str | None], call):
    """Run a library command, ``call(progress, collected)``, over the files under ``inputs`` (collected
    here to size the progress bar): nothing found exits 1, a refusal or an output that cannot be
    written exits 2 (naming the file)."""
    from .merging import NothingFound
    from .inbox import collect_files

    collected = collect_files(inputs)
    try:
        with writing(lang, outputs), _progress(lang, label, len(collected[0])) as tick:
            return call(tick, collected)
    except NothingFound as exc:
        _say(exc.warnings, lang)
        _nothing_found(lang, inputs, exc.skipped)
    except QcdcError as exc:
        raise _fail(exc, lang) from None


@contextlib.contextmanager
def _progress(lang: str, label: tuple[str, str], total: int) -> Iterator[Callable[[object], None]]:
    """The callback the library calls per file read: a progress bar on stderr over ``total`` files,
    shown from the first file on (an output refused before any reading shows no bar)."""
    bars: list = []

    def tick(_sub: object) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=label[lang != "vi"], file=sys.stderr, show_pos=True))
            bars[0].__enter__()
        bars[0].update(1)

    try:
        yield tick
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _say(warnings: Sequence[QcdcError], lang: str) -> None:
    for warning in warnings:
        click.echo(click.style(warning.render(lang), fg="yellow"), err=True)


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QcdcError("deadline-invalid", value=value) from None


def _parse_report_date(value: str | None) -> dt.date | None:
    try:
        return _parse_date(value)
    except QcdcError:
        raise QcdcError("report-date-invalid", value=value) from None


def _recipients(value: str | None) -> tuple[str, ...] | None:
    """“Nơi nhận” as typed after --recipients: lines separated by semicolons."""
    return None if value is None else tuple(value.split(";"))


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def code_sort_key(code: str) -> tuple:
    """Natural order of indicator codes: I.2 < I.10, IV.8 < IV.10 < V.1."""
    head, *rest = code.split(".")
    if not head or any(ch not in _ROMAN for ch in head) or not all(p.isdigit() for p in rest):
        return (1, code)
    values = [_ROMAN[ch] for ch in head]
    section = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return (0, section, *(int(p) for p in rest))


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    if text[width - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–") + "…"


LABEL_WIDTH = 70


def render_headline(result, lang: str) -> None:
    """The consolidated figures a published report quotes, then who reported."""
    from .numbers import format_number, format_percent

    cons = result.consolidation
    totals = cons.totals
    counts = cons.counts()
    title = (f"TỔNG HỢP {cons.parent_name or ''} ({cons.parent_code or '?'}) — kỳ {cons.period or '?'} — "
             f"{totals.units} đơn vị" if lang == "vi" else
             f"CONSOLIDATED {cons.parent_name or ''} ({cons.parent_code or '?'}) — period {cons.period or '?'} — "
             f"{totals.units} units")
    click.echo("\n" + click.style(title, bold=True))
    if cons.unverified:
        click.echo(click.style("LƯU Ý: có cả báo cáo chưa được chấp nhận (--include-rejected)." if lang == "vi"
                               else "NOTE: includes submissions that were not accepted (--include-rejected).",
                               fg="red", bold=True))
    units_word = cons.units_noun(lang)
    for code in sorted(cons.catalog.headline, key=code_sort_key):
        ind = cons.catalog.indicators[code]
        if ind.kind == "ratio":
            part, whole = totals.number(ind.numerator), totals.number(ind.denominator)
            shown = format_percent(part, whole, lang)
            shown = "—" if shown is None else f"{shown}  ({format_number(part, lang)}/{format_number(whole, lang)})"
        elif ind.kind == "flag" and ind.rollup == "count":
            n = totals.flag_units.get(code)
            shown = f"{totals.values.get(code)}/{n} {units_word}" if n else "—"
        else:
            v = totals.number(code)
            shown = "—" if v is None else format_number(v, lang) + (f" {ind.unit}" if ind.unit else "")
        click.echo(f"  {code:<7} {fit(ind.text(lang), LABEL_WIDTH):<{LABEL_WIDTH}} {shown}")
    if cons.expected:
        line = (f"Nộp báo cáo: {counts['expected']} phải nộp, {counts['accepted']} được chấp nhận "
                f"({counts['on-time']} đúng hạn, {counts['late']} nộp muộn), {counts['rejected']} bị trả lại, "
                f"{counts['missing']} chưa nộp." if lang == "vi" else
                f"Reporting: {counts['expected']} expected, {counts['accepted']} accepted ({counts['on-time']} on time, "
                f"{counts['late']} late), {counts['rejected']} rejected, {counts['missing']} missing.")
        if counts["unreadable"]:
            line = line[:-1] + (f", {counts['unreadable']} đã nộp nhưng tệp không đọc được." if lang == "vi" else
                                f", {counts['unreadable']} sent a file that cannot be read.")
        click.echo(click.style(line, bold=True))
    _render_scope_warnings(cons, lang)
    roles = Counter(r.role for r in cons.files)
    if roles.get("superseded") or roles.get("duplicate") or roles.get("excluded"):
        click.echo(("Tệp bị thay: {s}, trùng: {d}, ngoài phạm vi: {e}." if lang == "vi" else
                    "Files superseded: {s}, duplicates: {d}, excluded: {e}.").format(
                        s=roles.get("superseded", 0), d=roles.get("duplicate", 0), e=roles.get("excluded", 0)))


def _render_scope_warnings(cons, lang: str) -> None:
    """Warn about what silently fell outside the merge: consolidated workbooks of other units and
    files that are all of another period."""
    for r in cons.files:
        if r.role == "excluded" and r.sub.form == "consolidated":
            unit = f"{r.sub.unit_code or '?'} – {r.sub.unit_name or ''}".rstrip(" –")
            click.echo(click.style(t("merge-consolidated-excluded", lang, path=str(r.sub.path), unit=unit,
                                     parent=cons.parent_code or "?", note=r.note[0 if lang == "vi" else 1]),
                                   fg="yellow"), err=True)
    periods = {r.sub.period for r in cons.files if r.sub.period}
    if cons.period and periods and cons.period not in periods:
        click.echo(click.style(t("merge-no-file-of-period", lang, period=cons.period, found=", ".join(sorted(periods))),
                               fg="yellow"), err=True)


@main.command("merge", help=(
    "Tổng hợp cả thư mục báo cáo gửi về (HỘP_THƯ, đọc cả thư mục con) thành sổ tổng hợp của huyện/tỉnh: "
    "phụ lục tổng hợp, chi tiết từng đơn vị, tình hình nộp, kết quả kiểm tra, ghi chú, biểu đồ.\n\n"
    "Mã thoát: 0 khi không còn tệp nào phải xử lý, 1 khi còn tệp bị trả lại (kể cả tệp khác kỳ; chưa được gửi "
    "lại bản đúng, dù có --include-rejected), không đọc được hoặc hộp thư không có tệp nào, 2 khi dùng sai lệnh.\n\n"
    "\b\nVí dụ:\n  qcdc-excel merge hop-thu/ --roster ds.csv --period 2020 \\\n"
    "      --deadline 2020-10-25 --out ket-qua/tong-hop.xlsx \\\n"
    "      --feedback-dir ket-qua/gop-y --json ket-qua/tong-hop.json",
    "Consolidate a whole folder of returned reports (INBOX, subfolders included) into the consolidated "
    "workbook of the district/province: consolidated appendix, per-unit detail, who reported, check "
    "results, notes, charts.\n\n"
    "Exit code: 0 when no file is left to act on, 1 when a rejected file (of another period too) was not "
    "replaced by a good one (even with --include-rejected), a file is unreadable or the inbox has no file, "
    "2 on a usage error.\n\n"
    "\b\nExample:\n  qcdc-excel --lang en merge inbox/ --roster list.csv --period 2020 \\\n"
    "      --deadline 2020-10-25 --out results/total.xlsx \\\n"
    "      --feedback-dir results/feedback --json results/total.json"),
    short_help=("Tổng hợp hộp thư thành sổ tổng hợp.", "Consolidate an inbox into one workbook."))
@click.argument("inbox", cls=LocalisedArgument, metavar=("HỘP_THƯ", "INBOX"))
@option("--out", "out_path", required=True, metavar=("TỔNG_HỢP.xlsx", "RESULT.xlsx"),
        help=("Sổ tổng hợp cần ghi (đuôi .xlsx).", "Consolidated workbook to write (ending in .xlsx)."))
@option("--roster", type=click.Path(), default=None, metavar=ROSTER_METAVAR,
        help=("Danh sách đơn vị (CSV hoặc .xlsx): cho biết đơn vị nào phải nộp và đơn vị nào chưa nộp.",
              "List of units (CSV or .xlsx): who must report, and who has not."))
@option("--period", default=None, metavar=("KỲ", "PERIOD"),
        help=(f"Kỳ báo cáo cần tổng hợp: {PERIOD_HELP}; bỏ trống thì lấy kỳ của phần lớn tệp.",
              f"Reporting period to consolidate: {PERIOD_HELP_EN}; by default the period of most files."))
@option("--parent", default=None, metavar=("MÃ", "CODE"),
        help=("Mã đơn vị tổng hợp (cần --roster); bỏ trống thì lấy đơn vị đứng đầu danh sách đơn vị.",
              "Code of the consolidating unit (needs --roster); by default the unit at the top of the roster."))
@option("--feedback-dir", default=None, metavar=("THƯ_MỤC", "FOLDER"),
        help=("Thư mục ghi tệp góp ý cho từng tệp gửi về.", "Folder for one feedback file per returned file."))
@feedback_lang_option
@option("--json", "json_path", default=None, metavar=("KQ.json", "RESULT.json"),
        help=("Ghi kết quả kiểm tra và số tổng hợp ra tệp JSON (đuôi .json).",
              "Write the check results and the totals to a JSON file (ending in .json)."))
@option("--deadline", default=None, metavar=("NGÀY", "DATE"),
        help=("Hạn nộp, dạng YYYY-MM-DD; báo cáo ghi ngày sau hạn được tính là nộp muộn.",
              "Deadline, as YYYY-MM-DD; a report dated after it counts as late."))
@option("--include-rejected", is_flag=True,
        help=("Cộng cả báo cáo bị trả lại (mọi trang ghi rõ số liệu có báo cáo chưa được chấp nhận).",
              "Add rejected reports too (every sheet then says the figures include reports not accepted)."))
@option("--password", default=DEFAULT_PASSWORD, show_default=True, metavar=("MẬT_KHẨU", "PASSWORD"),
        help=("Mật khẩu khóa trang tính của sổ tổng hợp và tệp góp ý.",
              "Password protecting the sheets of the consolidated workbook and feedback files."))
@option("--feedback-for", type=click.Choice(["all", "problems"]), default="all", show_default=True,
        help=("Ghi tệp góp ý cho mọi tệp (all) hay chỉ tệp có lỗi hoặc cảnh báo (problems).",
              "Write feedback for every file (all) or only for files with errors or warnings (problems)."))
@option("--jobs", type=click.IntRange(min=1), default=None, metavar=("SỐ", "N"),
        help=("Số tiến trình đọc tệp song song; mặc định dùng mọi lõi CPU.",
              "Number of processes reading files in parallel; by default every CPU core."))
@option("--report", "report_path", default=None, metavar=("BAO-CAO.docx", "REPORT.docx"),
        help=("Viết luôn dự thảo báo cáo Word từ cùng số liệu (xem lệnh report).",
              "Also write the draft Word report from the same figures (see the report command)."))
@option("--style", "report_style", type=click.Choice(["nd30", "hd36"]), default="nd30", show_default=True,
        help=("Thể thức báo cáo Word và khối chữ ký của sổ tổng hợp: nd30 (cơ quan nhà nước, Nghị định 30/2020) "
              "hoặc hd36 (Ban Chỉ đạo, Hướng dẫn 36-HD/VPTW).",
              "Layout of the Word report and of the consolidated workbook's signatures: nd30 (state body, "
              "Decree 30/2020) or hd36 (steering committee, Guide 36-HD/VPTW)."))
@option("--signer", default=None, metavar=("HỌ_TÊN", "NAME"), callback=_text_value,
        help=("Người ký báo cáo Word.", "Who signs the Word report."))
@option("--date", "doc_date", default=None, metavar=("NGÀY", "DATE"),
        help=("Ngày ghi trên sổ tổng hợp và báo cáo Word, dạng YYYY-MM-DD; bỏ trống thì lấy ngày báo cáo các đơn vị "
              "ghi (của đơn vị tổng hợp nếu có), hoặc ngày cuối kỳ số liệu, không bao giờ lấy ngày hôm nay.",
              "The date on the consolidated workbook and the Word report, as YYYY-MM-DD; by default the report "
              "date the units gave (the consolidating unit's own first), else the end of the data window, never "
              "today's date."))
@option("--recipients", default=None, metavar=("NƠI_NHẬN", "RECIPIENTS"), callback=_text_value,
        help=("“Nơi nhận” của báo cáo Word, cách nhau bằng dấu chấm phẩy (xem lệnh report).",
              "The Word report's recipients, separated by semicolons (see the report command)."))
@option("--pdf", "with_pdf", is_flag=True,
        help=("Xuất thêm sổ tổng hợp ra PDF để ký (cùng tên, đuôi .pdf; cần LibreOffice).",
              "Also write the consolidated workbook as a PDF to sign (same name, .pdf; needs LibreOffice)."))
@previous_option
@click.pass_obj
def merge_cmd(obj: dict, inbox: str, out_path: str, roster: str | None, period: str | None, parent: str | None,
              feedback_dir: str | None, json_path: str | None, deadline: str | None, include_rejected: bool,
              password: str, feedback_for: str, jobs: int | None, report_path: str | None, report_style: str,
              signer: str | None, doc_date: str | None, recipients: str | None, with_pdf: bool,
              feedback_lang: str, previous: tuple[str, ...] = ()) -> None:
    from .merging import merge

    lang = obj["lang"]
    try:
        _check_suffix(out_path, "--out", ".xlsx", {"vi": "sổ tổng hợp", "en": "the consolidated workbook"},
                      "tong-hop.xlsx")
        _check_suffix(json_path, "--json", ".json", {"vi": "báo cáo JSON", "en": "the JSON report"}, "tong-hop.json")
        per = parse_period(period) if period is not None else None
        due = _parse_date(deadline)
        ros = _load_roster(roster, lang)
        scope = Scope(ros, per, _roster_code(ros, parent, "--parent", lang), due, include_rejected, previous)
        check_output(out_path, "--out", example="tong-hop.xlsx")
        if json_path is not None:
            check_output(json_path, "--json", example="tong-hop.json")
        if feedback_dir is not None:
            check_output(feedback_dir, "--feedback-dir", folder=True)
        _check_suffix(report_path, "--report", ".docx", {"vi": "báo cáo Word", "en": "the Word report"}, "bao-cao.docx")
        if report_path is not None:
            check_output(report_path, "--report", example="bao-cao.docx")
        spec = ReportSpec(report_path, signer, recipients=_recipients(recipients)) if report_path is not None else None
        outputs = Outputs(out_path, feedback_dir, feedback_for, feedback_lang, json=json_path, lang=lang, report=spec,
                          pdf=with_pdf, password=password, style=report_style, date=_parse_report_date(doc_date))
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    result = _run(lang, ("Đang đọc", "Reading"), [inbox], [out_path, json_path, feedback_dir, report_path],
                  lambda tick, collected: merge(inbox, scope, outputs, jobs=jobs, progress=tick, collected=collected))
    _say(result.warnings, lang)
    render_report(result.report, lang)
    render_headline(result, lang)
    render_written(lang, workbook=result.out, feedback_dir=feedback_dir, feedback=result.feedback,
                   json_path=json_path, report=report_path,
                   to_fix=sum(s.status in ("rejected", "unreadable") for s in result.report.submissions),
                   retired=result.retired)
    if result.pdf_error is not None:
        click.echo(click.style(result.pdf_error.render(lang), fg="red"), err=True)
    elif with_pdf:
        _render_pdfs(result.pdfs, lang)
    pdf_ok = result.pdf_error is None and all(r.pdf and not r.problem for r in result.pdfs)
    sys.exit(0 if result.ok and pdf_ok else 1)


@main.command("rollup", help=(
    "Tổng hợp 6 tháng hoặc cả năm từ sổ tổng hợp (hoặc tệp JSON của lệnh merge --json) các quý: TỆP là sổ "
    "tổng hợp của từng quý (hoặc của 6 tháng đầu năm và các quý sau). Số liệu từng đơn vị được cộng dồn theo "
    "từng chỉ tiêu (số phát sinh cộng lại, số hiện có lấy quý sau cùng, tỷ lệ tính lại); sổ ghi rõ “Tổng hợp từ "
    "số liệu các quý”, các kỳ số liệu đã dùng và mọi chỗ thiếu (quý thiếu, đơn vị thiếu một quý). Sổ này dùng "
    "được như sổ tổng hợp thường: gửi lên cấp trên, lệnh report, --previous.\n\n"
    "Mã thoát: 0 khi đủ số liệu, 1 khi còn chỗ thiếu, 2 khi dùng sai lệnh.\n\n"
    "\b\nVí dụ:\n  qcdc-excel rollup Q1.xlsx Q2.xlsx Q3.xlsx Q4.xlsx --period 2025 --out NAM-2025.xlsx\n"
    "  qcdc-excel rollup Q1.xlsx Q2.xlsx --period 2025S1 --out 6-THANG-2025.xlsx",
    "Build the half-year or the year from the quarters' consolidated workbooks (or merge --json files): FILE is "
    "the consolidated workbook of each quarter (or of the first half-year and the later quarters). Each unit's "
    "figures are rolled up by indicator (flows added, stocks the latest quarter's, ratios recomputed); the "
    "workbook says it is built from the quarters' figures, lists the periods used and every gap (a quarter "
    "missing, a unit missing in a quarter). It is a consolidated workbook like any other: to send upward, to "
    "the report command, to --previous.\n\n"
    "Exit code: 0 when complete, 1 when there are gaps, 2 on a usage error.\n\n"
    "\b\nExamples:\n  qcdc-excel --lang en rollup Q1.xlsx Q2.xlsx Q3.xlsx Q4.xlsx --period 2025 --out YEAR-2025.xlsx\n"
    "  qcdc-excel --lang en rollup Q1.xlsx Q2.xlsx --period 2025S1 --out H1-2025.xlsx"),
    short_help=("Tổng hợp 6 tháng, cả năm từ các quý.", "Build the half-year or year from the quarters."))
@click.argument("files", cls=LocalisedArgument, nargs=-1, required=True, metavar=("TỆP…", "FILE…"))
@option("--period", required=True, metavar=("KỲ", "PERIOD"),
        help=("Kỳ cần tổng hợp: 2025S1, 2025S2 (6 tháng) hoặc 2025 (năm).",
              "The period to build: 2025S1, 2025S2 (half-year) or 2025 (year)."))
@option("--out", "out_path", required=True, metavar=("TỔNG_HỢP.xlsx", "RESULT.xlsx"),
        help=("Sổ tổng hợp cần ghi (đuôi .xlsx); không được trùng một tệp đầu vào.",
              "Consolidated workbook to write (ending in .xlsx); it may not be one of the input files."))
@option("--roster", type=click.Path(), default=None, metavar=ROSTER_METAVAR,
        help=("Danh sách đơn vị (không bắt buộc): tên đơn vị và đơn vị nào phải có số liệu.",
              "List of units (optional): the units' names, and who must have figures."))
@option("--password", default=DEFAULT_PASSWORD, show_default=True, metavar=("MẬT_KHẨU", "PASSWORD"),
        help=("Mật khẩu khóa trang tính của sổ tổng hợp.", "Password protecting the consolidated workbook's sheets."))
@option("--style", "report_style", type=click.Choice(["nd30", "hd36"]), default="nd30", show_default=True,
        help=("Khối chữ ký của sổ tổng hợp (như lệnh merge).", "The workbook's signature block (as in merge)."))
@option("--date", "doc_date", default=None, metavar=("NGÀY", "DATE"),
        help=("Ngày ghi trên sổ tổng hợp, dạng YYYY-MM-DD; bỏ trống thì lấy ngày cuối kỳ số liệu.",
              "The date on the workbook, as YYYY-MM-DD; by default the end of the data window."))
@click.pass_obj
def rollup_cmd(obj: dict, files: tuple[str, ...], period: str, out_path: str, roster: str | None, password: str,
               report_style: str, doc_date: str | None) -> None:
    from .rolling import rollup, target_period

    lang = obj["lang"]
    try:
        _check_suffix(out_path, "--out", ".xlsx", {"vi": "sổ tổng hợp", "en": "the consolidated workbook"},
                      "nam-2025.xlsx")
        per = target_period(period)
        ros = _load_roster(roster, lang)
        check_output(out_path, "--out", example="nam-2025.xlsx")
        date = _parse_report_date(doc_date)
        with writing(lang, [out_path]):
            result = rollup(files, per, out_path, roster=ros, password=password, date=date, style=report_style)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    render_rollup(result, lang)
    render_written(lang, workbook=result.out)
    sys.exit(0 if result.ok else 1)


def render_rollup(result, lang: str) -> None:
    """The parts used with their windows, then every gap (or that there is none)."""
    parts = ", ".join(p.period.label(lang) for p in result.parts)
    click.echo(click.style(t("rollup-derived", lang, parts=parts), bold=True))
    for part in result.parts:
        window = part.units and (min(u.window[0] for u in part.units), max(u.window[1] for u in part.units))
        span = f"{window[0]:%d/%m/%Y} – {window[1]:%d/%m/%Y}" if window else ""
        click.echo(f"  {part.period.label(lang):<22} {span:<25} {part.path}")
    for gap in result.gaps:
        click.echo(click.style(f"  {gap.words(lang)}", fg="yellow"))
    key, colour = ("rollup-gaps", "yellow") if result.gaps else ("rollup-complete", "green")
    click.echo(click.style(t(key, lang, count=len(result.gaps)), fg=colour))


@main.command("report", help=(
    "Viết dự thảo báo cáo Word (báo cáo kết quả thực hiện dân chủ ở cơ sở) từ TỆP: sổ tổng hợp hoặc báo cáo "
    "đã được chấp nhận của một đơn vị. Mọi câu có số liệu được viết sẵn từ số liệu đã kiểm tra; các phần "
    "đánh giá, hạn chế, nhiệm vụ, kiến nghị để trống có đánh dấu cho người viết.\n\n"
    "Ví dụ:\n\n\b\n  qcdc-excel report ket-qua/tong-hop.xlsx --out ket-qua/bao-cao.docx --signer \"Nguyễn Văn Dũng\"",
    "Write the draft Word report from FILE: a consolidated workbook or one unit's accepted submission. Every "
    "numeric sentence is written from the checked figures; the judgement sections are left as marked "
    "placeholders.\n\nExample:\n\n\b\n  qcdc-excel report results/consolidated.xlsx --out results/report.docx"))
@click.argument("source", cls=LocalisedArgument, metavar=("TỆP.xlsx", "FILE.xlsx"))
@option("--out", "out_path", required=True, metavar=("BAO-CAO.docx", "REPORT.docx"),
        help=("Tệp báo cáo Word cần ghi (đuôi .docx).", "The Word report to write (ending in .docx)."))
@option("--template", default=None, metavar=("MAU.docx", "TEMPLATE.docx"),
        help=("Mẫu Word riêng của đơn vị, dùng các thẻ trong README; bỏ trống thì dùng mẫu mặc định.",
              "Your own Word template with the tags listed in the README; the default one otherwise."))
@option("--style", type=click.Choice(["nd30", "hd36"]), default="nd30", show_default=True,
        help=("Thể thức: nd30 (cơ quan nhà nước, Nghị định 30/2020) hoặc hd36 (Ban Chỉ đạo, Hướng dẫn 36-HD/VPTW).",
              "Layout: nd30 (state body, Decree 30/2020) or hd36 (steering committee, Guide 36-HD/VPTW)."))
@option("--signer", default=None, metavar=("HỌ_TÊN", "NAME"), callback=_text_value, help=("Người ký.", "Who signs."))
@option("--title", "signer_title", default=None, metavar=("CHỨC_VỤ", "TITLE"), callback=_text_value,
        help=("Chức vụ người ký (ví dụ CHỦ TỊCH, TRƯỞNG BAN); cấp phó ký thay (PHÓ CHỦ TỊCH, PHÓ TRƯỞNG BAN) thì "
              "báo cáo ghi “KT. CHỦ TỊCH” hoặc “K/T TRƯỞNG BAN” trên chức vụ.",
              "The signer's title (e.g. CHỦ TỊCH, TRƯỞNG BAN); a deputy (PHÓ CHỦ TỊCH, PHÓ TRƯỞNG BAN) signs under "
              "“KT. CHỦ TỊCH” or “K/T TRƯỞNG BAN”."))
@option("--date", "report_date", default=None, metavar=("NGÀY", "DATE"),
        help=("Ngày ban hành ghi trên báo cáo, dạng YYYY-MM-DD; bỏ trống thì lấy ngày báo cáo trong tệp (hoặc ngày "
              "cuối kỳ số liệu), không bao giờ lấy ngày hôm nay.",
              "The report's date, as YYYY-MM-DD; by default the report date in FILE (or the end of the data "
              "window), never today's date."))
@option("--recipients", default=None, metavar=("NƠI_NHẬN", "RECIPIENTS"), callback=_text_value,
        help=("“Nơi nhận”, cách nhau bằng dấu chấm phẩy, ví dụ \"Như trên; TT Huyện ủy; Lưu: VT\"; bỏ trống thì là "
              "Ban Chỉ đạo cấp trên và “Lưu: VT”. Có “Như trên” thì báo cáo có dòng “Kính gửi” Ban Chỉ đạo cấp trên.",
              "The recipients, separated by semicolons; by default the steering committee above and the office's "
              "file copy. When one of them is the Vietnamese for 'as above', the report names that committee as "
              "its addressee."))
@option("--write-template", is_flag=True,
        help=("Ghi mẫu Word mặc định (có thẻ) ra --out để đơn vị sửa thành mẫu riêng, không đọc TỆP.",
              "Write the default Word template (with its tags) to --out to be customised; FILE is not read."))
@option("--previous", "previous", multiple=True, metavar=("TỆP_KỲ_TRƯỚC", "EARLIER_FILE"),
        help=("Sổ tổng hợp (.xlsx) hoặc tệp JSON (merge --json) của một kỳ trước; nhắc lại cho mỗi kỳ. Khi có, "
              "báo cáo nêu mức tăng, giảm của từng chỉ tiêu chính so với kỳ trước và cùng kỳ năm trước.",
              "Consolidated workbook (.xlsx) or JSON file (merge --json) of an earlier period; repeat it for each "
              "period. Given, the report states how each headline figure changed from the previous period and "
              "the same period a year earlier."))
@click.pass_obj
def report_cmd(obj: dict, source: str, out_path: str, template: str | None, style: str, signer: str | None,
               signer_title: str | None, report_date: str | None, recipients: str | None,
               write_template: bool, previous: tuple[str, ...] = ()) -> None:
    from .atomic import atomic_write_bytes
    from .report import Letter, default_template, figures_from_file, render_report as render_word

    lang = obj["lang"]
    try:
        _check_suffix(out_path, "--out", ".docx", {"vi": "báo cáo Word", "en": "the Word report"}, "bao-cao.docx")
        check_output(out_path, "--out", example="bao-cao.docx")
        with writing(lang, [out_path]):
            if write_template:
                atomic_write_bytes(Path(out_path), default_template())
            else:
                if not Path(source).is_file():
                    raise QcdcError("file-not-found", path=source)
                letter = Letter(signer, signer_title, _parse_report_date(report_date), recipients=_recipients(recipients))
                render_word(figures_from_file(source, previous), out_path, template, style, letter)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    render_written(lang, report=out_path)


@main.command("pdf", help=(
    "Xuất các trang in của từng sổ Excel ra một tệp PDF cùng tên (tong-hop.xlsx → tong-hop.pdf) để ký, qua "
    "LibreOffice (một lần khởi động cho mọi tệp). Chân trang có mã số liệu; “validate” in cùng mã đó để đối chiếu "
    "bản PDF đã ký với tệp Excel.\n\nVí dụ:\n\n\b\n  qcdc-excel pdf ket-qua/tong-hop.xlsx --out ket-qua",
    "Write the printable sheets of each workbook as one PDF named after it (tong-hop.xlsx → tong-hop.pdf), "
    "ready to sign, through LibreOffice (one start for all files). The footer carries the figures' "
    "fingerprint, which 'validate' prints too, so a signed PDF can be matched to its workbook."))
@click.argument("files", nargs=-1, required=True, cls=LocalisedArgument, metavar=("TỆP.xlsx...", "FILE.xlsx..."))
@option("--out", "out_dir", default=None, metavar=("THƯ_MỤC", "FOLDER"),
        help=("Thư mục ghi PDF (mặc định: cạnh từng tệp).", "Folder for the PDFs (default: beside each file)."))
@click.pass_obj
def pdf_cmd(obj: dict, files: tuple[str, ...], out_dir: str | None) -> None:
    from .pdf import to_pdf

    lang = obj["lang"]
    try:
        if out_dir is not None:
            check_output(out_dir, "--out", folder=True)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    try:
        with writing(lang, [out_dir] if out_dir else []):
            results = to_pdf(list(files), out_dir)
    except QcdcError as exc:
        click.echo(click.style(exc.render(lang), fg="red"), err=True)
        sys.exit(1)
    _render_pdfs(results, lang)
    sys.exit(0 if all(r.pdf and not r.problem for r in results) else 1)


def _render_pdfs(results, lang: str) -> None:
    for r in results:
        if r.pdf:
            mark = f"  [{'mã số liệu' if lang == 'vi' else 'figures'} {r.fingerprint}]" if r.fingerprint else ""
            click.echo(f"{'Đã ghi' if lang == 'vi' else 'Written'}: {r.pdf}{mark}")
            if r.attachment:
                click.echo(f"{'Đã ghi' if lang == 'vi' else 'Written'}: {r.attachment}  "
                           f"[{'tài liệu kèm theo, không ký' if lang == 'vi' else 'working papers, not signed'}]")
        if r.problem or not r.pdf:  # no PDF, or (a consolidated workbook) no working papers
            reason = " ".join(f.message(lang) for f in r.findings)
            click.echo(click.style(t(r.problem or "pdf-failed", lang, path=str(r.source), reason=reason), fg="red"),
                       err=True)


# --- the web desk --------------------------------------------------------------------------------------
@main.group("portal", cls=LocalisedGroup, help=(
    "Cổng nộp báo cáo trên web: đơn vị tải biểu mẫu riêng, gửi tệp đã điền và thấy ngay kết quả kiểm tra; "
    "Văn phòng BCĐ theo dõi đơn vị nào đã nộp, nhận tệp từ Zalo/thư điện tử, duyệt hoặc trả lại, tải sổ "
    "tổng hợp.\n\nBắt đầu:\n\n\b\n  qcdc-excel portal init --data du-lieu-cong --roster DS.csv --period 2024 "
    "--codes-out ma-truy-cap.xlsx\n  qcdc-excel portal serve --data du-lieu-cong",
    "The web desk: units download their own form, send it back and see the check at once; the office "
    "follows who has sent, takes in files received by Zalo or e-mail, approves or returns them, and "
    "downloads the consolidated workbook.\n\nStart:\n\n\b\n  qcdc-excel portal init --data portal-data "
    "--roster ROSTER.csv --period 2024 --codes-out codes.xlsx\n  qcdc-excel portal serve --data portal-data"))
def portal_group() -> None:
    """``qcdc-excel portal``: init, serve, codes."""


def _codes_out(path: str) -> None:
    if not path.lower().endswith((".xlsx", ".csv")):
        raise QcdcError("portal-codes-out")
    check_output(path, "--codes-out", example="ma-truy-cap.xlsx")


def _codes_readers(lang: str) -> str:
    """Who can read the codes file just written (0600: the account that ran the command)."""
    if os.name == "nt":  # pragma: no cover - Windows: the folder's permissions decide
        return ("quyền đọc theo thư mục chứa tệp" if lang == "vi" else "readable as its folder allows")
    import getpass

    user = getpass.getuser()
    return (f"chỉ tài khoản {user} trên máy này đọc được" if lang == "vi"
            else f"readable only by the account {user} on this computer")


@portal_group.command("init", help=(
    "Tạo thư mục dữ liệu của cổng cho đợt nộp kỳ KỲ, tổng hợp tại --parent (mặc định: đơn vị cao nhất của "
    "danh sách), và ghi mã truy cập của từng đơn vị cùng mã của Văn phòng (dòng admin) vào --codes-out — nơi "
    "duy nhất có mã ở dạng đọc được (thư mục dữ liệu chỉ giữ giá trị băm).",
    "Create the portal's data folder for the round of PERIOD consolidating at --parent (default: the "
    "roster's top unit), and write each unit's access code and the office's own (row admin) to --codes-out, "
    "the only place the codes exist in clear (the data folder keeps only hashes)."))
@option("--data", required=True, metavar=("THƯ_MỤC", "FOLDER"),
        help=("Thư mục dữ liệu mới (hoặc trống) của cổng.", "A new (or empty) folder for the portal's data."))
@option("--roster", required=True, type=click.Path(), metavar=ROSTER_METAVAR,
        help=("Danh sách đơn vị (.csv hoặc .xlsx: code,name,level,parent).", "The roster (.csv or .xlsx)."))
@option("--period", required=True, metavar=("KỲ", "PERIOD"),
        help=("Kỳ báo cáo của đợt đầu tiên: 2024Q1, 2024S1, 2024…", "The first round's period: 2024Q1, 2024S1, 2024…"))
@option("--parent", default=None, metavar=("MÃ", "CODE"),
        help=("Mã đơn vị tổng hợp (mặc định: đơn vị cao nhất).", "The consolidating unit (default: the top unit)."))
@option("--deadline", default=None, metavar=("NGÀY", "DATE"),
        help=("Hạn nộp, dạng 2024-07-05.", "Deadline, as 2024-07-05."))
@option("--codes-out", required=True, metavar=("MA.xlsx", "CODES.xlsx"),
        help=("Tệp ghi mã truy cập (.xlsx hoặc .csv với tiêu đề code,name,access_code,link).",
              "Where the access codes go (.xlsx, or .csv with the header code,name,access_code,link)."))
@option("--base-url", default="http://127.0.0.1:8750", show_default=True, metavar=("URL", "URL"),
        help=("Địa chỉ mà đơn vị dùng để mở cổng (đứng đầu mỗi đường link cá nhân).",
              "The address units open the desk at (the start of every personal link)."))
@click.pass_obj
def portal_init_cmd(obj: dict, data: str, roster: str, period: str, parent: str | None, deadline: str | None,
                    codes_out: str, base_url: str) -> None:
    from .portal.storage import init_portal, write_codes

    lang = obj["lang"]
    try:
        parse_period(period)
        due = _parse_date(deadline)
        _codes_out(codes_out)
        ros = _load_roster(roster, lang)
        parent = _roster_code(ros, parent, "--parent", lang)
        with writing(lang, [codes_out, data]):
            rows = init_portal(data, roster, period, parent, due, base_url, loaded=ros)
            write_codes(codes_out, rows)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    units = len(rows) - 1
    if lang == "vi":
        click.echo(f"Đã tạo cổng nộp báo cáo trong {data}: {units} đơn vị, kỳ {parse_period(period).code}.")
        click.echo(f"Mã truy cập (giữ kín, gửi riêng từng đơn vị): {codes_out} ({_codes_readers(lang)})")
        click.echo(f"Chạy cổng: qcdc-excel portal serve --data {data}")
    else:
        click.echo(f"Created the desk in {data}: {units} units, period {parse_period(period).code}.")
        click.echo(f"Access codes (keep them private; send each unit its own): {codes_out} ({_codes_readers(lang)})")
        click.echo(f"Run it: qcdc-excel portal serve --data {data}")


@portal_group.command("serve", help=(
    "Chạy cổng bằng máy chủ waitress (chạy được cả trên Windows). Mặc định chỉ nghe trên máy này "
    "(127.0.0.1); để đơn vị khác truy cập, đặt --host 0.0.0.0 sau một máy chủ HTTPS (xem README).",
    "Run the desk with the waitress server (Windows too). By default it listens on this computer only "
    "(127.0.0.1); to serve other computers use --host 0.0.0.0 behind HTTPS (see the README)."))
@option("--data", required=True, metavar=("THƯ_MỤC", "FOLDER"), help=("Thư mục dữ liệu của cổng.", "The portal's data folder."))
@option("--host", default="127.0.0.1", show_default=True, metavar=("ĐỊA_CHỈ", "HOST"),
        help=("Địa chỉ nghe.", "Address to listen on."))
@option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535), metavar=("CỔNG", "PORT"),
        help=("Cổng nghe.", "Port to listen on."))
@option("--base-url", default=None, metavar=("URL", "URL"),
        help=("Địa chỉ công khai của cổng (cho đường link cá nhân mới cấp).", "The public address (for newly issued links)."))
@option("--workers", default=None, type=click.IntRange(1, 64), metavar=("SỐ", "N"),
        help=("Số tiến trình kiểm tra tệp (mặc định: số lõi CPU).", "Processes that check files (default: CPU cores)."))
@option("--behind-proxy", is_flag=True,
        help=("Chạy sau một máy chủ HTTPS trên chính máy này (nginx, Caddy, IIS): tin các tiêu đề X-Forwarded-* từ 127.0.0.1.",
              "Runs behind an HTTPS proxy on this machine (nginx, Caddy, IIS): trust its X-Forwarded-* headers from 127.0.0.1."))
@click.pass_obj
def portal_serve_cmd(obj: dict, data: str, host: str, port: int, base_url: str | None, workers: int | None,
                     behind_proxy: bool) -> None:
    from .portal.service import Portal
    from .portal.web import serve

    lang = obj["lang"]
    try:
        Portal(data, runner=_NoRunner(), recover=False)  # a clear message if the folder is not a portal
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    shown = base_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def announce() -> None:  # once it listens: files a crash left unchecked are checked meanwhile
        click.echo((f"Cổng nộp báo cáo đang chạy tại {shown}  (dừng: Ctrl+C)" if lang == "vi"
                    else f"The desk is running at {shown}  (stop: Ctrl+C)"), err=True)

    try:
        serve(data, host, port, base_url, workers=workers, behind_proxy=behind_proxy, announce=announce)
    except QcdcError as exc:  # the address cannot be listened on
        raise _fail(exc, lang) from None


class _NoRunner:
    def close(self) -> None:
        pass


@portal_group.command("codes", help=(
    "Cấp mã truy cập mới cho một đơn vị (hoặc admin cho Văn phòng); mã cũ hết hiệu lực ngay.",
    "Issue a new access code for one unit (or admin for the office); the old one stops working at once."))
@option("--data", required=True, metavar=("THƯ_MỤC", "FOLDER"), help=("Thư mục dữ liệu của cổng.", "The portal's data folder."))
@option("--unit", "units", required=True, multiple=True, metavar=("MÃ", "CODE"),
        help=("Mã đơn vị (lặp lại được), hoặc admin.", "Unit code (repeatable), or admin."))
@option("--codes-out", required=True, metavar=("MA.xlsx", "CODES.xlsx"),
        help=("Tệp ghi mã mới (.xlsx hoặc .csv).", "Where the new codes go (.xlsx or .csv)."))
@option("--base-url", default=None, metavar=("URL", "URL"),
        help=("Địa chỉ công khai của cổng.", "The desk's public address."))
@click.pass_obj
def portal_codes_cmd(obj: dict, data: str, units: tuple[str, ...], codes_out: str, base_url: str | None) -> None:
    from .portal.service import Portal
    from .portal.storage import write_codes

    lang = obj["lang"]
    try:
        _codes_out(codes_out)
        portal = Portal(data, runner=_NoRunner(), recover=False)
        with writing(lang, [codes_out]):
            rows = portal.reissue(list(units), base_url)
            write_codes(codes_out, rows)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    click.echo((f"Đã cấp mã mới cho {len(rows)} đơn vị; mã cũ hết hiệu lực. Mã mới: {codes_out}" if lang == "vi"
                else f"Issued {len(rows)} new codes; the old ones no longer work. New codes: {codes_out}")
               + f" ({_codes_readers(lang)})")


def run() -> None:  # pragma: no cover - console entry point
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    run()
