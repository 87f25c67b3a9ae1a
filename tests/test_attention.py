"""rnnlib.attention: finite-difference checks of every gradient, a cross-check against an
autograd implementation written here in torch, masks, and bad input."""

import numpy as np
import pytest

from conftest import torch_or_skip
from rnnlib.attention import AdditiveAttention, DotProductAttention, masked_softmax
from rnnlib.gradcheck import gradcheck

S, B, H, V, A = 5, 3, 4, 6, 7


def make_inputs(seed=0, key_size=H, query_size=H, with_mask=True):
    rng = np.random.default_rng(seed)
    query = rng.standard_normal((B, query_size))
    keys = rng.standard_normal((S, B, key_size))
    values = rng.standard_normal((S, B, V))
    mask = None
    if with_mask:
        lengths = np.array([S, 3, 1])
        mask = np.arange(S)[:, None] < lengths[None, :]
    return query, keys, values, mask


def modules():
    return [
        DotProductAttention(),
        DotProductAttention(scaled=False),
        AdditiveAttention(H, H, A, seed=1),
    ]


@pytest.mark.parametrize("module", modules(), ids=repr)
@pytest.mark.parametrize("with_values", [True, False])
@pytest.mark.parametrize("with_mask", [True, False])
def test_every_gradient_matches_finite_differences(module, with_values, with_mask):
    query, keys, values, mask = make_inputs(with_mask=with_mask)
    values = values if with_values else None
    context, weights, cache = module.forward(query, keys, values, mask)
    dcontext = np.random.default_rng(9).standard_normal(context.shape)
    dquery, dkeys, dvalues, grads = module.backward(dcontext, cache)

    def loss(mod, q, k, v):
        return float(np.sum(mod.forward(q, k, v, mask)[0] * dcontext))

    inputs = {"query": query, "keys": keys}
    analytic = {"query": dquery, "keys": dkeys}
    if with_values:
        inputs["values"], analytic["values"] = values, dvalues
    errors = gradcheck(
        lambda d: loss(module, d["query"], d["keys"], d.get("values")), inputs, analytic
    )
    if module.params:
        errors.update(
            gradcheck(
                lambda p: loss(module.with_params(p), query, keys, values), module.params, grads
            )
        )
    assert max(errors.values()) < 1e-8, errors


@pytest.mark.parametrize("module", modules(), ids=repr)
def test_padding_gets_zero_weight_and_zero_gradient(module):
    query, keys, values, mask = make_inputs()
    context, weights, cache = module.forward(query, keys, values, mask)
    assert np.all(weights[~mask] == 0.0)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-14)
    dquery, dkeys, dvalues, _ = module.backward(np.ones_like(context), cache)
    assert np.all(dkeys[~mask] == 0.0) and np.all(dvalues[~mask] == 0.0)
    # Whatever sits in the padding does not change the result.
    keys2, values2 = keys.copy(), values.copy()
    keys2[~mask] = 1e3
    values2[~mask] = -7.0
    context2, weights2, _ = module.forward(query, keys2, values2, mask)
    np.testing.assert_allclose(context2, context, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(weights2, weights, rtol=1e-13, atol=1e-14)


def test_masked_softmax_is_a_softmax_over_the_real_positions():
    scores = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 50.0]])
    mask = np.array([[True, True], [True, True], [False, True]])
    got = masked_softmax(scores, mask)
    e = np.exp([1.0, 3.0])
    np.testing.assert_allclose(got[:, 0], [e[0] / e.sum(), e[1] / e.sum(), 0.0])
    np.testing.assert_allclose(got[:, 1], np.exp(scores[:, 1]) / np.exp(scores[:, 1]).sum())


