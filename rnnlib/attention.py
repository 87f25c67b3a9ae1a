r"""Attention over a sequence of encoder states: dot-product and additive (Bahdanau).

A decoder that reads only the encoder's last hidden state must squeeze the whole source into one
vector. Attention lets it look back at *every* encoder state ``keys[s]`` at each output step:
it scores each one against its current state (the *query*), turns the scores into weights that
sum to one, and reads the weighted sum of the ``values`` (often the keys themselves):

.. math::

    e_s = \mathrm{score}(q, k_s), \qquad
    \alpha_s = \frac{\exp e_s}{\sum_{s'} \exp e_{s'}}, \qquad
    c = \sum_s \alpha_s\, v_s .

* ``DotProductAttention``: :math:`e_s = q^\top k_s / \sqrt{d}` (Luong et al. 2015; scaled as in
  Vaswani et al. 2017). No parameters; query and keys must have the same size ``d``.
* ``AdditiveAttention``: :math:`e_s = w^\top \tanh(W_q q + W_k k_s)` (Bahdanau, Cho & Bengio
  2015). Parameters ``weight_q (A, Hq)``, ``weight_k (A, Hk)``, ``w (A,)``.

Shapes are time-major like the rest of rnnlib: ``query: (B, Hq)``, ``keys: (S, B, Hk)``,
``values: (S, B, V)``, ``mask: (S, B)`` (True where a source position is real, False for
padding), ``context: (B, V)``, ``weights: (S, B)``. Padding gets weight exactly 0 and zero
gradient. ``backward(dcontext, cache)`` returns ``dquery, dkeys, dvalues, grads`` in the
forward/backward-with-cache pattern of the layers.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _checks

__all__ = ["DotProductAttention", "AdditiveAttention", "masked_softmax"]


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over axis 0 of ``scores: (S, B)``; entries where ``mask`` is False get weight 0.

    Every column must keep at least one unmasked entry (checked by the callers)."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    shifted = scores - scores.max(axis=0, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=0, keepdims=True)


def _softmax_backward(dweights: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """dL/dscores from dL/dweights for a softmax over axis 0 (masked entries have weight 0 and
    so get gradient 0)."""
    return weights * (dweights - np.sum(weights * dweights, axis=0, keepdims=True))


def _check_inputs(query, keys, values, mask, query_size, key_size, dtype):
    """Validate (query, keys, values, mask); return them as arrays (values default to keys)."""
    query = _checks.as_float_array(query, "query", dtype)
    if query.ndim != 2:
        raise ValueError(
            f"query must have 2 dimensions (B, H), got shape {query.shape}; "
            "for one sequence use query[None]"
        )
    B = query.shape[0]
    if query_size is not None and query.shape[1] != query_size:
        raise ValueError(
            f"query has {query.shape[1]} features, this attention expects {query_size}"
        )
    keys = _checks.as_float_array(keys, "keys", dtype)
    if keys.ndim != 3:
        raise ValueError(f"keys must have 3 dimensions (S, B, H), got shape {keys.shape}")
    S = keys.shape[0]
    if S == 0:
        raise ValueError("keys must hold at least one source position, got S = 0")
    if keys.shape[1] != B:
        raise ValueError(f"keys hold a batch of {keys.shape[1]}, the query a batch of {B}")
    if key_size is not None and keys.shape[2] != key_size:
        raise ValueError(f"keys have {keys.shape[2]} features, this attention expects {key_size}")
    if values is None:
        values = keys
    else:
        values = _checks.as_float_array(values, "values", dtype)
        if values.ndim != 3 or values.shape[:2] != (S, B):
            raise ValueError(
                f"values must have shape (S, B, V) = ({S}, {B}, V) like the keys, "
                f"got {values.shape}"
            )
    for arr, name in ((query, "query"), (keys, "keys"), (values, "values")):
        _checks.check_finite(arr, name)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise ValueError(
                f"mask must be an array of booleans (True = real position), got dtype {mask.dtype}"
            )
        if mask.shape != (S, B):
            raise ValueError(f"mask has shape {mask.shape}, expected (S, B) = ({S}, {B})")
        empty = np.flatnonzero(~mask.any(axis=0))
        if empty.size:
            raise ValueError(
                f"mask hides every source position of sequence(s) "
                f"{empty.tolist()}: each sequence needs at least one"
            )
    return query, keys, values, mask


def _context_backward(dcontext, cache):
    """The part both attentions share: from dL/dcontext to dL/dvalues and dL/dscores."""
    weights, values = cache["weights"], cache["values"]
    dcontext = _checks.check_matrix(
        dcontext, (values.shape[1], values.shape[2]), "dcontext", values.dtype
    )
    dvalues = weights[:, :, None] * dcontext[None]  # c = sum_s alpha_s v_s
    dweights = np.einsum("sbv,bv->sb", values, dcontext)
    dscores = _softmax_backward(dweights, weights)  # alpha = softmax(e)
    return dvalues, dscores


class DotProductAttention:
    r"""Scaled dot-product attention: :math:`e_s = q^\top k_s / \sqrt{d}` (``scaled=False``
    drops the :math:`\sqrt{d}`). No parameters."""

    def __init__(self, scaled: bool = True, dtype=np.float64):
        self.scaled = bool(scaled)
        self.dtype = np.dtype(dtype)
        self.params: dict = {}

    def num_params(self) -> int:
        return 0

    def with_params(self, params):
        return copy.copy(self)

    def forward(self, query, keys, values=None, mask=None):
        """query: (B, d), keys: (S, B, d), values: (S, B, V) or None (= keys), mask: (S, B).

        Returns context (B, V), weights (S, B) and a cache for ``backward``."""
        values_are_keys = values is None
        query, keys, values, mask = _check_inputs(query, keys, values, mask, None, None, self.dtype)
        if keys.shape[2] != query.shape[1]:
            raise ValueError(
                f"dot-product attention needs keys and query of the same size: "
                f"keys have {keys.shape[2]} features, the query {query.shape[1]}"
            )
        scale = np.sqrt(query.shape[1]) if self.scaled else 1.0
        scores = np.einsum("sbd,bd->sb", keys, query) / scale  # e_s = q . k_s / sqrt(d)
        weights = masked_softmax(scores, mask)  # alpha = softmax(e)
        context = np.einsum("sb,sbv->bv", weights, values)  # c = sum_s alpha_s v_s
        cache = {
            "owner": self,
            "query": query.copy(),
            "keys": keys.copy(),
            "values": values.copy(),
            "weights": weights,
            "scale": scale,
            "values_are_keys": values_are_keys,
        }
        return context, weights, cache

    def backward(self, dcontext, cache):
        """dcontext: (B, V). Returns dquery (B, d), dkeys (S, B, d), dvalues (S, B, V), {}.
        When ``values`` was None (values = keys), dkeys includes the path through the values
        and dvalues is that same part on its own."""
        _check_cache(self, cache)
        dvalues, dscores = _context_backward(dcontext, cache)
        dscores = dscores / cache["scale"]
        dquery = np.einsum("sb,sbd->bd", dscores, cache["keys"])
        dkeys = dscores[:, :, None] * cache["query"][None]
        if cache["values_are_keys"]:
            dkeys = dkeys + dvalues
        return dquery, dkeys, dvalues, {}

    def __repr__(self):
        return f"DotProductAttention(scaled={self.scaled})"


class AdditiveAttention:
    r"""Additive (Bahdanau) attention: :math:`e_s = w^\top \tanh(W_q q + W_k k_s)`.

    Args:
        query_size: Hq (the decoder state's size); key_size: Hk (the encoder states' size);
        attention_size: A (the hidden size of the scoring network); seed: int or Generator.

    ``params``: ``weight_q (A, Hq)``, ``weight_k (A, Hk)``, ``w (A,)``, initialised uniformly in
    (-1/sqrt(fan_in), 1/sqrt(fan_in)) like ``torch.nn.Linear``.
    """

    def __init__(
        self, query_size: int, key_size: int, attention_size: int, seed=None, dtype=np.float64
    ):
        self.query_size = _checks.check_positive_int(query_size, "query_size")
        self.key_size = _checks.check_positive_int(key_size, "key_size")
        self.attention_size = _checks.check_positive_int(attention_size, "attention_size")
        self.dtype = np.dtype(dtype)
        rng = _checks.rng_from(seed)
        fan_in = {"weight_q": query_size, "weight_k": key_size, "w": attention_size}
        self.params = {
            k: rng.uniform(-1, 1, size=s).astype(self.dtype) / np.sqrt(fan_in[k])
            for k, s in self.param_shapes().items()
        }

    def param_shapes(self) -> dict:
        A = self.attention_size
        return {"weight_q": (A, self.query_size), "weight_k": (A, self.key_size), "w": (A,)}

    def num_params(self) -> int:
        return self.attention_size * (self.query_size + self.key_size + 1)

    def with_params(self, params):
        new = copy.copy(self)
        new.params = params
        return new

    def forward(self, query, keys, values=None, mask=None):
        """query: (B, Hq), keys: (S, B, Hk), values: (S, B, V) or None (= keys), mask: (S, B).

        Returns context (B, V), weights (S, B) and a cache for ``backward``."""
        _checks.check_params(self.params, self.param_shapes(), "AdditiveAttention")
        values_are_keys = values is None
        query, keys, values, mask = _check_inputs(
            query, keys, values, mask, self.query_size, self.key_size, self.dtype
        )
        p = self.params
        hidden = np.tanh(query @ p["weight_q"].T + keys @ p["weight_k"].T)  # tanh(W_q q + W_k k_s)
        scores = hidden @ p["w"]  # e_s = w . (...)
        weights = masked_softmax(scores, mask)  # alpha = softmax(e)
        context = np.einsum("sb,sbv->bv", weights, values)  # c = sum alpha_s v_s
        cache = {
            "owner": self,
            "params": {k: v.copy() for k, v in p.items()},
            "query": query.copy(),
            "keys": keys.copy(),
            "values": values.copy(),
            "hidden": hidden,
            "weights": weights,
            "values_are_keys": values_are_keys,
        }
        return context, weights, cache

    def backward(self, dcontext, cache):
        """dcontext: (B, V). Returns dquery (B, Hq), dkeys (S, B, Hk), dvalues (S, B, V) and
        grads (same keys as ``params``)."""
        _check_cache(self, cache)
        p, hidden = cache["params"], cache["hidden"]
        dvalues, dscores = _context_backward(dcontext, cache)
        grads = {"w": np.einsum("sb,sba->a", dscores, hidden)}
        dpre = dscores[:, :, None] * p["w"] * (1.0 - hidden**2)  # through w . tanh(.)
        A = self.attention_size
        grads["weight_q"] = dpre.sum(axis=0).T @ cache["query"]  # the query is shared by all s
        grads["weight_k"] = dpre.reshape(-1, A).T @ cache["keys"].reshape(-1, self.key_size)
        dquery = dpre.sum(axis=0) @ p["weight_q"]
        dkeys = dpre @ p["weight_k"]
        if cache["values_are_keys"]:
            dkeys = dkeys + dvalues
        return dquery, dkeys, dvalues, grads

    def __repr__(self):
        return (
            f"AdditiveAttention(query_size={self.query_size}, key_size={self.key_size}, "
            f"attention_size={self.attention_size})"
        )


def _check_cache(module, cache):
    if not isinstance(cache, dict) or "owner" not in cache:
        raise ValueError(
            f"{type(module).__name__}.backward needs the cache that this module's "
            f"forward returned, got {type(cache).__name__}"
        )
    if cache["owner"] is not module:
        raise ValueError(
            f"this cache was made by {cache['owner']!r}, not by this {module!r}: "
            "call backward on the module whose forward made the cache"
        )
