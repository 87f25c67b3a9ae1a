#!/usr/bin/env python3
"""Build the course as a static site, for reading where no kernel runs.

    python3 course.py site                                        # -> site/index.html
    .venv/bin/python scripts/build_site.py [--out DIR] [--repo OWNER/NAME] [NOTEBOOK ...]

One HTML page per notebook with its stored outputs (the committed notebooks are executed, so
every figure is there); each widget is replaced by a short note under the static figure the
notebook shows before it (a page cannot run the callbacks). An index page lists the notebooks
with their learning goals; docs/teaching.md becomes teaching.html.

No network, at build time or when reading: nbconvert's HTML exporter (lab template, its CSS
inlined) without its CDN scripts (require.js, MathJax, mermaid, the widget renderer). Maths is
converted at build time to MathML, which browsers lay out natively, when the small pure-Python
package latex2mathml is installed; without it the TeX source is shown as it is written, in a
marked <span class="tex">. Every figure's alt text (rnnlib.plots.show stores it in the output's
metadata) becomes the <img alt>. Links between notebooks point at their pages; links to other
files of the repository point at the repository (--repo, default a placeholder).

The notebooks and their order come from the course registry, rnnlib/syllabus.py.

Where it writes: --out DIR, else $COURSE_ARTIFACTS/site when COURSE_ARTIFACTS is set, else site/
in the repository. The build never deletes a folder: it writes a marker file (.course-site.json)
listing the pages it wrote, and a later build replaces and removes only those. It refuses a
folder that is not empty and has no marker, the repository itself, any folder above it, and any
folder holding notebooks or a .git; on a read-only checkout it says which folder must be
writable and how to choose another (exit code 2).
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import pathlib
import posixpath
import re
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import _safe_output  # noqa: E402
from _safe_output import OutputError, OwnedFolder  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
HOW_TO_CHOOSE = "--out DIR (or COURSE_ARTIFACTS=DIR: the site then goes to DIR/site)"
TEACHING = ROOT / "docs" / "teaching.md"
DEFAULT_REPO = os.environ.get("COURSE_REPO", "OWNER/REPO")  # the GitHub owner/name: a placeholder
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COURSE_TITLE = "Recurrent neural networks, interactively"
WIDGET_NOTE = (
    '<div class="course-widget-note" role="note"><b>Interactive widget.</b> In JupyterLab '
    "(<code>python3 course.py lab</code>) or on Binder its controls redraw the figure live; "
    "this page shows the figure at the default setting, just above.</div>"
)

CSS = """
.course-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.4em; align-items: center;
  padding: 0.6em 1em; margin: 0 0 1em 0; background: #f3f6fa; border-bottom: 1px solid #d0d7de;
  font-family: system-ui, sans-serif; font-size: 15px; }
