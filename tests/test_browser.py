"""The course in a real browser: JupyterLab driven by headless Chromium (Playwright), and the
static site opened offline.

For every notebook (notebooks/*.ipynb, and tests/fixtures/widget_demo.ipynb so the suite always
has a widget to drag): open it in JupyterLab, Run All, check that no traceback, stderr output or
"Error displaying widget" appears, press an arrow key on every slider of every widget, and check
that the plot is redrawn (a new image) and the slider's readout shows the new value. Then hold
each slider and drag it for about two seconds: the picture must change more than once, the last
picture must be the final value's, and nothing may arrive after it. How fast it follows (key
step to new image, frames per second while dragging, release to final frame) is measured and
written to artifacts/liveness.md, never asserted: timings on a shared machine are noise.
Screenshots and a JSON report per notebook go to artifacts/browser/ (or $COURSE_ARTIFACTS/browser;
kept by CI, ignored by git).

One JupyterLab server for the session (on copies of the notebooks, settings in a temporary
folder), one page per notebook; the kernels are shut down after each notebook and the teardown
fails if any process of the server is left. Without Chromium or Playwright these tests skip with
the reason; with CI=true they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
from html.parser import HTMLParser

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import browser_support as bs  # noqa: E402

ROOT = bs.ROOT
# where CI keeps what a run writes (COURSE_ARTIFACTS, as course.py and .ci/run use it)
ARTIFACTS = pathlib.Path(os.environ.get("COURSE_ARTIFACTS") or ROOT / "artifacts")
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_NB = FIXTURES / "widget_demo.ipynb"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEWPORT = {"width": 1280, "height": 900}

# (path inside the server's root, path on disk): the course notebooks, then the fixture
CASES = [(f"notebooks/{p.name}", p) for p in NOTEBOOKS] + [
    (f"fixtures/{FIXTURE_NB.name}", FIXTURE_NB)
]


def _load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def require_browser():
    reason = bs.unavailable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts():
    (ARTIFACTS / "browser").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_server():
    require_browser()
    server = bs.LabServer(
        {"notebooks": ROOT / "notebooks", "fixtures": FIXTURES}, python=sys.executable
    )
    server.start()
    yield server
    problems = server.stop()
    assert not problems, "JupyterLab left processes behind: " + "; ".join(problems)


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread until it is
# stopped, and the widget tests of later modules need a thread with no loop running.
@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    home = pathlib.Path(tempfile.mkdtemp(prefix="course-chromium-"))
    pw = sync_playwright().start()
    try:
        chromium = bs.launch_browser(pw, home)
        yield chromium
        chromium.close()
    finally:
        pw.stop()
        shutil.rmtree(home, ignore_errors=True)


def stored_widget_outputs(path) -> int:
    nb = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return sum(
        WIDGET_VIEW in o.get("data", {})
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )


def test_missing_browser_skips_on_a_laptop_and_fails_in_ci(monkeypatch):
    """No Chromium: a clean skip with the reason, except under CI=true, where it must fail."""
    monkeypatch.setattr(bs, "chromium_path", lambda: None)
    assert "Chromium" in bs.unavailable_reason()
    monkeypatch.setattr(sys.modules[__name__], "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="Chromium"):
        require_browser()
    monkeypatch.setattr(sys.modules[__name__], "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_browser()


def test_readout_numbers_are_parsed():
    assert bs.parse_number("0.95") == 0.95
    assert bs.parse_number("\u22122") == -2.0
    assert bs.parse_number("1.00e-3") == 1e-3
    assert bs.parse_number("tanh") != bs.parse_number("tanh")  # NaN
    step = bs.SliderStep(
        0, "w", 0.9, 0.95, "0.95", True, True, "", "", 0.1, key="ArrowRight", lo=0.5, hi=1.5
    )
    assert step.moved_the_right_way()
    assert not dataclasses.replace(step, after=0.9).moved_the_right_way()
    assert not dataclasses.replace(step, key="ArrowLeft").moved_the_right_way()
    assert not dataclasses.replace(step, after=1.6).moved_the_right_way()


def test_drawn_share_counts_at_most_one_frame_per_value():
    row = {"drag_values": 20, "drag_frames": 9, "frames_after_release": 3, "drag_seconds": 2.0}
    assert drawn_share(row) == 0.5  # the frames after the release count as the final one
    assert drawn_share({**row, "drag_frames": 40}) == 1.0
    assert np.isnan(drawn_share({**row, "drag_values": 0}))
    # out and back: 20 distinct values, 30 changes; 19 frames + the final one = 2/3
    assert drawn_share({**row, "drag_frames": 19, "drag_changes": 30}) == pytest.approx(2 / 3)
    assert changes_per_second({**row, "drag_changes": 30}) == 15.0


def test_same_picture_tells_a_stale_frame_from_a_redrawn_one():
    from rnnlib.plots.live import encode_png

    rng = np.random.default_rng(0)
    img = np.full((40, 60, 3), 255, dtype=np.uint8)
    img[10:30, 5:55] = rng.integers(0, 255, size=(20, 50, 3), dtype=np.uint8)
    near = img.copy()
    near[0, 0] = (0, 0, 0)  # one antialiased pixel
    other = img.copy()
    other[10:30, 5:55] = 255 - other[10:30, 5:55]  # another picture
    assert bs.same_picture(encode_png(img), encode_png(img))
    assert bs.same_picture(encode_png(img), encode_png(near), tolerance=0.001)
    assert not bs.same_picture(encode_png(img), encode_png(other))
    assert not bs.same_picture(encode_png(img), encode_png(img[:20]))


# -- every notebook in JupyterLab ------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("rel_path, path", CASES, ids=[p.stem for _, p in CASES])
def test_notebook_runs_and_widgets_redraw(rel_path, path, lab_server, browser, artifacts):
    page = browser.new_page(viewport=VIEWPORT)
    nb = bs.LabNotebook(page, lab_server, rel_path)
    shots = artifacts / "browser"
    problems = []
    try:
        nb.open()
        outcome = nb.run_all()
        errors = nb.error_outputs()
        if outcome != True or errors:  # noqa: E712  (outcome is True or the string 'error')
            page.screenshot(path=str(shots / f"{path.stem}.png"))
            pytest.fail(
                f"{rel_path}: Run All showed errors:\n" + "\n---\n".join(errors), pytrace=False
            )

        n_widgets = nb.widget_count()
        nb.report.widgets = n_widgets
        stored = stored_widget_outputs(path)
        assert n_widgets == stored, (
            f"{rel_path}: {stored} widget outputs in the notebook, {n_widgets} widgets on the page"
        )
        dropdowns, skipped, liveness = [], [], []
        meter = bs.LiveMeter(nb)
        for i in range(n_widgets):
            for j in range(nb.slider_count(i)):
                if nb.slider_disabled(i, j):  # greyed out at this setting (e.g. T_x of one-to-many)
                    skipped.append(f"widget {i}, slider {j}: disabled")
                    continue
                step = nb.step_slider(i, j)
                where = f"widget {i}, slider {step.slider!r} ({step.before:g} -> {step.readout!r})"
                # a slider whose picture does not depend on it (08's random seed changes only
                # the sampled text) must still change the widget's readout
                if not step.redrawn and step.readout_html_after == step.readout_html_before:
                    problems.append(
                        f"{where}: neither the plot nor the readout changed within 30 s"
                    )
                if not step.moved_the_right_way():
                    problems.append(f"{where}: the readout does not show the new value")
            for j in range(nb.slider_count(i)):  # the picture follows a held drag
                if nb.slider_disabled(i, j):
                    continue
                row, found = measure_liveness(meter, i, j)
                liveness.append(row)
                problems += [f"widget {i}, slider {row['slider']!r}: {p}" for p in found]
            for j in range(nb.dropdown_count(i)):  # choosing another option must not break anything
                dropdowns.append(nb.step_dropdown(i, j))
        errors = nb.error_outputs()
        problems += [f"after moving the sliders: {e}" for e in errors]
        problems += [f"JavaScript error on the page: {e}" for e in nb.report.page_errors]

        # Screenshots: the page at the first widget (or the top), and each widget on its own.
        if n_widgets:
            nb.widget(0).scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"{path.stem}.png"))
        for i in range(n_widgets):
            nb.widget(i).screenshot(path=str(shots / f"{path.stem}-widget{i}.png"))
        report = dataclasses.asdict(nb.report)
        report["dropdowns"] = dropdowns
        report["skipped"] = skipped
        report["liveness"] = liveness
        write_liveness(path.stem, liveness, artifacts)
        report["missing_alt_in_jupyterlab"] = page.eval_on_selector_all(
            ".jp-OutputArea-output img", "els => els.filter(e => !e.alt || !e.alt.trim()).length"
        )
        (shots / f"{path.stem}.json").write_text(json.dumps(report, indent=1))
    finally:
        page.close()
        lab_server.shutdown_kernels()  # one kernel at a time on 2 cores
    assert not problems, f"{rel_path}:\n" + "\n".join(problems)


# -- liveness: measured (never asserted), and the behaviour that is asserted ---------------------


def measure_liveness(meter, i, j):
    """Key steps and a held drag on slider j of widget i. Returns a row of measurements (times
    in ms on this machine, with the load average: figures to read, not to assert) and the
    behaviour problems found: a drag that did not change the picture more than once, a last
    picture that is not the final value's (a fresh frame for that value, drawn after one key
    step away and one back, must be the same image), or a frame arriving after the last one."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    keys = meter.key_steps(i, j, presses=6)
    drag = meter.drag(i, j, seconds=2.0)
    shown = [k for k in keys if k is not None]
    row = {
        "widget": i,
        "slider": drag.slider,
        "load": round(load, 1),
        "key_step_ms": [round(k) for k in shown],
        "key_step_median_ms": bs._median(shown),
        "drag_seconds": round(drag.seconds, 2),
        "drag_values": drag.values,
        "drag_changes": drag.changes,
        "drag_frames": drag.frames,
        "frames_per_second": round(drag.frames_per_second, 1),
        "settle_ms": drag.settle_ms,
        "frames_after_release": drag.frames_after_up,
        "final_matches_fresh_frame": drag.final_matches_redraw,
        "late_frames": drag.late_frames,
        "load_after": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
    }
    found = []
    if not shown:
        # a slider that does not change the picture (e.g. a random seed shown only in the
        # readout): there are no frames to count
        row["picture_independent"] = True
        return row, found
    # Counted until the picture settles: a slow frame may arrive after the release, but a drag
    # over several values must show more than the final one (the kernel draws the first value
    # it gets at once, and the newest one after it).
    changes = drag.frames + drag.frames_after_up
    if drag.values >= 3 and changes < 2:
        found.append(f"a drag over {drag.values} values changed the picture {changes} time(s)")
    if drag.final_matches_redraw is False:
        found.append(
            f"the picture after the drag (readout {drag.final_readout!r}) is not the "
            "final value's: a stale frame"
        )
    if drag.late_frames:
        found.append(f"{drag.late_frames} frame(s) arrived after the drag had settled")
    return row, found


