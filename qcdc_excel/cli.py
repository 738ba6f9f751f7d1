"""The ``qcdc-excel`` command: argument parsing, progress and exit codes over library calls.

Exit codes: 0 success, 1 rejected or unreadable input (validate/merge), 2 usage error.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

import click

from . import __version__
from .catalog import CURRENT_VERSION, Heading, known_versions, load_catalog, load_catalog_file
from .i18n import SEVERITY_LABELS, QcdcError, t
from .periods import parse_period
from .roster import load_roster, normalise_level
from .template import DEFAULT_PASSWORD, make_templates

KIND_LABELS = {
    "count": {"vi": "số đếm", "en": "count"}, "amount": {"vi": "số lượng", "en": "amount"},
    "flag": {"vi": "Có/Không", "en": "yes/no"}, "ratio": {"vi": "tỷ lệ", "en": "ratio"},
    "text": {"vi": "văn bản", "en": "text"},
}


class UsageFailure(click.ClickException):
    """A usage error rendered in the chosen language; exits with code 2."""
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(click.style(self.message, fg="red"), err=True)


def _fail(exc: QcdcError, lang: str) -> UsageFailure:
    return UsageFailure(exc.render(lang))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Ngôn ngữ thông báo / language of messages.")
@click.version_option(__version__, prog_name="qcdc-excel")
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """qcdc-excel: biểu mẫu, kiểm tra và tổng hợp phụ lục số liệu thực hiện dân chủ ở cơ sở."""
    ctx.obj = {"lang": lang}


@main.command("catalog")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON / print as JSON.")
@click.option("--version", "version", default=CURRENT_VERSION, show_default=True,
              help="Phiên bản danh mục / catalog version.")
@click.option("--file", "path", type=click.Path(dir_okay=False), default=None,
              help="Kiểm tra một tệp danh mục YAML khác / check another catalog file.")
@click.pass_obj
def catalog_cmd(obj: dict, as_json: bool, version: str, path: str | None) -> None:
    """In danh mục chỉ tiêu và quy tắc kiểm tra / print the indicator catalog."""
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
        extra = f"= {item.numerator}/{item.denominator}" if item.kind == "ratio" else f"[{levels}; {item.rollup}]"
        req = "*" if item.required else " "
        click.echo(f"  {item.code:<8}{req} {item.text(lang)} ({KIND_LABELS[item.kind][lang]}"
                   f"{', ' + item.unit if item.kind in ('count', 'amount') else ''}) {extra}")
    click.echo("\n" + click.style("Quy tắc kiểm tra" if lang == "vi" else "Rules", bold=True))
    for rule in cat.rules:
        sev = SEVERITY_LABELS[rule.severity][lang]
        click.echo(f"  {rule.id:<18} {sev:<9} {rule.expression.text}\n      {rule.text(lang)}")
    click.echo("\n" + ("* bắt buộc nhập" if lang == "vi" else "* required"))


@main.command("template")
@click.option("--level", default=None, help="Cấp: tinh, huyen, xa.")
@click.option("--period", default=None, help="Kỳ báo cáo: 2023Q1…2023Q4, 2023S1, 2023S2, 2023.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Thư mục ghi biểu mẫu / output folder.")
@click.option("--roster", type=click.Path(), default=None, help="Danh sách đơn vị (CSV hoặc .xlsx).")
@click.option("--all", "all_units", is_flag=True, help="Mỗi đơn vị trong danh sách một biểu.")
@click.option("--unit", "units", multiple=True, help="Mã đơn vị (lặp lại được).")
@click.option("--catalog-version", default=CURRENT_VERSION, show_default=True)
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True,
              help="Mật khẩu bảo vệ trang tính / protection password.")
@click.pass_obj
def template_cmd(obj: dict, level: str | None, period: str | None, out_dir: str, roster: str | None,
                 all_units: bool, units: tuple[str, ...], catalog_version: str, password: str) -> None:
    """Tạo biểu mẫu Excel có khóa bảo vệ / write locked Excel templates."""
    lang = obj["lang"]
    try:
        lv = None
        if level is not None:
            lv = normalise_level(level)
            if lv is None:
                raise QcdcError("level-invalid", value=level)
        elif roster is None:
            raise QcdcError("level-invalid", value="")
        per = parse_period(period) if period is not None else None
        ros = load_roster(roster) if roster else None
        load_catalog(catalog_version)
        written = make_templates(out_dir, lv, per, ros, list(units), all_units, catalog_version, password)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    for path in written:
        click.echo(str(path))
    click.echo(click.style(t("template-written", lang, count=len(written), out=out_dir), fg="green"),
               err=True)


STATUS_WORDS = {
    "accepted": ({"vi": "ĐẠT", "en": "ACCEPTED"}, "green"),
    "accepted-with-warnings": ({"vi": "ĐẠT (CẢNH BÁO)", "en": "ACCEPTED (WARNINGS)"}, "yellow"),
    "rejected": ({"vi": "TRẢ LẠI", "en": "REJECTED"}, "red"),
    "unreadable": ({"vi": "KHÔNG ĐỌC ĐƯỢC", "en": "UNREADABLE"}, "red"),
}
SKIP_WORDS = {"lock-file": {"vi": "tệp khóa của Excel", "en": "Excel lock file"},
              "hidden-file": {"vi": "tệp ẩn", "en": "hidden file"},
              "not-a-spreadsheet": {"vi": "không phải bảng tính", "en": "not a spreadsheet"}}


def render_report(report, lang: str) -> None:
    """Verdict line per file, then findings grouped by file (stdout)."""
    for sub in report.submissions:
        word, colour = STATUS_WORDS[sub.status]
        who = " – ".join(x for x in (sub.unit_code, sub.unit_name) if x)
        extra = f"  {who} · {sub.period}" if who else ""
        click.echo(f"{click.style(f'{word[lang]:<16}', fg=colour, bold=True)} {sub.path}{extra}")
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


@main.command("validate")
@click.argument("files", nargs=-1, required=True)
@click.option("--roster", type=click.Path(), default=None, help="Danh sách đơn vị (CSV hoặc .xlsx).")
@click.option("--period", default=None, help="Kỳ báo cáo phải khớp / expected period.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Ghi báo cáo JSON / write a JSON report.")
@click.option("--feedback-dir", type=click.Path(file_okay=False), default=None,
              help="Thư mục ghi tệp góp ý cho từng đơn vị / write feedback files here.")
@click.pass_obj
def validate_cmd(obj: dict, files: tuple[str, ...], roster: str | None, period: str | None,
                 json_path: str | None, feedback_dir: str | None) -> None:
    """Kiểm tra các tệp báo cáo đơn vị gửi về / validate returned workbooks."""
    from .atomic import atomic_write_text
    from .validate import collect_files, validate

    lang = obj["lang"]
    missing = [f for f in files if not Path(f).exists()]
    try:
        if missing:
            raise QcdcError("file-not-found", path=", ".join(missing))
        if period is not None:
            parse_period(period)
        ros = load_roster(roster) if roster else None
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    collected = collect_files(files)
    with click.progressbar(length=len(collected[0]), label="Đang kiểm tra" if lang == "vi" else "Checking",
                           file=sys.stderr, show_pos=True) as bar:
        report = validate(files, ros, period, feedback_dir, lang, progress=lambda _s: bar.update(1),
                          collected=collected)
    render_report(report, lang)
    if json_path:
        atomic_write_text(Path(json_path), json.dumps(report.to_json(lang), ensure_ascii=False, indent=2))
    sys.exit(0 if report.ok else 1)


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QcdcError("deadline-invalid", value=value) from None


def render_headline(result, lang: str) -> None:
    """The consolidated figures a published report quotes, then who reported."""
    from .findings import _num

    cons = result.consolidation
    t = cons.totals
    counts = cons.counts()
    title = (f"TỔNG HỢP {cons.parent_name or ''} ({cons.parent_code or '?'}) — kỳ {cons.period or '?'} — "
             f"{t.units} đơn vị" if lang == "vi" else
             f"CONSOLIDATED {cons.parent_name or ''} ({cons.parent_code or '?'}) — period {cons.period or '?'} — "
             f"{t.units} units")
    click.echo("\n" + click.style(title, bold=True))
    if cons.unverified:
        click.echo(click.style("LƯU Ý: có cả báo cáo chưa được chấp nhận (--include-rejected)." if lang == "vi"
                               else "NOTE: includes submissions that were not accepted (--include-rejected).",
                               fg="red", bold=True))
    for code in cons.catalog.headline:
        ind = cons.catalog.indicators[code]
        if ind.kind == "ratio":
            r = t.ratio(ind)
            shown = "—" if r is None else (f"{r * 100:.1f} %".replace(".", ",") if lang == "vi" else f"{r * 100:.1f} %")
            shown += f"  ({_num(t.number(ind.numerator), lang)}/{_num(t.number(ind.denominator), lang)})" if r is not None else ""
        elif ind.kind == "flag" and ind.rollup == "count":
            n = t.flag_units.get(code)
            shown = f"{t.values.get(code)}/{n} đơn vị" if n else "—"
        else:
            v = t.number(code)
            shown = "—" if v is None else _num(v, lang) + (f" {ind.unit}" if ind.unit else "")
        click.echo(f"  {code:<7} {ind.text(lang)[:70]:<70} {shown}")
    if cons.expected:
        line = (f"Nộp báo cáo: {counts['expected']} phải nộp, {counts['accepted']} được chấp nhận "
                f"({counts['on-time']} đúng hạn, {counts['late']} muộn), {counts['rejected']} bị trả lại, "
                f"{counts['missing']} chưa nộp." if lang == "vi" else
                f"Reporting: {counts['expected']} expected, {counts['accepted']} accepted ({counts['on-time']} on time, "
                f"{counts['late']} late), {counts['rejected']} rejected, {counts['missing']} missing.")
        click.echo(click.style(line, bold=True))
    roles = Counter(r.role for r in cons.files)
    if roles.get("superseded") or roles.get("duplicate") or roles.get("excluded"):
        click.echo(("Tệp bị thay: {s}, trùng: {d}, ngoài phạm vi: {e}." if lang == "vi" else
                    "Files superseded: {s}, duplicates: {d}, excluded: {e}.").format(
                        s=roles.get("superseded", 0), d=roles.get("duplicate", 0), e=roles.get("excluded", 0)))


@main.command("merge")
@click.argument("inbox")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Tệp tổng hợp (.xlsx) / consolidated workbook.")
@click.option("--roster", type=click.Path(), default=None, help="Danh sách đơn vị (CSV hoặc .xlsx).")
@click.option("--period", default=None, help="Kỳ báo cáo / period.")
@click.option("--parent", default=None, help="Mã đơn vị tổng hợp / parent unit code.")
@click.option("--feedback-dir", type=click.Path(file_okay=False), default=None,
              help="Thư mục ghi tệp góp ý / feedback folder.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None, help="Báo cáo JSON.")
@click.option("--deadline", default=None, help="Hạn nộp YYYY-MM-DD / deadline.")
@click.option("--include-rejected", is_flag=True, help="Tính cả báo cáo bị trả lại / include rejected files.")
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True)
@click.option("--feedback-for", type=click.Choice(["all", "problems"]), default="all", show_default=True,
              help="Tệp góp ý cho mọi tệp hay chỉ tệp có vấn đề / feedback for all files or only those with findings.")
@click.option("--jobs", type=int, default=None, help="Số tiến trình đọc tệp / worker processes (mặc định: mọi lõi).")
@click.pass_obj
def merge_cmd(obj: dict, inbox: str, out_path: str, roster: str | None, period: str | None, parent: str | None,
              feedback_dir: str | None, json_path: str | None, deadline: str | None, include_rejected: bool,
              password: str, feedback_for: str, jobs: int | None) -> None:
    """Tổng hợp cả thư mục báo cáo gửi về / merge an inbox into a consolidated workbook."""
    from .merge import merge
    from .validate import collect_files

    lang = obj["lang"]
    try:
        if not Path(inbox).is_dir():
            raise QcdcError("file-not-found", path=inbox)
        if period is not None:
            parse_period(period)
        due = _parse_date(deadline)
        ros = load_roster(roster) if roster else None
        if parent and ros is not None and parent not in ros:
            raise QcdcError("unit-not-in-roster", code=parent, path=ros.source)
        collected = collect_files([inbox])
        with click.progressbar(length=len(collected[0]), label="Đang đọc" if lang == "vi" else "Reading",
                               file=sys.stderr, show_pos=True) as bar:
            result = merge(inbox, out_path, ros, period, parent, feedback_dir, json_path, due,
                           include_rejected, lang, password, progress=lambda _s: bar.update(1),
                           jobs=jobs, feedback_for=feedback_for, collected=collected)
    except QcdcError as exc:
        raise _fail(exc, lang) from None
    render_report(result.report, lang)
    render_headline(result, lang)
    click.echo(click.style(("Đã ghi: " if lang == "vi" else "Written: ") + str(result.out), fg="green"))
    sys.exit(0 if result.ok else 1)


def run() -> None:  # pragma: no cover - console entry point
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
