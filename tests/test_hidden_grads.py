"""dL/dh_t (and dL/dc_t for an LSTM) from the composites, checked by finite differences, and the
EncoderDecoder's gradients, checked by finite differences."""

import numpy as np
import pytest

import rnnlib
from rnnlib.gradcheck import numerical_gradient, relative_error

T, B, D, H, O = 5, 2, 3, 4, 2


def _net(cell, many_to_one=False):
    layer = rnnlib.cell_layer(cell)(D, H, seed=1)
    return rnnlib.RecurrentNetwork(layer, rnnlib.Linear(H, O, seed=2), many_to_one=many_to_one)


def _loss_from_step(net, x, dys, t, state_t, many_to_one):
    """The loss as a function of the state at step t (h_t, or (h_t, c_t)): what step t's output
    and all later steps contribute."""
    h_t = state_t[0] if isinstance(state_t, tuple) else state_t
    loss = 0.0
    if not many_to_one:
        loss += float(np.sum(dys[t] * net.head.forward(h_t)[0]))
    if t + 1 < len(x):
        hs, _, _ = net.rnn.forward(x[t + 1:], state_t)
        if many_to_one:
            loss += float(np.sum(dys * net.head.forward(hs[-1])[0]))
        else:
            loss += float(np.sum(dys[t + 1:] * net.head.forward(hs)[0]))
    elif many_to_one:
        loss += float(np.sum(dys * net.head.forward(h_t)[0]))
    return loss