def drawn_share(row):
    """The share of the slider's value changes during a drag (out to the end and back, so a
    value can come twice) that got a frame of their own (the frames during the drag and the
    final one after it, at most one per change): 100 % means the picture followed the hand
    through every stop, whatever the slider's number of stops. Rows measured before changes
    were counted use the distinct values."""
    changes = row.get("drag_changes") or row["drag_values"]
    frames = row["drag_frames"] + min(1, row["frames_after_release"])
    return min(1.0, frames / changes) if changes else float("nan")


LIVENESS_MARK = "<!-- written by tests/test_browser.py -->"


def test_liveness_table_never_replaces_a_file_it_did_not_write(tmp_path):
    (tmp_path / "browser").mkdir()
    notes = tmp_path / "liveness.md"
    notes.write_text("my own notes\n")
    write_liveness("00_x", [], tmp_path)
    assert notes.read_text() == "my own notes\n"
    notes.unlink()
    write_liveness("00_x", [], tmp_path)                  # its own file: written, then replaced
    write_liveness("00_x", [], tmp_path)
    assert notes.read_text().startswith(LIVENESS_MARK)


def changes_per_second(row):
    """How fast the hand went: the slider's value changes per second of the drag (Playwright's
    mouse moves wait for the page, so a busy page slows the hand down)."""
    changes = row.get("drag_changes") or row["drag_values"]
    return changes / row["drag_seconds"] if row["drag_seconds"] else float("nan")


