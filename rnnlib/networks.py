r"""Whole networks: an output layer on top of a recurrent layer.

* ``Linear``: :math:`y = W_{hy} h + b_y` applied at every time step (``torch.nn.Linear``).
* ``RecurrentNetwork``: any recurrent layer plus a ``Linear`` head, many-to-many
  (an output at every step) or many-to-one (one output from the last hidden state).
* ``ElmanNetwork``: a vanilla RNN with a head: the hidden state is fed back.
* ``JordanNetwork``: the *output* is fed back instead of the hidden state.
* ``EncoderDecoder``: sequence to sequence, T_x inputs to T_y outputs through one context.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from ._params import ParamDict
from .cell_registry import cell_layer, cell_name
from .cells import NONLINEARITIES, check_nonlinearity
from .layers import RNN

if TYPE_CHECKING:                       # for the type hints only
    from .composite import Bidirectional, Stack
    from .layers import RecurrentLayer


class Linear:
    r"""Output layer :math:`y = W h + b`, over the last axis, as ``torch.nn.Linear``.

    Args:
        in_features: H; out_features: O; seed: int or Generator.

    ``params``: ``weight (O, H)``, ``bias (O,)``, initialised uniformly in (-1/sqrt(H), 1/sqrt(H))
    as in PyTorch.
    """

    def __init__(self, in_features: int, out_features: int, seed=None, dtype=np.float64):
        self.in_features = _checks.check_positive_int(in_features, "in_features")
        self.out_features = _checks.check_positive_int(out_features, "out_features")
        self.dtype = np.dtype(dtype)
        rng = _checks.rng_from(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.params = {k: rng.uniform(-bound, bound, size=s).astype(self.dtype)
                       for k, s in self.param_shapes().items()}

    def param_shapes(self) -> dict[str, tuple]:
        return {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}

    def num_params(self) -> int:
        return self.out_features * (self.in_features + 1)

    def with_params(self, params: dict) -> Linear:
        new = copy.copy(self)
        new.params = params
        return new

    def forward(self, h: ArrayLike) -> tuple[np.ndarray, dict]:
        """h: (..., H), e.g. (T, B, H) or (B, H). Returns y: (..., O) and a cache."""
        _checks.check_params(self.params, self.param_shapes(), "Linear")
        h = _checks.as_float_array(h, "h", self.dtype)
        if h.ndim < 1 or h.shape[-1] != self.in_features:
            raise ValueError(f"h has {h.shape[-1] if h.ndim else 0} features, "
                             f"this layer expects {self.in_features}")
        _checks.check_finite(h, "h")
        h = h.copy()                     # the cache's own: later edits of the caller's h are safe
        h.flags.writeable = False
        with np.errstate(over="ignore", invalid="ignore"):
            y = h @ self.params["weight"].T + self.params["bias"]
        return y, {"h": h}

    def backward(self, dy: ArrayLike, cache: dict) -> tuple[np.ndarray, dict]:
        """dy: (..., O). Returns dh: (..., H) and grads summed over all leading axes."""
        _checks.check_cache(cache, ["h"], "Linear")
        h = cache["h"]
        if h.shape[-1] != self.in_features:
            raise ValueError(f"this cache was made by a Linear with {h.shape[-1]} inputs, not by "
                             f"this {self!r}")
        dy = _checks.check_matrix(dy, h.shape[:-1] + (self.out_features,), "dy", self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            dy2 = dy.reshape(-1, self.out_features)
            grads = {"weight": dy2.T @ h.reshape(-1, self.in_features), "bias": dy2.sum(axis=0)}
            dh = dy @ self.params["weight"]
        return dh, grads

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"


class RecurrentNetwork:
    """A recurrent layer (or Stack / Bidirectional) with a ``Linear`` head.

    Args:
        rnn: the recurrent part; head: a ``Linear`` with ``in_features == rnn.output_size``.
        many_to_one: False gives an output at every step, ys: (T, B, O); True gives one output
            from the last hidden state, y: (B, O).

    ``params`` are named ``rnn.<name>`` and ``out.<name>``, like a PyTorch module with
    attributes ``rnn`` and ``out``.
    """

    def __init__(self, rnn: RecurrentLayer | Stack | Bidirectional, head: Linear,
                 many_to_one: bool = False):
        if head.in_features != rnn.output_size:
            raise ValueError(f"head expects {head.in_features} features but the recurrent "
                             f"layer produces {rnn.output_size}")
        self.rnn, self.head, self.many_to_one = rnn, head, bool(many_to_one)
        self.input_size, self.output_size = rnn.input_size, head.out_features

    @property
    def params(self):
        """``rnn.<name>`` and ``out.<name>``: the layers' own arrays (assignments reach them)."""
        routes = {"rnn." + k: (self.rnn, k) for k in self.rnn.params}
        routes.update({"out." + k: (self.head, k) for k in self.head.params})
        return ParamDict(routes)

    def with_params(self, params: dict) -> RecurrentNetwork:
        new = copy.copy(self)
        new.rnn = self.rnn.with_params({k: params["rnn." + k] for k in self.rnn.params})
        new.head = self.head.with_params({k: params["out." + k] for k in self.head.params})
        return new

    def num_params(self) -> int:
        return self.rnn.num_params() + self.head.num_params()

    def forward(self, x: ArrayLike, state0: ArrayLike | tuple | list | None = None,
                lengths: ArrayLike | None = None) -> tuple[np.ndarray, object, dict]:
        """x: (T, B, D). Returns ys: (T, B, O) or (B, O) if many_to_one, final state, cache.

        lengths: (B,) sequence lengths of a padded batch (see ``RNN.forward``); many-to-one
        then reads each sequence's hidden state at its own last step.
        """
        if lengths is None:
            hs, state, rnn_cache = self.rnn.forward(x, state0)
            last = hs[-1]
        else:
            hs, state, rnn_cache = self.rnn.forward(x, state0, lengths=lengths)
            lengths = np.asarray(lengths)
            last = hs[lengths - 1, np.arange(hs.shape[1])]
        ys, head_cache = self.head.forward(last if self.many_to_one else hs)
        return ys, state, {"rnn": rnn_cache, "head": head_cache, "hs": hs, "lengths": lengths}

    def backward(self, dys: ArrayLike, cache: dict, dstate: ArrayLike | tuple | list | None = None,
                 return_hidden_grads: bool = False, return_cell_grads: bool = False) -> tuple:
        """dys: like ys. Returns dx: (T, B, D), dstate0, grads (like ``params``).

        return_hidden_grads: also return the recurrent part's dh_total, the full dL/dh_t at
        every step ((T, B, H) for a layer, a list per layer for a Stack);
        return_cell_grads (LSTM): then also dc_total, the full dL/dc_t.
        """
        _checks.check_cache(cache, ["rnn", "head", "hs"], "RecurrentNetwork")
        dtop, g_head = self.head.backward(dys, cache["head"])
        if self.many_to_one:       # only the last step has a loss: dL/dh_t = 0 from outputs t < T
            dhs = np.zeros_like(cache["hs"])
            lengths = cache.get("lengths")
            if lengths is None:
                dhs[-1] = dtop
            else:                  # each sequence's own last step
                dhs[lengths - 1, np.arange(dhs.shape[1])] = dtop
        else:
            dhs = dtop
        out = self.rnn.backward(dhs, cache["rnn"], dstate, return_hidden_grads=return_hidden_grads,
                                return_cell_grads=return_cell_grads)
        dx, dstate0, g_rnn = out[:3]
        grads = {"rnn." + k: v for k, v in g_rnn.items()}
        grads.update({"out." + k: v for k, v in g_head.items()})
        return (dx, dstate0, grads) + tuple(out[3:])

    def __repr__(self):
        return f"RecurrentNetwork({self.rnn!r}, {self.head!r}, many_to_one={self.many_to_one})"


