"""How every tiny task of notebook 07 is trained: one skeleton, written once.

A task supplies a network, a ``loss_and_grads(step)`` function and an ``evaluate(model)``
function; :func:`train_task` does the rest, the same way for every shape: remember the initial
weights, train with Adam and gradient-norm clipping (:func:`fit`), time it, evaluate, and
return a :class:`TaskResult`. :func:`supervised` builds the usual ``loss_and_grads``: forward a
(mini)batch, a loss, backward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ..optim import Adam, clip_grad_norm

__all__ = ["TaskResult", "fit", "supervised", "train_task"]


@dataclass
class TaskResult:
    """What training a tiny task produced.

    Attributes:
        name: the task; shape: "one-to-one", ..., "encoder-decoder" (or "bidirectional" /
            "stacked").
        model: the trained network (its ``params`` are the trained arrays).
        losses: (steps,) training loss after each update.
        metrics: name -> number (test accuracy, test error, baselines, ...).
        seconds: wall-clock training time.
        data: arrays the figures need (test inputs, targets, predictions).
        initial_params: copies of the parameters before training
            (``model.with_params(initial_params)`` is the untrained network).
    """

    name: str
    shape: str
    model: object
    losses: np.ndarray
    metrics: dict
    seconds: float
    data: dict = field(default_factory=dict)
    initial_params: dict = None

    def untrained(self):
        """The network with its initial (pre-training) weights."""
        return self.model.with_params(self.initial_params)


def fit(params, loss_and_grads, steps, lr=1e-2, max_norm=5.0):
    """Train ``params`` in place with Adam and gradient-norm clipping.

    Args:
        params: dict of arrays (a module's ``params``: updating them updates the module).
        loss_and_grads: ``f(step) -> (loss, grads)`` with ``grads`` keyed like ``params``.
        steps: number of updates; lr: Adam's learning rate; max_norm: clipping threshold.

    Returns:
        (steps,) array of the loss at each update.
    """
    steps = _checks.check_positive_int(steps, "steps")
    opt = Adam(params, lr=lr)
    losses = np.empty(steps)
    for step in range(steps):
        loss, grads = loss_and_grads(step)
        clip_grad_norm(grads, max_norm)
        opt.step(grads)
        losses[step] = loss
    return losses


def supervised(net, x, y, loss_fn, batch=None, rng=None, on_grads=None):
    """``loss_and_grads(step)`` for a network with ``forward(x)`` / ``backward(dy, cache)``.

    Args:
        net: a :class:`rnnlib.RecurrentNetwork` (or anything with its forward/backward).
        x: (T, N, D) inputs; y: the targets, batch axis 1 for sequences or 0 for labels.
        loss_fn: ``loss_fn(outputs, targets) -> (loss, d_outputs)``.
        batch: draw this many of the N examples (without replacement) from ``rng`` at every
            step; None: the whole set every step.
        on_grads: optional ``on_grads(grads)``, called after each backward pass (to record
            something about the gradient).
    """
    label_axis = 1 if np.ndim(y) >= 2 else 0

    def loss_and_grads(step):
        if batch is None:
            xb, yb = x, y
        else:
            idx = rng.choice(x.shape[1], size=min(batch, x.shape[1]), replace=False)
            xb, yb = x[:, idx], np.take(y, idx, axis=label_axis)
        out, _, cache = net.forward(xb)
        loss, d_out = loss_fn(out, yb)
        _, _, grads = net.backward(d_out, cache)
        if on_grads is not None:
            on_grads(grads)
        return loss, grads

    return loss_and_grads


def train_task(name, shape, model, loss_and_grads, steps, lr, evaluate, max_norm=5.0):
    """Train a tiny task the one way every shape shares, and evaluate it.

    Args:
        name, shape: labels of the :class:`TaskResult`.
        model: the network; its ``params`` are trained in place.
        loss_and_grads: ``f(step) -> (loss, grads)`` (e.g. from :func:`supervised`).
        steps, lr, max_norm: as :func:`fit`.
        evaluate: ``evaluate(model) -> (metrics, data)`` on the task's test set.

    Returns:
        :class:`TaskResult`, with the initial weights kept (``.untrained()``).
    """
    initial = {k: v.copy() for k, v in model.params.items()}
    start = time.perf_counter()
    losses = fit(model.params, loss_and_grads, steps, lr=lr, max_norm=max_norm)
    seconds = time.perf_counter() - start
    metrics, data = evaluate(model)
    return TaskResult(name, shape, model, losses, metrics, seconds, data, initial_params=initial)
