#!/usr/bin/env python3
"""Grade students' copies of the course's notebooks: run each one, collect every exercise check.

    .venv/bin/python scripts/grade.py SUBMISSIONS [--out DIR] [--timeout 600] [--cell-timeout 180]
    .venv/bin/python scripts/grade.py --student-package DEST
    python3 course.py grade SUBMISSIONS [options]     (the same, set-up included)

SUBMISSIONS holds one folder per student with their notebooks (``alice/02_bptt.ipynb``), or
loose notebooks whose names contain the student and the notebook (``alice_02_bptt.ipynb``); a
notebook renamed beyond recognition is found by its first heading ("# 02 · ...").

Each notebook runs top to bottom in a fresh kernel of this environment, in an empty temporary
folder, with at most ``--timeout`` seconds for the whole notebook (the kernel is killed after
that), ``--cell-timeout`` seconds per cell (the cell is interrupted and the run goes on) and the
exercise checks' own time budget (``--check-time-limit``). Cells that raise do not stop the run.
Every check reports its verdict to a log while the kernel runs, so the verdicts reached before a
timeout or a crash still count. A submitted file is only read, never changed.

Written to DIR (default: SUBMISSIONS-grades, next to SUBMISSIONS):
  grades.csv   one row per student: every exercise's status ("passed", "wrong", "error",
               "not attempted", "missing", ...), the number passed, and each notebook's run
  grades.md    the same as a Markdown table (✅ passed, ❌ failed, ⏳ not attempted, — missing)
  executed/    each executed copy, to look at a student's outputs
DIR is created by this script and marked as its own; an existing folder without that mark is
refused, and only the files above are ever replaced.

The exercises a notebook should contain are read from the course's own copy in notebooks/ (its
saved outputs list every check as "⏳ ... not attempted yet"). Predictions ("predict, then run")
get columns too; they do not count towards the number passed.

Hidden solutions. The checks compare with rnnlib and with private ``_reference_*`` functions
written another way; the ``solution_*`` functions only serve students who ask for them
(``hint(check, 4)``, ``solution(...)``). ``--student-package DEST`` copies the course (without
.git, virtual environments and outputs of this script) into the new folder DEST and replaces the
body of every ``solution_*`` function in ``rnnlib/exercises/`` with a line that says the
solutions are not part of this copy, keeping its signature and docstring. Every check works in
that copy as in the course (a solution that a check used as its reference would be kept and
named, and tests/test_grade.py fails then). Give students DEST (e.g. as a repository of its own);
grade with the full course. This hides the answers from a casual look, not from a determined
student: the references the checks run are in DEST's rnnlib, and verdicts can be faked by
printing "✅ ..." lines or writing to the log. A tool for feedback and bookkeeping, not for exams.

Standard library plus nbformat/nbclient (installed with the course).
"""
from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _safe_output import OutputError, protected_reason, replace_file  # noqa: E402

MARK = ".rnnlib-grades"                       # the file that says a folder is this script's
VERDICT = re.compile(r"^(✅|❌|⏳) (.+?): ", re.M)
HEADING = re.compile(r"^#\s*(\d\d)\s*·", re.M)
SYMBOL = {"passed": "✅", "not attempted": "⏳", "missing": "—"}


# =============================================================================================
# Which notebook is which


def course_stems():
    sys.path.insert(0, str(ROOT))
    from rnnlib.syllabus import stems  # standard library only
    return stems()


def expected_exercises(stem, course=ROOT / "notebooks"):
    """The checks and predictions of the course's own copy, in order (from its saved outputs)."""
    nb = json.loads((course / f"{stem}.ipynb").read_text(encoding="utf-8"))
    names = []
    for _, name in _verdicts(nb):
        if name not in names:
            names.append(name)
    return names


def identify(path, stems):
    """The course notebook a submitted file is a copy of, or None."""
    for stem in stems:
        if stem in path.stem:
            return stem
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = next(("".join(c["source"]) for c in nb.get("cells", [])
                      if c.get("cell_type") == "markdown"), "")
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    match = HEADING.search(first)
    return next((s for s in stems if match and s.startswith(match.group(1) + "_")), None)


def submissions(folder, stems, skip=()):
    """[(student, stem or None, path)] found in ``folder`` (not in the folders ``skip``)."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")) or entry.resolve() in skip:
            continue
        if entry.is_dir():
            for path in sorted(entry.glob("*.ipynb")):
                found.append((entry.name, identify(path, stems), path))
        elif entry.suffix == ".ipynb":
            stem = identify(entry, stems)
            student = entry.stem.replace(stem, "") if stem and stem in entry.stem else entry.stem
            found.append((student.strip(" _-.") or entry.stem, stem, entry))
    return found


# =============================================================================================
# Running one notebook


def _verdicts(nb):
    """(mark, exercise) for every verdict line printed by the notebook's code cells."""
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            out += VERDICT.findall(text)
    return out


