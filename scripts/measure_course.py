#!/usr/bin/env python3
"""Benchmark the course: each notebook top to bottom (time, kernel memory, CPU), widget callbacks.

    .venv/bin/python scripts/measure_course.py                 # everything, table on stdout
    .venv/bin/python scripts/measure_course.py --artifacts DIR # write the table into DIR
    .venv/bin/python scripts/measure_course.py --update-readme # also write the README's table
    python3 course.py measure                                  # the same, set-up first

Notebooks: each notebook of the course registry (rnnlib/syllabus.py), or each one given, is
executed top to bottom in a fresh python3 kernel (as scripts/execute_notebooks.py does, without
writing anything back). For each it records the wall time (kernel start included), the kernel
process's resident memory after start and at its peak (Linux: VmHWM), and the CPU seconds the
kernel used (start + Run All): what one student's kernel costs a shared server. Its time budget
is the registry's ``Notebook.budget_s``.

Widget callbacks: every module rnnlib.widgets.<topic> is imported, and every public function
of it whose name ends in ``_widget`` (or that is annotated to return a LiveFigure) is called with
no arguments. For each LiveFigure it returns, at its default settings, the script times
``compute`` alone, ``draw`` with the PNG encoding alone, and the whole callback
``live.update()`` (compute + draw + display), and reports the median of --repeat calls after one
warm-up call. The target: every callback's median under 50 ms. The widgets each notebook leaves
in its kernel are timed there as well.

This is a benchmark, not a test: timings depend on the machine and on whatever else runs on it,
so a row over its budget is marked in the table and nothing fails. The exit code is 0 whatever
the timings; it is 1 only when a notebook (or a widget callback) fails to run, and 2 when the
output folder cannot be written.

Writes budgets.md and budgets.json into --artifacts DIR, else $COURSE_ARTIFACTS, else artifacts/
in the repository; it replaces those two files only if it wrote them itself, and touches nothing
else there. Standard library + the course's own dependencies (nbformat, nbclient and psutil
come with JupyterLab).
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
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from _safe_output import OutputError, artifacts_dir, replace_file, writable_dir, write_owned  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
BEGIN, END = "<!-- BUDGETS:BEGIN -->", "<!-- BUDGETS:END -->"
WRITTEN_BY = "scripts/measure_course.py"
MD_SIGNATURE = f"<!-- written by {WRITTEN_BY} (python3 course.py measure) -->"
HOW_TO_CHOOSE = "--artifacts DIR (or COURSE_ARTIFACTS=DIR)"

CALLBACK_BUDGET_MS = 50
FAIL_FACTOR = (
    2.0  # verdict(): "FAIL" beyond this many budgets (a label in the table, not an exit code)
)
MIN_CELL_TIMEOUT_S = 600  # per cell: only a hung cell should ever hit it


def _syllabus():
    sys.path.insert(0, str(ROOT))
    from rnnlib import syllabus

    return syllabus


def registered_notebooks() -> list[pathlib.Path]:
    """The course's notebooks in reading order, from the registry."""
    return [NOTEBOOKS / nb.filename for nb in _syllabus().NOTEBOOKS]


def notebook_budget(stem: str) -> int | None:
    """The registry's time budget (s) of a notebook, or None for a notebook not in the registry."""
    try:
        return _syllabus().by_stem(stem).budget_s
    except KeyError:
        return None


def verdict(value, budget) -> str:
    """'ok' within budget, 'warn' over it, 'FAIL' beyond FAIL_FACTOR x budget or when not measured.

    A label for the table: no verdict changes the exit code."""
    if value is None:
        return "FAIL"
    if budget is None:
        return "ok"
    if value > FAIL_FACTOR * budget:
        return "FAIL"
    return "warn" if value > budget else "ok"


LABELS = {"ok": "within", "warn": "over", "FAIL": f"over {FAIL_FACTOR:g}x"}


def label(value, budget) -> str:
    """The table's words for a measured value against its budget."""
    if value is None:
        return "did not run"
    if budget is None:
        return "no budget"
    return LABELS[verdict(value, budget)]


# -- the kernel process: memory and CPU ------------------------------------------------------------


