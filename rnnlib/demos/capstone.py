r"""The capstone (notebook 12): the copy task at a long delay, with the learner's own code.

Everything a run needs, in the pieces the notebook asks the learner to write:

* :func:`build_model`: a recurrent layer (vanilla tanh RNN, LSTM or GRU) with a ``Linear`` head
  that scores the ``N_CLASSES`` classes at every step, an optional LSTM forget-gate bias, every
  weight drawn from one generator ``rng``;
* :func:`train_steps`: the training loop: a fresh batch from ``rng``, forward, the mean
  cross-entropy over the recall steps, backward, clip the global norm, one Adam step;
* :func:`run_experiment`: every configuration of :data:`CONFIGS` over several seeds, the
  held-out loss measured before training and every ``eval_every`` steps.

These are the *reference* implementations: the notebook runs its experiment with them until the
learner's own versions pass their checks (:mod:`rnnlib.exercises.capstone`). The data are
:func:`rnnlib.data.copy_task`; the loss and the optimiser are rnnlib's core.

The loss counts only the ``LENGTH`` recall steps after the go marker, averaged over them and
over the batch, so the baseline of a model that remembers nothing is ``ln(N_SYMBOLS)`` (a
uniform guess among the symbols) whatever the delay.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import data
from ..cell_registry import cell_label, cell_layer
from ..losses import softmax_cross_entropy
from ..networks import Linear, RecurrentNetwork
from ..optim import Adam, clip_grad_norm
from .memory import AT_BASELINE_FRACTION, SOLVED_FRACTION

#: the copy task of the capstone: remember LENGTH symbol(s), each one of N_SYMBOLS
N_SYMBOLS, LENGTH = 4, 1
#: classes of the inputs and of the outputs: the symbols, the blank and the go marker
N_CLASSES = N_SYMBOLS + 2
#: the sequence length of the experiment (the delay is T - 2 * LENGTH - 1 = 97 blanks)
T_CAPSTONE = 100
#: the recipe every run shares
HIDDEN, BATCH, LR, MAX_NORM = 16, 16, 0.02, 1.0
STEPS, EVAL_EVERY, N_EVAL = 400, 50, 128
SEEDS = (0, 1, 2)
#: the LSTM's forget-gate bias in the fourth configuration: f = sigma(3) = 0.95 at the start
FORGET_BIAS = 3.0
#: name -> (cell, forget bias or None), in the order of the tables and figures
CONFIGS = {"RNN": ("RNN", None), "LSTM": ("LSTM", None), "GRU": ("GRU", None),
           "LSTM+fb": ("LSTM", FORGET_BIAS)}
#: the seed of the held-out set (the same sequences for every run)
HELD_OUT_SEED = 12_345
BASELINE = math.log(N_SYMBOLS)


# ---- the data ------------------------------------------------------------------------------

def delay_for(T: int) -> int:
    """The number of blanks between the symbols and the go marker for total length ``T``."""
    delay = int(T) - 2 * LENGTH - 1
    if delay < 0:
        raise ValueError(f"the copy task with {LENGTH} symbols needs T >= {2 * LENGTH + 1}, "
                         f"got T = {T}")
    return delay


def copy_batch(T: int, batch_size: int, rng):
    """A batch of the capstone's copy task drawn from ``rng``: x (T, B, N_CLASSES) one-hot,
    y (T, B) classes."""
    return data.copy_task(batch_size, N_SYMBOLS, LENGTH, delay_for(T), seed=rng)


def recall_mask(y) -> np.ndarray:
    """(T, B) booleans, True on the last ``LENGTH`` steps (the steps that recall a symbol)."""
    mask = np.zeros(np.shape(y), dtype=bool)
    mask[-LENGTH:] = True
    return mask


def recall_loss(logits, y):
    """The mean cross-entropy (nats) over the recall steps and the batch, and its gradient
    with respect to the logits (zero on every other step). logits: (T, B, N_CLASSES)."""
    return softmax_cross_entropy(logits, y, reduction="mean", mask=recall_mask(y))


def held_out_set(T: int = T_CAPSTONE, n: int = N_EVAL):
    """The fixed held-out batch ``(x, y)`` at length ``T``: the same for every run."""
    return copy_batch(T, n, np.random.default_rng(HELD_OUT_SEED))


def held_out_loss(model, held) -> float:
    """The model's recall loss on a held-out batch ``(x, y)`` (forward pass only)."""
    x, y = held
    logits, _, _ = model.forward(x)
    return recall_loss(logits, y)[0]


def recall_accuracy(model, held) -> np.ndarray:
    """(N_SYMBOLS,) for each symbol s, the fraction of its recalls on the held-out batch that
    the model gets right (its highest score on a recall step is s). A symbol that never has to
    be recalled gets NaN."""
    x, y = held
    logits, _, _ = model.forward(x)
    right = logits[-LENGTH:].argmax(-1) == y[-LENGTH:]
    target = y[-LENGTH:]
    return np.array([right[target == s].mean() if np.any(target == s) else np.nan
                     for s in range(N_SYMBOLS)])


