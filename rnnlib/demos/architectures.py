r"""Numbers for notebook 07: the five input/output shapes of an RNN, bidirectional and stacked.

Each shape gets a tiny task, trained live with rnnlib's own layers, losses and optimisers
(task; where the loss, and so the gradient, enters):

* one-to-one: inside or outside a circle; one output, and with T = 1 and h_0 = 0 the
  recurrent weights get no gradient: an MLP.
* one-to-many: draw a wave from (a, omega); T_y outputs, the input only at step 1.
* many-to-one: right or jumbled proverb; one output, after the last word.
* many-to-many (T_x = T_y): tomorrow's river level; an output and a loss at every step.
* encoder-decoder (T_x != T_y): reverse a short sequence, then stop; T_y decoder losses, the
  encoder reached only through its final state.
* bidirectional: "feeling ___ the weather"; the blank's output sees both directions.
* stacked: river levels with two layers; layer 1 gets its gradient through layer 2.

Shapes are time-major, as everywhere in rnnlib: ``x: (T, B, D)``, ``hs: (T, B, H)``.
Course notation: :math:`h_t = \varphi(W_{xh} x_t + W_{hh} h_{t-1} + b_h)`,
:math:`\hat y_t = W_{hy} h_t + b_y`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ..composite import Bidirectional, stacked
from ..data import forecasting_windows, proverb_order_task, river_levels
from ..layers import GRU, LSTM, RNN
from ..losses import mse_loss, softmax, softmax_cross_entropy
from ..networks import ElmanNetwork, Linear, RecurrentNetwork
from ..optim import Adam, clip_grad_norm

__all__ = [
    "SHAPES", "TaskResult", "fit",
    "circle_task", "train_one_to_one",
    "wave_task", "train_one_to_many",
    "proverb_inputs", "bag_of_words_accuracy", "train_many_to_one",
    "river_task", "train_many_to_many", "persistence_rmse",
    "EncoderDecoder", "reverse_task", "train_encoder_decoder",
    "BLANK_ANSWERS", "blank_task", "train_blank_filler",
    "train_stacked_comparison", "stacked_gradient_profile",
    "gradient_profile",
    "ARCHITECTURES", "CELLS", "Architecture", "build_architecture",
]

SHAPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder")


@dataclass
class TaskResult:
    """What training a tiny task produced.

    Attributes:
        name: the task; shape: one of :data:`SHAPES` (or "bidirectional" / "stacked").
        model: the trained network (its ``params`` are the trained arrays).
        losses: (steps,) training loss after each update.
        metrics: name -> number (test accuracy, test error, baselines, ...).
        seconds: wall-clock training time.
        data: arrays the figures need (test inputs, targets, predictions).
        initial_params: copies of the parameters before training
            (``model.with_params(initial_params)`` is the untrained network).
    """

    name: str
    shape: str
    model: object
    losses: np.ndarray
    metrics: dict
    seconds: float
    data: dict = field(default_factory=dict)
    initial_params: dict = None

    def untrained(self):
        """The network with its initial (pre-training) weights."""
        return self.model.with_params(self.initial_params)


def _snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def fit(params, loss_and_grads, steps, lr=1e-2, max_norm=5.0):
    """Train ``params`` in place with Adam and gradient-norm clipping.

    Args:
        params: dict of arrays (a module's ``params``: updating them updates the module).
        loss_and_grads: ``f(step) -> (loss, grads)`` with ``grads`` keyed like ``params``.
        steps: number of updates; lr: Adam's learning rate; max_norm: clipping threshold.

    Returns:
        (steps,) array of the loss at each update.
    """
    steps = _checks.check_positive_int(steps, "steps")
    opt = Adam(params, lr=lr)
    losses = np.empty(steps)
    for step in range(steps):
        loss, grads = loss_and_grads(step)
        clip_grad_norm(grads, max_norm)
        opt.step(grads)
        losses[step] = loss
    return losses


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _accuracy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=-1) == labels))


# ---------------------------------------------------------------------------------------------
# One-to-one: T_x = T_y = 1, the plain MLP case


def circle_task(n, seed=0):
    """Points uniform in the square [-1, 1]^2, labelled 1 inside the circle of area 2 (half the
    square), radius sqrt(2/pi) ~ 0.80, else 0.

    Returns:
        x: (1, n, 2): a "sequence" of one step; y: (n,) int64 labels.
    """
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (np.sum(pts ** 2, axis=1) < 2.0 / np.pi).astype(np.int64)
    return pts[None], y


def train_one_to_one(hidden_size=16, n_train=512, steps=300, lr=0.03, seed=0):
    """An RNN run for a single step is a one-hidden-layer MLP: h = tanh(W_xh x + b_h),
    y = W_hy h + b_y. Trained on :func:`circle_task`.

    Returns:
        TaskResult with metrics ``test_accuracy``, ``majority_baseline`` (always guess the
        commoner class), ``max_abs_grad_weight_hh`` (exactly 0: h_0 = 0, so W_hh h_0 = 0 and
        W_hh never touches a number) and ``mlp_max_abs_diff`` (the network's output against a
        hand-written MLP with the same weights).
    """
    x, y = circle_task(n_train, seed=seed)
    x_test, y_test = circle_task(2000, seed=seed + 1)
    net = ElmanNetwork(2, hidden_size, 2, many_to_one=True, seed=seed)
    grad_hh = []

    def loss_and_grads(step):
        logits, _, cache = net.forward(x)
        loss, dlogits = softmax_cross_entropy(logits, y)
        _, _, grads = net.backward(dlogits, cache)
        grad_hh.append(float(np.max(np.abs(grads["rnn.weight_hh"]))))
        return loss, grads

    initial = _snapshot(net)
    losses, seconds = _timed(lambda: fit(net.params, loss_and_grads, steps, lr=lr))
    logits, _, _ = net.forward(x_test)
    p = net.params
    mlp = np.tanh(x_test[0] @ p["rnn.weight_ih"].T + p["rnn.bias_ih"] + p["rnn.bias_hh"])
    mlp = mlp @ p["out.weight"].T + p["out.bias"]
    grid = np.linspace(-1.0, 1.0, 61)
    gx, gy = np.meshgrid(grid, grid)
    grid_logits, _, _ = net.forward(np.stack([gx.ravel(), gy.ravel()], axis=1)[None])
    metrics = {
        "test_accuracy": _accuracy(logits, y_test),
        "majority_baseline": float(max(np.mean(y_test), 1 - np.mean(y_test))),
        "max_abs_grad_weight_hh": max(grad_hh),
        "mlp_max_abs_diff": float(np.max(np.abs(mlp - logits))),
    }
    data = {"x_test": x_test[0], "y_test": y_test, "grid": grid,
            "grid_prob": softmax(grid_logits)[:, 1].reshape(gx.shape)}
    return TaskResult("inside the circle?", "one-to-one", net, losses, metrics, seconds, data,
                      initial_params=initial)


# ---------------------------------------------------------------------------------------------
# One-to-many: one vector in, a sequence out


def wave_task(n, T_y=24, seed=0):
    r"""Draw a wave from one vector: the input v = (a, omega) arrives at step 1 only, and the
    network must output :math:`y_t = a \sin(\omega t)` for t = 1..T_y. A stand-in for image
    captioning (an image in, words out) and music generation (a style in, notes out).

    Args:
        n: number of sequences; T_y: output length.

    Returns:
        v: (n, 2) the vectors (amplitude a in [0.5, 1], omega in [0.3, 0.9] rad per step);
        x: (T_y, n, 2): v at step 1, zeros after; y: (T_y, n, 1) targets.
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.0, size=n)
    omega = rng.uniform(0.3, 0.9, size=n)
    t = np.arange(1, T_y + 1)[:, None]
    y = (a * np.sin(omega * t))[..., None]
    v = np.stack([a, omega], axis=1)
    x = np.zeros((T_y, n, 2))
    x[0] = v
    return v, x, y


