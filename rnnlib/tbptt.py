"""Truncated backpropagation through time (TBPTT).

A long sequence is cut into chunks of ``k`` steps. The forward pass runs through every chunk in
order and *carries the state* from one chunk to the next, so the network still sees the whole
past; the backward pass runs only *within* each chunk, so no gradient flows further back than
``k`` steps. That caps memory and time per update at O(k) instead of O(T), and gives up the
gradient of any dependency longer than ``k`` steps.
"""

from __future__ import annotations

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
    total, grads, state = 0.0, None, state0
    for sl in chunk_slices(len(x), k):
        ys, next_state, cache = model.forward(x[sl], state)
        loss, dys = loss_fn(ys, targets[sl])
        _, _, g = model.backward(dys, cache)      # stops at the chunk's start: the truncation
        total += loss
        grads = g if grads is None else {key: grads[key] + g[key] for key in grads}
        state = next_state                        # carried forward, but no gradient flows back
    return total, grads, state
