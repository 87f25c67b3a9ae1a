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
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
# JupyterLab settings for a quiet, deterministic page: no news toast, no update check, no autosave
# (we never want a save), every cell kept in the DOM (windowing off), no confirm dialogs.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/application-extension/layout.jupyterlab-settings": {},
}
STATUS_BAR = "#jp-main-statusbar"
ERROR_TEXTS = ("Error displaying widget", "Model not found", "Javascript Error", "Traceback (most recent call last)")


def chromium_path() -> str | None:
    """Debian's Chromium (or $COURSE_CHROMIUM), or None when there is none."""
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
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
        "HOME": "home", "XDG_CONFIG_HOME": "home/.config", "XDG_CACHE_HOME": "home/.cache",
        "XDG_DATA_HOME": "home/.local/share", "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data", "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "JUPYTERLAB_SETTINGS_DIR": "jupyter/lab-settings", "JUPYTERLAB_WORKSPACES_DIR": "jupyter/lab-workspaces",
        "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "mpl",
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
            shutil.copytree(src, self.root / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
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
        cmd = [self.python, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--ServerApp.open_browser=False", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate", "--ServerApp.terminals_enabled=False"]
        if getattr(os, "geteuid", lambda: -1)() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n{self.log()}")
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
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
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
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                      headless=True, env=env)


@dataclass
class SliderStep:
    """What one press of an arrow key on a slider did."""
    widget: int
    slider: str
    before: float
    after: float
    readout: str
    redrawn: bool          # a new <img> replaced the old one
    image_changed: bool    # ... and it shows a different picture
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
WIDGET_VIEW_SEL = ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output:has(> .jupyter-widgets)"
_SRCS = "Array.from(v.querySelectorAll('img')).map(i => i.getAttribute('src') || '').join('|')"
_JS_IMAGES = f"(v) => {_SRCS}"
_JS_IMAGES_CHANGED = f"([v, s]) => {_SRCS} !== s"
# A redraw replaces the <img> (clear_output + a new display), even when the new picture happens to
# be identical: mark the current images, then wait for an unmarked one.
_JS_MARK_IMAGES = "(v) => v.querySelectorAll('img').forEach(i => i.setAttribute('data-course-old', '1'))"
_JS_NEW_IMAGE = "(v) => !!v.querySelector('img:not([data-course-old])')"


class LabNotebook:
    """A notebook open in JupyterLab in one Playwright page."""

    def __init__(self, page, server: LabServer, rel_path: str):
        self.page, self.server, self.rel_path = page, server, rel_path
        self.report = NotebookReport(rel_path)
        page.on("pageerror", lambda exc: self.report.page_errors.append(str(exc)))

    # -- opening and running ---------------------------------------------------------------
    def open(self, timeout=90_000):
        t0 = time.perf_counter()
        self.page.goto(self.server.url(self.rel_path), wait_until="domcontentloaded", timeout=timeout)
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
            arg=STATUS_BAR, timeout=timeout, polling=200)

    def run_all(self, timeout=240_000):
        """Run > Run All Cells, then wait until every cell has run (or one failed)."""
        t0 = time.perf_counter()
        self.page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
        self.page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        # The first cell turns [*] at once; wait for that so "idle" below is the end, not the start.
        try:
            self.page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.jp-InputPrompt')).some(p => p.innerText.includes('*'))",
                timeout=5_000, polling=50)
        except Exception:  # a very fast notebook may already be done
            pass
        handle = self.page.wait_for_function(_JS_DONE, arg=[STATUS_BAR], timeout=timeout, polling=250)
        self.report.run_seconds = time.perf_counter() - t0
        return handle.json_value()

    # -- what is on the page ---------------------------------------------------------------
    def error_outputs(self) -> list[str]:
        """Text of every traceback / stderr output, and of every 'Error displaying widget'."""
        found = [t[:1500] for t in self.page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()]
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
            self.page.wait_for_function(_JS_NEW_IMAGE, arg=view.element_handle(), timeout=10_000, polling=50)
            redrawn = True
        except Exception:
            redrawn = False
        self.wait_for_kernel_idle(timeout)
        return {"widget": i, "dropdown": j, "from": options[current], "to": options[new],
                "redrawn": redrawn, "image_changed": self.image_srcs(view) != before,
                "seconds": time.perf_counter() - t0}

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
        lo, hi = float(handle.get_attribute("aria-valuemin")), float(handle.get_attribute("aria-valuemax"))
        key = "ArrowLeft" if before >= hi else "ArrowRight"
        text_before = readout.inner_text().strip()
        src_before, html_before = self.image_srcs(box), self.readout_html(box)
        box.evaluate(_JS_MARK_IMAGES)
        handle.scroll_into_view_if_needed()
        t0 = time.perf_counter()
        handle.focus()
        handle.press(key)
        self.page.wait_for_function(
            "([r, t]) => r.innerText.trim() !== t", arg=[readout.element_handle(), text_before],
            timeout=timeout, polling=50)
        redrawn = True
        try:
            self.page.wait_for_function(_JS_NEW_IMAGE, arg=box.element_handle(), timeout=timeout, polling=50)
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
        step = SliderStep(i, label, before, parse_number(text_after), text_after, redrawn,
                          self.image_srcs(box) != src_before, html_before, self.readout_html(box),
                          seconds, key=key, lo=lo, hi=hi)
        self.report.steps.append(step)
        return step


def parse_number(text: str) -> float:
    """The number a slider readout shows ('0.95', '1.00e-3', '−25'), or NaN."""
    m = re.search(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text.replace("\u2212", "-"))
    return float(m.group(0)) if m else float("nan")
