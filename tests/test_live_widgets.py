"""Live widgets, headless: latest-wins redraws, the frame that ends a drag, PNG frames, and
frames drawn by blitting against the complete figure.

Inside a running kernel a control change is drawn "soon", on the kernel's asyncio loop; here an
asyncio loop plays the kernel: values set without yielding to it are one burst of messages.
No test here measures time (benchmarks/bench_widgets.py does).
"""
from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from rnnlib.plots import use_course_style
from rnnlib.plots.live import LivePlot, agg_canvas, encode_png, render_rgba
from rnnlib.plots.style import figure_png
from rnnlib.widgets import LiveFigure

use_course_style()


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def differing(a, b, masks=()) -> float:
    """The fraction of pixels that differ visibly (more than 8 levels in a channel), leaving out
    the ``masks``: (x0, y0, x1, y1) boxes in pixels from the bottom left (matplotlib's)."""
    assert a.shape == b.shape
    differ = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 8
    h = differ.shape[0]
    for x0, y0, x1, y1 in masks:
        differ[max(0, int(h - y1) - 2):int(h - y0) + 2, max(0, int(x0) - 2):int(x1) + 2] = False
    return float(differ.mean())


def legend_boxes(fig):
    """Where the figure's legends are (a frame pastes a legend over the moving lines, which in
    the complete figure show through its half-transparent box)."""
    renderer = agg_canvas(fig).get_renderer()
    return [tuple(ax.get_legend().get_window_extent(renderer).extents) for ax in fig.axes
            if ax.get_legend() is not None]


#: a frame draws its moving artists on top of the background, so where a line crosses a spine
#: or a tick the two pictures differ in a few pixels (a stale tick label or title would differ
#: in a hundred or more)
BLIT_TOLERANCE = 0.0005
#: the same few pixels in the small figure of the demo plot below (its markers sit on the spines)
SMALL_TOLERANCE = 0.003


# -- a small LiveFigure over plain functions --------------------------------------------------

class LinePlot(LivePlot):
    """y = a x^p on fixed axes; the title moves with the values."""

    def build(self, result, a, p):
        from rnnlib.plots import new_figure
        fig, ax = new_figure(width=4, height=2.5, layout="none")
        self.ax = ax
        self.line = self.moving(ax.plot(result["x"], result["y"], marker="o")[0])
        self.title = self.moving(ax.set_title(""))
        ax.set(xlim=(0, 1), ylim=(0, 3), xlabel="x", ylabel="y")
        return fig

    def update(self, result, a, p):
        self.line.set_data(result["x"], result["y"])
        self.title.set_text(f"a = {a:.2f}, p = {p}")
        return f"The curve y = {a:.2f} x^{p}."


def compute(a, p):
    x = np.linspace(0, 1, 21)
    return {"x": x, "y": a * x ** p}


def draw(result, a, p):
    return LinePlot().draw(result, a=a, p=p)


def make(**kw):
    import ipywidgets as W
    controls = {"a": W.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1),
                "p": W.IntSlider(value=1, min=1, max=4)}
    return LiveFigure(controls, compute, draw, readout=lambda r, a, p: f"a = {a:.2f}",
                      height="200px", title="demo", update=LinePlot(), **kw)


def expected_frame(a, p) -> bytes:
    """The frame a fresh widget draws for these values."""
    live = make()
    live.controls["a"].value, live.controls["p"].value = a, p
    return live.image.value


def run_in_loop(coro_fn):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro_fn())
    finally:
        loop.close()


# -- latest wins -------------------------------------------------------------------------------

def test_outside_a_running_loop_every_change_is_drawn_at_once():
    live = make()
    live.update()
    first = live.image.value
    live.controls["a"].value = 2.0
    assert live.frames == 2 and live.changes == 1
    assert live.image.value != first and live.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert live.readout_html == "a = 2.00" and live.alt == "The curve y = 2.00 x^1."
    # one HTML widget under the plot: the readout, then the alt text for screen readers only
    visible, hidden = live.readout.value.split("<span", 1)
    assert visible == "a = 2.00" and "Figure: The curve y = 2.00 x^1.</span>" in hidden
    assert "clip:rect(0,0,0,0)" in hidden


