"""`dermforge schemas …`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..schemas import export_json_schemas
from ._common import out

app = typer.Typer(help="JSON Schemas of the provenance records.", no_args_is_help=True)


@app.command("export")
def export(directory: Annotated[Path, typer.Argument(help="folder to write into")]) -> None:
    """Write one <Model>.schema.json per record type."""
    for path in export_json_schemas(directory):
        out.print(str(path))
