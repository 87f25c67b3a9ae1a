"""The one list of recurrent cell types: name -> layer class, and the label to show for each.

Every part of the course that lets you pick a cell (``stacked("lstm", ...)``, the demos, the
widgets) reads this registry, so adding a cell type means one new entry here.

    >>> cell_layer("lstm").__name__, CELL_LABELS["gru"]
    ('LSTM', 'GRU')
"""

from __future__ import annotations

from .layers import GRU, LSTM, RNN, RecurrentLayer

#: canonical (lower-case) name -> layer class
CELLS: dict[str, type[RecurrentLayer]] = {"rnn": RNN, "lstm": LSTM, "gru": GRU}

#: canonical name -> short label for tables, legends and menus
CELL_LABELS: dict[str, str] = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def cell_name(name: str) -> str:
    """The canonical name of a cell type: "rnn", "lstm" or "gru" (any capitalisation accepted,
    so the labels "RNN", "LSTM", "GRU" work too)."""
    key = name.lower() if isinstance(name, str) else None
    if key not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)} (or their labels "
                         f"{list(CELL_LABELS.values())}), got {name!r}")
    return key


def cell_layer(name: str) -> type[RecurrentLayer]:
    """The layer class of a cell type, e.g. ``cell_layer("gru") is GRU``."""
    return CELLS[cell_name(name)]


def cell_label(name: str) -> str:
    """The display label of a cell type, e.g. ``cell_label("rnn") == "RNN"``."""
    return CELL_LABELS[cell_name(name)]
