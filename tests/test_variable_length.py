"""Real sequences: lengths= on the layers (padded batches), masked losses, Embedding. Each part
is checked by finite differences and against PyTorch (pack_padded_sequence, ignore_index,
nn.Embedding), and refuses bad input."""

import numpy as np
import pytest

import rnnlib
from rnnlib.gradcheck import numerical_gradient, relative_error

T, B, D, H = 6, 3, 2, 4
LENGTHS = np.array([6, 2, 4])
CELLS = ["rnn", "lstm", "gru"]


def _layer(cell):
    return rnnlib.cell_layer(cell)(D, H, seed=0)


def _random_like(state, rng):
    if isinstance(state, tuple):
        return tuple(rng.standard_normal(s.shape) for s in state)
    return rng.standard_normal(state.shape)


def _dot(a, b):
    if isinstance(a, tuple):
        return sum(float(np.sum(u * v)) for u, v in zip(a, b))
    return float(np.sum(a * b))


def _padded_run(cell, seed):
    """A layer run forward and backward over a padded batch with random dhs and dstate."""
    layer = _layer(cell)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, D))
    hs, state, cache = layer.forward(x, lengths=LENGTHS)
    dhs, dstate = rng.standard_normal(hs.shape), _random_like(state, rng)
    dx, _, grads = layer.backward(dhs, cache, dstate)
    return layer, x, hs, dhs, dstate, dx, grads


# ---- lengths: each sequence as if it ran alone ------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_each_sequence_equals_running_it_alone(cell):
    layer = _layer(cell)
    x = np.random.default_rng(0).standard_normal((T, B, D))
    hs, state, _ = layer.forward(x, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS):
        alone_hs, alone_state, _ = layer.forward(x[:n, b:b + 1])
        np.testing.assert_allclose(hs[:n, b], alone_hs[:, 0], rtol=1e-13, atol=1e-15)
        assert not hs[n:, b].any()                                   # padding: zeros
        for got, want in zip(state if isinstance(state, tuple) else (state,),
                             alone_state if isinstance(alone_state, tuple) else (alone_state,)):
            np.testing.assert_allclose(got[b], want[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_padding_gets_no_gradient_and_changes_nothing(cell):
    layer, x, hs, dhs, dstate, dx, grads = _padded_run(cell, 1)
    for b, n in enumerate(LENGTHS):
        assert not dx[n:, b].any()
    other = x.copy()
    other[5:, 1] = 100.0                                             # new padding values
    hs2, state2, cache2 = layer.forward(other, lengths=LENGTHS)
    np.testing.assert_array_equal(hs2, hs)
    _, _, grads2 = layer.backward(dhs, cache2, dstate)
    for k in grads:
        np.testing.assert_array_equal(grads2[k], grads[k])


@pytest.mark.parametrize("cell", CELLS)
def test_lengths_gradients_match_finite_differences(cell):
    layer, x, _, dhs, dstate, dx, grads = _padded_run(cell, 2)

    def loss(mod, xx):
        hs_, st_, _ = mod.forward(xx, lengths=LENGTHS)
        return float(np.sum(hs_ * dhs)) + _dot(st_, dstate)

    num = numerical_gradient(lambda p: loss(layer.with_params(p), x), layer.params)
    for k in grads:
        assert relative_error(grads[k], num[k]) < 1e-7, k
    num_x = numerical_gradient(lambda p: loss(layer, p["x"]), {"x": x})["x"]
    assert relative_error(dx, num_x) < 1e-7


@pytest.mark.parametrize("bad, said", [
    (np.array([6, 0, 4]), r"lengths must lie in \[1, T\] = \[1, 6\].*from 0 to 6"),
    (np.array([7, 2, 4]), r"lengths must lie in \[1, T\] = \[1, 6\].*from 2 to 7"),
    (np.array([6, 2]), r"lengths must be 3 integers \(B,\).*shape \(2,\)"),
    (np.array([6.0, 2.0, 4.0]), r"lengths must be 3 integers.*dtype float64"),
])
def test_bad_lengths_are_refused(bad, said):
    with pytest.raises(ValueError, match=said):
        _layer("gru").forward(np.zeros((T, B, D)), lengths=bad)


try:
    import torch
except ImportError:                      # the torch cross-checks only: the rest runs anyway
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _torch_twin(cell, layer):
    tm = getattr(torch.nn, rnnlib.cell_label(cell))(D, H).double()
    with torch.no_grad():
        for k, v in layer.params.items():
            getattr(tm, k + "_l0").copy_(torch.from_numpy(v))
    return tm


@needs_torch
@pytest.mark.parametrize("cell", CELLS)
def test_lengths_match_torch_packed_sequences(cell):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    layer = _layer(cell)
    tm = _torch_twin(cell, layer)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, B, D))
    hs, state, cache = layer.forward(x, lengths=LENGTHS)
    dhs = rng.standard_normal(hs.shape)
    dstate = _random_like(state, rng)
    dx, _, grads = layer.backward(dhs, cache, dstate)

    xt = torch.tensor(x, requires_grad=True)
    packed = pack_padded_sequence(xt, torch.tensor(LENGTHS), enforce_sorted=False)
    out, st = tm(packed)
    out, _ = pad_packed_sequence(out, total_length=T)
    st = st if isinstance(st, tuple) else (st,)
    loss = (out * torch.tensor(dhs)).sum()
    for s_t, d in zip(st, dstate if isinstance(dstate, tuple) else (dstate,)):
        loss = loss + (s_t[0] * torch.tensor(d)).sum()
    loss.backward()
    np.testing.assert_allclose(hs, out.detach().numpy(), atol=1e-12)
    for got, want in zip(state if isinstance(state, tuple) else (state,), st):
        np.testing.assert_allclose(got, want[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    for k, g in grads.items():
        np.testing.assert_allclose(g, getattr(tm, k + "_l0").grad.numpy(), atol=1e-11)


# ---- masked losses -----------------------------------------------------------------------------

def _logits_targets(seed=4, C=5):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, B, C))
    targets = rng.integers(C, size=(T, B))
    return logits, targets


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_masked_cross_entropy_counts_only_real_steps(reduction):
    logits, targets = _logits_targets()
    mask = np.arange(T)[:, None] < LENGTHS[None, :]
    loss, d = rnnlib.softmax_cross_entropy(logits, targets, reduction, mask=mask)
    assert not d[~mask].any()
    num = numerical_gradient(lambda p: rnnlib.softmax_cross_entropy(
        p["z"], targets, reduction, mask=mask)[0], {"z": logits})["z"]
    assert relative_error(d, num) < 1e-7
    ignored = np.where(mask, targets, -100)           # the same thing said with ignore_index
    loss2, d2 = rnnlib.softmax_cross_entropy(logits, ignored, reduction, ignore_index=-100)
    assert loss2 == pytest.approx(loss, rel=1e-14)
    np.testing.assert_allclose(d2, d, rtol=1e-14)
    if reduction == "mean":                           # the mean over the counted predictions
        full = rnnlib.softmax_cross_entropy(logits[mask][:, None], targets[mask][:, None],
                                            "mean")[0]
        assert loss == pytest.approx(full, rel=1e-14)


