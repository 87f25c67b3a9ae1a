r"""Self-checks for notebook 11 (looking inside a character model).

:func:`check_best_unit`
    which unit of a trace follows a property of the text most closely (by |correlation|).
:func:`check_connectivity_ratio`
    how many times weaker the dependence on the input j steps back is than on the latest input.
"""

from __future__ import annotations

import numpy as np

from ._feedback import known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_best_unit",
    "solution_best_unit",
    "check_connectivity_ratio",
    "solution_connectivity_ratio",
]

HINTS = {
    "check_best_unit": (
        "A unit 'follows' a property when its value goes up and down with it, or exactly "
        "against it: a correlation of -0.9 is as telling as +0.9. Compare units by the size of "
        "their correlation, and report the sign too.",
        """\
        For every unit j (a column of signal, shape (T, H)):
            r_j = sum_t (s_tj - mean_j)(f_t - mean_f)
                  / sqrt(sum_t (s_tj - mean_j)^2 * sum_t (f_t - mean_f)^2)
        best = argmax_j |r_j|;  return best and r_best (with its sign)""",
        """\
        def best_unit(signal, feature):
            s = signal - signal.mean(axis=0)
            f = feature - ...
            r = (s * f[:, None]).sum(axis=0) / np.sqrt(...)
            best = int(np.argmax(np.abs(...)))
            return best, r[best]""",
    ),
    "check_connectivity_ratio": (
        "The connectivity curve gives, for each distance j, how strongly the loss depends on "
        "the input j steps back. Compare the value at distance j with the value at distance 0.",
        """\
        ratio = c[0] / c[j]      (how many times weaker at distance j; c[0] is the latest input)""",
        """\
        def connectivity_ratio(c, j):
            return c[...] / c[...]""",
    ),
}


def solution_best_unit(signal, feature):
    """The unit (column of ``signal: (T, H)``) whose values correlate most strongly with
    ``feature: (T,)``, in either direction. Returns (unit, r) with r's sign."""
    s = signal - signal.mean(axis=0)
    f = feature - feature.mean()
    r = (s * f[:, None]).sum(axis=0) / np.sqrt((s**2).sum(axis=0) * (f**2).sum())
    best = int(np.argmax(np.abs(r)))
    return best, r[best]


def _reference_best_unit(signal, feature):
    # numpy's correlation matrix of the units and the feature: its last row, without the
    # feature's own 1
    r = np.corrcoef(signal, feature, rowvar=False)[-1, :-1]
    best = int(np.argmax(np.abs(r)))
    return best, r[best]


def _best_cases():
    """The first case tells a covariance ranking apart (a loud decoy), the second a signed
    argmax (the strongest unit goes against the feature)."""
    rng = np.random.default_rng(1111)
    cases = []
    for T, H, unit, sign, decoy_scale in [
        (200, 6, 4, 1.0, 30.0),
        (50, 3, 0, -1.0, 1.0),
        (300, 10, 7, -1.0, 5.0),
        (80, 5, 2, 1.0, 0.5),
    ]:
        feature = rng.standard_normal(T)
        signal = rng.standard_normal((T, H))
        signal[:, unit] += 3.0 * sign * feature
        decoy = (unit + 1) % H  # a weaker, positive correlation
        signal[:, decoy] += 1.2 * feature
        scale = rng.uniform(0.5, 2.0, size=H)
        scale[decoy] = decoy_scale
        signal = signal * scale + rng.uniform(-5, 5, size=H)
        cases.append((signal, feature))
    return cases


def _signed_argmax(signal, feature):
    s = signal - signal.mean(axis=0)
    f = feature - feature.mean()
    r = (s * f[:, None]).sum(axis=0) / np.sqrt((s**2).sum(axis=0) * (f**2).sum())
    best = int(np.argmax(r))
    return best, r[best]


def _covariance(signal, feature):
    s = signal - signal.mean(axis=0)
    f = feature - feature.mean()
    c = (s * f[:, None]).mean(axis=0)
    best = int(np.argmax(np.abs(c)))
    r = c[best] / (s[:, best].std() * f.std())
    return best, r


def check_best_unit(fn):
    """Check ``fn(signal, feature) -> (unit, r)``."""
    diagnose = known_mistakes(
        [
            (
                _signed_argmax,
                "you took the largest correlation, not the largest in size: a unit "
                "that goes down exactly when the feature goes up (r = -0.9) follows it "
                "too. Use np.abs before argmax.",
            ),
            (
                _covariance,
                "you ranked the units by covariance, which grows with a unit's scale: "
                "divide by both standard deviations (that is the correlation).",
            ),
        ]
    )
    return run_check(
        "best_unit",
        fn,
        _reference_best_unit,
        _best_cases(),
        output_names=["unit", "r"],
        diagnose=diagnose,
    )


def solution_connectivity_ratio(c, j):
    """How many times weaker the dependence on the input ``j`` steps back is than on the latest
    input: c[0] / c[j]."""
    return c[0] / c[j]


def _reference_connectivity_ratio(c, j):
    # the curve relative to the latest input (1 at distance 0), read at j and inverted
    return 1.0 / (np.asarray(c, dtype=np.float64) / c[0])[j]


def _ratio_cases():
    rng = np.random.default_rng(12)
    return [
        (np.exp(-rng.uniform(0.05, 0.5) * np.arange(30)) * rng.uniform(1, 5), j)
        for j in (5, 20, 1, 29)
    ]


def check_connectivity_ratio(fn):
    """Check ``fn(c, j) -> ratio``."""
    diagnose = known_mistakes(
        [
            (
                lambda c, j: c[j] / c[0],
                "that is the inverse: c[0] / c[j] says how many times "
                "weaker the input j steps back is.",
            ),
            (
                lambda c, j: c[0] / c[j - 1],
                "off by one: c[j] is the value at distance j (c[0] is distance 0).",
            ),
        ]
    )
    return run_check(
        "connectivity_ratio",
        fn,
        _reference_connectivity_ratio,
        _ratio_cases(),
        output_names=["ratio"],
        diagnose=diagnose,
    )
