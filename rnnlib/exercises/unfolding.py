r"""Self-checks for notebooks 00 (course map) and 01 (unfolding an RNN in time).

Each ``check_*`` runs your function on fresh inputs, compares it with rnnlib and prints what it
found; it never raises. ``solution_*`` are reference solutions: print one with
``rnnlib.exercises.solution(solution_rnn_forward)`` when you are stuck.

Notebook 00
    :func:`check_from_article`, :func:`check_count_parameters`
Notebook 01
    :func:`check_rnn_forward`, :func:`check_jordan_step`, :func:`check_nudge_effect`
"""

from __future__ import annotations

import numpy as np

from ..analysis import scalar_rnn
from ..demos.unfolding import perturbation_effect
from ..layers import RNN
from ..networks import ElmanNetwork, JordanNetwork
from ._feedback import AnswerError, known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_from_article", "solution_from_article",
    "check_count_parameters", "solution_count_parameters",
    "check_rnn_forward", "solution_rnn_forward",
    "check_jordan_step", "solution_jordan_step",
    "check_nudge_effect", "solution_nudge_effect",
]


#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_from_article": (
        "Match the article's formulas with the course's term by term. Its a_t is the hidden "
        "state (the course's h_t), so read a_t = tanh(b + W a_{t-1} + U x_t) as h_t = "
        "tanh(W_hh h_{t-1} + W_xh x_t + b_h), then look up PyTorch's name for each course "
        "symbol in the notation table.",
        """\
        U -> W_xh -> rnn.weight_ih        W -> W_hh -> rnn.weight_hh
        V -> W_hy -> out.weight           c -> b_y  -> out.bias
        b -> b_h  =  rnn.bias_ih + rnn.bias_hh   (any two vectors that add up to b)
        Every array already has PyTorch's layout: nothing needs a transpose.""",
        """\
        def from_article(U, W, V, b, c):
            return {
                "rnn.weight_ih": ...,
                "rnn.weight_hh": ...,
                "rnn.bias_ih": ...,
                "rnn.bias_hh": ...,          # the two biases must add up to b
                "out.weight": ...,
                "out.bias": ...,
            }"""),
    "check_count_parameters": (
        "Count the numbers in every array the network learns: the recurrent layer's two weight "
        "matrices and two bias vectors (PyTorch's layout), then the output layer's weight and "
        "bias. The sequence length appears nowhere: the same arrays serve every step.",
        """\
        weight_ih: H x D     weight_hh: H x H     bias_ih: H     bias_hh: H
        out.weight: O x H    out.bias: O
        total = H*D + H*H + 2*H + O*H + O""",
        """\
        def count_parameters(D, H, O):
            rnn = ... + ... + ... + ...        # weight_ih, weight_hh, bias_ih, bias_hh
            head = ... + ...                   # weight, bias of the output layer
            return rnn + head"""),
    "check_rnn_forward": (
        "Apply the one-step formula T times, each time feeding the state you just computed "
        "back in; start from the given h0 and keep every state.",
        """\
        h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),   t = 1, ..., T,   h_0 = h0.
        With one sequence per row (x[t] has shape (B, D)), W_xh x_t is written x[t] @ W_xh.T.
        The result stacks h_1, ..., h_T: shape (T, B, H).""",
        """\
        def rnn_forward(x, h0, W_xh, W_hh, b_h):
            h = h0
            hs = []
            for x_t in x:
                h = np.tanh(... + ... + b_h)
                hs.append(h)
            return np.stack(hs)"""),
    "check_jordan_step": (
        "A Jordan network has the same step as an Elman network, except that the memory fed "
        "back is the previous output y_prev, not the previous hidden state. The output has no "
        "activation.",
        """\
        h_t = tanh(W_xh x_t + W_yh y_{t-1} + b_h)
        y_t = W_hy h_t + b_y
        (rows are sequences: W v is written v @ W.T)""",
        """\
        def jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
            h_t = np.tanh(x_t @ ... + y_prev @ ... + b_h)
            y_t = ...
            return h_t, y_t"""),
    "check_nudge_effect": (
        "Follow the extra 1 through the recurrence: it enters h_1 directly, and every later "
        "step passes on w times what it received.",
        """\
        change of h_1 = 1,   change of h_t = w * (change of h_{t-1}),
        so change of h_t = w^(t-1) for t = 1, ..., T (and 0 ** 0 = 1).""",
        """\
        def nudge_effect(w, T):
            exponents = np.arange(...)           # one per step: 0, 1, ..., T - 1
            return float(w) ** ..."""),
}


