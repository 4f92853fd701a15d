"""The openai backend through the real SDK against the local images server."""

from __future__ import annotations

import uuid

import pytest

from dermforge.errors import InputError
from dermforge.generators import RETIRED_MODELS, create_backend
from dermforge.runner import RunOptions, generate
from dermforge.schemas import Candidate, GenerationFailure, GenerationRequest
from dermforge.store import Workspace
from servers.openai_server import Faults, OpenAIImagesServer

from .conftest import BLOCKED_WORD, workspace_bytes

FAST = RunOptions(concurrency=4, backoff_s=0.05, backoff_max_s=0.5)


def _key() -> str:
    return f"sk-dermforge-test-{uuid.uuid4().hex}"


def test_faults_run_completes_and_bills_each_request_once(
        seeded: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key()
    monkeypatch.setenv("OPENAI_API_KEY", key)
    faults = Faults(status_429_on={2, 6}, status_500_on={3}, drop_on={8},
                    moderation_substrings={BLOCKED_WORD}, retry_after_s=0.2)
    with OpenAIImagesServer(api_key=key, faults=faults) as server:
        backend = create_backend("openai", base_url=server.base_url, size="256x256",
                                 quality="medium", timeout_s=20)
        report = generate(seeded, backend, n=8, options=FAST, max_usd_per_image=0.5)

    candidates = seeded.read(Candidate)
    failures = seeded.read(GenerationFailure)
    assert len(candidates) == 120 and report.stored_images == 120
    assert [(f.kind, f.permanent) for f in failures] == [("moderation_blocked", True)]
    blocked = next(r for r in seeded.read(GenerationRequest) if BLOCKED_WORD in r.prompt)
    assert failures[0].request_id == blocked.request_id
    # the faults really happened, and every successful request was billed exactly once
    assert server.statuses[429] == 2 and server.statuses[500] == 1 and server.dropped == 1
    assert server.statuses[200] == 15 and server.billed_requests == 15
    assert set(server.billed.values()) == {1}
    assert report.finished and report.permanent_failures == 1
    for c in candidates:
        assert seeded.blobs.read(c.sha256)  # stored, hash verified
        assert (c.width, c.height, c.format, c.model) == (256, 256, "png", "gpt-image-2")
        assert c.metadata["quality"] == "medium" and c.metadata["size"] == "256x256"
        assert c.metadata["cost_source"] == "usage" and c.cost_usd and c.cost_usd > 0
        assert isinstance(c.metadata["usage"], dict)
        assert isinstance(c.metadata["response_created"], int)
    # the SDK sent the form the API expects
    form = server.forms[0]
    assert {"prompt", "model", "n", "size", "quality", "output_format"} <= set(form)
    assert (form["model"], form["n"], form["output_format"]) == ("gpt-image-2", "8", "png")
    assert key not in repr(backend)


def test_rerun_skips_done_and_failed_requests(seeded: Workspace,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key()
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with OpenAIImagesServer(api_key=key, faults=Faults(
            moderation_substrings={BLOCKED_WORD})) as server:
        options = dict(n=2, options=FAST, max_usd_per_image=0.5)
        first = generate(seeded, create_backend("openai", base_url=server.base_url,
                                                size="256x256"), **options)
        arrivals = server.arrivals
        second = generate(seeded, create_backend("openai", base_url=server.base_url,
                                                 size="256x256"), **options)
    assert first.stored_images == 30 and first.permanent_failures == 1
    assert server.arrivals == arrivals  # nothing sent again
    assert (second.already_done, second.already_failed, second.todo_requests) == (15, 1, 0)
    assert second.finished and second.stored_images == 0


@pytest.mark.parametrize("model", sorted(RETIRED_MODELS))
def test_retired_models_fail_before_any_call(model: str, monkeypatch: pytest.MonkeyPatch,
                                             server: OpenAIImagesServer) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", _key())
    with pytest.raises(InputError) as info:
        create_backend("openai", model=model, base_url=server.base_url)
    text = str(info.value)
    assert RETIRED_MODELS[model] in text and "gpt-image-2" in text and model in text
    assert server.arrivals == 0


def test_key_never_reaches_the_workspace_or_errors(seeded: Workspace,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key()
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with OpenAIImagesServer(api_key=key, faults=Faults(
            status_500_on={1}, moderation_substrings={BLOCKED_WORD})) as server:
        generate(seeded, create_backend("openai", base_url=server.base_url, size="256x256"),
                 n=1, options=FAST, max_usd_per_image=0.5)
    assert server.auth_headers == {f"Bearer {key}"}  # the key was really used
    wrong = _key()
    monkeypatch.setenv("OPENAI_API_KEY", wrong)  # the server echoes a wrong key in its 401
    with OpenAIImagesServer(api_key=key) as server:
        seeded.manifest(Candidate).rewrite([])
        report = generate(seeded, create_backend("openai", base_url=server.base_url,
                                                 size="256x256"),
                          n=1, options=FAST, max_usd_per_image=0.5)
    assert report.stopped == "fatal" and report.fatal_message is not None
    assert "401" in report.fatal_message and wrong not in report.fatal_message
    assert "redacted" in report.fatal_message
    files = list(workspace_bytes(seeded.root))
    assert files
    for path, data in files:
        assert key.encode() not in data and wrong.encode() not in data, path


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        create_backend("openai")
