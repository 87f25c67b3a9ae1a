#!/usr/bin/env python3
"""Execute notebooks in place, top to bottom in a fresh python3 kernel, then strip them.

    .venv/bin/python scripts/execute_notebooks.py [NOTEBOOK ...]    (default: notebooks/*.ipynb)

This is how a notebook gets its committed outputs: strict nbval (python3 course.py test) later
re-runs every cell and compares with them. Each notebook runs with the notebooks/ folder as its
working directory and a 300 s timeout per cell; a cell may raise only if it is tagged
`raises-exception`. A notebook that fails is left untouched on disk; the exit code is 1 then.

It writes nothing but the notebooks it is given, and each only after it ran without error: the
executed and stripped notebook replaces the old file in one rename (an interrupted run leaves the
old file whole). A path that is not a notebook, or a notebook whose folder cannot be written (a
read-only checkout), is refused before its kernel starts (exit code 2).
"""

import argparse
import json
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import strip_notebook  # noqa: E402
from _safe_output import OutputError, replace_file  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def check_writable(path):
    """Refuse, before running anything, a path that is not a notebook or cannot be rewritten."""
    path = pathlib.Path(path)
    strip_notebook.read_notebook(path)  # OutputError if it is not a notebook
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise OutputError(
            f"cannot write {path}: executing stores the outputs in the notebook itself, "
            f"so the notebook and its folder must be writable. Copy the course to a "
            f"folder you can write to (or run the notebook in JupyterLab without saving)"
        )


def execute(path):
    check_writable(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        record_timing=False,  # no per-cell timestamps in the metadata
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )
    client.execute()
    # strip in memory (drops metadata.widgets: store_widget_state=False crashes nbclient 0.11),
    # then one atomic write
    clean = strip_notebook.strip(json.loads(nbformat.writes(nb)))
    try:
        replace_file(path, strip_notebook.dumps(clean))
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None


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
    failed, refused = [], []
    for path in paths:
        t0 = time.perf_counter()
        print(f"executing {path} ...", end=" ", flush=True)
        try:
            execute(path)
        except OutputError as err:
            print(f"REFUSED\n{err}", flush=True)
            refused.append(path)
            continue
        except Exception as err:  # a cell's error, a timeout or a dead kernel
            print(f"FAILED\n{type(err).__name__}: {err}", flush=True)
            failed.append(path)
            continue
        print(f"ok ({time.perf_counter() - t0:.1f} s)", flush=True)
    if failed:
        print("failed: " + ", ".join(failed))
    if refused:
        print("refused (nothing written): " + ", ".join(refused))
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
