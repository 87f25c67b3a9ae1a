#!/usr/bin/env python3
"""Time forward + backward (full BPTT) of rnnlib's RNN, LSTM and GRU against torch eager (CPU).

    .venv/bin/python benchmarks/bench_layers.py [--repeats 7] [--quick]
    .venv/bin/python benchmarks/bench_layers.py --against REV     # rnnlib before and after

``--against REV`` times the layers of git revision REV (its ``rnnlib/layers.py``) against the
working tree's, alternating the two several times and keeping each one's best: on a shared,
busy machine only such a side-by-side ratio means anything.

Each implementation is timed in its own block after a warm-up, never interleaved: numpy's and
torch's thread pools fight over 2 cores when they alternate, which distorts both. The loss is
L = sum(hs * dhs) for a fixed random dhs, so both sides do the same work: one forward pass and
one backward pass through every step. Prints a Markdown table of median times and the ratio
rnnlib / torch (below 1: rnnlib is faster).
"""

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import rnnlib

SIZES = [(100, 32, 32, 128), (200, 1, 8, 32), (50, 64, 64, 256)]  # (T, B, D, H)
# the course's own sizes (B <= 64, H <= 128): the memory trainer, the language model, one sequence
COURSE_SIZES = [(50, 32, 1, 16), (32, 32, 60, 64), (200, 1, 8, 32), (50, 64, 64, 128)]
CELLS = {"RNN": rnnlib.RNN, "LSTM": rnnlib.LSTM, "GRU": rnnlib.GRU}


def median_time(fn, repeats):
    fn()  # warm-up (allocations, caches, torch's first call)
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_rnnlib(cell, size, dtype, repeats, layers=None):
    T, B, D, H = size
    rng = np.random.default_rng(0)
    cls = CELLS[cell] if layers is None else getattr(layers, cell)
    layer = cls(D, H, seed=0, dtype=dtype)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    dhs = rng.standard_normal((T, B, H)).astype(dtype)

    def step():
        hs, _, cache = layer.forward(x)
        layer.backward(dhs, cache)

    return median_time(step, repeats)


def time_torch(torch, cell, size, dtype, repeats):
    T, B, D, H = size
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    module = getattr(torch.nn, cell)(D, H).to(tdtype)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((T, B, D)), dtype=tdtype, requires_grad=True)
    dhs = torch.tensor(rng.standard_normal((T, B, H)), dtype=tdtype)

    def step():
        module.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = module(x)
        out.backward(dhs)

    return median_time(step, repeats)


def threads_note(torch):
    env = {
        k: os.environ[k]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
        if k in os.environ
    }
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info()
        )
    except ImportError:
        blas = "threadpoolctl not installed (numpy's BLAS uses its default thread count)"
    torch_threads = (
        f"torch {torch.__version__}: {torch.get_num_threads()} threads"
        if torch
        else "torch not installed"
    )
    return (f"numpy {np.__version__} ({blas}); {torch_threads}; env {env or 'default'}; "
            f"{os.cpu_count()} cores")


def load_layers_at(rev):
    """rnnlib/layers.py as it was at git revision ``rev``, imported inside today's package."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{rev}:rnnlib/layers.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layers_ref.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("rnnlib._layers_ref", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def compare(rev, repeats, rounds=3):
    ref = load_layers_at(rev)
    print(f"| cell | (T, B, D, H) | {rev} ms | working tree ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for size in COURSE_SIZES + [s for s in SIZES if s not in COURSE_SIZES]:
        for cell in CELLS:
            before, after = [], []
            for _ in range(rounds):  # alternate, so both see the same load
                before.append(time_rnnlib(cell, size, np.float64, repeats, ref))
                after.append(time_rnnlib(cell, size, np.float64, repeats))
            before, after = min(before), min(after)
            print(
                f"| {cell} | {size} | {before * 1e3:.1f} | {after * 1e3:.1f} | "
                f"{after / before:.2f} |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="float64 only, 3 repeats")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="time rnnlib/layers.py of git revision REV against the working tree",
    )
    args = parser.parse_args()
    if args.against:
        return compare(args.against, 3 if args.quick else args.repeats)
    try:
        import torch
    except ImportError:
        torch = None
    dtypes = [np.float64] if args.quick else [np.float64, np.float32]
    repeats = 3 if args.quick else args.repeats
    print(f"machine: {platform.machine()}, {platform.processor() or platform.platform()}")
    print(threads_note(torch))
    print()
    print("| cell | dtype | (T, B, D, H) | rnnlib ms | torch ms | rnnlib / torch |")
    print("|---|---|---|---:|---:|---:|")
    for dtype in dtypes:
        for size in SIZES:
            for cell in CELLS:
                ours = time_rnnlib(cell, size, dtype, repeats)  # its own block
                theirs = time_torch(torch, cell, size, dtype, repeats) if torch else float("nan")
                print(
                    f"| {cell} | {np.dtype(dtype).name} | {size} | {ours * 1e3:.1f} | "
                    f"{theirs * 1e3:.1f} | {ours / theirs:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
