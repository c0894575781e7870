"""Worker processes never outlive their parent; --jobs is capped; a pool that cannot start is one line."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Executor
from pathlib import Path

import pytest

from dnncli import execution
from dnncli.errors import ConfigError, DnnError

SRC = str(Path(__file__).resolve().parents[1])  # the folder that holds the dnncli package


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc, so psutil is not needed)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def spawn(code: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_parent_takes_its_loky_workers_and_trackers_down():
    parent = spawn("""
        import time
        from dnncli import execution
        pool = execution.executor(2)
        futures = [pool.submit(time.sleep, 300) for _ in range(2)]  # a long task in every worker
        time.sleep(1.5)
        print("ready", flush=True)
        time.sleep(300)
    """)
    kids = children_of(parent.pid)
    try:
        assert len(kids) >= 2  # two workers (and loky's resource trackers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        survivors = wait_gone(kids, 5.0)
        assert survivors == [], f"still alive 5 s after kill -9 of their parent: {survivors}"
    finally:
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_watchdog_alone_ends_an_orphan():
    """Without the parent-death signal: a process watching its parent exits within a second or so."""
    parent = spawn("""
        import os, subprocess, sys, time
        code = "import os, sys; from dnncli import local_pool; local_pool.watch_parent(int(sys.argv[1]), os.getppid())"
        child = subprocess.Popen([sys.executable, "-c", code, str(os.getpid())])
        time.sleep(1.0)
        print("ready", flush=True)
        time.sleep(300)
    """)
    kids = children_of(parent.pid)
    try:
        assert len(kids) == 1
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone(kids, 3.0) == []
    finally:
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_capped_jobs(monkeypatch):
    monkeypatch.setattr(execution, "default_jobs", lambda: 4)
    assert execution.capped_jobs(None) == (4, None)
    assert execution.capped_jobs(None, 3) == (3, None)
    assert execution.capped_jobs(3) == (3, None)
    n, note = execution.capped_jobs(12, 2)
    assert n == 2 and "number of tasks" in note
    n, note = execution.capped_jobs(12, 10)
    assert n == 4 and "4 cores" in note
    assert execution.capped_jobs(12)[0] == 4
    assert execution.capped_jobs(1, 0) == (1, None)
    for bad in (0, -1, True):
        with pytest.raises(ConfigError, match="--jobs"):
            execution.capped_jobs(bad, 2)


def test_one_task_needs_no_process_pool():
    assert isinstance(execution.executor(8, n_tasks=1), execution.InlineExecutor)


class CannotStart(Executor):
    _max_workers = 200

    def submit(self, fn, /, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")


def test_a_pool_that_cannot_start_workers_is_one_line():
    with pytest.raises(DnnError, match=r"cannot start 200 worker processes .*smaller --jobs") as info:
        execution.run_all(abs, [1, 2], CannotStart())
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("address", ["foo://h:1", "tcp://h", "tcp://h:0", "tcp://h:65536", "h:8786", "", "tcp://h:1/x"])
def test_scheduler_addresses_are_checked_before_connecting(address):
    with pytest.raises(ConfigError, match="--scheduler"):
        execution.check_scheduler_address(address)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tls://sched.example:8786", "tcp://[::1]:8786",
                                     "inproc://10.0.0.1/123/1"])
def test_good_scheduler_addresses_pass(address):
    execution.check_scheduler_address(address)


def _blocked_signals(_=None) -> set:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_workers_never_take_a_ctrl_c_but_the_parent_does():
    """A terminal's Ctrl-C reaches the whole process group; a worker still importing would print a
    KeyboardInterrupt traceback. Workers start with SIGINT blocked; the parent's mask is unchanged."""
    before = _blocked_signals()
    pool = execution.executor(jobs=2, n_tasks=2)
    try:
        masks = execution.run_all(_blocked_signals, [0, 1], pool)
    finally:
        execution.stop(pool)
    assert all(signal.SIGINT in mask for mask in masks)
    assert _blocked_signals() == before and signal.SIGINT not in before


two_cpus = pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                              reason="map_halves forks only on Linux with two CPUs")


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          check=True, timeout=60).stdout


@two_cpus
def test_map_halves_gives_every_result_in_order_with_every_other_item_done_by_a_child():
    out = run_python("""
        import os
        from dnncli.local_pool import map_halves
        print(map_halves(lambda i: (i * i, os.getpid()), range(5)), os.getpid())
    """)
    results, parent = out.rsplit(" ", 1)
    results = eval(results)  # noqa: S307 - our own printed list
    assert [r for r, _ in results] == [0, 1, 4, 9, 16]
    pids = [pid for _, pid in results]
    assert pids[0::2] == [int(parent)] * 3
    assert len(set(pids[1::2])) == 1 and pids[1] != int(parent)


@two_cpus
def test_map_halves_does_a_failed_childs_half_itself_and_leaves_no_process():
    out = run_python("""
        import os
        from dnncli.local_pool import map_halves
        parent = os.getpid()
        def task(i):
            if os.getpid() != parent:
                os._exit(3)  # the child dies without a word
            return i
        results = map_halves(task, range(4))
        try:
            os.waitpid(-1, os.WNOHANG)
            print(results, "a child is left")
        except ChildProcessError:
            print(results, "no child left")
    """)
    assert out.strip() == "[0, 1, 2, 3] no child left"


