"""Bad input gives a clear ValueError naming what was expected and what came, before any
arithmetic; overflow in a demo gives inf with no warning (pyproject turns RuntimeWarning into
an error, so a warning would fail these tests)."""

import numpy as np
import pytest

import rnnlib

LAYERS = [
    lambda: rnnlib.RNN(3, 4, seed=0),
    lambda: rnnlib.LSTM(3, 4, seed=0),
    lambda: rnnlib.GRU(3, 4, seed=0),
]


@pytest.mark.parametrize("make", LAYERS)
def test_wrong_feature_size(make):
    with pytest.raises(ValueError, match=r"x has 7 features, this layer expects 3"):
        make().forward(np.zeros((5, 2, 7)))


@pytest.mark.parametrize("make", LAYERS)
def test_wrong_number_of_dimensions(make):
    with pytest.raises(
        ValueError, match=r"x must have 3 dimensions \(T, B, D\), got 2 .*x\[:, None, :\]"
    ):
        make().forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"got 4"):
        make().forward(np.zeros((5, 2, 3, 1)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("make", LAYERS)
def test_non_finite_input(make, bad):
    x = np.zeros((5, 2, 3))
    x[2, 1, 0] = bad
    with pytest.raises(ValueError, match=r"x contains .* at index \(2, 1, 0\); expected finite"):
        make().forward(x)


@pytest.mark.parametrize("make", LAYERS)
def test_non_finite_parameter(make):
    layer = make()
    layer.params["weight_hh"][0, 1] = np.nan
    with pytest.raises(ValueError, match=r"parameter 'weight_hh' contains nan at index \(0, 1\)"):
        layer.forward(np.zeros((2, 1, 3)))


def test_wrong_state_shapes():
    with pytest.raises(ValueError, match=r"state0 has shape \(3, 4\), expected \(2, 4\)"):
        rnnlib.RNN(3, 4, seed=0).forward(np.zeros((5, 2, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"state0 of an LSTM must be a pair \(h, c\)"):
        rnnlib.LSTM(3, 4, seed=0).forward(np.zeros((5, 2, 3)), np.zeros((2, 4)))
    with pytest.raises(
        ValueError, match=r"state0\[1\] \(c\) has shape \(2, 5\), expected \(2, 4\)"
    ):
        rnnlib.LSTM(3, 4, seed=0).forward(np.zeros((5, 2, 3)), (np.zeros((2, 4)), np.zeros((2, 5))))
    layer = rnnlib.GRU(3, 4, seed=0)
    _, _, cache = layer.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"dhs has shape \(5, 2, 3\), expected \(5, 2, 4\)"):
        layer.backward(np.zeros((5, 2, 3)), cache)


def test_wrong_parameter_shape_and_keys():
    layer = rnnlib.LSTM(3, 4, seed=0)
    layer.params["weight_ih"] = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"'weight_ih' has shape \(4, 3\), expected \(16, 3\)"):
        layer.forward(np.zeros((2, 1, 3)))
    layer = rnnlib.RNN(3, 4, seed=0)
    del layer.params["bias_hh"]
    with pytest.raises(ValueError, match=r"missing \['bias_hh'\]"):
        layer.forward(np.zeros((2, 1, 3)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"hidden_size must be a positive integer, got 0"):
        rnnlib.RNN(3, 0)
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .* got 'softplus'"):
        rnnlib.RNN(3, 4, nonlinearity="softplus")
    with pytest.raises(ValueError, match=r"seed must be an int"):
        rnnlib.GRU(3, 4, seed="zero")
    with pytest.raises(ValueError, match=r"cell must be one of"):
        rnnlib.stacked("transformer", 3, 4)
    with pytest.raises(ValueError, match=r"layer 1 expects 5 features but layer 0 produces 4"):
        rnnlib.Stack([rnnlib.RNN(3, 4), rnnlib.RNN(5, 4)])


def test_string_and_object_inputs_are_refused():
    with pytest.raises(ValueError, match=r"array of real numbers"):
        rnnlib.RNN(1, 2, seed=0).forward(np.array([[["a"]]]))


def test_loss_arguments():
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\), got values from 0 to 3"):
        rnnlib.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"targets has shape \(3,\), expected \(2,\)"):
        rnnlib.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"targets must be integer class indices"):
        rnnlib.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target has shape \(2, 3\), expected \(2, 2\)"):
        rnnlib.mse_loss(np.zeros((2, 2)), np.zeros((2, 3)))


def test_optimiser_refuses_diverged_gradients():
    params = {"w": np.zeros(3)}
    with pytest.raises(
        ValueError, match=r"gradient of 'w' contains inf or NaN: training has diverged"
    ):
        rnnlib.Adam(params).step({"w": np.array([1.0, np.inf, 0.0])})
    with pytest.raises(ValueError, match=r"grads have keys \['v'\], expected"):
        rnnlib.SGD(params, lr=0.1).step({"v": np.zeros(3)})


def test_overflow_gives_inf_without_warnings():
    layer = rnnlib.RNN(1, 1, nonlinearity="relu", seed=0, dtype=np.float32)
    layer.params["weight_hh"][...] = 2.0
    layer.params["weight_ih"][...] = 1.0
    layer.params["bias_ih"][...] = layer.params["bias_hh"][...] = 0.0
    x = np.ones((200, 1, 1))
    hs, h_T, cache = layer.forward(x)  # 2^200 overflows float32: inf, no warning
    assert np.isinf(h_T).all()
    dx, dh0, grads = layer.backward(np.ones_like(hs), cache)
    assert not np.isfinite(dh0).all()
    g = rnnlib.analysis.scalar_gradient_decay(2.0, 200, dtype=np.float32)
    assert np.isinf(g[-1]) and np.isfinite(g[100])
    # finite gradients whose squares overflow still have a finite norm, found by scaling
    assert rnnlib.global_norm({"g": np.array([1e300, 1e300])}) == pytest.approx(2**0.5 * 1e300)


def test_mse_of_a_diverged_model_is_inf_without_warning():
    loss, d = rnnlib.mse_loss(np.array([[1e200]]), np.array([[0.0]]))
    assert np.isinf(loss) and np.isfinite(d).all()


def test_exercise_check_names_text_output_as_a_type_mistake(capsys):
    from rnnlib.exercises import run_check

    result = run_check("Ex", lambda a: "0.3", lambda a: a * 2, [(np.arange(3.0),)], hint="h")
    assert result.status == "type" and "text '0.3'" in capsys.readouterr().out
