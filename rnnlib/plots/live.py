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
  when :meth:`LivePlot.background_key` says so; the last few backgrounds are kept, so a drag
  back over the same settings reuses them. An axis whose limits change on most frames
  can be marked with :meth:`LivePlot.follows` (``self.follows(ax.yaxis)``): the background
  without it is drawn once, and for each of its states (its limits) that background with the
  axis drawn on it is kept, so moving to a new state costs drawing the axis once, not the
  whole figure.
  :meth:`LivePlot.draw` returns the complete
  figure, drawn the ordinary way: the static figure beside each widget and the tests use it.
* :func:`encode_png`: an RGB PNG written with numpy and zlib at the fastest setting, about
  twice as fast as matplotlib's ``savefig`` encoder and lossless.

One difference between a frame and the complete figure: the moving artists are drawn on top of
the background, so a moving line that crosses a spine or a tick is drawn over it in a frame. A
legend can be kept on top (:meth:`LivePlot.on_top`): its pixels are pasted back over each frame,
so a line passing under it is hidden rather than seen through its half-transparent box.
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
        fig: the figure (None until the first call); builds, renders, backgrounds, frames: how
        many times the figure was built, drawn whole by Agg, a background composed, and a frame
        drawn (for tests and benchmarks).
        keep_backgrounds: how many backgrounds are kept (the most recently used), so a slider
        dragged back and forth over settings that move an axis draws each background once.
    """

    keep_backgrounds = 12

    def __init__(self):
        self.fig = None
        self._moving = []
        self._follows = []
        self._states = {}
        self._last = {}                                # the followers' states in the last frame
        self._on_top = []
        self._backgrounds = {}                         # key -> background, least recent first
        self._structure = None
        self.backgrounds = 0
        self.renders = 0
        self.builds = 0
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

    def on_top(self, artist, replaces=None):
        """Keep a still artist (a legend) above the moving ones: its pixels from the background
        are pasted back over every frame. Returns the artist."""
        self._on_top = [a for a in self._on_top if a is not replaces] + [artist]
        return artist

    def moving(self, *artists, replaces=None):
        """Mark artists as redrawn on every frame (an axis too: ``ax.yaxis``); returns the
        (first) artist. ``replaces``: an artist they take the place of (e.g. a legend made
        again), no longer drawn."""
        if replaces is not None:
            self._moving = [a for a in self._moving if a is not replaces]
        self._moving.extend(artists)
        self._moving.sort(key=lambda a: a.get_zorder())   # the order a full draw uses
        return artists[0]

    # -- what widgets and tests call ------------------------------------------------------------
    def structure_key(self, result, **values):
        """What decides the figure's artists themselves (how many boxes a diagram has, which
        decades an axis of text ticks shows...): when it changes, the figure is built again.
        None (the default): built once."""
        return None

    def _ensure(self, result, values):
        structure = self.structure_key(result, **values)
        if self.fig is None or structure != self._structure:
            if self.fig is not None:
                import matplotlib.pyplot as plt
                plt.close(self.fig)
            self._moving, self._follows, self._on_top = [], [], []
            self._backgrounds, self._states, self._last = {}, {}, {}
            self.fig = self.build(result, **values)
            self._structure = structure
            self.builds += 1
        return self.fig

    def draw(self, result, **values):
        """``(fig, alt)``: the complete figure for these values, every artist drawn the ordinary
        way (for ``show``, ``savefig`` and tests)."""
        self._ensure(result, values)
        alt = self.update(result, **values)
        return self.fig, alt

    def follows(self, *artists, state=None):
        """Artists that change with some values but stay put over many frames (an axis whose
        ticks follow the curves' decades, a legend naming a threshold): drawn once per state
        onto a copy of the background, which is kept (the last few), so a frame pastes it
        instead of drawing them. ``state()``: what of them can change (default, for an axis:
        its limits and scale)."""
        for a in artists:
            self._follows.append(a)
            self._states[id(a)] = state or (lambda a=a: (tuple(a.get_view_interval()),
                                                         a.get_scale()))
        return artists[0]

    def _draw_order(self, artists):
        """A sort key that orders artists as a full draw does: figure-level artists and axes by
        z-order, then within each axes its children by z-order, ties in the order they were
        added."""
        top = {id(a): k for k, a in enumerate(self.fig.get_children())}
        inner = {}
        for ax in {id(a.axes): a.axes for a in artists
                   if getattr(a, "axes", None) is not None}.values():
            inner.update({id(c): k for k, c in enumerate(ax.get_children())})

        def key(a):
            ax = getattr(a, "axes", None)
            if ax is None or ax is a:
                return (a.get_zorder(), top.get(id(a), 0), 0.0, 0)
            return (ax.get_zorder(), top.get(id(ax), 0), a.get_zorder(), inner.get(id(a), 0))
        return key

    def _axes_key(self, moving):
        """What of the axes the background shows: limits and scales (unless that axis, with
        its ticks, labels and grid, is among the ``moving`` artists), place and visibility."""
        moving = {id(a) for a in moving}
        key = []
        for ax in self.fig.axes:
            x = None if id(ax.xaxis) in moving else (tuple(ax.get_xlim()), ax.get_xscale())
            y = None if id(ax.yaxis) in moving else (tuple(ax.get_ylim()), ax.get_yscale())
            key.append((x, y, tuple(ax.get_position().bounds), ax.get_visible()))
        return tuple(key)

    def _with_spines(self, artists):
        """``artists`` and the spines of their axes, in a full draw's order (so a moving line
        meets a spine as in the complete figure)."""
        spines = [sp for a in artists if getattr(a, "axes", None) is not None
                  and a.axes.axison and a.axes.get_frame_on()
                  for sp in a.axes.spines.values() if sp.get_visible()]
        unique = list({id(a): a for a in list(artists) + spines}.values())
        return sorted(unique, key=self._draw_order(unique))

    def _cached(self, key):
        hit = self._backgrounds.pop(key, None)
        if hit is not None:
            self._backgrounds[key] = hit               # most recently used last
        return hit

    def _keep(self, key, saved):
        self._backgrounds[key] = saved
        while len(self._backgrounds) > self.keep_backgrounds:
            self._backgrounds.pop(next(iter(self._backgrounds)))

    def frame_rgba(self, result, **values):
        """``(pixels, alt)``: the frame for these values, drawn by blitting (a view of the
        canvas' buffer, valid until the next frame).

        Backgrounds are kept per state of the artists that follow a control: a frame pastes
        one and draws the moving artists. A new state is made from a background without the
        followers that changed (drawn by Agg once per state of the others) and those drawn on
        it."""
        self._ensure(result, values)
        alt = self.update(result, **values)
        canvas = agg_canvas(self.fig)
        extra = self.background_key(result, **values)
        moving = self._with_spines(self._moving)
        ids = {id(a) for a in moving}
        on_top = [a for a in self._on_top if a.get_visible() and id(a) not in ids]
        top_ids = tuple(id(a) for a in on_top)
        states = {id(a): self._states[id(a)]() for a in self._follows}
        key = ("composed", self._axes_key(moving), extra, tuple(states.values()), top_ids)
        saved = self._cached(key)
        if saved is None:
            # The followers that changed since the last frame are drawn on a background that
            # has the others (at their present state) but not them: a drag that moves one axis
            # redraws that axis only.
            changed = [a for a in self._follows
                       if states[id(a)] != self._last.get(id(a)) and id(a) not in ids]
            changed.sort(key=self._draw_order(changed))
            changed_ids = {id(a) for a in changed}
            still_on_top = [a for a in on_top if id(a) not in changed_ids]
            kept = tuple(states[id(a)] for a in self._follows if id(a) not in changed_ids)
            base_key = ("base", self._axes_key(moving + changed), extra, kept,
                        tuple(changed_ids), top_ids)
            base = self._cached(base_key)
            if base is None:
                animated = moving + changed
                for a in animated:
                    a.set_animated(True)
                try:
                    canvas.draw()
                    renderer = canvas.get_renderer()
                    base = (canvas.copy_from_bbox(self.fig.bbox),
                            [canvas.copy_from_bbox(a.get_window_extent(renderer).padded(1.0))
                             for a in still_on_top])
                finally:
                    for a in animated:
                        a.set_animated(False)
                self._keep(base_key, base)
                self.renders += 1
            else:
                canvas.restore_region(base[0])
            for a in changed:
                if a.get_visible():
                    self.fig.draw_artist(a)
            for region in base[1]:                     # a legend stays above a new grid
                canvas.restore_region(region)
            renderer = canvas.get_renderer()
            saved = (canvas.copy_from_bbox(self.fig.bbox),
                     base[1] + [canvas.copy_from_bbox(a.get_window_extent(renderer).padded(1.0))
                                for a in on_top if id(a) in changed_ids])
            self._keep(key, saved)
            self.backgrounds += 1
        else:
            canvas.restore_region(saved[0])
        self._last = states
        for a in moving:
            if a.get_visible():
                self.fig.draw_artist(a)
        for region in saved[1]:                        # e.g. a legend over a moving grid
            canvas.restore_region(region)
        self.frames += 1
        return np.asarray(canvas.buffer_rgba()), alt

    def frame(self, result, **values):
        """``(png, alt)``: the frame for these values as PNG bytes."""
        rgba, alt = self.frame_rgba(result, **values)
        return encode_png(rgba), alt


class PerStructure:
    """One :class:`LivePlot` per structure key, each built once: a slider that changes the
    structure (the number of steps in a diagram) goes back and forth between figures already
    built instead of building one on every frame.

    Args:
        make: ``make() -> LivePlot`` (a new, empty plot).
        keep: how many plots to keep (the most recently used).
        keep_frames: also keep this many finished frames by the controls' values (only for
            widgets whose picture depends on nothing but those values); 0: none.
    """

    def __init__(self, make, keep=16, keep_frames=0):
        self.make, self.keep, self.keep_frames = make, keep, keep_frames
        self._probe = make()
        self.plots, self._frames = {}, {}

    def _plot(self, result, values):
        key = self._probe.structure_key(result, **values)
        plot = self.plots.pop(key, None)
        if plot is None:
            plot = self.make()
            plot.keep_backgrounds = 4                  # several figures kept: fewer each
        self.plots[key] = plot                         # most recently used last
        while len(self.plots) > self.keep:
            old = self.plots.pop(next(iter(self.plots)))
            if old.fig is not None:
                import matplotlib.pyplot as plt
                plt.close(old.fig)
        return plot

    def draw(self, result, **values):
        """The complete figure (a new plot, as the static figure beside a widget needs)."""
        return self.make().draw(result, **values)

    def frame_rgba(self, result, **values):
        return self._plot(result, values).frame_rgba(result, **values)

    def frame(self, result, **values):
        key = tuple(sorted(values.items())) if self.keep_frames else None
        hit = self._frames.pop(key, None) if key is not None else None
        if hit is None:
            hit = self._plot(result, values).frame(result, **values)
        if key is not None:
            self._frames[key] = hit
            while len(self._frames) > self.keep_frames:
                self._frames.pop(next(iter(self._frames)))
        return hit
