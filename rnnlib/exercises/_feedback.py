"""The engine behind every exercise check: run, compare, explain, and help in graded steps.

:func:`run_check` runs a learner's function beside a reference solution on fresh inputs and
prints one verdict. It is built to survive whatever a learner's code does:

- **Time.** Every check has a budget (:data:`TIME_LIMIT` seconds for all its test cases). On the
  main thread of a POSIX system (a Jupyter kernel, a script) an alarm stops a runaway answer when
  the budget is spent; elsewhere the time is measured after the answer returns and the check
  stops before the next case. Either way the kernel stays usable.
- **Precision.** An answer computed in float32 is compared at float32 precision; when that is the
  only difference from rnnlib's float64 numbers, the check passes and says so.
- **Odd answers.** torch tensors (also those that require grad), complex numbers, text, ragged
  lists, exceptions whose message cannot be printed, ``sys.exit()`` and Ctrl-C inside the answer
  each get a message instead of a traceback.
- **A protected reference.** The expected results are computed before the learner's code runs,
  with rnnlib (and numpy's top level) as they were when the exercises were imported; anything in
  rnnlib that the learner's code replaces (``RNN.forward = ...``) is put back afterwards.

Help comes in levels. A module of checks may define ``HINTS = {"check_name": (idea, formula,
skeleton)}``; a failed check prints the idea and says how to ask for more, and
:func:`hint` prints level 1, 2 or 3, then (level 4) the reference solution.
:func:`predict` judges a prediction written down before a cell runs.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import math
import os
import signal
import sys
import textwrap
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np


def _time_limit_from_environment(default=10.0):
    try:
        value = float(os.environ.get("RNNLIB_CHECK_TIME_LIMIT", default))
    except ValueError:
        return default
    return value if value > 0 else default


def _all_cases(n: int) -> str:
    """'all 4 test cases', or 'the test case' when there is one."""
    return "the test case" if n == 1 else f"all {n} test cases"


#: seconds each check may spend in the learner's code, over all its test cases
#: (``RNNLIB_CHECK_TIME_LIMIT`` in the environment sets it, e.g. for a grading run)
TIME_LIMIT = _time_limit_from_environment()

#: the names of the three hint levels, printed with them
HINT_LEVELS = ("the idea", "the formula", "a skeleton of the code")

#: relative and absolute tolerance for answers computed in float32 (its epsilon is 1.2e-7;
#: a few hundred roundings, as in a backward pass over a short sequence, stay far below this)
FLOAT32_RTOL = 1e-4
FLOAT32_ATOL = 1e-5


@dataclass
class CheckResult:
    """What a check found. ``passed`` is True only when every case matched.
    ``status`` is one of "passed", "not attempted", "error", "none", "type", "shape", "nan",
    "wrong", "timeout"; ``message`` is what was printed; ``exercise`` the check's title."""

    passed: bool
    status: str
    message: str
    cases_run: int = 0
    details: dict = field(default_factory=dict)
    exercise: str = ""

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        """Already printed by the check: show nothing more when it ends a notebook cell."""

    def __repr__(self):
        return f"CheckResult(passed={self.passed}, status={self.status!r})"


class AnswerError(Exception):
    """Raised by a check's adapter around the learner's function (e.g. one that turns a returned
    dict into arrays) to say what is wrong with the *kind* of answer; the check reports
    ``status`` ("type" or "shape") with this message and no code location."""

    def __init__(self, message, status="type"):
        super().__init__(message)
        self.status = status


# =============================================================================================
# Small, safe helpers


def _record(result: CheckResult) -> None:
    """Append the verdict to the file named by ``RNNLIB_GRADE_LOG``, if set: one JSON line per
    printed verdict, read by ``scripts/grade.py`` (a grading run sets it for each kernel)."""
    path = os.environ.get("RNNLIB_GRADE_LOG")
    if not path:
        return
    try:
        line = json.dumps({"exercise": result.exercise, "status": result.status,
                           "passed": bool(result.passed)}, ensure_ascii=False)
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
    except Exception:  # noqa: BLE001 - grading is a bonus: it never breaks a check
        pass


