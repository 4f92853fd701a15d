"""In CI (CI=true) a test whose data or browser is missing fails; elsewhere it skips with
the reason. Checked with a real pytest run of a test that needs something absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
PROBE = """\
from needs import require

def test_needs_the_real_images():
    require(False, "real Fitzpatrick 17k images not found at /nowhere")
"""


@pytest.mark.parametrize(("ci", "code", "says"), [
    ("true", 1, "CI=true and real Fitzpatrick 17k images not found at /nowhere"),
    ("", 0, "1 skipped"),
])
def test_a_missing_input_fails_in_ci_and_skips_elsewhere(tmp_path: Path, ci: str, code: int,
                                                          says: str) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(TESTS)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout
