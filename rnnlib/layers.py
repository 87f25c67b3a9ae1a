r"""Recurrent layers over a whole sequence: ``RNN``, ``LSTM``, ``GRU``.

Each layer runs the recurrence of :mod:`rnnlib.cells` over ``T`` time steps and back again
(backpropagation through time, BPTT). The numbers are the cells' numbers (the tests prove it);
the code is arranged for speed:

* the input projections of all time steps are one matmul, ``x @ weight_ih.T``, before the loop;
* all gates of a step come from one fused matmul with ``weight_hh``;
* the weight gradients are one matmul each over all steps, after the backward loop.

Only the recurrence itself, which is sequential by nature, is a Python loop over time.

Shapes: ``x: (T, B, D)``, ``hs: (T, B, H)``, states ``(B, H)``; float64 unless ``dtype`` says
otherwise. Equations, parameter names, gate order and initialisation are PyTorch's
(``torch.nn.RNN``, ``torch.nn.LSTM``, ``torch.nn.GRU``), so weights copy across one-to-one.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _checks
from .cells import NONLINEARITIES, check_nonlinearity


def _describe(obj) -> str:
    if isinstance(obj, dict):
        return f"a dict with keys {sorted(map(str, obj))}" if obj else "an empty dict"
    return repr(obj) if obj is None else f"a {type(obj).__name__}"


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

    def __init__(self, input_size, hidden_size, seed=None, dtype=np.float64):
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

    def with_params(self, params: dict):
        """A copy of this layer that computes with ``params`` (not copied) instead of its own."""
        new = copy.copy(self)
        new.params = params
        return new

    def __repr__(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    # ---- validation --------------------------------------------------------------------------
    def _check_params(self):
        _checks.check_params(self.params, self.param_shapes(), type(self).__name__)

    def _check_input(self, x):
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


class RNN(RecurrentLayer):
    r"""Vanilla (Elman) RNN layer, as ``torch.nn.RNN``:
    :math:`h_t = f(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.

    Args:
        nonlinearity: "tanh" (default) or "relu", as in PyTorch; "sigmoid" and "linear" are
            extra choices for teaching (PyTorch has no such option).
    """

    gate_names = ("h",)

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", seed=None, dtype=np.float64):
        self.nonlinearity = check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        return (f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"nonlinearity={self.nonlinearity!r})")

    def forward(self, x, state0=None):
        """Run the layer over a sequence.

        Args:
            x: (T, B, D) inputs.
            state0: (B, H) initial hidden state h_0 (zeros when None).

        Returns:
            hs: (T, B, H) hidden states h_1..h_T.
            state: (B, H) the last hidden state h_T.
            cache: dict with ``x``, ``h0``, ``hs`` (and what backward needs).
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        h = h0 = self._initial(state0, B, "state0")
        p = self.params
        f, _ = NONLINEARITIES[self.nonlinearity]
        hs = np.empty((T, B, self.hidden_size), dtype=self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            x_proj = x @ p["weight_ih"].T + (p["bias_ih"] + p["bias_hh"])  # all steps at once
            w_hh_t = p["weight_hh"].T
            for t in range(T):
                hs[t] = f(x_proj[t] + h @ w_hh_t)
                h = hs[t]
        cache = self._make_cache(x=x, h0=h0, hs=hs)
        return hs.copy(), hs[-1].copy(), cache

    def cache_from_states(self, x, hs, h0=None) -> dict:
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

    def backward(self, dhs, cache, dstate=None, return_hidden_grads=False):
        """Backpropagation through time.

        Args:
            dhs: (T, B, H) dL/dh_t from the layers above, for every step.
            cache: from :meth:`forward`.
            dstate: (B, H) dL/dh_T arriving through the final state (zeros when None).
            return_hidden_grads: also return dh_total, (T, B, H): the full dL/dh_t at every step
                (what reaches h_t from its own output and from all later steps).

        Returns:
            dx: (T, B, D), dstate0: (B, H) = dL/dh_0, grads: dict like ``params``
            (and dh_total when asked).
        """
        cache = self._open_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        x, h0, hs = cache["x"], cache["h0"], cache["hs"]
        T, B, D = x.shape
        H = self.hidden_size
        p = self.params
        _, fprime = NONLINEARITIES[self.nonlinearity]
        dh_next = self._initial(dstate, B, "dstate")
        da = np.empty_like(hs)                     # dL/d(pre-activation) at every step
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        with np.errstate(over="ignore", invalid="ignore"):
            fprime_hs = fprime(hs)                 # f'(a_t) for all steps at once
            w_hh = p["weight_hh"]
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next              # from this step's output + from step t+1
                if dh_total is not None:
                    dh_total[t] = dh
                da[t] = dh * fprime_hs[t]          # back through the nonlinearity
                dh_next = da[t] @ w_hh             # back through the recurrence
            h_prev = np.concatenate([h0[None], hs[:-1]], axis=0)
            da2 = da.reshape(T * B, H)
            grads = {
                "weight_ih": da2.T @ x.reshape(T * B, D),   # summed over all steps
                "weight_hh": da2.T @ h_prev.reshape(T * B, H),
                "bias_ih": da2.sum(axis=0),
                "bias_hh": da2.sum(axis=0),
            }
            dx = da @ p["weight_ih"]
        if return_hidden_grads:
            return dx, dh_next, grads, dh_total
        return dx, dh_next, grads


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

    def forward(self, x, state0=None):
        """Run the LSTM over a sequence.

        Args:
            x: (T, B, D) inputs.
            state0: pair (h_0, c_0), each (B, H); zeros when None.

        Returns:
            hs: (T, B, H); state: (h_T, c_T); cache: dict with ``x``, ``h0``, ``c0``, ``hs``,
            ``cs`` (T, B, H) cell states, and ``gates``: {"i", "f", "g", "o"} -> (T, B, H).
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        H = self.hidden_size
        h, c = self._initial_pair(state0, B)
        h0, c0 = h, c
        p = self.params
        # One tanh serves all four gates: sigma(a) = 0.5 * tanh(a / 2) + 0.5 for i, f, o, so the
        # pre-activations of i, f, o are halved (folded into the weights) and g's are kept.
        scale = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=self.dtype), H)
        shift = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype=self.dtype), H)
        acts = np.empty((T, B, 4 * H), dtype=self.dtype)   # i, f, g, o activations
        hs = np.empty((T, B, H), dtype=self.dtype)
        cs = np.empty((T, B, H), dtype=self.dtype)
        tanh_cs = np.empty((T, B, H), dtype=self.dtype)
        ig = np.empty((B, H), dtype=self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            # input projections of all steps in one matmul, biases folded in, pre-scaled
            x_proj = (x @ p["weight_ih"].T + (p["bias_ih"] + p["bias_hh"])) * scale  # (T, B, 4H)
            w_hh_scaled = p["weight_hh"].T * scale                                 # (H, 4H)
            for t in range(T):
                act = acts[t]
                np.matmul(h, w_hh_scaled, out=act)             # all gates, one matmul
                act += x_proj[t]
                np.tanh(act, out=act)
                act *= scale                                   # -> sigma for i, f, o; tanh for g
                act += shift
                i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
                np.multiply(f, c, out=cs[t])                   # c_t = f * c_{t-1} + i * g
                np.multiply(i, g, out=ig)
                cs[t] += ig
                np.tanh(cs[t], out=tanh_cs[t])
                np.multiply(o, tanh_cs[t], out=hs[t])          # h_t = o * tanh(c_t)
                h, c = hs[t], cs[t]
        gates = {name: acts[:, :, k * H:(k + 1) * H] for k, name in enumerate(self.gate_names)}
        cache = self._make_cache(x=x, h0=h0, c0=c0, hs=hs, cs=cs, tanh_cs=tanh_cs,
                                 gates=gates, acts=acts)
        return hs.copy(), (hs[-1].copy(), cs[-1].copy()), cache

    def backward(self, dhs, cache, dstate=None, return_hidden_grads=False):
        """Backpropagation through time for the LSTM.

        Args:
            dhs: (T, B, H) dL/dh_t from above; cache: from :meth:`forward`;
            dstate: pair (dL/dh_T, dL/dc_T), zeros when None.
            return_hidden_grads: also return dh_total (T, B, H), the full dL/dh_t.

        Returns:
            dx: (T, B, D), dstate0: (dL/dh_0, dL/dc_0), grads (and dh_total when asked).
        """
        self._check_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        x, hs, tanh_cs, acts = cache["x"], cache["hs"], cache["tanh_cs"], cache["acts"]
        T, B, D = x.shape
        H = self.hidden_size
        p = self.params
        dh_next, dc_next = self._initial_pair(dstate, B, name="dstate")
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        with np.errstate(over="ignore", invalid="ignore"):
            i, f, g, o = (acts[:, :, k * H:(k + 1) * H] for k in range(4))
            c_prev = np.concatenate([cache["c0"][None], cache["cs"][:-1]], axis=0)
            # Local derivatives, for all steps at once (only the chain itself is sequential):
            #   dc_t   = dc_{t+1} f_{t+1} + dh_t * o (1 - tanh^2 c_t)     (c -> h = o tanh c)
            #   da_i   = dc_t * g i (1 - i),   da_f = dc_t * c_{t-1} f (1 - f)
            #   da_g   = dc_t * i (1 - g^2),   da_o = dh_t * tanh(c_t) o (1 - o)
            dh_to_dc = o * (1.0 - tanh_cs * tanh_cs)
            dc_to_da = np.empty((T, B, 3, H), dtype=self.dtype)
            dc_to_da[:, :, 0] = g * i * (1.0 - i)
            dc_to_da[:, :, 1] = c_prev * f * (1.0 - f)
            dc_to_da[:, :, 2] = i * (1.0 - g * g)
            dh_to_dao = tanh_cs * o * (1.0 - o)
            da = np.empty_like(acts)          # dL/d(pre-activations), (T, B, 4H)
            da_ifg = da.reshape(T, B, 4, H)[:, :, :3]
            w_hh = p["weight_hh"]
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next                          # own output + from step t+1
                if dh_total is not None:
                    dh_total[t] = dh
                dc = dh * dh_to_dc[t]
                dc += dc_next                                  # ... + the cell-state path
                np.multiply(dc_to_da[t], dc[:, None, :], out=da_ifg[t])   # into i, f, g
                np.multiply(dh, dh_to_dao[t], out=da[t, :, 3 * H:])       # into o
                dc_next = dc * f[t]                            # the highway: times f_t
                dh_next = da[t] @ w_hh                         # back through W_hh
            h_prev = np.concatenate([cache["h0"][None], hs[:-1]], axis=0)
            da2 = da.reshape(T * B, 4 * H)
            grads = {
                "weight_ih": da2.T @ x.reshape(T * B, D),      # summed over all steps
                "weight_hh": da2.T @ h_prev.reshape(T * B, H),
                "bias_ih": da2.sum(axis=0),
                "bias_hh": da2.sum(axis=0),
            }
            dx = da @ p["weight_ih"]
        out = (dx, (dh_next, dc_next), grads)
        return out + (dh_total,) if return_hidden_grads else out

    def _initial_pair(self, state, B, name="state0"):
        if state is None:
            return self._initial(None, B, name), self._initial(None, B, name)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError(f"{name} of an LSTM must be a pair (h, c) of (B, H) arrays, "
                             f"got {type(state).__name__}")
        return self._initial(state[0], B, f"{name}[0] (h)"), self._initial(state[1], B, f"{name}[1] (c)")


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

    def __init__(self, input_size, hidden_size, reset_after=True, seed=None, dtype=np.float64):
        if not isinstance(reset_after, bool):
            raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, seed=seed, dtype=dtype)

    def __repr__(self):
        extra = "" if self.reset_after else ", reset_after=False"
        return f"GRU(input_size={self.input_size}, hidden_size={self.hidden_size}{extra})"

    def forward(self, x, state0=None):
        """Run the GRU over a sequence.

        Args:
            x: (T, B, D) inputs; state0: (B, H) initial hidden state (zeros when None).

        Returns:
            hs: (T, B, H); state: h_T (B, H); cache: dict with ``x``, ``h0``, ``hs`` and
            ``gates``: {"r", "z", "n"} -> (T, B, H).
        """
        x = self._check_input(x)
        T, B, _ = x.shape
        H = self.hidden_size
        h = h0 = self._initial(state0, B, "state0")
        p = self.params
        # sigma(a) = 0.5 * tanh(a / 2) + 0.5: the r and z columns are halved once, up front.
        scale = np.repeat(np.array([0.5, 0.5, 1.0], dtype=self.dtype), H)
        acts = np.empty((T, B, 3 * H), dtype=self.dtype)    # r, z, n
        hs = np.empty((T, B, H), dtype=self.dtype)
        ah = np.empty((T, B, 3 * H), dtype=self.dtype)      # hidden projections, per step
        rh = np.empty((T, B, H), dtype=self.dtype) if not self.reset_after else None
        with np.errstate(over="ignore", invalid="ignore"):
            x_proj = (x @ p["weight_ih"].T + p["bias_ih"]) * scale    # (T, B, 3H), one matmul
            w_hh_scaled = p["weight_hh"].T * scale                     # (H, 3H)
            b_hh_scaled = p["bias_hh"] * scale
            for t in range(T):
                act, rz, n = acts[t], acts[t, :, :2 * H], acts[t, :, 2 * H:]
                r, z = act[:, :H], act[:, H:2 * H]
                if self.reset_after:
                    np.matmul(h, w_hh_scaled, out=ah[t])    # all three blocks, one matmul
                    ah[t] += b_hh_scaled
                    np.add(x_proj[t, :, :2 * H], ah[t, :, :2 * H], out=rz)
                    np.tanh(rz, out=rz)
                    rz *= 0.5
                    rz += 0.5                               # r, z = sigma(...)
                    np.multiply(r, ah[t, :, 2 * H:], out=n)  # r * (W_hn h + b_hn)
                else:
                    np.matmul(h, w_hh_scaled[:, :2 * H], out=ah[t, :, :2 * H])
                    ah[t, :, :2 * H] += b_hh_scaled[:2 * H]
                    np.add(x_proj[t, :, :2 * H], ah[t, :, :2 * H], out=rz)
                    np.tanh(rz, out=rz)
                    rz *= 0.5
                    rz += 0.5
                    np.multiply(r, h, out=rh[t])            # reset applied before the matmul
                    np.matmul(rh[t], w_hh_scaled[:, 2 * H:], out=ah[t, :, 2 * H:])
                    ah[t, :, 2 * H:] += b_hh_scaled[2 * H:]
                    n[...] = ah[t, :, 2 * H:]               # W_hn (r * h) + b_hn
                n += x_proj[t, :, 2 * H:]
                np.tanh(n, out=n)
                np.subtract(h, n, out=hs[t])                # h_t = n + z * (h_{t-1} - n)
                hs[t] *= z
                hs[t] += n
                h = hs[t]
        gates = {name: acts[:, :, k * H:(k + 1) * H] for k, name in enumerate(self.gate_names)}
        cache = self._make_cache(x=x, h0=h0, hs=hs, gates=gates, acts=acts,
                                 ah_n=ah[:, :, 2 * H:], rh=rh)
        return hs.copy(), hs[-1].copy(), cache

    def backward(self, dhs, cache, dstate=None, return_hidden_grads=False):
        """Backpropagation through time for the GRU.

        Args:
            dhs: (T, B, H); cache: from :meth:`forward`; dstate: (B, H) dL/dh_T (zeros when None).
            return_hidden_grads: also return dh_total (T, B, H), the full dL/dh_t.

        Returns:
            dx: (T, B, D), dstate0: (B, H), grads (and dh_total when asked).
        """
        self._check_cache(cache)
        dhs = self._check_dhs(dhs, cache)
        x, hs, acts, ah_n = cache["x"], cache["hs"], cache["acts"], cache["ah_n"]
        T, B, D = x.shape
        H = self.hidden_size
        p = self.params
        w_hh = p["weight_hh"]
        dh_next = self._initial(dstate, B, "dstate")
        dh_total = np.empty_like(hs) if return_hidden_grads else None
        h_prev = np.concatenate([cache["h0"][None], hs[:-1]], axis=0)
        dax = np.empty_like(acts)     # dL/d(input projections), (T, B, 3H): r, z, n blocks
        dah = np.empty_like(acts)     # dL/d(hidden projections), (T, B, 3H)
        with np.errstate(over="ignore", invalid="ignore"):
            r, z, n = acts[:, :, :H], acts[:, :, H:2 * H], acts[:, :, 2 * H:]
            # Local derivatives for all steps at once; h_t = (1 - z) n + z h_{t-1}:
            dh_to_dan = (1.0 - z) * (1.0 - n * n)       # into n's pre-activation (through tanh)
            dh_to_daz = (h_prev - n) * z * (1.0 - z)    # into z's pre-activation
            if self.reset_after:                        # pre-act of n = ax_n + r * ah_n
                dan_to_dar = ah_n * r * (1.0 - r)
            for t in range(T - 1, -1, -1):
                dh = dhs[t] + dh_next
                if dh_total is not None:
                    dh_total[t] = dh
                dan = np.multiply(dh, dh_to_dan[t], out=dax[t, :, 2 * H:])
                np.multiply(dh, dh_to_daz[t], out=dax[t, :, H:2 * H])
                if self.reset_after:
                    np.multiply(dan, dan_to_dar[t], out=dax[t, :, :H])
                    dah[t, :, :2 * H] = dax[t, :, :2 * H]
                    np.multiply(dan, r[t], out=dah[t, :, 2 * H:])
                    dh_next = dh * z[t]                  # the direct (leaky) path
                    dh_next += dah[t] @ w_hh             # through all three blocks
                else:                                    # pre-act of n = ax_n + W_hn (r h) + b
                    drh = dan @ w_hh[2 * H:]
                    dax[t, :, :H] = drh * h_prev[t] * r[t] * (1.0 - r[t])
                    dah[t] = dax[t]
                    dh_next = dh * z[t] + drh * r[t] + dah[t, :, :2 * H] @ w_hh[:2 * H]
            dax2 = dax.reshape(T * B, 3 * H)
            dah2 = dah.reshape(T * B, 3 * H)
            hp2 = h_prev.reshape(T * B, H)
            if self.reset_after:
                dw_hh = dah2.T @ hp2
            else:   # the n block multiplies r * h_prev, not h_prev
                dw_hh = np.concatenate([dah2[:, :2 * H].T @ hp2,
                                        dah2[:, 2 * H:].T @ cache["rh"].reshape(T * B, H)])
            grads = {
                "weight_ih": dax2.T @ x.reshape(T * B, D),
                "weight_hh": dw_hh,
                "bias_ih": dax2.sum(axis=0),
                "bias_hh": dah2.sum(axis=0),
            }
            dx = dax @ p["weight_ih"]
        out = (dx, dh_next, grads)
        return out + (dh_total,) if return_hidden_grads else out
