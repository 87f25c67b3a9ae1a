"""Tests behind notebooks 07 (architectures) and 08 (character language model): the demos'
trainers and models, the widgets driven headlessly, and every status of every exercise check.

Everything runs on tiny settings; the notebooks themselves are checked by strict nbval.
"""

import html
import math
import re

import numpy as np
import pytest
from exercise_support import answers_by_status, assert_each_status, assert_never_raises

import rnnlib
from rnnlib.demos import architectures as arch
from rnnlib.demos import language_model as lm
from rnnlib.exercises import architectures as ex7
from rnnlib.exercises import language_model as ex8
from rnnlib.gradcheck import numerical_gradient, relative_error

# ---------------------------------------------------------------------------------------------
# Notebook 07: the architecture explorer


def _expected_num_params(kind, cell, D, H, O):
    """The parameter count, from rnnlib modules built independently of the demo."""
    layer = {"rnn": rnnlib.RNN, "lstm": rnnlib.LSTM, "gru": rnnlib.GRU}[cell]
    if kind == "encoder-decoder":
        return (layer(D, H, seed=0).num_params() + layer(O + 1, H, seed=0).num_params()
                + rnnlib.Linear(H, O, seed=0).num_params())
    if kind == "bidirectional":
        rnn = rnnlib.Bidirectional(layer(D, H, seed=0), layer(D, H, seed=1))
    elif kind == "stacked":
        rnn = rnnlib.stacked(cell, D, H, num_layers=2, seed=0)
    else:
        rnn = layer(D, H, seed=0)
    return rnn.num_params() + rnnlib.Linear(rnn.output_size, O, seed=0).num_params()


@pytest.fixture(scope="module")
def explorer():
    from rnnlib.widgets.architectures import architecture_explorer
    return architecture_explorer()


@pytest.mark.parametrize("kind", arch.ARCHITECTURES)
@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_explorer_counts_match_rnnlib_modules(explorer, kind, cell):
    c = explorer.controls
    c["kind"].value, c["cell"].value = kind, cell
    c["T_x"].value, c["T_y"].value, c["D"].value, c["H"].value, c["O"].value = 6, 3, 4, 5, 3
    a = explorer.result
    assert a.kind == kind and a.cell == cell.lower()
    assert a.num_params == {name: m.num_params() for name, m in a.modules.items()}
    assert a.total == sum(a.num_params.values())
    assert a.total == _expected_num_params(kind, cell.lower(), D=4, H=5, O=3)


def _final_shape(a):
    return a.stages[-1][1]


@pytest.mark.parametrize("kind, lengths, out_shape", [
    ("one-to-one", (1, 1), (2, 3)),
    ("one-to-many", (1, 4), (4, 2, 3)),
    ("many-to-one", (6, 1), (2, 3)),
    ("many-to-many", (6, 6), (6, 2, 3)),
    ("encoder-decoder", (6, 4), (4, 2, 3)),
    ("bidirectional", (6, 6), (6, 2, 3)),
    ("stacked", (6, 6), (6, 2, 3)),
])
def test_explorer_shapes(explorer, kind, lengths, out_shape):
    c = explorer.controls
    c["kind"].value, c["cell"].value = kind, "RNN"
    c["T_x"].value, c["T_y"].value, c["D"].value, c["H"].value, c["O"].value = 6, 4, 2, 5, 3
    a = explorer.result
    assert (a.T_x, a.T_y) == lengths
    assert _final_shape(a) == out_shape
    stages = {name: shape for name, shape, _ in a.stages}
    first = a.stages[0][1]
    assert first[1:] == (2, 2)                         # (T, B, D) with B = 2, D = 2
    if kind == "bidirectional":
        assert stages["hs = [fwd, bwd]"] == (6, 2, 10)
    if kind == "encoder-decoder":
        assert stages["context = encoder h_Tx"] == (2, 5)
        assert stages["decoder input (start, y_1..)"] == (4, 2, 4)
    for name, shape, symbols in a.stages:       # the symbolic shape has as many entries
        assert len(shape) == symbols.count(",") + 1, name


def test_explorer_parameters_do_not_depend_on_length(explorer):
    c = explorer.controls
    c["kind"].value, c["cell"].value = "encoder-decoder", "LSTM"
    totals = set()
    for T_x in (1, 4, 8):
        for T_y in (1, 8):
            c["T_x"].value, c["T_y"].value = T_x, T_y
            totals.add(explorer.result.total)
    assert len(totals) == 1


def test_explorer_greys_out_unused_lengths(explorer):
    c = explorer.controls
    expected = {"one-to-one": (True, True), "one-to-many": (True, False),
                "many-to-one": (False, True), "encoder-decoder": (False, False)}
    for kind, (x_off, y_off) in expected.items():
        c["kind"].value = kind
        assert (c["T_x"].disabled, c["T_y"].disabled) == (x_off, y_off)


def test_explorer_draw_and_readout(explorer):
    from rnnlib.widgets.architectures import explorer_draw, explorer_readout
    c = explorer.controls
    c["kind"].value, c["cell"].value, c["H"].value = "bidirectional", "GRU", 7
    a = explorer.result
    fig, alt = explorer_draw(a)
    assert "bidirectional" in alt and str(a.total) in alt
    html = explorer_readout(a)
    assert f"<b>{a.total:,}</b>" in html and "(T, B, 2H)" in html