def _safe_str(obj, limit=300) -> str:
    """``str(obj)``, even when its ``__str__`` raises, shortened to ``limit`` characters."""
    try:
        text = str(obj)
    except BaseException:  # noqa: BLE001 - a learner's exception may raise anything here
        try:
            text = f"<{type(obj).__name__} whose message cannot be printed>"
        except BaseException:  # noqa: BLE001
            text = "<a message that cannot be printed>"
    return text if len(text) <= limit else text[:limit] + "..."


def _fmt(a, limit=6):
    try:
        arr = np.asarray(a, dtype=np.float64).ravel()
    except Exception:  # noqa: BLE001
        return _safe_str(a, 80)
    body = ", ".join(f"{v:.4g}" for v in arr[:limit])
    return f"[{body}{', ...' if arr.size > limit else ''}]"


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _to_numpy(value):
    """The learner's output as a numpy array, keeping its dtype; torch tensors (also those that
    require grad, or live on a GPU) are detached and copied first."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):       # a torch tensor, duck-typed
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _is_float32(raw, values):
    """Whether an output was computed in float32: its dtype, or (stored in a float64 array)
    every value exactly a float32 number."""
    if raw.dtype == np.float32:
        return True
    with np.errstate(all="ignore"):
        return bool(raw.dtype == np.float64 and np.array_equal(
            values.astype(np.float32).astype(np.float64), values, equal_nan=True))


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
                    and np.allclose(np.asarray(_to_numpy(g), dtype=float), e, rtol=rtol,
                                    atol=atol)
                    for g, e in zip(got, expected, strict=False)):
                return explanation
        return None
    return diagnose


# =============================================================================================
# A protected rnnlib: what the learner's code replaces is put back


def _namespaces():
    """The objects whose attributes a learner might replace: every loaded rnnlib module, the
    classes defined in them, and numpy's top level and linalg."""
    owners = [np, np.linalg]
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "rnnlib" or name.startswith("rnnlib.")):
            continue
        owners.append(module)
        for value in list(vars(module).values()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                owners.append(value)
    return owners


def _snapshot():
    return {id(owner): (owner, dict(vars(owner))) for owner in _namespaces()}


def _restore(snap, keep_new_modules=True):
    """Put back every attribute of ``snap`` that was replaced or deleted, and remove attributes
    added since (except submodules imported meanwhile and dunder names). Returns the dotted
    names that were changed."""
    changed = []
    for owner, saved in snap.values():
        current = vars(owner)
        label = getattr(owner, "__module__", None)
        label = (f"{label}.{owner.__qualname__}" if isinstance(owner, type)
                 else getattr(owner, "__name__", "?"))
        for key, value in saved.items():
            if key not in current or current[key] is not value:
                if key.startswith("__") and key.endswith("__") and key not in current:
                    continue
                with contextlib.suppress(Exception):
                    setattr(owner, key, value)
                    changed.append(f"{label}.{key}")
        for key in [k for k in list(current) if k not in saved]:
            value = current[key]
            if key.startswith("__") or (keep_new_modules and inspect.ismodule(value)):
                continue
            with contextlib.suppress(Exception):
                delattr(owner, key)
                changed.append(f"{label}.{key}")
    return changed


#: rnnlib and numpy as they were when the exercises were first imported (modules imported later
#: are added the first time a check sees them)
_PRISTINE = _snapshot()


@contextlib.contextmanager
def _pristine():
    """Run the reference with rnnlib as it was imported, then leave the learner's session as it
    was (including any patch made outside a check, which is the learner's own business)."""
    now = _snapshot()
    for key, entry in now.items():
        _PRISTINE.setdefault(key, (entry[0], dict(entry[1])))
    _restore({k: _PRISTINE[k] for k in now}, keep_new_modules=True)
    try:
        yield
    finally:
        _restore(now, keep_new_modules=True)


# =============================================================================================
# A time budget


class _OutOfTime(BaseException):
    """Raised by the alarm inside the learner's code (a BaseException, so that a learner's
    ``except Exception`` cannot swallow it)."""


@contextlib.contextmanager
def _alarm(seconds):
    """Interrupt the block after ``seconds`` with :class:`_OutOfTime`, where a POSIX alarm is
    available (main thread, no other timer running); otherwise do nothing (the caller measures
    the time afterwards). Yields whether the alarm is armed."""
    usable = (hasattr(signal, "setitimer") and seconds > 0
              and threading.current_thread() is threading.main_thread())
    if usable:
        try:
            usable = signal.getitimer(signal.ITIMER_REAL)[0] == 0   # someone else's timer: keep out
        except Exception:  # noqa: BLE001
            usable = False
    if not usable:
        yield False
        return

    def on_alarm(signum, frame):
        raise _OutOfTime

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, OSError):          # not allowed here after all
        yield False
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# =============================================================================================
# Hints, looked up from the check's own module


