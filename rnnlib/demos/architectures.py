r"""Numbers for notebook 07: the five input/output shapes of an RNN, bidirectional and stacked,
each trained live on a tiny task, and where the gradient enters in each.

Every trainer here builds a network from rnnlib's own layers, a ``loss_and_grads`` and an
``evaluate``, and hands them to :func:`rnnlib.demos.task_training.train_task`, the one
train/snapshot/time skeleton they all share. The tasks' data live in
:mod:`rnnlib.demos.shape_tasks`, the encoder-decoder in :mod:`rnnlib.demos.encoder_decoder`
and the explorer widget's models in :mod:`rnnlib.demos.architecture_explorer`; their names are
importable from here too, as the notebook uses them.

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

import numpy as np

from .. import _checks
from ..composite import Bidirectional, stacked
from ..data import proverb_order_task
from ..layers import GRU, RNN
from ..losses import mse_loss, softmax, softmax_cross_entropy
from ..networks import ElmanNetwork, Linear, RecurrentNetwork
from .architecture_explorer import ARCHITECTURES, Architecture, build_architecture
from .encoder_decoder import EncoderDecoder
from .shape_tasks import (
    BLANK_ANSWERS,
    BLANK_STEP,
    bag_of_words_accuracy,
    blank_loss,
    blank_task,
    circle_task,
    metres,
    persistence_rmse,
    proverb_inputs,
    reverse_task,
    tomorrow_level_task,
    wave_task,
)
from .task_training import TaskResult, fit, supervised, train_task

__all__ = [
    "SHAPES", "TaskResult", "fit", "train_task",
    "circle_task", "train_one_to_one",
    "wave_task", "train_one_to_many",
    "proverb_inputs", "bag_of_words_accuracy", "train_many_to_one",
    "tomorrow_level_task", "train_many_to_many", "persistence_rmse",
    "EncoderDecoder", "reverse_task", "train_encoder_decoder",
    "BLANK_ANSWERS", "blank_task", "train_blank_filler",
    "train_stacked_comparison", "stacked_gradient_profile",
    "gradient_profile",
    "ARCHITECTURES", "Architecture", "build_architecture",
]

SHAPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder")


def _accuracy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=-1) == labels))


def _mse(ys, y):
    return mse_loss(ys, y, reduction="mean")


# ---------------------------------------------------------------------------------------------
# One-to-one: T_x = T_y = 1, the plain MLP case


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

    def evaluate(net):
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
        return metrics, data

    step = supervised(net, x, y, softmax_cross_entropy, on_grads=lambda g: grad_hh.append(
        float(np.max(np.abs(g["rnn.weight_hh"])))))
    return train_task("inside the circle?", "one-to-one", net, step, steps, lr, evaluate)


# ---------------------------------------------------------------------------------------------
# One-to-many: one vector in, a sequence out


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

    def evaluate(net):
        pred, _, _ = net.forward(x_test)
        metrics = {
            "test_rmse": float(np.sqrt(np.mean((pred - y_test) ** 2))),
            "zero_rmse": float(np.sqrt(np.mean(y_test ** 2))),
            "dx_nonzero_steps": int(np.sum(np.any(x_test != 0, axis=(1, 2)))),
        }
        return metrics, {"v_test": v_test, "y_test": y_test[:, :, 0], "pred": pred[:, :, 0]}

    return train_task("draw a wave", "one-to-many", net, supervised(net, x, y, _mse), steps, lr,
                      evaluate)


# ---------------------------------------------------------------------------------------------
# Many-to-one: a whole sequence in, one label out


def train_many_to_one(hidden_size=32, n_train=1024, steps=200, lr=0.01, batch=128, seed=0):
    """Tell a proverb in its right word order from a jumbled one (the TowardsMachineLearning
    article's example), reading the words one by one and answering after the last.

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

    def evaluate(net):
        logits, _, _ = net.forward(x_test)
        train_set = {(tuple(x_ids[:lengths[b], b])) for b in range(n_train)}
        seen = np.mean([tuple(xt_ids[:lt[b], b]) in train_set for b in range(len(yt))])
        metrics = {
            "test_accuracy": _accuracy(logits, yt),
            "bag_of_words_best": bag_of_words_accuracy(xt_ids, lt, yt, V),
            "test_seen_fraction": float(seen),
        }
        words = [" ".join(vocab[i] for i in xt_ids[:lt[b], b]) for b in range(8)]
        return metrics, {"sentences": words, "labels": yt[:8],
                         "prob_right": softmax(logits[:8])[:, 1], "vocab": vocab}

    step = supervised(net, x, y, softmax_cross_entropy, batch=batch,
                      rng=np.random.default_rng(seed))
    return train_task("right order or jumbled?", "many-to-one", net, step, steps, lr, evaluate)


# ---------------------------------------------------------------------------------------------
# Many-to-many with T_x = T_y: an output at every step


def _river_test(net, task):
    pred, _, _ = net.forward(task["test_x"])
    err = (pred - task["test_y"])[:, 0, 0] * task["scale"]
    return metres(task, pred[:, 0, 0]), float(np.sqrt(np.mean(err ** 2)))


def _calm_days(level, today, rise=0.05):
    """Days on which the river rose by less than ``rise`` metres: no new rain arrived, so the
    past holds the answer (the flood drains away at a steady rate)."""
    return (level - today) < rise


def _river_step(net, task, batch, seed):
    return supervised(net, task["x"], task["y"], _mse, batch=batch,
                      rng=np.random.default_rng(seed))


def train_many_to_many(hidden_size=16, steps=400, lr=0.005, batch=64, seed=0):
    """Forecast tomorrow's river level at every step of a window (an output and a loss per
    step). Tested on a whole unseen year, read as one sequence.

    Returns:
        TaskResult with metrics in centimetres: ``test_rmse_cm`` and ``persistence_rmse_cm``
        (the forecast "tomorrow = today") over all test days; ``calm_rmse_cm`` and
        ``calm_persistence_rmse_cm`` over the days without new rain (rise < 5 cm), where the
        past says what comes next; ``calm_fraction`` of such days.
    """
    task = tomorrow_level_task(seed=seed)
    net = ElmanNetwork(1, hidden_size, 1, seed=seed)

    def evaluate(net):
        pred, rmse = _river_test(net, task)
        level = metres(task, task["test_y"][:, 0, 0])
        today = metres(task, task["test_x"][:, 0, 0])
        calm = _calm_days(level, today)

        def rmse_cm(forecast, days):
            return 100 * float(np.sqrt(np.mean((forecast - level)[days] ** 2)))

        metrics = {"test_rmse_cm": 100 * rmse,
                   "persistence_rmse_cm": 100 * persistence_rmse(task),
                   "calm_rmse_cm": rmse_cm(pred, calm),
                   "calm_persistence_rmse_cm": rmse_cm(today, calm),
                   "calm_fraction": float(np.mean(calm))}
        return metrics, {"days": task["test_days"], "level": level, "pred": pred,
                         "today": today}

    return train_task("tomorrow's river level", "many-to-many", net,
                      _river_step(net, task, batch, seed), steps, lr, evaluate)


# ---------------------------------------------------------------------------------------------
# Many-to-many with T_x != T_y: an encoder-decoder


def train_encoder_decoder(hidden_size=48, n_symbols=6, lengths=(3, 4, 5), steps=700, lr=0.01,
                          batch=64, cell="gru", seed=0):
    """Train an :class:`EncoderDecoder` to reverse sequences of mixed lengths (each update draws
    one length from ``lengths``). Tested by greedy decoding of fresh sequences.

    Returns:
        TaskResult with metrics ``symbol_accuracy`` (over all output steps and lengths),
        ``sequence_accuracy`` (every symbol and the <end> right), ``chance`` (1 / (symbols + 1))
        and ``sequence_accuracy_T<k>`` per input length k.
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

    def evaluate(model):
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
        return metrics, {"examples": examples, "n_symbols": n_symbols}

    return train_task("reverse, then stop", "encoder-decoder", model, loss_and_grads, steps, lr,
                      evaluate)


# ---------------------------------------------------------------------------------------------
# Bidirectional: the future context a forward RNN cannot see


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

    def evaluate(net):
        logits, _, _ = net.forward(x_test)
        test_loss, _ = blank_loss(logits, y_test)
        probs = softmax(logits[BLANK_STEP])
        metrics = {"test_accuracy": _accuracy(logits[BLANK_STEP], y_test),
                   "test_loss": test_loss, "chance_accuracy": 1.0 / len(answers),
                   "chance_loss": float(np.log(len(answers))), "num_params": net.num_params()}
        return metrics, {"sentences": sentences[:6], "probs": probs[:6], "answers": answers,
                         "y_test": y_test[:6]}

    step = supervised(net, x, y, blank_loss, batch=batch, rng=np.random.default_rng(seed))
    kind = "bidirectional" if bidirectional else "forward only"
    return train_task(f"fill the blank ({kind})", "bidirectional", net, step, steps, lr, evaluate)


# ---------------------------------------------------------------------------------------------
# Stacked: layers on top of layers


def train_stacked_comparison(hidden_size=16, steps=400, lr=0.005, batch=64, seed=0):
    """River forecasting with one RNN layer and with two stacked layers (same H each), same
    data, updates and optimiser.

    Returns:
        dict: num_layers (1 or 2) -> TaskResult (metrics ``test_rmse_cm``, ``num_params``).
    """
    task = tomorrow_level_task(seed=seed)
    results = {}
    for layers in (1, 2):
        rng = np.random.default_rng(seed)
        net = RecurrentNetwork(stacked("rnn", 1, hidden_size, num_layers=layers, seed=rng),
                               Linear(hidden_size, 1, seed=rng))

        def evaluate(net):
            return {"test_rmse_cm": 100 * _river_test(net, task)[1],
                    "num_params": net.num_params()}, {}

        results[layers] = train_task(f"river, {layers} layer(s)", "stacked", net,
                                     _river_step(net, task, batch, seed), steps, lr, evaluate)
    return results


def stacked_gradient_profile(net, n_windows=32, seed=0):
    """||dL/dh_t|| in each layer of a two-layer stacked river forecaster, on ``n_windows``
    training windows: layer 2 gets the loss's gradient at every step, layer 1 only what layer 2
    passes down (its ``dx``) plus what flows back through its own recurrence.

    Returns:
        {1: (T,) norms in layer 1, 2: (T,) norms in layer 2}.
    """
    task = tomorrow_level_task(seed=seed)
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
        task = tomorrow_level_task()
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


