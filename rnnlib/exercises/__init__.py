"""Self-checks for the notebooks' exercises, one module per topic
(``unfolding`` serves notebooks 00 and 01).

Checks
    Each ``check_*`` function runs the learner's function on fresh inputs, compares it with a
    reference solution and prints specific, friendly feedback. It never raises: a wrong shape, an
    exception inside the learner's code, a NaN, a missing ``return``, an answer that runs too
    long (each check allows ``rnnlib.exercises._feedback.TIME_LIMIT`` seconds, 10 by default,
    or ``RNNLIB_CHECK_TIME_LIMIT`` from the environment), float32 or torch answers each get
    their own message. An answer in float32 passes at float32 precision, and the check says
    that precision is the only difference.

Hints in three levels
    A failed check prints the first hint, the idea, and says how to ask for more::

        from rnnlib.exercises import hint, solution
        hint(ex.check_bptt, 2)      # the formula
        hint(ex.check_bptt, 3)      # a skeleton of the code
        hint(ex.check_bptt, 4)      # the reference solution (same as solution(ex.solution_bptt))

    A topic module provides them as ``HINTS = {"check_bptt": (idea, formula, skeleton)}``;
    ``run_check`` finds the entry of the calling ``check_*`` function by itself (or takes
    ``hints=(idea, formula, skeleton)``; the older single ``hint=`` still works).

Predict, then run
    ``predict(name, guess, actual, *, rel_tol=None, choices=None, explain="")`` compares a
    prediction stored in a variable before a cell runs with what rnnlib computed, prints how
    close it was and the explanation, and never raises::

        my_guess = ...                       # the learner writes a number here first
        predict("size of delta_1", my_guess, actual, explain="each step multiplies by ...")

    ``guess`` of ``None`` or ``...`` means "not predicted yet". With ``choices=("RNN", "LSTM")``
    the guess must be one of them. Numbers count as right within ``rel_tol`` (relative), by
    default within a factor of 3 (the right order of magnitude).

``solution(fn)`` prints the source of a reference solution. A check that adapts the learner's
answer before comparing it (e.g. a returned dict of parameters run through a network) raises
``AnswerError(message, status)`` from its adapter to report what kind of answer was expected.
"""

from ._feedback import (
    HINT_LEVELS,
    AnswerError,
    CheckResult,
    hint,
    known_mistakes,
    predict,
    run_check,
    solution,
)

__all__ = ["AnswerError", "CheckResult", "HINT_LEVELS", "hint", "known_mistakes", "predict",
           "run_check", "solution"]
