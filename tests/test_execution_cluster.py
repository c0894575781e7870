"""Cluster mode (execution.DaskExecutor): a real Dask scheduler and two workers on 127.0.0.1, started and stopped here.

One cluster serves the module (one xdist worker runs it all); the test that kills a worker runs last."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("distributed")
pytestmark = pytest.mark.xdist_group("dask_cluster")  # one cluster per module, not per xdist worker

from dnncli.errors import DnnError  # noqa: E402
from dnncli.execution import DaskExecutor  # noqa: E402
from dnncli.experiments.compare import compare  # noqa: E402

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd):
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two single-threaded workers; yields (address, {worker address: process})."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [start([*DASK, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])]
    workers = {}
    try:
        for _ in range(2):
            wport = free_port()
            proc = start([*WORKER, address, "--host", "127.0.0.1", "--worker-port", str(wport), "--nworkers", "1",
                          "--nthreads", "1", "--no-dashboard"])
            procs.append(proc)
            workers[f"tcp://127.0.0.1:{wport}"] = proc
        from distributed import Client

        deadline = time.time() + 60
        while True:
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.time()))
                break
            except (OSError, TimeoutError):
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield address, workers
    finally:
        for proc in procs:
            stop(proc)


TINY = ["training.epochs=200", "data.n_samples=100"]


def numbers(result):
    return {arm: (e["train_accuracy"], e["test_accuracy"], e["final_cost"]) for arm, e in result.summary["arms"].items()}


def test_compare_on_a_cluster_gives_the_local_numbers(cluster, tmp_path):
    address, _ = cluster
    remote = compare(["gd", "adam"], overrides=TINY, seeds=2, scheduler=address, out=tmp_path / "remote")
    local = compare(["gd", "adam"], overrides=TINY, seeds=2, jobs=1, out=tmp_path / "local", plots=False)
    assert remote.summary["executor"] == address and local.summary["executor"] == "local"
    assert numbers(remote) == numbers(local)
    # the client wrote every run directory itself
    assert len(list(remote.out_dir.glob("*-seed*/params.npz"))) == 4 and (remote.out_dir / "costs.png").exists()


def test_an_unreachable_scheduler_is_a_quick_clear_error():
    start_time = time.time()
    with pytest.raises(DnnError, match="cannot reach"):
        DaskExecutor(f"tcp://127.0.0.1:{free_port()}", timeout=2)
    assert time.time() - start_time < 10


def test_tune_on_a_cluster_gives_the_local_trials(cluster, tmp_path):
    from dnncli.experiments.tune import tune

    address, _ = cluster
    overrides = ["training.epochs=50", "data.n_samples=100"]
    remote = tune("configs/tune_moons.yaml", overrides=overrides, trials=6, stages=2, top=1, scheduler=address,
                  out=tmp_path / "remote", plots=False)
    local = tune("configs/tune_moons.yaml", overrides=overrides, trials=6, stages=2, top=1, jobs=1,
                 out=tmp_path / "local", plots=False)

    def rows(result):
        return sorted((r["trial"], r["status"], r["val_accuracy"]) for r in result.rows)

    assert rows(remote) == rows(local)
    assert (remote.out_dir / "trials.csv").exists() and (remote.out_dir / "best.yaml").exists()


def test_a_worker_killed_mid_run_loses_nothing(cluster, tmp_path):
    """Last in the module: it leaves the shared cluster one worker short."""
    address, workers = cluster
    overrides = ["training.epochs=1500"]
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=compare(
        ["gd", "momentum", "adam"], overrides=overrides, seeds=2, scheduler=address, out=tmp_path / "remote", plots=False)))
    thread.start()
    from distributed import Client

    with Client(address, timeout=5, set_as_default=False) as client:
        deadline = time.time() + 30
        busy = {}
        while time.time() < deadline and not busy:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            time.sleep(0.05)
        assert busy, "no task ever started"
        victim = next(iter(busy))
        os.killpg(workers[victim].pid, signal.SIGKILL)
    thread.join(timeout=240)
    assert not thread.is_alive()
    result = box["result"]
    assert all(e["failed"] == 0 for e in result.summary["arms"].values())
    assert result.summary["reruns"] >= 1
    local = compare(["gd", "momentum", "adam"], overrides=overrides, seeds=2, jobs=2, out=tmp_path / "local", plots=False)
    assert numbers(result) == numbers(local)
