"""Truncated backpropagation through time (TBPTT).

A long sequence is cut into chunks of ``k`` steps. The forward pass runs through every chunk in
order and *carries the state* from one chunk to the next, so the network still sees the whole
past; the backward pass runs only *within* each chunk, so no gradient flows further back than
``k`` steps. That caps memory and time per update at O(k) instead of O(T), and gives up the
gradient of any dependency longer than ``k`` steps.
"""

from __future__ import annotations

import numpy as np

from . import _checks


def chunk_slices(T, k):
    """Slices [0:k], [k:2k], ... covering range(T); the last chunk may be shorter."""
    T, k = _checks.check_positive_int(T, "T"), _checks.check_positive_int(k, "k")
    return [slice(s, min(s + k, T)) for s in range(0, T, k)]


def truncated_bptt(model, loss_fn, x, targets, k, state0=None):
    """Loss and truncated gradient of a many-to-many model over one long sequence.

    Args:
        model: anything with ``forward(x, state0) -> (ys, state, cache)`` and
            ``backward(dys, cache) -> (dx, dstate0, grads)``, e.g. a ``RecurrentNetwork``.
        loss_fn: ``loss_fn(ys, targets) -> (loss, dys)`` with a loss summed over time
            (``reduction="sum"``), so the chunks' losses add up to the whole sequence's loss.
        x: (T, B, D); targets: indexed by time on axis 0, like x.
        k: truncation length. ``k >= T`` gives full BPTT.
        state0: initial state (zeros when None).

    Returns:
        loss: the sum over chunks (equal to the untruncated loss: the forward pass is whole);
        grads: summed over chunks, each chunk's gradient computed with its initial state held
        constant; state: the final state, to carry into the next call.
    """
    x = _checks.as_float_array(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must be (T, B, D), got shape {x.shape}")
    targets = np.asarray(targets)
    T = len(x)
    if targets.ndim == 0 or len(targets) != T:
        raise ValueError(f"targets has {len(targets) if targets.ndim else 0} steps (shape "
                         f"{targets.shape}) but x has {T} (shape {x.shape}): pass one target per "
                         "step, targets[t] for x[t], with time on axis 0")
    total, grads, state = 0.0, None, state0
    for sl in chunk_slices(T, k):
        ys, next_state, cache = model.forward(x[sl], state)
        try:
            loss, dys = loss_fn(ys, targets[sl])
        except ValueError as err:
            whole = (T,) + tuple(ys.shape[1:])
            raise ValueError(f"targets of shape {targets.shape} do not fit the model's outputs, "
                             f"{whole} over the whole sequence (T, B, ...); loss_fn said, on "
                             f"steps {sl.start}..{sl.stop - 1}: {err}") from err
        _, _, g = model.backward(dys, cache)      # stops at the chunk's start: the truncation
        total += loss
        grads = g if grads is None else {key: grads[key] + g[key] for key in grads}
        state = next_state                        # carried forward, but no gradient flows back
    return total, grads, state
