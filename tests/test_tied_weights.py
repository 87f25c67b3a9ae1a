"""TokenLanguageModel: embedding -> recurrent layer -> output layer, with and without tied
weights; every gradient by finite differences and the whole model against torch."""

import numpy as np
import pytest

import rnnlib
from conftest import torch_or_skip
from rnnlib.gradcheck import gradcheck

V, H, T, B = 7, 5, 4, 3


def ids(seed=0):
    return np.random.default_rng(seed).integers(0, V, size=(T, B))


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradients_match_finite_differences(tied, cell):
    model = rnnlib.TokenLanguageModel(V, H, cell=cell, tie_weights=tied, seed=1)
    x = ids()
    logits, _, cache = model.forward(x)
    dlogits = np.random.default_rng(2).standard_normal(logits.shape)
    grads = model.backward(dlogits, cache)
    assert set(grads) == set(model.params)
    errors = gradcheck(lambda p: float(np.sum(model.with_params(p).forward(x)[0] * dlogits)),
                       model.params, grads)
    assert max(errors.values()) < 1e-7, errors


def test_tying_shares_one_matrix_and_saves_its_parameters():
    untied = rnnlib.TokenLanguageModel(V, H, tie_weights=False, seed=0)
    tied = rnnlib.TokenLanguageModel(V, H, tie_weights=True, seed=0)
    assert "out.weight" not in tied.params
    assert untied.num_params() - tied.num_params() == V * H
    logits, _, _ = tied.forward(ids())
    _, _, cache = tied.rnn.forward(tied.embedding.forward(ids())[0])
    np.testing.assert_allclose(logits, cache["hs"] @ tied.params["embedding.weight"].T
                               + tied.params["out.bias"])


def test_tied_needs_matching_sizes():
    with pytest.raises(ValueError, match="tied weights need embedding_dim == hidden_size"):
        rnnlib.TokenLanguageModel(V, H, embedding_dim=H + 1, tie_weights=True)


def test_ids_outside_the_vocabulary_are_refused():
    model = rnnlib.TokenLanguageModel(V, H, seed=0)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 7\)"):
        model.forward(np.full((T, B), V))


@pytest.mark.torch
def test_tied_model_matches_torch():
    torch = torch_or_skip()
    model = rnnlib.TokenLanguageModel(V, H, cell="gru", tie_weights=True, seed=3)
    x = ids(4)
    logits, _, cache = model.forward(x)
    dlogits = np.random.default_rng(5).standard_normal(logits.shape)
    grads = model.backward(dlogits, cache)

    emb = torch.nn.Embedding(V, H)
    gru = torch.nn.GRU(H, H)
    bias = torch.nn.Parameter(torch.tensor(model.params["out.bias"]))
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(model.params["embedding.weight"]))
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(gru, name + "_l0").copy_(torch.tensor(model.params["rnn." + name]))
    hs, _ = gru(emb(torch.tensor(x)))
    t_logits = hs @ emb.weight.T + bias                       # the same matrix, used twice
    (t_logits * torch.tensor(dlogits)).sum().backward()
    np.testing.assert_allclose(logits, t_logits.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(grads["embedding.weight"], emb.weight.grad.numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["out.bias"], bias.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["rnn.weight_hh"], gru.weight_hh_l0.grad.numpy(),
                               rtol=1e-10, atol=1e-12)
