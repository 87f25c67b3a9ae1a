"""The engine behind every exercise check: run, compare, explain."""

from __future__ import annotations

import copy
import inspect
import textwrap
import traceback
from dataclasses import dataclass, field

import numpy as np


@dataclass
class CheckResult:
    """What a check found. ``passed`` is True only when every case matched.
    ``status`` is one of "passed", "not attempted", "error", "none", "type", "shape", "nan",
    "wrong"; ``message`` is what was printed."""

    passed: bool
    status: str
    message: str
    cases_run: int = 0
    details: dict = field(default_factory=dict)

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        """Already printed by the check: show nothing more when it ends a notebook cell."""

    def __repr__(self):
        return f"CheckResult(passed={self.passed}, status={self.status!r})"


def _fmt(a, limit=6):
    arr = np.asarray(a, dtype=np.float64).ravel()
    body = ", ".join(f"{v:.4g}" for v in arr[:limit])
    return f"[{body}{', ...' if arr.size > limit else ''}]"


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def known_mistakes(mistakes, rtol=1e-6, atol=1e-8):
    """A ``diagnose`` function for :func:`run_check` from (variant, explanation) pairs: when the
    learner's output equals ``variant(*args)`` (a classic slip, written as code), the
    explanation is the hint."""
    def diagnose(got, args):
        got = _as_tuple(got)
        for variant, explanation in mistakes:
            expected = _as_tuple(variant(*copy.deepcopy(args)))
            if len(expected) == len(got) and all(
                    np.shape(g) == np.shape(e)
                    and np.allclose(np.asarray(g, dtype=float), e, rtol=rtol, atol=atol)
                    for g, e in zip(got, expected)):
                return explanation
        return None
    return diagnose


def run_check(name, learner_fn, reference_fn, cases, hint="", rtol=1e-6, atol=1e-8,
              output_names=None, quiet=False, diagnose=None, shape_hint=None) -> CheckResult:
    """Run ``learner_fn`` and ``reference_fn`` on every case and compare their outputs.

    Args:
        name: the exercise's title, used in the messages.
        learner_fn: the learner's function.
        reference_fn: the reference solution, same signature.
        cases: a list of argument tuples (fresh inputs; each function gets its own deep copy,
            so an in-place edit by the learner cannot change the reference's inputs).
        hint: one sentence printed when the answer is wrong.
        output_names: names of the outputs when the function returns a tuple (for messages).
        quiet: return the result without printing.
        diagnose: optional ``diagnose(got, args) -> str | None``, called when the answer is
            wrong or not finite, naming *which* mistake it is (see :func:`known_mistakes`); its
            sentence replaces ``hint``. A failing diagnosis is ignored.
        shape_hint: optional hint for a wrong shape, instead of ``hint``.

    Returns:
        CheckResult (truthy when passed). Never raises.
    """
    def report(passed, status, message, k=0, specific=None, **details):
        text = ("✅ " if passed else "❌ " if status != "not attempted" else "⏳ ") + message
        advice = specific or (shape_hint if status == "shape" else None) or hint
        if not passed and advice and status != "not attempted":
            text += f"\n   Hint: {advice}"
        if not quiet:
            print(text)
        return CheckResult(passed, status, text, k, details)

    if not callable(learner_fn):
        return report(False, "type", f"{name}: expected a function, got "
                      f"{type(learner_fn).__name__}. Pass the function itself, without ().")
    for k, args in enumerate(cases, start=1):
        expected = _as_tuple(reference_fn(*copy.deepcopy(args)))
        try:
            with np.errstate(all="ignore"):
                got = learner_fn(*copy.deepcopy(args))
        except NotImplementedError:
            return report(False, "not attempted", f"{name}: not attempted yet. Replace the "
                          "`raise NotImplementedError` with your code, then run this check again.")
        except Exception as exc:  # the learner's bug, explained, not re-raised
            frames = traceback.extract_tb(exc.__traceback__)
            line = (frames[-1].line or "").strip() if frames else ""
            where = f" (at `{line}`)" if line else ""
            return report(False, "error", f"{name}: your function raised "
                          f"{type(exc).__name__}: {exc}{where} on test case {k}.", k)
        def why():
            """The diagnosis of a wrong or non-finite answer on this case, if any."""
            if diagnose is None:
                return None
            try:
                with np.errstate(all="ignore"):
                    return diagnose(got_raw, copy.deepcopy(args))
            except Exception:  # the diagnosis is a bonus: it never breaks the check
                return None
        got_raw = got
        if got is None:
            return report(False, "none", f"{name}: your function returned None. Did you forget "
                          "the `return` statement?", k)
        got = _as_tuple(got)
        names = output_names or [f"output {i + 1}" for i in range(len(expected))]
        if len(got) != len(expected):
            return report(False, "type", f"{name}: expected {len(expected)} return value(s) "
                          f"({', '.join(names)}), got {len(got)}.", k)
        for label, g, e in zip(names, got, expected):
            if isinstance(g, (str, bytes)):
                return report(False, "type", f"{name}: {label} should be a number or an array "
                              f"of numbers, got the text {g!r}.", k)
            try:
                g_arr = np.asarray(g, dtype=np.float64)
            except (TypeError, ValueError):
                return report(False, "type", f"{name}: {label} should be a numpy array of numbers,"
                              f" got {type(g).__name__}.", k)
            e_arr = np.asarray(e, dtype=np.float64)
            if g_arr.shape != e_arr.shape:
                return report(False, "shape", f"{name}: {label} has shape {g_arr.shape}, expected "
                              f"{e_arr.shape} (test case {k}).", k, got=g_arr.shape,
                              expected=e_arr.shape)
            if not np.all(np.isfinite(g_arr)) and np.all(np.isfinite(e_arr)):
                return report(False, "nan", f"{name}: {label} contains NaN or inf, expected finite "
                              f"numbers (test case {k}). Look for a division by zero, a log of "
                              "0, or an exp that overflows.", k, specific=why())
            if not np.allclose(g_arr, e_arr, rtol=rtol, atol=atol, equal_nan=True):
                diff = float(np.nanmax(np.abs(g_arr - e_arr)))
                return report(False, "wrong", f"{name}: {label} is not right on test case {k}.\n"
                              f"   expected {_fmt(e_arr)}\n   got      {_fmt(g_arr)}\n"
                              f"   largest difference {diff:.3g}", k, specific=why(),
                              max_abs_diff=diff)
    return report(True, "passed", f"{name}: correct on all {len(cases)} test cases. Well done!",
                  len(cases))


def solution(fn) -> None:
    """Print the source of a reference solution (pass the function, e.g.
    ``solution(ex.solution_rnn_step)``)."""
    print(textwrap.dedent(inspect.getsource(fn)))
