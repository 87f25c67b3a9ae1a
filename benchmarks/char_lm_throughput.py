#!/usr/bin/env python3
"""Training throughput of the character language model of notebook 08, in characters per second.

    .venv/bin/python benchmarks/char_lm_throughput.py [--hidden 64 128 256] [--threads N]

Three ways to train the same vanilla RNN language model (one-hot inputs, softmax cross-entropy,
truncated BPTT) on rnnlib's corpus:

* ``per-char loop``: min-char-rnn's way, one sequence, a Python loop over every character in both
  passes (``rnnlib.demos.language_model.minchar_train``);
* ``rnnlib B=1``: rnnlib's vectorised layer, one stream, 25 characters per update;
* ``rnnlib B=32`` (and the LSTM): 32 streams of 32 characters per update, as in the notebook.

Timings depend on the machine and its load; run it twice and compare ratios, not absolute numbers.
The BLAS thread count must be set before numpy is imported, hence ``--threads`` (default 1:
for these small matrices one thread is fastest, and several fight on a busy machine).
"""
import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

    from rnnlib.demos import language_model as lm  # imports numpy: after the thread setting

    corpus = lm.load_corpus()
    ids, V = corpus.train_ids, corpus.vocab.size
    print(f"V = {V}, {len(ids):,} training characters, {args.threads} BLAS thread(s)")
    print(f"{'H':>5} {'per-char loop':>14} {'rnnlib B=1':>12} {'rnnlib B=32':>12} "
          f"{'LSTM B=32':>11} {'B=32 / loop':>12}")
    for H in args.hidden:
        per_char, _ = lm.minchar_train(ids, V, H, n_chars=5000)
        one = lm.batched_throughput(ids, V, H, n_updates=100, T=25, B=1)
        batched = lm.batched_throughput(ids, V, H, n_updates=30, T=32, B=32)
        lstm = lm.batched_throughput(ids, V, H, n_updates=10, T=32, B=32, cell="lstm")
        print(f"{H:>5} {per_char:>14,.0f} {one:>12,.0f} {batched:>12,.0f} {lstm:>11,.0f} "
              f"{batched / per_char:>11.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