def write_liveness(stem, rows, artifacts):
    """artifacts/browser/<notebook>-liveness.json, and artifacts/liveness.md gathering every
    notebook measured so far (one row per slider)."""
    folder = artifacts / "browser"
    (folder / f"{stem}-liveness.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "| notebook | widget | slider | key step, median (ms) | frames/s while dragging "
        "| values passed (changes) | changes/s | changes drawn | release to final frame (ms) "
        "| load |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in sorted(folder.glob("*-liveness.json")):
        name = f.stem[: -len("-liveness")]
        for r in json.loads(f.read_text()):
            if r.get("picture_independent"):
                lines.append(
                    f"| {name} | {r['widget']} | {r['slider']} | (picture "
                    f"unchanged) | | {r['drag_values']} | | | | {r['load']} |"
                )
                continue
            med = r["key_step_median_ms"]
            lines.append(
                f"| {name} | {r['widget']} | {r['slider']} | "
                f"{med:.0f} | {r['frames_per_second']:.1f} | {r['drag_values']} "
                f"({r.get('drag_changes', '?')}) | {changes_per_second(r):.1f} | "
                f"{drawn_share(r):.0%} | {r['settle_ms']:.0f} | {r['load']} |"
            )
    target = artifacts / "liveness.md"
    # never replace a liveness.md this suite did not write (COURSE_ARTIFACTS may be any folder)
    if target.exists() and not target.read_text().startswith(LIVENESS_MARK):
        return
    target.write_text(LIVENESS_MARK + "\n" + "\n".join(lines) + "\n")


# -- the static site -----------------------------------------------------------------------------


class _PageScan(HTMLParser):
    """Collects what an offline page must not need, and the images' alt text."""

    def __init__(self):
        super().__init__()
        self.remote = []  # (tag, url) of scripts, stylesheets, images, frames from http(s)
        self.images = []  # alt of every <img>, None when absent
        self.math = 0  # <math> elements
        self.links = []  # every <a href>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "data"):
            url = (a.get(key) or "").strip()
            if url.startswith(("http://", "https://", "//")) and not (tag == "a" and key == "href"):
                self.remote.append((tag, url))
        if tag == "img":
            self.images.append(a.get("alt"))
        if tag == "math":
            self.math += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from the course notebooks and the fixture, into a temporary folder."""
    pytest.importorskip("nbconvert")
    build_site = _load_module("build_site", ROOT / "scripts" / "build_site.py")
    out = tmp_path_factory.mktemp("site")
    report = build_site.build(out, NOTEBOOKS + [FIXTURE_NB])
    return out, report, build_site


def _scan(path):
    scan = _PageScan()
    scan.feed(path.read_text(encoding="utf-8"))
    return scan


def test_site_has_an_index_and_a_page_per_notebook(site):
    out, report, _ = site
    assert (out / "index.html").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS + [FIXTURE_NB]:
        assert (out / f"{nb.stem}.html").is_file()
        assert f'href="{nb.stem}.html"' in index, f"index does not link {nb.stem}"
    # learning goals on the index: the fixture's goal sentence is there
    assert "so the browser tests have a small widget to drag" in index


def test_site_pages_need_no_network(site):
    out, _, _ = site
    for page in sorted(out.glob("*.html")):
        scan = _scan(page)
        assert not scan.remote, f"{page.name} loads {scan.remote[:5]} from the network"
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""<script[^>]+src=["']?https?:""", text), page.name
        assert "cdnjs" not in text and "unpkg" not in text and "jsdelivr" not in text, page.name


