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

    def __init__(self, params: dict[str, np.ndarray], lr: float):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.params, self.lr, self.state, self.steps = params, float(lr), {}, 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        _check_grads(self.params, grads)
        self.steps += 1
        for k, p in self.params.items():
            self._update(k, p, np.asarray(grads[k], dtype=p.dtype))

    def _update(self, key, p, g):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * v, where v = g (plain) or v = momentum * v + g (heavy ball, as PyTorch)."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0):
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


def _check_eps(eps) -> float:
    """eps keeps a division away from zero: it must be a positive, finite number."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not 0 < eps < np.inf:
        raise ValueError(f"eps must be a positive finite number (e.g. 1e-8), got {eps!r}: "
                         "with eps = 0 a zero gradient gives 0 / 0 = NaN")
    return float(eps)


class Adagrad(Optimizer):
    """p -= lr * g / (sqrt(sum of past g^2) + eps): each weight gets its own, shrinking step.
    (min-char-rnn's optimiser; eps = 1e-10 as in PyTorch.)"""

    def __init__(self, params: dict[str, np.ndarray], lr: float = 0.01, eps: float = 1e-10):
        super().__init__(params, lr)
        self.eps = _check_eps(eps)

    def _update(self, key, p, g):
        s = self.state.setdefault(key, np.zeros_like(p))
        s += g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, exactly as ``torch.optim.Adam``."""

    def __init__(self, params: dict[str, np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        try:
            beta1, beta2 = (float(b) for b in betas)
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}") from None
        for name, b in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1) (the bias correction divides by "
                                 f"1 - beta^t), got {b!r}")
        self.beta1, self.beta2 = beta1, beta2
        self.eps = _check_eps(eps)

    def _update(self, key, p, g):
        m, v = self.state.setdefault(key, (np.zeros_like(p), np.zeros_like(p)))
        m *= self.beta1
        m += (1 - self.beta1) * g                 # running mean of g
        v *= self.beta2
        v += (1 - self.beta2) * g * g             # running mean of g^2
        bc1, bc2 = 1 - self.beta1 ** self.steps, 1 - self.beta2 ** self.steps
        p -= (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + self.eps)


# ---- clipping --------------------------------------------------------------------------------

def _sum_of_squares(grads) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values()))


def _scaled_norm(grads) -> tuple[float, float]:
    """(m, r) with ||g|| = m * r, m the largest |entry|: r is computed from g / m, whose squares
    cannot overflow, so r is exact even when ||g|| itself is beyond float64 (about 1.8e308)."""
    m = max(float(np.max(np.abs(g), initial=0.0)) for g in grads.values())
    if m == 0.0:
        return 0.0, 0.0
    with np.errstate(under="ignore"):
        r = float(np.sqrt(sum(np.sum(np.square(np.asarray(g, dtype=np.float64) / m))
                              for g in grads.values())))
    return m, r


def global_norm(grads: dict[str, np.ndarray]) -> float:
    """The L2 norm of all gradients together, as if they were one long vector.

    Finite gradients give their norm even when the squares overflow (e.g. entries of 1e300);
    inf when the norm itself exceeds float64's range; inf or NaN gradients give inf or NaN (no
    warning): :func:`clip_grad_norm` refuses those."""
    total = _sum_of_squares(grads)
    if np.isfinite(total):
        return float(np.sqrt(total))
    if not all(np.isfinite(g).all() for g in grads.values()):
        return float(np.sqrt(total))            # inf or NaN in the gradients themselves
    m, r = _scaled_norm(grads)                  # finite gradients whose squares overflowed
    with np.errstate(over="ignore"):
        return m * r


def _check_clip_grads(grads, name) -> None:
    """Gradients to clip in place: a dict of float numpy arrays with finite entries."""
    if not isinstance(grads, dict):
        raise ValueError(f"grads must be a dict of name -> numpy array, got {type(grads).__name__}")
    for k, g in grads.items():
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            what = type(g).__name__ if not isinstance(g, np.ndarray) else f"array of {g.dtype}"
            raise ValueError(f"gradient of {k!r} must be a float numpy array ({name} works in "
                             f"place), got {what}; convert it with np.asarray(g, dtype=float)")
        if not np.isfinite(g).all():
            raise NonFiniteError(f"gradient of {k!r} contains inf or NaN: training has diverged, "
                                 "and no clipping can repair that. Try a smaller learning rate, "
                                 "or clip earlier")


def _check_threshold(value, name) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0 < value < np.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _clip_to_norm(grads, max_norm) -> float:
    """Scale ``grads`` (finite) by max_norm / (||g|| + 1e-6) if that is below 1; return ||g||."""
    total = _sum_of_squares(grads)
    if np.isfinite(total):
        total = float(np.sqrt(total))
        coef = max_norm / (total + 1e-6)
        if coef < 1.0:
            for g in grads.values():
                g *= coef
        return total
    # The squares overflowed: the same factor, computed from ||g|| = m r without forming it.
    m, r = _scaled_norm(grads)
    coef = (max_norm / m) / (r + 1e-6 / m)
    for g in grads.values():
        g *= coef
    with np.errstate(over="ignore"):
        return m * r


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    g <- g * max_norm / (||g|| + 1e-6) when that factor is below 1 (PyTorch's
    ``clip_grad_norm_``). The direction is kept. In place; returns the norm *before* clipping
    (inf if it is beyond float64's range; the gradients are still scaled correctly).

    Raises:
        NonFiniteError: a gradient holds inf or NaN (training has diverged).
        ValueError: ``max_norm`` not positive, or gradients that are not float arrays.
    """
    max_norm = _check_threshold(max_norm, "max_norm")
    _check_clip_grads(grads, "clip_grad_norm")
    return _clip_to_norm(grads, max_norm)


def clip_grad_norm_per_param(grads: dict[str, np.ndarray], max_norm: float
                             ) -> dict[str, float]:
    """Clip each parameter's gradient to norm ``max_norm`` on its own (each keeps its direction,
    but the whole gradient's direction changes). In place; returns each norm before clipping."""
    max_norm = _check_threshold(max_norm, "max_norm")
    _check_clip_grads(grads, "clip_grad_norm_per_param")
    return {k: _clip_to_norm({k: g}, max_norm) for k, g in grads.items()}


def clip_grad_value(grads: dict[str, np.ndarray], clip_value: float) -> None:
    """Clip every element to [-clip_value, clip_value] (min-char-rnn's +-5). In place. This
    changes the gradient's direction whenever some elements are clipped and others not."""
    clip_value = _check_threshold(clip_value, "clip_value")
    _check_clip_grads(grads, "clip_grad_value")
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)
