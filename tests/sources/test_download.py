"""`dermforge sources download` against a local image host with injected faults.

The CSV is a mini copy of the real one: the real rows of the 48 bundled demo images plus one
real row without a url, with each url pointing at the local server.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from dermforge import PAPER_CONDITIONS
from dermforge.cli import main
from dermforge.schemas import DownloadFailure, SourceImage
from dermforge.sources import (
    COLUMNS,
    Catalog,
    DownloadOptions,
    bundled_csv_path,
    demo_images_dir,
    download_images,
    import_folder,
    load_catalog,
    select_rows,
)
from dermforge.store import Workspace
from servers.image_server import ImageServer, free_port

SCC, BCC = "squamous cell carcinoma", "basal cell carcinoma"
NO_URL_ROW = "fc63008d9d80b373d2d8f84dfd034446"  # a real lichen simplex row with an empty url
CONDITIONS = (SCC, BCC, "lichen simplex")
# timeout: headroom for a loaded 2-core CI machine, where the downloads' full decodes compete
# with the server's threads for the CPU (0.5 s once timed out before a request got through)
FAST = DownloadOptions(concurrency=8, requests_per_second=1000, retries=2, timeout=1.5,
                       backoff=0.01,
                       max_backoff=0.05)


def _path(source_id: str) -> str:
    return f"/img/{source_id}.jpg"


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer(slow_seconds=3.0, retry_after="1") as running:
        yield running


@pytest.fixture(scope="module")
def demo_bytes() -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted(demo_images_dir().glob("*.jpg"))}


def write_mini_csv(path: Path, server: ImageServer, demo_bytes: dict[str, bytes],
                   urls: dict[str, str] | None = None, ids: set[str] | None = None) -> Path:
    """Real rows of the bundled CSV (demo images + the empty-url row), urls on ``server``.

    Every demo image is served (always ok) unless the test scripts it otherwise; ``urls``
    overrides a row's url; ``ids`` keeps only those rows.
    """
    keep = set(demo_bytes) | {NO_URL_ROW} if ids is None else ids
    with bundled_csv_path().open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["md5hash"] in keep]
    for row in rows:
        source_id = row["md5hash"]
        if source_id in demo_bytes:
            server.add(_path(source_id), demo_bytes[source_id])
            row["url"] = server.url(_path(source_id))
        if urls and source_id in urls:
            row["url"] = urls[source_id]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _failures(ws: Workspace) -> dict[str, DownloadFailure]:
    records = ws.read(DownloadFailure)
    by_id = {f.source_id: f for f in records}
    assert len(by_id) == len(records), "one current failure record per source id"
    return by_id


def test_download_verifies_stores_and_records_each_failure_kind(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes]
) -> None:
    ids = sorted(demo_bytes)
    dead, corrupt, html, flaky, limited, slow_once, always_slow, always_500, refused = (
        ids[0:3], ids[3], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10])
    refused_url = f"http://127.0.0.1:{free_port()}/x.jpg"
    catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes,
                                          urls={refused: refused_url}))
    for source_id in dead:
        server.script(_path(source_id), "404")
    for source_id, script in [(corrupt, ("corrupt",)), (html, ("html",)), (flaky, ("500", "ok")),
                              (limited, ("429", "ok")), (slow_once, ("slow", "ok")),
                              (always_slow, ("slow",)), (always_500, ("500",))]:
        server.script(_path(source_id), *script)
    ws = Workspace(tmp_path / "ws")

    report = download_images(select_rows(catalog, CONDITIONS), ws, FAST)

    failed = {*dead, corrupt, html, always_slow, always_500, refused, NO_URL_ROW}
    assert report.selected == 49
    assert set(report.downloaded) == set(ids) - failed
    assert len(report.downloaded) == 40 and not report.already and not report.ok
    assert {f.source_id for f in report.failed} == failed
    # the records are the ones an import of the same bytes makes, and each blob matches its md5
    records = {r.source_id: r for r in ws.read(SourceImage)}
    assert set(records) == set(report.downloaded)
    imported = Workspace(tmp_path / "imported")
    import_folder(demo_images_dir(), imported, catalog)
    for source_id, record in records.items():
        assert record == next(r for r in imported.read(SourceImage) if r.source_id == source_id)
        assert hashlib.md5(ws.blobs.read(record.sha256 or "")).hexdigest() == source_id
    failures = _failures(ws)
    assert set(failures) == failed
    expected = {NO_URL_ROW: ("no_url", None, 1), html: ("not_image", None, 1),
                corrupt: ("md5_mismatch", None, 3), always_slow: ("timeout", None, 3),
                always_500: ("http_status", 500, 3), refused: ("connection", None, 3),
                **{d: ("http_status", 404, 1) for d in dead}}
    for source_id, (kind, status, attempts) in expected.items():
        failure = failures[source_id]
        assert (failure.kind, failure.status_code, failure.attempts) == (kind, status, attempts)
        assert failure.url == catalog.by_id[source_id].url
    assert failures[refused].url == refused_url
    assert "md5" in failures[corrupt].message and corrupt in failures[corrupt].message
    # requests the server saw: none for the empty url, retries only for transient faults
    assert server.requests[_path(dead[0])] == 1 and server.requests[_path(html)] == 1
    assert server.requests[_path(corrupt)] == 3 and server.requests[_path(always_500)] == 3
    for source_id in (flaky, limited, slow_once):
        assert server.requests[_path(source_id)] == 2
    first, second = server.times[_path(limited)]
    assert second - first >= 0.9, "the 429's Retry-After: 1 was honoured"
    assert report.summary() == ("downloaded 40, already present 0, failed 9 (connection 1, "
                                "http_status 4, md5_mismatch 1, no_url 1, not_image 1, "
                                "timeout 1)")
    assert not list(ws.root.rglob("*.tmp*")), "no partial files left behind"


def test_rerun_fetches_only_failures_and_a_success_supersedes_them(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes]
) -> None:
    ids = sorted(demo_bytes)[:10]
    catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes,
                                          ids=set(ids)))
    server.script(_path(ids[0]), "404")
    server.script(_path(ids[1]), "corrupt")
    ws = Workspace(tmp_path / "ws")
    first = download_images(catalog.rows, ws, FAST)
    assert sorted(first.downloaded) == ids[2:] and set(_failures(ws)) == {ids[0], ids[1]}
    seen = server.requests.copy()

    second = download_images(catalog.rows, ws, FAST)
    assert sorted(second.already) == ids[2:] and not second.downloaded
    assert sorted(second.retried) == ids[:2] and not second.recovered
    assert all(server.requests[_path(i)] == seen[_path(i)] for i in ids[2:]), \
        "no request for an image already stored"
    assert server.requests[_path(ids[0])] == 2 and set(_failures(ws)) == {ids[0], ids[1]}

    server.script(_path(ids[0]), "ok")  # the dead link came back
    third = download_images(catalog.rows, ws, FAST)
    assert third.downloaded == [ids[0]] and third.recovered == [ids[0]]
    assert set(_failures(ws)) == {ids[1]}
    records = ws.read(SourceImage)
    assert sorted(r.source_id for r in records) == sorted([ids[0], *ids[2:]])


def test_an_interrupted_run_keeps_what_it_stored_and_the_next_run_fetches_the_rest(
    tmp_path: Path, demo_bytes: dict[str, bytes]
) -> None:
    class Interrupted(Exception):
        pass

    def stop_after_three(row: SourceImage, failure: DownloadFailure | None) -> None:
        done.append(row.source_id)
        if len(done) == 3:
            raise Interrupted

    done: list[str] = []
    ids = set(sorted(demo_bytes)[:10])
    ws = Workspace(tmp_path / "ws")
    with ImageServer(delay=0.02) as server:
        catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes, ids=ids))
        with pytest.raises(Interrupted):
            download_images(catalog.rows, ws,
                            DownloadOptions(concurrency=1, requests_per_second=1000),
                            on_result=stop_after_three)
        assert sorted(r.source_id for r in ws.read(SourceImage)) == sorted(done)
        report = download_images(catalog.rows, ws, FAST)
        assert sorted(report.already) == sorted(done) and len(report.downloaded) == 7
        assert all(server.requests[_path(i)] == 1 for i in ids)
    assert not list(ws.root.rglob("*.tmp*"))


def test_concurrency_bound_and_rate_limit_are_honoured(
    tmp_path: Path, demo_bytes: dict[str, bytes]
) -> None:
    ids = set(sorted(demo_bytes)[:12])
    with ImageServer(delay=0.1) as server:
        catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes, ids=ids))
        report = download_images(catalog.rows, Workspace(tmp_path / "a"),
                                 DownloadOptions(concurrency=3, requests_per_second=1000,
                                                 timeout=5))
        assert len(report.downloaded) == 12
        assert server.max_in_flight == 3

    with ImageServer() as server:
        catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes,
                                              ids=set(sorted(ids)[:5])))
        report = download_images(catalog.rows, Workspace(tmp_path / "b"),
                                 DownloadOptions(concurrency=5, requests_per_second=10, timeout=5))
        starts = sorted(t for times in server.times.values() for t in times)
        assert len(report.downloaded) == 5 and len(starts) == 5
        assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.08


def test_relative_urls_resolve_against_base_url_through_an_injected_transport(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes]
) -> None:
    ids = sorted(demo_bytes)[:3]
    catalog = load_catalog(write_mini_csv(tmp_path / "mini.csv", server, demo_bytes,
                                          urls={i: _path(i) for i in ids}, ids=set(ids)))
    sent: list[str] = []

    class Recording(httpx2.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            sent.append(str(request.url))
            return await super().handle_async_request(request)

    report = download_images(catalog.rows, Workspace(tmp_path / "ws"), FAST,
                             transport=Recording(), base_url=server.base_url)
    assert sorted(report.downloaded) == ids
    assert sorted(sent) == sorted(server.url(_path(i)) for i in ids)


def _run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["dermforge", "sources", "download", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def test_cli_reports_failures_exits_1_and_says_it_retries_them(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog_csv = write_mini_csv(tmp_path / "mini.csv", server, demo_bytes)
    dead = next(r.source_id for r in load_catalog(catalog_csv).with_label([BCC]))
    server.script(_path(dead), "404")
    args = ("--workspace", str(tmp_path / "ws"), "--csv", str(catalog_csv), "-c", BCC,
            "-c", SCC, "--requests-per-second", "1000", "--concurrency", "6", "--backoff", "0")

    code, out, err = _run_cli(monkeypatch, capsys, *args)
    assert code == 1
    assert "48 rows selected; 0 already in the workspace; fetching 48" in out
    assert f"failed: {dead} [http_status 404] {server.url(_path(dead))}" in err
    assert "downloaded 47, already present 0, failed 1 (http_status 1)" in out

    server.script(_path(dead), "ok")
    code, out, err = _run_cli(monkeypatch, capsys, *args)
    assert code == 0
    assert "48 rows selected; 47 already in the workspace; fetching 1" in out
    assert "retrying 1 earlier failure(s) from " + str(tmp_path / "ws") in out
    assert "1 of 1 earlier failure(s) downloaded now" in out
    assert "downloaded 1, already present 47, failed 0" in out


def test_cli_bad_input_names_the_file_the_value_and_the_option(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(tmp_path / "ws")
    missing = tmp_path / "nowhere.csv"
    code, _, err = _run_cli(monkeypatch, capsys, "-w", ws, "--csv", str(missing))
    assert code == 2 and str(missing) in err and "does not exist" in err

    catalog_csv = write_mini_csv(tmp_path / "mini.csv", server, demo_bytes)
    code, _, err = _run_cli(monkeypatch, capsys, "-w", ws, "--csv", str(catalog_csv),
                            "-c", "squamous cell carcinom")
    assert code == 2 and "unknown condition 'squamous cell carcinom'" in err
    assert str(catalog_csv) in err and "did you mean 'squamous cell carcinoma'" in err

    code, _, err = _run_cli(monkeypatch, capsys, "-w", ws, "--csv", str(catalog_csv),
                            "--concurrency", "0")
    assert code == 2 and "--concurrency" in err and "got 0" in err
    assert server.total_requests() == 0 and not (tmp_path / "ws").exists()


def test_default_selection_is_the_papers_conditions_present(catalog: Catalog) -> None:
    rows = select_rows(catalog)
    assert {r.label for r in rows} == set(PAPER_CONDITIONS)
    assert sum(r.fitzpatrick is not None for r in rows) == 2707, "the paper's Table 1 total"


def test_the_rows_own_image_refused_by_the_decoder_and_a_cut_off_transfer(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes], catalog: Catalog
) -> None:
    """Bytes with the row's md5 that the decoder refuses (a 1x1 image) are a permanent
    not_image failure naming why, and nothing is stored; a transfer cut off mid-image is
    transient (retried), like any other md5 mismatch of image bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 0, 0)).save(buffer, format="PNG")
    tiny = buffer.getvalue()
    tiny_id = hashlib.md5(tiny).hexdigest()
    cut_id = next(i for i in sorted(demo_bytes) if catalog.by_id[i].label == SCC)
    mini = write_mini_csv(tmp_path / "mini.csv", server, demo_bytes, ids={cut_id})
    url = server.add("/img/tiny.png", tiny)
    with mini.open("a", encoding="utf-8") as handle:
        handle.write(f"{tiny_id},1,1,{SCC},malignant epidermal,malignant,,{url},x\n")
    server.add(_path(cut_id), demo_bytes[cut_id][: len(demo_bytes[cut_id]) // 2])
    ws = Workspace(tmp_path / "ws")
    report = download_images(select_rows(load_catalog(mini), [SCC]), ws, FAST)
    failures = {f.source_id: f for f in report.failed}
    assert set(failures) == {tiny_id, cut_id} and not report.downloaded
    assert (failures[tiny_id].kind, failures[tiny_id].attempts) == ("not_image", 1)
    assert "refused: the image is 1x1 pixels" in failures[tiny_id].message
    assert (failures[cut_id].kind, failures[cut_id].attempts) == ("md5_mismatch", 3)
    assert ws.read(SourceImage) == [] and not list((ws.root / "blobs").rglob("*/*/*"))


def test_a_disk_that_refuses_the_blob_is_a_named_error_not_a_traceback(
    tmp_path: Path, server: ImageServer, demo_bytes: dict[str, bytes]
) -> None:
    """A real EFBIG (RLIMIT_FSIZE below every image, SIGXFSZ ignored) while the downloaded
    image is stored: exit 1 naming the image and its URL; nothing half-written."""
    catalog_csv = write_mini_csv(tmp_path / "mini.csv", server, demo_bytes)
    limit = min(len(b) for b in demo_bytes.values()) - 1

    def restrict() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    ws = tmp_path / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "dermforge", "sources", "download", "-w", str(ws), "--csv",
         str(catalog_csv), "-c", SCC, "--requests-per-second", "1000", "--concurrency", "1"],
        capture_output=True, text=True, timeout=120, preexec_fn=restrict,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: storing the image of " in result.stderr
    assert "(from http://127.0.0.1:" in result.stderr and "too big" in result.stderr
    assert Workspace(ws).read(SourceImage) == []
    assert not [p for p in ws.rglob("*") if p.is_file() and p.parent.parent.name == "sources"]
    assert not list(ws.rglob("*.tmp"))
