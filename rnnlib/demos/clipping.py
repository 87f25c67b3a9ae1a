r"""Numbers for notebook 04 (gradient clipping).

Three parts, each on rnnlib's own layers, losses, optimisers and clipping functions:

* :func:`compare_clippings`: one real exploding gradient clipped three ways (global norm,
  per-parameter norm, element-wise value) and the cosine between raw and clipped gradient.
* The *cliff*: a one-unit RNN :math:`h_t = \tanh(w\, h_{t-1} + b)` whose loss over the
  :math:`(w, b)` plane has a steep wall (after Pascanu, Mikolov & Bengio 2013, Fig. 6), and
  gradient descent paths across it with and without clipping (:func:`cliff_surface`,
  :func:`descent_path`).
* :func:`train_forecaster`: a small RNN trained on the river-level series
  (:func:`river_forecasting_task`) with and without clipping; a run that overflows is stopped
  and the step is recorded. :func:`describe_run` puts a run's outcome into words that hold on
  every machine (training paths that clip make discrete decisions, so their exact numbers do
  not), and :func:`step_size_runs` measures how long the steps of plain SGD, SGD with momentum
  and Adam are under the same norm clipping.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from .. import _checks, analysis, data
from ..layers import RNN
from ..losses import mse_loss
from ..networks import ElmanNetwork
from ..optim import (
    SGD,
    Adam,
    clip_grad_norm,
    clip_grad_norm_per_param,
    clip_grad_value,
    global_norm,
)

__all__ = [
    "METHODS",
    "flatten",
    "cosine",
    "clip_copy",
    "toy_clipping",
    "exploding_gradient",
    "compare_clippings",
    "CLIFF",
    "cliff_layer",
    "cliff_loss_grad",
    "cliff_final_state",
    "cliff_surface",
    "cliff_section",
    "descent_path",
    "river_forecasting_task",
    "train_forecaster",
    "describe_run",
    "step_size_runs",
    "OPTIMIZERS",
]

#: the three clippings: name -> (label, rnnlib function)
METHODS = {
    "global": ("global norm", clip_grad_norm),
    "per_param": ("per-parameter norm", clip_grad_norm_per_param),
    "value": ("element-wise value", clip_grad_value),
}


# ---------------------------------------------------------------------------------------------
# Three clippings of one gradient


def flatten(grads) -> np.ndarray:
    """All entries of a gradient dict as one vector (in the dict's key order)."""
    return np.concatenate([np.ravel(g) for g in grads.values()])


def cosine(g1, g2) -> float:
    """cos of the angle between two gradients (dicts with the same keys), each seen as one long
    vector: 1 = same direction."""
    a, b = flatten(g1), flatten(g2)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def clip_copy(grads, method, threshold):
    """A clipped copy of ``grads`` (rnnlib's clipping functions work in place)."""
    clipped = copy.deepcopy(grads)
    METHODS[method][1](clipped, threshold)
    return clipped


def toy_clipping(g=(6.0, 1.0), threshold=2.0):
    """A 2-D gradient clipped by norm and by value, through rnnlib's functions.

    The two coordinates are two one-number parameters ``a`` and ``b``, so per-parameter norm
    clipping clips each coordinate on its own: for scalars it *is* value clipping.

    Returns:
        dict with ``raw``, ``global``, ``per_param``, ``value`` (each a (2,) array) and
        ``angle`` {method: angle to ``raw`` in degrees}.
    """
    raw = {"a": np.array([float(g[0])]), "b": np.array([float(g[1])])}
    out = {"raw": flatten(raw), "threshold": float(threshold), "angle": {}}
    for method in METHODS:
        clipped = clip_copy(raw, method, threshold)
        out[method] = flatten(clipped)
        c = min(1.0, cosine(raw, clipped))
        out["angle"][method] = float(np.degrees(np.arccos(c)))
    return out


def exploding_gradient(rho=1.2, H=16, T=30, seed=0):
    """A real exploding gradient: an Elman network (ReLU, ``H`` units, a linear head) whose
    W_hh is rescaled to spectral radius ``rho``, on the river-level forecasting windows
    (:func:`river_forecasting_task`), loss = MSE over all steps.

    Returns:
        grads (dict, PyTorch-style names like ``rnn.weight_hh``) and the loss.
    """
    x, y, _ = river_forecasting_task(T)
    net = ElmanNetwork(1, H, 1, nonlinearity="relu", seed=seed)
    net.rnn.params["weight_hh"][...] = analysis.random_recurrent_matrix(H, rho, seed=seed)
    ys, _, cache = net.forward(x)
    loss, dys = mse_loss(ys, y, reduction="mean")
    _, _, grads = net.backward(dys, cache)
    return grads, loss


def compare_clippings(grads, threshold):
    """Clip ``grads`` by global norm, per-parameter norm and value, all at ``threshold``.

    Returns:
        dict: ``raw_norm``, ``raw_param_norms`` {name: norm}, and for each method a dict with
        ``label``, ``norm`` (global norm after), ``param_norms``, ``cosine`` (with the raw
        gradient), ``angle`` (degrees) and ``clipped_fraction`` (entries changed).
    """
    raw = flatten(grads)
    out = {
        "raw_norm": global_norm(grads),
        "threshold": float(threshold),
        "raw_param_norms": {k: float(np.linalg.norm(v)) for k, v in grads.items()},
        "methods": {},
    }
    for method, (label, _) in METHODS.items():
        clipped = clip_copy(grads, method, threshold)
        c = cosine(grads, clipped)
        out["methods"][method] = {
            "label": label,
            "norm": global_norm(clipped),
            "cosine": c,
            "angle": float(np.degrees(np.arccos(min(1.0, c)))),
            "param_norms": {k: float(np.linalg.norm(v)) for k, v in clipped.items()},
            "clipped_fraction": float(np.mean(flatten(clipped) != raw)),
            "grads": clipped,
        }
    return out


# ---------------------------------------------------------------------------------------------
# The cliff: a one-unit RNN's loss over (w, b)

#: the one-unit problem: h_t = tanh(w h_{t-1} + b), h_0 = 0.5, zero input, T = 10 steps,
#: loss (h_T - 0.7)^2
CLIFF = {"T": 10, "h0": 0.5, "target": 0.7}
#: the part of the (w, b) plane the figures show
CLIFF_BOX = {"w": (0.5, 3.5), "b": (-1.5, 1.0)}


def cliff_layer(w, b):
    """The one-unit tanh RNN with recurrent weight ``w`` and bias ``b`` (input weight 0)."""
    layer = RNN(1, 1, nonlinearity="tanh", seed=0)
    layer.params["weight_ih"][...] = 0.0
    layer.params["weight_hh"][...] = w
    layer.params["bias_ih"][...] = b
    layer.params["bias_hh"][...] = 0.0
    return layer


def _cliff_forward_backward(layer, T, h0, target):
    x = np.zeros((T, 1, 1))
    hs, _, cache = layer.forward(x, np.full((1, 1), h0))
    err = hs[-1, 0, 0] - target
    dhs = np.zeros_like(hs)
    dhs[-1] = 2.0 * err
    _, _, grads = layer.backward(dhs, cache)
    grads["weight_ih"][...] = 0.0  # w and b are the only parameters that move:
    grads["bias_hh"][...] = 0.0  # b is bias_ih (bias_hh stays 0)
    return float(err * err), grads


def cliff_loss_grad(w, b, T=CLIFF["T"], h0=CLIFF["h0"], target=CLIFF["target"]):
    """Loss (h_T - target)^2 and its gradient (dL/dw, dL/db), by BPTT through rnnlib's RNN."""
    loss, grads = _cliff_forward_backward(cliff_layer(w, b), T, h0, target)
    return loss, np.array([grads["weight_hh"][0, 0], grads["bias_ih"][0]])


def cliff_final_state(w, b, T=CLIFF["T"], h0=CLIFF["h0"]):
    """h_T of the cliff's one-unit RNN, by rnnlib's forward pass."""
    hs, _, _ = cliff_layer(w, b).forward(np.zeros((T, 1, 1)), np.full((1, 1), h0))
    return float(hs[-1, 0, 0])


@functools.lru_cache(maxsize=8)
def cliff_surface(
    n_w=121,
    n_b=101,
    T=CLIFF["T"],
    h0=CLIFF["h0"],
    target=CLIFF["target"],
    w_range=CLIFF_BOX["w"],
    b_range=CLIFF_BOX["b"],
):
    """The loss over a grid of (w, b), computed once and cached (the arrays are read-only).

    The recurrence is run on the whole grid at once in numpy, h <- tanh(w h + b); the tests
    check it against rnnlib's RNN point by point.

    Returns:
        dict with ``w`` (n_w,), ``b`` (n_b,) and ``loss`` (n_b, n_w): rows are b, columns w.
    """
    w = np.linspace(*w_range, n_w)
    b = np.linspace(*b_range, n_b)
    W, B = np.meshgrid(w, b)
    h = np.full(W.shape, float(h0))
    for _ in range(T):
        h = np.tanh(W * h + B)
    loss = (h - target) ** 2
    for arr in (w, b, loss):
        arr.setflags(write=False)
    return {"w": w, "b": b, "loss": loss, "T": T, "h0": h0, "target": target}


def cliff_section(w=2.0, b_range=(-1.0, 0.5), n=301, **problem):
    """Loss and |dL/db| along the line w = const, b in ``b_range``, by BPTT at every point."""
    b = np.linspace(*b_range, n)
    loss, grad = np.empty(n), np.empty(n)
    for i, bi in enumerate(b):
        loss[i], g = cliff_loss_grad(w, bi, **problem)
        grad[i] = abs(g[1])
    k = int(np.argmax(grad))
    return {
        "w": float(w),
        "b": b,
        "loss": loss,
        "grad_b": grad,
        "b_steepest": float(b[k]),
        "steepest": float(grad[k]),
    }


def descent_path(start=(2.0, -0.2), lr=0.2, steps=40, max_norm=None, escape=1e3, **problem):
    """Gradient descent on the cliff problem with rnnlib's ``SGD`` and (optionally)
    ``clip_grad_norm``, the way a training loop would use them.

    Args:
        start: (w, b) to start from; lr: learning rate; steps: number of updates;
        max_norm: clip the gradient to this global norm first (None: no clipping);
        escape: stop when |w| or |b| exceeds this (the path has been thrown away).

    Returns:
        dict with ``points`` (n+1, 2) the (w, b) visited, ``losses`` (n+1,), ``norms`` (n,) the
        gradient norms *before* clipping, ``clipped`` (n,) bool, ``max_norm``, ``lr``, and
        ``biggest_step``: the longest single move in the (w, b) plane.
    """
    steps = _checks.check_positive_int(steps, "steps")
    T, h0, target = (problem.get(k, CLIFF[k]) for k in ("T", "h0", "target"))
    layer = cliff_layer(*start)
    opt = SGD(layer.params, lr=lr)
    points = [tuple(map(float, start))]
    losses, norms, clipped = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            loss, grads = _cliff_forward_backward(layer, T, h0, target)
            losses.append(loss)
            if max_norm is None:
                norms.append(global_norm(grads))
                clipped.append(False)
            else:
                norms.append(clip_grad_norm(grads, max_norm))
                clipped.append(norms[-1] > max_norm)
            opt.step(grads)
            p = (float(layer.params["weight_hh"][0, 0]), float(layer.params["bias_ih"][0]))
            points.append(p)
            if max(abs(p[0]), abs(p[1])) > escape:
                break
        losses.append(_cliff_forward_backward(layer, T, h0, target)[0])
    pts = np.array(points)
    moves = np.hypot(*np.diff(pts, axis=0).T)
    return {
        "points": pts,
        "losses": np.array(losses),
        "norms": np.array(norms),
        "clipped": np.array(clipped),
        "max_norm": max_norm,
        "lr": float(lr),
        "biggest_step": float(moves.max()),
        "biggest_step_at": int(np.argmax(moves)),
    }


# ---------------------------------------------------------------------------------------------
# Training a small RNN with and without clipping


@functools.lru_cache(maxsize=4)
def _river_windows(T, n_days, seed):
    series = data.river_levels(n_days, seed=seed)
    series = (series - series.mean()) / series.std()  # standardised: mean 0, std 1
    x, y = data.forecasting_windows(series, T)
    for arr in (x, y):
        arr.setflags(write=False)
    return x, y


def river_forecasting_task(T=30, n_days=3 * 365, seed=0):
    """Next-day forecasting of the synthetic river level: three years of
    :func:`rnnlib.data.river_levels`, standardised, cut into windows of ``T`` days; the target
    of every day is the next day's level.

    Returns:
        x, y: (T, n_windows, 1) read-only arrays; and the mean squared error of the
        *persistence* forecast "tomorrow = today", the baseline a model should beat.
    """
    x, y = _river_windows(T, n_days, seed)
    return x, y, float(np.mean((y - x) ** 2))


def _nonfinite(arrays):
    inf = sum(int(np.isinf(a).sum()) for a in arrays)
    nan = sum(int(np.isnan(a).sum()) for a in arrays)
    return {"inf": inf, "nan": nan}


#: the optimisers :func:`train_forecaster` can use: name -> label
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}


