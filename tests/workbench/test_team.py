"""The workbench for a team (a live server): reviewers' own tokens and attribution, revoked
tokens, assignments, blinding, the agreement page and the adjudication queue."""

from __future__ import annotations

import json
import re
from typing import Any

from dermforge.curation import VerdictLog, add_reviewer, assign, revoke_reviewer
from dermforge.workbench import WorkbenchConfig
from workbench.live import running
from workbench.scenario import Scenario
from workbench.test_app import request

TOKEN = "server-token-of-this-run"


def post(base: str, payload: dict[str, Any], token: str | None = None
         ) -> tuple[int, dict[str, Any]]:
    headers = {"X-Dermforge-Token": token} if token else {}
    status, _, body = request(base, "/api/verdict", method="POST", body=payload,
                              headers=headers)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"text": body.decode()}


def candidate(scenario: Scenario, seed: int, number: int) -> str:
    return scenario.candidates[scenario.seeds[seed].source_id][number - 1].candidate_id


def test_off_loopback_each_reviewer_uses_their_own_token(scenario: Scenario) -> None:
    ws = scenario.workspace
    _, ann = add_reviewer(ws, "ann", "dermatologist")
    _, bob = add_reviewer(ws, "bob", "resident")
    with running(WorkbenchConfig(ws, token=TOKEN), host="0.0.0.0") as base:
        assert request(base, "/seeds")[0] == 401
        assert request(base, "/seeds", headers={"X-Dermforge-Token": TOKEN})[0] == 403
        status, headers, _ = request(base, f"/seeds?token={ann}")
        assert status == 303 and headers["set-cookie"].startswith(f"dermforge_token={ann}")
        assert request(base, "/seeds", headers={"Cookie": f"dermforge_token={ann}"})[0] == 200
        cid = candidate(scenario, 0, 1)
        status, reply = post(base, {"candidate_id": cid, "decision": "accept",
                                    "reviewer": "mallory",
                                    "reviewer_qualification": "non-clinician"}, ann)
        assert status == 200 and reply["reviewer"] == "ann"
        status, reply = post(base, {"candidate_id": cid, "decision": "reject"}, bob)
        assert status == 200 and reply["reviewer"] == "bob"
        revoke_reviewer(ws, "bob")
        assert request(base, "/seeds", headers={"X-Dermforge-Token": bob})[0] == 403
        assert post(base, {"candidate_id": cid, "decision": "accept"}, bob)[0] == 403
    lines = VerdictLog(ws).history(cid)
    assert [(v.reviewer, v.reviewer_qualification, v.role) for v in lines] == [
        ("ann", "dermatologist", "reviewer"), ("bob", "resident", "reviewer")]


def test_on_loopback_a_profiles_name_needs_its_token(scenario: Scenario) -> None:
    ws = scenario.workspace
    add_reviewer(ws, "ann", "dermatologist")
    cid = candidate(scenario, 0, 1)
    with running(WorkbenchConfig(ws)) as base:
        assert request(base, "/seeds")[0] == 200
        assert post(base, {"candidate_id": cid, "decision": "accept",
                           "reviewer": "ann"})[0] == 403
        assert post(base, {"candidate_id": cid, "decision": "accept"})[0] == 422
        assert post(base, {"candidate_id": cid, "decision": "accept",
                           "reviewer": "carol"})[0] == 200
        assert request(base, "/seeds", headers={"X-Dermforge-Token": "nope"})[0] == 403


def test_assignments_and_blinding(scenario: Scenario) -> None:
    ws = scenario.workspace
    tokens = {name: add_reviewer(ws, name, "resident")[1] for name in ("ann", "bob", "cy")}
    assign(ws, ["ann", "bob", "cy"], 2)
    seed = scenario.seeds[0].source_id
    with running(WorkbenchConfig(ws, rule="majority")) as base:
        def state(name: str) -> dict[str, Any]:
            status, _, body = request(base, f"/api/seed/{seed}",
                                      headers={"X-Dermforge-Token": tokens[name]})
            assert status == 200
            return {c["candidate_id"]: c for c in json.loads(body)["candidates"]}

        from dermforge.curation import read_assignments

        assigned = read_assignments(ws)
        cid = next(c for c in state("ann") if set(assigned[c]) == {"ann", "bob"})
        assert post(base, {"candidate_id": cid, "decision": "accept"}, tokens["cy"])[0] == 403
        assert post(base, {"candidate_id": cid, "decision": "accept"}, tokens["ann"])[0] == 200
        hidden = state("bob")[cid]
        assert hidden["history"] == [] and hidden["verdict"] is None
        assert post(base, {"candidate_id": cid, "decision": "reject"}, tokens["bob"])[0] == 200
        shown = state("bob")[cid]
        assert [h["reviewer"] for h in shown["history"]] == ["ann", "bob"]
        assert shown["verdict"]["decision"] == "undecided"  # a tie waits for an adjudicator


