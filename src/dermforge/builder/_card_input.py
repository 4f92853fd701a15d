"""The card input of a built release, rebuilt from the folder alone (`dermforge attach`).

The build gathers the card's facts row by row as it writes the shards; this reads the same
rows back through the one reader and gathers them again, with the same record models the
verifier uses, so the card, changelog and Croissant rendered from it are what the build
wrote — plus whatever ``evaluation`` adds.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pydantic
from datasets import Features

from ..cards import CardInput, ConfigInfo, ReleaseFacts
from ..curation import CurateParams
from ..errors import ReleaseError
from ..schemas import Release, ReleaseEvaluation, ReleaseRow, SeedRow, SplitMembership
from ..store import format_validation_error
from ._features import CONFIG_ALIASES, CONFIGS, from_arrow
from ._folder import RELEASE_JSON, ReleaseFolder
from ._params import BuildParams
from ._verify_rows import _MODELS

__all__ = ["card_input_of"]


def card_input_of(folder: ReleaseFolder, evaluation: ReleaseEvaluation | None) -> CardInput:
    """What the build passed to the card of ``folder``, with ``evaluation`` attached."""
    release = folder.release
    build, curate = _params(folder, release)
    features = {name: folder.features(name) for name in CONFIGS}
    facts = ReleaseFacts(list(features["candidates"]["condition"].names))
    configs = [_gather(folder, name, features[name], facts) for name in CONFIGS]
    return CardInput(
        name=release.name, pretty_name=build.pretty_name, version=release.version,
        previous=release.parent_version, created=release.created,
        dermforge_version=release.dermforge_version, homepage=build.homepage,
        creator=build.creator, repo_id=build.repo_id, contact=build.contact,
        takedown=build.takedown, keep_per_seed=curate.keep_per_seed, facts=facts,
        configs=configs, features=features, changelog=list(release.changelog),
        evaluation=evaluation)


def _params(folder: ReleaseFolder, release: Release) -> tuple[BuildParams, CurateParams]:
    try:
        return (BuildParams.model_validate(release.params.get("build", {})),
                CurateParams.model_validate(release.params.get("curate", {})))
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        raise ReleaseError(
            f"{folder.root / RELEASE_JSON}: params field {field!r}: {reason}",
            fix="rebuild the release with this dermforge (`dermforge build`), then attach "
                "its evaluation") from None


def _gather(folder: ReleaseFolder, config: str, features: Features,
            facts: ReleaseFacts) -> ConfigInfo:
    """One config's rows, in-memory bytes and files; its rows' facts added to ``facts``."""
    rows = num_bytes = 0
    requests: set[str] = set()
    schema = features.arrow_schema
    for shard, table in folder.row_groups(config):
        records = table.to_pylist()
        rows += len(records)
        # dataset_info's num_bytes: the arrow size of each row group as the writer built it
        num_bytes += pa.Table.from_pylist(records, schema=schema).nbytes
        if config == "synthetic":
            continue  # its rows are the accepted candidates, gathered from candidates
        for index, row in enumerate(records):
            record = _record(folder, shard.name, config, index, row, features)
            if isinstance(record, ReleaseRow):
                facts.add_row(record)
                requests.add(record.request_id)
            elif isinstance(record, SeedRow):
                facts.add_seed(record)
            else:
                facts.add_split(record)
    if config == "candidates":
        facts.requests = len(requests)
    shards = folder.shards(config)
    return ConfigInfo(config, CONFIGS[config], rows, num_bytes,
                      sum(p.stat().st_size for p in shards),
                      tuple(p.relative_to(folder.root).as_posix() for p in shards),
                      tuple(old for old, new in CONFIG_ALIASES.items() if new == config))


def _record(folder: ReleaseFolder, shard: str, config: str, index: int, row: dict[str, Any],
            features: Features) -> ReleaseRow | SeedRow | SplitMembership:
    try:
        return _MODELS[config].model_validate(from_arrow(row, features), strict=False)
    except (pydantic.ValidationError, ValueError) as exc:
        reason = (": ".join(str(p) for p in format_validation_error(exc) if p)
                  if isinstance(exc, pydantic.ValidationError) else str(exc))
        raise ReleaseError(f"{folder.root}/data/{config}/{shard} row {index}: {reason}",
                           fix="run `dermforge verify` on the release; rebuild it with "
                               "`dermforge build`") from None
