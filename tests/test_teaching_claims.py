"""What docs/teaching.md tells a teacher a widget will show, checked on the widget's own numbers.

Each test names the guide's claim it holds. The widgets are called headlessly: their factories
(under ipywidgets, without a browser) or the plain ``compute`` functions behind them, exactly
what a slider's callback runs. If a claim here fails, fix the widget or fix the guide.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from rnnlib.widgets import architectures as arch  # noqa: E402
from rnnlib.widgets import bptt, clipping, gates, gradients, unfolding  # noqa: E402

GUIDE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "teaching.md"


def guide_says(*phrases):
    """The guide still makes the claim the test holds (so the two cannot drift apart silently)."""
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    for phrase in phrases:
        assert phrase in text, f"docs/teaching.md no longer says {phrase!r}: update this test"


# -- 00 --------------------------------------------------------------------------------------------


def test_00_T_moves_only_work_and_memory_H_moves_all_three():
    guide_says(
        "**T** moves only the work and memory curves, never the parameter count",
        "**H** moves all three (parameters grow with H squared)",
    )
    short, long_ = (
        unfolding.sharing_compute(20, 16)["now"],
        unfolding.sharing_compute(200, 16)["now"],
    )
    assert short["params"] == long_["params"]
    assert long_["multiply_adds"] > short["multiply_adds"] and long_["stored"] > short["stored"]
    wide = unfolding.sharing_compute(20, 32)["now"]
    for key in ("params", "multiply_adds", "stored"):
        assert wide[key] > short[key]
    # H squared: doubling H more than doubles the parameters (the W_hh block quadruples)
    assert wide["params"] > 2 * short["params"]
    curve = unfolding.sharing_compute(20, 16)["curve"]
    assert len(set(np.asarray(curve["params"]).tolist())) == 1  # flat over T = 1..200


# -- 01 --------------------------------------------------------------------------------------------


def test_01_memory_of_a_nudge():
    guide_says(
        "w = 0: the nudge to x1 is forgotten at once",
        "0.9: it fades step by step",
        "tanh at 1.5: it fades even faster (saturation)",
        "relu at 1.5: it grows at every step",
    )
    e0 = np.abs(unfolding.unfolding_compute(8, 0.0, "tanh")["effect"])
    assert e0[0] > 0 and np.all(e0[1:] == 0)
    e09 = np.abs(unfolding.unfolding_compute(8, 0.9, "tanh")["effect"])
    assert np.all(np.diff(e09) < 0) and e09[-1] > 0
    e15 = np.abs(unfolding.unfolding_compute(8, 1.5, "tanh")["effect"])
    assert np.all(np.diff(e15) < 0) and e15[-1] < e09[-1] / 10
    relu = np.abs(unfolding.unfolding_compute(8, 1.5, "relu")["effect"])
    assert np.all(np.diff(relu) > 0)


def test_01_T_adds_steps_without_adding_weights():
    guide_says("**T** adds steps to the diagram without adding weights")
    small, big = (
        unfolding.unfolding_compute(4, 0.9, "tanh"),
        unfolding.unfolding_compute(12, 0.9, "tanh"),
    )
    assert len(big["hs"]) == 12 and len(small["hs"]) == 4
    assert big["layer"].num_params() == small["layer"].num_params()


# -- 02 --------------------------------------------------------------------------------------------


def _losses(*steps):
    return {f"loss_{i}": i in steps for i in range(1, bptt.T_STEPS + 1)}


def test_02_many_to_one_fades_to_the_left_and_faster_at_small_rho():
    guide_says(
        "switch off every loss but **L10** to show many-to-one",
        "**rho** further below 1 makes every row fade faster",
    )
    r = bptt.loss_placement_compute(rho=0.9, k=10, **_losses(10))
    norms = r["norms"]
    assert np.all(norms[:9] == 0)  # one row only
    assert np.all(np.diff(norms[9]) > 0)  # brightest at h_10, fading to the left
    slow = norms[9, 0] / norms[9, 9]
    fast = bptt.loss_placement_compute(rho=0.5, k=10, **_losses(10))["norms"]
    assert fast[9, 0] / fast[9, 9] < slow / 10


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_02_truncation_uses_fixed_chunks_not_a_sliding_window(k):
    """The guide: k splits the sequence into fixed chunks [1..k], [k+1..2k], ...; a loss sends
    gradient only to earlier steps of its own chunk (at k = 3 the loss at step 7 reaches h7 only).
    """
    guide_says("fixed chunks of k steps", "the loss at step 7 reaches h7 and nothing before it")
    norms = bptt.loss_placement_compute(rho=0.9, k=k, **_losses(*range(1, 11)))["norms"]
    for i in range(1, 11):  # loss step
        for t in range(1, 11):  # hidden state h_t
            same_chunk = (t - 1) // k == (i - 1) // k
            reaches = norms[i - 1, t - 1] > 0
            assert reaches == (t <= i and same_chunk), (k, i, t)
    if k == 3:
        assert np.flatnonzero(norms[6]).tolist() == [6]  # loss 7 reaches h7 only


def test_02_truncation_is_not_a_sliding_window():
    """A sliding window of k = 3 would let the loss at step 9 reach h7, h8 and h9; the chunks
    [7..9] do too, but the loss at step 10 (its own chunk) reaches h10 only, not h8 and h9."""
    norms = bptt.loss_placement_compute(rho=0.9, k=3, **_losses(*range(1, 11)))["norms"]
    assert np.flatnonzero(norms[9]).tolist() == [9]


# -- 03 --------------------------------------------------------------------------------------------


def test_03_one_unit_w_to_the_power_T():
    guide_says(
        "about 117 and about 0.005",
        "float32 overflows to inf",
        "φ = tanh makes the measured gradient leave the dotted formula",
    )
    up, down = (
        gradients.decay_compute(1.10, 50, "linear"),
        gradients.decay_compute(0.90, 50, "linear"),
    )
    assert round(up["first64"], 1) == 117.4 and round(down["first64"], 4) == 0.0052
    assert up["first64"] == pytest.approx(1.1**50, rel=1e-12)
    tanh = gradients.decay_compute(1.10, 50, "tanh")
    assert tanh["first64"] < tanh["formula"][0] / 10
    boom = gradients.decay_compute(2.00, 200, "linear")
    assert (
        boom["overflow_t"] is not None
        and np.isinf(boom["first32"])
        and np.isfinite(boom["first64"])
    )


def test_03_spectral_radius_linear_pivot_and_tanh_saturation():
    guide_says(
        "linear: the line pivots as rho crosses 1",
        "even rho = 1.5 vanishes (saturation)",
        "With φ = linear the inputs slider changes nothing, and the readout says so",
    )
    assert gradients.spectral_compute(0.9, "linear", 1.0)["ratio"] < 1e-2
    assert gradients.spectral_compute(1.1, "linear", 1.0)["ratio"] > 1e2
    assert gradients.spectral_compute(1.5, "tanh", 3.0)["ratio"] < 1e-2
    a, b = (
        gradients.spectral_compute(1.1, "linear", 0.0),
        gradients.spectral_compute(1.1, "linear", 3.0),
    )
    np.testing.assert_array_equal(a["norms"], b["norms"])
    assert "do not depend on the inputs" in gradients.spectral_readout(b, 1.1, "linear", 3.0)


# -- 04 --------------------------------------------------------------------------------------------


def test_03_two_units_explode_with_rho_below_one_until_inputs_tip_them():
    guide_says(
        'pick the **network** "2 units, unit 1 biased", φ = tanh, **rho** 0.73, **inputs x** at 0,',
        "the gradient 99 steps back goes from about 1e-13 to about 1e10 while rho stays below 1",
        "Then raise the inputs to 0.1: the pair is knocked off its balance and the gradient "
        "vanishes again",
    )
    calm = gradients.spectral_compute(0.73, "tanh", 0.0, bias=0.0, network="pair")
    saturated = gradients.spectral_compute(0.73, "tanh", 0.0, bias=5.0, network="pair")
    nudged = gradients.spectral_compute(0.73, "tanh", 0.1, bias=5.0, network="pair")
    assert 1e-15 < calm["ratio"] < 1e-11
    assert 1e9 < saturated["ratio"] < 1e11 and saturated["rho"] < 1 < saturated["jacobian_rho"]
    assert nudged["ratio"] < 1e-6


@pytest.mark.parametrize("max_norm, lr", [(1.0, 0.2), (1.0, 1.0), (0.01, 0.2), (3.0, 0.5)])
def test_04_clipped_step_is_at_most_lr_times_threshold(max_norm, lr):
    guide_says("the longest clipped step is always at most learning rate x threshold")
    r = clipping.cliff_compute(max_norm, lr)
    assert r["clipped"]["biggest_step"] <= lr * max_norm * (1 + 1e-9)


def test_04_the_cliff_throws_the_unclipped_path_and_a_tiny_threshold_crawls():
    guide_says("the unclipped path is thrown off the cliff", "A tiny threshold crawls")
    for lr in (0.2, 1.0):
        r = clipping.cliff_compute(1.0, lr)
        assert r["raw"]["biggest_step"] > 10 * lr * 1.0  # one huge step at the wall
        assert r["clipped"]["losses"][-1] < r["raw"]["losses"][-1]
    normal, tiny = (
        clipping.cliff_compute(1.0, 0.2)["clipped"],
        clipping.cliff_compute(0.01, 0.2)["clipped"],
    )
    assert np.all(tiny["clipped"]) and tiny["losses"][-1] > 5 * normal["losses"][-1]


# -- 05 --------------------------------------------------------------------------------------------


def test_05_forget_gate_alone_sets_the_lstm_gradient():
    guide_says(
        "exactly f to the 50th", "the **forget** slider alone moves the LSTM's gradient line"
    )
    base = gates.compute(f=0.9, i=0.5, o=0.5, r=0.5, z=0.8)
    assert base["lstm_at_k"] == pytest.approx(0.9**50, rel=1e-12)
    other = gates.compute(f=0.9, i=0.9, o=0.1, r=0.5, z=0.8)
    np.testing.assert_allclose(other["lstm_grad"], base["lstm_grad"], rtol=1e-12)
    assert not np.allclose(other["lstm_c"], base["lstm_c"])  # input/output change the left panel
    assert not np.allclose(other["lstm_h"], base["lstm_h"])
    assert gates.compute(f=0.99, i=0.5, o=0.5, r=0.5, z=0.8)["lstm_at_k"] == pytest.approx(0.99**50)


def test_05_gru_leaves_z_to_the_50th_when_r_opens():
    guide_says("the GRU's leaves z to the 50th as soon as r opens a second path")
    closed = gates.compute(f=0.9, i=0.5, o=0.5, r=0.01, z=0.8)
    opened = gates.compute(f=0.9, i=0.5, o=0.5, r=0.99, z=0.8)
    assert abs(np.log(closed["gru_at_k"] / 0.8**50)) < np.log(1.5)
    assert opened["gru_at_k"] > 100 * 0.8**50


# -- 06 --------------------------------------------------------------------------------------------


def test_06_stop_and_train_again_continues_the_same_curve():
    guide_says("Stop and Train again continues the same curve")
    from rnnlib.widgets.memory import training_widget

    w = training_widget(task="adding", cell="RNN", T=10, hidden_size=4, steps=50, redraw_every=10)
    w.train(steps=20, blocking=True)
    tr = w.trainer()
    first_steps = list(tr.history.step)
    w.stop()  # a Stop between runs changes nothing ...
    w.train(steps=20, blocking=True)
    assert w.trainer() is tr  # ... and Train resumes the same run
    assert tr.steps_done == 40 and tr.history.step[: len(first_steps)] == first_steps
    assert np.all(np.diff(tr.history.step) > 0)


# -- 07 --------------------------------------------------------------------------------------------


def test_07_parameter_count_ignores_T_and_grows_with_gates():
    guide_says(
        "change **T_x** and the parameter count does not move",
        "the recurrent layer grows 4 and 3 times",
        "Sliders an architecture does not use are greyed out",
    )
    counts = {}
    for cell in ("RNN", "LSTM", "GRU"):
        a3 = arch.explorer_compute("many-to-one", cell, 3, 3, 3, 8, 2)
        a8 = arch.explorer_compute("many-to-one", cell, 8, 3, 3, 8, 2)
        assert a3.total == a8.total
        counts[cell] = a3.num_params["recurrent"]
    assert counts["LSTM"] == 4 * counts["RNN"] and counts["GRU"] == 3 * counts["RNN"]
    live = arch.architecture_explorer()
    for kind, (uses_x, uses_y) in arch._USES.items():
        live.controls["kind"].value = kind
        assert live.controls["T_x"].disabled == (not uses_x), kind
        assert live.controls["T_y"].disabled == (not uses_y), kind


# -- 08 --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_lm():
    from rnnlib.demos import language_model as lm

    corpus = lm.load_corpus()
    model = lm.make_model("lstm", len(corpus.vocab), 16, seed=0)
    lm.train_char_lm(model, corpus.train_ids[:4000], corpus.vocab, updates=30, T=16, B=8)
    return {"LSTM": model}, corpus.vocab


def test_08_temperature_zero_is_greedy_and_the_seed_repeats(tiny_lm):
    guide_says(
        "**temperature** near 0 repeats the most likely characters",
        "The **random seed** makes every draw repeatable",
    )
    from rnnlib.widgets.language_model import make_sampling_compute

    models, vocab = tiny_lm
    compute = make_sampling_compute(models, vocab, length=60)
    cold = compute("LSTM", 0.0, "The river ", 0)
    assert np.count_nonzero(cold["probs"]) == 1  # one character left: the likeliest
    assert (
        compute("LSTM", 0.0, "The river ", 7)["sample"] == cold["sample"]
    )  # seed no longer matters
    warm_a = compute("LSTM", 1.0, "The river ", 3)
    assert compute("LSTM", 1.0, "The river ", 3)["sample"] == warm_a["sample"]
    assert compute("LSTM", 1.0, "The river ", 4)["sample"] != warm_a["sample"]
    hot = compute("LSTM", 2.0, "The river ", 3)
    assert hot["entropy_bits"] > warm_a["entropy_bits"] > cold["entropy_bits"]
