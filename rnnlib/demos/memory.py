r"""Long-range memory in practice: a resumable trainer for the memory benchmarks (notebook 06).

Plain numpy on top of rnnlib's core. A :class:`Trainer` holds everything a training run needs
to continue later (the model, the optimiser and its moment estimates, the random stream that
draws the batches, and the history of losses), so that::

    trainer.run(300); trainer.run(200)      # stopped after 300 steps, resumed for 200

gives exactly the same numbers as one uninterrupted ``trainer.run(500)`` with the same seed.

Tasks (both from :mod:`rnnlib.data`, fresh random batches at every step):

* ``"adding"``: the adding problem, many-to-one regression; the loss is the mean squared error
  and the baseline is :data:`rnnlib.data.ADDING_BASELINE_MSE` (1/6, always predicting 1).
* ``"copy"``: the copy task, many-to-many classification; the loss is the cross-entropy per
  time step in nats and the baseline is :func:`rnnlib.data.copy_task_baseline`.

The model is ``RecurrentNetwork(layer, Linear)`` with a vanilla tanh RNN, an LSTM or a GRU;
the update is Adam after clipping the gradient's global norm.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import data
from ..cell_registry import CELL_LABELS, cell_label, cell_layer
from ..losses import mse_loss, softmax_cross_entropy
from ..networks import Linear, RecurrentNetwork
from ..optim import Adam, clip_grad_norm

#: the three cells the notebook compares, by the labels the notebook and the widget show
#: ("RNN", "LSTM", "GRU"), read from the core's registry (:mod:`rnnlib.cell_registry`)
CELLS = {CELL_LABELS[name]: cell_layer(name) for name in ("rnn", "lstm", "gru")}
TASKS = ("adding", "copy")
#: the copy task's size in the notebook: 3 symbols to remember, each one of 4; the sequence
#: length T sets the delay, T = 2 * COPY_LENGTH + delay + 1
COPY_SYMBOLS, COPY_LENGTH = 4, 3
#: a run counts as having solved the adding problem when its held-out MSE falls below this
#: fraction of the baseline (0.1 * 1/6 = 0.0167: the sum is right to about +-0.13)
SOLVED_FRACTION = 0.1
#: a held-out loss above this fraction of the baseline counts as "at the baseline" (a model that
#: has learned nothing about the sequence lands within a few per cent of it)
AT_BASELINE_FRACTION = 0.95


def copy_delay(T: int) -> int:
    """The copy task's delay for total length ``T`` (T = 2 * COPY_LENGTH + delay + 1)."""
    delay = T - 2 * COPY_LENGTH - 1
    if delay < 0:
        raise ValueError(f"the copy task needs T >= {2 * COPY_LENGTH + 1}, got {T}")
    return delay


def baseline(task: str, T: int) -> float:
    """The loss of the best model with no memory: 1/6 for adding, the copy baseline for copy."""
    if task == "adding":
        return data.ADDING_BASELINE_MSE
    if task == "copy":
        return data.copy_task_baseline(COPY_SYMBOLS, COPY_LENGTH, copy_delay(T))
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def make_batch(task: str, T: int, batch_size: int, rng):
    """One batch ``(x, y)`` of the task, drawn from ``rng``."""
    if task == "adding":
        return data.adding_problem(batch_size, T, seed=rng)
    if task == "copy":
        return data.copy_task(batch_size, COPY_SYMBOLS, COPY_LENGTH, copy_delay(T), seed=rng)
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def make_model(cell: str, task: str, hidden_size: int, seed, forget_bias: float | None = None):
    """``RecurrentNetwork(layer, Linear)`` for the task: many-to-one for adding (one number out),
    many-to-many for copy (a score per class at every step).

    Args:
        cell: "RNN" (tanh), "LSTM" or "GRU".
        forget_bias: LSTM only: set the forget gate's total bias (bias_ih + bias_hh, rows H:2H)
            to this value, so that f = sigma(forget_bias) at the start. None keeps PyTorch's
            initialisation.
    """
    layer_class = cell_layer(cell)          # "RNN", "rnn", ...: a clear ValueError for others
    rng = np.random.default_rng(seed)
    D, n_out = (2, 1) if task == "adding" else (COPY_SYMBOLS + 2, COPY_SYMBOLS + 2)
    layer = layer_class(D, hidden_size, seed=rng)
    if forget_bias is not None:
        if cell_label(cell) != "LSTM":
            raise ValueError("forget_bias applies to an LSTM only")
        H = hidden_size
        layer.params["bias_ih"][H:2 * H] = forget_bias
        layer.params["bias_hh"][H:2 * H] = 0.0
    return RecurrentNetwork(layer, Linear(hidden_size, n_out, seed=rng),
                            many_to_one=task == "adding")


