"""Reading YAML with the line of every key, and the diagnostics that point at them.

PyYAML follows YAML 1.1, where ``NO`` (Norway) is ``False``, ``15:00`` is the integer 900
and ``0755`` is octal. itr-sim reads YAML 1.2 core scalars instead: only ``true``/``false``
are booleans, only decimal numbers are numbers, everything else is a string. Dates
(``2027-01-04``) and timestamps stay dates. Duplicate keys are errors, not silent overwrites.

Input files are untrusted: what a file can make the program allocate is bounded before any
Python object is built. A file larger than :data:`MAX_FILE_BYTES`, nesting deeper than
:data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes or :data:`MAX_ALIASES` aliases while
composing, or more than :data:`MAX_NODES` values once aliases are expanded (an "alias bomb")
is refused with a hint. Numbers must be finite: ``.inf``, ``.nan`` and ``1e999`` are errors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Diagnostic",
    "Level",
    "LineMap",
    "ScenarioError",
    "SourceDocument",
    "parse_value",
    "read_yaml",
    "yaml_loader",
]

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 1_000_000
"""Largest input file read (the bundled catalogues and scenarios are under 10 kB)."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists (the formats need fewer than 10 levels)."""
MAX_NODES = 100_000
"""Most values (scalars, mappings, lists) in one file, counted with aliases expanded."""
MAX_ALIASES = 1_000
"""Most ``*alias`` references in one file."""
MAX_PATH_SHOWN = 4


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


