"""A self-contained HTML report (figures embedded as SVG) a leader can mail around.

The page is a list of sections (:data:`itr_sim.report.sections.SECTIONS`, functions of
:class:`~itr_sim.report.page.Page` returning an HTML fragment); a new section is one function
and one entry in that list."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from itr_sim.files import marked
from itr_sim.report.page import Page, ReportInputs, from_run, from_run_dir
from itr_sim.report.sections import SECTIONS

__all__ = ["GENERATOR", "Page", "ReportInputs", "from_run", "from_run_dir", "is_report",
           "render"]


def render(inputs: ReportInputs, *, generated: datetime | None = None) -> str:
    """The report page: every section of :data:`SECTIONS` in order."""
    page = Page(inputs) if generated is None else Page(inputs, generated)
    body = "\n".join(part for part in (section(page) for section in SECTIONS) if part)
    return _page(inputs.kpis["scenario"], body, body.count("<img "))


GENERATOR = "itr-sim"
"""The generator of every report page; `itr-sim report` replaces an existing file without
--force only when it carries this mark (a report it wrote before)."""


def is_report(path: Path) -> bool:
    """Whether ``path`` is a page an earlier itr-sim report wrote (its generator mark in the
    first kilobytes), which a new report may replace without --force."""
    return marked(path, f'<meta name="generator" content="{GENERATOR}">'.encode())

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1040px;
       margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 92%; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f2f2f2; }
td.l, th.l, td:first-child { text-align: left; }
.meta { color: #555; font-size: 90%; }
td.n { white-space: nowrap; }
.tile h3 .meta { font-weight: normal; }
.warn { background: #FFF4D6; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
.tiles { display: flex; flex-wrap: wrap; gap: 0.8em; }
.tile { flex: 1 1 220px; border-radius: 6px; padding: 0.6em 0.9em; border: 2px solid; }
.tile h3 { margin: 0 0 0.3em; }
.tile .big { font-size: 140%; font-weight: bold; }
.v-met { border-color: #009E73; background: #E6F5F0; }
.v-at-risk { border-color: #E69F00; background: #FFF4D6; }
.v-missed { border-color: #D55E00; background: #FBE9DF; }
span.v-met, span.v-at-risk, span.v-missed { border: 1px solid; border-radius: 3px;
       padding: 0 4px; white-space: nowrap; }
code, pre { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
pre { padding: 0.6em; overflow-x: auto; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 90%; }
dt { font-weight: bold; } dd { margin: 0 0 0.4em 1.5em; }
"""


def _page(title: str, body: str, figures_expected: int) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="{GENERATOR}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>itr-sim report: {html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body data-figures="{figures_expected}" data-loaded="0">
{body}
<script>
window.addEventListener("load", function () {{
  var ok = Array.prototype.filter.call(document.images, function (img) {{
    return img.complete && img.naturalWidth > 0;
  }});
  document.body.setAttribute("data-loaded", String(ok.length));
}});
</script>
</body></html>
"""
