#!/usr/bin/env python3
"""Normalise executed notebooks so the committed files are clean and diff well.

    python scripts/strip_notebook.py [--check] [NOTEBOOK ...]     (default: notebooks/*.ipynb)

Run it after executing a notebook (scripts/execute_notebooks.py calls it for you; after
`jupyter nbconvert --execute --inplace --ExecutePreprocessor.record_timing=False` run it by hand).
It keeps outputs and execution counts (strict nbval compares against them) and removes only what
changes on every run or belongs to one machine:
  - metadata.widgets: saved widget state (random model ids, big, useless without a kernel);
  - per-cell execution timestamps (metadata.execution, metadata.ExecuteTime);
  - a kernelspec other than the standard python3 one (nbval and JupyterLab then use the
    environment's own kernel).
--check changes nothing and exits 1 if some notebook is not clean. Standard library only.

It rewrites only files that are Jupyter notebooks (a .ipynb name, JSON with "cells" and
"nbformat"); anything else is refused untouched (exit code 2). A notebook is replaced through a
temporary file and a rename, so an interrupted run never leaves half a file; a notebook that
cannot be written (a read-only checkout) is reported, not a traceback.
"""

import argparse
import copy
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from _safe_output import OutputError, replace_file  # noqa: E402

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")


def strip(nb):
    """Return a cleaned copy of the notebook dict nb (as read by json.load)."""
    nb = copy.deepcopy(nb)
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)
    meta["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.get("cells", []):
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    return nb


def dumps(nb):
    """JSON text in the layout Jupyter itself writes (nbformat: indent 1, sorted keys)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read_notebook(path):
    """The text and the parsed dict of a notebook file; OutputError if it is not one."""
    path = pathlib.Path(path)
    if path.suffix != ".ipynb":
        raise OutputError(
            f"{path}: not a notebook (the name does not end in .ipynb); left untouched"
        )
    if not path.is_file():
        raise OutputError(f"{path}: no such notebook file")
    try:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OutputError(f"{path}: cannot be read as a notebook ({err}); left untouched") from None
    if not (
        isinstance(nb, dict)
        and isinstance(nb.get("cells"), list)
        and isinstance(nb.get("nbformat"), int)
    ):
        raise OutputError(
            f"{path}: JSON, but not a Jupyter notebook (no cells/nbformat); left untouched"
        )
    return text, nb


def strip_file(path, check=False):
    """Clean one notebook file in place; return True if it was (check: would be) changed."""
    path = pathlib.Path(path)
    text, nb = read_notebook(path)
    new = dumps(strip(nb))
    if new == text:
        return False
    if not check:
        try:
            replace_file(path, new)
        except OSError as err:
            raise OutputError(
                f"cannot write {path}: {err.strerror or err}. Stripping rewrites the "
                f"notebook in place, so its folder must be writable (run "
                f"--check to only look)"
            ) from None
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a notebook is not clean"
    )
    parser.add_argument("paths", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    changed, refused = [], []
    for p in paths:
        try:
            if strip_file(p, check=args.check):
                changed.append(p)
        except OutputError as err:
            refused.append(str(err))
    for p in changed:
        print(("not clean: " if args.check else "stripped: ") + str(p))
    for msg in refused:
        print(f"strip: {msg}", file=sys.stderr)
    if refused:
        return 2
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