# =============================================================================================
# Notebook 00


def solution_from_article(U, W, V, b, c):
    """The network of the 'Understanding the basics of RNNs' article as rnnlib parameters.

    The article writes a_t = tanh(b + W a_{t-1} + U x_t) and y_hat_t = c + V a_t, where a_t is
    the *hidden state* (the course's h_t). U: (H, D); W: (H, H); V: (O, H); b: (H,); c: (O,).
    Returns the parameter dict of ``rnnlib.ElmanNetwork(D, H, O)``.
    """
    return {
        "rnn.weight_ih": U,                 # input -> hidden: U is the course's W_xh
        "rnn.weight_hh": W,                 # hidden -> hidden: the article's W is recurrent
        "rnn.bias_ih": b,                   # PyTorch adds two biases: any split that sums to b
        "rnn.bias_hh": np.zeros_like(b),
        "out.weight": V,                    # hidden -> output, already PyTorch's (O, H) layout
        "out.bias": c,
    }


def _article_outputs(U, W, V, b, c, x):
    """The article's formulas, step by step, for a batch x: (T, B, D) -> y_hat: (T, B, O)."""
    a = np.zeros((x.shape[1], W.shape[0]))
    ys = []
    for x_t in x:
        a = np.tanh(b + a @ W.T + x_t @ U.T)
        ys.append(c + a @ V.T)
    return np.stack(ys)


_ARTICLE_KEYS = ("rnn.weight_ih", "rnn.weight_hh", "rnn.bias_ih", "rnn.bias_hh", "out.weight",
                 "out.bias")


