"""The course's scripts never lose a file they did not create.

Each script that writes or deletes (scripts/build_site.py, measure_course.py, strip_notebook.py,
execute_notebooks.py, long_range_long_run.py) is run here against a temporary folder full of
"user files" and must leave every one of them byte for byte as it was. The dangerous targets
(the repository, a folder above it, a folder of notebooks, a .git, the home folder) are tried on
a throw-away copy of the scripts in a temporary "repository", never on the real checkout. A
read-only checkout is made with a private read-only bind mount (``unshare``) where the machine
allows it.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


def _load(name, folder=SCRIPTS):
    """A fresh copy of scripts/<name>.py as a module (its own ROOT is the folder above it)."""
    sys.path.insert(0, str(folder))
    for helper in ("_safe_output", "strip_notebook"):  # each copy imports its own neighbours
        sys.modules.pop(helper, None)
    try:
        spec = importlib.util.spec_from_file_location(
            f"{name}_{uuid.uuid4().hex}", folder / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


def _snapshot(folder: pathlib.Path) -> dict:
    """Every file under ``folder`` (relative path -> bytes), links as their target."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


def _user_files(folder: pathlib.Path) -> dict:
    """A folder of someone's work: notes, a notebook, a data file, a sub-folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("my lecture notes\n")
    (folder / "index.html").write_text("<p>my own homepage</p>\n")
    (folder / "budgets.md").write_text("my budget for the department\n")
    (folder / "results.json").write_text('{"mine": true}\n')
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "thesis.tex").write_text("\\chapter{RNNs}\n")
    return _snapshot(folder)


def _tiny_notebook(
    path: pathlib.Path, source="print(6 * 7)", title="# 01 · A tiny notebook"
) -> pathlib.Path:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"{title}\n\nWhat you will learn:\n- nothing much"),
            nbformat.v4.new_code_cell(source),
        ]
    )
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def fake_repo(tmp_path_factory):
    """A throw-away course checkout: the real scripts, one notebook, a .git folder."""
    repo = tmp_path_factory.mktemp("fake") / "course"
    shutil.copytree(SCRIPTS, repo / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    _tiny_notebook(repo / "notebooks" / "01_tiny.ipynb")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "README.md").write_text("the course\n")
    return repo


@pytest.fixture(scope="module")
def fake_site(fake_repo):
    pytest.importorskip("nbconvert")
    return _load("build_site", fake_repo / "scripts")


# -- the site build --------------------------------------------------------------------------------


def test_site_build_refuses_a_folder_of_user_files(fake_site, fake_repo, tmp_path, capsys):
    before = _user_files(tmp_path / "mine")
    nb = fake_repo / "notebooks" / "01_tiny.ipynb"
    with pytest.raises(fake_site.OutputError, match="not empty"):
        fake_site.build(tmp_path / "mine", [nb])
    assert fake_site.main(["--out", str(tmp_path / "mine"), str(nb)]) == 2
    err = capsys.readouterr().err
    assert "refusing" in err and "--out DIR" in err and "Traceback" not in err
    assert _snapshot(tmp_path / "mine") == before


@pytest.mark.parametrize(
    "target, reason",
    [
        ("repo", "course repository itself"),
        ("above", "contains the course repository"),
        ("notebooks", "holds notebooks"),
        ("git", "holds a .git"),
        ("home", "home folder"),
    ],
)
def test_site_build_never_owns_a_protected_folder(
    fake_site, fake_repo, tmp_path, monkeypatch, target, reason
):
    """Even with a site marker planted in it, the build refuses these folders."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    other = tmp_path / "project"
    (other / ".git").mkdir(parents=True)
    folder = {
        "repo": fake_repo,
        "above": fake_repo.parent,
        "notebooks": fake_repo / "notebooks",
        "git": other,
        "home": home,
    }[target]
    marker = folder / ".course-site.json"
    marker.write_text(
        json.dumps(
            {
                "written_by": "scripts/build_site.py",
                "files": ["README.md", "01_tiny.ipynb", "index.html"],
            }
        )
    )
    try:
        before = _snapshot(fake_repo.parent) if target != "git" else _snapshot(other)
        with pytest.raises(fake_site.OutputError, match=reason):
            fake_site.build(folder, [fake_repo / "notebooks" / "01_tiny.ipynb"])
        assert (_snapshot(fake_repo.parent) if target != "git" else _snapshot(other)) == before
    finally:
        marker.unlink()


