"""The workbench over HTTP (a live uvicorn server): blobs by hash only, the token, the host
check, verdicts through the log with the keep-per-seed rule, conflicts, and study mode."""

from __future__ import annotations

import http.client
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from typer.testing import CliRunner

from dermforge.cli import app
from dermforge.curation import VerdictLog
from dermforge.schemas import CurationVerdict, StudyAnswer
from dermforge.workbench import WorkbenchConfig
from workbench.live import running
from workbench.scenario import Scenario

Reply = tuple[int, dict[str, str], bytes]


def request(base: str, path: str, *, method: str = "GET", body: Any = None,
            headers: dict[str, str] | None = None) -> Reply:
    """One raw HTTP request: the path is sent exactly as given (no normalisation)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=all_headers)
    response = conn.getresponse()
    reply = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    conn.close()
    return reply


def post(base: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, body = request(base, "/api/verdict", method="POST", body=payload)
    return status, json.loads(body)


_OPENS: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENS is not None and event == "open" and args and args[0] is not None:
        _OPENS.append(str(args[0]))


sys.addaudithook(_audit)


@contextmanager
def recording_opens() -> Iterator[list[str]]:
    """Every file this process opens meanwhile (the server runs in a thread of it)."""
    global _OPENS
    _OPENS = []
    try:
        yield _OPENS
    finally:
        _OPENS = None


def test_blobs_by_referenced_hash_only_and_traversal_reads_nothing(scenario: Scenario) -> None:
    ws = scenario.workspace
    unreferenced = ws.blobs.put(b"stored, but no record references it", layer="generate")
    crop = scenario.crops[scenario.seeds[0].source_id].sha256
    with running(WorkbenchConfig(ws)) as base:
        for warm in ("/seeds", f"/blob/{crop}"):  # the app reads its records once
            assert request(base, warm)[0] == 200
        attempts = [
            "/blob/../../etc/passwd", "/blob/..%2F..%2F..%2Fetc%2Fpasswd",
            "/blob/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/blob/%2E%2E/%2E%2E/etc/passwd",
            "/blob/..", "/blob/%2e%2e", f"/blob/{unreferenced}", f"/blob/{crop.upper()}",
            f"/blob/{crop}/../../../etc/passwd", f"/blob/{crop}%00", f"/blob/{crop[:-1]}",
            "/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/passwd",
            "/static/%2e%2e%2f_app.py", "//etc/passwd", "/seed/..%2F..%2Fetc%2Fpasswd",
        ]
        with recording_opens() as opened:
            replies = {path: request(base, path) for path in attempts}
        for path, (status, _, body) in replies.items():
            assert status == 404, (path, status)
            assert b"root:" not in body
        assert opened == [], opened
        status, headers, body = request(base, f"/blob/{crop}")
    assert status == 200 and headers["content-type"] == "image/png"
    assert body == ws.blobs.read(crop)
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_non_local_bind_requires_the_token(scenario: Scenario) -> None:
    token = "t0k3n-for-this-test"
    config = WorkbenchConfig(scenario.workspace, token=token)
    with running(config, host="0.0.0.0") as base:
        for path in ("/", "/seeds", "/static/workbench.js",
                     f"/blob/{scenario.crops[scenario.seeds[0].source_id].sha256}"):
            assert request(base, path)[0] == 401, path
        assert request(base, "/api/verdict", method="POST", body={})[0] == 401
        assert request(base, "/seeds?token=wrong")[0] == 403
        assert request(base, "/seeds", headers={"X-Dermforge-Token": "wrong"})[0] == 403
        status, headers, _ = request(base, f"/seeds?token={token}&x=1")
        assert status == 303 and headers["location"] == "/seeds?x=1"
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert request(base, "/seeds", headers={"Cookie": cookie.split(";")[0]})[0] == 200
        assert request(base, "/seeds", headers={"X-Dermforge-Token": token})[0] == 200


def test_loopback_bind_refuses_foreign_host_names(scenario: Scenario) -> None:
    with running(WorkbenchConfig(scenario.workspace)) as base:
        assert request(base, "/seeds", headers={"Host": "evil.example:80"})[0] == 403
        assert request(base, "/seeds", headers={"Host": "localhost"})[0] == 200


def test_cli_serve_on_a_non_local_address_prints_a_token(scenario: Scenario) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dermforge", "curate", "serve", "-w", str(scenario.workspace.root),
         "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        url = next(line.split()[1] for line in lines if line.startswith("open "))
        parts = urlsplit(url)
        token = parts.query.removeprefix("token=")
        assert len(token) >= 32 and "needs this run's token" in "".join(lines)
        base = f"http://127.0.0.1:{parts.port}"
        assert request(base, "/")[0] == 401
        assert request(base, f"/?token={token}")[0] == 303
    finally:
        proc.terminate()
        proc.wait(10)


def _payload(scenario: Scenario, seed: int, number: int, decision: str, **extra: Any
             ) -> dict[str, Any]:
    candidate = scenario.candidates[scenario.seeds[seed].source_id][number - 1]
    return {"candidate_id": candidate.candidate_id, "decision": decision, "reviewer": "alice",
            **extra}


def test_verdicts_land_in_the_log_and_the_keep_rule_holds(scenario: Scenario) -> None:
    ws = scenario.workspace
    with running(WorkbenchConfig(ws, keep_per_seed=4)) as base:
        for number in (1, 2, 7, 8):
            status, reply = post(base, _payload(scenario, 0, number, "accept",
                                                photorealism=4, consistency=5))
            assert status == 200 and reply["conflict"] == []
        assert reply["state"]["accepted"] == 4
        status, reply = post(base, _payload(scenario, 0, 3, "accept"))
        assert status == 409 and "keep-per-seed" in reply["error"]
        status, reply = post(base, _payload(scenario, 0, 3, "reject",
                                            reason_codes=["blurry", "artifact"], note="soft"))
        assert status == 200
        bad = [_payload(scenario, 0, 4, "accept", reviewer="auto:first-k"),
               _payload(scenario, 0, 4, "reject", reason_codes=["looks-odd"]),
               _payload(scenario, 0, 4, "reject", photorealism=6),
               _payload(scenario, 0, 4, "maybe"),
               {**_payload(scenario, 0, 4, "reject"), "extra": 1}]
        for payload in bad:
            assert post(base, payload)[0] == 422, payload
        assert post(base, {**_payload(scenario, 0, 4, "reject"),
                           "candidate_id": "nope-00"})[0] == 404
        as_form = request(base, "/api/verdict", method="POST", body=None,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert as_form[0] == 415
        cross = request(base, "/api/verdict", method="POST",
                        body=_payload(scenario, 0, 4, "reject"),
                        headers={"Origin": "http://evil.example"})
        assert cross[0] == 403
    latest = VerdictLog(ws).latest()
    assert len(latest) == 5 and {v.reviewer for v in latest.values()} == {"alice"}
    third = latest[scenario.candidates[scenario.seeds[0].source_id][2].candidate_id]
    assert third.reason_codes == ("artifact", "blurry") and third.note == "soft"
    status = json.loads(CliRunner().invoke(app, ["curate", "status", "-w", str(ws.root),
                                                 "--json"]).output)
    line = next(s for s in status["seeds"] if s["seed_id"] == scenario.seeds[0].source_id)
    assert (line["accepted"], line["rejected"], line["undecided"]) == (4, 1, 3)


def test_two_reviewers_both_land_and_the_conflict_is_reported(scenario: Scenario) -> None:
    ws = scenario.workspace
    with running(WorkbenchConfig(ws)) as base:
        # both pages loaded before anyone decided (seen = 0)
        status, first = post(base, _payload(scenario, 1, 5, "accept", seen=0))
        assert status == 200 and first["conflict"] == []
        status, second = post(base, {**_payload(scenario, 1, 5, "reject", seen=0),
                                     "reviewer": "bob"})
        assert status == 200
        assert [(c["reviewer"], c["decision"]) for c in second["conflict"]] == [
            ("alice", "accept")]
        card = second["state"]["candidates"][4]
        assert card["verdict"]["reviewer"] == "bob" and card["verdict"]["decision"] == "reject"
        assert card["disputed"] == {"alice": "accept", "bob": "reject"}
        # at the same moment, on another candidate
        results: list[int] = []
        barrier = threading.Barrier(2)

        def decide(reviewer: str, decision: str) -> None:
            barrier.wait()
            results.append(post(base, {**_payload(scenario, 1, 6, decision, seen=0),
                                       "reviewer": reviewer})[0])

        threads = [threading.Thread(target=decide, args=a)
                   for a in (("carol", "accept"), ("dave", "reject"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [200, 200]
    log = VerdictLog(ws)
    cid = scenario.candidates[scenario.seeds[1].source_id][5].candidate_id
    history = log.history(cid)
    assert sorted(v.reviewer for v in history) == ["carol", "dave"]
    assert log.latest()[cid] == history[-1]


def test_study_mode_is_blinded_and_records_answers(scenario: Scenario) -> None:
    ws = scenario.workspace
    VerdictLog(ws).append([
        CurationVerdict(candidate_id=c.candidate_id, decision="accept" if c.index < 2 else "reject",
                        reviewer="rev", decided_at=c.created) for c in scenario.all_candidates])
    crop = scenario.crops[scenario.seeds[0].source_id].sha256
    with running(WorkbenchConfig(ws, study=True, study_size=96)) as base:
        assert request(base, f"/blob/{crop}")[0] == 404
        assert request(base, f"/seed/{scenario.seeds[0].source_id}")[0] == 404
        assert request(base, "/api/study/next?reader=%01")[0] == 422
        status, _, body = request(base, "/api/study/next?reader=erin")
        first = json.loads(body)
        assert status == 200 and first["total"] == 12 and first["answered"] == 0
        assert set(first) == {"done", "total", "answered", "position", "item_id"}
        status, headers, png = request(base, f"/study/image/{first['item_id']}?reader=erin")
        assert status == 200 and headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (96, 96) and image.mode == "RGB" and not image.info.get("exif")
        assert request(base, f"/study/image/{first['item_id']}?reader=frank")[0] == 404
        status, _, body = request(base, "/api/study/answer", method="POST",
                                  body={"reader": "erin", "item_id": first["item_id"],
                                        "guess": "real"})
        after = json.loads(body)
        assert status == 200 and after["answered"] == 1 and after["item_id"] != first["item_id"]
        assert set(after) == set(first)  # no truth, no feedback
    answers = ws.manifest(StudyAnswer).read()
    assert len(answers) == 1 and answers[0].reader == "erin" and answers[0].guess == "real"
    assert answers[0].truth in ("real", "synthetic")


@pytest.mark.parametrize("name", ["workbench.js", "workbench.css"])
def test_static_files_are_served_from_memory(scenario: Scenario, name: str) -> None:
    with running(WorkbenchConfig(scenario.workspace)) as base:
        status, headers, body = request(base, f"/static/{name}")
    assert status == 200 and len(body) > 1000
    assert headers["content-type"].startswith("text/")


def test_the_reviewer_qualification_is_recorded_and_checked(scenario: Scenario) -> None:
    ws = scenario.workspace
    with running(WorkbenchConfig(ws, keep_per_seed=4)) as base:
        status, reply = post(base, _payload(scenario, 1, 1, "accept",
                                            reviewer_qualification="resident"))
        assert status == 200
        card = reply["state"]["candidates"][0]
        assert card["verdict"]["reviewer_qualification"] == "resident"
        assert post(base, _payload(scenario, 1, 2, "reject", reviewer_qualification=""))[0] == 200
        status, refused = post(base, _payload(scenario, 1, 3, "reject",
                                              reviewer_qualification="nurse"))
        assert status == 422 and refused["problems"][0]["field"] == "reviewer_qualification"
        assert "dermatologist, resident, other clinician, non-clinician" in refused["error"]
        assert "nurse" not in refused["error"]  # never quoted back
        _, _, html = request(base, f"/seed/{scenario.seeds[1].source_id}")
        assert b'<option value="other clinician">' in html
    latest = VerdictLog(ws).latest()
    first, second = (scenario.candidates[scenario.seeds[1].source_id][i].candidate_id
                     for i in (0, 1))
    assert latest[first].reviewer_qualification == "resident"
    assert latest[second].reviewer_qualification is None and len(latest) == 2
