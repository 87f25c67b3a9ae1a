"""Figures that follow a slider: built once, updated in place, rendered in a few milliseconds.

A widget redraws its figure on every step of a dragged slider, so a frame must be cheap. Building
a matplotlib figure from scratch (axes, ticks, text) and drawing it costs tens of milliseconds;
most of that is text, which does not change while a slider moves. Two tools here cut a frame to
the moving parts:

* :class:`LivePlot`: a figure built once. A subclass creates every artist in ``build`` and marks
  the ones that change on every frame (lines, the title) with :meth:`LivePlot.moving`;
  ``update`` moves them (``set_data``, ``set_ydata``, ``set_array``, ``set_text``) and returns
  the alt text. :meth:`LivePlot.frame` draws everything else once into a background image and,
  on later frames, pastes that image and draws only the moving artists on it ("blitting"). The
  background is drawn again only when it changes: when an axis moves (its limits or scale) or
  when :meth:`LivePlot.background_key` says so. :meth:`LivePlot.draw` returns the complete
  figure, drawn the ordinary way: the static figure beside each widget and the tests use it.
* :func:`encode_png`: an RGB PNG written with numpy and zlib at the fastest setting, about
  twice as fast as matplotlib's ``savefig`` encoder and lossless.

One difference between a frame and the complete figure: the moving artists are drawn on top of
the background, so a moving line that passes under a legend is drawn over it in a frame.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .style import DPI

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(rgba, level: int = 1) -> bytes:
    """An 8-bit RGB PNG of an image array (the alpha channel is dropped: figures are opaque).

    Args:
        rgba: (height, width, 3 or 4) uint8, e.g. ``canvas.buffer_rgba()``.
        level: zlib compression level (1: fastest; a plot is mostly flat colour, which
            compresses well even so).
    """
    a = np.asarray(rgba)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.dtype != np.uint8:
        raise ValueError(f"encode_png needs a (height, width, 3 or 4) uint8 array, got "
                         f"{a.shape} {a.dtype}")
    h, w = a.shape[:2]
    rows = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    rows[:, 0] = 0                                    # filter type 0 (none) on every row
    rows[:, 1:] = a[..., :3].reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)   # 8 bits, colour type 2 (RGB)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b""))


def agg_canvas(fig) -> FigureCanvasAgg:
    """The figure's Agg canvas (attached on first use), at the resolution of ``show``."""
    if fig.dpi != DPI:
        fig.set_dpi(DPI)
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    return canvas


def render_rgba(fig) -> np.ndarray:
    """Draw the whole figure; its pixels as an (height, width, 4) uint8 array (a view)."""
    canvas = agg_canvas(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def figure_frame(fig) -> bytes:
    """A whole figure drawn and encoded as a PNG (the path of widgets without a LivePlot).
    The figure is released from pyplot if pyplot holds it (as ``show`` does)."""
    import matplotlib.pyplot as plt
    png = encode_png(render_rgba(fig))
    plt.close(fig)
    return png


class LivePlot:
    """A figure built once and updated in place (see the module's docstring).

    Subclasses implement ``build(result, **values) -> Figure`` and
    ``update(result, **values) -> alt`` and mark moving artists with :meth:`moving` inside
    ``build``. ``result`` and ``values`` are a widget's ``compute`` result and its controls'
    values.

    Attributes:
        fig: the figure (None until the first call); backgrounds: how many times the background
        was drawn (for tests and benchmarks); frames: how many frames were drawn.
    """

    def __init__(self):
        self.fig = None
        self._moving = []
        self._background = None
        self._key = None
        self.backgrounds = 0
        self.frames = 0

    # -- what subclasses write ----------------------------------------------------------------
    def build(self, result, **values):  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, result, **values) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def background_key(self, result, **values):
        """Anything besides the axes' limits and scales that the background shows and that can
        change with the values (e.g. a legend's location); None if nothing."""
        return None

    def moving(self, *artists):
        """Mark artists as redrawn on every frame; returns the (first) artist."""
        self._moving.extend(artists)
        return artists[0]

    # -- what widgets and tests call ------------------------------------------------------------
    def _ensure(self, result, values):
        if self.fig is None:
            self.fig = self.build(result, **values)
            self._moving.sort(key=lambda a: a.get_zorder())
        return self.fig

    def draw(self, result, **values):
        """``(fig, alt)``: the complete figure for these values, every artist drawn the ordinary
        way (for ``show``, ``savefig`` and tests)."""
        self._ensure(result, values)
        alt = self.update(result, **values)
        return self.fig, alt

    def _axes_key(self):
        return tuple((tuple(ax.get_xlim()), tuple(ax.get_ylim()), ax.get_xscale(),
                      ax.get_yscale(), tuple(ax.get_position().bounds), ax.get_visible())
                     for ax in self.fig.axes)

    def frame_rgba(self, result, **values):
        """``(pixels, alt)``: the frame for these values, drawn by blitting (a view of the
        canvas' buffer, valid until the next frame)."""
        self._ensure(result, values)
        alt = self.update(result, **values)
        canvas = agg_canvas(self.fig)
        key = (self._axes_key(), self.background_key(result, **values))
        if self._background is None or key != self._key:
            for a in self._moving:
                a.set_animated(True)
            try:
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            finally:
                for a in self._moving:
                    a.set_animated(False)
            # the axes may have moved while drawing (e.g. a title re-placed): key after drawing
            self._key = (self._axes_key(), key[1])
            self.backgrounds += 1
        else:
            canvas.restore_region(self._background)
        for a in self._moving:
            if a.get_visible():
                self.fig.draw_artist(a)
        self.frames += 1
        return np.asarray(canvas.buffer_rgba()), alt

    def frame(self, result, **values):
        """``(png, alt)``: the frame for these values as PNG bytes."""
        rgba, alt = self.frame_rgba(result, **values)
        return encode_png(rgba), alt
