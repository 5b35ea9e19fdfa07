"""Run every notebook in notebooks/ and write it for leaders, without code cells, to
out/notebooks/NAME.html (docs/reports.md, "Notebooks").

    python scripts/render_notebooks.py [NAME ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

from itr_sim.report.notebooks import render_for_leaders

ROOT = Path(__file__).resolve().parent.parent


def main(names: list[str]) -> int:
    books = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if names:
        books = [b for b in books if b.stem in names]
    out = ROOT / "out" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for book in books:
        errors = render_for_leaders(book, out / f"{book.stem}.html")
        if errors:
            failed += 1
            print(f"{book.name}: not written, a cell failed: {errors[0]}", file=sys.stderr)
        else:
            print(f"wrote {out / (book.stem + '.html')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
