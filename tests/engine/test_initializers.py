"""Weight initializers (dnncli/engine/initializers.py): scales, draws equal to the course's global seed, file.
"""

import math

import numpy as np
import pytest

from dnncli.engine.initializers import INITIALIZERS, FromArrays
from dnncli.engine.layout import Layout
from dnncli.errors import DataError

SIZES = [300, 200, 100]


def expected_scale(name, n_prev, n):
    return {
        "zeros": 0.0,
        "random": 10.0,
        "he": math.sqrt(2.0 / n_prev),
        "xavier": math.sqrt(1.0 / n_prev),
        "glorot": math.sqrt(2.0 / (n_prev + n)),
    }[name]


DRAWING = ["random", "he", "xavier", "glorot"]


def test_every_initializer_has_a_scale():
    assert set(INITIALIZERS.names()) == set(DRAWING) | {"zeros", "file"}


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_scale(name):
    layout = Layout(SIZES)
    theta = INITIALIZERS.get(name)()(layout, np.random.default_rng(0))
    views = layout.views(theta)
    for l in range(1, len(SIZES)):
        W, b = views[f"W{l}"], views[f"b{l}"]
        scale = expected_scale(name, SIZES[l - 1], SIZES[l])
        assert W.std() == pytest.approx(scale, rel=0.03)  # 20000+ draws: std within ~0.5 %
        assert abs(W.mean()) < 0.05 * scale
        assert np.all(b == 0)


def test_zeros_initializer_is_all_zero_and_draws_nothing():
    layout = Layout([4, 3, 2])
    rng = np.random.RandomState(7)
    theta = INITIALIZERS.get("zeros")()(layout, rng)
    assert theta.shape == (layout.size,) and np.all(theta == 0)
    assert rng.randn() == np.random.RandomState(7).randn()


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_same_seed_same_draws(name):
    layout = Layout([5, 4, 3, 1])
    init = INITIALIZERS.get(name)()
    for make in (np.random.RandomState, np.random.default_rng):
        np.testing.assert_array_equal(init(layout, make(11)), init(layout, make(11)))
    assert not np.array_equal(init(layout, np.random.default_rng(11)), init(layout, np.random.default_rng(12)))


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_reproduces_the_course_global_seed(name):
    """RandomState(3) == np.random.seed(3); W_l = np.random.randn(n_l, n_prev) * scale; b_l = 0, no draws."""
    sizes = [2, 10, 5, 1]
    layout = Layout(sizes)
    theta = INITIALIZERS.get(name)()(layout, np.random.RandomState(3))
    views = layout.views(theta)
    saved = np.random.get_state()
    try:
        np.random.seed(3)
        for l in range(1, len(sizes)):
            W = np.random.randn(sizes[l], sizes[l - 1]) * expected_scale(name, sizes[l - 1], sizes[l])
            np.testing.assert_array_equal(views[f"W{l}"], W)
            np.testing.assert_array_equal(views[f"b{l}"], np.zeros((sizes[l], 1)))
    finally:
        np.random.set_state(saved)


def test_random_initializer_scale_parameter():
    layout = Layout([400, 300])
    theta = INITIALIZERS.get("random")(scale=0.5)(layout, np.random.default_rng(1))
    assert layout.views(theta)["W1"].std() == pytest.approx(0.5, rel=0.02)


def test_file_initializer_round_trip(tmp_path):
    layout = Layout([3, 2, 1])
    rng = np.random.RandomState(0)
    arrays = {"W1": rng.randn(2, 3), "b1": rng.randn(2, 1), "W2": rng.randn(1, 2), "b2": rng.randn(1, 1)}
    path = tmp_path / "params.npz"
    np.savez(path, **arrays)
    initializer = INITIALIZERS.get("file")(path=str(path))
    with pytest.raises(RuntimeError, match="no arrays"):  # the engine reads no file ...
        initializer(layout, None)
    theta = from_file(initializer, layout)  # ... the build step does
    for name, array in layout.views(theta).items():
        np.testing.assert_array_equal(array, arrays[name])
    np.testing.assert_array_equal(FromArrays(arrays)(layout, None), theta)


def from_file(initializer, layout):
    from dnncli.build import _from_file

    return _from_file(initializer, layout)


def test_file_initializer_errors(tmp_path):
    layout = Layout([3, 2, 1])
    missing = tmp_path / "missing.npz"
    with pytest.raises(DataError):
        from_file(INITIALIZERS.get("file")(path=str(missing)), layout)
    partial = tmp_path / "partial.npz"
    np.savez(partial, W1=np.zeros((2, 3)))
    with pytest.raises(DataError, match="b1"):
        from_file(INITIALIZERS.get("file")(path=str(partial)), layout)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 3)), b1=np.zeros((2, 1)), W2=np.zeros((1, 2)), b2=np.zeros((1, 1)))
    with pytest.raises(DataError, match="W1"):
        from_file(INITIALIZERS.get("file")(path=str(wrong)), layout)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(DataError):
        from_file(INITIALIZERS.get("file")(path=str(garbage)), layout)
