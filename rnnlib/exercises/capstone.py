"""Exercises of notebook 12 (the capstone): the learner writes the whole experiment.

1. ``check_build_model(fn)``: ``fn(cell, hidden_size, rng, forget_bias=None) -> model``, a
   recurrent layer and a ``Linear`` head for the copy task, with an optional LSTM forget-gate
   bias, every weight drawn from ``rng`` (layer first, then head).
2. ``check_train_steps(fn)``: ``fn(model, opt, rng, steps, T, batch_size, max_norm) -> losses``,
   the training loop: a fresh batch from ``rng``, forward, the mean cross-entropy over the
   recall steps, backward, clip the global norm, one optimiser step.
3. ``check_run_experiment(fn)``: ``fn(build, train, configs, seeds, steps, T, eval_every) ->
   {(name, seed): held-out losses}``, every configuration over every seed.
4. ``check_verdict(solved_by, forget_bias, results)``: the learner's reading of the results,
   compared with what the runs measured (``check_verdict(rule)`` checks a function
   ``rule(results) -> (solved_by, forget_bias)`` on tables with known verdicts).

The checks compare with the reference implementations of :mod:`rnnlib.demos.capstone` (never
with the ``solution_*`` functions below, which only serve learners who ask for them), on small
seeded problems, to 1e-10; they name the usual slips (weights not drawn from ``rng``, the forget
bias counted twice, the gradient clipped after the step or accumulated, the loss summed or
averaged over every step, batches not drawn from ``rng``, one generator for every run, ...).
Every check has three hint levels (:data:`HINTS`): ``hint(ex.check_train_steps, 2)``; level 4
prints the reference solution.
"""

from __future__ import annotations

import copy

import numpy as np

from ..cell_registry import cell_layer
from ..demos import capstone as cap
from ..losses import softmax_cross_entropy
from ..networks import Linear, RecurrentNetwork
from ..optim import Adam, clip_grad_norm
from ._feedback import AnswerError, CheckResult, _record, known_mistakes, run_check

__all__ = ["HINTS", "check_build_model", "check_train_steps", "check_run_experiment",
           "check_verdict", "solution_build_model", "solution_train_steps",
           "solution_run_experiment", "solution_verdict", "EFFECTS"]

#: the answers ``check_verdict`` accepts for the forget bias
EFFECTS = ("helps", "no difference", "hurts")