def test_site_images_have_alt_text(site):
    out, report, _ = site
    for page in sorted(out.glob("*.html")):
        missing = [i for i, alt in enumerate(_scan(page).images) if not (alt or "").strip()]
        assert not missing, f"{page.name}: images {missing} have no alt text"
    fixture = _scan(out / f"{FIXTURE_NB.stem}.html")
    assert "Three log-scale lines: w = 1.1 grows, 1.0 stays flat, 0.9 shrinks." in fixture.images


def test_site_local_links_resolve(site):
    out, _, _ = site
    broken = []
    for page in sorted(out.glob("*.html")):
        for href in _scan(page).links:
            if href.startswith(("http://", "https://", "mailto:", "#", "data:")):
                continue
            target = href.split("#")[0]
            if target and not (out / target).exists():
                broken.append(f"{page.name} -> {href}")
    assert not broken, "links to pages the site does not have: " + ", ".join(broken[:10])


def test_site_widgets_are_replaced_by_a_note_beside_the_static_figure(site):
    out, _, _ = site
    text = (out / f"{FIXTURE_NB.stem}.html").read_text(encoding="utf-8")
    assert "VBox(children" not in text, "a widget's text fallback leaked into the page"
    assert text.count('class="course-widget-note"') == stored_widget_outputs(FIXTURE_NB)


