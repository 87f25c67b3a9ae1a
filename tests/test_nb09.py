"""Notebook 09 (attention): the seq2seq model's gradients, its decoding, the widget, the
exercise checks and their diagnoses."""

import numpy as np
import pytest
from exercise_support import assert_three_hint_levels, exercise_check_tests

from rnnlib.demos import attention as demo
from rnnlib.exercises import attention as ex
from rnnlib.gradcheck import gradcheck


@pytest.mark.parametrize("kind", ["additive", "dot", None])
def test_seq2seq_gradients_match_finite_differences(kind):
    model = demo.AttentionSeq2Seq(5, 6, 4, attention=kind, seed=0)
    x, y, _ = demo.reversal_task(3, 4, 5, seed=1)
    logits, _, cache = model.forward(x, y)
    dlogits = np.random.default_rng(2).standard_normal(logits.shape)
    grads = model.backward(dlogits, cache)
    errors = gradcheck(
        lambda p: float(np.sum(model.with_params(p).forward(x, y)[0] * dlogits)),
        model.params,
        grads,
        eps=1e-5,
    )
    assert max(errors.values()) < 1e-7, errors


def test_without_attention_the_context_is_zero_and_weights_are_empty():
    model = demo.AttentionSeq2Seq(5, 6, 4, attention=None, seed=0)
    x, y, _ = demo.reversal_task(2, 3, 5, seed=1)
    _, weights, _ = model.forward(x, y)
    assert np.all(weights == 0.0)
    assert "attention.w" not in model.params


def test_attention_weights_are_distributions_and_generate_matches_teacher_forcing():
    model = demo.AttentionSeq2Seq(5, 6, 4, attention="additive", seed=3)
    x, y, _ = demo.reversal_task(4, 5, 5, seed=4)
    out, weights = model.generate(x, y.shape[0])
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    # Fed its own outputs as targets, the teacher-forced pass makes the same choices.
    logits, tf_weights, _ = model.forward(x, out)
    np.testing.assert_array_equal(np.argmax(logits, axis=-1), out)
    np.testing.assert_allclose(tf_weights, weights, rtol=1e-12, atol=1e-15)


def test_reversal_task_targets_are_the_reversed_digits_then_end():
    x, y, ids = demo.reversal_task(3, 6, n_symbols=8, seed=0)
    assert x.shape == (6, 3, 8) and y.shape == (7, 3)
    np.testing.assert_array_equal(y[:-1], ids[::-1])
    assert np.all(y[-1] == 8)
    np.testing.assert_array_equal(np.argmax(x, axis=-1), ids)


def test_bad_attention_kind_is_refused():
    with pytest.raises(ValueError, match="attention must be"):
        demo.AttentionSeq2Seq(5, 6, 4, attention="multiplicative")


def test_a_little_training_helps_attention_most():
    """Short runs, so the test is quick; the notebook trains longer. The loss falls for both."""
    _, plain = demo.train_seq2seq(None, steps=60, lengths=range(4, 7), seed=0)
    _, attn = demo.train_seq2seq("additive", steps=60, lengths=range(4, 7), seed=0)
    assert plain[-10:].mean() < plain[:10].mean()
    assert attn[-10:].mean() < attn[:10].mean()


def test_steps_in_order():
    assert demo.sequential_vs_parallel_steps(37) == {"recurrent": 37, "attention": 1}


def test_widget_shows_what_the_model_decodes():
    pytest.importorskip("ipywidgets")
    from rnnlib.widgets import attention as wa

    model = demo.AttentionSeq2Seq(8, 9, 6, attention="additive", seed=0)
    live = wa.attention_map_widget(model, length=5, example=2)
    x, y, ids = demo.reversal_task(1, 5, 8, seed=1002)
    out, weights = model.generate(x, y.shape[0])
    np.testing.assert_array_equal(live.result["outputs"], out[:, 0])
    np.testing.assert_array_equal(live.result["inputs"], ids[:, 0])
    np.testing.assert_allclose(live.result["weights"], weights[:, :, 0])
    live.controls["length"].value = 9
    assert live.result["weights"].shape == (10, 9)
    fig, alt = live.draw(live.result, **live.values)
    assert "10 output steps by 9 source positions" in alt
    assert "symbols right" in wa.readout(live.result)


CHECKS = [
    (ex.check_dot_attention, ex.solution_dot_attention),
    (ex.check_masked_softmax, ex.solution_masked_softmax),
]


test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)
@pytest.mark.parametrize(
    "slip, words",
    [
        (ex._unscaled, "sqrt(d)"),
        (ex._unnormalised, "sum to one"),
        (ex._raw_scores, "softmax"),
    ],
)
def test_dot_attention_slips_are_named(slip, words, capsys):
    result = ex.check_dot_attention(slip)
    assert result.status == "wrong" and words in capsys.readouterr().out


@pytest.mark.parametrize(
    "slip, words",
    [
        (ex._zero_padding, "-inf"),
        (ex._mask_after_softmax, "mask the scores first"),
    ],
)
def test_masked_softmax_slips_are_named(slip, words, capsys):
    result = ex.check_masked_softmax(slip)
    assert result.status == "wrong" and words in capsys.readouterr().out


def test_correct_but_different_answers_pass(capsys):
    def with_einsum(q, K, V):
        e = np.einsum("sd,d->s", K, q) / np.sqrt(len(q))
        w = np.exp(e) / np.exp(e).sum()  # no max-shift: fine at these sizes
        return np.einsum("s,sv->v", w, V), w

    def float32(q, K, V):
        c, w = ex.solution_dot_attention(
            q.astype(np.float32), K.astype(np.float32), V.astype(np.float32)
        )
        return c, w

    def masked_with_loop(scores, mask):
        w = np.zeros_like(scores)
        real = [i for i in range(len(scores)) if mask[i]]
        top = max(scores[i] for i in real)
        for i in real:
            w[i] = np.exp(scores[i] - top)
        return w / w.sum()

    assert ex.check_dot_attention(with_einsum).passed
    assert ex.check_dot_attention(float32).passed
    assert ex.check_masked_softmax(masked_with_loop).passed


def test_every_exercise_has_three_hint_levels():
    assert_three_hint_levels(ex, ("check_dot_attention", "check_masked_softmax"))
def test_padded_steps_counts_each_batch_at_its_longest():
    lengths = [5, 1, 4, 2]
    assert demo.padded_steps(lengths, batch_size=2) == (2 * 5 + 2 * 4, 12)
    assert demo.padded_steps(lengths, batch_size=2, by_length=True) == (2 * 2 + 2 * 5, 12)
    assert demo.padded_steps(lengths, batch_size=3) == (3 * 5 + 1 * 2, 12)
