"""Widgets for notebook 07: the architecture explorer."""

from __future__ import annotations

import html

import ipywidgets as W

from ..demos.architectures import ARCHITECTURES, build_architecture
from ..plots.architectures import ArchitecturePlot, architecture_figure
from ..plots.live import PerStructure
from ._base import LiveFigure

#: which lengths each kind reads from the sliders
_USES = {"one-to-one": (False, False), "one-to-many": (False, True),
         "many-to-one": (True, False), "many-to-many": (True, False),
         "encoder-decoder": (True, True), "bidirectional": (True, False),
         "stacked": (True, False)}
_NOTES = {
    "one-to-one": "T_x = T_y = 1 by definition: an MLP. W_hh exists but multiplies h_0 = 0.",
    "one-to-many": "T_x = 1: the vector enters at step 1 (zeros after); T_y outputs.",
    "many-to-one": "T_y = 1: one output, from the last hidden state h_T.",
    "many-to-many": "T_y = T_x: an output (and a loss) at every step.",
    "encoder-decoder": "T_x and T_y independent: the encoder's last state starts the decoder.",
    "bidirectional": "T_y = T_x: every output sees the forward state h_t and the backward g_t.",
    "stacked": "T_y = T_x: two layers; layer 2 reads layer 1's hidden states.",
}


def explorer_compute(kind, cell, T_x, T_y, D, H, O):
    """Build and run the chosen network (B = 2); see
    :func:`rnnlib.demos.architectures.build_architecture`."""
    return build_architecture(kind, cell.lower(), T_x=T_x, T_y=T_y, D=D, H=H, O=O, B=2)


def explorer_draw(arch, **_):
    return architecture_figure(arch)


def explorer_readout(arch, **_):
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td><code>{symbols}</code></td>"
                   f"<td><code>{tuple(shape)}</code></td></tr>"
                   for name, shape, symbols in arch.stages)
    parts = " + ".join(f"{name} {n:,}" for name, n in arch.num_params.items())
    return (f"<div style='font-size:13px'>{html.escape(_NOTES[arch.kind])}<br>"
            f"<b>parameters</b>: {parts} = <b>{arch.total:,}</b> "
            f"(D = {arch.D}, H = {arch.H}, O = {arch.O}; no term depends on T)"
            f"<table style='margin-top:4px'><tr><th align='left'>array (time-major, B = {arch.B})"
            f"</th><th align='left'>shape</th><th align='left'>here</th></tr>{rows}</table></div>")


def architecture_explorer(kind="many-to-one", cell="RNN", T_x=5, T_y=3, D=3, H=8, O=2):
    """Pick an architecture, a cell and the sizes; the unrolled diagram, the array shapes at
    every stage and the parameter count (from the modules' ``num_params()``) follow.

    Sliders a kind does not use (T_x for one-to-many, ...) are greyed out.
    """
    style = {"description_width": "initial"}
    slider = dict(style=style, layout=W.Layout(width="210px"))
    controls = {
        "kind": W.Dropdown(options=list(ARCHITECTURES), value=kind, description="architecture",
                           style=style, layout=W.Layout(width="280px")),
        "cell": W.Dropdown(options=["RNN", "LSTM", "GRU"], value=cell, description="cell",
                           style=style, layout=W.Layout(width="140px")),
        "T_x": W.IntSlider(value=T_x, min=1, max=8, description="T_x", **slider),
        "T_y": W.IntSlider(value=T_y, min=1, max=8, description="T_y", **slider),
        "D": W.IntSlider(value=D, min=1, max=10, description="D (input size)", **slider),
        "H": W.IntSlider(value=H, min=1, max=64, description="H (hidden size)", **slider),
        "O": W.IntSlider(value=O, min=1, max=10, description="O (output size)", **slider),
    }

    def grey_out(change=None):
        uses_x, uses_y = _USES[controls["kind"].value]
        controls["T_x"].disabled = not uses_x
        controls["T_y"].disabled = not uses_y

    controls["kind"].observe(grey_out, names="value")
    grey_out()
    return LiveFigure(controls, explorer_compute, explorer_draw, explorer_readout,
                      height="330px", title="Architecture explorer",
                      update=PerStructure(ArchitecturePlot, keep=24, keep_frames=64),
                      warm=[{name: t} for name in ("T_x", "T_y")
                            for t in range(controls[name].min, controls[name].max + 1)])