def test_explorer_callback_runs_on_every_move():
    """The callback recomputes on each slider move (its speed is a benchmark, not a test:
    ``python3 course.py measure``)."""
    from rnnlib.widgets.architectures import architecture_explorer
    live = architecture_explorer()
    for T_x in (4, 5, 6, 5, 4):
        live.controls["T_x"].value = T_x
        assert live.result.T_x == T_x and live.seconds > 0


def test_build_architecture_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        arch.build_architecture("many-to-few")
    with pytest.raises(ValueError, match="cell"):
        arch.build_architecture("stacked", cell="transformer")
    with pytest.raises(ValueError, match="T_x"):
        arch.build_architecture("many-to-one", T_x=0)


# ---------------------------------------------------------------------------------------------
# Notebook 07: the tiny tasks


def test_one_to_one_is_an_mlp_and_learns():
    r = arch.train_one_to_one(steps=40)
    assert r.losses[-1] < 0.7 * r.losses[0]
    assert r.metrics["max_abs_grad_weight_hh"] == 0.0          # W_hh only ever multiplies h_0 = 0
    assert r.metrics["mlp_max_abs_diff"] < 1e-12


def test_one_to_many_learns_and_has_one_input_step():
    r = arch.train_one_to_many(steps=15, n_train=32)
    assert r.losses[-1] < r.losses[0]
    assert r.metrics["dx_nonzero_steps"] == 1


def test_proverb_inputs_are_right_aligned():
    x_ids, lengths, y, vocab = rnnlib.data.proverb_order_task(20, seed=3)
    x = arch.proverb_inputs(x_ids, lengths, len(vocab))
    T = x_ids.shape[0]
    assert x.shape == (T, 20, len(vocab) - 1)
    for b in range(20):
        n = lengths[b]
        assert np.all(x[:T - n, b] == 0)                        # padding: zero vectors, in front
        assert np.all(x[T - n:, b].sum(axis=1) == 1)            # one word per step, to the end
        assert np.array_equal(x[T - n:, b].argmax(axis=1) + 1, x_ids[:n, b])


def test_bag_of_words_cannot_tell_the_classes_apart():
    x_ids, lengths, y, vocab = rnnlib.data.proverb_order_task(200, seed=4)
    assert arch.bag_of_words_accuracy(x_ids, lengths, y, len(vocab)) == 0.5


def test_many_to_one_learns():
    r = arch.train_many_to_one(steps=25, n_train=256, batch=64)
    assert np.mean(r.losses[-5:]) < np.mean(r.losses[:5])


def test_tomorrow_level_task_and_persistence():
    task = arch.tomorrow_level_task()
    assert task["x"].shape[0] == 30 and task["x"].shape[2] == 1
    assert np.allclose(task["x"][1:], task["y"][:-1])           # targets are tomorrow's inputs
    assert task["x"].min() >= 0 and task["x"].max() <= 1        # scaled over the training years
    assert task["test_x"].shape == (365, 1, 1)
    assert arch.persistence_rmse(task) > 0


def test_many_to_many_learns():
    r = arch.train_many_to_many(steps=30)
    assert np.mean(r.losses[-5:]) < np.mean(r.losses[:5])
    assert 0 < r.metrics["calm_fraction"] <= 1


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_encoder_decoder_backward_matches_finite_differences(cell):
    model = arch.EncoderDecoder(3, 4, 3, cell=cell, seed=0)
    x, y, _ = arch.reverse_task(2, 3, n_symbols=3, seed=1)
    y = np.minimum(y, 3)
    y_in = model.decoder_inputs(y)

    def loss_of(params):
        logits, _, _ = model.with_params(params).forward(x, y_in)
        return rnnlib.softmax_cross_entropy(logits, y)[0]

    logits, _, cache = model.forward(x, y_in)
    _, dlogits = rnnlib.softmax_cross_entropy(logits, y)
    _, grads = model.backward(dlogits, cache)
    numeric = numerical_gradient(loss_of, model.params)
    for k in model.params:
        assert relative_error(grads[k], numeric[k]) < 1e-6, k


def test_encoder_decoder_learns_and_generates():
    r = arch.train_encoder_decoder(steps=40, hidden_size=16)
    assert np.mean(r.losses[-5:]) < np.mean(r.losses[:5])
    x, y, _ = arch.reverse_task(5, 4, seed=2)
    out = r.model.generate(x, 5)
    assert out.shape == (5, 5) and out.dtype == np.int64


def test_blank_task_answer_is_set_by_the_noun():
    x, y, sentences, vocab, answers = arch.blank_task(50, seed=0)
    assert x.shape == (6, 50, len(vocab))
    tokens = x.argmax(axis=2)                                   # (6, n) token ids
    assert np.all(tokens[arch.BLANK_STEP] == vocab.index("___"))
    assert np.all(tokens[arch.BLANK_STEP + 1] == vocab.index("the"))
    for b, (s, label) in enumerate(zip(sentences, y)):
        noun = vocab[tokens[arch.BLANK_STEP + 2, b]]             # two steps after the blank
        assert answers[label] == arch.BLANK_ANSWERS[noun]
        assert f"___ the {noun}" in s


