"""Populations: K models in one pass, and the commands built on them, against one model.

Part 1 (``--engine``): the adam_moons workload (moons 300 points, layers [2, 5, 2, 1], Adam,
mini-batches of 64) as a stack of K members with their own seeds, learning rates, mini-batch
orders, trained by one ``fit`` call, for K = 1, 8, 64, 256: microseconds per member-update,
against the course-style loop (bench_engine.py) timed in the same process, interleaved, best
of ``--repeats``.

Part 2 (``--commands``): whole ``dnn`` processes, one after another, in the same run:
one ``dnn train configs/adam_moons.yaml`` (the unit), ``dnn compare gd momentum adam`` (3 seeds,
10000 epochs) with --jobs 2 and --jobs 1, the same with --no-stack, and
``dnn tune configs/tune_moons.yaml --trials 40 --set training.epochs=10000``; each as a
multiple of the unit, with bytecode cached as a user's Python caches it (``user_env.py``).

    python bench/bench_population.py [--engine] [--commands] [--epochs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import BATCH, run_course  # noqa: E402  (the course-style loop, written out there)
from user_env import user_env  # noqa: E402  (whole processes run as a user's Python runs them)

from dnncli.build import build, build_dataset  # noqa: E402
from dnncli.config import load_config, validate  # noqa: E402
from dnncli.engine.training import fit  # noqa: E402
from dnncli.pipeline import build_stack, train_built  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KS = (1, 8, 64, 256)


def stack_seconds(K: int, epochs: int) -> float:
    """Seconds of one fit of K adam_moons members (seeds 3.., learning rates around 0.0007)."""
    base = load_config(ROOT / "configs/adam_moons.yaml", [f"training.epochs={epochs}"]).to_dict()
    configs = [validate({**base, "seed": 3 + k, "optimizer": {**base["optimizer"], "learning_rate": 0.0007 * (1 + k / K)}})
               for k in range(K)]
    if K == 1:
        built = build(configs[0])
        start = time.perf_counter()
        train_built(configs[0], built)
        return time.perf_counter() - start
    dataset = build_dataset(configs[0])
    network, theta, optimizer, schedule, seeding = build_stack(configs, dataset)
    start = time.perf_counter()
    fit(network, theta, dataset.X_train, dataset.Y_train, optimizer=optimizer, schedule=schedule, epochs=epochs,
        batch_size=BATCH, seeding=seeding)
    return time.perf_counter() - start


def engine(args) -> None:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=300, noise=0.2, random_state=3)
    X, Y = X.T.copy(), y.reshape(1, -1).astype(np.float64)
    updates = args.epochs * math.ceil(300 / BATCH)
    best = {name: math.inf for name in ["course style", *(f"K={K}" for K in KS)]}
    for _ in range(args.repeats):
        start = time.perf_counter()
        run_course(X, Y, args.epochs)
        best["course style"] = min(best["course style"], time.perf_counter() - start)
        for K in KS:
            best[f"K={K}"] = min(best[f"K={K}"], stack_seconds(K, args.epochs))
    course = best["course style"] / updates * 1e6
    print(f"adam_moons, {args.epochs} epochs ({updates} updates per member), best of {args.repeats} interleaved")
    print(f"{'':14s} {'us per member-update':>21s} {'course style / this':>20s}")
    print(f"{'course style':14s} {course:21.2f} {1.0:19.2f}x")
    for K in KS:
        us = best[f"K={K}"] / K / updates * 1e6
        print(f"{f'K = {K}':14s} {us:21.2f} {course / us:19.2f}x")


def wall(cmd: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds


def commands(args) -> None:
    dnn = [sys.executable, "-m", "dnncli.cli"]
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        env = user_env(cache)
        o = ["--out", out, "--quiet"]
        cases = {
            "dnn train configs/adam_moons.yaml": [*dnn, "train", "configs/adam_moons.yaml", *o],
            "dnn compare gd momentum adam": [*dnn, "compare", "gd", "momentum", "adam", *o],
            "  the same, --jobs 1": [*dnn, "compare", "gd", "momentum", "adam", "--jobs", "1", *o],
            "  the same, --no-stack": [*dnn, "compare", "gd", "momentum", "adam", "--no-stack", *o],
            "dnn tune tune_moons --trials 40 (10000 epochs)": [*dnn, "tune", "configs/tune_moons.yaml", "--trials", "40",
                                                              "--set", "training.epochs=10000", *o],
        }
        best = {name: math.inf for name in cases}
        for cmd in cases.values():  # warm-up: every module's bytecode compiled and cached
            wall(cmd, str(ROOT), env)
        for _ in range(args.repeats):
            for name, cmd in cases.items():
                best[name] = min(best[name], wall(cmd, str(ROOT), env))
    unit = best["dnn train configs/adam_moons.yaml"]
    print(f"whole processes, best of {args.repeats} ({os.cpu_count()} cores)")
    print(f"{'':48s} {'wall s':>7s} {'x one train':>12s}")
    for name, seconds in best.items():
        print(f"{name:48s} {seconds:7.2f} {seconds / unit:11.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="store_true")
    parser.add_argument("--commands", action="store_true")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not (args.engine or args.commands):
        args.engine = args.commands = True
    if args.engine:
        engine(args)
    if args.commands:
        commands(args)


if __name__ == "__main__":
    main()