def train_forecaster(
    lr=0.5,
    max_norm=None,
    steps=300,
    momentum=0.9,
    H=16,
    T=30,
    seed=0,
    nonlinearity="relu",
    optimizer=None,
    betas=(0.9, 0.999),
):
    """Train an Elman network (``H`` ReLU units, linear head) on :func:`river_forecasting_task`
    with full-batch SGD with momentum (or Adam), clipping the gradient's global norm to
    ``max_norm`` (None: no clipping).

    A run whose numbers overflow is stopped: rnnlib refuses non-finite inputs, states and
    gradients with a :class:`rnnlib.NonFiniteError` (the optimiser's says "training has
    diverged"), and a loss that overflows to inf is caught here. The step and the message are
    recorded.

    Args:
        optimizer: "sgd" (plain, momentum ignored), "momentum" (SGD with ``momentum``), "adam"
            (:class:`rnnlib.Adam` with ``betas``; momentum ignored), or None: "momentum" if
            ``momentum`` > 0, else "sgd".

    Returns:
        dict with ``losses`` (steps,) the training loss before each update (NaN after a
        divergence), ``norms`` (steps,) the gradient norm before clipping (NaN after),
        ``step_norms`` (steps,) the length of each update, ||theta_new - theta_old|| over all
        parameters, and ``step_max`` (steps,) its largest entry in absolute value (NaN after a
        divergence), ``diverged_at`` (the step index or None), ``reason`` (the message),
        ``nonfinite`` (at that moment: {"inf": count, "nan": count, "where": "parameters" or
        "hidden states"} and, for hidden states, ``first_inf_t`` / ``first_nan_t``, the first
        time step of the sequence holding an inf / a NaN), ``clipped_steps`` (how many updates
        were clipped), ``dead_units`` (ReLU units that output 0 on every step of every window
        after training, None after a divergence), ``baseline`` (persistence MSE), ``max_norm``,
        ``lr``, ``momentum``, ``optimizer``, ``H``, ``steps``.
    """
    steps = _checks.check_positive_int(steps, "steps")
    if optimizer is None:
        optimizer = "momentum" if momentum else "sgd"
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    x, y, baseline = river_forecasting_task(T)
    net = ElmanNetwork(1, H, 1, nonlinearity=nonlinearity, seed=seed)
    params = net.params  # the very arrays the network computes with
    if optimizer == "adam":
        opt, momentum = Adam(params, lr=lr, betas=betas), 0.0
    else:
        momentum = float(momentum) if optimizer == "momentum" else 0.0
        opt = SGD(params, lr=lr, momentum=momentum)
    losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    step_norms, step_max = np.full(steps, np.nan), np.full(steps, np.nan)
    diverged_at, reason, nonfinite = None, None, None
    for step in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected, not warned
            try:
                ys, _, cache = net.forward(x)
                loss, dys = mse_loss(ys, y, reduction="mean")
                if not np.isfinite(loss):
                    raise _checks.NonFiniteError(f"the loss overflowed to {loss}")
                _, _, grads = net.backward(dys, cache)
                norms[step] = global_norm(grads)
                if max_norm is not None:
                    clip_grad_norm(grads, max_norm)
                before = flatten(params)
                opt.step(grads)  # raises NonFiniteError on an inf or NaN gradient
                move = flatten(params) - before
                step_norms[step], step_max[step] = np.linalg.norm(move), np.abs(move).max()
            except _checks.NonFiniteError as err:  # a divergence; any other error is a genuine bug
                diverged_at, reason = step, str(err)
                nonfinite = _nonfinite(params.values())
                if nonfinite["inf"] == nonfinite["nan"] == 0:  # the weights are still
                    hs = net.rnn.forward(x)[0]  # finite: look at the states
                    nonfinite = _nonfinite([hs])
                    bad_inf = np.flatnonzero(np.isinf(hs).any(axis=(1, 2)))
                    bad_nan = np.flatnonzero(np.isnan(hs).any(axis=(1, 2)))
                    nonfinite["first_inf_t"] = int(bad_inf[0]) + 1 if bad_inf.size else None
                    nonfinite["first_nan_t"] = int(bad_nan[0]) + 1 if bad_nan.size else None
                    nonfinite["where"] = "hidden states"
                else:
                    nonfinite["where"] = "parameters"
                break
        losses[step] = loss
    clipped_steps = int(np.sum(norms > max_norm)) if max_norm is not None else 0
    dead_units = None
    if diverged_at is None and nonlinearity == "relu":
        hs = net.rnn.forward(x)[0]  # a ReLU unit that is 0 on every step of
        dead_units = int(np.sum(np.all(hs <= 0, axis=(0, 1))))  # every window passes no gradient
    return {
        "losses": losses,
        "norms": norms,
        "step_norms": step_norms,
        "step_max": step_max,
        "diverged_at": diverged_at,
        "reason": reason,
        "nonfinite": nonfinite,
        "clipped_steps": clipped_steps,
        "dead_units": dead_units,
        "baseline": baseline,
        "max_norm": max_norm,
        "lr": float(lr),
        "momentum": momentum,
        "optimizer": optimizer,
        "H": H,
        "steps": steps,
    }


