"""Nothing silently wrong: caches that name their maker, caches safe from the caller, checked step
functions, clipping of huge and non-finite gradients, optimiser and gradient-check arguments,
and one rule for overflow (a layer computes inf, whoever consumes it raises NonFiniteError)."""

import numpy as np
import pytest

import rnnlib
from rnnlib import cells
from rnnlib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 2, 3))
DHS = RNG.standard_normal((5, 2, 4))
KINDS = {"rnn": lambda **kw: rnnlib.RNN(3, 4, seed=0, **kw),
         "lstm": lambda **kw: rnnlib.LSTM(3, 4, seed=0, **kw),
         "gru": lambda **kw: rnnlib.GRU(3, 4, seed=0, **kw)}


# ---- a cache names the layer and the weights that made it --------------------------------------

@pytest.mark.parametrize("maker", ["lstm", "gru"])
def test_backward_refuses_a_cache_of_another_kind(maker):
    _, _, cache = KINDS[maker]().forward(X)
    with pytest.raises(ValueError, match=rf"this cache was made by {maker.upper()}\(input_size=3, "
                                         r"hidden_size=4.*not by this RNN"):
        KINDS["rnn"]().backward(DHS, cache)


def test_backward_refuses_relu_cache_for_tanh_layer():
    _, _, cache = rnnlib.RNN(3, 4, nonlinearity="relu", seed=0).forward(X)
    with pytest.raises(ValueError, match=r"nonlinearity='relu'.*not by this .*'tanh'"):
        rnnlib.RNN(3, 4, seed=0).backward(DHS, cache)


def test_backward_refuses_a_cache_of_another_size_or_dtype():
    _, _, cache = rnnlib.RNN(3, 6, seed=0).forward(X)
    with pytest.raises(ValueError, match=r"hidden_size=6.*not by this RNN\(input_size=3, "
                                         r"hidden_size=4"):
        rnnlib.RNN(3, 4, seed=0).backward(DHS, cache)
    _, _, cache32 = rnnlib.GRU(3, 4, seed=0, dtype=np.float32).forward(X)
    with pytest.raises(ValueError, match=r"in float32, not by this GRU.* in float64"):
        rnnlib.GRU(3, 4, seed=0).backward(DHS, cache32)
    _, _, cache_ra = rnnlib.GRU(3, 4, seed=0, reset_after=False).forward(X)
    with pytest.raises(ValueError, match=r"reset_after=False"):
        rnnlib.GRU(3, 4, seed=0).backward(DHS, cache_ra)


@pytest.mark.parametrize("kind", KINDS)
def test_backward_refuses_other_weights(kind):
    layer, other = KINDS[kind](), KINDS[kind]()
    other.params["weight_hh"][0, 0] += 0.5
    _, _, cache = other.forward(X)
    with pytest.raises(ValueError, match=r"weights have changed .*'weight_hh' differs"):
        layer.backward(DHS, cache)
    _, _, cache = layer.forward(X)                      # same layer, weights updated in between
    layer.params["bias_ih"] -= 0.1
    with pytest.raises(ValueError, match=r"'bias_ih' differs.*Run forward again"):
        layer.backward(DHS, cache)


@pytest.mark.parametrize("kind", KINDS)
def test_identical_layer_may_use_the_cache(kind):
    # same kind, sizes and weights: the gradients are the same numbers, so the cache is accepted
    _, _, cache = KINDS[kind]().forward(X)
    dx, _, grads = KINDS[kind]().backward(DHS, cache)
    _, _, own = KINDS[kind]().forward(X)
    dx2, _, grads2 = KINDS[kind]().backward(DHS, own)
    np.testing.assert_array_equal(dx, dx2)


@pytest.mark.parametrize("bad, said", [(None, "got None"), ({}, "got an empty dict"),
                                       ({"x": 1}, r"got a dict with keys \['x'\]"),
                                       ([1, 2], "got a list")])
