"""course.py and the packaging: lean layered installs, a set-up that heals itself, clear
messages for read-only folders, the doctor command, and plain pytest as the test command.

The set-up scenarios run course.py for real on a tiny stand-in course (a pyproject.toml, a
one-line ``rnnlib`` package and a copy of course.py) in a temporary folder: an interrupted
ensurepip, a moved checkout set up again with pip's network switched off, a read-only
checkout (a read-only bind mount, where the system allows one).
"""

import contextlib
import importlib
import importlib.util
import inspect
import io
import json
import os
import pathlib
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


@pytest.fixture(scope="module")
def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def names(specs):
    return {re.match(r"[A-Za-z0-9_.-]+", s).group(0).lower().replace("_", "-") for s in specs}


# =============================================================================================
# Lean, layered installs


def test_core_needs_numpy_only_and_extras_are_layered(pyproject):
    project = pyproject["project"]
    extras = project["optional-dependencies"]
    assert names(project["dependencies"]) == {"numpy"}
    assert names(extras["course"]) == {"matplotlib", "ipywidgets"}
    assert "rnnlib[course]" in extras["notebooks"] and {"jupyterlab", "nbval"} <= names(
        extras["notebooks"]
    )
    assert "rnnlib[notebooks]" in extras["dev"] and {"pytest", "ruff"} <= names(extras["dev"])
    assert not any("torch" in s for specs in extras.values() for s in specs), "torch stays optional"


