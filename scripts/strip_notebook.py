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
"""
import argparse
import copy
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
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


def strip_file(path, check=False):
    """Clean one notebook file in place; return True if it was (check: would be) changed."""
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    new = dumps(strip(json.loads(text)))
    if new == text:
        return False
    if not check:
        path.write_text(new, encoding="utf-8")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not clean")
    parser.add_argument("paths", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    changed = [p for p in paths if strip_file(p, check=args.check)]
    for p in changed:
        print(("not clean: " if args.check else "stripped: ") + str(p))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
