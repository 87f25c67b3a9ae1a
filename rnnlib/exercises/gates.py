"""Exercises of notebook 05 (LSTM and GRU gates), with their checks and reference solutions.

1. ``check_lstm_step(fn)``: one LSTM step, ``fn(x, h_prev, c_prev, weight_ih, weight_hh,
   bias_ih, bias_hh) -> (h, c)``, PyTorch's gate order i, f, g, o.
2. ``check_gru_step(fn)``: one GRU step, ``fn(x, h_prev, weight_ih, weight_hh, bias_ih,
   bias_hh) -> h``, PyTorch's equations (gate order r, z, n; reset applied after the matmul).
3. ``check_highway_gradient(fn)``: ``fn(f) -> g`` with ``f: (T, B, H)`` the forget gates
   f_1..f_T and ``g: (T + 1, B, H)``, ``g[j]`` = dc_T/dc_{T-j} along the cell state.

Each check runs the learner's function on fresh random inputs and compares with the reference.
When the answer is wrong, it also tries the usual mistakes (a gate order from another library,
a missing tanh, z and 1 - z swapped, a product taken from the wrong end, ...) and names the one
the learner made. ``solution(solution_lstm_step)`` prints a reference solution.
"""

from __future__ import annotations


import numpy as np

from ..cells import gru_step_forward, lstm_step_forward, sigmoid
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = ["check_lstm_step", "check_gru_step", "check_highway_gradient",
           "solution_lstm_step", "solution_gru_step", "solution_highway_gradient"]


# ---- reference solutions ---------------------------------------------------------------------

def solution_lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh   # (B, 4H): all gates
    i = sigmoid(a[:, 0 * H:1 * H])      # input gate
    f = sigmoid(a[:, 1 * H:2 * H])      # forget gate
    g = np.tanh(a[:, 2 * H:3 * H])      # candidate
    o = sigmoid(a[:, 3 * H:4 * H])      # output gate
    c = f * c_prev + i * g              # the cell-state update
    h = o * np.tanh(c)
    return h, c


def solution_gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    ax = x @ weight_ih.T + bias_ih          # (B, 3H): input parts of r, z, n
    ah = h_prev @ weight_hh.T + bias_hh     # (B, 3H): hidden parts of r, z, n
    r = sigmoid(ax[:, :H] + ah[:, :H])                 # reset gate
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])       # update gate
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])     # candidate: reset applied after the matmul
    return (1.0 - z) * n + z * h_prev                  # the interpolation


def solution_highway_gradient(f):
    ones = np.ones_like(f[:1])                         # j = 0: dc_T/dc_T = 1
    return np.concatenate([ones, np.cumprod(f[::-1], axis=0)], axis=0)   # f_T, f_T f_{T-1}, ...


# ---- the usual mistakes, each a function with the learner's signature ------------------------

def _lstm_variant(order="ifgo", tanh_c=True, use_input_gate=True, sigmoid_g=False):
    def step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h_prev.shape[1]
        a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh
        blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = sigmoid(blocks["g"]) if sigmoid_g else np.tanh(blocks["g"])
        c = f * c_prev + (i * g if use_input_gate else g)
        h = o * (np.tanh(c) if tanh_c else c)
        return h, c
    return step


_LSTM_MISTAKES = [
    (_lstm_variant(order="ifog"), "your gates are in the order i, f, o, g (CS231n's order). "
     "PyTorch and rnnlib stack them i, f, g, o: the candidate g is the third block of H rows, "
     "the output gate o the fourth."),
    (_lstm_variant(order="fiog"), "your gates are in the order f, i, o, g. PyTorch and rnnlib "
     "stack them i, f, g, o."),
    (_lstm_variant(order="figo"), "you swapped the input and forget gates: in PyTorch's order "
     "i, f, g, o the input gate i is the first block of H rows and the forget gate f the second."),
    (_lstm_variant(tanh_c=False), "your c is right but h is not: the hidden state is "
     "h = o * tanh(c), with a tanh on the cell state."),
    (_lstm_variant(use_input_gate=False), "the candidate g must pass through the input gate: "
     "c = f * c_prev + i * g."),
    (_lstm_variant(sigmoid_g=True), "the candidate g uses tanh (values in (-1, 1)), not the "
     "sigmoid: only i, f and o are gates."),
]


def _gru_variant(swap_z=False, reset_before=False, order="rzn", no_bhn_in_reset=False):
    def step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h_prev.shape[1]
        idx = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
        ax = x @ weight_ih.T + bias_ih
        r = sigmoid(ax[:, idx["r"]] + h_prev @ weight_hh[idx["r"]].T + bias_hh[idx["r"]])
        z = sigmoid(ax[:, idx["z"]] + h_prev @ weight_hh[idx["z"]].T + bias_hh[idx["z"]])
        w_hn, b_hn = weight_hh[idx["n"]], bias_hh[idx["n"]]
        if reset_before:
            hn = (r * h_prev) @ w_hn.T + b_hn
        elif no_bhn_in_reset:
            hn = r * (h_prev @ w_hn.T) + b_hn
        else:
            hn = r * (h_prev @ w_hn.T + b_hn)
        n = np.tanh(ax[:, idx["n"]] + hn)
        return z * n + (1.0 - z) * h_prev if swap_z else (1.0 - z) * n + z * h_prev
    return step