def test_bidirectional_beats_forward_on_the_blank():
    fwd = arch.train_blank_filler(False, hidden_size=8, n_train=256, steps=60, batch=64)
    bi = arch.train_blank_filler(True, hidden_size=8, n_train=256, steps=60, batch=64)
    assert bi.metrics["test_accuracy"] > 0.9
    assert fwd.metrics["test_accuracy"] < 0.4                   # it cannot see the noun


def test_gradient_profiles_show_where_losses_enter():
    o2o = arch.train_one_to_one(steps=2)
    m2o = arch.train_many_to_one(steps=2, n_train=64, batch=16)
    ed = arch.train_encoder_decoder(steps=2, hidden_size=8)
    p = arch.gradient_profile(o2o)
    assert len(p["delta"]) == 1 and p["loss_steps"].all()
    p = arch.gradient_profile(m2o)
    assert p["loss_steps"][-1] and not p["loss_steps"][:-1].any()
    assert np.all(p["delta"] > 0)
    p = arch.gradient_profile(ed)
    assert not p["loss_steps"][:p["split"]].any() and p["loss_steps"][p["split"]:].all()
    trained = arch.gradient_profile(m2o, trained=True)
    untrained = arch.gradient_profile(m2o)
    assert trained["delta"].shape == untrained["delta"].shape
    assert not np.allclose(trained["delta"], untrained["delta"])   # two different networks


def test_untrained_keeps_the_initial_weights():
    r = arch.train_one_to_one(steps=5)
    untrained = r.untrained()
    for k, v in r.initial_params.items():
        assert np.array_equal(untrained.params[k], v)
        if k == "rnn.weight_hh":          # zero gradient, so Adam never moves it
            assert np.array_equal(r.model.params[k], v)
        else:
            assert not np.array_equal(r.model.params[k], v)


def test_stacked_comparison_and_layer_gradients():
    results = arch.train_stacked_comparison(steps=5)
    assert results[2].metrics["num_params"] > results[1].metrics["num_params"]
    g = arch.stacked_gradient_profile(results[2].untrained())
    assert g[1].shape == g[2].shape == (30,)
    assert np.all(g[1] > 0) and np.all(g[2] > 0)


# ---------------------------------------------------------------------------------------------
# Notebook 08: the character language model


@pytest.fixture(scope="module")
def corpus():
    return lm.load_corpus()


@pytest.fixture(scope="module")
def tiny_models(corpus):
    V = corpus.vocab.size
    return {cell: lm.make_model(cell, V, 12, seed=3) for cell in ("rnn", "lstm", "gru")}


def test_corpus_split(corpus):
    assert len(corpus.train_ids) + len(corpus.val_ids) == len(corpus.text)
    assert corpus.vocab.decode(corpus.val_ids[:20]) == corpus.text[len(corpus.train_ids):][:20]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_training_starts_near_ln_V_and_decreases(corpus, cell):
    model = lm.make_model(cell, corpus.vocab.size, 16, seed=0)
    lines = []
    log = lm.train_char_lm(model, corpus.train_ids, corpus.vocab, 40, T=8, B=4, lr=0.01,
                           log_every=20, sample_at=(0, 40), sample_len=20, printer=lines.append)
    assert abs(log.losses[0] - math.log(corpus.vocab.size)) < 0.25   # 32 characters: noisy
    assert log.smoothed[-1] < log.smoothed[0] - 0.3
    assert np.array_equal(log.chars, np.arange(1, 41) * 32)
    assert set(log.samples) == {0, 40} and all(len(s) == 20 for s in log.samples.values())
    assert len(lines) == 3 and lines[-1].startswith("update   40/40")   # updates 1, 20, 40
    assert log.seconds > 0


def test_training_is_deterministic(corpus):
    logs = []
    for _ in range(2):
        model = lm.make_model("rnn", corpus.vocab.size, 8, seed=1)
        logs.append(lm.train_char_lm(model, corpus.train_ids, corpus.vocab, 5, T=8, B=2,
                                     printer=None, sample_at=(5,), sample_len=30))
    assert np.array_equal(logs[0].losses, logs[1].losses)
    assert logs[0].samples == logs[1].samples


def test_adagrad_option_and_bad_optimizer(corpus):
    model = lm.make_model("rnn", corpus.vocab.size, 8, seed=1)
    log = lm.train_char_lm(model, corpus.train_ids, corpus.vocab, 20, T=8, B=4, lr=0.1,
                           optimizer="adagrad", printer=None)
    assert log.losses[-1] < log.losses[0]
    with pytest.raises(ValueError, match="optimizer"):
        lm.train_char_lm(model, corpus.train_ids, corpus.vocab, 1, optimizer="rmsprop")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_step_by_step_reading_matches_the_layer(corpus, tiny_models, cell):
    """The sampler steps with rnnlib.cells; it must agree with the vectorised layer."""
    model, vocab = tiny_models[cell], corpus.vocab
    text = "The river was high."
    logits_step, _ = lm.read_context(model, vocab, text)
    ys, _, _ = model.forward(np.eye(vocab.size)[vocab.encode(text)][:, None])
    assert np.allclose(logits_step, ys[-1, 0], atol=1e-12)


