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
