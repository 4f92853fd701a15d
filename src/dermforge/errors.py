"""The one exception tree of dermforge.

Every error says what happened, quotes the offending value and where it was found
(file, line or row, field), and says how to fix it::

    DermforgeError                                                      exit
    ├── InputError            bad user input: a file, row, field or option   2
    │   ├── RecordError       a manifest line that does not validate         2
    │   └── RefusedFileError  a file an import refuses by name (a path out-  1
    │       │                 side its folder, a symbolic link)
    │       └── ImageError    an image the decoder refuses (bomb, truncated, 1
    │                         unreadable mode, too small)
    ├── MissingInputError     a stage's input does not exist yet             2
    ├── MissingExtraError     an optional dependency is not installed        2
    ├── IntegrityError        bytes whose hash differs from the recorded one 1
    ├── ServiceError          a remote service (OpenAI, the Hub, a URL) failed 1
    ├── StorageError          the disk refused a write (full, too big, …)    1
    └── ReleaseError          a release that must not be built, overwritten,
        │                     or published, or that fails verification      1
        └── NotAReleaseError  a folder that is not a release folder at all   2

The exit code table every command uses (``exit_code`` on each class; the CLI exits with it):

- 0: success;
- 1: the thing checked is bad or the work failed: an integrity failure, refused or corrupted
  files (RefusedFileError, ImageError), a release that fails its checks, generation
  requests that failed permanently;
- 2: usage or input error: a bad option, file, row or field, a missing input or extra.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DermforgeError",
    "ImageError",
    "ImageProblem",
    "InputError",
    "IntegrityError",
    "MissingExtraError",
    "MissingInputError",
    "NotAReleaseError",
    "RecordError",
    "RefusedFileError",
    "ReleaseError",
    "ServiceError",
    "StorageError",
]

#: exit codes of the command line (see the module docstring)
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class DermforgeError(Exception):
    """Base class. ``str(err)`` is the full message including the fix."""

    exit_code = EXIT_USAGE

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


class RefusedFileError(InputError):
    """A file that an import refuses by name: an image that cannot be used (see
    :class:`ImageError`), a path outside the folder it must be in, or a symbolic link.

    Exit code 1, like a corrupted file: the file checked is bad (not the command's usage).
    """

    exit_code = EXIT_FAILED


#: what is wrong with an image the decoder refuses
ImageProblem = Literal["bomb", "not_image", "format", "truncated", "mode", "too_small",
                       "animated"]


class ImageError(RefusedFileError):
    """An image the one decoder (``dermforge._images.decode_image``) refuses: ``name`` is the
    file (or what the bytes are), ``kind`` the problem and ``reason`` the details."""

    def __init__(self, name: str, kind: ImageProblem, reason: str, *, fix: str) -> None:
        self.name = name
        self.kind: ImageProblem = kind
        self.reason = reason
        super().__init__(f"{name}: {reason}", fix=fix)


class MissingInputError(DermforgeError):
    """A stage was asked to run before the stage that makes its input."""


class IntegrityError(DermforgeError):
    """Stored or downloaded bytes do not match their recorded hash."""

    exit_code = EXIT_FAILED


class MissingExtraError(DermforgeError):
    """An optional dependency group is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"this feature needs the Python package {module!r}, which is not installed",
            fix=f"pip install 'dermforge[{extra}]'",
        )


class ServiceError(DermforgeError):
    """A remote service failed in a way the caller must handle."""

    exit_code = EXIT_FAILED


class StorageError(DermforgeError):
    """The file system refused a write: the disk is full, a file is too big, or read-only.

    Whatever was being written was removed (temp file + rename), so nothing is half-written.
    """

    exit_code = EXIT_FAILED


class ReleaseError(DermforgeError):
    """A release cannot be built, overwritten, verified or published as asked."""

    exit_code = EXIT_FAILED


class NotAReleaseError(ReleaseError):
    """The folder given as a release is not a dermforge release folder at all."""

    exit_code = EXIT_USAGE
