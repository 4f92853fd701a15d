"""Hostile inputs to the curation records (issue 10: curation records, workbench, killed runs).

Each case runs what a user (or an attacker) would run — the real CLI, the real workbench
over HTTP, the real release builder — and asserts the named error (file, row or line,
field), the exit code of the one table (0 ok, 1 failed, 2 input) and that nothing already
written was lost or left half-written.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

from dermforge.curation import CSV_COLUMNS, VerdictLog, first_k, latest_verdicts
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from dermforge.workbench import WorkbenchConfig
from hostile.conftest import assert_kept, assert_no_leftovers, files_of, invoke
from release.factory import BASE_TIME, Populated, decide, fake_sources, populate, write_splits
from workbench.live import running

CONDITIONS = ("basal cell carcinoma", "squamous cell carcinoma")
LATER = BASE_TIME + timedelta(days=1)
EVIL = ("x\n\n## Licence\nMIT, do anything <img src=x onerror=alert(1)> "
        "[site](http://evil.example) | a | b |")


@pytest.fixture(autouse=True)
def _no_project_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no params.yaml lies, so the built-in defaults apply."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Workspace, Populated]:
    """8 made-up sources (2 conditions × FST 1, 2, 5, 6), each a seed with 3 candidates."""
    ws = Workspace(tmp_path / "ws").create()
    pop = populate(ws, fake_sources(ws, 8, CONDITIONS, 16), candidates_per_seed=3, size=16)
    write_splits(ws, pop.seeds)
    return ws, pop


def sheet_with(ws: Workspace, tmp_path: Path, candidate: str | None = None,
               **cells: str) -> Path:
    """An export of ``ws`` whose first row (or ``candidate``'s row) is edited with ``cells``."""
    sheet = tmp_path / "sheet.csv"
    assert invoke("curate", "export", sheet, "-w", ws.root).exit_code == 0
    with sheet.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["candidate_id"] for r in rows]
    rows[ids.index(candidate) if candidate else 0].update(cells)
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return sheet


def refused_import(ws: Workspace, sheet: Path, field: str, *needles: str) -> None:
    """`curate import` exits 2 naming the file, row 2 and ``field``; nothing is written."""
    before = files_of(ws.root)
    result = invoke("curate", "import", sheet, "-w", ws.root, "--reviewer", "rev-a")
    assert result.exit_code == 2, result.output
    assert f"{sheet} row 2, field '{field}':" in result.output, result.output
    assert "fix:" in result.output and "nothing was imported" in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    assert_kept(before, ws.root)
    assert files_of(ws.root) == before
    assert_no_leftovers(ws.root)


# --- item 3: one validator for people's verdicts (CSV) --------------------------------------

def test_csv_reserved_auto_reviewer_is_refused(tiny: tuple[Workspace, Populated],
                                               tmp_path: Path) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="accept", reviewer="auto:first-k")
    refused_import(ws, sheet, "reviewer", "reserved for automatic policies", "'auto:first-k'")


@pytest.mark.parametrize("codes", ["looks-odd", "artifact;<script>alert(1)</script>"])
def test_csv_unknown_or_html_reason_codes_are_refused(
        tiny: tuple[Workspace, Populated], tmp_path: Path, codes: str) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="reject", reason_codes=codes)
    refused_import(ws, sheet, "reason_codes", "not in the registry", repr(codes)[:20])


@pytest.mark.parametrize("name", ["eve\x1b[31m", "line\nbreak", "bell\x07", "x" * 65])
def test_csv_unprintable_or_overlong_reviewer_is_refused(
        tiny: tuple[Workspace, Populated], tmp_path: Path, name: str) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="reject", reviewer=name)
    refused_import(ws, sheet, "reviewer")


def test_csv_decided_at_in_2999_is_refused(tiny: tuple[Workspace, Populated],
                                           tmp_path: Path) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="accept", decided_at="2999-01-01T00:00:00+00:00")
    refused_import(ws, sheet, "decided_at", "in the future", "'2999-01-01T00:00:00+00:00'")