def test_rnnlib_imports_without_matplotlib_or_ipywidgets():
    """The core really runs on numpy alone: block the optional packages and use a layer."""
    code = textwrap.dedent("""
        import sys
        for name in ("matplotlib", "ipywidgets", "IPython", "torch"):
            sys.modules[name] = None   # any import of them now raises ImportError
        import numpy as np, rnnlib
        hs, h, cache = rnnlib.LSTM(3, 4, seed=0).forward(np.ones((5, 2, 3)))
        print(hs.shape)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(5, 2, 4)"


@pytest.mark.slow
def test_pip_install_dot_resolves_to_numpy_alone(tmp_path):
    """What `pip install .` would install into an empty environment: rnnlib and numpy only."""
    report = tmp_path / "report.json"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    if out.returncode != 0 and re.search(
        r"No matching distribution|Could not find a version|"
        r"Failed to establish|NewConnectionError",
        out.stderr,
    ):
        pytest.skip("no package index reachable: " + out.stderr.strip().splitlines()[-1])
    assert out.returncode == 0, out.stderr
    installed = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert installed == {"rnnlib", "numpy"}


# =============================================================================================
# Plain pytest is the test command


def test_pytest_options_hold_the_nbval_settings(pyproject):
    opts = " ".join(pyproject["tool"]["pytest"]["ini_options"]["addopts"])
    for option in (
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with=tests/nbval_sanitize.cfg",
        "--nbval-cell-timeout",
    ):
        assert option in opts
    assert (ROOT / "tests" / "nbval_sanitize.cfg").is_file()


def test_sanitize_file_is_found_from_a_sub_folder(monkeypatch):
    """`cd notebooks && pytest` must use the same sanitize rules as a run from the root."""
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)

    class Config:
        class option:
            nbval_sanitize_with = "tests/nbval_sanitize.cfg"

    monkeypatch.chdir(ROOT / "notebooks")
    conftest.pytest_configure(Config)
    assert Config.option.nbval_sanitize_with == str(ROOT / "tests" / "nbval_sanitize.cfg")


def test_course_test_runs_pytest_and_no_timing_check(monkeypatch):
    """`course.py test` passes or fails on behaviour only: it runs pytest and nothing else."""
    commands = []
    monkeypatch.setattr(course, "run", lambda cmd, check=True, cwd=None: commands.append(cmd) or 0)
    monkeypatch.setattr(course.subprocess, "call", lambda cmd: 0)
    assert course.test("python", []) == 0
    assert len(commands) == 1 and commands[0][1:3] == ["-m", "pytest"]
    assert not any("measure" in part for part in commands[0])
    commands.clear()
    monkeypatch.setattr(course, "run", lambda cmd, check=True, cwd=None: commands.append(cmd) or 5)
    assert course.test("python", ["-k", "nothing"]) == 5, "no tests collected is a failure"


# =============================================================================================
# Widgets build and update headlessly (CI runs this at the ipywidgets floor, 7.7.1, too)


def zero_argument_factories():
    widgets = pytest.importorskip("rnnlib.widgets")
    found = []
    for mod in pkgutil.iter_modules(widgets.__path__):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"rnnlib.widgets.{mod.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or not re.search(r"_(widget|explorer)$", name):
                continue
            params = inspect.signature(fn).parameters.values()
            if all(
                p.default is not p.empty or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                for p in params
            ):
                found.append(f"{mod.name}.{name}")
    return found


def differs(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(differs(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) != len(b) or any(differs(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if hasattr(a, "__dict__") and hasattr(b, "__dict__") and type(a) is type(b):
        return differs(vars(a), vars(b))
    return a != b


def step(control):
    """Move a control to another allowed value (slider: to its other end; menu: next option)."""
    if hasattr(control, "options") and hasattr(control, "index"):
        control.index = (control.index + 1) % len(control.options)
    elif isinstance(control.value, bool):
        control.value = not control.value
    elif hasattr(control, "max"):
        control.value = control.min if control.value == control.max else control.max
    else:
        return False
    return True


def test_some_factories_are_found():
    assert len(zero_argument_factories()) >= 5


@pytest.mark.parametrize("factory", zero_argument_factories())
def test_widget_factory_builds_and_updates_headlessly(factory):
    ipywidgets = pytest.importorskip("ipywidgets")
    module, name = factory.split(".")
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, figures print as text
        w = getattr(importlib.import_module(f"rnnlib.widgets.{module}"), name)()
        controls = getattr(w, "controls", {})
        assert controls, f"{factory}() has no controls"
        assert all(isinstance(c, ipywidgets.Widget) for c in controls.values())
        if not hasattr(w, "result"):
            return  # built with real ipywidgets controls; its updates are tested with its notebook
        before, moved = w.result, []
        for cname, control in controls.items():
            if step(control):
                moved.append(cname)
                getattr(w, "flush", lambda: None)()
                if differs(before, w.result):
                    break
        assert moved, f"{factory}: no control could be moved"
        assert differs(before, w.result), f"{factory}: moving {moved} did not change the result"


# =============================================================================================
# doctor


FLOORS = {"python": "3.10", "numpy": "1.24.4", "matplotlib": "3.7.5", "ipywidgets": "7.7.1"}


def info(**versions):
    base = {
        "numpy": "2.4.6",
        "matplotlib": "3.11.2",
        "ipywidgets": "8.1.9",
        "ipykernel": "7.4.0",
        "jupyterlab": "4.6.6",
        "notebook": None,
        "jupyterlab_widgets": "3.0.17",
        "widgetsnbextension": "4.0.16",
        "nbval": "0.11.0",
        "pytest": "9.2.0",
        "rnnlib": "0.1.0",
    }
    base.update(versions)
    manager = {"path": "x", "version": "5.0.14"} if base["jupyterlab_widgets"] else None
    return {
        "python": [3, 11, 7],
        "executable": "/env/bin/python",
        "versions": base,
        "widget_manager": manager,
    }


def problems(findings):
    return [(what, fix) for ok, what, fix in findings if ok is False]


def test_doctor_finds_nothing_wrong_in_a_good_environment():
    assert problems(course.diagnose(info(), FLOORS, "py")) == []


def test_doctor_names_old_and_missing_packages_with_their_fix():
    found = problems(course.diagnose(info(numpy="1.23.5", matplotlib=None), FLOORS, "py"))
    text = "\n".join(f"{w} | {f}" for w, f in found)
    assert "numpy 1.23.5 is older" in text and "py -m pip install --upgrade 'numpy>=1.24.4'" in text
    assert "matplotlib is not installed" in text and "'matplotlib>=3.7.5'" in text
    old_python = dict(info(), python=[3, 9, 18])
    assert "too old" in problems(course.diagnose(old_python, FLOORS, "py"))[0][0]


def test_doctor_catches_a_missing_widget_front_end():
    """The classroom failure: sliders shown as text because JupyterLab has no jupyterlab_widgets."""
    ((what, fix),) = problems(course.diagnose(info(jupyterlab_widgets=None), FLOORS, "py"))
    assert "jupyterlab_widgets" in what and "text" in what
    assert "pip install 'jupyterlab_widgets>=3'" in fix and "restart JupyterLab" in fix
    ((what, fix),) = problems(course.diagnose(info(jupyterlab_widgets="1.1.1"), FLOORS, "py"))
    assert "JupyterLab 3" in what


def test_doctor_checks_the_environment_that_serves_jupyterlab():
    kernel = info(jupyterlab=None, jupyterlab_widgets=None)
    server = dict(info(jupyterlab_widgets=None), executable="/usr/bin/python3")
    ((what, fix),) = problems(course.diagnose(kernel, FLOORS, "py", server))
    assert "/usr/bin/python3" in what and fix.startswith("/usr/bin/python3 -m pip install")
    assert problems(course.diagnose(kernel, FLOORS, "py", dict(info(), executable="/x"))) == []


def test_declared_floors_are_read_from_pyproject():
    floors = course.declared_floors()
    assert floors["numpy"] and floors["matplotlib"] and floors["ipywidgets"] and floors["python"]
    assert "setuptools" not in floors, "build requirements are not floors of the course"


def test_doctor_command_on_this_environment_and_on_an_empty_one(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "course.py"), "doctor", "--python", sys.executable],
        capture_output=True,
        text=True,
    )
    assert "ok       numpy" in out.stdout and "Traceback" not in out.stderr
    empty = tmp_path / "empty"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(empty)], check=True)
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "course.py"),
            "doctor",
            "--python",
            course.venv_python(str(empty)),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "numpy is not installed" in out.stdout and "fix:" in out.stdout


# =============================================================================================
# A set-up that heals itself (course.py run for real on a stand-in course)


def stand_in_course(folder):
    """A minimal course: pyproject.toml with the real build system and extras, a one-line rnnlib."""
    folder.mkdir()
    shutil.copy(ROOT / "course.py", folder / "course.py")
    (folder / "rnnlib").mkdir()
    (folder / "rnnlib" / "__init__.py").write_text("HERE = __file__\n")
    (folder / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "rnnlib"
        version = "0.0.1"
        requires-python = ">=3.10"
        dependencies = []

        [project.optional-dependencies]
        dev = []

        [tool.setuptools.packages.find]
        include = ["rnnlib*"]
    """)
    )
    return folder


