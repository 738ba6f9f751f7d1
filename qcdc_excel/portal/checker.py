"""Checks that run beside the web desk, never inside it: a small pool of worker processes.

A returned workbook is untrusted input. Each check runs in a worker process with a memory cap
(``RLIMIT_AS`` where the system has it) and a time limit: a worker that runs over, dies or runs out
of memory is killed and replaced, and only the request that sent that file gets the
``check-timeout`` / ``check-crashed`` finding. Workers are started once (spawn or forkserver, never a
fork of the threaded server) and reused, so a check costs what reading the file costs.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 60.0  # seconds for one check; a filled form takes ~20 ms
DEFAULT_MEMORY = 1536 * 1024 * 1024  # bytes of address space per worker


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the time limit still applies
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


_rosters: dict[str, object] = {}


def _roster(path: str | None):
    if not path:
        return None
    if path not in _rosters:
        from ..roster import load_roster

        _rosters[path] = load_roster(path)
    return _rosters[path]


def run_task(task: tuple):
    """What a worker does with one task (also callable in-process, for tests and tools)."""
    kind = task[0]
    if kind == "check":
        _, path, roster_path, period = task
        from ..validate import read_submission

        return read_submission(Path(path), _roster(roster_path), period)
    if kind == "feedback":
        _, sub, out_dir, lang, name = task
        from ..feedback import write_feedback

        return write_feedback(sub, out_dir, lang, name)
    if kind == "merge":  # the round's consolidated workbook: ``merge`` itself, in a clean process
        from ..merging import merge

        _, inbox, scope, outputs, subs = task  # a path, a scope.Scope, a scope.Outputs, the recorded reports
        return merge(inbox, scope, outputs, submissions=subs).out
    if kind == "sleep":  # for the pool's own tests: a task that stalls
        import time

        time.sleep(task[1])
        return None
    if kind == "crash":  # for the pool's own tests: a task that kills its worker
        os._exit(3)
    if kind == "alloc":  # for the pool's own tests: a task that wants more memory than allowed
        return len(bytearray(task[1]))
    raise ValueError(kind)


def _worker(conn, memory: int) -> None:
    _limit_memory(memory)
    import gc

    from .. import validate  # noqa: F401 - import the reader once, before the first task

    gc.freeze()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = ("ok", run_task(task))
        except MemoryError:
            result = ("memory", None)
        except Exception as exc:  # noqa: BLE001 - reported to the caller as a finding
            result = ("error", f"{type(exc).__name__}: {exc}"[:300])
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: object


class CheckFailed(Exception):
    """The worker did not return a result: ``reason`` is timeout, crashed, memory or error."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail


class CheckPool:
    """``workers`` processes; :meth:`run` blocks the calling thread until its task is done."""

    def __init__(self, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                 memory: int = DEFAULT_MEMORY) -> None:
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.size = max(1, workers or os.cpu_count() or 1)
        self.timeout, self.memory = timeout, memory
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._free = threading.Semaphore(self.size)
        self._closed = False
        self.restarts = 0

    def _busy_kill(self) -> None:
        """Workers still busy at close (a long check, a merge): stopped, so the process can exit."""
        for proc in multiprocessing.active_children():
            if proc.name == "qcdc-check":
                proc.kill()
                proc.join(5)

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        # not a daemon: a worker that runs ``merge`` starts processes of its own. It ends when this
        # process closes the pool or dies (its pipe closes).
        proc = self._ctx.Process(target=_worker, args=(child, self.memory), daemon=False,
                                 name="qcdc-check")
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def _take(self) -> _Slot:
        with self._lock:
            while self._idle:
                slot = self._idle.pop()
                if slot.process.is_alive():
                    return slot
                self._discard(slot)
        return self._start()

    def _discard(self, slot: _Slot) -> None:
        try:
            slot.process.kill()
        except (OSError, AttributeError):
            pass
        slot.process.join(5)
        try:
            slot.conn.close()
        except OSError:
            pass

    def run(self, task: tuple, timeout: float | None = None):
        if self._closed:
            raise RuntimeError("pool closed")
        with self._free:
            slot = self._take()
            try:
                slot.conn.send(task)
                if not slot.conn.poll(timeout or self.timeout):
                    raise CheckFailed("timeout")
                status, value = slot.conn.recv()
            except CheckFailed:
                self._discard(slot)
                self.restarts += 1
                raise
            except (EOFError, OSError, BrokenPipeError):
                self._discard(slot)
                self.restarts += 1
                raise CheckFailed("crashed") from None
            with self._lock:
                self._idle.append(slot)
            if status == "ok":
                return value
            raise CheckFailed(status, value or "")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            slots, self._idle = self._idle, []
        for slot in slots:
            try:
                slot.conn.send(None)
            except OSError:
                pass
        for slot in slots:
            slot.process.join(2)
        self._busy_kill()


class InlineRunner:
    """Runs tasks in this process (tests of the web layer that do not need isolation)."""

    size = 1
    restarts = 0

    def run(self, task: tuple, timeout: float | None = None):
        return run_task(task)

    def close(self) -> None:
        pass