def _network_outputs(params, x, D, H, O):
    """Run ``params`` (the learner's dict) as an ElmanNetwork on x, after checking its keys and
    shapes; a problem with the dict itself is reported as an AnswerError."""
    if params is None:
        return None
    if not isinstance(params, dict):
        raise AnswerError(f"expected a dict of parameters, got {type(params).__name__}")
    missing = [k for k in _ARTICLE_KEYS if k not in params]
    if missing:
        raise AnswerError(f"your dict has no {', '.join(map(repr, missing))}; an ElmanNetwork "
                          f"needs exactly the keys {', '.join(_ARTICLE_KEYS)}")
    shapes = dict(zip(_ARTICLE_KEYS, [(H, D), (H, H), (H,), (H,), (O, H), (O,)], strict=False))
    arrays = {}
    for key, shape in shapes.items():
        try:
            arrays[key] = np.asarray(params[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise AnswerError(f"{key} should be an array of numbers") from None
        if arrays[key].shape != shape:
            raise AnswerError(f"{key} has shape {arrays[key].shape}, expected {shape} "
                              f"(D = {D} inputs, H = {H} hidden units, O = {O} outputs)",
                              status="shape")
        if not np.all(np.isfinite(arrays[key])):
            raise AnswerError(f"{key} contains NaN or inf, expected finite numbers",
                              status="nan")
    try:
        return ElmanNetwork(D, H, O, seed=0).with_params(arrays).forward(x)[0]
    except ValueError as exc:                       # rnnlib's own refusal, said plainly
        raise AnswerError(f"rnnlib cannot use these parameters: {exc}") from None


def _article_cases():
    rng = np.random.default_rng(4004)
    cases = []
    for D, H, O, T, B in [(4, 4, 4, 5, 2), (3, 5, 2, 6, 3), (1, 2, 1, 4, 1)]:
        cases.append((rng.standard_normal((H, D)) / np.sqrt(D),
                      rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((O, H)),
                      0.5 * rng.standard_normal(H), 0.5 * rng.standard_normal(O),
                      rng.standard_normal((T, B, D))))
    return cases


def _article_slip(params_of):
    """A classic slip, ``params_of(U, W, V, b, c) -> dict``, run like the learner's answer."""
    def variant(U, W, V, b, c, x):
        return _network_outputs(params_of(U, W, V, b, c), x, U.shape[1], U.shape[0], V.shape[0])
    return variant


def _elman_params(weight_ih, weight_hh, bias_ih, bias_hh, out_weight, out_bias):
    values = (weight_ih, weight_hh, bias_ih, bias_hh, out_weight, out_bias)
    return dict(zip(_ARTICLE_KEYS, values, strict=True))


#: (the parameters a learner with this slip returns, explanation): the classic slips
_ARTICLE_SLIPS = [
    (lambda U, W, V, b, c: _elman_params(W, U, b, 0 * b, V, c),
     "U and W are swapped. In that article W is the recurrent (hidden-to-hidden) matrix and U "
     "the input one: U is the course's W_xh (weight_ih), W is W_hh (weight_hh)."),
    (lambda U, W, V, b, c: _elman_params(U, W, b, b, V, c),
     "b is counted twice: PyTorch adds bias_ih and bias_hh, so the two must sum to b (for "
     "example b and zeros)."),
    (lambda U, W, V, b, c: _elman_params(U, W, 0 * b, 0 * b, V, c),
     "the hidden bias is missing: bias_ih + bias_hh must equal the article's b."),
    (lambda U, W, V, b, c: _elman_params(U, W, c, 0 * c, V, b),
     "b and c are swapped: b is the hidden layer's bias, c the output layer's."),
    (lambda U, W, V, b, c: _elman_params(U, W, b, 0 * b, V.T, c),
     "out.weight is transposed: V is already (O, H), PyTorch's layout for a Linear layer."),
    (lambda U, W, V, b, c: _elman_params(U.T, W, b, 0 * b, V, c),
     "weight_ih is transposed: U is already (H, D), PyTorch's layout."),
    (lambda U, W, V, b, c: _elman_params(U, W.T, b, 0 * b, V, c),
     "weight_hh is transposed: W is already (H, H) in the layout PyTorch uses (W applied to "
     "the state as a column vector)."),
]
_ARTICLE_MISTAKES = [(_article_slip(params_of), why) for params_of, why in _ARTICLE_SLIPS]


def check_from_article(fn):
    """Check ``fn(U, W, V, b, c) -> dict``: an ``rnnlib.ElmanNetwork`` with these parameters
    must compute the outputs of the article's formulas on fresh sequences."""
    def learner(U, W, V, b, c, x):
        return _network_outputs(fn(U, W, V, b, c), x, U.shape[1], U.shape[0], V.shape[0])

    return run_check("from_article", learner if callable(fn) else fn, _article_outputs,
                     _article_cases(), output_names=["the output ŷ"],
                     diagnose=known_mistakes(_ARTICLE_MISTAKES), check="check_from_article")


def solution_count_parameters(D, H, O):
    """Learned numbers of an Elman network: RNN layer (PyTorch layout) + Linear head."""
    rnn = H * D + H * H + H + H      # weight_ih, weight_hh, bias_ih, bias_hh
    head = O * H + O                 # weight (O, H), bias (O,)
    return rnn + head


def _reference_count_parameters(D, H, O):
    return ElmanNetwork(D, H, O, seed=0).num_params()


_COUNT_MISTAKES = [
    (lambda D, H, O: H * D + H * H + H + O * H + O,
     "one bias short: PyTorch's layout has two bias vectors in the recurrent layer, bias_ih "
     "and bias_hh, H numbers each (only their sum acts, but both are learned)."),
    (lambda D, H, O: H * D + H * H + 2 * H,
     "the output layer is missing: its weight (O x H) and bias (O) are learned too."),
    (lambda D, H, O: H * D + H * H + 2 * H + O * H,
     "the output layer's bias (O numbers) is missing."),
    (lambda D, H, O: D * H + H * H + 2 * H + O * H + O + D,
     "the inputs themselves are not parameters: only weights and biases are learned."),
]


def check_count_parameters(fn):
    """Check ``fn(D, H, O) -> int`` against ``rnnlib.ElmanNetwork(D, H, O).num_params()``."""
    cases = [(8, 16, 2), (1, 1, 1), (50, 7, 3), (3, 100, 10)]
    return run_check("count_parameters", fn, _reference_count_parameters, cases,
                     output_names=["number of parameters"], rtol=0, atol=0,
                     diagnose=known_mistakes(_COUNT_MISTAKES, rtol=0, atol=0))


# =============================================================================================
# Notebook 01


def solution_rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Unroll h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h) over a batch of sequences.

    x: (T, B, D); h0: (B, H); W_xh: (H, D); W_hh: (H, H); b_h: (H,). Returns hs: (T, B, H).
    """
    h = h0
    hs = []
    for x_t in x:                                  # one time step at a time
        h = np.tanh(x_t @ W_xh.T + h @ W_hh.T + b_h)   # rows are sequences: x_t is (B, D)
        hs.append(h)
    return np.stack(hs)


def _reference_rnn_forward(x, h0, W_xh, W_hh, b_h):
    layer = RNN(W_xh.shape[1], W_xh.shape[0], seed=0)
    layer.params.update(weight_ih=W_xh, weight_hh=W_hh, bias_ih=b_h, bias_hh=np.zeros_like(b_h))
    return layer.forward(x, h0)[0]


def _rnn_forward_cases():
    rng = np.random.default_rng(2024)
    cases = []
    for T, B, D, H in [(5, 2, 3, 4), (1, 1, 2, 3), (7, 3, 1, 2)]:
        cases.append((rng.standard_normal((T, B, D)), 0.5 * rng.standard_normal((B, H)),
                      rng.standard_normal((H, D)) / np.sqrt(D),
                      rng.standard_normal((H, H)) / np.sqrt(H), 0.1 * rng.standard_normal(H)))
    return cases


def _forward_variant(start_zero=False, bias=True, act=np.tanh, shift=False):
    def variant(x, h0, W_xh, W_hh, b_h):
        h = np.zeros_like(h0) if start_zero else h0
        hs = [h] if shift else []
        for x_t in x:
            h = act(x_t @ W_xh.T + h @ W_hh.T + (b_h if bias else 0.0))
            hs.append(h)
        return np.stack(hs[:len(x)])
    return variant


_FORWARD_MISTAKES = [
    (_forward_variant(start_zero=True),
     "the loop starts from zeros: start from the given h0 (the state carried in from before)."),
    (_forward_variant(shift=True),
     "the states are shifted by one step: hs[0] must be h_1, the state after reading x[0], not "
     "h0; return the T states h_1, ..., h_T."),
    (_forward_variant(bias=False), "the bias b_h is missing from the pre-activation."),
    (_forward_variant(act=lambda a: a),
     "the activation is missing: h_t = tanh(a_t), not a_t itself."),
]


def check_rnn_forward(fn):
    """Check ``fn(x, h0, W_xh, W_hh, b_h) -> hs`` against ``rnnlib.RNN.forward``."""
    return run_check("rnn_forward", fn, _reference_rnn_forward, _rnn_forward_cases(),
                     output_names=["hs"], diagnose=known_mistakes(_FORWARD_MISTAKES),
                     shape_hint="hs holds all T states, one (B, H) block per step: stack the "
                                "list of states with np.stack, shape (T, B, H).")


def solution_jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
    """One step of a Jordan network: the previous *output* is the memory.

    x_t: (B, D); y_prev: (B, O); W_xh: (H, D); W_yh: (H, O); b_h: (H,); W_hy: (O, H); b_y: (O,).
    Returns h_t: (B, H) and y_t: (B, O).
    """
    h_t = np.tanh(x_t @ W_xh.T + y_prev @ W_yh.T + b_h)
    y_t = h_t @ W_hy.T + b_y
    return h_t, y_t


def _reference_jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
    D, O, H = x_t.shape[1], y_prev.shape[1], W_xh.shape[0]
    net = JordanNetwork(D, H, O, seed=0)
    net.params.update(weight_xh=W_xh, weight_yh=W_yh, bias_h=b_h, weight_hy=W_hy, bias_y=b_y)
    ys, _, cache = net.forward(x_t[None], y_prev)
    return cache["hs"][0], ys[0]


def _jordan_cases():
    rng = np.random.default_rng(77)
    cases = []
    for B, D, H, O in [(2, 3, 4, 2), (1, 1, 3, 1), (3, 2, 2, 3)]:
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, O)),
                      rng.standard_normal((H, D)), rng.standard_normal((H, O)),
                      rng.standard_normal(H), rng.standard_normal((O, H)), rng.standard_normal(O)))
    return cases


def _jordan_variant(out_act=None, feed_h=False, bias=True):
    def variant(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
        h_t = np.tanh(x_t @ W_xh.T + y_prev @ W_yh.T + (b_h if bias else 0.0))
        y_t = h_t @ W_hy.T + b_y
        return h_t, (out_act(y_t) if out_act else y_t)
    return variant


_JORDAN_MISTAKES = [
    (_jordan_variant(out_act=np.tanh),
     "the output has no activation in this network: y_t = W_hy h_t + b_y."),
    (_jordan_variant(bias=False), "the hidden bias b_h is missing."),
]


def check_jordan_step(fn):
    """Check ``fn(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y) -> (h_t, y_t)`` against
    ``rnnlib.JordanNetwork``."""
    return run_check("jordan_step", fn, _reference_jordan_step, _jordan_cases(),
                     output_names=["h_t", "y_t"], diagnose=known_mistakes(_JORDAN_MISTAKES))


def solution_nudge_effect(w, T):
    """Linear one-unit RNN h_t = w h_{t-1} + x_t: raising x_1 by 1 raises h_t by w^(t-1)."""
    return float(w) ** np.arange(T)          # t = 1..T  ->  exponents 0..T-1


def _reference_nudge_effect(w, T):
    layer = scalar_rnn(w, "linear")
    x = np.zeros((T, 1, 1))
    hs, hs2, _ = perturbation_effect(layer, x, eps=1.0, step=0)
    return (hs2 - hs).ravel()                # measured by running rnnlib twice


_NUDGE_MISTAKES = [
    (lambda w, T: float(w) ** np.arange(1, T + 1),
     "off by one: h_1 moves by exactly 1 (w to the power 0); step t has w to the power t - 1."),
    (lambda w, T: np.abs(float(w)) ** np.arange(T),
     "the sign is lost: with a negative w the change flips sign at every step."),
    (lambda w, T: np.cumsum(float(w) ** np.arange(T)),
     "these are running sums: each step's change is w times the previous step's change, not "
     "added to it."),
]


def check_nudge_effect(fn):
    """Check ``fn(w, T) -> (T,)``: by how much h_1..h_T move when x_1 grows by 1 in the linear
    one-unit RNN h_t = w h_{t-1} + x_t (measured with rnnlib)."""
    cases = [(0.5, 6), (1.1, 10), (-0.8, 5), (0.0, 4), (1.0, 3)]
    return run_check("nudge_effect", fn, _reference_nudge_effect, cases,
                     output_names=["change of h_1..h_T"],
                     diagnose=known_mistakes(_NUDGE_MISTAKES))
