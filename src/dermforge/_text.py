"""Reading a user's text file (params, annotations, CSVs, sidecars) as UTF-8, by one rule.

A file that is not UTF-8 is an :class:`~dermforge.errors.InputError` naming the file and
the byte offset (with its line and column), never a ``UnicodeDecodeError`` traceback. A
UTF-8 byte-order mark is dropped (spreadsheets write one).
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

__all__ = ["decode_utf8", "read_utf8"]


def decode_utf8(data: bytes, origin: str, what: str = "file") -> str:
    """``data`` as text; raises InputError naming ``what`` ``origin`` and the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        position = exc.start + len(data) - len(exc.object)  # the BOM is not in exc.object
        line = data.count(b"\n", 0, position) + 1
        column = position - (data.rfind(b"\n", 0, position) + 1) + 1
        raise InputError(
            f"{what} {origin!r} is not UTF-8 text: byte 0x{data[position]:02x} at byte "
            f"offset {position} (line {line}, column {column}): {exc.reason}",
            fix="save the file as UTF-8 (most editors: 'Save with encoding' > UTF-8)",
        ) from None


def read_utf8(path: Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` (see :func:`decode_utf8`); OSError passes through, so the
    caller can say what a missing file means."""
    return decode_utf8(path.read_bytes(), str(path), what)
