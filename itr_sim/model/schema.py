"""JSON Schema of the YAML formats, and the Markdown reference generated from it."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from itr_sim.model.catalog import Catalog
from itr_sim.model.scenario import Scenario

__all__ = ["FORMATS", "json_schema", "reference_markdown"]

FORMATS: dict[str, type[BaseModel]] = {"catalog": Catalog, "scenario": Scenario}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one format (``catalog`` or ``scenario``)."""
    schema = FORMATS[kind].model_json_schema(mode="validation")
    if kind == "scenario":  # a scenario that extends another inherits the required keys
        schema["if"] = {"required": ["extends"]}
        schema["else"] = {"required": schema.pop("required")}
    return {"$schema": SCHEMA_DIALECT, "$id": f"{kind}.schema.json", **schema}


def schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"


def reference_markdown() -> str:
    """docs/yaml-reference.md: every key of every format, from the JSON Schema."""
    out = [
        "# YAML reference",
        "",
        "Generated from the JSON Schema by `itr-sim schema --out docs/schema "
        "--reference docs/yaml-reference.md`; a test keeps it in sync. Do not edit by hand.",
        "",
        "Unknown keys are errors. Durations: `15m`, `4h`, `2d` (48 h of covered time of the "
        "clock's calendar), `1w`, `1h30m`, `3bd` (business days), `NBD` (next business day "
        "by the cut-off); see [units](units.md). Percentages: `95%` or `0.95`.",
        "",
    ]
    for kind in FORMATS:
        schema = json_schema(kind)
        defs = schema.get("$defs", {})
        out += [f"## {kind} files", ""]
        order = _definition_order(schema, defs)
        out += _table(schema.get("title", kind), schema, defs, heading="###", kind=kind)
        for name in order:
            out += _table(name, defs[name], defs, heading="####", anchor=f"{kind}-{name}")
    return "\n".join(out).rstrip() + "\n"


def _definition_order(root: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    seen: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.append(name)
                    visit(defs[name])
            for key, value in node.items():
                if key != "$defs":
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(root)
    return seen


def _table(name: str, node: dict[str, Any], defs: dict[str, Any], *, heading: str,
           anchor: str | None = None, kind: str = "") -> list[str]:
    props = node.get("properties")
    kind = anchor.split("-")[0] if anchor else kind
    title = f'{heading} <a id="{anchor}"></a>{name}' if anchor else f"{heading} {name}"
    lines = [title, ""]
    if node.get("description"):
        lines += [" ".join(node["description"].split()), ""]
    if not props:
        if "enum" in node:
            lines += ["One of: " + ", ".join(f"`{v}`" for v in node["enum"]), ""]
        return lines
    required = set(node.get("required", node.get("else", {}).get("required", [])))
    lines += ["| key | type | default | description |", "|---|---|---|---|"]
    for key, prop in props.items():
        default = "required" if key in required else _default(prop)
        desc = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {_type(prop, kind)} | {default} | {desc} |")
    return [*lines, ""]


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return ""
    value = prop["default"]
    return "`" + json.dumps(value) + "`" if value not in (None, [], {}) else \
        ("none" if value is None else "empty")


def _type(prop: dict[str, Any], kind: str) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{kind}-{name})"
    if "anyOf" in prop:
        parts = [_type(p, kind) for p in prop["anyOf"] if p.get("type") != "null"]
        text = " or ".join(dict.fromkeys(parts))
        return text + (" or null" if any(p.get("type") == "null" for p in prop["anyOf"]) else "")
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    t = prop.get("type")
    if t == "array":
        return "list of " + _type(prop.get("items", {}), kind)
    if t == "object":
        extra = prop.get("additionalProperties")
        if not isinstance(extra, dict) and prop.get("patternProperties"):
            extra = next(iter(prop["patternProperties"].values()))
        if isinstance(extra, dict):
            return "mapping name → " + _type(extra, kind)
        return "mapping"
    if t == "string" and "pattern" in prop:
        example = prop.get("examples", [None])[0]
        return f"string (e.g. `{example}`)" if example else "string"
    if t == "string" and prop.get("format") == "date":
        return "date"
    return str(t or "any")
