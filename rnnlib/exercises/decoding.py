r"""Self-checks for notebook 10 (decoding).

:func:`check_greedy_decode`
    the generation loop: pick the most likely symbol, feed it back, carry the state.
:func:`check_beam_step`
    one step of beam search: extend every kept prefix by every symbol, keep the best ``width``.

Both work on a small stand-in for a decoder, ``step(state, prev) -> (log_probs, new_state)``,
so that the loop itself is what you write.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..demos.decoding import greedy_decode as _course_greedy_decode
from ._feedback import known_mistakes, run_check

__all__ = [
    "HINTS",
    "toy_decoder",
    "check_greedy_decode",
    "solution_greedy_decode",
    "check_beam_step",
    "solution_beam_step",
]

HINTS = {
    "check_greedy_decode": (
        "Generating is a loop: the decoder says how likely each next symbol is, you pick the "
        "most likely one, and that symbol, not the start symbol, is what the decoder reads next. "
        "The state it returns is the state for the next step.",
        """\
        state, prev = start_state, start_symbol
        for t = 1..T:   log_probs, state = step(state, prev)
                        prev = argmax(log_probs);  output[t] = prev""",
        """\
        def greedy_decode(step, start_state, start_symbol, T):
            state, prev, out = start_state, start_symbol, []
            for _ in range(T):
                log_probs, state = step(state, ...)
                prev = int(np.argmax(...))
                out.append(prev)
            return np.array(out)""",
    ),
    "check_beam_step": (
        "Each kept prefix can be extended by any symbol, so there are k x O candidates. A "
        "candidate's score is its prefix's log-probability plus the new symbol's: log-"
        "probabilities add where probabilities multiply. Keep the best `width` of all of them, "
        "not the best symbol of each prefix.",
        """\
        total[b, o] = scores[b] + log_probs[b, o]            (k, O)
        the `width` largest entries of total, best first:
            parent = their row b,  symbol = their column o,  new_scores = total[parent, symbol]""",
        """\
        def beam_step(scores, log_probs, width):
            total = scores[:, None] + ...
            order = np.argsort(-total, axis=None)[:width]     # over all k x O, best first
            parent, symbol = np.unravel_index(order, ...)
            return parent, symbol, total[...]""",
    ),
}


def toy_decoder(seed, n_symbols=5, size=3):
    """A small stand-in for a trained decoder: ``step(state, prev) -> (log_probs, new_state)``,
    a random recurrent map whose next-symbol distribution depends on the state and the previous
    symbol. Returns (step, start_state)."""
    rng = np.random.default_rng(seed)
    W_s, W_e = rng.standard_normal((size, size)), rng.standard_normal((n_symbols + 1, size))
    W_o = 2.0 * rng.standard_normal((size, n_symbols))

    def step(state, prev):
        new = np.tanh(state @ W_s + W_e[int(prev)])
        logits = new @ W_o
        return logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max(), new

    return step, rng.standard_normal(size)


def solution_greedy_decode(step, start_state, start_symbol, T):
    """Greedy decoding: T symbols, each the most likely given the ones before. Returns (T,)."""
    state, prev, out = start_state, start_symbol, []
    for _ in range(T):
        log_probs, state = step(state, prev)  # the decoder's state carries on
        prev = int(np.argmax(log_probs))  # its own choice is fed back
        out.append(prev)
    return np.array(out)


class _ToyModel:
    """A toy decoder ``step`` seen as the model that rnnlib.demos.decoding's searches read:
    ``start_decoding`` and a batched ``decoder_step`` (one row per beam)."""

    def __init__(self, step, start_state, start_symbol):
        self.step, self.start = step, (start_state, start_symbol)

    def start_decoding(self, x):
        state, symbol = self.start
        return np.zeros((1, 1, 1)), np.asarray(state)[None], np.array([symbol])   # no encoder

    def decoder_step(self, enc_hs, state, prev):
        rows = [self.step(s, p) for s, p in zip(state, prev)]
        return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), None


def _reference_greedy_decode(step, start_state, start_symbol, T):
    # the course's greedy decoder (a beam search of width 1) run on the toy decoder
    model = _ToyModel(step, start_state, start_symbol)
    return np.array(_course_greedy_decode(model, np.zeros((1, 1, 1)), T).ids)


def _greedy_cases():
    cases = []
    for seed, T in [(1, 6), (2, 4), (3, 9), (4, 1)]:
        step, s0 = toy_decoder(seed)
        cases.append((step, s0, 5, T))
    return cases


def _greedy_start_each_time(step, start_state, start_symbol, T):
    state, out = start_state, []
    for _ in range(T):
        log_probs, state = step(state, start_symbol)
        out.append(int(np.argmax(log_probs)))
    return np.array(out)


def _greedy_state_not_carried(step, start_state, start_symbol, T):
    prev, out = start_symbol, []
    for _ in range(T):
        log_probs, _ = step(start_state, prev)
        prev = int(np.argmax(log_probs))
        out.append(prev)
    return np.array(out)


def check_greedy_decode(fn):
    """Check ``fn(step, start_state, start_symbol, T) -> ids (T,)`` against the reference."""
    diagnose = known_mistakes(
        [
            (
                _greedy_start_each_time,
                "the decoder reads the start symbol at every step: feed "
                "back the symbol it just chose (prev = the argmax).",
            ),
            (
                _greedy_state_not_carried,
                "every step starts again from start_state: keep the state "
                "that step returns and pass it to the next call.",
            ),
        ]
    )
    return run_check(
        "greedy_decode",
        fn,
        _reference_greedy_decode,
        _greedy_cases(),
        output_names=["ids"],
        diagnose=diagnose,
    )


def solution_beam_step(scores, log_probs, width):
    """One step of beam search. scores: (k,) log p of the kept prefixes; log_probs: (k, O) the
    next symbol's log-probabilities after each. Returns parent (w,), symbol (w,) and new_scores
    (w,) of the ``width`` best extensions, best first (w = min(width, k * O))."""
    total = scores[:, None] + log_probs  # log p(prefix) + log p(symbol)
    order = np.argsort(-total, axis=None, kind="stable")[:width]
    parent, symbol = np.unravel_index(order, total.shape)
    return parent, symbol, total[parent, symbol]


def _reference_beam_step(scores, log_probs, width):
    # by brute force: every (parent, symbol) pair, sorted by its total (a stable sort keeps
    # ties in the order parent by parent, symbol by symbol)
    k, O = log_probs.shape
    pairs = sorted(itertools.product(range(k), range(O)),
                   key=lambda ps: -(scores[ps[0]] + log_probs[ps]))[:width]
    parent, symbol = (np.array(column) for column in zip(*pairs))
    return parent, symbol, np.array([scores[p] + log_probs[p, s] for p, s in pairs])


def _beam_cases():
    rng = np.random.default_rng(10)
    cases = []
    for k, O, width in [(3, 5, 3), (1, 6, 4), (4, 4, 2), (2, 3, 6)]:
        raw = rng.standard_normal((k, O)) * 2
        log_probs = raw - np.log(np.exp(raw).sum(axis=1, keepdims=True))
        scores = -np.sort(rng.uniform(0.5, 4.0, size=k))
        cases.append((scores, log_probs, width))
    return cases


def _best_symbol_per_beam(scores, log_probs, width):
    total = scores[:, None] + log_probs
    symbol = np.argmax(total, axis=1)
    parent = np.arange(len(scores))
    order = np.argsort(-total[parent, symbol], kind="stable")[:width]
    return parent[order], symbol[order], total[parent, symbol][order]


def _prefix_ignored(scores, log_probs, width):
    order = np.argsort(-log_probs, axis=None, kind="stable")[:width]
    parent, symbol = np.unravel_index(order, log_probs.shape)
    return parent, symbol, (scores[:, None] + log_probs)[parent, symbol]


def check_beam_step(fn):
    """Check ``fn(scores, log_probs, width) -> (parent, symbol, new_scores)``."""
    diagnose = known_mistakes(
        [
            (
                _best_symbol_per_beam,
                "you kept each prefix's single best extension: two "
                "extensions of the same prefix can both belong in the beam. "
                "Rank all k x O candidates together.",
            ),
            (
                _prefix_ignored,
                "the ranking uses the new symbol's log-probability alone: add the "
                "prefix's score (log-probabilities of a sequence add).",
            ),
        ]
    )
    return run_check(
        "beam_step",
        fn,
        _reference_beam_step,
        _beam_cases(),
        output_names=["parent", "symbol", "new_scores"],
        diagnose=diagnose,
    )
