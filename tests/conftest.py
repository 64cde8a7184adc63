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

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=300,
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
