"""Curation: reviewers' verdicts on candidates (an append-only log), status, CSV round trip,
and a clearly labelled automatic policy for the demo."""

from ._log import VerdictLog, latest_verdicts
from ._params import DEFAULT_KEEP_PER_SEED, CurateParams
from ._rules import VerdictProblem, accepted_per_seed, check_verdicts

__all__ = [
    "DEFAULT_KEEP_PER_SEED",
    "CurateParams",
    "VerdictLog",
    "VerdictProblem",
    "accepted_per_seed",
    "check_verdicts",
    "latest_verdicts",
]
