"""rnnlib against PyTorch: same weights in, same numbers out (float64, to ~1e-12).

Copies weights one-to-one (rnnlib.load_torch_state_dict) and compares outputs, final states and
autograd gradients of every parameter, the input and the initial state.
"""

import numpy as np
import pytest

import rnnlib
from conftest import torch_or_skip

pytestmark = pytest.mark.torch
TOL = 1e-11


def _np(t):
    return t.detach().numpy()


def _sd(module):
    return {k: _np(v) for k, v in module.state_dict().items()}


@pytest.mark.parametrize(
    "cell,kwargs", [("rnn", {}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}), ("gru", {})]
)
def test_single_layer_matches_torch(cell, kwargs):
    torch = torch_or_skip()
    T, B, D, H = 6, 3, 4, 5
    rng = np.random.default_rng(0)
    cls = {"rnn": rnnlib.RNN, "lstm": rnnlib.LSTM, "gru": rnnlib.GRU}[cell]
    tcls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    torch.manual_seed(0)
    tm = tcls(D, H, **kwargs)
    ours = cls(D, H, seed=123, **kwargs)
    rnnlib.load_torch_state_dict(ours, _sd(tm))
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H))
    c0 = rng.standard_normal((B, H))
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    if cell == "lstm":
        out, (hn, cn) = tm(xt, (h0t, c0t))
        hs, (h_T, c_T), cache = ours.forward(x, (h0, c0))
        assert np.max(np.abs(_np(cn)[0] - c_T)) < TOL
    else:
        out, hn = tm(xt, h0t)
        hs, h_T, cache = ours.forward(x, h0)
    assert np.max(np.abs(_np(out) - hs)) < TOL
    assert np.max(np.abs(_np(hn)[0] - h_T)) < TOL

    dhs = rng.standard_normal((T, B, H))
    dhT = rng.standard_normal((B, H))
    dcT = rng.standard_normal((B, H))
    loss = (out * torch.tensor(dhs)).sum() + (hn[0] * torch.tensor(dhT)).sum()
    if cell == "lstm":
        loss = loss + (cn[0] * torch.tensor(dcT)).sum()
        dx, (dh0, dc0), grads = ours.backward(dhs, cache, (dhT, dcT))
    else:
        dx, dh0, grads = ours.backward(dhs, cache, dhT)
    loss.backward()
    assert np.max(np.abs(_np(xt.grad) - dx)) < TOL
    assert np.max(np.abs(_np(h0t.grad)[0] - dh0)) < TOL
    if cell == "lstm":
        assert np.max(np.abs(_np(c0t.grad)[0] - dc0)) < TOL
    for name, g in grads.items():
        tg = _np(getattr(tm, name + "_l0").grad)
        assert np.max(np.abs(tg - g)) < TOL, name


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_stacked_bidirectional_matches_torch(cell):
    torch = torch_or_skip()
    T, B, D, H, L = 5, 2, 3, 4, 2
    rng = np.random.default_rng(1)
    tcls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    torch.manual_seed(1)
    tm = tcls(D, H, num_layers=L, bidirectional=True)
    ours = rnnlib.stacked(cell, D, H, num_layers=L, bidirectional=True, seed=5)
    assert set(ours.params) == set(tm.state_dict())  # same names, one-to-one
    rnnlib.load_torch_state_dict(ours, _sd(tm))
    x = rng.standard_normal((T, B, D))
    xt = torch.tensor(x, requires_grad=True)
    out, hn = tm(xt)
    hs, states, cache = ours.forward(x)
    assert np.max(np.abs(_np(out) - hs)) < TOL
    h_n = _np(hn[0] if cell == "lstm" else hn)  # (L*2, B, H)
    for layer in range(L):
        fwd, bwd = states[layer]
        fwd_h = fwd[0] if cell == "lstm" else fwd
        bwd_h = bwd[0] if cell == "lstm" else bwd
        assert np.max(np.abs(h_n[2 * layer] - fwd_h)) < TOL
        assert np.max(np.abs(h_n[2 * layer + 1] - bwd_h)) < TOL
    dhs = rng.standard_normal(hs.shape)
    (out * torch.tensor(dhs)).sum().backward()
    dx, _, grads = ours.backward(dhs, cache)
    assert np.max(np.abs(_np(xt.grad) - dx)) < TOL
    for name, param in tm.named_parameters():
        assert np.max(np.abs(_np(param.grad) - grads[name])) < TOL, name


