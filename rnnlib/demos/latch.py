r"""Gates that react to the input: a latch task for notebook 05.

Notebook 05's gate widget holds every gate at a fixed value, so it can only ever show the
forget gate raised to a power. A trained gate is a function of the input. This module trains a
small LSTM (and a GRU) on a **latch** task and records its gates step by step:

* at every step the network reads three numbers: a value :math:`v_t` drawn uniformly from
  [-1, 1], a *marker* bit that is 1 at one step, and a *cue* bit that is 1 at one later step;
* at the cue step it must output the value that was seen at the marker; every other value is a
  distractor. The loss is the squared error at the cue step only.

A network that remembers nothing can only predict the mean value 0, so the baseline is the
variance of the value, 1/3 (:data:`BASELINE`). To solve the task an LSTM has to open its input
gate at the marker (and keep it shut at every other step), keep its forget gate near 1 until
the cue, and read the cell out at the cue: the textbook picture, learned from data in a few
seconds.

Functions (plain numpy on top of rnnlib's core; rnnlib.plots.latch draws them):

* :func:`latch_batch`: a batch of sequences, the targets and the marker and cue steps.
* :func:`latch_sequence`: one sequence with the marker and the cue where you put them (the
  widget's input).
* :func:`train_latch`: train a layer and a linear read-out with Adam and gradient clipping.
* :func:`trace`: the gates and states of a trained model over one sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ..cell_registry import cell_label, cell_layer
from ..networks import Linear
from ..optim import Adam, clip_grad_norm

#: the loss of the best model with no memory: it predicts 0, and Var(U(-1, 1)) = 1/3
BASELINE = 1.0 / 3.0
#: the gated cells of :mod:`rnnlib.cell_registry` this module trains, by label, and the gates
#: each one's trace reports (the LSTM's candidate g and the GRU's n are not gates)
GATES = {"LSTM": ("i", "f", "o"), "GRU": ("r", "z")}


def _check_steps(T, marker, cue):
    T = _checks.check_positive_int(T, "T")
    marker, cue = int(marker), int(cue)
    if not 1 <= marker < cue <= T:
        raise ValueError(f"the marker and the cue must satisfy 1 <= marker < cue <= T = {T}, "
                         f"got marker = {marker}, cue = {cue}")
    return T, marker, cue


def latch_batch(batch_size, T, rng):
    """A batch of latch sequences: the marker in the first half, the cue in the second.

    Args:
        batch_size: B; T: sequence length (at least 2); rng: a numpy Generator (or a seed).

    Returns:
        x: (T, B, 3), channels (value, marker, cue); y: (B,) the value at the marker;
        marker, cue: (B,) 0-based steps.
    """
    B = _checks.check_positive_int(batch_size, "batch_size")
    T = _checks.check_positive_int(T, "T")
    if T < 2:
        raise ValueError(f"the latch task needs T >= 2, got {T}")
    rng = _checks.rng_from(rng)
    values = rng.uniform(-1.0, 1.0, size=(T, B))
    marker = rng.integers(0, T // 2, size=B)
    cue = rng.integers(T // 2, T, size=B)
    rows = np.arange(B)
    x = np.zeros((T, B, 3))
    x[:, :, 0] = values
    x[marker, rows, 1] = 1.0
    x[cue, rows, 2] = 1.0
    return x, values[marker, rows], marker, cue


def latch_sequence(T=30, marker=6, cue=24, seed=1):
    """One sequence, x: (T, 1, 3), with the marker and the cue at the given 1-based steps and
    the values drawn from ``seed`` (the same values whatever the marker and the cue). Returns
    (x, target), target = the value at the marker."""
    T, marker, cue = _check_steps(T, marker, cue)
    values = np.random.default_rng(seed).uniform(-1.0, 1.0, size=T)
    x = np.zeros((T, 1, 3))
    x[:, 0, 0] = values
    x[marker - 1, 0, 1] = 1.0
    x[cue - 1, 0, 2] = 1.0
    return x, float(values[marker - 1])


@dataclass
class LatchModel:
    """A recurrent layer and a linear read-out of its hidden state at the cue step."""

    cell: str
    layer: object
    readout: Linear
    T: int
    losses: list = field(default_factory=list)
    _state_limits: dict = field(default_factory=dict, repr=False)

    def predict(self, x, cue):
        """The outputs at the cue steps: x (T, B, 3), cue (B,) 0-based -> (B,)."""
        hs, _, _ = self.layer.forward(x)
        out, _ = self.readout.forward(hs[np.asarray(cue), np.arange(x.shape[1])])
        return out[:, 0]

    def state_limit(self, unit, n=512, seed=12345) -> float:
        """The largest |state| of ``unit`` (c for an LSTM, h for a GRU) over ``n`` fresh
        sequences: a fixed scale for the state axis of the figure, whatever value is
        remembered."""
        if unit not in self._state_limits:
            x, _, _, _ = latch_batch(n, self.T, np.random.default_rng(seed))
            hs, _, cache = self.layer.forward(x)
            states = cache["cs"] if self.cell == "LSTM" else hs
            self._state_limits[unit] = float(np.max(np.abs(states[..., unit])))
        return self._state_limits[unit]

    def held_out_mse(self, n=512, seed=12345):
        """The mean squared error on ``n`` fresh sequences (drawn from ``seed``)."""
        x, y, _, cue = latch_batch(n, self.T, np.random.default_rng(seed))
        return float(np.mean((self.predict(x, cue) - y) ** 2))


def train_latch(cell="LSTM", hidden_size=2, T=30, steps=2000, batch_size=32, lr=1e-2, clip=1.0,
                seed=0) -> LatchModel:
    """Train ``cell`` ("LSTM" or "GRU", PyTorch's initialisation) and a ``Linear(H, 1)``
    read-out on the latch task: a fresh batch at every step, the squared error at the cue step,
    full backpropagation through time, the gradient's global norm clipped at ``clip``, Adam.

    A small hidden size (2 by default) leaves the network no room for a distributed code, so
    one unit does the remembering and its gates can be read directly.

    Returns:
        a :class:`LatchModel` with ``losses``, the training loss of every step.
    """
    layer_class = cell_layer(cell)
    cell = cell_label(cell)
    if cell not in GATES:
        raise ValueError(f"the latch task trains a gated cell, one of {list(GATES)}; got {cell!r}")
    steps = int(steps)
    rng = np.random.default_rng(seed)
    layer = layer_class(3, hidden_size, seed=rng)
    readout = Linear(hidden_size, 1, seed=rng)
    model = LatchModel(cell, layer, readout, int(T))
    params = {**{f"rnn.{k}": v for k, v in layer.params.items()},
              **{f"out.{k}": v for k, v in readout.params.items()}}
    optimizer = Adam(params, lr=lr)
    rows = np.arange(batch_size)
    for _ in range(steps):
        x, y, _, cue = latch_batch(batch_size, T, rng)
        hs, _, cache = layer.forward(x)
        out, out_cache = readout.forward(hs[cue, rows])             # (B, 1): read at the cue
        err = out[:, 0] - y
        model.losses.append(float(np.mean(err ** 2)))
        dh_cue, out_grads = readout.backward((2.0 / batch_size) * err[:, None], out_cache)
        dhs = np.zeros_like(hs)
        dhs[cue, rows] = dh_cue                                     # the loss sits at the cue
        layer_grads = layer.backward(dhs, cache)[2]
        grads = {**{f"rnn.{k}": v for k, v in layer_grads.items()},
                 **{f"out.{k}": v for k, v in out_grads.items()}}
        clip_grad_norm(grads, clip)
        optimizer.step(grads)
    return model


def memory_unit(model, n=512, seed=12345) -> int:
    """The hidden unit whose state at the cue follows the remembered value most closely (the
    largest |correlation| over ``n`` fresh sequences): the cell state for an LSTM, h for a
    GRU."""
    x, y, _, cue = latch_batch(n, model.T, np.random.default_rng(seed))
    _, _, cache = model.layer.forward(x)
    states = cache["cs"] if model.cell == "LSTM" else cache["hs"]
    at_cue = states[cue, np.arange(n)]                              # (n, H)
    corr = [abs(np.corrcoef(at_cue[:, j], y)[0, 1]) for j in range(at_cue.shape[1])]
    return int(np.nanargmax(corr))


def trace(model, marker=6, cue=24, seed=1, unit=None) -> dict:
    """The gates and the state of one unit over one sequence, for the figure and the widget.

    Args:
        model: a trained :class:`LatchModel`.
        marker, cue: 1-based steps of the marker and the cue.
        seed: the sequence's values (:func:`latch_sequence`).
        unit: the hidden unit to show; default :func:`memory_unit`.

    Returns:
        dict with ``t`` (T,) steps 1..T, ``value`` (T,) the input values, ``marker``, ``cue``,
        ``target``, ``output`` (the read-out at the cue), ``unit``, ``cell``, ``gates``
        {name: (T,)} (i, f, o for an LSTM; r, z for a GRU), ``state`` (T,): c_t for an LSTM,
        h_t for a GRU, and ``state_limit`` (:meth:`LatchModel.state_limit`).
    """
    T, marker, cue = _check_steps(model.T, marker, cue)
    x, target = latch_sequence(T, marker, cue, seed)
    unit = memory_unit(model) if unit is None else int(unit)
    hs, _, cache = model.layer.forward(x)
    output = float(model.readout.forward(hs[cue - 1])[0][0, 0])
    gates = {name: cache["gates"][name][:, 0, unit] for name in GATES[model.cell]}
    state = (cache["cs"] if model.cell == "LSTM" else hs)[:, 0, unit]
    return {"t": np.arange(1, T + 1), "value": x[:, 0, 0], "marker": marker, "cue": cue,
            "target": target, "output": output, "unit": unit, "cell": model.cell,
            "gates": gates, "state": state, "state_limit": model.state_limit(unit)}
