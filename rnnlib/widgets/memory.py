"""The training widget of notebook 06: choose a task, a cell, a sequence length and a hidden
size, press Train, watch the learning curve grow; Stop, then Train again to resume.

Behind the buttons is :class:`rnnlib.demos.memory.Trainer`, which holds the model, Adam's state,
the random stream of batches and the history, so a resumed run continues exactly where it
stopped. Training runs in a background thread, so the kernel stays free to receive the Stop
button's click; the progress bar, the status line and the figure are updated from that thread
(ipywidgets sends trait changes from any thread).

Tests drive it headlessly: set a control's ``.value``, call ``train(blocking=True)`` (same
thread) or ``train()`` then ``join()``, ``stop()``, and read ``trainer()``, ``status.value``,
``progress.value``.
"""

from __future__ import annotations

import base64
import threading
import time

import ipywidgets as W

from ..demos.memory import CELLS, COPY_LENGTH, SOLVED_FRACTION, TASKS, Trainer, baseline
from ..plots.memory import CELL_LABEL, LearningCurveFigure
from ..plots.style import figure_png

LENGTHS = (10, 20, 30, 50, 100, 200)
HIDDEN_SIZES = (8, 16, 32, 64)
STEP_CHOICES = (250, 500, 1000, 2000, 4000)
MIN_COPY_T = 2 * COPY_LENGTH + 1   # no delay at all


