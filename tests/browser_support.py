"""JupyterLab driven by headless Chromium: the machinery behind tests/test_browser.py.

* :class:`LabServer` starts one JupyterLab on 127.0.0.1 with a random token, in a throw-away
  folder that holds a *copy* of the notebooks (the committed files are never opened, so nothing
  can be autosaved over them) and every Jupyter, IPython, matplotlib and browser setting folder
  (nothing is written to the home folder). ``stop()`` shuts the kernels down through the REST API,
  stops the server and then checks that no process it started is left.
* :func:`launch_browser` starts Debian's Chromium through Playwright (never a browser download).
* :class:`LabNotebook` is one notebook open in a page: run all, wait, find errors, find the
  widgets, step a slider and wait for the redrawn plot.

Selectors are JupyterLab 4 / ipywidgets 8 (see /work/shared/notes/jupyter-testing-facts.md).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# JupyterLab settings for a quiet, deterministic page: no news toast, no update check, no autosave
# (we never want a save), every cell kept in the DOM (windowing off), no confirm dialogs.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/application-extension/layout.jupyterlab-settings": {},
}
STATUS_BAR = "#jp-main-statusbar"
ERROR_TEXTS = (
    "Error displaying widget",
    "Model not found",
    "Javascript Error",
    "Traceback (most recent call last)",
)


def chromium_path() -> str | None:
    """Debian's Chromium (or $COURSE_CHROMIUM), or None when there is none."""
    for candidate in (
        os.environ.get("COURSE_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e .[dev] installs it)"
    if chromium_path() is None:
        return "no Chromium found (/usr/bin/chromium; on Debian/Ubuntu: apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(home: pathlib.Path) -> dict:
    """os.environ with every config/data/cache folder of Jupyter, IPython, matplotlib and the
    browser moved under ``home`` (a temporary folder)."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel then draws inline
    dirs = {
        "HOME": "home",
        "XDG_CONFIG_HOME": "home/.config",
        "XDG_CACHE_HOME": "home/.cache",
        "XDG_DATA_HOME": "home/.local/share",
        "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "JUPYTERLAB_SETTINGS_DIR": "jupyter/lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "jupyter/lab-workspaces",
        "IPYTHONDIR": "ipython",
        "MPLCONFIGDIR": "mpl",
    }
    for var, sub in dirs.items():
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on stderr
    return env


def _processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (Linux /proc)."""
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


class LabServer:
    """One JupyterLab server for a test session, on a copy of the given folders.

    Args:
        copies: {name inside the server's root: source folder}; each is copied (notebooks and
            the helper modules beside them).
        python: the interpreter that runs JupyterLab (its kernel is the same environment).
    """

    def __init__(self, copies: dict, python: str = sys.executable):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="course-browser-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        for name, src in copies.items():
            shutil.copytree(
                src,
                self.root / name,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            )
        self.env = isolated_env(self.tmp)
        settings = pathlib.Path(self.env["JUPYTERLAB_SETTINGS_DIR"])
        for rel, values in LAB_SETTINGS.items():
            (settings / rel).parent.mkdir(parents=True, exist_ok=True)
            (settings / rel).write_text(json.dumps(values))
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.python = python
        self.proc = None
        self.log_path = self.tmp / "server.log"

    def start(self, timeout=60.0):
        cmd = [
            self.python,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=False",
        ]
        if getattr(os, "geteuid", lambda: -1)() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.proc.returncode}:\n{self.log()}"
                )
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self, tail=4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def api(self, method, path, timeout=10.0):
        req = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def url(self, rel_path: str) -> str:
        """The page that opens ``rel_path`` (relative to the root) in a fresh layout."""
        return f"{self.base}/lab/tree/{rel_path}?token={self.token}&reset"

    def shutdown_kernels(self):
        """Shut every kernel down (the kernel processes are in their own sessions, so stopping
        the server's process group alone would not reach them)."""
        for kernel in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=20)
            except urllib.error.HTTPError as err:
                if err.code != 404:
                    raise

    def stop(self) -> list[str]:
        """Stop kernels and server; return a list of problems (left-over processes), empty if clean."""
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.shutdown_kernels()
            except Exception as err:  # the server may be half-dead: go on and stop it
                problems.append(f"could not shut the kernels down through the API: {err!r}")
            # As `jupyter server stop` does: ask through the API, then SIGTERM, then SIGKILL.
            # (Not SIGINT: without a terminal the server's "Shut down? (y/n)" prompt reads an
            # empty answer from stdin and carries on.)
            try:
                self.api("POST", "/api/shutdown", timeout=10)
            except Exception:
                pass
            for sig, wait in ((None, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                if sig is not None:
                    if sig == signal.SIGKILL:
                        problems.append("JupyterLab did not stop when asked: killed")
                    try:
                        os.killpg(self.proc.pid, sig)  # its own process group (start_new_session)
                    except ProcessLookupError:
                        pass
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if getattr(self, "_log", None):
            self._log.close()
        # Anything still running that mentions our temporary folder (kernels name their
        # connection file in it) was started by this server: end it, by pid, and say so.
        for _ in range(20):
            leftover = _processes_mentioning(str(self.tmp))
            if not leftover:
                break
            time.sleep(0.25)
        else:
            for pid in leftover:
                problems.append(f"process {pid} was still running after the server stopped: killed")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems


def launch_browser(playwright, home: pathlib.Path):
    """Debian's Chromium, headless, with its profile and caches under ``home``."""
    env = isolated_env(home)
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True, env=env
    )


@dataclass
class SliderStep:
    """What one press of an arrow key on a slider did."""

    widget: int
    slider: str
    before: float
    after: float
    readout: str
    redrawn: bool  # a new <img> replaced the old one
    image_changed: bool  # ... and it shows a different picture
    readout_html_before: str
    readout_html_after: str
    seconds: float
    key: str = "ArrowRight"
    lo: float = float("-inf")
    hi: float = float("inf")

    def moved_the_right_way(self) -> bool:
        """The readout shows a value one key press away: right of the old one for ArrowRight,
        left for ArrowLeft, inside the slider's range."""
        if self.after != self.after:  # NaN: the readout is not a number
            return False
        right = self.after > self.before if self.key == "ArrowRight" else self.after < self.before
        return right and self.lo - 1e-9 <= self.after <= self.hi + 1e-9


@dataclass
class NotebookReport:
    path: str
    open_seconds: float = 0.0
    run_seconds: float = 0.0
    widgets: int = 0
    steps: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)


