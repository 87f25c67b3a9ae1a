#!/usr/bin/env python3
"""Execute notebooks in place, top to bottom in a fresh python3 kernel, then strip them.

    .venv/bin/python scripts/execute_notebooks.py [NOTEBOOK ...]    (default: notebooks/*.ipynb)

This is how a notebook gets its committed outputs: strict nbval (python3 course.py test) later
re-runs every cell and compares with them. Each notebook runs with the notebooks/ folder as its
working directory and a 300 s timeout per cell; a cell may raise only if it is tagged
`raises-exception`. A notebook that fails is left untouched on disk; the exit code is 1 then.
"""
import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import strip_notebook  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def execute(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        record_timing=False,  # no per-cell timestamps in the metadata
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )
    client.execute()
    nbformat.write(nb, path)
    strip_notebook.strip_file(path)  # drops metadata.widgets (store_widget_state=False crashes nbclient 0.11)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(str(p) for p in NOTEBOOKS.glob("*.ipynb"))
    # Kernels draw figures inline only when MPLBACKEND is unset (ipykernel sets its own then).
    os.environ.pop("MPLBACKEND", None)
    # One BLAS thread for the kernels, as course.py gives them: the course's matrices are small,
    # and OpenBLAS's spinning threads slow them down many times over when another process
    # (a browser, a second kernel) wants the CPU. Results are the same either way.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    failed = []
    for path in paths:
        t0 = time.perf_counter()
        print(f"executing {path} ...", end=" ", flush=True)
        try:
            execute(path)
        except Exception as err:  # a cell's error, a timeout or a dead kernel
            print(f"FAILED\n{type(err).__name__}: {err}", flush=True)
            failed.append(path)
            continue
        print(f"ok ({time.perf_counter() - t0:.1f} s)", flush=True)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