class ElmanNetwork(RecurrentNetwork):
    r"""Elman's simple recurrent network (1990): a vanilla ``RNN`` layer and a ``Linear`` head,
    :math:`h_t = \phi(W_{xh} x_t + W_{hh} h_{t-1} + b_h)`, :math:`y_t = W_{hy} h_t + b_y`;
    the hidden state is what is fed back.

    Args:
        input_size: D; hidden_size: H; output_size: O.
        nonlinearity: as for ``RNN`` ("tanh" or "relu", or "sigmoid" / "linear").
        many_to_one: as for ``RecurrentNetwork``.
        seed: int or Generator: the layer's weights are drawn first, then the head's.

    A ``RecurrentNetwork`` in every respect (``params`` named ``rnn.*`` and ``out.*``).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 nonlinearity: str = "tanh", many_to_one: bool = False, seed=None,
                 dtype=np.float64):
        rng = _checks.rng_from(seed)
        super().__init__(RNN(input_size, hidden_size, nonlinearity, seed=rng, dtype=dtype),
                         Linear(hidden_size, output_size, seed=rng, dtype=dtype),
                         many_to_one=many_to_one)


class JordanNetwork:
    r"""Jordan's network: the previous *output* is fed back instead of the hidden state.

    .. math::
        h_t = f(W_{xh} x_t + W_{yh} y_{t-1} + b_h),\qquad y_t = W_{hy} h_t + b_y,\qquad y_0 = 0

    Args:
        input_size: D; hidden_size: H; output_size: O; nonlinearity: as for ``RNN``.

    ``params``: ``weight_xh (H, D)``, ``weight_yh (H, O)``, ``bias_h (H,)``, ``weight_hy (O, H)``,
    ``bias_y (O,)``. The state is the last output y_T: (B, O).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 nonlinearity: str = "tanh", seed=None, dtype=np.float64):
        self.input_size = _checks.check_positive_int(input_size, "input_size")
        self.hidden_size = _checks.check_positive_int(hidden_size, "hidden_size")
        self.output_size = _checks.check_positive_int(output_size, "output_size")
        self.nonlinearity = check_nonlinearity(nonlinearity)
        self.dtype = np.dtype(dtype)
        rng = _checks.rng_from(seed)
        self.params = {}
        for k, s in self.param_shapes().items():
            bound = 1.0 / np.sqrt(hidden_size)
            self.params[k] = rng.uniform(-bound, bound, size=s).astype(self.dtype)

    def param_shapes(self) -> dict[str, tuple]:
        D, H, O = self.input_size, self.hidden_size, self.output_size
        return {"weight_xh": (H, D), "weight_yh": (H, O), "bias_h": (H,),
                "weight_hy": (O, H), "bias_y": (O,)}

    def num_params(self) -> int:
        return sum(int(np.prod(s)) for s in self.param_shapes().values())

    def with_params(self, params: dict) -> JordanNetwork:
        new = copy.copy(self)
        new.params = params
        return new

    def forward(self, x: ArrayLike, state0: ArrayLike | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict]:
        """x: (T, B, D); state0: y_0 (B, O) or None. Returns ys (T, B, O), y_T, cache."""
        _checks.check_params(self.params, self.param_shapes(), "JordanNetwork")
        x = _checks.check_sequence(x, self.input_size, self.dtype).copy()
        T, B, _ = x.shape
        y = y0 = (np.zeros((B, self.output_size), self.dtype) if state0 is None else
                  _checks.check_matrix(state0, (B, self.output_size), "state0", self.dtype))
        p = self.params
        f, _ = NONLINEARITIES[self.nonlinearity]
        hs = np.empty((T, B, self.hidden_size), self.dtype)
        ys = np.empty((T, B, self.output_size), self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            x_proj = x @ p["weight_xh"].T + p["bias_h"]
            for t in range(T):
                hs[t] = f(x_proj[t] + y @ p["weight_yh"].T)   # the output is the memory
                y = ys[t] = hs[t] @ p["weight_hy"].T + p["bias_y"]
        y0 = np.array(y0, copy=True)
        return ys.copy(), ys[-1].copy(), {"x": x, "y0": y0, "hs": hs, "ys": ys}

    def backward(self, dys: ArrayLike, cache: dict, dstate: ArrayLike | None = None
                 ) -> tuple[np.ndarray, np.ndarray, dict]:
        """dys: (T, B, O) dL/dy_t; dstate: dL/dy_T from later (or None).

        Returns dx: (T, B, D), dL/dy_0: (B, O), grads (like ``params``).
        """
        _checks.check_cache(cache, ["x", "y0", "hs", "ys"], "JordanNetwork")
        x, hs, ys = cache["x"], cache["hs"], cache["ys"]
        T, B, D = x.shape
        if (x.shape[2], hs.shape[2], ys.shape[2]) != (self.input_size, self.hidden_size,
                                                       self.output_size):
            raise ValueError(f"this cache was made by a JordanNetwork of sizes (D, H, O) = "
                             f"{(x.shape[2], hs.shape[2], ys.shape[2])}, not by this {self!r}")
        H, O = self.hidden_size, self.output_size
        dys = _checks.check_matrix(dys, (T, B, O), "dys", self.dtype)
        dy_next = (np.zeros((B, O), self.dtype) if dstate is None else
                   _checks.check_matrix(dstate, (B, O), "dstate", self.dtype))
        p = self.params
        _, fprime = NONLINEARITIES[self.nonlinearity]
        da = np.empty_like(hs)
        dy_all = np.empty_like(ys)
        with np.errstate(over="ignore", invalid="ignore"):
            fprime_hs = fprime(hs)
            for t in range(T - 1, -1, -1):
                dy = dy_all[t] = dys[t] + dy_next          # own loss + via h_{t+1}
                da[t] = (dy @ p["weight_hy"]) * fprime_hs[t]
                dy_next = da[t] @ p["weight_yh"]           # into y_{t-1}
            y_prev = np.concatenate([cache["y0"][None], ys[:-1]], axis=0)
            da2, dy2 = da.reshape(T * B, H), dy_all.reshape(T * B, O)
            grads = {"weight_xh": da2.T @ x.reshape(T * B, D),
                     "weight_yh": da2.T @ y_prev.reshape(T * B, O),
                     "bias_h": da2.sum(axis=0),
                     "weight_hy": dy2.T @ hs.reshape(T * B, H),
                     "bias_y": dy2.sum(axis=0)}
            dx = da @ p["weight_xh"]
        return dx, dy_next, grads

    def __repr__(self):
        return (f"JordanNetwork(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"output_size={self.output_size})")


class EncoderDecoder:
    r"""Sequence to sequence (Sutskever et al. 2014; Cho et al. 2014): T_x inputs, T_y outputs.

    The encoder reads :math:`x_1..x_{T_x}`; its final state, the *context*, becomes the
    decoder's initial state. The decoder then produces T_y outputs; at step t its input is the
    previous output symbol (the true one while training, "teacher forcing", see
    :meth:`decoder_inputs`; its own guess when generating, see :meth:`generate`), with a start
    symbol at t = 1. Logits :math:`y_t = W_{hy} h^{dec}_t + b_y`.

    Args:
        n_in: D, features per input step (e.g. the one-hot size of the input alphabet).
        n_out: O, output classes; the decoder's inputs are one-hot over O + 1 (the outputs plus
            the start symbol, id O).
        hidden_size: H, shared by encoder and decoder.
        cell: a name from :data:`rnnlib.cell_registry.CELLS` ("rnn", "lstm" or "gru").
        seed: int or Generator: encoder, decoder, then head weights are drawn from it.

    ``params``: ``encoder.<name>``, ``decoder.<name>``, ``out.weight``, ``out.bias``.
    """

    def __init__(self, n_in: int, n_out: int, hidden_size: int, cell: str = "gru", seed=None,
                 dtype=np.float64):
        self.n_in = _checks.check_positive_int(n_in, "n_in")
        self.n_out = _checks.check_positive_int(n_out, "n_out")
        self.cell = cell_name(cell)
        cls = cell_layer(cell)
        rng = _checks.rng_from(seed)
        self.encoder = cls(n_in, hidden_size, seed=rng, dtype=dtype)
        self.decoder = cls(n_out + 1, hidden_size, seed=rng, dtype=dtype)
        self.head = Linear(hidden_size, n_out, seed=rng, dtype=dtype)
        self.hidden_size = self.encoder.hidden_size
        self.start = n_out                   # the start symbol's id in the decoder's inputs

    @property
    def params(self) -> dict:
        """``encoder.*``, ``decoder.*``, ``out.*``: the parts' own arrays."""
        routes = {"encoder." + k: (self.encoder, k) for k in self.encoder.params}
        routes.update({"decoder." + k: (self.decoder, k) for k in self.decoder.params})
        routes.update({"out." + k: (self.head, k) for k in self.head.params})
        return ParamDict(routes)

    def num_params(self) -> int:
        return self.encoder.num_params() + self.decoder.num_params() + self.head.num_params()

    def with_params(self, params: dict) -> EncoderDecoder:
        """A copy that computes with ``params`` (keyed like ``self.params``) instead."""
        def part(prefix, module):
            return module.with_params({k: params[prefix + k] for k in module.params})

        new = copy.copy(self)
        new.encoder = part("encoder.", self.encoder)
        new.decoder = part("decoder.", self.decoder)
        new.head = part("out.", self.head)
        return new

    def decoder_inputs(self, y: ArrayLike) -> np.ndarray:
        """Teacher forcing: (T_y, B) target ids in [0, O) -> (T_y, B, O + 1) one-hot decoder
        inputs: the start symbol, then y_1..y_{T_y - 1}."""
        y = np.asarray(y)
        if y.ndim != 2 or y.dtype.kind not in "iu":
            raise ValueError(f"y must be (T_y, B) integer ids, got shape {y.shape} and "
                             f"dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= self.n_out):
            raise ValueError(f"y must hold ids in [0, {self.n_out}), got values from {y.min()} "
                             f"to {y.max()}")
        prev = np.concatenate([np.full((1, y.shape[1]), self.start), y[:-1]], axis=0)
        return np.eye(self.n_out + 1, dtype=self.head.dtype)[prev]

    def forward(self, x: ArrayLike, y_in: ArrayLike) -> tuple[np.ndarray, object, dict]:
        """x: (T_x, B, D) inputs; y_in: (T_y, B, O + 1) decoder inputs.

        Returns:
            logits: (T_y, B, O); context: the encoder's final state (for an LSTM the pair
            (h, c)); cache: for :meth:`backward`.
        """
        hs_enc, context, c_enc = self.encoder.forward(x)
        y_in = _checks.as_float_array(y_in, "y_in", self.head.dtype)
        B = hs_enc.shape[1]
        if y_in.ndim != 3 or y_in.shape[1] != B:
            raise ValueError(f"y_in must be (T_y, B, O + 1) = (T_y, {B}, {self.n_out + 1}) with "
                             f"the batch size of x, got shape {y_in.shape}")
        hs_dec, _, c_dec = self.decoder.forward(y_in, context)
        logits, c_head = self.head.forward(hs_dec)
        return logits, context, {"enc": c_enc, "dec": c_dec, "head": c_head, "hs_enc": hs_enc}

    def backward(self, dlogits: ArrayLike, cache: dict, return_hidden_grads: bool = False
                 ) -> tuple:
        """BPTT through the decoder, then the encoder. The encoder's outputs carry no loss: its
        whole gradient arrives through the context, as ``dstate`` of its final step.

        Returns:
            dx: (T_x, B, D); grads: dict like ``params``; and, when asked, dh_enc (T_x, B, H)
            and dh_dec (T_y, B, H), the full dL/dh_t of the encoder and of the decoder.
        """
        _checks.check_cache(cache, ["enc", "dec", "head", "hs_enc"], "EncoderDecoder")
        dh_dec, g_head = self.head.backward(dlogits, cache["head"])
        _, dcontext, g_dec, dh_total_dec = self.decoder.backward(dh_dec, cache["dec"],
                                                                 return_hidden_grads=True)
        no_loss = np.zeros_like(cache["hs_enc"])         # the encoder's hs feed no output
        dx, _, g_enc, dh_total_enc = self.encoder.backward(no_loss, cache["enc"],
                                                           dstate=dcontext,
                                                           return_hidden_grads=True)
        grads = {"encoder." + k: v for k, v in g_enc.items()}
        grads.update({"decoder." + k: v for k, v in g_dec.items()})
        grads.update({"out." + k: v for k, v in g_head.items()})
        if return_hidden_grads:
            return dx, grads, dh_total_enc, dh_total_dec
        return dx, grads

    def generate(self, x: ArrayLike, T_y: int) -> np.ndarray:
        """Greedy decoding: feed each step's most likely symbol back in. x: (T_x, B, D).
        Returns (T_y, B) int64 ids."""
        T_y = _checks.check_positive_int(T_y, "T_y")
        _, state, _ = self.encoder.forward(x)
        B = np.shape(x)[1]
        prev = np.full(B, self.start)
        out = np.empty((T_y, B), dtype=np.int64)
        eye = np.eye(self.n_out + 1, dtype=self.head.dtype)
        for t in range(T_y):
            hs, state, _ = self.decoder.forward(eye[prev][None], state)
            logits, _ = self.head.forward(hs[0])
            prev = out[t] = np.argmax(logits, axis=-1)
        return out

    def __repr__(self):
        return (f"EncoderDecoder(n_in={self.n_in}, n_out={self.n_out}, "
                f"hidden_size={self.hidden_size}, cell={self.cell!r})")