_JS_DONE = """([statusSel]) => {
  const status = document.querySelector(statusSel);
  const text = status ? status.innerText : '';
  if (!/\\|\\s*Idle/.test(text) || /No Kernel|Initializing|Connecting|Starting/.test(text)) return false;
  if (document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    return 'error';
  for (const cell of document.querySelectorAll('.jp-Notebook .jp-CodeCell')) {
    const prompt = cell.querySelector('.jp-InputPrompt');
    const src = cell.querySelector('.jp-InputArea-editor .cm-content');
    if (src && !src.innerText.trim()) continue;
    if (!prompt || !/\\[\\d+\\]/.test(prompt.innerText)) return false;
  }
  return true;
}"""

# A widget view is an output of a cell whose root element is a jupyter-widgets element (JupyterLab
# gives it no data-mime-type); outputs nested inside an Output widget are not counted.
WIDGET_VIEW_SEL = (
    ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output:has(> .jupyter-widgets)"
)
_SRCS = "Array.from(v.querySelectorAll('img')).map(i => i.getAttribute('src') || '').join('|')"
_JS_IMAGES = f"(v) => {_SRCS}"
_JS_IMAGES_CHANGED = f"([v, s]) => {_SRCS} !== s"
# A redraw either gives the widget's <img> a new source (an ipywidgets.Image: a new blob URL per
# frame) or replaces the <img> (an Output area cleared and filled again): remember each image's
# source, then wait for an image that is new or whose source changed.
_JS_MARK_IMAGES = (
    "(v) => v.querySelectorAll('img').forEach("
    "i => i.setAttribute('data-course-old', i.getAttribute('src') || ''))"
)
_JS_NEW_IMAGE = (
    "(v) => Array.from(v.querySelectorAll('img')).some("
    "i => i.getAttribute('data-course-old') !== (i.getAttribute('src') || ''))"
)