_GRU_MISTAKES = [
    (_gru_variant(swap_z=True), "z and 1 - z are swapped. In PyTorch's convention (and the "
     "course's) z is the fraction of the old state that is kept: h = (1 - z) * n + z * h_prev. "
     "Some texts (Chung et al. 2014, Wikipedia) write it the other way round; both are GRUs, but "
     "they are not the same function of the same weights."),
    (_gru_variant(reset_before=True), "you applied the reset gate before the matmul, "
     "W_hn (r * h_prev) + b_hn: that is the GRU of Cho et al. (2014) and d2l, "
     "rnnlib.GRU(reset_after=False). This exercise asks for PyTorch's: r * (W_hn h_prev + b_hn)."),
    (_gru_variant(no_bhn_in_reset=True), "the reset gate multiplies the whole hidden part of the "
     "candidate, bias included: r * (W_hn h_prev + b_hn), not r * (W_hn h_prev) + b_hn."),
    (_gru_variant(order="zrn"), "your gates are in the order z, r, n. PyTorch and rnnlib stack "
     "them r, z, n: the reset gate is the first block of H rows."),
]


def _highway_cumprod_forward(f):
    return np.concatenate([np.ones_like(f[:1]), np.cumprod(f, axis=0)], axis=0)


def _highway_last_gate_power(f):
    j = np.arange(len(f) + 1).reshape((-1,) + (1,) * (f.ndim - 1))
    return f[-1:] ** j


_HIGHWAY_MISTAKES = [
    (_highway_cumprod_forward, "you multiplied the forget gates from the start (f_1, f_1 f_2, "
     "...). Going back from step T, the first factor is f_T: g[j] = f_T f_(T-1) ... f_(T-j+1). "
     "Reverse f along time (f[::-1]) before the cumulative product."),
    (_highway_last_gate_power, "you raised the last forget gate to the power j. That is right "
     "only when every step has the same forget gate; here each step has its own f_t, so multiply "
     "the different gates: g[j] = f_T f_(T-1) ... f_(T-j+1)."),
]


# ---- the engine: run_check, then name the mistake --------------------------------------------

def _diagnose(name, fn, reference, cases, hint, mistakes, output_names=None,
              shape_hint=None) -> CheckResult:
    """``run_check``; a wrong answer that equals one of the known ``mistakes`` gets that
    mistake's explanation as its hint."""
    return run_check(name, fn, reference, cases, hint=hint, output_names=output_names,
                     diagnose=known_mistakes(mistakes), shape_hint=shape_hint)


def _lstm_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in ((2, 3, 4), (1, 1, 1), (5, 2, 3)):
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                      rng.standard_normal((B, H)), rng.standard_normal((4 * H, D)),
                      rng.standard_normal((4 * H, H)), rng.standard_normal(4 * H),
                      rng.standard_normal(4 * H)))
    return cases


def _gru_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in ((2, 3, 4), (1, 2, 1), (4, 2, 3)):
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                      rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H)),
                      rng.standard_normal(3 * H), rng.standard_normal(3 * H)))
    return cases


def check_lstm_step(fn, seed=0) -> CheckResult:
    """Check one LSTM step against :func:`rnnlib.cells.lstm_step_forward` on three shapes."""
    return _diagnose(
        "LSTM step", fn, lambda *a: lstm_step_forward(*a)[:2], _lstm_cases(seed),
        hint="compute a = x W_ih^T + b_ih + h_prev W_hh^T + b_hh, split it into four blocks of H "
             "columns (i, f, g, o), then c = f * c_prev + i * g and h = o * tanh(c).",
        mistakes=_LSTM_MISTAKES, output_names=["h", "c"],
        shape_hint="h and c are both (B, H): one row per sequence, one column per hidden unit.")


def check_gru_step(fn, seed=0) -> CheckResult:
    """Check one GRU step (PyTorch's equations) against :func:`rnnlib.cells.gru_step_forward`."""
    return _diagnose(
        "GRU step", fn, lambda *a: gru_step_forward(*a, reset_after=True)[0], _gru_cases(seed),
        hint="r and z are sigmoids of (input part + hidden part); n = tanh(W_in x + b_in + "
             "r * (W_hn h_prev + b_hn)); h = (1 - z) * n + z * h_prev.",
        mistakes=_GRU_MISTAKES, output_names=["h"],
        shape_hint="h is (B, H), like h_prev.")


def check_highway_gradient(fn, seed=0) -> CheckResult:
    """Check ``fn(f) -> (T + 1, B, H)`` products of forget gates, j steps back."""
    rng = np.random.default_rng(seed)
    cases = [(rng.uniform(0.05, 0.99, size=(T, B, H)),) for T, B, H in ((8, 1, 1), (1, 1, 1),
                                                                         (30, 2, 3))]
    return _diagnose(
        "Gradient along the cell state", fn, solution_highway_gradient, cases,
        hint="g[0] = 1 and g[j] = g[j - 1] * f_(T-j+1): each step back multiplies by one more "
             "forget gate, starting from the last one, f[T - 1] in 0-based numpy indexing.",
        mistakes=_HIGHWAY_MISTAKES, output_names=["g"],
        shape_hint="g has T + 1 rows, one for every j = 0, 1, ..., T (g[0] = 1: zero steps back).")
