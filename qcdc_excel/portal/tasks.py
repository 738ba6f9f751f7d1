"""What the desk's workers do: one small dataclass per kind of work, carrying its own ``run()``.

A task is pickled to a worker process (:mod:`.checker`) and run there, so each is a plain frozen
dataclass defined at module level. A new kind of work is a new dataclass here with a ``run()``;
the pool neither knows nor dispatches on the kinds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

_rosters: dict[str, object] = {}  # per worker process: a round's roster is read once


def _roster(path: str | None):
    if not path:
        return None
    if path not in _rosters:
        from ..roster import load_roster

        _rosters[path] = load_roster(path)
    return _rosters[path]


@dataclass(frozen=True)
class CheckTask:
    """Read and check one stored upload against the round's roster and period."""

    path: str
    roster_path: str | None
    period: str

    def run(self):
        from ..validate import read_submission

        return read_submission(Path(self.path), _roster(self.roster_path), self.period)


@dataclass(frozen=True)
class FeedbackTask:
    """Write the feedback copy of a recorded check into ``out_dir`` under ``name``."""

    sub: object  # a validate.Submission
    out_dir: str
    lang: str
    name: str
    office: str | None = None  # the receiving office, named on the receipt

    def run(self):
        from ..feedback import write_feedback

        return write_feedback(self.sub, self.out_dir, self.lang, self.name, self.office)


@dataclass(frozen=True)
class MergeTask:
    """The round's consolidated workbook: ``merge`` itself, in a clean process, on the recorded reports."""

    inbox: str
    scope: object  # a scope.Scope
    outputs: object  # a scope.Outputs
    subs: list = field(default_factory=list)

    def run(self):
        from ..merging import merge

        return merge(self.inbox, self.scope, self.outputs, submissions=self.subs).out


@dataclass(frozen=True)
class WarmTask:
    """Nothing: starting a worker before the first upload needs it."""

    def run(self):
        return None


def run_task(task):
    """What a worker does with one task (also callable in-process, for tests and tools)."""
    return task.run()
