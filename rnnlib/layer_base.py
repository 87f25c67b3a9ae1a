"""What the recurrent layers share: parameters and their initialisation, argument checks, and
the cache that a forward pass leaves for its backward pass.

The cache owns read-only copies of what backward needs (nothing the caller does to ``x``, ``hs``
or the returned state can change it), names the layer that made it (kind, sizes, options, dtype)
and keeps a copy of the weights it was made with: ``backward`` refuses a cache from any other
layer, or from before the weights changed, instead of returning wrong gradients. Copying the
weights costs about as much as one time step of the forward pass; comparing them at backward
about the same (measured: under 2 % of a forward and backward pass at the course's sizes).
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import ArrayLike

from . import _checks


def _describe(obj) -> str:
    if isinstance(obj, dict):
        return f"a dict with keys {sorted(map(str, obj))}" if obj else "an empty dict"
    return repr(obj) if obj is None else f"a {type(obj).__name__}"


def _check_flags(return_hidden_grads, return_cell_grads, has_cell_state=True):
    if return_cell_grads and not has_cell_state:
        raise ValueError("return_cell_grads=True needs LSTM layers: only they have a cell state")
    if return_cell_grads and not return_hidden_grads:
        raise ValueError("return_cell_grads=True goes with return_hidden_grads=True "
                         "(the outputs are dh_total, then dc_total)")


def _padding(lengths: np.ndarray, T: int) -> np.ndarray:
    """(T, B) True at the steps after each sequence's end."""
    return np.arange(T)[:, None] >= lengths[None, :]


