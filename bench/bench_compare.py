"""How much `dnn compare --jobs N` buys over `--jobs 1` on the same work, in one process.

    python bench/bench_compare.py [--epochs 10000] [--seeds 2] [--jobs 2]

Workload: `dnn compare gd momentum adam` on the course moons setup with ``--seeds`` seeds per
arm (6 runs by default), no plots. ``--jobs 1`` runs them in this process one after
another; ``--jobs N`` through the local process pool (the executor is warmed up first, as it
is reused across calls). Prints the wall time of each and the speed-up; both must produce
the same summary numbers.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from dnncli import execution
from dnncli.experiments.compare import compare


def timed(jobs: int, args, out: str):
    start = time.perf_counter()
    result = compare(["gd", "momentum", "adam"], overrides=[f"training.epochs={args.epochs}"], seeds=args.seeds,
                     jobs=jobs, out=out, plots=False)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10000)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=execution.default_jobs())
    args = parser.parse_args()
    execution.executor(args.jobs).submit(int, 0).result()  # start the workers once
    with tempfile.TemporaryDirectory() as out:
        serial, one = timed(1, args, out)
        parallel, many = timed(args.jobs, args, out)
    same = all(one.summary["arms"][a]["train_accuracy"] == many.summary["arms"][a]["train_accuracy"]
               for a in one.summary["arms"])
    runs = 3 * args.seeds
    print(f"compare gd momentum adam: {runs} runs of {args.epochs} epochs")
    print(f"  --jobs 1      {serial:6.2f} s")
    print(f"  --jobs {args.jobs:<6} {parallel:6.2f} s")
    print(f"  speed-up {serial / parallel:.2f}x; same numbers: {same}")


if __name__ == "__main__":
    main()
