"""`dnn predict RUN_DIR DATA`: a trained run's predicted classes and probabilities for new examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import fmt, user_errors


def predict_command(
    run_dir: Path = typer.Argument(..., help="A run directory of dnn train (config.yaml, params.npz, data.json)."),
    data: Path = typer.Argument(..., help="The examples: a .csv with the run's feature columns (the label column "
                                           "optional), or an .h5 file in the course layout."),
    out: Path = typer.Option(Path("predictions.csv"), "--out", help="Where to write one row per example: "
                                                                     "the predicted class and each class's probability."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts, accuracy and cost as JSON on stdout."),
) -> None:
    """Predict the class of every example of DATA with a trained run; with labels, print accuracy and cost."""
    from dnncli.experiments.predict import predict, write_predictions

    with user_errors():
        result = predict(run_dir, data)
        write_predictions(out, result)
    summary = {"run_dir": str(run_dir), "data": str(data), "out": str(out), "n_examples": result.n_examples,
               "source": result.source, "classes": list(result.classes), "accuracy": result.accuracy,
               "cost": result.cost}
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    print(f"{result.n_examples} examples of {data} ({result.source}) -> {out}")
    if result.accuracy is not None:
        print(f"accuracy {fmt(result.accuracy)}, cost {fmt(result.cost)}")