def _calling_check():
    """(check function name, its module's HINTS entry or None) for the nearest ``check_*``
    function on the call stack, or (None, None)."""
    frame = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        name = frame.f_code.co_name
        if name.startswith("check_"):
            table = frame.f_globals.get("HINTS")
            if isinstance(table, dict) and name in table:
                return name, tuple(table[name])
            if callable(frame.f_globals.get(name)):
                return name, None
        frame = frame.f_back
    return None, None


def _more_help(check_name, levels, after_diagnosis):
    """The line that says how to ask for the next hint level."""
    if not check_name or levels < 2:
        return ""
    call = f"hint(ex.{check_name}, {{}})"
    if after_diagnosis:
        return (f"More help: {call.format(1)} gives the idea, then 2 the formula, "
                f"3 a skeleton of the code.")
    return (f"More help: {call.format(2)} gives the formula, {call.format(3)} "
            "a skeleton of the code.")


def _hint_table(check_fn):
    module = sys.modules.get(getattr(check_fn, "__module__", None) or "")
    table = getattr(module, "HINTS", None)
    name = getattr(check_fn, "__name__", "")
    entry = table.get(name) if isinstance(table, dict) else None
    return module, name, (tuple(entry) if entry else None)


def hint(check_fn, level: int = 1) -> None:
    """Print hint ``level`` for an exercise: 1 the idea, 2 the formula, 3 a skeleton of the
    code, 4 the reference solution. Pass the check itself: ``hint(ex.check_bptt, 2)``."""
    try:
        module, name, entry = _hint_table(check_fn)
        if not callable(check_fn) or not name.startswith("check_"):
            print("hint() needs an exercise check, for example hint(ex.check_bptt, 1).")
            return
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) \
                or not 1 <= level <= 4:
            print(f"hint(ex.{name}, level): the level is 1 (the idea), 2 (the formula), "
                  "3 (a skeleton of the code) or 4 (the reference solution).")
            return
        level = int(level)
        stem = name[len("check_"):]
        reference = getattr(module, f"solution_{stem}", None)
        if entry is None and level < 4:
            print(f"{name} has no graded hints yet: its own hint is printed when the check "
                  f"fails, and hint(ex.{name}, 4) prints the reference solution.")
            return
        if level == 4:
            if reference is None:
                print(f"No reference solution is published for {name}.")
                return
            print(f"The reference solution for {name}:")
            solution(reference)
            return
        print(f"Hint {level} of 3 for {name}, {HINT_LEVELS[level - 1]}:")
        text = textwrap.dedent(entry[level - 1]).strip("\n")
        if "\n" not in text:                                  # one paragraph: wrap it
            text = textwrap.fill(text, 92)
        print(textwrap.indent(text, "    "))
        follow = (f"hint(ex.{name}, {level + 1}) gives {HINT_LEVELS[level]}." if level < 3
                  else f"hint(ex.{name}, 4) prints the reference solution.")
        print(f"Next: {follow}")
    except Exception as exc:  # noqa: BLE001 - a help function must never fail in a lesson
        print(f"hint(): could not show the hint ({_safe_str(exc)}).")