def test_agreement_and_adjudication_pages(scenario: Scenario) -> None:
    ws = scenario.workspace
    _, ann = add_reviewer(ws, "ann", "dermatologist")
    _, bob = add_reviewer(ws, "bob", "resident")
    _, boss = add_reviewer(ws, "boss", "dermatologist", adjudicator=True)
    first, second = candidate(scenario, 0, 1), candidate(scenario, 0, 2)
    with running(WorkbenchConfig(ws, rule="adjudicated")) as base:
        for cid in (first, second):
            assert post(base, {"candidate_id": cid, "decision": "accept"}, ann)[0] == 200
        assert post(base, {"candidate_id": first, "decision": "reject"}, bob)[0] == 200
        assert post(base, {"candidate_id": second, "decision": "accept"}, bob)[0] == 200
        status, _, page = request(base, "/agreement")
        assert status == 200 and b"Krippendorff" in page and b"ann" in page
        assert b"<script>" not in page
        assert request(base, "/adjudicate")[0] == 403
        assert request(base, "/adjudicate", headers={"X-Dermforge-Token": ann})[0] == 403
        status, _, page = request(base, "/adjudicate", headers={"X-Dermforge-Token": boss})
        assert status == 200 and first.encode() in page and second.encode() not in page
        assert b"/static/adjudicate.js" in page
        assert post(base, {"candidate_id": first, "decision": "accept",
                           "role": "adjudicator"}, ann)[0] == 403
        status, reply = post(base, {"candidate_id": first, "decision": "reject",
                                    "role": "adjudicator"}, boss)
        assert status == 200 and reply["role"] == "adjudicator"
        status, _, page = request(base, "/adjudicate", headers={"X-Dermforge-Token": boss})
        assert first.encode() not in page and b"No disagreement" in page
        assert request(base, "/static/adjudicate.js")[0] == 200
    log = VerdictLog(ws, rule="adjudicated")
    finals = log.finals()
    assert finals[first].decision == "reject" and finals[first].deciding.reviewer == "boss"
    assert finals[second].decision == "accept"
    assert [v.reviewer for v in finals[first].weighed] == ["ann", "bob", "boss"]


def test_the_index_is_the_signed_in_reviewers_queue(scenario: Scenario) -> None:
    ws = scenario.workspace
    tokens = {name: add_reviewer(ws, name, "resident")[1] for name in ("ann", "bob", "cy")}
    _, boss = add_reviewer(ws, "boss", "dermatologist", adjudicator=True)
    assign(ws, ["ann", "bob", "cy"], 1)
    from dermforge.curation import assigned_to, read_assignments

    mine = assigned_to(read_assignments(ws), "ann")
    seeds_of_ann = {s.source_id for s in scenario.seeds
                    if {c.candidate_id for c in scenario.candidates[s.source_id]} & mine}
    others = {s.source_id for s in scenario.seeds} - seeds_of_ann
    with running(WorkbenchConfig(ws, rule="majority")) as base:
        ann = {"X-Dermforge-Token": tokens["ann"]}
        status, _, page = request(base, "/seeds?mine=true", headers=ann)
        assert status == 200 and b"my assignments" in page
        assert all(s.encode() in page for s in seeds_of_ann)
        assert not any(f'data-seed="{s}"'.encode() in page for s in others)
        assert b"blinded-note" in page and b"most accepted first" not in page
        # a hand-made ?sort=accepted would order seeds by others' accepts: review order instead
        order = re.findall(rb'data-seed="([^"]+)"', request(base, "/seeds", headers=ann)[2])
        forged = request(base, "/seeds?sort=accepted", headers=ann)[2]
        assert re.findall(rb'data-seed="([^"]+)"', forged) == order and b"<strong>" not in \
            forged.split(b"<tbody>")[1]
        status, headers, _ = request(base, "/next?mine=true", headers=ann)
        assert status == 303 and headers["location"].removeprefix("/seed/") in seeds_of_ann
        for cid in sorted(mine):
            assert post(base, {"candidate_id": cid, "decision": "accept"}, tokens["ann"])[0] == 200
        status, headers, _ = request(base, "/next?mine=true", headers=ann)
        assert status == 303 and "nothing_left" in headers["location"]
        status, _, page = request(base, "/seeds", headers={"X-Dermforge-Token": boss})
        assert b"blinded-note" not in page and b"most accepted first" in page
