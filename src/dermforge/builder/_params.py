"""The `build` section of params.yaml."""

from __future__ import annotations

from pydantic import Field

from .._params import Params

__all__ = ["BuildParams"]


class BuildParams(Params):
    version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+$",
                                description="release version when --version is not given")
    name: str = Field(default="fitz17k-dalle-aug", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    pretty_name: str = "Fitzpatrick 17k synthetic augmentation (Sagers et al. 2022 protocol)"
    homepage: str = "https://github.com/dermforge/dermforge"
    creator: str = "dermforge maintainers"
    shard_max_bytes: int = Field(default=256 * 2**20, ge=64 * 2**10,
                                 description="no parquet shard is larger than this")
    row_group_rows: int = Field(
        default=4000, ge=1,
        description="most rows per row group; row groups end where a row's id hashes to a "
        "cut, a quarter of this many rows on average (content-defined, see builder._shards)")
    row_group_max_bytes: int = Field(
        default=64 * 2**20, ge=1,
        description="most image bytes per row group (a quarter on average, ~10 rows of "
        "1024 px PNGs), so readers fetch little for one row and writer memory stays bounded")
