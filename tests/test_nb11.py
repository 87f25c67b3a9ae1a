"""Notebook 11 (seeing inside): traces, text features, the unit search, connectivity by BPTT,
the widget and the exercise checks."""

import numpy as np
import pytest
from exercise_support import assert_three_hint_levels, exercise_check_tests

from rnnlib.data import CharVocab
from rnnlib.demos import inside
from rnnlib.demos import language_model as lm
from rnnlib.exercises import inside as ex

TEXT = "FIRST:\nTo be, or not to be.\nSECOND:\nThat is the question;\nwhether 'tis nobler\n"


@pytest.fixture(scope="module")
def vocab():
    return CharVocab(TEXT)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_trace_records_what_the_layer_computes(cell, vocab):
    model = lm.make_model(cell, vocab.size, 6, seed=1)
    traces = inside.trace(model, vocab, TEXT)
    x = np.eye(vocab.size)[vocab.encode(TEXT)][:, None]
    hs, _, cache = model.rnn.forward(x)
    np.testing.assert_allclose(traces["h"], hs[:, 0])
    if cell == "lstm":
        assert set(traces) == set(inside.SIGNALS)
        np.testing.assert_allclose(traces["c"], cache["cs"][:, 0])
        f = traces["f"]
        assert np.all((f > 0) & (f < 1))
    else:
        assert set(traces) == {"h"}


def test_text_features_are_what_they_say():
    f = inside.text_features("AB:\ncd ef\n")
    np.testing.assert_array_equal(f["position in line"], [0, 1, 2, 3, 0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(f["speaker's name"], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(f["start of line"], [1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(f["end of word"], [0, 1, 1, 0, 0, 1, 0, 0, 1, 1])


def test_unit_table_finds_a_planted_unit():
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(500)
    trace = {"h": rng.standard_normal((500, 8))}
    trace["h"][:, 5] = -2.0 * feature + 0.1 * rng.standard_normal(500)
    table = inside.unit_feature_table(trace, {"planted": feature}, threshold=0.5)
    ((name, signal, unit, r),) = table["best"]
    assert (name, signal, unit) == ("planted", "h", 5) and r < -0.99
    assert table["unexplained"]["h"] == 7


def test_connectivity_is_the_input_gradient_of_the_next_character_loss(vocab):
    model = lm.make_model("lstm", vocab.size, 5, seed=2)
    t, K = 20, 6
    c = inside.connectivity(model, vocab, TEXT, t, K)
    ids = vocab.encode(TEXT[t - K : t + 2])

    def loss(x):
        ys, _, _ = model.forward(x)
        z = ys[-1, 0]
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[ids[-1]])

    x = np.eye(vocab.size)[ids[:-1]][:, None]
    eps = 1e-6
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += eps
        up = loss(x)
        x[idx] -= 2 * eps
        down = loss(x)
        x[idx] += eps
        grad[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(c, np.linalg.norm(grad[::-1, 0], axis=-1), rtol=1e-6, atol=1e-9)


def test_connectivity_refuses_windows_outside_the_text(vocab):
    model = lm.make_model("rnn", vocab.size, 4, seed=0)
    with pytest.raises(ValueError, match="need K <= t"):
        inside.connectivity(model, vocab, TEXT, 3, 10)
    with pytest.raises(ValueError, match="need K <= t"):
        inside.connectivity(model, vocab, TEXT, len(TEXT) - 1, 3)


def test_text_grid_covers_every_character_once():
    rows, index = inside.text_grid("ab\ncdefg", width=3)
    assert rows == ["ab¶", "cde", "fg"]
    assert sorted(index[index >= 0]) == list(range(8)) and index[2, 2] == -1


def test_widget_colours_by_the_chosen_unit(vocab):
    pytest.importorskip("ipywidgets")
    from rnnlib.widgets import inside as wi

    model = lm.make_model("lstm", vocab.size, 6, seed=1)
    traces = inside.trace(model, vocab, TEXT)
    live = wi.unit_widget(traces, TEXT[:40], signal="c", unit=2, width=16)
    np.testing.assert_array_equal(live.result["values"], traces["c"][:40, 2])
    live.controls["signal"].value = "f"
    live.controls["unit"].value = 4
    np.testing.assert_array_equal(live.result["values"], traces["f"][:40, 4])
    fig, alt = live.draw(live.result, **live.values)
    assert "unit 4 of the forget gate f" in alt
    assert "over 40 characters" in wi.readout(live.result)


def test_pretrained_lstm_has_a_line_position_unit():
    """What notebook 11 shows: the shipped Shakespeare LSTM has a cell unit that follows the
    position in the line (|r| > 0.8 on a held-out passage)."""
    corpus = lm.load_shakespeare()
    model, _ = lm.shakespeare_model(corpus)
    text = corpus.vocab.decode(corpus.val_ids)[:1500]
    table = inside.unit_feature_table(
        inside.trace(model, corpus.vocab, text), inside.text_features(text)
    )
    best = {name: (sig, r) for name, sig, _, r in table["best"]}
    assert abs(best["position in line"][1]) > 0.8


CHECKS = [
    (ex.check_best_unit, ex.solution_best_unit),
    (ex.check_connectivity_ratio, ex.solution_connectivity_ratio),
]


test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)
@pytest.mark.parametrize(
    "check, slip, words",
    [
        (ex.check_best_unit, ex._signed_argmax, "np.abs before argmax"),
        (ex.check_best_unit, ex._covariance, "covariance"),
        (ex.check_connectivity_ratio, lambda c, j: c[j] / c[0], "the inverse"),
        (ex.check_connectivity_ratio, lambda c, j: c[0] / c[j - 1], "off by one"),
    ],
)
def test_slips_are_named(check, slip, words, capsys):
    result = check(slip)
    assert result.status == "wrong" and words in capsys.readouterr().out


def test_correct_but_different_answers_pass():
    def with_corrcoef(signal, feature):
        r = np.array([np.corrcoef(signal[:, j], feature)[0, 1] for j in range(signal.shape[1])])
        j = int(np.argmax(np.abs(r)))
        return j, r[j]

    def float32(signal, feature):
        unit, r = ex.solution_best_unit(signal.astype(np.float32), feature.astype(np.float32))
        return unit, r

    assert ex.check_best_unit(with_corrcoef).passed
    assert ex.check_best_unit(float32).passed
    assert ex.check_connectivity_ratio(lambda c, j: np.exp(np.log(c[0]) - np.log(c[j]))).passed


def test_every_exercise_has_three_hint_levels():
    assert_three_hint_levels(ex, ("check_best_unit", "check_connectivity_ratio"))
