"""min-char-rnn's way to train a character model, for comparison with notebook 08's batched
trainer: one sequence, one character at a time, a Python loop in both passes (Karpathy, 2015).
"""

from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["minchar_train"]


def minchar_train(ids, vocab_size, hidden_size, n_chars, seq_length=25, lr=0.1, seed=0):
    """Train a vanilla RNN language model the way Karpathy's min-char-rnn does: one sequence,
    ``seq_length`` characters per update, a Python loop over every character in both passes,
    Adagrad, element-wise clipping to [-5, 5]. Same model and equations as
    ``make_model("rnn", V, H)`` (one bias vector instead of two).

    Returns:
        (chars_per_second, losses): training speed and the loss of each update (nats/char).
    """
    rng = np.random.default_rng(seed)
    V, H = vocab_size, hidden_size
    Wxh = rng.standard_normal((H, V)) * 0.01
    Whh = rng.standard_normal((H, H)) * 0.01
    Why = rng.standard_normal((V, H)) * 0.01
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    params = [Wxh, Whh, Why, bh, by]
    memory = [np.zeros_like(p) for p in params]
    hprev = np.zeros((H, 1))
    losses, done, pos = [], 0, 0
    start = time.perf_counter()
    while done < n_chars:
        if pos + seq_length + 1 >= len(ids):
            pos, hprev = 0, np.zeros((H, 1))
        inputs, targets = ids[pos:pos + seq_length], ids[pos + 1:pos + seq_length + 1]
        xs, hs, ps = {}, {-1: hprev}, {}
        loss = 0.0
        for t in range(seq_length):                                   # forward, step by step
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
            y = Why @ hs[t] + by
            e = np.exp(y - y.max())
            ps[t] = e / e.sum()
            loss -= math.log(ps[t][targets[t], 0])
        grads = [np.zeros_like(p) for p in params]
        dWxh, dWhh, dWhy, dbh, dby = grads
        dhnext = np.zeros((H, 1))
        for t in reversed(range(seq_length)):                          # backward, step by step
            dy = ps[t].copy()
            dy[targets[t]] -= 1                                        # backprop into y
            dWhy += dy @ hs[t].T
            dby += dy
            dh = Why.T @ dy + dhnext                                   # backprop into h
            dhraw = (1 - hs[t] * hs[t]) * dh                           # backprop through tanh
            dbh += dhraw
            dWxh += dhraw @ xs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = Whh.T @ dhraw
        for g in grads:
            np.clip(g, -5, 5, out=g)                                   # element-wise clipping
        for p, g, m in zip(params, grads, memory):                     # Adagrad
            m += g * g
            p -= lr * g / np.sqrt(m + 1e-8)
        hprev = hs[seq_length - 1]
        losses.append(loss / seq_length)
        done += seq_length
        pos += seq_length
    return done / (time.perf_counter() - start), np.array(losses)
