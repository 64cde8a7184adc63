"""Shared test setup: the torch requirement and the hypothesis profiles.

* Tests that compare against PyTorch take the ``torch`` fixture (or call ``require_torch()``).
  Without torch installed they are skipped locally, but when the environment variable ``CI`` is
  ``true`` a missing torch is an error: the proof-of-correctness suite must never silently skip
  in CI.
* Hypothesis profiles: ``ci`` (300 examples per property) is loaded when ``CI=true``, ``dev`` (150)
  otherwise; ``HYPOTHESIS_PROFILE=<name>`` overrides either. Both have no deadline (the first torch
  call of a run is slow, and CI machines are noisy).
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").strip().lower() == "true"

# CI draws the same 300 examples on every run (a run that passed here passes there); the dev profile draws new
# ones each time, so local runs keep exploring.
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=300,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=150)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def require_torch() -> ModuleType:
    """``import torch``; skip the test if it is missing, except under ``CI=true``: then fail."""
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail(
                f"torch is required when CI=true but cannot be imported: {err}", pytrace=False
            )
        pytest.skip(f"torch is not installed ({err})")
    return torch


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """The torch module (see ``require_torch``); session-scoped so hypothesis tests can use it."""
    return require_torch()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser). Skipped without them
    locally; under ``CI=true`` a missing Playwright or Chromium is a failure."""
    import shutil

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - depends on the environment
        binary = None
        why = f"playwright is not installed ({err})"
    else:
        why = "chromium is not installed (apt-get install chromium)"
    if binary is None:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail(f"{why}; it is required when CI=true", pytrace=False)
        pytest.skip(why)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
