"""Tests for rnnlib.data: the seeded toy tasks, the river series and the corpora."""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlib.data import (
    ADDING_BASELINE_MSE,
    PROVERBS,
    CharVocab,
    adding_problem,
    char_corpus,
    char_streams,
    copy_task,
    copy_task_baseline,
    forecasting_windows,
    jumble,
    proverb_order_task,
    river_levels,
)

FAST = settings(max_examples=40, deadline=None)


def _load_make_corpus():
    """scripts/make_corpus.py, the generator of the shipped corpus (not part of the library)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "make_corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _load_make_corpus()
generate_corpus = make_corpus.generate_corpus

# Every seeded generator, called with small arguments; each returns a tuple of outputs.
SEEDED = {
    "adding_problem": lambda seed: adding_problem(4, 10, seed=seed),
    "copy_task": lambda seed: copy_task(4, n_symbols=5, length=3, delay=4, seed=seed),
    "river_levels": lambda seed: (river_levels(400, seed=seed),),
    "proverb_order_task": lambda seed: proverb_order_task(8, seed=seed)[:3],
    "generate_corpus": lambda seed: (generate_corpus(seed=seed, n_chars=500),),
}


def _equal(a: tuple, b: tuple) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


# ---------------------------------------------------------------------------------------------
# Seeds: determinism, generators, no global state
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SEEDED)
def test_same_seed_same_data_different_seed_different_data(name):
    make = SEEDED[name]
    assert _equal(make(3), make(3))
    assert not _equal(make(3), make(4))


@pytest.mark.parametrize("name", SEEDED)
def test_a_generator_is_used_as_given(name):
    make = SEEDED[name]
    assert _equal(make(np.random.default_rng(7)), make(7))


@pytest.mark.parametrize("name", SEEDED)
def test_global_numpy_state_is_neither_read_nor_advanced(name):
    make = SEEDED[name]
    np.random.seed(1)
    first = make(11)
    np.random.seed(2)
    state_before = np.random.get_state()[1].copy()
    second = make(11)
    assert _equal(first, second)
    assert np.array_equal(np.random.get_state()[1], state_before)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, np.random.RandomState(0)])
def test_bad_seed_raises(bad):
    with pytest.raises(ValueError, match="seed must be"):
        adding_problem(2, 4, seed=bad)


# ---------------------------------------------------------------------------------------------
# Adding problem
# ---------------------------------------------------------------------------------------------

def test_adding_problem_shapes_and_dtypes():
    x, y = adding_problem(5, 12, seed=0)
    assert x.shape == (12, 5, 2) and x.dtype == np.float64
    assert y.shape == (5, 1) and y.dtype == np.float64


@FAST
@given(n=st.integers(1, 6), T=st.integers(2, 40), seed=st.integers(0, 10**6))
def test_adding_problem_two_markers_one_per_half_and_target_is_their_sum(n, T, seed):
    x, y = adding_problem(n, T, seed=seed)
    values, markers = x[..., 0], x[..., 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert np.all(markers.sum(axis=0) == 2)
    assert np.all(markers[: T // 2].sum(axis=0) == 1)
    assert np.all(markers[T // 2:].sum(axis=0) == 1)
    assert np.all((values >= 0) & (values < 1))
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=0), rtol=0, atol=1e-15)


def test_adding_baseline_mse_is_one_sixth_and_matches_predicting_one():
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6, abs=1e-15)
    _, y = adding_problem(20_000, 6, seed=123)
    mse = np.mean((y - 1.0) ** 2)
    assert abs(mse - 1 / 6) < 0.005


def test_adding_problem_bad_arguments():
    with pytest.raises(ValueError, match=r"T must be an integer >= 2, got 1"):
        adding_problem(3, 1)
    with pytest.raises(ValueError, match=r"n_samples must be an integer >= 1, got -2"):
        adding_problem(-2, 10)
    with pytest.raises(ValueError, match=r"T must be an integer >= 2, got float 10.0"):
        adding_problem(3, 10.0)


# ---------------------------------------------------------------------------------------------
# Copy task
# ---------------------------------------------------------------------------------------------

def test_copy_task_shapes_dtypes_and_one_hot():
    x, y = copy_task(6, n_symbols=8, length=5, delay=20, seed=0)
    T = 5 + 20 + 1 + 5
    assert x.shape == (T, 6, 10) and x.dtype == np.float64
    assert y.shape == (T, 6) and y.dtype == np.int64
    assert np.all(x.sum(axis=-1) == 1) and set(np.unique(x)) == {0.0, 1.0}


@FAST
@given(n=st.integers(1, 5), n_symbols=st.integers(1, 9), length=st.integers(1, 6),
       delay=st.integers(0, 8), seed=st.integers(0, 10**6))
def test_copy_task_layout_and_targets_are_the_memorised_symbols(n, n_symbols, length, delay,
                                                                 seed):
    x, y = copy_task(n, n_symbols=n_symbols, length=length, delay=delay, seed=seed)
    blank, go = n_symbols, n_symbols + 1
    inputs = x.argmax(axis=-1)
    symbols = inputs[:length]
    assert np.all(symbols < n_symbols)
    assert np.all(inputs[length:length + delay] == blank)
    assert np.all(inputs[length + delay] == go)
    assert np.all(inputs[length + delay + 1:] == blank)
    np.testing.assert_array_equal(y[-length:], symbols)
    assert np.all(y[:-length] == blank)


def test_copy_task_baseline_formula_and_a_memoryless_predictor_attains_it():
    n_symbols, length, delay = 8, 5, 20
    expected = length * math.log(n_symbols) / (2 * length + delay + 1)
    assert copy_task_baseline(n_symbols, length, delay) == pytest.approx(expected, rel=1e-15)
    assert copy_task_baseline(1, 3, 2) == 0.0
    # A model that knows the layout but nothing of the symbols: certain blank, then uniform.
    _, y = copy_task(50, n_symbols, length, delay, seed=1)
    T = y.shape[0]
    probs = np.zeros((T, n_symbols + 2))
    probs[:-length, n_symbols] = 1.0
    probs[-length:, :n_symbols] = 1.0 / n_symbols
    p_target = np.take_along_axis(probs[:, None, :], y[..., None], axis=-1)
    assert np.mean(-np.log(p_target)) == pytest.approx(expected, rel=1e-12)


def test_copy_task_bad_arguments():
    with pytest.raises(ValueError, match=r"length must be an integer >= 1, got 0"):
        copy_task(3, length=0)
    with pytest.raises(ValueError, match=r"delay must be an integer >= 0, got -1"):
        copy_task(3, delay=-1)
    with pytest.raises(ValueError, match=r"n_symbols must be an integer >= 1, got 0"):
        copy_task_baseline(0, 5, 20)


# ---------------------------------------------------------------------------------------------
# River levels and forecasting windows
# ---------------------------------------------------------------------------------------------

def test_river_levels_shape_dtype_and_plausible_metres():
    for seed in range(5):
        levels = river_levels(3650, seed=seed)
        assert levels.shape == (3650,) and levels.dtype == np.float64
        assert np.all(np.isfinite(levels))
        assert 1.0 < levels.min() and levels.max() < 8.0
        assert 1.8 < np.median(levels) < 2.6


def test_river_levels_have_wet_winters_and_sharp_rises_that_decay():
    levels = river_levels(3650, seed=0)
    day_of_year = np.arange(3650) % 365
    january = levels[day_of_year < 31].mean()
    july = levels[(day_of_year >= 181) & (day_of_year < 212)].mean()
    assert january > july + 0.5
    rises = np.diff(levels)
    t = int(rises.argmax())
    assert rises[t] > 0.5                         # a rain event lifts the level sharply ...
    after = levels[t + 1:t + 5]
    assert np.all(np.diff(after) < 0)             # ... and it then falls day after day
    # Most days change by little more than the 2 cm noise and the slow seasonal drift.
    assert np.median(np.abs(rises)) < 0.1


def test_river_levels_bad_arguments():
    with pytest.raises(ValueError, match=r"n_days must be an integer >= 1, got 0"):
        river_levels(0)


@FAST
@given(N=st.integers(2, 60), T=st.integers(1, 12), stride=st.one_of(st.none(), st.integers(1, 9)))
def test_forecasting_windows_targets_are_the_next_day(N, T, stride):
    if N < T + 1:
        with pytest.raises(ValueError, match=rf"at least T \+ 1 = {T + 1} values.*got {N}"):
            forecasting_windows(np.arange(N, dtype=float), T, stride)
        return
    series = np.arange(N, dtype=float) * 1.5
    x, y = forecasting_windows(series, T, stride)
    step = T if stride is None else stride
    n_windows = (N - T - 1) // step + 1
    assert x.shape == y.shape == (T, n_windows, 1)
    assert x.dtype == y.dtype == np.float64
    for i in range(n_windows):
        start = i * step
        np.testing.assert_array_equal(x[:, i, 0], series[start:start + T])
        np.testing.assert_array_equal(y[:, i, 0], series[start + 1:start + T + 1])
    # the next window would need a value past the end
    assert n_windows * step + T >= N


def test_forecasting_windows_default_stride_is_T():
    series = river_levels(100, seed=0)
    x, y = forecasting_windows(series, 10)
    assert x.shape == (10, 9, 1)
    np.testing.assert_array_equal(x[:, 1, 0], series[10:20])
    np.testing.assert_array_equal(y[:-1], x[1:])


def test_forecasting_windows_bad_arguments():
    with pytest.raises(ValueError, match=r"T must be an integer >= 1, got 0"):
        forecasting_windows(np.ones(10), 0)
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1, got 0"):
        forecasting_windows(np.ones(10), 3, stride=0)
    with pytest.raises(ValueError, match=r"shape \(N,\), got shape \(2, 5\)"):
        forecasting_windows(np.ones((2, 5)), 3)
    with pytest.raises(ValueError, match=r"finite, got nan at index 4"):
        forecasting_windows(np.r_[np.ones(4), np.nan, np.ones(4)], 3)


# ---------------------------------------------------------------------------------------------
# Character corpus and vocabulary
# ---------------------------------------------------------------------------------------------

def test_shipped_corpus_is_exactly_what_the_generator_makes():
    assert char_corpus() == generate_corpus()
    assert make_corpus.main([]) == 0                       # the script's own check agrees


def test_make_corpus_writes_only_its_own_file(tmp_path):
    out = tmp_path / "corpus.txt"
    assert make_corpus.main(["--write", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == char_corpus()
    assert make_corpus.main(["--write", "--out", str(out)]) == 0     # its own output: replaced
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    assert make_corpus.main(["--write", "--out", str(notes)]) == 2   # someone else's: refused
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert make_corpus.main(["--out", str(notes)]) == 1              # check mode: differs


def test_the_old_name_rnnlib_data_generate_corpus_still_works():
    import rnnlib.data
    assert rnnlib.data.generate_corpus(seed=2, n_chars=300) == generate_corpus(seed=2, n_chars=300)
    with pytest.raises(AttributeError):
        rnnlib.data.no_such_name  # noqa: B018


def test_corpus_size_and_content():
    text = char_corpus()
    assert 30_000 <= len(text.encode("utf-8")) <= 60_000
    assert text.isascii() and text.endswith("\n")
    words = Counter(text.split())
    assert len(words) > 300                      # varied vocabulary
    assert words["the"] > 300                    # frequent words to learn
    assert {".", ",", "?", "!", ";", '"', "'"} <= set(text)
    paragraphs = text.split("\n\n")
    assert len(paragraphs) > 50
    assert all(p[0].isupper() or p[0] == '"' for p in paragraphs)


@pytest.mark.parametrize("n_chars", [1, 999, 5_000])
def test_generate_corpus_length(n_chars):
    text = generate_corpus(seed=1, n_chars=n_chars)
    assert n_chars <= len(text) < n_chars + 1_500
    assert text.endswith(".\n") or text.endswith("!\n") or text.endswith("?\n") \
        or text.endswith('"\n')


def test_generate_corpus_bad_arguments():
    with pytest.raises(ValueError, match=r"n_chars must be an integer >= 1, got 0"):
        generate_corpus(n_chars=0)


def test_char_vocab_is_sorted_unique_characters():
    vocab = CharVocab("banana!")
    assert vocab.chars == ("!", "a", "b", "n")
    assert vocab.size == len(vocab) == 4
    np.testing.assert_array_equal(vocab.encode("nab"), [3, 1, 2])
    assert vocab.encode("nab").dtype == np.int64


@FAST
@given(text=st.text(min_size=1, max_size=80))
def test_char_vocab_round_trip(text):
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    assert ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.decode(ids.tolist()) == text


def test_char_vocab_one_hot_shapes():
    vocab = CharVocab(char_corpus())
    ids = vocab.encode("The river rose.").reshape(3, 5)
    oh = vocab.one_hot(ids)
    assert oh.shape == (3, 5, vocab.size) and oh.dtype == np.float64
    np.testing.assert_array_equal(oh.argmax(axis=-1), ids)
    assert np.all(oh.sum(axis=-1) == 1)
    assert vocab.one_hot(0).shape == (vocab.size,)


def test_char_vocab_errors_name_the_problem():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"character 'z' is not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\), got the id 3"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\), got the id -1"):
        vocab.one_hot([-1])
    with pytest.raises(ValueError, match=r"integer ids, got dtype float64"):
        vocab.one_hot([0.0, 1.0])
    with pytest.raises(ValueError, match="non-empty str"):
        CharVocab("")


# ---------------------------------------------------------------------------------------------
# char_streams
# ---------------------------------------------------------------------------------------------

@FAST
@given(N=st.integers(2, 200), T=st.integers(1, 10), B=st.integers(1, 6))
def test_char_streams_alignment_and_contiguity(N, T, B):
    ids = np.arange(N) * 7 % 101   # distinct enough to catch any misalignment
    if N < B * (T + 1):
        with pytest.raises(ValueError, match=rf"at least B \* \(T \+ 1\) = {B * (T + 1)}"):
            char_streams(ids, T, B)
        return
    chunks = list(char_streams(ids, T, B))
    L = N // B
    assert len(chunks) == (L - 1) // T
    for inputs, targets in chunks:
        assert inputs.shape == targets.shape == (T, B)
        assert inputs.dtype == targets.dtype == np.int64
        np.testing.assert_array_equal(targets[:-1], inputs[1:])      # next character
    for (_, previous_targets), (next_inputs, _) in zip(chunks, chunks[1:]):
        np.testing.assert_array_equal(previous_targets[-1], next_inputs[0])
    # column b, read chunk after chunk, is the contiguous piece b of the text
    read = np.concatenate([inputs for inputs, _ in chunks], axis=0)
    for b in range(B):
        np.testing.assert_array_equal(read[:, b], ids[b * L:b * L + len(read)])


def test_char_streams_on_text_targets_are_next_characters():
    text = char_corpus()
    vocab = CharVocab(text)
    inputs, targets = next(char_streams(vocab.encode(text), T=20, B=4))
    column = vocab.decode(inputs[:, 0])
    assert text.startswith(column)
    assert vocab.decode(targets[:, 0]) == text[1:21]


def test_char_streams_bad_arguments_raise_at_the_call():
    with pytest.raises(ValueError, match=r"T must be an integer >= 1, got 0"):
        char_streams(np.arange(10), 0, 2)
    with pytest.raises(ValueError, match=r"B must be an integer >= 1, got -1"):
        char_streams(np.arange(10), 2, -1)
    with pytest.raises(ValueError, match=r"shape \(N,\), got shape \(2, 5\)"):
        char_streams(np.zeros((2, 5), dtype=int), 2, 1)
    with pytest.raises(ValueError, match=r"integer ids, got dtype float64"):
        char_streams(np.zeros(10), 2, 1)


# ---------------------------------------------------------------------------------------------
# Proverbs and the word-order task
# ---------------------------------------------------------------------------------------------

def test_proverbs_are_clean_and_no_two_share_a_bag_of_words():
    assert 25 <= len(PROVERBS) <= 40
    assert len(set(PROVERBS)) == len(PROVERBS)
    for p in PROVERBS:
        assert p == p.lower().strip() and "  " not in p
        assert len(set(p.split())) >= 2
    # so a jumbled proverb can never be another correct proverb
    bags = [tuple(sorted(p.split())) for p in PROVERBS]
    assert len(set(bags)) == len(bags)
    assert "honesty is the best policy" in PROVERBS


@FAST
@given(index=st.integers(0, len(PROVERBS) - 1), seed=st.integers(0, 10**6))
def test_jumble_always_differs_and_keeps_the_words(index, seed):
    words = PROVERBS[index].split()
    original = list(words)
    out = jumble(words, np.random.default_rng(seed))
    assert out != words
    assert sorted(out) == sorted(words)
    assert sum(a != b for a, b in zip(out, words)) == 2       # exactly one swap
    assert words == original                                   # input left alone


@FAST
@given(words=st.lists(st.sampled_from(["no", "pain", "gain"]), min_size=2, max_size=6)
       .filter(lambda w: len(set(w)) >= 2), seed=st.integers(0, 10**6))
def test_jumble_handles_repeated_words(words, seed):
    out = jumble(words, seed)
    assert out != words and sorted(out) == sorted(words)


def test_jumble_refuses_a_sentence_with_one_distinct_word():
    with pytest.raises(ValueError, match=r"at least two different words.*\['go', 'go'\]"):
        jumble(["go", "go"], 0)


def test_proverb_order_task_shapes_padding_and_labels():
    x_ids, lengths, y, vocab = proverb_order_task(40, seed=0)
    T_max = max(len(p.split()) for p in PROVERBS)
    assert x_ids.shape == (T_max, 40) and x_ids.dtype == np.int64
    assert lengths.shape == (40,) and lengths.dtype == np.int64
    assert y.shape == (40,) and y.dtype == np.int64
    assert vocab[0] == "<pad>" and len(set(vocab)) == len(vocab)
    assert np.sum(y == 1) == np.sum(y == 0) == 20
    assert 0 < np.mean(y[:20]) < 1                            # shuffled, not in blocks
    for i in range(40):
        assert np.all(x_ids[:lengths[i], i] != 0)
        assert np.all(x_ids[lengths[i]:, i] == 0)
        sentence = " ".join(vocab[k] for k in x_ids[:lengths[i], i])
        assert (sentence in PROVERBS) == bool(y[i])


def test_proverb_order_task_classes_have_identical_bags_of_words():
    x_ids, lengths, y, _ = proverb_order_task(200, seed=5)
    bags = [tuple(sorted(x_ids[:lengths[i], i])) for i in range(200)]
    correct = Counter(b for b, label in zip(bags, y) if label == 1)
    jumbled = Counter(b for b, label in zip(bags, y) if label == 0)
    assert correct == jumbled
    # so word counts alone cannot separate the classes; the order can
    assert any(x_ids[:, i].tolist() != x_ids[:, j].tolist()
               for i in range(200) for j in range(200) if bags[i] == bags[j] and y[i] != y[j])


def test_proverb_order_task_bad_arguments():
    with pytest.raises(ValueError, match=r"n_samples must be even.*got 7"):
        proverb_order_task(7)
    with pytest.raises(ValueError, match=r"n_samples must be an integer >= 2, got 0"):
        proverb_order_task(0)
