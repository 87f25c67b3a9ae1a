"""One helper for testing every notebook's exercise checks.

A check must give each kind of answer its own status ("passed", "not attempted", "error",
"none", "shape", "nan", "wrong", "type", "timeout"), print a verdict with a hint, name the usual
mistakes, and never raise. The answers are built from the reference solution, so a test states
only what is special about its exercise::

    from exercise_support import (assert_each_status, assert_names_each_mistake,
                                  assert_never_raises, assert_solutions_print, statuses)

    assert_each_status(ex.check_x, ex.solution_x, capsys)                 # the generic answers
    assert_each_status(ex.check_y, ex.solution_y, capsys, shape=my_shape_answer)   # one replaced
    assert statuses(ex.check_z, [ex.solution_z, not_attempted], capsys) == ["passed",
                                                                            "not attempted"]
    assert_names_each_mistake(ex.check_x, ex._MISTAKES)                  # (variant, words) pairs
    assert_solutions_print([ex.solution_x, ex.solution_y], capsys)
"""

import numpy as np


def first_output(fn, change):
    """A learner whose first output is ``change(...)`` of the solution's (tuple, dict or array)."""
    def learner(*args):
        out = fn(*args)
        if isinstance(out, tuple):
            return (change(out[0]),) + out[1:]
        if isinstance(out, dict):
            first = next(iter(out))
            return {k: (change(v) if k == first else v) for k, v in out.items()}
        return change(out)
    return learner


def not_attempted(*args):
    """The stub every exercise ships with."""
    raise NotImplementedError


def buggy(*args):
    """An answer with a bug of its own."""
    raise ValueError("a bug in the learner's code")


def divides_by_zero(*args):
    return 1 / 0


def answers_by_status(solution, **overrides):
    """status -> a learner answer that must get that status. ``overrides`` replaces the answer
    for a status (``shape=...``), or leaves the status out (``nan=None``)."""
    answers = {
        "passed": solution,
        "not attempted": not_attempted,
        "error": buggy,
        "none": lambda *a: None,
        "shape": first_output(solution, lambda o: np.append(np.ravel(o), 0.0)),
        "nan": first_output(solution, lambda o: np.full(np.shape(o), np.nan)),
        "wrong": first_output(solution, lambda o: np.asarray(o, dtype=float) + 1.0),
        "type": "not a function",
    }
    answers.update(overrides)
    return {status: answer for status, answer in answers.items() if answer is not None}


def statuses(check, answers, capsys=None):
    """The status the check gives each answer, in order (the printed verdicts are read and
    dropped when ``capsys`` is given)."""
    out = [check(answer).status for answer in answers]
    if capsys is not None:
        capsys.readouterr()
    return out


def assert_statuses(check, expected, capsys):
    """``expected`` maps status -> answer (or is a list of (answer, status) pairs): each answer
    gets its status, a printed verdict, and, when it fails for a reason the learner can fix,
    a hint."""
    pairs = expected.items() if isinstance(expected, dict) else [(s, a) for a, s in expected]
    name = getattr(check, "__name__", "check")
    for status, learner in pairs:
        result = check(learner)
        assert result.status == status, f"{name}: expected {status}, got {result.status}"
        assert result.passed == (status == "passed")
        out = capsys.readouterr().out
        assert out.strip(), f"{name}: every check prints its verdict"
        if status == "not attempted":
            assert "not attempted yet" in out
        elif status not in ("passed", "type"):
            assert "Hint:" in out, f"{name}: a {status} verdict comes with a hint"


def assert_each_status(check, solution, capsys, **overrides):
    """Every answer of ``answers_by_status(solution, **overrides)`` gets its status, a printed
    verdict and a hint."""
    assert_statuses(check, answers_by_status(solution, **overrides), capsys)


def assert_names_mistake(check, answer, words, status="wrong"):
    """The answer fails with ``status`` and the verdict contains ``words``."""
    result = check(answer)
    assert result.status == status, f"expected {status}, got {result.status}: {result.message}"
    assert words in result.message, f"{words!r} not in: {result.message}"
    return result


def assert_names_each_mistake(check, mistakes):
    """Each (variant, explanation) of a module's mistake list, as the learner's answer, is
    marked wrong with that explanation."""
    for variant, explanation in mistakes:
        assert_names_mistake(check, variant, explanation)


def assert_solutions_print(solutions, capsys):
    """``rnnlib.exercises.solution`` prints the source of each reference solution."""
    from rnnlib.exercises import solution
    for fn in solutions:
        solution(fn)
        assert "def " + fn.__name__ in capsys.readouterr().out


#: answers no check expects: text, too many outputs, a dict, inf, a crash, the wrong
#: signature, a plain list, complex numbers, an exception that cannot be printed
class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message")


def _raise_unprintable(*args):
    raise _Unprintable()


ODD_ANSWERS = [lambda *a: "text", lambda *a: (1, 2, 3, 4, 5, 6, 7), lambda *a: {"a": 1},
               lambda *a: np.inf, divides_by_zero, lambda: 0, lambda *a: [1.0, 2.0],
               lambda *a: np.array([1 + 2j]), _raise_unprintable]


def assert_never_raises(check):
    """Odd answers fail the check, with a status, and never raise."""
    for learner in ODD_ANSWERS:
        result = check(learner)
        assert not result.passed and result.status in ("type", "shape", "nan", "wrong", "error")


def exercise_check_tests(checks):
    """The two standard tests of a notebook's exercise checks, parametrized over ``checks``
    (pairs of check and reference solution): every status is reached, and nothing raises.
    Use as ``test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)``."""
    import pytest

    ids = [check.__name__ for check, _ in checks]

    @pytest.mark.parametrize("check, solution", checks, ids=ids)
    def test_check_statuses(check, solution, capsys):
        assert_each_status(check, solution, capsys)

    @pytest.mark.parametrize("check, solution", checks, ids=ids)
    def test_checks_never_raise(check, solution, capsys):
        assert_never_raises(check)

    return test_check_statuses, test_checks_never_raise


def assert_three_hint_levels(module, check_names):
    """Every listed check has three non-empty hint levels in its module's HINTS."""
    for name in check_names:
        levels = module.HINTS[name]
        assert len(levels) == 3 and all(level.strip() for level in levels), name
