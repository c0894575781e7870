"""How the hidden units fare: the share of dead ReLUs, or of saturated sigmoid / tanh outputs, per layer.

``fit`` measures it at every evaluated epoch (``eval_every``), on the whole training set, from
the evaluation's forward pass (no dropout; batch norm with its running statistics):

- **dead** (relu, leaky_relu): the share of the layer's units whose activation is <= 0 on every
  training example. A dead ReLU outputs 0 and gets a zero gradient on every example, so no
  update can revive it; a leaky ReLU there passes only ``alpha`` times the gradient.
- **saturated** (sigmoid: A < 0.01 or A > 0.99; tanh: |A| > 0.99): the share of the layer's
  activations (units x training examples) in the flat tails, where the derivative is below
  0.0099 (sigmoid, A (1 - A)) or 0.0199 (tanh, 1 - A^2): the signal back-propagated through
  them almost vanishes.

An activation without a measure here gets none (no column). Leading axes are models.
"""

from __future__ import annotations

import numpy as np


def dead(A: np.ndarray) -> np.ndarray:
    """Share of units (rows) with A <= 0 on every example (columns), per model."""
    return np.mean(np.max(A, axis=-1) <= 0, axis=-1)


def saturated_sigmoid(A: np.ndarray) -> np.ndarray:
    """Share of entries with A < 0.01 or A > 0.99, per model."""
    return np.mean((A < 0.01) | (A > 0.99), axis=(-2, -1))


def saturated_tanh(A: np.ndarray) -> np.ndarray:
    """Share of entries with |A| > 0.99, per model."""
    return np.mean(np.abs(A) > 0.99, axis=(-2, -1))


# activation (registry name) -> (what the share counts, the measure of one layer's A)
MEASURES = {
    "relu": ("dead", dead),
    "leaky_relu": ("dead", dead),
    "sigmoid": ("saturated", saturated_sigmoid),
    "tanh": ("saturated", saturated_tanh),
}


def measure_for(activation, n_hidden: int):
    """(kind, measure) for a network's hidden activation, or None (no measure, or no hidden layer)."""
    found = MEASURES.get(getattr(activation, "registry_name", None))
    return found if found is not None and n_hidden > 0 else None
