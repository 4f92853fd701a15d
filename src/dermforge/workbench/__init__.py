"""The curation workbench: a local web app where reviewers accept or reject candidates (and
the blinded reader study), over a workspace's records. Needs the ``ui`` extra (FastAPI,
uvicorn)."""

from ..curation import REASON_CODES
from ._app import WorkbenchConfig, create_app, image_type
from ._records import Records
from ._security import MAX_BODY_BYTES, is_loopback, new_token
from ._serve import Opened, bind, needs_token, open_workspace, run, url_of
from ._views import overview, seed_view

__all__ = [
    "MAX_BODY_BYTES",
    "REASON_CODES",
    "Opened",
    "Records",
    "WorkbenchConfig",
    "bind",
    "create_app",
    "image_type",
    "is_loopback",
    "needs_token",
    "new_token",
    "open_workspace",
    "overview",
    "run",
    "seed_view",
    "url_of",
]
