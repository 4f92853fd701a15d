"""Download source images by their CSV ``url``: bounded, polite, retried, md5-verified, resumable.

Every selected row ends as exactly one of

- **already present**: the workspace holds its SourceImage record and blob; no request is made;
- **downloaded**: the bytes were fetched, matched the row's md5hash and were stored by
  :func:`store_source_image`, so the record is the one ``import_folder`` makes;
- **failed**: a :class:`DownloadFailure` record, never an exception. Kinds: ``no_url`` (empty
  or not an http(s) URL; nothing is requested, ``attempts`` is 1), ``http_status`` (404 and
  other 4xx at once; 408, 429 and 5xx after the retries), ``md5_mismatch`` (image bytes that
  are not the catalogue's, after the retries), ``not_image`` (a 200 that is no image, e.g. an
  HTML page, or the row's own image refused by the decoder: a bomb, a side under 64 px),
  ``connection`` and ``timeout`` (after the retries).

``records/download_failures.jsonl`` holds the *current* failures, one record per source id: it is
rewritten atomically after every batch, a later run retries every failure it lists, and a success
removes the failure record. A source id with a SourceImage record is never a current failure.
"""

from __future__ import annotations

import asyncio
import difflib
import email.utils
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import httpx2
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from .._aio import run_sync
from .._images import decode_image
from .._paper import PAPER_CONDITIONS
from ..errors import ImageError, InputError, StorageError
from ..schemas import DownloadFailure, SourceImage
from ..store import Workspace
from ._catalog import Catalog
from ._import import ImageBytesError, store_source_image

__all__ = [
    "DownloadOptions",
    "DownloadReport",
    "adownload_images",
    "download_images",
    "select_rows",
]

_BATCH = 100
ResultCallback = Callable[[SourceImage, DownloadFailure | None], None]


def _user_agent() -> str:
    try:
        return f"dermforge/{version('dermforge')} (research dataset download)"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "dermforge (research dataset download)"


@dataclass(frozen=True)
class DownloadOptions:
    """How politely and how persistently to download.

    ``requests_per_second`` counts all hosts together (retries included); ``retries`` is the
    number of further attempts after the first on a transient error; ``timeout`` is the
    seconds one attempt may take in all (connect, answer and body); the backoff starts at
    ``backoff`` seconds and doubles, with jitter, up to ``max_backoff``; a ``Retry-After``
    (429, 503) is honoured up to ``max_retry_after`` seconds.
    """

    concurrency: int = 4
    requests_per_second: float = 4.0
    retries: int = 3
    timeout: float = 30.0
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    user_agent: str = field(default_factory=_user_agent)

    def __post_init__(self) -> None:
        checks = [
            ("concurrency", "--concurrency", self.concurrency >= 1, "at least 1"),
            ("requests_per_second", "--requests-per-second", self.requests_per_second > 0,
             "greater than 0"),
            ("retries", "--retries", self.retries >= 0, "0 or more"),
            ("timeout", "--timeout", self.timeout > 0, "greater than 0"),
            ("backoff", "--backoff", self.backoff >= 0, "0 or more"),
            ("max_backoff", "max_backoff", self.max_backoff >= self.backoff, "at least backoff"),
            ("max_retry_after", "max_retry_after", self.max_retry_after >= 0, "0 or more"),
        ]
        for name, option, ok, rule in checks:
            if not ok:
                raise InputError(
                    f"download option {name} ({option}) must be {rule}, "
                    f"got {getattr(self, name)!r}",
                    fix=f"pass a value for {option} that is {rule}",
                )


@dataclass
class DownloadReport:
    """What a download run did. ``ok`` is False when any selected row ended in a failure."""

    selected: int = 0
    already: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    failed: list[DownloadFailure] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def pending(self) -> int:
        """Rows this run fetches: the selected ones not already present."""
        return self.selected - len(self.already)

    def failed_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(f.kind for f in self.failed).items()))

    def summary(self) -> str:
        line = (
            f"downloaded {len(self.downloaded):,}, already present {len(self.already):,}, "
            f"failed {len(self.failed):,}"
        )
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in self.failed_by_kind().items())
        return f"{line} ({kinds})" if kinds else line