class LabNotebook:
    """A notebook open in JupyterLab in one Playwright page."""

    def __init__(self, page, server: LabServer, rel_path: str):
        self.page, self.server, self.rel_path = page, server, rel_path
        self.report = NotebookReport(rel_path)
        page.on("pageerror", lambda exc: self.report.page_errors.append(str(exc)))

    # -- opening and running ---------------------------------------------------------------
    def open(self, timeout=90_000):
        t0 = time.perf_counter()
        self.page.goto(
            self.server.url(self.rel_path), wait_until="domcontentloaded", timeout=timeout
        )
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
        self.wait_for_kernel_idle(timeout)
        self.report.open_seconds = time.perf_counter() - t0

    def status_text(self) -> str:
        loc = self.page.locator(STATUS_BAR)
        return loc.inner_text() if loc.count() else ""

    def wait_for_kernel_idle(self, timeout=60_000):
        """Until the status bar says '| Idle' and no longer 'No Kernel | Initializing' (the
        execution indicator turns idle earlier, and Run All would then ask for a kernel)."""
        self.page.wait_for_function(
            """(sel) => { const s = document.querySelector(sel); if (!s) return false;
                          const t = s.innerText;
                          return /\\|\\s*Idle/.test(t) && !/No Kernel|Initializing|Connecting|Starting/.test(t); }""",
            arg=STATUS_BAR,
            timeout=timeout,
            polling=200,
        )

    def run_all(self, timeout=240_000):
        """Run > Run All Cells, then wait until every cell has run (or one failed)."""
        t0 = time.perf_counter()
        self.page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
        self.page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        # The first cell turns [*] at once; wait for that so "idle" below is the end, not the start.
        try:
            self.page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.jp-InputPrompt')).some(p => p.innerText.includes('*'))",
                timeout=5_000,
                polling=50,
            )
        except Exception:  # a very fast notebook may already be done
            pass
        handle = self.page.wait_for_function(
            _JS_DONE, arg=[STATUS_BAR], timeout=timeout, polling=250
        )
        self.report.run_seconds = time.perf_counter() - t0
        return handle.json_value()

    # -- what is on the page ---------------------------------------------------------------
    def error_outputs(self) -> list[str]:
        """Text of every traceback / stderr output, and of every 'Error displaying widget'."""
        found = [
            t[:1500]
            for t in self.page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            ).all_inner_texts()
        ]
        body = self.page.locator(".jp-Notebook").inner_text()
        found += [f"page shows {text!r}" for text in ERROR_TEXTS if text in body]
        return found

    def widget_count(self) -> int:
        """How many widget views the page shows (one per widget output of the notebook)."""
        return self.page.locator(WIDGET_VIEW_SEL).count()

    def widget(self, i: int):
        """The i-th widget view (a LiveFigure: title, controls, plot, readout)."""
        return self.page.locator(WIDGET_VIEW_SEL).nth(i)

    def image_srcs(self, view) -> str:
        """The src of every image in the view, joined: changes whenever a plot is redrawn."""
        return view.evaluate(_JS_IMAGES)

    @staticmethod
    def readout_html(view) -> str:
        html = view.locator(".widget-html")
        return html.last.inner_text() if html.count() else ""

    def slider_count(self, i: int) -> int:
        return self.widget(i).locator(".widget-slider").count()

    def slider_disabled(self, i: int, j: int) -> bool:
        """Greyed out (ipywidgets puts a disabled attribute on the noUiSlider target)."""
        handle = self.widget(i).locator(".widget-slider").nth(j).locator(".noUi-handle").first
        return handle.evaluate("h => !!h.closest('[disabled]')")

    def dropdown_count(self, i: int) -> int:
        return self.widget(i).locator(".widget-dropdown select").count()

    def step_dropdown(self, i: int, j: int, timeout=30_000) -> dict:
        """Choose the next option of dropdown j of widget i; wait for the kernel; report whether
        the images changed (not required: a dropdown may pick what is not drawn yet)."""
        view = self.widget(i)
        select = view.locator(".widget-dropdown select").nth(j)
        if select.is_disabled():
            return {"widget": i, "dropdown": j, "skipped": "disabled"}
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        if len(options) < 2:
            return {"widget": i, "dropdown": j, "skipped": "one option"}
        new = (current + 1) % len(options)
        before = self.image_srcs(view)
        view.evaluate(_JS_MARK_IMAGES)
        t0 = time.perf_counter()
        select.select_option(index=new)
        try:
            self.page.wait_for_function(
                _JS_NEW_IMAGE, arg=view.element_handle(), timeout=10_000, polling=50
            )
            redrawn = True
        except Exception:
            redrawn = False
        self.wait_for_kernel_idle(timeout)
        return {
            "widget": i,
            "dropdown": j,
            "from": options[current],
            "to": options[new],
            "redrawn": redrawn,
            "image_changed": self.image_srcs(view) != before,
            "seconds": time.perf_counter() - t0,
        }

    # -- moving sliders ------------------------------------------------------------------------
    def step_slider(self, i: int, j: int, timeout=30_000) -> SliderStep:
        """Press ArrowRight (ArrowLeft at the maximum) on slider j of widget i; wait until the
        slider's readout shows a new value and the plot has been redrawn (a new image), then
        until the kernel is idle again.

        The readout (``.widget-readout``) is what the reader sees and follows the key press at
        once; ``aria-valuenow`` lags behind it in ipywidgets 8, so it gives only the start value."""
        box = self.widget(i)
        slider = box.locator(".widget-slider").nth(j)
        handle = slider.locator(".noUi-handle").first
        readout = slider.locator(".widget-readout").first
        labels = slider.locator(".widget-label")
        label = (labels.first.inner_text().strip() if labels.count() else "") or f"slider {j}"
        before = float(handle.get_attribute("aria-valuenow"))
        lo, hi = (
            float(handle.get_attribute("aria-valuemin")),
            float(handle.get_attribute("aria-valuemax")),
        )
        key = "ArrowLeft" if before >= hi else "ArrowRight"
        text_before = readout.inner_text().strip()
        src_before, html_before = self.image_srcs(box), self.readout_html(box)
        box.evaluate(_JS_MARK_IMAGES)
        handle.scroll_into_view_if_needed()
        t0 = time.perf_counter()
        handle.focus()
        handle.press(key)
        self.page.wait_for_function(
            "([r, t]) => r.innerText.trim() !== t",
            arg=[readout.element_handle(), text_before],
            timeout=timeout,
            polling=50,
        )
        redrawn = True
        try:
            self.page.wait_for_function(
                _JS_NEW_IMAGE, arg=box.element_handle(), timeout=timeout, polling=50
            )
        except Exception:  # reported by the caller (redrawn=False)
            redrawn = False
        self.wait_for_kernel_idle(timeout)
        seconds = time.perf_counter() - t0
        text_after = readout.inner_text().strip()
        shown_before = parse_number(text_before)
        if not abs(shown_before - before) <= 1e-6 + 0.02 * abs(before):
            # the readout is not the handle's position (FloatLogSlider: the handle moves along
            # the exponent, the readout shows base ** exponent): compare readouts only
            lo, hi = float("-inf"), float("inf")
        before = shown_before
        step = SliderStep(
            i,
            label,
            before,
            parse_number(text_after),
            text_after,
            redrawn,
            self.image_srcs(box) != src_before,
            html_before,
            self.readout_html(box),
            seconds,
            key=key,
            lo=lo,
            hi=hi,
        )
        self.report.steps.append(step)
        return step


