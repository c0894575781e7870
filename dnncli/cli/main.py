"""The `dnn` entry point. Heavy libraries are imported inside the commands, so --help is fast."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from dnncli import __version__
from dnncli.cli.compare import compare_command
from dnncli.cli.gradcheck import gradcheck_command
from dnncli.cli.listing import datasets_command, runs_command
from dnncli.cli.lr_find import lr_find_command
from dnncli.cli.predict import predict_command
from dnncli.cli.schema import schema_command
from dnncli.cli.show import show_command
from dnncli.cli.train import train_command
from dnncli.cli.tune import tune_command


class _Commands(TyperGroup):
    """The group of commands; a command's ``--help`` gets the registries' names (cli/help.py)."""

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and "--help" in rest:
            from dnncli.cli.help import fill

            fill(command, name)
        return name, command, rest


app = typer.Typer(
    cls=_Commands,
    name="dnn",
    help="Train, compare and tune small neural networks on a NumPy engine; every run leaves a directory of evidence.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
app.command("train")(train_command)
app.command("compare")(compare_command)
app.command("gradcheck")(gradcheck_command)
app.command("datasets")(datasets_command)
app.command("runs")(runs_command)
app.command("tune")(tune_command)
app.command("predict")(predict_command)
app.command("lr-find")(lr_find_command)
app.command("show")(show_command)
app.command("schema")(schema_command)


def _version(value: bool) -> None:
    if value:
        print(f"dnn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version.")) -> None:
    """dnn: experiments for improving deep neural networks."""


def main() -> None:
    app(prog_name="dnn")
