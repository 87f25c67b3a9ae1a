"""Checks on the committed notebooks themselves (their JSON), one test per rule and notebook.

Strict nbval re-runs the notebooks; these tests check what a student opens before running
anything: outputs from one clean top-to-bottom run, no errors or warnings on show, no saved
widget state, learning goals and a summary, alt text on every figure, a small file.
Fix most of them by re-running:
`.venv/bin/python scripts/execute_notebooks.py notebooks/NN_x.ipynb`.
The json module is used rather than nbformat to keep the collection fast.
"""

import functools
import importlib.util
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NEAR = 3  # "near the top/end" = among the first/last NEAR cells
MAX_BYTES = 1_500_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

per_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


@functools.cache
def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def text(value):
    """Notebook JSON stores multi-line strings either whole or as a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def outputs(nb):
    """(cell number, cell, output) for every output of every code cell."""
    return [
        (i, c, o)
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    ]


def test_every_notebook_is_registered_and_every_entry_has_its_file():
    from rnnlib import syllabus

    on_disk = [p.stem for p in NOTEBOOKS]
    misnamed = [p.name for p in NOTEBOOKS if not re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name)]
    assert not misnamed, f"name notebooks NN_topic.ipynb: {misnamed}"
    assert on_disk, "no notebooks found in notebooks/"
    unregistered = sorted(set(on_disk) - set(syllabus.stems()))
    missing = sorted(set(syllabus.stems()) - set(on_disk))
    assert not unregistered, f"add these to rnnlib/syllabus.py NOTEBOOKS: {unregistered}"
    assert not missing, f"rnnlib/syllabus.py lists notebooks that do not exist: {missing}"
    for nb in syllabus.NOTEBOOKS:
        title = text(load(NOTEBOOK_DIR / nb.filename)["cells"][0]["source"]).splitlines()[0]
        assert title == f"# {nb.number} · {nb.title}", (
            f"{nb.filename} starts with {title!r}; the registry's title is {nb.title!r}"
        )
        for package in ("demos", "plots", "widgets", "exercises"):
            assert importlib.util.find_spec(f"rnnlib.{package}.{nb.topic}") is not None, (
                f"{nb.stem}: topic module rnnlib.{package}.{nb.topic} does not exist"
            )


@per_notebook
def test_executed_top_to_bottom_in_one_run(path):
    nb = load(path)
    counts = [c.get("execution_count") for c in code_cells(nb) if text(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts}: re-run the notebook top to bottom in a fresh kernel"
    )


@per_notebook
def test_no_stored_errors(path):
    bad = [
        i
        for i, c, o in outputs(load(path))
        if o["output_type"] == "error" and "raises-exception" not in tags(c)
    ]
    assert not bad, (
        f"cells {bad} show an error (tag a cell 'raises-exception' if the error is the lesson)"
    )


@per_notebook
def test_no_stderr_output(path):
    bad = [
        (i, text(o.get("text", ""))[:200])
        for i, c, o in outputs(load(path))
        if o["output_type"] == "stream" and o.get("name") == "stderr"
    ]
    assert not bad, f"stderr output (warnings?) in cells: {bad}"


@per_notebook
def test_python3_kernelspec(path):
    nb = load(path)
    assert nb.get("nbformat") == 4
    assert nb.get("metadata", {}).get("kernelspec", {}).get("name") == "python3"


@per_notebook
def test_no_saved_widget_state(path):
    assert "widgets" not in load(path).get("metadata", {}), "run scripts/strip_notebook.py"


@per_notebook
def test_learning_goals_near_top(path):
    """A 'What you will learn' heading among the first cells, followed by a list of three to
    seven goals, each a sentence long enough to say something."""
    head = [text(c["source"]) for c in load(path)["cells"][:NEAR] if c["cell_type"] == "markdown"]
    found = [s for s in head if "what you will learn" in s.lower()]
    assert found, f"no 'What you will learn' among the first {NEAR} cells"
    after = found[0][found[0].lower().index("what you will learn"):].splitlines()[1:]
    goals = []
    for line in after:
        if line.startswith("#"):
            break
        if re.match(r"\s*(?:[-*]|\d+\.)\s+\S", line):
            goals.append(line)
        elif goals and line.strip():
            goals[-1] += " " + line.strip()          # a goal that wraps onto the next line
    assert 3 <= len(goals) <= 7, f"{len(goals)} learning goals; the course's standard is 3 to 7"
    short = [g for g in goals if len(g.split()) < 5]
    assert not short, f"goals too short to say what is learnt: {short}"


@per_notebook
def test_summary_near_end(path):
    tail = load(path)["cells"][-NEAR:]
    assert any(c["cell_type"] == "markdown" and "Summary" in text(c["source"]) for c in tail), (
        f"no markdown cell with a 'Summary' among the last {NEAR} cells"
    )


@per_notebook
def test_widget_cells_ignore_output(path):
    bad = sorted(
        {
            i
            for i, c, o in outputs(load(path))
            if WIDGET_VIEW in o.get("data", {}) and "nbval-ignore-output" not in tags(c)
        }
    )
    assert not bad, f"cells {bad} display widgets: tag them 'nbval-ignore-output'"


@per_notebook
def test_file_size(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{size / 1e6:.2f} MB: use fewer or smaller figures"


@per_notebook
def test_images_have_alt_text(path):
    bad = [
        i
        for i, c, o in outputs(load(path))
        if o["output_type"] in ("display_data", "execute_result")
        and "image/png" in o.get("data", {})
        and not str(o.get("metadata", {}).get("image/png", {}).get("alt", "")).strip()
    ]
    assert not bad, (
        f"figures without alt text in cells {bad}: show them with rnnlib.plots.show(fig, alt=...)"
    )


@functools.cache
def _strip_module():
    spec = importlib.util.spec_from_file_location(
        "strip_notebook", ROOT / "scripts" / "strip_notebook.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@per_notebook
def test_committed_clean(path):
    nb = load(path)
    assert _strip_module().strip(nb) == nb, (
        "run scripts/strip_notebook.py (or scripts/execute_notebooks.py)"
    )
