"""Finite-difference gradient checks: every parameter, input and initial state of every module
and loss, in float64, relative error below 1e-7 (a correct backward pass gives ~1e-9)."""

import numpy as np
import pytest

import rnnlib
from rnnlib import cells
from rnnlib.gradcheck import check_module, gradcheck, numerical_gradient, relative_error

TOL = 1e-7


def _random_state(module, B, rng):
    ys, state, _ = module.forward(np.zeros((1, B, module.input_size)))
    return rnnlib.gradcheck._random_like(state, rng)


MODULES = {
    "rnn_tanh": lambda: rnnlib.RNN(3, 4, seed=0),
    "rnn_relu": lambda: rnnlib.RNN(3, 4, nonlinearity="relu", seed=0),
    "rnn_sigmoid": lambda: rnnlib.RNN(3, 4, nonlinearity="sigmoid", seed=0),
    "rnn_linear": lambda: rnnlib.RNN(3, 4, nonlinearity="linear", seed=0),
    "lstm": lambda: rnnlib.LSTM(3, 4, seed=0),
    "gru": lambda: rnnlib.GRU(3, 4, seed=0),
    "gru_reset_before": lambda: rnnlib.GRU(3, 4, reset_after=False, seed=0),
    "stacked_gru": lambda: rnnlib.stacked("gru", 3, 4, num_layers=2, seed=0),
    "bidirectional_lstm": lambda: rnnlib.Bidirectional(
        rnnlib.LSTM(3, 4, seed=1), rnnlib.LSTM(3, 4, seed=2)
    ),
    "stacked_bidirectional_rnn": lambda: rnnlib.stacked(
        "rnn", 3, 4, num_layers=2, bidirectional=True, seed=0
    ),
    "elman": lambda: rnnlib.ElmanNetwork(3, 4, 2, seed=0),
    "jordan": lambda: rnnlib.JordanNetwork(3, 4, 2, seed=0),
    "many_to_one_lstm": lambda: rnnlib.RecurrentNetwork(
        rnnlib.LSTM(3, 4, seed=0), rnnlib.Linear(4, 2, seed=1), many_to_one=True
    ),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_gradients(name):
    rng = np.random.default_rng(0)
    module = MODULES[name]()
    x = rng.standard_normal((5, 2, 3))
    errors = check_module(module, x, _random_state(module, 2, rng), seed=1)
    assert set(module.params) <= set(errors) and "x" in errors and "state0" in errors
    assert max(errors.values()) < TOL, errors


def test_linear_gradients():
    rng = np.random.default_rng(1)
    lin = rnnlib.Linear(4, 3, seed=0)
    h = rng.standard_normal((5, 2, 4))
    dy = rng.standard_normal((5, 2, 3))
    y, cache = lin.forward(h)
    dh, grads = lin.backward(dy, cache)
    errs = gradcheck(
        lambda p: float(np.sum(lin.with_params(p).forward(h)[0] * dy)), lin.params, grads
    )
    errs["h"] = gradcheck(
        lambda d: float(np.sum(lin.forward(d["h"])[0] * dy)), {"h": h}, {"h": dh}
    )["h"]
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("shape", [(4, 3, 5), (3, 5)])
def test_softmax_cross_entropy_gradient(reduction, shape):
    rng = np.random.default_rng(2)
    logits = rng.standard_normal(shape) * 3
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    _, d = rnnlib.softmax_cross_entropy(logits, targets, reduction)
    err = gradcheck(
        lambda p: rnnlib.softmax_cross_entropy(p["z"], targets, reduction)[0],
        {"z": logits},
        {"z": d},
    )
    assert err["z"] < TOL


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("shape", [(4, 3, 2), (3, 2)])
def test_mse_gradient(reduction, shape):
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    _, d = rnnlib.mse_loss(pred, target, reduction)
    err = gradcheck(lambda p: rnnlib.mse_loss(p["p"], target, reduction)[0], {"p": pred}, {"p": d})
    assert err["p"] < TOL


def test_loss_sum_is_sum_of_per_step_losses():
    rng = np.random.default_rng(4)
    logits, targets = rng.standard_normal((6, 3, 4)), rng.integers(0, 4, size=(6, 3))
    total, _ = rnnlib.softmax_cross_entropy(logits, targets)
    per_step = rnnlib.losses.softmax_cross_entropy_per_step(logits, targets)
    assert per_step.shape == (6,) and np.isclose(total, per_step.sum())
    pred, target = rng.standard_normal((6, 3, 2)), rng.standard_normal((6, 3, 2))
    assert np.isclose(
        rnnlib.mse_loss(pred, target)[0], rnnlib.losses.mse_loss_per_step(pred, target).sum()
    )


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    loss, d = rnnlib.softmax_cross_entropy(logits, np.array([2]))
    assert np.isfinite(loss) and np.isclose(loss, 2000.0) and np.all(np.isfinite(d))


@pytest.mark.parametrize("k", [1, 3, 4, 20])
def test_truncated_bptt_gradient(k):
    """The truncated gradient is the exact gradient of the chunk losses with each chunk's
    initial state held constant; k >= T is full BPTT."""
    rng = np.random.default_rng(5)
    net = rnnlib.ElmanNetwork(2, 3, 2, seed=0)
    x, y = rng.standard_normal((10, 2, 2)), rng.standard_normal((10, 2, 2))
    loss, grads, state = rnnlib.truncated_bptt(net, rnnlib.mse_loss, x, y, k)
    # chunk start states from an untruncated forward pass
    full_ys, full_state, _ = net.forward(x)
    assert np.isclose(loss, rnnlib.mse_loss(full_ys, y)[0])
    assert np.allclose(state, full_state)
    starts = {}
    s = None
    for sl in rnnlib.tbptt.chunk_slices(10, k):
        starts[sl.start] = s
        s = net.forward(x[sl], s)[1]

    def surrogate(p):
        m = net.with_params(p)
        return sum(
            rnnlib.mse_loss(m.forward(x[sl], starts[sl.start])[0], y[sl])[0]
            for sl in rnnlib.tbptt.chunk_slices(10, k)
        )

    errs = gradcheck(surrogate, net.params, grads)
    assert max(errs.values()) < TOL
    if k >= 10:  # full BPTT
        _, _, full_grads = net.backward(
            rnnlib.mse_loss(*[net.forward(x)[0], y])[1], net.forward(x)[2]
        )
        assert all(np.allclose(grads[n], full_grads[n]) for n in grads)
    else:  # truncation really drops gradient
        _, _, cache = net.forward(x)
        _, _, full_grads = net.backward(rnnlib.mse_loss(net.forward(x)[0], y)[1], cache)
        assert not np.allclose(grads["rnn.weight_hh"], full_grads["rnn.weight_hh"])


STEPS = {
    "rnn": (
        lambda x, h, p: cells.rnn_step_forward(x, h, *p),
        lambda dh, c: cells.rnn_step_backward(dh, c),
        1,
    ),
    "gru": (
        lambda x, h, p: cells.gru_step_forward(x, h, *p),
        lambda dh, c: cells.gru_step_backward(dh, c),
        3,
    ),
    "gru_cho": (
        lambda x, h, p: cells.gru_step_forward(x, h, *p, reset_after=False),
        lambda dh, c: cells.gru_step_backward(dh, c),
        3,
    ),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_function_gradients(name):
    fwd, bwd, G = STEPS[name]
    rng = np.random.default_rng(6)
    B, D, H = 2, 3, 4
    p = {
        "weight_ih": rng.standard_normal((G * H, D)),
        "weight_hh": rng.standard_normal((G * H, H)),
        "bias_ih": rng.standard_normal(G * H),
        "bias_hh": rng.standard_normal(G * H),
        "x": rng.standard_normal((B, D)),
        "h": rng.standard_normal((B, H)),
    }
    dh = rng.standard_normal((B, H))
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

    def f(q):
        return float(np.sum(fwd(q["x"], q["h"], [q[n] for n in names])[0] * dh))

    h, cache = fwd(p["x"], p["h"], [p[n] for n in names])
    dx, dh_prev, grads = bwd(dh, cache)
    grads = dict(grads, x=dx, h=dh_prev)
    assert max(gradcheck(f, p, grads).values()) < TOL


def test_lstm_step_gradients():
    rng = np.random.default_rng(7)
    B, D, H = 2, 3, 4
    p = {
        "weight_ih": rng.standard_normal((4 * H, D)),
        "weight_hh": rng.standard_normal((4 * H, H)),
        "bias_ih": rng.standard_normal(4 * H),
        "bias_hh": rng.standard_normal(4 * H),
        "x": rng.standard_normal((B, D)),
        "h": rng.standard_normal((B, H)),
        "c": rng.standard_normal((B, H)),
    }
    dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

    def f(q):
        h, c, _ = cells.lstm_step_forward(q["x"], q["h"], q["c"], *[q[n] for n in names])
        return float(np.sum(h * dh) + np.sum(c * dc))

    _, _, cache = cells.lstm_step_forward(p["x"], p["h"], p["c"], *[p[n] for n in names])
    dx, dh_prev, dc_prev, grads = cells.lstm_step_backward(dh, dc, cache)
    assert max(gradcheck(f, p, dict(grads, x=dx, h=dh_prev, c=dc_prev)).values()) < TOL


def test_gradcheck_is_pure_and_catches_a_wrong_gradient():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 3))
    before = w.copy()

    def f(p):
        return float(np.sum(np.sin(p["w"])))

    num = numerical_gradient(f, {"w": w})
    assert np.array_equal(w, before)  # caller's array never touched
    assert relative_error(np.cos(w), num["w"]) < 1e-9
    assert gradcheck(f, {"w": w}, {"w": np.cos(w) * 1.01})["w"] > 1e-3