def test_temperature_probs():
    logits = np.array([[1.0, 3.0, 2.0], [0.0, 0.0, 5.0]])
    for T in (0.1, 1.0, 4.0):
        p = lm.temperature_probs(logits, T)
        assert np.allclose(p.sum(axis=-1), 1)
        assert np.array_equal(p.argmax(-1), logits.argmax(-1))
    assert np.array_equal(lm.temperature_probs(logits, 0), np.array([[0, 1, 0], [0, 0, 1.0]]))
    assert lm.temperature_probs(logits, 1e-3)[0, 1] > 1 - 1e-12         # near-greedy
    assert np.allclose(lm.temperature_probs(logits, 1e6), 1 / 3)       # near-uniform
    with pytest.raises(ValueError):
        lm.temperature_probs(logits, -1)


def test_sampler_low_temperature_is_greedy_and_seeded(corpus, tiny_models):
    model, vocab = tiny_models["lstm"], corpus.vocab
    greedy = lm.sample(model, vocab, "The ", 40, temperature=0.0, seed=0)
    assert lm.sample(model, vocab, "The ", 40, temperature=0.0, seed=123) == greedy
    assert lm.sample(model, vocab, "The ", 40, temperature=1e-4, seed=7) == greedy
    a = lm.sample(model, vocab, "The ", 60, temperature=1.0, seed=5)
    assert a == lm.sample(model, vocab, "The ", 60, temperature=1.0, seed=5)
    assert a != lm.sample(model, vocab, "The ", 60, temperature=1.0, seed=6)
    assert len(a) == 60 and set(a) <= set(vocab.chars)


def test_sampler_follows_the_distribution(corpus, tiny_models):
    """Many one-character samples reproduce the model's next-character probabilities."""
    model, vocab = tiny_models["rnn"], corpus.vocab
    p = lm.next_char_probs(model, vocab, "The ", 1.0)
    rng = np.random.default_rng(0)
    counts = np.zeros(vocab.size)
    for _ in range(3000):
        counts[vocab.encode(lm.sample(model, vocab, "The ", 1, 1.0, seed=rng))[0]] += 1
    assert np.abs(counts / 3000 - p).max() < 0.03


def test_evaluate_and_surprisal_agree(corpus, tiny_models):
    model, vocab = tiny_models["gru"], corpus.vocab
    text = vocab.decode(corpus.val_ids[:200])
    b = lm.surprisal(model, vocab, text, 0)
    assert b.shape == (199,)
    ids = vocab.encode(text)
    ys, _, _ = model.forward(np.eye(vocab.size)[ids[:-1]][:, None])
    nats, _ = rnnlib.softmax_cross_entropy(ys, ids[1:, None], reduction="mean")
    assert math.isclose(b.mean(), lm.bits(nats), rel_tol=1e-12)
    untrained = lm.evaluate(model, corpus.val_ids, vocab)
    assert abs(untrained - math.log(vocab.size)) < 0.1


def test_bits_and_real_words():
    assert math.isclose(lm.bits(math.log(2)), 1.0)
    assert lm.real_word_fraction("The river zzqx", "the river was high") == pytest.approx(2 / 3)
    assert lm.real_word_fraction("!!!", "anything") == 0.0


def test_minchar_loop_learns(corpus):
    speed, losses = lm.minchar_train(corpus.train_ids, corpus.vocab.size, 32, n_chars=3000)
    assert speed > 0 and len(losses) == 120
    assert abs(losses[0] - math.log(corpus.vocab.size)) < 0.05
    assert losses[-20:].mean() < losses[0] - 0.5


def test_batched_throughput_reports_a_speed(corpus):
    """The speed itself is measured by benchmarks/char_lm_throughput.py, not asserted here."""
    batched = lm.batched_throughput(corpus.train_ids, corpus.vocab.size, 8, n_updates=2, T=4,
                                    B=4)
    assert np.isfinite(batched) and batched > 0


def test_evaluate_reads_streams_of_a_given_length(corpus, tiny_models):
    model, vocab, ids = tiny_models["rnn"], corpus.vocab, corpus.train_ids
    B = len(ids) // 501
    assert lm.evaluate(model, ids, vocab, stream_length=500) == lm.evaluate(model, ids, vocab, B=B)
    # by hand: B streams of 500 inputs each, every one from a zero state
    n = len(ids) // B
    streams = ids[:B * n].reshape(B, n).T                  # (n, B): stream b is a column
    ys, _, _ = model.forward(np.eye(vocab.size)[streams[:-1]])
    nats, _ = rnnlib.softmax_cross_entropy(ys, streams[1:], reduction="mean")
    assert math.isclose(lm.evaluate(model, ids, vocab, B=B), nats, rel_tol=1e-12)


