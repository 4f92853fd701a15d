"""What a test needs from the machine: skip where it is missing, fail where CI=true.

CI has ../shared/data, chromium (installed by .ci/run) and torch, so there a missing input is
a broken environment, never a reason to skip.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["IN_CI", "require"]

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when ``condition`` is false; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)