def course_py(folder, *args, env=None, python=sys.executable):
    full = dict(os.environ, **(env or {}))
    full.pop("COURSE_VENV", None)
    full.pop("COURSE_ARTIFACTS", None)  # CI sets it; these runs choose their own
    return subprocess.run(
        [python, str(folder / "course.py"), *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=600,
    )


def rnnlib_origin(venv):
    out = subprocess.run(
        [course.venv_python(str(venv)), "-I", "-c", "import rnnlib; print(rnnlib.HERE)"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    return out.stdout.strip()


OFFLINE = {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": ""}


@pytest.mark.slow
def test_interrupted_ensurepip_is_repaired_then_a_moved_checkout_starts_offline(tmp_path):
    """Issue: Ctrl-C while ensurepip ran left a venv without pip ('No module named pip') for
    every later run; and a moved folder reinstalled from the network. Now: repaired in place,
    and re-linked offline."""
    c = stand_in_course(tmp_path / "course")
    venv = c / ".venv"
    # The state a Ctrl-C during ensurepip leaves: the venv and course.py's marker, no pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / course.MARKER).write_text("made by course.py\n")
    out = course_py(c, "setup")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no working pip" in out.stdout
    assert rnnlib_origin(venv) == str(c / "rnnlib" / "__init__.py")
    again = course_py(c, "setup")
    assert again.returncode == 0 and "up to date" in again.stdout and "$ " not in again.stdout

    moved = tmp_path / "renamed course"
    c.rename(moved)
    out = course_py(moved, "setup", env=OFFLINE)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "moved" in out.stdout and "re-linking" in out.stdout
    assert rnnlib_origin(moved / ".venv") == str(moved / "rnnlib" / "__init__.py")
    assert "up to date" in course_py(moved, "setup", env=OFFLINE).stdout


def test_a_broken_environment_course_py_did_not_make_is_left_alone(tmp_path):
    c = stand_in_course(tmp_path / "course")
    theirs = tmp_path / "their-env"
    (theirs / "bin").mkdir(parents=True)
    (theirs / "bin" / "python").symlink_to(tmp_path / "a-python-that-was-removed")
    (theirs / "notes.txt").write_text("keep me")
    out = course_py(c, "--venv", str(theirs), "setup")
    assert out.returncode == 2
    assert f"{theirs} is broken" in out.stdout and "Delete that folder" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    assert (theirs / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_a_broken_environment_course_py_made_is_rebuilt(tmp_path):
    c = stand_in_course(tmp_path / "course")
    venv = c / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(tmp_path / "a-python-that-was-removed")
    (venv / course.MARKER).write_text("made by course.py\n")
    # Offline, so the run stops after making the environment again (the install would need
    # setuptools from an index; installing is covered by the tests around this one).
    out = course_py(c, "setup", env=OFFLINE)
    assert "removing the broken environment" in out.stdout, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    python = course.venv_python(str(venv))
    assert subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0
    assert (venv / course.MARKER).is_file()


def read_only_supported():
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
        capture_output=True,
    )
    return probe.returncode == 0


def read_only(folder, *args, env=None):
    """Run course.py with folder mounted read-only (a private mount namespace)."""
    full = dict(os.environ, **(env or {}))
    full.pop("COURSE_VENV", None)
    full.pop("COURSE_ARTIFACTS", None)  # CI sets it; these runs choose their own
    script = (
        f'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && '
        f'exec {sys.executable} "$@"'
    )
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(folder), str(folder / "course.py"), *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=600,
    )


@pytest.mark.skipif(not read_only_supported(), reason="needs unshare and read-only bind mounts")
def test_read_only_checkout_says_what_must_be_writable(tmp_path):
    c = stand_in_course(tmp_path / "course")
    out = read_only(c, "setup")
    assert out.returncode == 2, out.stdout + out.stderr
    assert (
        "must be writable" in out.stdout and "--venv" in out.stdout and "COURSE_VENV" in out.stdout
    )
    assert "Traceback" not in out.stdout + out.stderr
    assert not (c / ".venv").exists()


@pytest.mark.slow
@pytest.mark.skipif(not read_only_supported(), reason="needs unshare and read-only bind mounts")
def test_read_only_checkout_works_with_a_venv_and_outputs_elsewhere(tmp_path):
    c = stand_in_course(tmp_path / "course")
    venv = tmp_path / "my-venv"
    out = read_only(c, "--venv", str(venv), "setup")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "read-only: installing rnnlib from a temporary copy" in out.stdout
    assert "up to date" in read_only(c, "--venv", str(venv), "setup").stdout
    for command, flag in (("measure", "--artifacts"), ("site", "--artifacts")):
        out = read_only(c, "--venv", str(venv), command)
        assert out.returncode == 2 and flag in out.stdout and "COURSE_ARTIFACTS" in out.stdout, (
            out.stdout
        )
        assert "Traceback" not in out.stdout + out.stderr
