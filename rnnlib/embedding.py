r"""Token ids to vectors: ``Embedding``, as ``torch.nn.Embedding``.

Row ``v`` of ``weight (V, E)`` is the vector of token ``v``: the forward pass is a lookup,
``out[..., :] = weight[ids[...]]``, the same as multiplying a one-hot vector by the matrix, without
forming it. The backward pass is therefore a *scatter-add*: each row's gradient is the sum of the
output gradients of every position that looked it up,
:math:`\partial L/\partial W_v = \sum_{(t, b):\, ids_{t,b} = v} \partial L/\partial out_{t,b}`.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import ArrayLike

from . import _checks

__all__ = ["Embedding", "TokenLanguageModel"]


class Embedding:
    """A lookup table of ``num_embeddings`` (V) vectors of size ``embedding_dim`` (E).

    Args:
        num_embeddings: V, the vocabulary size; ids lie in [0, V).
        embedding_dim: E, the size of each vector.
        seed: int or Generator; the weights are N(0, 1), as in PyTorch.

    ``params``: ``weight (V, E)``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, seed=None, dtype=np.float64):
        self.num_embeddings = _checks.check_positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = _checks.check_positive_int(embedding_dim, "embedding_dim")
        self.dtype = np.dtype(dtype)
        rng = _checks.rng_from(seed)
        self.params = {"weight": rng.standard_normal(self.param_shapes()["weight"])
                       .astype(self.dtype)}

    def param_shapes(self) -> dict[str, tuple]:
        return {"weight": (self.num_embeddings, self.embedding_dim)}

    @property
    def output_size(self) -> int:
        return self.embedding_dim

    def num_params(self) -> int:
        return self.num_embeddings * self.embedding_dim

    def with_params(self, params: dict) -> Embedding:
        new = copy.copy(self)
        new.params = params
        return new

    def _check_ids(self, ids) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"ids must be integer token ids, got dtype {arr.dtype}")
        V = self.num_embeddings
        if arr.size and (arr.min() < 0 or arr.max() >= V):
            bad = arr[(arr < 0) | (arr >= V)].flat[0]
            raise ValueError(f"ids must lie in [0, {V}) (the vocabulary), got the id {bad}")
        return arr.astype(np.int64)          # a copy: the cache keeps it

    def forward(self, ids: ArrayLike) -> tuple[np.ndarray, dict]:
        """ids: integers of any shape, e.g. (T, B). Returns out: ids.shape + (E,) and a cache."""
        _checks.check_params(self.params, self.param_shapes(), "Embedding")
        ids = self._check_ids(ids)
        ids.flags.writeable = False
        return self.params["weight"][ids], {"ids": ids, "made_by": repr(self)}

    def backward(self, dout: ArrayLike, cache: dict) -> tuple[None, dict[str, np.ndarray]]:
        """dout: ids.shape + (E,). Returns (None, grads): ids have no gradient; grads["weight"]
        (V, E) adds up dout over every position that looked up each row (a scatter-add)."""
        _checks.check_cache(cache, ["ids", "made_by"], "Embedding")
        if cache["made_by"] != repr(self):
            raise ValueError(f"this cache was made by {cache['made_by']}, not by this {self!r}")
        ids = cache["ids"]
        dout = _checks.check_matrix(dout, ids.shape + (self.embedding_dim,), "dout", self.dtype)
        dW = np.zeros((self.num_embeddings, self.embedding_dim), dtype=self.dtype)
        np.add.at(dW, ids.ravel(), dout.reshape(-1, self.embedding_dim))   # repeated ids add up
        return None, {"weight": dW}

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