#: three levels of help per exercise: the idea, the formula, a skeleton of the code
HINTS = {
    "check_build_model": (
        "A model is a recurrent layer that reads the one-hot inputs and a linear head that turns "
        "each hidden state into one score per class. Both draw their initial weights from the "
        "generator you are given (pass it as seed=rng), the layer first. The forget gate owns "
        "rows H:2H of the LSTM's biases, and the cell adds bias_ih and bias_hh.",
        """\
        layer = rnnlib.RNN / rnnlib.LSTM / rnnlib.GRU (input size cap.N_CLASSES, hidden size H,
                seed=rng)                               rnnlib.cell_layer(cell) picks the class
        forget_bias given (LSTM only):  bias_ih[H:2H] = forget_bias,  bias_hh[H:2H] = 0
        head  = rnnlib.Linear(H, cap.N_CLASSES, seed=rng)        drawn AFTER the layer
        model = rnnlib.RecurrentNetwork(layer, head)             a score at every step""",
        """\
        def build_model(cell, hidden_size, rng, forget_bias=None):
            H = hidden_size
            layer = rnnlib.cell_layer(cell)(cap.N_CLASSES, H, seed=...)
            if forget_bias is not None:
                layer.params["bias_ih"][...] = ...
                layer.params["bias_hh"][...] = ...
            head = rnnlib.Linear(..., ..., seed=...)
            return rnnlib.RecurrentNetwork(layer, head)"""),
    "check_train_steps": (
        "One update per step, always in the same order: draw a fresh batch from rng, forward, "
        "the loss on the recall steps only, backward, clip, step. Each update uses only the "
        "gradient of its own batch, and the clipping must come before the step it protects.",
        """\
        for each of the steps:
            x, y = cap.copy_batch(T, batch_size, rng)               fresh, from the seeded stream
            logits, _, cache = model.forward(x)                     (T, B, N_CLASSES)
            loss, dlogits = softmax_cross_entropy(logits, y, reduction="mean",
                                                  mask=cap.recall_mask(y))    recall steps only
            _, _, grads = model.backward(dlogits, cache)
            clip_grad_norm(grads, max_norm)                         BEFORE the step
            opt.step(grads)
            keep the loss""",
        """\
        def train_steps(model, opt, rng, steps, T, batch_size, max_norm):
            losses = []
            for _ in range(steps):
                x, y = cap.copy_batch(T, batch_size, ...)
                logits, _, cache = model.forward(x)
                loss, dlogits = rnnlib.softmax_cross_entropy(logits, y, reduction=...,
                                                             mask=...)
                _, _, grads = model.backward(...)
                ...                                      # clip
                ...                                      # step
                losses.append(loss)
            return losses"""),
    "check_run_experiment": (
        "Every (configuration, seed) pair is its own run, started from scratch: its own "
        "generator seeded with the seed (it draws the weights, then the batches), its own "
        "model and its own Adam. Measure the held-out loss before the first step, then after "
        "every eval_every steps, always on the same held-out set.",
        """\
        held = cap.held_out_set(T)                                  the same for every run
        for name, (cell, forget_bias) in configs.items():           configurations outer
            for seed in seeds:
                rng   = np.random.default_rng(seed)
                model = build(cell, cap.HIDDEN, rng, forget_bias)
                opt   = rnnlib.Adam(model.params, lr=cap.LR)
                curve = [cap.held_out_loss(model, held)]            before training
                steps // eval_every times:
                    train(model, opt, rng, eval_every, T, cap.BATCH, cap.MAX_NORM)
                    curve.append(cap.held_out_loss(model, held))
                curves[(name, seed)] = curve""",
        """\
        def run_experiment(build, train, configs, seeds, steps, T, eval_every):
            held = cap.held_out_set(T)
            curves = {}
            for name, (cell, forget_bias) in configs.items():
                for seed in seeds:
                    rng = np.random.default_rng(...)
                    model = build(cell, cap.HIDDEN, rng, forget_bias)
                    opt = rnnlib.Adam(..., lr=cap.LR)
                    curve = [...]
                    for _ in range(steps // eval_every):
                        train(model, opt, rng, eval_every, T, cap.BATCH, cap.MAX_NORM)
                        curve.append(...)
                    curves[(name, seed)] = curve
            return curves"""),
    "check_verdict": (
        "Read the table of results, not the figure alone: a configuration has solved the task "
        "only if it ended 'solved' in every seed. For the forget bias, compare in how many "
        "seeds the rows LSTM and LSTM+fb solved it.",
        """\
        solved_by   = the names whose 'solved in' column says 3 of 3 (an empty list if none)
        forget_bias = "helps"          if LSTM+fb solved it in more seeds than LSTM
                      "hurts"          if in fewer seeds
                      "no difference"  if in as many""",
        """\
        solved_by = [name for name in results.names if results.count(name) == ...]
        plain, biased = results.count("LSTM"), results.count(...)
        forget_bias = "helps" if biased > plain else ..."""),
}


# ---- reference solutions (for learners who ask; the checks use rnnlib.demos.capstone) ---------

def solution_build_model(cell, hidden_size, rng, forget_bias=None):
    H = hidden_size
    layer = cell_layer(cell)(cap.N_CLASSES, H, seed=rng)      # 1. the layer draws first ...
    if forget_bias is not None:                               # LSTM gates: i, f, g, o
        layer.params["bias_ih"][H:2 * H] = forget_bias        # the forget gate's rows
        layer.params["bias_hh"][H:2 * H] = 0.0                # the cell adds both biases
    head = Linear(H, cap.N_CLASSES, seed=rng)                 # 2. ... then the head
    return RecurrentNetwork(layer, head)                      # a score at every step