def test_site_build_refuses_a_link_to_the_repository(fake_site, fake_repo, tmp_path):
    link = tmp_path / "site"
    link.symlink_to(fake_repo, target_is_directory=True)
    before = _snapshot(fake_repo)
    with pytest.raises(fake_site.OutputError, match="repository itself"):
        fake_site.build(link, [fake_repo / "notebooks" / "01_tiny.ipynb"])
    assert _snapshot(fake_repo) == before


def test_site_rebuild_replaces_only_its_own_pages(fake_site, fake_repo, tmp_path):
    nb1 = fake_repo / "notebooks" / "01_tiny.ipynb"
    nb2 = _tiny_notebook(tmp_path / "nbs" / "02_other.ipynb", title="# 02 · Another")
    out = tmp_path / "site"
    report = fake_site.build(out, [nb1, nb2])
    assert sorted(report["pages"]) == ["01_tiny.html", "02_other.html", "index.html"]
    marker = json.loads((out / ".course-site.json").read_text())
    assert marker["files"] == ["01_tiny.html", "02_other.html", "index.html"]
    # the user puts their own files beside the pages, and tampers with the marker
    (out / "notes.txt").write_text("mine\n")
    (tmp_path / "outside.txt").write_text("outside\n")
    marker["files"] += ["../outside.txt", "sub/../../outside.txt", ".hidden", ""]
    (out / ".course-site.json").write_text(json.dumps(marker))
    report = fake_site.build(out, [nb1])  # 02 dropped: its page goes, nothing else does
    assert report["removed"] == ["02_other.html"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".course-site.json",
        "01_tiny.html",
        "index.html",
        "notes.txt",
    ]
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (tmp_path / "outside.txt").read_text() == "outside\n"
    # a user file with the name of a new page is not overwritten: the whole build is refused
    (out / "02_other.html").write_text("my page\n")
    with pytest.raises(fake_site.OutputError, match="did not make it"):
        fake_site.build(out, [nb1, nb2])
    assert (out / "02_other.html").read_text() == "my page\n"


def test_site_build_into_a_new_or_empty_folder(fake_site, fake_repo, tmp_path, monkeypatch):
    nb = fake_repo / "notebooks" / "01_tiny.ipynb"
    assert fake_site.main(["--out", str(tmp_path / "a" / "b"), str(nb)]) == 0
    assert (tmp_path / "a" / "b" / "01_tiny.html").is_file()
    monkeypatch.setenv("COURSE_ARTIFACTS", str(tmp_path / "arts"))
    assert fake_site.default_out() == tmp_path / "arts" / "site"
    monkeypatch.delenv("COURSE_ARTIFACTS")
    assert fake_site.default_out() == fake_repo / "site"


def test_site_build_has_no_recursive_delete():
    """The old build emptied --out with shutil.rmtree; no script may delete a folder."""
    for path in SCRIPTS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "rmtree" not in text and "rmdir" not in text, f"{path.name} removes folders"


def test_site_pages_follow_the_course_registry():
    pytest.importorskip("nbconvert")
    from rnnlib import syllabus

    build_site = _load("build_site")
    assert [p.name for p in build_site.registered_notebooks()] == [
        nb.filename for nb in syllabus.NOTEBOOKS
    ]


# -- unwritable folders ----------------------------------------------------------------------------


def test_unwritable_folder_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    safe = _load("_safe_output")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(safe.tempfile, "NamedTemporaryFile", read_only)
    with pytest.raises(safe.OutputError) as err:
        safe.writable_dir(tmp_path, "the benchmark table", "--artifacts DIR")
    msg = str(err.value)
    assert "read-only" in msg and str(tmp_path) in msg and "--artifacts DIR" in msg


def _unshare_works() -> bool:
    if not shutil.which("unshare") or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


