"""The short labels in ``i18n.WORDS`` (key -> (Vietnamese, English)): every status, role and reason the
program produces has its words, in NFC, and the by-language tables the command line reads are the same words."""
from __future__ import annotations

import unicodedata

import pytest

from qcdc_excel import load_roster
from qcdc_excel.catalog import load_catalog
from qcdc_excel.consolidate import consolidate
from qcdc_excel.i18n import LEVEL_LABELS, SEVERITY_LABELS, SKIP_REASONS, WORDS, word
from qcdc_excel.validate import STATUSES, collect_files, read_submission

from .conftest import KBANG_ROSTER, SAMPLES


def test_every_word_is_a_vietnamese_and_english_pair_in_nfc():
    for key, pair in WORDS.items():
        assert len(pair) == 2 and all(isinstance(w, str) and w.strip() for w in pair), key
        assert all(unicodedata.is_normalized("NFC", w) for w in pair), key


def test_word_speaks_the_language_asked_and_no_other():
    assert word("level-xa") == "Cấp xã" and word("level-xa", "en") == "Commune"
    assert word("validation-rejected", "vi") == "Trả lại" and word("unit-missing") == "Chưa nộp"
    with pytest.raises(ValueError):
        word("level-xa", "fr")


def test_the_command_lines_tables_are_the_same_words():
    for prefix, table in (("level-", LEVEL_LABELS), ("severity-", SEVERITY_LABELS), ("skip-", SKIP_REASONS)):
        assert table and all(table[k] == {"vi": word(prefix + k), "en": word(prefix + k, "en")} for k in table)
        assert len(table) == sum(1 for key in WORDS if key.startswith(prefix))


def test_every_reason_a_file_is_skipped_has_its_words(tmp_path):
    for name in ("~$x.xlsx", ".an.xlsx", "ghi-chu.txt"):
        (tmp_path / name).write_bytes(b"x")
    _, skipped = collect_files([tmp_path])
    assert len(skipped) == 3
    assert all(word(f"skip-{reason}") and word(f"skip-{reason}", "en") for _, reason in skipped)


def test_every_status_and_role_of_a_consolidation_has_its_words():
    roster = load_roster(KBANG_ROSTER)
    subs = [read_submission(p, roster) for p in sorted((SAMPLES / "kbang-2020" / "inbox").glob("*.xlsx"))]
    cons = consolidate(subs, load_catalog(), roster, "2020")
    roles = {r.role for r in cons.files}
    states = {e.status for e in cons.expected}
    assert len(roles) > 1 and len(states) > 1  # the sample has files set aside and units that did not report
    for key in [f"role-{r}" for r in roles] + [f"unit-{s}" for s in states] + [f"validation-{s}" for s in STATUSES]:
        assert word(key) and word(key, "en"), key


def test_every_status_and_role_the_record_names_is_labelled_wherever_it_is_shown(tmp_path):
    from qcdc_excel.inbox import SKIP_CODES
    from qcdc_excel.record import ROLES, STATUS_LABEL_KINDS, role_label, status_label

    for status in STATUSES:
        for kind, prefix in STATUS_LABEL_KINDS.items():
            assert status_label(status, "vi", kind) == WORDS[prefix + status][0]
            assert status_label(status, "en", kind) == WORDS[prefix + status][1]
    # no label row for a status the record does not know
    labelled = {key[len(p):] for key in WORDS for p in STATUS_LABEL_KINDS.values() if key.startswith(p)}
    assert labelled == set(STATUSES)
    assert {key[len("role-"):] for key in WORDS if key.startswith("role-")} == set(ROLES)
    assert all(role_label(r) == word(f"role-{r}") and role_label(r, "en") == word(f"role-{r}", "en") for r in ROLES)
    assert {key[len("skip-"):] for key in WORDS if key.startswith("skip-")} == set(SKIP_CODES)


def test_the_terminal_shows_the_verdicts_words(tmp_path):
    from click.testing import CliRunner

    from qcdc_excel.cli import main
    from qcdc_excel.record import status_label

    inbox = SAMPLES / "kbang-2020" / "inbox"
    for lang in ("vi", "en"):
        out = CliRunner().invoke(main, ["--lang", lang, "validate", str(inbox / "23650_2020.xlsx"),
                                        str(inbox / "23650_2020 (gui lan 1).xlsx")]).stdout
        lines = [line for line in out.splitlines() if "23650_2020" in line]
        assert lines[0].startswith(status_label("accepted", lang, "terminal").ljust(16))
        assert lines[1].startswith(status_label("rejected", lang, "terminal").ljust(16))
