"""Figures for the course: the only package that imports matplotlib.

``style.py`` holds the course style (colour-blind-safe palette, white faces) and ``show``, which
displays a figure with alt text. Each topic module draws the figures of one notebook.
"""

from .style import LINESTYLES, MARKERS, PALETTE, grid_figure, new_figure, show, use_course_style

__all__ = [
    "PALETTE",
    "LINESTYLES",
    "MARKERS",
    "grid_figure",
    "new_figure",
    "show",
    "use_course_style",
]
