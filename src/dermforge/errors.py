"""The one exception tree of dermforge.

Every error says what happened, quotes the offending value and where it was found
(file, line or row, field), and says how to fix it::

    DermforgeError
    ├── InputError            bad user input: a file, row, field or option
    │   └── RecordError       a manifest line that does not validate
    ├── MissingInputError     a stage's input does not exist yet (run the earlier stage)
    ├── IntegrityError        bytes whose hash differs from the recorded one
    ├── MissingExtraError     an optional dependency is not installed
    ├── ServiceError          a remote service (OpenAI, the Hub, a download URL) failed
    └── ReleaseError          a release that must not be built, overwritten or published
"""

from __future__ import annotations

__all__ = [
    "DermforgeError",
    "InputError",
    "IntegrityError",
    "MissingExtraError",
    "MissingInputError",
    "RecordError",
    "ReleaseError",
    "ServiceError",
]


class DermforgeError(Exception):
    """Base class. ``str(err)`` is the full message including the fix."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if fix is None else f"{message}\n  fix: {fix}")


class InputError(DermforgeError):
    """A user-supplied file, row, field or option is invalid."""


class RecordError(InputError):
    """A record (one JSONL line or CSV row) failed validation.

    ``path``, ``line`` and ``field`` locate it; ``reason`` says why.
    """

    def __init__(
        self,
        *,
        path: str,
        line: int | None,
        field: str | None,
        reason: str,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = reason
        where = path if line is None else f"{path} line {line}"
        what = reason if field is None else f"field {field!r}: {reason}"
        super().__init__(f"{where}: {what}", fix=fix)


class MissingInputError(DermforgeError):
    """A stage was asked to run before the stage that makes its input."""


class IntegrityError(DermforgeError):
    """Stored or downloaded bytes do not match their recorded hash."""


class MissingExtraError(DermforgeError):
    """An optional dependency group is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"this feature needs the Python package {module!r}, which is not installed",
            fix=f"pip install 'dermforge[{extra}]'",
        )


class ServiceError(DermforgeError):
    """A remote service failed in a way the caller must handle."""


class ReleaseError(DermforgeError):
    """A release cannot be built, overwritten, verified or published as asked."""
