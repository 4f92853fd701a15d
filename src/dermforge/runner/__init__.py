"""Resumable, budgeted, rate-limited generation jobs over a workspace's seeds."""

from ._budget import Budget, per_image_prices
from ._job import agenerate, generate
from ._journal import GENERATE_LAYER, candidates_for, commit, journal_dir, recover, write_journal
from ._loop import RunOptions, RunReport, run_requests
from ._params import GenerateParams, backend_options
from ._plan import Shard, WorkStatus, parse_shard, plan_requests, seed_inputs, work_status

__all__ = [
    "GENERATE_LAYER",
    "Budget",
    "GenerateParams",
    "RunOptions",
    "RunReport",
    "Shard",
    "WorkStatus",
    "agenerate",
    "backend_options",
    "candidates_for",
    "commit",
    "generate",
    "journal_dir",
    "parse_shard",
    "per_image_prices",
    "plan_requests",
    "recover",
    "run_requests",
    "seed_inputs",
    "work_status",
    "write_journal",
]