def test_csv_decided_at_before_the_candidate_is_refused(tiny: tuple[Workspace, Populated],
                                                        tmp_path: Path) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="accept", decided_at="2001-01-01T00:00:00+00:00")
    refused_import(ws, sheet, "decided_at", "before the candidate was created")


def test_csv_128_kib_note_is_a_named_error(tiny: tuple[Workspace, Populated],
                                           tmp_path: Path) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="reject", note="n" * (128 * 1024 + 1))
    refused_import(ws, sheet, "note", "131073 characters, more than 2000", "(131073 characters)")


@pytest.mark.parametrize("score", ["inf", "nan", "1e309", "-inf", "4.5"])
def test_csv_non_finite_or_fractional_score_is_a_named_error(
        tiny: tuple[Workspace, Populated], tmp_path: Path, score: str) -> None:
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="accept", photorealism=score)
    refused_import(ws, sheet, "photorealism", "whole number from 1 to 5", repr(score))


# --- item 3: the same validator in the workbench; item 7: bodies bounded, never echoed -------

def post(base: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    import http.client

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", "/api/verdict", body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    reply = (response.status, response.read())
    conn.close()
    return reply


def payload(pop: Populated, **fields: Any) -> bytes:
    return json.dumps({"candidate_id": pop.candidates[0].candidate_id, "decision": "accept",
                       "reviewer": "alice", **fields}).encode()


def test_app_reserved_reviewer_and_bad_fields_are_422_naming_the_field(
        tiny: tuple[Workspace, Populated]) -> None:
    ws, pop = tiny
    before = files_of(ws.root)
    cases = {"reviewer": payload(pop, reviewer="auto:first-k"),
             "reason_codes": payload(pop, reason_codes=["<b>x</b>"]),
             "note": payload(pop, note="n" * 2001),
             "photorealism": payload(pop)[:-1] + b', "photorealism": 1e309}'}
    with running(WorkbenchConfig(ws)) as base:
        replies = {name: post(base, body) for name, body in cases.items()}
    for name, (status, body) in replies.items():
        reply = json.loads(body)
        assert status == 422 and reply["ok"] is False, (name, body)
        assert [p["field"] for p in reply["problems"]] == [name], reply
    assert_kept(before, ws.root)
    assert not VerdictLog(ws).path.exists()


def test_app_422_never_echoes_the_body(tiny: tuple[Workspace, Populated]) -> None:
    ws, _ = tiny
    canary = "CANARY-7f3a"
    body = json.dumps({"candidate_id": f"{canary}-id" * 20, "decision": f"{canary}-decision",
                       "reviewer": f"auto:{canary}", "note": canary * 300,
                       "reason_codes": [f"<i>{canary}</i>"], f"<{canary}-key>": canary,
                       "photorealism": f"{canary}"}).encode()
    with running(WorkbenchConfig(ws)) as base:
        status, reply = post(base, body)
        broken_status, broken = post(base, b'{"reviewer": "' + canary.encode() + b'"')
    assert status == 422 and broken_status == 422
    for text in (reply, broken):
        assert canary.encode() not in text, text
    fields = {p["field"] for p in json.loads(reply)["problems"]}
    assert {"candidate_id", "decision", "reviewer", "note", "reason_codes",
            "(unknown field)"} <= fields, fields
    assert not VerdictLog(ws).path.exists()


def stream(base: str, *, total: int, chunked: bool, declared: int | None = None
           ) -> tuple[int, str]:
    """POST ``total`` bytes in 64 KiB pieces from one reused buffer (never ``total`` bytes in
    memory); return the reply's status and headers. Sending stops when the server closes."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=20)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {declared}"
    head = (f"POST /api/verdict HTTP/1.1\r\nHost: 127.0.0.1:{parts.port}\r\n"
            f"Content-Type: application/json\r\n{length}\r\n\r\n").encode()
    piece = b" " * 65536
    frame = b"10000\r\n" + piece + b"\r\n" if chunked else piece

    def send() -> None:
        try:
            sock.sendall(head)
            for _ in range(total // len(piece)):
                sock.sendall(frame)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: exactly what is wanted

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = sock.recv(65536)
        if not data:
            break
        reply += data
    sock.close()
    sender.join(20)
    head_text = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return int(head_text.split()[1]), head_text.lower()


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    yield
    tracemalloc.stop()


def test_app_body_over_64_kib_is_413_however_it_is_sent(
        tiny: tuple[Workspace, Populated], traced: None) -> None:
    ws, _ = tiny
    before = files_of(ws.root)
    with running(WorkbenchConfig(ws)) as base:
        declared = stream(base, total=0, chunked=False, declared=200 * 1024 * 1024)
        tracemalloc.reset_peak()
        streamed = stream(base, total=16 * 1024 * 1024, chunked=True)
        _, peak = tracemalloc.get_traced_memory()
        just_over = post(base, b"[" + b" " * (64 * 1024) + b"]")
    for status, headers in (declared, streamed):
        assert status == 413, headers
        assert "content-security-policy" in headers  # the guard's headers, even on a 413
    assert just_over[0] == 413 and b"larger than 65536 bytes" in just_over[1]
    assert peak < 4 * 1024 * 1024, f"the server held {peak} bytes of a 16 MiB stream"
    assert_kept(before, ws.root)


# --- item 4: export leaves people's fields for people ---------------------------------------

def test_a_changed_row_with_a_stale_decided_at_is_dated_at_import(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = tiny
    cid = pop.candidates[0].candidate_id
    VerdictLog(ws).append(CurationVerdict(candidate_id=cid, decision="accept",
                                          reviewer="rev-a", decided_at=LATER))
    assert invoke("curate", "auto", "-w", ws.root, "--policy", "first-k").exit_code == 0
    sheet = sheet_with(ws, tmp_path, cid, decision="reject", reviewer="rev-b")
    with sheet.open(newline="") as handle:
        rows = {r["candidate_id"]: r for r in csv.DictReader(handle)}
    assert rows.pop(cid)["decided_at"] == LATER.isoformat()  # the stale cell is still there
    assert {r["decided_at"] for r in rows.values()} == {""}  # no automatic time pre-filled
    assert {r["reviewer"] for r in rows.values()} == {""}
    assert {r["auto_reviewer"] for r in rows.values()} == {"auto:first-k"}
    log_before = VerdictLog(ws).path.read_bytes()
    start = datetime.now(UTC)
    result = invoke("curate", "import", sheet, "-w", ws.root)
    assert result.exit_code == 0 and "1 verdicts recorded" in result.output, result.output
    latest = VerdictLog(ws).latest()[cid]
    assert latest.reviewer == "rev-b" and latest.decided_at >= start
    assert VerdictLog(ws).path.read_bytes().startswith(log_before)  # appended, nothing lost


# --- item 5: CSV injection --------------------------------------------------------------------

def test_export_neutralises_formula_cells_and_import_restores_them(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = tiny
    reviewer, note = "=HYPERLINK(\"http://evil\")", "@SUM(1+1)*cmd|' /C calc'!A0"
    VerdictLog(ws).append(CurationVerdict(
        candidate_id=pop.candidates[0].candidate_id, decision="reject", reviewer=reviewer,
        note=note, decided_at=LATER))
    before = files_of(ws.root)
    sheet = tmp_path / "out.csv"
    assert invoke("curate", "export", sheet, "-w", ws.root).exit_code == 0
    raw = sheet.read_text()
    with sheet.open(newline="") as handle:
        rows = {r["candidate_id"]: r for r in csv.DictReader(handle)}
    mine = rows[pop.candidates[0].candidate_id]
    assert mine["reviewer"] == "'" + reviewer and mine["note"] == "'" + note
    for line in raw.splitlines():
        for cell in next(csv.reader([line])):
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    result = invoke("curate", "import", sheet, "-w", ws.root)
    assert result.exit_code == 0 and "0 verdicts recorded, 1 unchanged" in result.output
    assert files_of(ws.root) == before  # the quote was undone: nothing to record
    assert VerdictLog(ws).latest()[pop.candidates[0].candidate_id].reviewer == reviewer


# --- item 6: reviewer text is escaped in the card and Croissant --------------------------------

def test_a_markdown_reviewer_name_cannot_write_the_card(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = tiny
    # an old log, written before the validator existed, holds the hostile names
    ws.manifest(CurationVerdict).append([v.model_copy(update={"reviewer": EVIL, "note": EVIL})
                                         for v in decide(pop.candidates[1:], 1)])
    ws.auto_verdicts().append([CurationVerdict(
        candidate_id=pop.candidates[0].candidate_id, decision="reject", decided_at=LATER,
        reviewer=f"auto:{EVIL}")])
    before = files_of(ws.root)
    out = tmp_path / "release"
    result = invoke("build", "-w", ws.root, "--out", out, "--release-version", "1.0.0",
                    "--created", "2026-02-01T00:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert invoke("verify", out).exit_code == 0
    assert_kept(before, ws.root)
    card = (out / "README.md").read_text().split("\n---\n", 1)[1]
    tokens = MarkdownIt("commonmark").enable("table").parse(card)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    template = (Path(__file__).parents[2] / "src/dermforge/cards/templates/README.md.j2")
    # one heading per distinct heading line outside code blocks (the validation and signing
    # sections' two branches share theirs)
    assert len(headings) == len(_template_headings(template.read_text()))
    assert "Licence" not in headings
    inline = [c for t in tokens if t.children for c in t.children]
    assert not [t for t in [*tokens, *inline] if t.type.startswith("html")]
    assert not [t for t in inline if t.type == "link_open" and "evil" in str(t.attrs)]
    cells = [t.content for i, t in enumerate(tokens) if t.type == "inline"
             and tokens[i - 1].type in ("td_open", "th_open")]
    assert not [c for c in cells if "MIT" in c or "evil" in c]
    html = MarkdownIt("commonmark").enable("table").render(card)
    literal = ("x ## Licence MIT, do anything &lt;img src=x onerror=alert(1)&gt; "
               "[site](http://evil.example) | a | b |")
    assert f"{literal} (23)" in html  # shown as the text it is, on one line
    assert f"(auto:{literal[:-2]}…)" in html  # names are cut at 100 characters
    doc = json.loads((out / "croissant.json").read_text())
    tools = doc["rai:machineAnnotationTools"]
    assert len(tools) == 1 and tools[0].startswith("auto:x ## Licence MIT, do anything")
    assert "\n" not in tools[0]


# --- items 1-2: people's verdicts are never owned, lost or outranked by the policy -----------

def mixed(ws: Workspace, pop: Populated) -> list[CurationVerdict]:
    """A log as the old `curate auto` left it: people's and auto: verdicts in one file."""
    people = [CurationVerdict(candidate_id=pop.candidates[1].candidate_id, decision="accept",
                              reviewer="rev-a", decided_at=LATER)]
    lines = [*people, *first_k(pop.candidates, latest_verdicts(people), 1)]
    ws.manifest(CurationVerdict).append(lines)
    return lines


def test_a_mixed_log_is_refused_by_every_reader_then_migrated_losing_nothing(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = tiny
    lines = mixed(ws, pop)
    log_path = ws.manifest(CurationVerdict).path
    old = log_path.read_bytes()
    before = files_of(ws.root)
    for args in (["curate", "status", "-w", ws.root],
                 ["curate", "export", tmp_path / "s.csv", "-w", ws.root],
                 ["curate", "auto", "-w", ws.root, "--policy", "first-k"],
                 ["build", "-w", ws.root, "--out", tmp_path / "r", "--release-version", "1.0.0"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{log_path} line 2: field 'reviewer'" in result.output, result.output
        assert "'auto:first-k'" in result.output
        assert f"dermforge curate migrate -w {ws.root}" in result.output
    assert_kept(before, ws.root)
    assert not (tmp_path / "r").exists()
    result = invoke("curate", "migrate", "-w", ws.root)
    assert result.exit_code == 0 and f"moved {len(lines) - 1} automatic verdicts" in result.output
    auto_path = ws.auto_verdicts().path
    union = Counter([*log_path.read_bytes().splitlines(), *auto_path.read_bytes().splitlines()])
    assert union == Counter(old.splitlines())
    assert next(ws.records_dir.glob("verdicts.jsonl.pre-migrate-*.bak")).read_bytes() == old
    assert VerdictLog(ws).latest() == latest_verdicts(lines)
    assert invoke("curate", "status", "-w", ws.root).exit_code == 0
    assert_no_leftovers(ws.root)


def test_the_policy_never_touches_or_outranks_peoples_verdicts(
        tiny: tuple[Workspace, Populated]) -> None:
    ws, pop = tiny
    seed = [c for c in pop.candidates if c.source_id == pop.candidates[0].source_id]
    VerdictLog(ws).append([
        CurationVerdict(candidate_id=seed[0].candidate_id, decision="reject", reviewer="rev-a",
                        decided_at=LATER),
        CurationVerdict(candidate_id=seed[2].candidate_id, decision="accept", reviewer="rev-a",
                        decided_at=LATER)])
    before = files_of(ws.root)
    result = invoke("curate", "auto", "-w", ws.root, "--policy", "first-k",
                    "--keep-per-seed", "1")
    assert result.exit_code == 0, result.output
    after = assert_kept(before, ws.root)
    assert set(after) - set(before) == {"records/auto_verdicts.jsonl"}
    latest = VerdictLog(ws).latest()
    assert [latest[c.candidate_id].decision for c in seed] == ["reject", "reject", "accept"]
    assert [latest[c.candidate_id].reviewer for c in seed] == ["rev-a", "auto:first-k", "rev-a"]
    auto = ws.auto_verdicts().path.read_bytes()
    assert invoke("curate", "auto", "-w", ws.root, "--policy", "first-k",
                  "--keep-per-seed", "1").exit_code == 0
    assert ws.auto_verdicts().path.read_bytes() == auto  # same inputs, same bytes
    assert_kept(after, ws.root)


def test_a_person_cannot_break_keep_per_seed_against_the_policys_accepts(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, _ = tiny
    assert invoke("curate", "auto", "-w", ws.root, "--policy", "first-k",
                  "--keep-per-seed", "1").exit_code == 0
    before = files_of(ws.root)
    sheet = sheet_with(ws, tmp_path)
    with sheet.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[1].update(decision="accept")  # the seed's first candidate is accepted by the policy
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = invoke("curate", "import", sheet, "-w", ws.root, "--reviewer", "rev-a",
                    "--keep-per-seed", "1")
    assert result.exit_code == 2, result.output
    assert f"{sheet} row 3: field 'decision': seed" in result.output, result.output
    assert "keep-per-seed" in result.output
    assert_kept(before, ws.root)


# --- item 8: what killed runs left is cleaned and reported ----------------------------------

@pytest.mark.parametrize("command", ["import", "auto", "migrate"])
def test_temp_files_of_killed_runs_are_removed_and_reported(
        tiny: tuple[Workspace, Populated], tmp_path: Path, command: str) -> None:
    ws, pop = tiny
    VerdictLog(ws).append(CurationVerdict(candidate_id=pop.candidates[0].candidate_id,
                                          decision="reject", reviewer="rev-a",
                                          decided_at=LATER))
    name = "auto_verdicts.jsonl" if command == "auto" else "verdicts.jsonl"
    stale = ws.records_dir / f".{name}.x9k2ab.tmp"
    stale.write_bytes(b"\0" * (1024 * 1024))  # what a killed rewrite left
    before = files_of(ws.root)
    args: dict[str, list[str | Path]] = {
        "import": ["curate", "import", sheet_with(ws, tmp_path), "-w", ws.root],
        "auto": ["curate", "auto", "-w", ws.root, "--policy", "first-k"],
        "migrate": ["curate", "migrate", "-w", ws.root]}
    result = invoke(*args[command])
    assert result.exit_code == 0, result.output
    assert f"removed {stale}" in result.output.replace("\n", "")
    assert not stale.exists()
    del before[stale.relative_to(ws.root).as_posix()]
    assert_kept(before, ws.root)
    assert_no_leftovers(ws.root)


def serve(ws: Workspace) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dermforge", "curate", "serve", "-w", str(ws.root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "400"})


def test_serve_cleans_what_killed_runs_left_and_refuses_a_mixed_log_at_start(
        tiny: tuple[Workspace, Populated]) -> None:
    ws, pop = tiny
    stale = ws.records_dir / ".verdicts.jsonl.k1ll3d.tmp"
    stale.write_bytes(b"\0" * 1024)
    proc = serve(ws)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("open ") for line in lines):
            line = proc.stdout.readline()
            assert line, f"serve stopped: {lines}"
            lines.append(line)
        assert proc.poll() is None  # serving
    finally:
        proc.terminate()
        proc.wait(10)
    assert f"removed {stale}" in "".join(lines) and not stale.exists()
    mixed(ws, pop)
    before = files_of(ws.root)
    proc = serve(ws)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    assert f"{ws.manifest(CurationVerdict).path} line 2: field 'reviewer'" in output
    assert "curate migrate" in output
    assert_kept(before, ws.root)


def test_a_future_dated_line_written_into_the_log_by_hand_is_refused_by_build(
        tiny: tuple[Workspace, Populated], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The human log is tracked by git, so a hand edit or a merge can write any line: a
    verdict dated 2999 must not make a release claim it was created in 2999."""
    ws, pop = tiny
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    line = CurationVerdict(candidate_id=pop.candidates[0].candidate_id, decision="reject",
                           reviewer="dr-x", decided_at=datetime(2999, 1, 1, tzinfo=UTC))
    ws.manifest(CurationVerdict).path.write_text(line.model_dump_json() + "\n")
    before = files_of(ws.root)
    for args in (("build", "-w", ws.root, "--release-version", "1.0.0", "--out", tmp_path / "rel"),
                 ("curate", "status", "-w", ws.root)):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert "verdicts.jsonl line 1: field 'decided_at'" in result.output
        assert "2999-01-01" in result.output and "fix:" in result.output
    assert not (tmp_path / "rel").exists()
    assert_kept(before, ws.root)


def test_a_sheet_saved_in_another_encoding_is_named_with_its_byte(
        tiny: tuple[Workspace, Populated], tmp_path: Path) -> None:
    """A spreadsheet saved as Latin-1 (a reviewer's 'é' in a note) is refused by the one
    UTF-8 reader, naming the file and the byte, and nothing is recorded."""
    ws, _ = tiny
    sheet = sheet_with(ws, tmp_path, decision="reject", reviewer="rev-a", note="vérifié")
    sheet.write_bytes(sheet.read_text().encode("latin-1"))
    before = files_of(ws.root)
    result = invoke("curate", "import", sheet, "-w", ws.root)
    assert result.exit_code == 2, result.output
    assert f"CSV file '{sheet}' is not UTF-8 text: byte 0xe9 at byte offset" in result.output
    assert "fix: save the file as UTF-8" in result.output
    assert_kept(before, ws.root)
    assert ws.read(CurationVerdict) == []


def _template_headings(text: str) -> set[str]:
    """The card template's Markdown heading lines, leaving out fenced code (shell comments)."""
    found, fenced = set(), False
    for line in text.splitlines():
        if line.count("```") % 2:  # a fence opens or closes on this line (also after a tag)
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(line)
    return found
