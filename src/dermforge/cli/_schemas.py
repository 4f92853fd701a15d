"""`dermforge schemas …`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOption, out, print_json

app = typer.Typer(help="JSON Schemas of the provenance records.", no_args_is_help=True)


@app.command("export")
def export(directory: Annotated[Path, typer.Argument(help="folder to write into")],
           as_json: JsonOption = False) -> None:
    """Write one <Model>.schema.json per record type."""
    from ..schemas import export_json_schemas

    paths = export_json_schemas(directory)
    if as_json:
        print_json({"written": paths})
        return
    for path in paths:
        out.print(str(path))
