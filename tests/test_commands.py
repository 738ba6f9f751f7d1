"""The library's commands with a shape: ``merge(inbox, scope, outputs)`` and ``check(paths, scope,
outputs)``, what a :class:`Scope` checks when it is made, and the web desk's worker receiving the
same objects."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcdc_excel import NothingFound, Outputs, Period, QcdcError, ReportSpec, Scope, check, load_roster, merge
from qcdc_excel.cli import main
from qcdc_excel.portal.checker import InlineRunner
from qcdc_excel.portal.tasks import MergeTask
from qcdc_excel.portal.service import ADMIN, Portal, init_portal

from .conftest import KBANG_ROSTER, SAMPLES

INBOX = SAMPLES / "kbang-2020" / "inbox"


def test_the_package_gives_the_functions_not_modules():
    code = ("import inspect, qcdc_excel; from qcdc_excel import merge, check; "
            "print(inspect.isfunction(merge), inspect.isfunction(check), inspect.isfunction(qcdc_excel.merge))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "True"]


def test_a_scope_is_checked_once_when_it_is_made():
    roster = load_roster(KBANG_ROSTER)
    scope = Scope(roster, "2020Q3", "625")
    assert scope.period == Period(2020, "Q", 3) and scope.period_code == "2020Q3"
    assert Scope(period=Period(2021, "Y", 0)).period_code == "2021" and Scope().period_code is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.parent = "23641"
    with pytest.raises(QcdcError) as err:
        Scope(period="2020Q7")
    assert err.value.key == "period-invalid"
    with pytest.raises(QcdcError) as err:
        Scope(parent="625")
    assert err.value.key == "merge-parent-needs-roster" and "625" in err.value.render("vi")
    with pytest.raises(QcdcError) as err:
        Scope(roster, parent="999")
    assert err.value.key == "unit-not-in-roster" and str(KBANG_ROSTER) in err.value.render("vi")


def test_outputs_name_every_file_they_write(tmp_path):
    outputs = Outputs(str(tmp_path / "t.xlsx"), json=str(tmp_path / "t.json"), pdf=True,
                      report=ReportSpec(str(tmp_path / "b.docx"), "Nguyễn Văn A"))
    assert outputs.named() == {"--out": tmp_path / "t.xlsx", "--json": tmp_path / "t.json",
                               "--report": tmp_path / "b.docx", "--pdf": tmp_path / "t.pdf"}
    assert outputs.feedback_lang == "vi" and outputs.feedback_for == "all"
    assert Outputs(tmp_path / "t.xlsx").pdf_path is None
    with pytest.raises(ValueError):
        Outputs(feedback_for="some")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_check_writes_what_validate_writes(tmp_path, lang):
    """A script reproduces ``validate --feedback-dir --json`` byte for byte."""
    cli_dir, lib_dir = tmp_path / "cli", tmp_path / "lib"
    r = CliRunner().invoke(main, ["--lang", lang, "validate", str(INBOX), "--roster", str(KBANG_ROSTER),
                                  "--period", "2020", "--feedback-dir", str(cli_dir / "gop-y"),
                                  "--json", str(cli_dir / "kq.json"), "--feedback-lang", lang])
    assert r.exit_code == 1, r.output  # two files of the sample are rejected
    result = check([INBOX], Scope(load_roster(KBANG_ROSTER), "2020"),
                   Outputs(feedback_dir=lib_dir / "gop-y", feedback_lang=lang, json=lib_dir / "kq.json", lang=lang))
    assert not result.ok and result.report.stats()["rejected"] == 2
    assert (lib_dir / "kq.json").read_bytes() == (cli_dir / "kq.json").read_bytes()
    assert json.loads((lib_dir / "kq.json").read_text("utf-8")) == result.to_json(lang)
    written = _files(lib_dir / "gop-y")
    assert written == _files(cli_dir / "gop-y") and len(written) == len(result.report.submissions)
    assert sorted(p.name for p in result.feedback) == sorted(written)
    assert result.warnings == [] and result.retired == []


def test_check_refuses_outputs_among_its_inputs_and_skips_its_own_copies(tmp_path):
    inbox = tmp_path / "hop-thu"
    shutil.copytree(INBOX, inbox)
    before = sorted(p.relative_to(inbox) for p in inbox.rglob("*"))
    for outputs in (Outputs(json=inbox / "kq.json"), Outputs(feedback_dir=inbox)):
        with pytest.raises(QcdcError) as err:
            check([inbox], Scope(), outputs)
        assert err.value.key == "output-is-input"
    assert sorted(p.relative_to(inbox) for p in inbox.rglob("*")) == before
    first = check([inbox], outputs=Outputs(feedback_dir=inbox / "gop-y"))
    assert [w.key for w in first.warnings] == ["feedback-dir-in-inbox"]
    again = check([inbox])
    assert len(again.report.submissions) == len(first.report.submissions)
    assert {p for p, why in again.report.skipped if why == "feedback-copy"} == set(first.feedback)


def test_check_of_a_folder_without_reports_raises_nothing_found(tmp_path):
    folder = tmp_path / "trong"
    folder.mkdir()
    (folder / "ghi-chu.txt").write_text("không phải bảng tính", encoding="utf-8")
    with pytest.raises(NothingFound) as info:
        check([folder], outputs=Outputs(json=tmp_path / "kq.json"))
    assert [p.name for p, _ in info.value.skipped] == ["ghi-chu.txt"]
    assert not (tmp_path / "kq.json").exists()


def test_merge_needs_a_workbook(tmp_path):
    with pytest.raises(ValueError):
        merge(INBOX, Scope(), Outputs(json=tmp_path / "t.json"))
    assert not (tmp_path / "t.json").exists()


def test_the_desk_worker_receives_scope_and_outputs(tmp_path):
    init_portal(tmp_path / "data", KBANG_ROSTER, "2020", "625")
    tasks = []

    class Recording(InlineRunner):
        def run(self, task, timeout=None, **kw):
            tasks.append(task)
            return super().run(task, timeout, **kw)

    portal = Portal(tmp_path / "data", runner=Recording())
    try:
        for name in ("23641_2020.xlsx", "23644_2020.xlsx"):
            portal.receive(next(INBOX.rglob(name)).read_bytes(), name, ADMIN, "desk")
        paths = portal.outputs()
    finally:
        portal.close()
    [merge_task] = [t for t in tasks if isinstance(t, MergeTask)]
    scope, outputs, subs = merge_task.scope, merge_task.outputs, merge_task.subs
    assert isinstance(scope, Scope) and isinstance(outputs, Outputs)
    assert (scope.period_code, scope.parent, len(scope.roster)) == ("2020", "625", len(load_roster(KBANG_ROSTER)))
    assert (outputs.workbook, outputs.json, outputs.report.path) == (paths["xlsx"], paths["json"], paths["docx"])
    assert outputs.feedback_dir is None and sorted(s.unit_code for s in subs) == ["23641", "23644"]
    assert json.loads(paths["json"].read_text("utf-8"))["units"]["accepted"] == ["23641", "23644"]
