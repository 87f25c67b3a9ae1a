"""Input validation: the public entry points check their arguments here, before any arithmetic,
so that a mistake gives a plain-language ``ValueError`` instead of a silent broadcast or a numpy
traceback from deep inside a matmul.

What is checked: types (real numbers, not strings or complex), shapes (number of dimensions and
every size against the layer's sizes), finiteness (no NaN or inf), integer and range arguments.
What cannot be checked: anything that shapes do not reveal, e.g. a square weight matrix passed
transposed, or weights in the wrong gate order: those compute wrong numbers without an error.
"""

from __future__ import annotations

import numpy as np


class NonFiniteError(ValueError):
    """A NaN or an inf where finite numbers are needed: in an input, a parameter, a loss or a
    gradient. Usually the sign that training has diverged (catch this, not ``ValueError``, to
    tell a divergence from a mistake in the code). Its messages name the array and say "inf" or
    "nan" (e.g. "gradient of 'weight_hh' contains inf or NaN: training has diverged")."""


def as_float_array(a, name: str, dtype=np.float64) -> np.ndarray:
    """Return ``a`` as a numpy array of ``dtype``; refuse strings, objects and complex numbers."""
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ValueError(f"{name} must be an array of numbers, got {type(a).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or inf, saying where the first bad entry is."""
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise NonFiniteError(f"{name} contains {arr[where]} at index {where}; "
                             "expected finite numbers")


def check_sequence(x, input_size: int, dtype=np.float64, name: str = "x") -> np.ndarray:
    """Validate a time-major input batch ``x: (T, B, D)`` against a layer's ``input_size``."""
    arr = as_float_array(x, name, dtype)
    if arr.ndim != 3:
        hint = ""
        if arr.ndim == 2:
            hint = (f"; for a single sequence use {name}[:, None, :] (batch of one), "
                    f"for a single time step use {name}[None]")
        raise ValueError(f"{name} must have 3 dimensions (T, B, D), got {arr.ndim} "
                         f"with shape {arr.shape}{hint}")
    T, B, D = arr.shape
    if D != input_size:
        raise ValueError(f"{name} has {D} features, this layer expects {input_size}")
    if T == 0 or B == 0:
        raise ValueError(f"{name} must hold at least one time step and one sequence, "
                         f"got shape {arr.shape}")
    check_finite(arr, name)
    return arr


def check_matrix(a, shape: tuple, name: str, dtype=np.float64) -> np.ndarray:
    """Validate an array of exactly ``shape`` (for states, per-step inputs and gradients)."""
    arr = as_float_array(a, name, dtype)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    check_finite(arr, name)
    return arr


def check_params(params: dict, shapes: dict, owner: str) -> None:
    """Check a parameter dict has exactly the expected keys, shapes and finite values."""
    missing = [k for k in shapes if k not in params]
    extra = [k for k in params if k not in shapes]
    if missing or extra:
        raise ValueError(f"{owner} parameters: missing {missing}, unexpected {extra}; "
                         f"expected keys {list(shapes)}")
    for key, shape in shapes.items():
        value = params[key]
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{owner} parameter {key!r} must be a numpy array, "
                             f"got {type(value).__name__}")
        if value.shape != tuple(shape):
            raise ValueError(f"{owner} parameter {key!r} has shape {value.shape}, "
                             f"expected {tuple(shape)}")
        check_finite(value, f"{owner} parameter {key!r}")


def check_int(value, name: str, minimum: int) -> int:
    """``value`` as a Python int, after checking it is an integer (not a bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, "
                         f"got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def rng_from(seed) -> np.random.Generator:
    """An explicit random generator: from an int seed, a Generator (used as is), or None (fresh
    entropy). numpy's global random state is never used."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed}")
        return np.random.default_rng(seed)
    raise ValueError(f"seed must be an int >= 0, a numpy Generator or None, "
                     f"got {type(seed).__name__} {seed!r}")


def check_cache(cache, keys, owner: str) -> None:
    """Refuse anything but a cache from ``owner``'s forward pass (a dict holding ``keys``)."""
    if not isinstance(cache, dict) or any(k not in cache for k in keys):
        got = ("None" if cache is None else "an empty dict" if cache == {} else
               f"a dict with keys {sorted(map(str, cache))}" if isinstance(cache, dict) else
               f"a {type(cache).__name__}")
        raise ValueError(f"cache must be the dict returned by {owner}.forward "
                         f"(with keys {sorted(keys)}), got {got}")
