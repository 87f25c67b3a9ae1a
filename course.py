#!/usr/bin/env python3
"""Set up and run the RNN course with nothing but Python 3.10+ (standard library only).

    python3 course.py lab      # set up, then open JupyterLab at notebooks/00_course_map.ipynb
    python3 course.py test     # set up, then run the whole test suite (pytest: unit tests,
                               # strict nbval of every notebook, the browser tests)
    python3 course.py doctor   # check that the environment fits the course, in plain words
    python3 course.py measure  # benchmark: time every notebook and widget callback (a table)
    python3 course.py site     # build the static site of the course (offline)
    python3 course.py grade SUBMISSIONS   # teachers: run every student's notebooks, write
                               # SUBMISSIONS-grades/grades.csv and grades.md (student x exercise)
    python3 course.py grade --student-package DEST   # a copy of the course without the
                               # reference solutions, to give to students

Set-up means: create the virtual environment if it is missing (or repair it when an earlier
set-up was interrupted), and run `pip install -e .[dev]` in it whenever pyproject.toml changed
since the last install (a stamp file inside the environment remembers the last one). A course
folder that was moved or renamed is re-linked without the network. `python3 course.py setup`
does only that.

`test` passes or fails on behaviour only. Timings are a benchmark (`measure`), never a verdict.

Options:
    --venv PATH       use the virtual environment at PATH (default: $COURSE_VENV, else .venv)
    --artifacts DIR   where measure and site write (default: $COURSE_ARTIFACTS, else artifacts/
                      and site/ in the course folder); needed when the course folder is read-only
    --python PATH     doctor only: check the environment of this Python instead
    -- ARGS           hand ARGS on to pytest (test), jupyter lab (lab), scripts/measure_course.py
                      (measure) or scripts/build_site.py (site); for test, paths among ARGS
                      (relative to this folder) replace the default tests and notebooks

grade hands everything after it on to scripts/grade.py (no -- needed): the folder of
submissions, --out DIR, --timeout S (per notebook), --cell-timeout S, --check-time-limit S,
--student-package DEST; `python3 course.py grade -- --help` lists them.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
COURSE_MAP = os.path.join("notebooks", "00_course_map.ipynb")
STAMP = ".course-install-stamp"
MARKER = ".course-made-this-venv"  # written right after `venv` creates the folder, before pip
TORCH_HINT = (
    "hint: the PyTorch cross-checks are skipped; to add a CPU build of torch run\n"
    "      {py} -m pip install torch --index-url https://download.pytorch.org/whl/cpu"
)


class SetupError(Exception):
    """A set-up problem the user can fix; the message says how (no traceback is shown)."""


def say(msg):
    print(f"[course] {msg}", flush=True)


def run(cmd, check=True, cwd=None):
    """Run cmd (in the course folder by default), echoing it first; return its exit code."""
    print("$ " + subprocess.list2cmdline(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=cwd or ROOT)
    while True:
        try:
            rc = proc.wait()
            break
        except KeyboardInterrupt:  # the child (jupyter lab, pytest, pip) handles Ctrl-C itself
            continue
    if check and rc != 0:
        raise SetupError(f"this command failed (exit code {rc}):\n  {subprocess.list2cmdline(cmd)}")
    return rc


def venv_python(venv):
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def writable(folder):
    """True if a file can be created in folder (tried for real: root ignores permissions, a
    read-only mount does not). The folder's nearest existing parent is tried if it is missing."""
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def read_only_message(what, folder, how):
    return (
        f"{what} must be writable, and {folder} is not (a read-only folder or drive).\n"
        f"  {how}\n"
        f"  The course folder itself ({ROOT}) may stay read-only: the notebooks are read from it;\n"
        f"  to edit and save them, copy the whole folder somewhere writable, run course.py there."
    )


# --------------------------------------------------------------------------------------------
# The virtual environment: make, check, repair


# Run by the environment's own Python: does it start, has it pip, where does rnnlib come from?
PROBE = """
import importlib.util as u, json, sys
spec = u.find_spec("rnnlib")
print(json.dumps({"pip": u.find_spec("pip") is not None,
                  "rnnlib": spec.origin if spec else None, "prefix": sys.prefix}))
"""