def test_linear_and_losses_match_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    T, B, H, C = 4, 3, 5, 6
    tl = torch.nn.Linear(H, C)
    ours = rnnlib.Linear(H, C, seed=0)
    rnnlib.load_torch_state_dict(ours, _sd(tl))
    h = rng.standard_normal((T, B, H))
    ht = torch.tensor(h, requires_grad=True)
    logits_t = tl(ht)
    logits, cache = ours.forward(h)
    assert np.max(np.abs(_np(logits_t) - logits)) < TOL
    targets = rng.integers(0, C, size=(T, B))
    loss_t = torch.nn.functional.cross_entropy(
        logits_t.reshape(-1, C), torch.tensor(targets.reshape(-1))
    )
    loss, dlogits = rnnlib.softmax_cross_entropy(logits, targets, reduction="mean")
    assert abs(loss - loss_t.item()) < TOL
    loss_t.backward()
    dh, grads = ours.backward(dlogits, cache)
    assert np.max(np.abs(_np(ht.grad) - dh)) < TOL
    assert np.max(np.abs(_np(tl.weight.grad) - grads["weight"])) < TOL
    assert np.max(np.abs(_np(tl.bias.grad) - grads["bias"])) < TOL
    # "sum" reduction is T times the mean when every step has B predictions
    loss_sum, _ = rnnlib.softmax_cross_entropy(logits, targets)
    assert abs(loss_sum - T * loss_t.item()) < 1e-10
    # MSE, mean reduction = torch.nn.MSELoss()
    pred, target = rng.standard_normal((T, B, 2)), rng.standard_normal((T, B, 2))
    pt = torch.tensor(pred, requires_grad=True)
    mse_t = torch.nn.functional.mse_loss(pt, torch.tensor(target))
    mse_t.backward()
    mse, dpred = rnnlib.mse_loss(pred, target, reduction="mean")
    assert abs(mse - mse_t.item()) < TOL
    assert np.max(np.abs(_np(pt.grad) - dpred)) < TOL


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_clip_grad_norm_matches_torch(max_norm):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    params = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
    for p, g in zip(params, grads.values()):
        p.grad = torch.tensor(g)
    total_t = torch.nn.utils.clip_grad_norm_(params, max_norm)
    total = rnnlib.clip_grad_norm(grads, max_norm)
    assert abs(total - total_t.item()) < TOL
    for p, g in zip(params, grads.values()):
        assert np.max(np.abs(_np(p.grad) - g)) < 1e-15


def test_clip_grad_value_matches_torch():
    torch = torch_or_skip()
    g = np.linspace(-10, 10, 21)
    p = torch.zeros(21, requires_grad=True)
    p.grad = torch.tensor(g.copy())
    torch.nn.utils.clip_grad_value_([p], 5.0)
    grads = {"g": g}
    rnnlib.clip_grad_value(grads, 5.0)
    assert np.array_equal(_np(p.grad), grads["g"])


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.1}),
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adagrad", {"lr": 0.1}),
        ("Adam", {"lr": 0.01}),
    ],
)
def test_optimisers_match_torch(name, kwargs):
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    p0 = rng.standard_normal((3, 2))
    pt = torch.tensor(p0.copy(), requires_grad=True)
    opt_t = getattr(torch.optim, name)([pt], **kwargs)
    params = {"w": p0.copy()}
    opt = getattr(rnnlib, name)(params, **kwargs)
    for _ in range(5):
        g = rng.standard_normal((3, 2))
        pt.grad = torch.tensor(g.copy())
        opt_t.step()
        opt.step({"w": g})
    assert np.max(np.abs(_np(pt) - params["w"])) < 1e-12