# ---- the reference implementations ---------------------------------------------------------

def build_model(cell, hidden_size, rng, forget_bias=None):
    """``RecurrentNetwork(layer, Linear)`` for the copy task, all weights drawn from ``rng``:
    first the recurrent layer, then the head. ``forget_bias`` (LSTM only) sets the forget
    gate's total bias (rows H:2H of bias_ih + bias_hh) to this value."""
    layer = cell_layer(cell)(N_CLASSES, hidden_size, seed=rng)
    if forget_bias is not None:
        if cell_label(cell) != "LSTM":
            raise ValueError(f"forget_bias applies to an LSTM only, got cell {cell!r}")
        H = hidden_size
        layer.params["bias_ih"][H:2 * H] = forget_bias
        layer.params["bias_hh"][H:2 * H] = 0.0
    return RecurrentNetwork(layer, Linear(hidden_size, N_CLASSES, seed=rng))


def train_steps(model, opt, rng, steps, T, batch_size=BATCH, max_norm=MAX_NORM):
    """Train ``model`` for ``steps`` updates, each on a fresh batch drawn from ``rng``.
    Returns the list of the batch losses (before each update)."""
    losses = []
    for _ in range(steps):
        x, y = copy_batch(T, batch_size, rng)           # a fresh batch from the seeded stream
        logits, _, cache = model.forward(x)
        loss, dlogits = recall_loss(logits, y)          # mean over the recall steps
        _, _, grads = model.backward(dlogits, cache)    # fresh gradients for this batch
        clip_grad_norm(grads, max_norm)                 # clip before the step
        opt.step(grads)
        losses.append(loss)
    return losses


