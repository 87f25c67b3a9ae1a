r"""Numbers for notebook 09: the encoder-decoder's fixed-size bottleneck, and attention.

A plain encoder-decoder (Sutskever et al. 2014; Cho et al. 2014) hands the decoder one vector,
the encoder's final state. :class:`AttentionSeq2Seq` lets the decoder look back at every encoder
state at every output step (Bahdanau, Cho & Bengio 2015):

.. math::

    c_t = \sum_s \alpha_{t,s}\, h^{enc}_s, \quad
    \alpha_{t,\cdot} = \mathrm{softmax}_s\big(\mathrm{score}(s_{t-1}, h^{enc}_s)\big), \quad
    s_t = \mathrm{GRU}([e(y_{t-1}); c_t],\ s_{t-1}), \quad
    \hat y_t = W_{out}[s_t; c_t] + b_{out}.

With ``attention=None`` the same model has no context (``c_t = 0``): the plain encoder-decoder,
with the same code and nearly the same number of parameters, so the comparison is fair.

The task is :func:`reversal_task`: reverse a string of digits, then say <end>. Every output
symbol must come from one input position, so the best alignment is the anti-diagonal: a clear
picture of what attention learns.

Shapes are time-major: ``x: (S, B, V_in)``, ``y: (T_y, B)``, encoder states ``(S, B, H)``.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from .. import _checks
from ..attention import AdditiveAttention, DotProductAttention
from ..cells import gru_step_backward, gru_step_forward
from ..layers import GRU
from ..losses import softmax_cross_entropy
from ..networks import Linear
from ..optim import Adam, clip_grad_norm

__all__ = [
    "reversal_task",
    "AttentionSeq2Seq",
    "train_seq2seq",
    "accuracy_by_length",
    "padded_steps",
    "sequential_vs_parallel_steps",
    "time_recurrence_vs_attention",
]


def reversal_task(n, length, n_symbols=8, seed=0):
    """``n`` strings of ``length`` random digits and their reversals, ended by <end>.

    Returns:
        x: (length, n, n_symbols) one-hot inputs; y: (length + 1, n) int64 target ids, where
        id ``n_symbols`` is <end>; ids: (length, n) the input digits.
    """
    length = _checks.check_positive_int(length, "length")
    rng = _checks.rng_from(seed)
    ids = rng.integers(0, n_symbols, size=(length, n))
    y = np.concatenate([ids[::-1], np.full((1, n), n_symbols)], axis=0)
    return np.eye(n_symbols)[ids], y, ids


class AttentionSeq2Seq:
    """A GRU encoder, a GRU decoder that reads a context vector at every step, and a linear head.

    Args:
        n_in: V_in, the input alphabet (one-hot size); n_out: O, output classes (the decoder's
            own inputs are one-hot over O + 1: the outputs plus a start symbol, id O).
        hidden_size: H, shared by encoder and decoder.
        attention: "additive" (Bahdanau), "dot" (scaled dot product) or None (no attention: the
            plain encoder-decoder; the context is all zeros).
        seed: int or Generator.

    ``params``: ``encoder.<name>``, ``decoder.<name>`` (a GRU cell fed [one-hot; context]),
    ``attention.<name>`` (additive only), ``out.weight (O, 2H)``, ``out.bias``.
    """

    def __init__(self, n_in, n_out, hidden_size, attention="additive", seed=None):
        if attention not in ("additive", "dot", None):
            raise ValueError(f"attention must be 'additive', 'dot' or None, got {attention!r}")
        rng = _checks.rng_from(seed)
        self.n_in, self.n_out, self.hidden_size, self.kind = n_in, n_out, hidden_size, attention
        self.start = n_out
        self.encoder = GRU(n_in, hidden_size, seed=rng)
        self.decoder = GRU(n_out + 1 + hidden_size, hidden_size, seed=rng)  # one step at a time
        self.attention = {
            "additive": lambda: AdditiveAttention(hidden_size, hidden_size, hidden_size, seed=rng),
            "dot": lambda: DotProductAttention(),
            None: lambda: None,
        }[attention]()
        self.head = Linear(2 * hidden_size, n_out, seed=rng)

    def _parts(self):
        parts = {"encoder.": self.encoder, "decoder.": self.decoder, "out.": self.head}
        if self.attention is not None and self.attention.params:
            parts["attention."] = self.attention
        return parts

    @property
    def params(self):
        return {prefix + k: v for prefix, m in self._parts().items() for k, v in m.params.items()}

    def num_params(self):
        return sum(m.num_params() for m in self._parts().values())

    def with_params(self, params):
        new = copy.copy(self)
        for prefix, module in self._parts().items():
            replaced = module.with_params({k: params[prefix + k] for k in module.params})
            setattr(
                new,
                {
                    "encoder.": "encoder",
                    "decoder.": "decoder",
                    "out.": "head",
                    "attention.": "attention",
                }[prefix],
                replaced,
            )
        return new

    def _context(self, query, keys):
        if self.attention is None:
            return np.zeros_like(query), None, None
        return self.attention.forward(query, keys)

    def forward(self, x, y):
        """Teacher-forced pass. x: (S, B, V_in); y: (T_y, B) target ids (the decoder reads the
        start symbol, then y_1..y_{T_y - 1}).

        Returns logits (T_y, B, O), attention weights (T_y, S, B) (zeros without attention) and
        a cache for :meth:`backward`."""
        enc_hs, state, enc_cache = self.encoder.forward(x)
        T_y, B = y.shape
        prev = np.concatenate([np.full((1, B), self.start), y[:-1]], axis=0)
        onehot = np.eye(self.n_out + 1)[prev]
        p = self.decoder.params
        logits = np.empty((T_y, B, self.n_out))
        weights = np.zeros((T_y, x.shape[0], B))
        steps = []
        for t in range(T_y):
            context, alpha, att_cache = self._context(state, enc_hs)  # look back with s_{t-1}
            inp = np.concatenate([onehot[t], context], axis=1)  # [e(y_{t-1}); c_t]
            new_state, gru_cache = gru_step_forward(
                inp, state, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
            )
            logits[t], head_cache = self.head.forward(np.concatenate([new_state, context], 1))
            if alpha is not None:
                weights[t] = alpha
            steps.append((att_cache, gru_cache, head_cache))
            state = new_state
        return logits, weights, {"enc": enc_cache, "enc_hs": enc_hs, "steps": steps}

    def backward(self, dlogits, cache):
        """BPTT through the decoder steps (newest first), the attention and the encoder.

        Returns grads keyed like :attr:`params`."""
        H = self.hidden_size
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        d_enc_hs = np.zeros_like(cache["enc_hs"])
        dstate = np.zeros_like(cache["enc_hs"][0])
        for t in reversed(range(len(cache["steps"]))):
            att_cache, gru_cache, head_cache = cache["steps"][t]
            dfeat, g_head = self.head.backward(dlogits[t], head_cache)  # y_t = W [s_t; c_t] + b
            for k, v in g_head.items():
                grads["out." + k] += v
            dstate = dstate + dfeat[:, :H]
            dcontext = dfeat[:, H:]
            dinp, dstate, g_gru = gru_step_backward(dstate, gru_cache)  # s_t = GRU(inp, s_{t-1})
            for k, v in g_gru.items():
                grads["decoder." + k] += v
            dcontext = dcontext + dinp[:, self.n_out + 1 :]
            if self.attention is not None:  # c_t = attn(s_{t-1}, h)
                dquery, dkeys, _, g_att = self.attention.backward(dcontext, att_cache)
                dstate = dstate + dquery
                d_enc_hs += dkeys
                for k, v in g_att.items():
                    grads["attention." + k] += v
        _, _, g_enc = self.encoder.backward(d_enc_hs, cache["enc"], dstate=dstate)
        for k, v in g_enc.items():
            grads["encoder." + k] += v
        return grads

    def start_decoding(self, x):
        """Encode ``x: (S, B, V_in)``; returns (encoder states (S, B, H), the decoder's first
        state s_0 (B, H), the first inputs: the start symbol (B,))."""
        enc_hs, state, _ = self.encoder.forward(x)
        return enc_hs, state, np.full(x.shape[1], self.start)

    def decoder_step(self, enc_hs, state, prev):
        """One decoding step from state s_{t-1} (B, H) and the previous symbols ``prev`` (B,).

        Returns log-probabilities of the next symbol (B, O), the new state (B, H) and the
        attention weights (S, B) (zeros without attention)."""
        context, alpha, _ = self._context(state, enc_hs)
        inp = np.concatenate([np.eye(self.n_out + 1)[prev], context], axis=1)
        p = self.decoder.params
        state, _ = gru_step_forward(
            inp, state, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
        )
        logits, _ = self.head.forward(np.concatenate([state, context], axis=1))
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        if alpha is None:
            alpha = np.zeros(enc_hs.shape[:2])
        return log_probs, state, alpha

    def generate(self, x, T_y):
        """Greedy decoding: each step's most likely symbol is fed back in. x: (S, B, V_in).

        Returns ids (T_y, B) and the attention weights (T_y, S, B)."""
        enc_hs, state, prev = self.start_decoding(x)
        out = np.empty((T_y, x.shape[1]), dtype=np.int64)
        weights = np.zeros((T_y, x.shape[0], x.shape[1]))
        for t in range(T_y):
            log_probs, state, weights[t] = self.decoder_step(enc_hs, state, prev)
            prev = out[t] = np.argmax(log_probs, axis=-1)
        return out, weights


def train_seq2seq(
    attention="additive",
    hidden_size=32,
    n_symbols=8,
    lengths=range(4, 13),
    steps=600,
    batch=32,
    lr=0.01,
    max_norm=5.0,
    seed=0,
):
    """Train an :class:`AttentionSeq2Seq` on :func:`reversal_task` with Adam and norm clipping.
    Each update draws one length from ``lengths`` (so a batch needs no padding).

    Returns:
        (model, losses): the trained model and the (steps,) mean cross-entropy per update.
    """
    rng = np.random.default_rng(seed)
    model = AttentionSeq2Seq(n_symbols, n_symbols + 1, hidden_size, attention=attention, seed=seed)
    opt = Adam(model.params, lr=lr)
    params = model.params
    lengths = list(lengths)
    losses = np.empty(steps)
    for step in range(steps):
        x, y, _ = reversal_task(batch, int(rng.choice(lengths)), n_symbols, seed=rng)
        logits, _, cache = model.forward(x, y)
        losses[step], dlogits = softmax_cross_entropy(logits, y, reduction="mean")
        grads = model.backward(dlogits, cache)
        clip_grad_norm(grads, max_norm)
        opt.step({k: grads[k] for k in params})
    return model, losses


def accuracy_by_length(model, lengths, n=200, n_symbols=8, seed=1):
    """Greedy decoding of ``n`` fresh strings per length: the share of output symbols (digits
    and <end>) that are right, per length. Returns a dict length -> accuracy."""
    rng = np.random.default_rng(seed)
    result = {}
    for length in lengths:
        x, y, _ = reversal_task(n, int(length), n_symbols, seed=rng)
        out, _ = model.generate(x, y.shape[0])
        result[int(length)] = float(np.mean(out == y))
    return result


def padded_steps(lengths, batch_size, by_length=False):
    """Time steps a recurrent layer computes when the sequences of ``lengths`` are cut into
    batches of ``batch_size``, each padded to its longest member: in the given order, or sorted
    by length first (``by_length``: "bucketing"). Returns (computed, real): every batch costs
    batch_size x its longest length; ``real`` is the sum of the lengths."""
    lengths = np.asarray(lengths, dtype=np.int64)
    batch_size = _checks.check_positive_int(batch_size, "batch_size")
    order = np.argsort(lengths, kind="stable") if by_length else np.arange(len(lengths))
    ordered = lengths[order]
    computed = sum(
        len(chunk) * int(chunk.max())
        for chunk in np.split(ordered, range(batch_size, len(ordered), batch_size))
    )
    return int(computed), int(lengths.sum())


def sequential_vs_parallel_steps(T):
    """How many steps must run one after another to process a sequence of length T: a
    recurrent layer needs T (h_t needs h_{t-1}); self-attention needs 1 (every position's
    output is a weighted sum of inputs that are all known at once)."""
    return {"recurrent": int(T), "attention": 1}


def time_recurrence_vs_attention(lengths, hidden_size=64, batch=8, repeats=7, seed=0):
    """Wall-clock time of one forward pass over a sequence of each length: a GRU layer (T steps
    one after another) and one layer of scaled dot-product self-attention (all T positions at
    once: two matrix products and a softmax, the inputs serving as queries, keys and values).
    The fastest of ``repeats`` runs (the least disturbed by other work); seconds. Timings vary
    from machine to machine: read the shape of the curves, not the digits."""
    rng = np.random.default_rng(seed)
    gru = GRU(hidden_size, hidden_size, seed=rng)
    out = {"lengths": list(map(int, lengths)), "recurrent": [], "attention": []}
    for T in lengths:
        x = rng.standard_normal((int(T), batch, hidden_size))
        xb = np.ascontiguousarray(x.transpose(1, 0, 2))  # (B, T, H) for matmuls

        def self_attention(xb=xb):
            scores = xb @ xb.transpose(0, 2, 1) / np.sqrt(hidden_size)  # (B, T, T) at once
            scores -= scores.max(axis=-1, keepdims=True)
            w = np.exp(scores)
            w /= w.sum(axis=-1, keepdims=True)
            return w @ xb

        for name, fn in (("recurrent", lambda x=x: gru.forward(x)), ("attention", self_attention)):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            out[name].append(float(np.min(times)))
    return out
