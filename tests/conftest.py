"""Shared fixtures: the catalog, sample paths and a LibreOffice converter.

LibreOffice tests skip with a visible reason when ``soffice`` is missing on a developer machine;
under CI (``CI`` set) a missing ``soffice`` is a failure, never a silent skip.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from qcdc_excel import load_catalog

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
KBANG_ROSTER = SAMPLES / "rosters" / "kbang-2020.csv"
POST2025_ROSTER = SAMPLES / "rosters" / "post2025-province.csv"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice():
    binary = soffice_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required under CI but was not found")
        pytest.skip("LibreOffice 'soffice' not found: install libreoffice-calc-nogui to run this test")
    return binary


def convert_with_soffice(binary: str, files: list[Path], outdir: Path, fmt: str = "xlsx",
                         timeout: int = 600) -> dict[Path, Path]:
    """Open, recalculate and re-save ``files`` with LibreOffice in ONE process start.

    Returns input -> converted path for each file that LibreOffice wrote.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"qcdc-lo-profile-{uuid.uuid4().hex}"
    cmd = [binary, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
           "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {}
    for f in files:
        target = outdir / (f.stem + "." + fmt.split(":")[0])
        if target.exists():
            out[f] = target
    if len(out) != len(files):
        missing = [str(f) for f in files if f not in out]
        raise AssertionError(f"LibreOffice did not convert {missing}\n{proc.stdout}\n{proc.stderr}")
    return out


@pytest.fixture(scope="session")
def ssconvert():
    """Gnumeric's converter: re-saves a workbook the way Gnumeric writes it."""
    binary = shutil.which("ssconvert")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("ssconvert (Gnumeric) is required under CI but was not found")
        pytest.skip("Gnumeric 'ssconvert' not found: install the gnumeric package to run this test")
    return binary


def convert_with_ssconvert(binary: str, files: list[Path], outdir: Path, exporter: str = "xlsx2") -> dict[Path, Path]:
    """Open and re-save each of ``files`` as .xlsx with Gnumeric (one process per file: ~0.2 s).

    ``exporter``: "xlsx2" (ISO/IEC 29500, Gnumeric's default for .xlsx) or "xlsx" (ECMA-376 1st ed.).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    out = {}
    for f in files:
        target = outdir / (f.stem + ".xlsx")
        proc = subprocess.run([binary, f"--export-type=Gnumeric_Excel:{exporter}", str(f), str(target)],
                              capture_output=True, text=True, timeout=120)
        if not target.exists():
            raise AssertionError(f"ssconvert did not convert {f}\n{proc.stdout}\n{proc.stderr}")
        out[f] = target
    return out


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium for the web desk's browser tests (Playwright drives it; it cannot download
    its own browser here). Skips with a reason on a developer machine without it; fails under CI."""
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI but was not found")
        pytest.skip("Chromium not found: install the Debian packages chromium and chromium-driver")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright (pip) is required under CI")
        pytest.skip("playwright not installed: pip install '.[test]'")
    return binary