def train_one_to_many(hidden_size=32, T_y=20, n_train=128, steps=300, lr=0.01, seed=0):
    """Train a GRU with a linear head to draw :func:`wave_task` waves (MSE at every output
    step). The cell is a GRU (notebook 05): the shape of a network does not depend on its cell,
    and a gated cell learns this task in fewer updates.

    Returns:
        TaskResult with metrics ``test_rmse`` and ``zero_rmse`` (the error of always
        predicting 0, the mean of the targets), and ``dx_nonzero_steps``: how many input steps
        receive a gradient that can change W_xh (1: the input is zero after step 1).
    """
    _, x, y = wave_task(n_train, T_y, seed=seed)
    v_test, x_test, y_test = wave_task(500, T_y, seed=seed + 1)
    rng = np.random.default_rng(seed)
    net = RecurrentNetwork(GRU(2, hidden_size, seed=rng), Linear(hidden_size, 1, seed=rng))

    def loss_and_grads(step):
        ys, _, cache = net.forward(x)
        loss, dys = mse_loss(ys, y, reduction="mean")
        _, _, grads = net.backward(dys, cache)
        return loss, grads

    initial = _snapshot(net)
    losses, seconds = _timed(lambda: fit(net.params, loss_and_grads, steps, lr=lr))
    pred, _, _ = net.forward(x_test)
    metrics = {
        "test_rmse": float(np.sqrt(np.mean((pred - y_test) ** 2))),
        "zero_rmse": float(np.sqrt(np.mean(y_test ** 2))),
        "dx_nonzero_steps": int(np.sum(np.any(x_test != 0, axis=(1, 2)))),
    }
    data = {"v_test": v_test, "y_test": y_test[:, :, 0], "pred": pred[:, :, 0]}
    return TaskResult("draw a wave", "one-to-many", net, losses, metrics, seconds, data,
                      initial_params=initial)