def test_a_burst_of_values_is_drawn_once_with_the_newest():
    live = make()
    live.update()
    shown = []
    live.image.observe(lambda ch: shown.append(ch["new"]), names="value")

    async def drag():
        for v in np.arange(1.1, 2.55, 0.1):            # 15 messages before the loop runs again
            live.controls["a"].value = round(float(v), 1)
        assert live.frames == 1                         # nothing drawn yet: all pending
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    run_in_loop(drag)
    assert live.changes == 15
    assert live.frames == 2                             # the first frame and one for the burst
    assert live._values == {"a": 2.5, "p": 1}
    assert len(shown) == 1 and shown[-1] == expected_frame(2.5, 1)
    assert live.readout_html == "a = 2.50"


def test_a_slow_drag_draws_every_value_and_ends_on_the_last():
    """Values that arrive one at a time (the loop runs in between) are all drawn, in order; the
    last frame is the final value's figure and nothing is drawn after it."""
    live = make()
    live.update()
    shown = []
    live.image.observe(lambda ch: shown.append(ch["new"]), names="value")
    values = [1.2, 1.5, 1.9, 2.4, 2.0]

    async def drag():
        for v in values:
            live.controls["a"].value = v
            await asyncio.sleep(0)
        for _ in range(5):                              # give a stale frame every chance
            await asyncio.sleep(0)

    run_in_loop(drag)
    assert live.frames == 1 + len(values)
    assert len(shown) == len(values) and len(set(shown)) == len(values)
    assert shown[-1] == expected_frame(2.0, 1)


def test_two_controls_changed_together_give_one_frame():
    live = make()
    live.update()

    async def both():
        live.controls["a"].value = 0.5
        live.controls["p"].value = 3
        await asyncio.sleep(0)

    run_in_loop(both)
    assert live.frames == 2 and live.image.value == expected_frame(0.5, 3)


def test_reading_the_result_draws_a_pending_change():
    live = make()

    async def set_and_read():
        live.controls["a"].value = 3.0
        return live.result["y"][-1], live.values["a"]

    assert run_in_loop(set_and_read) == (3.0, 3.0)


def test_an_error_in_a_deferred_frame_is_shown_in_the_readout():
    live = make()
    live.update()

    def broken(a, p):
        if a > 2.5:
            raise ValueError("a too large for this demo")
        return compute(a, p)

    live.compute = broken

    async def drag():
        live.controls["a"].value = 2.8
        await asyncio.sleep(0)

    run_in_loop(drag)
    assert isinstance(live.error, ValueError)
    assert "a too large for this demo" in live.readout_html
    live.controls["a"].value = 1.0                      # and the widget recovers
    assert live.error is None and live.readout_html == "a = 1.00"


def test_coalesce_false_draws_every_change_even_in_a_loop():
    live = make(coalesce=False)

    async def drag():
        for v in (1.1, 1.2, 1.3):
            live.controls["a"].value = v

    run_in_loop(drag)
    assert live.frames == 3


def test_a_widget_without_a_fast_path_still_draws_frames():
    import ipywidgets as W
    live = LiveFigure({"a": W.FloatSlider(value=1.0)}, lambda a: compute(a, 2),
                      lambda r, a: draw(r, a=a, p=2))
    live.update()
    before = live.image.value
    live.controls["a"].value = 0.5
    assert live.image.value != before and live.frames == 2
    assert np.array_equal(decode(live.image.value),
                          decode(figure_png(draw(compute(0.5, 2), a=0.5, p=2)[0])))


# -- frames drawn ahead --------------------------------------------------------------------------

def _warm_in_loop(live, during=None):
    """Show ``live`` as a kernel would (first frame, then warming on the loop), run the loop
    until the warming is done; ``during(live)`` is called after the first frame drawn ahead."""
    async def run():
        live.update()
        live._start_warming()
        called = False
        for _ in range(400):
            await asyncio.sleep(0.01)
            if during is not None and not called and live.warmed:
                during(live)
                called = True
            if not live._warm_queue and not live._pending:
                break
    run_in_loop(run)


