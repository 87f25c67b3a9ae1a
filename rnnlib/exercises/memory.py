"""Exercises of notebook 06 (long-range memory), with their checks and reference solutions.

1. ``check_copy_baseline(fn)``: ``fn(n_symbols, length, delay) -> float``, the cross-entropy per
   step (nats) of the best copy-task model that remembers nothing.
2. ``check_forget_bias(fn)``: ``fn(params, hidden_size, value) -> params``, an LSTM's parameter
   dict whose forget gate starts at sigma(value) (the forget-gate bias trick).

Each check runs the learner's function on fresh inputs, compares with the reference, and names
the usual mistakes (bits instead of nats, a miscounted sequence length, the wrong block of rows,
a bias counted twice, ...). Every check has three hint levels (:data:`HINTS`):
``hint(ex.check_copy_baseline, 2)``; level 4 prints the reference solution.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..data import copy_task_baseline
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = ["HINTS", "check_copy_baseline", "check_forget_bias", "solution_copy_baseline",
           "solution_forget_bias"]


#: three levels of help per exercise: the idea, the formula, a skeleton of the code
HINTS = {
    "check_copy_baseline": (
        "A model with no memory still knows the layout of the sequence. Where the answer is "
        "certain (every blank step) it loses nothing; on each answer step it can only guess "
        "among the symbols. The baseline is the average loss over all T steps.",
        """\
        T        = length + delay + 1 + length        (symbols, blanks, go marker, answers)
        loss     = 0 on the length + delay + 1 steps whose target is certain
                   ln(n_symbols) on each of the length answer steps (a uniform guess, in nats)
        baseline = length * ln(n_symbols) / T""",
        """\
        def copy_baseline(n_symbols, length, delay):
            T = ...                                  # every step of the sequence
            per_answer = math.log(...)               # natural log: nats
            return ... / T"""),
    "check_forget_bias": (
        "An LSTM's gates are stacked in blocks of H rows in PyTorch's order i, f, g, o, so the "
        "forget gate owns rows H:2H of each bias vector. The cell adds bias_ih and bias_hh, so "
        "it is their sum that must equal the value. Change a copy; leave everything else alone.",
        """\
        forget-gate rows:   H:2H   (block 1 of i, f, g, o)
        new bias_ih[H:2H] = value
        new bias_hh[H:2H] = 0               so that bias_ih + bias_hh = value and f = σ(value + ...)
        every other entry and both weight matrices unchanged""",
        """\
        def set_forget_bias(params, hidden_size, value):
            H = hidden_size
            new = {k: v.copy() for k, v in params.items()}
            new["bias_ih"][...] = ...
            new["bias_hh"][...] = ...
            return new"""),
}


# ---- reference solutions ---------------------------------------------------------------------

def solution_copy_baseline(n_symbols, length, delay):
    T = 2 * length + delay + 1              # symbols, blanks, the go marker, the answer
    # Blank steps are certain (loss 0); each answer step is a uniform guess (loss ln n_symbols).
    return length * math.log(n_symbols) / T


def solution_forget_bias(params, hidden_size, value):
    H = hidden_size
    new = {k: v.copy() for k, v in params.items()}
    new["bias_ih"][H:2 * H] = value         # block 1 of i, f, g, o: the forget gate
    new["bias_hh"][H:2 * H] = 0.0           # the two biases add up: keep their sum = value
    return new


# ---- exercise 1: the copy-task baseline ------------------------------------------------------

_COPY_MISTAKES = [
    (lambda n, L, d: L * math.log2(n) / (2 * L + d + 1),
     "you used log base 2 (bits). The course measures cross-entropy in nats: use math.log "
     "(natural logarithm), as rnnlib's losses do."),
    (lambda n, L, d: math.log(n),
     "ln(n_symbols) is the loss on one answer step. The baseline is the mean over all T steps "
     "of the sequence, most of which are blanks the model predicts with certainty (loss 0)."),
    (lambda n, L, d: L * math.log(n) / (L + d + 1),
     "count every step of the sequence: the symbols (length), the blanks (delay), the go marker "
     "(1) and the answer (length again): T = 2 * length + delay + 1."),
    (lambda n, L, d: L * math.log(n) / (2 * L + d),
     "you left out the go marker's step: T = 2 * length + delay + 1."),
    (lambda n, L, d: L * math.log(n + 2) / (2 * L + d + 1),
     "on an answer step the model knows a symbol is due (never the blank or go), so it guesses "
     "among n_symbols classes, not n_symbols + 2."),
    (lambda n, L, d: (2 * L + d + 1) * math.log(n) / L,
     "your fraction is upside down: length * ln(n_symbols) / T."),
]


def _scalar_diagnose(name, fn, reference, cases, mistakes) -> CheckResult:
    return run_check(name, fn, reference, cases, output_names=["the baseline"],
                     diagnose=known_mistakes(mistakes, atol=1e-12))


def check_copy_baseline(fn) -> CheckResult:
    """Check ``fn(n_symbols, length, delay)`` against the reference on four settings."""
    cases = [(8, 5, 20), (4, 3, 18), (10, 1, 0), (3, 4, 50)]
    return _scalar_diagnose("Copy-task baseline", fn, copy_task_baseline, cases,
                            mistakes=_COPY_MISTAKES)


# ---- exercise 2: the forget-gate bias --------------------------------------------------------

def _forget_bias_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for D, H, value in ((2, 4, 1.0), (3, 1, 3.0), (1, 5, -2.0)):
        params = {"weight_ih": rng.standard_normal((4 * H, D)),
                  "weight_hh": rng.standard_normal((4 * H, H)),
                  "bias_ih": rng.standard_normal(4 * H), "bias_hh": rng.standard_normal(4 * H)}
        cases.append((params, H, value))
    return cases


_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _summarise(params, H):
    """What matters about an LSTM's parameters here: the total bias per row (b_ih + b_hh is all
    the cell ever uses) and the weights."""
    if not isinstance(params, dict) or any(k not in params for k in _KEYS):
        return params  # let run_check (or the key check) explain: None, a tuple, ...
    b_ih, b_hh = np.asarray(params["bias_ih"]), np.asarray(params["bias_hh"])
    if b_ih.shape != (4 * H,) or b_hh.shape != (4 * H,):   # report the wrong shape as such
        total = b_ih if b_ih.shape != (4 * H,) else b_hh
    else:
        total = b_ih + b_hh
    return (total,
            np.asarray(params["weight_ih"]), np.asarray(params["weight_hh"]))


def _reference_forget_bias(params, H, value):
    """What the check compares, written down directly: the total bias with the forget gate's
    rows at ``value``, and the weights as they were."""
    total = params["bias_ih"] + params["bias_hh"]
    total[H:2 * H] = value
    return total, params["weight_ih"].copy(), params["weight_hh"].copy()


def check_forget_bias(fn, seed=0) -> CheckResult:
    """Check ``fn(params, hidden_size, value) -> params``: the forget gate's total bias
    (bias_ih + bias_hh, rows H:2H) equals ``value``; every other number is unchanged."""
    cases = _forget_bias_cases(seed)
    name = "Forget-gate bias"
    if not callable(fn):
        return run_check(name, fn, None, cases)          # explains "not a function"
    try:        # a dict with keys missing gets its own message (run_check would see a dict)
        with np.errstate(all="ignore"):
            first = fn(*copy.deepcopy(cases[0]))
    except BaseException:  # noqa: BLE001 - run_check runs it again and explains
        first = None
    if isinstance(first, dict) and any(k not in first for k in _KEYS):
        missing = [k for k in _KEYS if k not in first]
        text = (f"❌ {name}: the dict you returned has no {', '.join(missing)}. Return the whole "
                "parameter dict (a changed copy of params, or params itself after changing it)."
                "\n   Hint: start from new = {k: v.copy() for k, v in params.items()}.")
        print(text)
        return CheckResult(False, "type", text, 1, exercise=name)

    def learner(params, H, value):
        return _summarise(fn(params, H, value), H)

    return run_check(name, learner, _reference_forget_bias, cases, diagnose=_forget_bias_diagnosis,
                     output_names=["the total bias bias_ih + bias_hh", "weight_ih", "weight_hh"])


def _forget_bias_diagnosis(got, args):
    """Name the mistake from the learner's (total bias, weight_ih, weight_hh) on one case."""
    params, H, value = args
    total_before = params["bias_ih"] + params["bias_hh"]
    total = np.asarray(got[0], dtype=float)
    if total.shape != total_before.shape:
        return None
    changed = [k for k in range(4) if not np.allclose(total[k * H:(k + 1) * H],
                                                      total_before[k * H:(k + 1) * H])]
    names = ["input gate i", "forget gate f", "candidate g", "output gate o"]
    if changed and 1 not in changed:
        return (f"you changed the {names[changed[0]]} (rows {changed[0] * H}:"
                f"{(changed[0] + 1) * H}). In PyTorch's order i, f, g, o the forget gate is the "
                f"second block: rows H:2H.")
    if np.allclose(total[H:2 * H], 2 * value):
        return ("the forget gate's bias came out as 2 * value: the cell uses bias_ih + bias_hh, "
                "so setting both to value counts it twice. Set one to value and the other to 0.")
    if np.allclose(total[H:2 * H], value + params["bias_hh"][H:2 * H]):
        return ("bias_hh still adds its own numbers to the forget gate: the cell uses "
                "bias_ih + bias_hh, so set bias_hh[H:2H] to 0 (or split value between the two).")
    if len(changed) > 1:
        return "only the forget gate's rows (H:2H) should change; other gates' biases moved too."
    if not (np.allclose(got[1], params["weight_ih"]) and np.allclose(got[2], params["weight_hh"])):
        return "leave the weights alone: only the forget gate's bias changes."
    return None