def test_site_maths_offline(site):
    out, report, build_site = site
    scan = _scan(out / f"{FIXTURE_NB.stem}.html")
    if build_site.mathml_available():
        assert scan.math >= 2, "inline and display maths should be MathML"
    else:  # fallback: the TeX source, readable, in a marked span
        assert 'class="tex"' in (out / f"{FIXTURE_NB.stem}.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_site_page_opens_offline_in_chromium(site, browser, artifacts):
    """Open the index and one notebook page from file:// with every http(s) request blocked."""
    out, _, _ = site
    context = browser.new_context(viewport=VIEWPORT)
    requested = []

    def block_remote(route):
        url = route.request.url
        if url.startswith(("http://", "https://")):
            requested.append(url)
            return route.abort()
        return route.continue_()

    context.route("**/*", block_remote)
    page = context.new_page()
    js_errors = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    first = NOTEBOOKS[0].stem if NOTEBOOKS else FIXTURE_NB.stem
    try:
        page.goto((out / "index.html").as_uri(), wait_until="load")
        page.screenshot(path=str(artifacts / "browser" / "site-index.png"), full_page=True)
        assert page.locator(f'a[href="{first}.html"]').count() >= 1
        page.locator(f'a[href="{first}.html"]').first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"{first}.html")
        page.screenshot(path=str(artifacts / "browser" / f"site-{first}.png"))
        # every figure drawn, with alt text
        sizes = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.naturalWidth, (e.alt || '').trim().length])"
        )
        assert sizes and all(w > 0 and alt > 0 for w, alt in sizes), sizes
        page.goto((out / f"{FIXTURE_NB.stem}.html").as_uri(), wait_until="load")
        math = page.locator("math")
        if math.count():  # MathML laid out by the browser itself: it has a size
            box = math.first.bounding_box()
            assert box and box["width"] > 10 and box["height"] > 5
        page.screenshot(path=str(artifacts / "browser" / "site-fixture.png"))
    finally:
        context.close()
    assert not requested, f"the offline site asked the network for {requested[:5]}"
    assert not js_errors, js_errors


# -- the budget script (no browser needed) -----------------------------------------------------


@pytest.fixture(scope="module")
def measure():
    return _load_module("measure_course", ROOT / "scripts" / "measure_course.py")


def test_budget_verdicts(measure):
    assert measure.notebook_budget("03_vanishing_exploding") == 30
    assert measure.notebook_budget("05_lstm_gru_gates") == 60
    assert measure.notebook_budget("08_char_language_model") == 60
    assert measure.verdict(10, 30) == "ok"
    assert measure.verdict(45, 30) == "warn"  # over budget, within the 2x margin
    assert measure.verdict(61, 30) == "FAIL"  # more than twice the budget
    assert measure.verdict(None, 30) == "FAIL"  # did not run


def test_widget_callbacks_are_found_and_timed(measure):
    """The fixture's factory is found like a course widget module's, and its callback timed."""
    sys.path.insert(0, str(FIXTURES))
    try:
        rows = measure.time_widgets(["demo_widgets"], repeat=3)
    finally:
        sys.path.remove(str(FIXTURES))
    assert [r["widget"] for r in rows] == ["demo_widgets.decay_widget",
                                           "demo_widgets.floor_widget"]
    assert [r["error"] for r in rows] == [None, None]
    row = rows[0]
    assert 0 < row["compute_ms"] and 0 < row["draw_ms"] and 0 < row["update_ms"] < 10_000
    assert "w=0.9" in row["controls"]


def test_measure_reports_a_broken_notebook(measure, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    bad = tmp_path / "05_broken.ipynb"
    nbformat.write(nb, bad)
    row = measure.time_notebook(bad, repeat=1)
    assert row["error"] and "ZeroDivisionError" in row["error"]
    assert measure.verdict(row["seconds"], row["budget"]) == "FAIL"