def test_training_and_held_out_measured_the_same_way(corpus):
    model = lm.make_model("rnn", corpus.vocab.size, 8, seed=2)
    texts = {"training": corpus.train_ids, "held-out": corpus.val_ids}
    log = lm.train_char_lm(model, corpus.train_ids, corpus.vocab, 6, k=8, B=4, printer=None,
                           eval_at=(0, 3, 6, 99), eval_texts=texts, eval_stream_length=100)
    assert np.array_equal(log.checkpoints, [0, 3, 6])      # 99 is past the end: skipped
    assert set(log.evaluated) == {"training", "held-out"}
    for name, ids in texts.items():
        assert log.evaluated[name].shape == (3,)
        assert abs(log.evaluated[name][0] - math.log(corpus.vocab.size)) < 0.3    # untrained
        assert log.evaluated[name][-1] == lm.evaluate(model, ids, corpus.vocab, stream_length=100)


def test_new_and_old_keyword_names(corpus, tiny_models):
    model, vocab = tiny_models["gru"], corpus.vocab
    assert lm.sample(model, vocab, "The ", 30, tau=0.7, seed=4) == lm.sample(
        model, vocab, "The ", 30, temperature=0.7, seed=4)
    assert np.array_equal(lm.next_char_probs(model, vocab, "Th", tau=2.0),
                          lm.next_char_probs(model, vocab, "Th", temperature=2.0))
    logs = [lm.train_char_lm(lm.make_model("rnn", vocab.size, 8, seed=1), corpus.train_ids,
                             vocab, 3, B=2, printer=None, **kw) for kw in ({"k": 8}, {"T": 8})]
    assert np.array_equal(logs[0].losses, logs[1].losses) and logs[0].chars[0] == 16
    with pytest.raises(ValueError, match="not both"):
        lm.sample(model, vocab, "The ", 3, tau=1.0, temperature=1.0)
    with pytest.raises(ValueError, match="not both"):
        lm.train_char_lm(model, corpus.train_ids, vocab, 1, k=4, T=4, printer=None)


def test_progress_lines_are_rounded(corpus):
    lines = []
    lm.train_char_lm(lm.make_model("rnn", corpus.vocab.size, 8, seed=1), corpus.train_ids,
                     corpus.vocab, 2, k=8, B=2, printer=lines.append, digits=2)
    assert re.search(r"smoothed loss \d\.\d\d nats = \d\.\d\d bits/char$", lines[-1])


# ---------------------------------------------------------------------------------------------
# Notebook 08: the sampling widget


@pytest.fixture(scope="module")
def sampler(corpus, tiny_models):
    from rnnlib.widgets.language_model import sampling_widget
    return sampling_widget({"rnn": tiny_models["rnn"], "lstm": tiny_models["lstm"]},
                           corpus.vocab, prime="The ", length=50)


def test_sampling_widget_follows_its_controls(corpus, tiny_models, sampler):
    c = sampler.controls
    c["model"].value, c["temperature"].value, c["seed"].value = "rnn", 0.0, 3
    c["prime"].value = "The river "
    r = sampler.result
    assert r["sample"] == lm.sample(tiny_models["rnn"], corpus.vocab, "The river ", 50, 0.0)
    assert np.count_nonzero(r["probs"]) == 1 and r["entropy_bits"] == 0.0
    c["temperature"].value, c["model"].value = 1.0, "lstm"
    r = sampler.result
    lstm = tiny_models["lstm"]
    assert r["sample"] == lm.sample(lstm, corpus.vocab, "The river ", 50, 1.0, seed=3)
    assert np.allclose(r["probs"], r["reference"])
    assert html.escape(r["sample"][:20]) in sampler.readout_html


def test_sampling_widget_drops_unknown_characters(sampler):
    sampler.controls["prime"].value = "Zoë said"
    r = sampler.result
    assert r["prime"] == "o said" and r["dropped"] == ["Z", "ë"]     # no Z in the corpus
    assert "Not in the vocabulary" in sampler.readout_html
    sampler.controls["prime"].value = "€€"
    assert sampler.result["prime"] == "\n"


def test_sampling_widget_draw(corpus, sampler):
    from rnnlib.plots.language_model import next_char_figure
    r = sampler.result
    fig, alt = next_char_figure(r["probs"], r["reference"], corpus.vocab, r["prime"], 0.5)
    assert "temperature 0.50" in alt


# ---------------------------------------------------------------------------------------------
# Exercise checks: every status, every named slip, and correct answers written another way

CHECKS = [
    (ex7.check_decoder_inputs, ex7.solution_decoder_inputs),
    (ex7.check_many_to_one_dhs, ex7.solution_many_to_one_dhs),
    (ex7.check_bidirectional_states, ex7.solution_bidirectional_states),
    (ex8.check_temperature_softmax, ex8.solution_temperature_softmax),
    (ex8.check_draw_index, ex8.solution_draw_index),
    (ex8.check_unigram_bits, ex8.solution_unigram_bits),
    (ex8.check_sample_ids, ex8.solution_sample_ids),
]


@pytest.mark.parametrize("check, solution", CHECKS, ids=lambda f: getattr(f, "__name__", ""))
def test_every_status_and_odd_answers(check, solution, capsys):
    assert_each_status(check, solution, capsys)
    assert_never_raises(check)
    capsys.readouterr()


