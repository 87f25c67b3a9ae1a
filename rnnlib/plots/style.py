"""The course's figure style and the one way figures are displayed.

* Colours: the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies.
* Curves that are compared differ in line style and marker as well as colour.
* White figure and axes faces, so plots stay readable in a dark JupyterLab theme.
* ``show(fig, alt)`` displays a PNG with alt text and closes the figure. The alt text is stored
  in the output's metadata (``scripts/build_site.py`` puts it on the site's ``<img>``; JupyterLab
  4 ignores it) and as the text/plain fallback, which text-only front ends show.

Every notebook calls ``use_course_style()`` once at the top.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("agg") if not matplotlib.get_backend().lower().startswith(("module://matplotlib_inline", "module://ipykernel")) else None  # noqa: E501
import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402

#: Okabe & Ito (2008): black, orange, sky blue, bluish green, yellow, blue, vermillion, purple
PALETTE = {
    "black": "#000000", "orange": "#E69F00", "skyblue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: the order curves take: strong contrasts first (yellow last: weak on white)
COLORS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "skyblue",
                               "black", "yellow")]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), "-", "--"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: a sequential colour map that is also colour-blind safe and prints in grey
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "PuOr"
DPI = 80


def use_course_style() -> None:
    """Set matplotlib's defaults for the course (idempotent)."""
    plt.rcParams.update({
        "axes.prop_cycle": cycler(color=COLORS) + cycler(linestyle=LINESTYLES),
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "legend.fontsize": 10,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "image.cmap": SEQUENTIAL_CMAP,
        "figure.constrained_layout.use": True,
        "lines.linewidth": 2.0,
        "lines.markersize": 5,
    })


def new_figure(ncols=1, nrows=1, width=8.0, height=3.6, gridspec_kw=None, subplot_kw=None,
               sharex=False, sharey=False, **fig_kwargs):
    """``plt.subplots`` in the course style, not attached to the notebook's inline display
    (so a figure appears once, through :func:`show`). ``fig_kwargs`` go to ``Figure``
    (e.g. ``layout="none"``: constrained layout roughly doubles the time a redraw takes, which
    matters in widgets)."""
    use_course_style()
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), **fig_kwargs)
    axes = fig.subplots(nrows, ncols, squeeze=True, sharex=sharex, sharey=sharey,
                        gridspec_kw=gridspec_kw, subplot_kw=subplot_kw)
    return fig, axes


def grid_figure(nrows=1, ncols=1, width=8.0, height=3.6, layout=None, spans=None,
                     **gridspec_kw):
    """A course-style figure whose axes sit on a grid with ``gridspec_kw`` (``width_ratios``,
    ``height_ratios``, ``left``, ``hspace``...) and may span several cells.

    Args:
        spans: optional list of grid slices, one axes each (e.g. ``[(0, slice(None)), (1, 0),
            (1, 1)]`` for one wide axes on top of two); default: one axes per cell.
        layout: ``"none"`` turns constrained layout off and places the axes by ``gridspec_kw``
            alone: the widgets use it, because constrained layout doubles the time a figure
            takes to render.

    Returns:
        fig and the axes (one axes, or a list in the order of ``spans`` / of the cells).
    """
    kwargs = {} if layout is None else {"layout": layout}
    fig, first = new_figure(width=width, height=height, **kwargs)   # reuse its axes: each new
    grid = fig.add_gridspec(nrows, ncols, **gridspec_kw)            # axes costs ~10 ms
    cells = spans if spans is not None else [(r, c) for r in range(nrows) for c in range(ncols)]
    axes = [first]
    first.set_subplotspec(grid[cells[0]])
    axes += [fig.add_subplot(grid[cell]) for cell in cells[1:]]
    return fig, (axes[0] if len(axes) == 1 else axes)


def figure_png(fig, fast=False) -> bytes:
    """The figure rendered to PNG bytes, with a white face. ``fast``: light compression, a few
    ms less per widget redraw for a somewhat larger image (widget images are never saved)."""
    buf = io.BytesIO()
    pil_kwargs = {"compress_level": 1} if fast else None
    # A figure made with layout="none" must stay so: savefig would otherwise apply the course
    # style's constrained layout, which roughly doubles the time of every later redraw.
    no_layout = fig.get_layout_engine() is None
    with plt.rc_context({"figure.constrained_layout.use": False} if no_layout else {}):
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white", pil_kwargs=pil_kwargs)
    return buf.getvalue()


def show(fig, alt: str, fast: bool = False) -> None:
    """Display ``fig`` as a PNG with alt text, then close it.

    Args:
        fig: a matplotlib Figure.
        alt: one or two sentences saying what the figure shows, for screen readers and for
            readers without images. Required.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("show() needs alt text: one or two sentences saying what the figure shows")
    from IPython.display import display
    png = figure_png(fig, fast=fast)
    plt.close(fig)
    bundle = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[Figure: {alt}]"}
    display(bundle, raw=True, metadata={"image/png": {"alt": alt}})
