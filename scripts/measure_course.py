#!/usr/bin/env python3
"""Measure the course against its time budgets: notebooks top to bottom, widget callbacks.

    .venv/bin/python scripts/measure_course.py                 # everything, table on stdout
    .venv/bin/python scripts/measure_course.py --update-readme # also write the README's table
    python3 course.py measure                                  # the same, set-up first

Notebooks: each notebooks/NN_*.ipynb is executed top to bottom in a fresh python3 kernel (as
scripts/execute_notebooks.py does, without writing anything back); the wall time includes the
kernel's start. Budgets: 00-04 under 30 s, 05 and later under 60 s (on 2 cores).

Widget callbacks: every module rnnlib.widgets.<topic> is imported, and every public function
of it whose name ends in ``_widget`` (or that is annotated to return a LiveFigure) is called with
no arguments. For each LiveFigure it returns, at its default settings, the script times
``compute`` alone, ``draw`` with the PNG encoding alone, and the whole callback
``live.update()`` (compute + draw + display), and reports the median of --repeat calls after one
warm-up call. Budget: every callback's median under 50 ms.

Margins: timings are noisy (2 shared cores), and the point is to catch a tenfold regression,
not to race. Over a budget is a WARNING; only more than twice the budget (or a notebook or
widget that fails) is a FAILURE, and then the exit code is 1.

Writes artifacts/budgets.md and artifacts/budgets.json. Standard library + the course's own
dependencies (nbformat, nbclient come with JupyterLab).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import io
import json
import os
import pathlib
import pkgutil
import platform
import re
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "artifacts"
README = ROOT / "README.md"
BEGIN, END = "<!-- BUDGETS:BEGIN -->", "<!-- BUDGETS:END -->"

SHORT_BUDGET_S, LONG_BUDGET_S = 30, 60   # notebooks 00-04, notebooks 05 and later
CALLBACK_BUDGET_MS = 50
FAIL_FACTOR = 2.0                         # fail only beyond FAIL_FACTOR x the budget


def notebook_budget(stem: str) -> int:
    m = re.match(r"(\d+)_", stem)
    return SHORT_BUDGET_S if m and int(m.group(1)) <= 4 else LONG_BUDGET_S


def verdict(value, budget) -> str:
    """'ok' within budget, 'warn' over it, 'FAIL' beyond FAIL_FACTOR x budget or when not measured."""
    if value is None:
        return "FAIL"
    if value > FAIL_FACTOR * budget:
        return "FAIL"
    return "warn" if value > budget else "ok"


# -- notebooks -----------------------------------------------------------------------------------

# Run after a notebook's last cell, in its kernel: time the callback of every widget the
# notebook left in its namespace, as the notebook built it (trained models and all).
PROBE = """
def _course_probe(repeat):
    import json, statistics, time
    from rnnlib.widgets import LiveFigure
    rows, seen = [], set()
    for name, obj in list(globals().items()):
        if name.startswith("_") or id(obj) in seen:
            continue
        cls = type(obj)  # look at classes only: getattr on modules (torch) can import or hang
        if isinstance(obj, LiveFigure):
            fn = obj.update
        elif cls.__module__.startswith("rnnlib.widgets") and callable(getattr(cls, "redraw", None)):
            fn = obj.redraw
        else:
            continue
        seen.add(id(obj))
        fn()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        rows.append({"name": name, "type": type(obj).__name__, "update_ms": statistics.median(times)})
    print("COURSE-PROBE " + json.dumps(rows))