@pytest.mark.parametrize("check, solution", CHECKS, ids=lambda f: getattr(f, "__name__", ""))
def test_three_hint_levels_and_the_solution(check, solution, capsys):
    from rnnlib.exercises import hint
    module = ex7 if check.__module__ == ex7.__name__ else ex8
    idea, formula, skeleton = module.HINTS[check.__name__]
    assert idea and formula and skeleton and "..." in skeleton
    for level in (1, 2, 3):
        hint(check, level)
        assert f"Hint {level} of 3" in capsys.readouterr().out
    hint(check, 4)
    assert "def " + solution.__name__ in capsys.readouterr().out
    wrong = check(answers_by_status(solution)["wrong"])
    assert idea.split()[0] in wrong.message or "Hint:" in wrong.message


def _message(check, learner, capsys):
    result = check(learner)
    capsys.readouterr()
    assert not result.passed
    return result.message


def test_decoder_inputs_slips_are_named(capsys):
    def one_hot(ids, n):
        return np.eye(n)[ids]

    def start(y, O):
        return np.full((1, y.shape[1]), O)
    check = ex7.check_decoder_inputs
    assert "copy it" in _message(check, lambda y, O: one_hot(y, O + 1), capsys)
    assert "not 0" in _message(check, lambda y, O: one_hot(
        np.concatenate([0 * start(y, O), y[:-1]]), O + 1), capsys)
    assert "wrong way" in _message(check, lambda y, O: one_hot(
        np.concatenate([y[1:], start(y, O)]), O + 1), capsys)
    assert check(lambda y, O: one_hot(y, O)).status == "shape"          # no room for <start>
    no_room = check(lambda y, O: one_hot(np.concatenate([start(y, O), y[:-1]]), O))
    assert no_room.status == "error" and "out of bounds" in no_room.message

    def by_loop(y, n_out):                                # correct, written another way
        T, B = y.shape
        out = np.zeros((T, B, n_out + 1), dtype=np.float32)
        for t in range(T):
            for b in range(B):
                out[t, b, n_out if t == 0 else y[t - 1, b]] = 1
        return out
    assert check(by_loop).passed
    capsys.readouterr()


def test_decoder_inputs_solution_is_what_the_encoder_decoder_reads():
    model = arch.EncoderDecoder(3, 4, 5, seed=0)
    y = np.random.default_rng(0).integers(0, 4, size=(5, 3))
    assert np.array_equal(model.decoder_inputs(y), ex7.solution_decoder_inputs(y, 4))


def test_many_to_one_dhs_slips_and_another_way(capsys):
    check = ex7.check_many_to_one_dhs

    def every_step(dy, W, T):
        return np.broadcast_to(dy @ W, (T,) + (dy @ W).shape).copy()

    def first_step(dy, W, T):
        out = np.zeros((T,) + (dy @ W).shape)
        out[0] = dy @ W
        return out
    assert "every step" in _message(check, every_step, capsys)
    assert "wrong step" in _message(check, first_step, capsys)
    assert "sign" in _message(check, lambda dy, W, T: -ex7.solution_many_to_one_dhs(dy, W, T),
                              capsys)

    def einsum(dy, W, T):
        out = np.zeros((T, dy.shape[0], W.shape[1]))
        out[-1] = np.einsum("bo,oh->bh", dy, W)
        return out
    assert check(einsum).passed
    capsys.readouterr()


def test_many_to_one_dhs_solution_matches_rnnlib():
    """The reference is what RecurrentNetwork(many_to_one=True).backward feeds its layer."""
    net = rnnlib.ElmanNetwork(3, 4, 2, many_to_one=True, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    y, _, cache = net.forward(x)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    dx, _, grads = net.backward(dy, cache)
    dhs = ex7.solution_many_to_one_dhs(dy, net.params["out.weight"], 5)
    dx_ref, _, g_ref = net.rnn.backward(dhs, cache["rnn"])
    assert np.allclose(dx, dx_ref) and np.allclose(grads["rnn.weight_hh"], g_ref["weight_hh"])


def test_bidirectional_slips_and_another_way(capsys):
    check = ex7.check_bidirectional_states

    def unflipped(x, f, b):
        return np.concatenate([f.forward(x)[0], b.forward(x[::-1])[0]], axis=2)

    def swapped(x, f, b):
        return np.concatenate([b.forward(x[::-1])[0][::-1], f.forward(x)[0]], axis=2)

    def forwards_twice(x, f, b):
        return np.concatenate([f.forward(x)[0], b.forward(x)[0]], axis=2)
    assert "flip its outputs back" in _message(check, unflipped, capsys)
    assert "swapped" in _message(check, swapped, capsys)
    assert "x[::-1]" in _message(check, forwards_twice, capsys)

    def step_by_step(x, f, b):                           # correct, via np.flip and np.dstack
        return np.dstack([f.forward(x)[0], np.flip(b.forward(np.flip(x, 0))[0], 0)])
    assert check(step_by_step).passed
    capsys.readouterr()


def test_temperature_slips_and_another_way(capsys):
    check, ref = ex8.check_temperature_softmax, ex8.solution_temperature_softmax

    def naive(logits, tau):
        e = np.exp(np.asarray(logits) / tau)
        return e / e.sum(axis=-1, keepdims=True)
    assert "Subtract the largest" in _message(check, naive, capsys)
    assert "divide by it" in _message(check, lambda z, tau: ref(np.asarray(z) * tau * tau, tau),
                                      capsys)
    assert "missing" in _message(check, lambda z, tau: ref(z, 1.0), capsys)

    def log_sum_exp(logits, tau):                        # correct, another formula
        z = np.asarray(logits, dtype=np.float32) / tau
        m = z.max(axis=-1, keepdims=True)
        return np.exp(z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))
    assert check(log_sum_exp).passed
    capsys.readouterr()