def solution(fn) -> None:
    """Print the source of a reference solution (pass the function, e.g.
    ``solution(ex.solution_rnn_step)``)."""
    print(textwrap.dedent(inspect.getsource(fn)))


# =============================================================================================
# Predict, then run


def _fmt_number(v):
    v = float(v)
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    return f"{v:.3g}"


def predict(name, guess, actual, *, rel_tol=None, choices=None, explain="") -> CheckResult:
    """Compare a prediction the learner wrote down before running a cell with what rnnlib
    computed, print how close it was and ``explain``; never raises.

    Args:
        name: what was predicted ("size of delta_1 at rho = 0.9").
        guess: the learner's number or choice; ``None`` or ``...`` means "not predicted yet".
        actual: rnnlib's value (a number, or one of ``choices``).
        rel_tol: for numbers, the relative distance that counts as right; by default a guess
            within a factor of 3 counts (the right order of magnitude).
        choices: the allowed answers, when the prediction is a choice (compared as text,
            ignoring case and surrounding spaces).
        explain: one or two sentences that explain the result, printed after the verdict.

    Returns:
        CheckResult with status "passed", "wrong", "type" or "not attempted".
    """
    def report(passed, status, text):
        if explain and status in ("passed", "wrong"):
            text += "\n   " + textwrap.fill(_safe_str(explain, 2000), 95,
                                            subsequent_indent="   ")
        print(text)
        result = CheckResult(passed, status, text, int(status != "not attempted"),
                             exercise=f"prediction · {name}")
        _record(result)
        return result

    try:
        if guess is None or guess is Ellipsis:
            return report(False, "not attempted", f"⏳ prediction · {name}: not made yet. Write "
                          "your guess into the variable above, then run this cell again.")
        if choices is not None:
            def norm(c):
                return c.strip().lower() if isinstance(c, str) else c
            allowed = [norm(c) for c in choices]
            if norm(guess) not in allowed:
                return report(False, "type", f"❌ prediction · {name}: {_safe_str(guess, 60)!s} "
                              f"is not one of the choices: {', '.join(map(repr, choices))}.")
            right = norm(guess) == norm(actual)
            verdict = ("✅" if right else "❌") + f" prediction · {name}: you chose " \
                f"{_safe_str(guess, 60)}; rnnlib gives {_safe_str(actual, 60)}."
            return report(right, "passed" if right else "wrong", verdict)
        if isinstance(guess, (str, bytes)) or isinstance(guess, bool):
            return report(False, "type", f"❌ prediction · {name}: expected a number, got "
                          f"{_safe_str(guess, 60)!r}.")
        try:
            g = float(np.asarray(_to_numpy(guess)).reshape(()))
            a = float(np.asarray(_to_numpy(actual)).reshape(()))
        except Exception:  # noqa: BLE001
            return report(False, "type", f"❌ prediction · {name}: expected one number, got "
                          f"{_safe_str(guess, 60)}.")
        if not math.isfinite(g):
            return report(False, "type", f"❌ prediction · {name}: {g} is not a finite number.")
        said = f"you said {_fmt_number(g)}, rnnlib computed {_fmt_number(a)}"
        if a == 0 or g == 0:
            right = abs(g - a) <= (rel_tol or 0) * max(abs(a), abs(g)) or g == a
            how = "exactly right" if g == a else "one of them is zero and the other is not"
        elif (g > 0) != (a > 0):
            right, how = False, "the sign is wrong"
        else:
            ratio = max(g / a, a / g)
            rel = abs(g - a) / abs(a)
            right = rel <= rel_tol if rel_tol is not None else ratio <= 3.0
            if rel <= 0.05:
                how = "within 5 %"
            elif ratio <= 3.0:
                how = f"{'above' if g > a else 'below'} by {100 * rel:.0f} %" if ratio < 2 \
                    else f"off by a factor of {ratio:.1f}: the right order of magnitude"
            else:
                how = f"off by a factor of {ratio:.3g}" + (
                    f" (about {math.log10(ratio):.0f} orders of magnitude)" if ratio >= 100
                    else "")
        mark = "✅" if right else "❌"
        return report(right, "passed" if right else "wrong",
                      f"{mark} prediction · {name}: {said}: {how}.")
    except Exception as exc:  # noqa: BLE001
        text = f"❌ prediction · {name}: could not compare ({_safe_str(exc)})."
        print(text)
        return CheckResult(False, "error", text, 0, exercise=f"prediction · {name}")