@dataclass
class History:
    """What a run recorded. ``step[k]``, ``loss[k]``: the training loss on the batch of step k
    (1-based); ``eval_step``, ``eval_loss``: the loss on the fixed held-out set, measured before
    the first step (step 0) and every ``eval_every`` steps; ``grad_norm``: the gradient's global
    norm before clipping."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    eval_step: list = field(default_factory=list)
    eval_loss: list = field(default_factory=list)

    def as_arrays(self) -> dict:
        return {k: np.asarray(v, dtype=float) for k, v in self.__dict__.items()}


class Trainer:
    """A training run that can be stopped and resumed.

    Args:
        cell: "RNN", "LSTM" or "GRU".
        T: sequence length.
        hidden_size: H.
        task: "adding" or "copy".
        batch_size: sequences per step, each step a fresh batch.
        lr: Adam's learning rate.
        clip: the largest global gradient norm (``clip_grad_norm``); None: no clipping.
        seed: int; sets the initial weights, the stream of training batches and the held-out set.
        eval_every: steps between two measurements on the held-out set.
        n_eval: sequences in the held-out set.
        forget_bias: see :func:`make_model`.

    Attributes:
        model, optimizer, history, steps_done; ``baseline``: the loss of the best model with no
        memory; ``seconds``: time spent in :meth:`run` so far.
    """

    def __init__(self, cell="LSTM", T=50, hidden_size=16, task="adding", batch_size=32, lr=1e-2,
                 clip=1.0, seed=0, eval_every=50, n_eval=256, forget_bias=None):
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.cell, self.T, self.hidden_size, self.task = cell, int(T), int(hidden_size), task
        self.batch_size, self.lr, self.clip = int(batch_size), float(lr), clip
        self.seed, self.eval_every = seed, int(eval_every)
        self.forget_bias = forget_bias
        init_seq, data_seq, eval_seq = np.random.SeedSequence(seed).spawn(3)
        self.model = make_model(cell, task, hidden_size, np.random.default_rng(init_seq),
                                forget_bias)
        self.params = self.model.params        # the very arrays the model computes with
        self.optimizer = Adam(self.params, lr=lr)
        self.rng = np.random.default_rng(data_seq)   # the stream of training batches
        self.eval_set = make_batch(task, self.T, n_eval, np.random.default_rng(eval_seq))
        self.baseline = baseline(task, self.T)
        self.history = History()
        self.steps_done = 0
        self.seconds = 0.0
        self._record_eval()

    # ---- one step --------------------------------------------------------------------------
    def loss_and_grads(self, x, y):
        """Forward, loss and full BPTT for one batch: (loss, grads)."""
        model = self.model
        out, _, cache = model.forward(x)
        if self.task == "adding":
            loss, dout = mse_loss(out, y, reduction="mean")
        else:
            loss, dout = softmax_cross_entropy(out, y, reduction="mean")
        _, _, grads = model.backward(dout, cache)
        return loss, grads

    def evaluate(self) -> float:
        """The loss on the held-out set (forward pass only)."""
        x, y = self.eval_set
        out, _, _ = self.model.forward(x)
        if self.task == "adding":
            return mse_loss(out, y, reduction="mean")[0]
        return softmax_cross_entropy(out, y, reduction="mean")[0]

    def _record_eval(self):
        self.history.eval_step.append(self.steps_done)
        self.history.eval_loss.append(self.evaluate())

    def step(self) -> float:
        """One training step on a fresh batch; returns its loss."""
        x, y = make_batch(self.task, self.T, self.batch_size, self.rng)
        loss, grads = self.loss_and_grads(x, y)
        norm = clip_grad_norm(grads, self.clip) if self.clip else float(
            np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        self.optimizer.step(grads)
        self.steps_done += 1
        h = self.history
        h.step.append(self.steps_done)
        h.loss.append(loss)
        h.grad_norm.append(norm)
        if self.steps_done % self.eval_every == 0:
            self._record_eval()
        return loss

    # ---- many steps ------------------------------------------------------------------------
    def run(self, steps, should_stop=None, on_progress=None, progress_every=None,
            print_every=None):
        """Train for ``steps`` more steps, continuing where the last call stopped.

        Args:
            steps: how many steps to add.
            should_stop: optional ``should_stop() -> bool``, asked before every step (a Stop
                button sets it); the run ends early, and a later ``run`` resumes.
            on_progress: optional ``on_progress(trainer, done, steps)``, called every
                ``progress_every`` steps (default: ``eval_every``) and at the end.
            print_every: print one deterministic progress line every this many steps
                (the step, the last training loss and the latest held-out loss).

        Returns:
            The number of steps actually done in this call.
        """
        steps = int(steps)
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        every = progress_every or self.eval_every
        start = time.perf_counter()
        done = 0
        try:
            while done < steps:
                if should_stop is not None and should_stop():
                    break
                self.step()
                done += 1
                if on_progress is not None and done % every == 0:
                    on_progress(self, done, steps)
                if print_every and self.steps_done % print_every == 0:
                    print(self.progress_line())
        finally:
            self.seconds += time.perf_counter() - start
        if on_progress is not None and done % every != 0:
            on_progress(self, done, steps)
        return done

    # ---- reading the results ---------------------------------------------------------------
    @property
    def name(self) -> str:
        fb = f", forget bias {self.forget_bias:g}" if self.forget_bias is not None else ""
        return f"{self.cell}{fb}, T = {self.T}, H = {self.hidden_size}"

    def progress_line(self) -> str:
        h = self.history
        return (f"{self.name:<24} step {self.steps_done:5d}   batch loss {h.loss[-1]:.4f}   "
                f"held-out {h.eval_loss[-1]:.4f}   (baseline {self.baseline:.4f})")

    def final_eval(self) -> float:
        return float(self.history.eval_loss[-1])

    def best_eval(self) -> float:
        return float(min(self.history.eval_loss))

    def solved(self, fraction=SOLVED_FRACTION) -> bool:
        """True when the latest held-out loss is below ``fraction`` of the baseline."""
        return self.final_eval() < fraction * self.baseline

    def first_solved_step(self, fraction=SOLVED_FRACTION):
        """The first evaluation step whose held-out loss is below ``fraction`` of the baseline,
        or -1 if none is."""
        for s, v in zip(self.history.eval_step, self.history.eval_loss, strict=True):
            if v < fraction * self.baseline:
                return int(s)
        return -1

    def smoothed_loss(self, window=25) -> tuple[np.ndarray, np.ndarray]:
        """(steps, running mean of the batch loss over ``window`` steps) for plotting."""
        loss = np.asarray(self.history.loss, dtype=float)
        if loss.size < window:
            return np.asarray(self.history.step, dtype=float), loss
        kernel = np.ones(window) / window
        return np.asarray(self.history.step[window - 1:], dtype=float), np.convolve(
            loss, kernel, mode="valid")

    def __repr__(self):
        return f"Trainer({self.name}, task={self.task!r}, steps_done={self.steps_done})"


def train_grid(cells, lengths, steps, hidden_size=16, task="adding", print_every=None,
               announce=False, **kwargs) -> dict:
    """Train one :class:`Trainer` per (cell, T), lengths outer, cells inner, for ``steps``
    steps each. Returns {(task, cell, T, hidden_size): trainer}, the keys the training widget
    uses.

    ``print_every`` prints each run's progress lines (with losses, see :meth:`Trainer.run`);
    ``announce`` prints one line without numbers as each run finishes, so that the output is
    the same on every machine."""
    trainers = {}
    for T in lengths:
        for cell in cells:
            tr = Trainer(cell=cell, T=T, hidden_size=hidden_size, task=task, **kwargs)
            tr.run(steps, print_every=print_every)
            if announce:
                print(f"trained {tr.name} for {tr.steps_done} steps")
            trainers[(task, cell, T, hidden_size)] = tr
    return trainers


def verdict(trainer, fraction=SOLVED_FRACTION) -> str:
    """Where a run's latest held-out loss lies, in words that do not depend on the last digits
    of a floating-point sum: "below 0.1 × baseline" (solved), "below the baseline" (learned
    part of the task) or "at the baseline" (learned nothing about the sequence; above
    :data:`AT_BASELINE_FRACTION` x baseline)."""
    ratio = trainer.final_eval() / trainer.baseline
    if ratio < fraction:
        return f"below {fraction:g} × baseline"
    if ratio < AT_BASELINE_FRACTION:
        return "below the baseline"
    return "at the baseline"


def _label(trainer) -> str:
    return trainer.cell + ("+fb" if trainer.forget_bias is not None else "")


def results_table(trainers, fraction=SOLVED_FRACTION, losses=False) -> str:
    """A text table, one row per run, with the run's :func:`verdict` and whether it counts as
    solved (its final held-out loss below ``fraction`` x baseline).

    A training run follows the path of its floating-point sums, and another CPU, BLAS library
    or thread count changes the last bits of those sums; over hundreds of steps the losses'
    printed digits move. The default table therefore states verdicts only, which hold on any
    machine while the runs tell the same story. ``losses=True`` adds the final and best
    held-out loss, the baseline and the first evaluation step below ``fraction`` x baseline
    (for scripts and for exploring on one machine)."""
    runs = list(trainers.values()) if isinstance(trainers, dict) else list(trainers)
    if not losses:
        rows = [f"{'cell':<10}{'T':>4}{'H':>4}{'steps':>7}   {'held-out loss at the end':<26}"
                f"solved?"]
        for tr in runs:
            rows.append(f"{_label(tr):<10}{tr.T:>4}{tr.hidden_size:>4}{tr.steps_done:>7}   "
                        f"{verdict(tr, fraction):<26}{'yes' if tr.solved(fraction) else 'no'}")
        return "\n".join(rows)
    rows = [f"{'cell':<10}{'T':>4}{'H':>4}{'steps':>7}{'final loss':>12}{'best loss':>11}"
            f"{'baseline':>10}{'first below':>13}   solved?"]
    for tr in runs:
        first = tr.first_solved_step(fraction)
        rows.append(f"{_label(tr):<10}{tr.T:>4}{tr.hidden_size:>4}{tr.steps_done:>7}"
                    f"{tr.final_eval():>12.4f}{tr.best_eval():>11.4f}{tr.baseline:>10.4f}"
                    f"{(str(first) if first >= 0 else '-'):>13}   "
                    f"{'yes' if tr.solved(fraction) else 'no'}")
    return "\n".join(rows)