def solution_train_steps(model, opt, rng, steps, T, batch_size, max_norm):
    losses = []
    for _ in range(steps):
        x, y = cap.copy_batch(T, batch_size, rng)             # a fresh batch from the stream
        logits, _, cache = model.forward(x)
        loss, dlogits = softmax_cross_entropy(logits, y, reduction="mean",
                                              mask=cap.recall_mask(y))   # recall steps only
        _, _, grads = model.backward(dlogits, cache)          # this batch's gradient only
        clip_grad_norm(grads, max_norm)                       # clip first ...
        opt.step(grads)                                       # ... then step
        losses.append(loss)
    return losses


def solution_run_experiment(build, train, configs, seeds, steps, T, eval_every):
    held = cap.held_out_set(T)                                # the same sequences for all runs
    curves = {}
    for name, (cell, forget_bias) in configs.items():
        for seed in seeds:
            rng = np.random.default_rng(seed)                 # one stream per run
            model = build(cell, cap.HIDDEN, rng, forget_bias)
            opt = Adam(model.params, lr=cap.LR)               # its own optimiser
            curve = [cap.held_out_loss(model, held)]          # before the first step
            for _ in range(steps // eval_every):
                train(model, opt, rng, eval_every, T, cap.BATCH, cap.MAX_NORM)
                curve.append(cap.held_out_loss(model, held))
            curves[(name, seed)] = curve
    return curves


def solution_verdict(results):
    solved_by = [name for name in results.names if results.count(name) == len(results.seeds)]
    plain, biased = results.count("LSTM"), results.count("LSTM+fb")     # seeds solved
    forget_bias = "helps" if biased > plain else "hurts" if biased < plain else "no difference"
    return solved_by, forget_bias


# ---- exercise 1: the model -------------------------------------------------------------------

#: (cell, hidden size, seed, forget bias)
BUILD_CASES = [("RNN", 5, 0, None), ("LSTM", 4, 1, None), ("GRU", 3, 2, None),
               ("LSTM", 4, 3, 3.0), ("LSTM", 3, 4, -1.0)]


def _probe_input():
    return cap.copy_batch(9, 3, np.random.default_rng(99))[0]


def _as_model_output(model, rng):
    """(logits on a fixed input, the next numbers of ``rng``): the model's numbers and what
    building it took from the generator."""
    if isinstance(model, tuple) and len(model) == 2 and hasattr(model[0], "forward"):
        raise AnswerError("you returned a pair; return the model alone "
                          "(rnnlib.RecurrentNetwork(layer, head)).")
    if not hasattr(model, "forward"):
        raise AnswerError(f"expected a model with a forward method "
                          f"(rnnlib.RecurrentNetwork(layer, head)), got {type(model).__name__}.")
    out = model.forward(_probe_input())
    logits = out[0] if isinstance(out, tuple) else out
    return np.asarray(logits), rng.random(3)


def _building(fn):
    """fn as the check runs it: (cell, H, seed, forget_bias) -> (logits, next draws)."""
    def run(cell, H, seed, forget_bias):
        rng = np.random.default_rng(seed)
        model = fn(cell, H, rng, forget_bias)
        if model is None:
            return None
        return _as_model_output(model, rng)
    return run


def _build_slip(*, head_first=False, ignore_rng=False, block=1, both=False, keep_hh=False,
                no_bias=False, cell_as=None):
    """The reference builder with one classic slip switched on."""
    def build(cell, hidden_size, rng, forget_bias=None):
        H = hidden_size
        source = np.random.default_rng(0) if ignore_rng else rng
        head = Linear(H, cap.N_CLASSES, seed=source) if head_first else None
        layer = cell_layer(cell_as or cell)(cap.N_CLASSES, H, seed=source)
        if forget_bias is not None and not no_bias:
            layer.params["bias_ih"][block * H:(block + 1) * H] = forget_bias
            if both:
                layer.params["bias_hh"][block * H:(block + 1) * H] = forget_bias
            elif not keep_hh:
                layer.params["bias_hh"][block * H:(block + 1) * H] = 0.0
        if head is None:
            head = Linear(H, cap.N_CLASSES, seed=source)
        return RecurrentNetwork(layer, head)
    return build


_BUILD_MISTAKES = [
    (_build_slip(head_first=True), "the head drew its weights before the layer. Build the "
     "recurrent layer first, then the Linear head, both with seed=rng: the same generator, in "
     "that order, gives the same initial weights as the reference."),
    (_build_slip(ignore_rng=True), "your model does not draw its weights from the rng you are "
     "given (a generator of its own, e.g. np.random.default_rng(0)?). Pass seed=rng to the layer "
     "and to the head, so that the seed of each run decides its weights."),
    (_build_slip(both=True), "the forget gate's bias came out as 2 * forget_bias: the cell uses "
     "bias_ih + bias_hh, so setting both counts it twice. Set bias_ih[H:2H] to the value and "
     "bias_hh[H:2H] to 0."),
    (_build_slip(keep_hh=True), "bias_hh still adds its own numbers to the forget gate: set "
     "bias_hh[H:2H] to 0 so that bias_ih + bias_hh equals forget_bias."),
    (_build_slip(block=0), "you changed the input gate (rows 0:H). In PyTorch's order i, f, g, o "
     "the forget gate is the second block: rows H:2H."),
    (_build_slip(block=2), "you changed the candidate g (rows 2H:3H). In PyTorch's order i, f, "
     "g, o the forget gate is the second block: rows H:2H."),
    (_build_slip(no_bias=True), "the forget_bias argument has no effect: when it is not None, "
     "set the forget gate's bias (rows H:2H) to it."),
]


def _build_diagnosis(got, args):
    explanation = known_mistakes([(_building(v), w) for v, w in _BUILD_MISTAKES],
                                 rtol=1e-10, atol=1e-12)(got, args)
    if explanation:
        return explanation
    cell = args[0]
    for other in ("RNN", "LSTM", "GRU"):
        if other != cell:
            variant = _building(_build_slip(cell_as=other))
            if known_mistakes([(variant, "")], rtol=1e-10, atol=1e-12)(got, args) is not None:
                return (f"asked for {cell!r}, your function built a {other} layer: pick the "
                        "class from the cell's name (rnnlib.cell_layer(cell) does it).")
    return None


def check_build_model(fn) -> CheckResult:
    """Check ``fn(cell, hidden_size, rng, forget_bias=None) -> model`` on five settings: the
    model's scores on a fixed input and what it drew from ``rng`` must equal the reference's."""
    return run_check("build_model", _building(fn) if callable(fn) else fn,
                     _building(cap.build_model), BUILD_CASES, rtol=1e-10, atol=1e-12,
                     output_names=["the scores on a test input (T, B, N_CLASSES)",
                                   "the generator's next numbers after building"],
                     diagnose=_build_diagnosis,
                     shape_hint="the copy task needs a score for each of cap.N_CLASSES classes "
                                "at every step: rnnlib.RecurrentNetwork(layer, head) with the "
                                "default many_to_one=False, and a head "
                                "rnnlib.Linear(hidden_size, cap.N_CLASSES).")


# ---- exercise 2: the training loop -----------------------------------------------------------

#: (cell, seed, T, steps, batch size, max_norm); small problems, clipping active in many steps
TRAIN_CASES = [("GRU", 0, 9, 8, 4, 0.5), ("LSTM", 1, 11, 6, 3, 0.3), ("RNN", 2, 7, 10, 5, 1.0)]
TRAIN_HIDDEN, TRAIN_LR = 5, 0.05


def _training(fn):
    """fn as the check runs it: a fresh seeded model and Adam, then (losses, parameters)."""
    def run(cell, seed, T, steps, batch_size, max_norm):
        rng = np.random.default_rng(seed)
        model = cap.build_model(cell, TRAIN_HIDDEN, rng)
        opt = Adam(model.params, lr=TRAIN_LR)
        losses = fn(model, opt, rng, steps, T, batch_size, max_norm)
        if losses is None:
            return None
        try:
            raw = np.asarray(losses)
            if np.iscomplexobj(raw) or raw.dtype.kind not in "biuf":
                raise TypeError
            losses = raw.astype(np.float64).ravel()
        except (TypeError, ValueError):
            raise AnswerError("return the list of the batch losses (one float per step)."
                              ) from None
        return losses, np.concatenate([np.ravel(p) for p in model.params.values()])
    return run


def _train_slip(*, clip_after=False, accumulate=False, reduction="mean", mask=True,
                same_batch=False, fixed_rng=False, batch_sum=False):
    """The reference loop with one classic slip switched on (for the diagnoses and tests)."""
    def train(model, opt, rng, steps, T, batch_size, max_norm):
        losses, total = [], None
        first = cap.copy_batch(T, batch_size, rng) if same_batch else None
        for _ in range(steps):
            if same_batch:
                x, y = first
            elif fixed_rng:
                x, y = cap.copy_batch(T, batch_size, np.random.default_rng(0))
            else:
                x, y = cap.copy_batch(T, batch_size, rng)
            logits, _, cache = model.forward(x)
            loss, dlogits = softmax_cross_entropy(logits, y, reduction=reduction,
                                                  mask=cap.recall_mask(y) if mask else None)
            if batch_sum:                        # summed over the sequences, not averaged
                loss, dlogits = loss * batch_size, dlogits * batch_size
            _, _, grads = model.backward(dlogits, cache)
            if accumulate:                       # never reset: the sum of all so far
                total = grads if total is None else {k: total[k] + grads[k] for k in grads}
                grads = {k: g.copy() for k, g in total.items()}
            if not clip_after:
                clip_grad_norm(grads, max_norm)
            opt.step(grads)
            if clip_after:
                clip_grad_norm(grads, max_norm)  # too late: the step has been taken
            losses.append(loss)
        return losses
    return train


_TRAIN_MISTAKES = [
    (_train_slip(clip_after=True), "each step used the unclipped gradient: the clipping is "
     "missing, or it comes after opt.step(grads), when the step has already been taken. Call "
     "rnnlib.clip_grad_norm(grads, max_norm) between backward and the step."),
    (_train_slip(accumulate=True), "your gradients are added up over all the steps so far: "
     "each update must use only its own batch's gradient (in PyTorch the same slip is a "
     "missing optimizer.zero_grad())."),
    (_train_slip(batch_sum=True), "the loss is summed over the sequences of the batch where it "
     "should be averaged: a gradient batch_size times larger, which the clipping then cuts "
     "differently. Use rnnlib.softmax_cross_entropy(..., reduction=\"mean\", mask=...)."),
    (_train_slip(mask=False), "your loss averages over all T steps, most of them blanks that "
     "are trivial to predict. Count only the recall steps: mask=cap.recall_mask(y)."),
    (_train_slip(mask=False, reduction="sum"), "your loss sums over all T steps: count only "
     "the recall steps (mask=cap.recall_mask(y)) and average them (reduction=\"mean\")."),
    (_train_slip(same_batch=True), "every step trained on the same batch, drawn once before the "
     "loop: draw a fresh batch from rng inside the loop, at every step."),
    (_train_slip(fixed_rng=True), "every step trained on the same batch: a new generator "
     "(np.random.default_rng(0)) made at every step repeats its numbers. Draw every batch from "
     "the rng you are given: cap.copy_batch(T, batch_size, rng)."),
]


def _train_diagnosis_for(fn):
    known = known_mistakes([(_training(v), w) for v, w in _TRAIN_MISTAKES],
                           rtol=1e-10, atol=1e-12)

    def diagnose(got, args):
        explanation = known(got, args)
        if explanation:
            return explanation
        again = _training(fn)(*copy.deepcopy(args))       # the same seed, a second time
        if again is not None and not all(np.array_equal(a, b) for a, b in zip(again, got,
                                                                               strict=False)):
            return ("two runs with the same seed gave different results: your batches are not "
                    "drawn from the rng you are given (data.copy_task(..., seed=None) or "
                    "np.random.default_rng() are unseeded). Use cap.copy_batch(T, batch_size, "
                    "rng).")
        return None
    return diagnose


def check_train_steps(fn, quiet=False) -> CheckResult:
    """Check ``fn(model, opt, rng, steps, T, batch_size, max_norm) -> losses`` on three seeded
    small problems (a GRU, an LSTM, a vanilla RNN): the losses and every parameter after
    training must equal the reference's to 1e-10, and on a longer run the loss must fall."""
    if not callable(fn):
        return run_check("train_steps", fn, None, TRAIN_CASES, quiet=quiet)
    result = run_check("train_steps", _training(fn), _training(cap.train_steps), TRAIN_CASES,
                       rtol=1e-10, atol=1e-12, output_names=["the losses", "the parameters"],
                       quiet=quiet, diagnose=_train_diagnosis_for(fn))
    if result.passed and not quiet:
        losses, _ = _training(fn)("GRU", 5, 9, 160, 16, 1.0)
        first, last = float(np.mean(losses[:20])), float(np.mean(losses[-20:]))
        falling = last < 0.5 * first
        print(f"   Your loop on a longer run (GRU, T = 9, 160 steps): mean loss of the first 20 "
              f"steps {first:.2f}, of the last 20 {last:.2f}"
              + (" (falling)." if falling else " (not falling!)"))
        if not falling:
            text = ("❌ train_steps: the loss did not fall on a longer run. Look at the learning "
                    "step: is opt.step(grads) called with this batch's gradient?")
            print(text)
            return CheckResult(False, "wrong", text, result.cases_run, exercise="train_steps")
    return result


# ---- exercise 3: the experiment --------------------------------------------------------------

#: (configs, seeds, steps, T, eval_every); small enough to run in a second
EXPERIMENT_CASES = [
    ({"GRU": ("GRU", None), "LSTM+fb": ("LSTM", 3.0)}, (0, 1), 8, 9, 4),
    ({"RNN": ("RNN", None), "LSTM": ("LSTM", None)}, (3, 5), 6, 7, 3),
]


def _experimenting(fn):
    """fn as the check runs it, with the reference builder and loop; its dict as a tuple of
    curves in the reference's order."""
    def run(configs, seeds, steps, T, eval_every):
        curves = fn(cap.build_model, cap.train_steps, configs, seeds, steps, T, eval_every)
        if curves is None:
            return None
        if not isinstance(curves, dict):
            raise AnswerError(f"return a dict {{(name, seed): list of held-out losses}}, got "
                              f"{type(curves).__name__}.")
        wanted = [(name, seed) for name in configs for seed in seeds]
        missing = [k for k in wanted if k not in curves]
        if missing:
            raise AnswerError(f"the dict has no entry for {missing[0]!r}; its keys should be "
                              f"(name, seed) pairs such as {wanted[0]!r}.")
        try:
            out = tuple(np.asarray(curves[k]) for k in wanted)
            if any(np.iscomplexobj(c) or c.dtype.kind not in "biuf" for c in out):
                raise TypeError
            return tuple(c.astype(np.float64) for c in out)
        except (TypeError, ValueError):
            raise AnswerError("each entry should be a list of held-out losses (floats).") \
                from None
    return run


def _experiment_slip(*, shared_rng=False, seed_unused=False, no_first=False, train_batch=False,
                     no_bias=False, one_optimizer=False, fresh_held=False):
    """The reference experiment with one classic slip switched on."""
    def experiment(build, train, configs, seeds, steps, T, eval_every):
        held = cap.held_out_set(T)
        curves = {}
        rng = np.random.default_rng(seeds[0])
        for name, (cell, forget_bias) in configs.items():
            opt = None
            for seed in seeds:
                if not shared_rng:
                    rng = np.random.default_rng(seeds[0] if seed_unused else seed)
                model = build(cell, cap.HIDDEN, rng, None if no_bias else forget_bias)
                if opt is None or not one_optimizer:
                    opt = Adam(model.params, lr=cap.LR)
                if fresh_held:
                    held = cap.copy_batch(T, cap.N_EVAL, rng)
                curve = [] if no_first else [cap.held_out_loss(model, held)]
                for _ in range(steps // eval_every):
                    train(model, opt, rng, eval_every, T, cap.BATCH, cap.MAX_NORM)
                    if train_batch:
                        held = cap.copy_batch(T, cap.BATCH, rng)
                    curve.append(cap.held_out_loss(model, held))
                curves[(name, seed)] = curve
        return curves
    return experiment


_EXPERIMENT_MISTAKES = [
    (_experiment_slip(shared_rng=True), "one generator serves every run: each run must start "
     "from its own np.random.default_rng(seed), made inside the loop over the seeds, so that a "
     "run depends only on its seed (and not on the runs before it)."),
    (_experiment_slip(seed_unused=True), "every seed gave the same run: make each run's "
     "generator from its own seed, np.random.default_rng(seed)."),
    (_experiment_slip(no_bias=True), "the configurations with a forget bias were built without "
     "it: pass forget_bias on to build(cell, cap.HIDDEN, rng, forget_bias)."),
    (_experiment_slip(one_optimizer=True), "the runs of one configuration share one optimiser, "
     "made for the first run's parameters: make a new rnnlib.Adam(model.params, lr=cap.LR) for "
     "every model."),
    (_experiment_slip(fresh_held=True), "each run is measured on held-out sequences of its own, "
     "drawn from its rng: measure every run on the same set, held = cap.held_out_set(T), made "
     "once before the loops."),
    (_experiment_slip(train_batch=True), "the curve is measured on fresh batches instead of the "
     "fixed held-out set: use cap.held_out_loss(model, held) with held = cap.held_out_set(T)."),
]


def check_run_experiment(fn) -> CheckResult:
    """Check ``fn(build, train, configs, seeds, steps, T, eval_every) -> {(name, seed): curve}``
    on two small experiments run with the reference builder and loop: every curve must equal
    the reference's to 1e-10."""
    def reference(*args):
        return _experimenting(cap.run_experiment)(*args)

    def diagnose(got, args):
        mistakes = [(_experimenting(v), w) for v, w in _EXPERIMENT_MISTAKES]
        found = known_mistakes(mistakes, rtol=1e-10, atol=1e-12)(got, args)
        if found:
            return found
        expected = reference(*args)
        if len(got) == len(expected) and all(len(g) == len(e) - 1 for g, e in
                                             zip(got, expected, strict=False)):
            return ("each curve is one point short: measure the held-out loss before the first "
                    "step too (the point at step 0), then after every eval_every steps.")
        return None

    return run_check("run_experiment", _experimenting(fn) if callable(fn) else fn, reference,
                     EXPERIMENT_CASES, rtol=1e-10, atol=1e-12,
                     output_names=[f"the curve of run {k} (configurations outer, seeds inner)"
                                   for k in range(1, 5)], diagnose=diagnose,
                     shape_hint="each curve has 1 + steps // eval_every points: the held-out "
                                "loss before the first step, then after every eval_every "
                                "steps.")


# ---- exercise 4: the verdict -----------------------------------------------------------------

def _verdict_answer(solved_by, forget_bias, names):
    """The learner's verdict as numbers: (1/0 per configuration, index of the effect)."""
    if solved_by is None or solved_by is Ellipsis or forget_bias is None \
            or forget_bias is Ellipsis:
        raise NotImplementedError
    if isinstance(solved_by, str):
        solved_by = [solved_by] if solved_by.strip().lower() not in ("", "none") else []
    try:
        chosen = [str(s).strip() for s in solved_by]
    except TypeError:
        raise AnswerError("solved_by should be a list of names, e.g. [\"RNN\", \"GRU\"] (or [] "
                          "if no configuration solved the task).") from None
    lower = {n.lower(): n for n in names}
    unknown = [c for c in chosen if c.lower() not in lower]
    if unknown:
        raise AnswerError(f"{unknown[0]!r} is not one of the configurations "
                          f"{', '.join(names)}.")
    if not isinstance(forget_bias, str) or forget_bias.strip().lower() not in EFFECTS:
        raise AnswerError(f"forget_bias should be one of {', '.join(map(repr, EFFECTS))}, got "
                          f"{forget_bias!r}.")
    picked = {lower[c.lower()] for c in chosen}
    return (np.array([float(n in picked) for n in names]),
            float(EFFECTS.index(forget_bias.strip().lower())))


def _verdict_cases():
    """Result tables with known verdicts, for checking a verdict *rule* (a function)."""
    b = cap.BASELINE
    at, below, solved = [2.0, b], [2.0, 0.5 * b], [2.0, 0.05 * b]
    tables = [
        {"RNN": (at, at, at), "LSTM": (at, below, at), "GRU": (solved,) * 3,
         "LSTM+fb": (below, solved, at)},
        {"RNN": (solved, solved, below), "LSTM": (solved,) * 3, "GRU": (solved,) * 3,
         "LSTM+fb": (solved, solved, at)},
        {"RNN": (at, at), "LSTM": (below, below), "GRU": (below, at), "LSTM+fb": (at, at)},
    ]
    return [(cap.Results({(name, seed): curve for name, runs in table.items()
                          for seed, curve in enumerate(runs)}),) for table in tables]


def check_verdict(solved_by, forget_bias=None, results=None) -> CheckResult:
    """Check the learner's verdict against ``results`` (a :class:`rnnlib.demos.capstone.Results`):
    ``solved_by``, the configurations that solved the task in every seed, and ``forget_bias``,
    one of :data:`EFFECTS`. ``...`` means "not written yet".

    ``check_verdict(rule)`` with a function ``rule(results) -> (solved_by, forget_bias)`` checks
    the rule on three result tables with known verdicts instead (and on ``results`` too, when
    given)."""
    if callable(solved_by):                              # a rule, checked on several tables
        rule = solved_by
        cases = _verdict_cases() + ([(results,)] if results is not None else [])

        def learner(table):
            out = rule(table)
            if out is None:
                return None
            if not (isinstance(out, tuple) and len(out) == 2):
                raise AnswerError("return a pair (solved_by, forget_bias).")
            return _verdict_answer(out[0], out[1], table.names)

        def reference(table):
            return _verdict_answer(table.solved_by(), table.forget_bias_effect(), table.names)

        return run_check("verdict", learner, reference, cases,
                         output_names=["solved by (1 = yes, per configuration)",
                                       "the forget bias (index in EFFECTS)"],
                         diagnose=lambda got, args: _verdict_diagnosis(got, args[0]))
    if results is None or any(v is None or v is Ellipsis for v in (solved_by, forget_bias)):
        text = ("⏳ verdict: not written yet. Read the table of results, fill in solved_by and "
                "forget_bias above, then run this cell again.")
        print(text)
        result = CheckResult(False, "not attempted", text, 0, exercise="verdict")
        _record(result)
        return result
    names = results.names

    def learner():
        return _verdict_answer(solved_by, forget_bias, names)

    def reference():
        return _verdict_answer(results.solved_by(), results.forget_bias_effect(), names)

    return run_check("verdict", learner, reference, [()],
                     output_names=[f"solved by (1 = yes, for {', '.join(names)})",
                                   f"the forget bias (0 = {EFFECTS[0]}, 1 = {EFFECTS[1]}, "
                                   f"2 = {EFFECTS[2]})"],
                     diagnose=lambda got, args: _verdict_diagnosis(got, results))


def _verdict_diagnosis(got, results):
    """Which part of the verdict disagrees with ``results``, in words."""
    flags, chosen_effect = got
    measured, effect = results.solved_by(), results.forget_bias_effect()
    lines = []
    for n, flag in zip(results.names, flags, strict=True):
        if bool(flag) != (n in measured):
            lines.append(f"{n} solved the task in {results.count(n)} of {len(results.seeds)} "
                         "seeds" + (", so it does not count" if flag else ", so it counts"))
    if EFFECTS[int(chosen_effect)] != effect:
        lines.append(f"the forget bias: the LSTM solved the task in {results.count('LSTM')} "
                     f"of {len(results.seeds)} seeds, the LSTM+fb in "
                     f"{results.count('LSTM+fb')}")
    return "; ".join(lines) + "." if lines else None