@pytest.mark.parametrize("kind", KINDS)
def test_backward_refuses_non_caches(kind, bad, said):
    with pytest.raises(ValueError, match=rf"cache must be the dict returned by .*forward.*{said}"):
        KINDS[kind]().backward(DHS, bad)


@pytest.mark.parametrize("make", [lambda: rnnlib.stacked("lstm", 3, 4, num_layers=2, seed=0),
                                  lambda: rnnlib.stacked("gru", 3, 4, bidirectional=True, seed=0),
                                  lambda: rnnlib.ElmanNetwork(3, 4, 2, seed=0),
                                  lambda: rnnlib.JordanNetwork(3, 4, 2, seed=0)])
def test_composites_refuse_non_caches(make):
    net = make()
    ys, _, _ = net.forward(X)
    for bad in (None, {}):
        with pytest.raises(ValueError, match=r"cache must be the (dict|list) returned by"):
            net.backward(np.ones_like(ys), bad)


def test_linear_refuses_a_foreign_cache():
    _, cache = rnnlib.Linear(4, 2, seed=0).forward(np.ones((3, 4)))
    with pytest.raises(ValueError,
                       match=r"made by a Linear with 4 inputs, not by this Linear\(5, 2\)"):
        rnnlib.Linear(5, 2, seed=0).backward(np.ones((3, 2)), cache)
    with pytest.raises(ValueError, match=r"cache must be the dict returned by Linear.forward"):
        rnnlib.Linear(5, 2, seed=0).backward(np.ones((3, 2)), None)


# ---- the cache is safe from the caller --------------------------------------------------------

def _grads(make, x, edit):
    layer = make()
    hs, state, cache = layer.forward(x)
    edit(x, hs, state)
    dx, _, grads = layer.backward(DHS, cache)
    return dx, grads


def _scale_x(x, hs, state):
    x *= 2


def _edit_hs(x, hs, state):
    hs[...] = 7.0


def _edit_state(x, hs, state):
    for s in state if isinstance(state, tuple) else (state,):
        s += 1.0


@pytest.mark.parametrize("edit", [_scale_x, _edit_hs, _edit_state])
@pytest.mark.parametrize("kind", KINDS)
def test_editing_inputs_or_outputs_after_forward_changes_no_gradient(kind, edit):
    clean_dx, clean = _grads(KINDS[kind], X.copy(), lambda *a: None)
    dx, grads = _grads(KINDS[kind], X.copy(), edit)
    np.testing.assert_array_equal(dx, clean_dx)
    for k in clean:
        np.testing.assert_array_equal(grads[k], clean[k])


def test_editing_state0_and_linear_input_after_forward_changes_no_gradient():
    layer = rnnlib.RNN(3, 4, seed=0)
    h0 = RNG.standard_normal((2, 4))
    _, _, cache = layer.forward(X, h0.copy())
    ref = layer.backward(DHS, cache)[2]
    h0_edit = h0.copy()
    _, _, cache = layer.forward(X, h0_edit)
    h0_edit *= 3
    for k, v in layer.backward(DHS, cache)[2].items():
        np.testing.assert_array_equal(v, ref[k])
    head, h = rnnlib.Linear(4, 2, seed=0), RNG.standard_normal((3, 4))
    _, cache = head.forward(h)
    ref = head.backward(np.ones((3, 2)), cache)[1]["weight"]
    h *= 5
    np.testing.assert_array_equal(head.backward(np.ones((3, 2)), cache)[1]["weight"], ref)


