"""Curation: reviewers' verdicts on candidates (an append-only log), status, CSV round trip,
and a clearly labelled automatic policy for the demo."""

from ._auto import AUTO_NOTE, create_policy, first_k, list_policies
from ._csv import CSV_COLUMNS, CsvImport, export_csv, import_csv, parse_verdict_csv
from ._log import VerdictLog, latest_verdicts
from ._params import DEFAULT_KEEP_PER_SEED, CurateParams
from ._rules import VerdictProblem, accepted_per_seed, check_verdicts
from ._status import SeedStatus, curation_status, status_totals

__all__ = [
    "AUTO_NOTE",
    "CSV_COLUMNS",
    "DEFAULT_KEEP_PER_SEED",
    "CsvImport",
    "CurateParams",
    "SeedStatus",
    "VerdictLog",
    "VerdictProblem",
    "accepted_per_seed",
    "check_verdicts",
    "create_policy",
    "curation_status",
    "export_csv",
    "first_k",
    "import_csv",
    "latest_verdicts",
    "list_policies",
    "parse_verdict_csv",
    "status_totals",
]
