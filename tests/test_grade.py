"""scripts/grade.py on sample submissions made here: right, wrong, runaway and crashing copies
of notebook 02, plus the student package without the reference solutions.

Each submission keeps 02's imports (without the figures'), its prediction and its exercise cells
(a student may delete the rest), so that a kernel run takes seconds."""
from __future__ import annotations

import csv
import hashlib
import inspect
import pathlib
import subprocess
import sys
import textwrap

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import grade  # noqa: E402

from rnnlib.exercises import bptt as ex_bptt  # noqa: E402

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
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.ipynb")}
    out = folder.parent / "grades"
    table = grade.grade(folder, out, timeout=120, cell_timeout=5, check_time_limit=1,
                        say=lambda *a: None)
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
        assert row["passed"] == row["exercises"] == 3
        prediction = next(k for k in row if "prediction ·" in k)
        assert row[prediction] == "passed"


def test_wrong_answers_get_their_status(graded):
    row = _row(graded[2], "ben")
    assert row["02 step_backward"] == "wrong" and row["02 bptt"] == "wrong"
    assert row["02 truncated_reach"] == "not attempted"
    assert row["passed"] == 0
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


def test_tables_are_written_and_submissions_untouched(graded):
    folder, out, table, before = graded
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["ann", "ben", "cat", "dan"]
    assert rows[1]["02 bptt"] == "wrong"
    md = (out / "grades.md").read_text(encoding="utf-8")
    assert md.count("\n") == 2 + len(rows) and "| ann | 3 | 3 |" in md and "❌ wrong" in md
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


def test_the_student_package_hides_the_solutions_and_keeps_the_checks(tmp_path):
    dest = tmp_path / "student-course"
    kept = grade.make_student_package(dest, say=lambda *a: None)
    for module in ("unfolding.py", "bptt.py"):
        text = (dest / "rnnlib" / "exercises" / module).read_text(encoding="utf-8")
        assert module not in kept                                   # nothing of 00-02 leaks
        assert text.count(grade.HIDDEN) == text.count("\ndef solution_")
        assert "dW_xh += da.T @ x[t]" not in text
    assert not (dest / ".git").exists() and (dest / "notebooks" / "02_bptt.ipynb").exists()
    script = textwrap.dedent("""
        import numpy as np
        from rnnlib.exercises import bptt as ex, unfolding as eu, hint
        reach = lambda T, k, i: np.isin(np.arange(1, T + 1), np.arange((i - 1) // k * k + 1, i + 1))
        assert ex.check_truncated_reach(reach).passed
        assert eu.check_count_parameters(lambda D, H, O: (D + H + 2) * H + (H + 1) * O).passed
        assert eu.check_from_article(lambda U, W, V, b, c: {
            "rnn.weight_ih": U, "rnn.weight_hh": W, "rnn.bias_ih": b, "rnn.bias_hh": 0 * b,
            "out.weight": V, "out.bias": c}).passed
        hint(ex.check_bptt, 4)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=dest, capture_output=True,
                          text=True, env={"PYTHONPATH": str(dest), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert grade.HIDDEN in done.stdout and "dW_xh +=" not in done.stdout
    with pytest.raises(grade.OutputError):                     # never over an existing folder
        grade.make_student_package(dest, say=lambda *a: None)
