"""SOURCE_DATE_EPOCH: the reproducible-builds convention for fixed timestamps."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .errors import InputError

__all__ = ["now_or_source_date", "source_date"]


def source_date() -> datetime | None:
    """The time $SOURCE_DATE_EPOCH names (UTC), or None when it is unset or empty."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return None
    if not epoch.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds",
                         fix="unset it or set it to an integer Unix time")
    return datetime.fromtimestamp(int(epoch), UTC)


def now_or_source_date() -> datetime:
    """$SOURCE_DATE_EPOCH when set (byte-reproducible outputs), else the current time."""
    return source_date() or datetime.now(UTC)
