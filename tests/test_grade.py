"""``python3 course.py grade`` (scripts/grade.py) on sample submissions made here: right, wrong,
runaway and crashing copies of notebook 02 and a student whose notebook is missing; plus the
student package without the reference solutions, in which every check must still work.

Each submission keeps 02's imports (without the figures'), its prediction and its exercise cells
(a student may delete the rest), so that a kernel run takes seconds."""
from __future__ import annotations

import csv
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import pathlib
import pkgutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import grade  # noqa: E402

import rnnlib.exercises  # noqa: E402
from rnnlib.exercises import bptt as ex_bptt  # noqa: E402

_spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)

NB02 = ROOT / "notebooks" / "02_bptt.ipynb"
EXERCISES = ["step_backward", "bptt", "truncated_reach"]


def _source(fn, name):
    """A solution's source as the learner's function ``name`` (docstring and all)."""
    text = textwrap.dedent(inspect.getsource(fn))
    return text.replace(f"def {fn.__name__}(", f"def {name}(", 1)


def _submission(answers, prediction="...", extra_cells=(), after="import numpy"):
    """02 cut down to its imports, the prediction and the exercises, with ``answers``
    (exercise -> function source, or None for the unsolved stub) and ``extra_cells`` inserted
    after the cell that starts with ``after``."""
    nb = nbformat.read(NB02, as_version=4)
    keep = []
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type != "code":
            continue
        if src.startswith("import numpy") or src.startswith("my_prediction") \
                or "demo.pulse_problem(T=12)" in src:
            keep.append(cell)
        elif any(f"ex.check_{name}(" in src for name in EXERCISES):
            name = next(n for n in EXERCISES if f"ex.check_{n}(" in src)
            if answers.get(name):
                cell.source = answers[name] + f"\n\nex.check_{name}({name})"
            keep.append(cell)
    keep[0].source = ("import numpy as np\n\nimport rnnlib\nfrom rnnlib.demos import bptt as demo\n"
                      "from rnnlib.exercises import bptt as ex\n"
                      "from rnnlib.exercises import hint, predict, solution")  # no figures: faster
    for cell in keep:
        cell.outputs, cell.execution_count = [], None
        if cell.source.startswith("my_prediction"):
            cell.source = f"my_prediction = {prediction}"
    at = next(k for k, c in enumerate(keep) if c.source.startswith(after)) + 1
    keep[at:at] = [nbformat.v4.new_code_cell(src) for src in extra_cells]
    nb.cells = keep
    return nb


