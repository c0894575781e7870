"""The confusion matrices of a multi-class run (dnncli/plots/confusion.py): counts and normalized rows per split."""

import pytest

from dnncli.plots.confusion import confusion_figure


def test_the_confusion_figure_shows_counts_and_normalized_rows_per_split():
    counts = {"train": [[5, 1, 0], [2, 7, 1], [0, 0, 9]], "test": [[1, 0, 0], [0, 0, 0], [0, 1, 1]]}
    fig = confusion_figure(counts, ["a", "b", "c"], title="t")
    images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title().replace("\n", " ") for ax in images] == ["train: examples (25 in all)", "train: rows normalized (accuracy 0.8400)",
                                                 "test: examples (3 in all)", "test: rows normalized (accuracy 0.6667)"]
    assert images[1].images[0].get_array()[1].tolist() == pytest.approx([0.2, 0.7, 0.1])
    assert [t.get_text() for t in images[3].get_yticklabels()] == ["a (1.00)", "b (-)", "c (0.50)"]  # b: no test example
    assert [t.get_text() for t in images[0].texts][:3] == ["5", "1", "0"]
