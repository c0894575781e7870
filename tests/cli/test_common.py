"""A corpus of bad inputs (issue 11): each ends with exit code 2 and one line on stderr, no traceback.

Every case runs in this process through the real Typer app (``CliRunner``), so the whole
corpus takes seconds. A case is ``(id, build)``: ``build(folder)`` writes what the case needs
(a config, a data file, an init file, a folder in the way) into ``folder`` and returns the
command-line arguments of ``dnn``.
"""

from __future__ import annotations

import errno
import pathlib
import socket
import threading
import zipfile

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dnncli.cli.main import app
from tests import ROOT

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))  # 9**9 leaves
SMALL = "training: {epochs: 2}\n"
# 9 + 81 + 729 + 6561 leaves once expanded: under the 100000-node limit, so it reaches validation
MODERATE = ("name:\n  - &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"  - &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abc", "bcd")))


def config(text: str | bytes, *extra: str, name: str = "bad.yaml"):
    """A case: train the config ``text`` (written to ``name``), with extra arguments."""
    def build(folder: pathlib.Path) -> list[str]:
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return ["train", str(path), "--out", str(folder / "runs"), *extra]
    return build


def h5(train: dict, test: dict | None = None, extra: str = ""):
    """A case: train on an HDF5 file holding ``train`` (and ``test``) arrays (name -> array or builder)."""
    def build(folder: pathlib.Path) -> list[str]:
        path = folder / "data.h5"
        with h5py.File(path, "w") as f:
            for key, value in {**train, **(test or {})}.items():
                value(f, key) if callable(value) else f.create_dataset(key, data=value)
        cfg = folder / "h5.yaml"
        cfg.write_text(f"data: {{name: h5, train: {path}}}\n{SMALL}{extra}")
        return ["train", str(cfg), "--out", str(folder / "runs")]
    return build


def good_x(m: int = 6, n: int = 3) -> np.ndarray:
    return np.arange(m * n, dtype=np.float64).reshape(m, n) / (m * n)


def good_y(m: int = 6) -> np.ndarray:
    return np.arange(m) % 2


def init_file(write):
    """A case: start from an init file that ``write(path)`` produces."""
    def build(folder: pathlib.Path) -> list[str]:
        path = folder / "params.npz"
        write(path)
        cfg = folder / "init.yaml"
        cfg.write_text(f"init: {{name: file, path: {path}}}\nmodel: {{hidden: [2]}}\n{SMALL}")
        return ["train", str(cfg), "--out", str(folder / "runs")]
    return build


def good_params() -> dict[str, np.ndarray]:
    """Parameters of the moons network with hidden: [2] (sizes 2, 2, 1)."""
    return {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}


def write_npz(arrays):
    return lambda path: np.savez(path, **arrays)


def truncated(path):
    np.savez(path, **good_params())
    path.write_bytes(path.read_bytes()[:150])


def bad_crc(path):
    np.savez(path, **good_params())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    data[info.header_offset + 30 + len(info.filename) + info.file_size - 1] ^= 0xFF  # last byte of member 1
    path.write_bytes(bytes(data))


def npy_named_npz(path):
    with open(path, "wb") as f:
        np.save(f, np.ones((2, 2)))


def empty_zip(path):
    zipfile.ZipFile(path, "w").close()


def out_is(make):
    """A case: a valid config, but ``--out`` is what ``make(folder)`` returns."""
    def build(folder: pathlib.Path) -> list[str]:
        cfg = folder / "ok.yaml"
        cfg.write_text(SMALL)
        return ["train", str(cfg), "--out", str(make(folder))]
    return build


def a_file(folder):
    (folder / "file").write_text("x")
    return folder / "file"


def below_a_file(folder):
    return a_file(folder) / "runs"


def flags(*args: str):
    return lambda folder: list(args)


def huge_h5(f, key):
    f.create_dataset(key, shape=(10**7, 10**6), dtype="f8", chunks=(1, 1000))  # nothing written: a tiny file


def classes_group(f, key):
    f.create_group(key)


GARBAGE_PORT: list[int] = []  # filled by the fixture below: a TCP server that speaks HTTP, not Dask


def garbage_scheduler(command: str):
    return lambda folder: [command, *(["gd", "adam", "--seeds", "1"] if command == "compare" else ["configs/tune_moons.yaml"]),
                           "--scheduler", f"tcp://127.0.0.1:{GARBAGE_PORT[0]}", "--out", str(folder / "runs")]


CORPUS = [
    # -- YAML structure: bombs, duplicates, depth, encoding ---------------------------------
    ("alias-bomb-in-name", config(BOMB + "name: *i\n")),
    ("alias-bomb-in-hidden", config(BOMB + "model: {hidden: *i}\n")),
    ("alias-bomb-unused", config(BOMB)),
    ("alias-bomb-moderate-in-name", config(MODERATE)),
    ("duplicate-top-key", config("name: a\nseed: 1\nname: b\n")),
    ("duplicate-nested-key", config("optimizer:\n  learning_rate: 0.1\n  learning_rate: 0.2\n")),
    ("deep-nesting-5000", config("x: " + "[" * 5000 + "]" * 5000 + "\n")),
    ("deep-nesting-60", config("x: " + "[" * 60 + "]" * 60 + "\n")),
    ("deep-mapping-nesting", config("a: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n")),
    ("not-utf8", config(b"name: caf\xe9\n")),
    ("binary-file", config(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")),
    ("nul-byte", config(b"name: a\x00b\n")),
    ("huge-config-file", config("# " + "x" * (2 << 20) + "\n")),
    ("syntax-error", config("model: {hidden: [5, 2\n")),
    ("config-is-a-list", config("- 1\n- 2\n")),
    ("config-is-a-scalar", config("42\n")),
    ("python-tag", config("name: !!python/object/apply:os.system ['true']\n")),
    # -- validation gaps: bools for numbers, non-finite floats, names -------------------------
    ("epochs-true", config("training: {epochs: true}\n")),
    ("batch-size-yes", config("training: {batch_size: yes}\n")),
    ("eval-every-false", config("training: {eval_every: false}\n")),
    ("hidden-true", config("model: {hidden: [true, 3]}\n")),
    ("learning-rate-true", config("optimizer: {learning_rate: true}\n")),
    ("n-samples-true", config("data: {name: moons, n_samples: true}\n")),
    ("learning-rate-inf", config("optimizer: {learning_rate: .inf}\n")),
    ("learning-rate-nan", config("optimizer: {learning_rate: .nan}\n")),
    ("l2-inf", config("regularization: {l2: .inf}\n")),
    ("beta1-minus-inf", config("optimizer: {name: adam, beta1: -.inf}\n")),
    ("keep-prob-nan", config("regularization: {keep_prob: .nan}\n")),
    ("bn-epsilon-inf", config("regularization: {batchnorm_epsilon: .inf}\n")),
    ("noise-inf", config("data: {name: moons, noise: .inf}\n")),
    ("init-scale-inf", config("init: {name: random, scale: .inf}\n")),
    ("decay-rate-nan", config("schedule: {name: exponential, decay_rate: .nan}\n")),
    ("name-trailing-newline", config('name: "abc\\n"\n')),
    ("name-too-long", config("name: " + "a" * 300 + "\n")),
    ("name-escapes", config("name: ../../etc\n")),
    ("batch-size-zero", config("training: {batch_size: 0}\n")),
    ("unknown-nested-key", config("optimizer: {learnin_rate: 0.1}\n")),
    ("set-epochs-true", config(SMALL, "--set", "training.epochs=true")),
    ("set-learning-rate-inf", config(SMALL, "--set", "optimizer.learning_rate=.inf")),
    ("set-duplicate-key", config(SMALL, "--set", "optimizer={learning_rate: 1, learning_rate: 2}")),
    ("set-alias-bomb-deep", config(SMALL, "--set", "model.hidden=" + "[" * 3000 + "]" * 3000)),
    # -- sizes: the memory budget and the class bound -----------------------------------------
    ("epochs-10-to-12", config(f"training: {{epochs: {10**12}}}\n")),
    ("epochs-400-digits", config(f"training: {{epochs: {'9' * 400}}}\n")),
    ("hidden-million-squared", config(f"model: {{hidden: [{10**6}, {10**6}]}}\n")),
    ("n-samples-10-to-11", config(f"data: {{name: moons, n_samples: {10**11}}}\n")),
    ("n-test-10-to-11", config(f"data: {{name: circles, n_test: {10**11}}}\n")),
    ("blobs-two-billion-centers", config("data: {name: blobs, centers: 2000000000}\n")),
    ("h5-declared-huge", h5({"train_set_x": huge_h5, "train_set_y": good_y(10**7)[:1]})),
    ("h5-label-2-to-40", h5({"train_set_x": good_x(), "train_set_y": np.array([0, 1, 0, 1, 0, 2**40])})),
    ("h5-too-many-class-names", h5({"train_set_x": good_x(), "train_set_y": good_y(),
                                    "list_classes": np.array([b"c%d" % k for k in range(2000)])})),
    # -- data files -----------------------------------------------------------------------------
    ("h5-zero-examples", h5({"train_set_x": np.zeros((0, 3)), "train_set_y": np.zeros(0)})),
    ("h5-zero-features", h5({"train_set_x": np.zeros((6, 0)), "train_set_y": good_y()})),
    ("h5-image-zero-width", h5({"train_set_x": np.zeros((6, 4, 0, 3), np.uint8), "train_set_y": good_y()})),
    ("h5-empty-test-set", h5({"train_set_x": good_x(), "train_set_y": good_y()},
                             {"test_set_x": np.zeros((0, 3)), "test_set_y": np.zeros(0)})),
    ("h5-list-classes-scalar", h5({"train_set_x": good_x(), "train_set_y": good_y(), "list_classes": np.array(b"cat")})),
    ("h5-list-classes-group", h5({"train_set_x": good_x(), "train_set_y": good_y(), "list_classes": classes_group})),
    ("h5-nan-in-x", h5({"train_set_x": np.where(good_x() > 0.5, np.nan, good_x()), "train_set_y": good_y()})),
    ("h5-inf-in-x", h5({"train_set_x": np.where(good_x() > 0.5, np.inf, good_x()), "train_set_y": good_y()})),
    ("h5-nan-in-test-x", h5({"train_set_x": good_x(), "train_set_y": good_y()},
                            {"test_set_x": np.full((2, 3), np.nan), "test_set_y": np.array([0, 1])})),
    ("h5-complex-x", h5({"train_set_x": good_x() + 1j, "train_set_y": good_y()})),
    ("h5-complex-y", h5({"train_set_x": good_x(), "train_set_y": good_y() + 0j})),
    ("h5-nan-label", h5({"train_set_x": good_x(), "train_set_y": np.array([0, 1, 0, 1, 0, np.nan])})),
    ("h5-not-hdf5", lambda folder: (folder / "text.h5").write_text("not hdf5")
     and config(f"data: {{name: h5, train: {folder / 'text.h5'}}}\n")(folder)),
    # -- init files -----------------------------------------------------------------------------
    ("init-empty-file", init_file(lambda path: path.write_bytes(b""))),
    ("init-truncated", init_file(truncated)),
    ("init-bad-crc", init_file(bad_crc)),
    ("init-npy-named-npz", init_file(npy_named_npz)),
    ("init-empty-zip", init_file(empty_zip)),
    ("init-text-file", init_file(lambda path: path.write_text("W1 = 1\n"))),
    ("init-complex", init_file(write_npz({**good_params(), "W1": np.ones((2, 2)) + 1j}))),
    ("init-nan", init_file(write_npz({**good_params(), "b2": np.full((1, 1), np.nan)}))),
    ("init-missing-array", init_file(write_npz({"W1": np.ones((2, 2))}))),
    ("init-wrong-shape", init_file(write_npz({**good_params(), "W1": np.ones((3, 2))}))),
    ("init-missing-file", lambda folder: init_file(lambda path: None)(folder)),
    # -- output folders -------------------------------------------------------------------------
    ("out-is-a-file", out_is(a_file)),
    ("out-below-a-file", out_is(below_a_file)),
    # -- command-line flags ---------------------------------------------------------------------
    ("gradcheck-epsilon-nan", flags("gradcheck", "--model", "three_layer", "--epsilon", "nan")),
    ("gradcheck-epsilon-inf", flags("gradcheck", "--model", "three_layer", "--epsilon", "inf")),
    ("gradcheck-epsilon-zero", flags("gradcheck", "--model", "three_layer", "--epsilon", "0")),
    ("gradcheck-epsilon-negative", flags("gradcheck", "--model", "three_layer", "--epsilon", "-1e-7")),
    ("gradcheck-threshold-nan", flags("gradcheck", "--model", "three_layer", "--threshold", "nan")),
    ("gradcheck-threshold-inf", flags("gradcheck", "--model", "three_layer", "--threshold", "inf")),
    ("gradcheck-threshold-zero", flags("gradcheck", "--model", "three_layer", "--threshold", "0")),
    ("gradcheck-threshold-negative", flags("gradcheck", "--model", "three_layer", "--threshold", "-2e-7")),
    ("compare-jobs-zero", flags("compare", "gd", "adam", "--jobs", "0")),
    ("compare-seeds-zero", flags("compare", "gd", "adam", "--seeds", "0")),
    ("tune-jobs-zero", flags("tune", "configs/tune_moons.yaml", "--jobs", "0")),
    # -- scheduler addresses --------------------------------------------------------------------
    ("scheduler-unknown-scheme", flags("compare", "gd", "adam", "--scheduler", "foo://127.0.0.1:8786")),
    ("scheduler-http-scheme", flags("compare", "gd", "adam", "--scheduler", "http://127.0.0.1:8786")),
    ("scheduler-no-port", flags("compare", "gd", "adam", "--scheduler", "tcp://127.0.0.1")),
    ("scheduler-port-out-of-range", flags("compare", "gd", "adam", "--scheduler", "tcp://127.0.0.1:99999")),
    ("scheduler-spaces", flags("compare", "gd", "adam", "--scheduler", "tcp://a b:1")),
    ("scheduler-tune-unknown-scheme", flags("tune", "configs/tune_moons.yaml", "--scheduler", "foo://x:1")),
    ("scheduler-not-dask-compare", garbage_scheduler("compare")),
    ("scheduler-not-dask-tune", garbage_scheduler("tune")),
]


@pytest.fixture(scope="module", autouse=True)
def http_server():
    """A TCP server answering like a web server: the Dask client read its bytes as a 3 EiB frame."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    GARBAGE_PORT[:] = [server.getsockname()[1]]

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    yield
    server.close()


def test_the_corpus_is_large():
    print(f"\nreliability corpus: {len(CORPUS)} bad inputs")
    assert len(CORPUS) >= 60
    assert len({case_id for case_id, _ in CORPUS}) == len(CORPUS)


def run_dnn(args: list[str]):
    return CliRunner().invoke(app, args, catch_exceptions=True)


def assert_one_line_exit_2(result, args) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert result.exit_code == 2, (args, result.exit_code, result.output)
    err = result.stderr.strip()
    assert "Traceback" not in result.output and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert len(err) <= 1000, err[:300]
    return err


@pytest.mark.parametrize("case_id,build", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_is_one_line_and_exit_2(case_id, build, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # configs/ paths in the flags
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "8GiB")  # the same limit on every machine
    args = build(tmp_path)
    err = assert_one_line_exit_2(run_dnn(args), args)
    assert err.startswith("error: ") or err.startswith("Usage") or "Error" in err
    assert not list((tmp_path / "runs").glob("*")), "bad input must be refused before a run directory is made"


# -- the messages say what is wrong ---------------------------------------------------------
def message(case_id: str, tmp_path) -> str:
    build = dict(CORPUS)[case_id]
    return assert_one_line_exit_2(run_dnn(build(tmp_path)), case_id)


@pytest.fixture
def root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "8GiB")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path, root):
    assert "expands to more than 100000 values" in message("alias-bomb-in-name", tmp_path)


def test_a_moderate_alias_is_shown_bounded(tmp_path, root):
    err = message("alias-bomb-moderate-in-name", tmp_path)  # 9**4 = 6561 leaves: under the node limit
    assert err.startswith("error: name: [[") and len(err) < 200, err


def test_a_duplicate_key_names_the_key_and_both_lines(tmp_path, root):
    err = message("duplicate-top-key", tmp_path)
    assert "duplicate key 'name'" in err and "line 3" in err and "line 1" in err


def test_deep_nesting_and_encoding_say_why(tmp_path, root):
    assert "nested" in message("deep-nesting-5000", tmp_path)
    assert "not UTF-8" in message("not-utf8", tmp_path)
    assert "binary" in message("binary-file", tmp_path)


def test_budget_errors_name_the_keys_and_the_estimate(tmp_path, root):
    err = message("epochs-10-to-12", tmp_path)
    # history: 8 bytes * (2 * 10**12 + 4 * (10**12 / 100 + 1)) = 1.632e13 bytes = 14.8 TiB
    assert "training.epochs" in err and "14.8 TiB" in err and "8.0 GiB" in err and "DNN_MEMORY_BUDGET" in err
    assert "model.hidden" in message("hidden-million-squared", tmp_path)
    assert "data.n_samples" in message("n-samples-10-to-11", tmp_path)
    assert "train_set_x" in message("h5-declared-huge", tmp_path)


def test_data_errors_say_what_is_wrong(tmp_path, root):
    assert "no examples" in message("h5-zero-examples", tmp_path)
    assert "zero features" in message("h5-zero-features", tmp_path)
    assert "NaN or infinite" in message("h5-nan-in-x", tmp_path)
    assert "complex" in message("h5-complex-x", tmp_path)
    assert "1000 classes" in message("h5-label-2-to-40", tmp_path)
    assert "list_classes" in message("h5-list-classes-group", tmp_path)


def test_init_file_errors_name_the_key(tmp_path, root):
    for case_id in ("init-empty-file", "init-truncated", "init-bad-crc", "init-npy-named-npz", "init-empty-zip"):
        (tmp_path / case_id).mkdir()
        assert "init.path" in message(case_id, tmp_path / case_id)


def test_gradcheck_nan_epsilon_is_refused_not_passed(tmp_path, root):
    err = message("gradcheck-epsilon-nan", tmp_path)
    assert "--epsilon" in err and "PASS" not in err


def test_a_read_only_or_full_disk_is_one_line(tmp_path, root, monkeypatch):
    (tmp_path / "ok.yaml").write_text(SMALL)
    real_mkdir = pathlib.Path.mkdir
    for code in (errno.EROFS, errno.ENOSPC, errno.EACCES):
        def mkdir(self, *args, _code=code, **kwargs):
            if "ro" in self.parts:
                raise OSError(_code, "refused", str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
        args = ["train", str(tmp_path / "ok.yaml"), "--out", str(tmp_path / "ro")]
        assert "--out folder" in assert_one_line_exit_2(run_dnn(args), args)


def test_a_long_config_file_name_gives_a_shortened_run_name(tmp_path, root):
    cfg = tmp_path / ("x" * 240 + ".yaml")
    cfg.write_text(SMALL)
    result = run_dnn(["train", str(cfg), "--out", str(tmp_path / "runs"), "--quiet"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.endswith("-" + "x" * 100)  # MAX_NAME = 100 characters


def test_a_write_error_crosses_a_process_boundary_as_itself():
    """A worker that writes a run directory returns its WriteError to the parent (pickled)."""
    import pickle

    from dnncli.files import WriteError

    error = WriteError(pathlib.Path("/x/history.csv"), OSError(28, "No space left on device"))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is WriteError and isinstance(again, OSError) and again.exit_code == 1
    assert str(again) == str(error) == "no space left on device while writing /x/history.csv"
