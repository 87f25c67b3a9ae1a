"""Notebook 12 (the capstone): the recall loss and its baseline, the reference builder, loop and
experiment, the results' verdicts, the figures, the run browser and the four exercise checks
(every listed slip named, correct-but-different answers accepted, no check needing a
``solution_*``)."""

import math

import numpy as np
import pytest
from exercise_support import (
    assert_each_status,
    assert_names_each_mistake,
    assert_never_raises,
    assert_solutions_print,
    assert_three_hint_levels,
    exercise_check_tests,
    not_attempted,
)

import rnnlib
from rnnlib.demos import capstone as cap
from rnnlib.exercises import capstone as ex

SMALL = {"GRU": ("GRU", None), "LSTM+fb": ("LSTM", 3.0)}


@pytest.fixture(scope="module")
def small_results():
    """A small experiment run through the tracker, as the notebook runs the big one."""
    tracker = cap.RunTracker(cap.build_model, SMALL, (0, 1))
    curves = cap.run_experiment(tracker.build, cap.train_steps, SMALL, (0, 1), steps=20, T=9,
                                eval_every=5)
    return tracker, curves, tracker.results(curves, 5, T=9)


# ---- the task and its loss -----------------------------------------------------------------

def test_recall_loss_counts_only_the_recall_steps():
    rng = np.random.default_rng(0)
    x, y = cap.copy_batch(11, 5, rng)
    logits = rng.standard_normal((11, 5, cap.N_CLASSES))
    loss, dlogits = cap.recall_loss(logits, y)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
    assert loss == pytest.approx(-picked[-cap.LENGTH:].mean(), rel=1e-12)
    assert np.all(dlogits[:-cap.LENGTH] == 0) and np.any(dlogits[-cap.LENGTH:] != 0)
    assert cap.recall_mask(y).sum() == cap.LENGTH * 5


def test_baseline_is_a_uniform_guess_among_the_symbols_at_any_delay():
    for T in (9, 60, 100):
        _, y = cap.copy_batch(T, 64, np.random.default_rng(T))
        logits = np.zeros((T, 64, cap.N_CLASSES))
        logits[..., cap.N_SYMBOLS:] = -1e9               # never blank or go on a recall step
        assert cap.recall_loss(logits, y)[0] == pytest.approx(cap.BASELINE, rel=1e-12)
    assert cap.BASELINE == pytest.approx(math.log(4))


def test_delay_and_batch_layout():
    assert cap.delay_for(cap.T_CAPSTONE) == cap.T_CAPSTONE - 2 * cap.LENGTH - 1 == 97
    x, y = cap.copy_batch(60, 3, np.random.default_rng(1))
    assert x.shape == (60, 3, cap.N_CLASSES) and y.shape == (60, 3)
    np.testing.assert_array_equal(y[-cap.LENGTH:], x[:cap.LENGTH].argmax(-1))
    with pytest.raises(ValueError, match=f"needs T >= {2 * cap.LENGTH + 1}"):
        cap.delay_for(2 * cap.LENGTH)


# ---- the reference implementations ---------------------------------------------------------

def test_build_model_forget_bias_and_errors():
    model = cap.build_model("LSTM", 4, np.random.default_rng(0), forget_bias=3.0)
    p = model.rnn.params
    np.testing.assert_array_equal((p["bias_ih"] + p["bias_hh"])[4:8], 3.0)
    with pytest.raises(ValueError, match="LSTM only"):
        cap.build_model("GRU", 4, np.random.default_rng(0), forget_bias=1.0)
    with pytest.raises(ValueError):
        cap.build_model("transformer", 4, np.random.default_rng(0))
    logits, _, _ = model.forward(cap.copy_batch(9, 2, np.random.default_rng(1))[0])
    assert logits.shape == (9, 2, cap.N_CLASSES)


def test_train_steps_reduces_the_loss_and_is_reproducible():
    def run():
        rng = np.random.default_rng(3)
        model = cap.build_model("GRU", 8, rng)
        opt = rnnlib.Adam(model.params, lr=0.05)
        return np.array(cap.train_steps(model, opt, rng, 150, 9, 16, 1.0)), model
    losses, model = run()
    again, _ = run()
    np.testing.assert_array_equal(losses, again)
    assert losses[-20:].mean() < 0.5 * losses[:20].mean()


def test_a_run_depends_only_on_its_seed(small_results):
    _, curves, _ = small_results
    alone = cap.run_experiment(cap.build_model, cap.train_steps, {"LSTM+fb": ("LSTM", 3.0)}, (1,),
                               steps=20, T=9, eval_every=5)
    assert alone[("LSTM+fb", 1)] == curves[("LSTM+fb", 1)]
    assert all(len(c) == 5 for c in curves.values())
    assert curves[("GRU", 0)] != curves[("GRU", 1)]