def run_one(source, executed, cell_timeout):
    """Execute the notebook ``source`` in a fresh kernel (in the current process, which the
    caller runs as a child with a time limit) and save the result to ``executed``."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="rnnlib-grade-") as work:
        client = NotebookClient(nb, kernel_name="python3", timeout=cell_timeout,
                                allow_errors=True, interrupt_on_timeout=True,
                                record_timing=False, resources={"metadata": {"path": work}})
        try:
            client.execute()
        finally:
            nbformat.write(nb, executed)


def run_submission(path, executed, log, timeout, cell_timeout, check_time_limit):
    """Run one submitted notebook in a child process; returns (run status, seconds)."""
    env = dict(os.environ, RNNLIB_GRADE_LOG=str(log), OMP_NUM_THREADS="1",
               RNNLIB_CHECK_TIME_LIMIT=str(check_time_limit),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("MPLBACKEND", None)
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--run-one", str(path),
           str(executed), "--cell-timeout", str(cell_timeout)]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, text=True)
    try:
        output, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        return f"stopped after {timeout:g} s", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        last = (output or "").strip().splitlines()[-1:] or ["no output"]
        return f"failed: {last[0][:120]}", seconds
    errors = _error_cells(executed)
    return ("ran" if not errors else f"ran, {errors} cell(s) raised"), seconds


def _kill_group(child):
    """Stop the child and everything it started (its kernel) - only that process group."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        child.kill()
    child.wait()


def _error_cells(executed):
    try:
        nb = json.loads(pathlib.Path(executed).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(any(o.get("output_type") == "error" for o in c.get("outputs", []))
               for c in nb.get("cells", []) if c.get("cell_type") == "code")


def statuses(executed, log):
    """exercise -> status, the last verdict of each: from the log (exact statuses), completed by
    the printed verdict lines of the executed notebook (checks that print their own)."""
    found = {}
    if pathlib.Path(log).exists():
        for line in pathlib.Path(log).read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                found[str(entry["exercise"])] = str(entry["status"])
            except (ValueError, KeyError, TypeError):
                continue
    try:
        nb = json.loads(pathlib.Path(executed).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return found
    for mark, name in _verdicts(nb):
        logged = found.get(name)
        agrees = logged is not None and (logged == "passed") == (mark == "✅") and (
            logged == "not attempted") == (mark == "⏳")
        if not agrees:
            found[name] = {"✅": "passed", "⏳": "not attempted"}.get(mark, "failed")
    return found


# =============================================================================================
# The tables


def _own_folder(out):
    """Create ``out`` (marked as this script's) or accept it if it carries the mark."""
    if out.exists():
        if not (out / MARK).is_file():
            raise OutputError(f"{out} exists and was not made by grade.py: choose another --out "
                              "(this script never writes into a folder it did not create).")
    else:
        why = protected_reason(out)
        if why:
            raise OutputError(f"refusing to write grades into {out}: {why}.")
        out.mkdir(parents=True)
        (out / MARK).write_text("made by scripts/grade.py\n", encoding="utf-8")
    (out / "executed").mkdir(exist_ok=True)


def grade(folder, out, timeout=600.0, cell_timeout=180.0, check_time_limit=10.0,
          course=ROOT / "notebooks", say=print):
    """Grade every submission in ``folder``; write grades.csv and grades.md to ``out``.
    Returns the rows (one dict per student)."""
    folder, out = pathlib.Path(folder).resolve(), pathlib.Path(out).resolve()
    _own_folder(out)
    stems = course_stems()
    rows, columns = {}, []
    for student, stem, path in submissions(folder, stems, skip=(out,)):
        row = rows.setdefault(student, {"student": student})
        if stem is None:
            say(f"{student}: {path.name} is not a notebook of the course; skipped")
            row.setdefault("notes", []).append(f"{path.name}: not a course notebook")
            continue
        number = stem[:2]
        expected = expected_exercises(stem, course)
        for name in expected:
            if f"{number} {name}" not in columns:
                columns.append(f"{number} {name}")
        safe = re.sub(r"[^\w.-]", "_", student)
        executed = out / "executed" / f"{safe}__{stem}.ipynb"
        with tempfile.TemporaryDirectory(prefix="rnnlib-grade-log-") as tmp:
            log = pathlib.Path(tmp) / "verdicts.jsonl"
            say(f"{student}: running {path.name} ...")
            run, seconds = run_submission(path, executed, log, timeout, cell_timeout,
                                          check_time_limit)
            found = statuses(executed, log)
        row[f"{number} run"] = run
        for name in expected:
            row[f"{number} {name}"] = found.get(name, "missing")
        for name in found:                      # checks the course copy does not know
            if name not in expected:
                key = f"{number} {name}"
                row[key] = found[name]
                if key not in columns:
                    columns.append(key)
        say(f"{student}: {stem} {run} in {seconds:.0f} s")
    runs = sorted({k for r in rows.values() for k in r if k.endswith(" run")})
    header = ["student", "passed", "exercises"] + runs + columns
    table = []
    for student in sorted(rows):
        row = rows[student]
        graded = [c for c in columns if "prediction ·" not in c]
        row["passed"] = sum(row.get(c) == "passed" for c in graded)
        row["exercises"] = len(graded)
        table.append({h: row.get(h, "missing" if h in columns else "") for h in header})
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    replace_file(out / "grades.csv", text.getvalue())
    replace_file(out / "grades.md", _markdown(header, table))
    say(f"wrote {out / 'grades.csv'} and {out / 'grades.md'}")
    return table


def _markdown(header, table):
    def cell(key, value):
        value = str(value)
        if key in ("student", "passed", "exercises") or key.endswith(" run"):
            return value.replace("|", "/")
        symbol = SYMBOL.get(value, "❌")
        return symbol if value in ("passed", "not attempted") else f"{symbol} {value}"
    lines = ["| " + " | ".join(h.replace("|", "/") for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(h, r[h]) for h in header) + " |" for r in table]
    return "\n".join(lines) + "\n"


# =============================================================================================
# A copy of the course without the reference solutions


HIDDEN = "The reference solutions are not part of this copy of the course."
SKIP = {".git", ".venv", "venv", "site", "artifacts", "__pycache__", ".pytest_cache",
        ".ipynb_checkpoints"}


def make_student_package(dest, source=ROOT, say=print):
    """Copy the course to the new folder ``dest`` with every ``solution_*`` body in
    rnnlib/exercises replaced by a stub. Returns {module: [solutions kept, used by a check]}
    (empty for the course as it is)."""
    dest = pathlib.Path(dest).resolve()
    if dest.exists():
        raise OutputError(f"{dest} exists: give a new folder (nothing is ever overwritten).")
    if source.resolve() in dest.parents:
        raise OutputError("the student package must go outside the course folder")
    shutil.copytree(source, dest, ignore=lambda d, names: [
        n for n in names if n in SKIP or n.endswith("-grades") or n.endswith(".egg-info")])
    kept = {}
    for module in sorted((dest / "rnnlib" / "exercises").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        new, keep = _hide_solutions(text)
        if new != text:
            module.write_text(new, encoding="utf-8")
        if keep:
            kept[module.name] = keep
            say(f"{module.name}: kept {', '.join(keep)}: a check uses it as its reference "
                "(give that check a _reference_* of its own)")
    (dest / MARK).write_text("student package made by scripts/grade.py\n", encoding="utf-8")
    return kept


def _hide_solutions(text):
    """Replace the body of each top-level ``solution_*`` function that nothing else in the
    module uses (a use inside another solution does not count: that one is hidden too); return
    (new text, names kept). The course keeps none: a solution that a check used as its
    reference would be kept, and tests/test_grade.py fails on it."""
    tree = ast.parse(text)
    solutions = [node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("solution_")]
    inside = {id(n) for node in solutions for n in ast.walk(node)}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in inside}
    lines = text.splitlines(keepends=True)
    kept, edits = [], []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("solution_")):
            continue
        if node.name in used:
            kept.append(node.name)
            continue
        body = node.body
        first = 1 if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                      and isinstance(body[0].value.value, str)) else 0
        if first >= len(body):
            continue
        indent = " " * body[first].col_offset
        edits.append((body[first].lineno - 1, body[-1].end_lineno,
                      f"{indent}raise NotImplementedError({HIDDEN!r})\n"))
    for start, end, stub in sorted(edits, reverse=True):
        lines[start:end] = [stub]
    return "".join(lines), kept


