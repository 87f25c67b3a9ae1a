"""Layers made of layers: ``Stack`` (deep RNNs, PyTorch's ``num_layers``) and ``Bidirectional``.

Their ``params`` are flat dicts named exactly like PyTorch's ``state_dict`` keys
(``weight_ih_l0``, ``weight_hh_l1_reverse``, ...) and hold the sub-layers' own arrays, so writing
into them (or assigning a new array to an entry) changes the sub-layers, and weights copy from
``torch.nn.LSTM(..., num_layers=2, bidirectional=True)`` one-to-one.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _checks
from ._params import ParamDict
from .cell_registry import CELLS as _CELLS  # noqa: F401  (old private name, kept for old code)
from .cell_registry import cell_layer


def _flip_time(state_or_array):
    return state_or_array[::-1]


class Bidirectional:
    """Run one layer forwards in time and another backwards, and concatenate their outputs.

    ``hs[t] = [h_fwd_t, h_bwd_t]``: (T, B, 2H). The backward layer reads x_T first, so at
    step t it has seen x_t..x_T: the future context a forward RNN cannot see.

    Args:
        forward_layer, backward_layer: recurrent layers of the same kind and sizes.

    The state is the pair (forward layer's state, backward layer's state); the backward layer's
    final state is the one it reaches at t = 1, as in PyTorch.
    """

    def __init__(self, forward_layer, backward_layer):
        if (type(forward_layer) is not type(backward_layer)
                or forward_layer.input_size != backward_layer.input_size
                or forward_layer.hidden_size != backward_layer.hidden_size):
            raise ValueError("Bidirectional needs two layers of the same kind and sizes, got "
                             f"{forward_layer!r} and {backward_layer!r}")
        self.forward_layer, self.backward_layer = forward_layer, backward_layer
        self.input_size = forward_layer.input_size
        self.hidden_size = forward_layer.hidden_size
        self.output_size = 2 * forward_layer.hidden_size
        self.has_cell_state = forward_layer.has_cell_state

    @property
    def params(self):
        """``weight_ih``, ..., ``weight_ih_reverse``, ...: the two layers' own arrays."""
        routes = {k: (self.forward_layer, k) for k in self.forward_layer.params}
        routes.update({k + "_reverse": (self.backward_layer, k)
                       for k in self.backward_layer.params})
        return ParamDict(routes)

    def with_params(self, params):
        fwd = {k: params[k] for k in self.forward_layer.params}
        bwd = {k: params[k + "_reverse"] for k in self.backward_layer.params}
        return Bidirectional(self.forward_layer.with_params(fwd),
                             self.backward_layer.with_params(bwd))

    def num_params(self):
        return self.forward_layer.num_params() + self.backward_layer.num_params()

    def forward(self, x, state0=None, lengths=None):
        """x: (T, B, D); state0: (fwd state, bwd state) or None.

        Returns hs: (T, B, 2H), state: (fwd final state, bwd final state), cache.
        """
        if lengths is not None:
            raise ValueError("lengths= is not available for Bidirectional layers yet: the "
                             "backward direction would have to start at each sequence's own end")
        s_f, s_b = self._split_state(state0, "state0")
        hs_f, st_f, c_f = self.forward_layer.forward(x, s_f)
        x_arr = c_f["x"]
        hs_b, st_b, c_b = self.backward_layer.forward(x_arr[::-1], s_b)
        hs = np.concatenate([hs_f, hs_b[::-1]], axis=2)
        return hs, (st_f, st_b), {"forward": c_f, "backward": c_b, "x": x_arr}

    def backward(self, dhs, cache, dstate=None, return_hidden_grads=False,
                 return_cell_grads=False):
        """dhs: (T, B, 2H); dstate: pair or None. Returns dx, (dstate0_fwd, dstate0_bwd), grads.

        return_hidden_grads: also return dh_total (T, B, 2H), the full dL/dh_t of both
        directions in time order, laid out like ``hs``; return_cell_grads (LSTM): then also
        dc_total (T, B, 2H), the full dL/dc_t.
        """
        _checks.check_cache(cache, ["forward", "backward", "x"], "Bidirectional")
        T, B = cache["x"].shape[:2]
        dhs = _checks.check_matrix(dhs, (T, B, self.output_size), "dhs",
                                   self.forward_layer.dtype)
        H = self.hidden_size
        d_f, d_b = self._split_state(dstate, "dstate")
        flags = {"return_hidden_grads": return_hidden_grads,
                 "return_cell_grads": return_cell_grads}
        out_f = self.forward_layer.backward(dhs[:, :, :H], cache["forward"], d_f, **flags)
        out_b = self.backward_layer.backward(dhs[::-1, :, H:], cache["backward"], d_b, **flags)
        (dx_f, ds_f, g_f), (dx_b, ds_b, g_b) = out_f[:3], out_b[:3]
        grads = dict(g_f)
        grads.update({k + "_reverse": v for k, v in g_b.items()})
        out = (dx_f + dx_b[::-1], (ds_f, ds_b), grads)
        # per-step extras (dh_total, dc_total): the backward layer's are in reversed time
        extras = tuple(np.concatenate([e_f, e_b[::-1]], axis=2)
                       for e_f, e_b in zip(out_f[3:], out_b[3:]))
        return out + extras

    @staticmethod
    def _split_state(state, name):
        if state is None:
            return None, None
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError(f"{name} of a Bidirectional layer must be a pair "
                             f"(forward state, backward state), got {type(state).__name__}")
        return state[0], state[1]

    def __repr__(self):
        return f"Bidirectional({self.forward_layer!r})"