def select_rows(catalog: Catalog, conditions: Sequence[str] | None = None) -> list[SourceImage]:
    """The catalogue rows of ``conditions``; default: the paper's seven (those in the CSV).

    An explicitly named condition that is no label of the CSV is an :class:`InputError`.
    """
    labels = set(catalog.labels())
    if not conditions:
        return catalog.with_label(c for c in PAPER_CONDITIONS if c in labels)
    for condition in conditions:
        if condition not in labels:
            close = difflib.get_close_matches(condition, sorted(labels), n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise InputError(
                f"unknown condition {condition!r}: no row of {catalog.origin} has that label{hint}",
                fix="pass labels exactly as in the CSV's `label` column "
                "(`dermforge sources summary` lists them)",
            )
    return catalog.with_label(conditions)


def download_images(
    rows: Sequence[SourceImage],
    workspace: Workspace,
    options: DownloadOptions | None = None,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    base_url: str = "",
    on_start: Callable[[DownloadReport], None] | None = None,
    on_result: ResultCallback | None = None,
) -> DownloadReport:
    """Download ``rows`` into ``workspace`` (see the module docstring); blocking wrapper."""
    return run_sync(
        adownload_images(rows, workspace, options, transport=transport, base_url=base_url,
                         on_start=on_start, on_result=on_result)
    )


async def adownload_images(
    rows: Sequence[SourceImage],
    workspace: Workspace,
    options: DownloadOptions | None = None,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    base_url: str = "",
    on_start: Callable[[DownloadReport], None] | None = None,
    on_result: ResultCallback | None = None,
) -> DownloadReport:
    """Async :func:`download_images`. ``transport``/``base_url`` go to ``httpx2.AsyncClient``
    (``base_url`` resolves relative URLs); ``on_start`` gets the report before any request
    (``already``, ``retried`` and ``pending`` known), ``on_result`` each fetched row with its
    failure or None."""
    options = options or DownloadOptions()
    ledger = _Ledger(workspace.create())
    report = DownloadReport(selected=len(rows))
    todo = [row for row in rows if not ledger.present(row.source_id)]
    report.already = [row.source_id for row in rows if ledger.present(row.source_id)]
    report.retried = [row.source_id for row in todo if row.source_id in ledger.failures]
    ledger.flush()
    if on_start is not None:
        on_start(report)
    if not todo:
        return report
    retried = set(report.retried)
    async with _client(options, transport, base_url) as client:
        limiter = AsyncLimiter(1, 1 / options.requests_per_second)
        fetcher = _Fetcher(client, limiter, options, workspace)
        pending = iter(todo)

        async def worker() -> None:
            for row in pending:
                outcome = await fetcher.download(row)
                ledger.add(outcome)
                failure = outcome if isinstance(outcome, DownloadFailure) else None
                if failure is not None:
                    report.failed.append(failure)
                else:
                    report.downloaded.append(row.source_id)
                    if row.source_id in retried:
                        report.recovered.append(row.source_id)
                if on_result is not None:
                    on_result(row, failure)

        tasks = [asyncio.create_task(worker()) for _ in range(min(options.concurrency, len(todo)))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            ledger.flush()
    return report


def _client(
    options: DownloadOptions, transport: httpx2.AsyncBaseTransport | None, base_url: str
) -> httpx2.AsyncClient:
    limits = httpx2.Limits(max_connections=options.concurrency,
                           max_keepalive_connections=options.concurrency)
    return httpx2.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx2.Timeout(options.timeout),
        limits=limits,
        follow_redirects=True,
        headers={"User-Agent": options.user_agent},
    )


class _Ledger:
    """The workspace's records as the run changes them; written in atomic batches."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.sources = workspace.manifest(SourceImage)
        self.failure_log = workspace.manifest(DownloadFailure)
        self.recorded = {row.source_id: row for row in self.sources}
        self.failures = {f.source_id: f for f in self.failure_log}  # the latest line wins
        self.new: list[SourceImage] = []
        self.done = 0
        self.dirty = bool(self.failures.keys() & self.recorded.keys())
        for source_id in self.recorded:
            self.failures.pop(source_id, None)

    def present(self, source_id: str) -> bool:
        record = self.recorded.get(source_id)
        return (record is not None and record.sha256 is not None
                and self.workspace.blobs.has(record.sha256))

    def add(self, outcome: SourceImage | DownloadFailure) -> None:
        if isinstance(outcome, DownloadFailure):
            self.failures[outcome.source_id] = outcome
            self.dirty = True
        else:
            if outcome.source_id not in self.recorded:  # a lost blob restored keeps its record
                self.new.append(outcome)
                self.recorded[outcome.source_id] = outcome
            self.dirty |= self.failures.pop(outcome.source_id, None) is not None
        self.done += 1
        if self.done % _BATCH == 0:
            self.flush()

    def flush(self) -> None:
        """Append new SourceImage records first, then rewrite the current failures."""
        self.sources.append(sorted(self.new, key=lambda r: r.csv_line))
        self.new = []
        if self.dirty:
            self.failure_log.rewrite(self.failures.values())
            self.dirty = False


class _AttemptError(Exception):
    def __init__(self, kind: str, message: str, status_code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status_code = status_code
        self.retry_after = retry_after


class _Transient(_AttemptError):
    """Worth another attempt: connection, timeout, 408/429/5xx, bytes that are not the image."""


class _Permanent(_AttemptError):
    """Another attempt would end the same: 404 and other 4xx, no image at all."""


class _Fetcher:
    def __init__(self, client: httpx2.AsyncClient, limiter: AsyncLimiter,
                 options: DownloadOptions, workspace: Workspace) -> None:
        self.client = client
        self.limiter = limiter
        self.options = options
        self.workspace = workspace
        backoff = wait_exponential_jitter(multiplier=options.backoff, max=options.max_backoff,
                                          jitter=options.backoff)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            if isinstance(error, _AttemptError) and error.retry_after is not None:
                return min(error.retry_after, options.max_retry_after)
            return float(backoff(state))

        self.wait = wait

    async def download(self, row: SourceImage) -> SourceImage | DownloadFailure:
        url = self._resolve(row.url)
        if url is None:
            why = ("the CSV row has no url" if not row.url
                   else f"url {row.url!r} is not an http(s) URL")
            return _failure(row, _Permanent("no_url", why), attempts=1)
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.options.retries + 1),
            wait=self.wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    record = await self._attempt(row, url)
        except _AttemptError as error:
            return _failure(row, error, attempts)
        return record

    def _resolve(self, url: str | None) -> str | None:
        if not url:
            return None
        try:
            resolved = self.client.build_request("GET", url).url
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol):
            return None
        return str(resolved) if resolved.scheme in ("http", "https") and resolved.host else None

    async def _attempt(self, row: SourceImage, url: str) -> SourceImage:
        await self.limiter.acquire()
        response = await self._get(url)
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise _Transient("http_status", f"HTTP {status} {response.reason_phrase}".strip(),
                             status, _retry_after(response.headers.get("Retry-After")))
        if not 200 <= status < 300:
            raise _Permanent("http_status", f"HTTP {status} {response.reason_phrase}".strip(),
                             status)
        data = response.content
        try:
            return await asyncio.to_thread(store_source_image, data, row, self.workspace,
                                           name=f"{row.source_id} from {url}")
        except StorageError as error:  # the disk, not the download: stop, naming the image
            raise StorageError(f"storing the image of {row.source_id} (from {url}): "
                               f"{error.message}", fix=error.fix) from None
        except ImageBytesError as error:
            if error.kind == "md5_mismatch" and _looks_like_image(data):
                raise _Transient("md5_mismatch", f"{error.detail} ({len(data):,} bytes)") from None
            if error.image_error is not None:  # the catalogue's own bytes, refused
                raise _Permanent("not_image", f"HTTP {status} with the image of the row, "
                                 f"refused: {error.detail}") from None
            kind = response.headers.get("Content-Type", "no content type")
            raise _Permanent(
                "not_image",
                f"HTTP {status} with {len(data):,} bytes ({kind}) that are not an image",
            ) from None

    async def _get(self, url: str) -> httpx2.Response:
        try:
            async with asyncio.timeout(self.options.timeout):
                return await self.client.get(url)
        except (TimeoutError, httpx2.TimeoutException):
            raise _Transient(
                "timeout", f"no complete answer within {self.options.timeout:g} s"
            ) from None
        except httpx2.UnsupportedProtocol as error:
            raise _Permanent("connection", f"{type(error).__name__}: {error}") from None
        except httpx2.TransportError as error:
            raise _Transient("connection", f"{type(error).__name__}: {error}") from None
        except httpx2.RequestError as error:  # e.g. too many redirects
            raise _Permanent("connection", f"{type(error).__name__}: {error}") from None


def _failure(row: SourceImage, error: _AttemptError, attempts: int) -> DownloadFailure:
    return DownloadFailure.model_validate({
        "source_id": row.source_id,
        "url": row.url,
        "kind": error.kind,
        "message": error.message,
        "status_code": error.status_code,
        "attempts": attempts,
        "at": datetime.now(UTC),
    })


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _looks_like_image(data: bytes) -> bool:
    """Whether bytes whose md5 is wrong are an image, whole or cut off (worth another
    attempt), rather than, say, an HTML page."""
    try:
        decode_image(data, "the downloaded bytes")
    except ImageError as exc:
        return exc.kind == "truncated"
    return True
