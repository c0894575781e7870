"""Help text read from the registries (dnncli/cli/help.py): every entry in the --help of its command."""

from tests.invoke import dnn


def test_every_registry_entry_is_in_the_help_it_belongs_to():
    """Each command's --help names every entry of its registries (read from them, not copied)."""
    import re

    from dnncli.data import DATASETS
    from dnncli.engine.activations import ACTIVATIONS
    from dnncli.engine.initializers import INITIALIZERS
    from dnncli.engine.optimizers import OPTIMIZERS
    from dnncli.engine.schedules import SCHEDULES
    from dnncli.engine.seeding import SEEDINGS
    from dnncli.experiments.gradcheck import MODELS
    from dnncli.experiments.tune.settings import METRICS, SAMPLERS
    from dnncli.presets import PRESETS

    wanted = {"train": [*DATASETS, *ACTIVATIONS, *INITIALIZERS, *OPTIMIZERS, *SCHEDULES, *SEEDINGS],
              "compare": list(PRESETS), "gradcheck": list(MODELS), "tune": [*METRICS, *SAMPLERS]}
    for command, names in wanted.items():
        result = dnn(command, "--help")
        assert result.exit_code == 0, result.output
        missing = [n for n in names if not re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", result.output)]
        assert missing == [], (command, missing)


def test_a_new_registry_entry_reaches_the_help_with_no_other_edit(monkeypatch):
    from dnncli.engine.optimizers import OPTIMIZERS
    from dnncli.experiments.gradcheck import MODELS

    monkeypatch.setitem(OPTIMIZERS._entries, "zz_probe_optimizer", object)
    monkeypatch.setitem(MODELS._entries, "zz_probe_model", object)
    assert "zz_probe_optimizer" in dnn("train", "--help").output
    assert "zz_probe_model" in dnn("gradcheck", "--help").output
