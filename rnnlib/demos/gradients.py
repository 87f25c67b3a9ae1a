r"""Numbers for notebook 03 (vanishing and exploding gradients).

Every gradient here comes out of rnnlib's backpropagation through time (:mod:`rnnlib.analysis`
runs :meth:`rnnlib.RNN.backward`); nothing is computed by a closed formula except the
reference lines the figures draw next to the measured curves (:math:`|w|^{T-t}`,
:math:`\rho^{T-t}`), which are labelled as formulas.

Course notation: :math:`a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h`, :math:`h_t = \varphi(a_t)`,
:math:`\delta_t = \partial L / \partial h_t`, and for a loss on the last step only

.. math::
    \delta_t = W_{hh}^\top \operatorname{diag}(\varphi'(a_{t+1}))\, W_{hh}^\top
    \operatorname{diag}(\varphi'(a_{t+2})) \cdots W_{hh}^\top \operatorname{diag}(\varphi'(a_T))\,
    \delta_T,

the transpose of the Jacobian :math:`\partial h_T/\partial h_t = \operatorname{diag}(\varphi'(a_T))
W_{hh} \cdots \operatorname{diag}(\varphi'(a_{t+1})) W_{hh}` (factors in descending k).
"""

from __future__ import annotations

import numpy as np

from .. import _checks, analysis
from ..layers import RNN

__all__ = [
    "scalar_decay",
    "lecture_notes_table",
    "overflow_then_nan",
    "unit_vector",
    "matrix_gradient_norms",
    "saturating_pair",
    "pair_matrix",
    "jacobian_norms",
    "non_normal_growth",
    "orthogonal_gradient_ratio",
    "tanh_derivative_table",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)  # about 3.4e38
FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # about 1.2e-38, the smallest full-precision
# (normal) float32


# ---------------------------------------------------------------------------------------------
# One unit: the lecture notes' w = 1.1 / 0.9 example


def scalar_decay(w, T, nonlinearity="linear"):
    r"""|dL/dh_t| for L = h_T in a one-unit RNN with recurrent weight ``w``, by BPTT, in float64
    and in float32.

    Runs :func:`rnnlib.analysis.scalar_gradient_decay` (zero input, h_0 = 1) twice, once per
    precision, and re-indexes its answer by time step.

    Args:
        w: the recurrent weight; T: number of steps (>= 1); nonlinearity: "linear", "relu"
            or "tanh" (anything :class:`rnnlib.RNN` accepts).

    Returns:
        dict with
        ``t`` (T+1,) the steps 0..T; ``grad64``, ``grad32`` (T+1,) |dL/dh_t| (entry T is 1);
        ``formula`` (T+1,) |w|^(T-t), what a linear unit gives;
        ``first64`` / ``first32``: the gradient at h_0, T steps back;
        ``overflow_t``: the latest step t whose float32 gradient is inf (None if none): every
        earlier step is inf too; ``overflow_steps_back``: T - overflow_t;
        ``underflow_t``: the latest step whose float32 gradient has fallen below float32's normal
        range (about 1.2e-38: there it loses precision, then becomes exactly 0) while float64's
        has not (None if none).
    """
    T = _checks.check_positive_int(T, "T")
    g64 = analysis.scalar_gradient_decay(w, T, nonlinearity)[::-1]  # index = t
    g32 = analysis.scalar_gradient_decay(w, T, nonlinearity, dtype=np.float32)[::-1]
    t = np.arange(T + 1)
    with np.errstate(over="ignore", under="ignore"):
        formula = np.abs(float(w)) ** (T - t).astype(np.float64)
    inf32 = np.flatnonzero(np.isinf(g32))
    zero32 = np.flatnonzero((g32 < FLOAT32_TINY) & (g64 > 0))
    overflow_t = int(inf32.max()) if inf32.size else None
    return {
        "w": float(w),
        "T": T,
        "nonlinearity": nonlinearity,
        "t": t,
        "grad64": g64,
        "grad32": g32,
        "formula": formula,
        "first64": float(g64[0]),
        "first32": float(g32[0]),
        "overflow_t": overflow_t,
        "overflow_steps_back": None if overflow_t is None else T - overflow_t,
        "underflow_t": int(zero32.max()) if zero32.size else None,
    }


