"""`dnn datasets` and `dnn runs` (dnncli/cli/listing.py)."""

from tests.invoke import dnn


def test_datasets_lists_shapes():
    """One row per registered data set: features, classes, train and test examples ("-" for a file's)."""
    from dnncli.data import dataset_summaries

    proc = dnn("datasets")
    assert proc.exit_code == 0, proc.output
    cells = {row[0]: row[1:5] for row in ([c.strip() for c in line.split("│")[1:-1]] for line in proc.stdout.splitlines())
             if row and row[0]}
    summaries = dataset_summaries()
    assert {"moons", "circles", "flower", "digits", "breast_cancer", "h5"} <= {s["name"] for s in summaries}
    for s in summaries:
        shown = ["-" if s[k] is None else str(s[k]) for k in ("n_features", "n_classes", "n_train", "n_test")]
        assert cells[s["name"]] == shown, s["name"]
    assert cells["moons"] == ["2", "2", "300", "100"]  # the course's moons: 300 train and 100 test points in 2-D