@needs_torch
def test_cross_entropy_ignore_index_matches_torch():
    logits, targets = _logits_targets(5)
    targets[1, 2] = targets[4, 0] = -100
    loss, d = rnnlib.softmax_cross_entropy(logits, targets, "mean", ignore_index=-100)
    zt = torch.tensor(logits, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt.reshape(-1, 5), torch.tensor(targets).reshape(-1),
                                           ignore_index=-100)
    lt.backward()
    assert loss == pytest.approx(lt.item(), rel=1e-13)
    np.testing.assert_allclose(d, zt.grad.numpy(), atol=1e-15)


def test_masked_mse_matches_the_real_steps_and_finite_differences():
    rng = np.random.default_rng(6)
    pred, target = rng.standard_normal((T, B, 2)), rng.standard_normal((T, B, 2))
    mask = np.arange(T)[:, None] < LENGTHS[None, :]
    loss, d = rnnlib.mse_loss(pred, target, "mean", mask=mask)
    assert loss == pytest.approx(np.mean((pred[mask] - target[mask]) ** 2), rel=1e-14)
    assert not d[~mask].any()
    num = numerical_gradient(lambda p: rnnlib.mse_loss(p["y"], target, "sum", mask=mask)[0],
                             {"y": pred})["y"]
    assert relative_error(rnnlib.mse_loss(pred, target, "sum", mask=mask)[1], num) < 1e-7