.course-nav a { color: #0b5394; }
.course-nav .course-spacer { flex: 1; }
.course-widget-note { border-left: 4px solid #0072B2; background: #eef5fb; padding: 0.5em 0.9em;
  margin: 0.3em 0; font-family: system-ui, sans-serif; font-size: 14px; color: #1a1a1a; }
span.tex { font-family: ui-monospace, monospace; background: #f6f6f6; padding: 0 0.2em; }
math { font-size: 1.15em; }
math[display="block"] { margin: 0.6em 0; }
"""
INDEX_CSS = """
body { font-family: system-ui, sans-serif; max-width: 58em; margin: 0 auto; padding: 1em 1.5em 3em;
  line-height: 1.5; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
.lead { font-size: 1.1em; color: #333; }
ol.notebooks { list-style: none; padding: 0; }
ol.notebooks > li { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4em 1.1em 0.6em;
  margin: 0.9em 0; }
ol.notebooks h2 { font-size: 1.2em; margin: 0.4em 0; }
a { color: #0b5394; }
.note { background: #f3f6fa; border-left: 4px solid #0072B2; padding: 0.5em 1em; }
code { background: #f3f3f3; padding: 0 0.2em; }
math { font-size: 1.15em; }
span.tex { font-family: ui-monospace, monospace; background: #f6f6f6; padding: 0 0.2em; }
"""

# The lab template without its CDN scripts, plus alt text on images and a navigation bar.
PAGE_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock html_head_js_requirejs %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<style type="text/css">{{ resources.course.css }}</style>
{% endblock extra_css %}
{% block body_header %}{{ super() }}
{{ resources.course.nav }}
{% endblock body_header %}
{% block body_footer %}{{ resources.course.nav }}
{{ super() }}{% endblock body_footer %}
{% block data_png scoped %}
{%- set alttext = output | get_metadata('alt', 'image/png') -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ (alttext or '') | escape_html }}"
{%- set width = output | get_metadata('width', 'image/png') -%}
{%- if width is not none %} width={{ width | escape_html }}{%- endif %}
{%- set height = output | get_metadata('height', 'image/png') -%}
{%- if height is not none %} height={{ height | escape_html }}{%- endif %}>
</div>
{%- endblock data_png %}
"""


# -- maths -----------------------------------------------------------------------------------


def mathml_available() -> bool:
    return importlib.util.find_spec("latex2mathml") is not None


class MathStats:
    def __init__(self):
        self.mathml = 0
        self.fallback = []  # TeX that could not be converted (or no converter)


MATH = MathStats()


def tex_to_html(tex: str, display: bool) -> str:
    """MathML for ``tex`` (latex2mathml), or the TeX itself in a marked span."""
    tex = tex.strip()
    if mathml_available():
        try:
            from latex2mathml.converter import convert

            mathml = convert(tex, display="block" if display else "inline")
            MATH.mathml += 1
            # alttext: screen readers and copy-paste get the TeX source too
            return mathml.replace("<math ", f'<math alttext="{html.escape(tex)}" ', 1)
        except Exception:  # an unsupported command: fall back for this formula only
            pass
    MATH.fallback.append(tex)
    delim = ("\\[", "\\]") if display else ("\\(", "\\)")
    tag = "div" if display else "span"
    shown = html.escape(delim[0] + tex + delim[1])
    return f'<{tag} class="tex" role="math" aria-label="{html.escape(tex)}">{shown}</{tag}>'


def _renderer_class():
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class MathRenderer(IPythonRenderer):
        """nbconvert's markdown renderer, with maths rendered at build time."""

        def block_math(self, body):
            return tex_to_html(body, display=True)

        def inline_math(self, body):
            return tex_to_html(body, display=False)

        def latex_environment(self, name, body):
            return tex_to_html(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    return MathRenderer


def markdown_to_html(source: str, path: str = "") -> str:
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    return MarkdownWithMath(renderer=_renderer_class()(escape=False, path=path)).render(source)


def make_exporter():
    from jinja2 import DictLoader, pass_context
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    renderer_class = _renderer_class()

    class CourseHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            renderer = renderer_class(
                escape=False,
                attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=path,
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    return CourseHTMLExporter(
        template_name="lab",
        template_file="course_page.html.j2",
        extra_loaders=[DictLoader({"course_page.html.j2": PAGE_TEMPLATE})],
    )


# -- notebooks ---------------------------------------------------------------------------------


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def title_and_goals(nb: dict, stem: str):
    """The notebook's title (its first '# ' heading) and its learning goals as markdown."""
    title, goals = stem, ""
    for cell in nb["cells"][:4]:
        if cell["cell_type"] != "markdown":
            continue
        lines = _text(cell["source"]).splitlines()
        if title == stem:
            for line in lines:
                if line.startswith("# "):
                    title = line[2:].strip()
                    break
        hit = next((i for i, line in enumerate(lines) if "learn" in line.lower()), None)
        if hit is None or goals:
            continue
        items, j = [], hit + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        while j < len(lines) and (
            re.match(r"\s*([-*+]|\d+[.)])\s", lines[j])
            or (items and lines[j].startswith((" ", "\t")) and lines[j].strip())
        ):
            items.append(lines[j])
            j += 1
        if items:
            goals = "\n".join(items)
        else:  # the goals are in the paragraph that says "learn"
            para = lines[hit].lstrip("#").strip()
            goals = para
    return title, goals


def replace_widgets(nb: dict) -> int:
    """Put a note where each widget would be; return how many there were."""
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        new = []
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                count += 1
                new.append(
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"text/html": WIDGET_NOTE},
                    }
                )
            else:
                new.append(out)
        cell["outputs"] = new
    return count


def rewrite_links(page_html: str, source_dir: str, pages: dict, repo: str) -> str:
    """href="X.ipynb" -> X.html for pages of the site; other relative links into the repository
    -> the repository on GitHub. ``source_dir``: the page's folder relative to the repository."""
    own_pages = set(pages.values()) | {"index.html"}

    def fix(m):
        quote, href = m.group(1), html.unescape(m.group(2))
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|//)", href, re.I):
            return m.group(0)
        target, _, anchor = href.partition("#")
        if target in own_pages:  # the site's own navigation
            return m.group(0)
        rel = posixpath.normpath(posixpath.join(source_dir, urllib.parse.unquote(target)))
        if rel in pages:
            new = pages[rel] + (f"#{anchor}" if anchor else "")
        elif rel.startswith(".."):
            return m.group(0)
        else:
            new = f"https://github.com/{repo}/blob/HEAD/{rel}" + (f"#{anchor}" if anchor else "")
        return f"href={quote}{html.escape(new)}{quote}"

    return re.sub(r"""href=(["'])(?!\1)(.+?)\1""", fix, page_html)


def nav_html(prev_page, next_page, binder_path, repo) -> str:
    parts = [
        '<nav class="course-nav" aria-label="course">',
        '<a href="index.html">Course index</a>',
    ]
    if prev_page:
        parts.append(f'<a href="{prev_page[0]}" rel="prev">&larr; {html.escape(prev_page[1])}</a>')
    if next_page:
        parts.append(f'<a href="{next_page[0]}" rel="next">{html.escape(next_page[1])} &rarr;</a>')
    parts.append('<span class="course-spacer"></span>')
    if binder_path:
        labpath = urllib.parse.quote(binder_path, safe="")
        url = f"https://mybinder.org/v2/gh/{repo}/HEAD?labpath={labpath}"
        parts.append(f'<a href="{html.escape(url)}">Run this notebook on Binder</a>')
    parts.append("</nav>")
    return "\n".join(parts)


def _repo_rel(path: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


# -- the whole site ----------------------------------------------------------------------------


def default_out() -> pathlib.Path:
    """--out's default: $COURSE_ARTIFACTS/site when COURSE_ARTIFACTS is set, else site/."""
    if os.environ.get(_safe_output.ARTIFACTS_ENV, "").strip():
        return _safe_output.artifacts_dir() / "site"
    return ROOT / "site"


def registered_notebooks() -> list[pathlib.Path]:
    """The course's notebooks in reading order, from the registry (rnnlib/syllabus.py)."""
    sys.path.insert(0, str(ROOT))
    from rnnlib import syllabus

    paths = [NOTEBOOKS / nb.filename for nb in syllabus.NOTEBOOKS]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise OutputError(
            f"registered in rnnlib/syllabus.py but not in notebooks/: {', '.join(missing)}"
        )
    return paths


def build(out, notebooks=None, repo=DEFAULT_REPO, teaching=TEACHING, quiet=True) -> dict:
    """Write the site into ``out``; return a report (pages, figures, alt gaps, maths).

    ``notebooks``: paths in page order (default: the registry's). ``out`` must be new, empty, or
    a folder an earlier build made (see the module docstring); OutputError otherwise."""
    import nbformat

    notebooks = [
        pathlib.Path(p) for p in (notebooks if notebooks is not None else registered_notebooks())
    ]
    has_teaching = bool(teaching) and pathlib.Path(teaching).exists()
    folder = OwnedFolder(out, HOW_TO_CHOOSE, root=ROOT)
    folder.claim(
        [f"{p.stem}.html" for p in notebooks]
        + ["index.html"]
        + (["teaching.html"] if has_teaching else [])
    )
    MATH.__init__()
    exporter = make_exporter()
    pages = {_repo_rel(p): f"{p.stem}.html" for p in notebooks}
    if has_teaching:
        pages[_repo_rel(pathlib.Path(teaching))] = "teaching.html"
    report = {"pages": [], "figures": 0, "missing_alt": [], "widgets": 0, "math": {}, "repo": repo}
    entries = []
    loaded = [(p, json.loads(p.read_text(encoding="utf-8"))) for p in notebooks]
    titles = [title_and_goals(nb, p.stem)[0] for p, nb in loaded]
    for k, (path, raw) in enumerate(loaded):
        title, goals = title_and_goals(raw, path.stem)
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)  # sources joined
        report["widgets"] += replace_widgets(nb)
        nb.setdefault("metadata", {})["title"] = f"{title} · {COURSE_TITLE}"
        for i, cell in enumerate(nb["cells"]):
            for out_ in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
                if "image/png" in out_.get("data", {}):
                    report["figures"] += 1
                    alt = out_.get("metadata", {}).get("image/png", {}).get("alt", "")
                    if not str(alt).strip():
                        report["missing_alt"].append(f"{path.stem}: cell {i}")
        rel = _repo_rel(path)
        prev_page = (f"{notebooks[k - 1].stem}.html", titles[k - 1]) if k > 0 else None
        next_page = (
            (f"{notebooks[k + 1].stem}.html", titles[k + 1]) if k + 1 < len(notebooks) else None
        )
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "course": {
                "css": CSS,
                "nav": nav_html(
                    prev_page, next_page, rel if rel.startswith("notebooks/") else None, repo
                ),
            },
        }
        body, _ = exporter.from_notebook_node(nbformat.from_dict(nb), resources=resources)
        body = rewrite_links(body, posixpath.dirname(rel), pages, repo)
        folder.write(f"{path.stem}.html", body)
        report["pages"].append(f"{path.stem}.html")
        entries.append((path, title, goals, rel))
    if has_teaching:
        teaching = pathlib.Path(teaching)
        body = markdown_to_html(teaching.read_text(encoding="utf-8"), path=str(teaching.parent))
        body = rewrite_links(body, posixpath.dirname(_repo_rel(teaching)), pages, repo)
        folder.write("teaching.html", standalone_page("Teacher's guide", body))
        report["pages"].append("teaching.html")
    folder.write(
        "index.html", index_page(entries, repo, has_teaching="teaching.html" in report["pages"])
    )
    report["pages"].insert(0, "index.html")
    report["removed"] = folder.finish()  # pages of an earlier build that this one did not write
    report["math"] = {
        "converter": "latex2mathml (MathML)" if mathml_available() else "none: TeX source shown",
        "mathml": MATH.mathml,
        "fallback": len(MATH.fallback),
        "fallback_examples": MATH.fallback[:5],
    }
    return report


def standalone_page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)} · {html.escape(COURSE_TITLE)}</title>
<style>{INDEX_CSS}</style>
</head>
<body>
<nav aria-label="course"><a href="index.html">Course index</a></nav>
<main>
{body}
</main>
</body>
</html>
"""


def index_page(entries, repo, has_teaching=True) -> str:
    binder = f"https://mybinder.org/v2/gh/{repo}/HEAD?labpath=notebooks%2F00_course_map.ipynb"
    items = []
    for path, title, goals, _rel in entries:
        goals_html = (
            markdown_to_html(goals, path=str(path.parent))
            if goals
            else "<p>(no learning goals found)</p>"
        )
        heading = f'<h2><a href="{path.stem}.html">{markdown_inline(title)}</a></h2>'
        items.append(f"<li>\n{heading}\n{goals_html}</li>")
    guide = (
        '<a href="teaching.html">the teacher\'s guide</a> '
        "(timings, a 90-minute session, what to drag)"
        if has_teaching
        else "the teacher's guide"
    )
    body = f"""<h1>{html.escape(COURSE_TITLE)}</h1>
<p class="lead">A course on recurrent neural networks in Jupyter notebooks: unfolding in time,
backpropagation through time, vanishing and exploding gradients, clipping, LSTM and GRU gates,
long-range memory, architectures and a character-level language model. Every number is computed
by <code>rnnlib</code>, a small numpy library written to be read.</p>
<p class="note">This is the static version: each page shows the notebook's saved outputs, and a
figure at its default setting where the notebook has a widget. To drag the sliders, run the
notebooks: <code>python3 course.py lab</code> on your computer, or
<a href="{html.escape(binder)}">on Binder</a>. Teaching with it? See {guide}.</p>
<ol class="notebooks">
{chr(10).join(items)}
</ol>"""
    return standalone_page("Course index", body).replace(
        '<nav aria-label="course"><a href="index.html">Course index</a></nav>\n', ""
    )


def markdown_inline(text: str) -> str:
    """Markdown of one line (a title) as inline HTML."""
    rendered = markdown_to_html(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument(
        "--out",
        default=None,
        help="output folder: new, empty, or made by an earlier build "
        "(default: $COURSE_ARTIFACTS/site if set, else site/)",
    )
    parser.add_argument(
        "--repo",
        default=DEFAULT_REPO,
        help="GitHub OWNER/NAME for Binder and source links "
        "(default: $COURSE_REPO or a placeholder)",
    )
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out).expanduser() if args.out else default_out()
    try:
        report = build(out, args.notebooks or None, repo=args.repo)
    except OutputError as err:
        print(f"site: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. the disk filled up during the build
        print(
            f"site: cannot write the site to {out}: {err}.\n  Choose another folder with "
            f"{HOW_TO_CHOOSE}.",
            file=sys.stderr,
        )
        return 2
    print(
        f"site: {len(report['pages'])} pages in {out} ({report['figures']} figures, "
        f"{report['widgets']} widgets shown as their static figure)"
    )
    m = report["math"]
    print(
        f"maths: {m['converter']}; {m['mathml']} formulas as MathML, {m['fallback']} as TeX source"
    )
    if m["fallback_examples"] and mathml_available():
        print("  not converted: " + " | ".join(m["fallback_examples"]))
    if report["missing_alt"]:
        print("figures without alt text: " + ", ".join(report["missing_alt"]))
    if args.repo == "OWNER/REPO":
        print(
            "note: Binder and source links use the placeholder OWNER/REPO "
            "(set --repo or $COURSE_REPO)"
        )
    print(f"open {out / 'index.html'}")
    return 1 if report["missing_alt"] else 0


if __name__ == "__main__":
    sys.exit(main())
