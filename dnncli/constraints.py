"""Value ranges for registry parameters, readable by the config layer (stdlib only).

An engine class states its hyperparameters' limits in its signature, e.g.
``beta: Beta = 0.9``; the config layer turns each :class:`Range` into a pydantic
constraint, so the limits are written once, next to the formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated


@dataclass(frozen=True)
class Range:
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None


Positive = Annotated[float, Range(gt=0)]
LearningRate = Annotated[float, Range(gt=0)]
Beta = Annotated[float, Range(ge=0, lt=1)]
Epsilon = Annotated[float, Range(gt=0)]
NonNegative = Annotated[float, Range(ge=0)]
PositiveInt = Annotated[int, Range(ge=1)]
NonNegativeInt = Annotated[int, Range(ge=0)]


@dataclass(frozen=True)
class IsPath:
    """Marks a registry parameter as a file path: a config file's relative path is read against
    the config file's folder, and the resolved config records it absolute (see dnncli.config)."""


FilePath = Annotated[str, IsPath()]