def parse_number(text: str) -> float:
    """The number a slider readout shows ('0.95', '1.00e-3', '−25'), or NaN."""
    m = re.search(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text.replace("\u2212", "-"))
    return float(m.group(0)) if m else float("nan")


# -- liveness: frames while a slider is dragged, key steps, the frame that ends a drag --------------

# A recorder on one widget view: the time (performance.now(), ms) of every frame on screen (an
# image inside the view that got a new source, or a new image, once decoded and ready to paint),
# and of every key press and pointer release on the page. Installed once per view.
_JS_RECORDER = """(v) => {
  if (v.__courseRec) return true;
  const rec = {frames: [], keys: [], ups: []};
  v.__courseRec = rec;
  const shown = (img) => { if (!img.getAttribute('src')) return;
    img.decode().then(() => rec.frames.push(performance.now()), () => {}); };
  new MutationObserver(muts => { for (const m of muts) {
      if (m.type === 'attributes' && m.target.nodeName === 'IMG') shown(m.target);
      for (const n of m.addedNodes || []) {
        if (n.nodeName === 'IMG') shown(n);
        else if (n.querySelectorAll) n.querySelectorAll('img').forEach(shown);
      } } })
    .observe(v, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.addEventListener('keydown', () => rec.keys.push(performance.now()), true);
  document.addEventListener('pointerup', () => rec.ups.push(performance.now()), true);
  return true;
}"""
_JS_NOW = "() => performance.now()"
_JS_RECORD = "(v) => { const r = v.__courseRec; return {frames: r.frames.slice(), keys: r.keys.slice(), ups: r.ups.slice()}; }"
# The bytes of the widget's (first) image, base64: a blob: or data: URL read back by fetch().
_JS_IMAGE_BYTES = """async (v) => {
  const img = v.querySelector('img');
  if (!img || !img.src) return '';
  const buf = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let s = ''; for (let k = 0; k < buf.length; k += 0x8000) s += String.fromCharCode(...buf.subarray(k, k + 0x8000));
  return btoa(s);
}"""


