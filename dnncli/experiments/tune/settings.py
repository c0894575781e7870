"""The settings of a tune (``--trials``, ``--stages``, ...), validated by one pydantic model."""

from __future__ import annotations

from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict

from dnncli.constraints import Fraction, PositiveInt, Range
from dnncli.errors import ConfigError, choice_hint

# metric -> True when higher is better. The test set is deliberately not offered.
METRICS = {"val_accuracy": True, "val_cost": False, "train_accuracy": True, "final_cost": False}
SAMPLERS = ("random", "tpe")
TOP_FRACTION = 0.2

class TuneSettings(BaseModel):
    """How a tune searches; every field is a command-line option of the same name."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    trials: PositiveInt = 40
    stages: PositiveInt = 2
    validation: Fraction = 0.2
    metric: Literal[tuple(METRICS)] = "val_accuracy"
    sampler: Literal[SAMPLERS] = "random"
    top: PositiveInt = 5

    @pydantic.model_validator(mode="after")
    def _stages_within_trials(self):
        if self.stages > self.trials:
            raise ValueError("stages")
        return self

    @classmethod
    def parse(cls, values: dict) -> TuneSettings:
        """Validated settings; a bad one is a ConfigError naming its option (``--trials`` ...)."""
        values = {k: (float(v) if k == "validation" and isinstance(v, int) and not isinstance(v, bool) else v)
                  for k, v in values.items()}
        try:
            return cls.model_validate(values)
        except pydantic.ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            key = str(error["loc"][0]) if error["loc"] else "stages"
            raise ConfigError(f"--{key}", values.get(key), _ALLOWED[key](values)) from None

    @classmethod
    def limit(cls, key: str) -> str:
        """What field ``key`` allows, read from its Range: ``an integer greater than or equal to 1``."""
        field = cls.model_fields[key]
        return next(m for m in field.metadata if isinstance(m, Range)).describe(integer=field.annotation is int)

    def stage_ends(self) -> list[int]:
        return stage_ends(self.trials, self.stages)


_ALLOWED = {
    "trials": lambda s: TuneSettings.limit("trials"),
    "stages": lambda s: f"from 1 to --trials ({s.get('trials')})",
    "validation": lambda s: f"a fraction of the training examples, {TuneSettings.limit('validation')}, e.g. 0.2",
    "metric": lambda s: choice_hint(str(s.get("metric")), METRICS) + " (the test set never chooses)",
    "sampler": lambda s: choice_hint(str(s.get("sampler")), SAMPLERS),
    "top": lambda s: TuneSettings.limit("top"),
}


def stage_ends(trials: int, stages: int) -> list[int]:
    """Trial counts at the end of each stage: 40 trials in 2 stages -> [20, 40]."""
    return [round(trials * s / stages) for s in range(1, stages + 1)]
