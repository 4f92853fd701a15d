"""The queue pages (starlette TestClient, real records of the demo-image scenario): server-side
filters, sort and pages of /seeds, /next and / , the bounded thumbnail route, and progress that
never counts the demo policy's automatic verdicts as a person's review."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any, get_args

from PIL import Image
from starlette.testclient import TestClient

from dermforge.curation import VerdictLog, apply_policy
from dermforge.schemas import CurationVerdict, SignalFlag
from dermforge.workbench import WorkbenchConfig, create_app
from dermforge.workbench._index_routes import ThumbCache
from dermforge.workbench._queue import IndexQuery, Viewer, index_page, index_rows, next_open
from dermforge.workbench._records import Records
from dermforge.workbench._words import FLAG_HELP, FLAG_WORDS
from workbench.scenario import Scenario

ROW = re.compile(r'<tr class="[^"]*" data-seed="([^"]+)"')


def client(scenario: Scenario) -> TestClient:
    return TestClient(create_app(WorkbenchConfig(scenario.workspace, poll_seconds=0)),
                      base_url="http://127.0.0.1", follow_redirects=False)


def rows(http: TestClient, query: str = "") -> list[str]:
    reply = http.get("/seeds" + query)
    assert reply.status_code == 200, reply.text
    return ROW.findall(reply.text)


def decide(scenario: Scenario, seed: int, numbers: range, reviewer: str = "alice") -> None:
    seed_id = scenario.seeds[seed].source_id
    VerdictLog(scenario.workspace).append([
        CurationVerdict(candidate_id=scenario.candidates[seed_id][n].candidate_id,
                        decision="accept" if n < 3 else "reject", reviewer=reviewer,
                        decided_at=datetime.now(UTC)) for n in numbers])


def test_every_signal_flag_has_plain_words_and_help() -> None:
    assert set(FLAG_WORDS) == set(FLAG_HELP) == set(get_args(SignalFlag))


def test_filters_sort_and_pages_are_on_the_server(scenario: Scenario) -> None:
    ids = [s.source_id for s in scenario.seeds]
    decide(scenario, 0, range(8))  # done: 3 accepted
    decide(scenario, 1, range(2), reviewer="bob")  # partly: 2 accepted
    http = client(scenario)
    everything = rows(http)
    assert sorted(everything) == sorted(ids)
    assert rows(http, "?size=3") == everything[:3]
    assert rows(http, "?size=3&page=2") == everything[3:]
    assert rows(http, "?size=3&page=99") == everything[3:]  # past the end: the last page
    by_condition = {s.condition for s in scenario.seeds}
    for condition in by_condition:
        assert set(rows(http, f"?condition={condition.replace(' ', '+')}")) == {
            s.source_id for s in scenario.seeds if s.condition == condition}
    assert set(rows(http, "?group=V-VI")) == {s.source_id for s in scenario.seeds
                                              if s.group == "V-VI"}
    assert rows(http, "?status=done") == [ids[0]]
    assert rows(http, "?status=partly") == [ids[1]]
    assert set(rows(http, "?status=undecided")) == set(ids[2:])
    assert set(rows(http, "?status=unreviewed")) == set(ids[1:])
    assert set(rows(http, "?flag=test-leak")) == set(ids)  # every seed has a leak candidate
    assert set(rows(http, "?flag=any")) == set(ids)
    assert rows(http, "?sort=accepted")[:2] == [ids[0], ids[1]]
    assert set(rows(http, "?sort=undecided")[:2]) == set(ids[2:])
    assert rows(http, "?sort=seed") == sorted(ids)
    assert rows(http, "?status=done&group=nope") == []
    for bad in ("?status=maybe", "?sort=random", "?size=0", "?size=5000", "?page=0",
                "?flag=bogus", f"?condition={'x' * 200}"):
        reply = http.get("/seeds" + bad)
        assert reply.status_code == 422, bad
        assert "maybe" not in reply.text and "bogus" not in reply.text  # never quoted back
    assert 'href="/seeds?status=undecided&amp;page=2&amp;size=1"' in http.get(
        "/seeds?size=1&status=undecided").text  # the pager keeps the filters
    page = http.get("/seeds").text
    assert "alice <strong>8</strong>" in page and "bob <strong>2</strong>" in page
    assert "looks like a test image" in page


def test_next_undecided_follows_review_order_and_filters(scenario: Scenario) -> None:
    ids = [r.seed_id for r in index_rows(Records(scenario.workspace))]
    http = client(scenario)
    assert http.get("/").headers["location"] == f"/seed/{ids[0]}"
    assert http.get(f"/next?after={ids[0]}").headers["location"] == f"/seed/{ids[1]}"
    assert http.get(f"/next?after={ids[-1]}").headers["location"] == f"/seed/{ids[0]}"
    first = next(s for s in scenario.seeds if s.source_id == ids[0])
    decide(scenario, scenario.seeds.index(first), range(8))
    assert http.get("/").headers["location"] == f"/seed/{ids[1]}"
    assert http.get(f"/next?after={ids[-1]}").headers["location"] == f"/seed/{ids[1]}"
    group = next(s.group for s in scenario.seeds if s.source_id == ids[2])
    found = http.get(f"/next?after={ids[0]}&group={group}").headers["location"]
    assert found.removeprefix("/seed/") in {s.source_id for s in scenario.seeds
                                            if s.group == group}
    for number in range(len(scenario.seeds)):
        decide(scenario, number, range(8))
    assert http.get("/").headers["location"] == "/seeds"
    reply = http.get(f"/next?after={ids[0]}")
    assert reply.headers["location"] == "/seeds?nothing_left=1"
    assert "Nothing left" in http.get(reply.headers["location"]).text


def test_the_viewer_hook_narrows_the_queue_to_assignments(scenario: Scenario) -> None:
    rows_ = index_rows(Records(scenario.workspace))
    second = rows_[1]
    mine = frozenset(sorted(second.candidate_ids)[:2])
    viewer = Viewer(assigned=mine)
    assert [r.seed_id for r in index_page(rows_, IndexQuery(mine=True), viewer).rows] == [
        second.seed_id]
    assert len(index_page(rows_, IndexQuery(mine=True)).rows) == len(rows_)  # no assignments
    assert next_open(rows_, None, viewer) == second.seed_id
    assert next_open(rows_, None, Viewer(assigned=mine, decided=mine)) is None


def test_thumbnails_are_small_bounded_and_only_of_referenced_blobs(scenario: Scenario) -> None:
    ws = scenario.workspace
    crop = scenario.crops[scenario.seeds[0].source_id].sha256
    unreferenced = ws.blobs.put(b"stored, but no record references it", layer="generate")
    http = client(scenario)
    reply = http.get(f"/thumb/{crop}")
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/jpeg"
    assert "immutable" in reply.headers["cache-control"]
    with Image.open(io.BytesIO(reply.content)) as image:
        assert image.format == "JPEG" and max(image.size) <= 128
    for bad in (unreferenced, crop.upper(), crop[:-1], "..%2F..%2Fetc%2Fpasswd", "0" * 64):
        assert http.get(f"/thumb/{bad}").status_code == 404, bad
    assert f'src="/thumb/{crop}"' in http.get("/seeds").text

    big = Image.new("RGB", (900, 600), (200, 120, 90))
    out = io.BytesIO()
    big.save(out, format="PNG")
    blobs = {"a": out.getvalue(), "b": out.getvalue(), "c": out.getvalue(), "x": b"text"}
    reads: list[str] = []

    def read(sha: str) -> bytes:
        reads.append(sha)
        return blobs[sha]

    cache = ThumbCache(read, bound=2, side=64)
    for sha in ("a", "b", "a", "c", "a"):
        data = cache.get(sha)
        assert data is not None and len(cache) <= 2
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (64, 43)
    assert reads == ["a", "b", "c"]  # 'a' stayed (recently used), 'b' went
    assert cache.get("x") is None and len(cache) == 2


def _text(html: str, element_id: str, end: str) -> str:
    """The words from the element ``element_id`` up to the text ``end``."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?){end}', html, re.S)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_automatic_verdicts_are_never_counted_as_review(scenario: Scenario) -> None:
    ws = scenario.workspace
    apply_policy(ws, "first-k", 4)
    n = len(scenario.seeds)
    http = client(scenario)
    page = http.get("/seeds").text
    progress = _text(page, "progress-text", "<progress")
    assert f"{n}/{n}" not in progress and f"0 of {n} seeds reviewed by a person" in progress
    assert f"{n} decided by the demo policy" in progress
    assert f"0/{n * 8} candidates decided by people" in progress
    assert "auto:first-k" in _text(page, "auto-note", "</span>")
    assert "No person has decided" in page
    assert page.count('class="auto-badge"') == n
    assert set(rows(http, "?status=unreviewed")) == {s.source_id for s in scenario.seeds}
    state: dict[str, Any] = http.get(f"/api/seed/{scenario.seeds[0].source_id}").json()
    assert state["progress"]["candidates_by_people"] == 0
    assert state["progress"]["seeds_reviewed"] == 0
    assert all(c["verdict"]["automatic"] for c in state["candidates"])
    seed_page = http.get(f"/seed/{scenario.seeds[0].source_id}").text
    assert 'data-auto="1"' in seed_page and "auto:first-k: accept" in seed_page
    decide(scenario, 0, range(8))  # a person reviews one seed: now it counts
    progress = _text(http.get("/seeds").text, "progress-text", "<progress")
    assert f"1 of {n} seeds reviewed by a person" in progress
    assert f"{n - 1} decided by the demo policy" in progress