def test_structures_are_drawn_ahead_in_idle_time_and_nothing_is_sent():
    from rnnlib.widgets.unfolding import UNFOLD_T_MAX, unfolding_widget
    live = unfolding_widget()
    shown = []
    live.image.observe(lambda ch: shown.append(ch["new"]), names="value")
    _warm_in_loop(live)
    assert live.warmed == UNFOLD_T_MAX and live.frames == 1 and len(shown) == 1
    plots = live.updater.plots
    assert len(plots) == UNFOLD_T_MAX                  # one figure per number of steps, built
    builds = {key: plot.builds for key, plot in plots.items()}
    for T in range(1, UNFOLD_T_MAX + 1):                # a drag over T now builds nothing
        live.controls["T"].value = T
    assert {key: plot.builds for key, plot in live.updater.plots.items()} == builds
    assert_shows_complete_figure(live)


def assert_shows_complete_figure(live):
    """The frame shown is the complete figure for the controls' values (see BLIT_TOLERANCE)."""
    values = live.current_values()
    fig, _alt = live.draw(live.compute(**values), **values)
    shown, full = decode(live.image.value), decode(figure_png(fig))
    assert differing(shown, full, legend_boxes(fig)) < BLIT_TOLERANCE


def test_a_change_during_warming_is_drawn_first_and_last_frame_is_its_own():
    from rnnlib.widgets.unfolding import unfolding_widget
    live = unfolding_widget()

    def move(live):
        live.controls["w"].value = 1.2
        live.controls["T"].value = 3

    _warm_in_loop(live, during=move)
    assert live.frames == 2 and live._values["T"] == 3 and live._values["w"] == 1.2
    assert live.warmed == len(live._warm)               # warming went on after the change
    assert_shows_complete_figure(live)


def test_outside_a_kernel_nothing_is_drawn_ahead():
    from rnnlib.widgets.unfolding import unfolding_widget
    live = unfolding_widget()
    live.update()
    live._start_warming()                               # no running loop: nothing scheduled
    assert live.warmed == 0 and not live._warm_queue
    live.prepare()                                      # unless asked for (benchmarks)
    assert live.warmed == len(live._warm) == len(live.updater.plots)


# -- frames ------------------------------------------------------------------------------------

def test_encode_png_round_trips_and_rejects_bad_arrays():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    assert np.array_equal(decode(encode_png(rgba)), rgba[..., :3])
    assert np.array_equal(decode(encode_png(rgba[..., :3])), rgba[..., :3])
    with pytest.raises(ValueError, match="uint8"):
        encode_png(rgba.astype(float))
    with pytest.raises(ValueError, match="height, width"):
        encode_png(rgba[..., 0])


def test_blitted_frames_equal_the_complete_figure():
    plot = LinePlot()
    for a, p in [(1.0, 1), (2.5, 1), (0.3, 4), (2.5, 1)]:
        rgba, alt = plot.frame_rgba(compute(a, p), a=a, p=p)
        full = render_rgba(LinePlot().draw(compute(a, p), a=a, p=p)[0])
        assert differing(rgba, full) < SMALL_TOLERANCE, (a, p)
        assert alt == f"The curve y = {a:.2f} x^{p}."
    assert plot.backgrounds == 1 and plot.frames == 4   # fixed axes: one background


def test_the_background_is_redrawn_when_an_axis_moves():
    plot = LinePlot()
    plot.frame_rgba(compute(1.0, 1), a=1.0, p=1)
    plot.ax.set_ylim(0, 10)
    rgba, _ = plot.frame_rgba(compute(1.0, 1), a=1.0, p=1)
    assert plot.backgrounds == 2
    fresh = LinePlot()
    fresh.draw(compute(1.0, 1), a=1.0, p=1)
    fresh.ax.set_ylim(0, 10)
    assert differing(rgba, render_rgba(fresh.fig)) < SMALL_TOLERANCE
    assert differing(rgba, render_rgba(LinePlot().draw(compute(1.0, 1), a=1.0, p=1)[0])) > 0.01


# -- the course's widgets: every frame is the complete figure for its values -------------------

def _sampler():
    from rnnlib.demos import language_model as lm
    from rnnlib.widgets.language_model import sampling_widget
    vocab = lm.load_corpus().vocab
    models = {cell: lm.make_model(cell, vocab.size, 12, seed=3) for cell in ("rnn", "lstm")}
    return sampling_widget(models, vocab, length=20)


