"""Where the course's scripts may write, and the rules that keep them from losing your files.

Every script that writes (build_site.py, measure_course.py, execute_notebooks.py,
strip_notebook.py, long_range_long_run.py) goes through these helpers:

- ``artifacts_dir(option)``: the folder for generated output: the script's ``--artifacts`` (or
  ``--out``) option, else ``$COURSE_ARTIFACTS``, else ``artifacts/`` in the repository.
- ``writable_dir(path, what, how)``: create the folder if needed and prove it is writable; on a
  read-only checkout it raises ``OutputError`` with a message that says what must be writable
  and how to choose another folder (no traceback).
- ``write_owned(path, text, signature)``: write a file only if it is new or was written by the
  same script before (its text holds ``signature``); never replace a file of yours.
- ``OwnedFolder``: a folder the site build owns. A marker file (``.course-site.json``) lists
  every file the build wrote; a rebuild replaces and removes only those. A folder that exists,
  is not empty and has no marker is refused, and so is the repository, any folder above it, and
  any folder holding notebooks or a ``.git``.
- ``replace_file(path, text)``: write through a temporary file and an atomic rename, so an
  interrupted run leaves the old file whole.

Nothing here ever removes a folder. Standard library only.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS_ENV = "COURSE_ARTIFACTS"
MARKER = ".course-site.json"
WRITTEN_BY_SITE = "scripts/build_site.py"


class OutputError(Exception):
    """A refusal or an unwritable folder, with a message meant for the user (no traceback)."""


def artifacts_dir(option: str | os.PathLike | None = None) -> pathlib.Path:
    """The folder for generated output: ``option``, else $COURSE_ARTIFACTS, else artifacts/."""
    if option:
        return pathlib.Path(option).expanduser()
    env = os.environ.get(ARTIFACTS_ENV, "").strip()
    return pathlib.Path(env).expanduser() if env else ROOT / "artifacts"


def _unwritable(path, err: OSError, what: str, how: str) -> OutputError:
    reason = err.strerror or str(err)
    if err.errno == errno.EROFS:
        reason = "the file system is read-only"
    elif err.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    return OutputError(
        f"cannot write {what} to {path}: {reason}.\n"
        f"  {what[0].upper() + what[1:]} needs a folder you can write to; "
        f"choose one with {how}."
    )


def writable_dir(path, what: str, how: str) -> pathlib.Path:
    """Create ``path`` (and its parents) if needed and check that a file can be written in it."""
    path = pathlib.Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as err:
        raise _unwritable(path, err, what, how) from None
    return path


def replace_file(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_owned(path, text: str, signature) -> None:
    """Create ``path``, or replace it if its start holds ``signature`` (written by us before;
    a tuple: any of them). Raises OutputError for someone else's file (or a folder) there."""
    signatures = (signature,) if isinstance(signature, str) else tuple(signature)
    path = pathlib.Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; not writing over it")
    if path.exists() or path.is_symlink():
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError as err:
            raise OutputError(f"cannot read {path} to check who wrote it: {err}") from None
        if path.is_symlink() or not any(sig in head for sig in signatures):
            raise OutputError(
                f"{path} exists and was not written by this script; it is left as it "
                f"is. Move it away, or write the output elsewhere."
            )
    replace_file(path, text)


# -- folders the site build owns -----------------------------------------------------------------


def _contains(parent: pathlib.Path, child: pathlib.Path) -> bool:
    return child == parent or parent in child.parents


def _plain_name(name) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


def protected_reason(path: pathlib.Path, root: pathlib.Path = ROOT) -> str | None:
    """Why a build must never own ``path`` (resolved), or None."""
    root = root.resolve()
    if path == root:
        return "it is the course repository itself"
    if _contains(path, root):
        return "it contains the course repository"
    if path == pathlib.Path(path.anchor):
        return "it is the root of a file system"
    try:
        home = pathlib.Path.home().resolve()
    except (RuntimeError, KeyError):
        home = None
    if path == home:
        return "it is your home folder"
    if path.is_dir():
        if (path / ".git").exists():
            return "it holds a .git folder (a repository)"
        if any(path.glob("*.ipynb")) or (path / "notebooks").is_dir():
            return "it holds notebooks"
    return None


class OwnedFolder:
    """An output folder the site build owns, recognised by its marker file.

    ``claim(names)`` decides, before anything is written, whether the build may write those
    file names into the folder; ``write(name, text)`` writes one; ``finish()`` removes the files
    of an earlier build that this build did not write again, and records what is there now."""

    def __init__(self, path, how: str, root: pathlib.Path = ROOT):
        self.given = pathlib.Path(path).expanduser()
        self.how = how
        self.root = root
        self.previous: set[str] = set()
        self.written: set[str] = set()
        self.names: set[str] = set()

    @property
    def path(self) -> pathlib.Path:
        return self.given.resolve()

    def _read_marker(self) -> set[str] | None:
        marker = self.path / MARKER
        if not marker.is_file() or marker.is_symlink():
            return None
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("written_by") != WRITTEN_BY_SITE:
            return None
        return {n for n in data.get("files", []) if _plain_name(n)}

    def claim(self, names) -> None:
        names = set(names)
        bad = sorted(n for n in names if not _plain_name(n))
        if bad:
            raise ValueError(f"not plain file names: {bad}")
        path = self.path
        why = protected_reason(path, self.root)
        if why:
            raise OutputError(
                f"refusing to build the site into {path}: {why}.\n"
                f"  Choose an empty or new folder with {self.how}."
            )
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} is a file, not a folder. Choose a folder with {self.how}.")
        previous = self._read_marker() if path.is_dir() else None
        if path.is_dir() and previous is None:
            try:
                entries = sorted(p.name for p in path.iterdir())
            except OSError as err:
                raise _unwritable(path, err, "the site", self.how) from None
            if entries:
                shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
                raise OutputError(
                    f"refusing to build the site into {path}: the folder is not empty "
                    f"({shown}) and was not made by the site build (no {MARKER} in it), so "
                    f"its files may be yours.\n"
                    f"  Choose an empty or new folder with {self.how}, or remove that folder "
                    f"yourself if it is an old build you no longer need."
                )
        previous = previous or set()
        for name in sorted(names - previous):
            target = path / name
            if target.exists() or target.is_symlink():
                raise OutputError(
                    f"refusing to write {target}: a file of that name is already "
                    f"there and the site build did not make it. Move it away, or "
                    f"choose another folder with {self.how}."
                )
        writable_dir(path, "the site", self.how)
        self.previous, self.names = previous, names
        self._write_marker(previous | names)  # before any page: an interrupted build stays owned

    def _write_marker(self, files) -> None:
        text = json.dumps(
            {
                "written_by": WRITTEN_BY_SITE,
                "files": sorted(files),
                "note": "the site build replaces and removes only the files listed "
                "here; anything else in this folder is left alone",
            },
            indent=1,
        )
        replace_file(self.path / MARKER, text + "\n")

    def write(self, name: str, text: str) -> pathlib.Path:
        if name not in self.names:
            raise ValueError(f"{name} was not claimed")
        target = self.path / name
        if target.is_symlink() or target.is_dir():
            raise OutputError(f"refusing to write {target}: it is a link or a folder")
        replace_file(target, text)
        self.written.add(name)
        return target

    def finish(self) -> list[str]:
        """Remove this folder's files of an earlier build that were not written again."""
        removed = []
        for name in sorted(self.previous - self.written):
            target = self.path / name
            if target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(name)
        self._write_marker(self.written)
        return removed
