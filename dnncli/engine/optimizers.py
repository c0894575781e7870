"""Optimizers on the flat parameter vector theta, with g = dtheta (the mini-batch gradient).

Every rule below is the course's; where a peer differs, the docstring says how. The base
class owns the state slots (zeros shaped like theta), the step counter t (incremented
before each update, never reset) and ``step``; a subclass writes only ``update``. All
updates are in place, a handful of whole-vector NumPy operations whatever the depth.
Hyperparameters only appear in arithmetic, so scalars and per-model arrays both work.

A subclass gives its update as ops (:mod:`dnncli.engine.ops`): each operation writes into
a preallocated vector given as the ufunc's third positional argument, ``np.multiply(a, b,
out)`` (the same as ``out=out``, but cheaper to pass): on the tiny vectors of small networks
a step costs per call, not per element. ``fit`` builds a step's ops once and runs them at
every mini-batch, the learning rate read from an array it fills once per epoch. The order of
operations is the course's (so results match its code bit for bit), except in Adam, which
folds its bias corrections into two scalars (equal to rounding).
"""

from __future__ import annotations

import numpy as np

from dnncli.constraints import Beta, Epsilon, LearningRate
from dnncli.engine.ops import Op, copyto, run
from dnncli.engine.stack import reshape_hyperparameters
from dnncli.registry import Registry

OPTIMIZERS: Registry[type] = Registry("optimizers")


class Optimizer:
    """Base: ``slots`` names the state vectors the rule needs (all start at 0)."""

    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: LearningRate = 0.0007):
        self.learning_rate = learning_rate
        self.t = 0
        self.state: dict[str, np.ndarray] = {}
        self._tmp: np.ndarray | None = None

    def init_state(self, theta: np.ndarray) -> None:
        """Zero slots shaped like ``theta``; per-model hyperparameters (K,) become (K, 1)."""
        reshape_hyperparameters(self, trailing=1)
        # every slot is a row of one array, so that an update may treat them together (Adam)
        self._slots = np.zeros((len(self.slots),) + theta.shape)
        self.state = {name: self._slots[i] for i, name in enumerate(self.slots)}
        self._tmp = np.empty_like(theta)
        self.t = 0

    def step(self, theta: np.ndarray, g: np.ndarray, learning_rate) -> None:
        """One update of ``theta`` in place from the gradient ``g``."""
        run(self.step_ops(theta, g, np.asarray(learning_rate, dtype=np.float64)))

    def step_ops(self, theta: np.ndarray, g: np.ndarray, rate: np.ndarray) -> list[Op]:
        """The ops of one step: t += 1, then the update; ``rate`` is the learning rate, an array
        (0-d, or (K, 1) per model) that the caller may change between runs of the ops."""
        if self._tmp is None:
            self.init_state(theta)
        elif self._tmp.shape != theta.shape:
            raise ValueError(f"optimizer state is for shape {self._tmp.shape}, theta has {theta.shape}: call init_state")
        ops = self.update_ops(theta, g, rate)
        return [(self._advance, (rate,))] + ops

    def _advance(self, rate) -> None:
        self.t += 1

    def update_ops(self, theta: np.ndarray, g: np.ndarray, rate: np.ndarray) -> list[Op]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the step counter ``t`` and of every slot (``self.state``), for resuming."""
        return {"t": np.array(self.t), **{name: slot.copy() for name, slot in self.state.items()}}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Set ``t`` and the slots (in place: they are rows of one array); after ``init_state``."""
        for name, slot in self.state.items():
            if np.shape(arrays[name]) != slot.shape:
                raise ValueError(f"optimizer slot {name} has shape {np.shape(arrays[name])}, theta needs {slot.shape}")
            slot[...] = arrays[name]
        self.t = int(arrays["t"])


@OPTIMIZERS.register("gd")
class GradientDescent(Optimizer):
    """theta = theta - lr * g.  (Mini-batch GD or SGD depending on training.batch_size.)"""

    def update_ops(self, theta, g, rate):
        tmp = self._tmp
        return [(np.multiply, (g, rate, tmp)), (np.subtract, (theta, tmp, theta))]


@OPTIMIZERS.register("momentum")
class Momentum(Optimizer):
    """v = beta*v + (1-beta)*g;  theta = theta - lr*v.  beta 0.9.

    The course's averaging form. PyTorch's SGD momentum uses v = beta*v + g (no 1-beta),
    which is the same rule with a learning rate 1/(1-beta) times larger.
    """

    slots = ("v",)

    def __init__(self, learning_rate: LearningRate = 0.0007, beta: Beta = 0.9):
        super().__init__(learning_rate)
        self.beta = beta

    def update_ops(self, theta, g, rate):
        v, tmp, beta = self.state["v"], self._tmp, self.beta
        return [(np.multiply, (v, beta, v)),            # v = beta*v + (1-beta)*g
                (np.multiply, (g, 1 - beta, tmp)),
                (np.add, (v, tmp, v)),
                (np.multiply, (v, rate, tmp)),          # theta = theta - lr*v
                (np.subtract, (theta, tmp, theta))]