def probe(py):
    """What the environment's Python reports (see PROBE), or None if it does not start."""
    if not os.path.exists(py):
        return None
    try:
        # -I: neither this folder nor PYTHONPATH on sys.path, so rnnlib is found as installed.
        out = subprocess.run(
            [py, "-I", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tempfile.gettempdir(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def pip_works(py):
    try:
        return (
            subprocess.run(
                [py, "-I", "-m", "pip", "--version"],
                capture_output=True,
                timeout=300,
                cwd=tempfile.gettempdir(),
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def made_by_course(venv):
    """We may delete a folder only if we made it: course.py marks its environments (the stamp of
    an earlier install counts too: older course.py versions wrote only that)."""
    return os.path.isfile(os.path.join(venv, MARKER)) or os.path.isfile(os.path.join(venv, STAMP))


def create_venv(venv):
    say(f"creating the virtual environment {venv}")
    parent = os.path.dirname(venv) or "."
    if not writable(parent):
        raise SetupError(
            read_only_message(
                "The folder for the course's Python environment",
                parent,
                "Put the environment somewhere writable: "
                "python3 course.py --venv ~/rnn-course-venv ...\n"
                "  (or set COURSE_VENV=~/rnn-course-venv once in your shell).",
            )
        )
    # pip comes in a second step, after the marker: an interrupted set-up is then recognised
    # as ours next time, and repaired.
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    with open(os.path.join(venv, MARKER), "w") as f:
        f.write("made by course.py; this whole folder may be deleted and made again\n")
    install_pip(venv_python(venv))


def install_pip(py):
    run([py, "-m", "ensurepip", "--upgrade", "--default-pip"])  # offline: pip ships with Python
    # Editable installs need pip >= 21.3: upgrade a very old bundled pip (needs the network).
    out = subprocess.run(
        [py, "-I", "-c", "import pip; print(pip.__version__)"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    major_minor = tuple(int(p) for p in re.findall(r"\d+", out.stdout)[:2])
    if major_minor < (21, 3):
        run([py, "-m", "pip", "install", "--upgrade", "pip"])


def remove_venv(venv):
    """Delete a broken environment, but only one this script made (never the course folder)."""
    venv = os.path.abspath(venv)
    if not made_by_course(venv) or os.path.commonpath([venv, ROOT]) == venv:
        raise SetupError(broken_message(venv))
    say(f"removing the broken environment {venv} (course.py made it) to build it again")
    shutil.rmtree(venv)


def broken_message(venv):
    return (
        f"the Python environment {venv} is broken (its Python does not start or has no pip),\n"
        f"  and course.py did not make it, so it will not delete it. Delete that folder\n"
        f"  yourself and run this command again (it is then made afresh), or choose another\n"
        f"  one with --venv PATH."
    )


def ensure_python(venv):
    """Return the probe of the environment at venv, making it, or making it again when its
    Python does not start (an interrupted `venv`, a removed Python), if course.py made it."""
    py = venv_python(venv)
    if not os.path.exists(venv) or (os.path.isdir(venv) and not os.listdir(venv)):
        create_venv(venv)
    info = probe(py)
    if info is None:
        remove_venv(venv)
        create_venv(venv)
        info = probe(py)
        if info is None:
            raise SetupError(f"the new environment's Python ({py}) does not start")
    return info


def ensure_pip(venv, info):
    """Before installing: repair a missing or broken pip (e.g. Ctrl-C while ensurepip ran),
    offline with ensurepip, else make the environment again (if course.py made it)."""
    py = venv_python(venv)
    if info["pip"] and pip_works(py):
        return
    say(f"{venv} has no working pip (an earlier set-up was interrupted?): repairing it")
    cmd = [py, "-m", "ensurepip", "--upgrade", "--default-pip"]
    if run(cmd, check=False) != 0 or not pip_works(py):
        remove_venv(venv)
        create_venv(venv)


def wanted_stamp():
    """What the stamp must hold: the hash of pyproject.toml. Not the folder: a moved course
    folder with an intact environment is re-linked offline instead (see setup)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_requirements():
    """pyproject.toml's [build-system] requires, e.g. ["setuptools>=77"]: installed into the
    environment too, so that re-linking a moved folder needs no network."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^\[build-system\][^\[]*?^requires\s*=\s*\[(.*?)\]", text, re.S | re.M)
    return re.findall(r"[\"']([^\"']+)[\"']", m.group(1)) if m else []


def links_here(info):
    """True if the environment's rnnlib is this folder's (editable install of this checkout)."""
    origin = info.get("rnnlib")
    if not origin:
        return False
    return os.path.commonpath(
        [os.path.realpath(origin), os.path.realpath(ROOT)]
    ) == os.path.realpath(ROOT)


def editable_source():
    """Where pip may build the course from: this folder, or a temporary copy when this folder is
    read-only (setuptools writes rnnlib.egg-info next to pyproject.toml)."""
    return ROOT if writable(ROOT) else None


def setup(venv):
    """Make or repair the environment and (re)install the course when pyproject.toml changed."""
    venv = os.path.abspath(venv)
    info = ensure_python(venv)
    py = venv_python(venv)
    stamp = os.path.join(venv, STAMP)
    try:
        with open(stamp) as f:
            current = f.read().strip()
    except OSError:
        current = None
    wanted = wanted_stamp()
    # Up to date: the same pyproject.toml, and rnnlib is this folder's (or, for a read-only
    # folder, the copy installed from it).
    if current == wanted and (
        links_here(info) or (info.get("rnnlib") and editable_source() is None)
    ):
        say(f"{venv} is up to date with pyproject.toml")
        return py
    if not writable(venv):
        raise SetupError(
            read_only_message(
                "The course's Python environment",
                venv,
                "Choose a writable one: python3 course.py --venv ~/rnn-course-venv ... "
                "(or COURSE_VENV).",
            )
        )
    ensure_pip(venv, info)
    read_only = editable_source() is None
    if current == wanted and not read_only:
        # Same pyproject.toml, but rnnlib points elsewhere: the course folder was moved or renamed.
        # Re-link it with what the environment already has (setuptools was installed for this).
        say(f"the course folder moved (now {ROOT}): re-linking rnnlib in {venv}, offline")
        offline = ["--no-deps", "--no-index", "--no-build-isolation", "--quiet"]
        rc = run([py, "-m", "pip", "install", *offline, "-e", "."], check=False)
        if rc == 0 and links_here(probe(py) or {}):
            return py
        say("re-linking offline did not work: installing again (this needs the network)")
    say(f"installing the course package and its tools into {venv} (new, or pyproject.toml changed)")
    if read_only:
        # An editable install writes into the course folder. Install a copy instead: the notebooks
        # still come from the read-only folder; rnnlib is the copy installed in the environment.
        say(f"the course folder {ROOT} is read-only: installing rnnlib from a temporary copy")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "course")
            shutil.copytree(
                ROOT,
                src,
                ignore=shutil.ignore_patterns(
                    ".git",
                    ".venv",
                    "venv",
                    "*.egg-info",
                    "build",
                    "artifacts",
                    "site",
                    "__pycache__",
                ),
            )
            run([py, "-m", "pip", "install", src + "[dev]", *build_requirements()], cwd=tmp)
    else:
        run([py, "-m", "pip", "install", "-e", ".[dev]", *build_requirements()])
    with open(stamp, "w") as f:
        f.write(wanted + "\n")
    return py


# --------------------------------------------------------------------------------------------
# Commands


def lab(py, extra):
    first = (
        COURSE_MAP if os.path.exists(os.path.join(ROOT, COURSE_MAP)) else None
    )  # notebook opened first
    # The repository root is Jupyter's root folder: students can also browse rnnlib/ and the README.
    cmd = [
        py,
        "-m",
        "jupyterlab",
        "--ServerApp.root_dir=" + ROOT,
        *([first] if first else []),
        *extra,
    ]
    if getattr(os, "geteuid", lambda: -1)() == 0:
        cmd.append("--allow-root")  # jupyter refuses to run as root without it
    if not writable(ROOT):
        say(
            f"note: {ROOT} is read-only: the notebooks open and run, but changes cannot be saved "
            "there (File > Save As into your home folder, or copy the course folder)"
        )
    say(f"opening JupyterLab at {first or ROOT} (stop it with Ctrl-C)")
    return run(cmd, check=False)


def _is_path(arg):
    return not arg.startswith("-") and os.path.exists(os.path.join(ROOT, arg.split("::")[0]))


def test(py, extra):
    has_torch = "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is None)"
    if subprocess.call([py, "-c", has_torch]) != 0:
        print(TORCH_HINT.format(py=py), flush=True)
    # pyproject.toml's [tool.pytest.ini_options] holds the nbval options (strict nbval of every
    # notebook, the sanitize rules, the environment's own kernel): this is plain `pytest`.
    paths = [] if any(_is_path(a) for a in extra) else ["tests", "notebooks"]
    cmd = [py, "-m", "pytest", *paths, *extra]
    say(
        "running the test suite: unit tests and the notebooks, cell by cell, "
        "against their saved outputs"
    )
    rc = run(cmd, check=False)
    if rc == 5:
        say("pytest collected no tests: counted as a failure")
    say("all tests passed" if rc == 0 else f"tests FAILED (pytest exit code {rc})")
    return rc


def artifacts_dir(args):
    """--artifacts, else $COURSE_ARTIFACTS, else None (the scripts' defaults: the course folder)."""
    chosen = args.artifacts or os.environ.get("COURSE_ARTIFACTS")
    return os.path.abspath(os.path.expanduser(chosen)) if chosen else None


def check_output_folder(chosen, default_name, what):
    folder = chosen or os.path.join(ROOT, default_name)
    if not writable(folder):
        raise SetupError(
            read_only_message(
                what,
                folder,
                "Send it elsewhere: python3 course.py --artifacts DIR ... "
                "(or set COURSE_ARTIFACTS=DIR).",
            )
        )


def grade(py, extra):
    """scripts/grade.py with the course's Python, run from the caller's folder (so that relative
    paths of submissions and --out mean what the teacher typed)."""
    say("grading: each submitted notebook runs in a fresh kernel with a time limit")
    return run([py, os.path.join(ROOT, "scripts", "grade.py"), *extra], check=False,
               cwd=os.getcwd())


def measure(py, extra, chosen=None):
    check_output_folder(chosen, "artifacts", "The folder for the timing table")
    say("benchmark: timing every notebook and widget callback (a table for the record, not a test)")
    return run([py, os.path.join("scripts", "measure_course.py"), *extra], check=False)


def site(py, extra, chosen=None):
    if "--out" not in " ".join(extra):
        check_output_folder(
            chosen and os.path.join(chosen, "site"), "site", "The folder for the static site"
        )
    say("building the static site of the course (no network needed)")
    return run([py, os.path.join("scripts", "build_site.py"), *extra], check=False)


# --------------------------------------------------------------------------------------------
# doctor: does this environment fit the course? (plain words, and the fix for each problem)


DOCTOR_PROBE = r"""
import json, os, sys
from importlib import metadata
names = ["numpy", "matplotlib", "ipywidgets", "ipykernel", "jupyterlab", "notebook",
         "jupyterlab_widgets", "widgetsnbextension", "nbval", "pytest", "rnnlib"]
versions = {}
for n in names:
    try:
        versions[n] = metadata.version(n)
    except Exception:
        versions[n] = None
# Where JupyterLab looks for prebuilt extensions: <prefix>/share/jupyter/labextensions and the
# other Jupyter data folders. ipywidgets' browser side is @jupyter-widgets/jupyterlab-manager.
folders = [os.path.join(sys.prefix, "share", "jupyter", "labextensions")]
try:
    from jupyter_core.paths import jupyter_path
    folders += jupyter_path("labextensions")
except Exception:
    pass
manager = None
for f in folders:
    pkg = os.path.join(f, "@jupyter-widgets", "jupyterlab-manager", "package.json")
    if os.path.isfile(pkg):
        try:
            with open(pkg, encoding="utf-8") as fh:
                manager = {"path": pkg, "version": json.load(fh).get("version")}
        except Exception:
            manager = {"path": pkg, "version": None}
        break
print(json.dumps({"python": list(sys.version_info[:3]), "executable": sys.executable,
                  "versions": versions, "widget_manager": manager}))
"""


def parse_version(text):
    """'8.1.9' -> (8, 1, 9); '3.7.5.post1', '2.0.0rc1' -> their leading numbers."""
    return tuple(int(p) for p in re.findall(r"\d+", re.match(r"[\d.]*", text or "").group(0)))


def declared_floors():
    """{name: floor} for every 'name>=floor' in pyproject.toml's dependencies and extras."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    text = text[text.index("[project]") :].split("[tool.", 1)[0]  # the [project] tables only
    floors = {}
    for name, floor in re.findall(r"[\"']([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)[\"']", text):
        floors[name.lower().replace("-", "_")] = floor
    m = re.search(r"requires-python\s*=\s*[\"']>=\s*([0-9.]+)", text)
    if m:
        floors["python"] = m.group(1)
    return floors


def diagnose(info, floors, python_cmd, server=None):
    """Findings for one environment: a list of (ok: bool, what: str, fix: str or None).

    info: DOCTOR_PROBE's report of the kernel's environment; server: the same for the
    environment that serves JupyterLab, when that is another one (None: the same)."""
    found = []
    v = info["versions"]
    pip = f"{python_cmd} -m pip install"
    py = ".".join(map(str, info["python"]))
    if tuple(info["python"]) >= parse_version(floors.get("python", "3.10")):
        found.append((True, f"Python {py}", None))
    else:
        found.append(
            (
                False,
                f"Python {py} is too old: the course needs {floors.get('python', '3.10')} or newer",
                "install a newer Python (python.org, conda, your package manager), set up again",
            )
        )
    needs = [
        ("numpy", "the core of rnnlib"),
        ("matplotlib", "the figures"),
        ("ipywidgets", "the sliders"),
    ]
    for name, role in needs:
        floor = floors.get(name)
        have = v.get(name)
        if have is None:
            found.append((False, f"{name} is not installed ({role})", f"{pip} '{name}>={floor}'"))
        elif floor and parse_version(have) < parse_version(floor):
            found.append(
                (
                    False,
                    f"{name} {have} is older than the course needs ({floor}; {role})",
                    f"{pip} --upgrade '{name}>={floor}'",
                )
            )
        else:
            found.append((True, f"{name} {have} ({role})", None))
    if v.get("rnnlib"):
        found.append((True, f"rnnlib {v['rnnlib']} (the course's library)", None))
    else:
        found.append(
            (
                False,
                "rnnlib (the course's library) is not installed in this environment",
                f"from the course folder: {pip} -e '.[notebooks]'  (or: python3 course.py setup)",
            )
        )
    # The browser side of the widgets must be where JupyterLab runs: the usual classroom failure
    # is sliders shown as text ("IntSlider(value=...)") or "Error displaying widget: model not
    # found".
    srv = server or info
    where = (
        "here"
        if server is None
        else f"in the environment that serves JupyterLab ({server['executable']})"
    )
    spip = pip if server is None else f"{server['executable']} -m pip install"
    sv = srv["versions"]
    if sv.get("jupyterlab") is None and sv.get("notebook") is None:
        found.append(
            (
                None,
                f"JupyterLab is not installed {where}: fine if you open the notebooks "
                "elsewhere (VS Code, Colab), else install it",
                f"{spip} 'jupyterlab>=4'",
            )
        )
        return found
    lab_version = parse_version(sv.get("jupyterlab") or "0")
    manager = srv.get("widget_manager")
    labw = sv.get("jupyterlab_widgets")
    kernel_w = parse_version(v.get("ipywidgets") or "0")
    if labw is None or manager is None:
        found.append(
            (
                False,
                f"the widgets' browser side (jupyterlab_widgets) is missing {where}: "
                "sliders will show as text or 'model not found'",
                f"{spip} 'jupyterlab_widgets>=3'  then restart JupyterLab and reload the page",
            )
        )
    elif lab_version >= (4,) and parse_version(labw) < (3,):
        found.append(
            (
                False,
                f"jupyterlab_widgets {labw} is for JupyterLab 3; JupyterLab {sv['jupyterlab']} "
                "needs 3 or newer: widgets will not show",
                f"{spip} --upgrade 'jupyterlab_widgets>=3'  then restart JupyterLab",
            )
        )
    elif kernel_w >= (8,) and parse_version(labw) < (3,):
        found.append(
            (
                False,
                f"ipywidgets {v['ipywidgets']} (kernel) needs jupyterlab_widgets 3 or newer "
                f"in the browser; {where} it is {labw}",
                f"{spip} --upgrade 'jupyterlab_widgets>=3'  then restart JupyterLab",
            )
        )
    else:
        found.append(
            (
                True,
                f"the widgets' browser side: jupyterlab_widgets {labw} {where}"
                + (f" (JupyterLab {sv['jupyterlab']})" if sv.get("jupyterlab") else ""),
                None,
            )
        )
    return found


def doctor_probe(py):
    try:
        out = subprocess.run(
            [py, "-I", "-c", DOCTOR_PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tempfile.gettempdir(),
        )
        return json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def server_python():
    """The Python of the `jupyter-lab` first on PATH, if it is another environment's."""
    exe = shutil.which("jupyter-lab")
    if not exe:
        return None
    try:
        with open(exe, "rb") as f:
            first = f.readline().decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    return parts[0] if parts and os.path.isfile(parts[0]) else None


def doctor(py):
    say(f"checking the environment of {py}")
    info = doctor_probe(py)
    if info is None:
        print(
            f"  PROBLEM  {py} does not start. "
            "Fix: python3 course.py setup (or choose --python PATH)"
        )
        return 1
    server = None
    other = server_python()
    if (
        other
        and os.path.realpath(other) != os.path.realpath(info["executable"])
        and info["versions"].get("jupyterlab") is None
    ):
        server = doctor_probe(other)
        if server is not None:
            say(f"JupyterLab on your PATH runs from another environment: {other}")
    problems = 0
    for ok, what, fix in diagnose(info, declared_floors(), py, server):
        label = {True: "ok      ", False: "PROBLEM ", None: "note    "}[ok]
        print(f"  {label} {what}")
        if fix and ok is not True:
            print(f"           fix: {fix}")
        problems += ok is False
    threads = os.environ.get("OMP_NUM_THREADS")
    print(
        f"  note     OMP_NUM_THREADS={threads or '(unset)'}: "
        "one BLAS thread per kernel is best on a "
        "shared machine (course.py lab sets it to 1)"
    )
    say(
        "everything fits the course"
        if problems == 0
        else f"{problems} problem(s): run the fix shown under each, then run this check again"
    )
    return 1 if problems else 0


# --------------------------------------------------------------------------------------------


def main(argv):
    if sys.version_info < (3, 10):  # noqa: UP036 (runs on any python3, to say this)
        sys.exit("The course needs Python 3.10 or newer; this is " + sys.version.split()[0])
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    parser = argparse.ArgumentParser(
        description="Set up and run the RNN course.",
        epilog="Arguments after -- go to pytest (test), jupyter lab (lab), "
        "the benchmark script (measure) or the site builder (site). "
        "grade FOLDER [--out DIR] [--timeout S] [--student-package DEST] ...: every argument "
        "after grade goes to scripts/grade.py (python3 course.py grade -- --help).",
    )
    parser.add_argument(
        "command",
        choices=["lab", "test", "measure", "site", "setup", "doctor", "grade"],
        help="lab: open JupyterLab; test: run all tests; doctor: check the environment; "
        "measure: time the notebooks and widgets (a benchmark); site: build the "
        "static site; setup: only set up; grade: teachers: run students' notebooks "
        "and write a table of every exercise's status (or, with --student-package DEST, "
        "copy the course without the reference solutions)",
    )
    parser.add_argument(
        "--venv",
        default=os.environ.get("COURSE_VENV") or os.path.join(ROOT, ".venv"),
        help="virtual environment to use (default: $COURSE_VENV, else .venv)",
    )
    parser.add_argument(
        "--artifacts",
        metavar="DIR",
        default=None,
        help="where measure and site write (default: $COURSE_ARTIFACTS, else "
        "artifacts/ and site/ in the course folder)",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        default=None,
        help="doctor: check the environment of this Python (default: the course's "
        "environment if it exists, else the Python running this script)",
    )
    args, passed_on = parser.parse_known_args(argv)
    if passed_on and args.command != "grade":
        parser.error("unrecognized arguments: " + " ".join(passed_on))
    venv = os.path.abspath(os.path.expanduser(args.venv))
    chosen = artifacts_dir(args)
    if chosen:
        os.environ["COURSE_ARTIFACTS"] = (
            chosen  # the scripts (measure, site, browser tests) read it
        )
    if args.command == "doctor":  # no set-up: it checks what is there
        py = args.python or (
            venv_python(venv) if os.path.exists(venv_python(venv)) else sys.executable
        )
        return doctor(py)
    # Kernels draw figures inline only when MPLBACKEND is unset (ipykernel sets its own then).
    os.environ.pop("MPLBACKEND", None)
    # One BLAS thread for everything started from here (JupyterLab's kernels, nbval's, the
    # benchmark's): the course's matrices are small, and OpenBLAS's spinning threads slow them
    # down many times over as soon as another process (the browser) wants a core. Speed only:
    # the saved outputs hold with any number of threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    try:
        py = setup(venv)
        if args.command == "lab":
            return lab(py, extra)
        if args.command == "test":
            return test(py, extra)
        if args.command == "measure":
            return measure(py, extra, chosen)
        if args.command == "site":
            return site(py, extra, chosen)
        if args.command == "grade":
            return grade(py, passed_on + extra)
        return 0
    except SetupError as e:
        say(f"stopped: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
