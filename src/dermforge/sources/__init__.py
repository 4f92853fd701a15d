"""Real labelled sources; today the Fitzpatrick 17k dataset (bundled CSV + importers)."""

from ._catalog import (
    BUNDLED_CSV_SHA256,
    COLUMNS,
    DATASET,
    LICENSE,
    Catalog,
    bundled_csv_path,
    load_catalog,
    parse_catalog,
)
from ._demo import demo_images_dir, license_path
from ._download import (
    DownloadOptions,
    DownloadReport,
    adownload_images,
    download_images,
    select_rows,
)
from ._import import (
    SOURCES_LAYER,
    ImageBytesError,
    ImportReport,
    check_source_image,
    import_folder,
    store_source_image,
)
from ._summary import CatalogSummary, summarize
from ._tables import ROMAN, CountTable, coverage_table, table1

__all__ = [
    "BUNDLED_CSV_SHA256",
    "COLUMNS",
    "DATASET",
    "LICENSE",
    "ROMAN",
    "SOURCES_LAYER",
    "Catalog",
    "CatalogSummary",
    "CountTable",
    "DownloadOptions",
    "DownloadReport",
    "ImageBytesError",
    "ImportReport",
    "adownload_images",
    "bundled_csv_path",
    "check_source_image",
    "coverage_table",
    "demo_images_dir",
    "download_images",
    "import_folder",
    "license_path",
    "load_catalog",
    "parse_catalog",
    "select_rows",
    "store_source_image",
    "summarize",
    "table1",
]
