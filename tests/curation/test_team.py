"""A team of reviewers: profiles and tokens, assignments, the rule, adjudication, blinding
and agreement (library and `dermforge curate reviewers|assign|agreement`)."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest

from clirun import CliFailed, invoke
from dermforge import InputError
from dermforge.curation import (
    VerdictLog,
    add_reviewer,
    adjudication_queue,
    assign,
    assigned_to,
    decide,
    read_assignments,
    read_reviewers,
    reviewer_progress,
    revoke_reviewer,
    token_sha256,
    visible_verdicts,
)
from dermforge.schemas import Assignment, CurationVerdict, ReviewerEvent
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated

Team = tuple[Workspace, Populated]
DAY = BASE_TIME + timedelta(days=1)


def verdict(cid: str, reviewer: str, decision: str, *, minutes: int = 0,
            role: str = "reviewer") -> CurationVerdict:
    return CurationVerdict.model_validate({
        "candidate_id": cid, "decision": decision, "reviewer": reviewer, "role": role,
        "decided_at": DAY + timedelta(minutes=minutes)}, strict=False)


# --- profiles -----------------------------------------------------------------------------

def test_reviewer_profiles_store_only_the_token_hash(curation_ws: Team) -> None:
    ws, _ = curation_ws
    ann, token = add_reviewer(ws, "ann", "Dermatologist")
    assert ann.qualification == "dermatologist" and ann.role == "reviewer" and ann.active
    text = (ws.records_dir / "reviewers.jsonl").read_text()
    assert token not in text and token_sha256(token) in text
    book = read_reviewers(ws)
    assert book.by_token(token) == ann and book.by_token(token + "x") is None
    boss, _ = add_reviewer(ws, "boss", "resident", adjudicator=True)
    assert boss.adjudicator
    revoked = revoke_reviewer(ws, "ann")
    assert not revoked.active and read_reviewers(ws).by_token(token) == revoked
    events = ws.manifest(ReviewerEvent).read()
    assert [e.event for e in events] == ["add", "add", "revoke"]


@pytest.mark.parametrize(("name", "qualification", "says"), [
    ("ann", "surgeon", "qualification 'surgeon' is not one of"),
    ("auto:me", "resident", "reviewer name 'auto:me'"),
    ("ann", "resident", "reviewer 'ann' already has a profile"),
])
def test_bad_profiles_name_the_value(curation_ws: Team, name: str, qualification: str,
                                     says: str) -> None:
    ws, _ = curation_ws
    add_reviewer(ws, "ann", "resident")
    with pytest.raises(InputError, match=says) as caught:
        add_reviewer(ws, name, qualification)
    assert caught.value.fix


def test_revoking_an_unknown_name_lists_the_known(curation_ws: Team) -> None:
    ws, _ = curation_ws
    add_reviewer(ws, "ann", "resident")
    with pytest.raises(InputError, match=r"'bob' has no profile \(active profiles: ann\)"):
        revoke_reviewer(ws, "bob")


def test_reviewers_cli_prints_the_token_once(curation_ws: Team) -> None:
    ws, _ = curation_ws
    root = str(ws.root)
    made = json.loads(invoke("curate", "reviewers", "add", "ann", "--qualification",
                             "other clinician", "-w", root, "--json").output)
    assert made["qualification"] == "other clinician" and len(made["token"]) >= 32
    listed = invoke("curate", "reviewers", "list", "-w", root, "--json").output
    assert made["token"] not in listed and json.loads(listed)["reviewers"][0]["name"] == "ann"
    assert "token revoked" in invoke("curate", "reviewers", "revoke", "ann", "-w", root).output
    with pytest.raises(CliFailed) as failed:
        invoke("curate", "reviewers", "add", "bob", "--qualification", "nurse", "-w", root)
    assert failed.value.exit_code == 2


# --- assignments --------------------------------------------------------------------------

def test_assignments_are_balanced_deterministic_and_only_added(curation_ws: Team) -> None:
    ws, _ = curation_ws
    for name in ("a", "b", "c"):
        add_reviewer(ws, name, "resident")
    run = assign(ws, ["a", "b", "c"], 2)
    assert run.candidates == 24 and sorted(run.load.values()) == [16, 16, 16]
    assigned = read_assignments(ws)
    assert len(assigned) == 24 and all(len(set(v)) == 2 for v in assigned.values())
    first = (ws.records_dir / "assignments.jsonl").read_bytes()
    lines = ws.manifest(Assignment).read()
    assert [x.candidate_id for x in lines] == sorted(x.candidate_id for x in lines)
    again = assign(ws, ["a", "b", "c"], 2)
    assert again.candidates == 0 and again.already == 24
    assert (ws.records_dir / "assignments.jsonl").read_bytes() == first
    # the same inputs elsewhere give the same bytes: no random state, no clock
    (ws.records_dir / "assignments.jsonl").unlink()
    assign(ws, ["c", "a", "b"], 2)
    assert (ws.records_dir / "assignments.jsonl").read_bytes() == first


def test_uneven_loads_differ_by_at_most_one(curation_ws: Team) -> None:
    ws, _ = curation_ws
    for name in ("a", "b", "c", "d", "e"):
        add_reviewer(ws, name, "resident")
    run = assign(ws, ["a", "b", "c", "d", "e"], 3)  # 72 readings over 5 reviewers
    assert sum(run.load.values()) == 72 and max(run.load.values()) - min(
        run.load.values()) <= 1


@pytest.mark.parametrize(("names", "per", "says"), [
    (["a", "b"], 3, "--per-candidate 3 is not between 1 and the number of reviewers"),
    (["a", "zed"], 1, "'zed' have no active reviewer profile"),
    (["a", "a"], 1, "names someone twice"),
])
def test_bad_assignments_are_refused(curation_ws: Team, names: list[str], per: int,
                                     says: str) -> None:
    ws, _ = curation_ws
    add_reviewer(ws, "a", "resident")
    add_reviewer(ws, "b", "resident")
    with pytest.raises(InputError, match=says):
        assign(ws, names, per)
    assert not (ws.records_dir / "assignments.jsonl").exists()


# --- the rule -----------------------------------------------------------------------------

def test_the_rules_decide_one_candidate() -> None:
    a, b, c = (verdict("x", n, d, minutes=i) for i, (n, d) in
               enumerate([("a", "accept"), ("b", "reject"), ("c", "accept")]))
    auto = verdict("x", "auto:first-k", "reject")
    assert decide("single", [a, b], auto).decision == "reject"  # type: ignore[union-attr]
    assert decide("single", [], auto).status == "automatic"  # type: ignore[union-attr]
    assert decide("majority", [], None) is None
    tie = decide("majority", [a, b], auto)
    assert tie is not None and (tie.decision, tie.status) == ("undecided", "needs-adjudication")
    two_one = decide("majority", [a, b, c], None)
    assert two_one is not None and (two_one.decision, two_one.deciding) == ("accept", c)
    split = decide("adjudicated", [a, b, c], None)
    assert split is not None and split.status == "needs-adjudication"
    assert decide("adjudicated", [a, c], None).decision == "accept"  # type: ignore[union-attr]
    boss = verdict("x", "boss", "reject", minutes=9, role="adjudicator")
    for rule in ("majority", "adjudicated"):
        final = decide(rule, [a, boss, c], None)  # type: ignore[arg-type]
        assert final is not None and (final.decision, final.deciding) == ("reject", boss)
        assert final.weighed == (a, c, boss)
    waiting = decide("majority", [a], None, assigned=("a", "b"))
    assert waiting is not None and waiting.status == "pending"
    # a reviewer's latest verdict replaces their earlier one
    changed = verdict("x", "b", "accept", minutes=5)
    assert decide("adjudicated", [a, b, changed], None).decision == "accept"  # type: ignore[union-attr]


def test_majority_log_keeps_per_seed_on_final_decisions(curation_ws: Team) -> None:
    ws, populated = curation_ws
    seed = [c.candidate_id for c in populated.candidates[:6]]
    log = VerdictLog(ws, keep_per_seed=2, rule="majority")
    # three candidates accepted by one reviewer, rejected by another: all ties (appended
    # together: a's three accepts alone would be a majority each, over keep-per-seed)
    log.append([verdict(cid, "a", "accept") for cid in seed[:3]]
               + [verdict(cid, "b", "reject", minutes=1) for cid in seed[:3]])
    assert all(log.latest()[cid].decision == "undecided" for cid in seed[:3])
    assert [i.candidate_id for i in adjudication_queue(log.all())] == sorted(seed[:3])
    log.append([verdict(cid, "boss", "accept", minutes=2, role="adjudicator")
                for cid in seed[:2]])
    assert [log.latest()[cid].decision for cid in seed[:3]] == ["accept", "accept",
                                                                "undecided"]
    assert [i.candidate_id for i in adjudication_queue(log.all())] == [seed[2]]
    with pytest.raises(InputError, match="more than the keep-per-seed rule allows"):
        log.append(verdict(seed[2], "boss", "accept", minutes=3, role="adjudicator"))
    # under the single rule the same log's latest line wins
    single = VerdictLog(ws, keep_per_seed=2)
    assert single.latest()[seed[2]].decision == "reject"


def test_reviewer_progress_counts_decided_assigned_candidates() -> None:
    lines = [verdict("x", "a", "accept"), verdict("y", "a", "undecided"),
             verdict("x", "b", "reject"), verdict("z", "b", "accept"),  # z: not b's
             verdict("y", "boss", "accept", role="adjudicator")]
    assigned = {"x": ("a", "b"), "y": ("a", "b")}
    assert reviewer_progress(lines, assigned) == {"a": (1, 2), "b": (1, 2)}


def test_blinding_hides_others_until_the_reviewer_decided() -> None:
    lines = [verdict("x", "a", "accept"), verdict("x", "b", "reject", minutes=1)]
    assert visible_verdicts(lines, "c") == []
    assert visible_verdicts(lines, "a") == lines
    assert visible_verdicts(lines, "c", adjudicator=True) == lines
    assert visible_verdicts(lines, None) == lines


# --- agreement ----------------------------------------------------------------------------

def test_agreement_matches_a_hand_computation(curation_ws: Team) -> None:
    """Reviewers a and b on six candidates of one seed (A accept, R reject):

        candidate  1  2  3  4  5  6
        a          A  A  A  R  R  A
        b          A  A  R  R  R  R

    Cohen's kappa: p_o = 4/6 (candidates 1, 2, 4, 5 agree); a says A 4/6, R 2/6; b says A 2/6,
    R 4/6; p_e = 4/6·2/6 + 2/6·4/6 = 16/36 = 4/9; kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4.

    Krippendorff's alpha (nominal, 2 coders, no missing): n = 12 pairable values, n_A = 6,
    n_R = 6. Coincidences: units AA (×2) give o_AA = 4, RR (×2) o_RR = 4, AR (×2) o_AR =
    o_RA = 2. D_o = (o_AR + o_RA) / n = 4/12 = 1/3; D_e = (n_A·n_R + n_R·n_A) / (n(n-1)) =
    72/132 = 6/11; alpha = 1 - D_o/D_e = 1 - 11/18 = 7/18 = 0.38889.
    """
    ws, populated = curation_ws
    cids = [c.candidate_id for c in populated.candidates[:6]]
    a = "AAARRA"
    b = "AARRRR"
    word = {"A": "accept", "R": "reject"}
    lines = [verdict(cid, "a", word[x]) for cid, x in zip(cids, a, strict=True)]
    lines += [verdict(cid, "b", word[x], minutes=1) for cid, x in zip(cids, b, strict=True)]
    # neither the policy's verdicts nor an adjudicator's count
    lines.append(verdict(cids[2], "boss", "accept", minutes=2, role="adjudicator"))
    ws.manifest(CurationVerdict).append(lines)
    ws.auto_verdicts().append([verdict(c.candidate_id, "auto:first-k", "accept")
                               for c in populated.candidates[6:9]])
    report = json.loads(invoke("curate", "agreement", "-w", str(ws.root), "--json").output)
    assert report["alpha"] == pytest.approx(7 / 18)
    assert report["kappa"] == [{"a": "a", "b": "b", "candidates": 6,
                                "kappa": pytest.approx(0.4)}]
    assert (report["rated_twice"], report["disagreements"], report["adjudicated"]) == (6, 2, 1)
    seed = populated.seeds[0]
    assert report["cells"] == [{"condition": seed.condition, "fst_group": seed.group,
                                "candidates": 6, "alpha": pytest.approx(7 / 18)}]
    text = invoke("curate", "agreement", "-w", str(ws.root)).output
    assert "0.389" in text and "0.400" in text and "2 disagreements" in text


# --- a reviewer's own sheet ---------------------------------------------------------------

def test_a_reviewers_sheet_holds_their_queue_and_only_their_decisions(
        curation_ws: Team, tmp_path: Path) -> None:
    ws, populated = curation_ws
    for name in ("ann", "bob"):
        add_reviewer(ws, name, "dermatologist" if name == "ann" else "resident")
    add_reviewer(ws, "cy", "resident")
    assign(ws, ["ann", "bob", "cy"], 2)
    queue = assigned_to(read_assignments(ws), "ann")
    both = sorted(c for c in queue if c in assigned_to(read_assignments(ws), "bob"))
    ws.manifest(CurationVerdict).append([verdict(both[0], "bob", "reject")])
    ws.auto_verdicts().append([verdict(both[0], "auto:first-k", "accept")])
    sheet = tmp_path / "ann.csv"
    invoke("curate", "export", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    rows = list(csv.DictReader(sheet.open()))
    assert {r["candidate_id"] for r in rows} == queue and len(rows) == 16
    row = next(r for r in rows if r["candidate_id"] == both[0])
    assert row["decision"] == row["reviewer"] == row["auto_decision"] == ""  # blinded
    row["decision"] = "accept"
    foreign = next(c.candidate_id for c in populated.candidates if c.candidate_id not in queue)
    extra = {**row, "candidate_id": foreign, "decision": "reject"}
    _write(sheet, [*rows, extra])
    with pytest.raises(CliFailed, match="is not assigned to 'ann'"):
        invoke("curate", "import", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    renamed = {**row, "reviewer": "bob"}
    _write(sheet, [renamed if r is row else r for r in rows])
    with pytest.raises(CliFailed, match="'bob' is not 'ann', whose sheet this is"):
        invoke("curate", "import", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    _write(sheet, rows)
    out = invoke("curate", "import", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    assert "1 verdicts recorded" in out.output
    mine = VerdictLog(ws).history(both[0])[-1]
    assert (mine.reviewer, mine.reviewer_qualification, mine.decision) == (
        "ann", "dermatologist", "accept")
    # the round trip of an unedited own sheet records nothing
    invoke("curate", "export", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    again = invoke("curate", "import", str(sheet), "-w", str(ws.root), "--reviewer", "ann")
    assert "0 verdicts recorded, 1 unchanged" in again.output


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
