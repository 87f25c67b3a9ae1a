"""Property tests (hypothesis): shapes, determinism under a seed, clipping, and the step
functions agreeing with the vectorised layers."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnlib
from rnnlib import cells

sizes = st.integers(min_value=1, max_value=5)
SETTINGS = settings(max_examples=25, deadline=None)


@SETTINGS
@given(T=sizes, B=sizes, D=sizes, H=sizes, cell=st.sampled_from(["rnn", "lstm", "gru"]))
def test_shapes(T, B, D, H, cell):
    layer = {"rnn": rnnlib.RNN, "lstm": rnnlib.LSTM, "gru": rnnlib.GRU}[cell](D, H, seed=0)
    x = np.random.default_rng(0).standard_normal((T, B, D))
    hs, state, cache = layer.forward(x)
    assert hs.shape == (T, B, H)
    dx, dstate0, grads = layer.backward(np.ones_like(hs), cache)
    assert dx.shape == x.shape
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in layer.params.items()}
    if cell == "lstm":
        assert state[0].shape == state[1].shape == dstate0[0].shape == (B, H)
    else:
        assert state.shape == dstate0.shape == (B, H)
    assert all(v.dtype == np.float64 for v in layer.params.values())


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), cell=st.sampled_from([rnnlib.RNN, rnnlib.LSTM, rnnlib.GRU]))
def test_determinism_under_a_seed(seed, cell):
    a, b = cell(3, 4, seed=seed), cell(3, 4, seed=seed)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    np.random.seed(0)  # numpy's global state must play no part
    c = cell(3, 4, seed=seed)
    assert all(np.array_equal(a.params[k], c.params[k]) for k in a.params)
    bound = 1 / np.sqrt(4)
    assert all(np.all(np.abs(v) <= bound) for v in a.params.values())


grads_strategy = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6).map(np.array),
    min_size=1,
)


@SETTINGS
@given(grads=grads_strategy, max_norm=st.floats(1e-3, 1e3))
def test_norm_clipping_never_raises_norm_and_keeps_direction(grads, max_norm):
    raw = {k: v.copy() for k, v in grads.items()}
    before = rnnlib.clip_grad_norm(grads, max_norm)
    after = rnnlib.global_norm(grads)
    assert after <= max(before, max_norm) + 1e-9
    assert after <= max_norm * (1 + 1e-9) or np.isclose(after, before)
    flat_raw = np.concatenate([raw[k] for k in sorted(raw)])
    flat = np.concatenate([grads[k] for k in sorted(grads)])
    if np.linalg.norm(flat_raw) > 0:
        cos = flat @ flat_raw / (np.linalg.norm(flat) * np.linalg.norm(flat_raw))
        assert np.isclose(cos, 1.0)


@SETTINGS
@given(grads=grads_strategy, clip=st.floats(1e-3, 1e3))
def test_value_clipping_bounds_every_element_and_never_raises_norm(grads, clip):
    before = rnnlib.global_norm(grads)
    rnnlib.clip_grad_value(grads, clip)
    assert all(np.all(np.abs(g) <= clip) for g in grads.values())
    assert rnnlib.global_norm(grads) <= before + 1e-9


@SETTINGS
@given(grads=grads_strategy, max_norm=st.floats(1e-3, 1e3))
def test_per_parameter_clipping_bounds_each_norm(grads, max_norm):
    rnnlib.clip_grad_norm_per_param(grads, max_norm)
    assert all(np.linalg.norm(g) <= max_norm * (1 + 1e-9) for g in grads.values())


@SETTINGS
@given(
    T=sizes,
    B=sizes,
    cell=st.sampled_from(["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_cho"]),
    seed=st.integers(0, 1000),
)
def test_step_functions_agree_with_layers(T, B, cell, seed):
    D, H = 3, 4
    rng = np.random.default_rng(seed)
    layer = {
        "rnn_tanh": lambda: rnnlib.RNN(D, H, seed=seed),
        "rnn_relu": lambda: rnnlib.RNN(D, H, "relu", seed=seed),
        "lstm": lambda: rnnlib.LSTM(D, H, seed=seed),
        "gru": lambda: rnnlib.GRU(D, H, seed=seed),
        "gru_cho": lambda: rnnlib.GRU(D, H, reset_after=False, seed=seed),
    }[cell]()
    p = layer.params
    w = (p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    x = rng.standard_normal((T, B, D))
    dhs = rng.standard_normal((T, B, H))
    hs, state, cache = layer.forward(x)
    dx, dstate0, grads = layer.backward(dhs, cache)

    # forward, one step at a time
    h, c = np.zeros((B, H)), np.zeros((B, H))
    step_caches = []
    for t in range(T):
        if cell.startswith("rnn"):
            h, sc = cells.rnn_step_forward(x[t], h, *w, nonlinearity=layer.nonlinearity)
        elif cell == "lstm":
            h, c, sc = cells.lstm_step_forward(x[t], h, c, *w)
        else:
            h, sc = cells.gru_step_forward(x[t], h, *w, reset_after=layer.reset_after)
        assert np.allclose(h, hs[t], atol=1e-13)
        step_caches.append(sc)

    # backward, one step at a time, summing the shared weights' gradients over time
    dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
    total = {k: np.zeros_like(v) for k, v in p.items()}
    for t in reversed(range(T)):
        if cell == "lstm":
            dxt, dh_next, dc_next, g = cells.lstm_step_backward(
                dhs[t] + dh_next, dc_next, step_caches[t]
            )
        elif cell.startswith("rnn"):
            dxt, dh_next, g = cells.rnn_step_backward(dhs[t] + dh_next, step_caches[t])
        else:
            dxt, dh_next, g = cells.gru_step_backward(dhs[t] + dh_next, step_caches[t])
        assert np.allclose(dxt, dx[t], atol=1e-12)
        for k in total:
            total[k] += g[k]
    for k in total:
        assert np.allclose(total[k], grads[k], atol=1e-11), k
    assert np.allclose(dh_next, dstate0[0] if cell == "lstm" else dstate0, atol=1e-12)
