"""Load catalogues and scenarios from YAML into validated models.

Every problem becomes a :class:`Diagnostic` naming file, line, key path and value, with a
hint; all problems of a file are reported at once. Nothing here prints or exits: the CLI
turns a :class:`ScenarioError` into ``file:line: key.path: message`` lines and exit 2.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from itr_sim.model.catalog import Catalog
from itr_sim.model.checks import Finding, check_catalog, check_scenario
from itr_sim.model.fields import did_you_mean
from itr_sim.model.scenario import Scenario
from itr_sim.model.source import (
    Diagnostic,
    Level,
    ScenarioError,
    SourceDocument,
    dotted,
    read_yaml,
)

__all__ = [
    "LoadedScenario",
    "apply_overrides",
    "load_catalog",
    "load_scenario",
    "parse_assignments",
    "validate_file",
]

CATALOG_PREFIX = "catalog."


@dataclass
class LoadedScenario:
    """A validated scenario with its catalogue and the warnings found on the way."""

    scenario: Scenario
    catalog: Catalog
    path: Path
    catalog_path: Path
    warnings: list[Diagnostic] = field(default_factory=list)


def _is(path: Path, test: Any) -> bool:
    """``path.is_file()`` or ``is_dir()``, False for a name the system refuses (too long, a
    NUL byte) instead of an OSError."""
    try:
        return bool(test(path))
    except (OSError, ValueError):
        return False


def _shown(path: Path) -> str:
    """A path as users typed it: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def load_catalog(path: str | Path) -> tuple[Catalog, list[Diagnostic]]:
    """Validate one catalogue file; returns it with its warnings."""
    doc = read_yaml(Path(path), _shown(Path(path)))
    _expect_kind(doc, "catalog")
    cat = _validate(doc, Catalog)
    found = [_locate(f, doc, doc) for f in check_catalog(cat)]
    _raise_errors(found)
    return cat, found


def load_scenario(path: str | Path, sets: dict[str, Any] | None = None) -> LoadedScenario:
    """Validate a scenario and the catalogue it names. ``sets`` are extra overrides (from the
    command line) applied after the file's own ``overrides``.

    Findings about keys that live in a file this one ``extends`` are reported against this
    file: at the override that causes each (found by checking again without it), or
    marked as inherited from the base."""
    path = Path(path)
    try:
        loaded = _load_scenario(path, sets, None)
    except ScenarioError as exc:
        raise ScenarioError(_attribute(path, sets, exc.diagnostics)) from None
    loaded.warnings = _attribute(path, sets, loaded.warnings)
    return loaded


def _load_scenario(path: Path, sets: dict[str, Any] | None, skip: int | None
                   ) -> LoadedScenario:
    doc, patches, home = _scenario_document(path, [])
    patches += [(k, v, 0, "--set") for k, v in (sets or {}).items()]
    if skip is not None:
        patches = [p for i, p in enumerate(patches) if i != skip]

    catalog_ref = doc.data.get("catalog")
    if not isinstance(catalog_ref, str):
        raise ScenarioError([doc.diagnostic(("catalog",), "give the path of the SLA catalogue "
                                            "relative to this file, e.g. ../sla_catalog/"
                                            "standard.yaml")])
    cat_path = home / catalog_ref
    if _is(cat_path, Path.is_dir):
        raise ScenarioError([doc.diagnostic(("catalog",), f"{_shown(cat_path)} is a directory;"
                                            " name the catalogue file in it, e.g. "
                                            "../sla_catalog/standard.yaml")])
    if not _is(cat_path, Path.is_file):
        raise ScenarioError([doc.diagnostic(("catalog",), f"catalogue file not found: "
                                            f"{_shown(cat_path)} (paths are relative to the "
                                            "scenario file)")])
    if cat_path.resolve() == path.resolve():
        raise ScenarioError([doc.diagnostic(("catalog",), "the scenario names itself as its "
                                            "catalogue")])
    cat_doc = read_yaml(cat_path, _shown(cat_path))
    if _kind(cat_doc.data) == "scenario":
        raise ScenarioError([doc.diagnostic(("catalog",), f"{_shown(cat_path)} is a scenario, "
                                            "not a catalogue; name an SLA catalogue such as "
                                            "../sla_catalog/standard.yaml")])
    _expect_kind(cat_doc, "catalog")
    cat_doc.data = copy.deepcopy(cat_doc.data)

    errors: list[Diagnostic] = []
    for key, value, line, file in patches:
        target, dotted_key = (cat_doc, key[len(CATALOG_PREFIX):]) if key.startswith(
            CATALOG_PREFIX) else (doc, key)
        try:
            apply_overrides(target, dotted_key, value, (file, line))
        except ValueError as exc:
            errors.append(Diagnostic(file, line, f"overrides.{key}", str(exc)))
    if errors:
        raise ScenarioError(errors)

    diagnostics: list[Diagnostic] = []
    cat = sc = None
    try:
        cat = _validate(cat_doc, Catalog)
    except ScenarioError as exc:
        diagnostics += exc.diagnostics
    try:
        sc = _validate(doc, Scenario)
    except ScenarioError as exc:
        diagnostics += exc.diagnostics
    if cat is None or sc is None:
        raise ScenarioError(diagnostics)
    findings = check_catalog(cat) + check_scenario(sc, cat)
    diagnostics = [_locate(f, cat_doc, doc) for f in findings]
    _raise_errors(diagnostics)
    if sc.demand.trace is not None:
        from itr_sim.model.trace import check_trace

        trace_path = path.parent / sc.demand.trace.file  # as `run` reads it
        diagnostics += check_trace(trace_path, _shown(trace_path), sc, cat,
                                   sc.horizon.minutes)[1]
    return LoadedScenario(sc, cat, path, cat_path, diagnostics)