def _torch_reference(torch, kind, query, keys, values, mask, params=None, scaled=True):
    q = torch.tensor(query, requires_grad=True)
    k = torch.tensor(keys, requires_grad=True)
    v = torch.tensor(values, requires_grad=True)
    tp = {n: torch.tensor(a, requires_grad=True) for n, a in (params or {}).items()}
    if kind == "dot":
        scores = torch.einsum("sbd,bd->sb", k, q) / (q.shape[1] ** 0.5 if scaled else 1.0)
    else:
        hidden = torch.tanh(q @ tp["weight_q"].T + k @ tp["weight_k"].T)
        scores = hidden @ tp["w"]
    scores = scores.masked_fill(~torch.tensor(mask), float("-inf"))
    weights = torch.softmax(scores, dim=0)
    context = torch.einsum("sb,sbv->bv", weights, v)
    return context, weights, q, k, v, tp


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["dot", "additive"])
def test_matches_torch_autograd(kind):
    torch = torch_or_skip()
    query, keys, values, mask = make_inputs(seed=3)
    module = DotProductAttention() if kind == "dot" else AdditiveAttention(H, H, A, seed=4)
    context, weights, cache = module.forward(query, keys, values, mask)
    dcontext = np.random.default_rng(5).standard_normal(context.shape)
    dquery, dkeys, dvalues, grads = module.backward(dcontext, cache)

    t_context, t_weights, q, k, v, tp = _torch_reference(
        torch, kind, query, keys, values, mask, module.params
    )
    (t_context * torch.tensor(dcontext)).sum().backward()
    np.testing.assert_allclose(context, t_context.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights, t_weights.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, theirs in ((dquery, q), (dkeys, k), (dvalues, v)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-11, atol=1e-13)
    for name, tensor in tp.items():
        np.testing.assert_allclose(grads[name], tensor.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_additive_attention_has_the_documented_parameters():
    att = AdditiveAttention(3, 5, 4, seed=0)
    assert {k: v.shape for k, v in att.params.items()} == {
        "weight_q": (4, 3),
        "weight_k": (4, 5),
        "w": (4,),
    }
    assert att.num_params() == 4 * (3 + 5 + 1)


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda q, k, v, m: (q[0], k, v, m), "query must have 2 dimensions"),
        (lambda q, k, v, m: (q, k[:, :2], v, m), "keys hold a batch of 2"),
        (lambda q, k, v, m: (q, k[:0], v[:0], None), "at least one source position"),
        (lambda q, k, v, m: (q, k, v[:, :2], m), "values must have shape"),
        (lambda q, k, v, m: (q, k, v, m[:3]), "mask has shape"),
        (lambda q, k, v, m: (q, k, v, m.astype(int)), "mask must be an array of booleans"),
        (lambda q, k, v, m: (q, k, v, np.zeros_like(m)), "hides every source position"),
        (lambda q, k, v, m: (q, np.where(True, np.nan, k), v, m), "contains nan"),
    ],
)
@pytest.mark.parametrize("module", modules(), ids=repr)
def test_bad_input_gets_a_clear_error(module, make_bad, message):
    args = make_bad(*make_inputs())
    with pytest.raises(ValueError, match=message):
        module.forward(*args)


def test_sizes_are_checked_against_the_module():
    query, keys, values, mask = make_inputs(key_size=6)
    with pytest.raises(
        ValueError, match="dot-product attention needs keys and query of the same size"
    ):
        DotProductAttention().forward(query, keys, values, mask)
    with pytest.raises(ValueError, match="keys have 6 features, this attention expects 4"):
        AdditiveAttention(H, H, A).forward(query, keys, values, mask)


def test_backward_refuses_a_cache_from_another_module():
    query, keys, values, mask = make_inputs()
    first, second = AdditiveAttention(H, H, A, seed=0), AdditiveAttention(H, H, A, seed=1)
    context, _, cache = first.forward(query, keys, values, mask)
    with pytest.raises(ValueError, match="not by this"):
        second.backward(np.ones_like(context), cache)
    with pytest.raises(ValueError, match="needs the cache"):
        first.backward(np.ones_like(context), None)


def test_cache_is_safe_from_the_callers_edits():
    query, keys, values, mask = make_inputs()
    att = AdditiveAttention(H, H, A, seed=0)
    context, _, cache = att.forward(query, keys, values, mask)
    before = att.backward(np.ones_like(context), cache)
    query *= 2
    keys += 1
    att.params["w"] *= 3
    after = att.backward(np.ones_like(context), cache)
    for a, b in zip(before[:3], after[:3]):
        np.testing.assert_array_equal(a, b)
