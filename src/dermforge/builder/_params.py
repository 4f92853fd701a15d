"""The `build` section of params.yaml."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .._params import Params
from ..cards import REPO_ID_PATTERN

__all__ = ["BuildParams"]


class BuildParams(Params):
    version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+$",
                                description="release version when --release-version is not given")
    name: str = Field(default="fitz17k-dalle-aug", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    pretty_name: str = "Fitzpatrick 17k synthetic augmentation (Sagers et al. 2022 protocol)"
    homepage: str = "https://github.com/dermforge/dermforge"
    creator: str = "dermforge maintainers"
    # --- what the card tells users: where to load it, whom to write, how to ask for removal
    repo_id: str = Field(default="dermforge/fitz17k-dalle-aug",
                         description="Hub dataset repository ORG/NAME the card's load snippets "
                         "name; `publish --repo` must equal it")
    contact: str = Field(default="https://github.com/dermforge/dermforge/issues",
                         description="where questions about the dataset go (email or https URL)")
    takedown: str = Field(default="privacy@dermforge.org",
                          description="where a removal request goes, privately (email or "
                          "https URL)")
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

    @field_validator("repo_id")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        if not re.fullmatch(REPO_ID_PATTERN, value):
            raise ValueError(f"{value!r} is not a Hub repository id ORG/NAME (letters, digits, "
                             "'-', '_', '.'), e.g. dermforge/fitz17k-dalle-aug")
        return value

    @field_validator("contact", "takedown")
    @classmethod
    def _address(cls, value: str) -> str:
        if not (re.fullmatch(_EMAIL, value) or re.fullmatch(_HTTPS, value)):
            raise ValueError(f"{value!r} is neither an email address (name@host.org) nor an "
                             "https:// URL; the card prints it as the address to write to")
        return value


_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_HTTPS = r"https://[A-Za-z0-9.-]+(:\d+)?(/[^\s<>()\[\]`\"]*)?"
