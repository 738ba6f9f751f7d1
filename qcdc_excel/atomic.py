"""Atomic output: write to a temporary file beside the target, then rename over it.

Outputs get the permissions any new file gets (0666 less the umask, and the folder's default ACL
if it has one): the temporary file is created with mode 0666 and the kernel applies the umask, so
the umask is never read or changed (changing it is process-wide and races with threads).
``private=True`` (the web desk's data folder, the access codes) makes the file 0600 and any folder
it creates 0700 whatever the umask: readable by the account that runs the command only.

:func:`check_output` refuses, before any work starts, an output path that cannot be written, and
:func:`os_error_reason` says in both languages why a write failed.
"""
from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from .i18n import QcdcError, both, t

_TEMP_ATTEMPTS = 100
MAX_NAME_BYTES = 255  # the longest file or folder name common file systems take


PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def _create_temp(folder: Path, name: str, private: bool = False, tag: str = "") -> tuple[int, Path]:
    """A new, empty file beside ``name`` in ``folder``, opened for writing (mode 0666 & ~umask, or
    exactly 0600 when ``private``): ``.NAME.XXXXXXXXXXXX.tmp``, twelve hex digits that begin with
    ``tag`` (a run's own, so that it can tell its temporary files from those of another run writing
    the same folder)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    short = name.encode("utf-8")[:200].decode("utf-8", "ignore")  # within the 255-byte limit of a name
    for _ in range(_TEMP_ATTEMPTS):
        tmp = folder / f".{short}.{tag}{secrets.token_hex(6 - len(tag) // 2)}.tmp"
        try:
            fd = os.open(tmp, flags, PRIVATE_FILE if private else 0o666)
        except FileExistsError:
            continue
        if private and hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)  # exactly 0600, whatever the umask took away
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(folder))


def private_folder(path: Path) -> Path:
    """``path`` and any missing folder above it, created 0700 (an existing folder is left as it is)."""
    target = path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made meanwhile by another thread
        os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is reduced by the umask
    return target


def atomic_write_bytes(path: Path, data: bytes, private: bool = False) -> Path:
    path = Path(path)
    if private:
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path.parent, path.name, private)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: Path, text: str, private: bool = False) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), private)


# --- many files at once ----------------------------------------------------------------------------
# A thousand feedback files each written with its own fsync cost a journal commit each (0.3 to 1 ms
# apiece on an ext4 disk, more when two processes take turns). Staged, they are all written first,
# made durable together by one sync, and only then renamed into place: the same guarantee as
# atomic_write_bytes (a target is either its old self or the whole new file) at one sync's cost.
def stage_bytes(path: Path, data: bytes, tag: str = "") -> tuple[Path | None, Path]:
    """Write ``data`` to a temporary file beside ``path``, not yet synced nor in place; the pair
    (temporary, target) for :func:`commit_staged` (or :func:`discard_staged`). When ``path``
    already holds exactly ``data`` (a merge run again over files that did not change), nothing is
    written and the pair is (None, target): the file stays as it is, with its date."""
    path = Path(path)
    if _holds(path, data):
        return None, path
    fd, tmp = _create_temp(path.parent, path.name, tag=tag)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        discard_staged([(tmp, path)])
        raise
    return tmp, path


def _holds(path: Path, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


def commit_staged(pairs: list[tuple[Path | None, Path]]) -> None:
    """Make every staged file durable, then move each into place."""
    staged = [(tmp, path) for tmp, path in pairs if tmp is not None]
    if not staged:
        return
    if hasattr(os, "sync"):
        os.sync()  # one flush for all (Unix)
    else:  # pragma: no cover - Windows has no sync(): each file on its own
        for tmp, _ in staged:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
    for tmp, path in staged:
        os.replace(tmp, path)


def discard_staged(pairs: list[tuple[Path | None, Path]]) -> None:
    for tmp, _ in pairs:
        if tmp is None:
            continue
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


# --- checking an output path before the work ----------------------------------------------------
def _reason(key: str, **params: object) -> dict[str, str]:
    return both(t(key, "vi", **params), t(key, "en", **params))


def os_error_reason(exc: OSError, folder: str | Path | None = None) -> dict[str, str]:
    """Why ``exc`` happened, in both languages (a message parameter for :class:`QcdcError`)."""
    where = str(folder if folder is not None else (Path(exc.filename).parent if exc.filename else "."))
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return _reason("reason-no-permission", folder=where)
    if code == errno.EROFS:
        return _reason("reason-read-only", folder=where)
    if code == errno.ENOENT:
        return _reason("reason-cannot-create", folder=where)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return _reason("reason-disk-full")
    if code == errno.ENAMETOOLONG:
        return _reason("reason-name-too-long")
    if code in (errno.ENOTDIR, errno.EEXIST):
        return _reason("reason-under-file", blocker=exc.filename or where)
    name = errno.errorcode.get(code or 0, type(exc).__name__)
    return _reason("reason-os-error", name=name, detail=exc.strerror or str(exc))


def check_output(path: str | Path, option: str, folder: bool = False, example: str = "") -> Path:
    """Refuse an output ``path`` (a file, or a ``folder``) that cannot be written; create nothing.

    Raises :class:`QcdcError` ``output-not-writable`` naming ``path`` and the ``option`` it came
    from when ``path`` or a folder above it is a file, it is a folder where a file is wanted (or the
    other way round), or the nearest existing folder does not let a file be created (tried for real,
    with a temporary file removed at once: permissions, read-only disks and system folders such as
    /proc all answer the same way, whoever runs the command).
    """
    path = Path(path)

    def refuse(reason: dict[str, str]) -> QcdcError:
        return QcdcError("output-not-writable", path=str(path), option=option, reason=reason)

    if "\x00" in str(path):
        raise refuse(_reason("reason-name-invalid"))
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in path.parts):
        raise refuse(_reason("reason-name-too-long"))
    if os.path.exists(path):
        if folder and not os.path.isdir(path):
            raise refuse(_reason("reason-is-file"))
        if not folder and os.path.isdir(path):
            raise refuse(_reason("reason-is-folder", example=str(path / (example or "ket-qua"))))
    existing = path if folder else path.parent
    existing = Path(os.path.abspath(existing))
    while not os.path.exists(existing) and existing != existing.parent:
        existing = existing.parent
    if not os.path.isdir(existing):
        raise refuse(_reason("reason-under-file", blocker=_shown(existing, path)))
    try:
        fd, tmp = _create_temp(existing, "qcdc-check")
    except OSError as exc:
        raise refuse(os_error_reason(exc, _shown(existing, path))) from None
    os.close(fd)
    os.unlink(tmp)
    return path


def _shown(existing: Path, path: Path) -> str:
    """``existing`` written the way the user wrote ``path`` (relative stays relative)."""
    if path.is_absolute():
        return str(existing)
    try:
        return os.path.relpath(existing) if existing != Path(os.path.abspath(".")) else "."
    except ValueError:  # another drive on Windows
        return str(existing)