# ---------------------------------------------------------------------------------------------
# Many-to-one: a whole sequence in, one label out


def proverb_inputs(x_ids, lengths, vocab_size):
    """One-hot word vectors, right-aligned so every sentence ends at the last step.

    A many-to-one network reads its answer off the last hidden state h_T, so the last word
    must be at step T: shorter sentences are padded at the *front* with zero vectors (the
    padding id 0 has no one-hot column).

    Args:
        x_ids: (T, B) word ids, padded at the end with 0 (as :func:`rnnlib.data.proverb_order_task`
            returns them); lengths: (B,); vocab_size: V, including the padding id.

    Returns:
        x: (T, B, V - 1) float64.
    """
    x_ids = np.asarray(x_ids)
    T, B = x_ids.shape
    shifted = np.zeros_like(x_ids)
    for b in range(B):
        n = int(lengths[b])
        shifted[T - n:, b] = x_ids[:n, b]
    return np.eye(vocab_size)[shifted][..., 1:]


def bag_of_words_accuracy(x_ids, lengths, y, vocab_size):
    """How well any order-blind model could do: group sentences by their bag of words; the best
    such model answers each bag's majority label. Returns that best accuracy (0.5 when every
    bag appears once right and once jumbled, as :func:`rnnlib.data.proverb_order_task` makes
    them)."""
    groups = {}
    for b in range(len(y)):
        key = tuple(sorted(int(i) for i in x_ids[:lengths[b], b]))
        groups.setdefault(key, []).append(int(y[b]))
    best = sum(max(sum(v), len(v) - sum(v)) for v in groups.values())
    return best / len(y)


