"""pytest set-up for the whole repository (the nbval options live in pyproject.toml).

pyproject.toml passes ``--nbval-sanitize-with=tests/nbval_sanitize.cfg``, a path relative to the
repository root; nbval opens it relative to the current folder. Resolve it against the root so
that ``pytest`` run from ``notebooks/`` (or any sub-folder) uses the same sanitize rules.
"""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent


def pytest_configure(config):
    option = getattr(config.option, "nbval_sanitize_with", None)
    if option and not pathlib.Path(option).is_absolute() and not pathlib.Path(option).exists():
        if (ROOT / option).exists():
            config.option.nbval_sanitize_with = str(ROOT / option)