# =============================================================================================


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions", nargs="?", help="folder of submitted notebooks")
    parser.add_argument("--out", help="folder for the tables (default: SUBMISSIONS-grades)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per notebook (default 600)")
    parser.add_argument("--cell-timeout", type=float, default=180.0,
                        help="seconds per cell before it is interrupted (default 180: the "
                        "capstone's experiment trains twelve models, 30 s with the reference "
                        "code)")
    parser.add_argument("--check-time-limit", type=float, default=10.0,
                        help="seconds each exercise check allows the student's code (default 10)")
    parser.add_argument("--student-package", metavar="DEST",
                        help="copy the course to DEST without the reference solutions")
    parser.add_argument("--run-one", nargs=2, metavar=("NOTEBOOK", "EXECUTED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        run_one(args.run_one[0], args.run_one[1], args.cell_timeout)
        return 0
    try:
        return _main(parser, args)
    except OutputError as err:
        print(f"grade.py: {err}", file=sys.stderr)
        return 2


def _main(parser, args):
    if args.student_package:
        make_student_package(args.student_package)
        print(f"student package written to {args.student_package}")
        return 0
    if not args.submissions:
        parser.error("give the folder of submissions (or --student-package DEST)")
    folder = pathlib.Path(args.submissions)
    if not folder.is_dir():
        parser.error(f"{folder} is not a folder")
    out = pathlib.Path(args.out) if args.out else folder.resolve().parent / (
        folder.resolve().name + "-grades")
    grade(folder, out, args.timeout, args.cell_timeout, args.check_time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