def lecture_notes_table(ws=(1.1, 0.9), steps=(50, 65)):
    """The lecture notes' numbers, checked: the gradient ``k`` steps back for each w, by BPTT.

    Returns:
        list of dicts with ``w``, ``steps``, ``bptt`` (from rnnlib) and ``power`` (w ** steps,
        for comparison).
    """
    rows = []
    for w in ws:
        longest = analysis.scalar_gradient_decay(w, max(steps))  # entry k: k steps back
        for k in steps:
            rows.append(
                {
                    "w": float(w),
                    "steps": int(k),
                    "bptt": float(longest[k]),
                    "power": float(w) ** int(k),
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# inf first, NaN afterwards


def overflow_then_nan(T=140, gain=2.0):
    r"""A two-unit linear RNN in float32 whose state overflows: inf comes first, NaN after.

    :math:`W_{hh} = \begin{pmatrix}0 & -g\\ g & 0\end{pmatrix}` turns the state by 90 degrees and
    stretches it by ``gain`` at every step, starting from h_0 = (1, 0): one unit is exactly 0
    while the other doubles. Once a unit overflows to inf, the next step multiplies that inf by
    the 0 on the matrix's diagonal, and 0 * inf is NaN.

    Returns:
        dict with ``hs`` (T, 2) float32 states, ``first_inf`` and ``first_nan`` (1-based steps
        t of the first inf and the first NaN, None if none), ``W`` the matrix.
    """
    T = _checks.check_positive_int(T, "T")
    layer = RNN(1, 2, nonlinearity="linear", seed=0, dtype=np.float32)
    W = np.array([[0.0, -gain], [gain, 0.0]], dtype=np.float32)
    layer.params["weight_hh"][...] = W
    for name in ("weight_ih", "bias_ih", "bias_hh"):
        layer.params[name][...] = 0.0
    x = np.zeros((T, 1, 1), dtype=np.float32)
    hs, _, _ = layer.forward(x, np.array([[1.0, 0.0]], dtype=np.float32))
    hs = hs[:, 0, :]
    inf_steps = np.flatnonzero(np.isinf(hs).any(axis=1))
    nan_steps = np.flatnonzero(np.isnan(hs).any(axis=1))
    return {
        "hs": hs,
        "W": W,
        "first_inf": int(inf_steps[0]) + 1 if inf_steps.size else None,
        "first_nan": int(nan_steps[0]) + 1 if nan_steps.size else None,
    }


# ---------------------------------------------------------------------------------------------
# Many units: spectral radius, singular values, saturation


def unit_vector(H, seed=0):
    """A fixed random direction in R^H with length 1 (the gradient dL/dh_T of the demos)."""
    v = _checks.rng_from(seed).standard_normal(H)
    return v / np.linalg.norm(v)


def _demo_layer(W, nonlinearity, seed):
    H = W.shape[0]
    layer = RNN(1, H, nonlinearity=nonlinearity, seed=seed)
    layer.params["weight_hh"][...] = W
    layer.params["weight_ih"][...] = _checks.rng_from(seed + 1).standard_normal((H, 1))
    layer.params["bias_ih"][...] = 0.0
    layer.params["bias_hh"][...] = 0.0
    return layer


def matrix_gradient_norms(
    rho, nonlinearity="linear", input_scale=1.0, H=32, T=100, seed=0, bias=0.0
):
    r"""||dL/dh_t|| for an H-unit RNN whose random W_hh has spectral radius ``rho``.

    The network: W_hh from :func:`rnnlib.analysis.random_recurrent_matrix` (the same random
    matrix, rescaled, for every ``rho``), input weights N(0, 1), the bias ``bias`` on every unit,
    one input feature x_t ~ ``input_scale`` * N(0, 1), h_0 ~ 0.1 * N(0, 1), all seeded. The loss is
    L = u . h_T for a fixed unit vector u, so ||dL/dh_T|| = 1 and the curve shows how the
    gradient grows or shrinks on its way back.

    Returns:
        dict with ``t`` (T,) steps 1..T; ``norms`` (T,) ||dL/dh_t|| by BPTT
        (:func:`rnnlib.analysis.gradient_norms`); ``rho`` and ``sigma``: spectral radius and
        largest singular value of W_hh; ``guide`` (T,) rho^(T-t); ``mean_fprime``: the average
        of phi'(a_t) over all units and steps (1 for a linear unit); ``ratio``: ||dL/dh_1||,
        the gradient T - 1 steps back; ``hs`` (T, H) the hidden states; ``fprime_first`` (H,)
        phi'(a_1) and ``jacobian_rho``, the spectral radius of diag(phi'(a_1)) W_hh, the
        Jacobian of the first step; ``network`` = "random".
    """
    T = _checks.check_positive_int(T, "T")
    W = analysis.random_recurrent_matrix(H, rho, seed=seed)
    layer = _demo_layer(W, nonlinearity, seed)
    layer.params["bias_ih"][...] = bias
    rng = np.random.default_rng(seed + 2)
    x = input_scale * rng.standard_normal((T, 1, 1))
    h0 = 0.1 * rng.standard_normal((1, H))
    dhs = np.zeros((T, 1, H))
    dhs[-1, 0] = unit_vector(H, seed)
    norms = analysis.gradient_norms(layer, x, dhs, h0)
    hs, _, _ = layer.forward(x, h0)
    return _norms_result(
        W, float(rho), hs[:, 0, :], norms, nonlinearity, input_scale, bias, network="random"
    )


def _norms_result(W, rho, hs, norms, nonlinearity, input_scale, bias, network):
    """The dict both networks of the spectral-radius widget return (see
    :func:`matrix_gradient_norms`)."""
    from ..cells import NONLINEARITIES

    fprime = NONLINEARITIES[nonlinearity][1](hs)  # phi'(a_t), (T, H)
    T = hs.shape[0]
    t = np.arange(1, T + 1)
    with np.errstate(over="ignore", under="ignore"):
        guide = rho ** (T - t).astype(np.float64)
    first = fprime[0][:, None] * W  # diag(phi'(a_1)) W_hh
    return {
        "t": t,
        "norms": norms,
        "rho": analysis.spectral_radius(W),
        "sigma": analysis.largest_singular_value(W),
        "guide": guide,
        "mean_fprime": float(fprime.mean()),
        "ratio": float(norms[0]),
        "hs": hs,
        "fprime_first": fprime[0],
        "jacobian_rho": analysis.spectral_radius(first),
        "nonlinearity": nonlinearity,
        "input_scale": float(input_scale),
        "bias": float(bias),
        "T": T,
        "H": W.shape[0],
        "network": network,
    }


#: the two-unit example of saturation making a gradient explode: W_hh = [[-d, b], [c, d]] with
#: c chosen so that both eigenvalues have modulus ``rho``
PAIR = {"d": 1.27, "b": 5.7, "rho": 0.73}


def pair_matrix(rho=PAIR["rho"]):
    r"""The recurrent matrix of :func:`saturating_pair`: :math:`\begin{pmatrix}-d & b\\ c & d
    \end{pmatrix}` with :math:`c = (\rho_0^2 - d^2)/b`, whose eigenvalues are
    :math:`\pm\rho_0` (``PAIR``: d = 1.27, b = 5.7, :math:`\rho_0` = 0.73), rescaled to spectral
    radius ``rho``."""
    d, b, rho0 = PAIR["d"], PAIR["b"], PAIR["rho"]
    c = (rho0**2 - d**2) / b
    return (float(rho) / rho0) * np.array([[-d, b], [c, d]])


def _resting_value(w, bias, nonlinearity):
    """The h with h = phi(w h + bias), for w < 0 (a unique root): closed form for a linear unit,
    bisection on tanh's range otherwise."""
    if nonlinearity == "linear":
        return bias / (1.0 - w)
    lo, hi = -1.0, 1.0  # h - tanh(w h + bias) rises from < 0 to > 0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if mid - np.tanh(w * mid + bias) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def saturating_pair(rho=PAIR["rho"], bias=5.0, nonlinearity="tanh", input_scale=0.0, T=100, seed=0):
    r"""A two-unit RNN whose gradient explodes *because* one unit saturates, although
    :math:`\rho(W_{hh}) < 1`.

    W_hh = :func:`pair_matrix` (eigenvalues :math:`\pm\rho`, largest singular value 5.98 at
    rho = 0.73). Unit 1 gets the bias ``bias``, which pins it near tanh's flat top, so its
    slope :math:`\varphi'(a_1)` is close to 0; unit 2's bias cancels unit 1's pull on it, so
    unit 2 rests at 0, where tanh is steepest (:math:`\varphi' = 1`); h_0 is that resting
    state. The Jacobian of every step is then
    :math:`\operatorname{diag}(\varphi'(a_t)) W_{hh} \approx \begin{pmatrix}0 & 0\\ c & d
    \end{pmatrix}`, whose spectral radius is about d = 1.27 > 1: the saturated unit has taken
    its cancelling self-loop out of the product. The input (one feature, N(0, 1) times
    ``input_scale``) feeds unit 2 only: any input nudges unit 2 off its resting point into
    tanh's flat parts, and the growth stops (forward and backward share the Jacobian, so a
    resting point whose gradients explode is an unstable one).

    Returns:
        the dict of :func:`matrix_gradient_norms`, with ``network`` = "pair".
    """
    T = _checks.check_positive_int(T, "T")
    W = pair_matrix(rho)
    layer = RNN(1, 2, nonlinearity=nonlinearity, seed=0)
    layer.params["weight_hh"][...] = W
    layer.params["weight_ih"][...] = [[0.0], [1.0]]
    layer.params["bias_hh"][...] = 0.0
    h1 = _resting_value(W[0, 0], bias, nonlinearity)
    layer.params["bias_ih"][...] = [bias, -W[1, 0] * h1]
    x = input_scale * np.random.default_rng(seed).standard_normal((T, 1, 1))
    h0 = np.array([[h1, 0.0]])
    dhs = np.zeros((T, 1, 2))
    dhs[-1, 0] = [0.0, 1.0]  # L = h_T of unit 2: ||dL/dh_T|| = 1
    norms = analysis.gradient_norms(layer, x, dhs, h0)
    hs, _, _ = layer.forward(x, h0)
    return _norms_result(
        W, float(rho), hs[:, 0, :], norms, nonlinearity, input_scale, bias, network="pair"
    )


def jacobian_norms(W, T):
    r"""||dh_T/dh_t||_2 for t = 1..T of a *linear* RNN with recurrent matrix W, by BPTT.

    For a linear unit the Jacobian is a matrix power, dh_T/dh_t = W^(T-t); here it is computed
    by :func:`rnnlib.analysis.jacobian_products` (one backward pass per hidden unit), not by
    ``matrix_power``.

    Returns:
        (T,) array: entry t-1 is the spectral norm of dh_T/dh_t (entry T-1 is 1: the identity).
    """
    W = _checks.as_float_array(W, "W")
    layer = _demo_layer(W, "linear", 0)
    x = np.zeros((T, 1, 1))
    J = analysis.jacobian_products(layer, x)[:, 0]  # (T, H, H)
    return np.linalg.norm(J, ord=2, axis=(1, 2))


def non_normal_growth(T=30, a=0.5, c=4.0):
    """A 2 x 2 matrix with spectral radius ``a`` < 1 whose gradients still grow at first.

    W = [[a, c], [0, a]] has both eigenvalues equal to ``a`` but stretches some vectors by
    about ``c``: its largest singular value is far above 1.

    Returns:
        dict with ``W``, ``rho``, ``sigma``, ``norms`` (T,) = ||dh_T/dh_t||_2 (from
        :func:`jacobian_norms`, index 0 is T - 1 steps back), ``peak`` (the largest of them)
        and ``peak_steps_back``.
    """
    W = np.array([[a, c], [0.0, a]])
    norms = jacobian_norms(W, T)
    back = norms[::-1]  # index k: k steps back
    k = int(np.argmax(back))
    return {
        "W": W,
        "rho": analysis.spectral_radius(W),
        "sigma": analysis.largest_singular_value(W),
        "norms": norms,
        "peak": float(back[k]),
        "peak_steps_back": k,
    }


def orthogonal_gradient_ratio(H=32, T=100, seed=0):
    """||dL/dh_1|| / ||dL/dh_T|| for a linear RNN whose W_hh is a random orthogonal matrix
    (every singular value 1): the gradient's length is kept exactly, step after step."""
    Q, R = np.linalg.qr(_checks.rng_from(seed).standard_normal((H, H)))
    Q = Q * np.sign(np.diag(R))  # a uniformly random orthogonal matrix
    layer = _demo_layer(Q, "linear", seed)
    dhs = np.zeros((T, 1, H))
    dhs[-1, 0] = unit_vector(H, seed)
    norms = analysis.gradient_norms(layer, np.zeros((T, 1, 1)), dhs)
    return {
        "ratio": float(norms[0] / norms[-1]),
        "sigma": analysis.largest_singular_value(Q),
        "smallest_sigma": float(np.linalg.svd(Q, compute_uv=False).min()),
    }


def tanh_derivative_table(a_values=(0.0, 0.5, 1.0, 2.0, 3.0, 5.0)):
    """phi'(a) = 1 - tanh(a)^2 at a few pre-activations, through rnnlib's own derivative."""
    from ..cells import NONLINEARITIES

    f, fprime = NONLINEARITIES["tanh"]
    a = np.asarray(a_values, dtype=np.float64)
    return {"a": a, "fprime": fprime(f(a))}
