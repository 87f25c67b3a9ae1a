"""An encoder-decoder (sequence to sequence) built from two rnnlib layers and a head.

Notebook 07's many-to-many network with T_x != T_y. The encoder reads the input and hands its
final state, the *context*, to the decoder, which writes the output one symbol at a time.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import _checks
from ..cell_registry import cell_layer
from ..networks import Linear

__all__ = ["EncoderDecoder"]


class EncoderDecoder:
    r"""Sequence to sequence (Sutskever et al. 2014; Cho et al. 2014) with rnnlib layers.

    The encoder reads x_1..x_{T_x} and its final state, the *context*, becomes the decoder's
    initial state. The decoder then produces T_y outputs; at step t its input is the previous
    output symbol (the true one while training, "teacher forcing"; its own guess when
    generating), with a start symbol at t = 1.

    Args:
        n_in: D, features per input step (one-hot size of the input alphabet).
        n_out: O, output classes; the decoder's inputs are one-hot over O + 1 (outputs plus
            the start symbol, id O).
        hidden_size: H, shared by encoder and decoder; cell: "rnn", "lstm" or "gru".

    ``params``: ``encoder.<name>``, ``decoder.<name>``, ``out.weight``, ``out.bias``.
    """

    def __init__(self, n_in, n_out, hidden_size, cell="gru", seed=None):
        rng = _checks.rng_from(seed)
        cls = cell_layer(cell)
        self.cell, self.n_in, self.n_out = cell, n_in, n_out
        self.encoder = cls(n_in, hidden_size, seed=rng)
        self.decoder = cls(n_out + 1, hidden_size, seed=rng)
        self.head = Linear(hidden_size, n_out, seed=rng)
        self.start = n_out

    @property
    def params(self):
        p = {"encoder." + k: v for k, v in self.encoder.params.items()}
        p.update({"decoder." + k: v for k, v in self.decoder.params.items()})
        p.update({"out." + k: v for k, v in self.head.params.items()})
        return p

    def num_params(self):
        return self.encoder.num_params() + self.decoder.num_params() + self.head.num_params()

    def with_params(self, params):
        """A copy that computes with ``params`` (keyed like ``self.params``) instead."""
        def part(prefix, module):
            return module.with_params({k: params[prefix + k] for k in module.params})

        new = copy.copy(self)
        new.encoder = part("encoder.", self.encoder)
        new.decoder = part("decoder.", self.decoder)
        new.head = part("out.", self.head)
        return new

    def decoder_inputs(self, y):
        """(T_y, B) target ids -> (T_y, B, O + 1) one-hot: start symbol, then y_1..y_{T_y - 1}."""
        prev = np.concatenate([np.full((1, y.shape[1]), self.start), y[:-1]], axis=0)
        return np.eye(self.n_out + 1)[prev]

    def forward(self, x, y_in):
        """x: (T_x, B, D); y_in: (T_y, B, O + 1) decoder inputs.

        Returns logits (T_y, B, O), the context (the encoder's final state) and a cache.
        """
        hs_enc, context, c_enc = self.encoder.forward(x)
        hs_dec, _, c_dec = self.decoder.forward(y_in, context)
        logits, c_head = self.head.forward(hs_dec)
        return logits, context, {"enc": c_enc, "dec": c_dec, "head": c_head, "hs_enc": hs_enc}

    def backward(self, dlogits, cache, return_hidden_grads=False):
        """BPTT through decoder, then encoder. The encoder's outputs carry no loss: its whole
        gradient arrives through the context, ``dstate`` of its final step.

        Returns dx, grads (and, when asked, dL/dh_t of the encoder and of the decoder)."""
        dh_dec, g_head = self.head.backward(dlogits, cache["head"])
        out_dec = self.decoder.backward(dh_dec, cache["dec"], return_hidden_grads=True)
        _, dcontext, g_dec, dh_total_dec = out_dec
        zeros = np.zeros_like(cache["hs_enc"])
        out_enc = self.encoder.backward(zeros, cache["enc"], dstate=dcontext,
                                        return_hidden_grads=True)
        dx, _, g_enc, dh_total_enc = out_enc
        grads = {"encoder." + k: v for k, v in g_enc.items()}
        grads.update({"decoder." + k: v for k, v in g_dec.items()})
        grads.update({"out." + k: v for k, v in g_head.items()})
        if return_hidden_grads:
            return dx, grads, dh_total_enc, dh_total_dec
        return dx, grads

    def generate(self, x, T_y):
        """Greedy decoding: feed each step's most likely symbol back in. x: (T_x, B, D).
        Returns (T_y, B) int64 ids."""
        _, state, _ = self.encoder.forward(x)
        B = x.shape[1]
        prev = np.full(B, self.start)
        out = np.empty((T_y, B), dtype=np.int64)
        eye = np.eye(self.n_out + 1)
        for t in range(T_y):
            hs, state, _ = self.decoder.forward(eye[prev][None], state)
            logits, _ = self.head.forward(hs[0])
            prev = out[t] = np.argmax(logits, axis=-1)
        return out