# ---------------------------------------------------------------------------------------------
# A run in words: what holds on every machine


def _share_words(count, total):
    """How many of ``total`` steps, in words with a safe margin: the exact count of a training
    run that clips depends on the last bits of its floating-point sums."""
    if count == 0:
        return "none"
    if count < 10:
        return "a few (under 10)"
    if count < total / 4:
        return "under a quarter"
    if count > 3 * total / 4:
        return "most (over 3/4)"
    return "a quarter to 3/4"


def _dead_words(dead, H):
    if dead == 0:
        return "none"
    if dead == H:
        return f"all {H}"
    if dead <= H // 3:
        return f"a few (≤ {H // 3} of {H})"
    if dead > H // 2:
        return f"over half of {H}"
    return f"a third to half of {H}"


def describe_run(run):
    """The outcome of a :func:`train_forecaster` run in words that do not depend on the machine.

    Training that clips makes discrete decisions (clip or not, a ReLU unit on or off), so a
    different BLAS kernel, thread count or numpy version changes the last bits of one sum and,
    a hundred steps later, the exact final loss and the exact count of clipped steps. What
    survives is the verdict, with a wide margin; the figures keep the full-precision curves.

    Returns:
        dict of short strings: ``diverged`` ("no" / "at step N"), ``final`` ("below the
        baseline", "1.00 (a constant forecast)" or "above the baseline"), ``clipped`` (the
        share of steps that were clipped) and ``dead`` (the ReLU units that died).
    """
    clipped = (
        "no clipping"
        if run["max_norm"] is None
        else _share_words(run["clipped_steps"], run["steps"])
    )
    if run["diverged_at"] is not None:
        return {
            "diverged": f"at step {run['diverged_at']}",
            "final": "inf or NaN",
            "clipped": clipped,
            "dead": "-",
        }
    final = float(run["losses"][-1])
    if final < run["baseline"]:
        loss = "below the baseline"
    elif run["dead_units"] == run["H"] and abs(final - 1.0) < 5e-3:
        loss = "1.00 (a constant forecast)"  # the data are standardised: variance 1
    else:
        loss = "above the baseline"
    dead = "-" if run["dead_units"] is None else _dead_words(run["dead_units"], run["H"])
    return {"diverged": "no", "final": loss, "clipped": clipped, "dead": dead}


