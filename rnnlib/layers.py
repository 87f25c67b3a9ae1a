r"""Recurrent layers over a whole sequence: ``RNN``, ``LSTM``, ``GRU``.

Each layer runs the recurrence of :mod:`rnnlib.cells` over ``T`` time steps and back again
(backpropagation through time, BPTT), and computes the cells' numbers (the tests prove it).
Every forward and backward pass reads line by line against the equations of the LSTM/GRU
notebook; two arrangements save time without hiding them:

* the input projections of all time steps are one matmul, ``x @ weight_ih.T``, before the loop
  (they do not depend on the recurrence);
* the weight gradients are one matmul each over all steps, after the backward loop
  (dL/dW = sum_t d_t v_tᵀ, see :func:`_weight_grads`).

Only the recurrence itself, which is sequential by nature, is a Python loop over time.
What the three layers share (parameters, validation, the cache) is in :mod:`rnnlib.layer_base`.

Shapes: ``x: (T, B, D)``, ``hs: (T, B, H)``, states ``(B, H)``; float64 unless ``dtype`` says
otherwise. Equations, parameter names, gate order and initialisation are PyTorch's
(``torch.nn.RNN``, ``torch.nn.LSTM``, ``torch.nn.GRU``), so weights copy across one-to-one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from .cells import NONLINEARITIES, check_nonlinearity
from .cells import _sigmoid as sigmoid  # σ; the loops below already silence overflow
from .layer_base import RecurrentLayer, _check_flags

__all__ = ["RecurrentLayer", "RNN", "LSTM", "GRU"]


# ==============================================================================================
# Vanilla (Elman) RNN


class RNN(RecurrentLayer):
    r"""Vanilla (Elman) RNN layer, as ``torch.nn.RNN``:
    :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh},\ h_t = \phi(a_t)`.

    Args:
        nonlinearity: φ: "tanh" (default) or "relu", as in PyTorch; "sigmoid" and "linear" are
            extra choices for teaching (PyTorch has no such option).
    """

    gate_names = ("h",)

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 seed=None, dtype=np.float64):
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        return (f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"nonlinearity={self.nonlinearity!r})")

    def forward(self, x: ArrayLike, state0: ArrayLike | None = None,
                lengths: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
        """Run the layer over a sequence.

        Args:
            x: (T, B, D) inputs.
            state0: (B, H) initial hidden state h_0 (zeros when None).
            lengths: (B,) integers in [1, T]: sequence b is x[:lengths[b], b], padded at the
                end; its final state is h at step lengths[b] and hs is 0 after it. None: all T.

        Returns:
            hs: (T, B, H) hidden states h_1..h_T.
            state: (B, H) the last hidden state h_T.
            cache: dict with ``x``, ``h0``, ``hs`` (what backward needs).
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        lengths = self._check_lengths(lengths, T, B)
        h = h0 = self._initial(state0, B, "state0")
        p = self.params
        phi, _ = NONLINEARITIES[self.nonlinearity]
        hs = []                                                   # h_1..h_T, stacked after
        with np.errstate(over="ignore", invalid="ignore"):       # overflow gives inf, silently
            # W_ih x_t + b_ih + b_hh for all steps at once: one matmul instead of T
            x_proj = x @ p["weight_ih"].T + (p["bias_ih"] + p["bias_hh"])
            for t in range(T):
                a = x_proj[t] + h @ p["weight_hh"].T      # a_t = W_ih x_t + W_hh h_{t-1} + b
                h = phi(a)                                # h_t = φ(a_t)
                hs.append(h)
        hs = np.stack(hs)
        cache = self._make_cache(x=x, h0=h0, hs=hs, lengths=lengths)
        return (*self._outputs(hs, lengths=lengths), cache)

    def cache_from_states(self, x: ArrayLike, hs: ArrayLike, h0: ArrayLike | None = None
                          ) -> dict:
        """A cache for :meth:`backward` built from a forward pass you ran yourself: its inputs
        ``x`` (T, B, D), hidden states ``hs`` (T, B, H) and initial state ``h0`` (B, H; zeros
        when None). BPTT of an RNN needs nothing else besides the weights, which must be this
        layer's (the states are taken on trust: they are not recomputed)."""
        x = self._check_input(x)
        T, B, _ = x.shape
        hs = _checks.check_matrix(hs, (T, B, self.hidden_size), "hs", self.dtype).copy()
        return self._make_cache(x=x, h0=self._initial(h0, B, "h0"), hs=hs)

    def _open_cache(self, cache):
        # a hand-made {"x", "h0", "hs"} dict (older course code builds these) is accepted as
        # cache_from_states would build it; everything else must come from forward
        if isinstance(cache, dict) and "made_by" not in cache and set(cache) == {"x", "h0", "hs"}:
            return self.cache_from_states(cache["x"], cache["hs"], cache["h0"])
        self._check_cache(cache)
        return cache

    def backward(self, dhs: ArrayLike, cache: dict, dstate: ArrayLike | None = None,
                 return_hidden_grads: bool = False, return_cell_grads: bool = False) -> tuple:
        """Backpropagation through time.

        Args:
            dhs: (T, B, H) dL/dh_t from the layers above, for every step.
            cache: from :meth:`forward`.
            dstate: (B, H) dL/dh_T arriving through the final state (zeros when None).
            return_hidden_grads: also return dh_total, (T, B, H): the full δ_t = dL/dh_t at
                every step (what reaches h_t from its own output and from all later steps).

        Returns:
            dx: (T, B, D), dstate0: (B, H) = dL/dh_0, grads: dict like ``params``
            (and dh_total when asked).
        """
        _check_flags(return_hidden_grads, return_cell_grads, has_cell_state=False)
        cache = self._open_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        dhs, dstate, _ = self._length_grads(dhs, cache, dstate)
        x, hs = cache["x"], cache["hs"]
        T, B, _ = x.shape
        p = self.params
        _, phi_prime = NONLINEARITIES[self.nonlinearity]
        dh_next = self._initial(dstate, B, "dstate")      # what step t+1 sends back to h_t
        da = np.empty_like(hs)                             # δ̃_t = dL/da_t at every step
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        with np.errstate(over="ignore", invalid="ignore"):
            phi_primes = phi_prime(hs)                 # φ'(a_t) for all steps at once
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next                  # δ_t: from output t and from step t+1
                if dh_total is not None:
                    dh_total[t] = dh
                da[t] = dh * phi_primes[t]             # δ̃_t = δ_t ⊙ φ'(a_t)
                dh_next = da[t] @ p["weight_hh"]       # W_hhᵀ δ̃_t goes on to h_{t-1}
            dx = da @ p["weight_ih"]                   # dL/dx_t = W_ihᵀ δ̃_t
            grads = _weight_grads(da, x, _previous(cache["h0"], hs))
        out = (dx, dh_next, grads)
        return out + (dh_total,) if return_hidden_grads else out


# ==============================================================================================
# LSTM: gate order i, f, g, o, as PyTorch


class LSTM(RecurrentLayer):
    r"""Long short-term memory layer, as ``torch.nn.LSTM`` (gate order i, f, g, o):

    .. math::
        i_t = \sigma(a^i_t),\ f_t = \sigma(a^f_t),\ g_t = \tanh(a^g_t),\ o_t = \sigma(a^o_t),\quad
        a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}

        c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t)

    The state is the pair ``(h, c)``.
    """

    num_gates = 4
    gate_names = ("i", "f", "g", "o")
    has_cell_state = True

    def forward(self, x: ArrayLike, state0: tuple | None = None,
                lengths: ArrayLike | None = None
                ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], dict]:
        """Run the LSTM over a sequence.

        Args:
            x: (T, B, D) inputs.
            state0: pair (h_0, c_0), each (B, H); zeros when None.
            lengths: (B,) sequence lengths for a padded batch, as for ``RNN.forward``.

        Returns:
            hs: (T, B, H); state: (h_T, c_T); cache: dict with ``x``, ``h0``, ``c0``, ``hs``,
            ``cs`` (T, B, H) cell states, ``tanh_cs``, and ``gates``: {"i", "f", "g", "o"} ->
            (T, B, H) gate activations.
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        lengths = self._check_lengths(lengths, T, B)
        H = self.hidden_size
        h, c = h0, c0 = self._initial_pair(state0, B)
        p = self.params
        sig, gs, cs, tanh_cs, hs = [], [], [], [], []      # one entry per step, stacked after
        with np.errstate(over="ignore", invalid="ignore"):
            # W_ih x_t + b_ih + b_hh for all steps at once: one matmul instead of T
            x_proj = x @ p["weight_ih"].T + (p["bias_ih"] + p["bias_hh"])       # (T, B, 4H)
            for t in range(T):
                a = x_proj[t] + h @ p["weight_hh"].T      # a_t, all four gates: (B, 4H)
                s = sigmoid(a)                            # σ of every block (g's goes unused)
                i, f, o = s[:, 0 * H:1 * H], s[:, 1 * H:2 * H], s[:, 3 * H:4 * H]
                g = np.tanh(a[:, 2 * H:3 * H])            # candidate g_t = tanh(a^g_t)
                c = f * c + i * g                         # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
                tanh_c = np.tanh(c)
                h = o * tanh_c                            # h_t = o_t ⊙ tanh(c_t)
                sig.append(s)
                gs.append(g)
                cs.append(c)
                tanh_cs.append(tanh_c)
                hs.append(h)
        sig, hs, cs, tanh_cs = np.stack(sig), np.stack(hs), np.stack(cs), np.stack(tanh_cs)
        gates = {"i": sig[:, :, :H], "f": sig[:, :, H:2 * H], "g": np.stack(gs),
                 "o": sig[:, :, 3 * H:]}
        cache = self._make_cache(x=x, h0=h0, c0=c0, hs=hs, cs=cs, tanh_cs=tanh_cs, gates=gates,
                                 lengths=lengths)
        return (*self._outputs(hs, cs, lengths), cache)

    def backward(self, dhs: ArrayLike, cache: dict, dstate: tuple | None = None,
                 return_hidden_grads: bool = False, return_cell_grads: bool = False) -> tuple:
        """Backpropagation through time for the LSTM.

        Args:
            dhs: (T, B, H) dL/dh_t from above; cache: from :meth:`forward`;
            dstate: pair (dL/dh_T, dL/dc_T), zeros when None.
            return_hidden_grads: also return dh_total (T, B, H), the full dL/dh_t.
            return_cell_grads: also return dc_total (T, B, H), the full dL/dc_t (through h_t
                and through c_{t+1}); only together with return_hidden_grads.

        Returns:
            dx: (T, B, D), dstate0: (dL/dh_0, dL/dc_0), grads (and dh_total, dc_total when
            asked).
        """
        _check_flags(return_hidden_grads, return_cell_grads)
        self._check_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        dhs, dstate, dcs = self._length_grads(dhs, cache, dstate)   # dcs: None or (T, B, H)
        x, hs, cs, tanh_cs = cache["x"], cache["hs"], cache["cs"], cache["tanh_cs"]
        i, f, g, o = (cache["gates"][name] for name in self.gate_names)
        T, B, _ = x.shape
        H = self.hidden_size
        p = self.params
        c_prev = _previous(cache["c0"], cs)                 # c_{t-1} for t = 1..T
        dh_next, dc_next = self._initial_pair(dstate, B, name="dstate")
        da = np.empty((T, B, 4 * H), dtype=self.dtype)      # dL/da_t, gates i, f, g, o
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        dc_total = np.empty_like(hs) if return_cell_grads else None
        with np.errstate(over="ignore", invalid="ignore"):
            # Local derivatives: they depend on the forward pass only, so all steps at once.
            # h_t = o_t ⊙ tanh(c_t); c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t; σ' = σ(1 - σ),
            # tanh' = 1 - tanh²:
            dh_to_dc = o * (1.0 - tanh_cs ** 2)          # dc_t    += dh_t ⊙ this
            dc_to_dai = g * i * (1.0 - i)                # dL/da^i  = dc_t ⊙ this
            dc_to_daf = c_prev * f * (1.0 - f)           # dL/da^f  = dc_t ⊙ this
            dc_to_dag = i * (1.0 - g ** 2)               # dL/da^g  = dc_t ⊙ this
            dh_to_dao = tanh_cs * o * (1.0 - o)          # dL/da^o  = dh_t ⊙ this
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next                      # from output t and from step t+1
                dc = dc_next + dh * dh_to_dc[t]            # from h_t and from c_{t+1}
                if dcs is not None:                        # a final cell state, with lengths
                    dc = dc + dcs[t]
                da[t] = np.concatenate([dc * dc_to_dai[t], dc * dc_to_daf[t],
                                        dc * dc_to_dag[t], dh * dh_to_dao[t]], axis=1)
                if dh_total is not None:
                    dh_total[t] = dh
                if dc_total is not None:
                    dc_total[t] = dc
                dc_next = dc * f[t]                        # the cell-state highway: times f_t
                dh_next = da[t] @ p["weight_hh"]           # W_hhᵀ dL/da_t goes on to h_{t-1}
            dx = da @ p["weight_ih"]
            grads = _weight_grads(da, x, _previous(cache["h0"], hs))
        out = (dx, (dh_next, dc_next), grads)
        if return_cell_grads:
            return out + (dh_total, dc_total)
        return out + (dh_total,) if return_hidden_grads else out

    def _initial_pair(self, state, B, name="state0"):
        if state is None:
            return self._initial(None, B, name), self._initial(None, B, name)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError(f"{name} of an LSTM must be a pair (h, c) of (B, H) arrays, "
                             f"got {type(state).__name__}")
        return (self._initial(state[0], B, f"{name}[0] (h)"),
                self._initial(state[1], B, f"{name}[1] (c)"))


# ==============================================================================================
# GRU: gate order r, z, n, as PyTorch


class GRU(RecurrentLayer):
    r"""Gated recurrent unit layer, as ``torch.nn.GRU`` (gate order r, z, n):

    .. math::
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}),\quad
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})

        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})),\quad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Args:
        reset_after: True (default, PyTorch and cuDNN) applies r to (W_hn h + b_hn); False
            applies it to h before the matmul, n_t = tanh(W_in x + b_in + W_hn (r * h) + b_hn),
            as in Cho et al. (2014) and d2l.ai. Same parameters, different numbers.
    """

    num_gates = 3
    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int, reset_after: bool = True, seed=None,
                 dtype=np.float64):
        if not isinstance(reset_after, bool):
            raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        extra = "" if self.reset_after else ", reset_after=False"
        return f"GRU(input_size={self.input_size}, hidden_size={self.hidden_size}{extra})"

    def forward(self, x: ArrayLike, state0: ArrayLike | None = None,
                lengths: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
        """Run the GRU over a sequence.

        Args:
            x: (T, B, D) inputs; state0: (B, H) initial hidden state (zeros when None).
            lengths: (B,) sequence lengths for a padded batch, as for ``RNN.forward``.

        Returns:
            hs: (T, B, H); state: h_T (B, H); cache: dict with ``x``, ``h0``, ``hs``,
            ``gates``: {"r", "z", "n"} -> (T, B, H), and ``hn``: the hidden term inside n_t,
            W_hn h_{t-1} + b_hn (or W_hn (r_t ⊙ h_{t-1}) + b_hn when reset_after is False).
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        lengths = self._check_lengths(lengths, T, B)
        H = self.hidden_size
        h = h0 = self._initial(state0, B, "state0")
        p = self.params
        w_hh, b_hh = p["weight_hh"], p["bias_hh"]
        rzs, ns, hns, hs = [], [], [], []                  # one entry per step, stacked after
        with np.errstate(over="ignore", invalid="ignore"):
            # W_i{r,z,n} x_t + b_i{r,z,n} for all steps at once: one matmul instead of T
            x_proj = x @ p["weight_ih"].T + p["bias_ih"]                         # (T, B, 3H)
            for t in range(T):
                x_rz, x_n = x_proj[t, :, :2 * H], x_proj[t, :, 2 * H:]
                if self.reset_after:   # W_h{r,z,n} h_{t-1} + b_h{r,z,n}: one matmul, 3 blocks
                    h_proj = h @ w_hh.T + b_hh
                    rz = sigmoid(x_rz + h_proj[:, :2 * H])    # r_t, z_t = σ(...) side by side
                    r, z = rz[:, :H], rz[:, H:]
                    hn = h_proj[:, 2 * H:]                    # W_hn h_{t-1} + b_hn
                    n = np.tanh(x_n + r * hn)                 # n_t = tanh(W_in x + b_in + r ⊙ hn)
                else:
                    rz = sigmoid(x_rz + h @ w_hh[:2 * H].T + b_hh[:2 * H])
                    r, z = rz[:, :H], rz[:, H:]
                    hn = (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:]   # W_hn (r_t ⊙ h_{t-1}) + b_hn
                    n = np.tanh(x_n + hn)
                h = (1.0 - z) * n + z * h             # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
                rzs.append(rz)
                ns.append(n)
                hns.append(hn)
                hs.append(h)
        rzs, hs = np.stack(rzs), np.stack(hs)
        gates = {"r": rzs[:, :, :H], "z": rzs[:, :, H:], "n": np.stack(ns)}
        cache = self._make_cache(x=x, h0=h0, hs=hs, gates=gates, hn=np.stack(hns),
                                 lengths=lengths)
        return (*self._outputs(hs, lengths=lengths), cache)

    def backward(self, dhs: ArrayLike, cache: dict, dstate: ArrayLike | None = None,
                 return_hidden_grads: bool = False, return_cell_grads: bool = False) -> tuple:
        """Backpropagation through time for the GRU.

        Args:
            dhs: (T, B, H); cache: from :meth:`forward`; dstate: (B, H) dL/dh_T (zeros when None).
            return_hidden_grads: also return dh_total (T, B, H), the full dL/dh_t.

        Returns:
            dx: (T, B, D), dstate0: (B, H), grads (and dh_total when asked).
        """
        _check_flags(return_hidden_grads, return_cell_grads, has_cell_state=False)
        self._check_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        dhs, dstate, _ = self._length_grads(dhs, cache, dstate)
        x, hs, hn = cache["x"], cache["hs"], cache["hn"]
        r, z, n = (cache["gates"][name] for name in self.gate_names)
        T, B, _ = x.shape
        H = self.hidden_size
        w_hh = self.params["weight_hh"]
        h_prev = _previous(cache["h0"], hs)                # h_{t-1} for t = 1..T
        dh_next = self._initial(dstate, B, "dstate")
        dax = np.empty((T, B, 3 * H), dtype=self.dtype)    # dL/d(W_i* x_t + b_i*): r, z, n
        dah = np.empty((T, B, 3 * H), dtype=self.dtype)    # dL/d(W_h* h + b_h*): r, z, n
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        with np.errstate(over="ignore", invalid="ignore"):
            # Local derivatives: they depend on the forward pass only, so all steps at once.
            # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}; n_t = tanh(xn + ...); σ' = σ(1 - σ):
            dh_to_dan = (1.0 - z) * (1.0 - n ** 2)        # dL/d(n's pre-activation) = dh ⊙ this
            dh_to_daz = (h_prev - n) * z * (1.0 - z)      # dL/da^z = dh ⊙ this
            d_r = r * (1.0 - r)                           # σ'(a^r)
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next                      # from output t and from step t+1
                if dh_total is not None:
                    dh_total[t] = dh
                dan = dh * dh_to_dan[t]                    # through n_t (and its tanh)
                daz = dh * dh_to_daz[t]                    # through z_t (and its σ)
                dh_prev = dh * z[t]                        # the direct (leaky) path
                if self.reset_after:                       # n's pre-activation = xn + r ⊙ hn
                    dar = dan * hn[t] * d_r[t]             # into r_t (and its σ)
                    dhn = dan * r[t]                       # into hn = W_hn h_{t-1} + b_hn
                else:                                      # ... = xn + W_hn (r ⊙ h_{t-1}) + b_hn
                    drh = dan @ w_hh[2 * H:]               # into r_t ⊙ h_{t-1}
                    dar = drh * h_prev[t] * d_r[t]
                    dh_prev = dh_prev + drh * r[t]
                    dhn = dan
                dax[t] = np.concatenate([dar, daz, dan], axis=1)
                dah[t] = np.concatenate([dar, daz, dhn], axis=1)
                if self.reset_after:                       # all three blocks saw h_{t-1}
                    dh_next = dh_prev + dah[t] @ w_hh
                else:                                      # r and z saw h_{t-1}; n saw r ⊙ h
                    dh_next = dh_prev + dah[t, :, :2 * H] @ w_hh[:2 * H]
            dx = dax @ self.params["weight_ih"]
            grads = _weight_grads(dax, x, h_prev, dah=dah)
            if not self.reset_after:            # W_hn multiplied r_t ⊙ h_{t-1}, not h_{t-1}
                rh = (r * h_prev).reshape(T * B, H)
                grads["weight_hh"][2 * H:] = dah[:, :, 2 * H:].reshape(T * B, H).T @ rh
        out = (dx, dh_next, grads)
        return out + (dh_total,) if return_hidden_grads else out


# ==============================================================================================
# Shared by the three backward passes


def _previous(first: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The states one step back: (T, B, H) of s_0..s_{T-1} from s_0 and (T, B, H) s_1..s_T."""
    return np.concatenate([first[None], states[:-1]], axis=0)


def _weight_grads(dax, x, h_prev, dah=None) -> dict:
    """Each weight's gradient summed over all steps, one matmul each: for a term W v_t with
    gradient d_t, dL/dW = sum_t d_t v_tᵀ. ``dax`` is the gradient of the input projections,
    ``dah`` of the hidden ones (the same array unless the GRU splits them)."""
    dah = dax if dah is None else dah
    T, B, GH = dax.shape
    dax2, dah2 = dax.reshape(T * B, GH), dah.reshape(T * B, GH)
    return {"weight_ih": dax2.T @ x.reshape(T * B, -1),
            "weight_hh": dah2.T @ h_prev.reshape(T * B, -1),
            "bias_ih": dax2.sum(axis=0),
            "bias_hh": dah2.sum(axis=0)}
