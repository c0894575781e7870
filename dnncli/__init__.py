"""dnncli: a command-line experiment runner for improving deep neural networks.

Python API (the CLI is a thin shell over it)::

    from dnncli import load_config, train
    result = train(load_config("configs/adam_moons.yaml", ["training.epochs=500"]), out="runs")
    result.metrics["train_accuracy"], result.run_dir
"""

__version__ = "0.1.0"


def __getattr__(name):  # lazy: `import dnncli` stays cheap for `dnn --help`
    if name in ("load_config", "validate"):
        from dnncli import config

        return getattr(config, name)
    if name == "train":
        from dnncli.experiments.train import train

        return train
    raise AttributeError(name)


__all__ = ["__version__", "load_config", "validate", "train"]