@OPTIMIZERS.register("nesterov")
class Nesterov(Momentum):
    """v = beta*v + (1-beta)*g;  theta = theta - lr*(beta*v + (1-beta)*g).  beta 0.9.

    Nesterov's look-ahead written on the current parameters (the form Keras and PyTorch use
    with ``nesterov=True``), in the course's averaging convention for v.
    """

    def init_state(self, theta):
        super().init_state(theta)
        self._tmp2 = np.empty_like(theta)

    def update_ops(self, theta, g, rate):
        v, tmp, tmp2, beta = self.state["v"], self._tmp, self._tmp2, self.beta
        return [(np.multiply, (g, 1 - beta, tmp)),      # v = beta*v + (1-beta)*g
                (np.multiply, (v, beta, v)),
                (np.add, (v, tmp, v)),
                (np.multiply, (v, beta, tmp2)),         # beta*v + (1-beta)*g
                (np.add, (tmp2, tmp, tmp2)),
                (np.multiply, (tmp2, rate, tmp2)),
                (np.subtract, (theta, tmp2, theta))]


@OPTIMIZERS.register("adagrad")
class AdaGrad(Optimizer):
    """s = s + g^2;  theta = theta - lr * g / (sqrt(s) + epsilon).  epsilon 1e-8.

    Keras starts s at 0.1 and uses epsilon 1e-7; PyTorch starts at 0 with epsilon 1e-10.
    """

    slots = ("s",)

    def __init__(self, learning_rate: LearningRate = 0.01, epsilon: Epsilon = 1e-8):
        super().__init__(learning_rate)
        self.epsilon = epsilon

    def update_ops(self, theta, g, rate):
        s, tmp = self.state["s"], self._tmp
        return [(np.multiply, (g, g, tmp)),             # s = s + g^2
                (np.add, (s, tmp, s))] + adaptive_step_ops(theta, g, s, self.epsilon, rate, tmp)


def adaptive_step_ops(theta, g, s, epsilon, rate, tmp) -> list[Op]:
    """theta = theta - lr * g / (sqrt(s) + epsilon), the step AdaGrad and RMSProp share."""
    return [(np.sqrt, (s, tmp)),
            (np.add, (tmp, epsilon, tmp)),
            (np.divide, (g, tmp, tmp)),
            (np.multiply, (tmp, rate, tmp)),
            (np.subtract, (theta, tmp, theta))]


