"""A one-screen summary of a source catalogue, as the dataset's README describes it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ._catalog import Catalog

__all__ = ["CatalogSummary", "summarize"]


@dataclass(frozen=True)
class CatalogSummary:
    origin: str
    sha256: str
    rows: int
    labels: int
    fitzpatrick: dict[str, int]
    unknown_fitzpatrick: int
    empty_urls: int
    three_partition: dict[str, int]
    qc_flagged: int
    min_images_per_label: int

    def lines(self) -> list[str]:
        fst = ", ".join(f"{k}: {v:,}" for k, v in self.fitzpatrick.items())
        parts = ", ".join(f"{k} {v:,}" for k, v in self.three_partition.items())
        return [
            f"source CSV      {self.origin}",
            f"sha256          {self.sha256} (verified)" if self.sha256 else "sha256          -",
            f"images (rows)   {self.rows:,}",
            f"labels          {self.labels} (at least {self.min_images_per_label} images each)",
            f"skin type       {fst}; unknown (-1): {self.unknown_fitzpatrick:,}",
            f"partitions      {parts}",
            f"empty URLs      {self.empty_urls:,}",
            f"QC annotated    {self.qc_flagged:,}",
        ]


def summarize(catalog: Catalog) -> CatalogSummary:
    fst = Counter(row.fitzpatrick for row in catalog)
    per_label = Counter(row.label for row in catalog)
    return CatalogSummary(
        origin=catalog.origin,
        sha256=catalog.sha256,
        rows=len(catalog),
        labels=len(per_label),
        fitzpatrick={f"{k}": fst[k] for k in range(1, 7)},
        unknown_fitzpatrick=fst[None],
        empty_urls=sum(row.url is None for row in catalog),
        three_partition=dict(sorted(Counter(r.three_partition_label for r in catalog).items())),
        qc_flagged=sum(row.qc is not None for row in catalog),
        min_images_per_label=min(per_label.values(), default=0),
    )
