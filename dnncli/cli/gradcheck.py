"""`dnn gradcheck`: is back-propagation right? One row per tensor, one verdict line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import out_console, user_errors


def gradcheck_command(
    model: str | None = typer.Option(None, "--model", help="A named test network."),
    config: Path | None = typer.Option(None, "--config", help="Check the network a training config describes, on a few of its examples."),
    set_: list[str] = typer.Option([], "--set", help="Override a key of --config (repeatable)."),
    examples: int = typer.Option(8, "--examples", help="Training examples used with --config."),
    epsilon: float = typer.Option(1e-7, "--epsilon", help="Central-difference step."),
    threshold: float = typer.Option(2e-7, "--threshold", help="Pass below this relative difference (the course: 2e-7)."),
    mode: str = typer.Option("auto", "--mode", help="full (every parameter), directional (random directions), or auto."),
    directions: int = typer.Option(10, "--directions", help="Random unit directions in directional mode."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Check back-propagation against central differences; exit 0 on pass, 1 on fail."""
    from dnncli.experiments.gradcheck import gradcheck

    with user_errors():
        report = gradcheck(model, config=config, overrides=set_, examples=examples, epsilon=epsilon,
                           threshold=threshold, mode=mode, directions=directions)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        render(report)
    raise typer.Exit(0 if report.passed else 1)


def render(report) -> None:
    from rich.table import Table

    console = out_console()
    console.print(f"gradient check: {report.description}", markup=False)
    console.print(f"mode: {report.mode} ({report.mode_reason}); epsilon {report.epsilon:g}; cost {report.cost:.15g}",
                  markup=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    if report.tensors:
        table = Table()
        for column in ("tensor", "difference", "share of overall", "worst entry", "|error| there", "kinks", "verdict"):
            table.add_column(column, justify="left" if column in ("tensor", "worst entry", "verdict") else "right")
        for t in report.tensors:
            if t.checked == 0:
                table.add_row(t.name, "-", "-", "-", "-", str(t.kinks), "[yellow]all at kinks[/yellow]")
                continue
            verdict = "[green]pass[/green]" if t.passed else "[bold red]FAIL[/bold red]"
            table.add_row(t.name, f"{t.difference:.3e}", f"{t.share:.3e}", str(list(t.worst_index)), f"{t.worst_error:.3e}",
                          str(t.kinks), verdict)
        console.print(table)
    else:
        console.print("directions: " + ", ".join(f"{d:.2e}" for d in report.directions), markup=False)
    word = "PASS" if report.passed else "FAIL"
    failing = [t.name for t in report.tensors if not t.passed]
    blame = f"; wrong: {', '.join(failing)}" if failing else ""
    console.print(f"{word}: difference {report.difference:.4e} {'<' if report.passed else '>='} threshold "
                  f"{report.threshold:g} ({report.n_parameters} parameters){blame}", markup=False)