@OPTIMIZERS.register("rmsprop")
class RMSProp(Optimizer):
    """s = beta*s + (1-beta)*g^2;  theta = theta - lr * g / (sqrt(s) + epsilon).

    beta 0.999, epsilon 1e-8 (the course's). Keras: rho 0.9, epsilon 1e-7; PyTorch:
    alpha 0.99, epsilon 1e-8 -- all with epsilon outside the square root, as here.
    """

    slots = ("s",)

    def __init__(self, learning_rate: LearningRate = 0.001, beta: Beta = 0.999, epsilon: Epsilon = 1e-8):
        super().__init__(learning_rate)
        self.beta, self.epsilon = beta, epsilon

    def update_ops(self, theta, g, rate):
        s, tmp, beta = self.state["s"], self._tmp, self.beta
        return [(np.multiply, (s, beta, s)),            # s = beta*s + (1-beta)*g^2
                (np.multiply, (g, g, tmp)),
                (np.multiply, (tmp, 1 - beta, tmp)),
                (np.add, (s, tmp, s))] + adaptive_step_ops(theta, g, s, self.epsilon, rate, tmp)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam with bias correction, epsilon outside the square root (the course's form):

    v = beta1*v + (1-beta1)*g;   v_hat = v / (1 - beta1^t)
    s = beta2*s + (1-beta2)*g^2; s_hat = s / (1 - beta2^t)
    theta = theta - lr * v_hat / (sqrt(s_hat) + epsilon)
    Defaults beta1 0.9, beta2 0.999, epsilon 1e-8 (Keras: epsilon 1e-7, applied to the
    uncorrected sqrt(s); PyTorch: 1e-8 as here).
    """

    slots = ("v", "s")

    def __init__(self, learning_rate: LearningRate = 0.0007, beta1: Beta = 0.9, beta2: Beta = 0.999,
                 epsilon: Epsilon = 1e-8):
        super().__init__(learning_rate)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def init_state(self, theta):
        super().init_state(theta)
        # v and s are the two rows of one array (the base class' slots), and so are g and g^2 and
        # the constant factors, so that one multiply and one add update both moments (two
        # operations fewer per step).
        self._g = np.empty(self._slots.shape)
        self._g_rows = (self._g[0], self._g[1])
        self._betas = np.stack([np.broadcast_to(self.beta1, theta.shape), np.broadcast_to(self.beta2, theta.shape)])
        self._one_minus_betas = 1 - self._betas
        self._lr_t = self._epsilon_t = None

    def update_ops(self, theta, g, rate):
        moments, G, (G_v, G_s), tmp = self._slots, self._g, self._g_rows, self._tmp
        v, s = self.state["v"], self.state["s"]
        shape = np.broadcast_shapes(np.shape(rate), np.shape(self.beta1), np.shape(self.beta2))
        if self._lr_t is None or self._lr_t.shape != shape:  # written by _advance, each step
            self._lr_t, self._epsilon_t = np.empty(shape), np.empty(shape)
        return [(copyto, (G_v, g)),                 # (v, s) = (beta1, beta2)*(v, s) + (1-beta1, 1-beta2)*(g, g^2)
                (np.multiply, (g, g, G_s)),
                (np.multiply, (moments, self._betas, moments)),
                (np.multiply, (G, self._one_minus_betas, G)),
                (np.add, (moments, G, moments)),
                (np.sqrt, (s, tmp)),                   # theta = theta - lr_t * v / (sqrt(s) + epsilon_t)
                (np.add, (tmp, self._epsilon_t, tmp)),
                (np.divide, (v, tmp, tmp)),
                (np.multiply, (tmp, self._lr_t, tmp)),
                (np.subtract, (theta, tmp, theta))]

    def _advance(self, rate):
        # The bias corrections folded into two factors per step (Kingma & Ba, section 2):
        # lr * v_hat / (sqrt(s_hat) + epsilon) == lr_t * v / (sqrt(s) + epsilon_t), with
        # lr_t = lr * sqrt(1-beta2^t) / (1-beta1^t) and epsilon_t = epsilon * sqrt(1-beta2^t),
        # two whole-vector operations fewer.
        self.t += 1
        root = (1 - self.beta2**self.t) ** 0.5
        if self._lr_t.ndim:  # a stack's (K, 1) factors, without temporary arrays
            np.multiply(rate, root, self._lr_t)
            np.divide(self._lr_t, 1 - self.beta1**self.t, self._lr_t)
            np.multiply(self.epsilon, root, self._epsilon_t)
        else:
            self._lr_t[...] = rate * root / (1 - self.beta1**self.t)
            self._epsilon_t[...] = self.epsilon * root


class Composite:
    """Several optimizers sharing one pass: each steps its own contiguous rows of a stack.

    ``parts`` is a list of (optimizer, K_i); rows are taken in that order. Every part sees the
    views ``theta[a:b]``, ``g[a:b]`` and ``learning_rate[a:b]``, so each member is updated by
    exactly the rule (and the operations) it would get alone.
    """

    def __init__(self, parts: list[tuple[Optimizer, int]]):
        self.parts, at = [], 0
        for optimizer, k in parts:
            self.parts.append((optimizer, slice(at, at + k)))
            at += k
        self.learning_rate = np.concatenate([np.broadcast_to(np.asarray(o.learning_rate, dtype=float), (s.stop - s.start,))
                                             for o, s in self.parts])

    def init_state(self, theta: np.ndarray) -> None:
        self.learning_rate = np.reshape(self.learning_rate, (-1, 1))
        for optimizer, rows in self.parts:
            optimizer.init_state(theta[rows])

    def step(self, theta: np.ndarray, g: np.ndarray, learning_rate) -> None:
        run(self.step_ops(theta, g, np.asarray(learning_rate, dtype=np.float64)))

    def step_ops(self, theta: np.ndarray, g: np.ndarray, rate: np.ndarray) -> list[Op]:
        lr = np.broadcast_to(rate, (theta.shape[0], 1))
        return [op for optimizer, rows in self.parts for op in optimizer.step_ops(theta[rows], g[rows], lr[rows])]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every part's state, its keys prefixed by the part's index (``0.t``, ``0.v``, ``1.t``, ...)."""
        return {f"{i}.{k}": v for i, (o, _) in enumerate(self.parts) for k, v in o.state_dict().items()}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        for i, (optimizer, _) in enumerate(self.parts):
            optimizer.load_state_dict({k[len(f"{i}."):]: v for k, v in arrays.items() if k.startswith(f"{i}.")})
