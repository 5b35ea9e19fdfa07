"""Reading YAML with the line of every key, and the diagnostics that point at them.

PyYAML follows YAML 1.1, where ``NO`` (Norway) is ``False``, ``15:00`` is the integer 900
and ``0755`` is octal. itr-sim reads YAML 1.2 core scalars instead: only ``true``/``false``
are booleans, only decimal numbers are numbers, everything else is a string. Dates
(``2027-01-04``) and timestamps stay dates. Duplicate keys are errors, not silent overwrites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Diagnostic",
    "Level",
    "LineMap",
    "ScenarioError",
    "SourceDocument",
    "read_yaml",
    "yaml_loader",
]

Path_ = tuple[str | int, ...]


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about an input file: where, what and how to fix it."""

    file: str
    line: int
    path: str
    message: str
    level: Level = Level.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "" if self.level is Level.ERROR else "warning: "
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {tag}{self.message}"


class ScenarioError(ValueError):
    """Input that cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalar resolution."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                           "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_constructor(
    "tag:yaml.org,2002:int",
    lambda loader, node: int(loader.construct_scalar(node), 10),  # 0755 is 755, not octal
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def yaml_loader() -> type[yaml.SafeLoader]:
    """The YAML 1.2 core-schema loader itr-sim reads files with."""
    return _Loader


@dataclass
class LineMap:
    """Line (1-based) of every key path in one document."""

    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of ``path`` or of its deepest ancestor that exists."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return 0


@dataclass
class SourceDocument:
    """A parsed YAML file: its data, its path as shown to users, and its lines."""

    file: str
    path: Path
    data: Any
    lines: LineMap
    redirects: dict[Path_, tuple[str, int | LineMap]] = field(default_factory=dict)
    """Key paths that came from elsewhere: an override (file and line) or a scenario that
    extends this one (file and its line map); their problems point there."""

    def diagnostic(
        self, path: Path_, message: str, level: Level = Level.ERROR
    ) -> Diagnostic:
        for cut in range(len(path), -1, -1):
            origin = self.redirects.get(tuple(path[:cut]))
            if origin is not None:
                file, where = origin
                line = where.line_of(path) if isinstance(where, LineMap) else where
                return Diagnostic(file, line, dotted(path), message, level)
        return Diagnostic(self.file, self.lines.line_of(path), dotted(path), message, level)


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def read_yaml(path: Path, shown_as: str | None = None) -> SourceDocument:
    """Parse one YAML file; syntax errors, duplicate keys and non-string keys become
    :class:`ScenarioError` with the file and line."""
    shown = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Diagnostic(shown, 0, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Diagnostic(shown, 0, "", f"cannot read the file: {exc}")]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        context = exc.context or ""
        if exc.context_mark is not None and "flow" in context:
            # an unclosed [ or {: the line that opened it is where the fix goes
            mark = exc.context_mark
            problem += f" ({context} that starts here)"
        line = mark.line + 1 if mark else 0
        hint = ""
        if "\t" in problem or "tab" in problem:
            hint = "; indent with spaces, not tabs"
        elif "mapping values are not allowed" in problem:
            hint = "; a value containing ': ' must be quoted"
        raise ScenarioError(
            [Diagnostic(shown, line, "", f"YAML syntax error: {problem}{hint}")]
        ) from None
    finally:
        loader.dispose()
    lines = LineMap()
    errors: list[Diagnostic] = []
    data = None if node is None else _build(node, (), lines, errors, shown, loader)
    if errors:
        raise ScenarioError(errors)
    return SourceDocument(shown, path, data, lines)


def _build(node: yaml.Node, path: Path_, lines: LineMap, errors: list[Diagnostic],
           shown: str, loader: _Loader) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                errors.append(Diagnostic(shown, key_node.start_mark.line + 1, ".".join(
                    map(str, path)), "YAML merge keys (<<) are not supported; repeat the keys"))
                continue
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, bool) or key is None or isinstance(key, list | dict):
                errors.append(Diagnostic(shown, key_node.start_mark.line + 1, dotted(path),
                                         f"key {key!r} is not a name; quote it"))
                continue
            key = str(key)
            if key in result:
                first = lines.lines.get((*path, key), 0)
                errors.append(Diagnostic(
                    shown, key_node.start_mark.line + 1, dotted((*path, key)),
                    f"duplicate key {key!r} (first given on line {first}); "
                    "a later value would silently replace the first"))
                continue
            lines.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*path, key), lines, errors, shown, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, errors, shown, loader)
                for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problem = exc.problem
    except ValueError as exc:  # e.g. 2027-02-30: a date-shaped value that is no date
        problem = f"{node.value!r} is not a valid date or time ({exc})"
    errors.append(Diagnostic(shown, node.start_mark.line + 1, dotted(path),
                             f"cannot read value: {problem}"))
    return None