class RecurrentLayer:
    """What RNN, LSTM and GRU share: parameters, initialisation, validation.

    Args:
        input_size: D, features per time step.
        hidden_size: H, size of the hidden state.
        seed: int or ``np.random.Generator`` for the initial weights (None: fresh entropy).
        dtype: float64 (default) or float32.

    Attributes:
        params: dict of arrays ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``,
            ``bias_hh (G*H,)``: the very arrays the layer computes with. Initialised, as in
            PyTorch, uniformly in (-1/sqrt(H), 1/sqrt(H)).
    """

    num_gates = 1        # G: blocks of H rows stacked in each weight matrix
    gate_names = ()      # names of those blocks, in PyTorch's order
    has_cell_state = False

    def __init__(self, input_size: int, hidden_size: int, seed=None, dtype=np.float64):
        self.input_size = _checks.check_positive_int(input_size, "input_size")
        self.hidden_size = _checks.check_positive_int(hidden_size, "hidden_size")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float64, np.float32):
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype}")
        rng = _checks.rng_from(seed)
        bound = 1.0 / np.sqrt(self.hidden_size)
        self.params = {name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
                       for name, shape in self.param_shapes().items()}

    def param_shapes(self) -> dict:
        """Parameter name -> shape, in PyTorch's order."""
        GH, D, H = self.num_gates * self.hidden_size, self.input_size, self.hidden_size
        return {"weight_ih": (GH, D), "weight_hh": (GH, H), "bias_ih": (GH,), "bias_hh": (GH,)}

    @property
    def output_size(self) -> int:
        """Features per time step of ``hs``: H."""
        return self.hidden_size

    def num_params(self) -> int:
        """How many numbers the layer learns; the same for every sequence length T."""
        return sum(int(np.prod(s)) for s in self.param_shapes().values())

    def with_params(self, params: dict) -> RecurrentLayer:
        """A copy of this layer that computes with ``params`` (not copied) instead of its own."""
        new = copy.copy(self)
        new.params = params
        return new

    def __repr__(self):
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size})")

    # ---- validation --------------------------------------------------------------------------
    def _check_params(self):
        _checks.check_params(self.params, self.param_shapes(), type(self).__name__)

    def _check_input(self, x: ArrayLike) -> np.ndarray:
        """x checked and copied: the cache keeps it, safe from later edits of the caller's x."""
        self._check_params()
        return _checks.check_sequence(x, self.input_size, self.dtype).copy()

    def _initial(self, state, B, name):
        shape = (B, self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype=self.dtype)
        return _checks.check_matrix(state, shape, name, self.dtype).copy()

    def _check_dhs(self, dhs, cache):
        T, B = cache["x"].shape[:2]
        return _checks.check_matrix(dhs, (T, B, self.hidden_size), "dhs", self.dtype)

    # ---- sequences of different lengths (padded at the end) ------------------------------------
    def _check_lengths(self, lengths, T: int, B: int) -> np.ndarray | None:
        if lengths is None:
            return None
        arr = np.asarray(lengths)
        if arr.shape != (B,) or arr.dtype.kind not in "iu":
            raise ValueError(f"lengths must be {B} integers (B,), one per sequence of x, got "
                             f"shape {arr.shape} and dtype {arr.dtype}")
        if arr.min() < 1 or arr.max() > T:
            raise ValueError(f"lengths must lie in [1, T] = [1, {T}]: every sequence has at least "
                             f"one step and at most T, got values from {arr.min()} to {arr.max()}")
        return arr.astype(np.int64)

    def _outputs(self, hs, cs=None, lengths=None):
        """What forward returns: a copy of hs, and the final state, each sequence's own.

        With ``lengths``, sequence b ends at step lengths[b]: its final state is the one of that
        step, and hs is 0 after it (as PyTorch's pad_packed_sequence gives). The steps after the
        end were computed from the padding but nothing before the end depends on them."""
        out = hs.copy()
        if lengths is not None:
            out[_padding(lengths, len(hs))] = 0.0

        def last(s):
            if lengths is None:
                return s[-1].copy()
            return s[lengths - 1, np.arange(len(lengths))]           # a copy (fancy index)

        return out, (last(hs) if cs is None else (last(hs), last(cs)))

    def _length_grads(self, dhs, cache, dstate):
        """For a cache made with ``lengths``: no gradient from the padding, and the final state's
        gradient enters at each sequence's own last step. Returns (dhs, dstate, dcs): the
        adjusted dhs, None for dstate (it is now inside dhs), and for an LSTM the gradients of
        the cell states (T, B, H) (None otherwise, or without lengths)."""
        lengths = cache.get("lengths")
        if lengths is None:
            return dhs, dstate, None
        T, B, H = dhs.shape
        dhs = np.where(_padding(lengths, T)[:, :, None], 0.0, dhs)
        last, b = lengths - 1, np.arange(B)
        dcs = None
        if self.has_cell_state:
            dh_T, dc_T = self._initial_pair(dstate, B, name="dstate")
            dcs = np.zeros_like(dhs)
            dcs[last, b] = dc_T
        else:
            dh_T = self._initial(dstate, B, "dstate")
        dhs[last, b] += dh_T
        return dhs, None, dcs

    # ---- the cache: what forward leaves for backward --------------------------------------------
    def _config(self) -> str:
        """Everything besides the weights that decides the numbers: kind, sizes, options, dtype."""
        return f"{self!r} in {self.dtype.name}"

    def _make_cache(self, **arrays) -> dict:
        """The cache of one forward pass. It owns its arrays (read-only: nothing the caller does
        to x, hs or the returned state can change them), names the layer that made it and keeps
        a copy of the weights it was made with, so that backward can refuse any other."""
        cache = {}
        for key, value in arrays.items():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
            elif isinstance(value, dict):
                for arr in value.values():
                    arr.flags.writeable = False
            cache[key] = value
        cache["made_by"] = self._config()
        cache["weights"] = {k: v.copy() for k, v in self.params.items()}
        return cache

    def _check_cache(self, cache) -> None:
        """Refuse a cache that this layer's forward did not make, with these very weights."""
        if not isinstance(cache, dict) or "made_by" not in cache:
            raise ValueError(f"cache must be the dict returned by this layer's forward "
                             f"(the third value of {type(self).__name__}.forward(x)), "
                             f"got {_describe(cache)}")
        if cache["made_by"] != self._config():
            raise ValueError(f"this cache was made by {cache['made_by']}, not by this "
                             f"{self._config()}: pass backward the cache of this layer's own "
                             "forward pass")
        for key, value in self.params.items():
            if not np.array_equal(cache["weights"][key], value):
                raise ValueError(f"the weights have changed since the forward pass that made "
                                 f"this cache ({key!r} differs): the gradients would mix two "
                                 "sets of weights. Run forward again with the current weights "
                                 "(or backward before you update them)")


