"""Hidden activations and output layers, each forward formula beside its derivative.

Arrays have examples on the last axis; any leading axes are independent models.
A hidden activation maps ``Z -> A`` and back-propagates ``dA -> dZ``. An output layer
pairs its activation with its loss, so its backward pass is the simple ``dZ = A - Y``.
"""

from __future__ import annotations

import numpy as np

from dnncli.registry import Registry

ACTIVATIONS: Registry[type] = Registry("activations")

# Constants as 0-d arrays: a ufunc takes one about 0.2 µs faster than a Python float.
ZERO, ONE = np.array(0.0), np.array(1.0)
ZERO.flags.writeable = ONE.flags.writeable = False


class Activation:
    """Protocol: ``forward(Z, out=None) -> A`` (into ``out`` when given) and
    ``backward(dA, Z, A) -> dZ`` (may overwrite dA)."""

    def forward(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """A = max(Z, 0);  dZ = dA * 1[Z > 0]  (derivative 0 at the kink, as the course)."""

    has_kink = True  # not differentiable at Z = 0 (gradient checks flag entries there)

    def forward(self, Z, out=None):
        return np.maximum(Z, ZERO, out=out)

    def backward(self, dA, Z, A):
        # 1[Z > 0] as floats is sign(A), A = max(Z, 0) being positive exactly where Z is;
        # a float mask multiplies about 3x faster than the boolean Z > 0 (no casting loop).
        return np.multiply(dA, np.sign(A), out=dA)


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """A = Z if Z > 0 else alpha*Z;  dZ = dA * (1 if Z > 0 else alpha).  alpha 0.01."""

    has_kink = True

    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def forward(self, Z, out=None):
        return into(out, np.where(Z > 0, Z, self.alpha * Z))

    def backward(self, dA, Z, A):
        return np.multiply(dA, np.where(Z > 0, 1.0, self.alpha), out=dA)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """A = tanh(Z);  dZ = dA * (1 - A^2)."""

    def forward(self, Z, out=None):
        return np.tanh(Z, out=out)

    def backward(self, dA, Z, A):
        return np.multiply(dA, 1.0 - A * A, out=dA)


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """A = 1 / (1 + exp(-Z));  dZ = dA * A * (1 - A)."""

    def forward(self, Z, out=None):
        return sigmoid(Z, out)

    def backward(self, dA, Z, A):
        return np.multiply(dA, A * (1.0 - A), out=dA)


def sigmoid(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    A = np.negative(Z, out=out)
    np.exp(A, out=A)
    np.add(A, ONE, A)
    return np.reciprocal(A, A)


def into(out: np.ndarray | None, A: np.ndarray) -> np.ndarray:
    """``A``, copied into ``out`` when one is given."""
    if out is None:
        return A
    out[...] = A
    return out


class SigmoidOutput:
    """Binary output: A = sigmoid(Z), binary cross-entropy, prediction 1 if A > 0.5.

    Loss per example: -(y log a + (1-y) log(1-a)), computed from Z as
    log(1 + exp(Z)) - y*Z, which is the same number without log(0) = -inf
    (the course's cost is inf when a sigmoid saturates; ours stays finite).
    With the loss, dZ = A - Y.
    """

    name = "sigmoid"

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

    def forward(self, Z):
        E = Z - np.max(Z, axis=-2, keepdims=True)
        np.exp(E, out=E)
        E /= np.sum(E, axis=-2, keepdims=True)
        return E

    def loss_sum(self, Z, A, Y):
        shifted = Z - np.max(Z, axis=-2, keepdims=True)
        log_a = shifted - np.log(np.sum(np.exp(shifted), axis=-2, keepdims=True))
        return -np.sum(Y * log_a, axis=(-2, -1))

    def predict(self, A):
        return np.argmax(A, axis=-2)


def output_for(n_classes: int):
    """Sigmoid + binary cross-entropy for 2 classes, softmax + cross-entropy above."""
    return SigmoidOutput() if n_classes <= 2 else SoftmaxOutput()
