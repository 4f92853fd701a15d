"""Records are strict: unknown fields, bad hashes, bad FST, negative boxes, naive times fail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pydantic
import pytest

from dermforge.schemas import (
    RECORD_TYPES,
    Candidate,
    CropBox,
    CurationVerdict,
    GenerationRequest,
    SourceImage,
    candidate_id,
    export_json_schemas,
    fst_group,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "src" / "dermforge" / "schemas" / "json"
MD5 = "0" * 31 + "a"
SHA = "ab" * 32


def source(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = dict(
        dataset="fitzpatrick17k", source_id=MD5, md5=MD5, label="psoriasis", fitzpatrick=3,
        fitzpatrick_centaur=None, nine_partition_label="inflammatory",
        three_partition_label="non-neoplastic", qc=None, url=None, license="CC BY-NC-SA 3.0",
        csv_line=2,
    )
    fields.update(changes)
    return fields


def error_of(exc: pytest.ExceptionInfo[pydantic.ValidationError]) -> tuple[str, str]:
    first = exc.value.errors()[0]
    return ".".join(map(str, first["loc"])), first["msg"]


def test_valid_source_image_round_trips_through_json() -> None:
    record = SourceImage(**source())  # type: ignore[arg-type]
    assert SourceImage.model_validate_json(record.model_dump_json()) == record


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        SourceImage(**source(colour="red"))  # type: ignore[arg-type]
    assert error_of(exc)[0] == "colour"


@pytest.mark.parametrize("bad", ["ABC", MD5.upper(), "g" * 32, MD5 + "0"])
def test_md5_must_be_32_lowercase_hex(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        SourceImage(**source(md5=bad))  # type: ignore[arg-type]
    field, message = error_of(exc)
    assert field == "md5"
    assert "32 lowercase hex" in message and repr(bad) in message


@pytest.mark.parametrize("bad", [0, 7, -1])
def test_fitzpatrick_is_1_to_6_or_none(bad: int) -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        SourceImage(**source(fitzpatrick=bad))  # type: ignore[arg-type]
    assert error_of(exc)[0] == "fitzpatrick"
    assert SourceImage(**source(fitzpatrick=None)).fitzpatrick is None  # type: ignore[arg-type]


def test_crop_box_is_non_negative_and_non_empty() -> None:
    with pytest.raises(pydantic.ValidationError):
        CropBox(left=-1, top=0, side=10)
    with pytest.raises(pydantic.ValidationError):
        CropBox(left=0, top=0, side=0)


def test_timestamps_must_be_timezone_aware() -> None:
    fields = dict(candidate_id="c", decision="accept", reviewer="r")
    with pytest.raises(pydantic.ValidationError) as exc:
        CurationVerdict(**fields, decided_at=datetime(2026, 1, 1))  # type: ignore[arg-type]
    assert error_of(exc)[0] == "decided_at"
    ok = CurationVerdict(**fields, decided_at=datetime(2026, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert ok.decided_at.tzinfo is not None


def request() -> GenerationRequest:
    return GenerationRequest.create(
        source_id=MD5, backend="classic", model="classic-v1", operation="edit",
        prompt="An image of psoriasis.", image_sha256=SHA, mask_sha256=SHA,
        size="64x64", n=8, parameters={"jitter": True},
    )


def test_request_id_is_the_hash_of_the_inputs_and_is_checked() -> None:
    req = request()
    assert req.request_id == req.computed_id()
    assert request().request_id == req.request_id  # deterministic
    changed = GenerationRequest.create(**{**req.model_dump(exclude={"request_id"}), "n": 4})
    assert changed.request_id != req.request_id
    with pytest.raises(pydantic.ValidationError, match="not the sha256"):
        GenerationRequest(**{**req.model_dump(), "request_id": "cd" * 32})


def test_candidate_id_is_derived_from_request_and_index() -> None:
    req = request()
    fields = dict(request_id=req.request_id, index=3, source_id=MD5, backend="classic",
                  model="classic-v1", sha256=SHA, width=64, height=64, format="png",
                  created=datetime(2026, 1, 1, tzinfo=UTC))
    ok = Candidate(candidate_id=candidate_id(req.request_id, 3), **fields)  # type: ignore[arg-type]
    assert ok.candidate_id.endswith("-03")
    with pytest.raises(pydantic.ValidationError, match="should be"):
        Candidate(candidate_id="other", **fields)  # type: ignore[arg-type]


def test_fst_groups() -> None:
    assert [fst_group(i) for i in range(1, 7)] == ["I-II"] * 2 + ["III-IV"] * 2 + ["V-VI"] * 2
    with pytest.raises(ValueError, match=r"1\.\.6"):
        fst_group(0)


def test_committed_json_schemas_match_the_models(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path)
    assert len(written) == len(RECORD_TYPES)
    committed = sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json"))
    assert committed == sorted(p.name for p in written), (
        "schema files drifted: run `dermforge schemas export src/dermforge/schemas/json`")
    for path in written:
        assert (SCHEMA_DIR / path.name).read_text() == path.read_text(), (
            f"{path.name} drifted from the model: run "
            "`dermforge schemas export src/dermforge/schemas/json` and commit the result")
