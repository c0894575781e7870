"""Value ranges: the one way a number's limits are written in dnncli (stdlib only).

An engine class states its hyperparameters' limits in its signature, e.g.
``beta: Beta = 0.9``; a config section, a data set or a command's settings write theirs
the same way (``epochs: PositiveInt = 10000``). pydantic reads a :class:`Range` through its
``__get_pydantic_core_schema__`` hook, so one mark gives the validation, the limits in
``dnn schema`` (``minimum``, ``exclusiveMaximum``, ...) and the error text (:meth:`Range.describe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

_WORDS = {"gt": "greater than", "ge": "greater than or equal to", "lt": "less than", "le": "less than or equal to"}


@dataclass(frozen=True)
class Range:
    """Limits of an int or a float: ``gt`` or ``ge`` below, ``lt`` or ``le`` above (None: no limit)."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def __post_init__(self):
        if (self.gt is not None and self.ge is not None) or (self.lt is not None and self.le is not None):
            raise TypeError(f"{self}: one lower limit (gt or ge) and one upper limit (lt or le) at most")

    def bounds(self) -> dict[str, float]:
        """The limits that are set, by pydantic's (and JSON Schema's) names: ``{"gt": 0, "le": 1}``."""
        return {k: v for k, v in vars(self).items() if v is not None}

    def describe(self, integer: bool = False) -> str:
        """What a value must be, for an error message: ``a number greater than 0 and less than or
        equal to 1``, ``an integer from 0 to 9`` (both limits inclusive)."""
        kind = "an integer" if integer else "a number"
        if self.ge is not None and self.le is not None:
            return f"{kind} from {_number(self.ge)} to {_number(self.le)}"
        return f"{kind} " + " and ".join(f"{_WORDS[k]} {_number(v)}" for k, v in self.bounds().items())

    def __get_pydantic_core_schema__(self, source, handler):
        """pydantic's hook (only pydantic calls it, so this module imports nothing): the schema of
        ``source`` (int or float) with these limits, which pydantic checks and writes into JSON Schema."""
        schema = handler(source)
        if schema.get("type") not in ("int", "float"):
            raise TypeError(f"Range limits an int or a float, not {source!r}")
        return {**schema, **self.bounds()}


def _number(value: float) -> str:
    """``0``, ``1``, ``0.5``, ``4294967294``: a whole limit without ``.0`` or an exponent."""
    return str(int(value)) if float(value).is_integer() else repr(value)


SEED_MAX = 2**32 - 2  # the largest seed: data sets draw their test set from seed + 1, and RandomState stops at 2**32 - 1

Positive = Annotated[float, Range(gt=0)]
LearningRate = Annotated[float, Range(gt=0)]
Beta = Annotated[float, Range(ge=0, lt=1)]  # a moving average's weight of the past
Epsilon = Annotated[float, Range(gt=0)]
NonNegative = Annotated[float, Range(ge=0)]
Probability = Annotated[float, Range(gt=0, le=1)]  # keep_prob: 0 would drop every unit
Fraction = Annotated[float, Range(gt=0, lt=1)]  # a share of the examples (test_size), a ratio (factor)
PositiveInt = Annotated[int, Range(ge=1)]
NonNegativeInt = Annotated[int, Range(ge=0)]
Seed = Annotated[int, Range(ge=0, le=SEED_MAX)]


@dataclass(frozen=True)
class IsPath:
    """Marks a registry parameter as a file path: a config file's relative path is read against
    the config file's folder, and the resolved config records it absolute (see dnncli.config)."""


FilePath = Annotated[str, IsPath()]
