r"""Exercises for notebook 04 (gradient clipping).

1. :func:`check_clip_global_norm`: clip a whole gradient (a dict of arrays) to a global norm,
   :math:`g \leftarrow \mu\, g / \|g\|` when :math:`\|g\| > \mu`.
2. :func:`check_gradient_cosine`: the cosine between two gradients seen as single vectors.
3. :func:`check_clip_per_param`: clip every parameter's gradient to norm ``max_norm`` on its own.

Gradients are dicts ``{name: array}``, as rnnlib's ``backward`` returns them. Each check runs the
learner's function on fresh inputs beside the reference ``solution_*``, prints what it found and
never raises (see :func:`rnnlib.exercises.run_check`).
"""

from __future__ import annotations

import copy

import numpy as np

from ._feedback import CheckResult, run_check

# ---------------------------------------------------------------------------------------------
# Fresh gradients


def _grads(rng, scale):
    return {"weight_ih": scale * rng.standard_normal((4, 3)),
            "weight_hh": scale * rng.standard_normal((4, 4)),
            "bias": scale * rng.standard_normal(4),
            "out.weight": 0.1 * scale * rng.standard_normal((2, 4))}


def _clip_cases():
    rng = np.random.default_rng(404)
    return [(_grads(rng, 10.0), 1.0),      # far above the threshold
            (_grads(rng, 0.05), 1.0),      # below: nothing changes
            (_grads(rng, 1.0), 2.5),       # total above, some parameters below
            (_grads(rng, 300.0), 0.5)]


def _dict_check(name, learner_fn, reference_fn, cases, hint, quiet):
    """run_check for functions that return a dict of arrays like their first argument: the
    dict is handed to run_check as a tuple in the input's key order."""
    keys = list(cases[0][0])
    try:                                   # a dict with the wrong keys gets its own message
        with np.errstate(all="ignore"):
            first = learner_fn(*copy.deepcopy(cases[0])) if callable(learner_fn) else None
    except Exception:                      # run_check reports exceptions (and stubs) itself
        first = None
    text = None
    if isinstance(first, dict) and set(first) != set(keys):
        text = (f"❌ {name}: your function returned a dict with keys {sorted(first)}, expected "
                f"the same keys as the input, {sorted(keys)}.\n   Hint: {hint}")
    elif first is not None and not isinstance(first, dict):
        text = (f"❌ {name}: your function returned a {type(first).__name__}, expected a dict "
                f"{{name: array}} with the same keys as the input.\n   Hint: {hint}")
    if text is not None:
        if not quiet:
            print(text)
        return CheckResult(False, "type", text, 1)

    def as_tuple(fn):
        def wrapped(*args):
            out = fn(*args)
            return tuple(out[k] for k in keys) if isinstance(out, dict) else out
        return wrapped

    run_learner = as_tuple(learner_fn) if callable(learner_fn) else learner_fn
    return run_check(name, run_learner, as_tuple(reference_fn), cases, hint=hint,
                     output_names=[f"the gradient of {k!r}" for k in keys], quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 1. Global norm clipping


def solution_clip_global_norm(grads, max_norm):
    """A clipped copy of ``grads``: all parameters rescaled together so that their global norm
    is at most ``max_norm`` (Pascanu et al. 2013). The direction is unchanged."""
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))    # one norm for everything
    scale = max_norm / total if total > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}


def check_clip_global_norm(clip_global_norm, quiet=False):
    """Check ``clip_global_norm(grads, max_norm) -> dict`` on four fresh gradients."""
    return _dict_check(
        "clip_global_norm", clip_global_norm, solution_clip_global_norm, _clip_cases(),
        hint="compute ONE norm over all parameters together, sqrt(sum of all squared entries); "
             "if it exceeds max_norm multiply every array by max_norm / norm, otherwise return "
             "the gradients unchanged. Return a dict with the same keys.", quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 2. The cosine between two gradients


def solution_gradient_cosine(g1, g2):
    """cos of the angle between two gradients (dicts with the same keys), each flattened into
    one long vector: 1 means the same direction."""
    a = np.concatenate([g1[k].ravel() for k in g1])
    b = np.concatenate([g2[k].ravel() for k in g1])                  # the same key order
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _cosine_cases():
    rng = np.random.default_rng(405)
    cases = []
    for scale in (1.0, 50.0):
        g = _grads(rng, scale)
        noisy = {k: v + scale * rng.standard_normal(v.shape) for k, v in g.items()}
        cases.append((g, noisy))
        cases.append((g, {k: np.clip(v, -0.5 * scale, 0.5 * scale) for k, v in g.items()}))
    g = _grads(rng, 1.0)
    cases.append((g, {k: -3.0 * v for k, v in g.items()}))            # opposite: -1
    return cases


def check_gradient_cosine(gradient_cosine, quiet=False):
    """Check ``gradient_cosine(g1, g2) -> float`` on five pairs of gradients."""
    return run_check(
        "gradient_cosine", gradient_cosine, solution_gradient_cosine, _cosine_cases(),
        hint="flatten each dict into one vector (np.concatenate of every array's ravel(), in "
             "the same key order for both), then cos = a @ b / (||a|| ||b||). Averaging one "
             "cosine per parameter is not the same thing.", output_names=["cosine"], quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 3. Per-parameter clipping


def solution_clip_per_param(grads, max_norm):
    """A clipped copy of ``grads``: each parameter's gradient rescaled on its own to norm at most
    ``max_norm``. Each block keeps its direction; the whole gradient's direction changes."""
    out = {}
    for name, g in grads.items():
        norm = np.sqrt(np.sum(g ** 2))                 # this parameter's norm only
        out[name] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return out


def check_clip_per_param(clip_per_param, quiet=False):
    """Check ``clip_per_param(grads, max_norm) -> dict`` on four fresh gradients."""
    return _dict_check(
        "clip_per_param", clip_per_param, solution_clip_per_param, _clip_cases(),
        hint="loop over the parameters; for each array compute its own norm and rescale it to "
             "max_norm only if that norm is larger. Return a dict with the same keys.",
        quiet=quiet)