def _course_cases():
    from rnnlib.widgets import architectures as warch
    from rnnlib.widgets import bptt as wbptt
    from rnnlib.widgets import clipping as wclip
    from rnnlib.widgets import gates as wgates
    from rnnlib.widgets import gradients as wgrad
    from rnnlib.widgets import unfolding as wunf
    return {
        "unfolding.sharing_cost_widget": (wunf.sharing_cost_widget, [
            {"T": 150}, {"H": 40}, {"H": 1}, {"T": 1}, {"H": 64, "T": 200}, {"T": 21}]),
        "architectures.architecture_explorer": (warch.architecture_explorer, [
            {"H": 20}, {"T_x": 7}, {"D": 9}, {"kind": "encoder-decoder"}, {"T_y": 5},
            {"cell": "LSTM", "O": 4}, {"kind": "stacked", "H": 3}, {"T_x": 2},
            {"kind": "bidirectional"}, {"H": 64}]),
        "bptt.loss_placement_widget": (wbptt.loss_placement_widget, [
            {"rho": 1.2}, {"k": 3}, {"rho": 0.5}, {"loss_4": False}, {"k": 10},
            {"loss_10": False, "k": 4}, {"rho": 1.5}]),
        "clipping.cliff_widget": (wclip.cliff_widget, [
            {"max_norm": 0.5}, {"lr": 0.7}, {"max_norm": 20.0}, {"lr": 0.01}, {"max_norm": 0.5},
            {"lr": 1.0, "max_norm": 0.05}, {"lr": 0.2, "max_norm": 1.0}]),
        "gates.gate_widget": (wgates.gate_widget, [
            {"f": 0.97}, {"r": 0.7}, {"z": 0.5}, {"i": 0.01}, {"o": 0.99}, {"f": 0.01}]),
        "language_model.sampling_widget": (_sampler, [
            {"temperature": 1.5}, {"temperature": 0.0}, {"model": "rnn"}, {"prime": "The rain"},
            {"temperature": 0.35}]),
        "unfolding.unfolding_widget": (wunf.unfolding_widget, [
            {"w": 0.95}, {"w": 1.5}, {"nonlinearity": "linear"}, {"T": 12}, {"w": 0.0},
            {"nonlinearity": "relu", "w": 1.2}, {"T": 1}, {"T": 5, "nonlinearity": "sigmoid"}]),
        "gradients.gradient_decay_widget": (wgrad.gradient_decay_widget, [
            {"w": 1.2}, {"w": 0.7}, {"T": 200}, {"w": 2.0}, {"nonlinearity": "tanh"},
            {"w": 0.5, "nonlinearity": "relu"}, {"T": 3}, {"w": 1.0, "nonlinearity": "linear"}]),
        "gradients.spectral_radius_widget": (wgrad.spectral_radius_widget, [
            {"rho": 1.2}, {"rho": 0.6}, {"nonlinearity": "tanh"}, {"input_scale": 3.0},
            {"bias": 4.0}, {"network": "pair"}, {"rho": 1.9}, {"bias": 0.5},
            {"nonlinearity": "linear"}, {"network": "random", "rho": 1.0}]),
    }


COURSE_CASES = _course_cases()


@pytest.mark.parametrize("name", sorted(COURSE_CASES))
def test_course_widget_frames_show_the_complete_figure(name):
    """Drive a widget through settings that move its axes, legend and marks; after each, the
    frame it shows (drawn by blitting on a figure built once) must be the figure ``draw``
    builds from scratch for the same values, and a new setting must give a new picture."""
    import contextlib
    import io as _io
    factory, settings = COURSE_CASES[name]
    with contextlib.redirect_stdout(_io.StringIO()):
        live = factory()
        live.update()
    previous = live.image.value
    for setting in settings:
        for control, value in setting.items():
            live.controls[control].value = value
        values = live.current_values()
        fig, alt = live.draw(live.compute(**values), **values)
        assert live.alt == alt, setting
        shown, full = decode(live.image.value), decode(figure_png(fig))
        masks = legend_boxes(fig)
        assert differing(shown, full, masks) < BLIT_TOLERANCE, (setting,
                                                                differing(shown, full, masks))
        assert live.image.value != previous, setting
        previous = live.image.value
