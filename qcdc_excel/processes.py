"""Worker processes: one choice of start method for the whole package.

Linux forks (cheap: the workers inherit what the parent read); Windows and macOS can only spawn (each
worker imports the package afresh and receives its work pickled). ``QCDC_START_METHOD=spawn`` makes
Linux do what Windows does, so the tests exercise that path too (``tests/test_windows_paths.py``).
"""
from __future__ import annotations

import multiprocessing
import os

START_METHOD_ENV = "QCDC_START_METHOD"


def context(preferred: str = "fork"):
    """The multiprocessing context to start workers with: ``preferred`` where this system has it
    (else spawn), unless ``QCDC_START_METHOD`` names another method this system has."""
    methods = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD_ENV, "")
    method = forced if forced in methods else (preferred if preferred in methods else "spawn")
    return multiprocessing.get_context(method)


__all__ = ["START_METHOD_ENV", "context"]