def test_tracker_keeps_the_models_and_matches_accuracy_to_runs(small_results, capsys):
    tracker, curves, results = small_results
    assert len(tracker.models) == 4 and set(results.accuracy) == set(curves)
    held = cap.held_out_set(9)
    for (_cell, model), key in zip(tracker.models, curves, strict=True):
        assert cap.held_out_loss(model, held) == pytest.approx(curves[key][-1], rel=1e-12)
        np.testing.assert_array_equal(results.accuracy[key], cap.recall_accuracy(model, held))
    tracker2 = cap.RunTracker(cap.build_model, SMALL, (0,))
    cap.run_experiment(tracker2.build, cap.train_steps, SMALL, (0,), steps=5, T=9, eval_every=5)
    assert "all 2 runs will take about" in capsys.readouterr().out


def _fake(curves, eval_every=50):
    return cap.Results({k: list(v) for k, v in curves.items()}, eval_every)


def test_verdicts_solved_by_and_forget_bias_effect():
    b = cap.BASELINE
    at, below, solved = [2.0, 1.0 * b], [2.0, 0.5 * b], [2.0, 0.05 * b]
    r = _fake({("RNN", 0): at, ("RNN", 1): below, ("GRU", 0): solved, ("GRU", 1): solved,
               ("LSTM", 0): at, ("LSTM", 1): at, ("LSTM+fb", 0): below, ("LSTM+fb", 1): at})
    assert [r.verdict("RNN", 0), r.verdict("RNN", 1), r.verdict("GRU", 0)] == [
        "at the baseline", "below the baseline", "solved"]
    assert r.solved_by() == ["GRU"] and r.lowest() == "GRU"
    assert r.forget_bias_effect() == "no difference"      # seeds solved: 0 and 0
    assert r.count("RNN", "below") == 1 and r.first_solved_step("GRU", 0) == 50
    assert "GRU      solved       solved       2 of 2" in r.table()
    assert "RNN      not solved   not solved   0 of 2" in r.table()
    r2 = _fake({("LSTM", 0): solved, ("LSTM+fb", 0): below})
    assert r2.forget_bias_effect() == "hurts"
    r3 = _fake({("LSTM", 0): at, ("LSTM+fb", 0): solved})
    assert r3.forget_bias_effect() == "helps" and r3.solved_by() == ["LSTM+fb"]


# ---- figures and the run browser -----------------------------------------------------------

def test_curves_figure_labels_and_alt(small_results):
    from rnnlib.plots import capstone as cp
    _, _, results = small_results
    fig, alt = cp.curves_figure(results, T=9)
    axes = fig.axes
    assert len(axes) == 2 and all(ax.get_xlabel() == "training step" for ax in axes)
    assert "cross-entropy" in axes[0].get_ylabel() and axes[0].get_yscale() == "log"
    assert "2 panels" in alt and "GRU" in alt


def test_run_browser_follows_its_controls(small_results):
    pytest.importorskip("ipywidgets")
    from rnnlib.widgets import capstone as wc
    _, curves, results = small_results
    live = wc.run_browser_widget(results, name="GRU", seed=0)
    assert live.result["name"] == "GRU" and live.result["curve"] == curves[("GRU", 0)]
    live.controls["name"].value = "LSTM+fb"
    live.controls["seed"].value = 1
    result = live.result
    assert (result["name"], result["seed"]) == ("LSTM+fb", 1)
    np.testing.assert_array_equal(result["accuracy"], results.accuracy[("LSTM+fb", 1)])
    assert live.image.value and "LSTM, forget bias 3, seed 1" in live.alt
    assert "LSTM, forget bias 3, seed 1" in wc.readout(result)
    with pytest.raises(ValueError, match="no run"):
        wc.compute(results, "RNN", 0)


def test_run_browser_trains_nothing_and_draws_the_chosen_run_over_the_others(small_results):
    """docs/teaching.md: clicking trains nothing; the chosen run is drawn thick over the
    others; the bars are its recall accuracy for each symbol."""
    pytest.importorskip("ipywidgets")
    from rnnlib.plots.capstone import RunBrowserFigure
    from rnnlib.widgets.capstone import compute
    _, curves, results = small_results
    before = {k: list(v) for k, v in results.curves.items()}
    figure = RunBrowserFigure(results)
    for name in results.names:
        for seed in results.seeds:
            result = compute(results, name, seed)
            png, alt = figure.frame(result)                  # a blitted frame, as dragging
            assert png.startswith(b"\x89PNG") and f"seed {seed}" in alt
            assert len(figure.others) == len(curves) and all(
                line.get_visible() for line in figure.others.values())
            np.testing.assert_array_equal(figure.chosen.get_ydata(), curves[(name, seed)])
            assert figure.chosen.get_linewidth() > 2 * figure.others[(name, seed)].get_linewidth()
            np.testing.assert_array_equal([b.get_height() for b in figure.bars],
                                          np.nan_to_num(results.accuracy[(name, seed)]))
    assert results.curves == before and figure.builds == 1