def _run_read_only(folder: pathlib.Path, *cmd, **kw):
    """Run ``cmd`` with ``folder`` mounted read-only (a private mount namespace)."""
    script = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && exec "$@"'
    )
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *cmd],
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -rm (user and mount namespaces)")
def test_read_only_checkout(fake_repo, tmp_path):
    """A checkout on a read-only drive: each script says what must be writable and how to choose
    another folder (exit code 2, no traceback); with another folder the site and the table work."""
    pytest.importorskip("nbconvert")
    py, scripts, nb = (
        sys.executable,
        fake_repo / "scripts",
        fake_repo / "notebooks" / "01_tiny.ipynb",
    )
    env = {k: v for k, v in os.environ.items() if k != "COURSE_ARTIFACTS"}
    before = _snapshot(fake_repo)
    cases = {
        "site": ([py, scripts / "build_site.py", nb], "--out DIR"),
        "measure": (
            [py, scripts / "measure_course.py", "--no-notebooks", "--no-widgets"],
            "--artifacts DIR",
        ),
        "strip": ([py, scripts / "strip_notebook.py", nb], "writable"),
        "execute": ([py, scripts / "execute_notebooks.py", nb], "writable"),
        "long run": (
            [
                py,
                scripts / "long_range_long_run.py",
                "--steps",
                "1",
                "--lengths",
                "3",
                "--seeds",
                "0",
                "--cells",
                "RNN",
                "--json",
                fake_repo / "run.json",
            ],
            "--json PATH",
        ),
    }
    # strip has nothing to do on a clean notebook: make it dirty first
    data = json.loads(nb.read_text())
    data["metadata"]["widgets"] = {"state": {}}
    nb.write_text(json.dumps(data))
    before = _snapshot(fake_repo)
    for name, (cmd, hint) in cases.items():
        run = _run_read_only(fake_repo, *map(str, cmd), env=env)
        text = run.stdout + run.stderr
        assert run.returncode == 2, f"{name}: exit {run.returncode}\n{text}"
        assert "Traceback" not in text, f"{name}:\n{text}"
        assert hint in text and ("read-only" in text.lower() or "cannot write" in text), (
            f"{name}:\n{text}"
        )
    assert _snapshot(fake_repo) == before
    # the same read-only checkout, with the output sent elsewhere
    out = tmp_path / "elsewhere"
    run = _run_read_only(
        fake_repo, py, str(scripts / "build_site.py"), "--out", str(out / "site"), str(nb), env=env
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (out / "site" / "01_tiny.html").is_file()
    run = _run_read_only(
        fake_repo,
        py,
        str(scripts / "measure_course.py"),
        "--no-notebooks",
        "--no-widgets",
        env={**env, "COURSE_ARTIFACTS": str(out / "arts")},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in (out / "arts").iterdir()) == ["budgets.json", "budgets.md"]


# -- the benchmark ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measure():
    return _load("measure_course")


def test_measure_never_replaces_a_file_it_did_not_write(measure, tmp_path, capsys):
    before = _user_files(tmp_path / "mine")  # holds a budgets.md of the user's
    assert (
        measure.main(["--no-notebooks", "--no-widgets", "--artifacts", str(tmp_path / "mine")]) == 2
    )
    assert "budgets.md exists and was not written by this script" in capsys.readouterr().err
    assert _snapshot(tmp_path / "mine") == before


def test_measure_writes_only_its_two_files(measure, tmp_path, monkeypatch):
    folder = tmp_path / "arts"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine\n")
    monkeypatch.setenv("COURSE_ARTIFACTS", str(folder))
    for _ in range(2):  # the second run replaces its own files
        assert measure.main(["--no-notebooks", "--no-widgets"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "budgets.json",
        "budgets.md",
        "notes.txt",
        "sub",
    ]
    assert (folder / "notes.txt").read_text() == "mine\n"
    assert (
        json.loads((folder / "budgets.json").read_text())["written_by"]
        == "scripts/measure_course.py"
    )


def test_measure_budgets_come_from_the_registry(measure):
    from rnnlib import syllabus

    for nb in syllabus.NOTEBOOKS:
        assert measure.notebook_budget(nb.stem) == nb.budget_s
    assert measure.notebook_budget("99_not_registered") is None
    assert [p.name for p in measure.registered_notebooks()] == [
        nb.filename for nb in syllabus.NOTEBOOKS
    ]


def test_measure_exit_code_depends_on_running_not_on_time(measure, tmp_path, monkeypatch, capsys):
    """A notebook far over its budget: exit 0, marked in the table, with memory and CPU measured.
    A notebook that raises: exit 1."""
    pytest.importorskip("nbclient")
    ok = _tiny_notebook(
        tmp_path / "01_ok.ipynb", source="import time\nsum(range(10**6)); time.sleep(0.2)"
    )
    monkeypatch.setattr(measure, "notebook_budget", lambda stem: 0.001)  # an impossible budget
    arts = tmp_path / "arts"
    assert measure.main(["--no-widgets", "--repeat", "1", "--artifacts", str(arts), str(ok)]) == 0
    out = capsys.readouterr().out
    assert "over budget on this machine (a note, not a failure): 01_ok" in out
    row = json.loads((arts / "budgets.json").read_text())["notebooks"][0]
    assert row["error"] is None and row["seconds"] > 0.2
    assert row["cpu_s"] is not None and row["cpu_s"] > 0
    if sys.platform == "linux":
        assert row["peak_rss_mb"] >= row["rss_start_mb"] > 5
    assert "| over 2x |" in (arts / "budgets.md").read_text()
    bad = _tiny_notebook(tmp_path / "02_bad.ipynb", source="1 / 0")
    assert measure.main(["--no-widgets", "--repeat", "1", "--artifacts", str(arts), str(bad)]) == 1
    assert "FAILED TO RUN: 02_bad: ZeroDivisionError" in capsys.readouterr().out


# -- strip and execute -----------------------------------------------------------------------------


def test_strip_refuses_what_is_not_a_notebook(tmp_path, capsys):
    strip = _load("strip_notebook")
    before = _user_files(tmp_path / "mine")
    fake = tmp_path / "mine" / "data.ipynb"
    fake.write_text('{"rows": [1, 2, 3]}\n')  # JSON named like a notebook
    before = _snapshot(tmp_path / "mine")
    targets = [
        tmp_path / "mine" / n
        for n in ("notes.txt", "results.json", "data.ipynb", "sub", "absent.ipynb")
    ]
    assert strip.main([str(p) for p in targets]) == 2
    err = capsys.readouterr().err
    assert err.count("strip: ") == len(targets) and "Traceback" not in err
    assert _snapshot(tmp_path / "mine") == before


def test_strip_rewrites_only_the_notebook_given(tmp_path):
    strip = _load("strip_notebook")
    before = _user_files(tmp_path / "mine")
    nb = _tiny_notebook(tmp_path / "mine" / "lesson.ipynb")
    data = json.loads(nb.read_text())
    data["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.write_text(json.dumps(data))
    os.chmod(nb, 0o640)
    assert strip.main(["--check", str(nb)]) == 1
    assert "widgets" in json.loads(nb.read_text())["metadata"]  # --check changes nothing
    assert strip.main([str(nb)]) == 0
    assert "widgets" not in json.loads(nb.read_text())["metadata"]
    assert nb.stat().st_mode & 0o777 == 0o640
    after = _snapshot(tmp_path / "mine")
    del after["lesson.ipynb"]
    assert after == before  # nothing else touched, no temporary file left behind


def test_execute_refuses_and_keeps_a_failing_notebook(tmp_path, capsys):
    pytest.importorskip("nbclient")
    execute = _load("execute_notebooks")
    before = _user_files(tmp_path / "mine")
    assert execute.main([str(tmp_path / "mine" / "notes.txt")]) == 2  # not a notebook: no kernel
    assert "not a notebook" in capsys.readouterr().out
    bad = _tiny_notebook(
        tmp_path / "mine" / "bad.ipynb", source="raise RuntimeError('student bug')"
    )
    text = bad.read_bytes()
    assert execute.main([str(bad)]) == 1
    assert bad.read_bytes() == text
    good = _tiny_notebook(tmp_path / "mine" / "good.ipynb")
    assert execute.main([str(good)]) == 0
    outputs = json.loads(good.read_text())["cells"][1]["outputs"]
    assert "".join(outputs[0]["text"]) == "42\n"
    after = _snapshot(tmp_path / "mine")
    assert {k: v for k, v in after.items() if k not in ("bad.ipynb", "good.ipynb")} == before


def test_long_run_json_never_overwrites_a_user_file(tmp_path, capsys):
    long_run = _load("long_range_long_run")
    before = _user_files(tmp_path / "mine")
    args = ["--steps", "1", "--lengths", "3", "--seeds", "0", "--cells", "RNN", "--json"]
    assert long_run.main(args + [str(tmp_path / "mine" / "results.json")]) == 2
    assert "was not written by this script" in capsys.readouterr().err
    assert _snapshot(tmp_path / "mine") == before
    target = tmp_path / "mine" / "run.json"
    assert long_run.main(args + [str(target)]) == 0
    assert long_run.main(args + [str(target)]) == 0  # its own file: replaced
    rows = json.loads(target.read_text())["rows"]
    assert [(r["cell"], r["T"], r["steps"]) for r in rows] == [("RNN", 3, 1)]
    after = _snapshot(tmp_path / "mine")
    del after["run.json"]
    assert after == before