def test_draw_index_solution_samples_the_distribution():
    p = np.array([0.2, 0.0, 0.5, 0.3])
    u = np.random.default_rng(0).random(20000)
    draws = np.array([ex8.solution_draw_index(p, ui) for ui in u])
    assert np.abs(np.bincount(draws, minlength=4) / len(u) - p).max() < 0.01


def test_check_draw_index_catches_a_u_on_a_boundary(capsys):
    """side='left' (>= instead of >) passes every case where u is not on a boundary."""
    left = ex8.check_draw_index(lambda p, u: int(np.searchsorted(np.cumsum(p), u)))
    assert left.status == "wrong" and "exactly on a boundary" in left.message
    loop = ex8.check_draw_index(lambda p, u: next(i for i, c in enumerate(np.cumsum(p)) if c >= u))
    assert loop.status == "wrong" and "side='right'" in loop.message
    assert "greedy" in ex8.check_draw_index(lambda p, u: int(np.argmax(p))).message

    def by_while(p, u):                                    # correct, written another way
        i, total = 0, p[0]
        while total <= u and i < len(p) - 1:
            i += 1
            total += p[i]
        return i
    assert ex8.check_draw_index(by_while).passed
    assert ex8.check_draw_index(lambda p, u: min(int((np.cumsum(p) <= u).sum()), len(p) - 1)).passed
    assert ex8.check_draw_index(lambda p, u: int(np.argmax(np.cumsum(p) > u))).passed
    # with u = 0 and p_0 = 0, side='left' draws the index of probability zero
    assert np.searchsorted(np.cumsum([0.0, 0.5, 0.5]), 0.0) == 0
    assert ex8.solution_draw_index(np.array([0.0, 0.5, 0.5]), 0.0) == 1
    capsys.readouterr()


def test_unigram_slips_and_another_way(capsys, corpus):
    check, ref = ex8.check_unigram_bits, ex8.solution_unigram_bits

    def unsmoothed(tr, te, V):
        return float(-np.mean(np.log2((np.bincount(tr, minlength=V) / len(tr))[te])))
    assert "add one" in _message(check, unsmoothed, capsys)
    assert "nats" in _message(check, lambda tr, te, V: ref(tr, te, V) * math.log(2), capsys)
    assert "training text" in _message(check, lambda tr, te, V: ref(tr, tr, V), capsys)
    assert "uniform guess" in _message(check, lambda tr, te, V: math.log2(V), capsys)

    def counted_by_hand(tr, te, V):                       # correct, with a Counter
        from collections import Counter
        counts = Counter(int(c) for c in tr)
        total = len(tr) + V
        return -sum(math.log2((counts[int(c)] + 1) / total) for c in te) / len(te)
    assert check(counted_by_hand).passed
    # the demo's baseline is the same model
    V = corpus.vocab.size
    assert math.isclose(lm.baseline_bits(corpus.train_ids, corpus.val_ids, V, context=0),
                        ref(corpus.train_ids, corpus.val_ids, V), rel_tol=1e-12)
    capsys.readouterr()


def test_bigram_baseline_beats_unigram_and_counts_right(corpus):
    V = corpus.vocab.size
    uni = lm.baseline_bits(corpus.train_ids, corpus.val_ids, V, context=0)
    bi = lm.baseline_bits(corpus.train_ids, corpus.val_ids, V, context=1)
    assert bi < uni < math.log2(V)
    # by hand on a tiny text: train "abab", V = 2, test "ab"
    tr, te = np.array([0, 1, 0, 1]), np.array([0, 1])
    p_a = 3 / 6                                           # (2 + 1) / (4 + 2)
    p_b_after_a = (2 + 1) / (2 + 2)                       # pairs a->b twice, add-one over 2
    expected = -(math.log2(p_a) + math.log2(p_b_after_a)) / 2
    assert math.isclose(lm.baseline_bits(tr, te, 2, context=1), expected, rel_tol=1e-12)
    with pytest.raises(ValueError, match="context"):
        lm.baseline_bits(tr, te, 2, context=2)


def test_sample_ids_solution_is_the_course_sampler(corpus, tiny_models):
    vocab = corpus.vocab
    for cell, tau, seed in (("rnn", 0.8, 0), ("lstm", 1.3, 4), ("gru", 0.4, 9)):
        ids = ex8.solution_sample_ids(tiny_models[cell], vocab, "The ", 40, tau, seed)
        assert vocab.decode(ids) == lm.sample(tiny_models[cell], vocab, "The ", 40, tau, seed=seed)