def train_many_to_one(hidden_size=32, n_train=1024, steps=200, lr=0.01, batch=128, seed=0):
    """Tell a proverb in its right word order from a jumbled one (the TowardsMachineLearning article's example), reading
    the words one by one and answering after the last.

    Returns:
        TaskResult with metrics ``test_accuracy``, ``bag_of_words_best`` (the best any
        order-blind model can score on the test set) and ``test_seen_fraction`` (how many test
        sentences also occur in the training set: there are only 32 proverbs).
    """
    x_ids, lengths, y, vocab = proverb_order_task(n_train, seed=seed)
    xt_ids, lt, yt, _ = proverb_order_task(1000, seed=seed + 1)
    V = len(vocab)
    x, x_test = proverb_inputs(x_ids, lengths, V), proverb_inputs(xt_ids, lt, V)
    net = ElmanNetwork(V - 1, hidden_size, 2, many_to_one=True, seed=seed)
    rng = np.random.default_rng(seed)

    def loss_and_grads(step):
        idx = rng.choice(n_train, size=batch, replace=False)
        logits, _, cache = net.forward(x[:, idx])
        loss, dlogits = softmax_cross_entropy(logits, y[idx])
        _, _, grads = net.backward(dlogits, cache)
        return loss, grads

    initial = _snapshot(net)
    losses, seconds = _timed(lambda: fit(net.params, loss_and_grads, steps, lr=lr))
    logits, _, _ = net.forward(x_test)
    train_set = {(tuple(x_ids[:lengths[b], b])) for b in range(n_train)}
    seen = np.mean([tuple(xt_ids[:lt[b], b]) in train_set for b in range(len(yt))])
    metrics = {
        "test_accuracy": _accuracy(logits, yt),
        "bag_of_words_best": bag_of_words_accuracy(xt_ids, lt, yt, V),
        "test_seen_fraction": float(seen),
    }
    words = [" ".join(vocab[i] for i in xt_ids[:lt[b], b]) for b in range(8)]
    data = {"sentences": words, "labels": yt[:8], "prob_right": softmax(logits[:8])[:, 1],
            "vocab": vocab}
    return TaskResult("right order or jumbled?", "many-to-one", net, losses, metrics, seconds,
                      data, initial_params=initial)


# ---------------------------------------------------------------------------------------------
# Many-to-many with T_x = T_y: an output at every step


def river_task(T=30, stride=3, years=3, seed=0):
    """Tomorrow's river level from the levels so far (the IBM introduction's flood example), with
    :func:`rnnlib.data.river_levels`. The first ``years - 1`` years train, the last one tests.

    Levels are scaled to [0, 1] over the training years, (level - low) / scale, so that even a
    flood stays in the range where tanh responds.

    Returns:
        dict with ``x``, ``y``: (T, n_windows, 1) scaled training windows
        (:func:`rnnlib.data.forecasting_windows`); ``test_x``, ``test_y``: (365, 1, 1) the test
        year as one sequence; ``low``, ``scale`` in metres; ``test_days``: (365,) day numbers
        of the test targets (day 0 is 1 January of the first year).
    """
    series = river_levels(years * 365 + 1, seed=seed)
    n_train = (years - 1) * 365
    train, test = series[:n_train + 1], series[n_train:]
    low, scale = float(train.min()), float(train.max() - train.min())
    x, y = forecasting_windows((train - low) / scale, T, stride)
    z = (test - low) / scale
    return {"x": x, "y": y, "test_x": z[:-1, None, None], "test_y": z[1:, None, None],
            "low": low, "scale": scale, "test_days": np.arange(n_train + 1, n_train + len(test))}


def _metres(task, z):
    return z * task["scale"] + task["low"]


def persistence_rmse(task):
    """RMSE in metres of the forecast "tomorrow = today" on the test year."""
    err = (task["test_x"] - task["test_y"])[:, 0, 0] * task["scale"]
    return float(np.sqrt(np.mean(err ** 2)))


def _river_fit(net, task, steps, lr, batch, seed):
    x, y = task["x"], task["y"]
    rng = np.random.default_rng(seed)

    def loss_and_grads(step):
        idx = rng.choice(x.shape[1], size=min(batch, x.shape[1]), replace=False)
        ys, _, cache = net.forward(x[:, idx])
        loss, dys = mse_loss(ys, y[:, idx], reduction="mean")
        _, _, grads = net.backward(dys, cache)
        return loss, grads

    return _timed(lambda: fit(net.params, loss_and_grads, steps, lr=lr))


def _river_test(net, task):
    pred, _, _ = net.forward(task["test_x"])
    err = (pred - task["test_y"])[:, 0, 0] * task["scale"]
    return _metres(task, pred[:, 0, 0]), float(np.sqrt(np.mean(err ** 2)))


def _calm_days(level, today, rise=0.05):
    """Days on which the river rose by less than ``rise`` metres: no new rain arrived, so the
    past holds the answer (the flood drains away at a steady rate)."""
    return (level - today) < rise