def test_the_cache_is_read_only():
    _, _, cache = rnnlib.LSTM(3, 4, seed=0).forward(X)
    with pytest.raises(ValueError, match="read-only"):
        cache["hs"][0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        cache["gates"]["f"][0] = 0.0


# ---- the step functions check their arguments -------------------------------------------------

def _rnn_args(B=1, D=3, H=4):
    r = np.random.default_rng(1)
    return [r.standard_normal((B, D)), r.standard_normal((B, H)), r.standard_normal((H, D)),
            r.standard_normal((H, H)), r.standard_normal(H), r.standard_normal(H)]


def test_step_refuses_a_1d_hidden_state():
    x, h, *w = _rnn_args()
    with pytest.raises(ValueError, match=r"h_prev has shape \(4,\), expected \(B, H\) = \(1, 4\)"
                                         r".*use h_prev\[None\]"):
        cells.rnn_step_forward(x, h[0], *w)


def test_step_refuses_a_batch_of_states_for_one_input():
    x, _, *w = _rnn_args()
    with pytest.raises(ValueError, match=r"h_prev has shape \(5, 4\), expected \(B, H\) = \(1, 4\)"
                                         r": one row per sequence of x \(B = 1\)"):
        cells.rnn_step_forward(x, np.zeros((5, 4)), *w)
    with pytest.raises(ValueError, match=r"c_prev has shape \(5, 4\)"):
        r = np.random.default_rng(2)
        cells.lstm_step_forward(x, np.zeros((1, 4)), np.zeros((5, 4)), r.standard_normal((16, 3)),
                                r.standard_normal((16, 4)), np.zeros(16), np.zeros(16))


def test_step_refuses_mismatched_weights_inputs_and_values():
    x, h, w_ih, w_hh, b_ih, b_hh = _rnn_args()
    with pytest.raises(ValueError, match=r"weight_ih has shape \(3, 4\), expected \(4, D\)"):
        cells.rnn_step_forward(x, h, w_ih.T, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(3H, H\).*got \(4, 4\)"):
        cells.gru_step_forward(x, h, np.zeros((12, 3)), w_hh, np.zeros(12), np.zeros(12))
    with pytest.raises(ValueError, match=r"x has shape \(3,\), expected \(B, 3\).*x\[None\]"):
        cells.rnn_step_forward(x[0], h, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"bias_hh has shape \(1,\), expected \(4,\)"):
        cells.rnn_step_forward(x, h, w_ih, w_hh, b_ih, np.zeros(1))
    with pytest.raises(rnnlib.NonFiniteError, match=r"h_prev contains nan"):
        cells.rnn_step_forward(x, np.full((1, 4), np.nan), w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"x must be an array of real numbers"):
        cells.rnn_step_forward(np.array([["a", "b", "c"]]), h, w_ih, w_hh, b_ih, b_hh)


def test_step_backward_checks_its_gradient_and_cache():
    x, h, *w = _rnn_args(B=2)
    h1, cache = cells.rnn_step_forward(x, h, *w)
    with pytest.raises(ValueError, match=r"dh has shape \(4,\), expected \(2, 4\)"):
        cells.rnn_step_backward(np.ones(4), cache)
    with pytest.raises(ValueError, match=r"cache must be the cache returned by rnn_step_forward"):
        cells.rnn_step_backward(np.ones((2, 4)), None)
    with pytest.raises(ValueError, match=r"cache must be the cache returned by gru_step_forward"):
        cells.gru_step_backward(np.ones((2, 4)), {})


def test_step_keeps_float32_and_accepts_integer_inputs():
    x, h, *w = _rnn_args()
    h32, _ = cells.rnn_step_forward(*(a.astype(np.float32) for a in [x, h, *w]))
    assert h32.dtype == np.float32
    h_int, _ = cells.rnn_step_forward(np.ones((1, 3), dtype=int), h, *w)
    assert h_int.dtype == np.float64


def test_the_checks_claim_only_what_shapes_can_show():
    # a transposed square weight has the right shape: documented as beyond any check
    assert "transposed" in rnnlib._checks.__doc__ and "transposed" in cells.__doc__
    x, h, w_ih, w_hh, b_ih, b_hh = _rnn_args()
    a, _ = cells.rnn_step_forward(x, h, w_ih, w_hh, b_ih, b_hh)
    b, _ = cells.rnn_step_forward(x, h, w_ih, w_hh.T, b_ih, b_hh)
    assert not np.allclose(a, b)


# ---- clipping --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("clip", [lambda g: rnnlib.clip_grad_norm(g, 1.0),
                                  lambda g: rnnlib.clip_grad_norm_per_param(g, 1.0),
                                  lambda g: rnnlib.clip_grad_value(g, 1.0)])