# =============================================================================================
# The check


def run_check(name, learner_fn, reference_fn, cases, hint="", rtol=1e-6, atol=1e-8,
              output_names=None, quiet=False, diagnose=None, shape_hint=None, hints=None,
              time_limit=None, check=None) -> CheckResult:
    """Run ``learner_fn`` and ``reference_fn`` on every case and compare their outputs.

    Args:
        name: the exercise's title, used in the messages.
        learner_fn: the learner's function.
        reference_fn: the reference solution, same signature.
        cases: a list of argument tuples (fresh inputs; each function gets its own deep copy,
            so an in-place edit by the learner cannot change the reference's inputs).
        hint: one sentence printed when the answer is wrong (used when there are no ``hints``).
        hints: ``(idea, formula, skeleton)``, the three hint levels. A failed check prints the
            idea and says how to ask for the next level with :func:`hint`. By default they come
            from ``HINTS[check_name]`` of the module of the calling ``check_*`` function.
        output_names: names of the outputs when the function returns a tuple (for messages).
        quiet: return the result without printing.
        diagnose: optional ``diagnose(got, args) -> str | None``, called when the answer is
            wrong or not finite, naming *which* mistake it is (see :func:`known_mistakes`); its
            sentence replaces the first hint. A failing diagnosis is ignored.
        shape_hint: optional hint for a wrong shape, instead of the first hint.
        time_limit: seconds the learner's function may take over all cases (default
            :data:`TIME_LIMIT`).
        check: the check function's name for the "More help" line (found on the call stack by
            default).

    Returns:
        CheckResult (truthy when passed). Never raises.
    """
    found_name, found_hints = _calling_check()
    check = check or found_name
    hints = tuple(hints) if hints is not None else found_hints
    first_hint = hints[0] if hints else hint
    limit = TIME_LIMIT if time_limit is None else float(time_limit)

    def report(passed, status, message, k=0, specific=None, note="", **details):
        text = ("✅ " if passed else "❌ " if status != "not attempted" else "⏳ ") + message
        if note:
            text += "\n   " + note
        advice = specific or (shape_hint if status == "shape" else None) or first_hint
        if not passed and advice and status != "not attempted":
            text += f"\n   Hint: {advice}"
            more = _more_help(check, len(hints) if hints else 0, bool(specific))
            if more:
                text += f"\n   {more}"
        result = CheckResult(passed, status, text, k, details, exercise=name)
        if not quiet:
            print(text)
            _record(result)
        return result

    try:
        return _run(name, learner_fn, reference_fn, cases, rtol, atol, output_names, diagnose,
                    limit, report)
    except BaseException as exc:  # noqa: BLE001 - the check itself must never raise
        return report(False, "error", f"{name}: the check could not finish "
                      f"({type(exc).__name__}: {_safe_str(exc)}). Run the cell again; if this "
                      "persists, restart the kernel.")


