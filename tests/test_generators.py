"""The NumPy 2-D generators give scikit-learn's arrays exactly (so `seeding: course` still reproduces the course)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets as sk

from dnncli import generators as g

CASES = [(n, seed) for n in (1, 2, 7, 100, 301) for seed in (0, 1, 3, 17)]


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))


@pytest.mark.parametrize("n, seed", CASES)
def test_moons_and_circles_equal_scikit_learn(n, seed):
    for noise in (None, 0.2):
        assert same(g.make_moons(n, noise=noise, random_state=seed), sk.make_moons(n, noise=noise, random_state=seed))
        assert same(g.make_circles(n, noise=noise, factor=0.5, random_state=seed),
                    sk.make_circles(n, noise=noise, factor=0.5, random_state=seed))


@pytest.mark.parametrize("n, seed", CASES)
def test_blobs_equal_scikit_learn(n, seed):
    ours = g.make_blobs(n, centers=4, cluster_std=1.5, random_state=seed, return_centers=True)
    assert same(ours, sk.make_blobs(n, centers=4, cluster_std=1.5, random_state=seed, return_centers=True))
    assert same(g.make_blobs(n, centers=ours[2], random_state=seed + 1), sk.make_blobs(n, centers=ours[2], random_state=seed + 1))


def test_drawing_moons_imports_no_scikit_learn():
    code = ("import sys\nfrom dnncli.config import validate\nfrom dnncli.build import build_dataset\n"
            "build_dataset(validate({'data': {'name': 'moons'}}))\nprint('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