def test_clipping_refuses_non_finite_gradients(clip, bad):
    grads = {"a": np.array([3.0, bad]), "b": np.array([4.0])}
    with pytest.raises(rnnlib.NonFiniteError, match=r"gradient of 'a' contains inf or NaN"):
        clip(grads)
    assert grads["b"][0] == 4.0                    # nothing was scaled on the way


@pytest.mark.parametrize("big", [1e308, 1e200, 1.7e308])
def test_clipping_scales_huge_finite_gradients_correctly(big):
    grads = {"a": np.array([big, -big]), "b": np.array([[big], [0.5 * big]])}
    norm = rnnlib.clip_grad_norm(grads, 1.0)
    # ||g|| = big * sqrt(1 + 1 + 1 + 0.25) = 1.803 big, possibly beyond float64 (then inf)
    expected = np.sqrt(3.25)
    if big * 1e-10 * expected < np.finfo(float).max * 1e-10:
        assert norm == pytest.approx(big * expected, rel=1e-12)
    else:
        assert np.isinf(norm)
    direction = np.array([1.0, -1.0, 1.0, 0.5]) / np.sqrt(3.25)
    clipped = np.concatenate([grads["a"], grads["b"].ravel()])
    np.testing.assert_allclose(clipped, direction, rtol=1e-12)
    assert rnnlib.global_norm(grads) == pytest.approx(1.0, rel=1e-9)


def test_per_param_clipping_of_huge_gradients():
    grads = {"a": np.array([1e308, 1e308]), "b": np.array([3.0, 4.0])}
    norms = rnnlib.clip_grad_norm_per_param(grads, 1.0)
    assert norms["a"] == pytest.approx(np.sqrt(2) * 1e308) and norms["b"] == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [2 ** -0.5] * 2, rtol=1e-12)
    np.testing.assert_allclose(grads["b"], [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("bad, said", [([1.0, 2.0], "got list"),
                                       (np.array([1, 2]), "got array of int64"),
                                       (3.0, "got float")])
def test_clipping_refuses_non_float_arrays(bad, said):
    for clip in (rnnlib.clip_grad_norm, rnnlib.clip_grad_norm_per_param, rnnlib.clip_grad_value):
        with pytest.raises(ValueError,
                           match=rf"gradient of 'w' must be a float numpy array.*{said}"):
            clip({"w": bad}, 1.0)
    with pytest.raises(ValueError, match=r"max_norm must be a positive finite number"):
        rnnlib.clip_grad_norm({"w": np.ones(2)}, np.inf)


def test_clipping_of_ordinary_gradients_is_unchanged():
    grads = {"a": np.array([3.0, 4.0])}
    assert rnnlib.clip_grad_norm(grads, 1.0) == 5.0
    np.testing.assert_array_equal(grads["a"], np.array([3.0, 4.0]) * (1.0 / (5.0 + 1e-6)))


# ---- optimisers and the gradient check --------------------------------------------------------

@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9, np.nan)])
def test_adam_refuses_betas_outside_0_1(betas):
    with pytest.raises(ValueError, match=r"betas\[[01]\] must be in \[0, 1\)"):
        rnnlib.Adam({"w": np.zeros(2)}, betas=betas)
    with pytest.raises(ValueError, match=r"betas must be a pair of numbers"):
        rnnlib.Adam({"w": np.zeros(2)}, betas=0.9)


