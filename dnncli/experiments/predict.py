"""`dnn predict RUN_DIR DATA`: a trained run's predictions on new examples.

The run directory gives the model: ``config.yaml`` (the architecture), ``params.npz`` (the
parameters, and batch norm's running statistics) and ``data.json`` (the features, the label
column, the class names and the standardization the training data got). DATA is prepared the
same way: a CSV's feature columns are picked by name (so their order may differ, and other
columns are ignored), an h5 file's examples are flattened and uint8 scaled by 1/255, and the
saved training mean and std are applied. When DATA has labels, the accuracy and cost are
those of :meth:`~dnncli.pipeline.TrainedModel.evaluate`, the definition behind metrics.json:
on the run's own test data they are the run's test accuracy and test cost, to the bit.

Run directories written before data.json existed still work when they trained without
``standardize`` (their classes are then named 0, 1, ...); with it they are refused.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnncli.errors import DataError, DnnError, short_text

CSV_SUFFIXES, H5_SUFFIXES = (".csv",), (".h5", ".hdf5")


@dataclass(frozen=True, eq=False)  # eq=False: arrays make field-wise == ambiguous
class Prediction:
    """A model's predictions on DATA: one row of ``probabilities`` per example, in DATA's order."""

    run_dir: Path
    data: Path
    classes: tuple[str, ...]
    probabilities: np.ndarray  # (m, C): P(class c) per example; each row sums to 1
    predicted: np.ndarray  # (m,) the predicted class index (the model's decision, as in its accuracy)
    labels: np.ndarray | None = None  # (m,) class index of DATA's labels, when it has them
    accuracy: float | None = None  # when DATA has labels
    cost: float | None = None  # mean cross-entropy, no L2 term (metrics.json's test_cost); None if not finite
    source: str = ""  # what was read: "column 'color'" / "test_set_x, test_set_y" ...

    @property
    def n_examples(self) -> int:
        return len(self.predicted)

    @property
    def predicted_classes(self) -> list[str]:
        return [self.classes[k] for k in self.predicted]

    def to_csv(self) -> str:
        """predictions.csv: ``predicted`` (a class name), ``label`` (when known), then ``p_<class>``
        per class; probabilities in full precision (``repr``)."""
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        known = self.labels is not None
        writer.writerow(["predicted", *(["label"] if known else []), *(f"p_{c}" for c in self.classes)])
        for i, k in enumerate(self.predicted):
            label = [self.classes[self.labels[i]]] if known else []
            writer.writerow([self.classes[k], *label, *(repr(float(p)) for p in self.probabilities[i])])
        return buffer.getvalue()


def predict(run_dir: str | os.PathLike, data: str | os.PathLike) -> Prediction:
    """Predict the examples of ``data`` (a CSV, or an h5 file in the course layout) with the model
    of ``run_dir``. Bad input (not a run directory, a missing column, ...) raises a DnnError line."""
    from dnncli.data import as_columns, encode_labels

    run_dir, data = Path(run_dir), Path(data)
    model = load_model(run_dir)
    inputs = model.inputs
    x, labels, source = _read(data, inputs)
    X = as_columns(x)
    if X.shape[0] != inputs.n_features:
        raise DataError(f"{data}: {X.shape[0]} features per example; the model of {run_dir} takes {inputs.n_features}")
    X = inputs.prepare(X)
    A = model.probabilities(X)
    predicted = model.network.output.predict(A)
    probabilities = np.concatenate([1.0 - A, A]).T if A.shape[0] == 1 else A.T
    accuracy = cost = None
    if labels is not None:
        cost, accuracy = model.evaluate(X, encode_labels(labels, inputs.n_classes))
    return Prediction(run_dir, data, inputs.classes, np.ascontiguousarray(probabilities), predicted.astype(np.int64),
                      labels, accuracy, cost, source)


def write_predictions(path: str | os.PathLike, prediction: Prediction) -> None:
    from dnncli.files import write_text

    write_text(path, prediction.to_csv())


def load_model(run_dir: Path):
    """The :class:`~dnncli.pipeline.TrainedModel` saved in ``run_dir`` (its ``inputs`` always set)."""
    from dnncli.build import build_network
    from dnncli.config import read_yaml, validate
    from dnncli.pipeline import TrainedModel
    from dnncli.runs import read_metrics, read_npz

    if not run_dir.is_dir():
        raise DnnError(f"{run_dir}: no such run directory")
    if not (run_dir / "config.yaml").is_file():
        raise DnnError(f"{run_dir}: not a run directory (no config.yaml)")
    if not (run_dir / "params.npz").is_file():
        status = (read_metrics(run_dir) or {}).get("status", "unknown")
        raise DnnError(f"{run_dir}: no params.npz (status {short_text(str(status), 20)}): the run left no trained model")
    try:
        config = validate(read_yaml(run_dir / "config.yaml"))
    except DnnError as exc:
        raise DnnError(f"{run_dir / 'config.yaml'}: {exc}") from None
    arrays = read_npz(run_dir / "params.npz", "params.npz")
    inputs = _inputs(run_dir, config, arrays)
    network = build_network(config, inputs)
    try:
        theta = network.layout.from_arrays(arrays)
        state = {name: arrays[name] for name in network.state()}
    except (KeyError, ValueError) as exc:
        why = f"no array {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
        raise DataError(f"{run_dir / 'params.npz'} does not fit the network of its config.yaml: {why}") from None
    return TrainedModel(network, theta, state, inputs)


def _inputs(run_dir: Path, config, arrays: dict):
    """data.json, or for a run directory from before it, what params.npz and config.yaml tell."""
    from dnncli.data import Inputs

    path = run_dir / "data.json"
    if path.is_file():
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise DataError(f"{path}: not readable JSON ({short_text(str(exc), 80)})") from None
        return Inputs.from_json(obj, str(path))
    if config.data.standardize:
        raise DnnError(f"{run_dir}: no data.json, so the standardization its training data got is unknown "
                       f"(the run predates dnn predict); train it again to predict with it")
    W1, W_out = arrays.get("W1"), arrays.get(f"W{len(config.model.hidden) + 1}")
    if W1 is None or W_out is None or W1.ndim != 2 or W_out.ndim != 2:
        raise DataError(f"{run_dir / 'params.npz'} does not fit the network of its config.yaml (no W1 or output layer)")
    n_out = W_out.shape[0]
    return Inputs(W1.shape[1], tuple(str(k) for k in range(2 if n_out == 1 else n_out)))


def _read(data: Path, inputs) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(examples on the first axis, class indices or None, what was read) of DATA."""
    suffix = data.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(data, inputs)
    if suffix in H5_SUFFIXES:
        from dnncli.data_files import class_names, h5_examples

        x, y, split = h5_examples(str(data), "DATA")
        if y is None:
            return x, None, f"{split}_set_x"
        class_names({f"{data}: '{split}_set_y'": y}, str(data), inputs.classes)  # indices of the model's classes
        return x, y.astype(np.int64), f"{split}_set_x, {split}_set_y"
    raise DnnError(f"DATA: {short_text(str(data), 120)!r} is not allowed (a .csv table or an .h5 file in the course layout)")


def _read_csv(data: Path, inputs) -> tuple[np.ndarray, np.ndarray | None, str]:
    """A CSV's examples: the model's feature columns by name (a CSV-trained model), else every
    column in order, the last one the label when there is one column more than features."""
    from dnncli import tables

    table = tables.read_table(str(data), "DATA")
    if inputs.features is not None:
        for name in inputs.features:
            if name not in table.columns:
                raise DataError(f"{data}: no column {name!r}; the model takes the columns "
                                f"{short_text(', '.join(inputs.features), 120)}")
        label = inputs.label if inputs.label in table.columns else None
        features = list(inputs.features)
    else:
        n = inputs.n_features
        if len(table.columns) not in (n, n + 1):
            raise DataError(f"{data}: {len(table.columns)} columns; the model takes {n} features "
                            f"(then {n} columns, or {n + 1} with the label last)")
        features, label = list(table.columns[:n]), (table.columns[n] if len(table.columns) > n else None)
    x = table.numbers(features)
    if label is None:
        return x, None, f"columns {short_text(', '.join(features), 80)}"
    return x, tables.label_indices(table, label, inputs.classes), f"labels in column {label!r}"