def train_many_to_many(hidden_size=16, steps=400, lr=0.005, batch=64, seed=0):
    """Forecast tomorrow's river level at every step of a window (an output and a loss per
    step). Tested on a whole unseen year, read as one sequence.

    Returns:
        TaskResult with metrics in centimetres: ``test_rmse_cm`` and ``persistence_rmse_cm``
        (the forecast "tomorrow = today") over all test days; ``calm_rmse_cm`` and
        ``calm_persistence_rmse_cm`` over the days without new rain (rise < 5 cm), where the
        past says what comes next; ``calm_fraction`` of such days.
    """
    task = river_task(seed=seed)
    net = ElmanNetwork(1, hidden_size, 1, seed=seed)
    initial = _snapshot(net)
    losses, seconds = _river_fit(net, task, steps, lr, batch, seed)
    pred, rmse = _river_test(net, task)
    level, today = _metres(task, task["test_y"][:, 0, 0]), _metres(task, task["test_x"][:, 0, 0])
    calm = _calm_days(level, today)

    def rmse_cm(forecast, days):
        return 100 * float(np.sqrt(np.mean((forecast - level)[days] ** 2)))

    metrics = {"test_rmse_cm": 100 * rmse, "persistence_rmse_cm": 100 * persistence_rmse(task),
               "calm_rmse_cm": rmse_cm(pred, calm),
               "calm_persistence_rmse_cm": rmse_cm(today, calm),
               "calm_fraction": float(np.mean(calm))}
    data = {"days": task["test_days"], "level": level, "pred": pred, "today": today}
    return TaskResult("tomorrow's river level", "many-to-many", net, losses, metrics, seconds,
                      data, initial_params=initial)


# ---------------------------------------------------------------------------------------------
# Many-to-many with T_x != T_y: an encoder-decoder


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
        cls = CELLS[cell]
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


def reverse_task(n, T_x, n_symbols=6, seed=0):
    """Reverse a sequence of symbols and say "stop": x = (3, 1, 4, 1) -> y = (1, 4, 1, 3, <end>).

    T_y = T_x + 1: the output is one step longer than the input, and the decoder must learn
    when to stop.

    Returns:
        x: (T_x, n, n_symbols) one-hot; y: (T_x + 1, n) int64 ids, where id ``n_symbols`` is
        <end>; ids: (T_x, n) the input symbols.
    """
    rng = _checks.rng_from(seed)
    ids = rng.integers(0, n_symbols, size=(T_x, n))
    y = np.concatenate([ids[::-1], np.full((1, n), n_symbols)], axis=0)
    return np.eye(n_symbols)[ids], y, ids


def train_encoder_decoder(hidden_size=48, n_symbols=6, lengths=(3, 4, 5), steps=700, lr=0.01,
                          batch=64, cell="gru", seed=0):
    """Train an :class:`EncoderDecoder` to reverse sequences of mixed lengths (each update draws
    one length from ``lengths``). Tested by greedy decoding of fresh sequences.

    Returns:
        TaskResult with metrics ``symbol_accuracy`` (over all output steps and lengths),
        ``sequence_accuracy`` (every symbol and the <end> right), ``chance`` (1 / (symbols + 1))
        and ``accuracy_T<k>`` per input length k.
    """
    rng = np.random.default_rng(seed)
    model = EncoderDecoder(n_symbols, n_symbols + 1, hidden_size, cell=cell, seed=seed)

    def loss_and_grads(step):
        T_x = int(rng.choice(lengths))
        x, y, _ = reverse_task(batch, T_x, n_symbols, seed=rng)
        logits, _, cache = model.forward(x, model.decoder_inputs(y))
        loss, dlogits = softmax_cross_entropy(logits, y, reduction="mean")
        _, grads = model.backward(dlogits, cache)
        return loss, grads

    initial = _snapshot(model)
    losses, seconds = _timed(lambda: fit(model.params, loss_and_grads, steps, lr=lr))
    test_rng = np.random.default_rng(seed + 1)
    metrics, correct_sym, total_sym, correct_seq, total_seq = {}, 0, 0, 0, 0
    examples = []
    for T_x in lengths:
        x, y, ids = reverse_task(300, T_x, n_symbols, seed=test_rng)
        out = model.generate(x, T_x + 1)
        hit = out == y
        correct_sym += hit.sum()
        total_sym += hit.size
        correct_seq += hit.all(axis=0).sum()
        total_seq += hit.shape[1]
        metrics[f"sequence_accuracy_T{T_x}"] = float(hit.all(axis=0).mean())
        examples.append((ids[:, 0], y[:, 0], out[:, 0]))
    metrics.update({"symbol_accuracy": correct_sym / total_sym,
                    "sequence_accuracy": correct_seq / total_seq,
                    "chance": 1.0 / (n_symbols + 1)})
    return TaskResult("reverse, then stop", "encoder-decoder", model, losses, metrics, seconds,
                      {"examples": examples, "n_symbols": n_symbols}, initial_params=initial)