@pytest.mark.parametrize("eps", [0, 0.0, -1e-8, np.inf, "1e-8", None])
def test_optimisers_refuse_eps_that_is_not_positive(eps):
    with pytest.raises(ValueError, match=r"eps must be a positive finite number"):
        rnnlib.Adam({"w": np.zeros(2)}, eps=eps)
    with pytest.raises(ValueError, match=r"eps must be a positive finite number"):
        rnnlib.Adagrad({"w": np.zeros(2)}, eps=eps)


def test_adam_with_zero_gradient_stays_finite():
    params = {"w": np.ones(3)}
    rnnlib.Adam(params).step({"w": np.zeros(3)})
    np.testing.assert_array_equal(params["w"], np.ones(3))


@pytest.mark.parametrize("eps", [0, -1e-6, np.nan, np.inf])
def test_numerical_gradient_refuses_bad_eps(eps):
    with pytest.raises(ValueError, match=r"eps must be a positive finite number.*divides by 2 eps"):
        numerical_gradient(lambda p: float(np.sum(p["w"])), {"w": np.ones(2)}, eps=eps)


def test_relative_error_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"analytic has shape \(3,\) but numeric has shape \(1,\)"):
        relative_error(np.ones(3), np.ones(1))
    assert relative_error(np.ones(3), np.ones(3)) == 0.0


# ---- overflow: a layer computes inf, whoever consumes it raises -------------------------------

def _exploding_relu_rnn(dtype=np.float64):
    layer = rnnlib.RNN(1, 2, nonlinearity="relu", seed=0, dtype=dtype)
    layer.params["weight_hh"][...] = 1e3
    layer.params["weight_ih"][...] = 1.0
    layer.params["bias_ih"][...] = layer.params["bias_hh"][...] = 0.0
    return layer


def test_relu_overflow_gives_inf_states_and_consumers_raise_non_finite_error():
    layer = _exploding_relu_rnn()
    hs, h_T, cache = layer.forward(np.ones((120, 1, 1)))       # 1e3^120 overflows: no warning
    assert np.isinf(h_T).all() and np.isfinite(hs[0]).all()
    with pytest.raises(rnnlib.NonFiniteError, match=r"h contains inf at index"):
        rnnlib.Linear(2, 1, seed=0).forward(hs)
    with pytest.raises(rnnlib.NonFiniteError, match=r"x contains inf"):
        rnnlib.RNN(2, 3, seed=0).forward(hs)                    # the next layer of a stack
    with pytest.raises(rnnlib.NonFiniteError, match=r"pred contains inf"):
        rnnlib.mse_loss(hs, np.zeros_like(hs))
    net = rnnlib.RecurrentNetwork(layer, rnnlib.Linear(2, 1, seed=0))
    with pytest.raises(rnnlib.NonFiniteError):
        net.forward(np.ones((120, 1, 1)))


def test_float32_overflow_demo_still_shows_inf_then_nan():
    from rnnlib.demos import gradients
    out = gradients.overflow_then_nan()
    assert out["first_inf"] is not None and out["first_nan"] == out["first_inf"] + 1


def test_rnn_cache_from_states_matches_forward_and_is_checked():
    layer = rnnlib.RNN(3, 4, seed=0)
    h0 = RNG.standard_normal((2, 4))
    hs, _, cache = layer.forward(X, h0)
    ref = layer.backward(DHS, cache)
    for built in (layer.cache_from_states(X, hs, h0), {"x": X, "h0": h0, "hs": hs}):
        got = layer.backward(DHS, built)
        np.testing.assert_array_equal(got[0], ref[0])
        for k in ref[2]:
            np.testing.assert_array_equal(got[2][k], ref[2][k])
    with pytest.raises(ValueError, match=r"hs has shape \(5, 2, 3\), expected \(5, 2, 4\)"):
        layer.backward(DHS, {"x": X, "h0": h0, "hs": hs[:, :, :3]})
