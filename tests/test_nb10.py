"""Notebook 10 (decoding): beam search, exposure bias, the widget, the exercise checks."""

import itertools

import numpy as np
import pytest
from exercise_support import assert_three_hint_levels, exercise_check_tests

from rnnlib.demos import attention as seq2seq
from rnnlib.demos import decoding as demo
from rnnlib.exercises import decoding as ex


@pytest.fixture(scope="module")
def model():
    m, _ = seq2seq.train_seq2seq(None, steps=40, lengths=range(3, 5), hidden_size=8, seed=0)
    return m


def test_width_one_is_greedy(model):
    x, y, _ = seq2seq.reversal_task(1, 4, seed=3)
    best = demo.beam_search(model, x, y.shape[0], width=1)[0]
    out, _ = model.generate(x, y.shape[0])
    assert best.ids == list(out[:, 0])
    assert best.log_prob == pytest.approx(demo.sequence_log_prob(model, x, np.array(best.ids)))


def test_a_beam_that_covers_every_prefix_finds_the_most_likely_output(model):
    """With width >= O^(T-1) nothing is pruned: the best hypothesis is the exhaustive argmax."""
    x, _, _ = seq2seq.reversal_task(1, 2, seed=4)
    T_y, O = 2, model.n_out
    best = demo.beam_search(model, x, T_y, width=O**T_y)[0]
    exhaustive = max(
        itertools.product(range(O), repeat=T_y),
        key=lambda ids: demo.sequence_log_prob(model, x, np.array(ids)),
    )
    assert tuple(best.ids) == exhaustive


def test_hypotheses_are_sorted_and_their_scores_are_their_log_probabilities(model):
    x, y, _ = seq2seq.reversal_task(1, 4, seed=5)
    hyps = demo.beam_search(model, x, y.shape[0], width=5)
    scores = [h.log_prob for h in hyps]
    assert scores == sorted(scores, reverse=True) and len(hyps) == 5
    for h in hyps:
        assert h.log_prob == pytest.approx(demo.sequence_log_prob(model, x, np.array(h.ids)))


def test_beam_search_refuses_a_batch_and_bad_widths(model):
    x, y, _ = seq2seq.reversal_task(2, 4, seed=5)
    with pytest.raises(ValueError, match="one source at a time"):
        demo.beam_search(model, x, 5, width=2)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        demo.beam_search(model, x[:, :1], 5, width=0)


def test_exposure_bias_measures_the_same_positions(model):
    r = demo.teacher_forced_vs_free_running(model, 4, n=50)
    assert r["teacher_forced"].shape == (5,) and r["free_running"].shape == (5,)
    assert r["teacher_forced"][0] == r["free_running"][0]  # the first step has no prefix


def test_decoding_comparison_reports_every_width(model):
    c = demo.decoding_comparison(model, lengths=(3,), widths=(1, 3), n=10)
    assert set(c) == {1, 3}
    assert all(0.0 <= c[w]["exact"] <= 1.0 for w in c)


def test_widget_shows_beam_search(model):
    pytest.importorskip("ipywidgets")
    from rnnlib.widgets import decoding as wd

    live = wd.beam_widget(model, width=3, example=1, length=4)
    x, y, _ = seq2seq.reversal_task(1, 4, seed=2001)
    hyps = demo.beam_search(model, x, 5, 3)
    assert [h[0] for h in live.result["hypotheses"]] == [wd._text(h.ids) for h in hyps]
    live.controls["width"].value = 1
    assert len(live.result["hypotheses"]) == 1
    fig, alt = live.draw(live.result, **live.values)
    assert "1 final hypotheses" in alt
    assert "log p" in wd.readout(live.result)


CHECKS = [
    (ex.check_greedy_decode, ex.solution_greedy_decode),
    (ex.check_beam_step, ex.solution_beam_step),
]


test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)
@pytest.mark.parametrize(
    "check, slip, words",
    [
        (ex.check_greedy_decode, ex._greedy_start_each_time, "start symbol at every step"),
        (ex.check_greedy_decode, ex._greedy_state_not_carried, "keep the state"),
        (ex.check_beam_step, ex._best_symbol_per_beam, "Rank all k x O candidates"),
        (ex.check_beam_step, ex._prefix_ignored, "add the prefix's score"),
    ],
)
def test_slips_are_named(check, slip, words, capsys):
    result = check(slip)
    assert result.status == "wrong" and words in capsys.readouterr().out


def test_correct_but_different_answers_pass():
    def greedy_recursive(step, state, prev, T):
        if T == 0:
            return np.array([], dtype=int)
        log_probs, state = step(state, prev)
        choice = int(np.flatnonzero(log_probs == log_probs.max())[0])
        return np.concatenate([[choice], greedy_recursive(step, state, choice, T - 1)])

    def beam_step_sorted_pairs(scores, log_probs, width):
        pairs = sorted(
            (
                (scores[b] + log_probs[b, o], b, o)
                for b in range(len(scores))
                for o in range(log_probs.shape[1])
            ),
            key=lambda p: -p[0],
        )[:width]
        return (
            np.array([p[1] for p in pairs]),
            np.array([p[2] for p in pairs]),
            np.array([p[0] for p in pairs]),
        )

    assert ex.check_greedy_decode(greedy_recursive).passed
    assert ex.check_beam_step(beam_step_sorted_pairs).passed


def test_every_exercise_has_three_hint_levels():
    assert_three_hint_levels(ex, ("check_greedy_decode", "check_beam_step"))
