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
