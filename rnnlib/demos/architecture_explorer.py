"""What the architecture explorer of notebook 07 shows: each kind of network, built from rnnlib
modules and run once on a random batch, with the shape of every array and the parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..cell_registry import cell_layer, cell_name
from ..composite import Bidirectional, stacked
from ..networks import Linear, RecurrentNetwork
from .encoder_decoder import EncoderDecoder

__all__ = ["ARCHITECTURES", "Architecture", "build_architecture"]

ARCHITECTURES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder",
                 "bidirectional", "stacked")


@dataclass
class Architecture:
    """One network of the explorer, built from rnnlib modules and run once.

    Attributes:
        kind: one of :data:`ARCHITECTURES`; cell: "rnn", "lstm" or "gru".
        T_x, T_y: the lengths actually used (one-to-one forces 1 and 1, and so on).
        D, H, O: input, hidden and output sizes; B: batch size of the trial run.
        modules: part name -> rnnlib module (each has ``num_params()``).
        stages: list of (array name, shape, symbolic shape) in the order the data flows; the
            shapes are those of the arrays the trial run produced, e.g. ("hs", (5, 2, 8),
            "(T, B, H)").
        num_params: part name -> count, from the modules' ``num_params()``; ``total``: their sum.
    """

    kind: str
    cell: str
    T_x: int
    T_y: int
    D: int
    H: int
    O: int
    B: int
    modules: dict
    stages: list
    num_params: dict
    total: int


def _lengths(kind, T_x, T_y):
    """The (T_x, T_y) a kind of network actually has, from the sliders' values."""
    if kind == "one-to-one":
        return 1, 1
    if kind == "one-to-many":
        return 1, T_y
    if kind == "many-to-one":
        return T_x, 1
    if kind == "encoder-decoder":
        return T_x, T_y
    return T_x, T_x       # many-to-many, bidirectional, stacked: an output at every input step


def build_architecture(kind, cell="rnn", T_x=4, T_y=3, D=3, H=8, O=2, B=2, seed=0):
    """Build ``kind`` from rnnlib modules, run it on a random batch and record every array's shape.

    Args:
        kind: one of :data:`ARCHITECTURES`; cell: "rnn", "lstm" or "gru".
        T_x, T_y: requested lengths (kinds that fix a length ignore the request; see
            :class:`Architecture` ``.T_x`` / ``.T_y`` for what was used).
        D, H, O: input, hidden and output sizes; B: batch size of the trial run.

    Returns:
        :class:`Architecture`.
    """
    if kind not in ARCHITECTURES:
        raise ValueError(f"kind must be one of {ARCHITECTURES}, got {kind!r}")
    cell = cell_name(cell)
    T_x, T_y = _lengths(kind, _checks.check_positive_int(T_x, "T_x"),
                        _checks.check_positive_int(T_y, "T_y"))
    rng = np.random.default_rng(seed)
    cls = cell_layer(cell)
    stages = []
    if kind == "encoder-decoder":
        model = EncoderDecoder(D, O, H, cell=cell, seed=rng)
        x = rng.standard_normal((T_x, B, D))
        y = rng.integers(0, O, size=(T_y, B))
        y_in = model.decoder_inputs(y)
        logits, context, cache = model.forward(x, y_in)
        ctx = context[0] if isinstance(context, tuple) else context
        stages = [("x (encoder input)", x.shape, "(T_x, B, D)"),
                  ("encoder hs", cache["hs_enc"].shape, "(T_x, B, H)"),
                  ("context = encoder h_Tx", ctx.shape, "(B, H)"),
                  ("decoder input (start, y_1..)", y_in.shape, "(T_y, B, O+1)"),
                  ("decoder hs", cache["dec"]["hs"].shape, "(T_y, B, H)"),
                  ("logits y_hat", logits.shape, "(T_y, B, O)")]
        modules = {"encoder": model.encoder, "decoder": model.decoder, "head": model.head}
    else:
        if kind == "bidirectional":
            rnn = Bidirectional(cls(D, H, seed=rng), cls(D, H, seed=rng))
        elif kind == "stacked":
            rnn = stacked(cell, D, H, num_layers=2, seed=rng)
        else:
            rnn = cls(D, H, seed=rng)
        net = RecurrentNetwork(rnn, Linear(rnn.output_size, O, seed=rng),
                               many_to_one=(kind in ("many-to-one", "one-to-one")))
        T_in = T_y if kind == "one-to-many" else T_x
        x = np.zeros((T_in, B, D))
        x[0] = rng.standard_normal((B, D))
        if kind != "one-to-many":
            x[1:] = rng.standard_normal((T_in - 1, B, D))
        ys, _, cache = net.forward(x)
        name = "x (v at step 1, then zeros)" if kind == "one-to-many" else "x"
        stages.append((name, x.shape, "(T, B, D)"))
        if kind == "stacked":
            for k, c in enumerate(cache["rnn"]):
                stages.append((f"layer {k + 1} hs", c["hs"].shape, "(T, B, H)"))
        elif kind == "bidirectional":
            stages.append(("forward hs", cache["rnn"]["forward"]["hs"].shape, "(T, B, H)"))
            stages.append(("backward hs", cache["rnn"]["backward"]["hs"].shape, "(T, B, H)"))
            stages.append(("hs = [fwd, bwd]", cache["hs"].shape, "(T, B, 2H)"))
        else:
            stages.append(("hs", cache["hs"].shape, "(T, B, H)"))
        if net.many_to_one:
            stages.append(("h_T (last state)", cache["head"]["h"].shape, "(B, H)"))
        stages.append(("y_hat", ys.shape, "(B, O)") if net.many_to_one else
                      ("ys", ys.shape, "(T, B, O)"))
        modules = {"recurrent": rnn, "head": net.head}
    counts = {name: m.num_params() for name, m in modules.items()}
    return Architecture(kind, cell, T_x, T_y, D, H, O, B, modules, stages, counts,
                        sum(counts.values()))