@pytest.mark.parametrize("many_to_one", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrent_network_hidden_grads_match_finite_differences(cell, many_to_one):
    rng = np.random.default_rng(0)
    net = _net(cell, many_to_one)
    x = rng.standard_normal((T, B, D))
    ys, _, cache = net.forward(x)
    dys = rng.standard_normal(ys.shape)
    lstm = cell == "lstm"
    out = net.backward(dys, cache, return_hidden_grads=True, return_cell_grads=lstm)
    dh_total = out[3]
    hs = cache["hs"]
    cs = cache["rnn"]["cs"] if lstm else None
    for t in range(T):
        def f(p, t=t):
            state = (p["h"], p["c"]) if lstm else p["h"]
            return _loss_from_step(net, x, dys, t, state, many_to_one)
        point = {"h": hs[t].copy()}
        if lstm:
            point["c"] = cs[t].copy()
        num = numerical_gradient(f, point)
        assert relative_error(dh_total[t], num["h"]) < 1e-7
        if lstm:       # c_t reaches the loss through c_{t+1} and through h_t = o_t tanh(c_t)
            o_t = cache["rnn"]["gates"]["o"][t]

            def g(p, t=t, o_t=o_t):
                return _loss_from_step(net, x, dys, t, (o_t * np.tanh(p["c"]), p["c"]),
                                       many_to_one)
            num_c = numerical_gradient(g, {"c": cs[t].copy()})["c"]
            assert relative_error(out[4][t], num_c) < 1e-7


def test_hidden_grads_leave_the_other_outputs_unchanged():
    rng = np.random.default_rng(3)
    net = _net("lstm")
    x = rng.standard_normal((T, B, D))
    ys, _, cache = net.forward(x)
    dys = rng.standard_normal(ys.shape)
    plain = net.backward(dys, cache)
    extra = net.backward(dys, cache, return_hidden_grads=True, return_cell_grads=True)
    assert len(plain) == 3 and len(extra) == 5
    np.testing.assert_array_equal(plain[0], extra[0])
    for k in plain[2]:
        np.testing.assert_array_equal(plain[2][k], extra[2][k])


def test_stack_hidden_grads_are_per_layer_and_chain_like_the_layers():
    rng = np.random.default_rng(4)
    stack = rnnlib.stacked("gru", D, H, num_layers=2, seed=0)
    x = rng.standard_normal((T, B, D))
    hs, _, cache = stack.forward(x)
    dhs = rng.standard_normal(hs.shape)
    _, _, _, per_layer = stack.backward(dhs, cache, return_hidden_grads=True)
    lower, upper = stack.layers
    d_lower, _, _, dh_upper = upper.backward(dhs, cache[1], return_hidden_grads=True)
    _, _, _, dh_lower = lower.backward(d_lower, cache[0], return_hidden_grads=True)
    np.testing.assert_array_equal(per_layer[1], dh_upper)
    np.testing.assert_array_equal(per_layer[0], dh_lower)


def test_bidirectional_hidden_grads_are_laid_out_like_hs():
    rng = np.random.default_rng(5)
    bi = rnnlib.stacked("lstm", D, H, bidirectional=True, seed=0).layers[0]
    x = rng.standard_normal((T, B, D))
    hs, _, cache = bi.forward(x)
    dhs = rng.standard_normal(hs.shape)
    _, _, _, dh, dc = bi.backward(dhs, cache, return_hidden_grads=True, return_cell_grads=True)
    assert dh.shape == dc.shape == hs.shape
    out_b = bi.backward_layer.backward(dhs[::-1, :, H:], cache["backward"],
                                       return_hidden_grads=True, return_cell_grads=True)
    np.testing.assert_array_equal(dh[:, :, H:], out_b[3][::-1])
    np.testing.assert_array_equal(dc[:, :, H:], out_b[4][::-1])


def test_cell_grads_need_an_lstm_and_hidden_grads():
    net = _net("gru")
    ys, _, cache = net.forward(np.zeros((T, B, D)))
    with pytest.raises(ValueError, match=r"return_cell_grads=True needs LSTM layers"):
        net.backward(np.ones_like(ys), cache, return_hidden_grads=True, return_cell_grads=True)
    net = _net("lstm")
    ys, _, cache = net.forward(np.zeros((T, B, D)))
    with pytest.raises(ValueError, match=r"goes with return_hidden_grads=True"):
        net.backward(np.ones_like(ys), cache, return_cell_grads=True)


# ---- EncoderDecoder --------------------------------------------------------------------------

def _seq2seq_batch(model, T_x=4, T_y=3, B=2, seed=0):
    rng = np.random.default_rng(seed)
    x = np.eye(model.n_in)[rng.integers(model.n_in, size=(T_x, B))]
    y = rng.integers(model.n_out, size=(T_y, B))
    return x, y


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_encoder_decoder_gradients_match_finite_differences(cell):
    model = rnnlib.EncoderDecoder(3, 4, 5, cell=cell, seed=0)
    x, y = _seq2seq_batch(model)
    x = x + 0.1 * np.random.default_rng(1).standard_normal(x.shape)   # a dense x for dx
    y_in = model.decoder_inputs(y)

    def loss(m, xx):
        logits, _, _ = m.forward(xx, y_in)
        return rnnlib.softmax_cross_entropy(logits, y)[0]

    logits, _, cache = model.forward(x, y_in)
    _, dlogits = rnnlib.softmax_cross_entropy(logits, y)
    dx, grads, dh_enc, dh_dec = model.backward(dlogits, cache, return_hidden_grads=True)
    assert set(grads) == set(model.params)
    num = numerical_gradient(lambda p: loss(model.with_params(p), x), model.params)
    for k in grads:
        assert relative_error(grads[k], num[k]) < 1e-6, k
    num_x = numerical_gradient(lambda p: loss(model, p["x"]), {"x": x})["x"]
    assert relative_error(dx, num_x) < 1e-6
    assert dh_enc.shape == (4, 2, 5) and dh_dec.shape == (3, 2, 5)
    plain = model.backward(dlogits, cache)
    assert len(plain) == 2
    np.testing.assert_array_equal(plain[0], dx)


def test_encoder_decoder_teacher_forcing_and_greedy_decoding():
    model = rnnlib.EncoderDecoder(3, 4, 5, cell="GRU", seed=0)
    assert model.cell == "gru"
    x, y = _seq2seq_batch(model)
    y_in = model.decoder_inputs(y)
    assert y_in.shape == (3, 2, 5)
    np.testing.assert_array_equal(y_in[0].argmax(-1), [4, 4])            # the start symbol
    np.testing.assert_array_equal(y_in[1:].argmax(-1), y[:-1])           # then the true outputs
    out = model.generate(x, 3)
    assert out.shape == (3, 2) and out.dtype == np.int64
    # greedy decoding = teacher forcing on its own outputs
    logits, _, _ = model.forward(x, model.decoder_inputs(out))
    np.testing.assert_array_equal(logits.argmax(-1), out)


def test_encoder_decoder_params_and_bad_input():
    model = rnnlib.EncoderDecoder(3, 4, 5, cell="lstm", seed=0)
    assert model.num_params() == sum(v.size for v in model.params.values())
    assert {k.split(".")[0] for k in model.params} == {"encoder", "decoder", "out"}
    x, y = _seq2seq_batch(model)
    with pytest.raises(ValueError, match=r"y must hold ids in \[0, 4\)"):
        model.decoder_inputs(y + 4)
    with pytest.raises(ValueError, match=r"y_in must be \(T_y, B, O \+ 1\) = \(T_y, 2, 5\)"):
        model.forward(x, np.zeros((3, 1, 5)))
    with pytest.raises(ValueError, match=r"cache must be the dict returned by EncoderDecoder"):
        model.backward(np.zeros((3, 2, 4)), None)
    with pytest.raises(ValueError, match=r"cell must be one of"):
        rnnlib.EncoderDecoder(3, 4, 5, cell="transformer")
