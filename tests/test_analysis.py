"""Gradient analysis: computed by BPTT, checked against closed forms."""

import numpy as np
import pytest

import rnnlib
from rnnlib import analysis


@pytest.mark.parametrize("w,steps,expected", [(1.1, 50, 117.390853), (0.9, 50, 0.005153775),
                                              (1.1, 65, 490.370725), (0.9, 65, 0.001061117)])
@pytest.mark.parametrize("nonlinearity", ["linear", "relu"])
def test_scalar_gradient_decay_reproduces_seed_003(w, steps, expected, nonlinearity):
    g = analysis.scalar_gradient_decay(w, 80, nonlinearity=nonlinearity)
    assert g.shape == (81,) and g[0] == 1.0
    assert np.isclose(g[steps], expected, rtol=1e-6)


def test_tanh_gradient_decays_faster_than_linear():
    lin = analysis.scalar_gradient_decay(1.1, 50, "linear", h0=0.5)
    tanh = analysis.scalar_gradient_decay(1.1, 50, "tanh", h0=0.5)
    assert tanh[50] < lin[50]          # f' = 1 - h^2 < 1 shrinks every factor


def test_jacobian_products_equal_the_product_of_step_jacobians():
    rng = np.random.default_rng(0)
    layer = rnnlib.RNN(2, 3, seed=1)
    x = rng.standard_normal((6, 1, 2))
    J = analysis.jacobian_products(layer, x)
    hs = layer.forward(x)[0][:, 0]
    W = layer.params["weight_hh"]
    prod = np.eye(3)
    assert np.allclose(J[-1, 0], np.eye(3))
    for t in range(5, 0, -1):                   # dh_T/dh_t = prod_k diag(1 - h_k^2) W_hh
        prod = prod @ (np.diag(1 - hs[t] ** 2) @ W)
        assert np.allclose(J[t - 1, 0], prod, atol=1e-12)


def test_jacobian_products_for_gated_cells_match_finite_differences():
    """J[0] = dh_T/dh_1 (c_1 held fixed for the LSTM), against central differences on h_1."""
    rng = np.random.default_rng(1)
    eps = 1e-6
    for layer in (rnnlib.GRU(2, 3, seed=0), rnnlib.LSTM(2, 3, seed=0)):
        x = rng.standard_normal((4, 1, 2))
        J = analysis.jacobian_products(layer, x)[0, 0]
        _, _, cache = layer.forward(x)
        h1 = cache["hs"][0]

        def h_T_from(h, layer=layer, x=x, cache=cache):   # run steps 2..T from a given h_1
            state = (h, cache["cs"][0]) if layer.has_cell_state else h
            final = layer.forward(x[1:], state)[1]
            return (final[0] if layer.has_cell_state else final)[0]
        for j in range(3):
            e = np.zeros((1, 3))
            e[0, j] = eps
            column = (h_T_from(h1 + e) - h_T_from(h1 - e)) / (2 * eps)
            assert np.allclose(J[:, j], column, atol=1e-8)


def test_gradient_norms_and_matrix_measures():
    W = analysis.random_recurrent_matrix(8, 0.7, seed=3)
    assert np.isclose(analysis.spectral_radius(W), 0.7)
    assert analysis.largest_singular_value(W) >= analysis.spectral_radius(W) - 1e-12
    layer = rnnlib.RNN(1, 8, seed=0)
    layer.params["weight_hh"][...] = W
    T = 30
    x = np.zeros((T, 1, 1))
    norms = analysis.gradient_norms(layer, x, analysis.last_step_loss_gradient(T, 1, 8),
                                    state0=np.full((1, 8), 0.1))
    assert norms.shape == (T,) and np.isclose(norms[-1], np.sqrt(8))
    assert norms[0] < norms[-1] * 1e-2             # spectral radius 0.7 < 1: vanishing
    with pytest.raises(ValueError, match="square matrix"):
        analysis.spectral_radius(np.zeros((2, 3)))
