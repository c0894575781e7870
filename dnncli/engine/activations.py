"""Hidden activations and output layers, each forward formula beside its derivative.

Arrays have examples on the last axis; any leading axes are independent models.
A hidden activation maps ``Z -> A`` and back-propagates ``dA -> dZ``. An output layer
pairs its activation with its loss, so its backward pass is the simple ``dZ = A - Y``.
"""

from __future__ import annotations

import numpy as np

from dnncli.engine.ops import Op, maximum_into, run
from dnncli.registry import Registry

ACTIVATIONS: Registry[type] = Registry("activations")

# Constants as 0-d arrays: a ufunc takes one about 0.2 µs faster than a Python float.
ZERO, ONE = np.array(0.0), np.array(1.0)
ZERO.flags.writeable = ONE.flags.writeable = False


class Activation:
    """Protocol: ``forward_ops(Z, A)`` computes A = g(Z) into ``A``; ``backward_ops(dA, Z, A, tmp)``
    turns dA into dZ = dA * g'(Z) in place (``tmp``: a scratch array shaped like dA). Both
    return ops (:mod:`dnncli.engine.ops`); ``forward`` and ``backward`` run them once."""

    def forward_ops(self, Z: np.ndarray, A: np.ndarray) -> list[Op]:
        raise NotImplementedError

    def backward_ops(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, tmp: np.ndarray) -> list[Op]:
        raise NotImplementedError

    def forward(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        A = np.empty_like(Z) if out is None else out
        run(self.forward_ops(Z, A))
        return A

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        """dZ, written over dA."""
        run(self.backward_ops(dA, Z, A, np.empty_like(dA)))
        return dA


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """A = max(Z, 0);  dZ = dA * 1[Z > 0]  (derivative 0 at the kink, as the course)."""

    has_kink = True  # not differentiable at Z = 0 (gradient checks flag entries there)

    def forward_ops(self, Z, A):
        return [(maximum_into(A), (Z, ZERO))]

    def backward_ops(self, dA, Z, A, tmp):
        # 1[Z > 0] as floats is sign(A), A = max(Z, 0) being positive exactly where Z is;
        # a float mask multiplies about 3x faster than the boolean Z > 0 (no casting loop).
        return [(np.sign, (A, tmp)), (np.multiply, (dA, tmp, dA))]


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """A = Z if Z > 0 else alpha*Z;  dZ = dA * (1 if Z > 0 else alpha).  alpha 0.01."""

    has_kink = True

    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward_ops(self, Z, A):
        return [(self._forward, (Z, A))]

    def backward_ops(self, dA, Z, A, tmp):
        return [(self._backward, (dA, Z))]

    def _forward(self, Z, A):
        A[...] = np.where(Z > 0, Z, self.alpha * Z)

    def _backward(self, dA, Z):
        np.multiply(dA, np.where(Z > 0, 1.0, self.alpha), out=dA)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """A = tanh(Z);  dZ = dA * (1 - A^2)."""

    def forward_ops(self, Z, A):
        return [(np.tanh, (Z, A))]

    def backward_ops(self, dA, Z, A, tmp):
        return [(np.multiply, (A, A, tmp)), (np.subtract, (ONE, tmp, tmp)), (np.multiply, (dA, tmp, dA))]


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """A = 1 / (1 + exp(-Z));  dZ = dA * A * (1 - A)."""

    def forward_ops(self, Z, A):
        return sigmoid_ops(Z, A)

    def backward_ops(self, dA, Z, A, tmp):
        return [(np.subtract, (ONE, A, tmp)), (np.multiply, (A, tmp, tmp)), (np.multiply, (dA, tmp, dA))]


def sigmoid_ops(Z: np.ndarray, A: np.ndarray) -> list[Op]:
    """A = 1 / (1 + exp(-Z)), four calls in place."""
    return [(np.negative, (Z, A)), (np.exp, (A, A)), (np.add, (A, ONE, A)), (np.reciprocal, (A, A))]


def sigmoid(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    A = np.empty_like(Z) if out is None else out
    run(sigmoid_ops(Z, A))
    return A


class SigmoidOutput:
    """Binary output: A = sigmoid(Z), binary cross-entropy, prediction 1 if A > 0.5.

    Loss per example: -(y log a + (1-y) log(1-a)), computed from Z as
    log(1 + exp(Z)) - y*Z, which is the same number without log(0) = -inf
    (the course's cost is inf when a sigmoid saturates; ours stays finite).
    With the loss, dZ = A - Y.
    """

    name = "sigmoid"

    def forward_ops(self, Z, A):
        return sigmoid_ops(Z, A)

    def forward(self, Z):
        return sigmoid(Z)

    def loss_sum(self, Z, A, Y):
        """Sum over examples (and output units) of the loss, one value per model."""
        # log(1 + exp(Z)) = max(Z, 0) + log1p(exp(-|Z|)), the formula of np.logaddexp(0, Z)
        # (equal to 2 ulp, exactly log 2 at Z = 0) in a quarter less time: its loop is slow.
        loss = np.abs(Z)
        np.negative(loss, loss)
        np.exp(loss, loss)
        np.log1p(loss, loss)
        loss += np.maximum(Z, ZERO)
        loss -= Y * Z
        return np.add.reduce(loss, axis=(-2, -1))  # np.sum without its Python-level dispatch

    def predict(self, A):
        """Class index per example, shape (..., m)."""
        return (A[..., 0, :] > 0.5).astype(np.int64)


class SoftmaxOutput:
    """Multi-class output: A = softmax(Z) over the class axis, categorical cross-entropy.

    softmax is computed as exp(Z - max Z) / sum(exp(Z - max Z)); the loss per example is
    -sum_c y_c log a_c = -sum_c y_c (Z_c - logsumexp(Z)); with the loss, dZ = A - Y.
    Prediction is the arg-max class.
    """

    name = "softmax"

    def forward_ops(self, Z, A):
        return [(self._forward, (Z, A))]

    def _forward(self, Z, A):
        np.subtract(Z, np.max(Z, axis=-2, keepdims=True), A)
        np.exp(A, out=A)
        A /= np.sum(A, axis=-2, keepdims=True)

    def forward(self, Z):
        A = np.empty_like(Z)
        self._forward(Z, A)
        return A

    def loss_sum(self, Z, A, Y):
        shifted = Z - np.max(Z, axis=-2, keepdims=True)
        log_a = shifted - np.log(np.sum(np.exp(shifted), axis=-2, keepdims=True))
        return -np.sum(Y * log_a, axis=(-2, -1))

    def predict(self, A):
        return np.argmax(A, axis=-2)


def output_for(n_classes: int):
    """Sigmoid + binary cross-entropy for 2 classes, softmax + cross-entropy above."""
    return SigmoidOutput() if n_classes <= 2 else SoftmaxOutput()
