"""Checks that run beside the web desk, never inside it: a small pool of worker processes.

A returned workbook is untrusted input. Each check runs in a worker process with a memory cap
(``RLIMIT_AS`` where the system has it) and a time limit: a worker that runs over, dies or runs out
of memory is killed and replaced, and only the request that sent that file gets the
``check-timeout`` / ``check-crashed`` finding. Workers are started once (spawn or forkserver, never a
fork of the threaded server) and reused, so a check costs what reading the file costs.

Who gets a worker next is decided by a :class:`FairQueue`: at most a few checks of one unit run at
once, the next free worker goes to the unit served least recently (so one unit's backlog never holds
up another's file), a unit with too many files waiting is told to come back later (:class:`Busy`),
and the time limit of a check counts from the moment the upload arrived, its wait included.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

from ..i18n import QcdcError
from .tasks import WarmTask, run_task

DEFAULT_TIMEOUT = 60.0  # seconds for one check; a filled form takes ~20 ms
DEFAULT_MEMORY = 1536 * 1024 * 1024  # bytes of address space per worker
DEFAULT_WAITING = 8  # files of one unit that may wait for a worker beyond those being checked
# the secretariat, and the desk's own work (key ""): never refused, may use every worker (still takes turns)
PRIVILEGED = ("admin", "")


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


class Busy(QcdcError):
    """Too many checks waiting, for one unit (``scope`` unit) or for the whole server: the upload
    is refused before anything is stored, with the seconds after which to send it again."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__("portal-busy-unit" if scope == "unit" else "portal-busy", seconds=retry_after)
        self.scope, self.retry_after = scope, retry_after


class Ticket:
    """A place in the queue, from the moment an upload arrives until its check is over (a context
    manager: leaving it gives the place, and the worker if it had one, back)."""

    __slots__ = ("queue", "key", "seq", "arrived", "started", "granted", "done")

    def __init__(self, queue: FairQueue, key: str, seq: int) -> None:
        self.queue, self.key, self.seq = queue, key, seq
        self.arrived, self.started = time.monotonic(), 0.0
        self.granted = self.done = False

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc) -> None:
        self.queue.release(self)