class TokenLanguageModel:
    r"""Token ids in, next-token scores out: an :class:`Embedding`, a recurrent layer and an
    output layer, optionally with **tied weights** (Press & Wolf 2017; Inan, Khosravi & Socher
    2017): the output layer reuses the embedding matrix, :math:`\text{logits}_t = E\,h_t + b`,
    so a token's input vector and its output vector are the same row of :math:`E`.

    Args:
        vocab_size: V; hidden_size: H; embedding_dim: E (must equal H when tied; default H);
        cell: "rnn", "lstm" or "gru"; tie_weights: share the embedding matrix with the output
        layer; seed: int or Generator.

    ``params``: ``embedding.weight (V, E)``, ``rnn.<name>``, ``out.bias (V,)``, and
    ``out.weight (V, H)`` only when untied. Tied, the gradient of ``embedding.weight`` is the
    sum of its two uses: the lookup (a scatter-add) and the output layer.
    """

    def __init__(self, vocab_size: int, hidden_size: int, embedding_dim: int | None = None,
                 cell: str = "gru", tie_weights: bool = False, seed=None):
        from .cell_registry import cell_layer
        from .networks import Linear

        embedding_dim = hidden_size if embedding_dim is None else embedding_dim
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"tied weights need embedding_dim == hidden_size (the output layer "
                             f"maps H = {hidden_size} to the vocabulary with the (V, E) embedding "
                             f"matrix), got embedding_dim = {embedding_dim}")
        rng = _checks.rng_from(seed)
        self.tied = bool(tie_weights)
        self.embedding = Embedding(vocab_size, embedding_dim, seed=rng)
        self.rnn = cell_layer(cell)(embedding_dim, hidden_size, seed=rng)
        self.head = Linear(hidden_size, vocab_size, seed=rng)

    def _parts(self):
        return {"embedding.": self.embedding, "rnn.": self.rnn}

    @property
    def params(self) -> dict:
        p = {prefix + k: v for prefix, m in self._parts().items() for k, v in m.params.items()}
        p["out.bias"] = self.head.params["bias"]
        if not self.tied:
            p["out.weight"] = self.head.params["weight"]
        return p

    def num_params(self) -> int:
        return sum(v.size for v in self.params.values())

    def with_params(self, params: dict) -> TokenLanguageModel:
        new = copy.copy(self)
        new.embedding = self.embedding.with_params({"weight": params["embedding.weight"]})
        new.rnn = self.rnn.with_params({k: params["rnn." + k] for k in self.rnn.params})
        weight = params["embedding.weight"] if self.tied else params["out.weight"]
        new.head = self.head.with_params({"weight": weight, "bias": params["out.bias"]})
        return new

    def _head(self):
        """The output layer, computing with the embedding matrix when tied."""
        if not self.tied:
            return self.head
        return self.head.with_params({"weight": self.embedding.params["weight"],
                                      "bias": self.head.params["bias"]})

    def forward(self, ids: ArrayLike, state0=None, lengths=None):
        """ids: (T, B) token ids. Returns logits (T, B, V), the final state and a cache."""
        vectors, c_emb = self.embedding.forward(ids)                # x_t = E[id_t]
        hs, state, c_rnn = self.rnn.forward(vectors, state0, lengths=lengths)
        head = self._head()
        logits, c_head = head.forward(hs)                           # logits_t = W h_t + b
        return logits, state, {"emb": c_emb, "rnn": c_rnn, "head": c_head, "head_module": head}

    def backward(self, dlogits: ArrayLike, cache: dict, dstate=None) -> dict:
        """BPTT from dL/dlogits (T, B, V). Returns grads keyed like :attr:`params`."""
        _checks.check_cache(cache, ["emb", "rnn", "head", "head_module"], "TokenLanguageModel")
        dhs, g_head = cache["head_module"].backward(dlogits, cache["head"])
        dvectors, _, g_rnn = self.rnn.backward(dhs, cache["rnn"], dstate)
        _, g_emb = self.embedding.backward(dvectors, cache["emb"])
        grads = {"embedding.weight": g_emb["weight"], "out.bias": g_head["bias"]}
        if self.tied:
            grads["embedding.weight"] = grads["embedding.weight"] + g_head["weight"]  # both uses
        else:
            grads["out.weight"] = g_head["weight"]
        grads.update({"rnn." + k: v for k, v in g_rnn.items()})
        return grads

    def __repr__(self):
        return (f"TokenLanguageModel({self.embedding!r}, {self.rnn!r}, "
                f"tie_weights={self.tied})")
