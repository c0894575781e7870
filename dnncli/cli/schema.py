"""`dnn schema`: the config's JSON Schema, so an editor completes and checks a config as it is typed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import user_errors


def schema_command(
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the schema to this file instead of stdout."),
) -> None:
    """Print the config's JSON Schema: every data set, initializer, optimizer and schedule, with keys, limits and defaults."""
    from dnncli.files import write_text
    from dnncli.schema import config_schema

    text = json.dumps(config_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    with user_errors():
        write_text(out, text)  # a failed write is one line (exit 1)
    print(f"schema written to {out}", file=sys.stderr)