def test_accuracy_words_are_verdicts():
    from rnnlib.plots.capstone import accuracy_words
    assert accuracy_words([1.0, 0.6]) == "mostly right"
    assert accuracy_words([0.25, 0.3]) == "near chance"
    assert accuracy_words([0.9, 0.4, 0.2, np.nan]) == "better than chance for some symbols"


# ---- the exercise checks -------------------------------------------------------------------

test_check_statuses, test_checks_never_raise = exercise_check_tests(
    [(ex.check_train_steps, ex.solution_train_steps),
     (ex.check_run_experiment, ex.solution_run_experiment)])


def _many_to_one(cell, H, rng, forget_bias=None):
    model = ex.solution_build_model(cell, H, rng, forget_bias)
    return rnnlib.RecurrentNetwork(model.rnn, model.head, many_to_one=True)


def _with_head(change):
    def build(cell, H, rng, forget_bias=None):
        model = ex.solution_build_model(cell, H, rng, forget_bias)
        model.head.params["weight"][...] = change(model.head.params["weight"])
        return model
    return build


def test_build_model_statuses(capsys):
    assert_each_status(ex.check_build_model, ex.solution_build_model, capsys,
                       shape=_many_to_one, nan=None,    # rnnlib refuses NaN weights itself
                       wrong=_with_head(lambda w: w + 1.0))
    assert_never_raises(ex.check_build_model)


def test_build_model_names_each_slip():
    assert_names_each_mistake(ex.check_build_model, ex._BUILD_MISTAKES)

    def always_gru(cell, H, rng, forget_bias=None):
        return ex.solution_build_model("GRU", H, rng, None)
    result = ex.check_build_model(always_gru)
    assert result.status == "wrong" and "built a GRU layer" in result.message
    result = ex.check_build_model(_many_to_one)
    assert result.status == "shape" and "many_to_one=False" in result.message


def test_build_model_accepts_correct_but_different_answers():
    def bias_in_hh(cell, H, rng, forget_bias=None):          # the other bias vector holds it
        layer = {"RNN": rnnlib.RNN, "LSTM": rnnlib.LSTM, "GRU": rnnlib.GRU}[cell](
            cap.N_CLASSES, H, seed=rng)
        if forget_bias is not None:
            layer.params["bias_hh"][H:2 * H] = forget_bias
            layer.params["bias_ih"][H:2 * H] = 0.0
        return rnnlib.RecurrentNetwork(layer, rnnlib.Linear(H, cap.N_CLASSES, seed=rng))

    def split(cell, H, rng, forget_bias=None):                # half in each
        model = ex.solution_build_model(cell, H, rng, None)
        if forget_bias is not None:
            model.rnn.params["bias_ih"][H:2 * H] = forget_bias / 2
            model.rnn.params["bias_hh"][H:2 * H] = forget_bias / 2
        return model
    assert ex.check_build_model(bias_in_hh).passed
    assert ex.check_build_model(split).passed


def test_train_steps_names_each_slip():
    for variant, words in ex._TRAIN_MISTAKES:
        result = ex.check_train_steps(variant, quiet=True)
        assert result.status == "wrong" and words in result.message, result.message


def test_train_steps_names_unseeded_batches():
    def unseeded(model, opt, rng, steps, T, batch_size, max_norm):
        return ex.solution_train_steps(model, opt, np.random.default_rng(), steps, T,
                                       batch_size, max_norm)
    result = ex.check_train_steps(unseeded, quiet=True)
    assert result.status == "wrong" and "not drawn from the rng" in result.message


def test_train_steps_accepts_correct_but_different_answers(capsys):
    def ignore_index(model, opt, rng, steps, T, batch_size, max_norm):
        losses = []
        for _ in range(steps):
            x, y = cap.copy_batch(T, batch_size, rng)
            logits, _, cache = model.forward(x)
            target = np.where(cap.recall_mask(y), y, -100)    # PyTorch's ignore_index style
            loss, dlogits = rnnlib.softmax_cross_entropy(logits, target, reduction="mean",
                                                         ignore_index=-100)
            grads = model.backward(dlogits, cache)[2]
            norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))   # clipping by hand
            scale = min(1.0, max_norm / (norm + 1e-6))
            opt.step({k: g * scale for k, g in grads.items()})
            losses.append(loss)
        return np.array(losses)                               # an array, not a list
    result = ex.check_train_steps(ignore_index)
    assert result.passed
    assert "(falling)" in capsys.readouterr().out