def run_experiment(build, train, configs=None, seeds=SEEDS, steps=STEPS, T=T_CAPSTONE,
                   eval_every=EVAL_EVERY, on_run=None):
    """Train every configuration with every seed; measure the held-out loss before training and
    every ``eval_every`` steps.

    Args:
        build: ``build(cell, hidden_size, rng, forget_bias) -> model``.
        train: ``train(model, opt, rng, steps, T, batch_size, max_norm) -> losses``.
        configs: name -> (cell, forget bias or None); default :data:`CONFIGS`.
        on_run: optional ``on_run(name, seed, seconds)`` called after each run.

    Returns:
        {(name, seed): list of held-out losses, 1 + steps // eval_every of them}.
    """
    configs = CONFIGS if configs is None else configs
    held = held_out_set(T)
    curves = {}
    for name, (cell, forget_bias) in configs.items():
        for seed in seeds:
            start = time.perf_counter()
            rng = np.random.default_rng(seed)           # one stream per run: weights, batches
            model = build(cell, HIDDEN, rng, forget_bias)
            opt = Adam(model.params, lr=LR)
            curve = [held_out_loss(model, held)]
            for _ in range(steps // eval_every):
                train(model, opt, rng, eval_every, T, BATCH, MAX_NORM)
                curve.append(held_out_loss(model, held))
            curves[(name, seed)] = curve
            if on_run is not None:
                on_run(name, seed, time.perf_counter() - start)
    return curves


# ---- reading the results -------------------------------------------------------------------

def verdict(loss, fraction=SOLVED_FRACTION) -> str:
    """Where a held-out loss lies, in words that survive the last digits of a floating-point
    sum: "solved" (below ``fraction`` x baseline), "below the baseline" (learned part of it) or
    "at the baseline" (above 0.95 x baseline: remembers nothing)."""
    ratio = loss / BASELINE
    if ratio < fraction:
        return "solved"
    if ratio < AT_BASELINE_FRACTION:
        return "below the baseline"
    return "at the baseline"


@dataclass
class Results:
    """The curves of :func:`run_experiment` with the questions the notebook asks of them.

    ``curves``: {(name, seed): held-out losses}; ``eval_every``: steps between two of them;
    ``accuracy``: optional {(name, seed): (LENGTH,) recall accuracy at the end}."""

    curves: dict
    eval_every: int = EVAL_EVERY
    accuracy: dict = field(default_factory=dict)

    @property
    def names(self) -> list:
        return list(dict.fromkeys(name for name, _ in self.curves))

    @property
    def seeds(self) -> list:
        return list(dict.fromkeys(seed for _, seed in self.curves))

    def steps(self, name, seed) -> np.ndarray:
        return self.eval_every * np.arange(len(self.curves[(name, seed)]))

    def final(self, name, seed) -> float:
        return float(self.curves[(name, seed)][-1])

    def verdict(self, name, seed) -> str:
        return verdict(self.final(name, seed))

    def count(self, name, which="solved") -> int:
        """In how many seeds the configuration ended "solved" (or ``which="below"``: anywhere
        below the baseline, solved included)."""
        runs = [s for s in self.seeds if (name, s) in self.curves]     # none: 0
        if which == "solved":
            return sum(self.verdict(name, s) == "solved" for s in runs)
        return sum(self.verdict(name, s) != "at the baseline" for s in runs)

    def solved_by(self) -> list:
        """The configurations that solved the task in every seed."""
        return [n for n in self.names if self.count(n) == len(self.seeds)]

    def lowest(self) -> str:
        """The configuration with the lowest final held-out loss, averaged over the seeds."""
        return min(self.names, key=lambda n: np.mean([self.final(n, s) for s in self.seeds]))

    def forget_bias_effect(self, plain="LSTM", biased="LSTM+fb") -> str:
        """"helps", "hurts" or "no difference": did the LSTM with the forget-gate bias solve
        the task in more seeds than the plain LSTM, in fewer, or in as many?"""
        a, b = self.count(biased), self.count(plain)
        return "helps" if a > b else "hurts" if a < b else "no difference"

    def first_solved_step(self, name, seed) -> int:
        """The first evaluation step with a held-out loss below the "solved" line, or -1."""
        for step, loss in zip(self.steps(name, seed), self.curves[(name, seed)], strict=True):
            if verdict(loss) == "solved":
                return int(step)
        return -1

    def table(self, losses=False) -> str:
        """One row per configuration, one column per seed: "solved" or "not solved" at the end,
        and in how many seeds. Whether an unsolved run ended on the baseline or somewhat below
        it can change with the last bits of its sums (another CPU, another BLAS), so the table
        does not say; ``losses=True`` adds the final held-out losses, for exploring on one
        machine."""
        width = 18 if losses else 13
        head = f"{'':<9}" + "".join(f"{f'seed {s}':<{width}}" for s in self.seeds) + "solved in"
        rows = [head]
        for n in self.names:
            cells = []
            for s in self.seeds:
                text = "solved" if self.verdict(n, s) == "solved" else "not solved"
                if losses:
                    text += f" {self.final(n, s):.3f}"
                cells.append(f"{text:<{width}}")
            rows.append(f"{n:<9}" + "".join(cells) + f"{self.count(n)} of {len(self.seeds)}")
        return "\n".join(rows)


# ---- running the experiment in the notebook ------------------------------------------------

#: how long a step of each cell takes relative to the vanilla RNN (measured with rnnlib at
#: T = 60, H = 16, B = 16; used only to estimate the time of the remaining runs)
COST = {"RNN": 1.0, "LSTM": 2.5, "GRU": 2.5}


class RunTracker:
    """Wraps a model builder for :func:`run_experiment` (the learner's or the reference's):
    keeps every model it builds (trained in place by the experiment), and after the first run
    prints how long all runs will take.

    Args:
        build: ``build(cell, hidden_size, rng, forget_bias) -> model``.
        configs: the configurations the experiment will run; seeds: its seeds.
    """

    def __init__(self, build, configs=None, seeds=SEEDS):
        self._build = build
        self.configs = CONFIGS if configs is None else configs
        self.seeds = tuple(seeds)
        self.models = []
        self.start = self.seconds = None

    @property
    def n_runs(self) -> int:
        return len(self.configs) * len(self.seeds)

    def build(self, cell, hidden_size, rng, forget_bias=None):
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        elif len(self.models) == 1:                    # the first run has just finished
            first_cell = cell_label(self.models[0][0])
            per_unit = (now - self.start) / COST.get(first_cell, 1.0)
            total = per_unit * sum(COST.get(cell_label(c), 1.0)
                                   for c, _ in self.configs.values()) * len(self.seeds)
            print(f"The first run ({first_cell}) took {now - self.start:.1f} s; all "
                  f"{self.n_runs} runs will take about {total:.0f} s.")
        model = self._build(cell, hidden_size, rng, forget_bias)
        self.models.append((cell, model))
        return model

    def results(self, curves, eval_every=EVAL_EVERY, T=T_CAPSTONE) -> Results:
        """:class:`Results` of ``curves`` with each run's recall accuracy at the end, measured
        on the held-out set with the model whose final held-out loss is that run's."""
        if self.start is not None:
            self.seconds = time.perf_counter() - self.start
        held = held_out_set(T)
        finals = [(held_out_loss(model, held), model) for _, model in self.models]
        accuracy = {}
        for key, curve in curves.items():
            match = [m for loss, m in finals if np.isclose(loss, curve[-1], rtol=1e-12, atol=0)]
            if match:
                accuracy[key] = recall_accuracy(match[0], held)
        return Results({k: list(v) for k, v in curves.items()}, eval_every, accuracy)
