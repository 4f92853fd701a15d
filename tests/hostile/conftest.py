"""Helpers of the hostile-input family: run a command as a user would, and prove that
nothing already written was lost or left half-written.

Every hostile test states the named error it expects (file/row/field in the message), the
exit code of the one exit-code table (0 success; 1 the thing checked is bad or work failed;
2 usage or input error) and, where it wrote into a workspace or release, that the files that
were there before are still there byte for byte and that no temp file or partial folder is
left behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from dermforge.cli import app

__all__ = ["Result", "assert_kept", "assert_no_leftovers", "files_of", "invoke"]

#: names of files that may appear or change without any record changing (lock files)
_VOLATILE = (".lock",)


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: str | Path) -> Result:
    """Run ``dermforge ARGS`` in process; a traceback (an exception that escaped the CLI's
    error handling) fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(f"dermforge {' '.join(map(str, args))} raised "
                             f"{type(exc).__name__} (a traceback, not a named error): {exc}"
                             ) from exc
    return Result(result.exit_code, result.stdout, result.stderr)


def files_of(root: Path) -> dict[str, str]:
    """relative path → sha256 of every file under ``root`` (lock files left out)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(_VOLATILE)}


def assert_kept(before: Mapping[str, str], root: Path, *, may_change: tuple[str, ...] = ()
                ) -> dict[str, str]:
    """Every file of ``before`` is still under ``root`` with the same bytes (except the
    paths in ``may_change``, which must still exist); returns the files now."""
    after = files_of(root)
    lost = sorted(set(before) - set(after))
    assert not lost, f"files lost: {lost}"
    changed = sorted(k for k in before if before[k] != after[k] and k not in may_change)
    assert not changed, f"files changed: {changed}"
    return after


def assert_no_leftovers(root: Path) -> None:
    """No temp file (``*.tmp``) or partial release folder (``.*.partial-*``) under ``root``."""
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.name.endswith(".tmp") or ".partial-" in p.name)
    assert not left, f"left behind: {left}"
