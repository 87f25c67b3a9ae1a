"""Learners' answers of every kind, built from a reference solution, for testing that each
exercise check gives each status ("passed", "not attempted", "error", "none", "shape", "nan",
"wrong", "type") and never raises."""

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
    raise NotImplementedError


def buggy(*args):
    raise ValueError("a bug in the learner's code")


def answers_by_status(solution):
    """status -> a learner answer that must get that status."""
    return {
        "passed": solution,
        "not attempted": not_attempted,
        "error": buggy,
        "none": lambda *a: None,
        "shape": first_output(solution, lambda o: np.append(np.ravel(o), 0.0)),
        "nan": first_output(solution, lambda o: np.full(np.shape(o), np.nan)),
        "wrong": first_output(solution, lambda o: np.asarray(o, dtype=float) + 1.0),
        "type": "not a function",
    }


#: answers no check expects: text, too many outputs, a dict, inf, a crash, the wrong
#: signature, a plain list
ODD_ANSWERS = [lambda *a: "text", lambda *a: (1, 2, 3, 4, 5, 6, 7), lambda *a: {"a": 1},
               lambda *a: np.inf, lambda *a: 1 / 0, lambda: 0, lambda *a: [1.0, 2.0]]


def assert_each_status(check, solution, capsys):
    """Every answer of ``answers_by_status`` gets its status, a printed verdict and a hint."""
    for status, learner in answers_by_status(solution).items():
        result = check(learner)
        assert result.status == status, f"{check.__name__}: expected {status}, got {result.status}"
        assert result.passed == (status == "passed")
        out = capsys.readouterr().out
        assert out.strip(), "every check prints its verdict"
        if status not in ("passed", "not attempted"):
            assert "Hint:" in out or status == "type"


def assert_never_raises(check):
    """Odd answers fail the check, with a status, and never raise."""
    for learner in ODD_ANSWERS:
        result = check(learner)
        assert not result.passed and result.status in ("type", "shape", "nan", "wrong", "error")
