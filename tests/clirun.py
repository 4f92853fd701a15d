"""Run the `dermforge` command in process, as the console script does.

``invoke`` returns typer's Result on exit 0; a named error (the CLI prints ``error: …`` and
exits with the error's exit code) raises :class:`CliFailed`, so a test can say
``pytest.raises(CliFailed, match=…)``; an exception that escaped the CLI (a traceback)
is re-raised as itself.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from dermforge.cli import app

__all__ = ["CliFailed", "invoke"]


class CliFailed(Exception):
    """The command exited non-zero; ``str()`` is everything it printed."""

    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code = exit_code
        self.output = output
        super().__init__(output)


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    if result.exit_code != 0:
        raise CliFailed(result.exit_code, result.output)
    return result
