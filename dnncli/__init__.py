"""dnncli: a command-line experiment runner for improving deep neural networks.

Python API (the CLI is a thin shell over it)::

    from dnncli import load_config, train, compare, tune, lr_find
    result = train(load_config("configs/adam_moons.yaml", ["training.epochs=500"]), out="runs")
    result.metrics["train_accuracy"], result.run_dir
    compare(["gd", "momentum", "adam"], seeds=3).summary["verdict"]
    predict(result.run_dir, "new_points.csv").accuracy
    lr_find("configs/adam_moons.yaml").suggested_learning_rate
"""

__version__ = "0.1.0"

# name -> (module, attribute), imported on first use: `import dnncli` stays cheap for `dnn --help`
_EXPORTS = {
    "load_config": ("dnncli.config", "load_config"),
    "validate": ("dnncli.config", "validate"),
    "train": ("dnncli.experiments.train", "train"),
    "compare": ("dnncli.experiments.compare", "compare"),
    "tune": ("dnncli.experiments.tune", "tune"),
    "gradcheck": ("dnncli.experiments.gradcheck", "gradcheck"),
    "lr_find": ("dnncli.experiments.lr_find", "lr_find"),
    "run_configs": ("dnncli.pipeline", "run_configs"),
    "predict": ("dnncli.experiments.predict", "predict"),
}


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dnncli' has no attribute {name!r}")
    import importlib

    module, attribute = _EXPORTS[name]
    return getattr(importlib.import_module(module), attribute)


__all__ = ["__version__", *_EXPORTS]
