#!/usr/bin/env python3
"""Make notebook 08's pretrained Shakespeare model: rnnlib/data_files/shakespeare_lstm.npz.

    .venv/bin/python scripts/train_shakespeare.py [--out PATH] [--force]

Trains the LSTM language model of ``rnnlib.demos.language_model.SHAKESPEARE`` (cell, size,
updates, chunk length, batch, learning rate, clipping, seed) on the training part of
``rnnlib/data_files/tinyshakespeare_part.txt`` from its seed, prints the training and held-out
loss (bits per character, measured by ``evaluate``) and the time it took, and writes the weights
in float32 with the vocabulary and the training time. The same seed and settings give the same
weights on the same machine (other BLAS kernels may differ in the last bits).

It refuses to overwrite an existing file unless ``--force`` is given, and never touches any
other file. One BLAS thread (set before numpy is imported).
"""
import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "rnnlib" / "data_files" / "shakespeare_lstm.npz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.force:
        print(f"{args.out} exists; pass --force to make it again", file=sys.stderr)
        return 1

    sys.path.insert(0, str(ROOT))
    from rnnlib.demos import language_model as lm

    corpus = lm.load_shakespeare()
    print(f"training {lm.SHAKESPEARE} on {len(corpus.train_ids):,} characters")
    start = time.perf_counter()
    model, log = lm.train_shakespeare(corpus, printer=print)
    seconds = time.perf_counter() - start
    for name, ids in (("training", corpus.train_ids), ("held-out", corpus.val_ids)):
        nats = lm.evaluate(model, ids, corpus.vocab, stream_length=500)
        print(f"{name} text: {lm.bits(nats):.3f} bits per character")
    print(f"trained in {seconds:.0f} s ({log.chars_per_second:,.0f} characters per second)")
    lm.save_shakespeare_weights(model, corpus, seconds, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
