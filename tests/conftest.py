"""Shared test fixtures and the loud-skip rule for missing system packages.

A test that needs a system package (headless Chromium, a CJK font) calls :func:`require_system`.
Without the package it is skipped with a message naming what to install; with ``REDLINE_STRICT=1``
(set by ``.ci/run``) the skip becomes a failure, so CI never passes on a half-tested machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GUOTU_SAMPLES = SHARED / "formats" / "guotu-txt-samples"
PLANS = SHARED / "plans"

STRICT = os.environ.get("REDLINE_STRICT") == "1"


def require_system(ok: bool, what: str, install: str) -> None:
    """Skip loudly (or fail under REDLINE_STRICT=1) when a system package is missing."""
    if ok:
        return
    message = f"MISSING SYSTEM PACKAGE: {what}. Install it with: apt-get install {install}"
    if STRICT:
        pytest.fail(message + " (REDLINE_STRICT=1 turns this skip into a failure)")
    pytest.skip(message)


def chromium_path() -> str | None:
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and os.path.exists(cand):
            return cand
    return None


@pytest.fixture
def chromium() -> str:
    """Path of the headless Chromium binary (Debian package ``chromium``)."""
    path = chromium_path()
    require_system(path is not None, "headless Chromium", "chromium")
    return path


def cjk_font_path() -> str | None:
    from matplotlib import font_manager

    for f in font_manager.findSystemFonts():
        name = os.path.basename(f).lower()
        if "wqy" in name or "notosanscjk" in name or "notoserifcjk" in name or "droidsansfallback" in name:
            return f
    return None


@pytest.fixture
def cjk_font() -> str:
    """Path of an installed CJK font file (Debian package ``fonts-wqy-microhei``)."""
    path = cjk_font_path()
    require_system(path is not None, "a CJK font", "fonts-wqy-microhei")
    return path


@pytest.fixture
def shared_samples() -> Path:
    if not GUOTU_SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {GUOTU_SAMPLES}")
    return GUOTU_SAMPLES


@pytest.fixture
def shared_plans() -> Path:
    if not PLANS.is_dir():
        pytest.skip(f"shared plans not found at {PLANS}")
    return PLANS


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo region, generated once per test session."""
    from redline.layers.demo import generate_demo

    out = tmp_path_factory.mktemp("demo") / "demo"
    generate_demo(out)
    return out
