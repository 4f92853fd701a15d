"""The team pages of the workbench: ``/agreement`` (Krippendorff's alpha overall and per
condition × skin-type group, pairwise Cohen's kappa, counts; anyone may read it: it shows no
single candidate's verdicts) and ``/adjudicate`` (the queue of candidates whose reviewers
disagree, with each reviewer's verdict; adjudicators only, 403 for anyone else). An
adjudicator's decision is posted to ``POST /api/verdict`` with ``role: "adjudicator"``
(``static/adjudicate.js``), which records it as such; under the rules majority and
adjudicated it is final.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from ..curation import RULE_TEXT, adjudication_queue, table_agreement
from ._records import Records
from ._security import current_reviewer

__all__ = ["add_team_routes", "adjudication_view"]

Page = Callable[..., HTMLResponse]


def adjudication_view(records: Records) -> list[dict[str, Any]]:
    """The adjudication queue as plain data: candidate, seed, image, the seed crop it was
    made from (None for text-to-image) and each verdict."""
    candidates = {c.candidate_id: c for c in records.candidates()}
    requests = records.requests()
    items = []
    for item in adjudication_queue(records.verdicts()):
        candidate = candidates.get(item.candidate_id)
        request = requests.get(candidate.request_id) if candidate else None
        items.append({
            "crop_sha256": request.image_sha256 if request else None,
            "candidate_id": item.candidate_id,
            "seed_id": candidate.seed_or_request if candidate else None,
            "sha256": candidate.sha256 if candidate else None,
            "verdicts": [{"reviewer": v.reviewer,
                          "qualification": v.reviewer_qualification or "not stated",
                          "decision": v.decision, "reason_codes": list(v.reason_codes),
                          "note": v.note, "decided_at": v.decided_at.isoformat()}
                         for v in item.verdicts],
        })
    return items


def add_team_routes(app: FastAPI, config: Any, records: Records, page: Page) -> None:
    @app.get("/agreement")
    def agreement_page(request: Request) -> HTMLResponse:
        seed_of = {c.candidate_id: c.seed_or_request for c in records.candidates()}
        result = table_agreement(records.verdicts(), records.seeds(), seed_of)
        return page("agreement.html", result=result, rule=config.rule,
                    rule_text=RULE_TEXT[config.rule], me=current_reviewer(request))

    @app.get("/adjudicate")
    def adjudicate_page(request: Request) -> HTMLResponse:
        me = current_reviewer(request)
        if me is None or not me.adjudicator:
            raise HTTPException(403, "only an adjudicator, signed in with their reviewer "
                                "token (?token=…), may open the adjudication queue")
        return page("adjudicate.html", queue=adjudication_view(records), rule=config.rule,
                    rule_text=RULE_TEXT[config.rule], me=me)
