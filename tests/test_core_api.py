"""The core's registries and API edges: one cell registry, the non-finite error, composites'
params, TBPTT's target checks, the network classes."""

import numpy as np
import pytest

import rnnlib
from rnnlib import cell_registry


def test_cell_registry_names_classes_and_labels():
    assert rnnlib.CELLS == {"rnn": rnnlib.RNN, "lstm": rnnlib.LSTM, "gru": rnnlib.GRU}
    assert [rnnlib.CELL_LABELS[k] for k in rnnlib.CELLS] == ["RNN", "LSTM", "GRU"]
    assert set(rnnlib.CELL_LABELS) == set(rnnlib.CELLS)
    for name, cls in rnnlib.CELLS.items():
        label = rnnlib.CELL_LABELS[name]
        assert rnnlib.cell_layer(name) is cls
        assert rnnlib.cell_layer(label) is cls          # the labels are accepted too
        assert rnnlib.cell_name(label) == name
        assert rnnlib.cell_label(name) == label


@pytest.mark.parametrize("bad", ["lstmm", "", None, 3, ["rnn"]])
def test_cell_registry_refuses_unknown_cells(bad):
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]"):
        rnnlib.cell_layer(bad)
    with pytest.raises(ValueError, match=r"cell must be one of"):
        rnnlib.stacked(bad, 3, 4)


def test_stacked_reads_the_registry():
    for name, cls in cell_registry.CELLS.items():
        stack = rnnlib.stacked(name, 3, 4, num_layers=2, seed=0)
        assert all(type(layer) is cls for layer in stack.layers)
    assert type(rnnlib.stacked("LSTM", 3, 4, seed=0).layers[0]) is rnnlib.LSTM


# ---- the non-finite error ---------------------------------------------------------------------

def test_non_finite_error_is_a_value_error_with_the_old_words():
    assert issubclass(rnnlib.NonFiniteError, ValueError)
    x = np.zeros((4, 1, 3))
    x[1, 0, 2] = np.inf
    with pytest.raises(rnnlib.NonFiniteError, match=r"x contains inf at index \(1, 0, 2\); "
                                                      r"expected finite numbers"):
        rnnlib.RNN(3, 2, seed=0).forward(x)
    params = {"w": np.zeros(3)}
    with pytest.raises(rnnlib.NonFiniteError,
                       match=r"gradient of 'w' contains inf or NaN: training has diverged"):
        rnnlib.SGD(params, lr=0.1).step({"w": np.array([0.0, np.nan, 1.0])})


def test_a_mistake_is_not_a_non_finite_error():
    with pytest.raises(ValueError) as info:
        rnnlib.RNN(3, 2, seed=0).forward(np.zeros((4, 1, 5)))
    assert not isinstance(info.value, rnnlib.NonFiniteError)


def test_clipping_demo_tells_divergence_by_the_error_class():
    from rnnlib.demos import clipping
    run = clipping.train_forecaster(lr=0.5, max_norm=None, steps=60, nonlinearity="relu")
    assert run["diverged_at"] is not None
    assert "inf" in run["reason"] or "nan" in run["reason"].lower()


# ---- a composite's params: assignments reach the layers ---------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda: rnnlib.ElmanNetwork(3, 4, 2, seed=0), "rnn.weight_ih"),
    (lambda: rnnlib.RecurrentNetwork(rnnlib.stacked("lstm", 3, 4, num_layers=2,
                                                    bidirectional=True, seed=0),
                                     rnnlib.Linear(8, 2, seed=0)), "rnn.weight_hh_l1_reverse"),
    (lambda: rnnlib.stacked("gru", 3, 4, num_layers=2, seed=0), "bias_hh_l1"),
    (lambda: rnnlib.stacked("rnn", 3, 4, bidirectional=True, seed=0), "weight_ih_l0_reverse"),
])
def test_assigning_into_composite_params_changes_the_network(make, name):
    net = make()
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    before = net.forward(x)[0]
    new = np.full(net.params[name].shape, 0.3)
    net.params[name] = new
    assert np.array_equal(net.params[name], new)
    assert not np.allclose(net.forward(x)[0], before)
    fresh = make()                                   # the same as writing into the array
    fresh.params[name][...] = 0.3
    np.testing.assert_array_equal(net.forward(x)[0], fresh.forward(x)[0])
    p = net.params
    p.update({name: np.zeros_like(new)})
    assert not net.params[name].any()