class TrainingWidget:
    """Train a vanilla RNN, an LSTM or a GRU on a memory task, live, stoppable and resumable.

    Args:
        trainers: optional dict {(task, cell, T, H): Trainer} of runs already trained (the
            notebook passes the ones it trained, so their curves appear at once).
        task, cell, T, hidden_size, steps: the starting selection.
        redraw_every: steps between two figure updates while training.
        trainer_kwargs: passed to every new :class:`Trainer` (batch_size, lr, clip, seed, ...).

    Attributes:
        trainers: the dict of runs, shared with the caller; ``seconds``: how long the last
        redraw took (the callback of a control change).
    """

    def __init__(self, trainers=None, task="adding", cell="LSTM", T=50, hidden_size=16,
                 steps=1000, redraw_every=100, **trainer_kwargs):
        self.trainers = trainers if trainers is not None else {}
        self.trainer_kwargs = trainer_kwargs
        self.redraw_every = int(redraw_every)
        style = {"description_width": "initial"}
        self.controls = {
            "task": W.Dropdown(options=list(TASKS), value=task, description="task",
                               layout=W.Layout(width="150px"), style=style),
            "cell": W.Dropdown(options=[(CELL_LABEL[c], c) for c in CELLS], value=cell,
                               description="cell", layout=W.Layout(width="220px"), style=style),
            "T": W.Dropdown(options=sorted({*LENGTHS, int(T)}), value=int(T),
                            description="length T",
                            layout=W.Layout(width="150px"), style=style),
            "H": W.Dropdown(options=sorted({*HIDDEN_SIZES, int(hidden_size)}),
                            value=int(hidden_size), description="hidden size H",
                            layout=W.Layout(width="170px"), style=style),
            "steps": W.Dropdown(options=sorted({*STEP_CHOICES, int(steps)}), value=int(steps),
                                description="steps per click", layout=W.Layout(width="190px"),
                                style=style),
        }
        self.train_button = W.Button(description="Train", button_style="success", icon="play",
                                     tooltip="train the chosen setting (continues if trained)")
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop",
                                    disabled=True, tooltip="stop after the current step")
        self.progress = W.IntProgress(value=0, min=0, max=steps, description="progress",
                                      layout=W.Layout(width="420px"))
        self.status = W.HTML()
        self.output = W.Output(layout=W.Layout(height="300px", overflow="hidden"))
        self.figure = LearningCurveFigure()
        self.widget = W.VBox([
            W.HTML("<b>Train a recurrent network on a memory task, live</b>"),
            W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap")),
            W.HBox([self.train_button, self.stop_button, self.progress]),
            self.output, self.status])
        self._stop = threading.Event()
        self._stopped = False
        self._running = False
        self.error = None
        self._thread = None
        self._lock = threading.Lock()
        self.seconds = None
        self.train_button.on_click(lambda _b: self.train())
        self.stop_button.on_click(lambda _b: self.stop())
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    # ---- the selection ---------------------------------------------------------------------
    def key(self):
        v = {k: c.value for k, c in self.controls.items()}
        return (v["task"], v["cell"], int(v["T"]), int(v["H"]))

    def trainer(self, create=False):
        """The Trainer of the chosen setting (None if never trained, unless ``create``)."""
        key = self.key()
        if key not in self.trainers and create:
            task, cell, T, H = key
            self.trainers[key] = Trainer(cell=cell, T=T, hidden_size=H, task=task,
                                         **self.trainer_kwargs)
        return self.trainers.get(key)

    def _valid(self):
        task, _, T, _ = self.key()
        return not (task == "copy" and T < MIN_COPY_T)

    def _on_change(self, change):
        self._stopped = False
        self.error = None
        if change["owner"] is self.controls["steps"]:
            self.progress.max = int(change["new"])
        self.progress.value = 0
        self.redraw()

    # ---- drawing -----------------------------------------------------------------------------
    def runs(self):
        """(label, trainer) for every run of the chosen task and length, the chosen one first
        (None when it has not been trained yet)."""
        task, cell, T, H = self.key()
        chosen = (f"{CELL_LABEL[cell]}, H = {H}", self.trainers.get(self.key()))
        others = [(f"{CELL_LABEL[k[1]]}, H = {k[3]}", tr) for k, tr in sorted(self.trainers.items())
                  if k[0] == task and k[2] == T and k != self.key()]
        return [chosen] + others

    def redraw(self):
        """Redraw the figure and the status line for the current selection."""
        start = time.perf_counter()
        task, cell, T, H = self.key()
        with self._lock:
            if self._valid():
                tr = self.trainers.get(self.key())
                base = tr.baseline if tr else baseline(task, T)
                fig, alt = self.figure.draw(self.runs(), 0, base, SOLVED_FRACTION, task, T)
                png = figure_png(fig)
                self.output.outputs = ({
                    "output_type": "display_data",
                    "data": {"image/png": base64.b64encode(png).decode("ascii"),
                             "text/plain": f"[Figure: {alt}]"},
                    "metadata": {"image/png": {"alt": alt}}},)
        self.status.value = self.status_text()
        self.seconds = time.perf_counter() - start

    def status_text(self) -> str:
        task, cell, T, H = self.key()
        if not self._valid():
            return (f"The copy task needs T &ge; {MIN_COPY_T} ({COPY_LENGTH} symbols, the go "
                    f"marker, {COPY_LENGTH} answers). Choose a longer T.")
        tr = self.trainers.get(self.key())
        if tr is None:
            return (f"<b>{CELL_LABEL[cell]}, T = {T}, H = {H}</b>: not trained yet. "
                    "Press <b>Train</b>.")
        first = tr.first_solved_step()
        verdict = (f"<b>solved</b> (first below {SOLVED_FRACTION:g} &times; baseline at step "
                   f"{first})" if first >= 0 else "not solved yet")
        if self.error:
            running = f" &nbsp;<i>Training stopped with an error: {self.error}</i>"
        elif self.is_training():
            running = " &nbsp;<i>training&hellip;</i>"
        elif self._stopped:
            running = " &nbsp;<i>Stopped: press Train to continue from here.</i>"
        else:
            running = ""
        return (f"<b>{tr.name}</b>: {tr.steps_done} steps in {tr.seconds:.1f} s, held-out loss "
                f"{tr.final_eval():.4f} (baseline {tr.baseline:.4f}): {verdict}.{running}")

    # ---- training ----------------------------------------------------------------------------
    def is_training(self) -> bool:
        return self._running

    def train(self, steps=None, blocking=False):
        """Train the chosen setting for ``steps`` more steps (default: the dropdown's value).

        ``blocking=False`` (the button) trains in a background thread and returns it;
        ``blocking=True`` trains in the calling thread and returns the steps done."""
        if self.is_training() or not self._valid():
            return None
        steps = int(steps if steps is not None else self.controls["steps"].value)
        tr = self.trainer(create=True)
        self._stop.clear()
        self._stopped = False
        self._running = True
        self.progress.max, self.progress.value = steps, 0
        self._set_busy(True)
        if blocking:
            return self._worker(tr, steps)
        self._thread = threading.Thread(target=self._worker, args=(tr, steps), daemon=True)
        self._thread.start()
        return self._thread

    def _worker(self, tr, steps):
        done = 0
        self.error = None
        try:
            done = tr.run(steps, should_stop=self._stop.is_set, on_progress=self._on_progress,
                          progress_every=min(self.redraw_every, 25))
        except ValueError as err:    # e.g. a diverged run: show it, do not kill the thread
            self.error = str(err)
        finally:
            self._stopped = done < steps
            self._running = False
            self._set_busy(False)
            self.redraw()
        return done

    def _on_progress(self, tr, done, steps):
        self.progress.value = done
        if done % self.redraw_every == 0 or done == steps or self._stop.is_set():
            self.redraw()

    def stop(self):
        """Ask the running training to stop after its current step (it can be resumed)."""
        self._stop.set()

    def join(self, timeout=None):
        """Wait for a background training to finish (tests, scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _set_busy(self, busy):
        for c in self.controls.values():
            c.disabled = busy
        self.train_button.disabled = busy
        self.stop_button.disabled = not busy

    def show_static(self):
        """Display the figure and the status line of the current selection as plain outputs
        (what readers see on GitHub or without a kernel)."""
        from IPython.display import HTML, display

        from ..plots.style import show
        task, cell, T, H = self.key()
        tr = self.trainers.get(self.key())
        fig, alt = self.figure.draw(self.runs(), 0, tr.baseline if tr else baseline(task, T),
                                    SOLVED_FRACTION, task, T)
        show(fig, alt)
        display(HTML(self.status_text()))

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def training_widget(trainers=None, **kwargs) -> TrainingWidget:
    """The notebook's training widget (see :class:`TrainingWidget`)."""
    return TrainingWidget(trainers=trainers, **kwargs)
