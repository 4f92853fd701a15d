"""The `build` section of params.yaml."""

from __future__ import annotations

from pydantic import Field

from .._params import Params

__all__ = ["BuildParams"]


class BuildParams(Params):
    version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+$",
                                description="release version when --release-version is not given")
    name: str = Field(default="fitz17k-dalle-aug", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    pretty_name: str = "Fitzpatrick 17k synthetic augmentation (Sagers et al. 2022 protocol)"
    homepage: str = "https://github.com/dermforge/dermforge"
    creator: str = "dermforge maintainers"
    shard_max_bytes: int = Field(default=256 * 2**20, ge=64 * 2**10,
                                 description="no parquet shard is larger than this")
    row_group_rows: int = Field(default=1000, ge=1, description="most rows per row group")
    row_group_max_bytes: int = Field(
        default=16 * 2**20, ge=1,
        description="row groups are cut at this many image bytes (~10 rows of 1024 px PNGs), "
        "so readers fetch little for one row and writer memory stays bounded")
