"""What a `dnn train` costs besides training: the whole process minus its training seconds.

    python bench/bench_startup.py [--repeats 5] [--config configs/adam_moons.yaml]

Measures, interleaved in one run (the machine's load changes from minute to minute):

- ``dnn train CONFIG --quiet`` as a whole process (wall clock), minus the ``seconds`` its
  metrics.json reports for training: the startup, data, writing and plotting overhead;
- ``python -c "import matplotlib.pyplot"``, the yardstick (issue 15 asks for at most 2.5x it);

and prints the ratio of their medians and of their best runs (on a shared machine the best
runs are the least disturbed).

Both run as a user's Python runs them, with compiled bytecode cached (``user_env.py``), after
one warm-up run each. Then, in fresh processes, where the overhead goes:
imports (the CLI, the library, matplotlib), the run without plots (data, build, files),
each plot alone (its figure built and saved as a PNG), and, in another fresh process, the four as
`dnn train` draws them: by two children forked before training, which import matplotlib while
the model trains (:class:`dnncli.local_pool.Forks`).

The children's imports compete with training for the CPU, so part of what they save shows as
training seconds: compare whole ``dnn train`` processes too (an A/B from a neutral directory). Run from the repository root.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PHASES = r'''
import json, sys, time
t = time.perf_counter
marks = {}
start = t()
import dnncli.cli.main  # noqa: F401
marks["import dnncli.cli (typer, rich)"] = t() - start
s = t()
from dnncli.config import load_config
from dnncli.experiments.train import train
marks["import the library (pydantic, numpy, ...)"] = t() - s
s = t()
cfg = load_config(sys.argv[1])
from dnncli.experiments.writing import plot_forks
forks = plot_forks(sys.argv[3] == "together")  # as dnn train: children forked before training
run = train(cfg, sys.argv[2], plots=False)
marks["train without plots, minus training (data, build, files)"] = t() - s - run.metrics["seconds"]
marks["training (metrics.json seconds)"] = run.metrics["seconds"]
s = t()
import matplotlib.figure, matplotlib.backends.backend_agg  # noqa: F401, E401
marks["import matplotlib (figure, agg)"] = t() - s
from dnncli.experiments.writing import draw_all, run_drawings
from dnncli.pipeline import held_out
drawings = run_drawings(run.run_dir, run.result, run.metrics, held_out(cfg)[0])
if sys.argv[3] == "together":
    s = t()
    draw_all(drawings, forks=forks)
    marks["the four plots as dnn train draws them (2 forked children)"] = t() - s
else:
    for drawing in drawings:
        s = t()
        draw_all([drawing])
        marks[f"plot {drawing.path.name} (figure and PNG)"] = t() - s
print(json.dumps(marks))
'''


sys.path.insert(0, str(Path(__file__).parent))
from user_env import user_env  # noqa: E402

ENV: dict[str, str] = {}  # the timed processes' environment, set in main()


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def train_overhead(config: str, out: Path) -> tuple[float, float]:
    """(whole process wall seconds, its training seconds) of one `dnn train --quiet`."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dnncli", "train", config, "--out", str(out), "--quiet"], check=True,
                          cwd=ROOT, capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - start
    metrics = json.loads((Path(proc.stdout.strip()) / "metrics.json").read_text())
    return seconds, metrics["seconds"]


def phase(config: str, out: str, plots: str) -> dict[str, float]:
    """PHASES in a fresh process: the plots one by one (``each``) or as dnn train draws them (``together``)."""
    return json.loads(subprocess.run([sys.executable, "-c", PHASES, config, out, plots], check=True, cwd=ROOT,
                                     capture_output=True, text=True, env=ENV).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--config", default="configs/adam_moons.yaml")
    args = parser.parse_args()
    pyplot, overheads, trainings = [], [], []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        ENV.update(user_env(cache))
        wall([sys.executable, "-c", "import matplotlib.pyplot"])  # warm-up: bytecode compiled and cached
        train_overhead(args.config, Path(tmp))
        for _ in range(args.repeats):
            pyplot.append(wall([sys.executable, "-c", "import matplotlib.pyplot"]))
            total, training = train_overhead(args.config, Path(tmp))
            overheads.append(total - training)
            trainings.append(training)
        phases = []
        for _ in range(args.repeats):
            together = phase(args.config, tmp, "together")
            phases.append({**phase(args.config, tmp, "each"), **{k: v for k, v in together.items() if "four" in k}})
    print(f"`dnn train {args.config}`, {args.repeats} runs (training itself: median {statistics.median(trainings):.2f} s)")
    print(f"  whole process minus training seconds: {', '.join(f'{x:.2f}' for x in overheads)} s")
    print(f"  python -c 'import matplotlib.pyplot': {', '.join(f'{x:.2f}' for x in pyplot)} s")
    for label, pick in (("median", statistics.median), ("best", min)):
        print(f"  ratio of the {label}s: {pick(overheads):.2f} / {pick(pyplot):.2f} = {pick(overheads) / pick(pyplot):.2f}x "
              "(target: at most 2.5x)")
    print("where the overhead goes (fresh processes, medians):")
    for key in phases[0]:
        print(f"  {key:58s} {statistics.median(p[key] for p in phases):5.2f} s")


if __name__ == "__main__":
    main()