def _layer_key(key, k):
    """'weight_ih' -> 'weight_ih_l{k}', 'weight_ih_reverse' -> 'weight_ih_l{k}_reverse'."""
    if key.endswith("_reverse"):
        return f"{key[:-len('_reverse')]}_l{k}_reverse"
    return f"{key}_l{k}"


class Stack:
    """Recurrent layers on top of each other: layer k+1 reads layer k's hidden states.

    Args:
        layers: a list of recurrent layers (RNN, LSTM, GRU or Bidirectional), each one's
            ``input_size`` equal to the previous one's ``output_size``.

    ``state`` is a list with one state per layer (top layer last).
    """

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise ValueError("Stack needs at least one layer")
        for k in range(1, len(layers)):
            if layers[k].input_size != layers[k - 1].output_size:
                raise ValueError(f"layer {k} expects {layers[k].input_size} features but layer "
                                 f"{k - 1} produces {layers[k - 1].output_size}")
        self.layers = layers
        self.input_size = layers[0].input_size
        self.output_size = layers[-1].output_size
        self.hidden_size = layers[-1].hidden_size

    @property
    def params(self):
        """``weight_ih_l0``, ...: the layers' own arrays, named like PyTorch's ``state_dict``."""
        return ParamDict({_layer_key(key, k): (layer, key)
                          for k, layer in enumerate(self.layers) for key in layer.params})

    def with_params(self, params):
        new = copy.copy(self)
        new.layers = [layer.with_params({key: params[_layer_key(key, k)] for key in layer.params})
                      for k, layer in enumerate(self.layers)]
        return new

    def num_params(self):
        return sum(layer.num_params() for layer in self.layers)

    def forward(self, x, state0=None, lengths=None):
        """x: (T, B, D); state0: list of per-layer states or None; lengths: (B,) sequence
        lengths of a padded batch, passed to every layer (see ``RNN.forward``).

        Returns hs: (T, B, output_size) of the top layer, states (list), cache (list).
        """
        states0 = self._split(state0, "state0")
        caches, states, h = [], [], x
        for layer, s0 in zip(self.layers, states0):
            h, s, c = layer.forward(h, s0, lengths=lengths)
            states.append(s)
            caches.append(c)
        return h, states, caches

    def backward(self, dhs, cache, dstate=None, return_hidden_grads=False,
                 return_cell_grads=False):
        """dhs: (T, B, output_size); dstate: list of per-layer state gradients or None.

        Returns dx: (T, B, D), dstate0 (list), grads (flat dict like ``params``); with
        return_hidden_grads also a list of each layer's dh_total (bottom layer first), the
        full dL/dh_t; with return_cell_grads (LSTM layers) then also the list of dc_total.
        """
        if not isinstance(cache, list) or len(cache) != len(self.layers):
            raise ValueError(f"cache must be the list returned by this Stack's forward (one "
                             f"cache per layer, {len(self.layers)}), got "
                             f"{'None' if cache is None else type(cache).__name__}")
        dstates = self._split(dstate, "dstate")
        n = len(self.layers)
        grads, dstate0 = {}, [None] * n
        extras = [[None] * n, [None] * n]      # per layer: dh_total, dc_total (when asked)
        d = dhs
        for k in range(n - 1, -1, -1):
            out = self.layers[k].backward(d, cache[k], dstates[k],
                                          return_hidden_grads=return_hidden_grads,
                                          return_cell_grads=return_cell_grads)
            d, dstate0[k], g = out[:3]
            for j, extra in enumerate(out[3:]):
                extras[j][k] = extra
            grads.update({_layer_key(key, k): v for key, v in g.items()})
        out = (d, dstate0, {key: grads[key] for key in self.params})
        if return_cell_grads:
            return out + tuple(extras)
        return out + (extras[0],) if return_hidden_grads else out

    def _split(self, state, name):
        if state is None:
            return [None] * len(self.layers)
        if not isinstance(state, (list, tuple)) or len(state) != len(self.layers):
            raise ValueError(f"{name} of a Stack must be a list with one state per layer "
                             f"({len(self.layers)}), got {type(state).__name__}")
        return list(state)

    def __repr__(self):
        return f"Stack({self.layers!r})"


def stacked(cell, input_size, hidden_size, num_layers=1, bidirectional=False, seed=None, **kwargs):
    """A ``Stack`` laid out like ``torch.nn.<cell>(input_size, hidden_size, num_layers,
    bidirectional=...)``, parameters named like its ``state_dict``.

    Args:
        cell: a name from :data:`rnnlib.cell_registry.CELLS`: "rnn", "lstm" or "gru" (the
            labels "RNN", "LSTM", "GRU" work too).
        kwargs: go to each layer (e.g. nonlinearity="relu").
    """
    cls = cell_layer(cell)
    num_layers = _checks.check_positive_int(num_layers, "num_layers")
    rng = _checks.rng_from(seed)
    layers, d = [], input_size
    for _ in range(num_layers):
        if bidirectional:
            layer = Bidirectional(cls(d, hidden_size, seed=rng, **kwargs),
                                  cls(d, hidden_size, seed=rng, **kwargs))
        else:
            layer = cls(d, hidden_size, seed=rng, **kwargs)
        layers.append(layer)
        d = layer.output_size
    return Stack(layers)
