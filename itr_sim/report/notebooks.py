"""The notebooks for leaders: executed, then rendered to one HTML page without code cells
(the words, tables and figures only).

nbclient runs the notebook in a fresh kernel from its own folder, as Jupyter would; nbconvert
writes the page with every input cell left out (``pip install 'itr-sim[notebooks]'``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from itr_sim.files import write_atomic

__all__ = ["NotebookError", "render_for_leaders"]


class NotebookError(RuntimeError):
    """A notebook that failed to run, or a missing optional package; ``str`` says which."""


def render_for_leaders(notebook: Path, output: Path, *, timeout: int = 900) -> list[str]:
    """Execute ``notebook`` and write it to ``output`` as HTML without code cells; returns
    the text of the errors its cells raised (empty when it ran cleanly; the page is then
    written)."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise NotebookError(f"rendering notebooks needs nbclient and nbconvert ({exc.name} "
                            "is missing): pip install 'itr-sim[notebooks]'") from None
    book = nbformat.read(notebook, as_version=4)
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    client = NotebookClient(book, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for cell in book.cells
              if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        return errors
    exporter: Any = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                 exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(book)
    write_atomic(output, body)
    return []