def _run(name, learner_fn, reference_fn, cases, rtol, atol, output_names, diagnose, limit,
         report):
    if not callable(learner_fn):
        return report(False, "type", f"{name}: expected a function, got "
                      f"{type(learner_fn).__name__}. Pass the function itself, without ().")
    cases = list(cases)
    t0 = time.perf_counter()
    with _pristine(), np.errstate(all="ignore"):            # expected results first, protected
        expected_all = [_as_tuple(reference_fn(*copy.deepcopy(args))) for args in cases]
    reference_seconds = time.perf_counter() - t0
    used = 0.0
    patched = []
    low_precision = None                 # largest difference of an answer only float32-close
    in_float32 = True                    # ... and whether every such output is float32

    def out_of_time(k, seconds):
        return report(False, "timeout", f"{name}: stopped after {seconds:.1f} s on test case "
                      f"{k}: each check allows {limit:g} s in your code for all "
                      f"{len(cases)} cases, and rnnlib needs {reference_seconds:.2g} s. Look "
                      "for a loop that never ends, or one that repeats far more work than "
                      "needed (a loop over t inside the loop over t?).", k,
                      seconds=seconds)

    for k, (args, expected) in enumerate(zip(cases, expected_all, strict=False), start=1):
        before = _snapshot()
        start = time.perf_counter()
        outcome, got = None, None
        try:
            with _alarm(max(limit - used, 1e-3)), np.errstate(all="ignore"):
                got = learner_fn(*copy.deepcopy(args))
        except _OutOfTime:
            outcome = "timeout"
        except NotImplementedError:
            outcome = "not attempted"
        except AnswerError as exc:
            outcome = exc
        except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
            outcome = exc
        except BaseException as exc:  # noqa: BLE001 - the learner's bug, explained
            outcome = exc
        used += time.perf_counter() - start
        patched += [p for p in _restore(before) if p not in patched]
        note = ""
        if patched:
            shown = ", ".join(patched[:3]) + (" ..." if len(patched) > 3 else "")
            note = (f"Note: your function replaced {shown}; the check put the original back, "
                    "so later checks and cells see rnnlib as it was.")
        if outcome == "timeout" or (outcome is None and used > limit):
            return out_of_time(k, used)
        if outcome == "not attempted":
            return report(False, "not attempted", f"{name}: not attempted yet. Replace the "
                          "`raise NotImplementedError` with your code, then run this check again.")
        if isinstance(outcome, AnswerError):
            return report(False, outcome.status, f"{name}: {_safe_str(outcome)} (test case {k})",
                          k, note=note)
        if isinstance(outcome, SystemExit):
            return report(False, "error", f"{name}: your function called sys.exit() (or raised "
                          f"SystemExit) on test case {k}. A function should return its "
                          "result; nothing in an exercise needs to stop Python.", k, note=note)
        if isinstance(outcome, KeyboardInterrupt):
            return report(False, "error", f"{name}: interrupted (KeyboardInterrupt) on test "
                          f"case {k} after {used:.1f} s. If it ran too long, look for a loop "
                          "that never ends.", k, note=note)
        if isinstance(outcome, BaseException):
            frames = traceback.extract_tb(outcome.__traceback__)
            line = (frames[-1].line or "").strip() if frames else ""
            where = f" (at `{line}`)" if line else ""
            return report(False, "error", f"{name}: your function raised "
                          f"{type(outcome).__name__}: {_safe_str(outcome)}{where} on test "
                          f"case {k}.", k, note=note)

        def why(got_raw=got, args=args):
            """The diagnosis of a wrong or non-finite answer on this case, if any."""
            if diagnose is None:
                return None
            try:
                with _pristine(), np.errstate(all="ignore"):
                    return diagnose(got_raw, copy.deepcopy(args))
            except BaseException:  # noqa: BLE001 - the diagnosis is a bonus: it never breaks
                return None
        if got is None:
            return report(False, "none", f"{name}: your function returned None. Did you forget "
                          "the `return` statement?", k, note=note)
        got = _as_tuple(got)
        names = output_names or [f"output {i + 1}" for i in range(len(expected))]
        if len(got) != len(expected):
            return report(False, "type", f"{name}: expected {len(expected)} return value(s) "
                          f"({', '.join(names)}), got {len(got)}.", k, note=note)
        for label, g, e in zip(names, got, expected, strict=False):
            if isinstance(g, (str, bytes)):
                return report(False, "type", f"{name}: {label} should be a number or an array "
                              f"of numbers, got the text {_safe_str(g, 60)!r}.", k, note=note)
            try:
                raw = _to_numpy(g)
                if np.iscomplexobj(raw):
                    return report(False, "type", f"{name}: {label} holds complex numbers "
                                  f"(e.g. {_safe_str(raw.ravel()[0] if raw.size else raw)}); "
                                  "expected real ones. A square root or a log of a negative "
                                  "number, or an eigenvalue, may have slipped in; if the "
                                  "imaginary parts are all zero, return `.real`.", k, note=note)
                g_arr = raw.astype(np.float64)
            except Exception:  # noqa: BLE001
                return report(False, "type", f"{name}: {label} should be a numpy array of numbers,"
                              f" got {_safe_str(type(g).__name__)}.", k, note=note)
            e_arr = np.asarray(e, dtype=np.float64)
            if g_arr.shape != e_arr.shape:
                return report(False, "shape", f"{name}: {label} has shape {g_arr.shape}, expected "
                              f"{e_arr.shape} (test case {k}).", k, note=note, got=g_arr.shape,
                              expected=e_arr.shape)
            if not np.all(np.isfinite(g_arr)) and np.all(np.isfinite(e_arr)):
                return report(False, "nan", f"{name}: {label} contains NaN or inf, expected finite "
                              f"numbers (test case {k}). Look for a division by zero, a log of "
                              "0, or an exp that overflows.", k, specific=why(), note=note)
            if np.allclose(g_arr, e_arr, rtol=rtol, atol=atol, equal_nan=True):
                continue
            diff = float(np.nanmax(np.abs(g_arr - e_arr)))
            exact = rtol == 0 and atol == 0
            float32_close = not exact and np.allclose(
                g_arr, e_arr, rtol=max(rtol, FLOAT32_RTOL), equal_nan=True,
                atol=max(atol, FLOAT32_ATOL * max(1.0, float(np.nanmax(np.abs(e_arr)))
                                                  if e_arr.size else 1.0)))
            if float32_close:
                low_precision = max(low_precision or 0.0, diff)
                in_float32 = in_float32 and _is_float32(raw, g_arr)
                continue
            return report(False, "wrong", f"{name}: {label} is not right on test case {k}.\n"
                          f"   expected {_fmt(e_arr)}\n   got      {_fmt(g_arr)}\n"
                          f"   largest difference {diff:.3g}", k, specific=why(), note=note,
                          max_abs_diff=diff)
    note = ""
    if patched:
        note = (f"Note: your function replaced {', '.join(patched[:3])}; the check put the "
                "original back, so later checks and cells see rnnlib as it was.")
    if low_precision is not None:
        why_only = ("Your answer is float32 and rnnlib computes in float64: precision is the "
                    "only difference." if in_float32 else
                    "If part of your computation runs in float32, precision is the only "
                    "difference; in float64 a correct answer agrees to about 1e-12.")
        return report(True, "passed", f"{name}: correct on {_all_cases(len(cases))} at "
                      f"float32 precision (largest difference {low_precision:.2g}). {why_only}",
                      len(cases), note=note, float32=True)
    return report(True, "passed", f"{name}: correct on {_all_cases(len(cases))}. Well done!",
                  len(cases), note=note)