def test_bad_masks_are_refused():
    logits, targets = _logits_targets()
    with pytest.raises(ValueError, match=r"mask has shape \(6,\), expected \(6, 3\)"):
        rnnlib.softmax_cross_entropy(logits, targets, mask=np.ones(6, bool))
    with pytest.raises(ValueError, match=r"mask must hold True/False"):
        rnnlib.softmax_cross_entropy(logits, targets, mask=np.full((T, B), 0.5))
    with pytest.raises(ValueError, match=r"leave no prediction to count"):
        rnnlib.softmax_cross_entropy(logits, targets, mask=np.zeros((T, B), bool))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 5\)"):
        rnnlib.softmax_cross_entropy(logits, np.full((T, B), -100), ignore_index=-1)
    with pytest.raises(ValueError, match=r"mask has shape \(6, 3, 2\), expected \(6, 3\)"):
        rnnlib.mse_loss(np.zeros((T, B, 2)), np.zeros((T, B, 2)), mask=np.ones((T, B, 2)))


# ---- Embedding ---------------------------------------------------------------------------------

def test_embedding_is_a_lookup_with_a_scatter_add_gradient():
    emb = rnnlib.Embedding(7, 3, seed=0)
    ids = np.array([[1, 1], [6, 0], [1, 3]])                         # id 1 three times
    out, cache = emb.forward(ids)
    np.testing.assert_array_equal(out, emb.params["weight"][ids])
    dout = np.random.default_rng(7).standard_normal(out.shape)
    _, grads = emb.backward(dout, cache)
    np.testing.assert_allclose(grads["weight"][1], dout[0, 0] + dout[0, 1] + dout[2, 0])
    assert not grads["weight"][[2, 4, 5]].any()                      # never looked up
    num = numerical_gradient(lambda p: float(np.sum(emb.with_params(p).forward(ids)[0] * dout)),
                             emb.params)
    assert relative_error(grads["weight"], num["weight"]) < 1e-8


@needs_torch
def test_embedding_matches_torch():
    emb = rnnlib.Embedding(7, 3, seed=0)
    te = torch.nn.Embedding(7, 3).double()
    with torch.no_grad():
        te.weight.copy_(torch.from_numpy(emb.params["weight"]))
    ids = np.array([[1, 1, 5], [6, 0, 1]])
    dout = np.random.default_rng(8).standard_normal((2, 3, 3))
    out, cache = emb.forward(ids)
    out_t = te(torch.tensor(ids))
    (out_t * torch.tensor(dout)).sum().backward()
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    np.testing.assert_allclose(emb.backward(dout, cache)[1]["weight"], te.weight.grad.numpy(),
                               atol=1e-15)


def test_embedding_feeds_a_layer_and_refuses_bad_ids():
    emb, layer = rnnlib.Embedding(7, D, seed=0), _layer("lstm")
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    hs, _, _ = layer.forward(emb.forward(ids)[0])
    assert hs.shape == (2, 3, H)
    with pytest.raises(ValueError,
                       match=r"ids must lie in \[0, 7\) \(the vocabulary\), got the id 7"):
        emb.forward(np.array([[7]]))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 7\).*got the id -1"):
        emb.forward(np.array([-1]))
    with pytest.raises(ValueError, match=r"integer token ids, got dtype float64"):
        emb.forward(np.array([1.0]))
    with pytest.raises(ValueError, match=r"cache must be the dict returned by Embedding.forward"):
        emb.backward(np.zeros((1, D)), None)


# ---- lengths through a Stack and a RecurrentNetwork --------------------------------------------

@pytest.mark.parametrize("many_to_one", [False, True])
def test_network_with_lengths_matches_each_sequence_alone_and_finite_differences(many_to_one):
    net = rnnlib.RecurrentNetwork(rnnlib.stacked("lstm", D, H, num_layers=2, seed=0),
                                  rnnlib.Linear(H, 2, seed=1), many_to_one=many_to_one)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((T, B, D))
    ys, _, cache = net.forward(x, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS):
        alone = net.forward(x[:n, b:b + 1])[0]
        want = alone[0] if many_to_one else alone[:, 0]
        got = ys[b] if many_to_one else ys[:n, b]
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    dys = rng.standard_normal(ys.shape)
    if not many_to_one:                                   # the loss of the real steps only
        dys *= (np.arange(T)[:, None] < LENGTHS[None, :])[..., None]
    dx, _, grads = net.backward(dys, cache)
    num = numerical_gradient(
        lambda p: float(np.sum(net.with_params(p).forward(x, lengths=LENGTHS)[0] * dys)),
        net.params)
    for k in grads:
        assert relative_error(grads[k], num[k]) < 1e-7, k


def test_bidirectional_refuses_lengths_for_now():
    bi = rnnlib.stacked("gru", D, H, bidirectional=True, seed=0)
    with pytest.raises(ValueError, match=r"lengths= is not available for Bidirectional"):
        bi.forward(np.zeros((T, B, D)), lengths=LENGTHS)
