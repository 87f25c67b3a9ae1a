"""Finite-difference gradient checking.

Central differences, (f(p + eps) - f(p - eps)) / (2 eps), for every entry of every parameter,
compared with an analytic gradient by a relative error. The checker is pure: ``f`` receives a
dict of arrays and must compute with *that* dict (e.g. through ``module.with_params(p)``); the
caller's arrays are never modified, not even temporarily.
"""

from __future__ import annotations

import numpy as np


def relative_error(analytic, numeric) -> float:
    """||a - n|| / (||a|| + ||n||), 0 when both are zero. In float64 with eps = 1e-6, a correct
    backward pass gives about 1e-10; above 1e-7 something is wrong."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"analytic has shape {a.shape} but numeric has shape {n.shape}: "
                         "relative_error compares two arrays of the same shape, entry by entry")
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - n) / denom)


def numerical_gradient(f, params, eps=1e-6, keys=None):
    """dict of finite-difference gradients of the scalar ``f(params)``, one per key.

    Args:
        f: function of a dict of arrays returning a float.
        params: dict of float64 arrays (not modified).
        eps: the step, a positive finite number (1e-6 suits float64).
        keys: which entries to differentiate (default: all).
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not 0 < eps < np.inf:
        raise ValueError(f"eps must be a positive finite number (1e-6 suits float64), got "
                         f"{eps!r}: the difference quotient divides by 2 eps")
    trial = dict(params)
    grads = {}
    for key in (params if keys is None else keys):
        work = np.array(params[key], dtype=np.float64, copy=True)
        trial[key] = work
        grad = np.zeros_like(work)
        for idx in np.ndindex(work.shape):
            old = work[idx]
            work[idx] = old + eps
            f_plus = f(trial)
            work[idx] = old - eps
            f_minus = f(trial)
            work[idx] = old
            grad[idx] = (f_plus - f_minus) / (2 * eps)
        grads[key] = grad
        trial[key] = params[key]
    return grads


def gradcheck(f, params, analytic, eps=1e-6):
    """Relative error of each analytic gradient against finite differences.

    Returns:
        dict key -> relative error, for every key of ``analytic``.
    """
    numeric = numerical_gradient(f, params, eps, keys=list(analytic))
    return {k: relative_error(analytic[k], numeric[k]) for k in analytic}


def _state_dot(a, b):
    """Sum of products over nested tuples / lists of arrays (a state and its gradient)."""
    if a is None or b is None:
        return 0.0
    if isinstance(a, (tuple, list)):
        return sum(_state_dot(u, v) for u, v in zip(a, b))
    return float(np.sum(a * b))


def _random_like(state, rng):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(_random_like(s, rng) for s in state)
    return rng.standard_normal(np.shape(state))


def check_module(module, x, state0=None, seed=0, eps=1e-6):
    """Gradient check of any module with forward/backward: every parameter, the input and the
    initial state, for the scalar L = sum(dys * ys) + sum(dstate * state) with random dys, dstate.

    Returns:
        dict name -> relative error: the parameters' names, plus "x" and "state0" (when given).
    """
    rng = np.random.default_rng(seed)
    ys, state, cache = module.forward(x, state0)
    dys = rng.standard_normal(ys.shape)
    dstate = _random_like(state, rng)
    dx, dstate0, grads = module.backward(dys, cache, dstate)

    def loss(mod, xx, s0):
        ys_, st_, _ = mod.forward(xx, s0)
        return float(np.sum(ys_ * dys)) + _state_dot(st_, dstate)

    errors = gradcheck(lambda p: loss(module.with_params(p), x, state0), module.params, grads, eps)
    errors["x"] = gradcheck(lambda d: loss(module, d["x"], state0), {"x": np.asarray(x, float)},
                            {"x": dx}, eps)["x"]
    if state0 is not None:
        flat0, flat_d = _flatten(state0), _flatten(dstate0)
        names = [f"s{i}" for i in range(len(flat0))]
        errs = gradcheck(lambda d: loss(module, x, _unflatten(state0, [d[n] for n in names])),
                         dict(zip(names, flat0)), dict(zip(names, flat_d)), eps)
        errors["state0"] = max(errs.values())
    return errors


def _flatten(state):
    if isinstance(state, (tuple, list)):
        return [a for s in state for a in _flatten(s)]
    return [np.asarray(state, dtype=np.float64)]


def _unflatten(template, flat):
    it = iter(flat)

    def build(t):
        if isinstance(t, (tuple, list)):
            return type(t)(build(s) for s in t)
        return next(it)
    return build(template)
