"""Optimisers and gradient clipping on plain dicts of arrays (``params`` and ``grads``).

The update rules are PyTorch's (``torch.optim.SGD``, ``Adagrad``, ``Adam`` with their default
options) and the clipping is ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``:
the tests check both against PyTorch.
"""

from __future__ import annotations

import numpy as np

from ._checks import NonFiniteError


def _check_grads(params, grads):
    if set(grads) != set(params):
        raise ValueError(f"grads have keys {sorted(grads)}, expected the parameters' keys "
                         f"{sorted(params)}")
    for k, g in grads.items():
        if np.shape(g) != params[k].shape:
            raise ValueError(f"gradient of {k!r} has shape {np.shape(g)}, "
                             f"expected {params[k].shape}")
        if not np.all(np.isfinite(g)):
            raise NonFiniteError(f"gradient of {k!r} contains inf or NaN: training has diverged. "
                             "Try a smaller learning rate or gradient clipping.")


class Optimizer:
    """Updates ``params`` in place from ``grads`` (dicts with the same keys)."""

    def __init__(self, params, lr):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.params, self.lr, self.state, self.steps = params, float(lr), {}, 0

    def step(self, grads):
        _check_grads(self.params, grads)
        self.steps += 1
        for k, p in self.params.items():
            self._update(k, p, np.asarray(grads[k], dtype=p.dtype))

    def _update(self, key, p, g):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * v, where v = g (plain) or v = momentum * v + g (heavy ball, as PyTorch)."""

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _update(self, key, p, g):
        if self.momentum:
            v = self.state.get(key)
            v = g.copy() if v is None else self.momentum * v + g
            self.state[key] = v
            g = v
        p -= self.lr * g


class Adagrad(Optimizer):
    """p -= lr * g / (sqrt(sum of past g^2) + eps): each weight gets its own, shrinking step.
    (min-char-rnn's optimiser; eps = 1e-10 as in PyTorch.)"""

    def __init__(self, params, lr=0.01, eps=1e-10):
        super().__init__(params, lr)
        self.eps = float(eps)

    def _update(self, key, p, g):
        s = self.state.setdefault(key, np.zeros_like(p))
        s += g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, exactly as ``torch.optim.Adam``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = map(float, betas)
        self.eps = float(eps)

    def _update(self, key, p, g):
        m, v = self.state.setdefault(key, (np.zeros_like(p), np.zeros_like(p)))
        m *= self.beta1
        m += (1 - self.beta1) * g                 # running mean of g
        v *= self.beta2
        v += (1 - self.beta2) * g * g             # running mean of g^2
        bc1, bc2 = 1 - self.beta1 ** self.steps, 1 - self.beta2 ** self.steps
        p -= (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + self.eps)


# ---- clipping --------------------------------------------------------------------------------

def global_norm(grads) -> float:
    """The L2 norm of all gradients together, as if they were one long vector."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))


def clip_grad_norm(grads, max_norm) -> float:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    g <- g * max_norm / (||g|| + 1e-6) when that factor is below 1 (PyTorch's
    ``clip_grad_norm_``). The direction is kept. In place; returns the norm *before* clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}")
    total = global_norm(grads)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        with np.errstate(invalid="ignore"):
            for g in grads.values():
                g *= coef
    return total


def clip_grad_norm_per_param(grads, max_norm) -> dict:
    """Clip each parameter's gradient to norm ``max_norm`` on its own (each keeps its direction,
    but the whole gradient's direction changes). In place; returns each norm before clipping."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}")
    norms = {}
    for k, g in grads.items():
        norms[k] = global_norm({k: g})
        coef = max_norm / (norms[k] + 1e-6)
        if coef < 1.0:
            g *= coef
    return norms


def clip_grad_value(grads, clip_value) -> None:
    """Clip every element to [-clip_value, clip_value] (min-char-rnn's +-5). In place. This
    changes the gradient's direction whenever some elements are clipped and others not."""
    if not clip_value > 0:
        raise ValueError(f"clip_value must be positive, got {clip_value!r}")
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)