def _own_patches(path: Path, sets: dict[str, Any] | None
                 ) -> list[tuple[int, tuple[str, Any, int, str]]]:
    """The overrides this file (or the command line) adds, with their index among all."""
    try:
        _, patches, _ = _scenario_document(path, [])
    except ScenarioError:
        return []
    patches += [(k, v, 0, "--set") for k, v in (sets or {}).items()]
    return [(i, p) for i, p in enumerate(patches) if p[3] in (_shown(path), "--set")]


def _attribute(path: Path, sets: dict[str, Any] | None,
               found: list[Diagnostic]) -> list[Diagnostic]:
    """Findings pointing into another file (the scenario this one extends, or the catalogue)
    are re-pointed at the override of ``path`` without which they go away; those that stay
    without any override are marked as inherited."""
    shown = _shown(path)
    bases = _bases(path)
    foreign = [d for d in found if d.file in bases]
    if not foreign:
        return found
    own = _own_patches(path, sets)
    causes: dict[tuple[str, str, str], list[tuple[str, Any, int, str]]] = {}
    for index, patch in own[:MAX_ATTRIBUTED]:
        try:
            without = _load_scenario(path, sets, index).warnings
        except ScenarioError as exc:
            without = exc.diagnostics
        remaining = {_shape(d) for d in without}
        for d in foreign:
            if _shape(d) not in remaining:
                causes.setdefault(_shape(d), []).append(patch)
    out = []
    for d in found:
        if d not in foreign:
            out.append(d)
            continue
        cause = causes.get(_shape(d))
        if cause is None:
            out.append(Diagnostic(shown, 0, d.path, f"{d.message} (from {d.file}:{d.line}, "
                                  f"which {shown} builds on)", d.level))
        else:
            _, _, line, file = cause[0]
            named = " and ".join(f"{key}: {value!r}" + (f" (line {at})" if at else "")
                                 for key, value, at, _ in cause)
            out.append(Diagnostic(file, line, d.path, f"{d.message} (caused by the override"
                                  f"{'s' if len(cause) > 1 else ''} {named}; the key itself "
                                  f"is at {d.file}:{d.line})", d.level))
    return out


def _bases(path: Path) -> set[str]:
    """Files (as shown) of the scenarios ``path`` extends, directly or not."""
    out: set[str] = set()
    for _ in range(MAX_ATTRIBUTED):
        try:
            data = read_yaml(path, _shown(path)).data
        except ScenarioError:
            break
        ref = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(ref, str) or not _is(path.parent / ref, Path.is_file):
            break
        path = path.parent / ref
        if _shown(path) in out:
            break
        out.add(_shown(path))
    return out


MAX_ATTRIBUTED = 20
"""Overrides tried one by one when attributing findings (each costs one more check)."""


def _shape(d: Diagnostic) -> tuple[str, str, str]:
    """A finding without its figures, to recognise it in another check of the file."""
    return d.level.value, d.path, re.sub(r"[-+]?\d[\d.,]*%?", "#", d.message)