def kernel_usage(pid) -> dict:
    """Resident memory now and at its peak (MB) and CPU seconds (user + system) of process ``pid``.

    Peak memory is the kernel's high-water mark (/proc/PID/status VmHWM, Linux); elsewhere
    ``peak_mb`` is None. CPU time comes from psutil (a dependency of ipykernel), else /proc."""
    usage = {"rss_mb": None, "peak_mb": None, "cpu_s": None}
    if not pid:
        return usage
    status = pathlib.Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                usage["rss_mb" if key == "VmRSS" else "peak_mb"] = int(value.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        proc = psutil.Process(pid)
        t = proc.cpu_times()
        usage["cpu_s"] = t.user + t.system + t.children_user + t.children_system
        if usage["rss_mb"] is None:
            usage["rss_mb"] = proc.memory_info().rss / 2**20
    except Exception:  # no psutil, or the process has gone
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            usage["cpu_s"] = sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return usage


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
        rows.append({"name": name, "type": type(obj).__name__,
                     "update_ms": statistics.median(times)})
    print("COURSE-PROBE " + json.dumps(rows))
_course_probe(%d)
"""


def time_notebook(path, timeout=None, repeat=7) -> dict:
    """Execute one notebook top to bottom in a fresh kernel (nothing is written back), then time
    the callbacks of the widgets it built (``widgets``: name, type, median ms).

    Also records the kernel's resident memory after start (``rss_start_mb``), its peak
    (``peak_rss_mb``) and its CPU seconds (``cpu_s``), read just before the timing cell runs.
    ``timeout`` (per cell, s) is generous: it is there so that a hung cell cannot stall CI."""
    import nbformat
    from nbclient import NotebookClient

    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE % repeat))
    probe_index = len(nb.cells) - 1
    row = {
        "notebook": path.stem,
        "budget": notebook_budget(path.stem),
        "seconds": None,
        "error": None,
        "rss_start_mb": None,
        "peak_rss_mb": None,
        "cpu_s": None,
        "widgets": [],
    }
    timeout = timeout or max(MIN_CELL_TIMEOUT_S, 10 * (row["budget"] or 60))
    marks = {}

    def kernel_pid():
        try:
            return client.km.provisioner.pid
        except AttributeError:
            return None

    def on_cell_start(cell, cell_index, **_):
        if cell_index == 0:
            row["rss_start_mb"] = kernel_usage(kernel_pid())["rss_mb"]
        if cell_index == probe_index:
            marks["end"] = time.perf_counter()
            usage = kernel_usage(kernel_pid())
            row["peak_rss_mb"], row["cpu_s"] = usage["peak_mb"], usage["cpu_s"]

    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=on_cell_start,
    )
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
                row["widgets"] = json.loads(line[len("COURSE-PROBE ") :])
    return row


# -- widget callbacks ----------------------------------------------------------------------------


def widget_modules() -> list[str]:
    import rnnlib.widgets

    return [
        f"rnnlib.widgets.{m.name}"
        for m in pkgutil.iter_modules(rnnlib.widgets.__path__)
        if not m.name.startswith("_")
    ]


def _required(fn):
    return [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


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
    for mod_name in widget_modules() if modules is None else modules:
        try:
            module = importlib.import_module(mod_name)
        except Exception as err:
            rows.append(
                {"widget": mod_name, "error": f"import failed: {type(err).__name__}: {err}"}
            )
            continue
        short = mod_name.rsplit(".", 1)[-1]
        for name, factory, required in _factories(module):
            row = {
                "widget": f"{short}.{name}",
                "error": None,
                "compute_ms": None,
                "draw_ms": None,
                "update_ms": None,
                "note": None,
            }
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

                        def draw_only(live=live, result=result, values=values):
                            fig, _alt = live.draw(result, **values)
                            figure_png(fig)
                            plt.close(fig)

                        def compute_only(live=live, values=values):
                            live.compute(**values)

                        row["compute_ms"] = _median_ms(compute_only, repeat)
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


def _num(value, fmt, unit):
    return "" if value is None else f"{value:{fmt}} {unit}"


def markdown(nb_rows, widget_rows) -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = (
            f" (load average {os.getloadavg()[0]:.1f} at the end; above {os.cpu_count()}, "
            f"other work"
            f" competed for the cores)"
        )
    lines = [
        f"Measured by `python3 course.py measure` on {platform.machine()} with "
        f"{os.cpu_count()} cores{load}, Python {platform.python_version()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}. "
        f"A benchmark: rows over their budget are marked, nothing fails on time.",
        "",
    ]
    if nb_rows:
        lines += [
            "| notebook | top to bottom | budget | | kernel memory after start "
            "| peak kernel memory | kernel CPU time "
            "| its widgets' callbacks (median, in its kernel) |",
            "|---|---:|---:|---|---:|---:|---:|---|",
        ]
        for r in nb_rows:
            took = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "failed"
            budget = f"{r['budget']} s" if r.get("budget") is not None else "none"
            cbs = (
                ", ".join(f"`{w['name']}` {w['update_ms']:.0f} ms" for w in r.get("widgets", []))
                or "none"
            )
            mark = label(r["seconds"], r.get("budget"))
            start = _num(r.get("rss_start_mb"), ".0f", "MB")
            peak = _num(r.get("peak_rss_mb"), ".0f", "MB")
            cpu = _num(r.get("cpu_s"), ".1f", "s")
            lines.append(
                f"| `{r['notebook']}` | {took} | {budget} | {mark} | {start} | {peak} | {cpu} "
                f"| {cbs} |"
            )
        lines.append("")
    if widget_rows:
        lines += [
            "| widget callback (default settings) | compute | draw "
            "| whole callback (median) | budget | |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for r in widget_rows:
            ms = lambda v: "" if v is None else f"{v:.1f} ms"  # noqa: E731
            if r.get("error"):
                lines.append(
                    f"| `{r['widget']}` | | | failed: {r['error'][:60]} | {CALLBACK_BUDGET_MS} ms "
                    f"| did not run |"
                )
            elif r["update_ms"] is None:
                lines.append(f"| `{r['widget']}` | | | {r['note']} | {CALLBACK_BUDGET_MS} ms | |")
            else:
                note = f" ({r['note']})" if r.get("note") else ""
                lines.append(
                    f"| `{r['widget']}`{note} | {ms(r['compute_ms'])} | {ms(r['draw_ms'])} | "
                    f"{ms(r['update_ms'])} | {CALLBACK_BUDGET_MS} ms | "
                    f"{label(r['update_ms'], CALLBACK_BUDGET_MS)} |"
                )
    return "\n".join(lines).rstrip() + "\n"


def update_readme(table: str, readme=README) -> bool:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"README has no {BEGIN} ... {END} section: not updated", file=sys.stderr)
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    replace_file(readme, f"{head}{BEGIN}\n{table}{END}{tail}")
    return True


def write_report(folder, table: str, nb_rows, widget_rows) -> list[pathlib.Path]:
    """budgets.md and budgets.json in ``folder`` (replaced only if this script wrote them)."""
    folder = writable_dir(folder, "the benchmark table", HOW_TO_CHOOSE)
    md, js = folder / "budgets.md", folder / "budgets.json"
    # (the second signature of each: what versions before the "written by" line wrote)
    write_owned(
        md, f"{MD_SIGNATURE}\n{table}", (MD_SIGNATURE, "Measured by `python3 course.py measure`")
    )
    write_owned(
        js,
        json.dumps(
            {"written_by": WRITTEN_BY, "notebooks": nb_rows, "widgets": widget_rows}, indent=1
        )
        + "\n",
        (f'"written_by": "{WRITTEN_BY}"', '{\n "notebooks": [\n  {\n   "notebook": '),
    )
    return [md, js]


def failures(nb_rows, widget_rows) -> list[str]:
    """What failed to run (not what was slow): the only reasons for a non-zero exit code."""
    out = [f"{r['notebook']}: {r['error']}" for r in nb_rows if r.get("error")]
    out += [
        f"{r['notebook']}: timing its widgets failed: {r['probe_error']}"
        for r in nb_rows
        if r.get("probe_error")
    ]
    out += [f"{r['widget']}: {r['error']}" for r in widget_rows if r.get("error")]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: the course registry's)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="calls per widget timing (median)")
    parser.add_argument(
        "--no-notebooks", action="store_true", help="time the widget callbacks only"
    )
    parser.add_argument("--no-widgets", action="store_true", help="time the notebooks only")
    parser.add_argument(
        "--artifacts",
        metavar="DIR",
        default=None,
        help="where budgets.md and budgets.json go (default: $COURSE_ARTIFACTS, else artifacts/)",
    )
    parser.add_argument(
        "--update-readme", action="store_true", help=f"write the table between {BEGIN} and {END}"
    )
    args = parser.parse_args(argv)
    os.environ.pop("MPLBACKEND", None)  # kernels draw inline only when it is unset
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:  # fail early, before minutes of measuring, if the table cannot be written
        folder = writable_dir(artifacts_dir(args.artifacts), "the benchmark table", HOW_TO_CHOOSE)
    except OutputError as err:
        print(f"measure: {err}", file=sys.stderr)
        return 2

    nb_rows, widget_rows = [], []
    if not args.no_notebooks:
        paths = [pathlib.Path(p) for p in args.notebooks] or registered_notebooks()
        for path in paths:
            print(f"executing {path.name} ...", end=" ", flush=True)
            row = time_notebook(path, repeat=args.repeat)
            nb_rows.append(row)
            if row["error"] is None:
                peak = (
                    f", peak kernel memory {row['peak_rss_mb']:.0f} MB"
                    if row["peak_rss_mb"]
                    else ""
                )
                cpu = f", kernel CPU {row['cpu_s']:.1f} s" if row["cpu_s"] is not None else ""
                print(f"{row['seconds']:.1f} s{peak}{cpu}", flush=True)
            else:
                print(f"FAILED: {row['error']}", flush=True)
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
    try:
        written = write_report(folder, table, nb_rows, widget_rows)
        print("table written to " + " and ".join(str(p) for p in written))
        if args.update_readme and update_readme(table):
            print("README.md budget table updated")
    except OutputError as err:
        print(f"measure: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(
            f"measure: cannot write the table: {err}.\n"
            f"  Choose another folder with {HOW_TO_CHOOSE}.",
            file=sys.stderr,
        )
        return 2

    over = [
        r["notebook"]
        for r in nb_rows
        if verdict(r["seconds"], r.get("budget")) != "ok" and r["seconds"]
    ]
    over += [
        r["widget"]
        for r in widget_rows
        if r.get("update_ms") and r["update_ms"] > CALLBACK_BUDGET_MS
    ]
    if over:
        print("over budget on this machine (a note, not a failure): " + ", ".join(over))
    failed = failures(nb_rows, widget_rows)
    for line in failed:
        print(f"FAILED TO RUN: {line}")
    print("benchmark: " + (f"{len(failed)} failed to run" if failed else "everything ran"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
