"""Records of the real labelled source: one row of the source catalogue, and failed downloads."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt

from ._base import Fitzpatrick, Md5, NonEmptyStr, Record, Sha256, SourceId

__all__ = ["DownloadFailure", "SourceImage"]


class SourceImage(Record):
    """One labelled real image of the source dataset (for Fitzpatrick 17k: one CSV row).

    ``sha256``, ``width``, ``height``, ``byte_size`` and ``orientation`` are set once the image
    bytes are in the store. ``width`` and ``height`` are those of the upright image (after its
    EXIF orientation), the frame every crop box is given in.
    """

    dataset: NonEmptyStr = Field(description="source dataset name, e.g. 'fitzpatrick17k'")
    source_id: SourceId = Field(description="the source's own id (Fitzpatrick 17k: md5hash)")
    md5: Md5 = Field(description="md5 of the image file as the authors distribute it")
    label: NonEmptyStr = Field(description="diagnosis label (the skin condition)")
    fitzpatrick: Fitzpatrick | None = Field(description="Fitzpatrick skin type 1-6; None = unknown")
    fitzpatrick_centaur: Fitzpatrick | None = Field(
        description="independent Centaur Labs skin type annotation; None = unknown"
    )
    nine_partition_label: str
    three_partition_label: str
    qc: str | None = Field(description="quality-control note of the source, if any")
    url: str | None = Field(description="where the image was published; None if not given")
    license: NonEmptyStr
    csv_line: PositiveInt = Field(description="line of the source CSV (header = line 1)")
    sha256: Sha256 | None = Field(default=None, description="sha256 of the stored image bytes")
    width: PositiveInt | None = None
    height: PositiveInt | None = None
    byte_size: NonNegativeInt | None = None
    orientation: int | None = Field(
        default=None, ge=1, le=8,
        description="EXIF orientation of the stored bytes (1: stored upright; 2-8: turned or "
        "flipped upright before width/height were measured and before every crop); None: "
        "recorded before dermforge read the orientation (such images were cropped as stored)")


class DownloadFailure(Record):
    """A source image that could not be downloaded, with the reason."""

    source_id: SourceId
    url: str | None
    kind: Literal["no_url", "http_status", "md5_mismatch", "connection", "timeout", "not_image"]
    message: str
    status_code: int | None = None
    attempts: PositiveInt
    at: AwareDatetime
