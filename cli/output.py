"""Output shared by the commands: GitHub Actions workflow annotations."""

from __future__ import annotations

__all__ = ["github_annotation"]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(kind: str, message: str, *, file: str | None = None,
                      line: int | None = None, title: str | None = None) -> str:
    """One workflow command (``::error file=a.yaml,line=3,title=...::message``) that GitHub
    Actions shows on the file's line in a pull request; ``kind`` is error, warning or notice.
    Values are escaped as the runner expects (``%``, newlines, and ``:``/``,`` in properties)."""
    if kind not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation kind {kind!r}")
    props = [f"file={_escape_property(file)}"] if file else []
    if file and line:
        props.append(f"line={int(line)}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{kind} {','.join(props)}" if props else f"::{kind}"
    return f"{head}::{_escape_data(message)}"
