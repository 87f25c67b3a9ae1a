"""The course registry: which notebooks exist, in what order, and what each one is.

This is the one place that lists the notebooks. The course-map figure (notebook 00), the time
budgets (``scripts/measure_course.py``), the static site (``scripts/build_site.py``) and the
tests all read it; a test fails when a ``notebooks/NN_*.ipynb`` is missing from it or an entry
has no file. Adding a notebook means one new ``Notebook(...)`` line here plus its topic modules
(``docs/AUTHORING.md`` has the checklist).

Standard library only: scripts import it without numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Notebook", "Part", "NOTEBOOKS", "PARTS", "by_stem", "stems"]


@dataclass(frozen=True)
class Notebook:
    """One notebook of the course.

    number: "00", "01", ...; stem: the file name without ``.ipynb`` ("00_course_map");
    title: its heading without the number; box_title/box_subtitle: the two short lines in its box
    on the course map (may hold "\\n"); topic: the name of its modules in ``rnnlib.demos``,
    ``rnnlib.plots``, ``rnnlib.widgets`` and ``rnnlib.exercises``; part: the part it belongs to;
    budget_s: the time it may take top to bottom on 2 cores (``course.py measure``).
    """

    number: str
    stem: str
    title: str
    box_title: str
    box_subtitle: str
    topic: str
    part: str
    budget_s: int

    @property
    def filename(self) -> str:
        return f"{self.stem}.ipynb"


@dataclass(frozen=True)
class Part:
    """A group of consecutive notebooks on the course map, with its background colour."""

    name: str
    colour: str


PARTS = (
    Part("foundations", "#D6EAF8"),
    Part("gradients", "#FDEBD0"),
    Part("gated cells", "#D5F5E3"),
    Part("putting it to work", "#F5E6F0"),
    Part("toward attention", "#FFF3C4"),
    Part("looking inside", "#E6E6E6"),
    Part("your own code", "#FADBD8"),
)

NOTEBOOKS = (
    Notebook("00", "00_course_map", "Course map", "course map", "how to use,\nnotation",
             "unfolding", "foundations", 30),
    Notebook("01", "01_unfolding", "Unfolding a recurrent network in time", "unfolding",
             "recurrence,\nmemory", "unfolding", "foundations", 30),
    Notebook("02", "02_bptt", "Backpropagation through time", "BPTT", "gradients\nthrough time",
             "bptt", "foundations", 30),
    Notebook("03", "03_vanishing_exploding", "Vanishing and exploding gradients",
             "vanishing /\nexploding", "Jacobian\nproducts", "gradients", "gradients", 30),
    Notebook("04", "04_gradient_clipping", "Gradient clipping", "gradient\nclipping",
             "norm vs\nvalue", "clipping", "gradients", 30),
    Notebook("05", "05_lstm_gru_gates", "LSTM and GRU gates", "LSTM and\nGRU gates",
             "one step\nat a time", "gates", "gated cells", 60),
    Notebook("06", "06_long_range_memory", "Long-range memory in practice", "long-range\nmemory",
             "RNN vs\nLSTM vs GRU", "memory", "gated cells", 60),
    Notebook("07", "07_architectures", "Architectures: five shapes, bidirectional and stacked RNNs",
             "architectures", "stacked,\nbidirectional", "architectures", "putting it to work", 60),
    Notebook("08", "08_char_language_model", "A character-level language model", "character\nLM",
             "train and\nsample", "language_model", "putting it to work", 60),
    Notebook("09", "09_attention", "Attention: past the fixed-size bottleneck", "attention",
             "bottleneck,\nalignment", "attention", "toward attention", 60),
    Notebook("10", "10_decoding", "Decoding: teacher forcing, greedy and beam search", "decoding",
             "greedy vs\nbeam search", "decoding", "toward attention", 60),
    Notebook("11", "11_inside", "Seeing inside a character model", "seeing\ninside",
             "units and\nconnectivity", "inside", "looking inside", 60),
    Notebook("12", "12_capstone", "Capstone: long-range memory with your own code", "capstone",
             "your own\nloop, 3 seeds", "capstone", "your own code", 60),
)


def stems() -> list[str]:
    """The notebooks' file stems in reading order."""
    return [nb.stem for nb in NOTEBOOKS]


def by_stem(stem: str) -> Notebook:
    """The registry entry of a notebook, by stem ("03_vanishing_exploding") or file name."""
    stem = stem.removesuffix(".ipynb").rsplit("/", 1)[-1]
    for nb in NOTEBOOKS:
        if nb.stem == stem:
            return nb
    raise KeyError(f"{stem!r} is not in the course registry (rnnlib/syllabus.py); "
                   f"registered: {', '.join(stems())}")


def _check_registry() -> None:
    names = {p.name for p in PARTS}
    numbers = [nb.number for nb in NOTEBOOKS]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise RuntimeError(f"notebook numbers must be unique and in order: {numbers}")
    for nb in NOTEBOOKS:
        if not nb.stem.startswith(nb.number + "_"):
            raise RuntimeError(f"{nb.stem} must start with its number {nb.number}_")
        if nb.part not in names:
            raise RuntimeError(f"{nb.stem}: unknown part {nb.part!r} (parts: {sorted(names)})")
    order = [nb.part for nb in NOTEBOOKS]
    seen = [p for k, p in enumerate(order) if k == 0 or order[k - 1] != p]
    if len(seen) != len(set(seen)):
        raise RuntimeError(f"each part's notebooks must be consecutive: {order}")


_check_registry()
