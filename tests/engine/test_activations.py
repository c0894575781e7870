"""Hidden activations and output layers (dnncli/engine/activations.py): forward and derivative element by element.
"""

import math

import numpy as np
import pytest

from dnncli.engine.activations import ACTIVATIONS, SigmoidOutput, SoftmaxOutput, output_for


def scalar_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# name -> (kwargs, forward g(z), derivative g'(z)), element by element with the math module
ACTIVATION_RULES = {
    "relu": ({}, lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
    "leaky_relu": ({"alpha": 0.2}, lambda z: z if z > 0 else 0.2 * z, lambda z: 1.0 if z > 0 else 0.2),
    "tanh": ({}, math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
    "sigmoid": ({}, scalar_sigmoid, lambda z: scalar_sigmoid(z) * (1.0 - scalar_sigmoid(z))),
}
Z_VALUES = np.array([[-3.0, -0.5, -1e-3, 0.0], [2e-3, 0.4, 1.5, 4.0]])


def test_every_activation_has_a_rule():
    assert set(ACTIVATIONS.names()) == set(ACTIVATION_RULES)


@pytest.mark.parametrize("name", sorted(ACTIVATION_RULES))
def test_activation_forward_and_backward(name):
    kwargs, g, g_prime = ACTIVATION_RULES[name]
    activation = ACTIVATIONS.get(name)(**kwargs)
    Z = Z_VALUES.copy()
    A = activation.forward(Z)
    np.testing.assert_array_equal(Z, Z_VALUES)  # forward leaves Z alone
    expected_A = np.vectorize(g)(Z_VALUES)
    np.testing.assert_allclose(A, expected_A, rtol=1e-14, atol=1e-300)
    dA = np.arange(1.0, 9.0).reshape(Z.shape)
    dZ = activation.backward(dA.copy(), Z, A)
    np.testing.assert_allclose(dZ, np.arange(1.0, 9.0).reshape(Z.shape) * np.vectorize(g_prime)(Z_VALUES),
                               rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", sorted(ACTIVATION_RULES))
def test_activation_backward_matches_central_differences(name):
    """Away from the kink, backward(1) equals (g(z + h) - g(z - h)) / 2h."""
    kwargs = ACTIVATION_RULES[name][0]
    activation = ACTIVATIONS.get(name)(**kwargs)
    Z = np.random.RandomState(0).randn(2, 4, 6)  # a stack of 2 models
    Z[np.abs(Z) < 1e-3] = 0.5
    h = 1e-6
    numeric = (activation.forward(Z + h) - activation.forward(Z - h)) / (2 * h)
    dZ = activation.backward(np.ones_like(Z), Z, activation.forward(Z))
    np.testing.assert_allclose(dZ, numeric, rtol=1e-7, atol=1e-9)


def test_leaky_relu_default_alpha():
    assert ACTIVATIONS.get("leaky_relu")().alpha == 0.01


def test_sigmoid_output_loss_and_prediction():
    Z = np.array([[-2.0, -0.3, 0.0, 0.7, 3.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    out = SigmoidOutput()
    A = out.forward(Z)
    a = np.array([scalar_sigmoid(z) for z in Z[0]])
    np.testing.assert_allclose(A[0], a, rtol=1e-14)
    expected = -sum(y * math.log(p) + (1 - y) * math.log(1 - p) for y, p in zip(Y[0], a))
    assert float(out.loss_sum(Z, A, Y)) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_array_equal(out.predict(A), [0, 0, 0, 1, 1])  # strict a > 0.5


def test_softmax_output_loss_and_prediction():
    Z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 0.6], [-1.0, 0.0, 0.2]])
    Y = np.eye(3)[:, [0, 2, 1]]
    out = SoftmaxOutput()
    A = out.forward(Z)
    E = np.array([[math.exp(z) for z in row] for row in Z])
    expected_A = E / E.sum(axis=0)
    np.testing.assert_allclose(A, expected_A, rtol=1e-14)
    expected_loss = -sum(math.log(expected_A[c, i]) for i, c in enumerate([0, 2, 1]))
    assert float(out.loss_sum(Z, A, Y)) == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_array_equal(out.predict(A), [0, 1, 1])
    # Large logits: no overflow, same answer as the shifted ones.
    np.testing.assert_allclose(out.forward(Z + 1000.0), expected_A, rtol=1e-12)


def test_output_for_class_count():
    assert isinstance(output_for(2), SigmoidOutput)
    assert isinstance(output_for(3), SoftmaxOutput)