def _scenario_document(path: Path, chain: list[Path]
                       ) -> tuple[SourceDocument, list[tuple[str, Any, int, str]], Path]:
    """Read a scenario, following ``extends``: the base's keys, replaced key by key (top
    level) by the file's own, and the base's overrides before the file's. Returns the merged
    document, the overrides with their origins, and the folder the catalogue path is
    relative to."""
    doc = read_yaml(path, _shown(path))
    if not isinstance(doc.data, dict):
        raise ScenarioError([doc.diagnostic((), "a scenario is a mapping of keys; see "
                                            "docs/yaml-reference.md")])
    _expect_kind(doc, "scenario")
    doc.data = copy.deepcopy(doc.data)
    overrides = doc.data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise ScenarioError([doc.diagnostic(("overrides",), "overrides is a mapping of "
                                            "dotted.path: value")])
    own = [(k, v, doc.lines.line_of(("overrides", k)), doc.file) for k, v in overrides.items()]
    base_ref = doc.data.get("extends")
    if base_ref is None:
        return doc, own, path.parent
    if isinstance(base_ref, str) and _is(path.parent / base_ref, Path.is_dir):
        raise ScenarioError([doc.diagnostic(("extends",), f"{base_ref!r} is a directory; "
                                            "name the scenario file to extend")])
    if not isinstance(base_ref, str) or not _is(path.parent / base_ref, Path.is_file):
        raise ScenarioError([doc.diagnostic(("extends",), f"scenario to extend not found: "
                                            f"{base_ref!r} (relative to this file)")])
    base_path = path.parent / base_ref
    if base_path.resolve() in [p.resolve() for p in (*chain, path)]:
        raise ScenarioError([doc.diagnostic(("extends",), "scenarios extend each other in "
                                            "a cycle")])
    base, patches, home = _scenario_document(base_path, [*chain, path])
    for key, value in doc.data.items():
        if key == "overrides":
            continue
        base.data[key] = value
        base.redirects[(key,)] = (doc.file, doc.lines)
        if key == "catalog":
            home = path.parent
    base.data["overrides"] = {**base.data.get("overrides", {}), **overrides}
    return base, patches + own, home


def validate_file(path: str | Path) -> list[Diagnostic]:
    """Everything wrong (errors and warnings) with one catalogue or scenario file."""
    path = Path(path)
    try:
        doc = read_yaml(path, _shown(path))
        kind = _kind(doc.data)
        if kind == "scenario":
            return load_scenario(path).warnings
        if kind == "catalog":
            return load_catalog(path)[1]
        if kind == "product":
            from itr_sim.model.catalog import Product
            _validate(doc, Product)  # its level and customer need a scenario: price checks them
            return []
        return [doc.diagnostic((), "cannot tell what this file is: a catalogue starts with "
                               "`catalog: NAME`, a scenario with `scenario: NAME`, a product "
                               "with `product: NAME`")]
    except ScenarioError as exc:
        return exc.diagnostics


def _kind(data: Any) -> str | None:
    """``scenario``, ``catalog``, ``product`` or None, from the keys a file has."""
    if not isinstance(data, dict):
        return None
    if "product" in data and "scenario" not in data:
        return "product"
    if "scenario" in data or "organisation" in data or "demand" in data or "extends" in data:
        return "scenario"
    if "catalog" in data or "levels" in data or "severities" in data:
        return "catalog"
    return None


def _expect_kind(doc: SourceDocument, wanted: str) -> None:
    """A scenario given where a catalogue is expected (or the reverse) is named as such,
    rather than reported as a list of missing and unknown keys."""
    found = _kind(doc.data)
    if found is None or found == wanted:
        return
    if found == "product":
        message = ("this is a product (a new level extending a catalogue), not a "
                   f"{'catalogue' if wanted == 'catalog' else 'scenario'}; price it with "
                   "`itr-sim price SCENARIO --product FILE`")
    elif wanted == "catalog":
        message = ("this is a scenario, not a catalogue; a catalogue starts with "
                   "`catalog: NAME` and defines levels (see sla_catalog/standard.yaml)")
    else:
        message = ("this is a catalogue, not a scenario; give a scenario file (scenarios/"
                   "*.yaml), which names its catalogue with `catalog: PATH`")
    raise ScenarioError([doc.diagnostic((), message)])


# -- overrides ----------------------------------------------------------------------------