_course_probe(%d)
"""


def time_notebook(path, timeout=None, repeat=7) -> dict:
    """Execute one notebook top to bottom in a fresh kernel (nothing is written back), then time
    the callbacks of the widgets it built (``widgets``: name, type, median ms).

    ``timeout`` (per cell) defaults to FAIL_FACTOR x the notebook's budget: a cell that takes
    longer fails the budget anyway, and a hung cell cannot stall CI."""
    import nbformat
    from nbclient import NotebookClient
    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE % repeat))
    probe_index = len(nb.cells) - 1
    row = {"notebook": path.stem, "budget": notebook_budget(path.stem), "seconds": None, "error": None,
           "widgets": []}
    timeout = timeout or int(FAIL_FACTOR * row["budget"])
    marks = {}

    def on_cell_start(cell, cell_index, **_):
        if cell_index == probe_index:
            marks["end"] = time.perf_counter()

    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=on_cell_start)
    # The kernel's own stderr (ipykernel's "running over TCP" notice, shutdown chatter) goes to
    # a file, shown only when the notebook fails.
    with tempfile.TemporaryFile(mode="w+") as kernel_log:
        t0 = time.perf_counter()
        try:
            client.execute(stderr=kernel_log)
        except Exception as err:  # a cell's error, a timeout or a dead kernel
            kernel_log.seek(0)
            row["kernel_stderr"] = kernel_log.read()[-2000:]
            if "end" not in marks:  # the notebook itself failed (not the probe)
                if getattr(err, "ename", None):  # CellExecutionError: the cell's own exception
                    row["error"] = f"{err.ename}: {err.evalue}"
                else:
                    lines = [ln for ln in str(err).splitlines() if ln.strip()]
                    row["error"] = f"{type(err).__name__}: " + (lines[-1] if lines else "")
                return row
            row["probe_error"] = f"{type(err).__name__}: {getattr(err, 'evalue', err)}"
    row["seconds"] = marks["end"] - t0
    for out in nb.cells[probe_index].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith("COURSE-PROBE "):
                row["widgets"] = json.loads(line[len("COURSE-PROBE "):])
    return row


# -- widget callbacks ----------------------------------------------------------------------------

def widget_modules() -> list[str]:
    import rnnlib.widgets
    return [f"rnnlib.widgets.{m.name}" for m in pkgutil.iter_modules(rnnlib.widgets.__path__)
            if not m.name.startswith("_")]


def _required(fn):
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _factories(module):
    """(name, function, required args) for the public functions defined in ``module``: those
    with no required argument are called; the others are listed only if named ``*_widget``."""
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != module.__name__:
            continue
        required = _required(fn)
        if required and not name.endswith("_widget"):
            continue
        yield name, fn, required


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def time_widgets(modules=None, repeat=7) -> list[dict]:
    """One row per LiveFigure a factory returns: median compute, draw and update times (ms)."""
    import matplotlib.pyplot as plt
    from rnnlib.plots import use_course_style
    from rnnlib.plots.style import figure_png
    from rnnlib.widgets import LiveFigure
    use_course_style()
    rows = []
    for mod_name in (widget_modules() if modules is None else modules):
        try:
            module = importlib.import_module(mod_name)
        except Exception as err:
            rows.append({"widget": mod_name, "error": f"import failed: {type(err).__name__}: {err}"})
            continue
        short = mod_name.rsplit(".", 1)[-1]
        for name, factory, required in _factories(module):
            row = {"widget": f"{short}.{name}", "error": None, "compute_ms": None, "draw_ms": None,
                   "update_ms": None, "note": None}
            if required:
                row["note"] = "needs " + ", ".join(required) + ": timed in its notebook only"
                rows.append(row)
                continue
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # display() prints without a kernel
                    live = factory()
                    if isinstance(live, LiveFigure):
                        values = live.current_values()
                        row["controls"] = ", ".join(f"{k}={v!r}" for k, v in values.items())
                        live.update()  # warm-up: imports, caches, fonts
                        result = live.compute(**values)

                        def draw_only():
                            fig, _alt = live.draw(result, **values)
                            figure_png(fig)
                            plt.close(fig)

                        row["compute_ms"] = _median_ms(lambda: live.compute(**values), repeat)
                        row["draw_ms"] = _median_ms(draw_only, repeat)
                        row["update_ms"] = _median_ms(live.update, repeat)
                    elif callable(getattr(live, "redraw", None)):  # e.g. a training widget
                        live.redraw()
                        row["update_ms"] = _median_ms(live.redraw, repeat)
                        row["note"] = f"{type(live).__name__}.redraw()"
                    else:
                        continue  # not a widget factory
            except Exception as err:
                row["error"] = f"{type(err).__name__}: {err}"
            rows.append(row)
    return rows


# -- report ----------------------------------------------------------------------------------------

def markdown(nb_rows, widget_rows) -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = (f" (load average {os.getloadavg()[0]:.1f} at the end; above {os.cpu_count()}, other work"
                f" competed for the cores)")
    lines = [f"Measured by `python3 course.py measure` on {platform.machine()} with "
             f"{os.cpu_count()} cores{load}, Python {platform.python_version()}. "
             f"Over budget: warning; over {FAIL_FACTOR:g}x budget: failure.", ""]
    if nb_rows:
        lines += ["| notebook | top to bottom | budget | | its widgets' callbacks (median, in its kernel) |",
                  "|---|---:|---:|---|---|"]
        for r in nb_rows:
            took = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "failed"
            cbs = ", ".join(f"`{w['name']}` {w['update_ms']:.0f} ms" for w in r.get("widgets", [])) or "none"
            lines.append(f"| `{r['notebook']}` | {took} | {r['budget']} s | "
                         f"{verdict(r['seconds'], r['budget'])} | {cbs} |")
        lines.append("")
    if widget_rows:
        lines += ["| widget callback (default settings) | compute | draw | whole callback (median) | budget | |",
                  "|---|---:|---:|---:|---:|---|"]
        for r in widget_rows:
            ms = lambda v: "" if v is None else f"{v:.1f} ms"  # noqa: E731
            if r.get("error"):
                lines.append(f"| `{r['widget']}` | | | failed: {r['error'][:60]} | {CALLBACK_BUDGET_MS} ms | FAIL |")
            elif r["update_ms"] is None:
                lines.append(f"| `{r['widget']}` | | | {r['note']} | {CALLBACK_BUDGET_MS} ms | |")
            else:
                note = f" ({r['note']})" if r.get("note") else ""
                lines.append(f"| `{r['widget']}`{note} | {ms(r['compute_ms'])} | {ms(r['draw_ms'])} | "
                             f"{ms(r['update_ms'])} | {CALLBACK_BUDGET_MS} ms | "
                             f"{verdict(r['update_ms'], CALLBACK_BUDGET_MS)} |")
    return "\n".join(lines).rstrip() + "\n"


def update_readme(table: str, readme=README) -> bool:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"README has no {BEGIN} ... {END} section: not updated", file=sys.stderr)
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: notebooks/*.ipynb)")
    parser.add_argument("--repeat", type=int, default=7, help="calls per widget timing (median)")
    parser.add_argument("--no-notebooks", action="store_true", help="time the widget callbacks only")
    parser.add_argument("--no-widgets", action="store_true", help="time the notebooks only")
    parser.add_argument("--update-readme", action="store_true", help=f"write the table between {BEGIN} and {END}")
    args = parser.parse_args(argv)
    os.environ.pop("MPLBACKEND", None)  # kernels draw inline only when it is unset
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

    nb_rows, widget_rows = [], []
    if not args.no_notebooks:
        paths = [pathlib.Path(p) for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
        if not paths:
            print("no notebooks in notebooks/ yet")
        for path in paths:
            print(f"executing {path.name} ...", end=" ", flush=True)
            row = time_notebook(path, repeat=args.repeat)
            nb_rows.append(row)
            print(f"{row['seconds']:.1f} s" if row["error"] is None else f"FAILED: {row['error']}", flush=True)
            if row["error"] and row.get("kernel_stderr", "").strip():
                print("kernel stderr:\n" + row["kernel_stderr"], flush=True)
    if not args.no_widgets:
        print("timing the widget callbacks ...", flush=True)
        widget_rows = time_widgets(repeat=args.repeat)
        if not widget_rows:
            print("no widget factories in rnnlib/widgets/ yet")

    table = markdown(nb_rows, widget_rows)
    print()
    print(table)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "budgets.md").write_text(table, encoding="utf-8")
    (ARTIFACTS / "budgets.json").write_text(json.dumps({"notebooks": nb_rows, "widgets": widget_rows},
                                                      indent=1), encoding="utf-8")
    if args.update_readme and update_readme(table):
        print("README.md budget table updated")

    verdicts = [(r["notebook"], verdict(r["seconds"], r["budget"]), r.get("error")) for r in nb_rows]
    verdicts += [(f"{r['notebook']}: {w['name']}", verdict(w["update_ms"], CALLBACK_BUDGET_MS), None)
                 for r in nb_rows for w in r.get("widgets", [])]
    verdicts += [(f"{r['notebook']}: widget timing", "FAIL", r["probe_error"]) for r in nb_rows if r.get("probe_error")]
    verdicts += [(r["widget"], "FAIL" if r.get("error") else verdict(r["update_ms"], CALLBACK_BUDGET_MS),
                  r.get("error")) for r in widget_rows if r.get("error") or r["update_ms"] is not None]
    for name, v, err in verdicts:
        if v == "warn":
            print(f"WARNING: {name} is over its budget (fails only beyond {FAIL_FACTOR:g}x)")
        elif v == "FAIL":
            print(f"FAILURE: {name} " + (f"failed: {err}" if err else f"is over {FAIL_FACTOR:g}x its budget"))
    failed = any(v == "FAIL" for _, v, _ in verdicts)
    print("budgets: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