def same_picture(png_a: bytes, png_b: bytes, tolerance=0.0005) -> bool:
    """Two PNG frames show the same picture: equal bytes, or the same size with at most
    ``tolerance`` of the pixels visibly different (a frame is drawn from kept backgrounds, so
    the same value reached another way may differ in a few antialiased pixels; the frame of
    another value differs in whole curves and labels)."""
    if png_a == png_b:
        return True
    import io

    import numpy as np
    from PIL import Image

    a, b = (
        np.asarray(Image.open(io.BytesIO(p)).convert("RGB")).astype(int) for p in (png_a, png_b)
    )
    if a.shape != b.shape:
        return False
    return float((np.abs(a - b).max(axis=2) > 8).mean()) <= tolerance


@dataclass
class DragReport:
    """What a held mouse drag over a slider showed (times in ms, from the page's clock)."""

    widget: int
    slider: str
    seconds: float  # from pointer down to pointer up
    frames: int  # images that finished loading during the drag
    values: int  # distinct values the slider's readout showed during the drag
    settle_ms: float | None  # pointer up -> the last frame (0: the final frame came before)
    frames_after_up: int
    final_readout: str
    final_matches_redraw: bool | None  # the last frame equals a fresh frame for the final value
    late_frames: int  # frames in the quiet second after the settled one (stale frames)
    changes: int = 0  # how many times the readout changed during the drag (out and back)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else float("nan")


def _median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