RIGHT = {name: _source(getattr(ex_bptt, f"solution_{name}"), name) for name in EXERCISES}
WRONG = {
    "step_backward": RIGHT["step_backward"].replace("(1.0 - h * h)", "(1.0 - h)"),
    "bptt": RIGHT["bptt"].replace("dW_xh += ", "dW_xh = "),
    "truncated_reach": None,
}
RUNAWAY = dict(RIGHT, bptt="def bptt(dhs, x, h0, hs, W_xh, W_hh):\n    while True:\n        pass")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The samples graded through ``course.py grade`` (its set-up replaced by this environment's
    Python: scripts/grade.py runs for real, in a child process); the table read back from
    grades.csv."""
    folder = tmp_path_factory.mktemp("submissions")
    samples = {
        "ann": _submission(RIGHT, prediction='"zero"'),
        "ben": _submission(WRONG, prediction='"the same"'),
        "cat": _submission(RUNAWAY, extra_cells=["import time\nwhile True:\n    time.sleep(0.1)"]),
        "dan": _submission(RIGHT, extra_cells=["import os\nos._exit(1)"],
                           after="def step_backward"),
    }
    for student, nb in samples.items():
        (folder / student).mkdir()
        nbformat.write(nb, folder / student / "02_bptt.ipynb")
    (folder / "eve").mkdir()                 # handed in something else: 02 is missing
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# my notes")]),
                   folder / "eve" / "notes.ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.ipynb")}
    out = folder.parent / "grades"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(course, "setup", lambda venv: sys.executable)
        mp.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))  # restored after
        mp.delenv("MPLBACKEND", raising=False)
        mp.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        mp.chdir(folder.parent)              # relative paths mean the teacher's folder
        rc = course.main(["grade", folder.name, "--out", "grades", "--timeout", "120",
                          "--cell-timeout", "5", "--check-time-limit", "1"])
    assert rc == 0
    with open(out / "grades.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    return folder, out, table, before


def _row(table, student):
    return next(r for r in table if r["student"] == student)


def test_the_course_copy_lists_the_exercises_and_the_prediction():
    names = grade.expected_exercises("02_bptt")
    assert names[-3:] == EXERCISES
    assert any(n.startswith("prediction · ") for n in names)


def test_right_answers_pass_everything(graded):
    _, _, table, _ = graded
    for student in ("ann",):
        row = _row(table, student)
        assert row["02 run"] == "ran"
        assert [row[f"02 {n}"] for n in EXERCISES] == ["passed"] * 3
        assert row["passed"] == row["exercises"] == "3"
        prediction = next(k for k in row if "prediction ·" in k)
        assert row[prediction] == "passed"


def test_wrong_answers_get_their_status(graded):
    row = _row(graded[2], "ben")
    assert row["02 step_backward"] == "wrong" and row["02 bptt"] == "wrong"
    assert row["02 truncated_reach"] == "not attempted"
    assert row["passed"] == "0"
    assert row[next(k for k in row if "prediction ·" in k)] == "wrong"


def test_a_runaway_answer_and_a_runaway_cell_are_stopped(graded):
    row = _row(graded[2], "cat")
    assert row["02 bptt"] == "timeout"                       # the check's own budget
    assert row["02 step_backward"] == "passed" == row["02 truncated_reach"]
    assert "raised" in row["02 run"]                          # the endless cell, interrupted


def test_a_crashing_kernel_keeps_the_verdicts_reached_so_far(graded):
    row = _row(graded[2], "dan")
    assert row["02 run"].startswith("failed")
    assert [row[f"02 {n}"] for n in EXERCISES] == ["passed", "missing", "missing"]


def test_a_missing_notebook_is_marked_missing(graded):
    row = _row(graded[2], "eve")
    assert [row[f"02 {n}"] for n in EXERCISES] == ["missing"] * 3
    assert row["passed"] == "0" and row["02 run"] == ""


def test_tables_are_written_and_submissions_untouched(graded):
    folder, out, rows, before = graded
    assert [r["student"] for r in rows] == ["ann", "ben", "cat", "dan", "eve"]
    assert rows[1]["02 bptt"] == "wrong"
    md = (out / "grades.md").read_text(encoding="utf-8")
    assert md.count("\n") == 2 + len(rows) and "| ann | 3 | 3 |" in md and "❌ wrong" in md
    assert "| eve | 0 | 3 |" in md and "— missing" in md
    assert (out / "executed" / "ann__02_bptt.ipynb").exists()
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.ipynb")}
    assert after == before


def test_submissions_are_found_in_folders_loose_or_renamed(tmp_path):
    nb = _submission(RIGHT)
    (tmp_path / "ann").mkdir()
    nbformat.write(nb, tmp_path / "ann" / "02_bptt.ipynb")
    nbformat.write(nb, tmp_path / "eve_02_bptt.ipynb")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 02 · Backpropagation through time"))
    nbformat.write(nb, tmp_path / "fay-homework.ipynb")
    (tmp_path / ".hidden").mkdir()
    nbformat.write(nb, tmp_path / ".hidden" / "02_bptt.ipynb")
    found = grade.submissions(tmp_path, grade.course_stems())
    assert [(s, stem) for s, stem, _ in found] == [
        ("ann", "02_bptt"), ("eve", "02_bptt"), ("fay-homework", "02_bptt")]


def test_a_notebook_over_its_time_is_killed(tmp_path):
    nb = _submission(RIGHT, extra_cells=["import time\ntime.sleep(600)"])
    nbformat.write(nb, tmp_path / "slow.ipynb")
    run, seconds = grade.run_submission(tmp_path / "slow.ipynb", tmp_path / "out.ipynb",
                                        tmp_path / "log.jsonl", timeout=4, cell_timeout=600,
                                        check_time_limit=2)
    assert run == "stopped after 4 s"


def test_it_never_writes_into_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "subs").mkdir()
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "grades.csv").write_text("my own file", encoding="utf-8")
    with pytest.raises(grade.OutputError, match="not made by grade.py"):
        grade.grade(tmp_path / "subs", mine, say=lambda *a: None)
    assert grade.main([str(tmp_path / "subs"), "--out", str(mine)]) == 2     # said, not raised
    assert (mine / "grades.csv").read_text(encoding="utf-8") == "my own file"


def test_unknown_notebooks_are_reported_not_run(tmp_path):
    (tmp_path / "subs" / "zed").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hello")]),
                   tmp_path / "subs" / "zed" / "mine.ipynb")
    table = grade.grade(tmp_path / "subs", tmp_path / "g", say=lambda *a: None)
    assert table == [{"student": "zed", "passed": 0, "exercises": 0}]


# ---------------------------------------------------------------------------------------------
# Hidden solutions: no check may need a solution_*


def _exercise_modules():
    return [m.name for m in pkgutil.iter_modules(rnnlib.exercises.__path__)
            if not m.name.startswith("_")]


def _check_solution_pairs():
    """(check_x, solution_x) of every exercise module (a solution without a check of the same
    name, e.g. one that only shows how, is left out)."""
    pairs = []
    for name in _exercise_modules():
        module = importlib.import_module(f"rnnlib.exercises.{name}")
        for attr in sorted(vars(module)):
            if attr.startswith("solution_") and hasattr(module, "check_" + attr[9:]):
                pairs.append(pytest.param(getattr(module, "check_" + attr[len("solution_"):]),
                                          getattr(module, attr), id=f"{name}.{attr}"))
    return pairs


@pytest.mark.parametrize("check, solution", _check_solution_pairs())
def test_every_solution_passes_its_check(check, solution, capsys):
    assert check(solution).passed, capsys.readouterr().out


def test_no_check_uses_a_solution_as_its_reference():
    """A check that compares with a ``solution_*`` would keep that solution in the student
    package: each check needs a ``_reference_*`` of its own (rnnlib, or another formulation)."""
    for module in sorted((ROOT / "rnnlib" / "exercises").glob("*.py")):
        _, kept = grade._hide_solutions(module.read_text(encoding="utf-8"))
        assert kept == [], f"{module.name}: {kept} used by a check, so it cannot be hidden"


def test_a_solution_used_outside_the_solutions_is_kept_and_named():
    text = textwrap.dedent("""\
        def solution_a(x):
            \"\"\"Doubles x.\"\"\"
            return 2 * x

        def solution_b(x):
            return solution_a(x) + 1     # one solution using another: both hidden

        def check_a(fn):
            return fn(1) == REFERENCE(1)
    """)
    new, kept = grade._hide_solutions(text)
    assert kept == [] and new.count(grade.HIDDEN) == 2 and "2 * x" not in new
    assert '"""Doubles x."""' in new                         # the docstring stays
    new, kept = grade._hide_solutions(text.replace("REFERENCE", "solution_a"))
    assert kept == ["solution_a"] and "2 * x" in new and new.count(grade.HIDDEN) == 1


# Run inside the student package: every check gets the course's own solution, recreated from
# the full course's source in the stripped module's namespace (so the check cannot reach the
# original), and must pass; every stripped solution_* must raise NotImplementedError.
_IN_PACKAGE = textwrap.dedent("""
    import ast, contextlib, importlib, inspect, io, json, pathlib, sys
    course = pathlib.Path(sys.argv[1])
    import rnnlib
    here = pathlib.Path.cwd().resolve()
    assert pathlib.Path(rnnlib.__file__).resolve().is_relative_to(here), rnnlib.__file__
    report = {}
    for path in sorted((course / "rnnlib" / "exercises").glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module("rnnlib.exercises." + path.stem)
        text = path.read_text(encoding="utf-8")
        space = dict(vars(module))
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("solution_"):
                exec(ast.get_source_segment(text, node), space)
        for name in sorted(n for n in vars(module) if n.startswith("solution_")):
            stub = getattr(module, name)
            try:
                stub(*[None] * len(inspect.signature(stub).parameters))
                hidden = False
            except NotImplementedError as err:
                hidden = "not part of this copy" in str(err)
            check = getattr(module, "check_" + name[len("solution_"):], None)
            if check is None:
                report[path.stem + "." + name] = [hidden, True, "no check of this name"]
                continue
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                passed = bool(check(space[name]).passed)
            report[path.stem + "." + name] = [hidden, passed, printed.getvalue()[-300:]]
    print(json.dumps(report))
""")


def test_the_student_package_hides_every_solution_and_keeps_every_check(tmp_path):
    dest = tmp_path / "student-course"
    kept = grade.make_student_package(dest, say=lambda *a: None)
    assert kept == {}
    for module in (dest / "rnnlib" / "exercises").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert text.count(grade.HIDDEN) == text.count("\ndef solution_"), module.name
    text = (dest / "rnnlib" / "exercises" / "bptt.py").read_text(encoding="utf-8")
    assert "dW_xh += da.T @ x[t]" not in text
    assert not (dest / ".git").exists() and (dest / "notebooks" / "02_bptt.ipynb").exists()
    env = {"PYTHONPATH": str(dest), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _IN_PACKAGE, str(ROOT)], cwd=dest,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {f"{m}.{n}" for m in _exercise_modules()
                for n in vars(importlib.import_module(f"rnnlib.exercises.{m}"))
                if n.startswith("solution_")}
    assert set(report) == expected and len(expected) >= 30
    assert [k for k, (hidden, _, _) in report.items() if not hidden] == []
    assert {k: out for k, (_, passed, out) in report.items() if not passed} == {}
    hinted = subprocess.run([sys.executable, "-c", "from rnnlib.exercises import bptt as ex, "
                             "hint\nhint(ex.check_bptt, 4)"], cwd=dest, capture_output=True,
                            text=True, env=env, timeout=120)
    assert grade.HIDDEN in hinted.stdout and "dW_xh +=" not in hinted.stdout
    with pytest.raises(grade.OutputError):                     # never over an existing folder
        grade.make_student_package(dest, say=lambda *a: None)


# ---------------------------------------------------------------------------------------------
# course.py grade


def test_course_py_lists_grade_and_hands_its_arguments_on(monkeypatch, tmp_path):
    shown = subprocess.run([sys.executable, str(ROOT / "course.py"), "--help"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "grade" in shown.stdout
    calls = []
    monkeypatch.setattr(course, "setup", lambda venv: "the-venv-python")
    monkeypatch.setattr(course, "run", lambda cmd, check=True, cwd=None:
                        calls.append((cmd, cwd)) or 0)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.chdir(tmp_path)
    assert course.main(["grade", "subs", "--out", "g", "--timeout", "30"]) == 0
    assert course.main(["grade", "--student-package", "dest", "--", "--cell-timeout", "9"]) == 0
    script = str(ROOT / "scripts" / "grade.py")
    assert calls == [
        (["the-venv-python", script, "subs", "--out", "g", "--timeout", "30"], str(tmp_path)),
        (["the-venv-python", script, "--student-package", "dest", "--cell-timeout", "9"],
         str(tmp_path))]
    with pytest.raises(SystemExit):                    # other commands still refuse strangers
        course.main(["test", "--timeout", "30"])
