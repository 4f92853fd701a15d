"""Curation: reviewers' verdicts on candidates (an append-only log), status, CSV round trip,
a clearly labelled automatic policy for the demo, advisory quality signals per candidate,
and the blinded reader study."""

from ._auto import AUTO_NOTE, create_policy, first_k, list_policies
from ._csv import CSV_COLUMNS, CsvImport, export_csv, import_csv, parse_verdict_csv
from ._log import VerdictLog, latest_verdicts
from ._params import DEFAULT_KEEP_PER_SEED, CurateParams
from ._rules import VerdictProblem, accepted_per_seed, check_verdicts
from ._signals import hash_distance, ita_degrees, ita_group, perceptual_hash, sharpness
from ._signals_params import SignalsParams
from ._signals_stage import SignalsRun, TestSet, compute_signals, latest_signals, load_test_set
from ._status import SeedStatus, curation_status, status_totals
from ._study import AccuracyLine, StudyItem, reader_order, study_pool, study_report

__all__ = [
    "AUTO_NOTE",
    "CSV_COLUMNS",
    "DEFAULT_KEEP_PER_SEED",
    "AccuracyLine",
    "CsvImport",
    "CurateParams",
    "SeedStatus",
    "SignalsParams",
    "SignalsRun",
    "StudyItem",
    "TestSet",
    "VerdictLog",
    "VerdictProblem",
    "accepted_per_seed",
    "check_verdicts",
    "compute_signals",
    "create_policy",
    "curation_status",
    "export_csv",
    "first_k",
    "hash_distance",
    "import_csv",
    "ita_degrees",
    "ita_group",
    "latest_signals",
    "latest_verdicts",
    "list_policies",
    "load_test_set",
    "parse_verdict_csv",
    "perceptual_hash",
    "reader_order",
    "sharpness",
    "status_totals",
    "study_pool",
    "study_report",
]