def test_map_halves_runs_everything_here_with_other_threads_alive():
    import threading

    from dnncli.local_pool import map_halves

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert map_halves(lambda i: (i, os.getpid()), range(3)) == [(i, os.getpid()) for i in range(3)]
    finally:
        stop.set()
        thread.join()


@two_cpus
def test_kill_9_of_the_parent_takes_map_halves_child_down():
    parent = spawn("""
        import os, sys, time
        from dnncli.local_pool import map_halves
        parent = os.getpid()
        def task(i):
            if os.getpid() == parent:
                print("ready", flush=True)
            time.sleep(300)
        map_halves(task, range(2))
    """)
    assert_children_die_with(parent, 1)



@two_cpus
def test_map_halves_child_finishes_its_half_through_a_process_groups_sigterm_and_ctrl_c():
    """Slurm's SIGTERM and a terminal's Ctrl-C reach the whole process group; the parent (dnn
    train) defers them until its files are written, and the child finishes its half too (killed
    mid-save it would leave a temporary file in the run directory)."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, signal, sys, time
        from dnncli.local_pool import map_halves
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent's writes defer it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        parent = os.getpid()
        def task(i):
            if os.getpid() == parent:
                print("ready", flush=True)
            time.sleep(1.0)
            return os.getpid()
        print(map_halves(task, range(2)) [1] != parent, flush=True)
    """)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": SRC}, start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip() == "True"  # the child's own result, not the parent's redo


@two_cpus
def test_forks_children_do_the_work_in_order_and_the_parent_does_what_they_cannot():
    """Children forked ahead of their work: item i by child i % n; an unpicklable function (a
    closure) and a child that dies are done by the parent; no child is left afterwards."""
    out = run_python("""
        import os
        from dnncli.local_pool import Forks
        parent = os.getpid()
        def pid_of(i):
            return i, os.getpid()
        def dies_in_child(i):
            if os.getpid() != parent:
                os._exit(3)
            return i
        with Forks(2, ["json"]) as forks:
            pids = forks.map(pid_of, range(5))
        with Forks(2) as forks:
            closure = forks.map(lambda i: (i, os.getpid()), range(3))
        with Forks(2) as forks:
            died = forks.map(dies_in_child, range(4))
        with Forks(2):
            pass  # no work: the children end with the block
        try:
            os.waitpid(-1, os.WNOHANG)
            left = "a child is left"
        except ChildProcessError:
            left = "no child left"
        print(repr((pids, parent, closure, died, left)))
    """)
    pids, parent, closure, died, left = eval(out)  # noqa: S307 - our own printed tuple
    assert [i for i, _ in pids] == list(range(5))
    assert pids[0][1] == pids[2][1] == pids[4][1] != pids[1][1] == pids[3][1] and parent not in {p for _, p in pids}
    assert closure == [(i, parent) for i in range(3)]
    assert died == [0, 1, 2, 3] and left == "no child left"


@two_cpus
def test_forks_survive_a_failed_fork_and_a_second_forks_object():
    """A fork that fails (no process to spare) leaves the children made so far, and no fd; a
    second Forks alive holds the first one's pipes and changes nothing (work is length-prefixed)."""
    out = run_python("""
        import os
        from dnncli import local_pool
        real, calls = os.fork, []
        def failing_second_fork():
            calls.append(1)
            if len(calls) == 2:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return real()
        fds = len(os.listdir("/proc/self/fd"))
        os.fork = failing_second_fork
        one = local_pool.Forks(2)
        os.fork = real
        made = len(one.children)
        other = local_pool.Forks(2)
        values = one.map(abs, [-1, -2, -3])
        other.close()
        print(made, values, len(os.listdir("/proc/self/fd")) - fds)
    """)
    assert out.split(maxsplit=1)[0] == "1" and out.split(maxsplit=1)[1].strip() == "[1, 2, 3] 0"


def test_forks_with_other_threads_alive_make_no_child_and_work_here():
    import threading

    from dnncli.local_pool import Forks

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with Forks(2) as forks:
            assert forks.children == [] and forks.map(_square_and_pid, range(2)) == [(0, os.getpid()), (1, os.getpid())]
    finally:
        stop.set()
        thread.join()


def _square_and_pid(i):
    return i * i, os.getpid()


@two_cpus
def test_kill_9_of_the_parent_takes_its_forks_down_even_busy(tmp_path):
    """Children still importing (here a module that sleeps) die with a kill -9 of their parent."""
    (tmp_path / "sleepy.py").write_text("import time\ntime.sleep(60)\n")
    parent = spawn(f"""
        import sys, time
        sys.path.insert(0, {str(tmp_path)!r})
        from dnncli.local_pool import Forks
        forks = Forks(2, ["sleepy"])
        time.sleep(0.5)
        print("ready", flush=True)
        time.sleep(300)
    """)
    assert_children_die_with(parent, 2)


def assert_children_die_with(parent: subprocess.Popen, n: int, seconds: float = 3.0) -> None:
    """``parent`` has ``n`` children; after its kill -9 none is left within ``seconds``."""
    kids = children_of(parent.pid)
    try:
        assert len(kids) == n
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone(kids, seconds) == []
    finally:
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
