"""Curation: people's verdicts on candidates (an append-only human log) and the demo policy's
(a separate automatic log), merged by one rule (``MERGE_RULE``); one validator of human
verdicts; status, CSV round trip, the migration of old mixed logs, advisory quality signals
per candidate, and the blinded reader study."""

from ._auto import AUTO_NOTE, PolicyRun, apply_policy, create_policy, first_k, list_policies
from ._csv import (
    AUTO_COLUMNS,
    CSV_COLUMNS,
    HUMAN_COLUMNS,
    CsvImport,
    export_csv,
    import_csv,
    neutralise_cell,
    parse_verdict_csv,
    restore_cell,
)
from ._human import (
    AUTO_PREFIX,
    CLOCK_SKEW,
    MAX_NOTE,
    MAX_REVIEWER,
    REASON_CODE_NAMES,
    REASON_CODES,
    FieldProblem,
    check_decided_at,
    check_note,
    check_qualification,
    check_reason_codes,
    check_reviewer,
    check_score,
    human_verdict_problems,
    is_automatic,
)
from ._log import (
    MERGE_RULE,
    VerdictLog,
    check_log_line,
    latest_verdicts,
    merge_latest,
    read_log,
    winning_verdict,
)
from ._migrate import Migration, migrate_verdicts
from ._params import DEFAULT_KEEP_PER_SEED, CurateParams
from ._rules import VerdictProblem, accepted_per_seed, check_human_verdicts, check_verdicts
from ._signals import hash_distance, ita_degrees, ita_group, perceptual_hash, sharpness
from ._signals_params import SignalsParams
from ._signals_stage import SignalsRun, TestSet, compute_signals, latest_signals, load_test_set
from ._status import SeedStatus, curation_status, status_totals
from ._study import AccuracyLine, StudyItem, reader_order, study_pool, study_report

__all__ = [
    "AUTO_COLUMNS",
    "AUTO_NOTE",
    "AUTO_PREFIX",
    "CLOCK_SKEW",
    "CSV_COLUMNS",
    "DEFAULT_KEEP_PER_SEED",
    "HUMAN_COLUMNS",
    "MAX_NOTE",
    "MAX_REVIEWER",
    "MERGE_RULE",
    "REASON_CODES",
    "REASON_CODE_NAMES",
    "AccuracyLine",
    "CsvImport",
    "CurateParams",
    "FieldProblem",
    "Migration",
    "PolicyRun",
    "SeedStatus",
    "SignalsParams",
    "SignalsRun",
    "StudyItem",
    "TestSet",
    "VerdictLog",
    "VerdictProblem",
    "accepted_per_seed",
    "apply_policy",
    "check_decided_at",
    "check_human_verdicts",
    "check_log_line",
    "check_note",
    "check_qualification",
    "check_reason_codes",
    "check_reviewer",
    "check_score",
    "check_verdicts",
    "compute_signals",
    "create_policy",
    "curation_status",
    "export_csv",
    "first_k",
    "hash_distance",
    "human_verdict_problems",
    "import_csv",
    "is_automatic",
    "ita_degrees",
    "ita_group",
    "latest_signals",
    "latest_verdicts",
    "list_policies",
    "load_test_set",
    "merge_latest",
    "migrate_verdicts",
    "neutralise_cell",
    "parse_verdict_csv",
    "perceptual_hash",
    "read_log",
    "reader_order",
    "restore_cell",
    "sharpness",
    "status_totals",
    "study_pool",
    "study_report",
    "winning_verdict",
]