class FairQueue:
    """Turns at ``slots`` workers, shared fairly between units (``key``: who sent the file).

    - at most ``per_key`` checks of one unit at once (privileged keys: every slot), so with more
      than one worker a flooding unit always leaves a worker to the others;
    - a free worker goes to the waiting unit served least recently (a unit that was idle first), and
      within a unit to its oldest file;
    - :meth:`admit` refuses (:class:`Busy`) a unit holding ``per_key + waiting`` places, and anyone
      but a privileged key once ``max_held`` places are held in all: every held place is a server
      thread, and some threads must stay free for pages and ``/healthz``.

    Only :meth:`acquire` waits, and never with the lock held; :meth:`stats` takes the lock for a
    moment only, so a health check never waits for a worker.
    """

    def __init__(self, slots: int, per_key: int | None = None, waiting: int = DEFAULT_WAITING,
                 max_held: int | None = None, privileged: tuple[str, ...] = PRIVILEGED) -> None:
        self.slots = max(1, slots)
        self.per_key = per_key or max(1, min(2, self.slots - 1))
        self.waiting, self.max_held, self.privileged = waiting, max_held, frozenset(privileged)
        self._cond = threading.Condition()
        self._free = self.slots
        self._queues: dict[str, deque[Ticket]] = {}
        self._running: dict[str, int] = {}
        self._held: dict[str, int] = {}
        self._served: dict[str, int] = {}  # key -> turn of its last grant (forgotten when idle)
        self._total = self._seq = self._turn = 0
        self._avg = 1.0  # seconds a check holds a worker, smoothed: for the advice when to come back

    def limit(self, key: str) -> int:
        return self.slots if key in self.privileged else self.per_key

    def admit(self, key: str, bounded: bool = True) -> Ticket:
        """A place for ``key``; with ``bounded``, :class:`Busy` when it would be one too many."""
        with self._cond:
            if bounded and key not in self.privileged:
                held = self._held.get(key, 0)
                if held >= self.per_key + self.waiting:
                    raise Busy("unit", self._advice(held, self.per_key))
                if self.max_held is not None and self._total >= self.max_held:
                    raise Busy("server", self._advice(self._total, self.slots))
            self._seq += 1
            self._held[key] = self._held.get(key, 0) + 1
            self._total += 1
            return Ticket(self, key, self._seq)

    def _advice(self, ahead: int, lanes: int) -> int:
        return max(1, min(300, math.ceil(self._avg * (ahead + 1) / lanes)))

    def acquire(self, ticket: Ticket, deadline: float) -> bool:
        """Wait for a worker until ``deadline`` (``time.monotonic``); False if it came first."""
        with self._cond:
            if ticket.done:
                raise RuntimeError("ticket already used")
            if deadline <= time.monotonic():
                return False  # its time ran out before it was even queued (e.g. while it was stored)
            if not ticket.granted:
                self._queues.setdefault(ticket.key, deque()).append(ticket)
                self._dispatch()
            while not ticket.granted:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._unqueue(ticket)
                    return False
                self._cond.wait(left)
            ticket.started = time.monotonic()
            return True

    def _dispatch(self) -> None:
        granted = False
        while self._free > 0:
            best = None
            for key, waiting in self._queues.items():
                if self._running.get(key, 0) < self.limit(key):
                    rank = (self._served.get(key, 0), waiting[0].seq)
                    if best is None or rank < best[0]:
                        best = (rank, key)
            if best is None:
                break
            key = best[1]
            ticket = self._queues[key].popleft()
            if not self._queues[key]:
                del self._queues[key]
            ticket.granted, granted = True, True
            self._free -= 1
            self._running[key] = self._running.get(key, 0) + 1
            self._turn += 1
            self._served[key] = self._turn
        if granted:
            self._cond.notify_all()

    def _unqueue(self, ticket: Ticket) -> None:
        waiting = self._queues.get(ticket.key)
        if waiting and ticket in waiting:
            waiting.remove(ticket)
            if not waiting:
                del self._queues[ticket.key]

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.done:
                return
            ticket.done = True
            key = ticket.key
            if ticket.granted:
                self._free += 1
                self._running[key] -= 1
                if not self._running[key]:
                    del self._running[key]
                self._avg = 0.8 * self._avg + 0.2 * (time.monotonic() - ticket.started)
            else:
                self._unqueue(ticket)
            self._total -= 1
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]
                self._served.pop(key, None)  # an idle unit comes back as a newcomer
            self._dispatch()

    def stats(self) -> dict:
        with self._cond:
            return {"workers": self.slots, "running": self.slots - self._free,
                    "waiting": sum(len(q) for q in self._queues.values()), "held": self._total}


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
    """``workers`` processes; :meth:`run` blocks the calling thread until its task is done, taking
    its turn in a :class:`FairQueue` (``per_unit``, ``waiting``, ``max_held``: see there)."""

    def __init__(self, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                 memory: int = DEFAULT_MEMORY, per_unit: int | None = None, waiting: int = DEFAULT_WAITING,
                 max_held: int | None = None) -> None:
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.size = max(1, workers or os.cpu_count() or 1)
        self.timeout, self.memory = timeout, memory
        self.queue = FairQueue(self.size, per_unit, waiting, max_held)
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
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

    def admit(self, key: str = "") -> Ticket:
        """A place in the queue for ``key`` before its upload is stored (:class:`Busy` if none)."""
        return self.queue.admit(key)

    def stats(self) -> dict:
        return self.queue.stats()

    def warm(self) -> None:
        """Start every worker now (the server does it at start-up), so that the first uploads do not
        wait for a process to start while the other units' files go by; through the queue like any
        task, so never more than ``size`` workers."""
        def one() -> None:
            try:
                self.run(WarmTask())
            except (CheckFailed, RuntimeError, OSError):  # closed meanwhile, or a worker that could not start
                pass

        threads = [threading.Thread(target=one, name="qcdc-warm-pool", daemon=True) for _ in range(self.size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def run(self, task, timeout: float | None = None, key: str = "", ticket: Ticket | None = None):
        """Run ``task`` (a :mod:`.tasks` dataclass; the worker calls its ``run()``) for ``key`` when
        its turn comes (with ``ticket``: the place :meth:`admit` gave).

        Two limits: the wait for a worker, counted from the ticket's arrival, ends in
        ``CheckFailed("queued")`` (the desk was busy: nothing is wrong with the file, which the caller
        checks later); once in a worker the task has its whole time limit, and only running over it
        is ``CheckFailed("timeout")``."""
        if self._closed:
            raise RuntimeError("pool closed")
        ticket = ticket or self.queue.admit(key, bounded=False)
        limit = timeout or self.timeout
        with ticket:
            if not self.queue.acquire(ticket, ticket.arrived + limit):
                raise CheckFailed("queued")
            return self._run_in_worker(task, limit)

    def _run_in_worker(self, task, seconds: float):
        slot = self._take()
        try:
            slot.conn.send(task)
            if not slot.conn.poll(max(seconds, 0.001)):
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

    def admit(self, key: str = "") -> Ticket:
        return FairQueue(1).admit(key, bounded=False)  # never refused: tests decide what runs

    def stats(self) -> dict:
        return {"workers": 0, "running": 0, "waiting": 0, "held": 0}

    def run(self, task, timeout: float | None = None, key: str = "", ticket: Ticket | None = None):
        if ticket is not None:
            ticket.queue.release(ticket)
        return run_task(task)

    def close(self) -> None:
        pass