def test_run_experiment_names_each_slip():
    assert_names_each_mistake(ex.check_run_experiment, ex._EXPERIMENT_MISTAKES)
    result = ex.check_run_experiment(ex._experiment_slip(no_first=True))
    assert result.status == "shape" and "before the first step" in result.message


def test_run_experiment_accepts_correct_but_different_answers():
    import itertools

    def product_loop(build, train, configs, seeds, steps, T, eval_every):
        held_x, held_y = cap.held_out_set(T)
        out = {}
        for name, seed in itertools.product(configs, seeds):
            cell, fb = configs[name]
            rng = np.random.default_rng(seed)
            model = build(cell, cap.HIDDEN, rng, fb)
            opt = rnnlib.Adam(model.params, lr=cap.LR)
            curve = []
            for k in range(steps // eval_every + 1):
                if k:
                    train(model, opt, rng, eval_every, T, cap.BATCH, cap.MAX_NORM)
                logits = model.forward(held_x)[0]             # the held-out loss by hand
                curve.append(cap.recall_loss(logits, held_y)[0])
            out[(name, seed)] = np.array(curve)
        return out
    assert ex.check_run_experiment(product_loop).passed


def test_verdict_check(small_results, capsys):
    _, _, results = small_results
    solved_by, effect = ex.solution_verdict(results)
    assert ex.check_verdict(solved_by, effect, results).passed
    assert ex.check_verdict(tuple(n.lower() + " " for n in solved_by), effect.upper(),
                            results).passed                   # any case, spaces, a tuple
    assert ex.check_verdict(..., effect, results).status == "not attempted"
    assert "⏳ verdict: not written yet" in capsys.readouterr().out
    assert ex.check_verdict(["Transformer"], effect, results).status == "type"
    assert ex.check_verdict(solved_by, "maybe", results).status == "type"
    wrong_names = [n for n in results.names if n not in solved_by]
    result = ex.check_verdict(wrong_names, effect, results)
    assert result.status == "wrong" and "seeds" in result.message
    other = next(e for e in ex.EFFECTS if e != effect)
    result = ex.check_verdict(solved_by, other, results)
    assert result.status == "wrong" and "the forget bias: the LSTM solved" in result.message


def test_checks_need_no_published_solution(monkeypatch):
    """A student package replaces every solution_* body: the checks still work."""
    answers = {name: getattr(ex, name) for name in dir(ex) if name.startswith("solution_")}

    def hidden(*args, **kwargs):
        raise NotImplementedError("hidden")
    for name in answers:
        monkeypatch.setattr(ex, name, hidden)
    assert ex.check_build_model(answers["solution_build_model"]).passed
    assert ex.check_train_steps(answers["solution_train_steps"], quiet=True).passed
    assert ex.check_run_experiment(answers["solution_run_experiment"]).passed


def test_hints_and_solutions(capsys):
    assert_three_hint_levels(ex, ["check_build_model", "check_train_steps",
                                  "check_run_experiment", "check_verdict"])
    assert_solutions_print([ex.solution_build_model, ex.solution_train_steps,
                            ex.solution_run_experiment, ex.solution_verdict], capsys)
    assert ex.check_build_model(not_attempted).status == "not attempted"


def test_verdict_rule_is_checked_on_tables_with_known_verdicts(small_results, capsys):
    """check_verdict(rule): the published rule passes; rules with the usual slips fail."""
    _, _, results = small_results
    assert ex.check_verdict(ex.solution_verdict).passed
    assert ex.check_verdict(ex.solution_verdict, results=results).passed

    def any_seed(table):                                   # solved in one seed is not enough
        return ([n for n in table.names if table.count(n) >= 1],
                ex.solution_verdict(table)[1])

    def below_counts(table):                               # "below the baseline" is not solved
        plain, biased = table.count("LSTM", "below"), table.count("LSTM+fb", "below")
        return (ex.solution_verdict(table)[0],
                "helps" if biased > plain else "hurts" if biased < plain else "no difference")
    result = ex.check_verdict(any_seed)
    assert result.status == "wrong" and "so it does not count" in result.message
    result = ex.check_verdict(below_counts)
    assert result.status == "wrong" and "the forget bias" in result.message
    assert ex.check_verdict(not_attempted).status == "not attempted"
    capsys.readouterr()
