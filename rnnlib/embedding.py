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

__all__ = ["Embedding"]


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
