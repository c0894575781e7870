"""Bounded error messages and the YAML loader's refusals, from the library."""

import time

import pytest

from dnncli.config import MAX_NAME, load_config, load_yaml_text, validate
from dnncli.errors import ConfigError, DnnError, short_repr


def bomb(levels: int):
    value = ["x"] * 9
    for _ in range(levels):
        value = [value] * 9  # shared references: 9**levels leaves, built in microseconds
    return value


def test_short_repr_is_bounded_and_cheap_for_any_value():
    start = time.perf_counter()
    for value in (bomb(30), list(range(10**6)), "x" * 10**7, 10**4000, {str(k): k for k in range(10**5)}):
        assert len(short_repr(value)) <= 80
    assert time.perf_counter() - start < 1.0
    assert short_repr(10**4000) == "<an integer of about 4001 digits>"


def test_short_repr_keeps_small_values_exact():
    for value in (0.001, "adam", None, [5, 2], {"a": 1}, True):
        assert short_repr(value) == repr(value)


def test_a_config_error_on_a_bomb_is_short():
    with pytest.raises(ConfigError) as info:
        validate({"name": bomb(30)})
    assert len(str(info.value)) < 200
    with pytest.raises(ConfigError) as info:
        validate({"model": {"hidden": bomb(30)}})
    assert len(str(info.value)) < 300


def test_duplicate_keys_name_both_lines():
    with pytest.raises(DnnError, match=r"f.yaml line 4: duplicate key 'beta1' \(first given on line 2\)"):
        load_yaml_text("optimizer:\n  beta1: 0.9\n  beta2: 0.99\n  beta1: 0.8\n", "f.yaml")


def test_merge_keys_may_be_overridden():
    assert load_yaml_text("a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  x: 3\n")["b"] == {"x": 3, "y": 2}


def test_moderate_aliases_still_load():
    text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert load_yaml_text(text)["b"] == [[1, 2, 3]] * 3


def test_a_name_with_a_trailing_newline_is_refused():
    with pytest.raises(ConfigError, match="name"):
        validate({"name": "ok\n"})
    validate({"name": "ok"})


def test_a_long_config_file_name_is_shortened(tmp_path):
    path = tmp_path / ("n" * 200 + ".yaml")
    path.write_text("training: {epochs: 1}\n")
    assert load_config(path).name == "n" * MAX_NAME
    with pytest.raises(ConfigError, match="at most 100 characters"):
        validate({"name": "n" * (MAX_NAME + 1)})