def test_composite_params_refuse_unknown_names_wrong_shapes_and_removal():
    net = rnnlib.ElmanNetwork(3, 4, 2, seed=0)
    with pytest.raises(ValueError, match=r"no parameter named 'rnn.weight'; the parameters are"):
        net.params["rnn.weight"] = np.zeros((4, 3))
    with pytest.raises(ValueError,
                       match=r"'out.bias' has shape \(2,\), got an array of shape \(3,\)"):
        net.params["out.bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"not removed or added"):
        del net.params["out.bias"]
    assert isinstance(net.params, dict) and type(net.params.copy()) is dict


# ---- truncated BPTT: targets in the caller's terms ---------------------------------------------

def _tbptt_setup():
    net = rnnlib.ElmanNetwork(3, 4, 2, seed=0)
    x = np.random.default_rng(0).standard_normal((7, 2, 3))
    return net, x, lambda ys, t: rnnlib.mse_loss(ys, t)


def test_tbptt_reports_target_shapes_in_the_whole_sequence_terms():
    net, x, loss = _tbptt_setup()
    with pytest.raises(ValueError, match=r"targets of shape \(7, 2, 3\) do not fit the model's "
                                         r"outputs, \(7, 2, 2\) over the whole sequence"):
        rnnlib.truncated_bptt(net, loss, x, np.zeros((7, 2, 3)), k=2)


@pytest.mark.parametrize("T_targets", [9, 5])
def test_tbptt_refuses_targets_of_another_length(T_targets):
    net, x, loss = _tbptt_setup()
    with pytest.raises(ValueError, match=rf"targets has {T_targets} steps .* but x has 7"):
        rnnlib.truncated_bptt(net, loss, x, np.zeros((T_targets, 2, 2)), k=3)


def test_tbptt_with_k_at_least_T_is_full_bptt():
    net, x, loss = _tbptt_setup()
    y = np.random.default_rng(1).standard_normal((7, 2, 2))
    total, grads, _ = rnnlib.truncated_bptt(net, loss, x, y, k=7)
    ys, _, cache = net.forward(x)
    full_loss, dys = loss(ys, y)
    full = net.backward(dys, cache)[2]
    assert total == pytest.approx(full_loss)
    for key in full:
        np.testing.assert_allclose(grads[key], full[key], rtol=1e-12)


def test_elman_network_is_a_class_and_a_recurrent_network():
    net = rnnlib.ElmanNetwork(3, 4, 2, many_to_one=True, seed=0)
    assert isinstance(net, rnnlib.ElmanNetwork) and isinstance(net, rnnlib.RecurrentNetwork)
    rng = np.random.default_rng(0)                 # the same draws, in the same order
    same = rnnlib.RecurrentNetwork(rnnlib.RNN(3, 4, seed=rng), rnnlib.Linear(4, 2, seed=rng),
                                   many_to_one=True)
    for k in net.params:
        np.testing.assert_array_equal(net.params[k], same.params[k])
    assert type(net.with_params(net.params)) is rnnlib.ElmanNetwork


# ---- the sigmoid keeps its relative accuracy ---------------------------------------------------

@pytest.mark.parametrize("a", [-745.0, -700.0, -100.0, -40.0, -37.0, -20.0, -1.0, 0.0, 3.0, 40.0])
def test_sigmoid_is_accurate_to_the_last_bits(a):
    import math
    exact = math.exp(a) / (1.0 + math.exp(a)) if a < 0 else 1.0 / (1.0 + math.exp(-a))
    got = float(rnnlib.cells.sigmoid(np.array([a]))[0])
    assert got == pytest.approx(exact, rel=4e-16, abs=0.0) or (exact < 1e-307 and got < 1e-307)


def test_sigmoid_underflows_quietly_and_keeps_float32():
    out = rnnlib.cells.sigmoid(np.array([-1000.0, 1000.0]))      # no overflow warning
    assert out[0] == 0.0 and out[1] == 1.0
    assert rnnlib.cells.sigmoid(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert rnnlib.cells.sigmoid(0.0) == 0.5
