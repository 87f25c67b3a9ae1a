#!/usr/bin/env python3
"""Time the frames of every slider of every course widget, in this process (no browser).

    .venv/bin/python benchmarks/bench_widgets.py [--steps 40] [--json artifacts/bench_widgets.json]

A drag is imitated: each slider is moved through its stops in order, or ``--steps`` of them
evenly spaced when it has more (its other controls at their defaults), and every frame is timed
in three parts: ``compute`` (rnnlib's numbers), ``draw`` (the figure updated and rendered by
Agg, by blitting where the widget has a LivePlot) and ``encode`` (the PNG). The median wall-
clock time and the median CPU time of this thread per frame are printed as a Markdown table,
with the load average: on a shared machine the wall-clock times grow with the load, the CPU
times much less. What the browser adds (the message to the kernel and back, decoding and
painting) is measured by tests/test_browser.py.

A widget that draws frames ahead (``LiveFigure(warm=...)``: 01's and 07's figures per number
of steps) is timed after it has done so, as a kernel does in its idle moments after showing it.

Notebook 08's sampler needs trained models; it is timed here with untrained models of the
notebook's size (sampling costs the same). Notebook 06's training widget has no sliders.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 20.0


def factories():
    """(notebook, name, factory) of every LiveFigure with sliders in the course."""
    from rnnlib.widgets import architectures, bptt, clipping, gates, gradients, unfolding
    out = [("00", "sharing_cost_widget", unfolding.sharing_cost_widget),
           ("01", "unfolding_widget", unfolding.unfolding_widget),
           ("02", "loss_placement_widget", bptt.loss_placement_widget),
           ("03", "gradient_decay_widget", gradients.gradient_decay_widget),
           ("03", "spectral_radius_widget", gradients.spectral_radius_widget),
           ("04", "cliff_widget", clipping.cliff_widget),
           ("05", "gate_widget", gates.gate_widget),
           ("07", "architecture_explorer", architectures.architecture_explorer)]
    out.append(("08", "sampling_widget", _sampler))
    return out


def _sampler():
    from rnnlib.demos import language_model as lm
    from rnnlib.widgets.language_model import sampling_widget
    corpus = lm.load_corpus()
    models = {name: lm.make_model(cell, corpus.vocab.size, 128, seed=0)
              for name, cell in (("vanilla RNN", "rnn"), ("LSTM", "lstm"))}
    return sampling_widget(models, corpus.vocab, prime="The river ")


def slider_values(control, steps):
    """The values a steady drag over the whole slider passes, in order: every stop of the
    slider, or ``steps`` of them evenly spaced when it has more (a drag at a real speed skips
    stops too). No value repeats: a value that does not change sends no change, so it costs
    no frame in a real drag either."""
    if hasattr(control, "options") and not hasattr(control, "min"):      # SelectionSlider
        stops = [o[1] if isinstance(o, tuple) else o for o in control.options]
    else:
        lo, hi = control.min, control.max
        step = getattr(control, "step", None) or 0.01
        n = int(round((hi - lo) / step)) + 1
        stops = [lo + k * step for k in range(n)]
        stops = ([int(round(v)) for v in stops] if isinstance(control.value, int)
                 else [round(v, 10) for v in stops])
    if len(stops) > steps:
        idx = sorted({round(k * (len(stops) - 1) / (steps - 1)) for k in range(steps)})
        stops = [stops[i] for i in idx]
    return stops


def is_slider(control) -> bool:
    return type(control).__name__.endswith("Slider")


def _ms(seconds):
    return 1e3 * seconds


def time_slider(live, name, values):
    """Per-frame times (ms) for moving control ``name`` through ``values``."""
    from rnnlib.plots.live import encode_png
    base = live.current_values()
    rows = []
    updater = live.updater
    for v in values:
        vals = {**base, name: v}
        w0, c0 = time.perf_counter(), time.thread_time()
        result = live.compute(**vals)
        w1 = time.perf_counter()
        if updater is not None and hasattr(updater, "frame_rgba"):
            rgba, _alt = updater.frame_rgba(result, **vals)
        else:
            from rnnlib.plots.live import render_rgba
            fig, _alt = (updater or live.draw)(result, **vals)
            rgba = render_rgba(fig)
        w2 = time.perf_counter()
        png = encode_png(rgba)
        w3, c3 = time.perf_counter(), time.thread_time()
        rows.append({"compute": _ms(w1 - w0), "draw": _ms(w2 - w1), "encode": _ms(w3 - w2),
                     "total": _ms(w3 - w0), "cpu": _ms(c3 - c0), "kB": len(png) / 1024})
    return rows


def run(steps=40):
    from rnnlib.plots import use_course_style
    use_course_style()
    results = []
    for nb, wname, factory in factories():
        with contextlib.redirect_stdout(io.StringIO()):
            live = factory()
            live.update()                                     # warm-up: build, fonts, caches
            live.prepare()            # the frames a kernel draws ahead after showing the widget
        for cname, control in live.controls.items():
            if not is_slider(control) or control.disabled:
                continue
            values = slider_values(control, steps)
            time_slider(live, cname, values[:1])              # warm-up of this slider
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            rows = time_slider(live, cname, values)
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            results.append({"notebook": nb, "widget": wname, "slider": cname,
                            "frames": len(rows), "load": round(load, 1),
                            "live": bool(getattr(control, "continuous_update", True)),
                            **{f"{k}_ms" if k != "kB" else k: round(v, 2) for k, v in med.items()}})
    return results


def markdown(results) -> str:
    lines = ["| notebook | widget | slider | compute | draw | encode | frame (wall) | frame (CPU) "
             "| PNG | load |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['notebook']} | `{r['widget']}` | {r['slider']} | "
                     f"{r['compute_ms']:.1f} | {r['draw_ms']:.1f} | {r['encode_ms']:.1f} | "
                     f"**{r['total_ms']:.1f}** | {r['cpu_ms']:.1f} | {r['kB']:.0f} kB | "
                     f"{r['load']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--json", default=str(ROOT / "artifacts" / "bench_widgets.json"))
    args = parser.parse_args(argv)
    results = run(args.steps)
    print(f"Median per frame in ms (target: {TARGET_MS:g} ms wall-clock on an idle machine); "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(markdown(results))
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"target_ms": TARGET_MS, "rows": results}, indent=1))
    (path.with_suffix(".md")).write_text(markdown(results) + "\n")
    print(f"wrote {path} and {path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