# ---------------------------------------------------------------------------------------------
# What clipping bounds: the step of SGD, SGD with momentum and Adam


def step_size_runs(
    max_norm=0.5,
    lr_sgd=0.5,
    momentum=0.9,
    lr_adam=0.01,
    adam_thresholds=(0.05, 0.5, None),
    steps=300,
):
    """The same forecaster trained with norm clipping at ``max_norm`` by plain SGD and by SGD
    with momentum (both at ``lr_sgd``), and by Adam at ``lr_adam`` for each of
    ``adam_thresholds`` (None: no clipping). Every run records the length of every update.

    What to expect:

    * plain SGD: the update is -lr * (clipped gradient), so ||step|| <= lr * max_norm, always;
    * momentum: the update is -lr * v with v = momentum * v + (clipped gradient); v sums past
      clipped gradients, so ||step|| can reach lr * max_norm / (1 - momentum) (10 times more
      for 0.9) when they keep pointing the same way;
    * Adam: the update of each weight is -lr * m_hat / (sqrt(v_hat) + eps); rescaling the
      gradient rescales m_hat and sqrt(v_hat) alike, so clipping changes the direction
      estimate and the moments, not the size: each weight moves by roughly lr at most,
      whatever the threshold.

    Returns:
        dict: ``sgd`` and ``momentum`` (runs of :func:`train_forecaster`), ``adam`` {threshold:
        run}, ``beta`` (the momentum), and the bounds ``sgd_bound`` = lr_sgd * max_norm,
        ``momentum_bound`` = lr_sgd * max_norm / (1 - momentum), ``adam_lr``.
    """
    return {
        "sgd": train_forecaster(lr_sgd, max_norm, steps, optimizer="sgd"),
        "momentum": train_forecaster(
            lr_sgd, max_norm, steps, momentum=momentum, optimizer="momentum"
        ),
        "adam": {
            mu: train_forecaster(lr_adam, mu, steps, optimizer="adam") for mu in adam_thresholds
        },
        "max_norm": float(max_norm),
        "lr_sgd": float(lr_sgd),
        "beta": float(momentum),
        "lr_adam": float(lr_adam),
        "sgd_bound": float(lr_sgd * max_norm),
        "momentum_bound": float(lr_sgd * max_norm / (1.0 - momentum)),
    }