def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["a.b=95%", "c=4"]`` from the command line into overrides; values are read as YAML
    scalars with the same rules as files (``4`` is a number, ``95%`` and ``15:00`` strings)."""
    from itr_sim.model.source import parse_value

    out: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            problems.append(Diagnostic("--set", 0, item, "expected KEY=VALUE, e.g. "
                                       "organisation.tiers.L1.shifts.0.agents=6"))
            continue
        try:
            out[key.strip()] = parse_value(text, "--set") if text else ""
        except ScenarioError as exc:
            problems += [Diagnostic("--set", 0, key, f"cannot read value {text[:60]!r}: "
                                    f"{d.message}") for d in exc.diagnostics]
    if problems:
        raise ScenarioError(problems)
    return out


def apply_overrides(doc: SourceDocument, key: str, value: Any,
                    origin: tuple[str, int]) -> None:
    """Set ``value`` at dotted path ``key`` in ``doc.data``. Every step but the last must
    exist; the last may add a key to a mapping (validation catches a misspelt one)."""
    parts: list[str | int] = []
    node: Any = doc.data
    steps = key.split(".")
    if not key or any(not s for s in steps):
        raise ValueError(f"{key!r} is not a dotted path such as organisation.tiers.L1.resolves")
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(node, list):
            if not step.isdigit():
                raise ValueError(f"{dotted(tuple(parts)) or 'the top'} is a list: use an index "
                                 f"(0 to {len(node) - 1}), not {step!r}")
            index = int(step)
            if index >= len(node):
                raise ValueError(f"{dotted(tuple(parts))} has {len(node)} item(s); index "
                                 f"{index} does not exist")
            if last:
                node[index] = value
            else:
                node = node[index]
            parts.append(index)
        elif isinstance(node, dict):
            if step not in node and not last:
                raise ValueError(did_you_mean(step, [str(k) for k in node], "key")
                                 + f" at {dotted(tuple(parts)) or 'the top level'}")
            if last:
                node[step] = value
            else:
                node = node[step]
            parts.append(step)
        else:
            raise ValueError(f"{dotted(tuple(parts))} is a value, not a mapping or list")
    doc.redirects[tuple(parts)] = origin


# -- pydantic errors -> diagnostics ------------------------------------------------------

def _validate(doc: SourceDocument, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key shows up twice: as unknown and as missing; keep the first only
        misspelt = {(_data_path(doc.data, e["loc"])[:-1], hint)
                    for e in errors if e["type"] == "extra_forbidden"
                    for hint in _close_fields(model, _data_path(doc.data, e["loc"]))}
        errors = [e for e in errors if not (
            e["type"] == "missing" and (_data_path(doc.data, e["loc"])[:-1],
                                        e["loc"][-1]) in misspelt)]
        raise ScenarioError(
            _dedupe([_diagnostic(doc, model, err) for err in errors])
        ) from None


def _close_fields(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    allowed = _fields_at(model, path[:-1]) or []
    return difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.6)


def _dedupe(items: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in items:
        if (d.file, d.line, d.path, d.message) not in seen:
            seen.add((d.file, d.line, d.path, d.message))
            out.append(d)
    return out


def _data_path(data: Any, loc: tuple[Any, ...], *, keep_last: bool = True
               ) -> tuple[str | int, ...]:
    """The key path in the data, without pydantic's union and function tags; the last step
    is kept when it names a key that is missing (``keep_last``)."""
    path: list[str | int] = []
    node = data
    for i, step in enumerate(loc):
        if step == "[key]":
            continue
        in_dict = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and step < len(node)
        if in_dict or in_list:
            path.append(step)
            node = node[step]
        elif keep_last and i == len(loc) - 1:
            path.append(step)
    return tuple(path)


def _diagnostic(doc: SourceDocument, model: type[BaseModel], err: Any) -> Diagnostic:
    kind, value = err["type"], err.get("input")
    path = _data_path(doc.data, err["loc"], keep_last=kind in ("missing", "extra_forbidden"))
    message = str(err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        message = f"missing required key {path[-1]!r}"
        allowed = _fields_at(model, path[:-1])
        if allowed:
            message += f" (keys here: {', '.join(allowed)})"
    elif kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1]) or []
        message = did_you_mean(str(path[-1]), allowed, "key").replace(" (known:", " (allowed:")
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        allowed = _fields_at(model, path)
        keys = f" with keys {', '.join(allowed)}" if allowed else ""
        message = f"expected a mapping{keys}, got {value!r}"
    elif kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        message = did_you_mean(str(value), expected, "value").replace(" (known:", " (one of:")
    elif kind == "string_pattern_mismatch":
        message = (f"{value!r} is not a valid name: start with a letter, then letters, "
                   "digits, _ or -" if "A-Za-z" in str(err.get("ctx", {}).get("pattern"))
                   else f"{value!r} has the wrong form; names must not contain dots")
    elif kind not in ("value_error", "assertion_error") and not isinstance(value, dict | list):
        message = f"{message} (got {value!r})"
    return doc.diagnostic(path, message)


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str] | None:
    """Names of the keys allowed at ``path`` if a model sits there."""
    tp: Any = model
    for step in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(step))
            if info is None:
                return None
            tp = info.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; of a union prefer a model, then a dict or list."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        members = [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel):
                return member
        for member in members:
            if typing.get_origin(member) in (dict, list):
                return member
        return members[0] if members else tp
    return tp


def _locate(finding: Finding, cat_doc: SourceDocument, sc_doc: SourceDocument) -> Diagnostic:
    doc = cat_doc if finding.document == "catalog" else sc_doc
    return doc.diagnostic(finding.path, finding.message, finding.level)


def _raise_errors(diagnostics: list[Diagnostic]) -> None:
    if any(d.level is Level.ERROR for d in diagnostics):
        raise ScenarioError(diagnostics)
