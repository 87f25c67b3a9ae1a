#!/usr/bin/env python3
"""Set up and run the RNN course with nothing but Python 3.10+ (standard library only).

    python3 course.py lab      # set up, then open JupyterLab at notebooks/00_course_map.ipynb
    python3 course.py test     # set up, then run the whole test suite (pytest + strict nbval +
                               # the browser tests), then check the time budgets (measure)
    python3 course.py measure  # time every notebook and widget callback against its budget
    python3 course.py site     # build the static site of the course into site/ (offline)

Set-up means: create the virtual environment if it is missing, and run
`pip install -e .[dev]` in it whenever pyproject.toml changed since the last install
(a stamp file inside the environment remembers the last one). `python3 course.py setup`
does only that.

Options:
    --venv PATH     use the virtual environment at PATH (default: $COURSE_VENV, else .venv)
    -- ARGS         hand ARGS on to pytest (test), jupyter lab (lab), scripts/measure_course.py
                    (measure) or scripts/build_site.py (site); for test, paths among ARGS
                    (relative to this folder) replace the default tests and notebooks, and any
                    ARGS skip the budget check that follows the full suite
"""
import argparse
import hashlib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
COURSE_MAP = os.path.join("notebooks", "00_course_map.ipynb")
SANITIZE = os.path.join("tests", "nbval_sanitize.cfg")
STAMP = ".course-install-stamp"
TORCH_HINT = ("hint: the PyTorch cross-checks are skipped; to add a CPU build of torch run\n"
              "      {py} -m pip install torch --index-url https://download.pytorch.org/whl/cpu")


def say(msg):
    print(f"[course] {msg}", flush=True)


def run(cmd, check=True):
    """Run cmd in the course folder, echoing it first; return its exit code."""
    print("$ " + subprocess.list2cmdline(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT)
    while True:
        try:
            rc = proc.wait()
            break
        except KeyboardInterrupt:  # the child (jupyter lab, pytest) handles Ctrl-C itself
            continue
    if check and rc != 0:
        say(f"failed (exit code {rc}): {cmd[0]} ...")
        sys.exit(rc)
    return rc


def venv_python(venv):
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def setup(venv):
    """Make the environment if needed and (re)install the course package when pyproject.toml changed."""
    py = venv_python(venv)
    if not os.path.exists(py):
        say(f"creating the virtual environment {venv}")
        run([sys.executable, "-m", "venv", venv])
        run([py, "-m", "pip", "install", "--upgrade", "pip"])  # editable installs need pip >= 21.3
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        # The folder is part of the stamp too: an editable install points at one checkout.
        wanted = hashlib.sha256(f.read() + ROOT.encode()).hexdigest()
    stamp = os.path.join(venv, STAMP)
    try:
        with open(stamp) as f:
            current = f.read().strip()
    except OSError:
        current = None
    if current == wanted:
        say(f"{venv} is up to date with pyproject.toml")
    else:
        say(f"installing the course package and its tools into {venv} (new, or pyproject.toml changed)")
        run([py, "-m", "pip", "install", "-e", ".[dev]"])
        with open(stamp, "w") as f:
            f.write(wanted + "\n")
    return py


def lab(py, extra):
    first = COURSE_MAP if os.path.exists(os.path.join(ROOT, COURSE_MAP)) else None  # notebook opened first
    # The repository root is Jupyter's root folder: students can also browse rnnlib/ and the README.
    cmd = [py, "-m", "jupyterlab", "--ServerApp.root_dir=" + ROOT, *([first] if first else []), *extra]
    if getattr(os, "geteuid", lambda: -1)() == 0:
        cmd.append("--allow-root")  # jupyter refuses to run as root without it
    say(f"opening JupyterLab at {first or ROOT} (stop it with Ctrl-C)")
    return run(cmd, check=False)


def _is_path(arg):
    return not arg.startswith("-") and os.path.exists(os.path.join(ROOT, arg.split("::")[0]))


def test(py, extra):
    has_torch = "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is None)"
    if subprocess.call([py, "-c", has_torch]) != 0:
        print(TORCH_HINT.format(py=py), flush=True)
    paths = [] if any(_is_path(a) for a in extra) else ["tests", "notebooks"]
    # One pytest run: --nbval only adds the .ipynb files to the collection; tests/ is unaffected.
    cmd = [py, "-m", "pytest", *paths,
           "--nbval", "--nbval-current-env", "--nbval-sanitize-with", SANITIZE,
           "--nbval-cell-timeout=600", *extra]   # a stuck cell fails instead of hanging CI
    say("running the test suite: unit tests and the notebooks, cell by cell, against their saved outputs")
    rc = run(cmd, check=False)
    if rc == 5:
        say("pytest collected no tests: counted as a failure")
    say("all tests passed" if rc == 0 else f"tests FAILED (pytest exit code {rc})")
    if extra:  # a selection of tests: no budget check
        return rc
    # The full suite also checks the time budgets (scripts/measure_course.py: warns over a
    # budget, fails beyond twice it), after pytest so that nothing else competes for the cores.
    mrc = measure(py, [])
    if mrc != 0:
        say(f"time budgets FAILED (exit code {mrc}): see the table above")
    return rc or mrc


def measure(py, extra):
    say("timing every notebook and widget callback against its budget (artifacts/budgets.md)")
    return run([py, os.path.join("scripts", "measure_course.py"), *extra], check=False)


def site(py, extra):
    say("building the static site of the course (no network needed)")
    return run([py, os.path.join("scripts", "build_site.py"), *extra], check=False)


def main(argv):
    if sys.version_info < (3, 10):
        sys.exit("The course needs Python 3.10 or newer; this is " + sys.version.split()[0])
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    parser = argparse.ArgumentParser(description="Set up and run the RNN course.",
                                     epilog="Arguments after -- go to pytest (test), jupyter lab (lab), "
                                            "the budget script (measure) or the site builder (site).")
    parser.add_argument("command", choices=["lab", "test", "measure", "site", "setup"],
                        help="lab: open JupyterLab; test: run all tests and check the time budgets; "
                             "measure: only check the time budgets; site: build the static site "
                             "into site/; setup: only set up")
    parser.add_argument("--venv", default=os.environ.get("COURSE_VENV") or os.path.join(ROOT, ".venv"),
                        help="virtual environment to use (default: $COURSE_VENV, else .venv)")
    args = parser.parse_args(argv)
    # Kernels draw figures inline only when MPLBACKEND is unset (ipykernel sets its own then).
    os.environ.pop("MPLBACKEND", None)
    # One BLAS thread for everything started from here (JupyterLab's kernels, nbval's, the
    # budget script's): the course's matrices are small, and OpenBLAS's spinning threads slow
    # them down many times over as soon as another process (the browser) wants a core.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    py = setup(os.path.abspath(args.venv))
    if args.command == "lab":
        return lab(py, extra)
    if args.command == "test":
        return test(py, extra)
    if args.command == "measure":
        return measure(py, extra)
    if args.command == "site":
        return site(py, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