# ---------------------------------------------------------------------------------------------
# Bidirectional: the future context a forward RNN cannot see

#: the blank's answer is fixed by the noun two words later: "feeling ___ the weather" -> under
BLANK_ANSWERS = {"weather": "under", "moon": "over", "pink": "in", "mend": "on"}
_SUBJECTS = ("i", "you", "she", "he", "we", "they", "grandad", "the cat")
_VERBS = ("am", "was", "felt", "seemed", "looked", "is", "were", "are")
_ENDINGS = ("today", "again", "lately", "tonight", "all week", "this morning")
_BLANK = "___"


def _blank_vocab():
    words = set(_SUBJECTS) | set(_VERBS) | set(_ENDINGS) | set(BLANK_ANSWERS) | {"the", _BLANK}
    return sorted(words)


def blank_task(n, seed=0):
    """Fill in the blank: "she felt ___ the weather today" -> "under".

    Every sentence is six tokens: subject, verb, ``___``, "the", noun, ending (multi-word
    subjects and endings count as one token). The answer, one of four prepositions, is set by
    the noun *two steps after* the blank (:data:`BLANK_ANSWERS`); nothing before the blank says
    anything about it, so a forward RNN, which must answer at the blank's own step, can do no
    better than guessing (accuracy 1/4, loss ln 4).

    Returns:
        x: (6, n, V) one-hot tokens; y: (n,) answer ids (index into ``answers``);
        sentences: list of n strings; vocab: the V tokens; answers: the 4 prepositions.
        The blank is always step 3 (index 2).
    """
    rng = np.random.default_rng(seed)
    vocab = _blank_vocab()
    index = {w: i for i, w in enumerate(vocab)}
    nouns = sorted(BLANK_ANSWERS)
    answers = sorted(set(BLANK_ANSWERS.values()))
    tokens = np.empty((6, n), dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    sentences = []
    for b in range(n):
        noun = nouns[rng.integers(len(nouns))]
        words = [_SUBJECTS[rng.integers(len(_SUBJECTS))], _VERBS[rng.integers(len(_VERBS))],
                 _BLANK, "the", noun, _ENDINGS[rng.integers(len(_ENDINGS))]]
        tokens[:, b] = [index[w] for w in words]
        y[b] = answers.index(BLANK_ANSWERS[noun])
        sentences.append(" ".join(words))
    return np.eye(len(vocab))[tokens], y, sentences, vocab, answers


BLANK_STEP = 2  # 0-based index of the blank in every sentence of :func:`blank_task`


def _blank_loss(logits, y):
    """Cross-entropy at the blank's step only; the other steps have no loss."""
    loss, d_at_blank = softmax_cross_entropy(logits[BLANK_STEP], y)
    dlogits = np.zeros_like(logits)
    dlogits[BLANK_STEP] = d_at_blank
    return loss, dlogits


def train_blank_filler(bidirectional, hidden_size=16, n_train=2048, steps=150, lr=0.02, batch=256,
                       seed=0):
    """Train a per-step network on :func:`blank_task` and read its answer at the blank.

    Args:
        bidirectional: False: an ``RNN`` (it has seen x_1..x_3 at the blank); True:
            ``Bidirectional(RNN, RNN)`` (its backward half has also seen x_3..x_6).

    Returns:
        TaskResult with metrics ``test_accuracy``, ``test_loss`` (nats, at the blank),
        ``chance_accuracy`` (1/4), ``chance_loss`` (ln 4) and ``num_params``.
    """
    x, y, _, vocab, answers = blank_task(n_train, seed=seed)
    x_test, y_test, sentences, _, _ = blank_task(1000, seed=seed + 1)
    rng = _checks.rng_from(seed)
    V = len(vocab)
    if bidirectional:
        rnn = Bidirectional(RNN(V, hidden_size, seed=rng), RNN(V, hidden_size, seed=rng))
    else:
        rnn = RNN(V, hidden_size, seed=rng)
    net = RecurrentNetwork(rnn, Linear(rnn.output_size, len(answers), seed=rng))

    batches = np.random.default_rng(seed)

    def loss_and_grads(step):
        idx = batches.choice(n_train, size=batch, replace=False)
        logits, _, cache = net.forward(x[:, idx])
        loss, dlogits = _blank_loss(logits, y[idx])
        _, _, grads = net.backward(dlogits, cache)
        return loss, grads

    initial = _snapshot(net)
    losses, seconds = _timed(lambda: fit(net.params, loss_and_grads, steps, lr=lr))
    logits, _, _ = net.forward(x_test)
    test_loss, _ = _blank_loss(logits, y_test)
    probs = softmax(logits[BLANK_STEP])
    metrics = {"test_accuracy": _accuracy(logits[BLANK_STEP], y_test), "test_loss": test_loss,
               "chance_accuracy": 1.0 / len(answers), "chance_loss": float(np.log(len(answers))),
               "num_params": net.num_params()}
    data = {"sentences": sentences[:6], "probs": probs[:6], "answers": answers,
            "y_test": y_test[:6]}
    kind = "bidirectional" if bidirectional else "forward only"
    return TaskResult(f"fill the blank ({kind})", "bidirectional", net, losses, metrics, seconds,
                      data, initial_params=initial)


# ---------------------------------------------------------------------------------------------
# Stacked: layers on top of layers


def train_stacked_comparison(hidden_size=16, steps=400, lr=0.005, batch=64, seed=0):
    """River forecasting with one RNN layer and with two stacked layers (same H each), same
    data, updates and optimiser.

    Returns:
        dict: num_layers (1 or 2) -> TaskResult (metrics ``test_rmse_cm``, ``num_params``).
    """
    task = river_task(seed=seed)
    results = {}
    for layers in (1, 2):
        rng = np.random.default_rng(seed)
        net = RecurrentNetwork(stacked("rnn", 1, hidden_size, num_layers=layers, seed=rng),
                               Linear(hidden_size, 1, seed=rng))
        initial = _snapshot(net)
        losses, seconds = _river_fit(net, task, steps, lr, batch, seed)
        _, rmse = _river_test(net, task)
        results[layers] = TaskResult(f"river, {layers} layer(s)", "stacked", net, losses,
                                     {"test_rmse_cm": 100 * rmse, "num_params": net.num_params()},
                                     seconds, initial_params=initial)
    return results


def stacked_gradient_profile(net, n_windows=32, seed=0):
    """||dL/dh_t|| in each layer of a two-layer stacked river forecaster, on ``n_windows``
    training windows: layer 2 gets the loss's gradient at every step, layer 1 only what layer 2
    passes down (its ``dx``) plus what flows back through its own recurrence.

    Returns:
        {1: (T,) norms in layer 1, 2: (T,) norms in layer 2}.
    """
    task = river_task(seed=seed)
    x, y = task["x"][:, :n_windows], task["y"][:, :n_windows]
    ys, _, cache = net.forward(x)
    _, dys = mse_loss(ys, y, reduction="mean")
    dhs, _ = net.head.backward(dys, cache["head"])
    lower, upper = net.rnn.layers
    d_lower, _, _, dh2 = upper.backward(dhs, cache["rnn"][1], return_hidden_grads=True)
    _, _, _, dh1 = lower.backward(d_lower, cache["rnn"][0], return_hidden_grads=True)
    return {1: _norms(dh1), 2: _norms(dh2)}


# ---------------------------------------------------------------------------------------------
# Where the gradient enters: ||dL/dh_t|| for each shape


def gradient_profile(result, trained=False):
    """The size of the gradient reaching every hidden state, :math:`\\|\\delta_t\\| =
    \\|\\partial L/\\partial h_t\\|`, for a trained :class:`TaskResult`, on a small batch of its
    own task, together with where the loss enters. By default the network has its initial
    weights (``trained=False``): every output is still wrong, so every loss term sends a
    gradient, and the pattern shows the architecture rather than what was learned.

    Returns:
        dict with ``delta``: (T,) norms (for the encoder-decoder: encoder steps, then decoder
        steps); ``loss_steps``: (T,) bool, True where a loss term L_t is attached;
        ``input_steps``: (T,) bool, True where the input is non-zero; ``labels``: step labels;
        ``split``: number of encoder steps (encoder-decoder only, else None).
    """
    shape = result.shape
    net = result.model if trained else result.untrained()
    if shape == "encoder-decoder":
        x, y, _ = reverse_task(32, 4, result.data["n_symbols"], seed=7)
        logits, _, cache = net.forward(x, net.decoder_inputs(y))
        _, dlogits = softmax_cross_entropy(logits, y, reduction="mean")
        _, _, dh_enc, dh_dec = net.backward(dlogits, cache, return_hidden_grads=True)
        delta = np.concatenate([_norms(dh_enc), _norms(dh_dec)])
        T_x, T_y = len(dh_enc), len(dh_dec)
        return {"delta": delta, "loss_steps": np.r_[np.zeros(T_x, bool), np.ones(T_y, bool)],
                "input_steps": np.ones(T_x + T_y, bool), "split": T_x,
                "labels": [f"enc {t}" for t in range(1, T_x + 1)]
                + [f"dec {t}" for t in range(1, T_y + 1)]}
    if shape == "one-to-one":
        x, y = circle_task(32, seed=7)
        logits, _, cache = net.forward(x)
        _, dy = softmax_cross_entropy(logits, y)
    elif shape == "one-to-many":
        _, x, y = wave_task(32, T_y=result.data["y_test"].shape[0], seed=7)
        logits, _, cache = net.forward(x)
        _, dy = mse_loss(logits, y, reduction="mean")
    elif shape == "many-to-one":
        x_ids, lengths, y, vocab = proverb_order_task(32, seed=7)
        x = proverb_inputs(x_ids, lengths, len(vocab))
        logits, _, cache = net.forward(x)
        _, dy = softmax_cross_entropy(logits, y)
    elif shape == "many-to-many":
        task = river_task()
        x, y = task["x"][:, :32], task["y"][:, :32]
        logits, _, cache = net.forward(x)
        _, dy = mse_loss(logits, y, reduction="mean")
    else:
        raise ValueError(f"no gradient profile for shape {shape!r}")
    dtop, _ = net.head.backward(dy, cache["head"])
    dhs = np.zeros_like(cache["hs"])
    if net.many_to_one:
        dhs[-1] = dtop
    else:
        dhs[:] = dtop
    dh_total = net.rnn.backward(dhs, cache["rnn"], return_hidden_grads=True)[3]
    T = len(dh_total)
    loss_steps = np.zeros(T, bool)
    loss_steps[-1 if net.many_to_one else slice(None)] = True
    x_arr = cache["rnn"]["x"]
    return {"delta": _norms(dh_total), "loss_steps": loss_steps,
            "input_steps": np.any(x_arr != 0, axis=(1, 2)), "split": None,
            "labels": [str(t) for t in range(1, T + 1)]}


def _norms(g):
    return np.sqrt(np.sum(g * g, axis=(1, 2)))


# ---------------------------------------------------------------------------------------------
# The architecture explorer (widget): build the modules, run them, report shapes and sizes

ARCHITECTURES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder",
                 "bidirectional", "stacked")
CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


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
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    T_x, T_y = _lengths(kind, _checks.check_positive_int(T_x, "T_x"),
                        _checks.check_positive_int(T_y, "T_y"))
    rng = np.random.default_rng(seed)
    cls = CELLS[cell]
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