def test_sample_ids_slips_and_another_way(capsys):
    check = ex8.check_sample_ids
    for variant, why in ex8._SAMPLE_MISTAKES:
        assert why[:40] in _message(check, variant, capsys)

    def with_course_parts(model, vocab, prime, n, tau, seed):   # correct, other building blocks
        rng = np.random.default_rng(seed)
        logits, state = lm.read_context(model, vocab, prime)
        ids = []
        while len(ids) < n:
            p = lm.temperature_probs(logits, tau)
            u = rng.random()
            i = int(np.sum(np.cumsum(p) <= u))
            ids.append(min(i, len(p) - 1))
            logits, state = lm.next_logits(model, ids[-1], state)
        return ids
    assert check(with_course_parts).passed
    capsys.readouterr()


def test_next_logits_continues_read_context(corpus, tiny_models):
    vocab = corpus.vocab
    for cell in ("rnn", "lstm", "gru"):
        model = tiny_models[cell]
        logits, state = lm.read_context(model, vocab, "The ri")
        step, _ = lm.next_logits(model, vocab.encode("v")[0], state)
        whole, _ = lm.read_context(model, vocab, "The riv")
        assert np.allclose(step, whole, atol=1e-13)


def test_train_task_is_the_shared_skeleton():
    """One skeleton: remember the initial weights, fit, evaluate once, return a TaskResult."""
    from rnnlib.demos.task_training import supervised, train_task
    x, y = arch.circle_task(64, seed=3)
    net = rnnlib.ElmanNetwork(2, 4, 2, many_to_one=True, seed=3)
    before = {k: v.copy() for k, v in net.params.items()}
    calls = []

    def evaluate(model):
        calls.append(model)
        return {"n": 1}, {"d": 2}

    r = train_task("t", "one-to-one", net, supervised(net, x, y, rnnlib.softmax_cross_entropy),
                   5, 0.05, evaluate)
    assert calls == [net] and r.metrics == {"n": 1} and r.data == {"d": 2}
    assert r.losses.shape == (5,) and r.seconds > 0
    assert all(np.array_equal(r.initial_params[k], before[k]) for k in before)
    assert not np.array_equal(net.params["out.weight"], before["out.weight"])
    untrained = r.untrained()
    assert np.array_equal(untrained.params["out.weight"], before["out.weight"])


def test_supervised_minibatches_draw_from_the_rng():
    from rnnlib.demos.task_training import supervised
    x, y = arch.circle_task(40, seed=0)
    net = rnnlib.ElmanNetwork(2, 3, 2, many_to_one=True, seed=0)
    a = supervised(net, x, y, rnnlib.softmax_cross_entropy, batch=8, rng=np.random.default_rng(1))
    b = supervised(net, x, y, rnnlib.softmax_cross_entropy, batch=8, rng=np.random.default_rng(1))
    (la, ga), (lb, gb) = a(0), b(0)
    assert la == lb and all(np.array_equal(ga[k], gb[k]) for k in ga)
    full = supervised(net, x, y, rnnlib.softmax_cross_entropy)
    assert full(0)[0] != la                                  # a batch of 8 is not the full set


def test_shakespeare_part_is_shipped_with_its_source():
    corpus = lm.load_shakespeare()
    assert len(corpus.text) == 200_376 and corpus.text.startswith("First Citizen:\n")
    assert len(corpus.train_ids) + len(corpus.val_ids) == len(corpus.text)
    source = lm._data_file("tinyshakespeare_part_SOURCE.txt").read_text(encoding="utf-8")
    assert "public domain" in source and "char-rnn" in source


def test_shakespeare_weights_load_and_beat_the_baselines():
    corpus = lm.load_shakespeare()
    model, info = lm.shakespeare_model(corpus)
    assert info["source"].startswith("pretrained") and info["seconds"] > 0
    assert model.num_params() == lm.make_model("lstm", corpus.vocab.size, 128).num_params()
    V = corpus.vocab.size
    held = lm.bits(lm.evaluate(model, corpus.val_ids[:4000], corpus.vocab, stream_length=500))
    bigram = lm.baseline_bits(corpus.train_ids, corpus.val_ids[:4000], V, context=1)
    assert held < bigram - 0.5


def test_shakespeare_weights_round_trip(tmp_path, corpus):
    """save_shakespeare_weights writes what shakespeare_model reads (float32, vocabulary)."""
    shakes = lm.load_shakespeare()
    model = lm.make_model("lstm", shakes.vocab.size, 128, seed=5)
    path = tmp_path / "w.npz"
    lm.save_shakespeare_weights(model, shakes, 12.5, path)
    stored = np.load(path)
    assert str(stored["meta_chars"]) == "".join(shakes.vocab.chars)
    assert all(stored[k].dtype == np.float32 and np.allclose(stored[k], v, rtol=1e-6, atol=1e-7)
               for k, v in model.params.items())
    loaded, info = lm.shakespeare_model(shakes, weights=path)
    assert info["seconds"] == 12.5
    assert all(np.allclose(loaded.params[k], v, rtol=1e-6, atol=1e-7)
               for k, v in model.params.items())
