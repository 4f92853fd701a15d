"""Read a release exactly as a dataset user does: `datasets.load_dataset(DIR, config)`.

Two configs are used (and release.json and MANIFEST.json, through the one release reader,
for the release's identity): ``experiments`` (experiment membership of the real images,
validated as SplitMembership records; named ``splits``, with a ``group`` column, in releases of
dermforge 0.1.0) and ``synthetic`` (the released images with their provenance; the bytes of
every image are hashed and compared with its recorded ``image_sha256``).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from ..errors import InputError, IntegrityError, RecordError
from ..schemas import FST_GROUPS, TEXT_TO_IMAGE, FstGroup, SplitMembership
from ..store import format_validation_error

__all__ = ["ReleaseInputs", "SyntheticRow", "load_release"]

_SYNTHETIC_COLUMNS = ("image", "image_id", "image_sha256", "condition", "fst_group", "seed_id")
_OPTIONAL_TEXT = ("backend", "model")
#: the name of the experiments config in releases of dermforge 0.1.0
_LEGACY_EXPERIMENTS = "splits"


@dataclass(frozen=True)
class SyntheticRow:
    """One released synthetic image (its bytes stay in the dataset; ``row`` finds them)."""

    row: int
    image_id: str
    image_sha256: str
    condition: str
    fst_group: FstGroup
    seed_id: str
    backend: str
    model: str
    candidate_index: int


@dataclass(frozen=True)
class ReleaseInputs:
    """What the evaluation reads from a release folder."""

    path: Path
    splits: tuple[SplitMembership, ...]
    synthetic: tuple[SyntheticRow, ...]
    manifest_sha256: str | None
    #: (name, version, data_sha256) of a dermforge release; Nones for another folder
    identity: tuple[str | None, str | None, str | None]
    _images: Any  # the synthetic dataset with undecoded images
    _cache: Any = None  # the private datasets cache the two configs were prepared in

    def close(self) -> None:
        """Remove the private datasets cache (the rows stay readable until then)."""
        if self._cache is not None:
            self._cache.cleanup()

    def synthetic_bytes(self, row: SyntheticRow) -> bytes:
        """The bytes of a synthetic image, verified against its recorded sha256."""
        data = _image_bytes(self._images[row.row]["image"], self.path, row.row)
        _check_sha(data, row, self.path)
        return data


def load_release(path: Path) -> ReleaseInputs:
    """Load and validate the ``experiments`` and ``synthetic`` configs of a release folder."""
    if not (path / "README.md").is_file():
        raise InputError(
            f"release folder {str(path)!r} has no README.md (the dataset card with `configs:`)",
            fix="pass the folder written by `dermforge build --out DIR`")
    cache = tempfile.TemporaryDirectory(prefix="dermforge-release-")
    legacy = not (path / "data" / "experiments").is_dir() and (path / "data" / "splits").is_dir()
    splits = _load_config(path, _LEGACY_EXPERIMENTS if legacy else "experiments", cache.name)
    synthetic = _load_config(path, "synthetic", cache.name)
    split_rows = tuple(_split_rows(splits, path))
    images = _undecoded(synthetic, path)
    rows = tuple(_synthetic_rows(images, path))
    for row in rows:
        _check_sha(_image_bytes(images[row.row]["image"], path, row.row), row, path)
    manifest = path / "MANIFEST.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
    return ReleaseInputs(path=path, splits=split_rows, synthetic=rows,
                         manifest_sha256=digest, identity=_identity(path), _images=images,
                         _cache=cache)


def _identity(path: Path) -> tuple[str | None, str | None, str | None]:
    """The release's name and version (release.json) and the digest of its data files
    (MANIFEST.json), through the one release reader; so `dermforge attach` can tell that
    an evaluation is of this release and these data."""
    from ..builder import RELEASE_JSON, ReleaseFolder, data_sha256

    if not (path / RELEASE_JSON).is_file():
        return None, None, None
    folder = ReleaseFolder(path)
    return folder.release.name, folder.release.version, data_sha256(folder.manifest)


def _load_config(path: Path, config: str, cache_dir: str) -> Any:
    """Load one config into a private, fresh cache: `datasets` keys its cache of a local
    folder by the folder's name, its README's dataset_info and its data_files patterns (not
    the files' bytes), so a shared cache can serve another folder's stale rows."""
    import datasets

    quiet = not datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the CLI draws its own progress
    try:
        loaded = datasets.load_dataset(str(path), config, cache_dir=cache_dir)
    except ValueError as exc:
        raise InputError(
            f"release {str(path)!r} has no readable config {config!r}: {exc}",
            fix=f"rebuild the release; its README.md must declare a `{config}` config") from None
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    parts = [loaded[name] for name in sorted(loaded)]
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def _decoder(dataset: Any, column: str) -> Any:
    """A function turning stored values into strings (ClassLabel ints become names)."""
    feature = dataset.features.get(column)
    names = getattr(feature, "names", None)
    if names is not None:
        return lambda value: names[value] if isinstance(value, int) else value
    return lambda value: value


def _where(path: Path, config: str, row: int) -> str:
    return f"{path} config {config!r} row {row}"


def _split_rows(dataset: Any, path: Path) -> Iterator[SplitMembership]:
    fields = list(SplitMembership.model_fields)
    if "group" in dataset.column_names and "fst_group" not in dataset.column_names:
        dataset = dataset.rename_column("group", "fst_group")  # a dermforge 0.1.0 release
    missing = [name for name in fields if name not in dataset.column_names]
    if missing:
        raise RecordError(path=f"{path} config 'experiments'", line=None, field=missing[0],
                          reason=f"missing column(s) {missing}; found {dataset.column_names}",
                          fix="rebuild the release with a dermforge that writes these columns")
    decode = {name: _decoder(dataset, name) for name in fields}
    for index, raw in enumerate(dataset.select_columns(fields)):
        values = {name: decode[name](raw[name]) for name in fields}
        try:
            yield SplitMembership.model_validate(values)
        except pydantic.ValidationError as exc:
            field, reason = format_validation_error(exc)
            raise RecordError(path=_where(path, "experiments", index), line=None, field=field,
                              reason=reason,
                              fix="rebuild the release from valid splits") from None


def _undecoded(dataset: Any, path: Path) -> Any:
    import datasets

    missing = [name for name in _SYNTHETIC_COLUMNS if name not in dataset.column_names]
    if missing:
        raise RecordError(path=f"{path} config 'synthetic'", line=None, field=missing[0],
                          reason=f"missing column(s) {missing}; found {dataset.column_names}",
                          fix="rebuild the release with `dermforge build`")
    return dataset.cast_column("image", datasets.Image(decode=False))


def _synthetic_rows(dataset: Any, path: Path) -> Iterator[SyntheticRow]:
    columns = [c for c in dataset.column_names if c != "image"]
    decode = {name: _decoder(dataset, name) for name in columns}
    for index, raw in enumerate(dataset.select_columns(columns)):
        values = {name: decode[name](raw[name]) for name in columns}
        if values.get("seed_id") is None and values.get("operation") == TEXT_TO_IMAGE:
            continue  # no seed photograph: the paper's experiments add images per seed
        yield _synthetic_row(index, values, path)


def _synthetic_row(index: int, values: dict[str, Any], path: Path) -> SyntheticRow:
    where = _where(path, "synthetic", index)

    def text(name: str, default: str | None = None) -> str:
        value = values.get(name, default)
        if not isinstance(value, str) or not value:
            raise RecordError(path=where, line=None, field=name,
                              reason=f"expected a non-empty string, got {value!r}",
                              fix="rebuild the release; every synthetic row needs this field")
        return value

    group = text("fst_group")
    if group not in FST_GROUPS:
        raise RecordError(path=where, line=None, field="fst_group",
                          reason=f"{group!r} is not one of {sorted(FST_GROUPS)}",
                          fix="rebuild the release; fst_group is the seed's skin-type group")
    index_value = values.get("candidate_index", 0)
    return SyntheticRow(
        row=index, image_id=text("image_id"), image_sha256=text("image_sha256"),
        condition=text("condition"), fst_group=group,
        seed_id=text("seed_id"), backend=text("backend", "unknown"),
        model=text("model", "unknown"),
        candidate_index=index_value if isinstance(index_value, int) else 0)


def _image_bytes(value: Any, path: Path, row: int) -> bytes:
    if isinstance(value, dict):
        data = value.get("bytes")
        if isinstance(data, bytes) and data:
            return data
        name = value.get("path")
        if isinstance(name, str) and (path / name).is_file():
            return (path / name).read_bytes()
    raise RecordError(path=_where(path, "synthetic", row), line=None, field="image",
                      reason="the row holds no image bytes and no readable image path",
                      fix="rebuild the release; every synthetic row embeds its image")


def _check_sha(data: bytes, row: SyntheticRow, path: Path) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != row.image_sha256:
        raise IntegrityError(
            f"synthetic image {row.image_id!r} ({_where(path, 'synthetic', row.row)}) has "
            f"sha256 {actual}, but its image_sha256 field says {row.image_sha256}",
            fix="the release was modified or damaged: run `dermforge verify` and rebuild it")