class _Bounded(yaml.composer.Composer):
    """Composing with bounds on nesting depth, node count and aliases (before any Python
    object is built), whichever parser produces the events."""

    _depth = 0
    _nodes = 0
    _aliases = 0
    _path: list[str | int] | None = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._path is None:
            self._path = []
        step: str | int | None = None
        if isinstance(index, yaml.ScalarNode):
            step = str(index.value)
        elif isinstance(index, int) and isinstance(parent, yaml.SequenceNode):
            step = index
        if step is not None:
            self._path.append(step)
        try:
            return self._compose_bounded(parent, index)
        finally:
            if step is not None:
                self._path.pop()

    def _where(self) -> str:
        steps = self._path or []
        shown = dotted(tuple(steps[:MAX_PATH_SHOWN]))
        return shown + ("..." if len(steps) > MAX_PATH_SHOWN else "")

    def _compose_bounded(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(event.start_mark, self._where(),
                                  f"more than {MAX_ALIASES} aliases (*name)"
                                  "; itr-sim files need none: repeat the values instead")
        else:
            self._nodes += 1
            if self._nodes > MAX_NODES:
                raise _LimitError(event.start_mark, self._where(),
                                  f"more than {MAX_NODES} values; itr-sim "
                                  "files are small: is this the right file?")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(event.start_mark, self._where(),
                                  f"nested more than {MAX_DEPTH} levels "
                                  "deep; itr-sim files need fewer than 10: check the "
                                  "brackets and the indentation")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Loader(_Bounded, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalar resolution and the bounds of :class:`_Bounded`:
    the reference reader, whose messages users see."""


class _Divergent(Exception):
    """Text that libyaml reads differently from PyYAML: read again by the reference loader."""


class _LimitError(Exception):
    """A bound on the input was exceeded (line from ``mark``)."""

    def __init__(self, mark: Any, path: str, message: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else 0
        self.path = path
        self.message = message


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


_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)
"""libyaml's scanner and parser, when PyYAML was built with it."""
_FastLoader: type | None = None
if _CParser is not None:
    class _CLoader(_Bounded, _CParser, yaml.constructor.SafeConstructor,
                   yaml.resolver.Resolver):
        """:class:`_Loader` on libyaml's scanner and parser (six times faster, a third of
        ``itr-sim validate``): the same composing, bounds, resolvers and constructors in
        Python on its events. Only what it reads as PyYAML would is kept: anything else is
        read again by :class:`_Loader` (see :func:`_parse`)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_node(self, parent: Any, index: Any) -> Any:
            if getattr(self.peek_event(), "tag", None) is not None:
                raise _Divergent  # explicit tags (!x, !!str): resolved differently when empty
            node = super().compose_node(parent, index)
            if (getattr(parent, "flow_style", False) and isinstance(node, yaml.ScalarNode)
                    and not node.style and "?" in node.value):
                # PyYAML ends a plain scalar at "?" inside [...] and {...}; libyaml does not
                raise _Divergent
            return node

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _CLoader.yaml_constructors = _Loader.yaml_constructors
    _FastLoader = _CLoader


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
    """Parse one YAML file; unreadable files, syntax errors, duplicate keys, non-string
    keys, non-finite numbers and inputs beyond the bounds become :class:`ScenarioError`
    with the file and line."""
    shown = shown_as or str(path)
    data = _read_bytes(path, shown)
    text = _decode(data, shown)
    if not text.strip():
        raise ScenarioError([Diagnostic(shown, 0, "", "the file is empty; a catalogue starts "
                                        "with `catalog: NAME`, a scenario with "
                                        "`scenario: NAME`")])
    result, lines = _parse(text, shown)
    return SourceDocument(shown, path, result, lines)


def parse_value(text: str, shown: str) -> Any:
    """One YAML value given as text (a ``--set`` value), under the same rules and bounds as
    a file; an empty text is None."""
    if not text.strip():
        return None
    return _parse(text, shown)[0]


_DIVERGENT = re.compile("[\t\x85\u2028\u2029\ufeff]|[|>][-+0-9]*#")
"""Text that libyaml reads where PyYAML refuses it: tabs before a token, the Unicode line
breaks, a byte-order mark past the start, a comment glued to a block scalar's ``|`` or
``>`` (found by fuzzing the two against each other)."""


def _parse(text: str, shown: str) -> tuple[Any, LineMap]:
    """The data and line map of one YAML text. Read with libyaml's parser when PyYAML has
    it (six times faster); whatever that reading does not accept, and any text the two
    parsers are known to read differently (:data:`_DIVERGENT`, a document that is not a
    mapping), is read
    by the reference loader alone, so every value, line and message is PyYAML's
    (tests/test_startup.py compares the two on every bundled file and on fuzzed text)."""
    if _FastLoader is not None and not _DIVERGENT.search(text):
        try:
            data, lines = _parse_with(_FastLoader, text, shown)
        except Exception:  # read again below, and reported as PyYAML reports it
            pass
        else:
            if isinstance(data, dict):
                return data, lines
    return _parse_with(_Loader, text, shown)


def _parse_with(loader_class: Any, text: str, shown: str) -> tuple[Any, LineMap]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except _LimitError as exc:
        raise ScenarioError([Diagnostic(shown, exc.line, exc.path, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_error(exc, shown)]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError([Diagnostic(shown, 0, "", "the file holds only comments; a "
                                        "catalogue starts with `catalog: NAME`, a scenario "
                                        "with `scenario: NAME`")])
    sizes: dict[int, int] = {}
    expanded = _expanded_size(node, sizes)
    if expanded is None or expanded > MAX_NODES:
        at, where = _culprit(node, sizes)
        message = ("an alias refers to a value that contains it (a cycle); repeat the "
                   "values instead of *aliases" if expanded is None else
                   f"aliases (*name) expand to more than {MAX_NODES} values; this looks "
                   "like an alias bomb: itr-sim files need no aliases, repeat the values "
                   "instead")
        raise ScenarioError([Diagnostic(shown, at.start_mark.line + 1, where, message)])
    lines = LineMap()
    errors: list[Diagnostic] = []
    result = _build(node, (), lines, errors, shown, loader)
    if errors:
        raise ScenarioError(errors)
    return result, lines


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        if path.is_dir():
            raise ScenarioError([Diagnostic(shown, 0, "", "is a directory, not a YAML file; "
                                            "give a file such as sla_catalog/standard.yaml")])
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([Diagnostic(shown, 0, "", f"the file has {size:,} bytes, more "
                                            f"than the {MAX_FILE_BYTES:,} an itr-sim YAML may "
                                            "have; is this the right file?")])
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # a pipe or device reports no size
            raise ScenarioError([Diagnostic(shown, 0, "", f"more than {MAX_FILE_BYTES:,} "
                                            "bytes; is this the right file?")])
        return data
    except FileNotFoundError:
        raise ScenarioError([Diagnostic(shown, 0, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Diagnostic(shown, 0, "", f"cannot read the file: "
                                        f"{exc.strerror or exc}")]) from None


def _decode(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Diagnostic(
            shown, line, "", f"not UTF-8: byte 0x{data[exc.start]:02x} at column {column} "
            "(a Latin-1 or Windows-1252 file?); save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff")


def _syntax_error(exc: yaml.MarkedYAMLError, shown: str) -> Diagnostic:
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
    return Diagnostic(shown, line, "", f"YAML syntax error: {problem}{hint}")


def _culprit(root: yaml.Node, sizes: dict[int, int]) -> tuple[yaml.Node, str]:
    """The top-level entry with the largest (or a cyclic) expansion, and its key."""
    if not isinstance(root, yaml.MappingNode) or not root.value:
        return root, ""
    worst = max(root.value, key=lambda pair: sizes.get(id(pair[1]), MAX_NODES + 2))
    return worst[0], str(worst[0].value)


def _expanded_size(root: yaml.Node, sizes: dict[int, int]) -> int | None:
    """Values in the document once aliases are expanded, counted on the node graph without
    expanding (each node once, sizes kept in ``sizes``); None if an alias makes a cycle.
    Stops counting past :data:`MAX_NODES`."""
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            active.discard(key)
            sizes[key] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in sizes:
            continue
        if key in active:
            return None
        active.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) not in sizes:
                stack.append((child, False))  # one still active is a cycle, found on its pop
    return sizes[id(root)]


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
            try:
                key = loader.construct_object(key_node, deep=True)
            except (yaml.constructor.ConstructorError, ValueError) as exc:  # !!tag, 2027-02-30
                hint = ("itr-sim files need no YAML tags: remove it"
                        if isinstance(exc, yaml.constructor.ConstructorError) else "quote it")
                problem = getattr(exc, "problem", None) or str(exc)[:80]
                errors.append(Diagnostic(shown, key_node.start_mark.line + 1, dotted(path),
                                         f"cannot read key {str(key_node.value)[:40]!r}: "
                                         f"{problem}; {hint}"))
                continue
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
        value = loader.construct_object(node, deep=True)
        if isinstance(value, float) and not math.isfinite(value):
            problem = (f"{node.value!r} is not a finite number; give a number such as 12.5 "
                       "(infinite and not-a-number values are not allowed)")
        else:
            return value
    except yaml.constructor.ConstructorError as exc:
        problem = exc.problem
    except ValueError as exc:  # e.g. 2027-02-30: a date-shaped value that is no date
        what = "number" if node.tag.endswith((":int", ":float")) else "date or time"
        problem = f"{str(node.value)[:40]!r} is not a valid {what} ({str(exc)[:80]})"
    errors.append(Diagnostic(shown, node.start_mark.line + 1, dotted(path),
                             f"cannot read value: {problem}"))
    return None