class LiveMeter:
    """Measures how a LiveFigure follows a slider in a LabNotebook (see the module docstring)."""

    def __init__(self, nb: LabNotebook):
        self.nb, self.page = nb, nb.page

    def _install(self, view):
        view.evaluate(_JS_RECORDER)

    def image_bytes(self, view) -> bytes:
        import base64

        return base64.b64decode(view.evaluate(_JS_IMAGE_BYTES) or "")

    def wait_quiet(self, view, quiet_ms=600, timeout_s=15.0):
        """Until no frame has loaded for ``quiet_ms`` and the kernel is idle."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rec = view.evaluate(_JS_RECORD)
            now = self.page.evaluate(_JS_NOW)
            last = rec["frames"][-1] if rec["frames"] else -1e9
            if now - last >= quiet_ms:
                self.nb.wait_for_kernel_idle()
                rec2 = view.evaluate(_JS_RECORD)
                if len(rec2["frames"]) == len(rec["frames"]):
                    return
            time.sleep(0.1)

    def key_steps(self, i: int, j: int, presses: int = 8, timeout_s=5.0) -> list:
        """Press ArrowRight and ArrowLeft in turn on slider j of widget i; for each press the
        time from the key press to the next frame on screen (ms; None: no new frame)."""
        view = self.nb.widget(i)
        self._install(view)
        handle = view.locator(".widget-slider").nth(j).locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        hi = float(handle.get_attribute("aria-valuemax"))
        at_max = float(handle.get_attribute("aria-valuenow")) >= hi
        handle.focus()
        self.wait_quiet(view)
        out = []
        for k in range(presses):
            key = (
                ("ArrowLeft" if k % 2 == 0 else "ArrowRight")
                if at_max
                else ("ArrowRight" if k % 2 == 0 else "ArrowLeft")
            )
            out.append(self.press_and_wait(view, handle, key, timeout_s))
        return out

    def press_and_wait(self, view, handle, key, timeout_s=5.0, quiet_ms=300):
        """Press ``key`` on the focused slider handle; wait for the next frame, then for quiet.
        Returns the time from the key press to that frame (ms), or None if none came."""
        n_frames = len(view.evaluate(_JS_RECORD)["frames"])
        handle.press(key)
        deadline = time.monotonic() + timeout_s
        latency = None
        while time.monotonic() < deadline:
            rec = view.evaluate(_JS_RECORD)
            if len(rec["frames"]) > n_frames:
                latency = rec["frames"][n_frames] - rec["keys"][-1]
                break
            time.sleep(0.01)
        self.wait_quiet(view, quiet_ms=quiet_ms)
        return latency

    def drag(self, i: int, j: int, seconds: float = 2.0, moves_per_second: int = 60) -> DragReport:
        """Hold the mouse on slider j's handle and sweep it steadily to the far end of the track
        and back for ``seconds``; count the frames, then check the frame that ends the drag."""
        view = self.nb.widget(i)
        self._install(view)
        slider = view.locator(".widget-slider").nth(j)
        labels = slider.locator(".widget-label")
        label = (labels.first.inner_text().strip() if labels.count() else "") or f"slider {j}"
        handle = slider.locator(".noUi-handle").first
        track = slider.locator(".noUi-target").first
        readout = slider.locator(".widget-readout").first
        handle.scroll_into_view_if_needed()
        self.wait_quiet(view)
        hb, tb = handle.bounding_box(), track.bounding_box()
        x0, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        left, right = tb["x"] + 2, tb["x"] + tb["width"] - 2
        far = left if (x0 - left) > (right - x0) else right
        n = max(2, int(seconds * moves_per_second))
        half = n // 2
        path = [x0 + (far - x0) * (k + 1) / half for k in range(half)]
        back = x0 + 0.35 * (far - x0)  # and back, most of the way
        path += [far + (back - far) * (k + 1) / (n - half) for k in range(n - half)]
        readout.evaluate("""(r) => { r.__courseSeen = new Set([r.innerText.trim()]);
          r.__courseLast = r.innerText.trim(); r.__courseChanges = 0;
          if (!r.__courseObs) {
            r.__courseObs = new MutationObserver(() => { const v = r.innerText.trim();
              r.__courseSeen.add(v);
              if (v !== r.__courseLast) { r.__courseChanges += 1; r.__courseLast = v; } });
            r.__courseObs.observe(r, {subtree: true, characterData: true, childList: true}); } }""")
        self.page.mouse.move(x0, y)
        self.page.mouse.down()
        t_down = self.page.evaluate(_JS_NOW)
        t0 = time.perf_counter()
        for k, x in enumerate(path):
            self.page.mouse.move(x, y)
            pause = t0 + (k + 1) / moves_per_second - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        self.page.mouse.up()
        seen = set(readout.evaluate("(r) => Array.from(r.__courseSeen)"))
        changes = readout.evaluate("(r) => r.__courseChanges")
        rec = view.evaluate(_JS_RECORD)
        t_up = rec["ups"][-1] if rec["ups"] else self.page.evaluate(_JS_NOW)
        # "Settled": no frame for three times the longest gap between frames seen during the
        # drag (at least 1.5 s): on a busy machine a frame can take a second.
        drag_frames = [t for t in rec["frames"] if t >= t_down]
        gaps = [b - a for a, b in zip(drag_frames, drag_frames[1:], strict=False)]
        quiet = max(1500.0, 3.0 * max(gaps, default=0.0))
        self.wait_quiet(view, quiet_ms=quiet, timeout_s=30.0)
        rec = view.evaluate(_JS_RECORD)
        during = [t for t in rec["frames"] if t_down <= t <= t_up]
        after = [t for t in rec["frames"] if t > t_up]
        settle = (after[-1] - t_up) if after else 0.0
        final_readout = readout.inner_text().strip()
        final_image = self.image_bytes(view)
        # as long again: nothing may arrive after the settled frame
        time.sleep(quiet / 1e3)
        late = len(view.evaluate(_JS_RECORD)["frames"]) - len(rec["frames"])
        # the same value drawn afresh: one step away and back, by keys
        matches = None
        try:
            handle.focus()
            hi = float(handle.get_attribute("aria-valuemax"))
            keys = (
                ("ArrowLeft", "ArrowRight")
                if readout.inner_text().strip()
                and float(handle.get_attribute("aria-valuenow")) >= hi
                else ("ArrowRight", "ArrowLeft")
            )
            for key in keys:
                self.press_and_wait(view, handle, key, timeout_s=10.0, quiet_ms=quiet)
            if readout.inner_text().strip() == final_readout:
                redrawn = self.image_bytes(view)
                matches = same_picture(redrawn, final_image)
                self.last_pair = (final_image, redrawn)
        except Exception:
            matches = None
        return DragReport(
            i,
            label,
            (t_up - t_down) / 1e3,
            len(during),
            len(seen - {""}),
            settle,
            len(after),
            final_readout,
            matches,
            late,
            changes,
        )
