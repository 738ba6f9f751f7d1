"""Tasks for the worker pool's own tests (never shipped): each is run by a worker like the desk's
tasks (:mod:`qcdc_excel.portal.tasks`), so each is a module-level dataclass a worker can unpickle."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Sleep:
    """A task that stalls for ``seconds``."""

    seconds: float

    def run(self):
        time.sleep(self.seconds)


@dataclass(frozen=True)
class Crash:
    """A task that kills its worker."""

    def run(self):
        os._exit(3)


@dataclass(frozen=True)
class Alloc:
    """A task that wants ``size`` bytes of memory; returns how many it got."""

    size: int

    def run(self):
        return len(bytearray(self.size))
