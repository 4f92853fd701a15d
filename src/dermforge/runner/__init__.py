"""Resumable, budgeted, rate-limited generation jobs over a workspace's seeds."""

from ._budget import Budget, per_image_prices
from ._executors import EXECUTOR_SUMMARIES, create_executor, list_executors
from ._job import agenerate, generate
from ._journal import GENERATE_LAYER, candidates_for, commit, journal_dir, recover, write_journal
from ._loop import RunOptions, RunReport, run_requests
from ._params import GenerateParams, backend_options
from ._plan import Shard, WorkStatus, parse_shard, plan_requests, seed_inputs, work_status

__all__ = [
    "EXECUTOR_SUMMARIES",
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
    "create_executor",
    "generate",
    "journal_dir",
    "list_executors",
    "parse_shard",
    "per_image_prices",
    "plan_requests",
    "recover",
    "run_requests",
    "seed_inputs",
    "work_status",
    "write_journal",
]
